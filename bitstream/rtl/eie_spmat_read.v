`default_nettype none
// Sparse-matrix read unit: walks the 64-bit words of one column after the other (one word
// read per cycle, no gap between columns) and turns each word into what the entry selector
// needs: the local row of each of its eight entries, which of them are real entries of the
// column (v != 0), the codebook indices and the activation.
//
// Entry k of a word is bits 8k+7..8k: relative row index z in the high nibble, codebook
// index v in the low nibble. The running row of a column starts at z of its first entry and
// advances by z + 1 per entry, padding (v == 0) included.
//
//   r0  word address to the RAM
//   r1  RAM read
//   r2  word from the RAM: entries lo..hi belong to the column; offs[k] = z[lo] +
//       sum over lo < i <= k of (z[i] + 1), a three-level prefix sum
//   r3  rows: row[k] = n + offs[k], with n the column's rows consumed before this word;
//       n += offs[7] + 1. A word whose last entry lands on a row >= rows_i raises
//       ROW_OVERFLOW and is dropped. A word with no real entry (only padding of the
//       column) is dropped too: it only advances n, so padding never costs the entry
//       selector a cycle.
module eie_spmat_read #(
  parameter integer SpmatWords = 1024, // words per PE, power of two >= 2
  parameter integer ActEntries = 256   // rows per PE, power of two >= 2
) (
  input  wire                              clk_i,
  input  wire                              rst_ni,
  input  wire                              flush_i,
  input  wire [$clog2(ActEntries):0]       rows_i,
  // Columns from the pointer read unit.
  input  wire                              col_valid_i,
  input  wire [15:0]                       col_a_i,
  input  wire [15:0]                       col_j_i,
  input  wire [$clog2(SpmatWords)-1:0]     col_w_first_i,
  input  wire [$clog2(SpmatWords)-1:0]     col_w_last_i,
  input  wire [2:0]                        col_lo_i,
  input  wire [2:0]                        col_hi_i,
  output wire                              col_pop_o,
  // Sparse-matrix RAM read port (read latency 2).
  output wire                              re_o,
  output wire [$clog2(SpmatWords)-1:0]     raddr_o,
  input  wire [63:0]                       rdata_i,
  // Words with at least one real entry, for the entry selector.
  output wire                              wd_valid_o,
  output wire [8*$clog2(ActEntries)-1:0]   wd_rows_o,    // 8 local rows
  output wire [31:0]                       wd_v_o,       // 8 codebook indices
  output wire [7:0]                        wd_useful_o,  // real entries of the column
  output wire [15:0]                       wd_a_o,
  input  wire                              wd_pop_i,
  // Entries of the column (padding included) in the word analysed this cycle.
  output wire [3:0]                        entries_o,
  // Sticky ROW_OVERFLOW (until flush) with the column.
  output wire                              err_o,
  output wire [15:0]                       err_col_o,
  output wire                              idle_o
);
  localparam integer SW = $clog2(SpmatWords);
  localparam integer AW = $clog2(ActEntries);
  localparam integer RW = (AW + 1 > 8) ? AW + 1 : 8;
  localparam integer WF_DEPTH = 5;
  localparam [31:0] WF_DEPTH32 = WF_DEPTH;
  localparam integer WDW = 8 * AW + 32 + 8 + 16;

  // ---------------------------------------------------------------- column walker (r0)
  reg active_q, active_d;
  reg [SW-1:0] w_q, w_d;
  reg [SW-1:0] w_last_q, w_last_d;
  reg [2:0] lo_q, lo_d;
  reg [2:0] hi_q, hi_d;
  reg first_q, first_d;
  reg [15:0] a_q, a_d;
  reg [15:0] j_q, j_d;
  reg pop;

  // Reads and words in flight.
  reg r1_valid_q, r2_valid_q, r3_valid_q;
  reg r1_first_q, r2_first_q, r3_first_q;
  reg [2:0] r1_lo_q, r2_lo_q;
  reg [2:0] r1_hi_q, r2_hi_q;
  reg [15:0] r1_a_q, r2_a_q, r3_a_q;
  reg [15:0] r1_j_q, r2_j_q, r3_j_q;

  wire [2:0] wf_count;
  wire wf_empty;
  wire wf_full;
  wire [WDW-1:0] wf_head;
  reg err_q, err_d;
  reg [15:0] err_col_q, err_col_d;

  // Room in the word FIFO for this read and every word in flight.
  wire [3:0] in_flight = {1'b0, wf_count} + {3'b000, r1_valid_q} + {3'b000, r2_valid_q} +
                         {3'b000, r3_valid_q};
  wire issue = active_q & (in_flight < WF_DEPTH32[3:0]) & ~err_q & ~flush_i;
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
    if ((!active_q || (issue && last_word)) && col_valid_i && !flush_i && !err_q) begin
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

  // ---------------------------------------------------------------- r2: prefix sums
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

  // Sklansky prefix: pairs, then quads, then the word. Offsets never exceed
  // 15 + 7 * 16 = 127.
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
  wire [55:0] offs = {q3 + q7, q3 + q6, q3 + q5, q3 + q4, q3, q2, q1, q0};
  wire [3:0] count = {1'b0, r2_hi_q} - {1'b0, r2_lo_q} + 4'd1;

  reg [55:0] r3_offs_q;
  reg [7:0] r3_useful_q;
  reg [31:0] r3_v_q;
  reg [3:0] r3_count_q;

  // ---------------------------------------------------------------- r3: rows
  reg [RW-1:0] n_q, n_d;
  wire [RW-1:0] rows_ext;
  generate
    if (RW > AW + 1) begin : g_rows_pad
      assign rows_ext = {{(RW - AW - 1){1'b0}}, rows_i};
    end else begin : g_rows_same
      assign rows_ext = rows_i;
    end
  endgenerate
  wire [RW-1:0] base = r3_first_q ? {RW{1'b0}} : n_q;
  wire [RW-1:0] last_row = base + {{(RW - 7){1'b0}}, r3_offs_q[55:49]};
  wire overflow = r3_valid_q & (last_row >= rows_ext);
  wire push = r3_valid_q & ~overflow & (r3_useful_q != 8'd0) & ~err_q & ~flush_i;

  // Rows of the eight entries. Only pushed when the word does not overflow, and then every
  // row of the column is below rows_i <= ActEntries, so the low AW bits are exact.
  wire [8*AW-1:0] rows_new;
  genvar g;
  generate
    for (g = 0; g < 8; g = g + 1) begin : g_row
      wire [RW-1:0] row_full = base + {{(RW - 7){1'b0}}, r3_offs_q[g*7 +: 7]};
      assign rows_new[g*AW +: AW] = row_full[AW-1:0];
      /* verilator lint_off UNUSEDSIGNAL */
      wire unused_row_high = |row_full[RW-1:AW];
      /* verilator lint_on UNUSEDSIGNAL */
    end
  endgenerate

  always @* begin
    n_d = n_q;
    err_d = err_q;
    err_col_d = err_col_q;
    if (r3_valid_q) begin
      n_d = last_row + 1'b1;
    end
    if (overflow && !err_q) begin
      err_d = 1'b1;
      err_col_d = r3_j_q;
    end
    if (flush_i) begin
      err_d = 1'b0;
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      active_q <= 1'b0;
      r1_valid_q <= 1'b0;
      r2_valid_q <= 1'b0;
      r3_valid_q <= 1'b0;
      err_q <= 1'b0;
      err_col_q <= 16'd0;
    end else begin
      active_q <= active_d;
      r1_valid_q <= issue;
      r2_valid_q <= r1_valid_q & ~flush_i;
      r3_valid_q <= r2_valid_q & ~flush_i;
      err_q <= err_d;
      err_col_q <= err_col_d;
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
    r3_first_q <= r2_first_q;
    r3_a_q <= r2_a_q;
    r3_j_q <= r2_j_q;
    r3_offs_q <= offs;
    r3_useful_q <= useful;
    r3_v_q <= v_all;
    r3_count_q <= count;
    n_q <= n_d;
  end

  eie_fifo #(
    .Width(WDW),
    .Depth(WF_DEPTH)
  ) u_words (
    .clk_i(clk_i),
    .rst_ni(rst_ni),
    .flush_i(flush_i),
    .push_i(push),
    .data_i({rows_new, r3_v_q, r3_useful_q, r3_a_q}),
    .pop_i(wd_pop_i),
    .head_o(wf_head),
    .empty_o(wf_empty),
    .full_o(wf_full),
    .count_o(wf_count)
  );

  /* verilator lint_off UNUSEDSIGNAL */
  // Fullness is tracked through wf_count together with the words in flight; the offsets
  // below the last are used through rows_new.
  wire unused_full = wf_full;
  /* verilator lint_on UNUSEDSIGNAL */

  assign col_pop_o = pop;
  assign re_o = issue;
  assign raddr_o = w_q;
  assign wd_valid_o = ~wf_empty;
  assign {wd_rows_o, wd_v_o, wd_useful_o, wd_a_o} = wf_head;
  assign entries_o = r3_valid_q ? r3_count_q : 4'd0;
  assign err_o = err_q;
  assign err_col_o = err_col_q;
  assign idle_o = ~active_q & ~r1_valid_q & ~r2_valid_q & ~r3_valid_q & wf_empty;
endmodule
`default_nettype wire
