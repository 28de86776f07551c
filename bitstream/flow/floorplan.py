"""Pin each PE's block RAMs (and its multiplier) to neighbouring sites of the LFE5U-85F.

Left alone, nextpnr's placer spreads a PE between block-RAM sites chosen for the whole design,
and the PE's logic follows: critical paths then cross half the chip between cells of the same
PE (see bitstream/flow/README.md). Pinning a PE's nine EBRs to adjacent sites, PEs spread
evenly over the EBR rows, gives each PE a compact home the placer builds the logic around. In
an SoC the other block RAMs go to the rows the PEs leave. Only hard blocks get a `BEL`
attribute; the placer keeps every LUT and FF free.

Site names are nextpnr-ecp5's, read from a placed design with every EBR and DSP in use.
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path

# EBR sites: four rows, each in thirteen groups of four (EBR0..EBR3, two columns apart).
EBR_ROWS = (22, 46, 70, 82)
EBR_GROUPS = (4, 13, 22, 31, 40, 49, 58, 69, 78, 87, 96, 105, 114)
EBR_SITES_PER_ROW = 4 * len(EBR_GROUPS)
CHIP_MIDDLE_Y = 47
CHIP_MIDDLE_X = 63
# DSP sites: three rows; each EBR group's columns hold four multipliers (MULT18_0/1/4/5).
DSP_ROWS = (10, 34, 58)
DSP_COLUMNS = tuple(
    (g + dx, slot) for g in EBR_GROUPS for dx, slot in ((0, 0), (1, 1), (4, 4), (5, 5))
)

# A PE's cells, in the core alone (`g_pe[3]....`) or inside a board top (`u_core.g_pe[3]....`).
PE_PREFIX = re.compile(r"(?:^|\.)g_pe\[(\d+)\]\.")
# The core's block RAMs outside the PEs: the register file's codebook store, which the CCU
# copies into every PE.
SHARED_PREFIX = re.compile(r"(?:^|\.)u_regs\.")


def ebr_site(row: int, index: int) -> tuple[int, str]:
    """Column and BEL name of the index-th EBR (left to right) of a row."""
    group, slot = divmod(index, 4)
    x = EBR_GROUPS[group] + 2 * slot
    return x, f"X{x}/Y{row}/EBR{slot}"


def dsp_sites() -> list[tuple[int, int, str]]:
    """(x, y, BEL) of every MULT18X18D site."""
    return [
        (x, y, f"X{x}/Y{y}/MULT18_{slot}")
        for y in DSP_ROWS
        for x, slot in DSP_COLUMNS
    ]


def plan(cells: dict[str, dict], soc_order: tuple[str, ...] = ()) -> dict[str, str]:
    """Cell name -> BEL for the DP16KD and MULT18X18D cells of the PEs, and for the core's
    codebook store: the free site of the PE rows nearest the chip's middle, beside the CCU
    (left alone, nextpnr put it at a corner, a 5 ns route from the register file).

    In an SoC (`soc_order` given), every other block RAM (the CPU's caches and register file,
    the SRAM, the ROM, the L2 cache) is pinned to the rows the PEs leave, nearest the middle
    first, from the left, in the order of the name prefixes in `soc_order` (the CPU's first,
    so its logic gathers at the left of that row); the PE rows' spare sites only take what
    does not fit. Left free, they took the PE rows' spare sites and drew the SoC's logic
    between the PEs."""
    pe_ebrs: dict[int, list[str]] = {}
    pe_dsps: dict[int, list[str]] = {}
    for name, cell in cells.items():
        match = PE_PREFIX.search(name)
        if match is None:
            continue
        if cell["type"] == "DP16KD":
            pe_ebrs.setdefault(int(match.group(1)), []).append(name)
        elif cell["type"] == "MULT18X18D":
            pe_dsps.setdefault(int(match.group(1)), []).append(name)
    if not pe_ebrs:
        return {}
    pes = sorted(pe_ebrs)
    per_pe = max(len(v) for v in pe_ebrs.values())
    pes_per_row_max = EBR_SITES_PER_ROW // per_pe
    rows_needed = math.ceil(len(pes) / pes_per_row_max)
    if rows_needed > len(EBR_ROWS):
        raise ValueError(
            f"{len(pes)} PEs x {per_pe} EBRs do not fit {len(EBR_ROWS)} rows of {EBR_SITES_PER_ROW}"
        )
    # The rows nearest the middle of the chip, so the CCU's nets to every PE stay short.
    by_distance = sorted(EBR_ROWS, key=lambda y: abs(y - CHIP_MIDDLE_Y))
    rows = sorted(by_distance[:rows_needed])
    per_row = math.ceil(len(pes) / rows_needed)
    placement: dict[str, str] = {}
    centres: dict[int, tuple[float, int]] = {}
    for k, pe in enumerate(pes):
        row = rows[k // per_row]
        in_row = min(per_row, len(pes) - (k // per_row) * per_row)
        slot = k % per_row
        # Each PE's block starts in the middle of its equal share of the row.
        share = EBR_SITES_PER_ROW / in_row
        first = int(slot * share + (share - per_pe) / 2)
        xs = []
        for i, name in enumerate(sorted(pe_ebrs[pe])):
            x, bel = ebr_site(row, first + i)
            placement[name] = bel
            xs.append(x)
        centres[pe] = (sum(xs) / len(xs), row)
    taken = set(placement.values())
    free_sites = [
        (abs(x - CHIP_MIDDLE_X) + abs(row - CHIP_MIDDLE_Y), bel)
        for row in rows
        for x, bel in (ebr_site(row, i) for i in range(EBR_SITES_PER_ROW))
        if bel not in taken
    ]
    shared = sorted(
        name for name, cell in cells.items()
        if cell["type"] == "DP16KD" and SHARED_PREFIX.search(name) and not PE_PREFIX.search(name)
    )
    free_sites.sort()
    for name, (_, bel) in zip(shared, free_sites):
        placement[name] = bel
    dsp_free = dsp_sites()
    for pe in pes:
        cx, cy = centres[pe]
        for name in sorted(pe_dsps.get(pe, [])):
            if not dsp_free:
                raise ValueError("more PE multipliers than DSP sites")
            best = min(dsp_free, key=lambda s: abs(s[0] - cx) + abs(s[1] - cy))
            dsp_free.remove(best)
            placement[name] = best[2]
    if soc_order:
        # The rows the PEs leave first; the PE rows' spare sites, farthest from the middle
        # first, only when those run out.
        sites = [ebr_site(y, i)[1] for y in by_distance if y not in rows for i in range(EBR_SITES_PER_ROW)]
        sites += [bel for _, bel in reversed(free_sites[len(shared):])]
        placement.update(soc_plan(cells, placement, sites, soc_order))
    return placement


def soc_plan(
    cells: dict[str, dict], core: dict[str, str], sites: list[str], order: tuple[str, ...]
) -> dict[str, str]:
    """The SoC's block RAMs (every DP16KD not in `core`) on `sites` in turn, ordered by the
    first prefix of `order` their name starts with."""

    def rank(name: str) -> tuple[int, str]:
        return (next((k for k, prefix in enumerate(order) if name.startswith(prefix)), len(order)), name)

    soc_ebrs = sorted((n for n, c in cells.items() if c["type"] == "DP16KD" and n not in core), key=rank)
    if len(soc_ebrs) > len(sites):
        raise ValueError(f"{len(soc_ebrs)} SoC block RAMs, {len(sites)} free EBR sites")
    return dict(zip(soc_ebrs, sites))


def apply(netlist: Path, out: Path, top: str, soc_order: tuple[str, ...] = ()) -> dict:
    """Write `out`: `netlist` with a BEL attribute on every pinned cell. Returns a summary."""
    data = json.loads(netlist.read_text())
    cells = data["modules"][top]["cells"]
    placement = plan(cells, soc_order)
    for name, bel in placement.items():
        cells[name].setdefault("attributes", {})["BEL"] = bel
    out.write_text(json.dumps(data))
    return {"pinned_cells": len(placement)}


def main(argv: list[str]) -> int:
    """`floorplan.py NETLIST TOP [SOC_PREFIX ...]`: pin the PEs (and, given the SoC's block RAM
    name prefixes in order, every other block RAM) of a Yosys JSON netlist in place (the SoC's
    nextpnr wrapper calls this on LiteX's netlist)."""
    if len(argv) < 2:
        print("usage: floorplan.py NETLIST TOP [SOC_PREFIX ...]", file=sys.stderr)
        return 2
    netlist = Path(argv[0])
    try:
        info = apply(netlist, netlist, argv[1], tuple(argv[2:]))
    except (OSError, KeyError, ValueError) as e:
        print(f"floorplan: {netlist}: {e!r}", file=sys.stderr)
        return 1
    print(f"floorplan: pinned {info['pinned_cells']} block RAM and DSP cells", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
