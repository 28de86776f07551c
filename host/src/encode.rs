//! From matrices of codebook indices to the accelerator's layout: fixed-point formats chosen
//! from the data, rows interleaved over the PEs, per-PE relative-index CSC with padding
//! entries, absolute column pointers, and the image header's needs.
//!
//! Layout rules (the image format relies on them):
//!
//! - row `i` of a layer belongs to PE `i % N`, at local row `i / N`;
//! - a PE's entries of column `j` list its non-zero rows in order; each entry's `z` counts the
//!   PE's zero rows since the previous entry of the column (for the first, since local row 0);
//!   a gap of more than 15 rows gets padding entries `v = 0, z = 15`, each covering 16 rows;
//! - a layer's pointers start at `ptr_base` = the sum of `columns + 1` of the earlier layers;
//!   its entries in each PE start at the next multiple of 8 after the earlier layers' entries;
//! - the bias is column `cols`, whose activation the hardware broadcasts as 1.0.

use crate::model::{make_entry, quantize, EncodedLayer, Model, PeSlice};
use crate::{Error, Result};
use eie_memmap::fixed;
use eie_memmap::geometry::{self, Geometry};
use eie_memmap::image::{Header, Layer, Requirements};
use eie_memmap::regs;
use rayon::prelude::*;

/// Codebook entries per layer.
pub const CODEBOOK: usize = geometry::CODEBOOK_SIZE as usize;
/// Largest relative row index an entry holds.
const MAX_ZEROS: usize = 15;
/// Input format used when neither calibration data nor an explicit format is given: Q8,
/// inputs within ±128 with a resolution of 1/256.
pub const DEFAULT_INPUT_FRAC: u8 = 8;

/// One layer as codebook indices: what the encoder needs.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerCodes {
    /// Outputs.
    pub rows: usize,
    /// Inputs, without the bias column.
    pub cols: usize,
    /// Row-major `[rows][cols + bias]`; 0 means no weight.
    pub codes: Vec<u8>,
    /// The shared weights; `centroids[0]` is 0.0.
    pub centroids: [f32; CODEBOOK],
    /// Column `cols` holds the bias (activation 1.0).
    pub bias: bool,
    /// ReLU on the outputs.
    pub relu: bool,
}

impl LayerCodes {
    /// Columns, bias included.
    pub fn columns(&self) -> usize {
        self.cols + usize::from(self.bias)
    }
}

/// The fixed-point formats of a program: fractional bits of the input, and of each layer's
/// codebook and outputs (a layer's input format is the previous layer's output format).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Formats {
    /// Fractional bits of the program's input.
    pub input_frac: u8,
    /// Fractional bits of each layer's codebook.
    pub layer_w_frac: Vec<u8>,
    /// Fractional bits of each layer's outputs.
    pub layer_out_frac: Vec<u8>,
}

impl Formats {
    /// Fractional bits of layer `l`'s inputs.
    pub fn in_frac(&self, l: usize) -> u8 {
        match l {
            0 => self.input_frac,
            _ => self.layer_out_frac[l - 1],
        }
    }
}

/// The largest number of fractional bits, at most `cap`, with which `magnitude` still fits
/// in int16 after rounding (`cap` for zero).
fn frac_for(magnitude: f64, cap: u32) -> u32 {
    (0..=cap)
        .rev()
        .find(|&f| (magnitude * f64::from(f).exp2()).round() <= f64::from(i16::MAX))
        .unwrap_or(0)
}

/// Largest fractional bits of layer `l`'s input: 14 when it has a bias, else 15.
fn in_frac_cap(layers: &[LayerCodes], l: usize) -> u32 {
    match layers.get(l) {
        Some(layer) if layer.bias => fixed::MAX_BIAS_FRAC,
        _ => fixed::MAX_ACT_FRAC,
    }
}

/// The largest magnitude of a layer's shared weights.
fn max_centroid(layer: &LayerCodes) -> f64 {
    layer
        .centroids
        .iter()
        .map(|c| f64::from(c.abs()))
        .fold(0.0, f64::max)
}

