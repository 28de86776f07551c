`default_nettype none
// Entry selector, the front of the arithmetic unit: holds one sparse-matrix word and hands
// its real entries (v != 0) to the multiply-accumulate pipeline, one per cycle, lowest
// first. Padding entries (v == 0) only advance the row and cost no cycle. When the last
// real entry of a word leaves, the next word is loaded in the same cycle, so words and
// columns follow each other without a gap.
//
// Row bookkeeping per column: n = rows of this PE consumed so far (0 at the column start);
// entry k of a word sits at row n + offs[k], and after the word n += offs[7] + 1. A word
// whose last entry would land on a row >= rows (the PE's rows of the layer) raises
// ROW_OVERFLOW and none of its entries is issued.
module eie_entry_select #(
  parameter integer ActEntries = 256 // accumulator rows per PE, power of two >= 2
) (
  input  wire                          clk_i,
  input  wire                          rst_ni,
  input  wire                          flush_i,
  input  wire [$clog2(ActEntries):0]   rows_i,
  // Words from the sparse-matrix read unit.
  input  wire                          wd_valid_i,
  input  wire [55:0]                   wd_offs_i,
  input  wire [31:0]                   wd_v_i,
  input  wire [7:0]                    wd_useful_i,
  input  wire [3:0]                    wd_count_i,
  input  wire                          wd_first_i,
  input  wire [15:0]                   wd_a_i,
  input  wire [15:0]                   wd_j_i,
  output wire                          wd_pop_o,
  // Entries processed (padding included) by this cycle's load.
  output wire [3:0]                    loaded_o,
  // One real entry per cycle to the multiply-accumulate pipeline.
  output wire                          e_valid_o,
  output wire [$clog2(ActEntries)-1:0] e_row_o,
  output wire [3:0]                    e_v_o,
  output wire [15:0]                   e_a_o,
  // Sticky ROW_OVERFLOW (until flush) with the column.
  output wire                          err_o,
  output wire [15:0]                   err_col_o,
  output wire                          idle_o
);
  localparam integer AW = $clog2(ActEntries);
  localparam integer RW = (AW + 1 > 8) ? AW + 1 : 8;

  reg [7:0] mask_q, mask_d;
  reg [8*AW-1:0] rows_q, rows_d;
  reg [31:0] v_q, v_d;
  reg [15:0] a_q, a_d;
  reg [RW-1:0] n_q, n_d;
  reg [RW-1:0] room_q, room_d;
  reg err_q, err_d;
  reg [15:0] err_col_q, err_col_d;
  reg e_valid_q;
  reg [AW-1:0] e_row_q, e_row_d;
  reg [3:0] e_v_q, e_v_d;
  reg [15:0] e_a_q;

  wire [7:0] onehot = mask_q & (~mask_q + 8'd1);
  wire [7:0] rest = mask_q & ~onehot;
  wire load = (rest == 8'd0) & wd_valid_i & ~err_q & ~flush_i;
  wire emit = (mask_q != 8'd0) & ~err_q & ~flush_i;

  wire [RW-1:0] rows_ext;
  generate
    if (RW > AW + 1) begin : g_rows_pad
      assign rows_ext = {{(RW - AW - 1){1'b0}}, rows_i};
    end else begin : g_rows_same
      assign rows_ext = rows_i;
    end
  endgenerate
  wire [RW-1:0] base_n = wd_first_i ? {RW{1'b0}} : n_q;
  wire [RW-1:0] base_room = wd_first_i ? rows_ext : room_q;
  wire [RW-1:0] last = {{(RW - 7){1'b0}}, wd_offs_i[55:49]};
  wire overflow = (last >= base_room);

  // Rows of the eight entries of the word being loaded. Only used when the word does not
  // overflow, and then every row is below rows_i <= ActEntries, so the low AW bits are exact.
  wire [8*AW-1:0] rows_new;
  genvar g;
  generate
    for (g = 0; g < 8; g = g + 1) begin : g_row
      wire [RW-1:0] row_full = base_n + {{(RW - 7){1'b0}}, wd_offs_i[g*7 +: 7]};
      assign rows_new[g*AW +: AW] = row_full[AW-1:0];
      if (RW > AW) begin : g_high
        /* verilator lint_off UNUSEDSIGNAL */
        wire unused_row_high = |row_full[RW-1:AW];
        /* verilator lint_on UNUSEDSIGNAL */
      end
    end
  endgenerate

  integer k;
  always @* begin
    mask_d = rest;
    rows_d = rows_q;
    v_d = v_q;
    a_d = a_q;
    n_d = n_q;
    room_d = room_q;
    err_d = err_q;
    err_col_d = err_col_q;
    if (load) begin
      rows_d = rows_new;
      v_d = wd_v_i;
      a_d = wd_a_i;
      n_d = base_n + last + 1'b1;
      room_d = base_room - last - 1'b1;
      if (overflow) begin
        mask_d = 8'd0;
        err_d = 1'b1;
        err_col_d = wd_j_i;
      end else begin
        mask_d = wd_useful_i;
      end
    end
    e_row_d = {AW{1'b0}};
    e_v_d = 4'd0;
    for (k = 0; k < 8; k = k + 1) begin
      if (onehot[k]) begin
        e_row_d = e_row_d | rows_q[k*AW +: AW];
        e_v_d = e_v_d | v_q[4*k +: 4];
      end
    end
    if (flush_i) begin
      mask_d = 8'd0;
      err_d = 1'b0;
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      mask_q <= 8'd0;
      err_q <= 1'b0;
      err_col_q <= 16'd0;
      e_valid_q <= 1'b0;
    end else begin
      mask_q <= mask_d;
      err_q <= err_d;
      err_col_q <= err_col_d;
      e_valid_q <= emit;
    end
  end

  always @(posedge clk_i) begin
    rows_q <= rows_d;
    v_q <= v_d;
    a_q <= a_d;
    n_q <= n_d;
    room_q <= room_d;
    e_row_q <= e_row_d;
    e_v_q <= e_v_d;
    e_a_q <= a_q;
  end

  assign wd_pop_o = load;
  assign loaded_o = load ? wd_count_i : 4'd0;
  assign e_valid_o = e_valid_q;
  assign e_row_o = e_row_q;
  assign e_v_o = e_v_q;
  assign e_a_o = e_a_q;
  assign err_o = err_q;
  assign err_col_o = err_col_q;
  assign idle_o = (mask_q == 8'd0) & ~e_valid_q;
endmodule
`default_nettype wire
