`default_nettype none
// EIE accelerator core: AXI4-Lite slave (registers and memory windows, memmap regs.rs), the
// central control unit with the layer program, the LNZD tree and NumPes processing
// elements. See README.md for the micro-architecture.
module eie_top #(
  parameter integer NumPes = 4,        // PEs, power of two 1..256
  parameter integer QueueDepth = 8,    // activation queue entries per PE, 1..64
  parameter integer SpmatWords = 1024, // sparse-matrix words (64 bits) per PE, power of two >= 2
  parameter integer PtrEntries = 1024, // column pointers per PE, power of two >= 4
  parameter integer ActEntries = 256,  // activations per PE per file, power of two >= 2
  parameter integer MaxLayers = 4      // layer descriptors, 1..16
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
  localparam integer AW = $clog2(ActEntries);
  localparam integer PW = $clog2(NumPes);
  localparam integer PAW = $clog2(PtrEntries);
  localparam integer LW = $clog2(MaxLayers);
  localparam integer LENW = AW + PW + 1;
  // Column index bits of a PE error (eie_pe JW): every broadcast j < PtrEntries.
  localparam integer JW = (PAW < 16) ? PAW : 16;
  // A PE error for the reduction: {ROW_OVERFLOW, PTR_BACKWARDS, column}.
  localparam integer EW = JW + 2;
  // Register levels of the reductions over the PEs (groups of 8 per level).
  localparam integer RL = (NumPes <= 8) ? 1 : ((NumPes <= 64) ? 2 : 3);
  // Register levels between the CCU's broadcast register and the PEs' queues (eie_pe u_bcast).
  localparam integer BL = 1;
  localparam integer FILLW = RL + BL + 2;

  generate
    if (NumPes < 1 || NumPes > 256 || (NumPes & (NumPes - 1)) != 0 ||
        QueueDepth < 1 || QueueDepth > 64 ||
        SpmatWords < 2 || (SpmatWords & (SpmatWords - 1)) != 0 ||
        PtrEntries < 4 || (PtrEntries & (PtrEntries - 1)) != 0 ||
        ActEntries < 2 || (ActEntries & (ActEntries - 1)) != 0 ||
        MaxLayers < 1 || MaxLayers > 16) begin : g_bad_params
`ifdef __ICARUS__
      initial $fatal(1, "eie_top: NumPes must be a power of two 1..256, QueueDepth 1..64, SpmatWords, PtrEntries (>= 4) and ActEntries powers of two >= 2, MaxLayers 1..16");
