//! `eie bench`: the paper's nine benchmark layers (Table III) generated from a fixed seed,
//! compressed with the host pipeline, run on the simulated RTL in the paper's configuration
//! (64 PEs, activation-queue depth 8) and checked bit for bit against the fixed-point
//! reference; the RTL's cycle and starvation counters beside the paper's figures and the
//! limits of the encoding; CPU baselines on this machine in the same run; sweeps of the queue
//! depth and the PE count; JSON, markdown and PNG output.
//!
//! - [`layers`]: the layer table, generation and column batching;
//! - [`rtl`]: builds, runs and counters on the simulated RTL;
//! - [`cpu`]: the CPU baselines;
//! - [`fpga`]: the FPGA build's clock, from the flow's reports;
//! - [`output`]: the markdown tables, the JSON record and the two figures.
//!
//! Memories are loaded through the harness's backdoor (the RAM arrays written directly) so
//! that the large layers load in seconds; one layer per run also goes through the real AXI
//! path on a second simulator, and the two must agree on the outputs, the cycles, every
//! counter and every memory word.

pub mod cpu;
pub mod fpga;
pub mod layers;
pub mod output;
pub mod rtl;

use eie_memmap::Geometry;
use fpga::FpgaClock;
use layers::{LayerSpec, Workload};
use rtl::{Accelerator, LayerRun};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The paper's clock, in MHz.
pub const PAPER_MHZ: f64 = 800.0;
/// The paper's PE count.
pub const PAPER_PES: u32 = 64;
/// The paper's activation-queue depth.
pub const PAPER_QUEUE_DEPTH: u32 = 8;

/// Why a benchmark run failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The host library refused something (compression, encoding, the reference model).
    #[error(transparent)]
    Host(#[from] crate::Error),
    /// The simulated RTL failed to build, load or run.
    #[error("simulated RTL: {0}")]
    Rtl(String),
    /// Two things that must agree do not: the RTL and the reference, the AXI and the backdoor
    /// loads, the dense and the sparse CPU products.
    #[error("mismatch: {0}")]
    Mismatch(String),
    /// The options or the inputs cannot be used.
    #[error("bench: {0}")]
    Config(String),
    /// A file could not be read or written.
    #[error("'{path}': {source}", path = .0.display(), source = .1)]
    Io(PathBuf, std::io::Error),
    /// A figure could not be drawn.
    #[error("figure '{path}': {reason}", path = .0.display(), reason = .1)]
    Plot(PathBuf, String),
}

/// The benchmark's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where the FPGA build's clock comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum FpgaSource {
    /// Given by hand.
    Given(FpgaClock),
    /// The newest reports of the bitstream flow in this folder (`results/bitstream`).
    Reports(PathBuf),
}

/// What to run.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// The layers.
    pub layers: Vec<LayerSpec>,
    /// Seed of the weights and inputs.
    pub seed: u64,
    /// PEs of the main configuration.
    pub num_pes: u32,
    /// Queue depth of the main configuration.
    pub queue_depth: u32,
    /// Queue depths of the load-balance sweep (at `num_pes` PEs).
    pub queue_depths: Vec<u32>,
    /// PE counts of the speed-up sweep (at `queue_depth`).
    pub pe_counts: Vec<u32>,
    /// The layer that also goes through the AXI path (`None`: none).
    pub axi_layer: Option<String>,
    /// Least time each CPU baseline runs for.
    pub cpu_min_time: Duration,
    /// The FPGA build's clock.
    pub fpga: FpgaSource,
    /// Run the FPGA build's PE count too (if it is not in `pe_counts`), for its time column.
    pub run_fpga_pes: bool,
    /// Marks a CI-sized run in the record.
    pub quick: bool,
}