/// Chooses the fixed-point formats from the data.
///
/// - Codebooks: as many fractional bits (up to 31) as the layer's largest shared weight
///   allows in int16.
/// - Activations: with calibration vectors, the float model runs on them and each format
///   gets as many fractional bits as the largest magnitude seen allows (vectors whose length
///   is not the first layer's input length are skipped: [`crate::compress::compress`] refuses
///   them first). Without, the input format is `input_frac` (or [`DEFAULT_INPUT_FRAC`]) and
///   each layer's output format comes from a safe bound: interval arithmetic from the range
///   the input format can hold, through each row's positive and negative weights, the bias
///   and the ReLU, so no output can saturate. Safe bounds grow layer by layer and cost
///   precision; calibration data gives formats that fit the real activations.
/// - An explicit `input_frac` wins over the calibration data.
///
/// Every format is kept legal: at most 15 fractional bits (14 for the input of a layer with a
/// bias, so 1.0 is representable), and an output never has more fractional bits than the
/// layer's product, so the output shift is a right shift.
pub fn choose_formats(
    layers: &[LayerCodes],
    calibration: Option<&[Vec<f32>]>,
    input_frac: Option<u8>,
) -> Formats {
    let w_frac: Vec<u32> = layers
        .iter()
        .map(|l| frac_for(max_centroid(l), fixed::MAX_WEIGHT_FRAC))
        .collect();
    let observed = calibration.map(|vectors| observed_maxima(layers, vectors));
    let input_cap = in_frac_cap(layers, 0);
    let in0 = match (input_frac, &observed) {
        (Some(f), _) => u32::from(f).min(input_cap),
        (None, Some(maxima)) => frac_for(maxima[0], input_cap),
        (None, None) => u32::from(DEFAULT_INPUT_FRAC).min(input_cap),
    };
    let mut out_frac = Vec::with_capacity(layers.len());
    let mut in_f = in0;
    // The range of the current layer's inputs: what their format can hold, to begin with.
    let representable = |f: u32| {
        let step = 1.0 / f64::from(f).exp2();
        (f64::from(i16::MIN) * step, f64::from(i16::MAX) * step)
    };
    let mut in_range = representable(in_f);
    for (l, layer) in layers.iter().enumerate() {
        let cap = in_frac_cap(layers, l + 1).min(in_f + w_frac[l]);
        let bound = match &observed {
            Some(maxima) => maxima[l + 1],
            None => {
                let (lo, hi) = output_range(layer, in_range);
                let (min, max) = representable(frac_for(lo.abs().max(hi.abs()), cap));
                in_range = (lo.max(min), hi.min(max));
                lo.abs().max(hi.abs())
            }
        };
        let f = frac_for(bound, cap);
        out_frac.push(f as u8);
        in_f = f;
    }
    Formats {
        input_frac: in0 as u8,
        layer_w_frac: w_frac.into_iter().map(|f| f as u8).collect(),
        layer_out_frac: out_frac,
    }
}

/// The range of a layer's outputs for inputs within `[lo, hi]` (interval arithmetic per row:
/// positive weights take the input's bound on their side, negative weights the other; the
/// bias adds its shared weight; ReLU clips at 0).
fn output_range(layer: &LayerCodes, (lo, hi): (f64, f64)) -> (f64, f64) {
    let stride = layer.columns();
    let weight = |c: u8| f64::from(layer.centroids[usize::from(c & 0x0F)]);
    layer
        .codes
        .par_chunks(stride.max(1))
        .map(|row| {
            let (weights, bias) = row.split_at(layer.cols.min(row.len()));
            let mut counts = [0u32; CODEBOOK];
            for_each_nonzero(weights, |_, c| counts[usize::from(c & 0x0F)] += 1);
            let (mut pos, mut neg) = (0.0f64, 0.0f64);
            for (code, &n) in counts.iter().enumerate() {
                let w = weight(code as u8) * f64::from(n);
                if w > 0.0 {
                    pos += w;
                } else {
                    neg += w;
                }
            }
            let b: f64 = bias.iter().map(|&c| weight(c)).sum();
            let (mut y_lo, mut y_hi) = (pos * lo + neg * hi + b, pos * hi + neg * lo + b);
            if layer.relu {
                (y_lo, y_hi) = (y_lo.max(0.0), y_hi.max(0.0));
            }
            (y_lo, y_hi)
        })
        .reduce(|| (0.0, 0.0), |a, b| (a.0.min(b.0), a.1.max(b.1)))
}

