//! CPU baselines on this machine, batch 1, one thread each: the layer's pruned, weight-shared
//! matrix as a dense `f32` matrix-vector product (`faer`), as a CSR sparse product (`sprs`),
//! and the project's fixed-point reference model ([`crate::reference::run_fixed`]).

use super::layers::Workload;
use super::{Error, Result};
use crate::model::Model;
use crate::reference::run_fixed;
use rayon::prelude::*;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Median times of one product, in microseconds.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct CpuTimes {
    /// Dense `f32` matrix-vector product with `faer`, plus the bias.
    pub dense_us: f64,
    /// CSR `f32` sparse matrix times dense vector with `sprs`, plus the bias.
    pub csr_us: f64,
    /// The fixed-point reference model on the quantised input.
    pub fixed_ref_us: f64,
    /// Largest difference between the dense and the CSR outputs, relative to the largest
    /// output (both compute the same products in a different order).
    pub dense_vs_csr: f64,
}

/// Runs `f` once to warm up, then until at least `min_time` and 3 runs have passed; returns
/// the median time in microseconds.
fn time_it(min_time: Duration, mut f: impl FnMut()) -> f64 {
    f();
    let mut samples = Vec::new();
    let started = Instant::now();
    while samples.len() < 3 || started.elapsed() < min_time {
        let t = Instant::now();
        f();
        samples.push(t.elapsed().as_secs_f64() * 1e6);
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Times the three baselines for `w`, whose one-PE fixed-point model is `model`, running each
/// for at least `min_time`.
pub fn baselines(w: &Workload, model: &Model, min_time: Duration) -> Result<CpuTimes> {
    let layer = &w.codes;
    let (rows, cols, stride) = (layer.rows, layer.cols, layer.columns());
    let weight = |c: u8| layer.centroids[usize::from(c & 0x0F)];
    let bias: Vec<f32> = (0..rows)
        .map(|r| match layer.bias {
            true => weight(layer.codes[r * stride + cols]),
            false => 0.0,
        })
        .collect();
    let x = &w.input_f32;

    let mut dense = vec![0f32; rows * cols];
    dense
        .par_chunks_mut(cols)
        .zip(layer.codes.par_chunks(stride))
        .for_each(|(out, codes)| {
            for (o, &c) in out.iter_mut().zip(codes) {
                *o = weight(c);
            }
        });
    let a = faer::MatRef::from_row_major_slice(&dense, rows, cols);
    let xv = faer::ColRef::from_slice(x);
    let mut y_dense = faer::Col::<f32>::zeros(rows);
    let dense_us = time_it(min_time, || {
        faer::linalg::matmul::matmul(
            y_dense.as_mut(),
            faer::Accum::Replace,
            a,
            xv,
            1.0f32,
            faer::Par::Seq,
        );
        for (y, b) in y_dense.iter_mut().zip(&bias) {
            *y += b;
        }
        black_box(&y_dense);
    });
    drop(dense);

    let mut indptr = Vec::with_capacity(rows + 1);
    let mut indices = Vec::new();
    let mut data = Vec::new();
    indptr.push(0usize);
    for codes in layer.codes.chunks(stride) {
        for (j, &c) in codes[..cols].iter().enumerate() {
            if c != 0 {
                indices.push(j);
                data.push(weight(c));
            }
        }
        indptr.push(indices.len());
    }
    let csr = sprs::CsMat::try_new((rows, cols), indptr, indices, data)
        .map_err(|(.., e)| Error::Config(format!("{}: CSR matrix: {e}", w.spec.name)))?;
    let mut y_csr = vec![0f32; rows];
    let csr_us = time_it(min_time, || {
        y_csr.copy_from_slice(&bias);
        sprs::prod::mul_acc_mat_vec_csr(csr.view(), &x[..], &mut y_csr[..]);
        black_box(&y_csr);
    });

    let mut fixed_error = None;
    let fixed_ref_us = time_it(min_time, || {
        if let Err(e) = black_box(run_fixed(model, &w.input)) {
            fixed_error = Some(e);
        }
    });
    if let Some(e) = fixed_error {
        return Err(e.into());
    }

    let scale = y_csr.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-30);
    let dense_vs_csr = y_dense
        .iter()
        .zip(&y_csr)
        .map(|(a, b)| f64::from((a - b).abs() / scale))
        .fold(0.0, f64::max);
    if dense_vs_csr.is_nan() || dense_vs_csr > 1e-3 {
        return Err(Error::Mismatch(format!(
            "{}: dense and CSR products differ by {dense_vs_csr:e} of the largest output",
            w.spec.name
        )));
    }
    Ok(CpuTimes {
        dense_us,
        csr_us,
        fixed_ref_us,
        dense_vs_csr,
    })
}
