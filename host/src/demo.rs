//! The main job, `eie demo` (behind the `train` feature): LeNet-300-100 trained on real MNIST
//! through Deep Compression's stages ([`crate::train`]), exported as `.safetensors`, imported
//! and compressed exactly as `eie compress` does it, written as an image and read back, then
//! run over the test split by the float and fixed-point references and by the simulated
//! accelerator, with a summary of what survived each step.
//!
//! The simulated accelerator is reached through one function, [`rtl_outputs`]; every other
//! figure comes from the references and the compression report.

use crate::compress::{compress, CompressOptions, Density, Progress};
use crate::import;
use crate::model::Model;
use crate::reference::{run_fixed, run_float};
use crate::report::Report;
use crate::target::{self, SimTarget};
use crate::train::data::{self, Dataset};
use crate::train::net::{Mlp, Tensors};
use crate::train::picture::{self, Tile};
use crate::train::pipeline::{self, CacheFiles, Cached, Config, Event, Record};
use crate::train::{Result, TrainError};
use eie_bitstream::SimConfig;
use rayon::prelude::*;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What the demo does.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Where MNIST and the trained model are cached (`<cache>/mnist`, `<cache>/lenet-300-100`).
    pub cache_dir: PathBuf,
    /// Where the image and the picture are written.
    pub out_dir: PathBuf,
    /// Train even when a cached model with the same settings exists.
    pub retrain: bool,
    /// The training settings.
    pub config: Config,
    /// PEs to interleave rows over: the accelerator build's PE count.
    pub num_pes: u32,
    /// Every this many training digits is a calibration input for the fixed-point formats.
    pub calibration_every: usize,
    /// Run only this many test digits, evenly spread over the test split (all by default).
    pub limit: Option<usize>,
    /// Clock of the accelerator build, in MHz, for inferences per second.
    pub fmax_mhz: Option<f64>,
}

impl Options {
    /// The defaults, with the given cache and output directories.
    pub fn new(cache_dir: PathBuf, out_dir: PathBuf) -> Options {
        Options {
            cache_dir,
            out_dir,
            retrain: false,
            config: Config::default(),
            num_pes: DEFAULT_PES,
            calibration_every: 8,
            limit: None,
            fmax_mhz: None,
        }
    }
}

/// Deep Compression's densities for LeNet-300-100, the goal the trained densities must meet.
pub const PAPER_DENSITIES: [f64; 3] = [0.08, 0.09, 0.26];

/// Default PE count.
pub const DEFAULT_PES: u32 = 16;

/// How the demo shows what it is doing.
pub trait Ui {
    /// A line of news (which model is used, where files went).
    fn note(&mut self, text: &str);
    /// Progress of the training run.
    fn training(&mut self, event: &Event);
    /// Progress of compression and of the runs over the test split.
    fn progress(&self) -> &dyn Progress;
}

/// What the simulated accelerator returned for a batch of inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct RtlRun {
    /// The output vector of each input, in the model's output format.
    pub outputs: Vec<Vec<i16>>,
    /// Clock cycles of each inference, as the accelerator's counters report them.
    pub cycles: Vec<u64>,
    /// PEs of the simulated build.
    pub num_pes: u32,
}

/// The simulated accelerator: builds (or takes from the cache) the Verilated RTL for the
/// smallest geometry that holds the model with its PE count, loads the image through the
/// `no_std` driver and runs each input (in the model's input format), returning the outputs
/// and the cycle counts the accelerator's counters report.
///
/// This is the one place the demo reaches the RTL.
pub fn rtl_outputs(
    model: &Model,
    inputs: &[Vec<i16>],
    progress: &dyn Progress,
) -> crate::Result<RtlRun> {
    let geometry = target::sim_geometry(&model.header.needs, Some(model.num_pes()));
    let mut sim = SimTarget::new(&SimConfig::new(geometry))?;
    sim.load(&model.to_image())?;
    progress.begin(inputs.len() as u64);
    let mut outputs = Vec::with_capacity(inputs.len());
    let mut cycles = Vec::with_capacity(inputs.len());
    for x in inputs {
        progress.step("simulated EIE (RTL)");
        let inference = sim.infer(x)?;
        outputs.push(inference.output);
        cycles.push(u64::from(inference.stats.cycles));
    }
    progress.end();
    Ok(RtlRun {
        outputs,
        cycles,
        num_pes: sim.geometry().num_pes,
    })
}

