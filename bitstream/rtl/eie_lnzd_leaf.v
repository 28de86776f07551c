`default_nettype none
// A PE's own non-zero detector, the leaf of the LNZD tree: during the compute phase it reads
// the PE's source activations (local addresses 0 .. count-1, i.e. columns
// j = addr * NumPes + PeIndex) one per cycle and passes the non-zero ones on as (addr, a_j).
// The tree's nodes add the PE number on the way to the root (eie_lnzd_tree), so it is not
// stored here.
// The read data and its zero test are registered together (r3), so the push into the
// output FIFO starts from one flip-flop instead of a 16-input test (that test into the FIFO's
// count was the SoC core's slowest path). Reads are issued only when the output FIFO has room for everything in
// flight (four credits: full rate with the three cycles from read to push).
module eie_lnzd_leaf #(
  parameter integer ActEntries = 256 // activations per PE per file, power of two >= 2
) (
  input  wire                           clk_i,
  input  wire                           rst_ni,
  input  wire                           flush_i,
  input  wire                           start_i,
  input  wire [$clog2(ActEntries):0]    count_i,
  // Activation-file read port (read latency 2).
  output wire                           re_o,
  output wire [$clog2(ActEntries)-1:0]  raddr_o,
  input  wire [15:0]                    rdata_i,
  // Stream of non-zero activations: {addr, a_j[15:0]}.
  output wire                           valid_o,
  output wire [$clog2(ActEntries)+15:0] data_o,
  input  wire                           ready_i,
  output wire                           done_o
);
  localparam integer AW = $clog2(ActEntries);
  localparam integer FIFO_DEPTH = 4;
  localparam [31:0] FIFO_DEPTH32 = FIFO_DEPTH;

  reg active_q, active_d;
  reg [AW:0] addr_q, addr_d;
  reg [AW:0] count_q, count_d;
  reg r1_valid_q, r2_valid_q, r3_valid_q;
  reg [AW-1:0] r1_addr_q, r2_addr_q, r3_addr_q;
  reg [15:0] r3_data_q;
  reg r3_nonzero_q;

  wire fifo_empty;
  wire fifo_full;
  wire [2:0] fifo_count;
  wire [AW+15:0] fifo_head;

  // Credits: one per output FIFO slot, taken by a read, given back when the element leaves
  // the FIFO or turns out to be zero.
  reg [2:0] credits_q, credits_d;
  wire issue = active_q & (credits_q != 3'd0) & ~flush_i;

  always @* begin
    active_d = active_q;
    addr_d = addr_q;
    count_d = count_q;
    if (start_i) begin
      addr_d = {(AW + 1){1'b0}};
      count_d = count_i;
      active_d = (count_i != {(AW + 1){1'b0}});
    end else if (issue) begin
      addr_d = addr_q + 1'b1;
      active_d = (addr_q + 1'b1 != count_q);
    end
    if (flush_i) begin
      active_d = 1'b0;
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      active_q <= 1'b0;
      credits_q <= FIFO_DEPTH32[2:0];
      addr_q <= {(AW + 1){1'b0}};
      count_q <= {(AW + 1){1'b0}};
      r1_valid_q <= 1'b0;
      r2_valid_q <= 1'b0;
      r3_valid_q <= 1'b0;
    end else begin
      active_q <= active_d;
      credits_q <= credits_d;
      addr_q <= addr_d;
      count_q <= count_d;
      r1_valid_q <= issue;
      r2_valid_q <= r1_valid_q & ~flush_i;
      r3_valid_q <= r2_valid_q & ~flush_i;
    end
  end

  always @(posedge clk_i) begin
    r1_addr_q <= addr_q[AW-1:0];
    r2_addr_q <= r1_addr_q;
    r3_addr_q <= r2_addr_q;
    r3_data_q <= rdata_i;
    r3_nonzero_q <= (rdata_i != 16'd0);
  end

  wire push = r3_valid_q & r3_nonzero_q & ~flush_i;
  wire drop = r3_valid_q & ~push;

  always @* begin
    // Net change -1 .. +2, chosen among increments computed in parallel.
    case ({issue, ready_i & ~fifo_empty, drop})
      3'b100:                 credits_d = credits_q - 3'd1;
      3'b010, 3'b001, 3'b111: credits_d = credits_q + 3'd1;
      3'b011:                 credits_d = credits_q + 3'd2;
      default:                credits_d = credits_q;
    endcase
    if (flush_i) begin
      credits_d = FIFO_DEPTH32[2:0];
    end
  end

  eie_fifo #(
    .Width(AW + 16),
    .Depth(FIFO_DEPTH)
  ) u_fifo (
    .clk_i(clk_i),
    .rst_ni(rst_ni),
    .flush_i(flush_i),
    .push_i(push),
    .data_i({r3_addr_q, r3_data_q}),
    .pop_i(ready_i),
    .head_o(fifo_head),
    .empty_o(fifo_empty),
    .full_o(fifo_full),
    .count_o(fifo_count)
  );

  /* verilator lint_off UNUSEDSIGNAL */
  // Room is tracked by the credits.
  wire unused_full = fifo_full ^ |fifo_count;
  /* verilator lint_on UNUSEDSIGNAL */

  assign re_o = issue;
  assign raddr_o = addr_q[AW-1:0];
  assign valid_o = ~fifo_empty;
  assign data_o = fifo_head;
  assign done_o = ~active_q & ~r1_valid_q & ~r2_valid_q & ~r3_valid_q & fifo_empty;
endmodule
`default_nettype wire
