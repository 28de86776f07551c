`default_nettype none
// Signed 16 x 16 -> 32-bit multiplier with registered inputs and a registered product
// (latency 2), the shape Yosys maps to one ECP5 MULT18X18D.
module eie_mul16 (
  input  wire        clk_i,
  input  wire [15:0] a_i,
  input  wire [15:0] b_i,
  output wire [31:0] p_o
);
  reg signed [15:0] a_q;
  reg signed [15:0] b_q;
  reg signed [31:0] p_q;

  always @(posedge clk_i) begin
    a_q <= a_i;
    b_q <= b_i;
    p_q <= a_q * b_q;
  end

  assign p_o = p_q;
endmodule
`default_nettype wire
