`default_nettype none
// Pipelined leading-one select over many inputs: the valid input with the lowest index wins
// and its payload goes on. Groups of up to 8 per level, one register level each, as
// eie_reduce_or. The output describes the inputs as they were Levels cycles earlier.
module eie_reduce_first #(
  parameter integer Inputs = 4, // 1..512
  parameter integer Width = 32, // payload bits, >= 1
  parameter integer Levels = 1  // register levels, >= 1 and 8^Levels >= Inputs
) (
  input  wire                    clk_i,
  input  wire                    rst_ni,
  input  wire [Inputs-1:0]       valid_i,
  input  wire [Inputs*Width-1:0] data_i,
  output wire                    valid_o,
  output wire [Width-1:0]        data_o
);
  `include "eie_tree_levels.vh"

  localparam integer TOTAL = level_offset(Inputs, Levels + 1);

  generate
    if (Inputs < 1 || Inputs > 512 || Width < 1 || Levels < 1 ||
        level_size(Inputs, Levels) != 1) begin : g_bad_params
`ifdef __ICARUS__
      initial $fatal(1, "eie_reduce_first: need 8^Levels >= Inputs");
`else
      $error("eie_reduce_first: need 8^Levels >= Inputs");
`endif
    end
  endgenerate

  wire [TOTAL-1:0] nvalid;
  wire [TOTAL*Width-1:0] ndata;
  assign nvalid[Inputs-1:0] = valid_i;
  assign ndata[Inputs*Width-1:0] = data_i;

  genvar l, m;
  generate
    for (l = 1; l <= Levels; l = l + 1) begin : g_level
      localparam integer COFF = level_offset(Inputs, l - 1);
      localparam integer CHILDREN = level_size(Inputs, l - 1);
      localparam integer OFF = level_offset(Inputs, l);
      for (m = 0; m < level_size(Inputs, l); m = m + 1) begin : g_node
        localparam integer FIRST = COFF + 8 * m;
        localparam integer COUNT = (CHILDREN - 8 * m >= 8) ? 8 : CHILDREN - 8 * m;
        reg valid_d, valid_q;
        reg [Width-1:0] data_d;
        reg [Width-1:0] data_q;
        integer c;
        always @* begin
          valid_d = 1'b0;
          data_d = ndata[FIRST*Width +: Width];
          for (c = COUNT - 1; c >= 0; c = c - 1) begin
            if (nvalid[FIRST + c]) begin
              valid_d = 1'b1;
              data_d = ndata[(FIRST + c)*Width +: Width];
            end
          end
        end
        always @(posedge clk_i or negedge rst_ni) begin
          if (!rst_ni) begin
            valid_q <= 1'b0;
          end else begin
            valid_q <= valid_d;
          end
        end
        always @(posedge clk_i) begin
          data_q <= data_d;
        end
        assign nvalid[OFF + m] = valid_q;
        assign ndata[(OFF + m)*Width +: Width] = data_q;
      end
    end
  endgenerate

  assign valid_o = nvalid[TOTAL - 1];
  assign data_o = ndata[(TOTAL - 1)*Width +: Width];
endmodule
`default_nettype wire
