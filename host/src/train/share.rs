//! Weight sharing during training: each layer's surviving weights and non-zero biases are
//! clustered by [`crate::compress::kmeans_1d`] (linear initialisation, `2^bits - 1` clusters,
//! as `eie compress` does), every member takes its nearest centroid (a value midway between
//! two goes to the lower, as in `eie compress`), and pruned weights keep code 0, the constant
//! zero. Fine-tuning then trains the centroids alone: see [`super::net::Params::Shared`].

use super::net::{Layer, Mlp, Params};
use super::{Result, TrainError};
use candle_core::{Device, Tensor, Var};

/// A layer's codebook: the shared weights (code `i + 1` is `centroids[i]`; code 0 is zero)
/// and one code per entry of the `[rows, cols + 1]` matrix, bias last in each row.
#[derive(Clone, Debug, PartialEq)]
pub struct Codebook {
    /// The shared weights, ascending.
    pub centroids: Vec<f32>,
    /// The codes.
    pub codes: Vec<u32>,
}

/// Clusters a layer's non-zero weights and biases into at most `2^bits - 1` shared weights.
pub fn codebook(weight: &[f32], bias: &[f32], cols: usize, bits: u32) -> Result<Codebook> {
    if !(1..=4).contains(&bits) {
        return Err(TrainError::options(format!(
            "{bits} bits per code; 1 to 4 are supported"
        )));
    }
    if cols == 0 || weight.len() != bias.len() * cols {
        return Err(TrainError::options(format!(
            "{} weights and {} biases do not form rows of {cols} inputs",
            weight.len(),
            bias.len()
        )));
    }
    let members: Vec<f32> = weight
        .iter()
        .chain(bias)
        .copied()
        .filter(|&v| v != 0.0)
        .collect();
    let centroids = crate::compress::kmeans_1d(&members, (1usize << bits) - 1);
    let bounds: Vec<f32> = centroids.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect();
    let code = |v: f32| -> u32 {
        if v == 0.0 {
            0
        } else {
            1 + bounds.partition_point(|&b| b < v) as u32
        }
    };
    let codes = weight
        .chunks(cols)
        .zip(bias)
        .flat_map(|(row, &b)| row.iter().map(|&w| code(w)).chain([code(b)]))
        .collect();
    Ok(Codebook { centroids, codes })
}

/// Replaces each layer's free weights and bias by its codebook with trainable centroids.
/// Returns the codebooks as built (before any fine-tuning).
pub fn share(mlp: &mut Mlp, bits: u32) -> Result<Vec<Codebook>> {
    mlp.layers
        .iter_mut()
        .map(|layer| {
            let (weight, bias) = layer.to_vecs()?;
            let book = codebook(&weight, &bias, layer.cols, bits)?;
            layer.params = shared_params(layer, &book)?;
            Ok(book)
        })
        .collect()
}

fn shared_params(layer: &Layer, book: &Codebook) -> Result<Params> {
    let dev = Device::Cpu;
    let n = layer.rows * (layer.cols + 1);
    if book.codes.len() != n || book.centroids.is_empty() {
        return Err(TrainError::options(format!(
            "layer '{}': a codebook of {} centroids and {} codes for {n} entries",
            layer.name,
            book.centroids.len(),
            book.codes.len()
        )));
    }
    Ok(Params::Shared {
        centroids: Var::from_tensor(&Tensor::new(book.centroids.as_slice(), &dev)?)?,
        codes: Tensor::new(book.codes.as_slice(), &dev)?,
    })
}

