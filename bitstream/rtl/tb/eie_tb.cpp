// Self-checking Verilator testbench for eie_top (the RTL's own smoke test; the thorough
// differential tests are the Rust ones). It drives the AXI4-Lite port with random valid
// delays and ready back-pressure and checks:
//   - identity, geometry and bus responses (OKAY / SLVERR / DECERR, AXI_ERR, AXI_ERR_ADDR);
//   - the paper's Fig. 2/3 example (PE0 of 4 PEs), hand-computed;
//   - random layers and multi-layer programs against a small fixed-point model written here
//     from memmap's rules (zero runs of 15..31, saturation, ReLU, bias, empty columns);
//   - every program error code, abort, and that a good run after an error is still exact.
// Addresses are written as literals on purpose (memmap regs.rs), so a wrong constant in the
// RTL cannot pass unnoticed.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "Veie_top.h"
#include "verilated.h"

#ifndef NUM_PES
#define NUM_PES 4
#endif
#ifndef QUEUE_DEPTH
#define QUEUE_DEPTH 8
#endif
#ifndef SPMAT_WORDS
#define SPMAT_WORDS 1024
#endif
#ifndef PTR_ENTRIES
#define PTR_ENTRIES 1024
#endif
#ifndef ACT_ENTRIES
#define ACT_ENTRIES 256
#endif
#ifndef MAX_LAYERS
#define MAX_LAYERS 4
#endif

namespace {

constexpr uint32_t OKAY = 0, SLVERR = 2, DECERR = 3;
constexpr uint32_t REG_ID = 0x000, REG_VERSION = 0x004, REG_GEOM_PES = 0x008,
                   REG_GEOM_QD = 0x00C, REG_GEOM_SPMAT = 0x010, REG_GEOM_PTR = 0x014,
                   REG_GEOM_ACT = 0x018, REG_GEOM_LAYERS = 0x01C, REG_GEOM_WIDTHS = 0x020,
                   REG_CTRL = 0x040, REG_STATUS = 0x044, REG_NUM_LAYERS = 0x048,
                   REG_CYCLES = 0x04C, REG_STALLS = 0x050, REG_AXI_ERR = 0x054,
                   REG_AXI_ERR_ADDR = 0x058, REG_ERROR_INFO = 0x05C;
constexpr uint32_t LAYER_BASE = 0x100, LAYER_STRIDE = 0x20;
constexpr uint32_t CODEBOOK_BASE = 0x1000, COUNTER_BASE = 0x2000;
constexpr uint32_t ACT0 = 0x100000, ACT1 = 0x200000, PTR = 0x400000, SPMAT = 0x800000;
constexpr uint32_t ST_BUSY = 1, ST_DONE = 2, ST_ERROR = 4;
constexpr uint32_t E_BAD_LAYER_COUNT = 1, E_LAYER_TOO_LONG = 2, E_PTR_BASE = 3,
                   E_PTR_BACKWARDS = 4, E_PTR_PAST_END = 5, E_ROW_OVERFLOW = 6,
                   E_BAD_SHIFT = 7, E_ABORTED = 8;

int failures = 0;

#define CHECK(cond, ...)                                         \
  do {                                                           \
    if (!(cond)) {                                               \
      std::printf("FAIL %s:%d: ", __FILE__, __LINE__);           \
      std::printf(__VA_ARGS__);                                  \
      std::printf("\n");                                         \
      if (++failures > 20) std::exit(1);                         \
    }                                                            \
  } while (0)

// ------------------------------------------------------------------ DUT and AXI master
struct Bus {
  std::unique_ptr<VerilatedContext> ctx;
  std::unique_ptr<Veie_top> top;
  std::mt19937 rng;
  uint64_t cycle = 0;
  int stall_pct = 30;  // chance of a delay / back-pressure step, percent

  explicit Bus(uint32_t seed) : ctx(new VerilatedContext), rng(seed) {
    ctx->randReset(2);  // random initial state: the design must not depend on it
    top.reset(new Veie_top{ctx.get()});
    top->clk_i = 0;
    top->rst_ni = 0;
    top->s_axil_awvalid = 0;
    top->s_axil_wvalid = 0;
    top->s_axil_arvalid = 0;
    top->s_axil_bready = 0;
    top->s_axil_rready = 0;
    top->s_axil_wstrb = 0xF;
    top->eval();
    for (int i = 0; i < 4; i++) tick();
    top->rst_ni = 1;
    tick();
  }
  ~Bus() { top->final(); }

  bool coin() { return int(rng() % 100) < stall_pct; }

  void tick() {
    top->clk_i = 1;
    top->eval();
    top->clk_i = 0;
    top->eval();
    cycle++;
  }

  // One write: AW and W in random order with random delays, B with random back-pressure.
  uint32_t write(uint32_t addr, uint32_t data) {
    bool aw_done = false, w_done = false, b_done = false;
    uint32_t resp = 0;
    int aw_delay = coin() ? int(rng() % 4) : 0;
    int w_delay = coin() ? int(rng() % 4) : 0;
    for (int guard = 0; guard < 10000; guard++) {
      top->s_axil_awvalid = (!aw_done && aw_delay == 0);
      top->s_axil_awaddr = addr;
      top->s_axil_wvalid = (!w_done && w_delay == 0);
      top->s_axil_wdata = data;
      top->s_axil_bready = !coin();
      top->eval();
      bool aw_hs = top->s_axil_awvalid && top->s_axil_awready;
      bool w_hs = top->s_axil_wvalid && top->s_axil_wready;
      bool b_hs = top->s_axil_bvalid && top->s_axil_bready;
      if (b_hs) resp = top->s_axil_bresp;
      tick();
      if (aw_delay > 0) aw_delay--;
      if (w_delay > 0) w_delay--;
      aw_done |= aw_hs;
      w_done |= w_hs;
      b_done |= b_hs;
      if (b_done) {
        top->s_axil_awvalid = 0;
        top->s_axil_wvalid = 0;
        top->s_axil_bready = 0;
        return resp;
      }
    }
    CHECK(false, "write to %06x never answered", addr);
    std::exit(1);
  }