`else
      $error("eie_top: NumPes must be a power of two 1..256, QueueDepth 1..64, SpmatWords, PtrEntries (>= 4) and ActEntries powers of two >= 2, MaxLayers 1..16");
`endif
    end
  endgenerate

  // ---------------------------------------------------------------- AXI4-Lite front end
  wire req_valid;
  wire req_write;
  wire [23:0] req_addr;
  wire [31:0] req_wdata;
  wire resp_valid;
  wire [31:0] resp_rdata;
  wire [1:0] resp_code;

  eie_axil_slave #(
    .AddrWidth(24)
  ) u_axil (
    .clk_i(clk_i),
    .rst_ni(rst_ni),
    .s_axil_awaddr(s_axil_awaddr),
    .s_axil_awvalid(s_axil_awvalid),
    .s_axil_awready(s_axil_awready),
    .s_axil_wdata(s_axil_wdata),
    .s_axil_wstrb(s_axil_wstrb),
    .s_axil_wvalid(s_axil_wvalid),
    .s_axil_wready(s_axil_wready),
    .s_axil_bresp(s_axil_bresp),
    .s_axil_bvalid(s_axil_bvalid),
    .s_axil_bready(s_axil_bready),
    .s_axil_araddr(s_axil_araddr),
    .s_axil_arvalid(s_axil_arvalid),
    .s_axil_arready(s_axil_arready),
    .s_axil_rdata(s_axil_rdata),
    .s_axil_rresp(s_axil_rresp),
    .s_axil_rvalid(s_axil_rvalid),
    .s_axil_rready(s_axil_rready),
    .req_valid_o(req_valid),
    .req_write_o(req_write),
    .req_addr_o(req_addr),
    .req_wdata_o(req_wdata),
    .resp_valid_i(resp_valid),
    .resp_rdata_i(resp_rdata),
    .resp_code_i(resp_code)
  );

  // ---------------------------------------------------------------- registers and windows
  wire start;
  wire abort;
  wire clr_done;
  wire clr_error;
  wire [31:0] num_layers;
  wire [LW+2:0] desc_raddr;
  wire [31:0] desc_rdata;
  wire busy;
  wire done;
  wire error;
  wire [7:0] err_code;
  wire [7:0] err_layer;
  wire [31:0] err_info;
  wire [31:0] cycles;
  wire [31:0] stalls;
  wire [MaxLayers*32-1:0] layer_cycles;
  wire ccu_cb_re;
  wire [LW+3:0] ccu_cb_raddr;
  wire [15:0] cb_rdata;
  wire mb_valid;
  wire mb_we;
  wire [1:0] mb_sel;
  wire [7:0] mb_pe;
  wire [23:0] mb_addr;
  wire [31:0] mb_wdata;
  wire mb_rvalid;
  wire [31:0] mb_rdata;

  eie_regs #(
    .NumPes(NumPes),
    .QueueDepth(QueueDepth),
    .SpmatWords(SpmatWords),
    .PtrEntries(PtrEntries),
    .ActEntries(ActEntries),
    .MaxLayers(MaxLayers)
  ) u_regs (
    .clk_i(clk_i),
    .rst_ni(rst_ni),
    .req_valid_i(req_valid),
    .req_write_i(req_write),
    .req_addr_i(req_addr),
    .req_wdata_i(req_wdata),
    .resp_valid_o(resp_valid),
    .resp_rdata_o(resp_rdata),
    .resp_code_o(resp_code),
    .start_o(start),
    .abort_o(abort),
    .clr_done_o(clr_done),
    .clr_error_o(clr_error),
    .num_layers_o(num_layers),
    .desc_raddr_i(desc_raddr),
    .desc_rdata_o(desc_rdata),
    .busy_i(busy),
    .done_i(done),
    .error_i(error),
    .err_code_i(err_code),
    .err_layer_i(err_layer),
    .err_info_i(err_info),
    .cycles_i(cycles),
    .stalls_i(stalls),
    .layer_cycles_i(layer_cycles),
    .ccu_cb_re_i(ccu_cb_re),
    .ccu_cb_raddr_i(ccu_cb_raddr),
    .cb_rdata_o(cb_rdata),
    .mb_valid_o(mb_valid),
    .mb_we_o(mb_we),
    .mb_sel_o(mb_sel),
    .mb_pe_o(mb_pe),
    .mb_addr_o(mb_addr),
    .mb_wdata_o(mb_wdata),
    .mb_rvalid_i(mb_rvalid),
    .mb_rdata_i(mb_rdata),
    .irq_o(irq_o)
  );

  // ---------------------------------------------------------------- CCU
  wire io_mode;
  wire flush;
  wire cnt_clr;
  wire clr_en;
  wire [AW-1:0] clr_addr;
  wire pe_cb_we;
  wire [3:0] pe_cb_addr;
  wire [15:0] pe_cb_data;
  wire src_file;
  wire [LENW-1:0] in_len;
  wire [LENW-1:0] out_len;
  wire [PAW-1:0] ptr_base;
  wire [5:0] shift;
  wire relu;
  wire compute;
  wire compute_start;
  wire wb_start;
  wire bcast_valid;
  wire [15:0] bcast_j;
  wire [15:0] bcast_a;
  wire [NumPes*FILLW-1:0] pe_fill;
  wire [NumPes-1:0] pe_idle;
  wire [NumPes-1:0] pe_wb_busy;
  wire [NumPes-1:0] pe_err;
  wire [NumPes-1:0] pe_err_overflow;
  wire [NumPes-1:0] pe_err_backwards;
  wire [NumPes*JW-1:0] pe_err_col;
  wire [NumPes-1:0] leaf_valid;
  wire [NumPes*(AW+16)-1:0] leaf_data;
  wire [NumPes-1:0] leaf_ready;
  wire [FILLW-1:0] any_fill;
  wire any_busy;
  wire any_wb_busy;
  wire err_valid;
  wire [PW+EW-1:0] err_first;  // {PE, error}
  wire [7:0] err_pe;
  wire [15:0] err_col;
  wire root_valid;
  wire [31:0] root_data;
  wire root_ready;
  wire tree_empty;
  wire [NumPes-1:0] pe_rvalid;
  wire [NumPes*32-1:0] pe_rdata;

  eie_ccu #(
    .NumPes(NumPes),
    .PtrEntries(PtrEntries),
    .ActEntries(ActEntries),
    .MaxLayers(MaxLayers),
    .ReduceLevels(RL),
    .BcastLevels(BL)
  ) u_ccu (
    .clk_i(clk_i),
    .rst_ni(rst_ni),
    .start_i(start),
    .abort_i(abort),
    .clr_done_i(clr_done),
    .clr_error_i(clr_error),
    .num_layers_i(num_layers),
    .desc_raddr_o(desc_raddr),
    .desc_rdata_i(desc_rdata),
    .cb_re_o(ccu_cb_re),
    .cb_raddr_o(ccu_cb_raddr),
    .cb_rdata_i(cb_rdata),
    .busy_o(busy),
    .done_o(done),
    .error_o(error),
    .err_code_o(err_code),
    .err_layer_o(err_layer),
    .err_info_o(err_info),
    .cycles_o(cycles),
    .stalls_o(stalls),
    .layer_cycles_o(layer_cycles),
    .io_mode_o(io_mode),
    .flush_o(flush),
    .cnt_clr_o(cnt_clr),
    .clr_en_o(clr_en),
    .clr_addr_o(clr_addr),
    .pe_cb_we_o(pe_cb_we),
    .pe_cb_addr_o(pe_cb_addr),
    .pe_cb_data_o(pe_cb_data),
    .src_file_o(src_file),
    .in_len_o(in_len),
    .out_len_o(out_len),
    .ptr_base_o(ptr_base),
    .shift_o(shift),
    .relu_o(relu),
    .compute_o(compute),
    .compute_start_o(compute_start),
    .wb_start_o(wb_start),
    .bcast_valid_o(bcast_valid),
    .bcast_j_o(bcast_j),
    .bcast_a_o(bcast_a),
    .any_fill_i(any_fill),
    .any_busy_i(any_busy),
    .any_wb_busy_i(any_wb_busy),
    .err_valid_i(err_valid),
    .err_pe_i(err_pe),
    .err_overflow_i(err_first[EW-1]),
    .err_backwards_i(err_first[EW-2]),
    .err_col_i(err_col),
    .root_valid_i(root_valid),
    .root_data_i(root_data),
    .root_ready_o(root_ready),
    .tree_empty_i(tree_empty)
  );

  // ---------------------------------------------------------------- LNZD tree
  eie_lnzd_tree #(
    .NumPes(NumPes),
    .AddrWidth(AW)
  ) u_tree (
    .clk_i(clk_i),
    .rst_ni(rst_ni),
    .flush_i(flush),
    .leaf_valid_i(leaf_valid),
    .leaf_data_i(leaf_data),
    .leaf_ready_o(leaf_ready),
    .root_valid_o(root_valid),
    .root_data_o(root_data),
    .root_ready_i(root_ready),
    .empty_o(tree_empty)
  );

  // ---------------------------------------------------------------- PEs
  genvar k;
  generate
    for (k = 0; k < NumPes; k = k + 1) begin : g_pe
      eie_pe #(
        .NumPes(NumPes),
        .PeIndex(k),
        .QueueDepth(QueueDepth),
        .SpmatWords(SpmatWords),
        .PtrEntries(PtrEntries),
        .ActEntries(ActEntries),
        .FillFlags(FILLW)
      ) u_pe (
        .clk_i(clk_i),
        .rst_ni(rst_ni),
        .io_mode_ccu_i(io_mode),
        .flush_ccu_i(flush),
        .cnt_clr_ccu_i(cnt_clr),
        .clr_en_ccu_i(clr_en),
        .clr_addr_ccu_i(clr_addr),
        .cb_we_i(pe_cb_we),
        .cb_addr_i(pe_cb_addr),
        .cb_data_i(pe_cb_data),
        .src_file_i(src_file),
        .in_len_i(in_len),
        .out_len_i(out_len),
        .ptr_base_i(ptr_base),
        .shift_i(shift),
        .relu_i(relu),
        .compute_ccu_i(compute),
        .compute_start_ccu_i(compute_start),
        .wb_start_ccu_i(wb_start),
        .bcast_valid_i(bcast_valid),
        .bcast_j_i(bcast_j),
        .bcast_a_i(bcast_a),
        .fill_o(pe_fill[k*FILLW +: FILLW]),
        .idle_o(pe_idle[k]),
        .wb_busy_o(pe_wb_busy[k]),
        .err_o(pe_err[k]),
        .err_overflow_o(pe_err_overflow[k]),
        .err_backwards_o(pe_err_backwards[k]),
        .err_col_o(pe_err_col[k*JW +: JW]),
        .lz_valid_o(leaf_valid[k]),
        .lz_data_o(leaf_data[k*(AW+16) +: AW+16]),
        .lz_ready_i(leaf_ready[k]),
        .mb_valid_i(mb_valid),
        .mb_we_i(mb_we),
        .mb_sel_i(mb_sel),
        .mb_pe_i(mb_pe),
        .mb_addr_i(mb_addr),
        .mb_wdata_i(mb_wdata),
        .mb_rvalid_o(pe_rvalid[k]),
        .mb_rdata_o(pe_rdata[k*32 +: 32])
      );
    end
  endgenerate

  // ---------------------------------------------------------------- reductions over the PEs
  // Pipelined (eie_reduce_*), RL register levels, so no path crosses the array in one cycle.
  wire [NumPes*2-1:0] pe_busy_flags;
  wire [NumPes*EW-1:0] pe_err_info;
  wire [NumPes*33-1:0] pe_read;
  genvar r;
  generate
    for (r = 0; r < NumPes; r = r + 1) begin : g_flags
      assign pe_busy_flags[r*2 +: 2] = {pe_wb_busy[r], ~pe_idle[r]};
      assign pe_err_info[r*EW +: EW] = {pe_err_overflow[r], pe_err_backwards[r],
                                        pe_err_col[r*JW +: JW]};
      // Only the addressed PE answers a bus read; the others give zero.
      assign pe_read[r*33 +: 33] = {pe_rvalid[r], pe_rdata[r*32 +: 32]};
    end
  endgenerate

  eie_reduce_or #(
    .Inputs(NumPes),
    .Width(FILLW),
    .Levels(RL)
  ) u_red_fill (
    .clk_i(clk_i),
    .in_i(pe_fill),
    .out_o(any_fill)
  );

  eie_reduce_or #(
    .Inputs(NumPes),
    .Width(2),
    .Levels(RL)
  ) u_red_busy (
    .clk_i(clk_i),
    .in_i(pe_busy_flags),
    .out_o({any_wb_busy, any_busy})
  );

  eie_reduce_first #(
    .Inputs(NumPes),
    .Width(EW),
    .Levels(RL)
  ) u_red_err (
    .clk_i(clk_i),
    .rst_ni(rst_ni),
    .valid_i(pe_err),
    .data_i(pe_err_info),
    .valid_o(err_valid),
    .data_o(err_first)
  );
  // The PE number and the column, zero-extended for ERROR_INFO.
  generate
    if (PW == 0) begin : g_err_pe_none
      assign err_pe = 8'd0;
    end else if (PW < 8) begin : g_err_pe_narrow
      assign err_pe = {{(8 - PW){1'b0}}, err_first[EW +: PW]};
    end else begin : g_err_pe_full
      assign err_pe = err_first[EW +: 8];
    end
    if (JW < 16) begin : g_err_col_narrow
      assign err_col = {{(16 - JW){1'b0}}, err_first[JW-1:0]};
    end else begin : g_err_col_full
      assign err_col = err_first[15:0];
    end
  endgenerate

  wire [32:0] read_any;
  eie_reduce_or #(
    .Inputs(NumPes),
    .Width(33),
    .Levels(RL)
  ) u_red_read (
    .clk_i(clk_i),
    .in_i(pe_read),
    .out_o(read_any)
  );
  assign mb_rvalid = read_any[32];
  assign mb_rdata = read_any[31:0];
endmodule
`default_nettype wire