/// Largest `|activation|` over the calibration vectors: entry 0 for the input, entry `l + 1`
/// for layer `l`'s outputs, running the pruned, weight-shared network in `f32`.
fn observed_maxima(layers: &[LayerCodes], vectors: &[Vec<f32>]) -> Vec<f64> {
    let sparse: Vec<SparseRows> = layers.iter().map(SparseRows::new).collect();
    let in_len = layers.first().map_or(0, |l| l.cols);
    vectors
        .par_iter()
        .filter(|x| x.len() == in_len)
        .map(|x| {
            let mut maxima = Vec::with_capacity(layers.len() + 1);
            maxima.push(max_abs(x));
            let mut a = x.clone();
            for (layer, rows) in layers.iter().zip(&sparse) {
                a = rows.apply(&a, layer.relu);
                maxima.push(max_abs(&a));
            }
            maxima
        })
        .reduce(
            || vec![0.0; layers.len() + 1],
            |a, b| a.iter().zip(&b).map(|(x, y)| x.max(*y)).collect(),
        )
}

fn max_abs(x: &[f32]) -> f64 {
    x.iter().map(|v| f64::from(v.abs())).fold(0.0, f64::max)
}

/// A layer's non-zero weights row by row, for running the float model on many vectors.
struct SparseRows {
    row_start: Vec<usize>,
    col: Vec<u32>,
    weight: Vec<f32>,
    bias: Vec<f32>,
}

impl SparseRows {
    fn new(layer: &LayerCodes) -> SparseRows {
        let stride = layer.columns();
        let mut s = SparseRows {
            row_start: vec![0],
            col: Vec::new(),
            weight: Vec::new(),
            bias: Vec::with_capacity(layer.rows),
        };
        for row in layer.codes.chunks(stride.max(1)) {
            for (j, &c) in row[..layer.cols.min(row.len())].iter().enumerate() {
                if c != 0 {
                    s.col.push(j as u32);
                    s.weight.push(layer.centroids[usize::from(c & 0x0F)]);
                }
            }
            s.row_start.push(s.col.len());
            let b = match (layer.bias, row.get(layer.cols)) {
                (true, Some(&c)) => layer.centroids[usize::from(c & 0x0F)],
                _ => 0.0,
            };
            s.bias.push(b);
        }
        s
    }

    fn apply(&self, x: &[f32], relu: bool) -> Vec<f32> {
        self.bias
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                let range = self.row_start[i]..self.row_start[i + 1];
                let sum: f32 = self.col[range.clone()]
                    .iter()
                    .zip(&self.weight[range])
                    .map(|(&j, &w)| w * x.get(j as usize).copied().unwrap_or(0.0))
                    .sum();
                let y = sum + b;
                if relu {
                    y.max(0.0)
                } else {
                    y
                }
            })
            .collect()
    }
}

/// Rounds up to a whole number of sparse-matrix words.
fn word_align(n: usize) -> usize {
    let w = geometry::ENTRIES_PER_WORD as usize;
    n.div_ceil(w) * w
}