  uint32_t read(uint32_t addr, uint32_t* resp_out = nullptr) {
    bool ar_done = false;
    int ar_delay = coin() ? int(rng() % 4) : 0;
    for (int guard = 0; guard < 10000; guard++) {
      top->s_axil_arvalid = (!ar_done && ar_delay == 0);
      top->s_axil_araddr = addr;
      top->s_axil_rready = !coin();
      top->eval();
      bool ar_hs = top->s_axil_arvalid && top->s_axil_arready;
      bool r_hs = top->s_axil_rvalid && top->s_axil_rready;
      uint32_t data = top->s_axil_rdata;
      uint32_t resp = top->s_axil_rresp;
      tick();
      if (ar_delay > 0) ar_delay--;
      ar_done |= ar_hs;
      if (r_hs) {
        top->s_axil_arvalid = 0;
        top->s_axil_rready = 0;
        if (resp_out) *resp_out = resp;
        return data;
      }
    }
    CHECK(false, "read of %06x never answered", addr);
    std::exit(1);
  }

  void expect_write(uint32_t addr, uint32_t data, uint32_t resp) {
    uint32_t got = write(addr, data);
    CHECK(got == resp, "write %06x <- %08x: response %u, expected %u", addr, data, got, resp);
  }
  uint32_t expect_read(uint32_t addr, uint32_t resp) {
    uint32_t got = 0;
    uint32_t data = read(addr, &got);
    CHECK(got == resp, "read %06x: response %u, expected %u", addr, got, resp);
    return data;
  }
  void ok_write(uint32_t addr, uint32_t data) { expect_write(addr, data, OKAY); }
  uint32_t ok_read(uint32_t addr) { return expect_read(addr, OKAY); }

  // Starts the program and waits for BUSY to drop; returns STATUS.
  uint32_t run(uint32_t num_layers, uint64_t max_cycles = 2000000) {
    ok_write(REG_STATUS, ST_DONE | ST_ERROR);
    ok_write(REG_NUM_LAYERS, num_layers);
    ok_write(REG_CTRL, 1);
    uint64_t start = cycle;
    for (;;) {
      uint32_t st = ok_read(REG_STATUS);
      if (!(st & ST_BUSY)) return st;
      if (cycle - start > max_cycles) {
        CHECK(false, "program did not finish within %llu cycles", (unsigned long long)max_cycles);
        std::exit(1);
      }
    }
  }
};

// ------------------------------------------------------------------ fixed-point model
int16_t requantize(int64_t acc, unsigned shift, bool relu) {
  int64_t r = shift == 0 ? acc : (acc + (int64_t(1) << (shift - 1))) >> shift;
  int16_t s = r > 32767 ? 32767 : (r < -32768 ? -32768 : int16_t(r));
  return (relu && s < 0) ? 0 : s;
}

struct Layer {
  uint32_t in_len = 0, out_len = 0, ptr_base = 0, shift = 0;
  bool relu = false, bias = false;
  int16_t bias_act = 0;
  int16_t codebook[16] = {0};
  std::vector<uint8_t> w;  // out_len x columns, codebook indices (0 = zero)
  uint32_t columns() const { return in_len + (bias ? 1 : 0); }
  uint8_t at(uint32_t i, uint32_t j) const { return w[size_t(i) * columns() + j]; }
};

std::vector<int16_t> model(const Layer& l, const std::vector<int16_t>& in) {
  std::vector<int16_t> out(l.out_len);
  for (uint32_t i = 0; i < l.out_len; i++) {
    int64_t acc = 0;
    for (uint32_t j = 0; j < l.columns(); j++) {
      int16_t a = j < l.in_len ? in[j] : l.bias_act;
      acc += int64_t(int32_t(l.codebook[l.at(i, j)]) * int32_t(a));
    }
    out[i] = requantize(acc, l.shift, l.relu);
  }
  return out;
}

// Per-PE encoded memories, built layer after layer.
struct Image {
  std::vector<std::vector<uint8_t>> entries;     // per PE
  std::vector<std::vector<uint32_t>> pointers;   // per PE, indexed by pointer address
  uint32_t next_ptr = 0;
  Image() : entries(NUM_PES), pointers(NUM_PES, std::vector<uint32_t>(PTR_ENTRIES, 0)) {}

  // Encodes layer l at the next free pointer base (relative row index with padding).
  // Returns false when the build's pointer memory cannot hold it.
  bool encode(Layer& l) {
    if (next_ptr + l.columns() + 1 > PTR_ENTRIES) return false;
    l.ptr_base = next_ptr;
    for (uint32_t k = 0; k < NUM_PES; k++) {
      for (uint32_t j = 0; j < l.columns(); j++) {
        pointers[k][l.ptr_base + j] = uint32_t(entries[k].size());
        int64_t prev = -1;
        for (uint32_t i = k; i < l.out_len; i += NUM_PES) {
          uint8_t v = l.at(i, j);
          if (v == 0) continue;
          int64_t r = i / NUM_PES;
          while (r - prev - 1 > 15) {
            entries[k].push_back(uint8_t(15 << 4));
            prev += 16;
          }
          entries[k].push_back(uint8_t(((r - prev - 1) << 4) | v));
          prev = r;
        }
      }
      pointers[k][l.ptr_base + l.columns()] = uint32_t(entries[k].size());
    }
    next_ptr = l.ptr_base + l.columns() + 1;
    for (auto& e : entries) {
      if (e.size() > size_t(SPMAT_WORDS) * 8) return false;
    }
    return true;
  }

