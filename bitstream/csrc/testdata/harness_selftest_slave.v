// A small AXI4-Lite slave used ONLY by the eie-bitstream harness self-tests
// (bitstream/tests/harness.rs). It is not part of the accelerator. It has the same ports as
// eie_top, so the harness drives it exactly as it drives the accelerator, and it exercises
// what the harness must cope with: its own ready back-pressure, write address and data
// accepted in either order, error responses, an interrupt, and an address that never answers.
//
// Map (byte offsets):
//   0x000         read-only: the Magic parameter (a write answers SLVERR)
//   0x004..0x03C  fifteen read/write scratch registers, byte strobes honoured
//   0x040         read/write: bit 0 drives irq_o
//   0x044         read-only: cycles since reset
//   0xFF_FFF0     never answers (read or write)
//   anything else DECERR
`default_nettype none

module harness_selftest_slave #(
  // Value read at offset 0; any 32-bit value.
  parameter integer Magic = 32'h5e1f_7e57
) (
  input  wire        clk_i,
  input  wire        rst_ni,
  input  wire [23:0] s_axil_awaddr,
  input  wire        s_axil_awvalid,
  output wire        s_axil_awready,
  input  wire [31:0] s_axil_wdata,
  input  wire [3:0]  s_axil_wstrb,
  input  wire        s_axil_wvalid,
  output wire        s_axil_wready,
  output wire [1:0]  s_axil_bresp,
  output wire        s_axil_bvalid,
  input  wire        s_axil_bready,
  input  wire [23:0] s_axil_araddr,
  input  wire        s_axil_arvalid,
  output wire        s_axil_arready,
  output wire [31:0] s_axil_rdata,
  output wire [1:0]  s_axil_rresp,
  output wire        s_axil_rvalid,
  input  wire        s_axil_rready,
  output wire        irq_o
);
  localparam [1:0] RESP_OKAY = 2'b00;
  localparam [1:0] RESP_SLVERR = 2'b10;
  localparam [1:0] RESP_DECERR = 2'b11;
  localparam [23:0] HANG_ADDR = 24'hFF_FFF0;

  // A free-running LFSR gates the ready outputs, so the slave stalls now and then by itself.
  reg [15:0] lfsr_q;
  reg [31:0] cycles_q;
  reg [31:0] scratch_q [0:15];
  reg        irq_q;

  reg        aw_full_q, w_full_q, b_valid_q, r_valid_q;
  reg [23:0] aw_addr_q;
  reg [31:0] w_data_q;
  reg [3:0]  w_strb_q;
  reg [1:0]  b_resp_q, r_resp_q;
  reg [31:0] r_data_q;
  reg        hung_q;

  wire stall = lfsr_q[0] & lfsr_q[3];
  assign s_axil_awready = !aw_full_q && !stall && !hung_q;
  assign s_axil_wready = !w_full_q && !stall && !hung_q;
  assign s_axil_arready = !r_valid_q && !stall && !hung_q;
  assign s_axil_bvalid = b_valid_q;
  assign s_axil_bresp = b_resp_q;
  assign s_axil_rvalid = r_valid_q;
  assign s_axil_rresp = r_resp_q;
  assign s_axil_rdata = r_data_q;
  assign irq_o = irq_q;

  wire aw_fire = s_axil_awvalid && s_axil_awready;
  wire w_fire = s_axil_wvalid && s_axil_wready;
  wire ar_fire = s_axil_arvalid && s_axil_arready;
  wire aw_have = aw_full_q || aw_fire;
  wire w_have = w_full_q || w_fire;
  wire [23:0] wr_addr = aw_full_q ? aw_addr_q : s_axil_awaddr;
  wire [31:0] wr_data = w_full_q ? w_data_q : s_axil_wdata;
  wire [3:0] wr_strb = w_full_q ? w_strb_q : s_axil_wstrb;
  wire do_write = aw_have && w_have && !b_valid_q && wr_addr != HANG_ADDR;
  wire [3:0] wr_index = wr_addr[5:2];
  wire wr_scratch = wr_addr[23:6] == 18'd0 && wr_index != 4'd0;

  function automatic [31:0] merge(input [31:0] old, input [31:0] data, input [3:0] strb);
    integer b;
    begin
      merge = old;
      for (b = 0; b < 4; b = b + 1) begin
        if (strb[b]) merge[8*b +: 8] = data[8*b +: 8];
      end
    end
  endfunction

  integer i;
  always @(posedge clk_i) begin
    if (!rst_ni) begin
      lfsr_q <= 16'hACE1;
      cycles_q <= 32'd0;
      irq_q <= 1'b0;
      aw_full_q <= 1'b0;
      w_full_q <= 1'b0;
      b_valid_q <= 1'b0;
      r_valid_q <= 1'b0;
      aw_addr_q <= 24'd0;
      w_data_q <= 32'd0;
      w_strb_q <= 4'd0;
      b_resp_q <= RESP_OKAY;
      r_resp_q <= RESP_OKAY;
      r_data_q <= 32'd0;
      hung_q <= 1'b0;
      for (i = 0; i < 16; i = i + 1) scratch_q[i] <= 32'd0;
    end else begin
      lfsr_q <= {lfsr_q[14:0], lfsr_q[15] ^ lfsr_q[13] ^ lfsr_q[12] ^ lfsr_q[10]};
      cycles_q <= cycles_q + 32'd1;
      if (aw_fire) aw_addr_q <= s_axil_awaddr;
      if (w_fire) begin
        w_data_q <= s_axil_wdata;
        w_strb_q <= s_axil_wstrb;
      end
      if (aw_have && w_have && wr_addr == HANG_ADDR) hung_q <= 1'b1;
      if (do_write) begin
        aw_full_q <= 1'b0;
        w_full_q <= 1'b0;
        b_valid_q <= 1'b1;
        if (wr_scratch) begin
          scratch_q[wr_index] <= merge(scratch_q[wr_index], wr_data, wr_strb);
          b_resp_q <= RESP_OKAY;
        end else if (wr_addr == 24'h40) begin
          if (wr_strb[0]) irq_q <= wr_data[0];
          b_resp_q <= RESP_OKAY;
        end else if (wr_addr == 24'h0 || wr_addr == 24'h44) begin
          b_resp_q <= RESP_SLVERR;
        end else begin
          b_resp_q <= RESP_DECERR;
        end
      end else begin
        if (aw_fire) aw_full_q <= 1'b1;
        if (w_fire) w_full_q <= 1'b1;
      end
      if (b_valid_q && s_axil_bready) b_valid_q <= 1'b0;
      if (r_valid_q && s_axil_rready) r_valid_q <= 1'b0;
      if (ar_fire) begin
        if (s_axil_araddr == HANG_ADDR) begin
          hung_q <= 1'b1;
        end else begin
          r_valid_q <= 1'b1;
          r_resp_q <= RESP_OKAY;
          if (s_axil_araddr == 24'h0) begin
            r_data_q <= Magic;
          end else if (s_axil_araddr[23:6] == 18'd0) begin
            r_data_q <= scratch_q[s_axil_araddr[5:2]];
          end else if (s_axil_araddr == 24'h40) begin
            r_data_q <= {31'd0, irq_q};
          end else if (s_axil_araddr == 24'h44) begin
            r_data_q <= cycles_q;
          end else begin
            r_data_q <= 32'd0;
            r_resp_q <= RESP_DECERR;
          end
        end
      end
    end
  end

  wire unused = &{1'b0, s_axil_awaddr[1:0], s_axil_araddr[1:0]};
endmodule

`default_nettype wire
