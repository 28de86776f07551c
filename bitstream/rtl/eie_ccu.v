`default_nettype none
// Central control unit: runs the layer program and is the root of the LNZD tree.
//
// Per layer: load the descriptor, check it (LAYER_TOO_LONG, PTR_BASE_OUT_OF_RANGE,
// BAD_SHIFT), copy the layer's codebook into every PE, then the compute phase: the bias
// column (when the layer has one and its activation is non-zero) and every non-zero
// activation found by the tree are broadcast as (j, a_j), one per cycle, stalling while any
// PE queue could overflow. When the tree, the broadcast register and every PE are empty, the
// write-back phase requantizes the accumulators into the other activation file.
//
// A PE error (PTR_BACKWARDS, PTR_PAST_END, ROW_OVERFLOW) or CTRL_ABORT flushes every
// pipeline and clears every accumulator before the program ends with STATUS_ERROR, so the
// next program starts from zero. The accumulators are also cleared after reset (from the
// second cycle, not busy; a START during that clearing waits for it, outside CYCLES).
module eie_ccu #(
  parameter integer NumPes = 4,        // power of two 1..256
  parameter integer PtrEntries = 1024, // pointers per PE, power of two >= 4
  parameter integer ActEntries = 256,  // activations per PE per file, power of two >= 2
  parameter integer MaxLayers = 4,     // layer descriptors, 1..16
  parameter integer ReduceLevels = 1,  // register levels of the PE reductions (eie_reduce_*)
  parameter integer BcastLevels = 1    // registers between the broadcast register and a PE's queue
) (
  input  wire                                        clk_i,
  input  wire                                        rst_ni,
  // Commands from the register block.
  input  wire                                        start_i,
  input  wire                                        abort_i,
  input  wire                                        clr_done_i,
  input  wire                                        clr_error_i,
  input  wire [31:0]                                 num_layers_i,
  // Descriptor read port of the register block: {layer, field byte offset / 4}.
  output wire [$clog2(MaxLayers)+2:0]                desc_raddr_o,
  input  wire [31:0]                                 desc_rdata_i,
  // Codebook store read port (read latency 2).
  output wire                                        cb_re_o,
  output wire [$clog2(MaxLayers)+3:0]                cb_raddr_o,
  input  wire [15:0]                                 cb_rdata_i,
  // Status.
  output wire                                        busy_o,
  output wire                                        done_o,
  output wire                                        error_o,
  output wire [7:0]                                  err_code_o,
  output wire [7:0]                                  err_layer_o,
  output wire [31:0]                                 err_info_o,
  output wire [31:0]                                 cycles_o,
  output wire [31:0]                                 stalls_o,
  output wire [MaxLayers*32-1:0]                     layer_cycles_o,
  // To every PE, from this unit's registers (io_mode and compute through one decoder of the
  // state). Every PE registers its own copy (eie_dup_reg), so it sees them a cycle after this
  // unit does, and neither this unit's next-state logic nor any PE's logic sits on the nets
  // that reach all PEs.
  output wire                                        io_mode_o,
  output wire                                        flush_o,       // also the LNZD tree's
  output wire                                        cnt_clr_o,
  output wire                                        clr_en_o,
  output wire [$clog2(ActEntries)-1:0]               clr_addr_o,
  output wire                                        pe_cb_we_o,
  output wire [3:0]                                  pe_cb_addr_o,
  output wire [15:0]                                 pe_cb_data_o,
  output wire                                        src_file_o,
  output wire [$clog2(ActEntries)+$clog2(NumPes):0]  in_len_o,
  output wire [$clog2(ActEntries)+$clog2(NumPes):0]  out_len_o,
  output wire [$clog2(PtrEntries)-1:0]               ptr_base_o,
  output wire [5:0]                                  shift_o,
  output wire                                        relu_o,
  output wire                                        compute_o,
  output wire                                        compute_start_o,
  output wire                                        wb_start_o,
  output wire                                        bcast_valid_o,
  output wire [15:0]                                 bcast_j_o,
  output wire [15:0]                                 bcast_a_o,
  // From the PEs, through pipelined reductions of ReduceLevels register levels.
  input  wire [ReduceLevels+BcastLevels+1:0]         any_fill_i,    // OR of the PEs' fill_o
  input  wire                                        any_busy_i,    // some PE not idle
  input  wire                                        any_wb_busy_i,
  input  wire                                        err_valid_i,   // lowest PE with an error
  input  wire [7:0]                                  err_pe_i,
  input  wire                                        err_overflow_i,  // its error: ROW_OVERFLOW,
  input  wire                                        err_backwards_i, // else PTR_BACKWARDS or _PAST_END
  input  wire [15:0]                                 err_col_i,
  // Root of the LNZD tree: {j, a_j}.
  input  wire                                        root_valid_i,
  input  wire [31:0]                                 root_data_i,
  output wire                                        root_ready_o,
  input  wire                                        tree_empty_i
);
  // The generated header defines the whole register map; this module uses a part of it.
  /* verilator lint_off UNUSEDPARAM */
  `include "eie_regs.vh"
  /* verilator lint_on UNUSEDPARAM */

  localparam integer AW = $clog2(ActEntries);
  localparam integer PW = $clog2(NumPes);
  localparam integer PAW = $clog2(PtrEntries);
  localparam integer LW = $clog2(MaxLayers);
  localparam integer LENW = AW + PW + 1;
  localparam integer LIW = (LW > 0) ? LW : 1;
  localparam [31:0] MAX_LEN32 = NumPes * ActEntries;
  // "* 1" gives the value a size, which Verilator wants before it enters a concatenation.
  localparam [31:0] PTR_ENTRIES32 = PtrEntries * 1;
  localparam [33:0] MAX_LEN = {2'b00, MAX_LEN32[31:0]};
  localparam [33:0] PTR_ENTRIES = {2'b00, PTR_ENTRIES32[31:0]};
  localparam [33:0] MAX_COLUMNS = {2'b00, EIE_MAX_COLUMNS[31:0]};
  localparam [5:0] MAX_SHIFT = EIE_MAX_SHIFT[5:0];
  localparam [31:0] MAX_LAYERS32 = MaxLayers;
  localparam [31:0] LAST_ROW32 = ActEntries - 1;

  localparam [3:0] S_IDLE = 4'd0;
  localparam [3:0] S_WAIT_CLEAR = 4'd1;
  localparam [3:0] S_PROG = 4'd2;
  localparam [3:0] S_LOAD = 4'd3;
  localparam [3:0] S_CHECK = 4'd4;
  localparam [3:0] S_CODEBOOK = 4'd5;
  localparam [3:0] S_COMPUTE = 4'd6;
  localparam [3:0] S_WB = 4'd7;
  localparam [3:0] S_FLUSH = 4'd8;
  localparam [3:0] S_CLEAR = 4'd9;
  localparam [3:0] S_FINISH = 4'd10;

  generate
    if (NumPes < 1 || NumPes > 256 || (NumPes & (NumPes - 1)) != 0 || MaxLayers < 1 ||
        MaxLayers > 16 || ReduceLevels < 1 || ReduceLevels > 8 || BcastLevels < 1 ||
        BcastLevels > 4) begin : g_bad_params
`ifdef __ICARUS__
      initial $fatal(1, "eie_ccu: NumPes must be a power of two 1..256, MaxLayers 1..16");
`else
      $error("eie_ccu: NumPes must be a power of two 1..256, MaxLayers 1..16");
`endif
    end
  endgenerate

  reg [3:0] state_q, state_d;
  reg [31:0] nl_q, nl_d;
  reg [3:0] layer_q, layer_d;
  reg [4:0] step_q, step_d;
  // Status.
  reg done_q, done_d;
  reg error_q, error_d;
  reg fail_q, fail_d;
  reg [7:0] code_q, code_d;
  reg [7:0] err_layer_q, err_layer_d;
  reg [31:0] err_info_q, err_info_d;
  reg [31:0] cycles_q, cycles_d;
  reg [31:0] stalls_q, stalls_d;
  reg [31:0] lc_q, lc_d;
  wire [MaxLayers*32-1:0] layer_cycles_q;
  reg lc_store;
  reg lc_reset;
  // The store, registered (see LAYER_CYCLES below).
  reg lc_store_q;
  // Descriptor of the current layer.
  reg [31:0] in_len_q, in_len_d;
  reg [31:0] out_len_q, out_len_d;
  reg [31:0] ptr_base_q, ptr_base_d;
  reg [7:0] shift_q, shift_d;
  reg relu_q, relu_d;
  reg bias_q, bias_d;
  reg [15:0] bias_act_q, bias_act_d;
  // Control.
  reg flush_q, flush_d;
  reg cnt_clr_q, cnt_clr_d;
  reg compute_start_q, compute_start_d;
  reg wb_start_q, wb_start_d;
  reg bias_pending_q, bias_pending_d;
  reg bcast_valid_q, bcast_valid_d;
  reg [31:0] bcast_q, bcast_d;
  reg clr_active_q, clr_active_d;
  reg boot_q;
  reg [AW-1:0] clr_addr_q, clr_addr_d;
  // Codebook copy pipeline (the store's read latency is 2).
  reg cb1_q, cb2_q;
  reg [3:0] cb1_code_q, cb2_code_q;

  // ---------------------------------------------------------------- descriptor checks
  wire [33:0] columns = {2'b00, in_len_q} + {33'd0, bias_q};
  wire too_long = (in_len_q == 32'd0) || (out_len_q == 32'd0) ||
                  ({2'b00, in_len_q} > MAX_LEN) || ({2'b00, out_len_q} > MAX_LEN) ||
                  (columns > MAX_COLUMNS);
  wire ptr_out_of_range = ({2'b00, ptr_base_q} + columns) >= PTR_ENTRIES;
  wire bad_shift = (shift_q > {2'b00, MAX_SHIFT});
  // Registered, so no comparator sits in the next-state logic. The descriptor decision is
  // taken in the second cycle of S_CHECK; NUM_LAYERS is copied at START, a cycle before
  // S_WAIT_CLEAR can pass to S_PROG; the layer index changes at the end of a layer's
  // write-back, tens of cycles before S_WB asks again.
  reg too_long_q, ptr_out_of_range_q, bad_shift_q;
  reg bad_layer_count_q, last_layer_q;
  always @(posedge clk_i) begin
    too_long_q <= too_long;
    ptr_out_of_range_q <= ptr_out_of_range;
    bad_shift_q <= bad_shift;
    bad_layer_count_q <= (nl_q == 32'd0) || (nl_q > MAX_LAYERS32);
    last_layer_q <= ({28'd0, layer_q} + 32'd1 == nl_q);
  end

  // ---------------------------------------------------------------- delays matching the PEs
  // The PEs' flags reach this unit through a register in the PE and ReduceLevels register
  // levels. The drain test compares states of one cycle: the tree's emptiness and the
  // broadcasts not yet in the queues (in the broadcast register or in the BcastLevels
  // registers in front of the queues) are delayed to match, so all of them describe the
  // state ReduceLevels + 1 cycles ago. Once the tree, the broadcasts and every PE are empty
  // nothing can refill them, so the delay only postpones the end of the phase.
  localparam integer DL = ReduceLevels + 1;
  // Broadcast history: how far back a broadcast may still be on its way into the queues as
  // the fill flags see them.
  localparam integer HL = ReduceLevels + BcastLevels;
  reg [DL-1:0] tree_idle_q, quiet_q;
  reg [HL-1:0] bhist_q;  // bhist_q[i]: bcast_valid_q of i + 1 cycles ago
  wire [HL:0] bhist = {bhist_q, bcast_valid_q};
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      tree_idle_q <= {DL{1'b1}};
      quiet_q <= {DL{1'b1}};
      bhist_q <= {HL{1'b0}};
    end else begin
      tree_idle_q <= {tree_idle_q[DL-2:0], tree_empty_i};
      quiet_q <= {quiet_q[DL-2:0], ~|bhist[BcastLevels:0] & ~bias_pending_q};
      bhist_q <= bhist[HL-1:0];
    end
  end

  // ---------------------------------------------------------------- broadcast
  wire in_compute = (state_q == S_COMPUTE);
  // A broadcast decided now lands in the queues at the end of cycle BcastLevels + 1 from
  // now. The fill flags describe the queues at the end of the cycle ReduceLevels + 1 ago;
  // the broadcasts of the last HL + 1 cycles (the one in the broadcast register included)
  // may have arrived since, and nothing is assumed to have left. With k of them, every queue
  // must have held at most QueueDepth - 1 - k.
  reg [3:0] in_flight;
  reg stall;
  integer h;
  always @* begin
    in_flight = 4'd0;
    for (h = 0; h <= HL; h = h + 1) begin
      in_flight = in_flight + {3'd0, bhist[h]};
    end
    stall = 1'b0;
    for (h = 0; h <= HL + 1; h = h + 1) begin
      if (in_flight == h[3:0]) begin
        stall = any_fill_i[h];
      end
    end
  end
  wire fire_bias = in_compute & bias_pending_q & ~stall;
  wire fire_tree = in_compute & ~bias_pending_q & root_valid_i & ~stall;
  wire drained = quiet_q[DL-1] & tree_idle_q[DL-1] & ~any_busy_i;
  // Cycles after the start of a phase before the delayed flags describe the phase: a PE
  // copies the start a cycle after this unit, its leaf or write-back unit turns busy the
  // cycle after, its flag register the next, then ReduceLevels levels; one cycle of margin.
  localparam [31:0] SETTLE32 = ReduceLevels + 4;
  localparam [4:0] SETTLE = SETTLE32[4:0];

  // ---------------------------------------------------------------- errors and abort
  // The errors the case below finds this cycle, and so whether an abort is taken and a flush
  // begins, from registers only: the abort and flush decisions then do not wait for the
  // next state.
  wire pe_error_now = in_compute & err_valid_i;
  wire program_error_now = ((state_q == S_PROG) & bad_layer_count_q) |
                           ((state_q == S_CHECK) & (step_q != 5'd0) &
                            (too_long_q | ptr_out_of_range_q | bad_shift_q));
  wire running = (state_q != S_IDLE) & (state_q != S_FLUSH) & (state_q != S_CLEAR) &
                 (state_q != S_FINISH);
  wire abort_now = abort_i & running & ~pe_error_now & ~program_error_now;
  wire flush_entry = abort_now | pe_error_now;

  // ---------------------------------------------------------------- descriptor select
  // layer_q < NUM_LAYERS <= MaxLayers, so its low bits index the descriptors.
  wire [LIW-1:0] li = layer_q[LIW-1:0];

  always @* begin
    state_d = state_q;
    nl_d = nl_q;
    layer_d = layer_q;
    step_d = step_q;
    done_d = done_q;
    error_d = error_q;
    fail_d = fail_q;
    code_d = code_q;
    err_layer_d = err_layer_q;
    err_info_d = err_info_q;
    cycles_d = cycles_q;
    stalls_d = stalls_q;
    lc_d = lc_q + 32'd1;
    lc_store = 1'b0;
    lc_reset = 1'b0;
    in_len_d = in_len_q;
    out_len_d = out_len_q;
    ptr_base_d = ptr_base_q;
    shift_d = shift_q;
    relu_d = relu_q;
    bias_d = bias_q;
    bias_act_d = bias_act_q;
    flush_d = 1'b0;
    cnt_clr_d = 1'b0;
    compute_start_d = 1'b0;
    wb_start_d = 1'b0;
    bias_pending_d = bias_pending_q & ~fire_bias;
    bcast_valid_d = fire_bias | fire_tree;
    bcast_d = fire_bias ? {in_len_q[15:0], bias_act_q} : root_data_i;
    clr_active_d = clr_active_q;
    clr_addr_d = clr_addr_q;

    if (boot_q) begin
      clr_active_d = 1'b1;
      clr_addr_d = {AW{1'b0}};
    end
    if (clr_active_q) begin
      clr_addr_d = clr_addr_q + 1'b1;
      if (clr_addr_q == LAST_ROW32[AW-1:0]) begin
        clr_active_d = 1'b0;
      end
    end
    if (clr_done_i) begin
      done_d = 1'b0;
    end
    if (clr_error_i) begin
      error_d = 1'b0;
      code_d = 8'd0;
      err_layer_d = 8'd0;
    end
    if (state_q != S_IDLE && state_q != S_WAIT_CLEAR) begin
      cycles_d = cycles_q + 32'd1;
    end
    if (in_compute && (bias_pending_q || root_valid_i) && stall) begin
      stalls_d = stalls_q + 32'd1;
    end

    case (state_q)
      S_IDLE: begin
        if (start_i) begin
          state_d = S_WAIT_CLEAR;
          nl_d = num_layers_i;
          done_d = 1'b0;
          error_d = 1'b0;
          fail_d = 1'b0;
          code_d = 8'd0;
          err_layer_d = 8'd0;
          err_info_d = 32'd0;
          cycles_d = 32'd0;
          stalls_d = 32'd0;
          lc_reset = 1'b1;
          cnt_clr_d = 1'b1;
        end
      end
      S_WAIT_CLEAR: begin
        if (!clr_active_q && !boot_q) begin
          state_d = S_PROG;
        end
      end
      S_PROG: begin
        layer_d = 4'd0;
        if (bad_layer_count_q) begin
          fail_d = 1'b1;
          code_d = EIE_ERR_BAD_LAYER_COUNT;
          state_d = S_FINISH;
        end else begin
          step_d = 5'd0;
          state_d = S_LOAD;
        end
      end
      S_LOAD: begin
        // One descriptor field per cycle, in the order of desc_field below.
        step_d = step_q + 5'd1;
        case (step_q[2:0])
          3'd0: begin
            lc_d = 32'd1;
            in_len_d = desc_rdata_i;
          end
          3'd1: out_len_d = desc_rdata_i;
          3'd2: ptr_base_d = desc_rdata_i;
          3'd3: begin
            shift_d = {2'b00, desc_rdata_i[5:0] & EIE_LAYER_CFG_SHIFT_MASK[5:0]};
            relu_d = desc_rdata_i[EIE_LAYER_CFG_RELU_BIT];
            bias_d = desc_rdata_i[EIE_LAYER_CFG_BIAS_BIT];
          end
          default: begin
            bias_act_d = desc_rdata_i[15:0];
            step_d = 5'd0;
            state_d = S_CHECK;
          end
        endcase
      end
      S_CHECK: begin
        step_d = 5'd1;
        if (step_q == 5'd0) begin
          state_d = S_CHECK;
        end else if (too_long_q || ptr_out_of_range_q || bad_shift_q) begin
          step_d = 5'd0;
          fail_d = 1'b1;
          code_d = too_long_q ? EIE_ERR_LAYER_TOO_LONG :
                   (ptr_out_of_range_q ? EIE_ERR_PTR_BASE_OUT_OF_RANGE : EIE_ERR_BAD_SHIFT);
          err_layer_d = {4'd0, layer_q};
          lc_store = 1'b1;
          state_d = S_FINISH;
        end else begin
          step_d = 5'd0;
          state_d = S_CODEBOOK;
        end
      end
      S_CODEBOOK: begin
        step_d = step_q + 5'd1;
        if (step_q == 5'd17) begin
          step_d = 5'd0;
          compute_start_d = 1'b1;
          bias_pending_d = bias_q && (bias_act_q != 16'd0);
          state_d = S_COMPUTE;
        end
      end
      S_COMPUTE: begin
        if (step_q != SETTLE) begin
          step_d = step_q + 5'd1;
        end
        if (err_valid_i) begin
          fail_d = 1'b1;
          code_d = err_overflow_i ? EIE_ERR_ROW_OVERFLOW :
                   (err_backwards_i ? EIE_ERR_PTR_BACKWARDS : EIE_ERR_PTR_PAST_END);
          err_layer_d = {4'd0, layer_q};
          err_info_d = {err_pe_i, 8'd0, err_col_i};
          state_d = S_FLUSH;
        end else if (step_q == SETTLE && drained) begin
          step_d = 5'd0;
          wb_start_d = 1'b1;
          state_d = S_WB;
        end
      end
      S_WB: begin
        if (step_q != SETTLE) begin
          step_d = step_q + 5'd1;
        end
        if (step_q == SETTLE && !any_wb_busy_i) begin
          lc_store = 1'b1;
          if (last_layer_q) begin
            state_d = S_FINISH;
          end else begin
            layer_d = layer_q + 4'd1;
            step_d = 5'd0;
            state_d = S_LOAD;
          end
        end
      end
      S_FLUSH: begin
        flush_d = 1'b1;
        step_d = step_q + 5'd1;
        if (step_q == 5'd1) begin
          clr_active_d = 1'b1;
          clr_addr_d = {AW{1'b0}};
          state_d = S_CLEAR;
        end
      end
      S_CLEAR: begin
        if (!clr_active_q) begin
          state_d = S_FINISH;
        end
      end
      S_FINISH: begin
        done_d = ~fail_q;
        error_d = fail_q;
        state_d = S_IDLE;
      end
      default: begin
        state_d = S_IDLE;
      end
    endcase

    // CTRL_ABORT stops any running program (errors found in the same cycle win).
    if (abort_now) begin
      fail_d = 1'b1;
      code_d = EIE_ERR_ABORTED;
      err_layer_d = {4'd0, layer_q};
      step_d = 5'd0;
      state_d = S_FLUSH;
    end
    if (flush_entry) begin
      step_d = 5'd0;
      flush_d = 1'b1;
      bias_pending_d = 1'b0;
      bcast_valid_d = 1'b0;
      if (state_q != S_LOAD && state_q != S_CHECK && state_q != S_CODEBOOK &&
          state_q != S_PROG && state_q != S_WAIT_CLEAR) begin
        lc_store = 1'b1;
      end
    end
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= S_IDLE;
      nl_q <= 32'd0;
      layer_q <= 4'd0;
      step_q <= 5'd0;
      done_q <= 1'b0;
      error_q <= 1'b0;
      fail_q <= 1'b0;
      code_q <= 8'd0;
      err_layer_q <= 8'd0;
      err_info_q <= 32'd0;
      cycles_q <= 32'd0;
      stalls_q <= 32'd0;
      lc_q <= 32'd0;
      lc_store_q <= 1'b0;
      in_len_q <= 32'd0;
      out_len_q <= 32'd0;
      ptr_base_q <= 32'd0;
      shift_q <= 8'd0;
      relu_q <= 1'b0;
      bias_q <= 1'b0;
      bias_act_q <= 16'd0;
      flush_q <= 1'b0;
      cnt_clr_q <= 1'b1;  // the PEs' counters are cleared during reset
      compute_start_q <= 1'b0;
      wb_start_q <= 1'b0;
      bias_pending_q <= 1'b0;
      bcast_valid_q <= 1'b0;
      bcast_q <= 32'd0;
      clr_active_q <= 1'b0;
      boot_q <= 1'b1;
      clr_addr_q <= {AW{1'b0}};
      cb1_q <= 1'b0;
      cb2_q <= 1'b0;
      cb1_code_q <= 4'd0;
      cb2_code_q <= 4'd0;
    end else begin
      state_q <= state_d;
      nl_q <= nl_d;
      layer_q <= layer_d;
      step_q <= step_d;
      done_q <= done_d;
      error_q <= error_d;
      fail_q <= fail_d;
      code_q <= code_d;
      err_layer_q <= err_layer_d;
      err_info_q <= err_info_d;
      cycles_q <= cycles_d;
      stalls_q <= stalls_d;
      lc_q <= lc_d;
      lc_store_q <= lc_store;
      in_len_q <= in_len_d;
      out_len_q <= out_len_d;
      ptr_base_q <= ptr_base_d;
      shift_q <= shift_d;
      relu_q <= relu_d;
      bias_q <= bias_d;
      bias_act_q <= bias_act_d;
      flush_q <= flush_d;
      cnt_clr_q <= cnt_clr_d;
      compute_start_q <= compute_start_d;
      wb_start_q <= wb_start_d;
      bias_pending_q <= bias_pending_d;
      bcast_valid_q <= bcast_valid_d;
      bcast_q <= bcast_d;
      clr_active_q <= clr_active_d;
      boot_q <= 1'b0;
      clr_addr_q <= clr_addr_d;
      cb1_q <= cb_re_o;
      cb2_q <= cb1_q;
      cb1_code_q <= step_q[3:0];
      cb2_code_q <= cb1_code_q;
    end
  end

  // Descriptor field read in S_LOAD step k.
  reg [2:0] desc_field;
  always @* begin
    case (step_q[2:0])
      3'd0: desc_field = EIE_LAYER_IN_LEN[4:2];
      3'd1: desc_field = EIE_LAYER_OUT_LEN[4:2];
      3'd2: desc_field = EIE_LAYER_PTR_BASE[4:2];
      3'd3: desc_field = EIE_LAYER_CFG[4:2];
      default: desc_field = EIE_LAYER_BIAS_ACT[4:2];
    endcase
  end
  generate
    if (LW > 0) begin : g_desc_addr
      assign desc_raddr_o = {li, desc_field};
    end else begin : g_desc_addr_single
      assign desc_raddr_o = desc_field;
      /* verilator lint_off UNUSEDSIGNAL */
      // A single layer: its index is always 0.
      wire unused_li = |li;
      /* verilator lint_on UNUSEDSIGNAL */
    end
  endgenerate

  // LAYER_CYCLES: one register per layer, cleared at START, stored when the layer ends. The
  // store is registered first, so the next-state logic that decides it (errors, abort) does
  // not also drive every layer register's enable; the value lands in the cycle of S_FINISH,
  // before DONE or ERROR shows.
  reg [3:0] lc_layer_q;
  reg [31:0] lc_value_q;
  always @(posedge clk_i) begin
    lc_layer_q <= layer_q;
    lc_value_q <= lc_q + 32'd1;
  end

  genvar g;
  generate
    for (g = 0; g < MaxLayers; g = g + 1) begin : g_layer_cycles
      reg [31:0] cycles_r, cycles_n;
      always @* begin
        cycles_n = cycles_r;
        if (lc_reset) begin
          cycles_n = 32'd0;
        end else if (lc_store_q && {28'd0, lc_layer_q} == g) begin
          cycles_n = lc_value_q;
        end
      end
      always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
          cycles_r <= 32'd0;
        end else begin
          cycles_r <= cycles_n;
        end
      end
      assign layer_cycles_q[g*32 +: 32] = cycles_r;
    end
  endgenerate

  // Codebook copy: read codes 0..15 in steps 0..15, write them into the PEs two cycles
  // later. Code 0 is exact zero whatever the store holds.
  generate
    if (LW > 0) begin : g_cb_layer
      assign cb_raddr_o = {li, step_q[3:0]};
    end else begin : g_cb_single
      assign cb_raddr_o = step_q[3:0];
    end
    if (LIW < 4) begin : g_layer_high
      /* verilator lint_off UNUSEDSIGNAL */
      // Layer indices stop below MaxLayers; the high bits are zero.
      wire unused_layer_high = |layer_q[3:LIW];
      /* verilator lint_on UNUSEDSIGNAL */
    end
  endgenerate
  assign cb_re_o = (state_q == S_CODEBOOK) & ~step_q[4];
  assign pe_cb_we_o = cb2_q;
  assign pe_cb_addr_o = cb2_code_q;
  assign pe_cb_data_o = (cb2_code_q == 4'd0) ? 16'd0 : cb_rdata_i;

  assign busy_o = (state_q != S_IDLE);
  assign done_o = done_q;
  assign error_o = error_q;
  assign err_code_o = code_q;
  assign err_layer_o = err_layer_q;
  assign err_info_o = err_info_q;
  assign cycles_o = cycles_q;
  assign stalls_o = stalls_q;
  assign layer_cycles_o = layer_cycles_q;

  assign io_mode_o = (state_q == S_IDLE);
  assign flush_o = flush_q;
  assign cnt_clr_o = cnt_clr_q;
  assign clr_en_o = clr_active_q;
  assign clr_addr_o = clr_addr_q;
  assign src_file_o = layer_q[0];
  assign in_len_o = in_len_q[LENW-1:0];
  assign out_len_o = out_len_q[LENW-1:0];
  assign ptr_base_o = ptr_base_q[PAW-1:0];
  assign shift_o = shift_q[5:0];
  assign relu_o = relu_q;
  assign compute_o = in_compute;
  assign compute_start_o = compute_start_q;
  assign wb_start_o = wb_start_q;
  assign bcast_valid_o = bcast_valid_q;
  assign bcast_j_o = bcast_q[31:16];
  assign bcast_a_o = bcast_q[15:0];
  assign root_ready_o = fire_tree;
endmodule
`default_nettype wire