  size_t total_entries() const {
    size_t n = 0;
    for (auto& e : entries) n += e.size();
    return n;
  }

  void load(Bus& bus, uint32_t ptr_count) const {
    for (uint32_t k = 0; k < NUM_PES; k++) {
      for (uint32_t p = 0; p < ptr_count; p++) {
        bus.ok_write(PTR + (k * PTR_ENTRIES + p) * 4, pointers[k][p]);
      }
      for (size_t w = 0; w * 8 < entries[k].size(); w++) {
        uint32_t half[2] = {0, 0};
        for (int e = 0; e < 8; e++) {
          size_t idx = w * 8 + e;
          if (idx < entries[k].size()) half[e / 4] |= uint32_t(entries[k][idx]) << (8 * (e % 4));
        }
        bus.ok_write(SPMAT + uint32_t(k * SPMAT_WORDS + w) * 8, half[0]);
        bus.ok_write(SPMAT + uint32_t(k * SPMAT_WORDS + w) * 8 + 4, half[1]);
      }
    }
  }
};

void write_descriptor(Bus& bus, uint32_t idx, const Layer& l) {
  uint32_t base = LAYER_BASE + idx * LAYER_STRIDE;
  bus.ok_write(base + 0x00, l.in_len);
  bus.ok_write(base + 0x04, l.out_len);
  bus.ok_write(base + 0x08, l.ptr_base);
  bus.ok_write(base + 0x0C, l.shift | (l.relu ? 0x100 : 0) | (l.bias ? 0x200 : 0));
  bus.ok_write(base + 0x10, uint16_t(l.bias_act));
  for (uint32_t c = 0; c < 16; c++) {
    bus.ok_write(CODEBOOK_BASE + (idx * 16 + c) * 4, uint16_t(l.codebook[c]));
  }
}

void write_acts(Bus& bus, uint32_t file, const std::vector<int16_t>& v) {
  for (size_t j = 0; j < v.size(); j++) bus.ok_write((file ? ACT1 : ACT0) + uint32_t(j) * 4, uint16_t(v[j]));
}

std::vector<int16_t> read_acts(Bus& bus, uint32_t file, uint32_t n) {
  std::vector<int16_t> v(n);
  for (uint32_t j = 0; j < n; j++) v[j] = int16_t(bus.ok_read((file ? ACT1 : ACT0) + j * 4));
  return v;
}

// ------------------------------------------------------------------ tests
void test_identity(Bus& bus) {
  CHECK(bus.ok_read(REG_ID) == 0x31454945, "ID");
  CHECK(bus.ok_read(REG_VERSION) == 0x00010000, "VERSION");
  CHECK(bus.ok_read(REG_GEOM_PES) == NUM_PES, "GEOM_PES");
  CHECK(bus.ok_read(REG_GEOM_QD) == QUEUE_DEPTH, "GEOM_QUEUE_DEPTH");
  CHECK(bus.ok_read(REG_GEOM_SPMAT) == SPMAT_WORDS, "GEOM_SPMAT_WORDS");
  CHECK(bus.ok_read(REG_GEOM_PTR) == PTR_ENTRIES, "GEOM_PTR_ENTRIES");
  CHECK(bus.ok_read(REG_GEOM_ACT) == ACT_ENTRIES, "GEOM_ACT_ENTRIES");
  CHECK(bus.ok_read(REG_GEOM_LAYERS) == MAX_LAYERS, "GEOM_MAX_LAYERS");
  CHECK(bus.ok_read(REG_GEOM_WIDTHS) == 0x10083010, "GEOM_WIDTHS");
  CHECK(bus.ok_read(REG_STATUS) == 0, "STATUS after reset");
  for (uint32_t k = 0; k < NUM_PES; k += (NUM_PES > 4 ? NUM_PES - 1 : 1)) {
    for (uint32_t c = 0; c < 4; c++) {
      CHECK(bus.ok_read(COUNTER_BASE + k * 16 + c * 4) == 0, "PE %u counter %u after reset", k, c);
    }
  }
  CHECK(bus.ok_read(REG_CYCLES) == 0 && bus.ok_read(LAYER_BASE + 0x14) == 0, "cycles after reset");
}

void test_bus_responses(Bus& bus) {
  bus.ok_write(REG_AXI_ERR, 0);
  uint32_t errors = 0;
  auto err = [&](uint32_t addr, bool write, uint32_t resp) {
    if (write) bus.expect_write(addr, 0x1234, resp);
    else bus.expect_read(addr, resp);
    errors++;
    CHECK(bus.ok_read(REG_AXI_ERR) == (0x80000000u | errors), "AXI_ERR after %06x", addr);
    CHECK(bus.ok_read(REG_AXI_ERR_ADDR) == addr, "AXI_ERR_ADDR after %06x", addr);
  };
  err(0x000060, false, DECERR);                   // between registers
  err(0x000118, true, DECERR);                    // unused descriptor field
  err(0x003000, false, DECERR);                   // past the counter window
  err(0x300000, true, DECERR);                    // between the activation and pointer windows
  err(REG_ID, true, SLVERR);                      // read-only
  err(REG_CYCLES, true, SLVERR);
  err(LAYER_BASE + 0x14, true, SLVERR);           // LAYER_CYCLES is read-only
  err(COUNTER_BASE, true, SLVERR);                // counters are read-only
  err(COUNTER_BASE + NUM_PES * 16, false, SLVERR);  // PE past the build
  err(CODEBOOK_BASE + MAX_LAYERS * 64, false, SLVERR);  // layer past the build
  if (MAX_LAYERS < 16) err(LAYER_BASE + MAX_LAYERS * LAYER_STRIDE, false, SLVERR);
  err(CODEBOOK_BASE, true, SLVERR);               // non-zero write to code 0
  err(ACT0 + NUM_PES * ACT_ENTRIES * 4, false, SLVERR);
  if (uint64_t(NUM_PES) * PTR_ENTRIES * 4 < 0x400000) err(PTR + NUM_PES * PTR_ENTRIES * 4, true, SLVERR);
  if (uint64_t(NUM_PES) * SPMAT_WORDS * 8 < 0x800000) err(SPMAT + NUM_PES * SPMAT_WORDS * 8, false, SLVERR);
  bus.ok_write(CODEBOOK_BASE, 0);                 // zero to code 0 is fine
  bus.ok_write(REG_AXI_ERR, 0);
  CHECK(bus.ok_read(REG_AXI_ERR) == 0, "AXI_ERR cleared");

  // Memories read back what was written.
  bus.ok_write(ACT1 + 4 * (NUM_PES + 1), 0xFFFF8001u);
  CHECK(bus.ok_read(ACT1 + 4 * (NUM_PES + 1)) == 0xFFFF8001u, "activation read-back sign-extends");
  bus.ok_write(PTR + 4 * (PTR_ENTRIES * (NUM_PES - 1) + 3), 77);
  CHECK(bus.ok_read(PTR + 4 * (PTR_ENTRIES * (NUM_PES - 1) + 3)) == 77, "pointer read-back");
  bus.ok_write(SPMAT + 8 * (SPMAT_WORDS * (NUM_PES - 1) + 5) + 4, 0xA5C3F00Fu);
  bus.ok_write(SPMAT + 8 * (SPMAT_WORDS * (NUM_PES - 1) + 5), 0x12345678u);
  CHECK(bus.ok_read(SPMAT + 8 * (SPMAT_WORDS * (NUM_PES - 1) + 5) + 4) == 0xA5C3F00Fu, "spmat high half");
  CHECK(bus.ok_read(SPMAT + 8 * (SPMAT_WORDS * (NUM_PES - 1) + 5)) == 0x12345678u, "spmat low half");
  bus.ok_write(CODEBOOK_BASE + (16 * (MAX_LAYERS - 1) + 7) * 4, 0x8123);
  CHECK(bus.ok_read(CODEBOOK_BASE + (16 * (MAX_LAYERS - 1) + 7) * 4) == 0xFFFF8123u, "codebook read-back");
  bus.ok_write(LAYER_BASE + 0x0C, 0xFFFFFFFFu);
  CHECK(bus.ok_read(LAYER_BASE + 0x0C) == 0x33F, "CFG keeps shift, ReLU and bias");
  bus.ok_write(LAYER_BASE + 0x10, 0x0001C000u);
  CHECK(bus.ok_read(LAYER_BASE + 0x10) == 0xFFFFC000u, "BIAS_ACT is int16");
  bus.ok_write(REG_CTRL, 4);
  CHECK(bus.ok_read(REG_CTRL) == 4, "CTRL_IRQ_EN reads back");
  bus.ok_write(REG_CTRL, 0);
}

// The paper's Fig. 2/3 example on 4 PEs: PE0 holds rows 0, 4, 8, 12 of a 16 x 8 matrix.
void test_paper_example(Bus& bus) {
  if (NUM_PES != 4) return;
  // PE0: W0,0 W8,0 W12,0 W4,1 W0,2 W12,2 W0,4 W4,4 W0,5 W12,5 W0,6 W8,7 W12,7, with the
  // paper's relative row indices and column pointers. Codes 1..13 in that order.
  const uint8_t z[13] = {0, 1, 0, 1, 0, 2, 0, 0, 0, 2, 0, 2, 0};
  const uint32_t p[9] = {0, 3, 4, 6, 6, 8, 10, 11, 13};
  uint32_t words[4] = {0, 0, 0, 0};
  for (int e = 0; e < 13; e++) words[e / 4] |= uint32_t((z[e] << 4) | (e + 1)) << (8 * (e % 4));
  for (int h = 0; h < 4; h++) bus.ok_write(SPMAT + h * 4, words[h]);
  for (int c = 0; c < 9; c++) bus.ok_write(PTR + c * 4, p[c]);
  // The other PEs own no entry: all pointers zero.
  for (uint32_t k = 1; k < 4; k++)
    for (int c = 0; c < 9; c++) bus.ok_write(PTR + (k * PTR_ENTRIES + c) * 4, 0);
  // Codebook: code c is 10 * c; activations a = (0, 1, 2, 0, 3, -2, 5, 7).
  for (int c = 1; c < 16; c++) bus.ok_write(CODEBOOK_BASE + c * 4, uint32_t(10 * c));
  const int16_t a[8] = {0, 1, 2, 0, 3, -2, 5, 7};
  for (int j = 0; j < 8; j++) bus.ok_write(ACT0 + j * 4, uint16_t(a[j]));
  bus.ok_write(LAYER_BASE + 0x00, 8);
  bus.ok_write(LAYER_BASE + 0x04, 16);
  bus.ok_write(LAYER_BASE + 0x08, 0);
  bus.ok_write(LAYER_BASE + 0x0C, 0);
  uint32_t st = bus.run(1);
  CHECK(st == ST_DONE, "paper example status %08x", st);
  // Row 0  = W0,0*a0 + W0,2*a2 + W0,4*a4 + W0,5*a5 + W0,6*a6
  //        = 10*0 + 50*2 + 70*3 + 90*(-2) + 110*5 = 680
  // Row 4  = W4,1*a1 + W4,4*a4 = 40*1 + 80*3 = 280
  // Row 8  = W8,0*a0 + W8,7*a7 = 0 + 120*7 = 840
  // Row 12 = W12,0*a0 + W12,2*a2 + W12,5*a5 + W12,7*a7 = 0 + 60*2 + 100*(-2) + 130*7 = 830
  const int16_t expect[4] = {680, 280, 840, 830};
  for (int r = 0; r < 16; r++) {
    int16_t got = int16_t(bus.ok_read(ACT1 + r * 4));
    int16_t want = (r % 4 == 0) ? expect[r / 4] : 0;
    CHECK(got == want, "paper example row %d: got %d, expected %d", r, got, want);
  }
  // Only the columns with a non-zero activation are broadcast: 1, 2, 4, 5, 6, 7, holding
  // 1 + 2 + 2 + 2 + 1 + 2 = 10 of PE0's entries, all of them real (10 multiply cycles).
  CHECK(bus.ok_read(COUNTER_BASE + 0x0) == 10, "PE0 ENTRIES = %u", bus.ok_read(COUNTER_BASE));
  CHECK(bus.ok_read(COUNTER_BASE + 0x4) == 10, "PE0 BUSY = %u", bus.ok_read(COUNTER_BASE + 4));
  CHECK(bus.ok_read(COUNTER_BASE + 16) == 0, "PE1 ENTRIES");
  uint32_t cycles = bus.ok_read(REG_CYCLES);
  uint32_t layer_cycles = bus.ok_read(LAYER_BASE + 0x14);
  CHECK(cycles > layer_cycles && layer_cycles > 10, "CYCLES %u, LAYER_CYCLES %u", cycles, layer_cycles);
  std::printf("  paper example: %u cycles (layer %u)\n", cycles, layer_cycles);
}

struct Rng {
  std::mt19937 g;
  explicit Rng(uint32_t s) : g(s) {}
  uint32_t below(uint32_t n) { return n ? g() % n : 0; }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(g) < p; }
};

