//! `eie run`: loads an image with the firmware driver into the simulated accelerator, runs
//! every input vector, writes the outputs and checks them against the fixed-point reference.

use super::{emit, json, Bar, Failure};
use eie::compress::Progress;
use eie::model::Model;
use eie::npy;
use eie::reference::run_fixed;
use eie::target::{sim_geometry, SimTarget};
use eie_bitstream::SimConfig;
use serde::Serialize;
use std::path::PathBuf;

/// Where the image runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Target {
    /// The RTL simulated by Verilator, loaded by the firmware driver over AXI4-Lite.
    Sim,
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
    /// Where to run.
    #[arg(long, value_enum, default_value_t = Target::Sim)]
    target: Target,
    /// PE count of the simulated build (default: the image's; another must refuse the image).
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

/// What one `eie run` did.
#[derive(Serialize)]
struct Summary {
    target: &'static str,
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
}

impl Args {
    /// Runs the command.
    pub fn run(self) -> Result<(), Failure> {
        let image = std::fs::read(&self.image)
            .map_err(|e| Failure::new(format!("'{}': {e}", self.image.display())))?;
        let model = Model::from_image(&image).map_err(|e| e.with_path(&self.image))?;
        let inputs = super::inputs(&model, npy::read_batch(&self.input)?)?.fixed;
        let geometry = sim_geometry(&model.header.needs, self.pes);
        let config = SimConfig {
            seed: self.axi_seed.unwrap_or(0),
            axi_delays: self.axi_seed.is_some(),
            ..SimConfig::new(geometry)
        };
        let bar = Bar::new();
        bar.begin(inputs.len() as u64 + 1);
        bar.step("building and loading the simulated accelerator");
        let mut target = SimTarget::new(&config)?;
        target.load(&image)?;
        let mut outputs = Vec::with_capacity(inputs.len());
        let mut summary = Summary {
            target: "sim",
            geometry,
            inputs: inputs.len(),
            output_len: model.header.output_len,
            layer_cycles: vec![0; model.layers.len()],
            cycles: Vec::new(),
            pe_busy: Vec::new(),
            pe_utilisation: Vec::new(),
            matches_reference: true,
        };
        for (n, x) in inputs.iter().enumerate() {
            bar.step(&format!("input {n}"));
            let run = target.infer(x)?;
            let expected = run_fixed(&model, x)?;
            if let Some(i) = (0..expected.len()).find(|&i| run.output[i] != expected[i]) {
                return Err(Failure::new(format!(
                    "mismatch: input {n}, output [{i}]: accelerator {}, reference {}",
                    run.output[i], expected[i]
                )));
            }
            for (total, &c) in summary.layer_cycles.iter_mut().zip(&run.stats.layer_cycles) {
                *total += u64::from(c);
            }
            summary.cycles.push(run.stats.cycles);
            outputs.push(run.output);
        }
        let counters = target.pe_counters()?;
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
        "target sim: {} PEs, queue depth {}, {} inputs\n",
        g.num_pes, g.queue_depth, s.inputs
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
