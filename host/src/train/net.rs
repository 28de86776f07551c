//! Multilayer perceptrons in candle: the layers' parameters in their three forms (free,
//! pruned with a fixed mask, shared through a codebook), seeded initialisation, training with
//! Adam, and evaluation.
//!
//! A shared layer stores, like the accelerator, one codebook index per entry of the
//! `[rows, cols + 1]` matrix whose last column is the bias; index 0 stands for the constant
//! 0.0 and is never trained, indices 1.. pick trainable centroids. Its weights are a gather of
//! the codebook, so back-propagation through the gather adds up the gradients of every member
//! of a centroid: the gradient Deep Compression fine-tunes the centroids with.

use super::data::{Dataset, PIXELS};
use super::{Result, TrainError};
use crate::import::DenseLayer;
use candle_core::{DType, Device, Tensor, Var, D};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use rand09::seq::SliceRandom;
use rand09::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The parameters of one layer.
#[derive(Clone, Debug)]
pub enum Params {
    /// A free weight matrix `[rows, cols]` and bias `[rows]`; a pruned layer carries its mask
    /// (1.0 where the weight survives), re-applied after every training step.
    Dense {
        /// The weights.
        weight: Var,
        /// The biases.
        bias: Var,
        /// The pruning mask, `[rows, cols]`.
        mask: Option<Tensor>,
    },
    /// Weights and bias drawn from a codebook.
    Shared {
        /// Codebook entries `1..`; entry 0 is the constant 0.0.
        centroids: Var,
        /// `rows * (cols + 1)` codebook indices (`u32`), row by row, bias last in each row.
        codes: Tensor,
    },
}

/// One fully connected layer, `y = W x + b`, optionally followed by ReLU.
#[derive(Clone, Debug)]
pub struct Layer {
    /// The layer's name (`fc1`, ...), used for the exported tensors.
    pub name: String,
    /// Outputs.
    pub rows: usize,
    /// Inputs.
    pub cols: usize,
    /// Whether ReLU follows.
    pub relu: bool,
    /// The parameters.
    pub params: Params,
}

impl Layer {
    /// The weight matrix `[rows, cols]` and the bias `[rows]` as the forward pass sees them.
    pub fn weight_and_bias(&self) -> Result<(Tensor, Tensor)> {
        match &self.params {
            Params::Dense { weight, bias, .. } => {
                Ok((weight.as_tensor().clone(), bias.as_tensor().clone()))
            }
            Params::Shared { centroids, codes } => {
                let zero = Tensor::zeros(1, DType::F32, centroids.device())?;
                let codebook = Tensor::cat(&[&zero, centroids.as_tensor()], 0)?;
                let full = codebook
                    .index_select(codes, 0)?
                    .reshape((self.rows, self.cols + 1))?;
                Ok((
                    full.narrow(1, 0, self.cols)?,
                    full.narrow(1, self.cols, 1)?.squeeze(1)?,
                ))
            }
        }
    }

    /// The trainable variables.
    pub fn vars(&self) -> Vec<Var> {
        match &self.params {
            Params::Dense { weight, bias, .. } => vec![weight.clone(), bias.clone()],
            Params::Shared { centroids, .. } => vec![centroids.clone()],
        }
    }

    /// Sets the pruned weights back to zero.
    pub fn apply_mask(&self) -> Result<()> {
        if let Params::Dense {
            weight,
            mask: Some(mask),
            ..
        } = &self.params
        {
            weight.set(&weight.as_tensor().mul(mask)?)?;
        }
        Ok(())
    }

    /// The weights, row by row, and the biases, as plain vectors.
    pub fn to_vecs(&self) -> Result<(Vec<f32>, Vec<f32>)> {
        let (w, b) = self.weight_and_bias()?;
        Ok((w.flatten_all()?.to_vec1()?, b.to_vec1()?))
    }

    /// The layer in the form the compression pipeline imports.
    pub fn to_dense_layer(&self) -> Result<DenseLayer> {
        let (weight, bias) = self.to_vecs()?;
        Ok(DenseLayer {
            name: self.name.clone(),
            rows: self.rows,
            cols: self.cols,
            weight,
            bias: Some(bias),
        })
    }
}

