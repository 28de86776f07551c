//! Reading and writing batches of vectors as `.npy` files: shape `[n]` (one vector) or
//! `[batch, n]`. Float files (f32, and f64 / f16 converted) hold real values; int16 files
//! hold values already in a model's fixed-point format (`--raw`).

use crate::import::AnyFloat;
use crate::{Error, Result};
use ndarray::{Array2, ArrayD};
use ndarray_npy::{ReadNpyError, WritableElement};
use std::path::Path;

/// A batch of vectors read from a `.npy` file.
#[derive(Clone, Debug, PartialEq)]
pub enum Batch {
    /// Real values.
    Float(Vec<Vec<f32>>),
    /// Fixed-point values.
    Raw(Vec<Vec<i16>>),
}

impl Batch {
    /// Number of vectors.
    pub fn len(&self) -> usize {
        match self {
            Batch::Float(v) => v.len(),
            Batch::Raw(v) => v.len(),
        }
    }

    /// True for a batch without vectors.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn npy_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Npy {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

fn rows<T: Clone>(path: &Path, a: ArrayD<T>) -> Result<Vec<Vec<T>>> {
    match a.ndim() {
        1 => Ok(vec![a.iter().cloned().collect()]),
        2 => Ok(a
            .outer_iter()
            .map(|r| r.iter().cloned().collect())
            .collect()),
        d => Err(npy_error(
            path,
            format!(
                "has {d} dimensions (shape {:?}); expected [n] or [batch, n]",
                a.shape()
            ),
        )),
    }
}

/// Reads a batch: float or int16, shape `[n]` or `[batch, n]`.
pub fn read_batch(path: &Path) -> Result<Batch> {
    match ndarray_npy::read_npy::<_, ArrayD<AnyFloat>>(path) {
        Ok(a) => {
            let v = rows(path, a)?;
            Ok(Batch::Float(
                v.into_iter()
                    .map(|r| r.into_iter().map(|x| x.0).collect())
                    .collect(),
            ))
        }
        Err(ReadNpyError::WrongDescriptor(_)) => {
            match ndarray_npy::read_npy::<_, ArrayD<i16>>(path) {
                Ok(a) => Ok(Batch::Raw(rows(path, a)?)),
                Err(ReadNpyError::WrongDescriptor(d)) => Err(npy_error(
                    path,
                    format!("element type {d} is neither a float type nor int16"),
                )),
                Err(e) => Err(read_error(path, e)),
            }
        }
        Err(e) => Err(read_error(path, e)),
    }
}

fn read_error(path: &Path, e: ReadNpyError) -> Error {
    match e {
        ReadNpyError::Io(source) if source.kind() != std::io::ErrorKind::UnexpectedEof => {
            Error::io(path, source)
        }
        e => npy_error(path, format!("not a readable .npy file ({e})")),
    }
}

/// Reads a batch of real vectors (a float `.npy`).
pub fn read_float_batch(path: &Path) -> Result<Vec<Vec<f32>>> {
    match read_batch(path)? {
        Batch::Float(v) => Ok(v),
        Batch::Raw(_) => Err(npy_error(path, "holds int16 values; expected floats")),
    }
}

fn write<T: WritableElement + Clone + Default>(path: &Path, rows: &[Vec<T>]) -> Result<()> {
    let width = rows.first().map_or(0, Vec::len);
    if rows.iter().any(|r| r.len() != width) {
        return Err(npy_error(path, "rows of different lengths"));
    }
    let flat: Vec<T> = rows.iter().flatten().cloned().collect();
    let a = Array2::from_shape_vec((rows.len(), width), flat).map_err(|e| npy_error(path, e))?;
    ndarray_npy::write_npy(path, &a).map_err(|e| npy_error(path, e))
}

/// Writes a batch of real vectors as f32 `[batch, n]`.
pub fn write_f32(path: &Path, rows: &[Vec<f32>]) -> Result<()> {
    write(path, rows)
}

/// Writes a batch of fixed-point vectors as int16 `[batch, n]`.
pub fn write_i16(path: &Path, rows: &[Vec<i16>]) -> Result<()> {
    write(path, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_shapes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.npy");
        write_f32(&p, &[vec![1.0, 2.0], vec![3.0, 4.5]]).unwrap();
        assert_eq!(
            read_batch(&p).unwrap(),
            Batch::Float(vec![vec![1.0, 2.0], vec![3.0, 4.5]])
        );
        write_i16(&p, &[vec![-3, 7]]).unwrap();
        assert_eq!(read_batch(&p).unwrap(), Batch::Raw(vec![vec![-3, 7]]));
        ndarray_npy::write_npy(&p, &ndarray::arr1(&[1.5f64, -2.0])).unwrap();
        assert_eq!(read_float_batch(&p).unwrap(), [vec![1.5, -2.0]]);
        ndarray_npy::write_npy(&p, &ndarray::Array3::<f32>::zeros((1, 2, 2))).unwrap();
        let err = read_batch(&p).unwrap_err().to_string();
        assert!(err.contains("has 3 dimensions"), "{err}");
        ndarray_npy::write_npy(&p, &ndarray::arr1(&[1u8, 2])).unwrap();
        let err = read_batch(&p).unwrap_err().to_string();
        assert!(err.contains("neither a float type nor int16"), "{err}");
    }
}
