// Placeholder with the port list of the EIE core, for developing the FPGA flow until the real
// RTL exists: per PE a SpmatWords x 64 memory and a 16x16 multiply-accumulate, written and read
// over AXI4-Lite. Not the accelerator.
`default_nettype none
module eie_top #(
    parameter integer NumPes = 4,
    parameter integer QueueDepth = 8,
    parameter integer SpmatWords = 1024,
    parameter integer PtrEntries = 1024,
    parameter integer ActEntries = 256,
    parameter integer MaxLayers = 4
) (
    input  wire        clk_i,
    input  wire        rst_ni,
    input  wire [23:0] s_axil_awaddr,
    input  wire        s_axil_awvalid,
    output reg         s_axil_awready,
    input  wire [31:0] s_axil_wdata,
    input  wire [3:0]  s_axil_wstrb,
    input  wire        s_axil_wvalid,
    output reg         s_axil_wready,
    output wire [1:0]  s_axil_bresp,
    output reg         s_axil_bvalid,
    input  wire        s_axil_bready,
    input  wire [23:0] s_axil_araddr,
    input  wire        s_axil_arvalid,
    output reg         s_axil_arready,
    output reg  [31:0] s_axil_rdata,
    output wire [1:0]  s_axil_rresp,
    output reg         s_axil_rvalid,
    input  wire        s_axil_rready,
    output wire        irq_o
);
  localparam integer AW = $clog2(SpmatWords);
  localparam integer PW = (NumPes > 1) ? $clog2(NumPes) : 1;
  assign s_axil_bresp = 2'b00;
  assign s_axil_rresp = 2'b00;
  reg [23:0] waddr;
  reg [31:0] wdata;
  reg        wgo;
  reg        running;
  reg [AW-1:0] rd_ptr;
  wire [47:0] acc_w [0:NumPes-1];
  assign irq_o = running;
  always @(posedge clk_i) begin
    if (!rst_ni) begin
      s_axil_awready <= 1'b0; s_axil_wready <= 1'b0; s_axil_bvalid <= 1'b0;
      s_axil_arready <= 1'b0; s_axil_rvalid <= 1'b0; wgo <= 1'b0; running <= 1'b0;
      rd_ptr <= {AW{1'b0}}; s_axil_rdata <= 32'd0; waddr <= 24'd0; wdata <= 32'd0;
    end else begin
      wgo <= 1'b0;
      s_axil_awready <= 1'b0; s_axil_wready <= 1'b0; s_axil_arready <= 1'b0;
      if (s_axil_awvalid && s_axil_wvalid && !s_axil_bvalid && !s_axil_awready) begin
        s_axil_awready <= 1'b1; s_axil_wready <= 1'b1; s_axil_bvalid <= 1'b1;
        waddr <= s_axil_awaddr; wdata <= s_axil_wdata; wgo <= 1'b1;
        if (s_axil_awaddr == 24'h40) running <= s_axil_wdata[0];
      end
      if (s_axil_bvalid && s_axil_bready) s_axil_bvalid <= 1'b0;
      if (s_axil_arvalid && !s_axil_rvalid && !s_axil_arready) begin
        s_axil_arready <= 1'b1; s_axil_rvalid <= 1'b1;
        s_axil_rdata <= acc_w[s_axil_araddr[PW+1:2] % NumPes][31:0] ^ {8'd0, s_axil_araddr};
      end
      if (s_axil_rvalid && s_axil_rready) s_axil_rvalid <= 1'b0;
      if (running) rd_ptr <= rd_ptr + 1'b1;
    end
  end
  genvar p;
  generate
    for (p = 0; p < NumPes; p = p + 1) begin : g_pe
      reg [63:0] mem [0:SpmatWords-1];
      reg [63:0] q;
      reg [15:0] act;
      reg [31:0] prod;
      reg [47:0] acc;
      wire sel = wgo && waddr[23] && (waddr[AW+3+PW-1:AW+3] == p);
      always @(posedge clk_i) begin
        if (sel && !waddr[2]) mem[waddr[AW+2:3]][31:0] <= wdata;
        if (sel && waddr[2]) mem[waddr[AW+2:3]][63:32] <= wdata;
        q <= mem[rd_ptr];
      end
      always @(posedge clk_i) begin
        if (!rst_ni) begin
          act <= 16'd0; prod <= 32'd0; acc <= 48'd0;
        end else begin
          act <= q[15:0] ^ q[63:48];
          prod <= $signed(act) * $signed(q[31:16]);
          if (running) acc <= acc + {{16{prod[31]}}, prod};
        end
      end
      assign acc_w[p] = acc;
    end
  endgenerate
endmodule
`default_nettype wire
