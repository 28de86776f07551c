`default_nettype none
// One processing element: its slice of the activations (two files, source and destination,
// swapping roles between layers), its slice of the sparse matrix and column pointers, its
// accumulators, and the pipeline
//
//   broadcast -> activation queue -> pointer read -> sparse-matrix read -> entry select
//             -> multiply-accumulate (eie_arith) ... write-back (requantize, ReLU)
//
// plus its leaf of the LNZD tree, its counters and its port on the memory bus (used only in
// I/O mode, when the accelerator is not busy).
module eie_pe #(
  parameter integer NumPes = 4,        // power of two 1..256
  parameter integer PeIndex = 0,       // 0..NumPes-1
  parameter integer QueueDepth = 8,    // activation queue entries, 1..64
  parameter integer SpmatWords = 1024, // 64-bit words, power of two >= 2
  parameter integer PtrEntries = 1024, // pointers, power of two >= 4
  parameter integer ActEntries = 256,  // activations per file, power of two >= 2
  parameter integer FillFlags = 3      // queue-fill thresholds for the CCU's stall, >= 2
) (
  input  wire                                          clk_i,
  input  wire                                          rst_ni,
  // Control from the CCU's registers; this PE registers its own copy and so sees each a
  // cycle after the CCU.
  input  wire                                          io_mode_ccu_i,
  input  wire                                          flush_ccu_i,
  input  wire                                          cnt_clr_ccu_i,  // 1 during reset
  // Accumulator clearing (after reset, abort or error).
  input  wire                                          clr_en_ccu_i,
  input  wire [$clog2(ActEntries)-1:0]                 clr_addr_ccu_i,
  // Codebook load.
  input  wire                                          cb_we_i,
  input  wire [3:0]                                    cb_addr_i,
  input  wire [15:0]                                   cb_data_i,
  // The current layer.
  input  wire                                          src_file_i,
  input  wire [$clog2(ActEntries)+$clog2(NumPes):0]    in_len_i,
  input  wire [$clog2(ActEntries)+$clog2(NumPes):0]    out_len_i,
  input  wire [$clog2(PtrEntries)-1:0]                 ptr_base_i,
  input  wire [5:0]                                    shift_i,
  input  wire                                          relu_i,
  input  wire                                          compute_ccu_i,
  input  wire                                          compute_start_ccu_i,
  input  wire                                          wb_start_ccu_i,
  // Broadcast from the CCU (registered here: eie_ccu BcastLevels = 1).
  input  wire                                          bcast_valid_i,
  input  wire [15:0]                                   bcast_j_i,
  input  wire [15:0]                                   bcast_a_i,
  // fill_o[k]: the activation queue holds QueueDepth - k or more elements (this cycle).
  output wire [FillFlags-1:0]                          fill_o,
  // State of the previous cycle: pipeline empty and leaf done; write-back busy.
  output wire                                          idle_o,
  output wire                                          wb_busy_o,
  // The first error of this PE: ROW_OVERFLOW (err_overflow_o), else PTR_BACKWARDS
  // (err_backwards_o) or PTR_PAST_END, and its column.
  output wire                                          err_o,
  output wire                                          err_overflow_o,
  output wire                                          err_backwards_o,
  output wire [(($clog2(PtrEntries) < 16) ? $clog2(PtrEntries) : 16)-1:0] err_col_o,  // JW bits
  // Leaf stream of the LNZD tree: {local address, a_j}.
  output wire                                          lz_valid_o,
  output wire [$clog2(ActEntries)+15:0]                lz_data_o,
  input  wire                                          lz_ready_i,
  // Memory bus (registered here, so a request reaches the memories a cycle later).
  input  wire                                          mb_valid_i,
  input  wire                                          mb_we_i,
  input  wire [1:0]                                    mb_sel_i,
  input  wire [7:0]                                    mb_pe_i,
  input  wire [23:0]                                   mb_addr_i,
  input  wire [31:0]                                   mb_wdata_i,
  output wire                                          mb_rvalid_o,
  output wire [31:0]                                   mb_rdata_o
);
  // The generated header defines the whole register map; this module uses a part of it.
  /* verilator lint_off UNUSEDPARAM */
  `include "eie_regs.vh"
  /* verilator lint_on UNUSEDPARAM */

  localparam integer AW = $clog2(ActEntries);
  localparam integer PW = $clog2(NumPes);
  localparam integer SW = $clog2(SpmatWords);
  localparam integer PAW = $clog2(PtrEntries);
  localparam integer PVW = SW + 4;
  // Column index bits kept in the PE: the CCU only starts layers with
  // ptr_base + columns < PtrEntries, so every broadcast j < PtrEntries (and j < 2^16).
  localparam integer JW = (PAW < 16) ? PAW : 16;
  localparam integer QCW = $clog2(QueueDepth + 1);
  localparam [31:0] QDEPTH32 = QueueDepth;
  localparam [31:0] PE_INDEX32 = PeIndex;
  localparam [1:0] SEL_ACT = 2'd0;
  localparam [1:0] SEL_PTR = 2'd1;
  localparam [1:0] SEL_SPMAT = 2'd2;
  localparam [1:0] SEL_COUNTER = 2'd3;

  // ---------------------------------------------------------------- control from the CCU
  // This PE's copy of the CCU's control registers (reset values as in the CCU: I/O mode,
  // counters cleared).
  wire io_mode_i;
  wire flush_i;
  wire compute_i;
  wire compute_start_i;
  wire wb_start_i;
  wire cnt_clr_i;
  wire clr_en_i;
  wire [AW-1:0] clr_addr_i;
  eie_dup_reg #(
    .Width(7 + AW),
    .ResetValue({1'b1, 1'b0, 1'b0, 1'b0, 1'b0, 1'b1, 1'b0, {AW{1'b0}}})
  ) u_ctl (
    .clk_i(clk_i),
    .rst_ni(rst_ni),
    .d_i({io_mode_ccu_i, flush_ccu_i, compute_ccu_i, compute_start_ccu_i, wb_start_ccu_i,
          cnt_clr_ccu_i, clr_en_ccu_i, clr_addr_ccu_i}),
    .q_o({io_mode_i, flush_i, compute_i, compute_start_i, wb_start_i, cnt_clr_i, clr_en_i,
          clr_addr_i})
  );

  // The broadcast register's copy: the CCU's stall rule counts it (BcastLevels). A flush
  // empties the queue in the cycle this register may still hold a broadcast from before it.
  wire bc_valid;
  wire [JW-1:0] bc_j;
  wire [15:0] bc_a;
  eie_dup_reg #(
    .Width(JW + 17)
  ) u_bcast (
    .clk_i(clk_i),
    .rst_ni(rst_ni),
    .d_i({bcast_valid_i, bcast_j_i[JW-1:0], bcast_a_i}),
    .q_o({bc_valid, bc_j, bc_a})
  );
  generate
    if (JW < 16) begin : g_bcast_j_high
      /* verilator lint_off UNUSEDSIGNAL */
      // Zero: every broadcast j < PtrEntries (see JW).
      wire unused_bcast_j_high = |bcast_j_i[15:JW];
      /* verilator lint_on UNUSEDSIGNAL */
    end
  endgenerate

  // The memory-bus request's copy. The register block waits for the read data (eie_regs
  // mb_rvalid_i) and issues one request at a time, so the extra cycle changes no order.
  // Only the address bits some memory of this PE decodes are kept.
  localparam integer MBW_ACT = AW + 1;
  localparam integer MBW_PTR = (PAW > MBW_ACT) ? PAW : MBW_ACT;
  localparam integer MBW_SPM = (SW + 1 > MBW_PTR) ? SW + 1 : MBW_PTR;
  localparam integer MBW = (MBW_SPM > 4) ? MBW_SPM : 4;
  wire mb_valid;
  wire mb_we;
  wire [1:0] mb_sel;
  wire [7:0] mb_pe;
  wire [MBW-1:0] mb_addr;
  wire [31:0] mb_wdata;
  eie_dup_reg #(
    .Width(44 + MBW)
  ) u_mb (
    .clk_i(clk_i),
    .rst_ni(rst_ni),
    .d_i({mb_valid_i, mb_we_i, mb_sel_i, mb_pe_i, mb_addr_i[MBW-1:0], mb_wdata_i}),
    .q_o({mb_valid, mb_we, mb_sel, mb_pe, mb_addr, mb_wdata})
  );

  // ---------------------------------------------------------------- rows of this PE
  // Rows i < len with i % NumPes == PeIndex (memmap Geometry::rows_of_pe), i.e.
  // (len + NumPes - 1 - PeIndex) / NumPes: one adder. The sum fits, as len <= NumPes *
  // ActEntries in every layer that starts.
  localparam [31:0] ROUND_UP32 = NumPes - 1 - PeIndex;
  function [AW:0] rows_of(input [AW+PW:0] len);
    /* verilator lint_off UNUSEDSIGNAL */
    reg [AW+PW:0] sum;  // only the quotient (the bits from PW up) is kept
    /* verilator lint_on UNUSEDSIGNAL */
    begin
      sum = len + ROUND_UP32[AW+PW:0];
      rows_of = sum[AW+PW:PW];
    end
  endfunction

  // Local copies of the layer's constants. The CCU sets them at least 20 cycles before a
  // phase uses them and holds them through it; the copies (one per PE, not merged by
  // synthesis) keep the long wires from the CCU out of the PE's logic paths, and the row
  // counts take one more register.
  wire [AW+PW:0] in_len_q;
  wire [AW+PW:0] out_len_q;
  wire src_file_q;
  wire [PAW-1:0] ptr_base_q;
  wire [5:0] shift_q;
  wire relu_q;
  eie_dup_reg #(
    .Width(2 * (AW + PW + 1) + PAW + 8)
  ) u_layer (
    .clk_i(clk_i),
    .rst_ni(rst_ni),
    .d_i({in_len_i, out_len_i, src_file_i, ptr_base_i, shift_i, relu_i}),
    .q_o({in_len_q, out_len_q, src_file_q, ptr_base_q, shift_q, relu_q})
  );
  reg [AW:0] in_rows_q;
  reg [AW:0] out_rows_q;
  always @(posedge clk_i) begin
    in_rows_q <= rows_of(in_len_q);
    out_rows_q <= rows_of(out_len_q);
  end

  // ---------------------------------------------------------------- memory bus decode
  wire mb_hit = mb_valid & (mb_pe == PE_INDEX32[7:0]) & io_mode_i;
  wire mb_act = mb_hit & (mb_sel == SEL_ACT);
  wire mb_ptr = mb_hit & (mb_sel == SEL_PTR);
  wire mb_spmat = mb_hit & (mb_sel == SEL_SPMAT);

  // ---------------------------------------------------------------- activation files
  wire leaf_done;
  wire leaf_re;
  wire [AW-1:0] leaf_raddr;
  wire wb_act_we;
  wire [AW-1:0] wb_act_waddr;
  wire [15:0] wb_act_wdata;
  wire [15:0] act_rdata;

  eie_ram_sdp #(
    .Width(16),
    .Depth(2 * ActEntries)
  ) u_act (
    .clk_i(clk_i),
    .we_i(io_mode_i ? (mb_act & mb_we) : wb_act_we),
    .waddr_i(io_mode_i ? mb_addr[AW:0] : {~src_file_q, wb_act_waddr}),
    .wdata_i(io_mode_i ? mb_wdata[15:0] : wb_act_wdata),
    .re_i(io_mode_i ? (mb_act & ~mb_we) : leaf_re),
    .raddr_i(io_mode_i ? mb_addr[AW:0] : {src_file_q, leaf_raddr}),
    .rdata_o(act_rdata)
  );

  eie_lnzd_leaf #(
    .ActEntries(ActEntries)
  ) u_leaf (
    .clk_i(clk_i),
    .rst_ni(rst_ni),
    .flush_i(flush_i),
    .start_i(compute_start_i),
    .count_i(in_rows_q),
    .re_o(leaf_re),
    .raddr_o(leaf_raddr),
    .rdata_i(act_rdata),
    .valid_o(lz_valid_o),
    .data_o(lz_data_o),
    .ready_i(lz_ready_i),
    .done_o(leaf_done)
  );

  // ---------------------------------------------------------------- activation queue
  wire q_empty;
  wire q_full;
  wire [QCW-1:0] q_count;
  wire [JW+15:0] q_head;
  wire q_pop;

  eie_fifo #(
    .Width(JW + 16),
    .Depth(QueueDepth)
  ) u_queue (
    .clk_i(clk_i),
    .rst_ni(rst_ni),
    .flush_i(flush_i),
    .push_i(bc_valid),
    .data_i({bc_j, bc_a}),
    .pop_i(q_pop),
    .head_o(q_head),
    .empty_o(q_empty),
    .full_o(q_full),
    .count_o(q_count)
  );

  // Registered fill levels for the CCU's stall decision: fill[k] = the queue holds
  // QueueDepth - k or more elements after this cycle's push and pop. The count changes by at
  // most one, so each flag is one of three comparisons of the registered count, chosen by the
  // push and the pop (no adder on the path from the pop). A threshold at or below zero is
  // always met.
  wire q_push_now = bc_valid & ~q_full;
  wire q_pop_now = q_pop & ~q_empty;
  reg [FillFlags-1:0] fill_d, fill_q;
  integer f;
  always @* begin
    for (f = 0; f < FillFlags; f = f + 1) begin
      if (f >= QueueDepth) begin
        fill_d[f] = 1'b1;
      end else if (q_push_now && !q_pop_now) begin
        fill_d[f] = ({{(32 - QCW){1'b0}}, q_count} + 32'd1 >= QDEPTH32 - f);
      end else if (q_pop_now && !q_push_now) begin
        fill_d[f] = ({{(32 - QCW){1'b0}}, q_count} >= QDEPTH32 - f + 32'd1);
      end else begin
        fill_d[f] = ({{(32 - QCW){1'b0}}, q_count} >= QDEPTH32 - f);
      end
    end
  end
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      fill_q <= {FillFlags{1'b0}};
    end else begin
      fill_q <= flush_i ? {FillFlags{1'b0}} : fill_d;
    end
  end

  // ---------------------------------------------------------------- errors
  // Any error (both sources are registered and sticky until the flush) stops the PE's units
  // from taking further work.
  wire ptr_err;
  wire spm_err;
  wire stop = ptr_err | spm_err;

  // ---------------------------------------------------------------- pointer read
  wire [PAW-1:0] ptr_addr_a;
  wire [PAW-1:0] ptr_addr_b;
  wire [PVW-1:0] ptr_rdata_a;
  wire [PVW-1:0] ptr_rdata_b;
  wire col_valid;
  wire [15:0] col_a;
  wire [JW-1:0] col_j;
  wire [SW-1:0] col_w_first;
  wire [SW-1:0] col_w_last;
  wire [2:0] col_lo;
  wire [2:0] col_hi;
  wire col_pop;
  wire ptr_err_backwards;
  wire [JW-1:0] ptr_err_col;
  wire ptr_idle;

  // A pointer written over the bus saturates at the largest value the RAM holds, which is
  // past the end of the sparse-matrix memory, so a huge pointer still ends in PTR_PAST_END.
  wire [PVW-1:0] ptr_wdata = (|(mb_wdata >> PVW)) ? {PVW{1'b1}} : mb_wdata[PVW-1:0];

  eie_ram_dp #(
    .Width(PVW),
    .Depth(PtrEntries)
  ) u_ptr_ram (
    .clk_i(clk_i),
    .addr_a_i(io_mode_i ? {mb_addr[0], mb_addr[PAW-1:1]} : ptr_addr_a),
    .we_a_i(mb_ptr & mb_we),
    .wdata_a_i(ptr_wdata),
    .rdata_a_o(ptr_rdata_a),
    .addr_b_i(ptr_addr_b),
    .rdata_b_o(ptr_rdata_b)
  );

  eie_ptr_read #(
    .PtrEntries(PtrEntries),
    .SpmatWords(SpmatWords),
    .ColWidth(JW)
  ) u_ptr (
    .clk_i(clk_i),
    .rst_ni(rst_ni),
    .flush_i(flush_i),
    .ptr_base_i(ptr_base_q),
    .stop_i(stop),
    .q_valid_i(~q_empty),
    .q_j_i(q_head[JW+15:16]),
    .q_a_i(q_head[15:0]),
    .q_pop_o(q_pop),
    .addr_a_o(ptr_addr_a),
    .addr_b_o(ptr_addr_b),
    .rdata_a_i(ptr_rdata_a),
    .rdata_b_i(ptr_rdata_b),
    .col_valid_o(col_valid),
    .col_a_o(col_a),
    .col_j_o(col_j),
    .col_w_first_o(col_w_first),
    .col_w_last_o(col_w_last),
    .col_lo_o(col_lo),
    .col_hi_o(col_hi),
    .col_pop_i(col_pop),
    .err_o(ptr_err),
    .err_backwards_o(ptr_err_backwards),
    .err_col_o(ptr_err_col),
    .idle_o(ptr_idle)
  );

  // ---------------------------------------------------------------- sparse-matrix read
  wire spm_re;
  wire [SW-1:0] spm_raddr;
  wire [63:0] spm_rdata;
  wire wd_valid;
  wire [63:0] wd_sums;
  wire [AW-1:0] wd_base;
  wire [31:0] wd_v;
  wire [7:0] wd_useful;
  wire [15:0] wd_a;
  wire wd_pop;
  wire [3:0] entries;
  wire [JW-1:0] spm_err_col;
  wire spm_idle;

  eie_ram_sdp #(
    .Width(64),
    .Depth(SpmatWords),
    .LaneWidth(32)
  ) u_spmat_ram (
    .clk_i(clk_i),
    .we_i((mb_spmat & mb_we) ? (mb_addr[0] ? 2'b10 : 2'b01) : 2'b00),
    .waddr_i(mb_addr[SW:1]),
    .wdata_i({mb_wdata, mb_wdata}),
    .re_i(io_mode_i ? (mb_spmat & ~mb_we) : spm_re),
    .raddr_i(io_mode_i ? mb_addr[SW:1] : spm_raddr),
    .rdata_o(spm_rdata)
  );

  eie_spmat_read #(
    .SpmatWords(SpmatWords),
    .ActEntries(ActEntries),
    .ColWidth(JW)
  ) u_spmat (
    .clk_i(clk_i),
    .rst_ni(rst_ni),
    .flush_i(flush_i),
    .rows_i(out_rows_q),
    .stop_i(stop),
    .col_valid_i(col_valid),
    .col_a_i(col_a),
    .col_j_i(col_j),
    .col_w_first_i(col_w_first),
    .col_w_last_i(col_w_last),
    .col_lo_i(col_lo),
    .col_hi_i(col_hi),
    .col_pop_o(col_pop),
    .re_o(spm_re),
    .raddr_o(spm_raddr),
    .rdata_i(spm_rdata),
    .wd_valid_o(wd_valid),
    .wd_sums_o(wd_sums),
    .wd_base_o(wd_base),
    .wd_v_o(wd_v),
    .wd_useful_o(wd_useful),
    .wd_a_o(wd_a),
    .wd_pop_i(wd_pop),
    .entries_o(entries),
    .err_o(spm_err),
    .err_col_o(spm_err_col),
    .idle_o(spm_idle)
  );

  // ---------------------------------------------------------------- entry select
  wire e_valid;
  wire [AW-1:0] e_row;
  wire [3:0] e_v;
  wire [15:0] e_a;
  wire sel_idle;

  eie_entry_select #(
    .ActEntries(ActEntries)
  ) u_select (
    .clk_i(clk_i),
    .rst_ni(rst_ni),
    .flush_i(flush_i),
    .stop_i(stop),
    .wd_valid_i(wd_valid),
    .wd_sums_i(wd_sums),
    .wd_base_i(wd_base),
    .wd_v_i(wd_v),
    .wd_useful_i(wd_useful),
    .wd_a_i(wd_a),
    .wd_pop_o(wd_pop),
    .e_valid_o(e_valid),
    .e_row_o(e_row),
    .e_v_o(e_v),
    .e_a_o(e_a),
    .idle_o(sel_idle)
  );

  // ---------------------------------------------------------------- arithmetic, accumulators
  wire ar_re;
  wire [AW-1:0] ar_raddr;
  wire ar_we;
  wire [AW-1:0] ar_waddr;
  wire [47:0] ar_wdata;
  wire ar_idle;
  wire wb_busy;
  wire wb_re;
  wire [AW-1:0] wb_raddr;
  wire wb_we;
  wire [AW-1:0] wb_waddr;
  wire [47:0] acc_rdata;

  eie_arith #(
    .ActEntries(ActEntries)
  ) u_arith (
    .clk_i(clk_i),
    .rst_ni(rst_ni),
    .flush_i(flush_i),
    .zero_i(~compute_i),
    .e_valid_i(e_valid),
    .e_row_i(e_row),
    .e_v_i(e_v),
    .e_a_i(e_a),
    .cb_we_i(cb_we_i),
    .cb_addr_i(cb_addr_i),
    .cb_data_i(cb_data_i),
    .acc_re_o(ar_re),
    .acc_raddr_o(ar_raddr),
    .acc_rdata_i(acc_rdata),
    .acc_we_o(ar_we),
    .acc_waddr_o(ar_waddr),
    .acc_wdata_o(ar_wdata),
    .idle_o(ar_idle)
  );

  // The compute, write-back and clearing phases never overlap; outside the compute phase the
  // arithmetic unit's write data is zero.
  eie_ram_sdp #(
    .Width(48),
    .Depth(ActEntries)
  ) u_acc (
    .clk_i(clk_i),
    .we_i(clr_en_i | wb_we | ar_we),
    .waddr_i(clr_en_i ? clr_addr_i : (wb_we ? wb_waddr : ar_waddr)),
    .wdata_i(ar_wdata),
    .re_i(wb_re | ar_re),
    .raddr_i(wb_re ? wb_raddr : ar_raddr),
    .rdata_o(acc_rdata)
  );

  eie_writeback #(
    .ActEntries(ActEntries)
  ) u_wb (
    .clk_i(clk_i),
    .rst_ni(rst_ni),
    .flush_i(flush_i),
    .start_i(wb_start_i),
    .rows_i(out_rows_q),
    .shift_i(shift_q),
    .relu_i(relu_q),
    .acc_re_o(wb_re),
    .acc_raddr_o(wb_raddr),
    .acc_rdata_i(acc_rdata),
    .acc_we_o(wb_we),
    .acc_waddr_o(wb_waddr),
    .act_we_o(wb_act_we),
    .act_waddr_o(wb_act_waddr),
    .act_wdata_o(wb_act_wdata),
    .busy_o(wb_busy)
  );

  // ---------------------------------------------------------------- state for the CCU
  // Registered, so the CCU's reductions over all PEs start from flip-flops.
  wire idle = q_empty & ptr_idle & spm_idle & sel_idle & ar_idle;
  reg idle_q, wb_busy_q;
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      idle_q <= 1'b1;
      wb_busy_q <= 1'b0;
    end else begin
      idle_q <= idle & leaf_done;
      wb_busy_q <= wb_busy;
    end
  end

  // ---------------------------------------------------------------- counters
  // A starvation bubble is a compute cycle in which the arithmetic unit gets no entry while
  // the activation queue is empty: the paper's load-balance loss, including the tail in
  // which a PE that finished its columns waits for the others.
  // Cleared synchronously by the CCU (held during reset and at START), so the flip-flops
  // need no asynchronous reset next to the clear. The increments are registered first, so
  // the pipeline's state reaches only a flip-flop and not the counters' 32-bit carry chains;
  // a count lands a cycle late, long before the program ends and the counters can be read.
  reg [31:0] entries_q, busy_q, starved_q, qfull_q;
  reg [3:0] entries_inc_q;
  reg busy_inc_q, starved_inc_q, qfull_inc_q;
  always @(posedge clk_i) begin
    entries_inc_q <= entries;
    busy_inc_q <= e_valid;
    starved_inc_q <= compute_i & q_empty & ~e_valid;
    qfull_inc_q <= compute_i & q_full;
    if (cnt_clr_i) begin
      entries_q <= 32'd0;
      busy_q <= 32'd0;
      starved_q <= 32'd0;
      qfull_q <= 32'd0;
    end else begin
      entries_q <= entries_q + {28'd0, entries_inc_q};
      busy_q <= busy_q + {31'd0, busy_inc_q};
      starved_q <= starved_q + {31'd0, starved_inc_q};
      qfull_q <= qfull_q + {31'd0, qfull_inc_q};
    end
  end

  // ---------------------------------------------------------------- bus read data
  // Request in cycle t, RAM data in t+2, registered next to the PE's logic in t+3 (so the
  // route from a block RAM ends in a flip-flop), registered answer in t+4. For the counters
  // the address is the byte offset inside the PE's counter block.
  reg rd1_q, rd2_q, rd3_q;
  reg [1:0] rd1_sel_q, rd2_sel_q, rd3_sel_q;
  reg [3:0] rd1_low_q, rd2_low_q, rd3_low_q;
  reg [15:0] rd3_act_q;
  reg [PVW-1:0] rd3_ptr_q;
  reg [31:0] rd3_spm_q;
  reg rvalid_q;
  reg [31:0] rdata_q, rdata_d;

  always @* begin
    case (rd3_sel_q)
      SEL_ACT:   rdata_d = {{16{rd3_act_q[15]}}, rd3_act_q};
      SEL_PTR:   rdata_d = {{(32 - PVW){1'b0}}, rd3_ptr_q};
      SEL_SPMAT: rdata_d = rd3_spm_q;
      SEL_COUNTER: begin
        case ({20'd0, rd3_low_q})
          EIE_PE_ENTRIES: rdata_d = entries_q;
          EIE_PE_BUSY:    rdata_d = busy_q;
          EIE_PE_STARVED: rdata_d = starved_q;
          default:        rdata_d = qfull_q;
        endcase
      end
      default:   rdata_d = 32'd0;
    endcase
    if (!rd3_q) begin
      rdata_d = 32'd0;
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rd1_q <= 1'b0;
      rd2_q <= 1'b0;
      rd3_q <= 1'b0;
      rvalid_q <= 1'b0;
    end else begin
      rd1_q <= mb_hit & ~mb_we;
      rd2_q <= rd1_q;
      rd3_q <= rd2_q;
      rvalid_q <= rd3_q;
    end
  end

  always @(posedge clk_i) begin
    rd1_sel_q <= mb_sel;
    rd1_low_q <= mb_addr[3:0];
    rd2_sel_q <= rd1_sel_q;
    rd2_low_q <= rd1_low_q;
    rd3_sel_q <= rd2_sel_q;
    rd3_low_q <= rd2_low_q;
    rd3_act_q <= act_rdata;
    rd3_ptr_q <= ptr_rdata_a;
    rd3_spm_q <= rd2_low_q[0] ? spm_rdata[63:32] : spm_rdata[31:0];
    rdata_q <= rdata_d;
  end

  generate
    if (MBW < 24) begin : g_mb_addr_high
      /* verilator lint_off UNUSEDSIGNAL */
      // Address bits above what this build's memories use are checked by the decoder.
      wire unused_mb_addr = |mb_addr_i[23:MBW];
      /* verilator lint_on UNUSEDSIGNAL */
    end
  endgenerate

  assign fill_o = fill_q;
  assign idle_o = idle_q;
  assign wb_busy_o = wb_busy_q;
  // The sparse-matrix reader's column is older than the pointer unit's.
  assign err_o = stop;
  assign err_overflow_o = spm_err;
  assign err_backwards_o = ptr_err_backwards;
  assign err_col_o = spm_err ? spm_err_col : ptr_err_col;
  assign mb_rvalid_o = rvalid_q;
  assign mb_rdata_o = rdata_q;
endmodule
`default_nettype wire