/// Where the demo's files are.
#[derive(Clone, Debug, PartialEq)]
pub struct Files {
    /// The trained (pruned, weight-shared) weights, input of `eie compress`.
    pub weights: PathBuf,
    /// The dense float weights.
    pub dense_weights: PathBuf,
    /// The compressed image.
    pub image: PathBuf,
    /// The picture of test digits with their predictions.
    pub picture: PathBuf,
}

/// What the simulated accelerator did.
#[derive(Clone, Debug, PartialEq)]
pub enum RtlResult {
    /// It ran every test digit.
    Ran {
        /// Fraction classified correctly.
        accuracy: f64,
        /// Digits whose output vector differs from the fixed-point reference in any bit.
        mismatches: usize,
        /// Digits whose predicted class differs from the fixed-point reference's.
        class_mismatches: usize,
        /// Cycles per inference: smallest, mean, largest.
        cycles: (u64, f64, u64),
        /// PEs of the build.
        num_pes: u32,
        /// Wall-clock seconds of the simulation.
        seconds: f64,
    },
    /// It failed, and why.
    Failed(String),
}

/// Wall-clock seconds of the demo's steps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timings {
    /// Fetching and loading MNIST.
    pub data: f64,
    /// Training, as recorded when the model was trained (also for a cached model).
    pub training: f64,
    /// Whether the model was trained in this run (otherwise it came from the cache).
    pub trained_now: bool,
    /// Import, compression and writing the image.
    pub compress: f64,
    /// The float and fixed-point references over the test digits.
    pub references: f64,
}

/// Everything the demo measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The training run's record (settings, stage accuracies on the whole test split).
    pub record: Record,
    /// The compression report of the image.
    pub report: Report,
    /// The compression report of the same model encoded for one PE (Deep Compression's
    /// storage, without the per-PE copies of the column pointers).
    pub storage: Report,
    /// Digits of the training and test splits.
    pub split_sizes: (usize, usize),
    /// Test digits run through the image.
    pub tested: usize,
    /// Accuracy of the trained (fine-tuned) model on the tested digits.
    pub trained_accuracy: f64,
    /// Accuracy of the image's float reference.
    pub float_accuracy: f64,
    /// Tested digits whose class the image's float reference predicts differently from the
    /// trained model.
    pub float_disagreements: usize,
    /// Accuracy of the fixed-point reference.
    pub fixed_accuracy: f64,
    /// The simulated accelerator.
    pub rtl: RtlResult,
    /// The clock for inferences per second.
    pub fmax_mhz: Option<f64>,
    /// Where the files went.
    pub files: Files,
    /// How long each step took.
    pub timings: Timings,
}

/// The index of the largest value (the first of equals).
pub fn argmax<T: PartialOrd + Copy>(values: &[T]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best
}

/// `n` indices spread evenly over `0..len` (all of them when `n >= len`).
pub fn spread(len: usize, n: usize) -> Vec<usize> {
    if n >= len {
        return (0..len).collect();
    }
    (0..n).map(|i| i * len / n).collect()
}

