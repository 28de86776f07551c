//! `eie compress`: weights file in, image out, per-layer report printed.

use super::{emit, json, table, Bar, Failure};
use eie::compress::{compress, CompressOptions, Density};
use eie::import::load_weights;
use std::path::PathBuf;

/// Prune, share weights and encode a fully connected stack into an image.
#[derive(clap::Args)]
#[command(group = clap::ArgGroup::new("pruning").required(true))]
pub struct Args {
    /// Weights (.safetensors or .npz) with `<layer>.weight` [out, in] and optional `<layer>.bias`.
    weights: PathBuf,
    /// Image to write.
    #[arg(short, long)]
    output: PathBuf,
    /// Layers in program order, comma-separated [default: the file's order if the shapes chain
    /// that way, else natural sort of the names].
    #[arg(long, value_delimiter = ',')]
    layers: Option<Vec<String>>,
    /// Fraction of weights to keep: one number for every layer (0.09), or per layer
    /// (fc1=0.08,fc2=0.09).
    #[arg(long, group = "pruning")]
    density: Option<String>,
    /// Keep weights whose magnitude is at least this factor times the layer's standard deviation.
    #[arg(long, group = "pruning")]
    quality: Option<f32>,
    /// Bits per codebook index (1 to 4): 2^bits - 1 shared weights plus zero.
    #[arg(long, default_value_t = 4)]
    bits: u32,
    /// PEs to interleave rows over (a power of two up to 256).
    #[arg(long, default_value_t = 64)]
    pes: u32,
    /// ReLU on the last layer too.
    #[arg(long)]
    relu_last: bool,
    /// Input vectors (.npy, [batch, in]) from which to choose the activation formats.
    #[arg(long)]
    calibration: Option<PathBuf>,
    /// Fractional bits of the input format [default: from --calibration, else 8].
    #[arg(long)]
    input_frac: Option<u8>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_fraction(text: &str) -> Result<f32, Failure> {
    text.trim()
        .parse::<f32>()
        .map_err(|_| Failure::new(format!("options: density '{text}' is not a number")))
}

fn parse_density(text: &str) -> Result<Density, Failure> {
    if !text.contains('=') {
        return Ok(Density::All(parse_fraction(text)?));
    }
    text.split(',')
        .map(|item| match item.split_once('=') {
            Some((name, d)) if !name.trim().is_empty() => {
                Ok((name.trim().to_owned(), parse_fraction(d)?))
            }
            _ => Err(Failure::new(format!(
                "options: density '{item}' is not of the form layer=fraction"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Density::PerLayer)
}

#[derive(serde::Serialize)]
struct Output<'a> {
    order: String,
    layers: Vec<String>,
    image: String,
    image_bytes: usize,
    report: &'a eie::report::Report,
}

impl Args {
    /// Runs the command.
    pub fn run(self) -> Result<(), Failure> {
        let density = match (&self.density, self.quality) {
            (Some(d), _) => parse_density(d)?,
            (None, Some(q)) => Density::Quality(q),
            (None, None) => return Err(Failure::new("options: give --density or --quality")),
        };
        let calibration = match &self.calibration {
            Some(p) => Some(eie::npy::read_float_batch(p)?),
            None => None,
        };
        let bar = Bar::new();
        bar.spin(&format!("reading '{}'", self.weights.display()));
        let (layers, order) = load_weights(&self.weights, self.layers.as_deref())?;
        let names: Vec<String> = layers.iter().map(|l| l.name.clone()).collect();
        let opts = CompressOptions {
            density,
            bits: self.bits,
            num_pes: self.pes,
            relu_last: self.relu_last,
            calibration,
            input_frac: self.input_frac,
        };
        let (model, report) = compress(&layers, &opts, &bar)?;
        drop(bar);
        drop(layers);
        let image = model.to_image();
        std::fs::write(&self.output, &image)
            .map_err(|e| Failure::new(format!("'{}': {e}", self.output.display())))?;
        let note = if self.calibration.is_none() && self.input_frac.is_none() {
            "note: no --calibration: the input format is Q8 and the activation formats come from \
             a safe bound, which never saturates but loses precision layer by layer; give \
             --calibration inputs for formats that fit the real activations\n"
        } else if self.calibration.is_none() {
            "note: no --calibration: the activation formats come from a safe bound, which never \
             saturates but loses precision layer by layer\n"
        } else {
            ""
        };
        let text = if self.json {
            json(&Output {
                order: order.to_string(),
                layers: names,
                image: self.output.display().to_string(),
                image_bytes: image.len(),
                report: &report,
            })?
        } else {
            format!(
                "layer order: {order} ({})\n{}{note}wrote '{}': {} bytes\n",
                names.join(", "),
                table::render(&report),
                self.output.display(),
                image.len()
            )
        };
        emit(&text)
    }
}
