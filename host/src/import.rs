//! Importing fully connected stacks from `.safetensors` and `.npz` files with PyTorch naming:
//! `<layer>.weight` of shape `[out, in]` and an optional `<layer>.bias` of shape `[out]`.
//! Tensors in f32 are taken as they are; f64, f16 and bf16 are converted to f32. Other
//! tensors (not ending in `.weight` or `.bias`) are ignored.

use crate::{Error, Result};
use ndarray::ArrayD;
use ndarray_npy::{NpzReader, ReadDataError, ReadableElement};
use py_literal::Value as PyValue;
use rayon::prelude::*;
use safetensors::{Dtype, SafeTensors};
use std::cmp::Ordering;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One fully connected layer in f32.
#[derive(Clone, Debug, PartialEq)]
pub struct DenseLayer {
    /// The layer's name (the tensor name without `.weight`).
    pub name: String,
    /// Outputs.
    pub rows: usize,
    /// Inputs.
    pub cols: usize,
    /// Row-major `[out][in]`.
    pub weight: Vec<f32>,
    /// One per output, when the file has `<name>.bias`.
    pub bias: Option<Vec<f32>>,
}

/// How the layer order was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum OrderSource {
    /// As the caller listed the layers.
    Explicit,
    /// The order of the arrays in a `.npz` file (their shapes chain in that order).
    FileOrder,
    /// Natural sort of the names (`fc2` before `fc10`): always for `.safetensors`, whose
    /// writers store tensors sorted by type and name, and for a `.npz` whose order does not
    /// chain.
    NaturalSort,
}

impl fmt::Display for OrderSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OrderSource::Explicit => "as listed",
            OrderSource::FileOrder => "file order",
            OrderSource::NaturalSort => "natural sort of names",
        })
    }
}

/// A tensor of a file: converted to f32 already, or still raw (converted only if used).
struct Tensor<'a> {
    name: String,
    shape: Vec<usize>,
    data: Data<'a>,
}

enum Data<'a> {
    F32(Vec<f32>),
    Raw(Dtype, &'a [u8]),
}

impl Tensor<'_> {
    fn into_f32(self) -> Vec<f32> {
        match self.data {
            Data::F32(v) => v,
            Data::Raw(dtype, raw) => convert(dtype, raw).unwrap_or_default(),
        }
    }
}