/// Runs the demo.
pub fn run(opts: &Options, ui: &mut dyn Ui) -> Result<Outcome> {
    if opts.calibration_every == 0 {
        return Err(TrainError::options("calibration_every must be at least 1"));
    }
    if opts.limit == Some(0) {
        return Err(TrainError::options(
            "a limit of 0 test digits leaves nothing to run",
        ));
    }
    if let Some(f) = opts.fmax_mhz {
        if !(f.is_finite() && f > 0.0) {
            return Err(TrainError::options(format!(
                "Fmax {f} MHz must be positive"
            )));
        }
    }
    let start = Instant::now();
    let split = data::load_mnist(&opts.cache_dir)?;
    let data_seconds = start.elapsed().as_secs_f64();

    let model_dir = opts.cache_dir.join("lenet-300-100");
    let cached = if opts.retrain {
        Cached::Miss("--retrain given".into())
    } else {
        pipeline::load_cached(&model_dir, &opts.config)?
    };
    let (trained, trained_now) = match cached {
        Cached::Hit(trained) => {
            ui.note(&format!(
                "using the trained model cached in {} (--retrain to train again)",
                model_dir.display()
            ));
            (*trained, false)
        }
        Cached::Miss(why) => {
            ui.note(&format!("training: {why}"));
            let trained = pipeline::run(&split, &opts.config, &mut |e| ui.training(&e))?;
            pipeline::save(&model_dir, &trained)?;
            (trained, true)
        }
    };
    let cache_files = CacheFiles::new(&model_dir);

    // From here on, the path a user takes with `eie compress`: the weights file, imported.
    let start = Instant::now();
    let (layers, _) = import::load_weights(&cache_files.model, None)?;
    let density = Density::PerLayer(
        layers
            .iter()
            .map(|l| {
                let kept = l.weight.iter().filter(|&&w| w != 0.0).count();
                (l.name.clone(), (kept as f64 / l.weight.len() as f64) as f32)
            })
            .collect(),
    );
    let calibration: Vec<Vec<f32>> = (0..split.train.len())
        .step_by(opts.calibration_every)
        .map(|i| split.train.image(i).to_vec())
        .collect();
    let compress_opts = CompressOptions {
        density,
        bits: opts.config.bits,
        num_pes: opts.num_pes,
        relu_last: false,
        calibration: Some(calibration),
        input_frac: None,
    };
    let (model, report) = compress(&layers, &compress_opts, ui.progress())?;
    // Deep Compression's own storage figure has no interleaving over PEs: the same
    // compression for one PE, where the per-PE column pointers are stored once.
    let one_pe = CompressOptions {
        num_pes: 1,
        ..compress_opts.clone()
    };
    let (_, storage) = compress(&layers, &one_pe, &crate::compress::NoProgress)?;
    std::fs::create_dir_all(&opts.out_dir).map_err(|e| TrainError::io(&opts.out_dir, e))?;
    let image_path = opts.out_dir.join("lenet-300-100.eie");
    model.write(&image_path)?;
    // The image is how a model travels: everything below runs on what was read back.
    let model = Model::read(&image_path)?;
    let compress_seconds = start.elapsed().as_secs_f64();

    let chosen = spread(split.test.len(), opts.limit.unwrap_or(usize::MAX));
    let tested = subset(&split.test, &chosen);
    let trained_mlp = Mlp::from_dense_layers(&trained.layers)?;
    let trained_predictions: Vec<usize> = trained_mlp
        .predict(&Tensors::new(&tested)?)?
        .into_iter()
        .map(|p| p as usize)
        .collect();

    let start = Instant::now();
    let progress = ui.progress();
    progress.begin(tested.len() as u64);
    let runs: Vec<(usize, Vec<i16>, Vec<i16>)> = (0..tested.len())
        .into_par_iter()
        .map(|i| {
            progress.step("float and fixed-point references");
            let x = tested.image(i);
            let float = run_float(&model, x)?;
            let q = model.quantize_input(x)?;
            let fixed = run_fixed(&model, &q)?;
            Ok((argmax(&float), q, fixed))
        })
        .collect::<crate::Result<_>>()?;
    progress.end();
    let references_seconds = start.elapsed().as_secs_f64();
    let float_predictions: Vec<usize> = runs.iter().map(|r| r.0).collect();
    let fixed_predictions: Vec<usize> = runs.iter().map(|r| argmax(&r.2)).collect();
    let labels: Vec<usize> = tested.labels.iter().map(|&l| usize::from(l)).collect();

    let inputs: Vec<Vec<i16>> = runs.iter().map(|r| r.1.clone()).collect();
    let start = Instant::now();
    let (rtl, rtl_predictions) = match rtl_outputs(&model, &inputs, ui.progress()) {
        Ok(run) => {
            let seconds = start.elapsed().as_secs_f64();
            let result = compare_rtl(&run, &runs, &labels, seconds)?;
            let predictions: Vec<usize> = run.outputs.iter().map(|y| argmax(y)).collect();
            (result, Some(predictions))
        }
        Err(e) => (RtlResult::Failed(e.to_string()), None),
    };

    let (engine, shown) = match &rtl_predictions {
        Some(p) => ("simulated EIE (RTL)", p),
        None => ("EIE fixed-point reference", &fixed_predictions),
    };
    let picture_path = opts.out_dir.join("digits.png");
    let tiles = pick_tiles(&tested, shown);
    picture::write_png(
        &picture_path,
        &tiles,
        &format!("LeNet-300-100, 4-bit codes, {engine}: green right, red wrong"),
    )?;
    ui.note(&format!(
        "wrote '{}' and '{}'",
        image_path.display(),
        picture_path.display()
    ));

    Ok(Outcome {
        split_sizes: (split.train.len(), split.test.len()),
        tested: tested.len(),
        trained_accuracy: fraction_equal(&trained_predictions, &labels),
        float_accuracy: fraction_equal(&float_predictions, &labels),
        float_disagreements: float_predictions
            .iter()
            .zip(&trained_predictions)
            .filter(|(a, b)| a != b)
            .count(),
        fixed_accuracy: fraction_equal(&fixed_predictions, &labels),
        rtl,
        fmax_mhz: opts.fmax_mhz,
        files: Files {
            weights: cache_files.model,
            dense_weights: cache_files.dense,
            image: image_path,
            picture: picture_path,
        },
        timings: Timings {
            data: data_seconds,
            training: trained.record.seconds.total(),
            trained_now,
            compress: compress_seconds,
            references: references_seconds,
        },
        record: trained.record,
        report,
        storage,
    })
}

