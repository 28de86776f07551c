//! Per-layer statistics of an encoded model: shape, density, padding, load balance over the
//! PEs, storage against dense f32, and the size Huffman coding of the entries would give
//! (Deep Compression's third stage, as a statistic: the image keeps the accelerator's format).
//!
//! Sizes count what the accelerator stores: 1 byte per entry (padding included), 4 bytes per
//! column pointer per PE, and the 16 int16 codebook entries. `bits_per_weight` is that total
//! in bits over the non-zero weights (bias included). The Huffman figures replace the entries'
//! 8 bits by optimal prefix codes of their 4-bit codebook indices and 4-bit relative indices,
//! coded separately over the whole layer; pointers and codebook stay as they are.

use crate::model::{entry_code, entry_zeros, Model};
use serde::Serialize;
use std::collections::BinaryHeap;

/// Smallest, mean and largest of a per-PE quantity.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Spread {
    /// Smallest.
    pub min: u64,
    /// Mean.
    pub mean: f64,
    /// Largest.
    pub max: u64,
}

/// Statistics of one layer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerReport {
    /// Name (from the weights file; `layer<N>` when read back from an image).
    pub name: String,
    /// Outputs.
    pub rows: u32,
    /// Inputs, without the bias.
    pub cols: u32,
    /// Has a bias column.
    pub bias: bool,
    /// Has ReLU.
    pub relu: bool,
    /// Non-zero weights, bias excluded.
    pub nonzeros: u64,
    /// Non-zero weights over `rows * cols`.
    pub density: f64,
    /// Non-zero bias values.
    pub bias_nonzeros: u64,
    /// Distinct non-zero codes in use.
    pub codes_used: u32,
    /// Padding entries.
    pub padding: u64,
    /// Entries, padding included.
    pub entries: u64,
    /// Entries per PE.
    pub entries_per_pe: Spread,
    /// Fractional bits of inputs, codebook and outputs, and the output shift.
    pub formats: FormatsReport,
    /// Dense f32 weights and bias, in bytes.
    pub dense_bytes: u64,
    /// Entries, in bytes.
    pub entry_bytes: u64,
    /// Column pointers of every PE, in bytes.
    pub pointer_bytes: u64,
    /// Codebook, in bytes.
    pub codebook_bytes: u64,
    /// Entries, pointers and codebook.
    pub stored_bytes: u64,
    /// Stored bits per non-zero weight.
    pub bits_per_weight: f64,
    /// `dense_bytes / stored_bytes`.
    pub ratio: f64,
    /// Entries Huffman-coded, in bytes.
    pub huffman_entry_bytes: u64,
    /// Huffman-coded entries, pointers and codebook.
    pub huffman_bytes: u64,
    /// `dense_bytes / huffman_bytes`.
    pub huffman_ratio: f64,
}

/// A layer's fixed-point formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct FormatsReport {
    /// Input fractional bits.
    pub in_frac: u8,
    /// Codebook fractional bits.
    pub w_frac: u8,
    /// Output fractional bits.
    pub out_frac: u8,
    /// Output shift.
    pub shift: u32,
}

/// Statistics of a whole model.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// PEs the rows are interleaved over.
    pub num_pes: u32,
    /// Input length.
    pub input_len: u32,
    /// Output length.
    pub output_len: u32,
    /// Per-PE memory the image needs.
    pub needs: NeedsReport,
    /// Per layer.
    pub layers: Vec<LayerReport>,
    /// Dense f32 bytes of all layers.
    pub dense_bytes: u64,
    /// Stored bytes of all layers.
    pub stored_bytes: u64,
    /// `dense_bytes / stored_bytes`.
    pub ratio: f64,
    /// Huffman-coded bytes of all layers.
    pub huffman_bytes: u64,
    /// `dense_bytes / huffman_bytes`.
    pub huffman_ratio: f64,
}

/// What the image needs per PE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct NeedsReport {
    /// Sparse-matrix words.
    pub spmat_words: u32,
    /// Column pointers.
    pub ptr_entries: u32,
    /// Activations per file.
    pub act_entries: u32,
}

/// Optimal prefix-code lengths (Huffman) for symbol frequencies; 0 for unused symbols, and 1
/// for a lone used symbol.
pub fn huffman_lengths(freq: &[u64]) -> Vec<u32> {
    let mut lengths = vec![0u32; freq.len()];
    let used: Vec<usize> = (0..freq.len()).filter(|&s| freq[s] > 0).collect();
    if used.len() == 1 {
        lengths[used[0]] = 1;
    }
    if used.len() < 2 {
        return lengths;
    }
    // Nodes: the symbols, then merged nodes; parent links give each symbol's depth.
    let mut parent: Vec<usize> = vec![usize::MAX; freq.len()];
    let mut heap: BinaryHeap<std::cmp::Reverse<(u64, usize)>> = used
        .iter()
        .map(|&s| std::cmp::Reverse((freq[s], s)))
        .collect();
    while let (Some(std::cmp::Reverse((fa, a))), Some(std::cmp::Reverse((fb, b)))) =
        (heap.pop(), heap.pop())
    {
        let node = parent.len();
        parent.push(usize::MAX);
        parent[a] = node;
        parent[b] = node;
        if heap.is_empty() {
            break;
        }
        heap.push(std::cmp::Reverse((fa + fb, node)));
    }
    for &s in &used {
        let mut depth = 0;
        let mut n = s;
        while parent[n] != usize::MAX {
            n = parent[n];
            depth += 1;
        }
        lengths[s] = depth;
    }
    lengths
}