Layer random_layer(Rng& r, uint32_t in_len, uint32_t out_len, double density, bool bias) {
  Layer l;
  l.in_len = in_len;
  l.out_len = out_len;
  l.bias = bias;
  l.relu = r.chance(0.5);
  l.shift = r.below(12);
  l.bias_act = int16_t(1 << r.below(8));
  for (int c = 1; c < 16; c++) l.codebook[c] = int16_t(int(r.below(65536)) - 32768) / (r.chance(0.7) ? 64 : 1);
  l.w.assign(size_t(out_len) * l.columns(), 0);
  for (uint32_t j = 0; j < l.columns(); j++) {
    // Mix dense columns, empty columns and long zero runs.
    double d = r.chance(0.1) ? 0.0 : (r.chance(0.1) ? 1.0 : density);
    for (uint32_t i = 0; i < out_len; i++) {
      if (r.chance(d)) l.w[size_t(i) * l.columns() + j] = uint8_t(1 + r.below(15));
    }
  }
  return l;
}

// Runs a random program of `layers.size()` layers and compares every output.
void run_program(Bus& bus, std::vector<Layer>& layers, const std::vector<int16_t>& input,
                 const char* what) {
  Image img;
  for (auto& l : layers) {
    if (!img.encode(l)) {
      std::printf("  %-34s skipped: does not fit this build\n", what);
      return;
    }
  }
  img.load(bus, img.next_ptr);
  for (size_t i = 0; i < layers.size(); i++) write_descriptor(bus, uint32_t(i), layers[i]);
  write_acts(bus, 0, input);
  std::vector<int16_t> v = input;
  for (auto& l : layers) v = model(l, v);
  uint32_t st = bus.run(uint32_t(layers.size()));
  CHECK(st == ST_DONE, "%s: status %08x", what, st);
  uint32_t file = uint32_t(layers.size() % 2);
  std::vector<int16_t> got = read_acts(bus, file, layers.back().out_len);
  for (size_t i = 0; i < v.size(); i++) {
    CHECK(got[i] == v[i], "%s: output %zu = %d, expected %d", what, i, got[i], v[i]);
  }
  uint32_t cycles = bus.ok_read(REG_CYCLES);
  uint64_t entries = 0, busy = 0, starved = 0;
  for (uint32_t k = 0; k < NUM_PES; k++) {
    entries += bus.ok_read(COUNTER_BASE + k * 16 + 0);
    busy += bus.ok_read(COUNTER_BASE + k * 16 + 4);
    uint32_t pe_busy = bus.ok_read(COUNTER_BASE + k * 16 + 4);
    uint32_t pe_starved = bus.ok_read(COUNTER_BASE + k * 16 + 8);
    starved += pe_starved;
    // A bubble is a cycle without an entry, so the two never overlap.
    CHECK(uint64_t(pe_busy) + pe_starved <= cycles, "%s: PE %u BUSY %u + STARVED %u > %u cycles",
          what, k, pe_busy, pe_starved, cycles);
  }
  std::printf("  %-34s %2zu layers, %6zu entries, %7u cycles, %6llu MACs, starved %llu\n", what,
              layers.size(), img.total_entries(), cycles, (unsigned long long)busy,
              (unsigned long long)starved);
  CHECK(entries <= img.total_entries(), "%s: ENTRIES %llu > %zu stored", what,
        (unsigned long long)entries, img.total_entries());
}