fn fraction_equal(predicted: &[usize], labels: &[usize]) -> f64 {
    let right = predicted.iter().zip(labels).filter(|(p, l)| p == l).count();
    right as f64 / labels.len().max(1) as f64
}

fn subset(set: &Dataset, chosen: &[usize]) -> Dataset {
    let mut out = Dataset::default();
    for &i in chosen {
        out.images.extend_from_slice(set.image(i));
        out.labels.push(set.labels[i]);
        out.origin.push(set.origin[i]);
    }
    out
}

fn compare_rtl(
    run: &RtlRun,
    references: &[(usize, Vec<i16>, Vec<i16>)],
    labels: &[usize],
    seconds: f64,
) -> Result<RtlResult> {
    if run.outputs.len() != references.len() || run.cycles.len() != references.len() {
        return Err(TrainError::options(format!(
            "the simulated accelerator returned {} outputs and {} cycle counts for {} inputs",
            run.outputs.len(),
            run.cycles.len(),
            references.len()
        )));
    }
    let mismatches = run
        .outputs
        .iter()
        .zip(references)
        .filter(|(y, r)| **y != r.2)
        .count();
    let predictions: Vec<usize> = run.outputs.iter().map(|y| argmax(y)).collect();
    let class_mismatches = predictions
        .iter()
        .zip(references)
        .filter(|(p, r)| **p != argmax(&r.2))
        .count();
    let min = run.cycles.iter().copied().min().unwrap_or(0);
    let max = run.cycles.iter().copied().max().unwrap_or(0);
    let mean = run.cycles.iter().sum::<u64>() as f64 / run.cycles.len().max(1) as f64;
    Ok(RtlResult::Ran {
        accuracy: fraction_equal(&predictions, labels),
        mismatches,
        class_mismatches,
        cycles: (min, mean, max),
        num_pes: run.num_pes,
        seconds,
    })
}

/// The first tested digit of each class, then up to six the engine got wrong.
fn pick_tiles<'a>(tested: &'a Dataset, predicted: &[usize]) -> Vec<Tile<'a>> {
    let mut picks: Vec<usize> = (0..data::CLASSES as u8)
        .filter_map(|c| tested.labels.iter().position(|&l| l == c))
        .collect();
    picks.extend(
        (0..tested.len())
            .filter(|&i| predicted[i] != usize::from(tested.labels[i]))
            .take(6),
    );
    picks
        .into_iter()
        .map(|i| Tile {
            pixels: tested.image(i),
            label: tested.labels[i],
            predicted: predicted[i] as u8,
        })
        .collect()
}

fn percent(x: f64) -> String {
    format!("{:6.2} %", 100.0 * x)
}

/// A fraction as a percentage with at most one decimal, without a trailing `.0`: 0.06 is
/// `6`, 0.065 is `6.5`.
fn percent_short(x: f64) -> String {
    let text = format!("{:.1}", 100.0 * x);
    match text.strip_suffix(".0") {
        Some(whole) => whole.to_owned(),
        None => text,
    }
}

