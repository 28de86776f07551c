`default_nettype none
// The leading-non-zero-detect tree: nodes over groups of four streams, level by level, from
// one stream per PE (the PEs' own non-zero detectors, eie_lnzd_leaf) up to the root stream
// that the CCU broadcasts. 64 PEs give 16 + 4 + 1 = 21 nodes, as in the paper. Each node
// registers its output, so a level costs one cycle of latency and the tree runs at one
// element per cycle.
//
// Elements: a leaf sends {addr, a_j} (its local address, AddrWidth bits, and the activation).
// Child k of a node at level l is stream 4m + k of level l - 1, so stream numbers are PE
// numbers at the leaves and the child indices c1 (level 1), c2, ... are base-4 digits of the
// PE number (a top node with two children gives the last, one-bit digit): each node inserts
// its digit above those of the levels below, so the root's element is {addr, pe, a_j} and
// the PE number is never carried as a constant from the leaf. The root leaves as
// {j[15:0], a_j} with j = addr * NumPes + pe (the CCU only starts layers with
// in_len <= MAX_COLUMNS, so a scanned column index fits in 16 bits).
module eie_lnzd_tree #(
  parameter integer NumPes = 4,   // leaves, power of two 1..256
  parameter integer AddrWidth = 8 // leaf address bits (log2 of ActEntries), >= 1
) (
  input  wire                             clk_i,
  input  wire                             rst_ni,
  input  wire                             flush_i,
  input  wire [NumPes-1:0]                leaf_valid_i,
  input  wire [NumPes*(AddrWidth+16)-1:0] leaf_data_i,  // {addr, a_j} per leaf
  output wire [NumPes-1:0]                leaf_ready_o,
  output wire                             root_valid_o,
  output wire [31:0]                      root_data_o,  // {j[15:0], a_j}
  input  wire                             root_ready_i,
  output wire                             empty_o
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

  // PE-number bits gathered after l levels (the streams at level l each cover
  // NumPes / level_size(l) PEs).
  function integer level_index_bits(input integer n, input integer l);
    begin
      level_index_bits = $clog2(n) - $clog2(level_size(n, l));
    end
  endfunction

  // Element bits of a stream at level l: {addr, index bits, a_j}.
  function integer level_width(input integer n, input integer l);
    begin
      level_width = AddrWidth + level_index_bits(n, l) + 16;
    end
  endfunction

  // Start of level l in the packed data of all streams.
  function integer level_data_offset(input integer n, input integer l);
    integer i;
    integer o;
    begin
      o = 0;
      for (i = 0; i < l; i = i + 1) begin
        o = o + level_size(n, i) * level_width(n, i);
      end
      level_data_offset = o;
    end
  endfunction

  localparam integer LEVELS = num_levels(NumPes);
  localparam integer STREAMS = level_offset(NumPes, LEVELS + 1);
  localparam integer NODES = STREAMS - NumPes;
  localparam integer ROOT = STREAMS - 1;
  localparam integer PW = $clog2(NumPes);
  localparam integer LW = AddrWidth + 16;
  localparam integer DATAW = level_data_offset(NumPes, LEVELS + 1);
  localparam integer ROOT_OFF = level_data_offset(NumPes, LEVELS);
  // Column index bits at the root: {addr, pe}.
  localparam integer JW = AddrWidth + PW;

  generate
    if (NumPes < 1 || NumPes > 256 || (NumPes & (NumPes - 1)) != 0 ||
        AddrWidth < 1) begin : g_bad_params
`ifdef __ICARUS__
      initial $fatal(1, "eie_lnzd_tree: NumPes must be a power of two 1..256, AddrWidth >= 1");
`else
      $error("eie_lnzd_tree: NumPes must be a power of two 1..256, AddrWidth >= 1");
`endif
    end
  endgenerate

  wire [STREAMS-1:0] s_valid;
  wire [DATAW-1:0] s_data;
  wire [STREAMS-1:0] s_ready;
  wire [NODES:0] node_empty;

  assign s_valid[NumPes-1:0] = leaf_valid_i;
  assign s_data[NumPes*LW-1:0] = leaf_data_i;
  assign leaf_ready_o = s_ready[NumPes-1:0];
  assign node_empty[NODES] = 1'b1;

  genvar l, m;
  generate
    for (l = 1; l <= LEVELS; l = l + 1) begin : g_level
      localparam integer CHILDREN = level_size(NumPes, l - 1);
      localparam integer COFF = level_offset(NumPes, l - 1);
      localparam integer OFF = level_offset(NumPes, l);
      localparam integer CW = level_width(NumPes, l - 1);
      localparam integer OW = level_width(NumPes, l);  // CW + clog2(fanin)
      localparam integer CDOFF = level_data_offset(NumPes, l - 1);
      localparam integer DOFF = level_data_offset(NumPes, l);
      for (m = 0; m < level_size(NumPes, l); m = m + 1) begin : g_node
        localparam integer FANIN = (CHILDREN - 4 * m >= 4) ? 4 : CHILDREN - 4 * m;
        localparam integer FIRST = COFF + 4 * m;
        eie_lnzd_node #(
          .Fanin(FANIN),
          .Width(CW),
          .Low(16 + level_index_bits(NumPes, l - 1))
        ) u_node (
          .clk_i(clk_i),
          .rst_ni(rst_ni),
          .flush_i(flush_i),
          .valid_i(s_valid[FIRST +: FANIN]),
          .data_i(s_data[CDOFF + 4*m*CW +: FANIN*CW]),
          .ready_o(s_ready[FIRST +: FANIN]),
          .valid_o(s_valid[OFF + m]),
          .data_o(s_data[DOFF + m*OW +: OW]),
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

  // The root's element {addr, pe, a_j} as {j[15:0], a_j}.
  wire [JW-1:0] root_j = s_data[ROOT_OFF + 16 +: JW];
  generate
    if (JW >= 16) begin : g_j_trunc
      // The CCU only starts layers with in_len <= MAX_COLUMNS, so a scanned column index
      // always fits in 16 bits; the higher bits of the full index are zero.
      assign root_data_o = {root_j[15:0], s_data[ROOT_OFF +: 16]};
      if (JW > 16) begin : g_j_unused
        /* verilator lint_off UNUSEDSIGNAL */
        wire unused_j_high = |root_j[JW-1:16];
        /* verilator lint_on UNUSEDSIGNAL */
      end
    end else begin : g_j_pad
      assign root_data_o = {{(16 - JW){1'b0}}, root_j, s_data[ROOT_OFF +: 16]};
    end
  endgenerate

  assign root_valid_o = s_valid[ROOT];
  assign s_ready[ROOT] = root_ready_i;
  assign empty_o = &node_empty;
endmodule
`default_nettype wire
