//! The one error type of the library: each variant says what failed, where, and what was
//! expected, and its `Display` reads `<what>: <why>` so the CLI prints it as it is.

use eie_memmap::image::ImageError;
use std::fmt;
use std::path::{Path, PathBuf};

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("'{}': {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A weights file is not usable.
    #[error("weights '{}': {reason}", path.display())]
    Weights {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A `.npy` file is not usable.
    #[error("array '{}': {reason}", path.display())]
    Npy {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// An image is not a valid image (the decoder's verdict).
    #[error("image{}: {source}", DisplayPath(path))]
    Image {
        /// The file, when the image came from one.
        path: Option<PathBuf>,
        /// What the decoder found.
        source: ImageError,
    },
    /// An image decodes but its contents do not form a model.
    #[error("image{}: {reason}", DisplayPath(path))]
    Model {
        /// The file, when the image came from one.
        path: Option<PathBuf>,
        /// What is wrong, and where.
        reason: String,
    },
    /// A weight or bias is NaN or infinite.
    #[error("layer '{layer}': {what} [{}] is {value}", join(index))]
    NonFinite {
        /// Layer name.
        layer: String,
        /// `weight` or `bias`.
        what: &'static str,
        /// Position in the tensor.
        index: Vec<usize>,
        /// The value.
        value: f32,
    },
    /// A layer's shape is inconsistent, or the layers do not chain.
    #[error("layer '{layer}': {reason}")]
    Shape {
        /// Layer name.
        layer: String,
        /// What does not fit.
        reason: String,
    },
    /// Compression or encoding options that cannot be met.
    #[error("options: {reason}")]
    Options {
        /// What is wrong.
        reason: String,
    },
    /// Codes or formats handed to the encoder are inconsistent.
    #[error("layer {layer}: {reason}")]
    Encode {
        /// Layer index.
        layer: usize,
        /// What is wrong.
        reason: String,
    },
    /// The model needs more per-PE memory than the register map can address.
    #[error(
        "image: needs {needed} {what} per PE, but with {num_pes} PEs the register map holds at \
         most {limit}{hint}"
    )]
    Capacity {
        /// Which memory (`column pointers`, `sparse-matrix words`, `activations`).
        what: &'static str,
        /// What the model needs per PE.
        needed: u64,
        /// The most the register map addresses per PE.
        limit: u64,
        /// PE count.
        num_pes: u32,
        /// A suggestion, starting with `"; "`, or empty.
        hint: &'static str,
    },
    /// An input vector has the wrong length.
    #[error("input: row {row} has {found} values (the model takes {expected})")]
    InputLength {
        /// Row of the batch.
        row: usize,
        /// Values in the row.
        found: usize,
        /// The model's input length.
        expected: usize,
    },
    /// An input value is NaN or infinite.
    #[error("input: value [{row}, {index}] is {value}")]
    NonFiniteInput {
        /// Row of the batch.
        row: usize,
        /// Position in the row.
        index: usize,
        /// The value.
        value: f32,
    },
    /// A target (simulator or board) failed or refused the model.
    #[error("target {target}: {reason}")]
    Target {
        /// Which target.
        target: &'static str,
        /// What it said.
        reason: String,
    },
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Attaches the file an image came from to an image or model error.
    pub fn with_path(self, file: &Path) -> Error {
        match self {
            Error::Image { source, .. } => Error::Image {
                path: Some(file.to_owned()),
                source,
            },
            Error::Model { reason, .. } => Error::Model {
                path: Some(file.to_owned()),
                reason,
            },
            other => other,
        }
    }

    pub(crate) fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_owned(),
            source,
        }
    }

    pub(crate) fn options(reason: impl Into<String>) -> Error {
        Error::Options {
            reason: reason.into(),
        }
    }

    pub(crate) fn model(reason: impl Into<String>) -> Error {
        Error::Model {
            path: None,
            reason: reason.into(),
        }
    }
}

struct DisplayPath<'a>(&'a Option<PathBuf>);

impl fmt::Display for DisplayPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(p) => write!(f, " '{}'", p.display()),
            None => Ok(()),
        }
    }
}

fn join(index: &[usize]) -> String {
    index
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_what_and_why() {
        let e = Error::Image {
            path: None,
            source: ImageError::Truncated { at: 412 },
        }
        .with_path(Path::new("x.eie"));
        assert_eq!(
            e.to_string(),
            "image 'x.eie': truncated at byte 412 (no End record)"
        );
        let e = Error::NonFinite {
            layer: "fc1".into(),
            what: "weight",
            index: vec![3, 7],
            value: f32::NAN,
        };
        assert_eq!(e.to_string(), "layer 'fc1': weight [3, 7] is NaN");
    }
}
