// Simulation of the board self-test (Icarus): eie_selftest drives eie_top as on the board, from
// the same ROM file, until it passes or fails. Run by `./x bitstream board` before synthesis.
`timescale 1ns / 1ps
`default_nettype none
module selftest_tb;
  `include "selftest_cfg.vh"
  `include "selftest_params.vh"

  // Cycles the test may take before the testbench gives up.
  localparam integer MaxCycles = 2000000;

  reg clk = 1'b0;
  reg rst_n = 1'b0;
  always #5 clk = !clk;

  wire [23:0] awaddr, araddr;
  wire [31:0] wdata, rdata;
  wire [3:0] wstrb;
  wire [1:0] bresp, rresp;
  wire awvalid, awready, wvalid, wready, bvalid, bready;
  wire arvalid, arready, rvalid, rready;
  wire irq;
  wire busy, pass, fail;
  wire [15:0] step;

  eie_selftest #(
      .RomDepth(SELFTEST_DEPTH),
      .RomFile (SELFTEST_HEX)
  ) u_selftest (
      .clk_i(clk),
      .rst_ni(rst_n),
      .m_axil_awaddr(awaddr),
      .m_axil_awvalid(awvalid),
      .m_axil_awready(awready),
      .m_axil_wdata(wdata),
      .m_axil_wstrb(wstrb),
      .m_axil_wvalid(wvalid),
      .m_axil_wready(wready),
      .m_axil_bresp(bresp),
      .m_axil_bvalid(bvalid),
      .m_axil_bready(bready),
      .m_axil_araddr(araddr),
      .m_axil_arvalid(arvalid),
      .m_axil_arready(arready),
      .m_axil_rdata(rdata),
      .m_axil_rresp(rresp),
      .m_axil_rvalid(rvalid),
      .m_axil_rready(rready),
      .busy_o(busy),
      .pass_o(pass),
      .fail_o(fail),
      .step_o(step)
  );

  eie_top #(
      .NumPes(NumPes),
      .QueueDepth(QueueDepth),
      .SpmatWords(SpmatWords),
      .PtrEntries(PtrEntries),
      .ActEntries(ActEntries),
      .MaxLayers(MaxLayers)
  ) u_core (
      .clk_i(clk),
      .rst_ni(rst_n),
      .s_axil_awaddr(awaddr),
      .s_axil_awvalid(awvalid),
      .s_axil_awready(awready),
      .s_axil_wdata(wdata),
      .s_axil_wstrb(wstrb),
      .s_axil_wvalid(wvalid),
      .s_axil_wready(wready),
      .s_axil_bresp(bresp),
      .s_axil_bvalid(bvalid),
      .s_axil_bready(bready),
      .s_axil_araddr(araddr),
      .s_axil_arvalid(arvalid),
      .s_axil_arready(arready),
      .s_axil_rdata(rdata),
      .s_axil_rresp(rresp),
      .s_axil_rvalid(rvalid),
      .s_axil_rready(rready),
      .irq_o(irq)
  );

  // The last read, to name what a failing EXPECT saw.
  reg [31:0] last_rdata = 32'd0;
  reg [1:0] last_rresp = 2'd0;
  always @(posedge clk) begin
    if (rvalid && rready) begin
      last_rdata <= rdata;
      last_rresp <= rresp;
    end
  end

  integer cycles;
  initial begin
    repeat (4) @(posedge clk);
    rst_n = 1'b1;
    for (cycles = 0; cycles < MaxCycles && busy; cycles = cycles + 1) @(posedge clk);
    if (pass) begin
      $display("SELFTEST PASS after %0d cycles", cycles);
    end else if (fail) begin
      $display("SELFTEST FAIL at step %0d after %0d cycles (last read %08x, resp %0d)", step,
               cycles, last_rdata, last_rresp);
    end else begin
      $display("SELFTEST TIMEOUT at step %0d after %0d cycles", step, cycles);
    end
    $finish;
  end
endmodule
`default_nettype wire