/// A stack of fully connected layers with ReLU between them and none after the last.
#[derive(Clone, Debug)]
pub struct Mlp {
    /// The layers, input first.
    pub layers: Vec<Layer>,
}

/// LeNet-300-100's layer sizes.
pub const LENET_300_100: [usize; 4] = [PIXELS, 300, 100, 10];

impl Mlp {
    /// A network with layers `fc1`, `fc2`, ... between consecutive `sizes`, initialised as
    /// PyTorch initialises `nn.Linear` (weights and biases uniform in `±1/sqrt(inputs)`),
    /// from a ChaCha8 stream seeded with `seed`.
    pub fn new(sizes: &[usize], seed: u64) -> Result<Mlp> {
        if sizes.len() < 2 || sizes.contains(&0) {
            return Err(TrainError::options(format!(
                "layer sizes {sizes:?}: need at least two, none zero"
            )));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let count = sizes.len() - 1;
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(i, pair)| {
                let (cols, rows) = (pair[0], pair[1]);
                let bound = 1.0 / (cols as f32).sqrt();
                let mut draw = |n: usize| -> Vec<f32> {
                    (0..n).map(|_| rng.random_range(-bound..bound)).collect()
                };
                let weight = draw(rows * cols);
                let bias = draw(rows);
                dense_layer(
                    format!("fc{}", i + 1),
                    rows,
                    cols,
                    weight,
                    bias,
                    i + 1 < count,
                )
            })
            .collect::<Result<_>>()?;
        Ok(Mlp { layers })
    }

    /// A network with the given weights, ReLU after every layer but the last.
    pub fn from_dense_layers(layers: &[DenseLayer]) -> Result<Mlp> {
        let count = layers.len();
        let layers = layers
            .iter()
            .enumerate()
            .map(|(i, l)| {
                if l.weight.len() != l.rows * l.cols {
                    return Err(TrainError::options(format!(
                        "layer '{}': {} weights for a {}x{} matrix",
                        l.name,
                        l.weight.len(),
                        l.rows,
                        l.cols
                    )));
                }
                let bias = match &l.bias {
                    Some(b) if b.len() == l.rows => b.clone(),
                    Some(b) => {
                        return Err(TrainError::options(format!(
                            "layer '{}': {} biases for {} rows",
                            l.name,
                            b.len(),
                            l.rows
                        )))
                    }
                    None => vec![0.0; l.rows],
                };
                dense_layer(
                    l.name.clone(),
                    l.rows,
                    l.cols,
                    l.weight.clone(),
                    bias,
                    i + 1 < count,
                )
            })
            .collect::<Result<_>>()?;
        Ok(Mlp { layers })
    }

    /// The weights in the form the compression pipeline imports.
    pub fn to_dense_layers(&self) -> Result<Vec<DenseLayer>> {
        self.layers.iter().map(Layer::to_dense_layer).collect()
    }

    /// Logits for a batch `[n, inputs]`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut h = x.clone();
        for layer in &self.layers {
            let (w, b) = layer.weight_and_bias()?;
            h = h.matmul(&w.t()?)?.broadcast_add(&b)?;
            if layer.relu {
                h = h.relu()?;
            }
        }
        Ok(h)
    }

    /// Every trainable variable.
    pub fn vars(&self) -> Vec<Var> {
        self.layers.iter().flat_map(Layer::vars).collect()
    }

    /// Sets every pruned weight back to zero.
    pub fn apply_masks(&self) -> Result<()> {
        self.layers.iter().try_for_each(Layer::apply_mask)
    }

    /// The predicted class of each digit.
    pub fn predict(&self, set: &Tensors) -> Result<Vec<u32>> {
        let mut out = Vec::with_capacity(set.len());
        let n = set.len();
        let mut start = 0;
        while start < n {
            let len = EVAL_BATCH.min(n - start);
            let logits = self.forward(&set.x.narrow(0, start, len)?)?;
            out.extend(logits.argmax(D::Minus1)?.to_vec1::<u32>()?);
            start += len;
        }
        Ok(out)
    }

    /// The fraction of digits classified correctly.
    pub fn accuracy(&self, set: &Tensors) -> Result<f64> {
        let predicted = self.predict(set)?;
        Ok(accuracy(&predicted, &set.labels))
    }

    /// Mean cross-entropy over a set.
    pub fn loss(&self, set: &Tensors) -> Result<f32> {
        let logits = self.forward(&set.x)?;
        Ok(candle_nn::loss::cross_entropy(&logits, &set.y)?.to_scalar()?)
    }
}

