//! The volatile memory-mapped [`Bus`] for a CPU that sees the accelerator in its address space.
//!
//! This is the only module of the crate with `unsafe` code.
#![allow(unsafe_code)]

use crate::Bus;
use eie_memmap::regs::REGION_SIZE;

/// The accelerator's registers as seen by a CPU: volatile 32-bit loads and stores at
/// `base + offset`.
#[derive(Debug)]
pub struct Mmio {
    base: usize,
}

/// An access [`Mmio`] refused because it would leave the accelerator's region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MmioError {
    /// The offset is not below [`REGION_SIZE`].
    OutOfRegion {
        /// The offset asked for.
        offset: u32,
    },
    /// The offset is not a multiple of four.
    Misaligned {
        /// The offset asked for.
        offset: u32,
    },
}

impl core::fmt::Display for MmioError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            MmioError::OutOfRegion { offset } => write!(
                f,
                "offset {offset:#x} is outside the accelerator's {REGION_SIZE:#x}-byte region"
            ),
            MmioError::Misaligned { offset } => {
                write!(f, "offset {offset:#x} is not a multiple of 4")
            }
        }
    }
}

impl core::error::Error for MmioError {}

impl Mmio {
    /// The accelerator at address `base`.
    ///
    /// # Safety
    ///
    /// For as long as the returned value (or anything made from it) exists:
    ///
    /// - `base .. base + REGION_SIZE` is the accelerator's region, mapped as device (uncached)
    ///   memory, and does not wrap around the address space;
    /// - `base` is a multiple of four;
    /// - no other code reads or writes that region, so the accesses made through this value are
    ///   the only ones and do not alias any Rust object.
    pub const unsafe fn new(base: usize) -> Self {
        Mmio { base }
    }

    /// The base address.
    pub const fn base(&self) -> usize {
        self.base
    }

    fn pointer(&self, offset: u32) -> Result<*mut u32, MmioError> {
        if offset >= REGION_SIZE {
            return Err(MmioError::OutOfRegion { offset });
        }
        if offset % 4 != 0 {
            return Err(MmioError::Misaligned { offset });
        }
        Ok((self.base + offset as usize) as *mut u32)
    }
}

impl Bus for Mmio {
    type Error = MmioError;

    fn read32(&mut self, offset: u32) -> Result<u32, MmioError> {
        let pointer = self.pointer(offset)?;
        // SAFETY: `pointer` lies inside the region `new`'s contract hands to this value (offset
        // checked above), is aligned (base and offset are multiples of four), and nothing else
        // accesses that memory.
        Ok(unsafe { pointer.read_volatile() })
    }

    fn write32(&mut self, offset: u32, value: u32) -> Result<(), MmioError> {
        let pointer = self.pointer(offset)?;
        // SAFETY: as in `read32`: in the region, aligned, and accessed by nothing else.
        unsafe { pointer.write_volatile(value) };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec;

    #[test]
    fn reads_and_writes_the_region_and_refuses_outside_it() {
        let mut memory = vec![0u32; REGION_SIZE as usize / 4];
        {
            // SAFETY: `memory` is a 4-byte aligned, REGION_SIZE-byte buffer that only `mmio`
            // touches until the end of this block.
            let mut mmio = unsafe { Mmio::new(memory.as_mut_ptr() as usize) };
            mmio.write32(0x44, 0xdead_beef).unwrap();
            mmio.write32(0xFF_FFFC, 7).unwrap();
            assert_eq!(mmio.read32(0x44), Ok(0xdead_beef));
            assert_eq!(mmio.read32(0xFF_FFFC), Ok(7));
            assert_eq!(
                mmio.write32(0x100_0000, 1),
                Err(MmioError::OutOfRegion { offset: 0x100_0000 })
            );
            assert_eq!(
                mmio.read32(0x46),
                Err(MmioError::Misaligned { offset: 0x46 })
            );
        }
        assert_eq!(memory[0x44 / 4], 0xdead_beef);
        assert_eq!(memory[0xFF_FFFC / 4], 7);
        assert_eq!(memory.iter().filter(|&&w| w != 0).count(), 2);
    }
}