impl Options {
    /// The full benchmark: the nine layers, 64 PEs, queue depths 1..32, PE counts 1..256.
    pub fn full(fpga: FpgaSource) -> Options {
        Options {
            layers: layers::table_iii(),
            seed: 2016,
            num_pes: PAPER_PES,
            queue_depth: PAPER_QUEUE_DEPTH,
            queue_depths: vec![1, 2, 4, 8, 16, 32],
            pe_counts: vec![1, 2, 4, 8, 16, 32, 64, 128, 256],
            axi_layer: Some("NT-LSTM".to_string()),
            cpu_min_time: Duration::from_millis(300),
            fpga,
            run_fpga_pes: true,
            quick: false,
        }
    }

    /// A run for CI: NT-We scaled down by 8 (512 inputs, 75 outputs) on 4 PEs at queue depth
    /// 8, one point per sweep, the AXI check on that layer.
    pub fn quick(fpga: FpgaSource) -> Options {
        let layer = layers::table_iii()[6].scaled(8);
        Options {
            axi_layer: Some(layer.name.clone()),
            layers: vec![layer],
            num_pes: 4,
            queue_depths: vec![PAPER_QUEUE_DEPTH],
            pe_counts: vec![4],
            cpu_min_time: Duration::from_millis(20),
            run_fpga_pes: false,
            quick: true,
            ..Options::full(fpga)
        }
    }

    fn check(&self) -> Result<()> {
        if self.layers.is_empty() {
            return Err(Error::Config("no layers to run".into()));
        }
        let pes = self.pe_counts.iter().chain([&self.num_pes]);
        if let Some(n) = pes.clone().find(|n| !n.is_power_of_two() || **n > 256) {
            return Err(Error::Config(format!(
                "PE count {n}: the RTL takes a power of two from 1 to 256"
            )));
        }
        let depths = self.queue_depths.iter().chain([&self.queue_depth]);
        if let Some(q) = depths.clone().find(|q| !(1..=64).contains(*q)) {
            return Err(Error::Config(format!(
                "queue depth {q}: the RTL takes 1 to 64"
            )));
        }
        if let Some(name) = &self.axi_layer {
            if !self.layers.iter().any(|l| &l.name == name) {
                return Err(Error::Config(format!(
                    "the AXI check's layer '{name}' is not among the layers run"
                )));
            }
        }
        Ok(())
    }
}

/// The machine the run was on.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Machine {
    /// CPU model, from `/proc/cpuinfo`.
    pub cpu: String,
    /// Hardware threads.
    pub threads: usize,
}

impl Machine {
    fn this() -> Machine {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split(':').nth(1))
                    .map(|m| m.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".to_string());
        Machine {
            cpu,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// One layer in the main configuration, with its CPU baselines.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LayerResult {
    /// The layer and the paper's figures.
    pub spec: LayerSpec,
    /// Weights kept (bias excluded).
    pub weights: u64,
    /// Weights kept over inputs x outputs.
    pub weight_density: f64,
    /// Non-zero inputs.
    pub nonzero_inputs: usize,
    /// The RTL run in the main configuration.
    pub rtl: LayerRun,
    /// The RTL's time at the paper's 800 MHz, in microseconds.
    pub us_at_800mhz: f64,
    /// The RTL's time on the FPGA build's PE count at its clock, in microseconds.
    pub fpga_us: Option<f64>,
    /// CPU baselines on this machine.
    pub cpu: cpu::CpuTimes,
}

impl LayerResult {
    /// Load-balance efficiency at or above the paper's ideal-over-actual ratio (`None` for a
    /// scaled-down layer, to which the paper's figures do not apply).
    pub fn meets_load_goal(&self) -> Option<bool> {
        (self.spec.scale_down == 1)
            .then(|| self.rtl.load_efficiency >= self.spec.paper_ideal_over_actual())
    }

    /// Cycles at or below the paper's (`None` for a scaled-down layer).
    pub fn meets_cycle_goal(&self) -> Option<bool> {
        (self.spec.scale_down == 1).then(|| self.rtl.cycles as f64 <= self.spec.paper_cycles())
    }
}

/// One point of a sweep: every layer on one build.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SweepPoint {
    /// The build.
    pub geometry: Geometry,
    /// Seconds to get the simulator (a Verilator build the first time, else the cache).
    pub build_s: f64,
    /// Seconds of the runs.
    pub run_s: f64,
    /// Every layer.
    pub runs: Vec<LayerRun>,
}

/// The AXI check: one layer loaded over the bus on a second simulator.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct AxiCheck {
    /// The layer.
    pub layer: String,
    /// The build.
    pub geometry: Geometry,
    /// Seconds the driver took to load the layer over AXI.
    pub axi_load_s: f64,
    /// Seconds it took through the backdoor.
    pub backdoor_load_s: f64,
    /// 32-bit pointer and sparse-matrix words compared.
    pub words_compared: u64,
    /// Outputs, cycles, every PE counter and every word agreed (the run fails otherwise).
    pub agree: bool,
}

