//! `eie infer`: runs the fixed-point and float references on a batch of inputs, writes the
//! chosen engine's outputs and reports the worst deviation between the two.

use super::{emit, Failure};
use eie::model::Model;
use eie::npy;
use eie::reference::{run_fixed, run_float};
use rayon::prelude::*;
use std::path::PathBuf;

/// Which reference writes the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Engine {
    /// The bit-exact model of the accelerator's arithmetic.
    Fixed,
    /// The pruned, weight-shared network in f32.
    Float,
}

/// Run the fixed-point (bit-exact) or float reference on input vectors.
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
    /// Which reference writes the output.
    #[arg(long, value_enum, default_value_t = Engine::Fixed)]
    engine: Engine,
    /// Write the fixed engine's int16 values instead of real numbers.
    #[arg(long)]
    raw: bool,
}

impl Args {
    /// Runs the command.
    pub fn run(self) -> Result<(), Failure> {
        if self.raw && self.engine == Engine::Float {
            return Err(Failure::new(
                "options: --raw writes the fixed engine's int16 values; it needs --engine fixed",
            ));
        }
        let model = Model::read(&self.image)?;
        let super::Inputs {
            fixed: fixed_in,
            float: float_in,
            saturated,
        } = super::inputs(&model, npy::read_batch(&self.input)?)?;
        let fixed: Vec<Vec<i16>> = fixed_in
            .par_iter()
            .map(|x| run_fixed(&model, x))
            .collect::<Result<_, _>>()?;
        let float: Vec<Vec<f32>> = float_in
            .par_iter()
            .map(|x| run_float(&model, x))
            .collect::<Result<_, _>>()?;
        let fixed_real: Vec<Vec<f32>> = fixed.iter().map(|y| model.dequantize_output(y)).collect();

        let mut worst = (0.0f32, 0usize, 0usize);
        for (r, (a, b)) in fixed_real.iter().zip(&float).enumerate() {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                let d = (x - y).abs();
                if d > worst.0 {
                    worst = (d, r, i);
                }
            }
        }
        match (self.engine, self.raw) {
            (Engine::Fixed, true) => npy::write_i16(&self.output, &fixed)?,
            (Engine::Fixed, false) => npy::write_f32(&self.output, &fixed_real)?,
            (Engine::Float, _) => npy::write_f32(&self.output, &float)?,
        }
        let (d, r, i) = worst;
        let step = 1.0 / f64::from(model.header.output_frac).exp2();
        let at = if fixed.is_empty() || fixed[0].is_empty() {
            String::new()
        } else {
            format!(
                " at [{r}, {i}] (fixed {}, float {})",
                fixed_real[r][i], float[r][i]
            )
        };
        let note = if saturated > 0 {
            format!(
                "note: {saturated} input values lie outside the input format Q{} and were \
                 saturated for the fixed engine\n",
                model.header.input_frac
            )
        } else {
            String::new()
        };
        let text = format!(
            "{note}worst deviation between the fixed and float engines: {d}{at}; output format Q{} \
             (step {step})\nwrote '{}': [{}, {}] {} from the {} engine\n",
            model.header.output_frac,
            self.output.display(),
            fixed.len(),
            model.header.output_len,
            if self.raw { "int16" } else { "f32" },
            match self.engine {
                Engine::Fixed => "fixed",
                Engine::Float => "float",
            }
        );
        emit(&text)
    }
}
