// Self-test sequencer for the board build: runs a program from a ROM (block RAM) once after
// reset as AXI4-Lite master of the EIE core, and reports pass or fail.
//
// Program word (64 bits, one per ROM line of the $readmemh file):
//   [63:56] op   [55:32] address   [31:0] data
//   op 1 WRITE   write data to address; the response must be OKAY
//   op 2 EXPECT  read address; the response must be OKAY and the value equal data
//   op 3 POLL    read address until (value & data) != 0, at most PollLimit reads
//   op 0 END     the program passed
// Any other op, an error response or a failed check stops the program with fail_o set and
// step_o naming the failing word. The program generator is bitstream/flow/selftest.py.
`default_nettype none
module eie_selftest #(
    // Program words in the ROM: a power of two, 2 ..= 65536.
    parameter integer RomDepth = 1024,
    // $readmemh file holding the program.
    parameter RomFile = "selftest.hex",
    // Reads a POLL makes before it fails: 1 ..= 2^31.
    parameter integer PollLimit = 1 << 24
) (
    input  wire        clk_i,
    input  wire        rst_ni,
    output wire [23:0] m_axil_awaddr,
    output wire        m_axil_awvalid,
    input  wire        m_axil_awready,
    output wire [31:0] m_axil_wdata,
    output wire [3:0]  m_axil_wstrb,
    output wire        m_axil_wvalid,
    input  wire        m_axil_wready,
    input  wire [1:0]  m_axil_bresp,
    input  wire        m_axil_bvalid,
    output wire        m_axil_bready,
    output wire [23:0] m_axil_araddr,
    output wire        m_axil_arvalid,
    input  wire        m_axil_arready,
    input  wire [31:0] m_axil_rdata,
    input  wire [1:0]  m_axil_rresp,
    input  wire        m_axil_rvalid,
    output wire        m_axil_rready,
    output wire        busy_o,
    output wire        pass_o,
    output wire        fail_o,
    output wire [15:0] step_o
);
  localparam integer PC_BITS = $clog2(RomDepth);

  initial begin
    if (RomDepth < 2 || RomDepth > 65536 || (RomDepth & (RomDepth - 1)) != 0) begin
      $error("eie_selftest: RomDepth must be a power of two in 2..65536");
    end
    if (PollLimit < 1) begin
      $error("eie_selftest: PollLimit must be at least 1");
    end
  end

  localparam [7:0] OP_END = 8'd0;
  localparam [7:0] OP_WRITE = 8'd1;
  localparam [7:0] OP_EXPECT = 8'd2;
  localparam [7:0] OP_POLL = 8'd3;

  localparam [2:0] S_FETCH = 3'd0;  // ROM read of word pc in flight
  localparam [2:0] S_LATCH = 3'd1;  // ROM output valid, copied to cmd_q
  localparam [2:0] S_DECODE = 3'd2;  // cmd_q valid
  localparam [2:0] S_WRITE = 3'd3;  // address and data out, then the response
  localparam [2:0] S_READ = 3'd4;  // address out, then the data
  localparam [2:0] S_PASS = 3'd5;
  localparam [2:0] S_FAIL = 3'd6;

  reg [63:0] rom[0:RomDepth-1];
  initial $readmemh(RomFile, rom);

  // The ROM is read at pc_q only and its output registered once more, so neither the block
  // RAM's clock-to-out nor its address path limits the core clock.
  reg [63:0] rom_q;
  reg [63:0] cmd_q;
  reg [2:0] state_q, state_d;
  reg [15:0] pc_q, pc_d;
  reg aw_done_q, aw_done_d;
  reg w_done_q, w_done_d;
  reg ar_done_q, ar_done_d;
  reg [31:0] polls_q, polls_d;

  wire [7:0] op = cmd_q[63:56];
  wire [23:0] addr = cmd_q[55:32];
  wire [31:0] data = cmd_q[31:0];
  wire last_word = {16'd0, pc_q} == RomDepth - 1;

  always @(posedge clk_i) begin
    rom_q <= rom[pc_q[PC_BITS-1:0]];
    if (state_q == S_LATCH) cmd_q <= rom_q;
  end

  always @(*) begin
    state_d = state_q;
    pc_d = pc_q;
    aw_done_d = aw_done_q;
    w_done_d = w_done_q;
    ar_done_d = ar_done_q;
    polls_d = polls_q;
    case (state_q)
      S_FETCH: state_d = S_LATCH;
      S_LATCH: state_d = S_DECODE;
      S_DECODE: begin
        aw_done_d = 1'b0;
        w_done_d = 1'b0;
        ar_done_d = 1'b0;
        case (op)
          OP_END: state_d = S_PASS;
          OP_WRITE: state_d = S_WRITE;
          OP_EXPECT, OP_POLL: state_d = S_READ;
          default: state_d = S_FAIL;
        endcase
      end
      S_WRITE: begin
        if (m_axil_awready) aw_done_d = 1'b1;
        if (m_axil_wready) w_done_d = 1'b1;
        if (m_axil_bvalid) begin
          if (m_axil_bresp != 2'b00 || last_word) begin
            state_d = S_FAIL;
          end else begin
            pc_d = pc_q + 16'd1;
            state_d = S_FETCH;
          end
        end
      end
      S_READ: begin
        if (m_axil_arready) ar_done_d = 1'b1;
        if (m_axil_rvalid) begin
          ar_done_d = 1'b0;
          if (m_axil_rresp != 2'b00) begin
            state_d = S_FAIL;
          end else if (op == OP_POLL && (m_axil_rdata & data) == 32'd0) begin
            polls_d = polls_q + 1'b1;
            if (polls_q == PollLimit - 1) state_d = S_FAIL;
          end else if ((op == OP_EXPECT && m_axil_rdata != data) || last_word) begin
            state_d = S_FAIL;
          end else begin
            polls_d = 32'd0;
            pc_d = pc_q + 16'd1;
            state_d = S_FETCH;
          end
        end
      end
      S_PASS: state_d = S_PASS;
      S_FAIL: state_d = S_FAIL;
      default: state_d = S_FAIL;
    endcase
  end

  always @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q <= S_FETCH;
      pc_q <= 16'd0;
      aw_done_q <= 1'b0;
      w_done_q <= 1'b0;
      ar_done_q <= 1'b0;
      polls_q <= 32'd0;
    end else begin
      state_q <= state_d;
      pc_q <= pc_d;
      aw_done_q <= aw_done_d;
      w_done_q <= w_done_d;
      ar_done_q <= ar_done_d;
      polls_q <= polls_d;
    end
  end

  assign m_axil_awaddr = addr;
  assign m_axil_awvalid = state_q == S_WRITE && !aw_done_q;
  assign m_axil_wdata = data;
  assign m_axil_wstrb = 4'hF;
  assign m_axil_wvalid = state_q == S_WRITE && !w_done_q;
  assign m_axil_bready = state_q == S_WRITE;
  assign m_axil_araddr = addr;
  assign m_axil_arvalid = state_q == S_READ && !ar_done_q;
  assign m_axil_rready = state_q == S_READ;
  assign busy_o = state_q != S_PASS && state_q != S_FAIL;
  assign pass_o = state_q == S_PASS;
  assign fail_o = state_q == S_FAIL;
  assign step_o = pc_q;
endmodule
`default_nettype wire
