`default_nettype none
// Pipelined leading-one select over many inputs: the valid input with the lowest index wins
// and its payload goes on, with its index. Groups of up to 8 per level, one register level
// each, as eie_reduce_or. The output describes the inputs as they were Levels cycles earlier.
//
// The index is not carried from the inputs as a constant: each node inserts its winner's
// child number (3 bits, or fewer at the top) above those of the levels below, as the nodes
// of the LNZD tree do, so the node registers hold only bits that can vary.
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
  output wire [Width+$clog2(Inputs)-1:0] data_o  // {index of the winning input, its payload}
);
  `include "eie_tree_levels.vh"

  // Index bits gathered by the levels below level l: a node there covers
  // Inputs / level_size(l - 1) inputs (as the LNZD tree's level_index_bits).
  function integer index_offset(input integer n, input integer l);
    begin
      index_offset = $clog2(n) - $clog2(level_size(n, l - 1));
    end
  endfunction

  localparam integer TOTAL = level_offset(Inputs, Levels + 1);
  // Every node's element in one width: {index bits, payload}, with zeros above the index
  // bits a level has gathered so far (constants, removed by synthesis). The levels gather
  // $clog2(Inputs) bits: 3 per level below the top, $clog2 of the top node's children.
  localparam integer OW = Width + $clog2(Inputs);

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
  wire [TOTAL*OW-1:0] ndata;
  assign nvalid[Inputs-1:0] = valid_i;

  genvar i, l, m;
  generate
    for (i = 0; i < Inputs; i = i + 1) begin : g_input
      if (OW > Width) begin : g_pad
        assign ndata[i*OW +: OW] = {{(OW - Width){1'b0}}, data_i[i*Width +: Width]};
      end else begin : g_same
        assign ndata[i*OW +: OW] = data_i[i*Width +: Width];
      end
    end
    for (l = 1; l <= Levels; l = l + 1) begin : g_level
      localparam integer COFF = level_offset(Inputs, l - 1);
      localparam integer CHILDREN = level_size(Inputs, l - 1);
      localparam integer OFF = level_offset(Inputs, l);
      // The child number goes above the payload and the index bits of the levels below.
      localparam integer IPOS = Width + index_offset(Inputs, l);
      localparam integer IB = index_offset(Inputs, l + 1) - index_offset(Inputs, l);
      for (m = 0; m < level_size(Inputs, l); m = m + 1) begin : g_node
        localparam integer FIRST = COFF + 8 * m;
        localparam integer COUNT = (CHILDREN - 8 * m >= 8) ? 8 : CHILDREN - 8 * m;
        reg valid_d, valid_q;
        reg [2:0] child;
        reg [OW-1:0] data_d;
        reg [OW-1:0] data_q;
        integer c, b;
        always @* begin
          valid_d = 1'b0;
          child = 3'd0;
          data_d = ndata[FIRST*OW +: OW];
          for (c = COUNT - 1; c >= 0; c = c - 1) begin
            if (nvalid[FIRST + c]) begin
              valid_d = 1'b1;
              child = c[2:0];
              data_d = ndata[(FIRST + c)*OW +: OW];
            end
          end
          for (b = 0; b < IB; b = b + 1) begin
            data_d[IPOS + b] = child[b];
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
        assign ndata[(OFF + m)*OW +: OW] = data_q;
      end
    end
  endgenerate

  assign valid_o = nvalid[TOTAL - 1];
  assign data_o = ndata[(TOTAL - 1)*OW +: OW];
endmodule
`default_nettype wire