/// Checks a layer's codes and formats against the fixed-point rules.
fn check_layer(
    l: usize,
    layer: &LayerCodes,
    previous: Option<&LayerCodes>,
    formats: &Formats,
) -> Result<()> {
    let fail = |reason: String| Err(Error::Encode { layer: l, reason });
    if layer.rows == 0 || layer.cols == 0 {
        return fail(format!(
            "shape {}x{} has no rows or no columns",
            layer.rows, layer.cols
        ));
    }
    if layer.columns() as u64 > u64::from(fixed::MAX_COLUMNS) {
        return fail(format!(
            "{} columns (bias included); the accumulator allows at most {}",
            layer.columns(),
            fixed::MAX_COLUMNS
        ));
    }
    if layer.codes.len() != layer.rows * layer.columns() {
        return fail(format!(
            "{} codes for a {}x{} matrix",
            layer.codes.len(),
            layer.rows,
            layer.columns()
        ));
    }
    if let Some(c) = layer.codes.iter().find(|&&c| usize::from(c) >= CODEBOOK) {
        return fail(format!("code {c} is not a 4-bit codebook index"));
    }
    if layer.centroids[0] != 0.0 {
        return fail("codebook entry 0 must be exactly zero".into());
    }
    if let Some(c) = layer.centroids.iter().find(|c| !c.is_finite()) {
        return fail(format!("shared weight {c} is not finite"));
    }
    if let Some(prev) = previous {
        if prev.rows != layer.cols {
            return fail(format!(
                "takes {} inputs but the previous layer has {} outputs",
                layer.cols, prev.rows
            ));
        }
    }
    let (in_f, w_f, out_f) = (
        u32::from(formats.in_frac(l)),
        u32::from(formats.layer_w_frac[l]),
        u32::from(formats.layer_out_frac[l]),
    );
    if in_f > fixed::MAX_ACT_FRAC || out_f > fixed::MAX_ACT_FRAC || w_f > fixed::MAX_WEIGHT_FRAC {
        return fail(format!(
            "formats Q{in_f} x Q{w_f} -> Q{out_f} out of range (activations <= {}, weights <= {})",
            fixed::MAX_ACT_FRAC,
            fixed::MAX_WEIGHT_FRAC
        ));
    }
    if layer.bias && fixed::bias_activation(in_f).is_none() {
        return fail(format!(
            "has a bias, so its input format can have at most {} fractional bits (not {in_f})",
            fixed::MAX_BIAS_FRAC
        ));
    }
    if fixed::output_shift(in_f, w_f, out_f).is_none() {
        return fail(format!(
            "output format Q{out_f} is not reachable from Q{in_f} x Q{w_f} by a right shift"
        ));
    }
    Ok(())
}

/// Checks a PE count the register map can describe.
pub fn check_num_pes(num_pes: u32) -> Result<()> {
    if num_pes == 0 || !num_pes.is_power_of_two() || num_pes > geometry::MAX_PES {
        return Err(Error::options(format!(
            "PE count {num_pes} is not supported: it must be a power of two from 1 to {}",
            geometry::MAX_PES
        )));
    }
    Ok(())
}

