//! The geometry an accelerator build reports through its `GEOM_*` registers.
//!
//! A build is sized by parameters; the driver reads them back before it writes anything, so
//! one firmware drives every build and refuses images encoded for another.

use crate::regs;

/// Width of one activation (and of one codebook entry), in bits.
pub const ACT_BITS: u32 = 16;
/// Width of one sparse-matrix entry: a 4-bit codebook index and a 4-bit relative row index.
pub const ENTRY_BITS: u32 = 8;
/// Entries per sparse-matrix memory word (a 64-bit word holds eight entries).
pub const ENTRIES_PER_WORD: u32 = 8;
/// Width of one sparse-matrix memory word, in bits.
pub const SPMAT_WORD_BITS: u32 = ENTRY_BITS * ENTRIES_PER_WORD;
/// Shared weights per layer: a 4-bit index addresses a 16-entry codebook.
pub const CODEBOOK_SIZE: u32 = 16;
/// Largest PE count the register map has room for.
pub const MAX_PES: u32 = 256;
/// Largest number of layer descriptors the register map has room for.
pub const MAX_LAYERS: u32 = 16;

/// The sizes of one accelerator build, as its `GEOM_*` registers report them.
///
/// Capacities are per PE. Every field but `queue_depth` and `max_layers` is a power of two, so
/// that the hardware decodes addresses by slicing bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Geometry {
    /// Number of processing elements.
    pub num_pes: u32,
    /// Depth of each PE's activation queue.
    pub queue_depth: u32,
    /// Sparse-matrix memory of each PE, in 64-bit words of eight entries.
    pub spmat_words: u32,
    /// Column-pointer memory of each PE, in pointers (both banks together).
    pub ptr_entries: u32,
    /// Each of the two activation files of each PE, in 16-bit activations.
    pub act_entries: u32,
    /// Layer descriptors (and codebooks) the layer program holds.
    pub max_layers: u32,
}

/// A geometry field that the register map cannot describe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BadGeometry {
    /// Which field.
    pub field: &'static str,
    /// Its value.
    pub value: u32,
}

impl core::fmt::Display for BadGeometry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "geometry field {} = {} is not supported",
            self.field, self.value
        )
    }
}

impl Geometry {
    /// The configuration the paper evaluates: 64 PEs, queue depth 8, and (per PE) 128 KiB of
    /// sparse matrix, 16 Ki pointers and 1 Ki activations per file.
    pub const PAPER: Geometry = Geometry {
        num_pes: 64,
        queue_depth: 8,
        spmat_words: 16384,
        ptr_entries: 16384,
        act_entries: 1024,
        max_layers: 8,
    };

    /// A small build for tests and quick simulation.
    pub const SMALL: Geometry = Geometry {
        num_pes: 4,
        queue_depth: 8,
        spmat_words: 1024,
        ptr_entries: 1024,
        act_entries: 256,
        max_layers: 4,
    };

    /// Entries each PE's sparse-matrix memory holds.
    pub const fn spmat_entries(&self) -> u32 {
        self.spmat_words * ENTRIES_PER_WORD
    }

    /// Longest activation vector a layer may read or write.
    pub const fn max_vector_len(&self) -> u32 {
        self.num_pes * self.act_entries
    }

    /// Checks that the register map and windows can describe this geometry.
    pub fn check(&self) -> Result<(), BadGeometry> {
        let pow2 = |field: &'static str, value: u32, max: u64| {
            if value.is_power_of_two() && u64::from(value) <= max {
                Ok(())
            } else {
                Err(BadGeometry { field, value })
            }
        };
        pow2("num_pes", self.num_pes, u64::from(MAX_PES))?;
        let pes = u64::from(self.num_pes);
        pow2(
            "spmat_words",
            self.spmat_words,
            regs::SPMAT_SPAN as u64 / 8 / pes,
        )?;
        pow2(
            "ptr_entries",
            self.ptr_entries,
            regs::PTR_SPAN as u64 / 4 / pes,
        )?;
        pow2(
            "act_entries",
            self.act_entries,
            regs::ACT_SPAN as u64 / 4 / pes,
        )?;
        if self.ptr_entries < 2 {
            return Err(BadGeometry {
                field: "ptr_entries",
                value: self.ptr_entries,
            });
        }
        if !(1..=64).contains(&self.queue_depth) {
            return Err(BadGeometry {
                field: "queue_depth",
                value: self.queue_depth,
            });
        }
        if !(1..=MAX_LAYERS).contains(&self.max_layers) {
            return Err(BadGeometry {
                field: "max_layers",
                value: self.max_layers,
            });
        }
        Ok(())
    }

    /// Rows of an `len`-row vector that PE `pe` owns (rows `i` with `i % num_pes == pe`).
    pub const fn rows_of_pe(&self, len: u32, pe: u32) -> u32 {
        if len > pe {
            (len - 1 - pe) / self.num_pes + 1
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid() {
        Geometry::PAPER.check().unwrap();
        Geometry::SMALL.check().unwrap();
    }

    #[test]
    fn rejects_non_power_of_two() {
        let g = Geometry {
            num_pes: 3,
            ..Geometry::SMALL
        };
        assert_eq!(
            g.check(),
            Err(BadGeometry {
                field: "num_pes",
                value: 3
            })
        );
    }

    #[test]
    fn rows_are_interleaved() {
        let g = Geometry {
            num_pes: 4,
            ..Geometry::SMALL
        };
        assert_eq!([0, 1, 2, 3].map(|pe| g.rows_of_pe(10, pe)), [3, 3, 2, 2]);
        assert_eq!(g.rows_of_pe(2, 3), 0);
        assert_eq!(g.rows_of_pe(0, 0), 0);
    }
}
