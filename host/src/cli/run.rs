//! `eie run`: loads an image into the accelerator (the simulated RTL through the driver, or
//! the firmware on the simulated SoC or a board over its link), runs every input vector, writes
//! the outputs and checks them against the fixed-point reference.

use super::{emit, json, print_firmware_logs, Bar, Failure};
use eie::compress::Progress;
use eie::model::Model;
use eie::npy;
use eie::reference::run_fixed;
use eie::target::{
    sim_geometry, Inference, Latency, RemoteTarget, SimTarget, SocSimOptions, TargetSpec,
};
use eie_bitstream::SimConfig;
use eie_firmware::PeCounters;
use serde::Serialize;
use std::path::PathBuf;

/// Where and how the SoC simulation starts (for `--target soc-sim`).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct SocArgs {
    /// Firmware ROM image for soc-sim (default: `.cache/soc/sim/eie-fw.bin`).
    #[arg(long)]
    pub firmware: Option<PathBuf>,
    /// SoC build folder for soc-sim (default: `$EIE_SOC_BUILD` or `.cache/soc/sim`).
    #[arg(long)]
    pub soc_build: Option<PathBuf>,
    /// Firmware ELF whose defmt table decodes the firmware's log records (printed on standard
    /// error); soc-sim default: the `.elf` beside the ROM image. Without one they are counted.
    #[arg(long)]
    pub elf: Option<PathBuf>,
}

impl SocArgs {
    /// The options these arguments choose.
    pub fn options(&self) -> SocSimOptions {
        let mut opts = SocSimOptions::default();
        if let Some(build) = &self.soc_build {
            opts.firmware = build.join("eie-fw.bin");
            opts.build = build.clone();
        }
        if let Some(fw) = &self.firmware {
            opts.firmware = fw.clone();
        }
        opts.elf = self.elf.clone();
        opts
    }
}

/// The target `eie run` drives.
enum Runner {
    Sim(Box<SimTarget>),
    Remote(Box<RemoteTarget>),
}

impl Runner {
    fn infer(&mut self, x: &[i16]) -> Result<(Inference, Option<Latency>), Failure> {
        Ok(match self {
            Runner::Sim(t) => (t.infer(x)?, None),
            Runner::Remote(t) => {
                let (inference, latency) = t.infer(x)?;
                (inference, Some(latency))
            }
        })
    }

    /// The firmware's log records received so far, on standard error.
    fn report_logs(&mut self) {
        if let Runner::Remote(t) = self {
            print_firmware_logs(t);
        }
    }

    fn pe_counters(&mut self) -> Result<Vec<PeCounters>, Failure> {
        Ok(match self {
            Runner::Sim(t) => t.pe_counters()?,
            Runner::Remote(t) => t.pe_counters()?,
        })
    }
}

/// Run an image on the accelerator and check it bit for bit against the reference.
#[derive(clap::Args)]
pub struct Args {
    /// The image.
    image: PathBuf,
    /// Inputs: .npy of shape [in] or [batch, in]; floats, or int16 already in the model's
    /// input format.
    #[arg(long)]
    input: PathBuf,
    /// Outputs to write: .npy of shape [batch, out].
    #[arg(short, long)]
    output: PathBuf,
    /// Where to run: `sim` (the RTL through the driver), `soc-sim` (the simulated SoC running
    /// the firmware), `serial:<port>[@baud]` (a board), `tcp:<host>:<port>` (a UART on a socket).
    #[arg(long, default_value = "sim")]
    target: TargetSpec,
    #[command(flatten)]
    soc: SocArgs,
    /// PE count of the simulated build (sim only; default: the image's; another must refuse
    /// the image).
    #[arg(long)]
    pes: Option<u32>,
    /// Write int16 values instead of real numbers.
    #[arg(long)]
    raw: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    /// Randomise the AXI master's timing with this seed.
    #[arg(long)]
    axi_seed: Option<u64>,
}

