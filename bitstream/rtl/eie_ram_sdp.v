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

`ifdef SYNTHESIS
  // Block RAM instantiated directly (eie_ebr.v), so the second read register is the EBR's
  // own output register; the behavioural memory above is then unused and removed. Block
  // depth 512 (36 bits wide, pseudo dual port) for up to 512 words, else Depth (18 bits at
  // 1024, 9 at 2048, ..., 1 at 16384). Each lane gets whole blocks, so a lane enable is a
  // block's write enable. Below 128 words Yosys chooses the mapping.
  localparam integer AW = $clog2(Depth);
  localparam integer BAW = (AW < 9) ? 9 : AW;  // block address bits
  localparam integer BW = (BAW == 9) ? 36 : (BAW == 10) ? 18 : (BAW == 11) ? 9 :
                          (BAW == 12) ? 4 : (BAW == 13) ? 2 : 1;
  localparam integer NB = (LaneWidth + BW - 1) / BW;  // blocks per lane
  localparam integer ASH = 14 - BAW;  // address shift on the pins

  generate
    if (Depth >= 128 && AW <= 14) begin : g_ebr
      wire [13:0] wa = {{(14 - AW){1'b0}}, waddr_i} << ASH;
      wire [13:0] ra = {{(14 - AW){1'b0}}, raddr_i} << ASH;
      genvar l, b;
      for (l = 0; l < LANES; l = l + 1) begin : g_lane
        wire [NB*BW-1:0] wd = {{(NB * BW - LaneWidth){1'b0}}, wdata_i[l*LaneWidth +: LaneWidth]};
        wire [NB*BW-1:0] rd;
        for (b = 0; b < NB; b = b + 1) begin : g_block
          wire [17:0] doa;
          wire [17:0] dob;
          if (BW == 36) begin : g_pdp
            eie_ebr #(
              .WidthA(36), .WidthB(36), .RegA("OUTREG"), .RegB("OUTREG")
            ) u_ebr (
              .clk_i(clk_i),
              .cea_i(1'b1), .wea_i(1'b1), .ada_i({wa[13:4], {4{we_i[l]}}}),
              .dia_i(wd[b*36 +: 18]), .doa_o(doa),
              .ceb_i(re_i), .web_i(1'b0), .adb_i(ra),
              .dib_i(wd[b*36+18 +: 18]), .dob_o(dob)
            );
            assign rd[b*36 +: 36] = {dob, doa};
          end else begin : g_dp
            eie_ebr #(
              .WidthA(BW), .WidthB(BW), .RegA("NOREG"), .RegB("OUTREG")
            ) u_ebr (
              .clk_i(clk_i),
              .cea_i(1'b1), .wea_i(we_i[l]),
              .ada_i((BW == 18) ? {wa[13:2], 2'b11} : wa),
              .dia_i({{(18 - BW){1'b0}}, wd[b*BW +: BW]}), .doa_o(doa),
              .ceb_i(re_i), .web_i(1'b0), .adb_i(ra),
              .dib_i(18'd0), .dob_o(dob)
            );
            assign rd[b*BW +: BW] = dob[BW-1:0];
          end
        end
        assign rdata_o[l*LaneWidth +: LaneWidth] = rd[LaneWidth-1:0];
      end
    end else begin : g_inferred
      assign rdata_o = rdata_q;
    end
  endgenerate
`else
  assign rdata_o = rdata_q;
`endif
endmodule
`default_nettype wire