/// Bits of the symbols coded with their Huffman code.
fn huffman_bits(freq: &[u64]) -> u64 {
    huffman_lengths(freq)
        .iter()
        .zip(freq)
        .map(|(&l, &f)| u64::from(l) * f)
        .sum()
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

impl Report {
    /// Statistics of `model`; `names` names the layers (missing names become `layer<N>`).
    pub fn new(model: &Model, names: &[String]) -> Report {
        let n = model.num_pes();
        let layers: Vec<LayerReport> = model
            .layers
            .iter()
            .enumerate()
            .map(|(l, layer)| {
                let d = &layer.desc;
                let mut code_freq = [0u64; 16];
                let mut zero_freq = [0u64; 16];
                let mut bias_nonzeros = 0u64;
                for slice in &layer.pes {
                    for &e in &slice.entries {
                        code_freq[usize::from(entry_code(e))] += 1;
                        zero_freq[usize::from(entry_zeros(e))] += 1;
                    }
                    if d.bias {
                        bias_nonzeros += slice
                            .column(d.in_len as usize)
                            .iter()
                            .filter(|&&e| entry_code(e) != 0)
                            .count() as u64;
                    }
                }
                let per_pe: Vec<u64> = layer.pes.iter().map(|s| s.entries.len() as u64).collect();
                let entries: u64 = per_pe.iter().sum();
                let padding = code_freq[0];
                let nonzeros = entries - padding - bias_nonzeros;
                let weights = u64::from(d.out_len) * u64::from(d.in_len);
                let dense_bytes = u64::from(d.out_len) * u64::from(d.columns()) * 4;
                let pointer_bytes = u64::from(d.pointers()) * u64::from(n) * 4;
                let codebook_bytes = 16 * 2;
                let stored_bytes = entries + pointer_bytes + codebook_bytes;
                let huffman_entry_bytes =
                    (huffman_bits(&code_freq) + huffman_bits(&zero_freq)).div_ceil(8);
                let huffman_bytes = huffman_entry_bytes + pointer_bytes + codebook_bytes;
                LayerReport {
                    name: names.get(l).cloned().unwrap_or_else(|| format!("layer{l}")),
                    rows: d.out_len,
                    cols: d.in_len,
                    bias: d.bias,
                    relu: d.relu,
                    nonzeros,
                    density: ratio(nonzeros, weights),
                    bias_nonzeros,
                    codes_used: code_freq[1..].iter().filter(|&&f| f > 0).count() as u32,
                    padding,
                    entries,
                    entries_per_pe: Spread {
                        min: per_pe.iter().copied().min().unwrap_or(0),
                        mean: ratio(entries, per_pe.len() as u64),
                        max: per_pe.iter().copied().max().unwrap_or(0),
                    },
                    formats: FormatsReport {
                        in_frac: d.in_frac,
                        w_frac: d.w_frac,
                        out_frac: d.out_frac,
                        shift: d.shift(),
                    },
                    dense_bytes,
                    entry_bytes: entries,
                    pointer_bytes,
                    codebook_bytes,
                    stored_bytes,
                    bits_per_weight: ratio(stored_bytes * 8, nonzeros + bias_nonzeros),
                    ratio: ratio(dense_bytes, stored_bytes),
                    huffman_entry_bytes,
                    huffman_bytes,
                    huffman_ratio: ratio(dense_bytes, huffman_bytes),
                }
            })
            .collect();
        let dense_bytes = layers.iter().map(|l| l.dense_bytes).sum();
        let stored_bytes = layers.iter().map(|l| l.stored_bytes).sum();
        let huffman_bytes = layers.iter().map(|l| l.huffman_bytes).sum();
        let needs = &model.header.needs;
        Report {
            num_pes: n,
            input_len: model.header.input_len,
            output_len: model.header.output_len,
            needs: NeedsReport {
                spmat_words: needs.spmat_words,
                ptr_entries: needs.ptr_entries,
                act_entries: needs.act_entries,
            },
            layers,
            dense_bytes,
            stored_bytes,
            ratio: ratio(dense_bytes, stored_bytes),
            huffman_bytes,
            huffman_ratio: ratio(dense_bytes, huffman_bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huffman_code_lengths() {
        assert_eq!(huffman_lengths(&[1, 1, 2, 4]), [3, 3, 2, 1]);
        assert_eq!(huffman_lengths(&[0, 5, 0]), [0, 1, 0]);
        assert_eq!(huffman_lengths(&[0, 0]), [0, 0]);
        assert_eq!(huffman_lengths(&[3, 3, 3, 3]), [2, 2, 2, 2]);
        // Kraft equality holds for any complete prefix code.
        let freq = [10, 1, 7, 0, 3, 3, 90, 2, 5];
        let kraft: f64 = huffman_lengths(&freq)
            .iter()
            .filter(|&&l| l > 0)
            .map(|&l| 0.5f64.powi(l as i32))
            .sum();
        assert!((kraft - 1.0).abs() < 1e-12);
        assert_eq!(huffman_bits(&[1, 1, 2, 4]), 3 + 3 + 4 + 4);
    }
}