/// Mean round trip of one inference over the link, in firmware timer ticks (CPU cycles).
#[derive(Serialize)]
struct MeanLatency {
    timer_hz: u32,
    uart_in: u64,
    uart_out: u64,
    firmware: u64,
    driver_run: u64,
    accelerator: u64,
    total: u64,
}

/// What one `eie run` did.
#[derive(Serialize)]
struct Summary {
    target: String,
    geometry: eie_memmap::Geometry,
    inputs: usize,
    output_len: u32,
    /// Cycles of each layer, summed over the inputs.
    layer_cycles: Vec<u64>,
    /// Cycles of a whole run, per input.
    cycles: Vec<u32>,
    /// Cycles each PE's arithmetic unit did work, over the last run.
    pe_busy: Vec<u32>,
    /// Busy cycles over run cycles, per PE, for the last run.
    pe_utilisation: Vec<f64>,
    /// True when every output equals the fixed-point reference.
    matches_reference: bool,
    /// Over a link: where the time of an inference went (mean over the inputs).
    latency: Option<MeanLatency>,
}

impl Args {
    /// Runs the command.
    pub fn run(self) -> Result<(), Failure> {
        let image = std::fs::read(&self.image)
            .map_err(|e| Failure::new(format!("'{}': {e}", self.image.display())))?;
        let model = Model::from_image(&image).map_err(|e| e.with_path(&self.image))?;
        let inputs = super::inputs(&model, npy::read_batch(&self.input)?)?.fixed;
        let bar = Bar::new();
        let (mut target, geometry, timer_hz) = match &self.target {
            TargetSpec::Sim => {
                let geometry = sim_geometry(&model.header.needs, self.pes);
                let config = SimConfig {
                    seed: self.axi_seed.unwrap_or(0),
                    axi_delays: self.axi_seed.is_some(),
                    ..SimConfig::new(geometry)
                };
                bar.begin(inputs.len() as u64 + 1);
                bar.step("building and loading the simulated accelerator");
                let mut target = SimTarget::new(&config)?;
                target.load(&image)?;
                (Runner::Sim(Box::new(target)), geometry, 0)
            }
            spec => {
                if self.pes.is_some() || self.axi_seed.is_some() {
                    return Err(Failure::new(format!(
                        "--pes and --axi-seed apply to the sim target, not {spec}"
                    )));
                }
                bar.spin(&format!("connecting to {spec}"));
                let mut target = RemoteTarget::connect(spec, &self.soc.options())?;
                let geometry = *target.geometry();
                let timer_hz = target.identity().timer_hz;
                bar.end();
                print_firmware_logs(&mut target);
                let upload = upload_bar(image.len() as u64);
                let loaded = target.load(&image, &mut |n| upload.set_position(n));
                upload.finish_and_clear();
                loaded?;
                bar.begin(inputs.len() as u64 + 1);
                (Runner::Remote(Box::new(target)), geometry, timer_hz)
            }
        };
        let mut outputs = Vec::with_capacity(inputs.len());
        let mut summary = Summary {
            target: self.target.to_string(),
            geometry,
            inputs: inputs.len(),
            output_len: model.header.output_len,
            layer_cycles: vec![0; model.layers.len()],
            cycles: Vec::new(),
            pe_busy: Vec::new(),
            pe_utilisation: Vec::new(),
            matches_reference: true,
            latency: None,
        };
        let mut latencies = Vec::new();
        for (n, x) in inputs.iter().enumerate() {
            bar.step(&format!("input {n}"));
            let (run, latency) = target.infer(x)?;
            let expected = run_fixed(&model, x)?;
            if let Some(i) = (0..expected.len()).find(|&i| run.output[i] != expected[i]) {
                return Err(Failure::new(format!(
                    "mismatch: input {n}, output [{i}]: accelerator {}, reference {}",
                    run.output[i], expected[i]
                )));
            }
            if run.output.len() != expected.len() {
                return Err(Failure::new(format!(
                    "mismatch: input {n}: {} outputs, reference {}",
                    run.output.len(),
                    expected.len()
                )));
            }
            for (total, &c) in summary.layer_cycles.iter_mut().zip(&run.stats.layer_cycles) {
                *total += u64::from(c);
            }
            summary.cycles.push(run.stats.cycles);
            latencies.extend(latency);
            outputs.push(run.output);
        }
        summary.latency = mean_latency(&latencies, timer_hz);
        let counters = target.pe_counters()?;
        target.report_logs();
        let last = f64::from(summary.cycles.last().copied().unwrap_or(0).max(1));
        summary.pe_busy = counters.iter().map(|c| c.busy).collect();
        summary.pe_utilisation = counters.iter().map(|c| f64::from(c.busy) / last).collect();
        bar.end();

        if self.raw {
            npy::write_i16(&self.output, &outputs)?;
        } else {
            let real: Vec<Vec<f32>> = outputs.iter().map(|y| model.dequantize_output(y)).collect();
            npy::write_f32(&self.output, &real)?;
        }
        if self.json {
            return emit(&json(&summary)?);
        }
        emit(&render(&summary, &self))
    }
}