/// Encodes the layers for `num_pes` PEs with the given formats.
///
/// Fails when the codes or formats are inconsistent, when the layers do not chain, when the
/// PE count is not a power of two up to 256, or when the model needs more per-PE memory than
/// the register map can address.
pub fn encode(layers: &[LayerCodes], formats: &Formats, num_pes: u32) -> Result<Model> {
    check_num_pes(num_pes)?;
    if layers.is_empty() || layers.len() > geometry::MAX_LAYERS as usize {
        return Err(Error::options(format!(
            "{} layers; an image holds 1 to {}",
            layers.len(),
            geometry::MAX_LAYERS
        )));
    }
    if formats.layer_w_frac.len() != layers.len() || formats.layer_out_frac.len() != layers.len() {
        return Err(Error::options(format!(
            "formats for {} / {} layers, but there are {} layers",
            formats.layer_w_frac.len(),
            formats.layer_out_frac.len(),
            layers.len()
        )));
    }
    for (l, layer) in layers.iter().enumerate() {
        check_layer(l, layer, l.checked_sub(1).map(|p| &layers[p]), formats)?;
    }

    let geometry = Geometry {
        num_pes,
        ..Geometry::PAPER
    };
    let pes = num_pes as usize;
    let shapes: Vec<(usize, usize, bool)> =
        layers.iter().map(|l| (l.rows, l.cols, l.bias)).collect();
    check_shapes_fit(&shapes, num_pes)?;
    let mut ptr_bases = Vec::with_capacity(layers.len());
    let mut ptr_total = 0u64;
    for layer in layers {
        ptr_bases.push(ptr_total);
        ptr_total += layer.columns() as u64 + 1;
    }
    let max_len = layers
        .iter()
        .map(|l| l.rows)
        .chain(layers.first().map(|l| l.cols))
        .max()
        .unwrap_or(0) as u64;
    let act_entries = max_len.div_ceil(u64::from(num_pes));

    // Per PE: every layer's slice, laid out one after the other.
    let per_pe: Vec<Vec<PeSlice>> = (0..pes)
        .into_par_iter()
        .map(|pe| {
            let mut next_base = 0usize;
            layers
                .iter()
                .map(|layer| {
                    let rows = geometry.rows_of_pe(layer.rows as u32, pe as u32) as usize;
                    let slice = encode_pe(layer, pe, pes, rows, next_base);
                    next_base = word_align(next_base + slice.entries.len());
                    slice
                })
                .collect()
        })
        .collect();

    let words_per_pe = per_pe
        .iter()
        .map(|slices| {
            slices.last().map_or(0, |s| {
                word_align(s.entry_base as usize + s.entries.len()) as u64
                    / u64::from(geometry::ENTRIES_PER_WORD)
            })
        })
        .max()
        .unwrap_or(0);
    check_capacity(
        "sparse-matrix words",
        words_per_pe,
        regs::SPMAT_SPAN,
        8,
        num_pes,
    )?;
    // The pointers are absolute entry indices; the capacity check above bounds them.

    let mut per_pe: Vec<std::vec::IntoIter<PeSlice>> =
        per_pe.into_iter().map(|v| v.into_iter()).collect();
    let mut encoded = Vec::with_capacity(layers.len());
    for (l, layer) in layers.iter().enumerate() {
        let in_frac = formats.in_frac(l);
        let w_frac = formats.layer_w_frac[l];
        let mut codebook = [0i16; CODEBOOK];
        for (q, &c) in codebook.iter_mut().zip(&layer.centroids) {
            *q = quantize(f64::from(c), u32::from(w_frac));
        }
        let desc = Layer {
            index: l as u8,
            in_len: layer.cols as u32,
            out_len: layer.rows as u32,
            ptr_base: ptr_bases[l] as u32,
            relu: layer.relu,
            bias: layer.bias,
            in_frac,
            w_frac,
            out_frac: formats.layer_out_frac[l],
            codebook,
            centroids: layer.centroids,
        };
        let pes = per_pe.iter_mut().filter_map(Iterator::next).collect();
        encoded.push(EncodedLayer { desc, pes });
    }

    let last = &layers[layers.len() - 1];
    let header = Header {
        needs: Requirements {
            num_pes,
            spmat_words: words_per_pe as u32,
            ptr_entries: ptr_total as u32,
            act_entries: act_entries as u32,
            num_layers: layers.len() as u32,
        },
        input_len: layers[0].cols as u32,
        input_frac: formats.input_frac,
        output_len: last.rows as u32,
        output_frac: formats.layer_out_frac[layers.len() - 1],
    };
    Ok(Model {
        header,
        layers: encoded,
    })
}

/// Checks, from the shapes alone, that the column pointers and activations of layers with
/// these `(rows, cols, bias)` fit what the register map addresses for `num_pes` PEs (the
/// sparse-matrix memory depends on the weights and is checked by [`encode`]).
pub fn check_shapes_fit(shapes: &[(usize, usize, bool)], num_pes: u32) -> Result<()> {
    check_num_pes(num_pes)?;
    for (l, &(_, cols, bias)) in shapes.iter().enumerate() {
        let columns = cols as u64 + u64::from(bias);
        if columns > u64::from(fixed::MAX_COLUMNS) {
            return Err(Error::Encode {
                layer: l,
                reason: format!(
                    "{columns} columns (bias included); the accumulator allows at most {}",
                    fixed::MAX_COLUMNS
                ),
            });
        }
    }
    let pointers: u64 = shapes
        .iter()
        .map(|&(_, c, b)| c as u64 + u64::from(b) + 1)
        .sum();
    let longest = shapes
        .iter()
        .map(|&(r, _, _)| r)
        .chain(shapes.first().map(|&(_, c, _)| c))
        .max()
        .unwrap_or(0) as u64;
    check_capacity("column pointers", pointers, regs::PTR_SPAN, 4, num_pes)?;
    check_capacity(
        "activations",
        longest.div_ceil(u64::from(num_pes)),
        regs::ACT_SPAN,
        4,
        num_pes,
    )
}

/// Fails when `needed` elements of `bytes` bytes per PE do not fit the register map's window
/// of `span` bytes shared by `num_pes` PEs.
fn check_capacity(
    what: &'static str,
    needed: u64,
    span: u32,
    bytes: u64,
    num_pes: u32,
) -> Result<()> {
    let limit = u64::from(span) / bytes / u64::from(num_pes);
    if needed > limit {
        let hint = match what {
            "column pointers" => "; encode fewer layers per image (--layers) or use fewer PEs",
            "sparse-matrix words" => "; prune harder or use more PEs",
            _ => "; use more PEs",
        };
        return Err(Error::Capacity {
            what,
            needed,
            limit,
            num_pes,
            hint,
        });
    }
    Ok(())
}

