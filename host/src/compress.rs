//! Deep Compression's first two stages for a stack of fully connected layers: magnitude
//! pruning per layer, then weight sharing by 1-D k-means (code 0 reserved for exact zero),
//! then the bias folded in as a constant-1 column and the whole encoded by
//! [`crate::encode::encode`].

use crate::encode::{self, LayerCodes, CODEBOOK};
use crate::import::DenseLayer;
use crate::model::Model;
use crate::report::Report;
use crate::{Error, Result};
use eie_memmap::fixed;
use rayon::prelude::*;

/// How much of each layer survives pruning.
#[derive(Clone, Debug, PartialEq)]
pub enum Density {
    /// The same fraction (0..=1) of every layer's weights.
    All(f32),
    /// A fraction per layer, by name; every layer must be named.
    PerLayer(Vec<(String, f32)>),
    /// Keep the weights whose magnitude is at least this factor times the layer's standard
    /// deviation.
    Quality(f32),
}

/// What [`compress`] does.
#[derive(Clone, Debug, PartialEq)]
pub struct CompressOptions {
    /// Pruning target.
    pub density: Density,
    /// Bits per codebook index, 1..=4: `2^bits - 1` shared weights plus the zero code.
    pub bits: u32,
    /// PEs to interleave rows over (a power of two up to 256).
    pub num_pes: u32,
    /// ReLU on the last layer too (hidden layers always have it).
    pub relu_last: bool,
    /// Input vectors from which to choose the activation formats.
    pub calibration: Option<Vec<Vec<f32>>>,
    /// Fractional bits of the input, overriding the calibration's choice.
    pub input_frac: Option<u8>,
}

impl CompressOptions {
    /// The defaults (4 bits, 64 PEs, no ReLU on the last layer, formats from a safe bound)
    /// with the given pruning target.
    pub fn new(density: Density) -> CompressOptions {
        CompressOptions {
            density,
            bits: 4,
            num_pes: 64,
            relu_last: false,
            calibration: None,
            input_frac: None,
        }
    }
}

/// Told about long work as it goes; the CLI draws a progress bar with it.
pub trait Progress: Sync {
    /// Work of `total` steps begins.
    fn begin(&self, total: u64) {
        let _ = total;
    }
    /// A step begins (the previous one, if any, is done).
    fn step(&self, what: &str) {
        let _ = what;
    }
    /// All steps are done.
    fn end(&self) {}
}

/// A [`Progress`] that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// Which weights pruning keeps.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Keep {
    /// None.
    Nothing,
    /// Non-zero weights with at least this magnitude.
    AtLeast(f32),
}

impl Keep {
    fn keeps(self, w: f32) -> bool {
        match self {
            Keep::Nothing => false,
            Keep::AtLeast(t) => (w != 0.0) & (w.abs() >= t),
        }
    }
}

/// Rows per piece of parallel work when collecting survivors.
const ROWS_PER_PIECE: usize = 16;

/// The kept weights of a layer (and its non-zero biases) with their positions in the
/// `[rows][cols + bias]` code matrix, gathered per piece of [`ROWS_PER_PIECE`] rows;
/// positions are relative to the piece.
struct Survivors {
    pieces: Vec<(Vec<u32>, Vec<f32>)>,
}

impl Survivors {
    fn collect(layer: &DenseLayer, keep: Keep) -> Survivors {
        let stride = layer.cols + usize::from(layer.bias.is_some());
        let bias = layer.bias.as_deref();
        let pieces = layer
            .weight
            .par_chunks(ROWS_PER_PIECE * layer.cols)
            .enumerate()
            .map(|(p, weights)| {
                let mut positions = Vec::new();
                let mut values = Vec::new();
                for (r, row) in weights.chunks(layer.cols).enumerate() {
                    for (c, &w) in row.iter().enumerate() {
                        if keep.keeps(w) {
                            positions.push((r * stride + c) as u32);
                            values.push(w);
                        }
                    }
                    let b = bias.map_or(0.0, |b| b[p * ROWS_PER_PIECE + r]);
                    if b != 0.0 {
                        positions.push((r * stride + layer.cols) as u32);
                        values.push(b);
                    }
                }
                (positions, values)
            })
            .collect();
        Survivors { pieces }
    }