/// Digits evaluated per forward pass.
const EVAL_BATCH: usize = 1000;

fn dense_layer(
    name: String,
    rows: usize,
    cols: usize,
    weight: Vec<f32>,
    bias: Vec<f32>,
    relu: bool,
) -> Result<Layer> {
    let dev = Device::Cpu;
    Ok(Layer {
        name,
        rows,
        cols,
        relu,
        params: Params::Dense {
            weight: Var::from_tensor(&Tensor::from_vec(weight, (rows, cols), &dev)?)?,
            bias: Var::from_tensor(&Tensor::from_vec(bias, rows, &dev)?)?,
            mask: None,
        },
    })
}

/// The fraction of `predicted` equal to `labels`.
pub fn accuracy<P: Copy + Into<u64>, L: Copy + Into<u64>>(predicted: &[P], labels: &[L]) -> f64 {
    if labels.is_empty() {
        return 0.0;
    }
    let right = predicted
        .iter()
        .zip(labels)
        .filter(|(&p, &l)| p.into() == l.into())
        .count();
    right as f64 / labels.len() as f64
}

/// A data set as tensors: inputs `[n, width]` (`f32`) and labels `[n]` (`u32`), with host
/// copies for building augmented batches.
#[derive(Clone, Debug)]
pub struct Tensors {
    /// The inputs.
    pub x: Tensor,
    /// The labels.
    pub y: Tensor,
    /// The inputs, on the host, row by row.
    pub inputs: Vec<f32>,
    /// Values per input.
    pub width: usize,
    /// The labels, on the host.
    pub labels: Vec<u8>,
}

impl Tensors {
    /// Copies a data set into tensors.
    pub fn new(set: &Dataset) -> Result<Tensors> {
        Self::from_parts(set.images.clone(), PIXELS, &set.labels)
    }

    /// Tensors from row-major inputs of `width` values and their labels.
    pub fn from_parts(x: Vec<f32>, width: usize, labels: &[u8]) -> Result<Tensors> {
        let dev = Device::Cpu;
        if width == 0 || x.len() != labels.len() * width {
            return Err(TrainError::options(format!(
                "{} inputs for {} labels of width {width}",
                x.len(),
                labels.len()
            )));
        }
        let y: Vec<u32> = labels.iter().map(|&l| u32::from(l)).collect();
        Ok(Tensors {
            x: Tensor::from_slice(&x, (labels.len(), width), &dev)?,
            y: Tensor::from_vec(y, labels.len(), &dev)?,
            inputs: x,
            width,
            labels: labels.to_vec(),
        })
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// How one training phase runs.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Phase {
    /// Passes over the training set.
    pub epochs: usize,
    /// Adam's learning rate in the first epoch.
    pub lr: f64,
    /// Learning rate in the last epoch; it falls geometrically in between.
    pub lr_end: f64,
    /// Samples per step.
    pub batch: usize,
    /// Decoupled weight decay (AdamW) of every trained variable; pruned weights stay zero.
    pub weight_decay: f64,
    /// Each training digit is moved by a random offset of up to this many pixels in each
    /// direction (0: no augmentation).
    pub max_shift: usize,
}

impl Phase {
    /// Steps of one epoch over `n` samples.
    pub fn steps_per_epoch(&self, n: usize) -> usize {
        n.div_ceil(self.batch.max(1))
    }

