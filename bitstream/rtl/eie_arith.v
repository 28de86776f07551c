`default_nettype none
// Arithmetic unit: b[row] += S[v] * a for one entry per cycle.
//
//   t0  codebook lookup S[v] (distributed RAM), accumulator read address
//   t1  multiply (input registers), accumulator read; bypass match by row
//   t2  product register; accumulator read data; bypass source selected
//   t3  add (48 bits)
//   t4  accumulator write
//
// An entry issued at t0 reads the accumulator memory at the end of t0, which does not yet
// hold the sums computed in the four cycles before its own add (t0-1 .. t0+2). Those come
// from the bypass: the three sums of t0-1 .. t0+1 are kept in a short history (h3, h2, h1 at
// t2) and the sum of t0+2 (the entry just ahead, the paper's back-to-back case) is taken
// straight from the adder's register in t3. Rows are compared in t1, so t2 and t3 only
// select; the newest matching sum wins.
module eie_arith #(
  parameter integer ActEntries = 256 // accumulator rows per PE, power of two >= 2
) (
  input  wire                          clk_i,
  input  wire                          rst_ni,
  input  wire                          flush_i,
  // Outside the compute phase the sum register holds zero (a synchronous reset), so the
  // write-back and clearing write zeros through the same write data (no 48-bit multiplexer).
  // The CCU starts clearing one cycle after reset, when this register is already zero.
  input  wire                          zero_i,
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
  reg prev2_q, prev3_q;
  reg [3:0] src2_q, src2_d;
  // History of recent sums: h1 is the newest (the sum computed in the previous cycle).
  reg h1_valid_q, h2_valid_q;
  reg [AW-1:0] h1_row_q, h2_row_q;
  reg [47:0] h1_sum_q, h2_sum_q, h3_sum_q;

  // t1: match the entry in stage 1 against the sums that will be h1, h2, h3 when it reaches
  // stage 2 (computed now in stage 3, h1 and h2), and against the entry in stage 2, whose
  // sum is made in the cycle before this entry's add. One-hot source for stage 2: h1, h2,
  // h3 or the memory, newest first.
  wire m1 = v3_q && (row3_q == row1_q);
  wire m2 = h1_valid_q && (h1_row_q == row1_q);
  wire m3 = h2_valid_q && (h2_row_q == row1_q);
  always @* begin
    if (m1) begin
      src2_d = 4'b0001;
    end else if (m2) begin
      src2_d = 4'b0010;
    end else if (m3) begin
      src2_d = 4'b0100;
    end else begin
      src2_d = 4'b1000;
    end
  end
  wire prev1 = v2_q && (row2_q == row1_q);

  // t2: bypass source for the entry in stage 2.
  always @* begin
    pre_d = ({48{src2_q[0]}} & h1_sum_q) | ({48{src2_q[1]}} & h2_sum_q) |
            ({48{src2_q[2]}} & h3_sum_q) | ({48{src2_q[3]}} & acc_rdata_i);
  end

  // t3: add.
  wire [47:0] operand = prev3_q ? h1_sum_q : pre_q;
  wire [47:0] sum = operand + {{16{p3_q[31]}}, p3_q};

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v1_q <= 1'b0;
      v2_q <= 1'b0;
      v3_q <= 1'b0;
      h1_valid_q <= 1'b0;
      h2_valid_q <= 1'b0;
    end else begin
      v1_q <= e_valid_i & ~flush_i;
      v2_q <= v1_q & ~flush_i;
      v3_q <= v2_q & ~flush_i;
      h1_valid_q <= v3_q & ~flush_i;
      h2_valid_q <= h1_valid_q & ~flush_i;
    end
  end

  always @(posedge clk_i) begin
    row1_q <= e_row_i;
    row2_q <= row1_q;
    row3_q <= row2_q;
    p3_q <= product;
    pre_q <= pre_d;
    src2_q <= src2_d;
    prev2_q <= prev1;
    prev3_q <= prev2_q;
    h1_row_q <= row3_q;
    h1_sum_q <= zero_i ? 48'd0 : sum;
    h2_row_q <= h1_row_q;
    h2_sum_q <= h1_sum_q;
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