/// Wall-clock seconds of the parts of a run.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Timing {
    /// Generating and compressing the layers.
    pub generate_s: f64,
    /// The CPU baselines.
    pub cpu_s: f64,
    /// Encoding for each PE count.
    pub encode_s: f64,
    /// Getting the simulators (Verilator builds when not cached).
    pub build_s: f64,
    /// Loading and running on the simulated RTL (the AXI check included).
    pub rtl_s: f64,
    /// Everything.
    pub total_s: f64,
}

/// Everything a run measured.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Report {
    /// A CI-sized run.
    pub quick: bool,
    /// Seed of the weights and inputs.
    pub seed: u64,
    /// This machine.
    pub machine: Machine,
    /// CRC-32 of the RTL sources embedded in the simulator (identifies the RTL measured).
    pub rtl_crc32: String,
    /// The main configuration's PEs.
    pub num_pes: u32,
    /// The main configuration's queue depth.
    pub queue_depth: u32,
    /// The FPGA build's clock and PEs, if known.
    pub fpga: Option<FpgaClock>,
    /// The layers in the main configuration.
    pub layers: Vec<LayerResult>,
    /// The AXI check.
    pub axi_check: Option<AxiCheck>,
    /// Queue-depth sweep at the main PE count.
    pub queue_sweep: Vec<SweepPoint>,
    /// PE-count sweep at the main queue depth.
    pub pe_sweep: Vec<SweepPoint>,
    /// Where the time went.
    pub timing: Timing,
}

impl Report {
    /// The sweep point for `num_pes` PEs at queue depth `depth`, if it ran.
    pub fn point(&self, num_pes: u32, depth: u32) -> Option<&SweepPoint> {
        self.queue_sweep
            .iter()
            .chain(&self.pe_sweep)
            .find(|p| p.geometry.num_pes == num_pes && p.geometry.queue_depth == depth)
    }
}

/// CRC-32 of every RTL file the simulator embeds, names and contents, in compile order.
fn rtl_identity() -> Result<String> {
    let design =
        eie_bitstream::Design::eie(&Geometry::SMALL).map_err(|e| Error::Rtl(e.to_string()))?;
    let mut digest = eie_memmap::image::CRC32.digest();
    for source in design.sources.iter().filter(|s| !s.name.ends_with(".vlt")) {
        digest.update(source.name.as_bytes());
        digest.update(&(source.contents.len() as u64).to_le_bytes());
        digest.update(&source.contents);
    }
    Ok(format!("{:08x}", digest.finalize()))
}

