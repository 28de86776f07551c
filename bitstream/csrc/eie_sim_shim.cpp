// The C interface between the eie-bitstream crate (Rust) and a Verilated model.
//
// The model is any Verilog top with the EIE core's ports (clk_i, rst_ni, s_axil_*, irq_o),
// verilated with `--prefix Vtop`. Rust owns the bus protocol; this file only moves pin values
// across and clocks the model. The layouts of EieSimPinsIn / EieSimPinsOut are mirrored in
// bitstream/src/model.rs; EIE_SIM_ABI_VERSION changes whenever they do.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "Vtop.h"
#include "verilated.h"
#include "verilated_syms.h"
#if VM_TRACE
#include "verilated_vcd_c.h"
#endif

#define EIE_SIM_API extern "C" __attribute__((visibility("default")))

static const uint32_t EIE_SIM_ABI_VERSION = 2;

struct EieSimPinsIn {
    uint32_t awaddr;
    uint32_t wdata;
    uint32_t araddr;
    uint8_t awvalid;
    uint8_t wvalid;
    uint8_t wstrb;
    uint8_t bready;
    uint8_t arvalid;
    uint8_t rready;
    uint8_t rst_n;
    uint8_t reserved;
};

struct EieSimPinsOut {
    uint32_t rdata;
    uint8_t awready;
    uint8_t wready;
    uint8_t bvalid;
    uint8_t bresp;
    uint8_t arready;
    uint8_t rvalid;
    uint8_t rresp;
    uint8_t irq;
};

struct EieSim {
    std::unique_ptr<VerilatedContext> context;
    std::unique_ptr<Vtop> top;
#if VM_TRACE
    std::unique_ptr<VerilatedVcdC> vcd;
#endif
    // Memories found by eie_sim_mem_find (made public by a Verilator configuration file).
    std::vector<const VerilatedVar*> memories;
    // Trace time of one half clock period, in the context's time precision.
    uint64_t half_period;
    uint64_t cycle;
};

static void dump(EieSim* sim, uint64_t time) {
#if VM_TRACE
    if (sim->vcd) sim->vcd->dump(time);
#else
    (void)sim;
    (void)time;
#endif
}

EIE_SIM_API uint32_t eie_sim_abi_version(void) { return EIE_SIM_ABI_VERSION; }

EIE_SIM_API int eie_sim_has_trace(void) { return VM_TRACE; }

// A new model with all inputs low (so in reset). `trace_path` may be null; it must be null
// unless the library was built with tracing. Returns null when the trace file cannot be
// opened.
EIE_SIM_API EieSim* eie_sim_new(const char* trace_path) {
    std::unique_ptr<EieSim> sim(new EieSim());
    sim->context.reset(new VerilatedContext());
    sim->context->fatalOnError(false);
#if VM_TRACE
    if (trace_path) sim->context->traceEverOn(true);
#endif
    sim->top.reset(new Vtop(sim->context.get(), "TOP"));
    // A 10 ns clock (nominal 100 MHz): half a period is 5 ns in the context's precision.
    int precision = sim->context->timeprecision();
    uint64_t half = 5;
    for (int p = precision; p < -9; ++p) half *= 10;
    sim->half_period = half;
    sim->cycle = 0;
#if VM_TRACE
    if (trace_path) {
        sim->vcd.reset(new VerilatedVcdC());
        sim->top->trace(sim->vcd.get(), 99);
        sim->vcd->open(trace_path);
        if (!sim->vcd->isOpen()) return nullptr;
    }
#else
    if (trace_path) return nullptr;
#endif
    sim->top->clk_i = 0;
    sim->top->rst_ni = 0;
    sim->top->eval();
    return sim.release();
}

EIE_SIM_API void eie_sim_free(EieSim* sim) {
    if (!sim) return;
    sim->top->final();
#if VM_TRACE
    if (sim->vcd) sim->vcd->close();
#endif
    delete sim;
}