/// The summary as text: accuracy after each stage, densities, compression, performance and
/// timings, each next to the project's goal.
pub fn render(o: &Outcome) -> String {
    let r = &o.record;
    let a = &r.accuracy;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "LeNet-300-100 on MNIST ({}: {} training / {} test digits, test = digit i of each class \
         with i % {} == {}); {} test digits run through the image",
        data::PACKAGE,
        o.split_sizes.0,
        o.split_sizes.1,
        data::TEST_EVERY,
        data::TEST_EVERY - 1,
        o.tested
    );
    let _ = writeln!(s);
    let densities: Vec<String> = r
        .config
        .densities
        .iter()
        .map(|&d| percent_short(d))
        .collect();
    let mut rows: Vec<(String, String)> = vec![
        ("dense float (f32)".into(), percent(a.dense)),
        (
            format!("pruned to {} % + retrained (f32)", densities.join("/")),
            percent(a.pruned),
        ),
        (
            format!("weight-shared, {} bits (f32)", r.config.bits),
            percent(a.shared),
        ),
        ("+ centroid fine-tuning (f32)".into(), percent(a.fine_tuned)),
    ];
    let subset = o.tested != o.split_sizes.1;
    if subset {
        rows.push((
            "  the same, on the tested digits only".into(),
            percent(o.trained_accuracy),
        ));
    }
    rows.push((
        "EIE image, float reference".into(),
        format!(
            "{}   ({} of {} predictions differ from the trained model)",
            percent(o.float_accuracy),
            o.float_disagreements,
            o.tested
        ),
    ));
    rows.push((
        "EIE image, fixed-point reference (int16)".into(),
        percent(o.fixed_accuracy),
    ));
    match &o.rtl {
        RtlResult::Ran {
            accuracy,
            mismatches,
            class_mismatches,
            ..
        } => rows.push((
            "simulated EIE (RTL)".into(),
            format!(
                "{}   ({mismatches} of {} outputs differ from the fixed-point reference, \
                 {class_mismatches} predictions)",
                percent(*accuracy),
                o.tested
            ),
        )),
        RtlResult::Failed(why) => {
            rows.push(("simulated EIE (RTL)".into(), format!("failed: {why}")))
        }
    }
    let width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let _ = writeln!(s, "{:width$}  test accuracy", "stage");
    for (name, value) in &rows {
        let _ = writeln!(s, "{name:width$}  {value}");
    }
    let (last_name, last) = match &o.rtl {
        RtlResult::Ran { accuracy, .. } => ("RTL", *accuracy),
        RtlResult::Failed(_) => ("fixed-point reference", o.fixed_accuracy),
    };
    if subset {
        let _ = writeln!(
            s,
            "accuracy change on the tested digits, fine-tuned f32 model -> {last_name}: {:+.2} \
             points (the goal, within 0.3 of the dense float model, needs the whole test split)",
            100.0 * (last - o.trained_accuracy)
        );
    } else {
        let _ = writeln!(
            s,
            "accuracy change, dense float -> {last_name}: {:+.2} points (goal: within 0.3)",
            100.0 * (last - a.dense)
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "layer  shape       density trained / in image (goal: the paper's)   shared weights"
    );
    for (l, layer) in o.report.layers.iter().enumerate() {
        let trained = r.densities.get(l).copied().unwrap_or(f64::NAN);
        let goal = PAPER_DENSITIES.get(l).copied().unwrap_or(f64::NAN);
        let _ = writeln!(
            s,
            "{:6} {:>4}x{:<4}   {:6.2} % / {:6.2} %  (<= {:.0} %)                  {}",
            layer.name,
            layer.cols,
            layer.rows,
            100.0 * trained,
            100.0 * layer.density,
            100.0 * goal,
            layer.codes_used
        );
    }
    for (what, rep) in [
        (
            "model (1 PE, Deep Compression's storage)".to_string(),
            &o.storage,
        ),
        (format!("image for {} PEs", o.report.num_pes), &o.report),
    ] {
        let _ = writeln!(
            s,
            "compression, {what}: {} bytes dense f32 -> {} bytes ({:.1}x), {} bytes with \
             Huffman coding ({:.1}x; goal >= 40x)",
            rep.dense_bytes, rep.stored_bytes, rep.ratio, rep.huffman_bytes, rep.huffman_ratio
        );
    }
    match &o.rtl {
        RtlResult::Ran {
            cycles: (min, mean, max),
            num_pes,
            seconds,
            ..
        } => {
            let speed = match o.fmax_mhz {
                Some(f) => format!("{:.0} inferences/s at {f} MHz", f * 1e6 / mean),
                None => "inferences/s: give --fmax-mhz (the FPGA build's Fmax)".into(),
            };
            let _ = writeln!(
                s,
                "performance ({num_pes} PEs): {mean:.0} cycles per inference (min {min}, max \
                 {max}); {speed}; simulation took {seconds:.1} s"
            );
        }
        RtlResult::Failed(_) => {
            let _ = writeln!(
                s,
                "performance: needs the simulated accelerator (cycle counts)"
            );
        }
    }
    let t = &o.timings;
    let training = if t.trained_now {
        format!("{:.1} s", t.training)
    } else {
        format!("{:.1} s when trained (cached now)", t.training)
    };
    let _ = writeln!(
        s,
        "time: data {:.1} s, training {training}, compression {:.2} s; training + compression \
         {:.1} s (goal < 300 s); references over the test digits {:.2} s",
        t.data,
        t.compress,
        t.training + t.compress,
        t.references
    );
    let _ = writeln!(
        s,
        "files: weights '{}' (dense: '{}'), image '{}', picture '{}'",
        o.files.weights.display(),
        o.files.dense_weights.display(),
        o.files.image.display(),
        o.files.picture.display()
    );
    s
}

