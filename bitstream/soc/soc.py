#!/usr/bin/env python3
"""The EIE SoC: a LiteX system with a soft RISC-V CPU, the project's Rust firmware in ROM, and
the EIE core (bitstream/rtl) as an AXI4-Lite slave in its own clock domain.

One description, two targets:

  sim     Verilator (LiteX's simulation machinery), UART exposed on TCP by our own sim module
          (sim_modules/eie_uart_tcp); main RAM integrated.
  ulx3s   Radiona ULX3S with an LFE5U-85F (CABGA381): SDRAM as main RAM, UART on the FT231X,
          timing-strict (a clock that misses its target fails the build).

Usage (through `./x soc sim` / `./x soc ulx3s`, which set up .cache/soc-venv):

  soc.py sim   [--out DIR] [--cpu-type T] [--cpu-variant V] [--param NAME=VALUE ...]
  soc.py ulx3s [--out DIR] [--sys-clk-mhz F] [--eie-clk-mhz F] [--seed N ...] [--pnr-opt OPT ...] [--param ...]

The ROM is built with a placeholder image; the firmware goes in afterwards without rebuilding
the gateware (sim: run_sim.py writes sim_rom.init; ulx3s: rom.py swaps the ROM's block RAM
contents in the routed design). See README.md in this folder.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from migen import ClockDomain, ClockSignal, Instance, ResetSignal, Signal
from migen.genlib.cdc import MultiReg
from migen.genlib.resetsync import AsyncResetSynchronizer

from litex.build.generic_platform import Pins
from litex.gen import LiteXModule
from litex.soc.integration.builder import Builder
from litex.soc.integration.soc import SoCRegion
from litex.soc.integration.soc_core import SoCCore
from litex.soc.interconnect.axi import AXILiteClockDomainCrossing, AXILiteInterface
from litex.soc.interconnect.csr_eventmanager import EventManager, EventSourceLevel

SOC_DIR = Path(__file__).resolve().parent
ROOT = SOC_DIR.parents[1]
RTL_DIR = ROOT / "bitstream" / "rtl"
# Which RTL a build used, for its report: the working tree, or the commit (use_committed_rtl).
RTL_SOURCE = "bitstream/rtl as in the working tree"
BUILD_ROOT = ROOT / ".cache" / "soc"
RESULTS_ROOT = ROOT / "results" / "soc"

# Where the EIE core sits in the CPU's address space: an uncached (I/O) region. VexRiscv treats
# 0x8000_0000-0xFFFF_FFFF as I/O; LiteX's CSRs are at 0xF000_0000.
EIE_ORIGIN = 0x8000_0000

# The core's parameters (as `eie_top` names them) per target. The same build on both, so a
# model image encoded for one runs on the other. LeNet-300-100 needs ~1190 column pointers per
# PE (one per input column of every layer, whatever the PE count), hence PtrEntries = 2048.
CORE_PARAMS = {
    "NumPes": 8,
    "QueueDepth": 8,
    "SpmatWords": 1024,
    "PtrEntries": 2048,
    "ActEntries": 256,
    "MaxLayers": 8,
}

MEMORY = {
    # ROM for the firmware (code and read-only data), SRAM for .data, .bss and the stack,
    # main RAM for the model staging buffer (at least 256 KiB).
    "rom": 0x2_0000,
    "sram": 0x8000,
    "sim_main_ram": 0x10_0000,
}

SIM_SYS_CLK_HZ = 40_000_000
SIM_EIE_CLK_HZ = 40_000_000
UART_BAUD = 1_000_000


class SocError(Exception):
    """A build step failed or the request makes no sense; the message says which and why."""


def rel(path: Path) -> str:
    try:
        return str(Path(path).relative_to(ROOT))
    except ValueError:
        return str(path)


def use_committed_rtl() -> None:
    """Build from the RTL as committed (HEAD), exported to .cache/soc/rtl-<tree>: other work in
    progress in bitstream/rtl does not leak into the SoC, and the build is reproducible."""
    global RTL_DIR, RTL_SOURCE
    tree = subprocess.run(
        ["git", "rev-parse", "HEAD:bitstream/rtl"], cwd=ROOT, capture_output=True, text=True
    )
    if tree.returncode != 0:
        raise SocError(f"git rev-parse HEAD:bitstream/rtl failed: {tree.stderr.strip()}")
    dest = BUILD_ROOT / f"rtl-{tree.stdout.strip()[:12]}"
    if not (dest / "bitstream" / "rtl" / "files.txt").exists():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", "HEAD", "bitstream/rtl"], cwd=ROOT, capture_output=True
        )
        if archive.returncode != 0:
            raise SocError(f"git archive failed: {archive.stderr.decode(errors='replace').strip()}")
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    RTL_DIR = dest / "bitstream" / "rtl"
    commit = subprocess.run(
        ["git", "log", "-1", "--format=%h", "HEAD", "--", "bitstream/rtl"],
        cwd=ROOT, capture_output=True, text=True,
    )
    RTL_SOURCE = f"{commit.stdout.strip()} (the last commit that changed bitstream/rtl)"


def region_bits() -> int:
    """Address bits of the core's region, from the header eie-memmap generates."""
    header = (RTL_DIR / "eie_regs.vh").read_text()
    m = re.search(r"EIE_REGION_BITS = 32'h([0-9A-Fa-f]+);", header)
    if not m:
        raise SocError("bitstream/rtl/eie_regs.vh has no EIE_REGION_BITS")
    return int(m.group(1), 16)