void test_random(Bus& bus, Rng& r) {
  const uint32_t cap = NUM_PES * ACT_ENTRIES;
  auto input = [&](uint32_t n, double density) {
    std::vector<int16_t> v(n);
    for (auto& x : v) x = r.chance(density) ? int16_t(int(r.below(65536)) - 32768) / (r.chance(0.5) ? 16 : 1) : 0;
    return v;
  };
  {
    std::vector<Layer> ls = {random_layer(r, 13, 7, 0.3, false)};
    run_program(bus, ls, input(13, 0.7), "single layer 13 -> 7");
  }
  {
    // Zero runs of 15, 16, 17 and 31 rows: one PE-local row between entries.
    Layer l;
    l.in_len = 3;
    l.out_len = std::min<uint32_t>(cap, 40 * NUM_PES);
    l.shift = 2;
    for (int c = 1; c < 16; c++) l.codebook[c] = int16_t(100 * c - 700);
    l.w.assign(size_t(l.out_len) * 3, 0);
    const uint32_t gaps[] = {15, 16, 17, 31};
    for (uint32_t k = 0; k < NUM_PES; k++) {
      uint32_t row = 0;
      for (uint32_t g = 0; g < 4; g++) {
        row += gaps[(g + k) % 4];
        if (row * NUM_PES + k < l.out_len) l.w[size_t(row * NUM_PES + k) * 3 + (g % 3)] = uint8_t(1 + (g + k) % 15);
        row++;
      }
    }
    std::vector<Layer> ls = {l};
    run_program(bus, ls, input(3, 1.0), "zero runs 15/16/17/31");
  }
  {
    // Saturation both ways, no ReLU and with it.
    Layer l = random_layer(r, 20, 9, 1.0, false);
    l.shift = 0;
    for (int c = 1; c < 16; c++) l.codebook[c] = (c & 1) ? 32767 : -32768;
    std::vector<Layer> ls = {l};
    run_program(bus, ls, std::vector<int16_t>(20, 32767), "saturating");
  }
  for (uint32_t shift : {13u, 16u, 24u, 30u, 39u, 47u}) {
    // Large sums and every coarse shift step of the requantizer, rounding both signs.
    Layer l = random_layer(r, 24, 11, 0.9, true);
    l.shift = shift;
    l.relu = false;
    l.bias_act = 16384;
    for (int c = 1; c < 16; c++) l.codebook[c] = int16_t(c * 4369 - 32768 * (c & 1));
    std::vector<Layer> ls = {l};
    std::vector<int16_t> in = input(24, 1.0);
    for (auto& x : in) x = int16_t(x | 0x4000);
    char name[40];
    std::snprintf(name, sizeof name, "shift %u", shift);
    run_program(bus, ls, in, name);
  }
  {
    // Single row, single column, both with bias.
    std::vector<Layer> ls = {random_layer(r, 1, 1, 1.0, true)};
    run_program(bus, ls, input(1, 1.0), "1 x 1 with bias");
  }
  {
    uint32_t n1 = std::min<uint32_t>(cap, 50), n2 = std::min<uint32_t>(cap, 37), n3 = std::min<uint32_t>(cap, 11);
    std::vector<Layer> ls = {random_layer(r, n1, n2, 0.25, true)};
    if (MAX_LAYERS >= 2) ls.push_back(random_layer(r, n2, n3, 0.5, true));
    if (MAX_LAYERS >= 3) ls.push_back(random_layer(r, n3, n1, 0.3, false));
    run_program(bus, ls, input(n1, 0.6), "multi-layer program");
  }
  {
    // Empty activations: nothing is broadcast except the bias.
    std::vector<Layer> ls = {random_layer(r, 10, 10, 0.5, true)};
    run_program(bus, ls, std::vector<int16_t>(10, 0), "all-zero input");
  }
  {
    // A larger layer that keeps the queues busy.
    uint32_t in = std::min<uint32_t>(cap, 160), out = std::min<uint32_t>(cap, 24 * NUM_PES);
    std::vector<Layer> ls = {random_layer(r, in, out, 0.15, false)};
    run_program(bus, ls, input(in, 0.9), "larger layer");
  }
}