/// Runs the benchmark. `log` hears what is going on (the library never prints).
pub fn run(opts: &Options, log: &dyn Fn(&str)) -> Result<Report> {
    opts.check()?;
    let started = Instant::now();
    let mut timing = Timing::default();
    let fpga = match &opts.fpga {
        FpgaSource::Given(c) => Some(c.clone()),
        FpgaSource::Reports(dir) => fpga::from_reports(dir)?,
    };

    let mut workloads: Vec<Workload> = Vec::new();
    let mut cpu_times = Vec::new();
    for (i, spec) in opts.layers.iter().enumerate() {
        log(&format!(
            "{}: generating {} x {} ({}% weights, {}% activations), pruning, k-means",
            spec.name,
            spec.inputs,
            spec.outputs,
            spec.weight_density * 100.0,
            spec.act_density * 100.0
        ));
        let t = Instant::now();
        let (w, one_pe) = layers::generate(spec, opts.seed, i as u64)?;
        timing.generate_s += t.elapsed().as_secs_f64();
        log(&format!("{}: CPU baselines", spec.name));
        let t = Instant::now();
        cpu_times.push(cpu::baselines(&w, &one_pe, opts.cpu_min_time)?);
        timing.cpu_s += t.elapsed().as_secs_f64();
        workloads.push(w);
    }

    // Which builds run: the queue sweep at the main PE count, the PE sweep (and the FPGA's PE
    // count) at the main depth.
    let mut points: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    let mut add = |n: u32, q: u32| {
        let depths = points.entry(n).or_default();
        if !depths.contains(&q) {
            depths.push(q);
        }
    };
    add(opts.num_pes, opts.queue_depth);
    opts.queue_depths.iter().for_each(|&q| add(opts.num_pes, q));
    opts.pe_counts
        .iter()
        .for_each(|&n| add(n, opts.queue_depth));
    if let (true, Some(f)) = (opts.run_fpga_pes, &fpga) {
        add(f.num_pes, opts.queue_depth);
    }

    let mut results: BTreeMap<(u32, u32), SweepPoint> = BTreeMap::new();
    let mut axi_check = None;
    for (&n, depths) in &points {
        log(&format!("{n} PEs: encoding"));
        let t = Instant::now();
        let batches = workloads
            .iter()
            .map(|w| layers::encode_batches(w, n))
            .collect::<Result<Vec<_>>>()?;
        timing.encode_s += t.elapsed().as_secs_f64();
        let needs: Vec<_> = batches
            .iter()
            .flatten()
            .map(|b| b.model.header.needs)
            .collect();
        for &q in depths {
            let geometry = rtl::geometry_for(n, q, &needs);
            log(&format!(
                "{n} PEs, queue depth {q}: simulator ({} words, {} pointers, {} activations per PE)",
                geometry.spmat_words, geometry.ptr_entries, geometry.act_entries
            ));
            let t = Instant::now();
            let mut acc = Accelerator::new(&geometry, true)?;
            let build_s = t.elapsed().as_secs_f64();
            timing.build_s += build_s;
            let t = Instant::now();
            let mut runs = Vec::new();
            for (w, layer_batches) in workloads.iter().zip(&batches) {
                let name = &w.spec.name;
                let run = rtl::run_layer(&mut acc, layer_batches, name)?;
                log(&format!(
                    "{n} PEs, queue depth {q}: {name}: {} cycles in {} batch(es), load efficiency {:.3}, bit-exact",
                    run.cycles, run.batches, run.load_efficiency
                ));
                runs.push(run);
                let main = n == opts.num_pes && q == opts.queue_depth;
                if main && opts.axi_layer.as_deref() == Some(name.as_str()) {
                    log(&format!("{name}: loading over AXI on a second simulator"));
                    axi_check = Some(check_axi(&mut acc, &geometry, layer_batches, name)?);
                }
            }
            let run_s = t.elapsed().as_secs_f64();
            timing.rtl_s += run_s;
            results.insert(
                (n, q),
                SweepPoint {
                    geometry,
                    build_s,
                    run_s,
                    runs,
                },
            );
        }
    }

    let main = &results[&(opts.num_pes, opts.queue_depth)];
    let fpga_runs = fpga
        .as_ref()
        .and_then(|f| results.get(&(f.num_pes, opts.queue_depth)));
    let layer_results = workloads
        .iter()
        .zip(cpu_times)
        .zip(&main.runs)
        .enumerate()
        .map(|(i, ((w, cpu), run))| {
            let weights = w.weights();
            LayerResult {
                spec: w.spec.clone(),
                weights,
                weight_density: weights as f64 / (w.codes.rows * w.codes.cols) as f64,
                nonzero_inputs: w.nonzero_inputs(),
                rtl: run.clone(),
                us_at_800mhz: run.cycles as f64 / PAPER_MHZ,
                fpga_us: fpga
                    .as_ref()
                    .zip(fpga_runs)
                    .map(|(f, p)| p.runs[i].cycles as f64 / f.mhz),
                cpu,
            }
        })
        .collect();
    let queue_sweep = opts
        .queue_depths
        .iter()
        .filter_map(|&q| results.get(&(opts.num_pes, q)).cloned())
        .collect();
    let pe_sweep = opts
        .pe_counts
        .iter()
        .filter_map(|&n| results.get(&(n, opts.queue_depth)).cloned())
        .collect();
    timing.total_s = started.elapsed().as_secs_f64();
    Ok(Report {
        quick: opts.quick,
        seed: opts.seed,
        machine: Machine::this(),
        rtl_crc32: rtl_identity()?,
        num_pes: opts.num_pes,
        queue_depth: opts.queue_depth,
        fpga,
        layers: layer_results,
        axi_check,
        queue_sweep,
        pe_sweep,
        timing,
    })
}

