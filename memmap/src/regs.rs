//! The AXI4-Lite register map and SRAM windows (32-bit data, byte addresses relative to the
//! accelerator's base).
//!
//! The accelerator occupies a 16 MiB region:
//!
//! | offset        | span    | what                                                        |
//! |---------------|---------|-------------------------------------------------------------|
//! | `0x00_0000`   | 4 KiB   | global registers, then layer descriptors at [`LAYER_BASE`]  |
//! | `0x00_1000`   | 4 KiB   | codebooks: `(layer * 16 + code) * 4`, int16 sign-extended  |
//! | `0x00_2000`   | 4 KiB   | per-PE counters: `pe * 16 + counter * 4`, read-only          |
//! | `0x10_0000`   | 1 MiB   | activation file 0: element `j` at `j * 4`                   |
//! | `0x20_0000`   | 1 MiB   | activation file 1: element `j` at `j * 4`                   |
//! | `0x40_0000`   | 4 MiB   | column pointers: `(pe * ptr_entries + p) * 4`               |
//! | `0x80_0000`   | 8 MiB   | sparse matrix: `(pe * spmat_words + w) * 8 + half * 4`     |
//!
//! Element `j` of an activation vector lives in PE `j % num_pes` at local address
//! `j / num_pes`; the window hides that interleaving. A sparse-matrix word is written as two
//! 32-bit halves, low half (entries 0..3, entry `k` in bits `8k+7..8k`) first.
//!
//! Responses: DECERR for an address outside every window or register; SLVERR for an address
//! inside a window but past the build's capacity, for any memory-window access while the
//! accelerator is busy, for a write to a read-only register, for a non-zero write to codebook
//! code 0 (reserved for exact zero), and for a start while busy. Every error response is also
//! counted in [`AXI_ERR`] because some CPUs ignore the response.

/// Size of the accelerator's address region.
pub const REGION_SIZE: u32 = 0x100_0000;

/// Identity: reads [`ID_VALUE`].
pub const ID: u32 = 0x000;
/// The identity value, "EIE1" as a little-endian word.
pub const ID_VALUE: u32 = u32::from_le_bytes(*b"EIE1");
/// Hardware version: major in bits 31..16, minor in 15..0.
pub const VERSION: u32 = 0x004;
/// The hardware version this crate describes.
pub const VERSION_VALUE: u32 = 0x0001_0000;
/// Geometry: number of PEs.
pub const GEOM_PES: u32 = 0x008;
/// Geometry: activation-queue depth.
pub const GEOM_QUEUE_DEPTH: u32 = 0x00C;
/// Geometry: sparse-matrix words per PE.
pub const GEOM_SPMAT_WORDS: u32 = 0x010;
/// Geometry: pointer entries per PE.
pub const GEOM_PTR_ENTRIES: u32 = 0x014;
/// Geometry: activations per PE per file.
pub const GEOM_ACT_ENTRIES: u32 = 0x018;
/// Geometry: layer descriptors.
pub const GEOM_MAX_LAYERS: u32 = 0x01C;
/// Geometry: word widths, see [`widths_value`].
pub const GEOM_WIDTHS: u32 = 0x020;

/// Control (write): bit [`CTRL_START`] starts the layer program, [`CTRL_ABORT`] stops it,
/// [`CTRL_IRQ_EN`] enables the interrupt (and reads back).
pub const CTRL: u32 = 0x040;
/// Start the layer program (self-clearing).
pub const CTRL_START: u32 = 1 << 0;
/// Abort a running program; it ends with [`ErrorCode::Aborted`].
pub const CTRL_ABORT: u32 = 1 << 1;
/// Raise the interrupt line while `DONE` or `ERROR` is set.
pub const CTRL_IRQ_EN: u32 = 1 << 2;