// One program error: sets up `num_layers` descriptors already written, runs, checks code.
void expect_error(Bus& bus, uint32_t num_layers, uint32_t code, uint32_t layer, const char* what) {
  uint32_t st = bus.run(num_layers);
  uint32_t want = ST_ERROR | (code << 8) | (layer << 16);
  CHECK(st == want, "%s: STATUS %08x, expected %08x", what, st, want);
}

void test_errors(Bus& bus, Rng& r) {
  // A valid 2-layer program to break in various ways.
  std::vector<Layer> ls = {random_layer(r, 12, 9, 0.4, true), random_layer(r, 9, 5, 0.5, false)};
  if (MAX_LAYERS < 2) ls.pop_back();
  Image img;
  for (auto& l : ls) {
    if (!img.encode(l)) {
      CHECK(false, "the error-test program must fit every tested build");
      return;
    }
  }
  img.load(bus, img.next_ptr);
  for (size_t i = 0; i < ls.size(); i++) write_descriptor(bus, uint32_t(i), ls[i]);
  std::vector<int16_t> in(12);
  for (auto& x : in) x = int16_t(int(r.below(2000)) + 1);
  write_acts(bus, 0, in);
  const uint32_t l1 = LAYER_BASE + LAYER_STRIDE;
  const bool two = MAX_LAYERS >= 2;
  const uint32_t nl = two ? 2 : 1;
  const uint32_t bad_layer = two ? 1 : 0;
  const uint32_t lb = two ? l1 : LAYER_BASE;
  const Layer& lt = two ? ls[1] : ls[0];

  expect_error(bus, 0, E_BAD_LAYER_COUNT, 0, "zero layers");
  expect_error(bus, MAX_LAYERS + 1, E_BAD_LAYER_COUNT, 0, "too many layers");

  bus.ok_write(lb + 0x04, NUM_PES * ACT_ENTRIES + 1);
  expect_error(bus, nl, E_LAYER_TOO_LONG, bad_layer, "out_len past the activation files");
  bus.ok_write(lb + 0x04, 0);
  expect_error(bus, nl, E_LAYER_TOO_LONG, bad_layer, "out_len 0");
  bus.ok_write(lb + 0x04, lt.out_len);
  bus.ok_write(lb + 0x00, 0xFFFFFFFFu);
  expect_error(bus, nl, E_LAYER_TOO_LONG, bad_layer, "huge in_len");
  bus.ok_write(lb + 0x00, lt.in_len);

  bus.ok_write(lb + 0x08, PTR_ENTRIES - lt.columns());
  expect_error(bus, nl, E_PTR_BASE, bad_layer, "pointers past the pointer memory");
  bus.ok_write(lb + 0x08, 0xFFFFFFF0u);
  expect_error(bus, nl, E_PTR_BASE, bad_layer, "ptr_base wraps");
  bus.ok_write(lb + 0x08, lt.ptr_base);

  bus.ok_write(lb + 0x0C, 48);
  expect_error(bus, nl, E_BAD_SHIFT, bad_layer, "shift 48");
  bus.ok_write(lb + 0x0C, lt.shift | (lt.relu ? 0x100 : 0) | (lt.bias ? 0x200 : 0));

  // Pointer errors in PE 0's last column of layer 0 (the bias column, always broadcast):
  // only the layer's final pointer changes, so no other column is disturbed.
  const uint32_t cols = ls[0].columns();
  const uint32_t pa = PTR + (ls[0].ptr_base + cols) * 4;
  const uint32_t p_start = img.pointers[0][ls[0].ptr_base + cols - 1];
  const uint32_t p_end = img.pointers[0][ls[0].ptr_base + cols];
  if (p_start > 0) {
    bus.ok_write(pa, p_start - 1);
    expect_error(bus, nl, E_PTR_BACKWARDS, 0, "pointer backwards");
    CHECK(bus.ok_read(REG_ERROR_INFO) == cols - 1, "ERROR_INFO = %08x, expected PE 0 column %u",
          bus.ok_read(REG_ERROR_INFO), cols - 1);
  }
  bus.ok_write(pa, 0xFFFFFFFFu);
  expect_error(bus, nl, E_PTR_PAST_END, 0, "pointer past the end");
  bus.ok_write(pa, SPMAT_WORDS * 8 + 1);
  expect_error(bus, nl, E_PTR_PAST_END, 0, "pointer one past the end");
  bus.ok_write(pa, p_end);

  // Row overflow: a column of PE 0 whose relative rows run past its rows.
  {
    uint32_t col = 0;
    while (col < ls[0].columns() && img.pointers[0][ls[0].ptr_base + col] ==
                                        img.pointers[0][ls[0].ptr_base + col + 1]) col++;
    bool active = col < ls[0].in_len ? in[col] != 0 : (ls[0].bias && ls[0].bias_act != 0);
    if (col < ls[0].columns() && active) {
      uint32_t e = img.pointers[0][ls[0].ptr_base + col];
      uint32_t addr = SPMAT + (e / 8) * 8 + ((e % 8) / 4) * 4;
      uint32_t old = bus.ok_read(addr);
      bus.ok_write(addr, old | (0xF0u << (8 * (e % 4))) );
      // z = 15 on the first entry: row 15 >= 3 rows of PE 0.
      expect_error(bus, nl, E_ROW_OVERFLOW, 0, "row overflow");
      CHECK((bus.ok_read(REG_ERROR_INFO) & 0xFFFFFF) == col, "ERROR_INFO column %u", col);
      bus.ok_write(addr, old);
    }
  }

  // Start while busy, memory access while busy, abort.
  int saved_stall = bus.stall_pct;
  bus.stall_pct = 0;
  bus.ok_write(REG_NUM_LAYERS, nl);
  bus.ok_write(REG_CTRL, 1);
  bus.expect_write(REG_CTRL, 1, SLVERR);
  bus.expect_read(ACT0, SLVERR);
  bus.expect_write(PTR, 0, SLVERR);
  bus.expect_write(CODEBOOK_BASE + 4, 1, SLVERR);
  bus.ok_write(REG_CTRL, 2);
  for (int i = 0; i < 100000 && (bus.ok_read(REG_STATUS) & ST_BUSY); i++) {
  }
  uint32_t st = bus.ok_read(REG_STATUS);
  CHECK((st & 0xFF07) == (ST_ERROR | (E_ABORTED << 8)), "abort: STATUS %08x", st);
  bus.stall_pct = saved_stall;

  // IRQ follows DONE|ERROR when enabled.
  bus.ok_write(REG_CTRL, 4);
  bus.tick();
  bus.tick();
  CHECK(bus.top->irq_o == 1, "irq with ERROR/DONE set and IRQ_EN");
  bus.ok_write(REG_STATUS, ST_DONE | ST_ERROR);
  bus.tick();
  bus.tick();
  CHECK(bus.top->irq_o == 0, "irq after clearing");
  bus.ok_write(REG_CTRL, 0);

  // After all that, the untouched program is exact (accumulators started at zero).
  std::vector<int16_t> v = in;
  for (auto& l : ls) v = model(l, v);
  st = bus.run(nl);
  CHECK(st == ST_DONE, "good run after errors: %08x", st);
  std::vector<int16_t> got = read_acts(bus, nl % 2, uint32_t(v.size()));
  for (size_t i = 0; i < v.size(); i++) {
    CHECK(got[i] == v[i], "after errors: output %zu = %d, expected %d", i, got[i], v[i]);
  }
}