    fn lr_at(&self, epoch: usize) -> f64 {
        if self.epochs <= 1 {
            return self.lr;
        }
        let t = epoch as f64 / (self.epochs - 1) as f64;
        self.lr * (self.lr_end / self.lr).powf(t)
    }
}

/// Trains every variable of `mlp` with Adam (no weight decay) on mini-batches drawn in an
/// order shuffled by `rng`, re-applying the pruning masks after each step. `on_step` gets the
/// loss of each step. Returns the mean loss of the last epoch.
pub fn train(
    mlp: &Mlp,
    set: &Tensors,
    phase: &Phase,
    rng: &mut ChaCha8Rng,
    on_step: &mut dyn FnMut(f32),
) -> Result<f32> {
    if phase.batch == 0 || !(phase.lr > 0.0 && phase.lr_end > 0.0) {
        return Err(TrainError::options(format!(
            "training phase {phase:?}: batch and learning rates must be positive"
        )));
    }
    if set.is_empty() {
        return Err(TrainError::options("training set is empty"));
    }
    if phase.max_shift > 0 && set.width != PIXELS {
        return Err(TrainError::options(format!(
            "shifting needs {PIXELS}-pixel digits, the inputs have {} values",
            set.width
        )));
    }
    if phase.weight_decay.is_nan() || phase.weight_decay < 0.0 {
        return Err(TrainError::options(format!(
            "weight decay {} must be >= 0",
            phase.weight_decay
        )));
    }
    let params = ParamsAdamW {
        lr: phase.lr,
        weight_decay: phase.weight_decay,
        ..ParamsAdamW::default()
    };
    let mut opt = AdamW::new(mlp.vars(), params)?;
    let mut order: Vec<u32> = (0..set.len() as u32).collect();
    let mut last = 0.0;
    for epoch in 0..phase.epochs {
        opt.set_learning_rate(phase.lr_at(epoch));
        order.shuffle(rng);
        let mut sum = 0.0;
        for chunk in order.chunks(phase.batch) {
            let idx = Tensor::from_slice(chunk, chunk.len(), set.x.device())?;
            let x = if phase.max_shift == 0 {
                set.x.index_select(&idx, 0)?
            } else {
                shifted_batch(set, chunk, phase.max_shift, rng)?
            };
            let logits = mlp.forward(&x)?;
            let loss = candle_nn::loss::cross_entropy(&logits, &set.y.index_select(&idx, 0)?)?;
            opt.backward_step(&loss)?;
            mlp.apply_masks()?;
            let loss = loss.to_scalar::<f32>()?;
            sum += loss;
            on_step(loss);
        }
        last = sum / phase.steps_per_epoch(set.len()) as f32;
    }
    Ok(last)
}

/// Side of a digit, in pixels.
const SIDE: usize = 28;

/// Moves `image` (28 x 28) by `dx` columns and `dy` rows, filling with 0.
pub fn shift_image(image: &[f32], dx: isize, dy: isize, out: &mut [f32]) {
    out.fill(0.0);
    for r in 0..SIDE {
        let Some(src_r) = r.checked_add_signed(-dy).filter(|&v| v < SIDE) else {
            continue;
        };
        for c in 0..SIDE {
            if let Some(src_c) = c.checked_add_signed(-dx).filter(|&v| v < SIDE) {
                out[r * SIDE + c] = image[src_r * SIDE + src_c];
            }
        }
    }
}

/// The digits `chunk` of `set`, each moved by a random offset within `±max_shift`.
fn shifted_batch(
    set: &Tensors,
    chunk: &[u32],
    max_shift: usize,
    rng: &mut ChaCha8Rng,
) -> Result<Tensor> {
    let m = i32::try_from(max_shift.min(SIDE)).unwrap_or(0);
    let mut x = vec![0.0f32; chunk.len() * PIXELS];
    for (out, &i) in x.chunks_exact_mut(PIXELS).zip(chunk) {
        let i = i as usize;
        let (dx, dy) = (rng.random_range(-m..=m), rng.random_range(-m..=m));
        shift_image(
            &set.inputs[i * PIXELS..(i + 1) * PIXELS],
            dx as isize,
            dy as isize,
            out,
        );
    }
    Ok(Tensor::from_vec(x, (chunk.len(), PIXELS), set.x.device())?)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small separable problem: the class is the index of the largest of the first
    /// `classes` inputs.
    pub(crate) fn toy_set(n: usize, width: usize, classes: usize, seed: u64) -> Tensors {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x: Vec<f32> = (0..n * width).map(|_| rng.random_range(0.0..1.0)).collect();
        let labels: Vec<u8> = x
            .chunks(width)
            .map(|row| {
                (0..classes)
                    .max_by(|&a, &b| row[a].total_cmp(&row[b]))
                    .unwrap() as u8
            })
            .collect();
        Tensors::from_parts(x, width, &labels).unwrap()
    }

    pub(crate) const TOY_PHASE: Phase = Phase {
        epochs: 30,
        lr: 1e-2,
        lr_end: 1e-3,
        batch: 32,
        weight_decay: 0.0,
        max_shift: 0,
    };

    #[test]
    fn shifts_move_digits_and_fill_with_zero() {
        let image: Vec<f32> = (0..PIXELS).map(|i| i as f32).collect();
        let mut out = vec![0.0; PIXELS];
        shift_image(&image, 2, -1, &mut out);
        // Row r, column c comes from row r + 1, column c - 2.
        assert_eq!(out[5 * 28 + 7], image[6 * 28 + 5]);
        assert_eq!(out[5 * 28 + 1], 0.0);
        assert_eq!(out[27 * 28 + 10], 0.0);
        shift_image(&image, 0, 0, &mut out);
        assert_eq!(out, image);
    }

    #[test]
    fn shifting_needs_digits() {
        let set = toy_set(8, 4, 2, 0);
        let mlp = Mlp::new(&[4, 2], 0).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let phase = Phase {
            max_shift: 1,
            ..TOY_PHASE
        };
        let e = train(&mlp, &set, &phase, &mut rng, &mut |_| ()).unwrap_err();
        assert!(
            e.to_string().contains("shifting needs 784-pixel digits"),
            "{e}"
        );
    }

    #[test]
    fn training_learns_and_is_deterministic() {
        let set = toy_set(256, 12, 4, 1);
        let run = || {
            let mlp = Mlp::new(&[12, 16, 4], 7).unwrap();
            let before = mlp.loss(&set).unwrap();
            let mut rng = ChaCha8Rng::seed_from_u64(3);
            let mut steps = 0;
            train(&mlp, &set, &TOY_PHASE, &mut rng, &mut |_| steps += 1).unwrap();
            assert_eq!(steps, 30 * 8);
            (
                before,
                mlp.loss(&set).unwrap(),
                mlp.to_dense_layers().unwrap(),
            )
        };
        let (before, after, layers) = run();
        assert!(after < before * 0.5, "loss {before} -> {after}");
        let mlp = Mlp::from_dense_layers(&layers).unwrap();
        assert!(mlp.accuracy(&set).unwrap() > 0.85);
        // Same seeds, same bits.
        assert_eq!(run().2, layers);
    }

    #[test]
    fn dense_layers_round_trip() {
        let mlp = Mlp::new(&[5, 3, 2], 1).unwrap();
        let layers = mlp.to_dense_layers().unwrap();
        assert_eq!(
            layers
                .iter()
                .map(|l| (l.name.as_str(), l.rows, l.cols))
                .collect::<Vec<_>>(),
            [("fc1", 3, 5), ("fc2", 2, 3)]
        );
        assert!(layers[0]
            .weight
            .iter()
            .all(|w| w.abs() <= 1.0 / 5f32.sqrt()));
        let back = Mlp::from_dense_layers(&layers).unwrap();
        assert_eq!(back.to_dense_layers().unwrap(), layers);
        assert!(back.layers[0].relu && !back.layers[1].relu);

        let mut broken = layers.clone();
        broken[1].weight.pop();
        let e = Mlp::from_dense_layers(&broken).unwrap_err().to_string();
        assert!(e.contains("'fc2': 5 weights for a 2x3 matrix"), "{e}");
    }

    #[test]
    fn rejects_bad_options() {
        assert!(Mlp::new(&[4], 0).is_err());
        assert!(Mlp::new(&[4, 0, 2], 0).is_err());
        let set = toy_set(8, 4, 2, 0);
        let mlp = Mlp::new(&[4, 2], 0).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let phase = Phase {
            batch: 0,
            ..TOY_PHASE
        };
        assert!(train(&mlp, &set, &phase, &mut rng, &mut |_| ()).is_err());
        assert!(Tensors::from_parts(vec![0.0; 7], 4, &[0, 1]).is_err());
    }
}
