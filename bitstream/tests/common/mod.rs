//! A hand-made layer for the accelerator tests and benchmarks: a dense matrix of codebook
//! indices, its per-PE encoding written as an image with `eie_memmap::image::Writer`, and its
//! outputs computed with `eie_memmap::fixed`. Independent of the host crate's encoder on
//! purpose, so that the two can check each other.

use eie_memmap::fixed;
use eie_memmap::image::{Header, Layer, Memory, Record, Requirements, Writer};
use eie_memmap::Geometry;

/// A layer as a dense matrix of codebook indices (`codes[row][column]`, the bias column last).
pub struct DenseLayer {
    pub layer: Layer,
    pub codes: Vec<Vec<u8>>,
}

/// The per-PE contents of one layer: pointers and sparse-matrix entries `(z << 4) | v`,
/// with padding entries for runs of more than 15 zero rows.
pub fn encode(d: &DenseLayer, num_pes: u32) -> Vec<(Vec<u32>, Vec<u8>)> {
    let columns = d.layer.columns() as usize;
    (0..num_pes)
        .map(|pe| {
            let rows: Vec<usize> = (pe as usize..d.layer.out_len as usize)
                .step_by(num_pes as usize)
                .collect();
            let mut pointers = vec![0u32];
            let mut entries = Vec::new();
            for j in 0..columns {
                let mut zeros = 0u8;
                for &i in &rows {
                    let code = d.codes[i][j];
                    if code == 0 {
                        zeros += 1;
                        continue;
                    }
                    while zeros > 15 {
                        entries.push(15 << 4);
                        zeros -= 16;
                    }
                    entries.push(zeros << 4 | code);
                    zeros = 0;
                }
                pointers.push(entries.len() as u32);
            }
            (pointers, entries)
        })
        .collect()
}

pub fn image(d: &DenseLayer, g: &Geometry) -> Vec<u8> {
    let per_pe = encode(d, g.num_pes);
    let words = per_pe
        .iter()
        .map(|(_, e)| e.len().div_ceil(8) as u32)
        .max()
        .unwrap()
        .max(1);
    let l = &d.layer;
    let mut w = Writer::new();
    w.record(&Record::Header(Header {
        needs: Requirements {
            num_pes: g.num_pes,
            spmat_words: words,
            ptr_entries: l.ptr_base + l.pointers(),
            act_entries: l.in_len.max(l.out_len).div_ceil(g.num_pes),
            num_layers: 1,
        },
        input_len: l.in_len,
        input_frac: l.in_frac,
        output_len: l.out_len,
        output_frac: l.out_frac,
    }));
    w.record(&Record::Layer(*l));
    for (pe, (pointers, _)) in (0..).zip(&per_pe) {
        let bytes: Vec<u8> = pointers.iter().flat_map(|p| p.to_le_bytes()).collect();
        w.chunks(pe, Memory::Pointers, l.ptr_base, &bytes);
    }
    for (pe, (_, entries)) in (0..).zip(&per_pe) {
        if !entries.is_empty() {
            let mut bytes = entries.clone();
            bytes.resize(entries.len().div_ceil(8) * 8, 0);
            w.chunks(pe, Memory::Spmat, 0, &bytes);
        }
    }
    w.finish()
}

/// The layer's outputs by the rules of `eie_memmap::fixed`.
pub fn expected(d: &DenseLayer, input: &[i16]) -> Vec<i16> {
    let l = &d.layer;
    let mut column_inputs = input.to_vec();
    if l.bias {
        column_inputs.push(l.bias_activation());
    }
    d.codes
        .iter()
        .map(|row| {
            let acc = row.iter().zip(&column_inputs).fold(0i64, |acc, (&c, &a)| {
                fixed::accumulate(acc, fixed::product(a, l.codebook[c as usize]))
            });
            fixed::requantize(acc, l.shift(), l.relu)
        })
        .collect()
}

/// A random layer: `in_len` inputs plus a bias column, `out_len` outputs, each weight non-zero
/// with probability `density`, ReLU on the outputs.
pub fn random_layer(in_len: u32, out_len: u32, density: f64, seed: u64) -> DenseLayer {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut codebook = [0i16; 16];
    let mut centroids = [0f32; 16];
    for k in 1..16 {
        codebook[k] = rng.i16(-2048..2048);
        centroids[k] = f32::from(codebook[k]) / 4096.0;
    }
    let layer = Layer {
        index: 0,
        in_len,
        out_len,
        ptr_base: 0,
        relu: true,
        bias: true,
        in_frac: 8,
        w_frac: 12,
        out_frac: 8,
        codebook,
        centroids,
    };
    let columns = layer.columns() as usize;
    let codes = (0..out_len)
        .map(|_| {
            (0..columns)
                .map(|_| {
                    if rng.f64() < density {
                        rng.u8(1..16)
                    } else {
                        0
                    }
                })
                .collect()
        })
        .collect();
    DenseLayer { layer, codes }
}
