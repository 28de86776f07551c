//! The paper's nine benchmark layers (Table III): their shapes and densities, the paper's own
//! figures for them, and their generation from a fixed seed through the host's compression
//! pipeline. Also the split of a layer into column batches when its column pointers do not fit
//! one PE's pointer window.

use super::{Error, Result};
use crate::compress::{compress, CompressOptions, Density, NoProgress};
use crate::encode::{self, Formats, LayerCodes};
use crate::import::DenseLayer;
use crate::model::Model;
use eie_memmap::regs;
use rand09::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// One benchmark layer and what the paper reports for it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LayerSpec {
    /// The paper's name (`Alex-6`, ..., `NT-LSTM`).
    pub name: String,
    /// Input activations (columns).
    pub inputs: usize,
    /// Output activations (rows).
    pub outputs: usize,
    /// Fraction of the weights kept by pruning.
    pub weight_density: f64,
    /// Fraction of the input activations that are non-zero.
    pub act_density: f64,
    /// Paper, Table V: EIE's measured ("actual") time on 64 PEs at 800 MHz, in microseconds.
    pub paper_eie_us: f64,
    /// Paper, Table V: EIE's theoretical time (perfect load balance), in microseconds.
    pub paper_ideal_us: f64,
    /// Paper, Table V: Core i7-5930k, dense, batch 1 (MKL), in microseconds.
    pub paper_cpu_dense_us: f64,
    /// Paper, Table V: Titan X, sparse, batch 1 (cuSPARSE), in microseconds.
    pub paper_gpu_sparse_us: f64,
    /// 1 for the paper's layer; `k` when both dimensions were divided by `k` (then the
    /// paper's figures do not apply).
    pub scale_down: usize,
}

impl LayerSpec {
    /// The paper's cycle count: its EIE time at 800 MHz.
    pub fn paper_cycles(&self) -> f64 {
        self.paper_eie_us * super::PAPER_MHZ
    }

    /// The paper's ratio of ideal to actual time.
    pub fn paper_ideal_over_actual(&self) -> f64 {
        self.paper_ideal_us / self.paper_eie_us
    }

    /// The same layer with both dimensions divided by `divisor` (at least 1 each), named
    /// `<name>/<divisor>`.
    pub fn scaled(&self, divisor: usize) -> LayerSpec {
        if divisor <= 1 {
            return self.clone();
        }
        LayerSpec {
            name: format!("{}/{divisor}", self.name),
            inputs: (self.inputs / divisor).max(1),
            outputs: (self.outputs / divisor).max(1),
            scale_down: self.scale_down * divisor,
            ..self.clone()
        }
    }
}