/// Loads the layers of a weights file.
///
/// With `order`, exactly those layers in that order. Otherwise every `<layer>.weight` in the
/// file: for a `.npz`, in the file's order if the shapes chain that way (`np.savez` keeps
/// the order it was given); else, and always for a `.safetensors` (whose writers sort the
/// tensors by type and name), in natural sort order of the names. Whether that order chains
/// is [`crate::compress::compress`]'s to check.
pub fn load_weights(
    path: &Path,
    order: Option<&[String]>,
) -> Result<(Vec<DenseLayer>, OrderSource)> {
    let bad = |reason: String| Error::Weights {
        path: path.to_owned(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let is_zip = bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06");
    let tensors = if is_zip {
        read_npz(&bytes).map_err(bad)?
    } else {
        read_safetensors(&bytes).map_err(|reason| {
            let known = matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("safetensors")
            );
            if known {
                bad(reason)
            } else {
                bad(format!(
                    "neither a .npz (zip) nor a .safetensors file ({reason})"
                ))
            }
        })?
    };
    assemble(path, tensors, order, is_zip)
}

fn assemble(
    path: &Path,
    mut tensors: Vec<Tensor<'_>>,
    order: Option<&[String]>,
    file_order_means_something: bool,
) -> Result<(Vec<DenseLayer>, OrderSource)> {
    let bad = |reason: String| Error::Weights {
        path: path.to_owned(),
        reason,
    };
    let in_file: Vec<String> = tensors
        .iter()
        .filter_map(|t| t.name.strip_suffix(".weight").map(str::to_owned))
        .collect();
    if in_file.is_empty() {
        return Err(bad("no '<layer>.weight' tensors".into()));
    }
    let (names, source) = match order {
        Some(list) => {
            if list.is_empty() {
                return Err(bad("the list of layers is empty".into()));
            }
            for (i, name) in list.iter().enumerate() {
                if !in_file.contains(name) {
                    return Err(bad(format!(
                        "no tensor '{name}.weight' (layers in the file: {})",
                        in_file.join(", ")
                    )));
                }
                if list[..i].contains(name) {
                    return Err(bad(format!("layer '{name}' is listed twice")));
                }
            }
            (list.to_vec(), OrderSource::Explicit)
        }
        None => {
            let shape_of = |name: &String| {
                tensors
                    .iter()
                    .find(|t| t.name == format!("{name}.weight"))
                    .map(|t| t.shape.clone())
            };
            let chains = in_file.windows(2).all(|w| {
                matches!((shape_of(&w[0]), shape_of(&w[1])),
                    (Some(a), Some(b)) if a.len() == 2 && b.len() == 2 && a[0] == b[1])
            });
            if chains && file_order_means_something {
                (in_file.clone(), OrderSource::FileOrder)
            } else {
                let mut sorted = in_file.clone();
                sorted.sort_by(|a, b| natural_cmp(a, b));
                (sorted, OrderSource::NaturalSort)
            }
        }
    };
    let mut take = |name: &str| {
        tensors
            .iter()
            .position(|t| t.name == name)
            .map(|i| tensors.swap_remove(i))
    };
    let mut layers = Vec::with_capacity(names.len());
    for name in names {
        let weight = take(&format!("{name}.weight"))
            .ok_or_else(|| bad(format!("no tensor '{name}.weight'")))?;
        let [rows, cols] = weight.shape[..] else {
            return Err(bad(format!(
                "tensor '{name}.weight' has shape {:?}; a fully connected layer's weight is \
                 [out, in]",
                weight.shape
            )));
        };
        let bias = match take(&format!("{name}.bias")) {
            None => None,
            Some(b) if b.shape == [rows] => Some(b.into_f32()),
            Some(b) => {
                return Err(bad(format!(
                    "tensor '{name}.bias' has shape {:?}; expected [{rows}] to match \
                     '{name}.weight' {:?}",
                    b.shape, weight.shape
                )))
            }
        };
        layers.push(DenseLayer {
            name,
            rows,
            cols,
            weight: weight.into_f32(),
            bias,
        });
    }
    Ok((layers, source))
}

/// Orders names with their digit runs compared as numbers: `fc2 < fc10`.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a, b);
    loop {
        match (a.chars().next(), b.chars().next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let da = a.find(|c: char| !c.is_ascii_digit()).unwrap_or(a.len());
                let db = b.find(|c: char| !c.is_ascii_digit()).unwrap_or(b.len());
                let (na, nb) = (
                    a[..da].trim_start_matches('0'),
                    b[..db].trim_start_matches('0'),
                );
                let by_value = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
                if by_value != Ordering::Equal {
                    return by_value;
                }
                (a, b) = (&a[da..], &b[db..]);
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(&y);
                }
                (a, b) = (&a[x.len_utf8()..], &b[y.len_utf8()..]);
            }
        }
    }
}

fn read_safetensors(bytes: &[u8]) -> std::result::Result<Vec<Tensor<'_>>, String> {
    let (_, metadata) = SafeTensors::read_metadata(bytes).map_err(|e| e.to_string())?;
    let st = SafeTensors::deserialize(bytes).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for name in metadata.offset_keys() {
        if !(name.ends_with(".weight") || name.ends_with(".bias")) {
            continue;
        }
        let view = st.tensor(&name).map_err(|e| e.to_string())?;
        if !matches!(
            view.dtype(),
            Dtype::F32 | Dtype::F64 | Dtype::F16 | Dtype::BF16
        ) {
            return Err(format!(
                "tensor '{name}' has type {}; expected a float type",
                view.dtype()
            ));
        }
        out.push(Tensor {
            name,
            shape: view.shape().to_vec(),
            data: Data::Raw(view.dtype(), view.data()),
        });
    }
    Ok(out)
}

