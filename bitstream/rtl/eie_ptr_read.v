`default_nettype none
// Pointer read unit: takes (j, a_j) from the activation queue, reads p_j and p_j+1 in the
// same cycle from the even and odd pointer banks, checks them (PTR_BACKWARDS, PTR_PAST_END),
// and queues the column's word range for the sparse-matrix read unit. Empty columns
// (p_j == p_j+1) are dropped here, so they never reach the arithmetic unit; the unit pops one
// queue entry per cycle and runs ahead of the sparse-matrix reader by up to COL_DEPTH
// columns. The pointers are registered when they leave the block RAM (stage 4), so the route
// from the RAM ends in a flip-flop and the checks start from registers.
//
// Pointer memory layout (eie_ram_dp of PtrEntries words): pointer p is in bank p % 2 at
// bank address p / 2; the even bank fills the lower half of the RAM and is read through
// port A, the odd bank the upper half through port B.
//
// The column index j arrives and travels in ColWidth bits (eie_pe: min(log2(PtrEntries), 16),
// enough for every broadcast j since the CCU checked ptr_base + columns < PtrEntries), the
// error column included.
module eie_ptr_read #(
  parameter integer PtrEntries = 1024, // pointers per PE, power of two >= 4
  parameter integer SpmatWords = 1024, // sparse-matrix words per PE, power of two >= 2
  parameter integer ColWidth = 16      // column index bits, 1..16 (eie_pe: see JW)
) (
  input  wire                           clk_i,
  input  wire                           rst_ni,
  input  wire                           flush_i,
  input  wire [$clog2(PtrEntries)-1:0]  ptr_base_i,
  // An error anywhere in the PE: no further work is taken.
  input  wire                           stop_i,
  // Head of the activation queue.
  input  wire                           q_valid_i,
  input  wire [ColWidth-1:0]            q_j_i,
  input  wire [15:0]                    q_a_i,
  output wire                           q_pop_o,
  // Pointer RAM (read latency 2 on both ports).
  output wire [$clog2(PtrEntries)-1:0]  addr_a_o,
  output wire [$clog2(PtrEntries)-1:0]  addr_b_o,
  input  wire [$clog2(SpmatWords)+3:0]  rdata_a_i,
  input  wire [$clog2(SpmatWords)+3:0]  rdata_b_i,
  // Non-empty columns: activation, index, first and last word, first and last entry
  // offset within those words.
  output wire                           col_valid_o,
  output wire [15:0]                    col_a_o,
  output wire [ColWidth-1:0]            col_j_o,
  output wire [$clog2(SpmatWords)-1:0]  col_w_first_o,
  output wire [$clog2(SpmatWords)-1:0]  col_w_last_o,
  output wire [2:0]                     col_lo_o,
  output wire [2:0]                     col_hi_o,
  input  wire                           col_pop_i,
  // Sticky error (until flush): PTR_BACKWARDS (err_backwards_o) or PTR_PAST_END, with the
  // column.
  output wire                           err_o,
  output wire                           err_backwards_o,
  output wire [ColWidth-1:0]            err_col_o,
  output wire                           idle_o
);
  localparam integer PAW = $clog2(PtrEntries);
  localparam integer JW = ColWidth;
  localparam integer SW = $clog2(SpmatWords);
  localparam integer PVW = SW + 4;
  localparam integer COL_DEPTH = 6;
  localparam [31:0] COL_DEPTH32 = COL_DEPTH;
  localparam integer COLW = 16 + JW + SW + SW + 3 + 3;
  localparam [31:0] CAP32 = SpmatWords * 8;
  localparam [PVW-1:0] CAP = CAP32[PVW-1:0];

  // Column index in pointer-address width: the CCU checked ptr_base + columns < PtrEntries,
  // so every broadcast j fits.
  wire [PAW-1:0] j_p;
  generate
    if (PAW > JW) begin : g_j_wide
      assign j_p = {{(PAW - JW){1'b0}}, q_j_i};
    end else if (PAW == JW) begin : g_j_same
      assign j_p = q_j_i;
    end else begin : g_j_narrow
      assign j_p = q_j_i[PAW-1:0];
      /* verilator lint_off UNUSEDSIGNAL */
      wire unused_j_high = |q_j_i[JW-1:PAW];
      /* verilator lint_on UNUSEDSIGNAL */
    end
  endgenerate

  wire [2:0] col_count;
  wire col_empty;
  wire col_full;
  wire [COLW-1:0] col_head;

  reg s1_valid_q, s2_valid_q, s3_valid_q, s4_valid_q;
  reg [PAW-1:0] s1_idx_q;
  reg s2_odd_q, s3_odd_q, s4_odd_q;
  reg [15:0] s1_a_q, s2_a_q, s3_a_q, s4_a_q;
  reg [JW-1:0] s1_j_q, s2_j_q, s3_j_q, s4_j_q;
  reg [PVW-1:0] s4_ptr_a_q, s4_ptr_b_q;
  reg err_q, err_d;
  reg err_backwards_q, err_backwards_d;
  reg [JW-1:0] err_col_q, err_col_d;

  // Credits: one per column FIFO slot, taken when a queue entry is popped, given back when
  // the column leaves the FIFO or is dropped (empty or bad) in stage 4.
  reg [2:0] credits_q, credits_d;
  wire pop = q_valid_i & (credits_q != 3'd0) & ~stop_i & ~flush_i;

  // Stage 1: bank addresses of p_idx and p_idx+1. The even one of the two is at
  // (idx + 1) / 2 in the even bank, the odd one at idx / 2 in the odd bank.
  /* verilator lint_off UNUSEDSIGNAL */
  // Bit 0 of idx + 1 is the bank, known to be even here.
  wire [PAW-1:0] idx_next = s1_idx_q + 1'b1;
  /* verilator lint_on UNUSEDSIGNAL */
  assign addr_a_o = {1'b0, idx_next[PAW-1:1]};
  assign addr_b_o = {1'b1, s1_idx_q[PAW-1:1]};

  // Stage 3: pointers back from the banks (even bank on port A), registered. Stage 4: the
  // comparisons run on the two banks' pointers in parallel; only their results are swapped
  // for an odd idx.
  wire [PVW-1:0] p_lo = s4_odd_q ? s4_ptr_b_q : s4_ptr_a_q;
  wire [PVW-1:0] p_hi = s4_odd_q ? s4_ptr_a_q : s4_ptr_b_q;
  wire [PVW-1:0] p_end = p_hi - 1'b1;
  wire a_gt_b = s4_ptr_a_q > s4_ptr_b_q;
  wire b_gt_a = s4_ptr_b_q > s4_ptr_a_q;
  wire a_past = s4_ptr_a_q > CAP;
  wire b_past = s4_ptr_b_q > CAP;
  wire backwards = s4_odd_q ? b_gt_a : a_gt_b;
  wire past_end = s4_odd_q ? a_past : b_past;
  wire bad = s4_valid_q & (backwards | past_end);
  // A bad column is queued like a good one (the checks stay off this path): its error stops
  // the PE (stop_i) before the sparse-matrix reader can take it.
  wire push = s4_valid_q & (s4_ptr_a_q != s4_ptr_b_q) & ~stop_i & ~flush_i;
  wire drop = s4_valid_q & ~push;

  always @* begin
    // Net change -1 .. +2, chosen among increments computed in parallel.
    case ({pop, col_pop_i & ~col_empty, drop})
      3'b100:                 credits_d = credits_q - 3'd1;
      3'b010, 3'b001, 3'b111: credits_d = credits_q + 3'd1;
      3'b011:                 credits_d = credits_q + 3'd2;
      default:                credits_d = credits_q;
    endcase
    if (flush_i) begin
      credits_d = COL_DEPTH32[2:0];
    end
  end

  always @* begin
    err_d = err_q;
    err_backwards_d = err_backwards_q;
    err_col_d = err_col_q;
    if (bad && !err_q) begin
      err_d = 1'b1;
      err_backwards_d = backwards;
      err_col_d = s4_j_q;
    end
    if (flush_i) begin
      err_d = 1'b0;
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      credits_q <= COL_DEPTH32[2:0];
      s1_valid_q <= 1'b0;
      s2_valid_q <= 1'b0;
      s3_valid_q <= 1'b0;
      s4_valid_q <= 1'b0;
      err_q <= 1'b0;
      err_backwards_q <= 1'b0;
      err_col_q <= {JW{1'b0}};
    end else begin
      credits_q <= credits_d;
      s1_valid_q <= pop;
      s2_valid_q <= s1_valid_q & ~flush_i;
      s3_valid_q <= s2_valid_q & ~flush_i;
      s4_valid_q <= s3_valid_q & ~flush_i;
      err_q <= err_d;
      err_backwards_q <= err_backwards_d;
      err_col_q <= err_col_d;
    end
  end

  always @(posedge clk_i) begin
    s1_idx_q <= ptr_base_i + j_p;
    s1_a_q <= q_a_i;
    s1_j_q <= q_j_i;
    s2_odd_q <= s1_idx_q[0];
    s2_a_q <= s1_a_q;
    s2_j_q <= s1_j_q;
    s3_odd_q <= s2_odd_q;
    s3_a_q <= s2_a_q;
    s3_j_q <= s2_j_q;
    s4_odd_q <= s3_odd_q;
    s4_a_q <= s3_a_q;
    s4_j_q <= s3_j_q;
    s4_ptr_a_q <= rdata_a_i;
    s4_ptr_b_q <= rdata_b_i;
  end

  /* verilator lint_off UNUSEDSIGNAL */
  // With p_lo < p_hi <= SpmatWords * 8 both word indices fit in SW bits.
  wire unused_p_high = p_lo[PVW-1] ^ p_end[PVW-1];
  wire unused_col_full = col_full ^ |col_count;
  /* verilator lint_on UNUSEDSIGNAL */

  eie_fifo #(
    .Width(COLW),
    .Depth(COL_DEPTH)
  ) u_cols (
    .clk_i(clk_i),
    .rst_ni(rst_ni),
    .flush_i(flush_i),
    .push_i(push),
    .data_i({s4_a_q, s4_j_q, p_lo[SW+2:3], p_end[SW+2:3], p_lo[2:0], p_end[2:0]}),
    .pop_i(col_pop_i),
    .head_o(col_head),
    .empty_o(col_empty),
    .full_o(col_full),
    .count_o(col_count)
  );

  assign q_pop_o = pop;
  assign col_valid_o = ~col_empty;
  assign {col_a_o, col_j_o, col_w_first_o, col_w_last_o, col_lo_o, col_hi_o} = col_head;
  assign err_o = err_q;
  assign err_backwards_o = err_backwards_q;
  assign err_col_o = err_col_q;
  assign idle_o = ~s1_valid_q & ~s2_valid_q & ~s3_valid_q & ~s4_valid_q & col_empty;
endmodule
`default_nettype wire
