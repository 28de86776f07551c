//! The EIE host library: Deep Compression of fully connected stacks into EIE images, and the
//! reference models the accelerator is checked against.
//!
//! The path every feature serves:
//!
//! 1. [`import::load_weights`] reads `.safetensors` / `.npz` files with PyTorch naming;
//! 2. [`compress::compress`] prunes by magnitude, shares weights with 1-D k-means (code 0 is
//!    exact zero), folds the bias in as a constant-1 column and calls [`encode::encode`];
//! 3. [`encode::encode`] interleaves rows over the PEs and builds each PE's relative-index CSC
//!    with padding entries and absolute column pointers, giving a [`model::Model`];
//! 4. [`model::Model::to_image`] / [`model::Model::from_image`] write and read the image
//!    (`docs/image-format.md`, decoded by `eie_memmap::image`);
//! 5. [`reference::run_fixed`] is the bit-exact model of the accelerator's arithmetic, and
//!    [`reference::run_float`] the pruned, weight-shared network in `f32`.
//!
//! The library never prints; the `eie` binary does.
#![deny(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "bench")]
pub mod bench;
pub mod compress;
#[cfg(feature = "train")]
pub mod demo;
pub mod encode;
mod error;
pub mod import;
pub mod link;
pub mod model;
pub mod npy;
pub mod reference;
pub mod report;
pub mod target;
#[cfg(feature = "train")]
pub mod train;

pub use error::{Error, Result};

/// The wire-format specification, whose examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/image-format.md")]
pub struct ImageFormatSpec;
