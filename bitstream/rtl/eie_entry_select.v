`default_nettype none
// Entry selector, the front of the arithmetic unit: holds one sparse-matrix word and hands
// its real entries (v != 0) to the multiply-accumulate pipeline, one per cycle, lowest
// first. When the last real entry of a word leaves, the next word is loaded in the same
// cycle, so words and columns follow each other without a gap. Padding never reaches this
// unit.
//
//   s0  pick the lowest remaining real entry: its row offset S[k] and codebook index v[k]
//   s1  row = m + S[k] (modulo ActEntries: exact, the sparse-matrix reader checked the word)
module eie_entry_select #(
  parameter integer ActEntries = 256 // accumulator rows per PE, power of two >= 2
) (
  input  wire                            clk_i,
  input  wire                            rst_ni,
  input  wire                            flush_i,
  // An error anywhere in the PE: no entry leaves any more (the word of a ROW_OVERFLOW, or a
  // column behind a bad pointer, never reaches the accumulators).
  input  wire                            stop_i,
  // Words from the sparse-matrix read unit.
  input  wire                            wd_valid_i,
  input  wire [63:0]                     wd_sums_i,   // 8 x 8 bits: S[k] mod ActEntries
  input  wire [$clog2(ActEntries)-1:0]   wd_base_i,
  input  wire [31:0]                     wd_v_i,
  input  wire [7:0]                      wd_useful_i,
  input  wire [15:0]                     wd_a_i,
  output wire                            wd_pop_o,
  // One real entry per cycle to the multiply-accumulate pipeline.
  output wire                            e_valid_o,
  output wire [$clog2(ActEntries)-1:0]   e_row_o,
  output wire [3:0]                      e_v_o,
  output wire [15:0]                     e_a_o,
  output wire                            idle_o
);
  localparam integer AW = $clog2(ActEntries);

  reg [7:0] mask_q, mask_d;  // entries left
  reg [63:0] sums_q, sums_d;
  reg [AW-1:0] base_q, base_d;
  reg [31:0] v_q, v_d;
  reg [15:0] a_q, a_d;

  // s0: index of the lowest set bit of the mask.
  reg [2:0] idx;
  integer k;
  always @* begin
    idx = 3'd0;
    for (k = 7; k >= 0; k = k - 1) begin
      if (mask_q[k]) begin
        idx = k[2:0];
      end
    end
  end

  // The next word loads when at most one entry is left (it leaves this cycle). Read from the
  // mask: a count of the entries beside it would cost an adder tree in the reader, four
  // bits of word FIFO and a decrement here.
  reg seen, at_most_one;
  always @* begin
    seen = 1'b0;
    at_most_one = 1'b1;
    for (k = 0; k < 8; k = k + 1) begin
      at_most_one = at_most_one & ~(seen & mask_q[k]);
      seen = seen | mask_q[k];
    end
  end
  wire load = at_most_one & wd_valid_i & ~stop_i & ~flush_i;
  wire emit = (mask_q != 8'd0) & ~stop_i & ~flush_i;

  always @* begin
    mask_d = mask_q & ~(8'd1 << idx);
    sums_d = sums_q;
    base_d = base_q;
    v_d = v_q;
    a_d = a_q;
    if (load) begin
      mask_d = wd_useful_i;
      sums_d = wd_sums_i;
      base_d = wd_base_i;
      v_d = wd_v_i;
      a_d = wd_a_i;
    end
    if (flush_i) begin
      mask_d = 8'd0;
    end
  end

  // s1 registers.
  reg s1_valid_q;
  reg [7:0] s1_sum_q;
  reg [AW-1:0] s1_base_q;
  reg [3:0] s1_v_q;
  reg [15:0] s1_a_q;
  // Output registers.
  reg e_valid_q;
  reg [AW-1:0] e_row_q;
  reg [3:0] e_v_q;
  reg [15:0] e_a_q;

  // s1: the row, modulo ActEntries.
  wire [AW-1:0] row;
  generate
    if (AW > 8) begin : g_row_wide
      assign row = s1_base_q + {{(AW - 8){1'b0}}, s1_sum_q};
    end else begin : g_row_narrow
      assign row = s1_base_q + s1_sum_q[AW-1:0];
      if (AW < 8) begin : g_sum_high
        /* verilator lint_off UNUSEDSIGNAL */
        // Higher offset bits do not change a row modulo ActEntries.
        wire unused_sum_high = |s1_sum_q[7:AW];
        /* verilator lint_on UNUSEDSIGNAL */
      end
    end
  endgenerate

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      mask_q <= 8'd0;
      s1_valid_q <= 1'b0;
      e_valid_q <= 1'b0;
    end else begin
      mask_q <= mask_d;
      s1_valid_q <= emit;
      e_valid_q <= s1_valid_q & ~stop_i & ~flush_i;
    end
  end

  always @(posedge clk_i) begin
    sums_q <= sums_d;
    base_q <= base_d;
    v_q <= v_d;
    a_q <= a_d;
    s1_sum_q <= sums_q[idx*8 +: 8];
    s1_base_q <= base_q;
    s1_v_q <= v_q[idx*4 +: 4];
    s1_a_q <= a_q;
    e_row_q <= row;
    e_v_q <= s1_v_q;
    e_a_q <= s1_a_q;
  end

  assign wd_pop_o = load;
  assign e_valid_o = e_valid_q;
  assign e_row_o = e_row_q;
  assign e_v_o = e_v_q;
  assign e_a_o = e_a_q;
  assign idle_o = (mask_q == 8'd0) & ~s1_valid_q & ~e_valid_q;
endmodule
`default_nettype wire
