`default_nettype none
// Arithmetic unit: b[row] += S[v] * a for one entry per cycle.
//
//   t0  codebook lookup S[v] (distributed RAM), accumulator read address
//   t1  multiply (input registers), accumulator read
//   t2  product register; accumulator read data; choose the bypass source
//   t3  add (48 bits)
//   t4  accumulator write
//
// An entry issued at t0 reads the accumulator memory at the end of t0, which does not yet
// hold the sums computed in the four cycles before its own add (t0-1 .. t0+2). Those come
// from the bypass: the three sums of t0-1 .. t0+1 are kept in a short history and matched
// by row in t2; the sum of t0+2 (the entry just ahead, the paper's back-to-back case) is
// selected in t3 by a flag computed in t2. The newest matching sum wins.
module eie_arith #(
  parameter integer ActEntries = 256 // accumulator rows per PE, power of two >= 2
) (
  input  wire                          clk_i,
  input  wire                          rst_ni,
  input  wire                          flush_i,
  // Entries from the entry selector.
  input  wire                          e_valid_i,
  input  wire [$clog2(ActEntries)-1:0] e_row_i,
  input  wire [3:0]                    e_v_i,
  input  wire [15:0]                   e_a_i,
  // Codebook load (one layer's 16 shared weights).
  input  wire                          cb_we_i,
  input  wire [3:0]                    cb_addr_i,
  input  wire [15:0]                   cb_data_i,
  // Accumulator memory (read latency 2).
  output wire                          acc_re_o,
  output wire [$clog2(ActEntries)-1:0] acc_raddr_o,
  input  wire [47:0]                   acc_rdata_i,
  output wire                          acc_we_o,
  output wire [$clog2(ActEntries)-1:0] acc_waddr_o,
  output wire [47:0]                   acc_wdata_o,
  output wire                          idle_o
);
  localparam integer AW = $clog2(ActEntries);

  // t0: codebook lookup.
  reg [15:0] codebook [0:15];
  always @(posedge clk_i) begin
    if (cb_we_i) begin
      codebook[cb_addr_i] <= cb_data_i;
    end
  end
  wire [15:0] weight = codebook[e_v_i];

  wire [31:0] product;
  eie_mul16 u_mul (
    .clk_i(clk_i),
    .a_i(weight),
    .b_i(e_a_i),
    .p_o(product)
  );

  reg v1_q, v2_q, v3_q;
  reg [AW-1:0] row1_q, row2_q, row3_q;
  reg [31:0] p3_q;
  reg [47:0] pre_q, pre_d;
  reg prev_q, prev_d;
  // History of recent sums: h1 is the newest (the sum computed in the previous cycle).
  reg h1_valid_q, h2_valid_q, h3_valid_q;
  reg [AW-1:0] h1_row_q, h2_row_q, h3_row_q;
  reg [47:0] h1_sum_q, h2_sum_q, h3_sum_q;

  // t2: bypass source for the entry in stage 2.
  always @* begin
    if (h1_valid_q && h1_row_q == row2_q) begin
      pre_d = h1_sum_q;
    end else if (h2_valid_q && h2_row_q == row2_q) begin
      pre_d = h2_sum_q;
    end else if (h3_valid_q && h3_row_q == row2_q) begin
      pre_d = h3_sum_q;
    end else begin
      pre_d = acc_rdata_i;
    end
    prev_d = v3_q && (row3_q == row2_q);
  end

  // t3: add.
  wire [47:0] operand = prev_q ? h1_sum_q : pre_q;
  wire [47:0] sum = operand + {{16{p3_q[31]}}, p3_q};

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v1_q <= 1'b0;
      v2_q <= 1'b0;
      v3_q <= 1'b0;
      h1_valid_q <= 1'b0;
      h2_valid_q <= 1'b0;
      h3_valid_q <= 1'b0;
    end else begin
      v1_q <= e_valid_i & ~flush_i;
      v2_q <= v1_q & ~flush_i;
      v3_q <= v2_q & ~flush_i;
      h1_valid_q <= v3_q & ~flush_i;
      h2_valid_q <= h1_valid_q & ~flush_i;
      h3_valid_q <= h2_valid_q & ~flush_i;
    end
  end

  always @(posedge clk_i) begin
    row1_q <= e_row_i;
    row2_q <= row1_q;
    row3_q <= row2_q;
    p3_q <= product;
    pre_q <= pre_d;
    prev_q <= prev_d;
    h1_row_q <= row3_q;
    h1_sum_q <= sum;
    h2_row_q <= h1_row_q;
    h2_sum_q <= h1_sum_q;
    h3_row_q <= h2_row_q;
    h3_sum_q <= h2_sum_q;
  end

  assign acc_re_o = e_valid_i;
  assign acc_raddr_o = e_row_i;
  // t4: write back the sum of the previous cycle.
  assign acc_we_o = h1_valid_q;
  assign acc_waddr_o = h1_row_q;
  assign acc_wdata_o = h1_sum_q;
  assign idle_o = ~v1_q & ~v2_q & ~v3_q & ~h1_valid_q;
endmodule
`default_nettype wire
