`default_nettype none
// The leading-non-zero-detect tree: nodes over groups of four streams, level by level, from
// one stream per PE (the PEs' own non-zero detectors, eie_lnzd_leaf) up to the root stream
// that the CCU broadcasts. 64 PEs give 16 + 4 + 1 = 21 nodes, as in the paper. Each node
// registers its output, so a level costs one cycle of latency and the tree runs at one
// element per cycle.
module eie_lnzd_tree #(
  parameter integer NumPes = 4, // leaves, power of two 1..256
  parameter integer Width = 32  // element bits, >= 1
) (
  input  wire                    clk_i,
  input  wire                    rst_ni,
  input  wire                    flush_i,
  input  wire [NumPes-1:0]       leaf_valid_i,
  input  wire [NumPes*Width-1:0] leaf_data_i,
  output wire [NumPes-1:0]       leaf_ready_o,
  output wire                    root_valid_o,
  output wire [Width-1:0]        root_data_o,
  input  wire                    root_ready_i,
  output wire                    empty_o
);
  // Streams at level l after `l` merges of four.
  function integer level_size(input integer n, input integer l);
    integer i;
    integer s;
    begin
      s = n;
      for (i = 0; i < l; i = i + 1) begin
        s = (s >= 4) ? s / 4 : 1;
      end
      level_size = s;
    end
  endfunction

  function integer level_offset(input integer n, input integer l);
    integer i;
    integer o;
    begin
      o = 0;
      for (i = 0; i < l; i = i + 1) begin
        o = o + level_size(n, i);
      end
      level_offset = o;
    end
  endfunction

  function integer num_levels(input integer n);
    integer s;
    integer l;
    begin
      s = n;
      l = 0;
      while (s > 1) begin
        s = (s >= 4) ? s / 4 : 1;
        l = l + 1;
      end
      num_levels = l;
    end
  endfunction

  localparam integer LEVELS = num_levels(NumPes);
  localparam integer STREAMS = level_offset(NumPes, LEVELS + 1);
  localparam integer NODES = STREAMS - NumPes;
  localparam integer ROOT = STREAMS - 1;

  generate
    if (NumPes < 1 || NumPes > 256 || (NumPes & (NumPes - 1)) != 0) begin : g_bad_params
`ifdef __ICARUS__
      initial $fatal(1, "eie_lnzd_tree: NumPes must be a power of two 1..256");
`else
      $error("eie_lnzd_tree: NumPes must be a power of two 1..256");
`endif
    end
  endgenerate

  wire [STREAMS-1:0] s_valid;
  wire [STREAMS*Width-1:0] s_data;
  wire [STREAMS-1:0] s_ready;
  wire [NODES:0] node_empty;

  assign s_valid[NumPes-1:0] = leaf_valid_i;
  assign s_data[NumPes*Width-1:0] = leaf_data_i;
  assign leaf_ready_o = s_ready[NumPes-1:0];
  assign node_empty[NODES] = 1'b1;

  genvar l, m;
  generate
    for (l = 1; l <= LEVELS; l = l + 1) begin : g_level
      localparam integer CHILDREN = level_size(NumPes, l - 1);
      localparam integer COFF = level_offset(NumPes, l - 1);
      localparam integer OFF = level_offset(NumPes, l);
      for (m = 0; m < level_size(NumPes, l); m = m + 1) begin : g_node
        localparam integer FANIN = (CHILDREN - 4 * m >= 4) ? 4 : CHILDREN - 4 * m;
        localparam integer FIRST = COFF + 4 * m;
        eie_lnzd_node #(
          .Fanin(FANIN),
          .Width(Width)
        ) u_node (
          .clk_i(clk_i),
          .rst_ni(rst_ni),
          .flush_i(flush_i),
          .valid_i(s_valid[FIRST +: FANIN]),
          .data_i(s_data[FIRST*Width +: FANIN*Width]),
          .ready_o(s_ready[FIRST +: FANIN]),
          .valid_o(s_valid[OFF + m]),
          .data_o(s_data[(OFF + m)*Width +: Width]),
          .ready_i(s_ready[OFF + m]),
          .empty_o(node_empty[OFF + m - NumPes])
        );
      end
    end
  endgenerate

  generate
    if (LEVELS == 0) begin : g_single
      // One PE: its stream is the root and the tree has no register to clock, reset or flush.
      /* verilator lint_off UNUSEDSIGNAL */
      wire unused_single = clk_i ^ rst_ni ^ flush_i;
      /* verilator lint_on UNUSEDSIGNAL */
    end
  endgenerate

  assign root_valid_o = s_valid[ROOT];
  assign root_data_o = s_data[ROOT*Width +: Width];
  assign s_ready[ROOT] = root_ready_i;
  assign empty_o = &node_empty;
endmodule
`default_nettype wire
