`default_nettype none
// A register with an asynchronous reset that synthesis must not merge with its twins: each
// PE keeps its own copy of a control register of the CCU (same D, same reset value), so the
// net from the CCU fans out to one flip-flop per PE instead of to the logic of every PE.
// Yosys merges flip-flops with equal inputs, but not instantiated TRELLIS_FF cells, so
// synthesis gets those; simulators get the behavioural register.
module eie_dup_reg #(
  parameter integer Width = 1,
  parameter [Width-1:0] ResetValue = {Width{1'b0}}
) (
  input  wire             clk_i,
  input  wire             rst_ni,
  input  wire [Width-1:0] d_i,
  output wire [Width-1:0] q_o
);
`ifdef SYNTHESIS
  genvar i;
  generate
    for (i = 0; i < Width; i = i + 1) begin : g_bit
      TRELLIS_FF #(
        .GSR("AUTO"),
        .CEMUX("1"),
        .CLKMUX("CLK"),
        .LSRMUX("LSR"),
        .REGSET(ResetValue[i] ? "SET" : "RESET"),
        .SRMODE("ASYNC")
      ) u_ff (
        .CLK(clk_i),
        .LSR(~rst_ni),
        .DI(d_i[i]),
        .Q(q_o[i])
      );
    end
  endgenerate
`else
  reg [Width-1:0] q_q;
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      q_q <= ResetValue;
    end else begin
      q_q <= d_i;
    end
  end
  assign q_o = q_q;
`endif
endmodule
`default_nettype wire