/// Status (read; write 1 to `DONE` / `ERROR` to clear them).
pub const STATUS: u32 = 0x044;
/// A program is running.
pub const STATUS_BUSY: u32 = 1 << 0;
/// The last program finished (sticky).
pub const STATUS_DONE: u32 = 1 << 1;
/// The last program stopped on an error (sticky); the code is in [`STATUS_CODE_SHIFT`].
pub const STATUS_ERROR: u32 = 1 << 2;
/// Bit position of the 8-bit [`ErrorCode`].
pub const STATUS_CODE_SHIFT: u32 = 8;
/// Bit position of the 8-bit index of the layer that failed.
pub const STATUS_LAYER_SHIFT: u32 = 16;

/// Number of layers in the program (1 ..= max_layers).
pub const NUM_LAYERS: u32 = 0x048;
/// Cycles of the last program, from start to done (read-only).
pub const CYCLES: u32 = 0x04C;
/// Cycles in which the broadcast stalled because some queue was full (read-only).
pub const BCAST_STALLS: u32 = 0x050;
/// Error responses given on the bus: count in bits 30..0, bit 31 sticky; write to clear.
pub const AXI_ERR: u32 = 0x054;
/// Address of the last access answered with an error response (read-only).
pub const AXI_ERR_ADDR: u32 = 0x058;
/// Where the last error was found: PE in bits 31..24, column in bits 23..0 (read-only).
pub const ERROR_INFO: u32 = 0x05C;

/// First layer descriptor; layer `l` starts at `LAYER_BASE + l * LAYER_STRIDE`.
pub const LAYER_BASE: u32 = 0x100;
/// Distance between layer descriptors.
pub const LAYER_STRIDE: u32 = 0x20;
/// Descriptor field: input length, without the bias column.
pub const LAYER_IN_LEN: u32 = 0x00;
/// Descriptor field: output length.
pub const LAYER_OUT_LEN: u32 = 0x04;
/// Descriptor field: index of the layer's first column pointer in every PE.
pub const LAYER_PTR_BASE: u32 = 0x08;
/// Descriptor field: configuration, see [`LAYER_CFG_RELU`] and friends.
pub const LAYER_CFG: u32 = 0x0C;
/// Configuration: output shift in bits 5..0.
pub const LAYER_CFG_SHIFT_MASK: u32 = 0x3F;
/// Configuration: apply ReLU to the outputs.
pub const LAYER_CFG_RELU: u32 = 1 << 8;
/// Configuration: broadcast a bias column (index `in_len`) after the last input.
pub const LAYER_CFG_BIAS: u32 = 1 << 9;
/// Descriptor field: the constant-1 bias activation in the layer's input format (int16).
pub const LAYER_BIAS_ACT: u32 = 0x10;
/// Descriptor field: cycles this layer took in the last program (read-only).
pub const LAYER_CYCLES: u32 = 0x14;

/// Codebook window.
pub const CODEBOOK_BASE: u32 = 0x1000;
/// Per-PE counter window.
pub const PE_COUNTER_BASE: u32 = 0x2000;
/// Bytes of counters per PE.
pub const PE_COUNTER_STRIDE: u32 = 0x10;
/// Counter: sparse-matrix entries the PE processed (padding included).
pub const PE_ENTRIES: u32 = 0x0;
/// Counter: cycles the PE's arithmetic unit did work.
pub const PE_BUSY: u32 = 0x4;
/// Counter: compute cycles the PE starved (no entry for the arithmetic unit, empty queue).
pub const PE_STARVED: u32 = 0x8;
/// Counter: cycles the PE's queue was full.
pub const PE_QUEUE_FULL: u32 = 0xC;

/// Activation file 0 (the first layer's input).
pub const ACT0_BASE: u32 = 0x10_0000;
/// Activation file 1.
pub const ACT1_BASE: u32 = 0x20_0000;
/// Span of each activation window.
pub const ACT_SPAN: u32 = 0x10_0000;
/// Column-pointer window.
pub const PTR_BASE: u32 = 0x40_0000;
/// Span of the column-pointer window.
pub const PTR_SPAN: u32 = 0x40_0000;
/// Sparse-matrix window.
pub const SPMAT_BASE: u32 = 0x80_0000;
/// Span of the sparse-matrix window.
pub const SPMAT_SPAN: u32 = 0x80_0000;