    fn values(&self) -> Vec<f32> {
        let n = self.pieces.iter().map(|(_, v)| v.len()).sum();
        let mut all = Vec::with_capacity(n);
        for (_, v) in &self.pieces {
            all.extend_from_slice(v);
        }
        all
    }

    /// The code matrix: every survivor's nearest shared weight at its position, 0 elsewhere.
    fn codes(&self, rows: usize, stride: usize, codebook: &Codebook) -> Vec<u8> {
        let mut matrix = vec![0u8; rows * stride];
        matrix
            .par_chunks_mut(ROWS_PER_PIECE * stride)
            .zip(&self.pieces)
            .for_each(|(out, (positions, values))| {
                for (&p, &v) in positions.iter().zip(values) {
                    if let Some(slot) = out.get_mut(p as usize) {
                        *slot = codebook.code(v);
                    }
                }
            });
        matrix
    }
}

/// The magnitude order of a finite `f32`: its bits without the sign.
fn magnitude_key(w: f32) -> u32 {
    w.to_bits() & 0x7FFF_FFFF
}

/// Histogram of `bucket(key)` over `w`, computed in parallel.
fn histogram(w: &[f32], size: usize, bucket: impl Fn(u32) -> Option<u32> + Sync) -> Vec<u64> {
    let pieces = rayon::current_num_threads().max(1) * 4;
    let piece_len = w.len().div_ceil(pieces).max(1 << 14);
    w.par_chunks(piece_len)
        .map(|piece| {
            let mut h = vec![0u64; size];
            for &x in piece {
                if let Some(b) = bucket(magnitude_key(x)) {
                    if let Some(slot) = h.get_mut(b as usize) {
                        *slot += 1;
                    }
                }
            }
            h
        })
        .reduce(
            || vec![0u64; size],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        )
}

/// Walks a histogram from the top: the bucket holding the `rank`-th largest (1-based) and
/// the rank within that bucket.
fn walk_down(h: &[u64], mut rank: u64) -> (u32, u64) {
    for (b, &count) in h.iter().enumerate().rev() {
        if rank <= count {
            return (b as u32, rank);
        }
        rank -= count;
    }
    (0, rank)
}

/// The `rank`-th largest magnitude in `w` (1-based, `1 <= rank <= w.len()`), found by a
/// two-pass radix selection on the magnitude's bits: 16 high bits, then 16 low bits.
fn kth_largest_magnitude(w: &[f32], rank: u64) -> f32 {
    let high = histogram(w, 1 << 15, |k| Some(k >> 16));
    let (bucket, rank) = walk_down(&high, rank);
    let low = histogram(w, 1 << 16, |k| (k >> 16 == bucket).then_some(k & 0xFFFF));
    let (low_bits, _) = walk_down(&low, rank);
    f32::from_bits(bucket << 16 | low_bits)
}

/// What pruning to `density` keeps: the non-zero weights whose magnitude is at least the
/// `round(density * n)`-th largest (magnitudes tied with it are all kept).
fn keep_for_density(w: &[f32], density: f32) -> Keep {
    let n = w.len() as u64;
    let target = (f64::from(density.clamp(0.0, 1.0)) * n as f64).round() as u64;
    if target == 0 || n == 0 {
        Keep::Nothing
    } else {
        Keep::AtLeast(kth_largest_magnitude(w, target.min(n)))
    }
}