// Performance probe: one random layer with uniform densities, loaded without bus stalls.
// Prints cycles against the two limits: the busiest PE's multiplies and the broadcasts.
void perf(Bus& bus, Rng& r, uint32_t in_len, uint32_t out_len, double wd, double ad) {
  bus.stall_pct = 0;
  Layer l;
  l.in_len = in_len;
  l.out_len = out_len;
  l.shift = 8;
  for (int c = 1; c < 16; c++) l.codebook[c] = int16_t(c * 97 - 800);
  l.w.assign(size_t(out_len) * in_len, 0);
  for (auto& x : l.w) x = r.chance(wd) ? uint8_t(1 + r.below(15)) : 0;
  std::vector<int16_t> in(in_len);
  for (auto& x : in) x = r.chance(ad) ? int16_t(1 + r.below(1000)) : 0;
  Image img;
  if (!img.encode(l)) {
    std::printf("perf layer does not fit this build\n");
    return;
  }
  // Per PE: real entries, padding entries, and words of a column holding only padding (the
  // entry selector spends a cycle on those).
  std::vector<uint64_t> macs(NUM_PES, 0), padding(NUM_PES, 0), idle_words(NUM_PES, 0);
  uint64_t bcasts = 0;
  for (uint32_t j = 0; j < in_len; j++) {
    if (in[j] == 0) continue;
    bcasts++;
    for (uint32_t k = 0; k < NUM_PES; k++) {
      uint32_t lo = img.pointers[k][j], hi = img.pointers[k][j + 1];
      for (uint32_t e = lo; e < hi; e++) {
        if (img.entries[k][e] & 15) macs[k]++;
        else padding[k]++;
      }
      for (uint32_t w = lo / 8; lo < hi && w <= (hi - 1) / 8; w++) {
        bool real = false;
        for (uint32_t e = std::max(lo, w * 8); e < std::min(hi, w * 8 + 8); e++) real |= (img.entries[k][e] & 15) != 0;
        if (!real) idle_words[k]++;
      }
    }
  }
  uint64_t max_macs = 0, sum_macs = 0, sum_pad = 0, max_work = 0;
  for (uint32_t k = 0; k < NUM_PES; k++) {
    max_macs = std::max(max_macs, macs[k]);
    max_work = std::max(max_work, macs[k] + idle_words[k]);
    sum_macs += macs[k];
    sum_pad += padding[k];
  }
  std::printf("busiest PE counting padding-only words: %llu cycles\n", (unsigned long long)max_work);
  img.load(bus, img.next_ptr);
  write_descriptor(bus, 0, l);
  write_acts(bus, 0, in);
  uint32_t st = bus.run(1, 100000000);
  CHECK(st == ST_DONE, "perf: status %08x", st);
  std::vector<int16_t> want = model(l, in);
  std::vector<int16_t> got = read_acts(bus, 1, out_len);
  for (uint32_t i = 0; i < out_len; i++) CHECK(got[i] == want[i], "perf: output %u", i);
  uint64_t starved = 0, busy = 0, full = 0;
  for (uint32_t k = 0; k < NUM_PES; k++) {
    busy += bus.ok_read(COUNTER_BASE + k * 16 + 4);
    starved += bus.ok_read(COUNTER_BASE + k * 16 + 8);
    full += bus.ok_read(COUNTER_BASE + k * 16 + 12);
  }
  uint32_t cycles = bus.ok_read(REG_CYCLES);
  std::printf("perf %ux%u w=%.3f a=%.3f: cycles %u (layer %u), busiest PE %llu MACs, mean %.1f, "
              "broadcasts %llu, padding %.1f%% of MACs, stalls %u, starved %.1f%%, queue full %.1f%%, "
              "busy %.1f%%\n",
              in_len, out_len, wd, ad, cycles, bus.ok_read(LAYER_BASE + 0x14),
              (unsigned long long)max_macs, double(sum_macs) / NUM_PES,
              (unsigned long long)bcasts, 100.0 * double(sum_pad) / double(sum_macs ? sum_macs : 1),
              bus.ok_read(REG_STALLS), 100.0 * double(starved) / (double(cycles) * NUM_PES),
              100.0 * double(full) / (double(cycles) * NUM_PES),
              100.0 * double(busy) / (double(cycles) * NUM_PES));
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t seed = argc > 1 ? uint32_t(std::strtoul(argv[1], nullptr, 0)) : 1;
  if (argc == 7 && std::string(argv[2]) == "perf") {
    Bus bus(seed);
    Rng rng(seed);
    perf(bus, rng, uint32_t(std::atoi(argv[3])), uint32_t(std::atoi(argv[4])), std::atof(argv[5]),
         std::atof(argv[6]));
    return failures ? 1 : 0;
  }
  std::printf("eie_tb: NumPes=%d QueueDepth=%d SpmatWords=%d PtrEntries=%d ActEntries=%d "
              "MaxLayers=%d seed=%u\n",
              NUM_PES, QUEUE_DEPTH, SPMAT_WORDS, PTR_ENTRIES, ACT_ENTRIES, MAX_LAYERS, seed);
  Bus bus(seed);
  Rng rng(seed * 7919 + 1);
  test_identity(bus);
  test_bus_responses(bus);
  test_paper_example(bus);
  test_random(bus, rng);
  test_errors(bus, rng);
  bus.stall_pct = 0;
  test_random(bus, rng);
  std::printf("%s: %d failure(s), %llu cycles\n", failures ? "FAILED" : "PASSED", failures,
              (unsigned long long)bus.cycle);
  return failures ? 1 : 0;
}
