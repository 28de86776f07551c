`default_nettype none
// Sparse-matrix read unit: walks the 64-bit words of one column after the other (one word
// read per cycle, no gap between columns) and turns each word into what the entry selector
// needs: the row before the word and each entry's row offset from it, which entries are real
// entries of the column (v != 0), the codebook indices and the activation.
//
// Entry k of a word is bits 8k+7..8k: relative row index z in the high nibble, codebook
// index v in the low nibble. The row of a column's first entry is its z; every further entry
// is z + 1 rows below the previous one, padding (v == 0) included.
//
//   r0  word address to the RAM; which entries lo..hi of the word belong to the column
//   r1  RAM read
//   r2  word from the RAM, registered (the route from the block RAM ends in a flip-flop)
//   r2a masked z + 1 per entry and the sums of pairs
//   r2b S[k] = sum over lo <= i <= k of (z[i] + 1): the second and third level of the
//       prefix sum (one add level per stage would not fit the clock at 100+ MHz)
//   r3  rows: entry k sits at row m + S[k], with m the column's last row before this word
//       (-1 at the column start); m += S[7]. The entry selector adds m + S[k] for the one
//       entry it hands out, so there is one adder instead of eight. A word whose last entry lands on a row >= rows_i raises
//       ROW_OVERFLOW, which stops the PE before any of its entries is used. A word with no real entry (only padding of
//       the column) is dropped: it only advances m, so padding never costs the entry
//       selector a cycle.
// Reads are issued against credits for the word FIFO, so no decision depends on a sum of
// counts; seven credits keep one word per cycle going with the six cycles from read to
// queue. The FIFO (distributed RAM) keeps of each S[k] only the bits that can be non-zero and
// matter modulo ActEntries (sum_bits); the rest is zero again after it.
module eie_spmat_read #(
  parameter integer SpmatWords = 1024, // words per PE, power of two >= 2
  parameter integer ActEntries = 256,  // rows per PE, power of two >= 2
  parameter integer ColWidth = 16      // column index bits, 1..16 (eie_pe: see JW)
) (
  input  wire                              clk_i,
  input  wire                              rst_ni,
  input  wire                              flush_i,
  input  wire [$clog2(ActEntries):0]       rows_i,
  // An error anywhere in the PE: no further work is taken.
  input  wire                              stop_i,
  // Columns from the pointer read unit.
  input  wire                              col_valid_i,
  input  wire [15:0]                       col_a_i,
  input  wire [ColWidth-1:0]               col_j_i,      // only for ROW_OVERFLOW's column
  input  wire [$clog2(SpmatWords)-1:0]     col_w_first_i,
  input  wire [$clog2(SpmatWords)-1:0]     col_w_last_i,
  input  wire [2:0]                        col_lo_i,
  input  wire [2:0]                        col_hi_i,
  output wire                              col_pop_o,
  // Sparse-matrix RAM read port (read latency 2).
  output wire                              re_o,
  output wire [$clog2(SpmatWords)-1:0]     raddr_o,
  input  wire [63:0]                       rdata_i,
  // Words for the entry selector.
  output wire                              wd_valid_o,
  output wire [63:0]                       wd_sums_o,    // 8 x 8 bits: S[k] mod ActEntries
  output wire [$clog2(ActEntries)-1:0]     wd_base_o,    // m, modulo ActEntries
  output wire [31:0]                       wd_v_o,       // 8 codebook indices
  output wire [7:0]                        wd_useful_o,  // real entries of the column
  output wire [15:0]                       wd_a_o,
  input  wire                              wd_pop_i,
  // Entries of the column (padding included) in the word analysed this cycle.
  output wire [3:0]                        entries_o,
  // Sticky ROW_OVERFLOW (until flush) with the column.
  output wire                              err_o,
  output wire [ColWidth-1:0]               err_col_o,
  output wire                              idle_o
);
  localparam integer SW = $clog2(SpmatWords);
  localparam integer AW = $clog2(ActEntries);
  // Row arithmetic: rows up to ActEntries plus one word's advance (<= 128), and a sign.
  localparam integer RW = ((AW + 1 > 8) ? AW + 1 : 8) + 1;
  localparam integer WF_DEPTH = 7;
  localparam [2:0] WF_CREDITS = 3'd7;

  // Bits of S[k] the word FIFO keeps (distributed RAM costs by the bit): S[0] <= 16,
  // S[1] <= 32, S[2] and S[3] <= 64 and S[4..7] <= 128 fit in 5, 6, 7 and 8 bits, and the
  // entry selector uses S[k] only modulo ActEntries. The other bits are zero after the FIFO.
  function integer sum_bits(input integer k);
    integer b;
    begin
      b = (k == 0) ? 5 : ((k == 1) ? 6 : ((k < 4) ? 7 : 8));
      sum_bits = (b < AW) ? b : AW;
    end
  endfunction

  function integer sum_offset(input integer k);
    integer i;
    integer o;
    begin
      o = 0;
      for (i = 0; i < k; i = i + 1) begin
        o = o + sum_bits(i);
      end
      sum_offset = o;
    end
  endfunction

  localparam integer SUMW = sum_offset(8);
  localparam integer WDW = SUMW + AW + 32 + 8 + 16;

  // ---------------------------------------------------------------- column walker (r0)
  reg active_q, active_d;
  reg [SW-1:0] w_q, w_d;
  reg [SW-1:0] w_last_q, w_last_d;
  // w_q is the column's last word: kept in a register (set when the column is loaded and
  // when w_q steps), so no comparator sits in front of the walker's decisions.
  reg last_word_q, last_word_d;
  reg [2:0] lo_q, lo_d;
  reg [2:0] hi_q, hi_d;
  reg first_q, first_d;
  reg [15:0] a_q, a_d;
  reg [ColWidth-1:0] j_q, j_d;
  reg pop;
  reg [2:0] credits_q, credits_d;

  // Reads and words in flight.
  reg r1_valid_q, r2_valid_q, ra_valid_q, rb_valid_q, r3_valid_q;
  reg r1_first_q, r2_first_q, ra_first_q, rb_first_q, r3_first_q;
  reg [7:0] r1_in_col_q, r2_in_col_q, ra_in_col_q;
  reg [3:0] r1_count_q, r2_count_q, ra_count_q, rb_count_q, r3_count_q;
  reg [15:0] r1_a_q, r2_a_q, ra_a_q, rb_a_q, r3_a_q;
  reg [ColWidth-1:0] r1_j_q, r2_j_q, ra_j_q, rb_j_q, r3_j_q;
  reg [63:0] ra_word_q;

  wire wf_empty;
  wire wf_full;
  wire [2:0] wf_count;
  wire [WDW-1:0] wf_head;
  reg err_q, err_d;
  reg [ColWidth-1:0] err_col_q, err_col_d;

  wire issue = active_q & (credits_q != 3'd0) & ~stop_i & ~flush_i;

  // Entries lo..hi of the word being issued belong to the column.
  wire [2:0] lo_now = first_q ? lo_q : 3'd0;
  wire [2:0] hi_now = last_word_q ? hi_q : 3'd7;
  reg [7:0] in_col_now;
  integer k;
  always @* begin
    for (k = 0; k < 8; k = k + 1) begin
      in_col_now[k] = (k[2:0] >= lo_now) && (k[2:0] <= hi_now);
    end
  end

  always @* begin
    active_d = active_q;
    w_d = w_q;
    w_last_d = w_last_q;
    last_word_d = last_word_q;
    lo_d = lo_q;
    hi_d = hi_q;
    first_d = first_q;
    a_d = a_q;
    j_d = j_q;
    pop = 1'b0;
    if (issue && !last_word_q) begin
      w_d = w_q + 1'b1;
      last_word_d = (w_d == w_last_q);
      first_d = 1'b0;
    end
    if ((!active_q || (issue && last_word_q)) && col_valid_i && !flush_i && !stop_i) begin
      pop = 1'b1;
      active_d = 1'b1;
      w_d = col_w_first_i;
      w_last_d = col_w_last_i;
      last_word_d = (col_w_first_i == col_w_last_i);
      lo_d = col_lo_i;
      hi_d = col_hi_i;
      first_d = 1'b1;
      a_d = col_a_i;
      j_d = col_j_i;
    end else if (issue && last_word_q) begin
      active_d = 1'b0;
    end
    if (flush_i) begin
      active_d = 1'b0;
    end
  end

  // ---------------------------------------------------------------- r2a: prefix sums
  // z + 1 in plain logic: as an adder it would be a carry chain of its own, and each chain
  // costs the packer some five LUT4s besides its own.
  function [4:0] plus_one(input [3:0] z);
    begin
      plus_one = {&z, z[3] ^ (&z[2:0]), z[2] ^ (&z[1:0]), z[1] ^ z[0], ~z[0]};
    end
  endfunction

  reg [7:0] useful;
  reg [4:0] inc [0:7];
  reg [31:0] v_all;
  always @* begin
    for (k = 0; k < 8; k = k + 1) begin
      useful[k] = ra_in_col_q[k] && (ra_word_q[8*k +: 4] != 4'd0);
      v_all[4*k +: 4] = ra_word_q[8*k +: 4];
      inc[k] = ra_in_col_q[k] ? plus_one(ra_word_q[8*k+4 +: 4]) : 5'd0;
    end
  end

  // Sklansky prefix: pairs (r2a), then quads and the word (r2b). Sums never exceed
  // 8 * 16 = 128.
  wire [5:0] p01 = {1'b0, inc[0]} + {1'b0, inc[1]};
  wire [5:0] p23 = {1'b0, inc[2]} + {1'b0, inc[3]};
  wire [5:0] p45 = {1'b0, inc[4]} + {1'b0, inc[5]};
  wire [5:0] p67 = {1'b0, inc[6]} + {1'b0, inc[7]};
  reg [4:0] rb_inc0_q, rb_inc2_q, rb_inc4_q, rb_inc6_q;
  reg [5:0] rb_p01_q, rb_p23_q, rb_p45_q, rb_p67_q;
  reg [7:0] rb_useful_q;
  reg [31:0] rb_v_q;

  wire [6:0] q2 = {1'b0, rb_p01_q} + {2'b00, rb_inc2_q};
  wire [6:0] q3 = {1'b0, rb_p01_q} + {1'b0, rb_p23_q};
  wire [6:0] q6 = {1'b0, rb_p45_q} + {2'b00, rb_inc6_q};
  wire [6:0] q7 = {1'b0, rb_p45_q} + {1'b0, rb_p67_q};
  wire [7:0] s4 = {1'b0, q3} + {3'b000, rb_inc4_q};
  wire [7:0] s5 = {1'b0, q3} + {2'b00, rb_p45_q};
  wire [7:0] s6 = {1'b0, q3} + {1'b0, q6};
  wire [7:0] s7 = {1'b0, q3} + {1'b0, q7};
  wire [63:0] sums = {s7, s6, s5, s4, 1'b0, q3, 1'b0, q2, 2'b00, rb_p01_q, 3'b000, rb_inc0_q};

  reg [63:0] r3_sums_q;
  reg [7:0] r3_useful_q;
  reg [31:0] r3_v_q;

  // ---------------------------------------------------------------- r3: rows
  reg [RW-1:0] m_q, m_d;
  reg [RW-1:0] room_q, room_d;
  wire [RW-1:0] rows_ext = {{(RW - AW - 1){1'b0}}, rows_i};
  wire [RW-1:0] base_m = r3_first_q ? {RW{1'b1}} : m_q;
  wire [RW-1:0] base_room = r3_first_q ? rows_ext : room_q;
  wire [RW-1:0] total = {{(RW - 8){1'b0}}, r3_sums_q[63:56]};
  wire overflow = r3_valid_q & (total > base_room);
  // A word that overflows is queued like a good one (the check stays off this path): its
  // error stops the PE (stop_i) before the entry selector hands out any of its entries.
  wire push = r3_valid_q & (r3_useful_q != 8'd0) & ~stop_i & ~flush_i;
  wire drop = r3_valid_q & ~push;

  /* verilator lint_off UNUSEDSIGNAL */
  // Only the low AW bits of m travel on: a row of a word that does not overflow is below
  // rows_i <= ActEntries, so the selector's sum modulo ActEntries is exact.
  wire unused_base_high = |base_m[RW-1:AW];
  /* verilator lint_on UNUSEDSIGNAL */

  always @* begin
    m_d = m_q;
    room_d = room_q;
    err_d = err_q;
    err_col_d = err_col_q;
    if (r3_valid_q) begin
      m_d = base_m + total;
      room_d = base_room - total;
    end
    if (overflow && !err_q) begin
      err_d = 1'b1;
      err_col_d = r3_j_q;
    end
    if (flush_i) begin
      err_d = 1'b0;
    end
  end

  // Credits: one per word FIFO slot, taken by a read, given back when the word leaves the
  // FIFO or is dropped.
  always @* begin
    // Net change -1 .. +2, chosen among increments computed in parallel.
    case ({issue, wd_pop_i & ~wf_empty, drop})
      3'b100:                 credits_d = credits_q - 3'd1;
      3'b010, 3'b001, 3'b111: credits_d = credits_q + 3'd1;
      3'b011:                 credits_d = credits_q + 3'd2;
      default:                credits_d = credits_q;
    endcase
    if (flush_i) begin
      credits_d = WF_CREDITS;
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      active_q <= 1'b0;
      credits_q <= WF_CREDITS;
      r1_valid_q <= 1'b0;
      r2_valid_q <= 1'b0;
      ra_valid_q <= 1'b0;
      rb_valid_q <= 1'b0;
      r3_valid_q <= 1'b0;
      err_q <= 1'b0;
      err_col_q <= {ColWidth{1'b0}};
    end else begin
      active_q <= active_d;
      credits_q <= credits_d;
      r1_valid_q <= issue;
      r2_valid_q <= r1_valid_q & ~flush_i;
      ra_valid_q <= r2_valid_q & ~flush_i;
      rb_valid_q <= ra_valid_q & ~flush_i;
      r3_valid_q <= rb_valid_q & ~flush_i;
      err_q <= err_d;
      err_col_q <= err_col_d;
    end
  end

  always @(posedge clk_i) begin
    w_q <= w_d;
    w_last_q <= w_last_d;
    last_word_q <= last_word_d;
    lo_q <= lo_d;
    hi_q <= hi_d;
    first_q <= first_d;
    a_q <= a_d;
    j_q <= j_d;
    r1_first_q <= first_q;
    r1_in_col_q <= in_col_now;
    r1_count_q <= {1'b0, hi_now} - {1'b0, lo_now} + 4'd1;
    r1_a_q <= a_q;
    r1_j_q <= j_q;
    r2_first_q <= r1_first_q;
    r2_in_col_q <= r1_in_col_q;
    r2_count_q <= r1_count_q;
    r2_a_q <= r1_a_q;
    r2_j_q <= r1_j_q;
    ra_first_q <= r2_first_q;
    ra_in_col_q <= r2_in_col_q;
    ra_count_q <= r2_count_q;
    ra_a_q <= r2_a_q;
    ra_j_q <= r2_j_q;
    ra_word_q <= rdata_i;
    rb_first_q <= ra_first_q;
    rb_count_q <= ra_count_q;
    rb_a_q <= ra_a_q;
    rb_j_q <= ra_j_q;
    rb_inc0_q <= inc[0];
    rb_inc2_q <= inc[2];
    rb_inc4_q <= inc[4];
    rb_inc6_q <= inc[6];
    rb_p01_q <= p01;
    rb_p23_q <= p23;
    rb_p45_q <= p45;
    rb_p67_q <= p67;
    rb_useful_q <= useful;
    rb_v_q <= v_all;
    r3_first_q <= rb_first_q;
    r3_count_q <= rb_count_q;
    r3_a_q <= rb_a_q;
    r3_j_q <= rb_j_q;
    r3_sums_q <= sums;
    r3_useful_q <= rb_useful_q;
    r3_v_q <= rb_v_q;
    m_q <= m_d;
    room_q <= room_d;
  end

  // The prefix sums packed for the word FIFO (sum_bits(k) bits of S[k]) and unpacked after
  // it.
  wire [SUMW-1:0] sums_in;
  wire [SUMW-1:0] sums_out;
  genvar g;
  generate
    for (g = 0; g < 8; g = g + 1) begin : g_sums
      localparam integer B = sum_bits(g);
      localparam integer O = sum_offset(g);
      assign sums_in[O +: B] = r3_sums_q[8*g +: B];
      if (B < 8) begin : g_pad
        assign wd_sums_o[8*g +: 8] = {{(8 - B){1'b0}}, sums_out[O +: B]};
        /* verilator lint_off UNUSEDSIGNAL */
        // Zero, or not needed modulo ActEntries (see sum_bits).
        wire unused_sum_high = |r3_sums_q[8*g+B +: 8-B];
        /* verilator lint_on UNUSEDSIGNAL */
      end else begin : g_full
        assign wd_sums_o[8*g +: 8] = sums_out[O +: 8];
      end
    end
  endgenerate

  eie_fifo #(
    .Width(WDW),
    .Depth(WF_DEPTH)
  ) u_words (
    .clk_i(clk_i),
    .rst_ni(rst_ni),
    .flush_i(flush_i),
    .push_i(push),
    .data_i({sums_in, base_m[AW-1:0], r3_v_q, r3_useful_q, r3_a_q}),
    .pop_i(wd_pop_i),
    .head_o(wf_head),
    .empty_o(wf_empty),
    .full_o(wf_full),
    .count_o(wf_count)
  );

  /* verilator lint_off UNUSEDSIGNAL */
  // Room is tracked by the credits.
  wire unused_fifo = wf_full ^ |wf_count;
  /* verilator lint_on UNUSEDSIGNAL */

  assign col_pop_o = pop;
  assign re_o = issue;
  assign raddr_o = w_q;
  assign wd_valid_o = ~wf_empty;
  assign {sums_out, wd_base_o, wd_v_o, wd_useful_o, wd_a_o} = wf_head;
  assign entries_o = r3_valid_q ? r3_count_q : 4'd0;
  assign err_o = err_q;
  assign err_col_o = err_col_q;
  assign idle_o = ~active_q & ~r1_valid_q & ~r2_valid_q & ~ra_valid_q & ~rb_valid_q &
                  ~r3_valid_q & wf_empty;
endmodule
`default_nettype wire
