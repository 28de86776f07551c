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

`ifdef SYNTHESIS
  // Block RAM instantiated directly (eie_ebr.v), so the second read registers are the EBR's
  // own output registers; the behavioural memory above is then unused and removed. Block
  // depth 1024 (18 bits wide per port) for up to 1024 words, else Depth (9 bits at 2048,
  // ..., 1 at 16384). Below 128 words Yosys chooses the mapping.
  localparam integer AW = $clog2(Depth);
  localparam integer BAW = (AW < 10) ? 10 : AW;  // block address bits
  localparam integer BW = (BAW == 10) ? 18 : (BAW == 11) ? 9 : (BAW == 12) ? 4 :
                          (BAW == 13) ? 2 : 1;
  localparam integer NB = (Width + BW - 1) / BW;
  localparam integer ASH = 14 - BAW;  // address shift on the pins

  generate
    if (Depth >= 128 && AW <= 14) begin : g_ebr
      // Port A's byte enables (width 18) are on for a write.
      wire [13:0] aa = ({{(14 - AW){1'b0}}, addr_a_i} << ASH) | ((BW == 18) ? 14'd3 : 14'd0);
      wire [13:0] ab = {{(14 - AW){1'b0}}, addr_b_i} << ASH;
      wire [NB*BW-1:0] wd = {{(NB * BW - Width){1'b0}}, wdata_a_i};
      wire [NB*BW-1:0] rda;
      wire [NB*BW-1:0] rdb;
      genvar b;
      for (b = 0; b < NB; b = b + 1) begin : g_block
        wire [17:0] doa;
        wire [17:0] dob;
        eie_ebr #(
          .WidthA(BW), .WidthB(BW), .RegA("OUTREG"), .RegB("OUTREG")
        ) u_ebr (
          .clk_i(clk_i),
          .cea_i(1'b1), .wea_i(we_a_i), .ada_i(aa),
          .dia_i({{(18 - BW){1'b0}}, wd[b*BW +: BW]}), .doa_o(doa),
          .ceb_i(1'b1), .web_i(1'b0), .adb_i(ab),
          .dib_i(18'd0), .dob_o(dob)
        );
        assign rda[b*BW +: BW] = doa[BW-1:0];
        assign rdb[b*BW +: BW] = dob[BW-1:0];
      end
      assign rdata_a_o = rda[Width-1:0];
      assign rdata_b_o = rdb[Width-1:0];
    end else begin : g_inferred
      assign rdata_a_o = rdata_a_q;
      assign rdata_b_o = rdata_b_q;
    end
  endgenerate
`else
  assign rdata_a_o = rdata_a_q;
  assign rdata_b_o = rdata_b_q;
`endif
endmodule
`default_nettype wire