/// The cache directory used when none is given: `$EIE_CACHE_DIR`, else the workspace's
/// `.cache` (which git ignores).
pub fn default_cache_dir() -> PathBuf {
    match std::env::var_os("EIE_CACHE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let host = Path::new(env!("CARGO_MANIFEST_DIR"));
            host.parent().unwrap_or(host).join(".cache")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_takes_the_first_of_equals() {
        assert_eq!(argmax(&[1, 3, 3, 2]), 1);
        assert_eq!(argmax(&[-1.0, -0.5]), 1);
        assert_eq!(argmax::<i16>(&[]), 0);
    }

    #[test]
    fn default_densities_are_at_or_below_the_papers() {
        let config = Config::default();
        assert_eq!(config.densities.len(), PAPER_DENSITIES.len());
        for (d, paper) in config.densities.iter().zip(PAPER_DENSITIES) {
            assert!(*d > 0.0 && *d <= paper, "{d} against the paper's {paper}");
        }
    }

    #[test]
    fn densities_keep_their_decimal() {
        assert_eq!(percent_short(0.06), "6");
        assert_eq!(percent_short(0.065), "6.5");
        assert_eq!(percent_short(0.25), "25");
        assert_eq!(percent_short(1.0), "100");
    }

    #[test]
    fn spread_is_even_and_bounded() {
        assert_eq!(spread(10, 4), [0, 2, 5, 7]);
        assert_eq!(spread(3, 10), [0, 1, 2]);
        assert_eq!(spread(1996, 1996).len(), 1996);
    }

    #[test]
    fn rtl_results_are_compared_bit_for_bit() {
        let references = vec![
            (0, vec![], vec![5i16, 1, 0]),
            (1, vec![], vec![0, 9, 1]),
            (2, vec![], vec![0, 1, 7]),
        ];
        let labels = [0, 1, 1];
        let run = RtlRun {
            outputs: vec![vec![5, 1, 0], vec![0, 9, 2], vec![0, 6, 7]],
            cycles: vec![100, 120, 110],
            num_pes: 4,
        };
        match compare_rtl(&run, &references, &labels, 1.0).unwrap() {
            RtlResult::Ran {
                accuracy,
                mismatches,
                class_mismatches,
                cycles,
                ..
            } => {
                assert_eq!((mismatches, class_mismatches), (2, 0));
                assert!((accuracy - 2.0 / 3.0).abs() < 1e-12);
                assert_eq!(cycles, (100, 110.0, 120));
            }
            other => panic!("{other:?}"),
        }
        let short = RtlRun {
            outputs: vec![vec![0]],
            ..run
        };
        assert!(compare_rtl(&short, &references, &labels, 1.0).is_err());
    }
}