/// The current shared weights of each layer (empty for a layer that is not shared).
pub fn centroids(mlp: &Mlp) -> Result<Vec<Vec<f32>>> {
    mlp.layers
        .iter()
        .map(|l| match &l.params {
            Params::Shared { centroids, .. } => Ok(centroids.as_tensor().to_vec1()?),
            Params::Dense { .. } => Ok(Vec::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::net::tests::{toy_set, TOY_PHASE};
    use crate::train::net::{train, Phase};
    use crate::train::prune::prune;
    use rand09::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn codebook_keeps_zero_for_pruned_weights() {
        let weight = [0.0, 1.0, 1.1, 0.0, -2.0, -2.1, 0.0, 3.0];
        let bias = [0.5, 0.0];
        let book = codebook(&weight, &bias, 4, 2).unwrap();
        assert_eq!(book.centroids.len(), 3);
        assert_eq!(book.codes.len(), 10);
        for (v, &c) in weight[..4]
            .iter()
            .chain(&bias[..1])
            .chain(&weight[4..])
            .chain(&bias[1..])
            .zip(&book.codes)
        {
            assert_eq!(*v == 0.0, c == 0, "{v} got code {c}");
        }
        // Nearest centroid: -2.x share the lowest, 3.0 the highest.
        assert_eq!(book.codes[5], 1);
        assert_eq!(book.codes[6], 1);
        assert_eq!(book.codes[8], 3);
        assert!(codebook(&weight, &bias, 4, 5).is_err());
        assert!(codebook(&weight, &bias, 3, 4).is_err());
    }

    /// The gradient of a centroid is the sum of the gradients its members would have as free
    /// weights.
    #[test]
    fn centroid_gradient_is_the_sum_of_member_gradients() {
        let set = toy_set(64, 6, 3, 5);
        let mut mlp = Mlp::new(&[6, 3], 9).unwrap();
        prune(&mut mlp, &[0.5]).unwrap();
        let dense = mlp.clone();
        let books = share(&mut mlp, 2).unwrap();
        // The free network with the shared values, to take per-weight gradients from.
        let (w, b) = mlp.layers[0].to_vecs().unwrap();
        let free = Mlp::from_dense_layers(&[crate::import::DenseLayer {
            weight: w,
            bias: Some(b),
            ..dense.layers[0].to_dense_layer().unwrap()
        }])
        .unwrap();
        let loss = |m: &Mlp| {
            let logits = m.forward(&set.x).unwrap();
            candle_nn::loss::cross_entropy(&logits, &set.y).unwrap()
        };
        let free_grads = loss(&free).backward().unwrap();
        let vars = free.vars();
        let gw: Vec<f32> = free_grads
            .get(vars[0].as_tensor())
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let gb: Vec<f32> = free_grads
            .get(vars[1].as_tensor())
            .unwrap()
            .to_vec1()
            .unwrap();
        let per_entry: Vec<f32> = gw
            .chunks(6)
            .zip(&gb)
            .flat_map(|(r, &b)| r.iter().copied().chain([b]))
            .collect();
        let mut expected = vec![0.0f32; books[0].centroids.len()];
        for (&code, &g) in books[0].codes.iter().zip(&per_entry) {
            if code > 0 {
                expected[code as usize - 1] += g;
            }
        }
        let shared_grads = loss(&mlp).backward().unwrap();
        let got: Vec<f32> = shared_grads
            .get(mlp.vars()[0].as_tensor())
            .unwrap()
            .to_vec1()
            .unwrap();
        assert_eq!(got.len(), expected.len());
        for (g, e) in got.iter().zip(&expected) {
            assert!(
                (g - e).abs() <= 1e-5 * (1.0 + e.abs()),
                "{got:?} vs {expected:?}"
            );
        }
        assert!(expected.iter().any(|g| g.abs() > 1e-4));
    }

    #[test]
    fn fine_tuning_the_centroids_reduces_the_loss() {
        let set = toy_set(256, 12, 4, 6);
        let mut mlp = Mlp::new(&[12, 16, 4], 10).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        train(&mlp, &set, &TOY_PHASE, &mut rng, &mut |_| ()).unwrap();
        prune(&mut mlp, &[0.5, 0.5]).unwrap();
        let books = share(&mut mlp, 2).unwrap();
        let codes_before: Vec<Vec<u32>> = books.iter().map(|b| b.codes.clone()).collect();
        let before = mlp.loss(&set).unwrap();
        let phase = Phase {
            epochs: 10,
            lr: 1e-2,
            lr_end: 1e-3,
            batch: 32,
            weight_decay: 0.0,
            max_shift: 0,
        };
        train(&mlp, &set, &phase, &mut rng, &mut |_| ()).unwrap();
        let after = mlp.loss(&set).unwrap();
        assert!(after < before * 0.95, "loss {before} -> {after}");
        // Only the centroids moved: every weight is still a centroid of its code.
        let tuned = centroids(&mlp).unwrap();
        for (l, layer) in mlp.layers.iter().enumerate() {
            let (w, b) = layer.to_vecs().unwrap();
            let entries = w
                .chunks(layer.cols)
                .zip(&b)
                .flat_map(|(r, &b)| r.iter().copied().chain([b]));
            for (v, &code) in entries.zip(&codes_before[l]) {
                let expected = if code == 0 {
                    0.0
                } else {
                    tuned[l][code as usize - 1]
                };
                assert_eq!(v, expected);
            }
            assert_ne!(tuned[l], books[l].centroids);
        }
    }
}
