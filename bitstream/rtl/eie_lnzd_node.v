`default_nettype none
// One node of the leading-non-zero-detect tree: merges up to four streams of non-zero
// activations into one. Each child's element first lands in this node's input register for
// that child; the leading (lowest-numbered) child whose register holds an element wins and
// moves on into a two-entry output buffer. The ready signals toward the children depend only
// on this node's registers, never on the children's valid signals, so no path goes from a
// child to its parent and back within a cycle (leaves sit in PEs spread over the chip), and
// none chains through the tree. The order of the columns does not change the sums:
// accumulation is exact integer arithmetic.
//
// The winner's child index (clog2(Fanin) bits, none for Fanin 1) is inserted into its element
// at bit Low: a child sends {hi, lo} with Low bits in lo, the node passes on {hi, index, lo}.
// In the tree, lo = {index bits of the levels below, a_j} and hi = the leaf's local address,
// so the PE number is built level by level instead of travelling from the leaf as a constant.
module eie_lnzd_node #(
  parameter integer Fanin = 4,  // children, 1..4
  parameter integer Width = 32, // element bits from a child, >= 1
  parameter integer Low = 16    // element bits below the child index, 0..Width
) (
  input  wire                             clk_i,
  input  wire                             rst_ni,
  input  wire                             flush_i,
  input  wire [Fanin-1:0]                 valid_i,
  input  wire [Fanin*Width-1:0]           data_i,
  output wire [Fanin-1:0]                 ready_o,
  output wire                             valid_o,
  output wire [Width+$clog2(Fanin)-1:0]   data_o,  // {hi, child index, lo}
  input  wire                             ready_i,
  output wire                             empty_o
);
  localparam integer IW = $clog2(Fanin);  // child index bits
  localparam integer OW = Width + IW;

  generate
    if (Fanin < 1 || Fanin > 4 || Width < 1 || Low < 0 || Low > Width) begin : g_bad_params
`ifdef __ICARUS__
      initial $fatal(1, "eie_lnzd_node: Fanin must be 1..4, Low 0..Width");
`else
      $error("eie_lnzd_node: Fanin must be 1..4, Low 0..Width");
`endif
    end
  endgenerate

  // Input registers, one per child.
  reg [Fanin-1:0] in_valid_q, in_valid_d;
  reg [Fanin*Width-1:0] in_data_q;
  // Leading-one detect over the input registers.
  reg [Fanin-1:0] grant;
  reg [Width-1:0] pick;
  reg [1:0] pick_idx;
  integer k;
  always @* begin
    grant = {Fanin{1'b0}};
    pick = in_data_q[Width-1:0];
    pick_idx = 2'd0;
    for (k = Fanin - 1; k >= 0; k = k - 1) begin
      if (in_valid_q[k]) begin
        grant = {Fanin{1'b0}};
        grant[k] = 1'b1;
        pick = in_data_q[k*Width +: Width];
        pick_idx = k[1:0];
      end
    end
  end

  // The winner's element with its child index inserted at bit Low.
  wire [OW-1:0] pick_out;
  generate
    if (IW == 0) begin : g_no_index
      assign pick_out = pick;
      /* verilator lint_off UNUSEDSIGNAL */
      // A single child needs no index.
      wire unused_idx = |pick_idx;
      /* verilator lint_on UNUSEDSIGNAL */
    end else if (Low == 0) begin : g_index_bottom
      assign pick_out = {pick, pick_idx[IW-1:0]};
    end else if (Low == Width) begin : g_index_top
      assign pick_out = {pick_idx[IW-1:0], pick};
    end else begin : g_index_mid
      assign pick_out = {pick[Width-1:Low], pick_idx[IW-1:0], pick[Low-1:0]};
    end
    if (IW == 1) begin : g_idx_high
      /* verilator lint_off UNUSEDSIGNAL */
      // Two children: a one-bit index.
      wire unused_idx_high = pick_idx[1];
      /* verilator lint_on UNUSEDSIGNAL */
    end
  endgenerate

  // Two-entry output buffer: slot 0 is the head.
  reg [1:0] count_q, count_d;
  reg [OW-1:0] slot0_q, slot0_d;
  reg [OW-1:0] slot1_q, slot1_d;

  wire can_take = (count_q != 2'd2);
  wire push = (|in_valid_q) & can_take;
  wire pop = (count_q != 2'd0) & ready_i;
  // A child may hand over an element when its register is empty or moves on this cycle.
  wire [Fanin-1:0] consume = push ? grant : {Fanin{1'b0}};
  wire [Fanin-1:0] take = ~in_valid_q | consume;
  wire [Fanin-1:0] accept = valid_i & take;
  always @* begin
    in_valid_d = (in_valid_q & ~consume) | accept;
    if (flush_i) begin
      in_valid_d = {Fanin{1'b0}};
    end
  end

  always @* begin
    count_d = count_q;
    slot0_d = slot0_q;
    slot1_d = slot1_q;
    case (count_q)
      2'd0: begin
        if (push) begin
          slot0_d = pick_out;
          count_d = 2'd1;
        end
      end
      2'd1: begin
        if (push && pop) begin
          slot0_d = pick_out;
        end else if (push) begin
          slot1_d = pick_out;
          count_d = 2'd2;
        end else if (pop) begin
          count_d = 2'd0;
        end
      end
      default: begin
        if (pop) begin
          slot0_d = slot1_q;
          count_d = 2'd1;
        end
      end
    endcase
    if (flush_i) begin
      count_d = 2'd0;
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      count_q <= 2'd0;
      in_valid_q <= {Fanin{1'b0}};
    end else begin
      count_q <= count_d;
      in_valid_q <= in_valid_d;
    end
  end

  integer c;
  always @(posedge clk_i) begin
    slot0_q <= slot0_d;
    slot1_q <= slot1_d;
    for (c = 0; c < Fanin; c = c + 1) begin
      if (accept[c]) begin
        in_data_q[c*Width +: Width] <= data_i[c*Width +: Width];
      end
    end
  end

  assign ready_o = take;
  assign valid_o = (count_q != 2'd0);
  assign data_o = slot0_q;
  assign empty_o = (count_q == 2'd0) & ~|in_valid_q;
endmodule
`default_nettype wire
