"""The board self-test program: one small layer run on the core through its AXI4-Lite port.

The program (for board/eie_selftest.v) checks the identity and geometry registers, loads a
fixed sparse layer (codebook, column pointers, sparse-matrix words, input activations), starts
it, waits for DONE, and compares every output and the status and error registers with the
expected values. Register addresses come from the generated header bitstream/rtl/eie_regs.vh
(itself generated from the memmap crate), so this file restates no address.

The expected outputs are exact: the layer has output shift 0, and its values are small enough
that no sum saturates int16, so each output is ReLU(sum of codebook value x activation), the
plain integer result the fixed-point rules (memmap/src/fixed.rs) give for shift 0.
"""

from __future__ import annotations

import re
from pathlib import Path

OP_END, OP_WRITE, OP_EXPECT, OP_POLL = 0, 1, 2, 3

# The layer: IN_LEN inputs; NumPes * ROWS_PER_PE + 1 outputs (the last PE gets one row fewer,
# so an uneven split is exercised).
IN_LEN = 12
ROWS_PER_PE = 2
# Codebook (int16, code 0 is exact zero): small values of both signs.
CODEBOOK = [0, 1, -1, 2, -2, 3, -3, 5, -5, 7, -7, 11, -13, 17, -19, 23]


def header_constants(path: Path) -> dict[str, int]:
    """The `localparam` values of the generated register header."""
    consts = {}
    pattern = re.compile(r"localparam\s+\[\d+:0\]\s+(\w+)\s*=\s*\d+'([hd])([0-9A-Fa-f_]+);")
    for m in pattern.finditer(path.read_text()):
        consts[m.group(1)] = int(m.group(3).replace("_", ""), 16 if m.group(2) == "h" else 10)
    if "EIE_REG_ID" not in consts:
        raise ValueError(f"{path}: no EIE_REG_* constants found")
    return consts


def layer_matrix(out_len: int) -> tuple[list[list[int]], list[int]]:
    """A fixed pseudo-random sparse matrix of codebook indices (out_len x IN_LEN) and input
    activations, from a small linear congruential generator (deterministic, no library)."""
    state = 0x2545F491

    def rnd(n: int) -> int:
        nonlocal state
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        return (state >> 8) % n

    codes = [[rnd(16) if rnd(4) == 0 else 0 for _ in range(IN_LEN)] for _ in range(out_len)]
    acts = [rnd(41) - 20 if rnd(3) else 0 for _ in range(IN_LEN)]
    return codes, acts


def encode_column(entries: list[tuple[int, int]]) -> list[int]:
    """One PE's column as entry bytes `(z << 4) | v` from (local row, code) pairs in row order,
    with a padding entry (v = 0, z = 15) for every run of more than 15 zero rows."""
    out, next_row = [], 0
    for row, code in entries:
        zeros = row - next_row
        while zeros > 15:
            out.append(0xF0)
            zeros -= 16
        out.append((zeros << 4) | code)
        next_row = row + 1
    return out


