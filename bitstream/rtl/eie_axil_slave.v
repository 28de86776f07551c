`default_nettype none
// AXI4-Lite slave front end (32-bit data, no PROT): turns the five channels into one
// request at a time for the register/window decoder (eie_regs) and returns its response.
// AW and W are taken in either order or together and held until the write is issued; one
// address is buffered per channel. When a read and a write are both ready they take turns.
// BVALID and RVALID stay up until the master takes the response.
module eie_axil_slave #(
  parameter integer AddrWidth = 24 // byte-address bits, 3..32
) (
  input  wire                 clk_i,
  input  wire                 rst_ni,
  input  wire [AddrWidth-1:0] s_axil_awaddr,
  input  wire                 s_axil_awvalid,
  output wire                 s_axil_awready,
  input  wire [31:0]          s_axil_wdata,
  input  wire [3:0]           s_axil_wstrb,
  input  wire                 s_axil_wvalid,
  output wire                 s_axil_wready,
  output wire [1:0]           s_axil_bresp,
  output wire                 s_axil_bvalid,
  input  wire                 s_axil_bready,
  input  wire [AddrWidth-1:0] s_axil_araddr,
  input  wire                 s_axil_arvalid,
  output wire                 s_axil_arready,
  output wire [31:0]          s_axil_rdata,
  output wire [1:0]           s_axil_rresp,
  output wire                 s_axil_rvalid,
  input  wire                 s_axil_rready,
  // One request at a time; the decoder answers with resp_valid_i some cycles later.
  output wire                 req_valid_o,
  output wire                 req_write_o,
  output wire [AddrWidth-1:0] req_addr_o,
  output wire [31:0]          req_wdata_o,
  input  wire                 resp_valid_i,
  input  wire [31:0]          resp_rdata_i,
  input  wire [1:0]           resp_code_i
);
  generate
    if (AddrWidth < 3 || AddrWidth > 32) begin : g_bad_params
`ifdef __ICARUS__
      initial $fatal(1, "eie_axil_slave: AddrWidth must be 3..32");
