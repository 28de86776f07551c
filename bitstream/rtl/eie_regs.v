`default_nettype none
// Register and window decode: answers one request at a time from the AXI4-Lite front end.
// Holds the configuration registers (CTRL, NUM_LAYERS, layer descriptors), the codebook
// store and the bus-error counter; reads the status and counters of the CCU; forwards
// activation, pointer, sparse-matrix and counter accesses to the PEs over the memory bus.
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
  // Requests from the AXI4-Lite front end.
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
  output wire [MaxLayers*32-1:0]       desc_in_len_o,
  output wire [MaxLayers*32-1:0]       desc_out_len_o,
  output wire [MaxLayers*32-1:0]       desc_ptr_base_o,
  output wire [MaxLayers*8-1:0]        desc_shift_o,
  output wire [MaxLayers-1:0]          desc_relu_o,
  output wire [MaxLayers-1:0]          desc_bias_o,
  output wire [MaxLayers*16-1:0]       desc_bias_act_o,
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

  // ---------------------------------------------------------------- state
  reg irq_en_q, irq_en_d;
  reg [31:0] num_layers_q, num_layers_d;
  wire [MaxLayers*32-1:0] in_len_q;
  wire [MaxLayers*32-1:0] out_len_q;
  wire [MaxLayers*32-1:0] ptr_base_q;
  wire [MaxLayers*8-1:0] shift_q;
  wire [MaxLayers-1:0] relu_q;
  wire [MaxLayers-1:0] bias_q;
  wire [MaxLayers*16-1:0] bias_act_q;
  reg desc_we;
  reg [31:0] axi_err_q, axi_err_d;
  reg [23:0] axi_err_addr_q, axi_err_addr_d;
  reg start_q, start_d;
  reg abort_q, abort_d;
  reg clr_done_q, clr_done_d;
  reg clr_error_q, clr_error_d;
  reg irq_q;
  // Response.
  reg resp_valid_q, resp_valid_d;
  reg [31:0] resp_rdata_q, resp_rdata_d;
  reg [1:0] resp_code_q, resp_code_d;
  // Waiting for memory-bus or codebook read data.
  reg wait_mb_q, wait_mb_d;
  reg [1:0] wait_cb_q, wait_cb_d;
  reg cb_zero_q, cb_zero_d;
  // Memory bus request.
  reg mb_valid_q, mb_valid_d;
  reg mb_we_q, mb_we_d;
  reg [1:0] mb_sel_q, mb_sel_d;
  reg [7:0] mb_pe_q, mb_pe_d;
  reg [23:0] mb_addr_q, mb_addr_d;
  reg [31:0] mb_wdata_q, mb_wdata_d;

  // ---------------------------------------------------------------- address decode
  // The front end holds the request's address and data until the response, so the decode
  // below is registered (stage 1) and the request is served from the registered decode one
  // cycle after req_valid_i (stage 2).
  wire [23:0] a = req_addr_i;
  wire in_reg_page_w = (a < EIE_CODEBOOK_BASE);
  wire in_cb_w = ((a & ~(PAGE_SPAN - 24'd1)) == EIE_CODEBOOK_BASE);
  wire in_cnt_w = ((a & ~(PAGE_SPAN - 24'd1)) == EIE_PE_COUNTER_BASE);
  wire in_act0_w = ((a & ~(EIE_ACT_SPAN - 24'd1)) == EIE_ACT0_BASE);
  wire in_act1_w = ((a & ~(EIE_ACT_SPAN - 24'd1)) == EIE_ACT1_BASE);
  wire in_ptr_w = ((a & ~(EIE_PTR_SPAN - 24'd1)) == EIE_PTR_BASE);
  wire in_spmat_w = ((a & ~(EIE_SPMAT_SPAN - 24'd1)) == EIE_SPMAT_BASE);

  // Offsets inside the windows, in elements.
  wire [23:0] cb_index = (a - EIE_CODEBOOK_BASE) >> 2;
  wire [23:0] cnt_off = a - EIE_PE_COUNTER_BASE;
  wire [23:0] cnt_pe = cnt_off >> $clog2(EIE_PE_COUNTER_STRIDE);
  wire [23:0] act_index = (a & (EIE_ACT_SPAN - 24'd1)) >> 2;
  wire [23:0] ptr_index = (a - EIE_PTR_BASE) >> 2;
  wire [23:0] spmat_index = (a - EIE_SPMAT_BASE) >> 3;

  // Layer descriptors.
  wire [23:0] desc_off = a - EIE_LAYER_BASE;
  wire in_desc_w = (a >= EIE_LAYER_BASE) &&
                   (desc_off < (EIE_MAX_LAYERS[23:0] * EIE_LAYER_STRIDE));
  wire [23:0] desc_layer24 = desc_off >> STRIDE_BITS;
  wire [23:0] desc_field = desc_off & (EIE_LAYER_STRIDE - 24'd1) & ~24'd3;

  // ---------------------------------------------------------------- window element -> PE
  // Activation j: PE j % NumPes, local address j / NumPes, file bit above it.
  wire [7:0] act_pe;
  wire [23:0] act_local;
  wire [23:0] act_local_full = act_index >> PW;
  generate
    if (PW > 0) begin : g_act_pe
      assign act_pe = {{(8 - PW){1'b0}}, act_index[PW-1:0]};
    end else begin : g_act_pe_single
      assign act_pe = 8'd0;
    end
  endgenerate
  assign act_local = {{(23 - AW){1'b0}}, in_act1_w, act_local_full[AW-1:0]};

  // Pointer p of PE pe at (pe * PtrEntries + p).
  wire [23:0] ptr_pe_full = ptr_index >> PAW;
  wire [7:0] ptr_pe = ptr_pe_full[7:0];
  wire [23:0] ptr_local = {{(24 - PAW){1'b0}}, ptr_index[PAW-1:0]};

  // Sparse-matrix word w of PE pe at (pe * SpmatWords + w), half in the lowest bit.
  wire [23:0] spmat_pe_full = spmat_index >> SW;
  wire [7:0] spmat_pe = spmat_pe_full[7:0];
  wire [23:0] spmat_local = {{(23 - SW){1'b0}}, spmat_index[SW-1:0], a[2]};

  // Stage 1 registers.
  reg [7:0] act_pe_q, ptr_pe_q, spmat_pe_q;
  reg [23:0] act_local_q, ptr_local_q, spmat_local_q;
  reg go_q;
  reg [23:0] aw;
  reg in_reg_page, in_cb, in_cnt, in_act, in_ptr, in_spmat, in_desc;
  reg [3:0] desc_layer;
  reg field_in_len, field_out_len, field_ptr_base, field_cfg, field_bias_act, field_cycles;
  reg cnt_present, act_present, ptr_present, spmat_present, cb_present;
  reg [7:0] cnt_pe_q;
  reg [23:0] cnt_local;
  reg [23:0] cb_index_q;

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      go_q <= 1'b0;
    end else begin
      go_q <= req_valid_i;
    end
  end

  always @(posedge clk_i) begin
    aw <= {a[23:2], 2'b00};
    in_reg_page <= in_reg_page_w;
    in_cb <= in_cb_w;
    in_cnt <= in_cnt_w;
    in_act <= in_act0_w | in_act1_w;
    in_ptr <= in_ptr_w;
    in_spmat <= in_spmat_w;
    in_desc <= in_desc_w;
    desc_layer <= desc_layer24[3:0];
    field_in_len <= (desc_field == EIE_LAYER_IN_LEN);
    field_out_len <= (desc_field == EIE_LAYER_OUT_LEN);
    field_ptr_base <= (desc_field == EIE_LAYER_PTR_BASE);
    field_cfg <= (desc_field == EIE_LAYER_CFG);
    field_bias_act <= (desc_field == EIE_LAYER_BIAS_ACT);
    field_cycles <= (desc_field == EIE_LAYER_CYCLES);
    cnt_present <= (cnt_pe < NUM_PES32[23:0]);
    act_present <= (act_index < ACT_CAP32[23:0]);
    ptr_present <= (ptr_index < PTR_CAP32[23:0]);
    spmat_present <= (spmat_index < SPMAT_CAP32[23:0]);
    cb_present <= ((cb_index >> 4) < MAX_LAYERS32[23:0]);
    cnt_pe_q <= cnt_pe[7:0];
    cnt_local <= cnt_off & (EIE_PE_COUNTER_STRIDE - 24'd1) & ~24'd3;
    cb_index_q <= cb_index;
    act_pe_q <= act_pe;
    act_local_q <= act_local;
    ptr_pe_q <= ptr_pe;
    ptr_local_q <= ptr_local;
    spmat_pe_q <= spmat_pe;
    spmat_local_q <= spmat_local;
  end

  wire field_known = field_in_len | field_out_len | field_ptr_base | field_cfg |
                     field_bias_act | field_cycles;
  wire desc_present = ({28'd0, desc_layer} < MAX_LAYERS32);
  wire [LW > 0 ? LW - 1 : 0:0] dl = desc_layer[LW > 0 ? LW - 1 : 0:0];

  // Status register value.
  wire [31:0] status = ({31'd0, busy_i} << EIE_STATUS_BUSY_BIT) |
                       ({31'd0, done_i} << EIE_STATUS_DONE_BIT) |
                       ({31'd0, error_i} << EIE_STATUS_ERROR_BIT) |
                       ({24'd0, err_code_i} << EIE_STATUS_CODE_SHIFT) |
                       ({24'd0, err_layer_i} << EIE_STATUS_LAYER_SHIFT);
  wire [31:0] ctrl = {31'd0, irq_en_q} << EIE_CTRL_IRQ_EN_BIT;
  wire [31:0] cfg_value = {24'd0, shift_q[dl*8 +: 8]} |
                          ({31'd0, relu_q[dl]} << EIE_LAYER_CFG_RELU_BIT) |
                          ({31'd0, bias_q[dl]} << EIE_LAYER_CFG_BIAS_BIT);

  // ---------------------------------------------------------------- codebook store
  wire [CBAW-1:0] cb_addr;
  generate
    if (LW > 0) begin : g_cb_addr
      assign cb_addr = {cb_index_q[LW+3:4], cb_index_q[3:0]};
    end else begin : g_cb_addr_single
      assign cb_addr = cb_index_q[3:0];
    end
  endgenerate
  wire cb_code0 = (cb_index_q[3:0] == 4'd0);
  reg cb_we;
  reg cb_re;
  wire [15:0] cb_rdata;

  eie_ram_sdp #(
    .Width(16),
    .Depth(1 << CBAW)
  ) u_codebooks (
    .clk_i(clk_i),
    .we_i(cb_we),
    .waddr_i(cb_addr),
    .wdata_i(req_wdata_i[15:0]),
    .re_i(busy_i ? ccu_cb_re_i : cb_re),
    .raddr_i(busy_i ? ccu_cb_raddr_i : cb_addr),
    .rdata_o(cb_rdata)
  );

  // ---------------------------------------------------------------- request handling
  reg [31:0] reg_rdata;
  reg [1:0] code;
  reg immediate;

  always @* begin
    irq_en_d = irq_en_q;
    num_layers_d = num_layers_q;
    desc_we = 1'b0;
    axi_err_d = axi_err_q;
    axi_err_addr_d = axi_err_addr_q;
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
    mb_we_d = mb_we_q;
    mb_sel_d = mb_sel_q;
    mb_pe_d = mb_pe_q;
    mb_addr_d = mb_addr_q;
    mb_wdata_d = mb_wdata_q;
    cb_we = 1'b0;
    cb_re = 1'b0;
    reg_rdata = 32'd0;
    code = OKAY;
    immediate = 1'b1;

    if (go_q) begin
      mb_we_d = req_write_i;
      mb_wdata_d = req_wdata_i;
      if (in_reg_page) begin
        case (aw)
          EIE_REG_ID: reg_rdata = EIE_ID_VALUE;
          EIE_REG_VERSION: reg_rdata = EIE_VERSION_VALUE;
          EIE_REG_GEOM_PES: reg_rdata = NUM_PES32;
          EIE_REG_GEOM_QUEUE_DEPTH: reg_rdata = QUEUE_DEPTH32;
          EIE_REG_GEOM_SPMAT_WORDS: reg_rdata = SPMAT_WORDS32;
          EIE_REG_GEOM_PTR_ENTRIES: reg_rdata = PTR_ENTRIES32;
          EIE_REG_GEOM_ACT_ENTRIES: reg_rdata = ACT_ENTRIES32;
          EIE_REG_GEOM_MAX_LAYERS: reg_rdata = MAX_LAYERS32;
          EIE_REG_GEOM_WIDTHS: reg_rdata = EIE_WIDTHS_VALUE;
          EIE_REG_CTRL: reg_rdata = ctrl;
          EIE_REG_STATUS: reg_rdata = status;
          EIE_REG_NUM_LAYERS: reg_rdata = num_layers_q;
          EIE_REG_CYCLES: reg_rdata = cycles_i;
          EIE_REG_BCAST_STALLS: reg_rdata = stalls_i;
          EIE_REG_AXI_ERR: reg_rdata = axi_err_q;
          EIE_REG_AXI_ERR_ADDR: reg_rdata = {8'd0, axi_err_addr_q};
          EIE_REG_ERROR_INFO: reg_rdata = err_info_i;
          default: begin
            if (in_desc && field_known) begin
              if (!desc_present) begin
                code = SLVERR;
              end else if (field_in_len) begin
                reg_rdata = in_len_q[dl*32 +: 32];
              end else if (field_out_len) begin
                reg_rdata = out_len_q[dl*32 +: 32];
              end else if (field_ptr_base) begin
                reg_rdata = ptr_base_q[dl*32 +: 32];
              end else if (field_cfg) begin
                reg_rdata = cfg_value;
              end else if (field_bias_act) begin
                reg_rdata = {{16{bias_act_q[dl*16+15]}}, bias_act_q[dl*16 +: 16]};
              end else begin
                reg_rdata = layer_cycles_i[dl*32 +: 32];
              end
            end else begin
              code = DECERR;
            end
          end
        endcase
        if (req_write_i && code == OKAY) begin
          case (aw)
            EIE_REG_CTRL: begin
              if (req_wdata_i[EIE_CTRL_START_BIT] && busy_i) begin
                code = SLVERR;
              end else begin
                irq_en_d = req_wdata_i[EIE_CTRL_IRQ_EN_BIT];
                start_d = req_wdata_i[EIE_CTRL_START_BIT];
                abort_d = req_wdata_i[EIE_CTRL_ABORT_BIT] & busy_i;
              end
            end
            EIE_REG_STATUS: begin
              clr_done_d = req_wdata_i[EIE_STATUS_DONE_BIT];
              clr_error_d = req_wdata_i[EIE_STATUS_ERROR_BIT];
            end
            EIE_REG_NUM_LAYERS: num_layers_d = req_wdata_i;
            EIE_REG_AXI_ERR: begin
              axi_err_d = 32'd0;
            end
            default: begin
              if (in_desc && !field_cycles) begin
                desc_we = 1'b1;
              end else begin
                // Identity, geometry, counters and LAYER_CYCLES are read-only.
                code = SLVERR;
              end
            end
          endcase
        end
      end else if (in_cb) begin
        if (!cb_present || busy_i || (req_write_i && cb_code0 && req_wdata_i[15:0] != 16'd0)) begin
          code = SLVERR;
        end else if (req_write_i) begin
          cb_we = 1'b1;
        end else begin
          cb_re = 1'b1;
          immediate = 1'b0;
          wait_cb_d = 2'd2;
          cb_zero_d = cb_code0;
        end
      end else if (in_cnt) begin
        if (req_write_i || !cnt_present) begin
          code = SLVERR;
        end else begin
          mb_valid_d = 1'b1;
          mb_sel_d = SEL_COUNTER;
          mb_pe_d = cnt_pe_q;
          mb_addr_d = cnt_local;
          immediate = 1'b0;
          wait_mb_d = 1'b1;
        end
      end else if (in_act) begin
        if (busy_i || !act_present) begin
          code = SLVERR;
        end else begin
          mb_valid_d = 1'b1;
          mb_sel_d = SEL_ACT;
          mb_pe_d = act_pe_q;
          mb_addr_d = act_local_q;
          immediate = req_write_i;
          wait_mb_d = ~req_write_i;
        end
      end else if (in_ptr) begin
        if (busy_i || !ptr_present) begin
          code = SLVERR;
        end else begin
          mb_valid_d = 1'b1;
          mb_sel_d = SEL_PTR;
          mb_pe_d = ptr_pe_q;
          mb_addr_d = ptr_local_q;
          immediate = req_write_i;
          wait_mb_d = ~req_write_i;
        end
      end else if (in_spmat) begin
        if (busy_i || !spmat_present) begin
          code = SLVERR;
        end else begin
          mb_valid_d = 1'b1;
          mb_sel_d = SEL_SPMAT;
          mb_pe_d = spmat_pe_q;
          mb_addr_d = spmat_local_q;
          immediate = req_write_i;
          wait_mb_d = ~req_write_i;
        end
      end else begin
        code = DECERR;
      end

      if (code != OKAY) begin
        immediate = 1'b1;
        wait_mb_d = 1'b0;
        wait_cb_d = 2'd0;
        mb_valid_d = 1'b0;
        cb_we = 1'b0;
        cb_re = 1'b0;
      end
      if (immediate) begin
        resp_valid_d = 1'b1;
        resp_rdata_d = req_write_i ? 32'd0 : reg_rdata;
        resp_code_d = code;
      end
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

    if (resp_valid_d && resp_code_d != OKAY) begin
      axi_err_d = {1'b1, (axi_err_q[30:0] == 31'h7fffffff) ? axi_err_q[30:0]
                                                              : axi_err_q[30:0] + 31'd1};
      axi_err_addr_d = req_addr_i;
    end
  end

  // ---------------------------------------------------------------- layer descriptors
  // One register set per layer, written when its own layer is addressed (desc_we is only
  // raised for a layer below MaxLayers and a writable field).
  genvar g;
  generate
    for (g = 0; g < MaxLayers; g = g + 1) begin : g_desc
      reg [31:0] in_len_r, out_len_r, ptr_base_r;
      reg [31:0] in_len_n, out_len_n, ptr_base_n;
      reg [5:0] shift_r, shift_n;
      reg relu_r, relu_n, bias_r, bias_n;
      reg [15:0] bias_act_r, bias_act_n;
      wire sel = desc_we & ({28'd0, desc_layer} == g);
      always @* begin
        in_len_n = in_len_r;
        out_len_n = out_len_r;
        ptr_base_n = ptr_base_r;
        shift_n = shift_r;
        relu_n = relu_r;
        bias_n = bias_r;
        bias_act_n = bias_act_r;
        if (sel && field_in_len) in_len_n = req_wdata_i;
        if (sel && field_out_len) out_len_n = req_wdata_i;
        if (sel && field_ptr_base) ptr_base_n = req_wdata_i;
        if (sel && field_cfg) begin
          shift_n = req_wdata_i[5:0] & EIE_LAYER_CFG_SHIFT_MASK[5:0];
          relu_n = req_wdata_i[EIE_LAYER_CFG_RELU_BIT];
          bias_n = req_wdata_i[EIE_LAYER_CFG_BIAS_BIT];
        end
        if (sel && field_bias_act) bias_act_n = req_wdata_i[15:0];
      end
      always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
          in_len_r <= 32'd0;
          out_len_r <= 32'd0;
          ptr_base_r <= 32'd0;
          shift_r <= 6'd0;
          relu_r <= 1'b0;
          bias_r <= 1'b0;
          bias_act_r <= 16'd0;
        end else begin
          in_len_r <= in_len_n;
          out_len_r <= out_len_n;
          ptr_base_r <= ptr_base_n;
          shift_r <= shift_n;
          relu_r <= relu_n;
          bias_r <= bias_n;
          bias_act_r <= bias_act_n;
        end
      end
      assign in_len_q[g*32 +: 32] = in_len_r;
      assign out_len_q[g*32 +: 32] = out_len_r;
      assign ptr_base_q[g*32 +: 32] = ptr_base_r;
      assign shift_q[g*8 +: 8] = {2'b00, shift_r};
      assign relu_q[g] = relu_r;
      assign bias_q[g] = bias_r;
      assign bias_act_q[g*16 +: 16] = bias_act_r;
    end
  endgenerate

  /* verilator lint_off UNUSEDSIGNAL */
  // Index bits above a window's capacity are caught by the capacity checks above.
  wire unused_index = |{act_local_full, ptr_pe_full, spmat_pe_full, cb_index_q, cnt_off, cnt_pe,
                        desc_layer24, desc_off};
  /* verilator lint_on UNUSEDSIGNAL */

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
      mb_we_q <= 1'b0;
      mb_sel_q <= 2'd0;
      mb_pe_q <= 8'd0;
      mb_addr_q <= 24'd0;
      mb_wdata_q <= 32'd0;
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
      mb_we_q <= mb_we_d;
      mb_sel_q <= mb_sel_d;
      mb_pe_q <= mb_pe_d;
      mb_addr_q <= mb_addr_d;
      mb_wdata_q <= mb_wdata_d;
    end
  end

  assign resp_valid_o = resp_valid_q;
  assign resp_rdata_o = resp_rdata_q;
  assign resp_code_o = resp_code_q;
  assign start_o = start_q;
  assign abort_o = abort_q;
  assign clr_done_o = clr_done_q;
  assign clr_error_o = clr_error_q;
  assign num_layers_o = num_layers_q;
  assign desc_in_len_o = in_len_q;
  assign desc_out_len_o = out_len_q;
  assign desc_ptr_base_o = ptr_base_q;
  assign desc_shift_o = shift_q;
  assign desc_relu_o = relu_q;
  assign desc_bias_o = bias_q;
  assign desc_bias_act_o = bias_act_q;
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
