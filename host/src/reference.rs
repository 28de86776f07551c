//! The two software references.
//!
//! [`run_fixed`] is the definition of what the accelerator computes, bit for bit: it walks
//! each PE's CSC as the hardware does (the non-zero input activations in column order, the
//! bias column last, each PE's entries of that column with the running row address
//! `z + 1`) and does every operation with `eie_memmap::fixed`. The RTL must match it on every
//! bit. [`run_float`] runs the same pruned, weight-shared network in `f32`, with the k-means
//! centroids the image carries.

use crate::model::{entry_code, entry_zeros, EncodedLayer, Model};
use crate::{Error, Result};
use eie_memmap::fixed;

/// Checks what a walk over `layer` relies on, so the walk cannot index out of bounds.
fn check_layer(model: &Model, l: usize, layer: &EncodedLayer, in_len: usize) -> Result<()> {
    let d = &layer.desc;
    if d.in_len as usize != in_len {
        return Err(Error::model(format!(
            "layer {l} takes {} inputs but receives {in_len}",
            d.in_len
        )));
    }
    if layer.pes.len() != model.num_pes() as usize {
        return Err(Error::model(format!(
            "layer {l} has {} PE slices for {} PEs",
            layer.pes.len(),
            model.num_pes()
        )));
    }
    if let Some(pe) = layer
        .pes
        .iter()
        .position(|s| s.col_ptr.len() != d.pointers() as usize)
    {
        return Err(Error::model(format!(
            "layer {l}, PE {pe}: {} column pointers for {} columns",
            layer.pes[pe].col_ptr.len(),
            d.columns()
        )));
    }
    Ok(())
}

fn row_overflow(l: usize, pe: usize, j: usize) -> Error {
    Error::model(format!(
        "layer {l}, PE {pe}, column {j}: relative row indices run past the PE's rows"
    ))
}

/// Runs the model on an input in its input format, as the accelerator does; returns the
/// output in the model's output format.
pub fn run_fixed(model: &Model, input: &[i16]) -> Result<Vec<i16>> {
    let expected = model.header.input_len as usize;
    if input.len() != expected {
        return Err(Error::InputLength {
            row: 0,
            found: input.len(),
            expected,
        });
    }
    let geometry = model.row_geometry();
    let n = model.num_pes() as usize;
    let mut a = input.to_vec();
    for (l, layer) in model.layers.iter().enumerate() {
        check_layer(model, l, layer, a.len())?;
        let d = &layer.desc;
        let mut acc: Vec<Vec<i64>> = (0..n as u32)
            .map(|pe| vec![0; geometry.rows_of_pe(d.out_len, pe) as usize])
            .collect();
        for j in 0..d.columns() as usize {
            let activation = a.get(j).copied().unwrap_or(d.bias_activation());
            if activation == 0 {
                continue;
            }
            for (pe, (slice, acc)) in layer.pes.iter().zip(&mut acc).enumerate() {
                let mut row = 0usize;
                for &e in slice.column(j) {
                    row += usize::from(entry_zeros(e));
                    let weight = d.codebook[usize::from(entry_code(e))];
                    let slot = acc.get_mut(row).ok_or_else(|| row_overflow(l, pe, j))?;
                    *slot = fixed::accumulate(*slot, fixed::product(activation, weight));
                    row += 1;
                }
            }
        }
        let shift = d.shift();
        let mut out = vec![0i16; d.out_len as usize];
        for (pe, acc) in acc.iter().enumerate() {
            for (r, &sum) in acc.iter().enumerate() {
                out[pe + r * n] = fixed::requantize(sum, shift, d.relu);
            }
        }
        a = out;
    }
    Ok(a)
}

/// Runs the pruned, weight-shared network in `f32` (products summed in column order, the
/// bias input 1.0, ReLU where the layer has it).
pub fn run_float(model: &Model, input: &[f32]) -> Result<Vec<f32>> {
    model.check_input(0, input)?;
    let geometry = model.row_geometry();
    let n = model.num_pes() as usize;
    let mut a = input.to_vec();
    for (l, layer) in model.layers.iter().enumerate() {
        check_layer(model, l, layer, a.len())?;
        let d = &layer.desc;
        let mut acc: Vec<Vec<f32>> = (0..n as u32)
            .map(|pe| vec![0.0; geometry.rows_of_pe(d.out_len, pe) as usize])
            .collect();
        for j in 0..d.columns() as usize {
            let activation = a.get(j).copied().unwrap_or(1.0);
            if activation == 0.0 {
                continue;
            }
            for (pe, (slice, acc)) in layer.pes.iter().zip(&mut acc).enumerate() {
                let mut row = 0usize;
                for &e in slice.column(j) {
                    row += usize::from(entry_zeros(e));
                    let weight = d.centroids[usize::from(entry_code(e))];
                    let slot = acc.get_mut(row).ok_or_else(|| row_overflow(l, pe, j))?;
                    *slot += activation * weight;
                    row += 1;
                }
            }
        }
        let mut out = vec![0.0f32; d.out_len as usize];
        for (pe, acc) in acc.iter().enumerate() {
            for (r, &sum) in acc.iter().enumerate() {
                out[pe + r * n] = if d.relu { sum.max(0.0) } else { sum };
            }
        }
        a = out;
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::{choose_formats, encode, LayerCodes, CODEBOOK};

    /// A 3x2 layer with bias over 2 PEs, checked against arithmetic done by hand.
    #[test]
    fn fixed_and_float_agree_with_hand_arithmetic() {
        let mut centroids = [0.0; CODEBOOK];
        centroids[1] = 0.5;
        centroids[2] = -0.25;
        centroids[3] = 1.0;
        // y0 = 0.5 x0 - 0.25 x1 + 1, y1 = x1 (no bias), y2 = -0.25 x0 + 0.5
        let layer = LayerCodes {
            rows: 3,
            cols: 2,
            codes: vec![1, 2, 3, 0, 3, 0, 2, 0, 1],
            centroids,
            bias: true,
            relu: false,
        };
        let formats = choose_formats(std::slice::from_ref(&layer), None, Some(8));
        let model = encode(&[layer], &formats, 2).unwrap();
        let x = [2.0f32, -4.0];
        assert_eq!(run_float(&model, &x).unwrap(), [3.0, -4.0, 0.0]);
        let q = model.quantize_input(&x).unwrap();
        assert_eq!(q, [512, -1024]);
        let y = run_fixed(&model, &q).unwrap();
        assert_eq!(model.dequantize_output(&y), [3.0, -4.0, 0.0]);
        let err = run_fixed(&model, &[1]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "input: row 0 has 1 values (the model takes 2)"
        );
    }

    #[test]
    fn relu_and_saturation_follow_the_contract() {
        let mut centroids = [0.0; CODEBOOK];
        centroids[1] = 1.0;
        centroids[2] = -1.0;
        let layer = LayerCodes {
            rows: 2,
            cols: 1,
            codes: vec![1, 2],
            centroids,
            bias: false,
            relu: true,
        };
        let formats = crate::encode::Formats {
            input_frac: 8,
            layer_w_frac: vec![14],
            layer_out_frac: vec![8],
        };
        let model = encode(&[layer], &formats, 1).unwrap();
        assert_eq!(run_fixed(&model, &[i16::MAX]).unwrap(), [i16::MAX, 0]);
        assert_eq!(run_fixed(&model, &[-300]).unwrap(), [0, 300]);
    }
}
