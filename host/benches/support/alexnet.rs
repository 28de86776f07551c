//! AlexNet's FC6-8 shapes with Gaussian weights, shared by the compression benchmark and the
//! `alexnet_fc` example.

use eie::import::DenseLayer;
use rand::{RngExt, SeedableRng};
use rand_distr::Normal;
use rayon::prelude::*;

/// Layer names, shapes `[out, in]` and the paper's densities (Table III).
pub const LAYERS: [(&str, usize, usize, f32); 3] = [
    ("fc6", 4096, 9216, 0.09),
    ("fc7", 4096, 4096, 0.09),
    ("fc8", 1000, 4096, 0.25),
];

/// Gaussian values with standard deviation `std`, reproducible from `seed`.
fn gaussian(len: usize, std: f32, seed: u64) -> Vec<f32> {
    let normal = Normal::new(0.0f32, std).expect("a positive standard deviation");
    let mut out = vec![0.0f32; len];
    out.par_chunks_mut(1 << 20)
        .enumerate()
        .for_each(|(i, chunk)| {
            let mut rng = rand::rngs::SmallRng::seed_from_u64(
                seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            );
            chunk.iter_mut().for_each(|x| *x = rng.sample(normal));
        });
    out
}

/// The three layers, weights with std `1/sqrt(in)` and biases with std 0.01.
pub fn layers(seed: u64) -> Vec<DenseLayer> {
    LAYERS
        .iter()
        .enumerate()
        .map(|(l, &(name, rows, cols, _))| DenseLayer {
            name: name.to_owned(),
            rows,
            cols,
            weight: gaussian(rows * cols, 1.0 / (cols as f32).sqrt(), seed + 2 * l as u64),
            bias: Some(gaussian(rows, 0.01, seed + 2 * l as u64 + 1)),
        })
        .collect()
}