/// One row of [`TABLE`]: name, inputs, outputs, weight %, activation %, EIE actual us, EIE
/// ideal us, CPU dense us, GPU sparse us.
type Row = (&'static str, usize, usize, f64, f64, f64, f64, f64, f64);

/// The paper's Tables III and V (size = inputs x outputs).
const TABLE: [Row; 9] = [
    ("Alex-6", 9216, 4096, 9.0, 35.1, 30.3, 28.1, 7516.2, 134.8),
    ("Alex-7", 4096, 4096, 9.0, 35.3, 12.2, 11.7, 6187.1, 65.8),
    ("Alex-8", 4096, 1000, 25.0, 37.5, 9.9, 8.9, 1134.9, 54.6),
    ("VGG-6", 25088, 4096, 4.0, 18.3, 34.4, 28.1, 35022.8, 167.0),
    ("VGG-7", 4096, 4096, 4.0, 37.5, 8.7, 7.9, 5372.8, 39.8),
    ("VGG-8", 4096, 1000, 23.0, 41.1, 8.4, 7.3, 774.2, 48.0),
    ("NT-We", 4096, 600, 10.0, 100.0, 8.0, 5.2, 605.0, 17.7),
    ("NT-Wd", 600, 8791, 11.0, 100.0, 13.9, 13.0, 1361.4, 41.1),
    ("NT-LSTM", 1201, 2400, 10.0, 100.0, 7.5, 6.5, 470.5, 18.5),
];

/// The nine layers of the paper's Table III.
pub fn table_iii() -> Vec<LayerSpec> {
    TABLE
        .iter()
        .map(
            |&(name, inputs, outputs, w, a, eie, ideal, cpu, gpu)| LayerSpec {
                name: name.to_string(),
                inputs,
                outputs,
                weight_density: w / 100.0,
                act_density: a / 100.0,
                paper_eie_us: eie,
                paper_ideal_us: ideal,
                paper_cpu_dense_us: cpu,
                paper_gpu_sparse_us: gpu,
                scale_down: 1,
            },
        )
        .collect()
}

/// A generated, compressed layer with its input.
pub struct Workload {
    /// What was generated.
    pub spec: LayerSpec,
    /// The layer after pruning and weight sharing, as codebook indices (bias column last).
    pub codes: LayerCodes,
    /// Its fixed-point formats.
    pub formats: Formats,
    /// The input vector in the layer's input format.
    pub input: Vec<i16>,
    /// The input vector as generated.
    pub input_f32: Vec<f32>,
}

impl Workload {
    /// Weights kept by pruning (bias excluded).
    pub fn weights(&self) -> u64 {
        let stride = self.codes.columns();
        self.codes
            .codes
            .par_chunks(stride.max(1))
            .map(|row| row[..self.codes.cols].iter().filter(|&&c| c != 0).count() as u64)
            .sum()
    }

    /// Non-zero input activations.
    pub fn nonzero_inputs(&self) -> usize {
        self.input.iter().filter(|&&a| a != 0).count()
    }
}

/// A seeded generator for piece `piece` of layer `layer`.
fn generator(seed: u64, layer: u64, piece: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ layer.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    rng.set_stream(piece);
    rng
}

/// Rows generated by one seeded piece (so that the result does not depend on the thread count).
const ROWS_PER_PIECE: usize = 64;

/// Generates layer `index` of a benchmark from `seed` and compresses it.
///
/// Weights are standard normal and biases normal with deviation 0.1, each piece of rows from
/// its own seeded stream; the input has exactly `round(act_density * inputs)` non-zeros at
/// random positions, with magnitudes in [0.05, 1) (positive, as after a ReLU, unless every
/// input is non-zero). Then the host pipeline: magnitude pruning to the weight density, 1-D
/// k-means to 15 shared weights plus zero (4-bit codes), the bias as a constant-1 column,
/// formats from the input itself. The pipeline encodes for the fewest PEs that hold the layer;
/// [`encode_batches`] re-encodes for any PE count. Also returns the pipeline's model.
pub fn generate(spec: &LayerSpec, seed: u64, index: u64) -> Result<(Workload, Model)> {
    let (rows, cols) = (spec.outputs, spec.inputs);
    if rows == 0 || cols == 0 {
        return Err(Error::Config(format!(
            "layer {} has no rows or columns",
            spec.name
        )));
    }
    let normal = rand_distr05::StandardNormal;
    let mut weight = vec![0f32; rows * cols];
    weight
        .par_chunks_mut(ROWS_PER_PIECE * cols)
        .enumerate()
        .for_each(|(piece, chunk)| {
            let mut rng = generator(seed, index, piece as u64 + 1);
            for w in chunk.iter_mut() {
                *w = rng.sample(normal);
            }
        });
    let mut rng = generator(seed, index, 0);
    let bias: Vec<f32> = (0..rows)
        .map(|_| 0.1 * rng.sample::<f32, _>(normal))
        .collect();
    let nonzero = ((spec.act_density * cols as f64).round() as usize).min(cols);
    let signed = nonzero == cols;
    let mut input_f32 = vec![0f32; cols];
    for j in rand09::seq::index::sample(&mut rng, cols, nonzero) {
        let magnitude = rng.random_range(0.05f32..1.0);
        let negative = signed && rng.random_bool(0.5);
        input_f32[j] = if negative { -magnitude } else { magnitude };
    }
    let layer = DenseLayer {
        name: spec.name.clone(),
        rows,
        cols,
        weight,
        bias: Some(bias),
    };
    let mut options = CompressOptions::new(Density::All(spec.weight_density as f32));
    options.num_pes = 1;
    options.relu_last = true;
    options.calibration = Some(vec![input_f32.clone()]);
    // The fewest PEs whose memories hold the layer (only the encoding depends on it).
    let model = loop {
        match compress(std::slice::from_ref(&layer), &options, &NoProgress) {
            Ok((model, _)) => break model,
            Err(crate::Error::Capacity { .. }) if options.num_pes < 256 => options.num_pes *= 2,
            Err(e) => return Err(e.into()),
        }
    };
    drop(layer);
    let desc = &model.layers[0].desc;
    let codes = LayerCodes {
        rows,
        cols,
        codes: model.dense_codes(0),
        centroids: desc.centroids,
        bias: desc.bias,
        relu: desc.relu,
    };
    let formats = Formats {
        input_frac: desc.in_frac,
        layer_w_frac: vec![desc.w_frac],
        layer_out_frac: vec![desc.out_frac],
    };
    let input = model.quantize_input(&input_f32)?;
    if input
        .iter()
        .zip(&input_f32)
        .any(|(&q, &x)| (q == 0) != (x == 0.0))
    {
        return Err(Error::Config(format!(
            "layer {}: the input format Q{} loses non-zero inputs",
            spec.name, desc.in_frac
        )));
    }
    let workload = Workload {
        spec: spec.clone(),
        codes,
        formats,
        input,
        input_f32,
    };
    Ok((workload, model))
}

/// One column batch of a layer, encoded for a PE count, with its slice of the input.
pub struct Batch {
    /// First input column of the batch.
    pub first_column: usize,
    /// The batch as a one-layer model (the bias column only in the last batch).
    pub model: Model,
    /// The batch's inputs.
    pub input: Vec<i16>,
}

/// Columns `range` of `layer` (and the bias column if `bias`), as a layer of their own.
fn column_slice(layer: &LayerCodes, range: std::ops::Range<usize>, bias: bool) -> LayerCodes {
    let stride = layer.columns();
    let width = range.len() + usize::from(bias);
    let mut codes = Vec::with_capacity(layer.rows * width);
    for row in layer.codes.chunks(stride) {
        codes.extend_from_slice(&row[range.clone()]);
        if bias {
            codes.push(row[layer.cols]);
        }
    }
    LayerCodes {
        rows: layer.rows,
        cols: range.len(),
        codes,
        centroids: layer.centroids,
        bias,
        relu: layer.relu,
    }
}

/// Pointers one PE's window holds with `num_pes` PEs.
pub fn pointer_limit(num_pes: u32) -> usize {
    regs::PTR_SPAN as usize / 4 / num_pes.max(1) as usize
}

/// Encodes `w` for `num_pes` PEs, in as few column batches as the register map allows: one
/// when its column pointers (columns + bias + 1 per PE) and entries fit one PE's windows,
/// else equal batches, each a separate one-layer program whose partial sums are checked
/// against the reference on their own (the accelerator has no way to add a program's outputs
/// to the previous one's).
pub fn encode_batches(w: &Workload, num_pes: u32) -> Result<Vec<Batch>> {
    let columns = w.codes.columns();
    let per_batch = pointer_limit(num_pes).saturating_sub(1).max(1);
    let mut count = columns.div_ceil(per_batch);
    loop {
        match try_batches(w, num_pes, count) {
            Ok(batches) => return Ok(batches),
            Err(crate::Error::Capacity { .. }) if count < w.codes.cols => count += 1,
            Err(e) => return Err(e.into()),
        }
    }
}

fn try_batches(w: &Workload, num_pes: u32, count: usize) -> crate::Result<Vec<Batch>> {
    let cols = w.codes.cols;
    if count <= 1 {
        let model = encode::encode(std::slice::from_ref(&w.codes), &w.formats, num_pes)?;
        return Ok(vec![Batch {
            first_column: 0,
            model,
            input: w.input.clone(),
        }]);
    }
    (0..count)
        .map(|b| {
            let range = b * cols / count..(b + 1) * cols / count;
            let last = b + 1 == count;
            let layer = column_slice(&w.codes, range.clone(), last && w.codes.bias);
            let model = encode::encode(std::slice::from_ref(&layer), &w.formats, num_pes)?;
            Ok(Batch {
                first_column: range.start,
                model,
                input: w.input[range].to_vec(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::run_fixed;

    fn small() -> LayerSpec {
        table_iii()[6].scaled(16)
    }

    #[test]
    fn table_matches_the_design_card() {
        let t = table_iii();
        assert_eq!(t.len(), 9);
        let alex7 = &t[1];
        assert_eq!((alex7.inputs, alex7.outputs), (4096, 4096));
        assert!((alex7.paper_cycles() - 9760.0).abs() < 1e-6);
        let ratios: Vec<f64> = t.iter().map(LayerSpec::paper_ideal_over_actual).collect();
        assert!((ratios[6] - 0.65).abs() < 0.005, "NT-We");
        assert!(ratios
            .iter()
            .enumerate()
            .all(|(i, &r)| i == 6 || (0.81..0.97).contains(&r)));
    }

    #[test]
    fn generation_is_reproducible_and_has_the_densities() {
        let spec = small();
        let (a, _) = generate(&spec, 7, 3).unwrap();
        let (b, _) = generate(&spec, 7, 3).unwrap();
        assert_eq!(a.codes, b.codes);
        assert_eq!(a.input, b.input);
        let (c, _) = generate(&spec, 8, 3).unwrap();
        assert_ne!(a.codes, c.codes);
        let total = (spec.inputs * spec.outputs) as f64;
        let density = a.weights() as f64 / total;
        assert!((density - spec.weight_density).abs() < 0.01, "{density}");
        assert_eq!(a.nonzero_inputs(), spec.inputs);
        let half = LayerSpec {
            act_density: 0.5,
            ..spec
        };
        let (d, _) = generate(&half, 7, 3).unwrap();
        assert_eq!(d.nonzero_inputs(), spec.inputs / 2);
        assert!(d.input.iter().all(|&a| a >= 0));
    }

    /// Batches split the columns, carry the bias only in the last one, and their partial
    /// sums add up to the whole layer's before requantisation.
    #[test]
    fn batches_cover_every_column_once() {
        let (w, _) = generate(&small(), 1, 0).unwrap();
        let batches = try_batches(&w, 4, 3).unwrap();
        assert_eq!(batches.len(), 3);
        let mut next = 0;
        for (i, b) in batches.iter().enumerate() {
            let d = &b.model.layers[0].desc;
            assert_eq!(b.first_column, next);
            assert_eq!(d.in_len as usize, b.input.len());
            assert_eq!(d.bias, i == 2);
            next += b.input.len();
            run_fixed(&b.model, &b.input).unwrap();
        }
        assert_eq!(next, w.codes.cols);
        let whole = try_batches(&w, 4, 1).unwrap();
        assert_eq!(whole.len(), 1);
        assert_eq!(whole[0].model.dense_codes(0), w.codes.codes);
    }

    #[test]
    fn wide_layers_are_batched_by_the_pointer_window() {
        assert_eq!(pointer_limit(64), 16384);
        assert_eq!(pointer_limit(256), 4096);
        let (w, _) = generate(&small(), 1, 0).unwrap();
        assert_eq!(encode_batches(&w, 4).unwrap().len(), 1);
    }
}
