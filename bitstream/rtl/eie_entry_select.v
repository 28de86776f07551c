`default_nettype none
// Entry selector, the front of the arithmetic unit: holds one sparse-matrix word (its rows
// already computed by the sparse-matrix read unit) and hands its real entries (v != 0) to
// the multiply-accumulate pipeline, one per cycle, lowest first. When the last real entry of
// a word leaves, the next word is loaded in the same cycle, so words and columns follow each
// other without a gap. Padding never reaches this unit.
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
  input  wire [8*$clog2(ActEntries)-1:0] wd_rows_i,
  input  wire [31:0]                     wd_v_i,
  input  wire [7:0]                      wd_useful_i,
  input  wire [3:0]                      wd_count_i,  // set bits of wd_useful_i
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

  reg [7:0] mask_q, mask_d;
  reg [3:0] left_q, left_d;  // set bits of mask_q
  reg [8*AW-1:0] rows_q, rows_d;
  reg [31:0] v_q, v_d;
  reg [15:0] a_q, a_d;
  reg e_valid_q;
  reg [AW-1:0] e_row_q, e_row_d;
  reg [3:0] e_v_q, e_v_d;
  reg [15:0] e_a_q;

  // Lowest set bit of the mask, as a leading-one detector.
  reg [7:0] onehot;
  integer k;
  always @* begin
    for (k = 0; k < 8; k = k + 1) begin
      onehot[k] = mask_q[k] && ((mask_q & ((8'd1 << k) - 8'd1)) == 8'd0);
    end
  end
  // The next word loads when at most one entry is left (it leaves this cycle).
  wire load = (left_q <= 4'd1) & wd_valid_i & ~stop_i & ~flush_i;
  wire emit = (left_q != 4'd0) & ~stop_i & ~flush_i;

  always @* begin
    mask_d = mask_q & ~onehot;
    left_d = (left_q != 4'd0) ? left_q - 4'd1 : 4'd0;
    rows_d = rows_q;
    v_d = v_q;
    a_d = a_q;
    if (load) begin
      mask_d = wd_useful_i;
      left_d = wd_count_i;
      rows_d = wd_rows_i;
      v_d = wd_v_i;
      a_d = wd_a_i;
    end
    if (flush_i) begin
      mask_d = 8'd0;
      left_d = 4'd0;
    end
    e_row_d = {AW{1'b0}};
    e_v_d = 4'd0;
    for (k = 0; k < 8; k = k + 1) begin
      if (onehot[k]) begin
        e_row_d = e_row_d | rows_q[k*AW +: AW];
        e_v_d = e_v_d | v_q[4*k +: 4];
      end
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      mask_q <= 8'd0;
      left_q <= 4'd0;
      e_valid_q <= 1'b0;
    end else begin
      mask_q <= mask_d;
      left_q <= left_d;
      e_valid_q <= emit;
    end
  end

  always @(posedge clk_i) begin
    rows_q <= rows_d;
    v_q <= v_d;
    a_q <= a_d;
    e_row_q <= e_row_d;
    e_v_q <= e_v_d;
    e_a_q <= a_q;
  end

  assign wd_pop_o = load;
  assign e_valid_o = e_valid_q;
  assign e_row_o = e_row_q;
  assign e_v_o = e_v_q;
  assign e_a_o = e_a_q;
  assign idle_o = (left_q == 4'd0) & ~e_valid_q;
endmodule
`default_nettype wire
