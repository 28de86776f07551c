//! The `no_std` driver for the EIE accelerator.
//!
//! The driver talks to the accelerator through a [`Bus`]: 32-bit reads and writes at byte
//! offsets from the accelerator's base, each of which may fail. [`Mmio`] implements it with
//! volatile loads and stores for a soft CPU; the `eie-bitstream` crate implements it for the
//! simulated RTL, so the same driver code runs in both places.
//!
//! [`Eie::new`] reads the identity and the geometry the hardware reports, and refuses hardware
//! it does not understand. [`Eie::load`] (or the streaming [`Loader`]) checks an image against
//! that geometry before writing anything, writes it, and activates it only once its integrity
//! check passed. [`Eie::run`] runs the layer program on one input vector.
//!
//! [`server::Server`] answers the host's requests (`eie_memmap::protocol`) over a UART or any
//! other byte stream, staging uploads and committing only verified images.
//!
//! Every register offset, window address and field comes from `eie-memmap`; nothing here
//! restates one. The driver never allocates and never panics on bad input or bad hardware:
//! every failure is an [`Error`].
#![no_std]
#![deny(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "defmt-uart")]
pub mod defmt_uart;
mod driver;
mod error;
mod loader;
mod log;
mod mmio;
pub mod server;

pub use driver::{Eie, ModelInfo, PeCounters, RunStats, DEFAULT_POLL_US};
pub use error::{Error, Result};
pub use loader::Loader;
pub use mmio::{Mmio, MmioError};

/// 32-bit access to the accelerator's registers and memory windows.
///
/// `offset` is a byte offset from the accelerator's base, a multiple of four below
/// [`eie_memmap::regs::REGION_SIZE`].
pub trait Bus {
    /// What a failed access reports (an error response, a timeout, a bad offset).
    type Error: core::fmt::Debug;

    /// Reads the 32-bit word at `offset`.
    fn read32(&mut self, offset: u32) -> core::result::Result<u32, Self::Error>;

    /// Writes the 32-bit word `value` at `offset`.
    fn write32(&mut self, offset: u32, value: u32) -> core::result::Result<(), Self::Error>;
}

impl<T: Bus + ?Sized> Bus for &mut T {
    type Error = T::Error;

    fn read32(&mut self, offset: u32) -> core::result::Result<u32, Self::Error> {
        (**self).read32(offset)
    }

    fn write32(&mut self, offset: u32, value: u32) -> core::result::Result<(), Self::Error> {
        (**self).write32(offset, value)
    }
}

#[cfg(test)]
mod tests;
