//! Magnitude pruning during training: each step prunes a layer with
//! [`crate::compress::prune`] (the same rule `eie compress` applies) and fixes the layer's
//! mask, so the retraining that follows moves only the surviving weights.

use super::net::{Mlp, Params};
use super::{Result, TrainError};
use candle_core::Tensor;

/// The densities of an iterative schedule reaching `target` in `steps` steps, each keeping
/// the same fraction of the previous step's survivors: `target^(k / steps)` for
/// `k = 1 ..= steps`.
pub fn schedule(target: f64, steps: usize) -> Vec<f64> {
    (1..=steps)
        .map(|k| target.powf(k as f64 / steps as f64))
        .collect()
}

/// Prunes each layer's weights to its density (biases are not pruned) and fixes the masks.
/// A weight pruned before stays pruned: its magnitude, zero, is the smallest.
pub fn prune(mlp: &mut Mlp, densities: &[f64]) -> Result<()> {
    if densities.len() != mlp.layers.len() {
        return Err(TrainError::options(format!(
            "{} densities for {} layers",
            densities.len(),
            mlp.layers.len()
        )));
    }
    for (layer, &density) in mlp.layers.iter_mut().zip(densities) {
        if !(0.0..=1.0).contains(&density) {
            return Err(TrainError::options(format!(
                "density {density} for layer '{}' is not between 0 and 1",
                layer.name
            )));
        }
        let Params::Dense { weight, mask, .. } = &mut layer.params else {
            return Err(TrainError::options(format!(
                "layer '{}' is weight-shared already: prune before sharing",
                layer.name
            )));
        };
        let shape = weight.shape().clone();
        let mut values: Vec<f32> = weight.as_tensor().flatten_all()?.to_vec1()?;
        crate::compress::prune(&mut values, density as f32);
        let keep: Vec<f32> = values.iter().map(|&w| f32::from(w != 0.0)).collect();
        weight.set(&Tensor::from_vec(values, &shape, weight.device())?)?;
        *mask = Some(Tensor::from_vec(keep, &shape, weight.device())?);
    }
    Ok(())
}

/// The fraction of non-zero weights of each layer (biases not counted).
pub fn densities(mlp: &Mlp) -> Result<Vec<f64>> {
    mlp.layers
        .iter()
        .map(|l| {
            let (w, _) = l.to_vecs()?;
            Ok(w.iter().filter(|&&x| x != 0.0).count() as f64 / w.len().max(1) as f64)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::net::tests::{toy_set, TOY_PHASE};
    use crate::train::net::train;
    use rand09::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn schedule_is_geometric_and_ends_on_target() {
        let s = schedule(0.08, 4);
        assert_eq!(s.len(), 4);
        assert!((s[3] - 0.08).abs() < 1e-12);
        assert!((s[0] - 0.08f64.powf(0.25)).abs() < 1e-12);
        assert!(s.windows(2).all(|w| w[0] > w[1]));
    }

    #[test]
    fn masks_stay_fixed_during_retraining() {
        let set = toy_set(256, 12, 4, 2);
        let mut mlp = Mlp::new(&[12, 16, 4], 3).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        train(&mlp, &set, &TOY_PHASE, &mut rng, &mut |_| ()).unwrap();
        prune(&mut mlp, &[0.5, 0.5]).unwrap();
        let pruned = mlp.to_dense_layers().unwrap();
        assert_eq!(densities(&mlp).unwrap(), [96.0 / 192.0, 32.0 / 64.0]);
        train(&mlp, &set, &TOY_PHASE, &mut rng, &mut |_| ()).unwrap();
        let trained = mlp.to_dense_layers().unwrap();
        for (before, after) in pruned.iter().zip(&trained) {
            let mut moved = 0;
            for (b, a) in before.weight.iter().zip(&after.weight) {
                // Pruned weights stay exactly zero, survivors keep training.
                assert_eq!(*b == 0.0, *a == 0.0, "{b} -> {a}");
                moved += usize::from(b != a);
            }
            assert!(moved > before.weight.iter().filter(|&&w| w != 0.0).count() / 2);
            assert_ne!(before.bias, after.bias);
        }
        // Retraining recovers most of the accuracy.
        let accuracy = mlp.accuracy(&set).unwrap();
        assert!(accuracy > 0.8, "accuracy {accuracy}");
    }

    #[test]
    fn iterative_pruning_only_removes() {
        let mut mlp = Mlp::new(&[10, 8, 3], 5).unwrap();
        prune(&mut mlp, &[0.5, 0.5]).unwrap();
        let first = mlp.to_dense_layers().unwrap();
        prune(&mut mlp, &[0.25, 0.5]).unwrap();
        let second = mlp.to_dense_layers().unwrap();
        for (a, b) in first.iter().zip(&second) {
            assert!(a
                .weight
                .iter()
                .zip(&b.weight)
                .all(|(x, y)| *y == 0.0 || x == y));
        }
        assert_eq!(densities(&mlp).unwrap(), [20.0 / 80.0, 12.0 / 24.0]);
        assert!(prune(&mut mlp, &[0.5]).is_err());
        assert!(prune(&mut mlp, &[0.5, 1.5]).is_err());
    }
}
