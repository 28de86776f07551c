#!/usr/bin/env python3
"""Start the prebuilt simulated EIE SoC with a firmware image; its UART is a TCP connection.

  run_sim.py --rom FW.bin [--build .cache/soc/sim] [--port 0] [--accept-timeout 60]

Contract (see README.md in this folder):
- stdout carries exactly one line, `eie-soc-sim: uart listening on 127.0.0.1:<port>`, once the
  port accepts a connection (port 0, the default, lets the OS choose a free one). Everything
  else the simulator says goes to stderr.
- The simulation stands still until one client connects; from then on the socket is the UART,
  byte for byte in both directions (no framing, no echo, nothing dropped).
- It ends when the client closes the connection (exit 0), when this process gets SIGTERM or
  SIGINT, or when the process that started it dies. Exit 3: nobody connected in time; exit 2:
  bad arguments or a missing build.

Nothing is compiled: the firmware is written to the ROM's init file of a private run folder.
Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PR_SET_PDEATHSIG = 1


class RunError(Exception):
    pass


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """Linux: deliver `sig` to this process when its parent dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, sig)
    except (OSError, AttributeError):
        pass


def rom_init(firmware: bytes, rom_size: int) -> str:
    """The ROM as `$readmemh` reads it: one little-endian 32-bit word per line, zero-padded."""
    if len(firmware) > rom_size:
        raise RunError(f"firmware is {len(firmware)} bytes; the ROM holds {rom_size}")
    data = firmware + bytes(rom_size - len(firmware))
    words = (int.from_bytes(data[i : i + 4], "little") for i in range(0, rom_size, 4))
    return "".join(f"{w:08x}\n" for w in words)


def prepare(build: Path, firmware: Path, port: int, accept_timeout: int) -> tuple[Path, Path]:
    gateware = build / "gateware"
    vsim = gateware / "obj_dir" / "Vsim"
    info_path = build / "build_info.json"
    if not vsim.exists() or not info_path.exists():
        raise RunError(f"no simulated SoC in {build}: build it with `./x soc sim`")
    info = json.loads(info_path.read_text())
    try:
        fw = firmware.read_bytes()
    except OSError as e:
        raise RunError(f"cannot read firmware {firmware}: {e.strerror}") from None
    if not fw:
        raise RunError(f"firmware {firmware} is empty")
    init = rom_init(fw, int(info["rom_size"]))

    config = json.loads((gateware / "sim_config.js").read_text())
    uart = [m for m in config if isinstance(m, dict) and m.get("module") == "eie_uart_tcp"]
    if len(uart) != 1:
        raise RunError(f"{gateware / 'sim_config.js'} has no eie_uart_tcp module: rebuild with `./x soc sim`")
    uart[0]["args"] = {"port": port, "accept_timeout_s": accept_timeout}

    run = Path(tempfile.mkdtemp(prefix="eie-soc-sim-"))
    (run / "sim_config.js").write_text(json.dumps(config))
    (run / "sim_rom.init").write_text(init)
    for f in gateware.glob("*.init"):
        if f.name != "sim_rom.init":
            (run / f.name).symlink_to(f)
    (run / "modules").symlink_to(gateware / "modules")
    return run, vsim


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rom", required=True, type=Path, help="firmware image (raw binary, linked at the ROM's address)")
    p.add_argument("--build", type=Path, default=ROOT / ".cache" / "soc" / "sim", help="the `./x soc sim` build folder")
    p.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: any free port)")
    p.add_argument("--accept-timeout", type=int, default=60, help="seconds to wait for the client (default 60)")
    args = p.parse_args(argv)
    if not 0 <= args.port <= 65535:
        print(f"run_sim: --port {args.port} is not a TCP port", file=sys.stderr)
        return 2
    die_with_parent()
    try:
        run, vsim = prepare(args.build.resolve(), args.rom, args.port, args.accept_timeout)
    except RunError as e:
        print(f"run_sim: {e}", file=sys.stderr)
        return 2

    child = subprocess.Popen(
        [str(vsim)],
        cwd=run,
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        preexec_fn=lambda: die_with_parent(signal.SIGKILL),
    )

    def stop(signum, frame):
        child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        assert child.stdout is not None
        for raw in child.stdout:
            line = raw.decode(errors="replace")
            if line.startswith("eie-soc-sim: uart listening on "):
                sys.stdout.write(line)
                sys.stdout.flush()
            else:
                sys.stderr.write(line)
                sys.stderr.flush()
        status = child.wait()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        shutil.rmtree(run, ignore_errors=True)
    if status < 0:
        return 128 - status
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
