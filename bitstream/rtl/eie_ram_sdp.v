`default_nettype none
// Simple dual-port RAM: one write port with lane enables, one read port with a synchronous
// read and a registered output (read latency 2: address in cycle t, data in cycle t+2).
// Written in the form Yosys maps to ECP5 block RAM (DP16KD / PDPW16KD); the second register
// can be absorbed as the block RAM's output register.
// A read and a write of the same address in the same cycle return the old data; the
// datapath never depends on that case.
module eie_ram_sdp #(
  parameter integer Width = 16,        // data bits, >= 1
  parameter integer Depth = 256,       // words, power of two >= 2
  parameter integer LaneWidth = Width  // bits per write-enable lane; divides Width
) (
  input  wire                           clk_i,
  input  wire [Width/LaneWidth-1:0]     we_i,
  input  wire [$clog2(Depth)-1:0]       waddr_i,
  input  wire [Width-1:0]               wdata_i,
  input  wire                           re_i,
  input  wire [$clog2(Depth)-1:0]       raddr_i,
  output wire [Width-1:0]               rdata_o
);
  localparam integer LANES = Width / LaneWidth;

  generate
    if (Depth < 2 || (Depth & (Depth - 1)) != 0 || Width < 1 || LaneWidth < 1 ||
        Width % LaneWidth != 0) begin : g_bad_params
`ifdef __ICARUS__
      initial $fatal(1, "eie_ram_sdp: Depth must be a power of two >= 2, LaneWidth must divide Width");
`else
      $error("eie_ram_sdp: Depth must be a power of two >= 2, LaneWidth must divide Width");
`endif
    end
  endgenerate

  // No user reads an address in the cycle it is written, so Yosys need not add logic to
  // define what such a read returns.
  (* no_rw_check *)
  reg [Width-1:0] mem [0:Depth-1];
  reg [Width-1:0] rdata_raw_q;
  reg [Width-1:0] rdata_q;

  integer lane;
  always @(posedge clk_i) begin
    for (lane = 0; lane < LANES; lane = lane + 1) begin
      if (we_i[lane]) begin
        mem[waddr_i][lane*LaneWidth +: LaneWidth] <= wdata_i[lane*LaneWidth +: LaneWidth];
      end
    end
  end

  always @(posedge clk_i) begin
    if (re_i) begin
      rdata_raw_q <= mem[raddr_i];
    end
  end

  always @(posedge clk_i) begin
    rdata_q <= rdata_raw_q;
  end

  assign rdata_o = rdata_q;
endmodule
`default_nettype wire