`else
      $error("eie_axil_slave: AddrWidth must be 3..32");
`endif
    end
  endgenerate

  reg aw_full_q, aw_full_d;
  reg [AddrWidth-1:0] aw_addr_q, aw_addr_d;
  reg w_full_q, w_full_d;
  reg [31:0] w_data_q, w_data_d;
  reg ar_full_q, ar_full_d;
  reg [AddrWidth-1:0] ar_addr_q, ar_addr_d;
  reg busy_q, busy_d;
  reg write_q, write_d;
  reg turn_q, turn_d;
  reg req_valid_q, req_valid_d;
  reg [AddrWidth-1:0] req_addr_q, req_addr_d;
  reg [31:0] req_wdata_q, req_wdata_d;
  reg b_valid_q, b_valid_d;
  reg [1:0] b_resp_q, b_resp_d;
  reg r_valid_q, r_valid_d;
  reg [31:0] r_data_q, r_data_d;
  reg [1:0] r_resp_q, r_resp_d;

  wire aw_take = s_axil_awvalid & ~aw_full_q;
  wire w_take = s_axil_wvalid & ~w_full_q;
  wire ar_take = s_axil_arvalid & ~ar_full_q;
  wire write_ready = aw_full_q & w_full_q & ~b_valid_q;
  wire read_ready = ar_full_q & ~r_valid_q;
  // turn_q = 1: a read goes first when both are ready.
  wire issue_write = ~busy_q & write_ready & (~read_ready | ~turn_q);
  wire issue_read = ~busy_q & read_ready & (~write_ready | turn_q);

  always @* begin
    aw_full_d = aw_full_q;
    aw_addr_d = aw_addr_q;
    w_full_d = w_full_q;
    w_data_d = w_data_q;
    ar_full_d = ar_full_q;
    ar_addr_d = ar_addr_q;
    busy_d = busy_q;
    write_d = write_q;
    turn_d = turn_q;
    req_valid_d = 1'b0;
    req_addr_d = req_addr_q;
    req_wdata_d = req_wdata_q;
    b_valid_d = b_valid_q;
    b_resp_d = b_resp_q;
    r_valid_d = r_valid_q;
    r_data_d = r_data_q;
    r_resp_d = r_resp_q;

    if (aw_take) begin
      aw_full_d = 1'b1;
      aw_addr_d = s_axil_awaddr;
    end
    if (w_take) begin
      w_full_d = 1'b1;
      w_data_d = s_axil_wdata;
    end
    if (ar_take) begin
      ar_full_d = 1'b1;
      ar_addr_d = s_axil_araddr;
    end

    if (issue_write) begin
      aw_full_d = 1'b0;
      w_full_d = 1'b0;
      busy_d = 1'b1;
      write_d = 1'b1;
      turn_d = 1'b1;
      req_valid_d = 1'b1;
      req_addr_d = aw_addr_q;
      req_wdata_d = w_data_q;
    end else if (issue_read) begin
      ar_full_d = 1'b0;
      busy_d = 1'b1;
      write_d = 1'b0;
      turn_d = 1'b0;
      req_valid_d = 1'b1;
      req_addr_d = ar_addr_q;
    end

    if (busy_q && resp_valid_i) begin
      busy_d = 1'b0;
      if (write_q) begin
        b_valid_d = 1'b1;
        b_resp_d = resp_code_i;
      end else begin
        r_valid_d = 1'b1;
        r_data_d = resp_rdata_i;
        r_resp_d = resp_code_i;
      end
    end

    if (b_valid_q && s_axil_bready) begin
      b_valid_d = 1'b0;
    end
    if (r_valid_q && s_axil_rready) begin
      r_valid_d = 1'b0;
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      aw_full_q <= 1'b0;
      aw_addr_q <= {AddrWidth{1'b0}};
      w_full_q <= 1'b0;
      w_data_q <= 32'd0;
      ar_full_q <= 1'b0;
      ar_addr_q <= {AddrWidth{1'b0}};
      busy_q <= 1'b0;
      write_q <= 1'b0;
      turn_q <= 1'b0;
      req_valid_q <= 1'b0;
      req_addr_q <= {AddrWidth{1'b0}};
      req_wdata_q <= 32'd0;
      b_valid_q <= 1'b0;
      b_resp_q <= 2'b00;
      r_valid_q <= 1'b0;
      r_data_q <= 32'd0;
      r_resp_q <= 2'b00;
    end else begin
      aw_full_q <= aw_full_d;
      aw_addr_q <= aw_addr_d;
      w_full_q <= w_full_d;
      w_data_q <= w_data_d;
      ar_full_q <= ar_full_d;
      ar_addr_q <= ar_addr_d;
      busy_q <= busy_d;
      write_q <= write_d;
      turn_q <= turn_d;
      req_valid_q <= req_valid_d;
      req_addr_q <= req_addr_d;
      req_wdata_q <= req_wdata_d;
      b_valid_q <= b_valid_d;
      b_resp_q <= b_resp_d;
      r_valid_q <= r_valid_d;
      r_data_q <= r_data_d;
      r_resp_q <= r_resp_d;
    end
  end

  /* verilator lint_off UNUSEDSIGNAL */
  // Every write is a full 32-bit write (documented in eie_regs).
  wire unused_wstrb = |s_axil_wstrb;
  /* verilator lint_on UNUSEDSIGNAL */

  assign s_axil_awready = ~aw_full_q;
  assign s_axil_wready = ~w_full_q;
  assign s_axil_arready = ~ar_full_q;
  assign s_axil_bvalid = b_valid_q;
  assign s_axil_bresp = b_resp_q;
  assign s_axil_rvalid = r_valid_q;
  assign s_axil_rdata = r_data_q;
  assign s_axil_rresp = r_resp_q;
  assign req_valid_o = req_valid_q;
  assign req_write_o = write_q;
  assign req_addr_o = req_addr_q;
  assign req_wdata_o = req_wdata_q;
endmodule
`default_nettype wire
