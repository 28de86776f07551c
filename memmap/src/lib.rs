//! The contract between the EIE host tools, the firmware driver and the RTL.
//!
//! Everything the three sides must agree on lives here and nowhere else:
//!
//! - [`geometry`]: the sizes the hardware reports about itself;
//! - [`regs`]: the AXI4-Lite register map and SRAM windows (the RTL's header is generated
//!   from it by [`verilog::write_header`]);
//! - [`fixed`]: the fixed-point arithmetic, which defines the bits the RTL must produce;
//! - [`image`]: the compressed-model image, a stream of bounded, self-describing records that
//!   firmware with a few KiB of RAM can decode;
//! - [`protocol`]: the messages and framing of the host <-> firmware link.
//!
//! The crate is `no_std` and never allocates.
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod fixed;
pub mod geometry;
pub mod image;
pub mod protocol;
pub mod regs;
pub mod verilog;

pub use geometry::Geometry;
