`default_nettype none
// Pipelined OR over many inputs: groups of up to 8 are ORed and registered, level after
// level, so no level has more than three LUTs of logic between flip-flops however many PEs
// there are. The output is the OR of the inputs as they were Levels cycles earlier.
module eie_reduce_or #(
  parameter integer Inputs = 4, // 1..512
  parameter integer Width = 1,  // bits per input, >= 1
  parameter integer Levels = 1  // register levels, >= 1 and 8^Levels >= Inputs
) (
  input  wire                    clk_i,
  input  wire [Inputs*Width-1:0] in_i,
  output wire [Width-1:0]        out_o
);
  `include "eie_tree_levels.vh"

  localparam integer TOTAL = level_offset(Inputs, Levels + 1);

  generate
    if (Inputs < 1 || Inputs > 512 || Width < 1 || Levels < 1 ||
        level_size(Inputs, Levels) != 1) begin : g_bad_params
`ifdef __ICARUS__
      initial $fatal(1, "eie_reduce_or: need 8^Levels >= Inputs");
`else
      $error("eie_reduce_or: need 8^Levels >= Inputs");
`endif
    end
  endgenerate

  wire [TOTAL*Width-1:0] node;
  assign node[Inputs*Width-1:0] = in_i;

  genvar l, m;
  generate
    for (l = 1; l <= Levels; l = l + 1) begin : g_level
      localparam integer COFF = level_offset(Inputs, l - 1);
      localparam integer CHILDREN = level_size(Inputs, l - 1);
      localparam integer OFF = level_offset(Inputs, l);
      for (m = 0; m < level_size(Inputs, l); m = m + 1) begin : g_node
        localparam integer FIRST = COFF + 8 * m;
        localparam integer COUNT = (CHILDREN - 8 * m >= 8) ? 8 : CHILDREN - 8 * m;
        reg [Width-1:0] or_d;
        reg [Width-1:0] or_q;
        integer c;
        always @* begin
          or_d = {Width{1'b0}};
          for (c = 0; c < COUNT; c = c + 1) begin
            or_d = or_d | node[(FIRST + c)*Width +: Width];
          end
        end
        always @(posedge clk_i) begin
          or_q <= or_d;
        end
        assign node[(OFF + m)*Width +: Width] = or_q;
      end
    end
  endgenerate

  assign out_o = node[(TOTAL - 1)*Width +: Width];
endmodule
`default_nettype wire