/// What pruning at `quality` times the standard deviation keeps.
fn keep_for_quality(w: &[f32], quality: f32) -> Keep {
    let n = w.len().max(1) as f64;
    let (sum, sum_sq) = w
        .par_iter()
        .map(|&x| (f64::from(x), f64::from(x) * f64::from(x)))
        .reduce(|| (0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
    let mean = sum / n;
    let std = (sum_sq / n - mean * mean).max(0.0).sqrt();
    Keep::AtLeast((f64::from(quality) * std) as f32)
}

/// Magnitude pruning in place: keeps the `round(density * len)` largest-magnitude weights
/// (and any tied with the smallest of them), sets the others to zero. `density` is clamped
/// to 0..=1; weights must be finite.
pub fn prune(weights: &mut [f32], density: f32) {
    let keep = keep_for_density(weights, density);
    weights.par_iter_mut().for_each(|w| {
        if !keep.keeps(*w) {
            *w = 0.0;
        }
    });
}

/// Largest number of Lloyd iterations; exact 1-D Lloyd converges long before on real data,
/// this only bounds the time on adversarial input.
const MAX_LLOYD_ITERATIONS: usize = 100_000;

/// One-dimensional k-means (Lloyd's algorithm, exact): sorts the values once (radix sort),
/// keeps prefix sums, finds each iteration's cluster boundaries by binary search (a value
/// exactly between two centroids joins the lower one) and each cluster's mean from the prefix
/// sums, so an iteration costs `O(k log n)`. Centroids start linearly spaced over `[min, max]` and the
/// iterations run until the clusters no longer change.
///
/// Returns the centroids of the non-empty clusters, ascending and distinct (so at most `k`;
/// fewer when there are fewer distinct values). With at most `k` distinct values those values
/// are the exact answer and come back unchanged, so weights that are already shared (a
/// fine-tuned network) keep their codebook. Non-finite values are ignored.
pub fn kmeans_1d(values: &[f32], k: usize) -> Vec<f32> {
    let mut sorted: Vec<f32> = values.iter().copied().filter(|v| v.is_finite()).collect();
    radsort::sort(&mut sorted);
    kmeans_sorted(&sorted, k)
}

fn kmeans_sorted(sorted: &[f32], k: usize) -> Vec<f32> {
    let n = sorted.len();
    if n == 0 || k == 0 {
        return Vec::new();
    }
    if let Some(distinct) = at_most_k_distinct(sorted, k) {
        return distinct;
    }
    let mut prefix = Vec::with_capacity(n + 1);
    let mut sum = 0.0f64;
    prefix.push(sum);
    for &x in sorted {
        sum += f64::from(x);
        prefix.push(sum);
    }
    let (lo, hi) = (f64::from(sorted[0]), f64::from(sorted[n - 1]));
    let mut centroids: Vec<f64> = if k == 1 {
        vec![sum / n as f64]
    } else {
        (0..k)
            .map(|i| lo + (hi - lo) * i as f64 / (k - 1) as f64)
            .collect()
    };
    let mut bounds = vec![0usize; k + 1];
    bounds[k] = n;
    let mut previous: Vec<usize> = Vec::new();
    for _ in 0..MAX_LLOYD_ITERATIONS {
        for i in 1..k {
            let mid = (centroids[i - 1] + centroids[i]) / 2.0;
            bounds[i] = sorted.partition_point(|&x| f64::from(x) <= mid);
        }
        if bounds == previous {
            break;
        }
        for i in 0..k {
            let (a, b) = (bounds[i], bounds[i + 1]);
            if b > a {
                centroids[i] = (prefix[b] - prefix[a]) / (b - a) as f64;
            }
        }
        previous.clone_from(&bounds);
    }
    let mut out: Vec<f32> = (0..k)
        .filter(|&i| bounds[i + 1] > bounds[i])
        .map(|i| centroids[i] as f32)
        .collect();
    out.dedup();
    out
}

/// The distinct values of a sorted slice, or `None` when there are more than `k`.
fn at_most_k_distinct(sorted: &[f32], k: usize) -> Option<Vec<f32>> {
    let mut distinct: Vec<f32> = Vec::with_capacity(k);
    for &x in sorted {
        if distinct.last() != Some(&x) {
            if distinct.len() == k {
                return None;
            }
            distinct.push(x);
        }
    }
    Some(distinct)
}

/// Shared weights and the nearest-centroid rule.
struct Codebook {
    /// `centroids[0]` is zero; codes 1.. are the k-means centroids, ascending.
    centroids: [f32; CODEBOOK],
    /// Midpoints between consecutive k-means centroids.
    bounds: Vec<f64>,
}

impl Codebook {
    fn new(shared: &[f32]) -> Codebook {
        let mut centroids = [0.0; CODEBOOK];
        for (slot, &c) in centroids[1..].iter_mut().zip(shared) {
            *slot = c;
        }
        let bounds = shared
            .windows(2)
            .map(|w| (f64::from(w[0]) + f64::from(w[1])) / 2.0)
            .collect();
        Codebook { centroids, bounds }
    }

    /// The code of a kept (non-zero) weight: its nearest shared weight, never code 0.
    fn code(&self, w: f32) -> u8 {
        1 + self.bounds.partition_point(|&b| b < f64::from(w)) as u8
    }
}

/// Checks that every value is finite, naming the first that is not.
fn check_finite(layer: &str, what: &'static str, values: &[f32], cols: usize) -> Result<()> {
    const PIECE: usize = 1 << 16;
    let first_bad = values
        .par_chunks(PIECE)
        .enumerate()
        .find_map_first(|(c, piece)| {
            if piece.iter().fold(true, |ok, v| ok & v.is_finite()) {
                None
            } else {
                piece
                    .iter()
                    .position(|v| !v.is_finite())
                    .map(|i| c * PIECE + i)
            }
        });
    match first_bad {
        None => Ok(()),
        Some(i) => Err(Error::NonFinite {
            layer: layer.to_owned(),
            what,
            index: if what == "weight" {
                vec![i / cols.max(1), i % cols.max(1)]
            } else {
                vec![i]
            },
            value: values[i],
        }),
    }
}

fn check_layers(layers: &[DenseLayer]) -> Result<()> {
    if layers.is_empty() {
        return Err(Error::options("no layers to compress"));
    }
    for (l, layer) in layers.iter().enumerate() {
        let shape = |reason: String| {
            Err(Error::Shape {
                layer: layer.name.clone(),
                reason,
            })
        };
        if layer.rows == 0 || layer.cols == 0 {
            return shape(format!("shape [{}, {}] is empty", layer.rows, layer.cols));
        }
        if layer.weight.len() != layer.rows * layer.cols {
            return shape(format!(
                "{} weights for shape [{}, {}]",
                layer.weight.len(),
                layer.rows,
                layer.cols
            ));
        }
        if let Some(b) = &layer.bias {
            if b.len() != layer.rows {
                return shape(format!(
                    "bias has {} values for {} outputs",
                    b.len(),
                    layer.rows
                ));
            }
        }
        if let Some(prev) = l.checked_sub(1).map(|p| &layers[p]) {
            if prev.rows != layer.cols {
                return shape(format!(
                    "takes {} inputs but the layer before it, '{}', has {} outputs",
                    layer.cols, prev.name, prev.rows
                ));
            }
        }
        check_finite(&layer.name, "weight", &layer.weight, layer.cols)?;
        if let Some(b) = &layer.bias {
            check_finite(&layer.name, "bias", b, 1)?;
        }
    }
    Ok(())
}

fn check_density(name: &str, d: f32) -> Result<()> {
    if !(0.0..=1.0).contains(&d) {
        return Err(Error::options(format!(
            "density {d} for layer '{name}' is not between 0 and 1"
        )));
    }
    Ok(())
}

/// What to keep of each layer, checked.
fn keep_rules(layers: &[DenseLayer], density: &Density) -> Result<Vec<Keep>> {
    match density {
        Density::All(d) => layers
            .iter()
            .map(|l| {
                check_density(&l.name, *d)?;
                Ok(keep_for_density(&l.weight, *d))
            })
            .collect(),
        Density::PerLayer(list) => {
            if let Some((name, _)) = list
                .iter()
                .find(|(name, _)| !layers.iter().any(|l| &l.name == name))
            {
                return Err(Error::options(format!(
                    "density given for '{name}', which is not a layer being compressed"
                )));
            }
            layers
                .iter()
                .map(|l| {
                    let d = list
                        .iter()
                        .find(|(name, _)| name == &l.name)
                        .map(|(_, d)| *d)
                        .ok_or_else(|| {
                            Error::options(format!("no density given for layer '{}'", l.name))
                        })?;
                    check_density(&l.name, d)?;
                    Ok(keep_for_density(&l.weight, d))
                })
                .collect()
        }
        Density::Quality(q) => {
            if !q.is_finite() || *q < 0.0 {
                return Err(Error::options(format!(
                    "quality factor {q} must be a finite number >= 0"
                )));
            }
            Ok(layers
                .iter()
                .map(|l| keep_for_quality(&l.weight, *q))
                .collect())
        }
    }
}

fn check_options(layers: &[DenseLayer], opts: &CompressOptions) -> Result<()> {
    if !(1..=4).contains(&opts.bits) {
        return Err(Error::options(format!(
            "{} bits per code; 1 to 4 are supported",
            opts.bits
        )));
    }
    encode::check_num_pes(opts.num_pes)?;
    if let Some(f) = opts.input_frac {
        if u32::from(f) > fixed::MAX_ACT_FRAC {
            return Err(Error::options(format!(
                "input format Q{f}: at most {} fractional bits",
                fixed::MAX_ACT_FRAC
            )));
        }
    }
    if let Some(vectors) = &opts.calibration {
        let expected = layers[0].cols;
        for (row, x) in vectors.iter().enumerate() {
            if x.len() != expected {
                return Err(Error::InputLength {
                    row,
                    found: x.len(),
                    expected,
                });
            }
            if let Some(index) = x.iter().position(|v| !v.is_finite()) {
                return Err(Error::NonFiniteInput {
                    row,
                    index,
                    value: x[index],
                });
            }
        }
    }
    Ok(())
}

/// Prunes, shares weights and encodes a stack of fully connected layers.
///
/// Per layer: magnitude pruning (see [`Density`]), then 1-D k-means ([`kmeans_1d`]) over the
/// surviving weights and the non-zero biases with `2^bits - 1` clusters, each kept weight
/// getting its nearest shared weight and code 0 staying exact zero. The bias becomes column
/// `cols` (activation 1.0); hidden layers get ReLU, the last only with `relu_last`. Then
/// [`encode::choose_formats`] and [`encode::encode`].
pub fn compress(
    layers: &[DenseLayer],
    opts: &CompressOptions,
    progress: &dyn Progress,
) -> Result<(Model, Report)> {
    check_layers(layers)?;
    check_options(layers, opts)?;
    let shapes: Vec<(usize, usize, bool)> = layers
        .iter()
        .map(|l| (l.rows, l.cols, l.bias.is_some()))
        .collect();
    encode::check_shapes_fit(&shapes, opts.num_pes)?;
    progress.begin(3 * layers.len() as u64 + 2);
    let mut codes = Vec::with_capacity(layers.len());
    progress.step(&format!("{}: pruning", layers[0].name));
    let keeps = keep_rules(layers, &opts.density)?;
    let clusters = (1usize << opts.bits) - 1;
    for (l, (layer, keep)) in layers.iter().zip(keeps).enumerate() {
        if l > 0 {
            progress.step(&format!("{}: pruning", layer.name));
        }
        let survivors = Survivors::collect(layer, keep);
        progress.step(&format!("{}: k-means", layer.name));
        let codebook = Codebook::new(&kmeans_1d(&survivors.values(), clusters));
        progress.step(&format!("{}: assigning codes", layer.name));
        let stride = layer.cols + usize::from(layer.bias.is_some());
        let matrix = survivors.codes(layer.rows, stride, &codebook);
        drop(survivors);
        codes.push(LayerCodes {
            rows: layer.rows,
            cols: layer.cols,
            codes: matrix,
            centroids: codebook.centroids,
            bias: layer.bias.is_some(),
            relu: l + 1 < layers.len() || opts.relu_last,
        });
    }
    progress.step("choosing fixed-point formats");
    let formats = encode::choose_formats(&codes, opts.calibration.as_deref(), opts.input_frac);
    progress.step("encoding");
    let model = encode::encode(&codes, &formats, opts.num_pes)?;
    let names: Vec<String> = layers.iter().map(|l| l.name.clone()).collect();
    let report = Report::new(&model, &names);
    progress.end();
    Ok((model, report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Lloyd's algorithm written the slow, obvious way, with the same initialisation and the
    /// same tie rule.
    fn naive_kmeans(values: &[f32], k: usize) -> Vec<f32> {
        let lo = values.iter().copied().fold(f32::INFINITY, f32::min) as f64;
        let hi = values.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
        let mut c: Vec<f64> = if k == 1 {
            vec![values.iter().map(|&v| v as f64).sum::<f64>() / values.len() as f64]
        } else {
            (0..k)
                .map(|i| lo + (hi - lo) * i as f64 / (k - 1) as f64)
                .collect()
        };
        let assign = |c: &[f64], x: f64| {
            // Lower cluster on a tie: the first i with x <= mid(i, i+1).
            (0..k - 1)
                .find(|&i| x <= (c[i] + c[i + 1]) / 2.0)
                .unwrap_or(k - 1)
        };
        let mut previous: Vec<usize> = Vec::new();
        loop {
            let a: Vec<usize> = values.iter().map(|&v| assign(&c, v as f64)).collect();
            if a == previous {
                break;
            }
            for (i, ci) in c.iter_mut().enumerate() {
                let members: Vec<f64> = values
                    .iter()
                    .zip(&a)
                    .filter(|(_, &ai)| ai == i)
                    .map(|(&v, _)| v as f64)
                    .collect();
                if !members.is_empty() {
                    *ci = members.iter().sum::<f64>() / members.len() as f64;
                }
            }
            previous = a;
        }
        let a: Vec<usize> = values.iter().map(|&v| assign(&c, v as f64)).collect();
        let mut out: Vec<f32> = (0..k)
            .filter(|i| a.contains(i))
            .map(|i| c[i] as f32)
            .collect();
        out.dedup();
        out
    }

    #[test]
    fn kmeans_finds_obvious_clusters() {
        let values = [-1.0, -1.1, -0.9, 2.0, 2.1, 1.9, 0.5];
        let c = kmeans_1d(&values, 3);
        assert_eq!(c.len(), 3);
        assert!((c[0] + 1.0).abs() < 1e-6 && (c[1] - 0.5).abs() < 1e-6);
        assert!((c[2] - 2.0).abs() < 1e-6);
        assert_eq!(kmeans_1d(&[], 15), Vec::<f32>::new());
        assert_eq!(kmeans_1d(&[0.25; 10], 15), [0.25]);
    }

    #[test]
    fn already_shared_weights_keep_their_codebook() {
        // Twelve shared values that linear initialisation with 15 centroids would merge.
        let shared: Vec<f32> = (0..12).map(|i| (i as f32 - 5.5).powi(3) * 0.01).collect();
        let values: Vec<f32> = (0..600).map(|i| shared[(i * 7) % 12]).collect();
        assert_eq!(kmeans_1d(&values, 15), shared);
        assert_eq!(kmeans_1d(&values, 12), shared);
        // One code short: clustering proper, which may also leave clusters empty.
        assert!(kmeans_1d(&values, 11).len() <= 11);
    }

    #[test]
    fn radix_selection_finds_the_kth_largest_magnitude() {
        let w = [0.5, -3.0, 2.0, -0.25, 1.0, 0.0, -2.0];
        assert_eq!(kth_largest_magnitude(&w, 1), 3.0);
        assert_eq!(kth_largest_magnitude(&w, 2), 2.0);
        assert_eq!(kth_largest_magnitude(&w, 3), 2.0);
        assert_eq!(kth_largest_magnitude(&w, 4), 1.0);
        assert_eq!(kth_largest_magnitude(&w, 7), 0.0);
        let mut v = w;
        prune(&mut v, 3.0 / 7.0);
        assert_eq!(v, [0.0, -3.0, 2.0, 0.0, 0.0, 0.0, -2.0]);
        let mut v = w;
        prune(&mut v, 0.0);
        assert!(v.iter().all(|&x| x == 0.0));
        let mut v = w;
        prune(&mut v, 1.0);
        assert_eq!(v, w);
    }

    fn layer(name: &str, rows: usize, cols: usize, weight: Vec<f32>) -> DenseLayer {
        DenseLayer {
            name: name.into(),
            rows,
            cols,
            weight,
            bias: None,
        }
    }

    #[test]
    fn nan_and_broken_chains_are_named() {
        let mut w = vec![0.5; 6];
        w[4] = f32::NAN;
        let err = compress(
            &[layer("fc1", 2, 3, w)],
            &CompressOptions::new(Density::All(0.5)),
            &NoProgress,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "layer 'fc1': weight [1, 1] is NaN");
        let err = compress(
            &[
                layer("fc1", 2, 3, vec![1.0; 6]),
                layer("fc2", 4, 3, vec![1.0; 12]),
            ],
            &CompressOptions::new(Density::All(0.5)),
            &NoProgress,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "layer 'fc2': takes 3 inputs but the layer before it, 'fc1', has 2 outputs"
        );
    }

    proptest! {
        #[test]
        fn kmeans_matches_the_naive_algorithm(
            values in prop::collection::vec(-4.0f32..4.0, 1..200),
            k in 1usize..16,
        ) {
            let fast = kmeans_1d(&values, k);
            let mut distinct = values.clone();
            distinct.sort_by(f32::total_cmp);
            distinct.dedup();
            // With at most k distinct values they are the exact answer (Lloyd may merge some).
            let slow = if distinct.len() <= k { distinct } else { naive_kmeans(&values, k) };
            prop_assert_eq!(fast.len(), slow.len());
            for (a, b) in fast.iter().zip(&slow) {
                prop_assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{:?} vs {:?}", fast, slow);
            }
            prop_assert!(fast.windows(2).all(|w| w[0] < w[1]));
        }

        /// Zero stays code 0 and every kept weight, however small, gets a non-zero code.
        #[test]
        fn kmeans_never_loses_the_zero_code(
            weights in prop::collection::vec(
                prop_oneof![Just(0.0f32), -1e-30f32..1e-30, -2.0f32..2.0], 1..120),
            density in 0.0f32..=1.0,
            bits in 1u32..=4,
        ) {
            let n = weights.len();
            let mut pruned = weights.clone();
            prune(&mut pruned, density);
            let mut opts = CompressOptions::new(Density::All(density));
            opts.bits = bits;
            opts.num_pes = 1;
            let (model, _) = compress(&[layer("fc", n, 1, weights)], &opts, &NoProgress).unwrap();
            let desc = &model.layers[0].desc;
            prop_assert_eq!(desc.centroids[0], 0.0);
            prop_assert_eq!(desc.codebook[0], 0);
            let used = desc.centroids[1..].iter().filter(|&&c| c != 0.0).count();
            prop_assert!(used < 1 << bits);
            let codes = model.dense_codes(0);
            for (w, c) in pruned.iter().zip(&codes) {
                prop_assert_eq!(*w != 0.0, *c != 0, "weight {} got code {}", w, c);
            }
        }
    }
}