/// Why the last program stopped with `STATUS_ERROR`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ErrorCode {
    /// `NUM_LAYERS` is 0 or more than the build holds.
    BadLayerCount,
    /// A layer's input or output is longer than the activation files, or has no rows.
    LayerTooLong,
    /// A layer's column pointers lie past the pointer memory.
    PtrBaseOutOfRange,
    /// A column pointer is smaller than the one before it.
    PtrBackwards,
    /// A column pointer points past the sparse-matrix memory.
    PtrPastEnd,
    /// Relative row indices ran past the PE's rows of the layer.
    RowOverflow,
    /// The output shift is larger than [`crate::fixed::MAX_SHIFT`].
    BadShift,
    /// The program was aborted through `CTRL`.
    Aborted,
    /// A code this crate does not know.
    Unknown(u8),
}

impl ErrorCode {
    /// The 8-bit code in `STATUS`.
    pub const fn code(self) -> u8 {
        match self {
            ErrorCode::BadLayerCount => 1,
            ErrorCode::LayerTooLong => 2,
            ErrorCode::PtrBaseOutOfRange => 3,
            ErrorCode::PtrBackwards => 4,
            ErrorCode::PtrPastEnd => 5,
            ErrorCode::RowOverflow => 6,
            ErrorCode::BadShift => 7,
            ErrorCode::Aborted => 8,
            ErrorCode::Unknown(c) => c,
        }
    }

    /// The error for an 8-bit code read from `STATUS`.
    pub const fn from_code(code: u8) -> ErrorCode {
        match code {
            1 => ErrorCode::BadLayerCount,
            2 => ErrorCode::LayerTooLong,
            3 => ErrorCode::PtrBaseOutOfRange,
            4 => ErrorCode::PtrBackwards,
            5 => ErrorCode::PtrPastEnd,
            6 => ErrorCode::RowOverflow,
            7 => ErrorCode::BadShift,
            8 => ErrorCode::Aborted,
            c => ErrorCode::Unknown(c),
        }
    }

    /// Every known code, for generated headers and tests.
    pub const ALL: [ErrorCode; 8] = [
        ErrorCode::BadLayerCount,
        ErrorCode::LayerTooLong,
        ErrorCode::PtrBaseOutOfRange,
        ErrorCode::PtrBackwards,
        ErrorCode::PtrPastEnd,
        ErrorCode::RowOverflow,
        ErrorCode::BadShift,
        ErrorCode::Aborted,
    ];

    /// Upper-case name used in the Verilog header.
    pub const fn name(self) -> &'static str {
        match self {
            ErrorCode::BadLayerCount => "BAD_LAYER_COUNT",
            ErrorCode::LayerTooLong => "LAYER_TOO_LONG",
            ErrorCode::PtrBaseOutOfRange => "PTR_BASE_OUT_OF_RANGE",
            ErrorCode::PtrBackwards => "PTR_BACKWARDS",
            ErrorCode::PtrPastEnd => "PTR_PAST_END",
            ErrorCode::RowOverflow => "ROW_OVERFLOW",
            ErrorCode::BadShift => "BAD_SHIFT",
            ErrorCode::Aborted => "ABORTED",
            ErrorCode::Unknown(_) => "UNKNOWN",
        }
    }
}

impl core::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ErrorCode::Unknown(c) => write!(f, "unknown error code {c}"),
            e => f.write_str(e.name()),
        }
    }
}

/// The value of [`GEOM_WIDTHS`]: activation bits in 7..0, accumulator bits in 15..8, entry bits
/// in 23..16, codebook size in 31..24.
pub const fn widths_value() -> u32 {
    crate::geometry::ACT_BITS
        | crate::fixed::ACC_BITS << 8
        | crate::geometry::ENTRY_BITS << 16
        | crate::geometry::CODEBOOK_SIZE << 24
}