/// Loads and runs each batch of a layer over AXI on a fresh simulator of the same build, and
/// again through `acc`'s backdoor; both must agree on the outputs, the cycles, every PE
/// counter, and every pointer and sparse-matrix word of the batch.
///
/// The AXI simulator lives and dies on a thread of its own: Verilator keeps a per-thread
/// "current context" that a model's destructor uses, so a model must not outlive, on its
/// thread, a model created after it.
fn check_axi(
    acc: &mut Accelerator,
    geometry: &Geometry,
    batches: &[layers::Batch],
    name: &str,
) -> Result<AxiCheck> {
    let what = |b: usize| format!("{name} batch {b}");
    let mut by_backdoor = Vec::new();
    for (b, batch) in batches.iter().enumerate() {
        let run = acc.run(&batch.model, &batch.input, &what(b))?;
        by_backdoor.push((run, acc.memory_of(&batch.model)?));
    }
    let by_axi = std::thread::scope(|scope| {
        scope
            .spawn(|| -> Result<Vec<_>> {
                let mut axi = Accelerator::new(geometry, false)?;
                let mut runs = Vec::new();
                for (b, batch) in batches.iter().enumerate() {
                    let run = axi.run(&batch.model, &batch.input, &what(b))?;
                    axi.set_backdoor(true)?;
                    let words = axi.memory_of(&batch.model)?;
                    axi.set_backdoor(false)?;
                    runs.push((run, words));
                }
                Ok(runs)
            })
            .join()
            .map_err(|_| Error::Rtl("the AXI check's simulator thread panicked".into()))?
    })?;
    let mut check = AxiCheck {
        layer: name.to_string(),
        geometry: *geometry,
        axi_load_s: 0.0,
        backdoor_load_s: 0.0,
        words_compared: 0,
        agree: true,
    };
    for (b, ((axi, words_axi), (bd, words_bd))) in by_axi.iter().zip(&by_backdoor).enumerate() {
        check.axi_load_s += axi.load_s;
        check.backdoor_load_s += bd.load_s;
        check.words_compared += words_axi.len() as u64;
        let same = |what: &str, equal: bool| match equal {
            true => Ok(()),
            false => Err(Error::Mismatch(format!(
                "{name} batch {b}: the AXI and the backdoor loads give different {what}"
            ))),
        };
        same("outputs", axi.output == bd.output)?;
        same("cycle counts", axi.cycles == bd.cycles)?;
        same("PE counters", axi.counters == bd.counters)?;
        same("memory contents", words_axi == words_bd)?;
    }
    Ok(check)
}
