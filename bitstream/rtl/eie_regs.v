`default_nettype none
// Register and window decode: answers one request at a time from the AXI4-Lite front end.
// Holds the configuration (CTRL, NUM_LAYERS, the layer descriptors), the codebook store and
// the bus-error counter; reads the status and counters of the CCU; forwards activation,
// pointer, sparse-matrix and counter accesses to the PEs over the memory bus.
//
// The front end holds a request's address and data until the response, so the decode is
// done in a first cycle into registers (which register, which window, element, PE, whether
// it exists in this build), the register page's value is read into a register in the
// second, the checks are registered in the third, and the request is served in the fourth.
//
// Responses (memmap regs.rs): DECERR outside every window and register; SLVERR inside a
// window past this build's capacity, for a memory-window access while busy, a write to a
// read-only register, a non-zero write to codebook code 0, and a START while busy. Address
// bits 1..0 are ignored and every write is a full 32-bit write (WSTRB is not used).
module eie_regs #(
  parameter integer NumPes = 4,        // power of two 1..256
  parameter integer QueueDepth = 8,    // 1..64
  parameter integer SpmatWords = 1024, // per PE, power of two >= 2
  parameter integer PtrEntries = 1024, // per PE, power of two >= 4
  parameter integer ActEntries = 256,  // per PE per file, power of two >= 2
  parameter integer MaxLayers = 4      // 1..16
) (
  input  wire                          clk_i,
  input  wire                          rst_ni,
  // Requests from the AXI4-Lite front end (held until the response).
  input  wire                          req_valid_i,
  input  wire                          req_write_i,
  input  wire [23:0]                   req_addr_i,
  input  wire [31:0]                   req_wdata_i,
  output wire                          resp_valid_o,
  output wire [31:0]                   resp_rdata_o,
  output wire [1:0]                    resp_code_o,
  // To and from the CCU.
  output wire                          start_o,
  output wire                          abort_o,
  output wire                          clr_done_o,
  output wire                          clr_error_o,
  output wire [31:0]                   num_layers_o,
  // Descriptor read port for the CCU: {layer, field}, field = byte offset / 4.
  input  wire [$clog2(MaxLayers)+2:0]  desc_raddr_i,
  output wire [31:0]                   desc_rdata_o,
  input  wire                          busy_i,
  input  wire                          done_i,
  input  wire                          error_i,
  input  wire [7:0]                    err_code_i,
  input  wire [7:0]                    err_layer_i,
  input  wire [31:0]                   err_info_i,
  input  wire [31:0]                   cycles_i,
  input  wire [31:0]                   stalls_i,
  input  wire [MaxLayers*32-1:0]       layer_cycles_i,
  input  wire                          ccu_cb_re_i,
  input  wire [$clog2(MaxLayers)+3:0]  ccu_cb_raddr_i,
  output wire [15:0]                   cb_rdata_o,
  // Memory bus to the PEs.
  output wire                          mb_valid_o,
  output wire                          mb_we_o,
  output wire [1:0]                    mb_sel_o,
  output wire [7:0]                    mb_pe_o,
  output wire [23:0]                   mb_addr_o,
  output wire [31:0]                   mb_wdata_o,
  input  wire                          mb_rvalid_i,
  input  wire [31:0]                   mb_rdata_i,
  output wire                          irq_o
);
  // The generated header defines the whole register map; this module uses most of it.
  /* verilator lint_off UNUSEDPARAM */
  `include "eie_regs.vh"
  /* verilator lint_on UNUSEDPARAM */

  localparam integer AW = $clog2(ActEntries);
  localparam integer PW = $clog2(NumPes);
  localparam integer SW = $clog2(SpmatWords);
  localparam integer PAW = $clog2(PtrEntries);
  localparam integer LW = $clog2(MaxLayers);
  localparam integer CBAW = LW + 4;
  localparam integer DAW = LW + 3;
  localparam [1:0] OKAY = 2'b00;
  localparam [1:0] SLVERR = 2'b10;
  localparam [1:0] DECERR = 2'b11;
  localparam [1:0] SEL_ACT = 2'd0;
  localparam [1:0] SEL_PTR = 2'd1;
  localparam [1:0] SEL_SPMAT = 2'd2;
  localparam [1:0] SEL_COUNTER = 2'd3;
  localparam [31:0] NUM_PES32 = NumPes;
  localparam [31:0] QUEUE_DEPTH32 = QueueDepth;
  localparam [31:0] SPMAT_WORDS32 = SpmatWords;
  localparam [31:0] PTR_ENTRIES32 = PtrEntries;
  localparam [31:0] ACT_ENTRIES32 = ActEntries;
  localparam [31:0] MAX_LAYERS32 = MaxLayers;
  localparam [31:0] ACT_CAP32 = NumPes * ActEntries;
  localparam [31:0] PTR_CAP32 = NumPes * PtrEntries;
  localparam [31:0] SPMAT_CAP32 = NumPes * SpmatWords;
  // The codebook and counter windows are 4 KiB: the distance between their bases.
  localparam [23:0] PAGE_SPAN = EIE_PE_COUNTER_BASE - EIE_CODEBOOK_BASE;
  localparam integer STRIDE_BITS = $clog2(EIE_LAYER_STRIDE);
  localparam [31:0] CFG_BITS = EIE_LAYER_CFG_SHIFT_MASK | (32'd1 << EIE_LAYER_CFG_RELU_BIT) |
                               (32'd1 << EIE_LAYER_CFG_BIAS_BIT);

  generate
    if (NumPes < 1 || NumPes > 256 || (NumPes & (NumPes - 1)) != 0 ||
        QueueDepth < 1 || QueueDepth > 64 ||
        SpmatWords < 2 || (SpmatWords & (SpmatWords - 1)) != 0 ||
        PtrEntries < 4 || (PtrEntries & (PtrEntries - 1)) != 0 ||
        ActEntries < 2 || (ActEntries & (ActEntries - 1)) != 0 ||
        MaxLayers < 1 || MaxLayers > 16 ||
        NumPes * ActEntries * 4 > EIE_ACT_SPAN || NumPes * PtrEntries * 4 > EIE_PTR_SPAN ||
        NumPes * SpmatWords * 8 > EIE_SPMAT_SPAN) begin : g_bad_params
`ifdef __ICARUS__
      initial $fatal(1, "eie_regs: bad geometry (see the parameter comments of eie_top)");
`else
      $error("eie_regs: bad geometry (see the parameter comments of eie_top)");
`endif
    end
  endgenerate

  // ================================================================ stage 1: decode
  wire [23:0] a = req_addr_i;
  wire [23:0] aw = {a[23:2], 2'b00};
  // Every window is aligned to its span, so an offset is the address masked.
  wire in_reg_page_w = (a < EIE_CODEBOOK_BASE);
  wire in_cb_w = ((a & ~(PAGE_SPAN - 24'd1)) == EIE_CODEBOOK_BASE);
  wire in_cnt_w = ((a & ~(PAGE_SPAN - 24'd1)) == EIE_PE_COUNTER_BASE);
  wire in_act0_w = ((a & ~(EIE_ACT_SPAN - 24'd1)) == EIE_ACT0_BASE);
  wire in_act1_w = ((a & ~(EIE_ACT_SPAN - 24'd1)) == EIE_ACT1_BASE);
  wire in_ptr_w = ((a & ~(EIE_PTR_SPAN - 24'd1)) == EIE_PTR_BASE);
  wire in_spmat_w = ((a & ~(EIE_SPMAT_SPAN - 24'd1)) == EIE_SPMAT_BASE);
  wire [23:0] cb_index = (a & (PAGE_SPAN - 24'd1)) >> 2;
  wire [23:0] cnt_off = a & (PAGE_SPAN - 24'd1);
  wire [23:0] cnt_pe = cnt_off >> $clog2(EIE_PE_COUNTER_STRIDE);
  wire [23:0] act_index = (a & (EIE_ACT_SPAN - 24'd1)) >> 2;
  wire [23:0] ptr_index = (a & (EIE_PTR_SPAN - 24'd1)) >> 2;
  wire [23:0] spmat_index = (a & (EIE_SPMAT_SPAN - 24'd1)) >> 3;

  // Layer descriptors: layer l's field f at LAYER_BASE + l * LAYER_STRIDE + f.
  wire [23:0] desc_off = a - EIE_LAYER_BASE;
  wire in_desc_w = (a >= EIE_LAYER_BASE) &&
                   (desc_off < (EIE_MAX_LAYERS[23:0] * EIE_LAYER_STRIDE));
  wire [23:0] desc_layer24 = desc_off >> STRIDE_BITS;
  wire [23:0] desc_field = desc_off & (EIE_LAYER_STRIDE - 24'd1) & ~24'd3;
  wire f_in_len = (desc_field == EIE_LAYER_IN_LEN);
  wire f_out_len = (desc_field == EIE_LAYER_OUT_LEN);
  wire f_ptr_base = (desc_field == EIE_LAYER_PTR_BASE);
  wire f_cfg = (desc_field == EIE_LAYER_CFG);
  wire f_bias_act = (desc_field == EIE_LAYER_BIAS_ACT);
  wire f_cycles = (desc_field == EIE_LAYER_CYCLES);
  wire f_stored = f_in_len | f_out_len | f_ptr_base | f_cfg | f_bias_act;

  // Registers of the register page: one-hot select of the variable ones, the value of the
  // constant ones.
  localparam integer R_CTRL = 0;
  localparam integer R_STATUS = 1;
  localparam integer R_NUM_LAYERS = 2;
  localparam integer R_CYCLES = 3;
  localparam integer R_STALLS = 4;
  localparam integer R_AXI_ERR = 5;
  localparam integer R_AXI_ERR_ADDR = 6;
  localparam integer R_ERROR_INFO = 7;
  localparam integer R_DESC = 8;        // a stored descriptor field
  localparam integer R_LAYER_CYCLES = 9;
  localparam integer NSEL = 10;
  reg [NSEL-1:0] rsel_w;
  reg [31:0] const_w;
  reg const_hit_w;
  always @* begin
    rsel_w = {NSEL{1'b0}};
    const_w = 32'd0;
    const_hit_w = 1'b1;
    case (aw)
      EIE_REG_ID: const_w = EIE_ID_VALUE;
      EIE_REG_VERSION: const_w = EIE_VERSION_VALUE;
      EIE_REG_GEOM_PES: const_w = NUM_PES32;
      EIE_REG_GEOM_QUEUE_DEPTH: const_w = QUEUE_DEPTH32;
      EIE_REG_GEOM_SPMAT_WORDS: const_w = SPMAT_WORDS32;
      EIE_REG_GEOM_PTR_ENTRIES: const_w = PTR_ENTRIES32;
      EIE_REG_GEOM_ACT_ENTRIES: const_w = ACT_ENTRIES32;
      EIE_REG_GEOM_MAX_LAYERS: const_w = MAX_LAYERS32;
      EIE_REG_GEOM_WIDTHS: const_w = EIE_WIDTHS_VALUE;
      default: begin
        const_hit_w = 1'b0;
        case (aw)
          EIE_REG_CTRL: rsel_w[R_CTRL] = 1'b1;
          EIE_REG_STATUS: rsel_w[R_STATUS] = 1'b1;
          EIE_REG_NUM_LAYERS: rsel_w[R_NUM_LAYERS] = 1'b1;
          EIE_REG_CYCLES: rsel_w[R_CYCLES] = 1'b1;
          EIE_REG_BCAST_STALLS: rsel_w[R_STALLS] = 1'b1;
          EIE_REG_AXI_ERR: rsel_w[R_AXI_ERR] = 1'b1;
          EIE_REG_AXI_ERR_ADDR: rsel_w[R_AXI_ERR_ADDR] = 1'b1;
          EIE_REG_ERROR_INFO: rsel_w[R_ERROR_INFO] = 1'b1;
          default: begin
            rsel_w[R_DESC] = in_desc_w & f_stored;
            rsel_w[R_LAYER_CYCLES] = in_desc_w & f_cycles;
          end
        endcase
      end
    endcase
  end

  // Window element -> PE. Activation j: PE j % NumPes, local address j / NumPes, with the
  // file bit above it. Pointer p of PE pe at pe * PtrEntries + p. Sparse-matrix word w of PE
  // pe at pe * SpmatWords + w, half in the lowest bit.
  wire [7:0] act_pe;
  wire [23:0] act_local_full = act_index >> PW;
  generate
    if (PW > 0) begin : g_act_pe
      assign act_pe = {{(8 - PW){1'b0}}, act_index[PW-1:0]};
    end else begin : g_act_pe_single
      assign act_pe = 8'd0;
    end
  endgenerate
  wire [23:0] act_local = {{(23 - AW){1'b0}}, in_act1_w, act_local_full[AW-1:0]};
  wire [23:0] ptr_pe_full = ptr_index >> PAW;
  wire [23:0] ptr_local = {{(24 - PAW){1'b0}}, ptr_index[PAW-1:0]};
  wire [23:0] spmat_pe_full = spmat_index >> SW;
  wire [23:0] spmat_local = {{(23 - SW){1'b0}}, spmat_index[SW-1:0], a[2]};

  // Stage 1 registers (go2_q: the request's stage 2, below).
  reg go_q, go2_q;
  reg in_reg_page, in_cb, in_cnt, in_act, in_ptr, in_spmat;
  reg [NSEL-1:0] rsel;
  reg [31:0] const_val;
  reg const_hit;
  reg [3:0] desc_layer;
  reg [2:0] desc_fidx;
  reg desc_is_cfg, desc_is_bias;
  reg cnt_present, act_present, ptr_present, spmat_present, cb_present;
  reg [23:0] cb_index_q;
  reg [1:0] sel;
  reg [7:0] pe;
  reg [23:0] local_addr;
  reg is_ctrl, is_status, is_num_layers, is_axi_err;

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      go_q <= 1'b0;
      go2_q <= 1'b0;
    end else begin
      go_q <= req_valid_i;
      go2_q <= go_q;
    end
  end

  always @(posedge clk_i) begin
    in_reg_page <= in_reg_page_w;
    in_cb <= in_cb_w;
    in_cnt <= in_cnt_w;
    in_act <= in_act0_w | in_act1_w;
    in_ptr <= in_ptr_w;
    in_spmat <= in_spmat_w;
    rsel <= rsel_w;
    const_val <= const_w;
    const_hit <= const_hit_w;
    desc_layer <= desc_layer24[3:0];
    desc_fidx <= desc_field[4:2];
    desc_is_cfg <= f_cfg;
    desc_is_bias <= f_bias_act;
    cnt_present <= (cnt_pe < NUM_PES32[23:0]);
    act_present <= (act_index < ACT_CAP32[23:0]);
    ptr_present <= (ptr_index < PTR_CAP32[23:0]);
    spmat_present <= (spmat_index < SPMAT_CAP32[23:0]);
    cb_present <= ((cb_index >> 4) < MAX_LAYERS32[23:0]);
    cb_index_q <= cb_index;
    is_ctrl <= (aw == EIE_REG_CTRL);
    is_status <= (aw == EIE_REG_STATUS);
    is_num_layers <= (aw == EIE_REG_NUM_LAYERS);
    is_axi_err <= (aw == EIE_REG_AXI_ERR);
    if (in_act0_w || in_act1_w) begin
      sel <= SEL_ACT;
      pe <= act_pe;
      local_addr <= act_local;
    end else if (in_ptr_w) begin
      sel <= SEL_PTR;
      pe <= ptr_pe_full[7:0];
      local_addr <= ptr_local;
    end else if (in_spmat_w) begin
      sel <= SEL_SPMAT;
      pe <= spmat_pe_full[7:0];
      local_addr <= spmat_local;
    end else begin
      sel <= SEL_COUNTER;
      pe <= cnt_pe[7:0];
      local_addr <= cnt_off & (EIE_PE_COUNTER_STRIDE - 24'd1) & ~24'd3;
    end
  end

  /* verilator lint_off UNUSEDSIGNAL */
  // Index bits above a window's capacity are caught by the capacity checks.
  wire unused_index = |{act_local_full, ptr_pe_full, spmat_pe_full, cb_index_q, cnt_pe,
                        desc_layer24, desc_off};
  /* verilator lint_on UNUSEDSIGNAL */

  // ================================================================ storage
  reg irq_en_q, irq_en_d;
  reg [31:0] num_layers_q, num_layers_d;
  reg [31:0] axi_err_q, axi_err_d;
  reg [23:0] axi_err_addr_q, axi_err_addr_d;

  // Layer descriptors in distributed RAM at {layer, field}: one read port for the bus, one
  // for the CCU (Yosys keeps one copy per read port). CFG is stored with its defined bits
  // only, BIAS_ACT sign-extended; LAYER_CYCLES lives in the CCU.
  wire desc_present = ({28'd0, desc_layer} < MAX_LAYERS32);
  wire [DAW-1:0] desc_addr;
  generate
    if (LW > 0) begin : g_desc_addr
      assign desc_addr = {desc_layer[LW-1:0], desc_fidx};
    end else begin : g_desc_addr_single
      assign desc_addr = desc_fidx;
    end
  endgenerate
  reg desc_we;
  reg [31:0] desc_mem [0:(1 << DAW)-1];
  wire [31:0] desc_wdata = desc_is_cfg ? (req_wdata_i & CFG_BITS) :
                           (desc_is_bias ? {{16{req_wdata_i[15]}}, req_wdata_i[15:0]} :
                            req_wdata_i);
  always @(posedge clk_i) begin
    if (desc_we) begin
      desc_mem[desc_addr] <= desc_wdata;
    end
  end
  wire [31:0] desc_value = desc_mem[desc_addr];
  assign desc_rdata_o = desc_mem[desc_raddr_i];

  // LAYER_CYCLES of the addressed layer.
  wire [LW > 0 ? LW - 1 : 0:0] dl = desc_layer[LW > 0 ? LW - 1 : 0:0];
  wire [31:0] layer_cycles = layer_cycles_i[dl*32 +: 32];

  // Codebook store.
  wire [CBAW-1:0] cb_addr;
  generate
    if (LW > 0) begin : g_cb_addr
      assign cb_addr = {cb_index_q[LW+3:4], cb_index_q[3:0]};
    end else begin : g_cb_addr_single
      assign cb_addr = cb_index_q[3:0];
    end
  endgenerate
  wire cb_code0 = (cb_index_q[3:0] == 4'd0);
  wire cb_we;
  wire cb_re;
  wire [15:0] cb_rdata;

  eie_ram_sdp #(
    .Width(16),
    .Depth(1 << CBAW)
  ) u_codebooks (
    .clk_i(clk_i),
    .we_i(cb_we),
    .waddr_i(cb_addr),
    .wdata_i(req_wdata_i[15:0]),
    // The CCU reads only while busy and the bus only while idle (stage 3 checks).
    .re_i(cb_re | ccu_cb_re_i),
    .raddr_i(cb_re ? cb_addr : ccu_cb_raddr_i),
    .rdata_o(cb_rdata)
  );

  // ================================================================ stage 2: read
  wire [31:0] status = ({31'd0, busy_i} << EIE_STATUS_BUSY_BIT) |
                       ({31'd0, done_i} << EIE_STATUS_DONE_BIT) |
                       ({31'd0, error_i} << EIE_STATUS_ERROR_BIT) |
                       ({24'd0, err_code_i} << EIE_STATUS_CODE_SHIFT) |
                       ({24'd0, err_layer_i} << EIE_STATUS_LAYER_SHIFT);
  wire [31:0] ctrl = {31'd0, irq_en_q} << EIE_CTRL_IRQ_EN_BIT;
  wire [31:0] reg_rdata = const_val |
                          ({32{rsel[R_CTRL]}} & ctrl) |
                          ({32{rsel[R_STATUS]}} & status) |
                          ({32{rsel[R_NUM_LAYERS]}} & num_layers_q) |
                          ({32{rsel[R_CYCLES]}} & cycles_i) |
                          ({32{rsel[R_STALLS]}} & stalls_i) |
                          ({32{rsel[R_AXI_ERR]}} & axi_err_q) |
                          ({32{rsel[R_AXI_ERR_ADDR]}} & {8'd0, axi_err_addr_q}) |
                          ({32{rsel[R_ERROR_INFO]}} & err_info_i) |
                          ({32{rsel[R_DESC]}} & desc_value) |
                          ({32{rsel[R_LAYER_CYCLES]}} & layer_cycles);
  // A register of the page that exists, and whether a write may change it.
  wire reg_exists = const_hit | (|rsel);
  wire reg_writable = is_ctrl | is_status | is_num_layers | is_axi_err | rsel[R_DESC];

  // Stage 2 registers: the page's read value and the two checks, so the checks and the
  // response below start from flip-flops (the wide read multiplexer into the response was
  // the 8-PE core's critical path).
  reg [31:0] reg_rdata_q;
  reg reg_exists_q, reg_writable_q;
  always @(posedge clk_i) begin
    reg_rdata_q <= reg_rdata;
    reg_exists_q <= reg_exists;
    reg_writable_q <= reg_writable;
  end

  // Stage 3: the checks. The response code and what the request may do are registered, so
  // stage 4 serves the request from flip-flops (the checks and the response logic together
  // were the core's slowest path in the SoC: the register page sits between the bus and the
  // CCU, and routes to both).
  reg [1:0] code;
  reg immediate;
  reg page_write, ctrl_abort, cb_write, cb_read, mb_request;
  always @* begin
    code = OKAY;
    immediate = 1'b1;
    page_write = 1'b0;
    ctrl_abort = 1'b0;
    cb_write = 1'b0;
    cb_read = 1'b0;
    mb_request = 1'b0;
    if (in_reg_page) begin
      if (!reg_exists_q) begin
        code = DECERR;
      end else if ((rsel[R_DESC] || rsel[R_LAYER_CYCLES]) && !desc_present) begin
        code = SLVERR;
      end else if (req_write_i) begin
        if (!reg_writable_q) begin
          // Identity, geometry, counters and LAYER_CYCLES are read-only.
          code = SLVERR;
        end else if (is_ctrl && req_wdata_i[EIE_CTRL_START_BIT] && busy_i) begin
          code = SLVERR;
        end else begin
          page_write = 1'b1;
          ctrl_abort = busy_i;
        end
      end
    end else if (in_cb) begin
      if (!cb_present || busy_i || (req_write_i && cb_code0 && req_wdata_i[15:0] != 16'd0)) begin
        code = SLVERR;
      end else if (req_write_i) begin
        cb_write = 1'b1;
      end else begin
        cb_read = 1'b1;
        immediate = 1'b0;
      end
    end else if (in_cnt) begin
      if (req_write_i || !cnt_present) begin
        code = SLVERR;
      end else begin
        mb_request = 1'b1;
        immediate = 1'b0;
      end
    end else if (in_act || in_ptr || in_spmat) begin
      if (busy_i || (in_act && !act_present) || (in_ptr && !ptr_present) ||
          (in_spmat && !spmat_present)) begin
        code = SLVERR;
      end else begin
        mb_request = 1'b1;
        immediate = req_write_i;
      end
    end else begin
      code = DECERR;
    end
  end

  // Set for one cycle, in the request's stage 3.
  reg answer_q;  // respond now with code_q (and the register page's value for a read)
  reg [1:0] code_q;
  reg page_write_q, ctrl_abort_q, cb_write_q, cb_read_q, mb_request_q;
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      answer_q <= 1'b0;
      code_q <= OKAY;
      page_write_q <= 1'b0;
      ctrl_abort_q <= 1'b0;
      cb_write_q <= 1'b0;
      cb_read_q <= 1'b0;
      mb_request_q <= 1'b0;
    end else begin
      answer_q <= go2_q & immediate;
      code_q <= code;
      page_write_q <= go2_q & page_write;
      ctrl_abort_q <= ctrl_abort;
      cb_write_q <= go2_q & cb_write;
      cb_read_q <= go2_q & cb_read;
      mb_request_q <= go2_q & mb_request;
    end
  end
  assign cb_we = cb_write_q;
  assign cb_re = cb_read_q;

  // ================================================================ stage 4: serve
  reg start_q, start_d;
  reg abort_q, abort_d;
  reg clr_done_q, clr_done_d;
  reg clr_error_q, clr_error_d;
  reg irq_q;
  reg resp_valid_q, resp_valid_d;
  reg [31:0] resp_rdata_q, resp_rdata_d;
  reg [1:0] resp_code_q, resp_code_d;
  // Waiting for memory-bus or codebook read data.
  reg wait_mb_q, wait_mb_d;
  reg [1:0] wait_cb_q, wait_cb_d;
  reg cb_zero_q, cb_zero_d;
  // Memory bus request.
  reg mb_valid_q, mb_valid_d;

  always @* begin
    irq_en_d = irq_en_q;
    num_layers_d = num_layers_q;
    axi_err_d = axi_err_q;
    axi_err_addr_d = axi_err_addr_q;
    desc_we = 1'b0;
    start_d = 1'b0;
    abort_d = 1'b0;
    clr_done_d = 1'b0;
    clr_error_d = 1'b0;
    resp_valid_d = 1'b0;
    resp_rdata_d = 32'd0;
    resp_code_d = OKAY;
    wait_mb_d = wait_mb_q;
    wait_cb_d = wait_cb_q;
    cb_zero_d = cb_zero_q;
    mb_valid_d = 1'b0;

    if (page_write_q) begin
      if (is_ctrl) begin
        irq_en_d = req_wdata_i[EIE_CTRL_IRQ_EN_BIT];
        start_d = req_wdata_i[EIE_CTRL_START_BIT];
        abort_d = req_wdata_i[EIE_CTRL_ABORT_BIT] & ctrl_abort_q;
      end
      if (is_status) begin
        clr_done_d = req_wdata_i[EIE_STATUS_DONE_BIT];
        clr_error_d = req_wdata_i[EIE_STATUS_ERROR_BIT];
      end
      if (is_num_layers) begin
        num_layers_d = req_wdata_i;
      end
      if (is_axi_err) begin
        axi_err_d = 32'd0;
      end
      desc_we = rsel[R_DESC];
    end
    if (cb_read_q) begin
      wait_cb_d = 2'd2;
      cb_zero_d = cb_code0;
    end
    if (mb_request_q) begin
      mb_valid_d = 1'b1;
      wait_mb_d = ~req_write_i;
    end
    if (answer_q) begin
      resp_valid_d = 1'b1;
      resp_rdata_d = (req_write_i || code_q != OKAY) ? 32'd0 : reg_rdata_q;
      resp_code_d = code_q;
    end

    if (wait_mb_q && mb_rvalid_i) begin
      wait_mb_d = 1'b0;
      resp_valid_d = 1'b1;
      resp_rdata_d = mb_rdata_i;
    end
    if (wait_cb_q != 2'd0) begin
      wait_cb_d = wait_cb_q - 2'd1;
      if (wait_cb_q == 2'd1) begin
        resp_valid_d = 1'b1;
        resp_rdata_d = cb_zero_q ? 32'd0 : {{16{cb_rdata[15]}}, cb_rdata};
      end
    end

    // Only an immediate answer carries an error code.
    if (answer_q && code_q != OKAY) begin
      axi_err_d = {1'b1, (axi_err_q[30:0] == 31'h7fffffff) ? axi_err_q[30:0]
                                                              : axi_err_q[30:0] + 31'd1};
      axi_err_addr_d = req_addr_i;
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      irq_en_q <= 1'b0;
      num_layers_q <= 32'd0;
      axi_err_q <= 32'd0;
      axi_err_addr_q <= 24'd0;
      start_q <= 1'b0;
      abort_q <= 1'b0;
      clr_done_q <= 1'b0;
      clr_error_q <= 1'b0;
      irq_q <= 1'b0;
      resp_valid_q <= 1'b0;
      resp_rdata_q <= 32'd0;
      resp_code_q <= OKAY;
      wait_mb_q <= 1'b0;
      wait_cb_q <= 2'd0;
      cb_zero_q <= 1'b0;
      mb_valid_q <= 1'b0;
    end else begin
      irq_en_q <= irq_en_d;
      num_layers_q <= num_layers_d;
      axi_err_q <= axi_err_d;
      axi_err_addr_q <= axi_err_addr_d;
      start_q <= start_d;
      abort_q <= abort_d;
      clr_done_q <= clr_done_d;
      clr_error_q <= clr_error_d;
      irq_q <= irq_en_q & (done_i | error_i);
      resp_valid_q <= resp_valid_d;
      resp_rdata_q <= resp_rdata_d;
      resp_code_q <= resp_code_d;
      wait_mb_q <= wait_mb_d;
      wait_cb_q <= wait_cb_d;
      cb_zero_q <= cb_zero_d;
      mb_valid_q <= mb_valid_d;
    end
  end


  // The memory-bus request registers follow the stage-1 decode; they only matter in the
  // cycle mb_valid_q is set.
  reg mb_we_q;
  reg [1:0] mb_sel_q;
  reg [7:0] mb_pe_q;
  reg [23:0] mb_addr_q;
  reg [31:0] mb_wdata_q;
  always @(posedge clk_i) begin
    mb_we_q <= req_write_i;
    mb_sel_q <= sel;
    mb_pe_q <= pe;
    mb_addr_q <= local_addr;
    mb_wdata_q <= req_wdata_i;
  end

  assign resp_valid_o = resp_valid_q;
  assign resp_rdata_o = resp_rdata_q;
  assign resp_code_o = resp_code_q;
  assign start_o = start_q;
  assign abort_o = abort_q;
  assign clr_done_o = clr_done_q;
  assign clr_error_o = clr_error_q;
  assign num_layers_o = num_layers_q;
  assign cb_rdata_o = cb_rdata;
  assign mb_valid_o = mb_valid_q;
  assign mb_we_o = mb_we_q;
  assign mb_sel_o = mb_sel_q;
  assign mb_pe_o = mb_pe_q;
  assign mb_addr_o = mb_addr_q;
  assign mb_wdata_o = mb_wdata_q;
  assign irq_o = irq_q;
endmodule
`default_nettype wire