fn render(s: &Summary, args: &Args) -> String {
    use std::fmt::Write;
    let g = &s.geometry;
    let mut out = format!(
        "target {}: {} PEs, queue depth {}, {} inputs\n",
        s.target, g.num_pes, g.queue_depth, s.inputs
    );
    let runs = s.inputs.max(1) as u64;
    for (l, c) in s.layer_cycles.iter().enumerate() {
        let _ = writeln!(out, "layer {l}: {} cycles per input (mean)", c / runs);
    }
    let total: u64 = s.cycles.iter().map(|&c| u64::from(c)).sum();
    let _ = writeln!(out, "run: {} cycles per input (mean)", total / runs);
    let u = &s.pe_utilisation;
    if !u.is_empty() {
        let min = u.iter().copied().fold(f64::INFINITY, f64::min);
        let max = u.iter().copied().fold(0.0, f64::max);
        let mean = u.iter().sum::<f64>() / u.len() as f64;
        let _ = writeln!(
            out,
            "PE utilisation (last run): min {:.1}%, mean {:.1}%, max {:.1}%",
            100.0 * min,
            100.0 * mean,
            100.0 * max
        );
    }
    if let Some(l) = &s.latency {
        let _ = writeln!(
            out,
            "round trip per inference (mean, timer cycles at {} Hz): {} = UART in {} + \
             UART out {} (estimated) + firmware {} + driver run {} (accelerator {})",
            l.timer_hz, l.total, l.uart_in, l.uart_out, l.firmware, l.driver_run, l.accelerator
        );
    }
    let _ = writeln!(
        out,
        "outputs equal the fixed-point reference bit for bit\nwrote '{}': [{}, {}] {}",
        args.output.display(),
        s.inputs,
        s.output_len,
        if args.raw { "int16" } else { "f32" }
    );
    out
}

fn mean_latency(all: &[Latency], timer_hz: u32) -> Option<MeanLatency> {
    if all.is_empty() {
        return None;
    }
    let n = all.len() as u64;
    let mean = |f: fn(&Latency) -> u64| all.iter().map(f).sum::<u64>() / n;
    Some(MeanLatency {
        timer_hz,
        uart_in: mean(|l| l.uart_in),
        uart_out: mean(|l| l.uart_out),
        firmware: mean(|l| l.firmware),
        driver_run: mean(|l| l.driver_run),
        accelerator: mean(|l| l.accelerator),
        total: mean(Latency::total),
    })
}

/// A progress bar in bytes for an upload, on standard error (drawn only on a terminal).
pub fn upload_bar(len: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    let style = indicatif::ProgressStyle::with_template(
        "uploading [{elapsed_precise}] {bar:30} {bytes}/{total_bytes} ({bytes_per_sec})",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}