def rtl_files() -> list[Path]:
    names = [
        line.strip()
        for line in (RTL_DIR / "files.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return [RTL_DIR / n for n in names]


class EieCore(LiteXModule):
    """`eie_top` in clock domain `cd`, reached from `sys` through an AXI4-Lite clock-domain
    crossing; its interrupt, synchronised into `sys`, is a LiteX event (`eie_ev_*` CSRs)."""

    def __init__(self, platform, params: dict[str, int], cd: str = "eie"):
        bits = region_bits()
        self.bus = AXILiteInterface(data_width=32, address_width=32)
        core_bus = AXILiteInterface(data_width=32, address_width=32)
        self.cdc = AXILiteClockDomainCrossing(self.bus, core_bus, cd_from="sys", cd_to=cd)

        irq = Signal()
        self.specials += Instance(
            "eie_top",
            **{f"p_{k}": v for k, v in params.items()},
            i_clk_i=ClockSignal(cd),
            i_rst_ni=~ResetSignal(cd),
            i_s_axil_awaddr=core_bus.aw.addr[:bits],
            i_s_axil_awvalid=core_bus.aw.valid,
            o_s_axil_awready=core_bus.aw.ready,
            i_s_axil_wdata=core_bus.w.data,
            i_s_axil_wstrb=core_bus.w.strb,
            i_s_axil_wvalid=core_bus.w.valid,
            o_s_axil_wready=core_bus.w.ready,
            o_s_axil_bresp=core_bus.b.resp,
            o_s_axil_bvalid=core_bus.b.valid,
            i_s_axil_bready=core_bus.b.ready,
            i_s_axil_araddr=core_bus.ar.addr[:bits],
            i_s_axil_arvalid=core_bus.ar.valid,
            o_s_axil_arready=core_bus.ar.ready,
            o_s_axil_rdata=core_bus.r.data,
            o_s_axil_rresp=core_bus.r.resp,
            o_s_axil_rvalid=core_bus.r.valid,
            i_s_axil_rready=core_bus.r.ready,
            o_irq_o=irq,
        )
        for f in rtl_files():
            platform.add_source(str(f))
        platform.add_verilog_include_path(str(RTL_DIR))

        self.ev = EventManager()
        self.ev.done = EventSourceLevel(description="The core's interrupt line (IRQ_EN and DONE or ERROR).")
        self.ev.finalize()
        self.specials += MultiReg(irq, self.ev.done.trigger, odomain="sys")


def add_eie(soc, params: dict[str, int], eie_clk_hz: int) -> None:
    soc.eie = EieCore(soc.platform, params)
    soc.bus.add_slave(
        "eie",
        soc.eie.bus,
        SoCRegion(origin=EIE_ORIGIN, size=1 << region_bits(), cached=False),
    )
    soc.irq.add("eie", use_loc_if_exists=True)
    for k, v in params.items():
        soc.add_constant(f"EIE_{k.upper()}", v)
    soc.add_constant("EIE_CLOCK_FREQUENCY", int(eie_clk_hz))


def soc_kwargs(args, rom_init: list[int]) -> dict:
    return dict(
        cpu_type=args.cpu_type,
        cpu_variant=args.cpu_variant,
        integrated_rom_size=MEMORY["rom"],
        # Placeholder contents: the ROM becomes an initialised memory (a .init file in
        # simulation, block RAM init on the FPGA) whose words are replaced by the firmware.
        integrated_rom_init=rom_init,
        integrated_sram_size=MEMORY["sram"],
        with_uart=True,
        uart_baudrate=UART_BAUD,
        with_timer=True,
        # A 64-bit cycle counter (timer0_uptime_*) for the firmware's timestamps.
        timer_uptime=True,
        with_ctrl=True,
        ident="EIE SoC",
        ident_version=True,
    )


# ------------------------------------------------------------------------------------ sim


def sim_soc(args):
    from litex.build.sim import SimPlatform
    from litex.build.sim.config import SimConfig
    from litex.build.io import CRG

    io = [
        ("sys_clk", 0, Pins(1)),
        ("eie_clk", 0, Pins(1)),
        ("sys_rst", 0, Pins(1)),
    ]
    from litex.tools.litex_sim import _io as litex_sim_io

    io += [entry for entry in litex_sim_io if entry[0] == "serial"]
    platform = SimPlatform("SIM", io)

    class SimSoC(SoCCore):
        def __init__(self):
            self.crg = CRG(platform.request("sys_clk"))
            self.cd_eie = ClockDomain()
            self.comb += self.cd_eie.clk.eq(platform.request("eie_clk"))
            self.specials += AsyncResetSynchronizer(self.cd_eie, ResetSignal("sys"))
            kwargs = soc_kwargs(args, [0] * (MEMORY["rom"] // 4))
            kwargs["uart_name"] = "sim"
            SoCCore.__init__(
                self,
                platform,
                clk_freq=args.sys_clk_hz,
                integrated_main_ram_size=MEMORY["sim_main_ram"],
                **kwargs,
            )
            add_eie(self, args.params, args.eie_clk_hz)

    soc = SimSoC()
    config = SimConfig()
    config.add_clocker("sys_clk", freq_hz=args.sys_clk_hz)
    config.add_clocker("eie_clk", freq_hz=args.eie_clk_hz)
    # The runner (run_sim.py) rewrites the port; 0 lets the OS choose one.
    config.add_module("eie_uart_tcp", "serial", args={"port": 0, "accept_timeout_s": 60})
    return soc, config


def inputs_digest(args, target: str) -> str:
    """A digest of everything a build depends on: this description, the sim module, the pinned
    requirements, the RTL (files.txt, every file it lists, the register header), the
    floorplan and the options. A build whose digest matches is not redone."""
    import hashlib

    h = hashlib.sha256()
    files = [Path(__file__), SOC_DIR / "requirements.txt", RTL_DIR / "files.txt", *sorted(RTL_DIR.glob("*.vh"))]
    files.append(ROOT / "bitstream" / "flow" / "floorplan.py")
    files += sorted((SOC_DIR / "sim_modules").rglob("*.c"))
    files += sorted((SOC_DIR / "sim_modules").rglob("Makefile"))
    files += rtl_files()
    for f in files:
        if f.is_file():
            h.update(rel(f).encode() + b"\0" + f.read_bytes() + b"\0")
    opts = {k: v for k, v in vars(args).items() if k not in ("jobs", "force", "out", "report_only")}
    h.update(json.dumps({"target": target, **opts}, sort_keys=True).encode())
    return h.hexdigest()


def up_to_date(out: Path, digest: str, product: Path) -> bool:
    info = out / "build_info.json"
    if not info.exists() or not product.exists():
        return False
    try:
        return json.loads(info.read_text()).get("inputs") == digest
    except ValueError:
        return False


def build_sim(args) -> None:
    out = Path(args.out or BUILD_ROOT / "sim").resolve()
    digest = inputs_digest(args, "sim")
    if not args.force and up_to_date(out, digest, out / "gateware" / "obj_dir" / "Vsim"):
        print(f"soc: simulated SoC up to date: {rel(out)}")
        return
    soc, config = sim_soc(args)
    builder = Builder(
        soc,
        output_dir=str(out),
        compile_software=False,
        csr_csv=str(out / "csr.csv"),
        csr_json=str(out / "csr.json"),
    )
    started = time.monotonic()
    # LiteX writes variables.mak beside the extra modules: give it a copy in the build folder.
    modules = out / "sim_modules"
    shutil.rmtree(modules, ignore_errors=True)
    shutil.copytree(SOC_DIR / "sim_modules", modules)
    builder.build(
        sim_config=config,
        run=False,
        interactive=False,
        opt_level="O3",
        extra_mods=["eie_uart_tcp"],
        extra_mods_path=str(modules),
    )
    gateware = out / "gateware"
    jobs = str(args.jobs)
    script = gateware / "build_sim.sh"
    text = script.read_text()
    # LiteX's script passes JOBS only when set; keep the compile to the cores we were given.
    script.write_text(re.sub(r"make -C \. ", f"make -C . JOBS={jobs} ", text, count=1))
    log = out / "verilator.log"
    with log.open("w") as f:
        r = subprocess.run(["bash", script.name], cwd=gateware, stdout=f, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-30:])
        raise SocError(f"Verilator build failed (log: {rel(log)}):\n{tail}")
    if not (gateware / "obj_dir" / "Vsim").exists():
        raise SocError(f"Verilator build produced no obj_dir/Vsim (log: {rel(log)})")
    write_build_info(out, args, "sim", time.monotonic() - started, digest)
    print(f"soc: simulated SoC built in {time.monotonic() - started:.0f} s: {rel(out)}")


# ------------------------------------------------------------------------------------ ulx3s


def ulx3s_soc(args):
    from litedram import modules as litedram_modules
    from litedram.phy import GENSDRPHY
    from litex.build.io import DDROutput
    from litex.soc.cores.clock import ECP5PLL
    from litex_boards.platforms import radiona_ulx3s

    platform = radiona_ulx3s.Platform(device="LFE5U-85F", revision="2.0", toolchain="trellis")

    class CRG(LiteXModule):
        def __init__(self):
            self.rst = Signal()
            self.cd_sys = ClockDomain()
            self.cd_sys_ps = ClockDomain()
            self.cd_eie = ClockDomain()
            clk25 = platform.request("clk25")
            rst = platform.request("rst")
            self.pll = pll = ECP5PLL()
            self.comb += pll.reset.eq(rst | self.rst)
            pll.register_clkin(clk25, 25e6)
            pll.create_clkout(self.cd_sys, args.sys_clk_hz)
            pll.create_clkout(self.cd_sys_ps, args.sys_clk_hz, phase=90)
            pll.create_clkout(self.cd_eie, args.eie_clk_hz)
            self.specials += DDROutput(1, 0, platform.request("sdram_clock"), ClockSignal("sys_ps"))
            # Keep the ESP32 from resetting the FPGA.
            self.comb += platform.request("wifi_gpio0").eq(1)

    class Ulx3sSoC(SoCCore):
        def __init__(self):
            self.crg = CRG()
            kwargs = soc_kwargs(args, rom_placeholder())
            kwargs["uart_name"] = "serial"
            SoCCore.__init__(self, platform, clk_freq=args.sys_clk_hz, **kwargs)
            self.sdrphy = GENSDRPHY(platform.request("sdram"), args.sys_clk_hz)
            self.add_sdram(
                "sdram",
                phy=self.sdrphy,
                module=litedram_modules.MT48LC16M16(args.sys_clk_hz, "1:1"),
                size=0x4000_0000,
                l2_cache_size=8192,
            )
            add_eie(self, args.params, args.eie_clk_hz)

    return Ulx3sSoC()


def rom_placeholder() -> list[int]:
    """Pseudo-random ROM words (fixed seed): distinct from every other block RAM's contents,
    so that rom.py (ecpbram) finds the ROM's blocks in the routed design and swaps in the
    firmware."""
    import random

    rng = random.Random(0xE1E)
    return [rng.getrandbits(32) for _ in range(MEMORY["rom"] // 4)]


def write_rom_placeholder(out: Path) -> None:
    (out / "rom_placeholder.hex").write_text("".join(f"{w:08x}\n" for w in rom_placeholder()))


DFII_BITS = {
    "DFII_COMMAND_CS": 0x01,
    "DFII_COMMAND_WE": 0x02,
    "DFII_COMMAND_CAS": 0x04,
    "DFII_COMMAND_RAS": 0x08,
    "DFII_CONTROL_SEL": 0x01,
    "DFII_CONTROL_CKE": 0x02,
    "DFII_CONTROL_ODT": 0x04,
    "DFII_CONTROL_RESET_N": 0x08,
}


def write_sdram_init(soc, out: Path) -> None:
    """LiteDRAM's initialisation sequence for this SoC's SDRAM as CSV for firmware/build.rs
    (the firmware runs it in place of the LiteX BIOS): control, address, bank, bits, delay."""
    from litedram.init import get_sdram_phy_init_sequence

    settings = soc.sdram.controller.settings
    sequence, _ = get_sdram_phy_init_sequence(settings.phy, settings.timing)
    rows = ["control,address,bank,bits,delay_cycles"]
    for _comment, a, ba, cmd, delay in sequence:
        names = [n.strip() for n in cmd.split("|")]
        unknown = [n for n in names if n not in DFII_BITS]
        if unknown:
            raise SocError(f"SDRAM init uses {unknown}, which the firmware does not know")
        bits = 0
        for n in names:
            bits |= DFII_BITS[n]
        control = int(names[0].startswith("DFII_CONTROL"))
        rows.append(f"{control},{a:#x},{ba},{bits:#x},{delay}")
    (out / "sdram_init.csv").write_text("\n".join(rows) + "\n")


# The core's block RAMs take the two EBR rows nearest the chip's middle, as in the core's own
# flow; the SoC's go to the rows the PEs leave (22, then 82), from the left, in this order of name
# prefixes in LiteX's netlist: the CPU's caches and register file first (per --cpu-type), so
# its logic gathers in one place, then the SRAM, the L2 cache's tags and data, the ROM.
CPU_INSTANCES = {"vexriscv": "VexRiscv."}
SOC_RAM_ORDER = ("sram", "tag_mem", "data_mem", "rom")
# nextpnr options of every ULX3S build (before any --pnr-opt): timing-driven rip-up in the
# router, which reroutes the critical nets after the first full route.
ULX3S_PNR_OPTS = ("--tmg-ripup",)


def yowasp_wrappers(bin_dir: Path, cpu_type: str) -> None:
    """LiteX calls yosys, nextpnr-ecp5 and ecppack by name: one-line scripts exec the YoWASP
    builds from the flow's venv (installed by `./x soc ulx3s`)."""
    venv_bin = ROOT / ".cache" / "venv" / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name in ["yosys", "nextpnr-ecp5", "ecppack", "ecpbram"]:
        target = venv_bin / f"yowasp-{name}"
        if not target.exists():
            raise SocError(f"{rel(target)} not found: run `./x soc ulx3s` (it installs the flow)")
        script = bin_dir / name
        if name == "nextpnr-ecp5":
            # Pin the PEs' block RAMs and DSPs first, as the core's own flow does
            # (bitstream/flow/floorplan.py), and the SoC's block RAMs in the other rows;
            # the netlist is the argument after --json.
            floorplan = ROOT / "bitstream" / "flow" / "floorplan.py"
            order = " ".join(f'"{p}"' for p in (CPU_INSTANCES.get(cpu_type, ""), *SOC_RAM_ORDER) if p)
            script.write_text(
                "#!/bin/sh\n"
                'json=$(printf "%s\\n" "$@" | sed -n "/^--json$/{n;p;q}")\n'
                f'python3 "{floorplan}" "$json" ulx3s {order} || exit 1\n'
                f'exec "{target}" "$@"\n'
            )
        else:
            script.write_text(f'#!/bin/sh\nexec "{target}" "$@"\n')
        script.chmod(0o755)


def build_ulx3s(args) -> int:
    import os

    out = Path(args.out or BUILD_ROOT / "ulx3s").resolve()
    gateware = out / "gateware"
    digest = inputs_digest(args, "ulx3s")
    if args.report_only:
        info = json.loads((out / "build_info.json").read_text())
        attempts = json.loads((RESULTS_ROOT / "ulx3s" / "report.json").read_text())["attempts"]
        rep = ulx3s_report(out, args, attempts, info["build_seconds"], info.get("rtl", "not recorded"))
        return 0 if rep["timing_met"] else 1
    if not args.force and up_to_date(out, digest, gateware / "ulx3s.bit"):
        print(f"soc: ULX3S bitstream up to date: {rel(gateware / 'ulx3s.bit')}")
        return 0
    yowasp_wrappers(out / "bin", args.cpu_type)
    os.environ["PATH"] = f"{out / 'bin'}:{os.environ['PATH']}"
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    write_rom_placeholder(out)
    soc = ulx3s_soc(args)
    # nextpnr's JSON report: utilisation and Fmax of every clock.
    soc.platform.toolchain._pnr_opts += " --report nextpnr_report.json"
    soc.platform.toolchain._pnr_opts += "".join(f" {opt}" for opt in args.pnr_opts)
    builder = Builder(
        soc,
        output_dir=str(out),
        compile_software=False,
        csr_csv=str(out / "csr.csv"),
        csr_json=str(out / "csr.json"),
    )
    attempts = []
    seed, *more = args.seeds
    t0 = time.monotonic()
    try:
        builder.build(build_name="ulx3s", seed=seed, timingstrict=True)
        met = True
    except OSError as e:
        met = False
        print(f"soc: seed {seed}: {e}", file=sys.stderr)
    write_sdram_init(soc, out)
    attempts.append({"seed": seed, "seconds": round(time.monotonic() - t0), "met": met})
    ulx3s_report(out, args, attempts, time.monotonic() - started, RTL_SOURCE)
    script = gateware / "build_ulx3s.sh"
    for seed in more:
        if met or not script.exists():
            break
        # Place and route again with another seed; synthesis does not change.
        lines = [
            re.sub(r"--seed \d+", f"--seed {seed}", line)
            for line in script.read_text().splitlines()
            if not line.startswith("yosys")
        ]
        retry = gateware / f"pnr_seed{seed}.sh"
        retry.write_text("\n".join(lines) + "\n")
        t0 = time.monotonic()
        met = subprocess.run(["bash", retry.name], cwd=gateware).returncode == 0
        attempts.append({"seed": seed, "seconds": round(time.monotonic() - t0), "met": met})
        ulx3s_report(out, args, attempts, time.monotonic() - started, RTL_SOURCE)
    write_build_info(out, args, "ulx3s", time.monotonic() - started, digest if met else "")
    rep = ulx3s_report(out, args, attempts, time.monotonic() - started, RTL_SOURCE)
    print(f"soc: ULX3S build {'met' if rep['timing_met'] else 'MISSED'} timing; report: {rel(RESULTS_ROOT / 'ulx3s' / 'report.md')}")
    return 0 if rep["timing_met"] else 1


def nextpnr_figures(report: Path) -> tuple[dict, dict]:
    """Utilisation and per-clock Fmax from nextpnr's JSON report."""
    if not report.exists():
        return {}, {}
    rep = json.loads(report.read_text())
    util = {
        cell: {"used": u["used"], "available": u["available"]}
        for cell, u in rep.get("utilization", {}).items()
        if u.get("used")
    }
    fmax = {
        clk: {
            "fmax_mhz": round(f["achieved"], 2),
            "target_mhz": round(f["constraint"], 2),
            "met": f["achieved"] >= f["constraint"],
        }
        for clk, f in rep.get("fmax", {}).items()
    }
    return util, fmax


def ulx3s_report(out: Path, args, attempts: list[dict], seconds: float, rtl: str) -> dict:
    gateware = out / "gateware"
    util, fmax = nextpnr_figures(gateware / "nextpnr_report.json")
    # nextpnr names clocks after nets; the targets tell the domains apart. A PLL output is
    # the nearest frequency the PLL can make (85 MHz asked, 85.72 made), so take the nearest.
    domains = {args.sys_clk_hz / 1e6: "sys (CPU, bus, SDRAM, UART)", args.eie_clk_hz / 1e6: "eie (EIE core)"}
    for c in fmax.values():
        asked = min(domains, key=lambda mhz: abs(mhz - c["target_mhz"]))
        c["domain"] = domains[asked] if abs(asked - c["target_mhz"]) < 0.05 * asked else "?"
    rep = {
        "target": "ulx3s",
        "part": "LFE5U-85F, speed grade 6, CABGA381",
        "cpu": f"{args.cpu_type} {args.cpu_variant}",
        "core_params": args.params,
        "rtl": rtl,
        "sys_clk_mhz": args.sys_clk_hz / 1e6,
        "eie_clk_mhz": args.eie_clk_hz / 1e6,
        "attempts": attempts,
        "pnr_opts": args.pnr_opts,
        "seconds": round(seconds),
        "utilisation": util,
        "clocks": fmax,
        "timing_met": bool(attempts) and attempts[-1]["met"] and all(c["met"] for c in fmax.values()) and bool(fmax),
        "bitstream": rel(gateware / "ulx3s.bit"),
    }
    results = RESULTS_ROOT / "ulx3s"
    results.mkdir(parents=True, exist_ok=True)
    (results / "report.json").write_text(json.dumps(rep, indent=2) + "\n")
    lines = [
        "# EIE SoC on the ULX3S (LFE5U-85F)",
        "",
        f"- CPU: {rep['cpu']}; core parameters: "
        + ", ".join(f"{k}={v}" for k, v in args.params.items()),
        f"- RTL: {rtl}",
        f"- clocks: sys {rep['sys_clk_mhz']:g} MHz (CPU, bus, SDRAM, UART), eie {rep['eie_clk_mhz']:g} MHz (EIE core, behind an AXI4-Lite clock-domain crossing)",
        f"- timing met: **{'yes' if rep['timing_met'] else 'no'}**; seeds tried: "
        + ", ".join(f"{a['seed']} ({'met' if a['met'] else 'failed'}, {a['seconds']} s)" for a in attempts)
        + (f"; extra nextpnr options: `{' '.join(args.pnr_opts)}`" if args.pnr_opts else ""),
        f"- bitstream: `{rep['bitstream']}` (placeholder ROM); `./x soc firmware ulx3s` swaps the firmware in: `.cache/soc/ulx3s/eie-soc.bit`",
        f"- build time: {rep['seconds']} s wall clock (2 cores, shared with other jobs)",
        "",
        "## Clocks",
        "",
        "| domain | nextpnr's clock net | target MHz | Fmax MHz | met |",
        "|---|---|---|---|---|",
    ]
    for name, c in fmax.items():
        lines.append(
            f"| {c['domain']} | `{name}` | {c['target_mhz']:g} | {c['fmax_mhz']:.2f} | {'yes' if c['met'] else 'no'} |"
        )
    lines += ["", "## Utilisation", "", "| cell | used | available | % |", "|---|---|---|---|"]
    for name, u in util.items():
        pct = 100.0 * u["used"] / u["available"] if u["available"] else 0.0
        lines.append(f"| {name} | {u['used']} | {u['available']} | {pct:.1f} |")
    (results / "report.md").write_text("\n".join(lines) + "\n")
    return rep


# ------------------------------------------------------------------------------------ common


def write_build_info(out: Path, args, target: str, seconds: float, digest: str) -> None:
    info = {
        "inputs": digest,
        "target": target,
        "cpu_type": args.cpu_type,
        "cpu_variant": args.cpu_variant,
        "core_params": args.params,
        "sys_clk_hz": args.sys_clk_hz,
        "eie_clk_hz": args.eie_clk_hz,
        "rom_size": MEMORY["rom"],
        "uart_baud": UART_BAUD,
        "rtl": RTL_SOURCE,
        "build_seconds": round(seconds),
    }
    (out / "build_info.json").write_text(json.dumps(info, indent=2) + "\n")


def parse_params(items: list[str]) -> dict[str, int]:
    params = dict(CORE_PARAMS)
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or name not in CORE_PARAMS:
            raise SocError(f"--param {item!r}: expected NAME=VALUE with NAME one of {', '.join(CORE_PARAMS)}")
        try:
            params[name] = int(value, 0)
        except ValueError:
            raise SocError(f"--param {item!r}: {value!r} is not an integer") from None
    return params


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", choices=["sim", "ulx3s"])
    p.add_argument("--out", help="build folder (default .cache/soc/<target>)")
    p.add_argument("--cpu-type", default="vexriscv", help="LiteX CPU (default vexriscv)")
    p.add_argument("--cpu-variant", default="imac", help="CPU variant (default imac: the Rust target riscv32imac)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="EIE core parameter")
    p.add_argument("--sys-clk-mhz", type=float, help="CPU/bus clock (sim default 40, ulx3s 40)")
    p.add_argument("--eie-clk-mhz", type=float, help="EIE core clock (sim default 40, ulx3s 100)")
    p.add_argument("--seed", type=int, action="append", dest="seeds", help="nextpnr seeds to try in turn (ulx3s)")
    p.add_argument(
        "--pnr-opt",
        action="append",
        default=[],
        dest="pnr_opts",
        help="extra nextpnr-ecp5 option (ulx3s), written --pnr-opt=--placer-heap-timingweight=30",
    )
    p.add_argument(
        "--rtl-worktree",
        action="store_true",
        help="use bitstream/rtl as it is in the working tree (default: as committed)",
    )
    p.add_argument("--report-only", action="store_true", help="rewrite the ULX3S report from the last build")
    p.add_argument("--force", action="store_true", help="build even when the inputs did not change")
    p.add_argument("--jobs", type=int, default=1, help="parallel C++ compiles of the Verilated model (sim)")
    args = p.parse_args(argv)
    try:
        args.params = parse_params(args.param)
        if not args.rtl_worktree:
            use_committed_rtl()
        if args.target == "sim":
            args.sys_clk_hz = int((args.sys_clk_mhz or SIM_SYS_CLK_HZ / 1e6) * 1e6)
            args.eie_clk_hz = int((args.eie_clk_mhz or SIM_EIE_CLK_HZ / 1e6) * 1e6)
            build_sim(args)
            return 0
        args.sys_clk_hz = int((args.sys_clk_mhz or 40) * 1e6)
        args.eie_clk_hz = int((args.eie_clk_mhz or 100) * 1e6)
        args.seeds = args.seeds or [1, 2, 3]
        args.pnr_opts = [*ULX3S_PNR_OPTS, *args.pnr_opts]
        return build_ulx3s(args)
    except SocError as e:
        print(f"soc: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