/// Calls `f(index, byte)` for every non-zero byte of `row`, in order, looking at eight bytes
/// at a time (most codes of a pruned layer are zero).
fn for_each_nonzero(row: &[u8], mut f: impl FnMut(usize, u8)) {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let mut words = row.chunks_exact(8);
    for (w, bytes) in words.by_ref().enumerate() {
        let mut word = [0u8; 8];
        word.copy_from_slice(bytes);
        let x = u64::from_le_bytes(word);
        if x == 0 {
            continue;
        }
        // The top bit of each byte of `nonzero` is set exactly where `x` has a non-zero byte.
        let mut nonzero = (((x & LOW7) + LOW7) | x) & !LOW7;
        while nonzero != 0 {
            let k = nonzero.trailing_zeros() as usize / 8;
            f(w * 8 + k, bytes[k]);
            nonzero &= nonzero - 1;
        }
    }
    let done = row.len() - words.remainder().len();
    for (k, &b) in words.remainder().iter().enumerate() {
        if b != 0 {
            f(done + k, b);
        }
    }
}

/// PE `pe`'s relative-index CSC of `layer`, its entries starting at `entry_base`.
///
/// Two passes over the PE's rows in memory order: the first counts each column's entries
/// (padding included), which gives the column pointers; the second writes the entries.
fn encode_pe(
    layer: &LayerCodes,
    pe: usize,
    num_pes: usize,
    rows: usize,
    entry_base: usize,
) -> PeSlice {
    let stride = layer.columns();
    let row_of = |r: usize| {
        let row = pe + r * num_pes;
        &layer.codes[row * stride..(row + 1) * stride]
    };
    // Per column: entries so far, and the next local row not yet covered by an entry.
    let mut count = vec![0u32; stride];
    let mut next = vec![0u32; stride];
    for r in 0..rows {
        for_each_nonzero(row_of(r), |j, _| {
            let gap = r as u32 - next[j];
            count[j] += gap / (MAX_ZEROS as u32 + 1) + 1;
            next[j] = r as u32 + 1;
        });
    }
    let mut col_ptr = Vec::with_capacity(stride + 1);
    let mut total = 0u32;
    for &n in &count {
        col_ptr.push(entry_base as u32 + total);
        total += n;
    }
    col_ptr.push(entry_base as u32 + total);
    let mut entries = vec![0u8; total as usize];
    // Write position of each column, relative to the first entry.
    let mut at: Vec<u32> = col_ptr[..stride]
        .iter()
        .map(|&p| p - entry_base as u32)
        .collect();
    next.fill(0);
    for r in 0..rows {
        for_each_nonzero(row_of(r), |j, code| {
            let mut gap = r - next[j] as usize;
            while gap > MAX_ZEROS {
                entries[at[j] as usize] = make_entry(MAX_ZEROS as u8, 0);
                at[j] += 1;
                gap -= MAX_ZEROS + 1;
            }
            entries[at[j] as usize] = make_entry(gap as u8, code);
            at[j] += 1;
            next[j] = r as u32 + 1;
        });
    }
    PeSlice {
        entries,
        entry_base: entry_base as u32,
        col_ptr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{entry_code, entry_zeros};

    fn one_column(column: &[u8]) -> LayerCodes {
        let mut centroids = [0.0; CODEBOOK];
        for (i, c) in centroids.iter_mut().enumerate().skip(1) {
            *c = i as f32 / 16.0;
        }
        LayerCodes {
            rows: column.len(),
            cols: 1,
            codes: column.to_vec(),
            centroids,
            bias: false,
            relu: false,
        }
    }

    /// The paper's example: the column `[0,0,1,2, 0 x18, 3]` on one PE.
    #[test]
    fn paper_column_with_padding() {
        let mut column = vec![0, 0, 1, 2];
        column.extend([0; 18]);
        column.push(3);
        let layer = one_column(&column);
        let formats = choose_formats(std::slice::from_ref(&layer), None, None);
        let model = encode(&[layer], &formats, 1).unwrap();
        let pe = &model.layers[0].pes[0];
        let v: Vec<u8> = pe.entries.iter().map(|&e| entry_code(e)).collect();
        let z: Vec<u8> = pe.entries.iter().map(|&e| entry_zeros(e)).collect();
        assert_eq!(v, [1, 2, 0, 3]);
        assert_eq!(z, [2, 0, 15, 2]);
        assert_eq!(pe.col_ptr, [0, 4]);
        assert_eq!(model.dense_codes(0), column);
    }

    #[test]
    fn gaps_of_exactly_fifteen_and_sixteen() {
        // 15 zeros: one entry with z = 15. 16 zeros: a padding entry, then z = 0.
        let mut column = vec![0; 15];
        column.push(4);
        column.extend([0; 16]);
        column.push(5);
        let layer = one_column(&column);
        let formats = choose_formats(std::slice::from_ref(&layer), None, None);
        let model = encode(&[layer], &formats, 1).unwrap();
        assert_eq!(model.layers[0].pes[0].entries, [0xF4, 0xF0, 0x05]);
        assert_eq!(model.dense_codes(0), column);
    }

    /// The paper's Fig. 2/3: a 16x8 matrix over 4 PEs; PE0 owns rows 0, 4, 8, 12.
    #[test]
    fn paper_figure_pe0_layout() {
        // (row, column) of PE0's non-zero weights, in the paper's storage order.
        let pe0 = [
            (0, 0),
            (8, 0),
            (12, 0),
            (4, 1),
            (0, 2),
            (12, 2),
            (0, 4),
            (4, 4),
            (0, 5),
            (12, 5),
            (0, 6),
            (8, 7),
            (12, 7),
        ];
        let mut codes = vec![0u8; 16 * 8];
        for (k, &(r, c)) in pe0.iter().enumerate() {
            codes[r * 8 + c] = (k % 15 + 1) as u8;
        }
        // Other PEs' rows get weights too; they must not disturb PE0.
        for r in (0..16).filter(|r| r % 4 != 0) {
            for c in (0..8).filter(|c| (r + c) % 3 == 0) {
                codes[r * 8 + c] = 7;
            }
        }
        let mut layer = one_column(&[]);
        layer.rows = 16;
        layer.cols = 8;
        layer.codes = codes.clone();
        let formats = choose_formats(std::slice::from_ref(&layer), None, None);
        let model = encode(&[layer], &formats, 4).unwrap();
        let pe = &model.layers[0].pes[0];
        let v: Vec<u8> = pe.entries.iter().map(|&e| entry_code(e)).collect();
        let z: Vec<u8> = pe.entries.iter().map(|&e| entry_zeros(e)).collect();
        let expected_v: Vec<u8> = (0..13).map(|k| (k % 15 + 1) as u8).collect();
        assert_eq!(v, expected_v);
        assert_eq!(z, [0, 1, 0, 1, 0, 2, 0, 0, 0, 2, 0, 2, 0]);
        assert_eq!(pe.col_ptr, [0, 3, 4, 6, 6, 8, 10, 11, 13]);
        assert_eq!(model.dense_codes(0), codes);
    }

    #[test]
    fn nonzero_bytes_are_found_eight_at_a_time() {
        for len in [0usize, 1, 7, 8, 9, 23, 64] {
            for seed in 0..40u32 {
                let row: Vec<u8> = (0..len as u32)
                    .map(|i| {
                        let h = i.wrapping_mul(2_654_435_761) ^ seed.wrapping_mul(40_503);
                        if h % 5 < 2 {
                            (h >> 8) as u8 | 1
                        } else if h % 7 == 0 {
                            0x80
                        } else {
                            0
                        }
                    })
                    .collect();
                let mut found = Vec::new();
                for_each_nonzero(&row, |i, b| found.push((i, b)));
                let expected: Vec<(usize, u8)> = row
                    .iter()
                    .enumerate()
                    .filter(|(_, &b)| b != 0)
                    .map(|(i, &b)| (i, b))
                    .collect();
                assert_eq!(found, expected, "{row:?}");
            }
        }
    }

    #[test]
    fn three_pes_are_refused() {
        let layer = one_column(&[1, 0, 2]);
        let formats = choose_formats(std::slice::from_ref(&layer), None, None);
        let err = encode(&[layer], &formats, 3).unwrap_err();
        assert_eq!(
            err.to_string(),
            "options: PE count 3 is not supported: it must be a power of two from 1 to 256"
        );
    }

    #[test]
    fn layers_start_on_word_boundaries() {
        let a = one_column(&[1, 2, 3]);
        let mut b = one_column(&[]);
        b.rows = 2;
        b.cols = 3;
        b.bias = true;
        b.codes = vec![1, 0, 2, 3, 0, 4, 5, 6];
        let layers = [a, b];
        let formats = choose_formats(&layers, None, None);
        let model = encode(&layers, &formats, 1).unwrap();
        assert_eq!(model.layers[1].desc.ptr_base, 2);
        assert_eq!(model.layers[1].pes[0].entry_base, 8);
        assert_eq!(model.layers[1].pes[0].col_ptr, [8, 9, 10, 12, 14]);
        assert_eq!(model.header.needs.ptr_entries, 2 + 5);
        assert_eq!(model.header.needs.spmat_words, 2);
        assert_eq!(model.dense_codes(1), layers[1].codes);
    }

    #[test]
    fn formats_are_legal_and_use_the_range() {
        let mut layer = one_column(&[1, 15]);
        layer.bias = true;
        layer.cols = 1;
        layer.rows = 1;
        layer.codes = vec![15, 1];
        // Largest shared weight 15/16: Q15 holds it (15/16 * 2^15 = 30720).
        let f = choose_formats(std::slice::from_ref(&layer), None, None);
        assert_eq!(f.layer_w_frac, [15]);
        assert_eq!(f.input_frac, DEFAULT_INPUT_FRAC);
        // Safe bound: inputs in [-128, 128), so outputs within 15/16 * 128 + 1/16 = 120.06:
        // 7 integer bits, Q8.
        assert_eq!(f.layer_out_frac, [8]);
        // With calibration: input 2.0 -> Q13 (2.0 in Q14 would be 32768); output
        // 15/16 * 2 + 1/16 = 1.9375 -> Q14.
        let f = choose_formats(std::slice::from_ref(&layer), Some(&[vec![2.0]]), None);
        assert_eq!(f.input_frac, 13);
        assert_eq!(f.layer_out_frac, [14]);
        // An explicit input format wins, but is capped for the bias.
        let f = choose_formats(std::slice::from_ref(&layer), Some(&[vec![2.0]]), Some(15));
        assert_eq!(f.input_frac, 14);
    }

    #[test]
    fn safe_bounds_follow_signs_through_relu() {
        let mut half = [0.0; CODEBOOK];
        half[1] = 0.5;
        half[2] = -0.5;
        let hidden = LayerCodes {
            rows: 2,
            cols: 1,
            codes: vec![1, 2],
            centroids: half,
            bias: false,
            relu: true,
        };
        let mut three_quarters = [0.0; CODEBOOK];
        three_quarters[1] = 0.75;
        three_quarters[2] = -0.75;
        let last = LayerCodes {
            rows: 1,
            cols: 2,
            codes: vec![1, 2],
            centroids: three_quarters,
            bias: false,
            relu: false,
        };
        let f = choose_formats(&[hidden, last], None, Some(8));
        // Inputs in [-128, 128): the hidden outputs lie in [0, 64] after the ReLU (Q8, as
        // 64 in Q9 would be 32768). Then 0.75 x0 - 0.75 x1 lies in [-48, 48]: Q9, where the
        // sum of magnitudes (96) would have given Q8.
        assert_eq!(f.layer_out_frac, [8, 9]);
    }

    #[test]
    fn pointers_that_do_not_fit_are_refused() {
        let mut layer = one_column(&[]);
        layer.rows = 64;
        layer.cols = 20_000;
        layer.codes = vec![0; 64 * 20_000];
        let formats = choose_formats(std::slice::from_ref(&layer), None, None);
        let err = encode(&[layer], &formats, 64).unwrap_err();
        assert!(
            err.to_string().starts_with(
                "image: needs 20001 column pointers per PE, but with 64 PEs the register map \
                 holds at most 16384"
            ),
            "{err}"
        );
    }
}