/// Little-endian raw data of a float type as f32.
fn convert(dtype: Dtype, raw: &[u8]) -> Option<Vec<f32>> {
    Some(match dtype {
        Dtype::F32 => raw
            .par_chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        Dtype::F64 => raw
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8])) as f32)
            .collect(),
        Dtype::F16 => raw
            .chunks_exact(2)
            .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        Dtype::BF16 => raw
            .chunks_exact(2)
            .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        _ => return None,
    })
}

/// An element of a float `.npy` array (f32, f64 or f16, either byte order), read as f32.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct AnyFloat(pub f32);

impl ReadableElement for AnyFloat {
    fn read_to_end_exact_vec<R: Read>(
        mut reader: R,
        type_desc: &PyValue,
        len: usize,
    ) -> std::result::Result<Vec<Self>, ReadDataError> {
        let PyValue::String(desc) = type_desc else {
            return Err(ReadDataError::WrongDescriptor(type_desc.clone()));
        };
        let (big, kind) = match desc.as_bytes() {
            [b'<' | b'=', rest @ ..] => (false, rest),
            [b'>', rest @ ..] => (true, rest),
            rest => (false, rest),
        };
        let width = match kind {
            b"f2" => 2,
            b"f4" => 4,
            b"f8" => 8,
            _ => return Err(ReadDataError::WrongDescriptor(type_desc.clone())),
        };
        let mut raw = Vec::new();
        reader.read_to_end(&mut raw)?;
        let expected = len.checked_mul(width).ok_or(ReadDataError::MissingData)?;
        match raw.len().cmp(&expected) {
            Ordering::Less => return Err(ReadDataError::MissingData),
            Ordering::Greater => return Err(ReadDataError::ExtraBytes(raw.len() - expected)),
            Ordering::Equal => {}
        }
        if big {
            raw.chunks_exact_mut(width).for_each(<[u8]>::reverse);
        }
        let dtype = match width {
            2 => Dtype::F16,
            4 => Dtype::F32,
            _ => Dtype::F64,
        };
        Ok(convert(dtype, &raw)
            .unwrap_or_default()
            .into_iter()
            .map(AnyFloat)
            .collect())
    }
}

fn read_npz(bytes: &[u8]) -> std::result::Result<Vec<Tensor<'static>>, String> {
    let mut npz = NpzReader::new(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let names = npz.names().map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        if !(name.ends_with(".weight") || name.ends_with(".bias")) {
            continue;
        }
        let array: ArrayD<AnyFloat> = npz
            .by_index(i)
            .map_err(|e| format!("array '{name}': {e}"))?;
        let shape = array.shape().to_vec();
        // Standard (row-major) order whatever the file's layout.
        let data = Data::F32(array.iter().map(|v| v.0).collect());
        out.push(Tensor { name, shape, data });
    }
    Ok(out)
}

/// Writes layers as a `.safetensors` file with PyTorch naming, in f32 (for tools and tests).
pub fn save_safetensors(path: &Path, layers: &[DenseLayer]) -> Result<()> {
    let mut buffers: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    for l in layers {
        let bytes = l.weight.iter().flat_map(|w| w.to_le_bytes()).collect();
        buffers.push((format!("{}.weight", l.name), vec![l.rows, l.cols], bytes));
        if let Some(b) = &l.bias {
            let bytes = b.iter().flat_map(|w| w.to_le_bytes()).collect();
            buffers.push((format!("{}.bias", l.name), vec![l.rows], bytes));
        }
    }
    let views = buffers
        .iter()
        .map(|(name, shape, bytes)| {
            safetensors::tensor::TensorView::new(Dtype::F32, shape.clone(), bytes)
                .map(|v| (name.clone(), v))
        })
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Weights {
            path: PathBuf::from(path),
            reason: e.to_string(),
        })?;
    safetensors::serialize_to_file(views, None, path).map_err(|e| Error::Weights {
        path: PathBuf::from(path),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        let mut names = vec!["fc10", "fc2", "fc1", "a", "fc02x", "fc2a"];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(names, ["a", "fc1", "fc2", "fc2a", "fc02x", "fc10"]);
    }
}