/// Address of field `field` (one of `LAYER_*`) of layer descriptor `layer`.
pub const fn layer_reg(layer: u32, field: u32) -> u32 {
    LAYER_BASE + layer * LAYER_STRIDE + field
}

/// Address of code `code` of layer `layer`'s codebook.
pub const fn codebook_addr(layer: u32, code: u32) -> u32 {
    CODEBOOK_BASE + (layer * crate::geometry::CODEBOOK_SIZE + code) * 4
}

/// Address of counter `counter` (one of `PE_*`) of PE `pe`.
pub const fn pe_counter_addr(pe: u32, counter: u32) -> u32 {
    PE_COUNTER_BASE + pe * PE_COUNTER_STRIDE + counter
}

/// Base of activation file `file` (0 or 1).
pub const fn act_base(file: u32) -> u32 {
    if file == 0 {
        ACT0_BASE
    } else {
        ACT1_BASE
    }
}

/// Activation file that holds the output of a program of `num_layers` layers: layer `l`
/// reads file `l % 2` and writes file `(l + 1) % 2`.
pub const fn output_file(num_layers: u32) -> u32 {
    num_layers % 2
}

/// Address of element `j` of activation file `file`.
pub const fn act_addr(file: u32, j: u32) -> u32 {
    act_base(file) + j * 4
}

/// Address of pointer `p` of PE `pe`.
pub const fn ptr_addr(geometry: &crate::Geometry, pe: u32, p: u32) -> u32 {
    PTR_BASE + (pe * geometry.ptr_entries + p) * 4
}

/// Address of the low half of sparse-matrix word `word` of PE `pe`; the high half follows at +4.
pub const fn spmat_addr(geometry: &crate::Geometry, pe: u32, word: u32) -> u32 {
    SPMAT_BASE + (pe * geometry.spmat_words + word) * 8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Geometry;

    #[test]
    fn windows_do_not_overlap() {
        let windows = [
            (0, 0x1000),
            (CODEBOOK_BASE, 0x1000),
            (PE_COUNTER_BASE, 0x1000),
            (ACT0_BASE, ACT_SPAN),
            (ACT1_BASE, ACT_SPAN),
            (PTR_BASE, PTR_SPAN),
            (SPMAT_BASE, SPMAT_SPAN),
        ];
        for (i, a) in windows.iter().enumerate() {
            assert!(a.0 + a.1 <= REGION_SIZE);
            assert_eq!(a.0 % a.1, 0, "window {i} is aligned to its span");
            for b in &windows[i + 1..] {
                assert!(a.0 + a.1 <= b.0 || b.0 + b.1 <= a.0);
            }
        }
    }

    #[test]
    fn addresses_match_the_documented_layout() {
        let g = Geometry::SMALL;
        assert_eq!(layer_reg(2, LAYER_CFG), 0x14C);
        assert_eq!(codebook_addr(1, 3), 0x104C);
        assert_eq!(pe_counter_addr(3, PE_STARVED), 0x2038);
        assert_eq!(act_addr(1, 5), 0x20_0014);
        assert_eq!(ptr_addr(&g, 2, 7), 0x40_201C);
        assert_eq!(spmat_addr(&g, 1, 3), 0x80_2018);
        assert_eq!(ID_VALUE, 0x3145_4945);
        assert_eq!(widths_value(), 0x1008_3010);
    }

    #[test]
    fn layer_descriptors_fit_before_the_codebooks() {
        let last = layer_reg(crate::geometry::MAX_LAYERS - 1, LAYER_CYCLES);
        assert!(last < CODEBOOK_BASE);
    }

    #[test]
    fn error_codes_round_trip() {
        for e in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_code(e.code()), e);
        }
        assert_eq!(ErrorCode::from_code(200), ErrorCode::Unknown(200));
    }
}
