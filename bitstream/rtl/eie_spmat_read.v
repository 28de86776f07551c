`default_nettype none
// Sparse-matrix read unit: walks the 64-bit words of one column after the other (one word
// read per cycle, no gap between columns) and, for every word, precomputes what the entry
// selector needs: which entries belong to the column, which of those are real (v != 0, not
// padding), and each entry's row offset within the column so far (a prefix sum of z + 1).
//
// Entry k of a word is bits 8k+7..8k: relative row index z in the high nibble, codebook
// index v in the low nibble. For the entries lo..hi of a word that belong to the column,
// offs[k] = z[lo] + sum over lo < i <= k of (z[i] + 1), so that entry k's row is the
// column's running row count before this word plus offs[k]; offs[7] is the offset of the
// word's last entry.
module eie_spmat_read #(
  parameter integer SpmatWords = 1024 // words per PE, power of two >= 2
) (
  input  wire                          clk_i,
  input  wire                          rst_ni,
  input  wire                          flush_i,
  // Columns from the pointer read unit.
  input  wire                          col_valid_i,
  input  wire [15:0]                   col_a_i,
  input  wire [15:0]                   col_j_i,
  input  wire [$clog2(SpmatWords)-1:0] col_w_first_i,
  input  wire [$clog2(SpmatWords)-1:0] col_w_last_i,
  input  wire [2:0]                    col_lo_i,
  input  wire [2:0]                    col_hi_i,
  output wire                          col_pop_o,
  // Sparse-matrix RAM read port (read latency 2).
  output wire                          re_o,
  output wire [$clog2(SpmatWords)-1:0] raddr_o,
  input  wire [63:0]                   rdata_i,
  // Words for the entry selector.
  output wire                          wd_valid_o,
  output wire [55:0]                   wd_offs_o,    // 8 x 7-bit row offsets
  output wire [31:0]                   wd_v_o,       // 8 x 4-bit codebook indices
  output wire [7:0]                    wd_useful_o,  // entries in the column with v != 0
  output wire [3:0]                    wd_count_o,   // entries in the column, padding included
  output wire                          wd_first_o,   // first word of its column
  output wire [15:0]                   wd_a_o,
  output wire [15:0]                   wd_j_o,
  input  wire                          wd_pop_i,
  output wire                          idle_o
);
  localparam integer SW = $clog2(SpmatWords);
  localparam integer WF_DEPTH = 4;
  localparam integer WDW = 56 + 32 + 8 + 4 + 1 + 16 + 16;

  // Column walker.
  reg active_q, active_d;
  reg [SW-1:0] w_q, w_d;
  reg [SW-1:0] w_last_q, w_last_d;
  reg [2:0] lo_q, lo_d;
  reg [2:0] hi_q, hi_d;
  reg first_q, first_d;
  reg [15:0] a_q, a_d;
  reg [15:0] j_q, j_d;
  reg pop;

  // Reads in flight.
  reg r1_valid_q, r2_valid_q;
  reg r1_first_q, r2_first_q;
  reg [2:0] r1_lo_q, r2_lo_q;
  reg [2:0] r1_hi_q, r2_hi_q;
  reg [15:0] r1_a_q, r2_a_q;
  reg [15:0] r1_j_q, r2_j_q;

  wire [2:0] wf_count;
  wire wf_empty;
  wire wf_full;
  wire [WDW-1:0] wf_head;

  wire room = ({1'b0, wf_count} + {3'b000, r1_valid_q} + {3'b000, r2_valid_q}) < 4'd4;
  wire issue = active_q & room & ~flush_i;
  wire last_word = (w_q == w_last_q);

  always @* begin
    active_d = active_q;
    w_d = w_q;
    w_last_d = w_last_q;
    lo_d = lo_q;
    hi_d = hi_q;
    first_d = first_q;
    a_d = a_q;
    j_d = j_q;
    pop = 1'b0;
    if (issue && !last_word) begin
      w_d = w_q + 1'b1;
      first_d = 1'b0;
    end
    if ((!active_q || (issue && last_word)) && col_valid_i && !flush_i) begin
      pop = 1'b1;
      active_d = 1'b1;
      w_d = col_w_first_i;
      w_last_d = col_w_last_i;
      lo_d = col_lo_i;
      hi_d = col_hi_i;
      first_d = 1'b1;
      a_d = col_a_i;
      j_d = col_j_i;
    end else if (issue && last_word) begin
      active_d = 1'b0;
    end
    if (flush_i) begin
      active_d = 1'b0;
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      active_q <= 1'b0;
      r1_valid_q <= 1'b0;
      r2_valid_q <= 1'b0;
    end else begin
      active_q <= active_d;
      r1_valid_q <= issue;
      r2_valid_q <= r1_valid_q & ~flush_i;
    end
  end

  always @(posedge clk_i) begin
    w_q <= w_d;
    w_last_q <= w_last_d;
    lo_q <= lo_d;
    hi_q <= hi_d;
    first_q <= first_d;
    a_q <= a_d;
    j_q <= j_d;
    r1_first_q <= first_q;
    r1_lo_q <= first_q ? lo_q : 3'd0;
    r1_hi_q <= last_word ? hi_q : 3'd7;
    r1_a_q <= a_q;
    r1_j_q <= j_q;
    r2_first_q <= r1_first_q;
    r2_lo_q <= r1_lo_q;
    r2_hi_q <= r1_hi_q;
    r2_a_q <= r1_a_q;
    r2_j_q <= r1_j_q;
  end

  // Word analysis, on the word arriving from the RAM.
  reg [7:0] in_col;
  reg [7:0] useful;
  reg [4:0] inc [0:7];
  reg [31:0] v_all;
  integer k;
  always @* begin
    for (k = 0; k < 8; k = k + 1) begin
      in_col[k] = (k[2:0] >= r2_lo_q) && (k[2:0] <= r2_hi_q);
      useful[k] = in_col[k] && (rdata_i[8*k +: 4] != 4'd0);
      v_all[4*k +: 4] = rdata_i[8*k +: 4];
      if (!in_col[k]) begin
        inc[k] = 5'd0;
      end else if (k[2:0] == r2_lo_q) begin
        inc[k] = {1'b0, rdata_i[8*k+4 +: 4]};
      end else begin
        inc[k] = {1'b0, rdata_i[8*k+4 +: 4]} + 5'd1;
      end
    end
  end

  // Prefix sums in three levels (Sklansky): pairs, then quads, then the full word.
  wire [5:0] p01 = {1'b0, inc[0]} + {1'b0, inc[1]};
  wire [5:0] p23 = {1'b0, inc[2]} + {1'b0, inc[3]};
  wire [5:0] p45 = {1'b0, inc[4]} + {1'b0, inc[5]};
  wire [5:0] p67 = {1'b0, inc[6]} + {1'b0, inc[7]};
  wire [6:0] q0 = {2'b00, inc[0]};
  wire [6:0] q1 = {1'b0, p01};
  wire [6:0] q2 = {1'b0, p01} + {2'b00, inc[2]};
  wire [6:0] q3 = {1'b0, p01} + {1'b0, p23};
  wire [6:0] q4 = {2'b00, inc[4]};
  wire [6:0] q5 = {1'b0, p45};
  wire [6:0] q6 = {1'b0, p45} + {2'b00, inc[6]};
  wire [6:0] q7 = {1'b0, p45} + {1'b0, p67};
  // Offsets of one word never exceed 7 * 16 + 15 = 127.
  wire [6:0] o4 = q3 + q4;
  wire [6:0] o5 = q3 + q5;
  wire [6:0] o6 = q3 + q6;
  wire [6:0] o7 = q3 + q7;
  wire [55:0] offs = {o7, o6, o5, o4, q3, q2, q1, q0};
  wire [3:0] count = {1'b0, r2_hi_q} - {1'b0, r2_lo_q} + 4'd1;

  wire push = r2_valid_q & ~flush_i;

  eie_fifo #(
    .Width(WDW),
    .Depth(WF_DEPTH)
  ) u_words (
    .clk_i(clk_i),
    .rst_ni(rst_ni),
    .flush_i(flush_i),
    .push_i(push),
    .data_i({offs, v_all, useful, count, r2_first_q, r2_a_q, r2_j_q}),
    .pop_i(wd_pop_i),
    .head_o(wf_head),
    .empty_o(wf_empty),
    .full_o(wf_full),
    .count_o(wf_count)
  );

  /* verilator lint_off UNUSEDSIGNAL */
  // Fullness is tracked through wf_count together with the reads in flight; the z nibbles
  // are used through inc[].
  wire unused_full = wf_full;
  /* verilator lint_on UNUSEDSIGNAL */

  assign col_pop_o = pop;
  assign re_o = issue;
  assign raddr_o = w_q;
  assign wd_valid_o = ~wf_empty;
  assign {wd_offs_o, wd_v_o, wd_useful_o, wd_count_o, wd_first_o, wd_a_o, wd_j_o} = wf_head;
  assign idle_o = ~active_q & ~r1_valid_q & ~r2_valid_q & wf_empty;
endmodule
`default_nettype wire