def program(c: dict[str, int], params: dict[str, int]) -> list[tuple[int, int, int]]:
    """The self-test as (op, address, data) words."""
    pes = params["NumPes"]
    ptr_entries, spmat_words = params["PtrEntries"], params["SpmatWords"]
    out_len = pes * ROWS_PER_PE - (1 if pes > 1 else 0)
    codes, acts = layer_matrix(out_len)
    words: list[tuple[int, int, int]] = []

    def reg(name: str) -> int:
        return c[f"EIE_REG_{name}"]

    for name, value in [
        ("ID", c["EIE_ID_VALUE"]),
        ("VERSION", c["EIE_VERSION_VALUE"]),
        ("GEOM_PES", pes),
        ("GEOM_QUEUE_DEPTH", params["QueueDepth"]),
        ("GEOM_SPMAT_WORDS", spmat_words),
        ("GEOM_PTR_ENTRIES", ptr_entries),
        ("GEOM_ACT_ENTRIES", params["ActEntries"]),
        ("GEOM_MAX_LAYERS", params["MaxLayers"]),
        ("GEOM_WIDTHS", c["EIE_WIDTHS_VALUE"]),
    ]:
        words.append((OP_EXPECT, reg(name), value))

    # Codebook of layer 0 (code 0 stays zero).
    for code, value in enumerate(CODEBOOK[1:], start=1):
        words.append((OP_WRITE, c["EIE_CODEBOOK_BASE"] + code * 4, value & 0xFFFFFFFF))

    # Per PE: the columns of its rows, pointers from 0, entries packed eight to a word.
    for pe in range(pes):
        rows = list(range(pe, out_len, pes))
        entries: list[int] = []
        pointers = [0]
        for j in range(IN_LEN):
            col = [(k, codes[i][j]) for k, i in enumerate(rows) if codes[i][j] != 0]
            entries += encode_column(col)
            pointers.append(len(entries))
        if len(pointers) > ptr_entries or len(entries) > spmat_words * 8:
            raise ValueError("self-test layer does not fit the configuration's memories")
        for p, value in enumerate(pointers):
            words.append((OP_WRITE, c["EIE_PTR_BASE"] + (pe * ptr_entries + p) * 4, value))
        entries += [0] * (-len(entries) % 8)
        for w in range(len(entries) // 8):
            chunk = entries[w * 8 : w * 8 + 8]
            base = c["EIE_SPMAT_BASE"] + (pe * spmat_words + w) * 8
            words.append((OP_WRITE, base, int.from_bytes(bytes(chunk[:4]), "little")))
            words.append((OP_WRITE, base + 4, int.from_bytes(bytes(chunk[4:]), "little")))

    for j, a in enumerate(acts):
        words.append((OP_WRITE, c["EIE_ACT0_BASE"] + j * 4, a & 0xFFFFFFFF))

    layer = c["EIE_LAYER_BASE"]
    relu = 1 << c["EIE_LAYER_CFG_RELU_BIT"]
    words += [
        (OP_WRITE, layer + c["EIE_LAYER_IN_LEN"], IN_LEN),
        (OP_WRITE, layer + c["EIE_LAYER_OUT_LEN"], out_len),
        (OP_WRITE, layer + c["EIE_LAYER_PTR_BASE"], 0),
        (OP_WRITE, layer + c["EIE_LAYER_CFG"], relu),
        (OP_WRITE, layer + c["EIE_LAYER_BIAS_ACT"], 0),
        (OP_WRITE, reg("NUM_LAYERS"), 1),
        (OP_WRITE, reg("CTRL"), 1 << c["EIE_CTRL_START_BIT"]),
        (
            OP_POLL,
            reg("STATUS"),
            (1 << c["EIE_STATUS_DONE_BIT"]) | (1 << c["EIE_STATUS_ERROR_BIT"]),
        ),
        (OP_EXPECT, reg("STATUS"), 1 << c["EIE_STATUS_DONE_BIT"]),
    ]
    for i in range(out_len):
        total = sum(CODEBOOK[codes[i][j]] * acts[j] for j in range(IN_LEN))
        if not -32768 <= total <= 32767:
            raise ValueError("self-test layer would saturate; its expected values assume not")
        words.append((OP_EXPECT, c["EIE_ACT1_BASE"] + i * 4, max(total, 0)))
    words.append((OP_EXPECT, reg("AXI_ERR"), 0))
    words.append((OP_END, 0, 0))
    return words


def write_program(words: list[tuple[int, int, int]], out: Path) -> tuple[Path, int]:
    """Writes the $readmemh file, padded to a power-of-two depth; returns (path, depth)."""
    depth = 2
    while depth < len(words):
        depth *= 2
    lines = [f"{op:02x}{addr:06x}{data:08x}" for op, addr, data in words]
    lines += ["0" * 16] * (depth - len(words))
    path = out / "selftest.hex"
    path.write_text("\n".join(lines) + "\n")
    return path, depth
