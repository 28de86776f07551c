`default_nettype none
// Dual-port RAM: port A reads and writes (one address), port B only reads. Both reads are
// synchronous with a registered output (read latency 2). Yosys maps this to one ECP5
// true-dual-port block RAM (DP16KD). Port A reading the address it writes in the same cycle
// returns the old data; the datapath never depends on that case.
module eie_ram_dp #(
  parameter integer Width = 16,  // data bits, >= 1
  parameter integer Depth = 256  // words, power of two >= 2
) (
  input  wire                     clk_i,
  input  wire [$clog2(Depth)-1:0] addr_a_i,
  input  wire                     we_a_i,
  input  wire [Width-1:0]         wdata_a_i,
  output wire [Width-1:0]         rdata_a_o,
  input  wire [$clog2(Depth)-1:0] addr_b_i,
  output wire [Width-1:0]         rdata_b_o
);
  generate
    if (Depth < 2 || (Depth & (Depth - 1)) != 0 || Width < 1) begin : g_bad_params
`ifdef __ICARUS__
      initial $fatal(1, "eie_ram_dp: Depth must be a power of two >= 2");
`else
      $error("eie_ram_dp: Depth must be a power of two >= 2");
`endif
    end
  endgenerate

  // No user reads an address in the cycle it is written, so Yosys need not add logic to
  // define what such a read returns.
  (* no_rw_check *)
  reg [Width-1:0] mem [0:Depth-1];
  reg [Width-1:0] rdata_a_raw_q;
  reg [Width-1:0] rdata_b_raw_q;
  reg [Width-1:0] rdata_a_q;
  reg [Width-1:0] rdata_b_q;

  always @(posedge clk_i) begin
    if (we_a_i) begin
      mem[addr_a_i] <= wdata_a_i;
    end
    rdata_a_raw_q <= mem[addr_a_i];
  end

  always @(posedge clk_i) begin
    rdata_b_raw_q <= mem[addr_b_i];
  end

  always @(posedge clk_i) begin
    rdata_a_q <= rdata_a_raw_q;
    rdata_b_q <= rdata_b_raw_q;
  end

  assign rdata_a_o = rdata_a_q;
  assign rdata_b_o = rdata_b_q;
endmodule
`default_nettype wire