// Runs `cycles` clock cycles with the inputs `in`. For each cycle: apply the inputs with the
// clock low, evaluate, sample the outputs (what the model presents at the coming rising
// edge, so a handshake happens in this cycle when valid and ready are both high here), then
// raise the clock. `out` receives the samples of the last cycle. Returns 1 once the model has
// executed $finish, $stop or $fatal (the model must not be clocked further), else 0.
EIE_SIM_API int eie_sim_step(EieSim* sim, const EieSimPinsIn* in, EieSimPinsOut* out,
                              uint64_t cycles) {
    Vtop* top = sim->top.get();
    top->rst_ni = in->rst_n;
    top->s_axil_awaddr = in->awaddr;
    top->s_axil_awvalid = in->awvalid;
    top->s_axil_wdata = in->wdata;
    top->s_axil_wstrb = in->wstrb;
    top->s_axil_wvalid = in->wvalid;
    top->s_axil_bready = in->bready;
    top->s_axil_araddr = in->araddr;
    top->s_axil_arvalid = in->arvalid;
    top->s_axil_rready = in->rready;
    for (uint64_t i = 0; i < cycles; ++i) {
        if (sim->context->gotFinish() || sim->context->gotError()) return 1;
        top->clk_i = 0;
        top->eval();
        uint64_t t = sim->cycle * 2 * sim->half_period;
        dump(sim, t);
        if (i + 1 == cycles) {
            out->rdata = top->s_axil_rdata;
            out->awready = top->s_axil_awready;
            out->wready = top->s_axil_wready;
            out->bvalid = top->s_axil_bvalid;
            out->bresp = top->s_axil_bresp;
            out->arready = top->s_axil_arready;
            out->rvalid = top->s_axil_rvalid;
            out->rresp = top->s_axil_rresp;
            out->irq = top->irq_o;
        }
        top->clk_i = 1;
        top->eval();
        dump(sim, t + sim->half_period);
        sim->cycle++;
    }
    return sim->context->gotFinish() || sim->context->gotError() ? 1 : 0;
}

// Writes buffered trace data to the file.
EIE_SIM_API void eie_sim_flush(EieSim* sim) {
#if VM_TRACE
    if (sim->vcd) sim->vcd->flush();
#else
    (void)sim;
#endif
}

// Finds the unpacked array `var` of the scope `scope` (a hierarchical name below the top, such
// as "eie_top.g_pe[0].u_pe.u_spmat_ram"), which must have been made public (Verilator
// configuration `public_flat_rw`), has one unpacked dimension indexed from 0 and elements of
// at most 64 bits. Returns an id for eie_sim_mem_read / eie_sim_mem_write and sets the element
// width in bits and the number of elements; returns -1 if there is no such array.
EIE_SIM_API int32_t eie_sim_mem_find(EieSim* sim, const char* scope, const char* var,
                                     uint32_t* width, uint32_t* depth) {
    std::string name = std::string(sim->top->name()) + "." + scope;
    const VerilatedScope* scopep = sim->context->scopeFind(name.c_str());
    if (!scopep) return -1;
    const VerilatedVar* varp = scopep->varFind(var);
    if (!varp || varp->udims() != 1 || varp->unpacked().low() != 0) return -1;
    switch (varp->vltype()) {
    case VLVT_UINT8:
    case VLVT_UINT16:
    case VLVT_UINT32:
    case VLVT_UINT64: break;
    default: return -1;
    }
    *width = static_cast<uint32_t>(varp->packed().elements());
    *depth = static_cast<uint32_t>(varp->unpacked().elements());
    sim->memories.push_back(varp);
    return static_cast<int32_t>(sim->memories.size() - 1);
}

static void* element(EieSim* sim, int32_t id, uint32_t index) {
    if (id < 0 || static_cast<size_t>(id) >= sim->memories.size()) return nullptr;
    const VerilatedVar* varp = sim->memories[id];
    if (index >= static_cast<uint32_t>(varp->unpacked().elements())) return nullptr;
    // An unpacked array of one dimension is stored as consecutive elements of entSize bytes.
    return static_cast<char*>(varp->datap()) + static_cast<size_t>(index) * varp->entSize();
}

// Writes element `index` of memory `id` (bits above the element's width are dropped).
// Returns 0, or -1 for a bad id or index.
EIE_SIM_API int eie_sim_mem_write(EieSim* sim, int32_t id, uint32_t index, uint64_t value) {
    void* p = element(sim, id, index);
    if (!p) return -1;
    const VerilatedVar* varp = sim->memories[id];
    int bits = varp->packed().elements();
    if (bits < 64) value &= (uint64_t(1) << bits) - 1;
    switch (varp->vltype()) {
    case VLVT_UINT8: *static_cast<CData*>(p) = static_cast<CData>(value); break;
    case VLVT_UINT16: *static_cast<SData*>(p) = static_cast<SData>(value); break;
    case VLVT_UINT32: *static_cast<IData*>(p) = static_cast<IData>(value); break;
    default: *static_cast<QData*>(p) = value; break;
    }
    return 0;
}

// Reads element `index` of memory `id` into `value`. Returns 0, or -1 for a bad id or index.
EIE_SIM_API int eie_sim_mem_read(EieSim* sim, int32_t id, uint32_t index, uint64_t* value) {
    void* p = element(sim, id, index);
    if (!p) return -1;
    switch (sim->memories[id]->vltype()) {
    case VLVT_UINT8: *value = *static_cast<CData*>(p); break;
    case VLVT_UINT16: *value = *static_cast<SData*>(p); break;
    case VLVT_UINT32: *value = *static_cast<IData*>(p); break;
    default: *value = *static_cast<QData*>(p); break;
    }
    return 0;
}
