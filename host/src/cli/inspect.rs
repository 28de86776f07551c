//! `eie inspect`: an image's per-layer report, or one PE's arrays of one layer.

use super::{emit, json, table, Failure};
use eie::model::{entry_code, entry_zeros, Model};
use eie::report::Report;
use std::fmt::Write;
use std::path::PathBuf;

/// Show an image's per-layer report, or one PE's arrays of one layer.
#[derive(clap::Args)]
pub struct Args {
    /// The image.
    image: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Dump this layer's arrays (with --pe).
    #[arg(long, requires = "pe")]
    layer: Option<usize>,
    /// Dump this PE's arrays (with --layer).
    #[arg(long, requires = "layer")]
    pe: Option<u32>,
}

/// One PE's share of one layer, everything needed to check the encoding by hand.
#[derive(serde::Serialize)]
struct Dump {
    layer: usize,
    pe: u32,
    num_pes: u32,
    in_len: u32,
    out_len: u32,
    /// Rows of the layer this PE owns (global rows `pe + k * num_pes`).
    local_rows: u32,
    bias: bool,
    relu: bool,
    in_frac: u8,
    w_frac: u8,
    out_frac: u8,
    shift: u32,
    ptr_base: u32,
    codebook: Vec<i16>,
    centroids: Vec<f32>,
    entry_base: u32,
    /// Codebook index of each entry.
    v: Vec<u8>,
    /// Relative row index of each entry.
    z: Vec<u8>,
    /// Column pointers, absolute entry indices (columns + 1 of them).
    col_ptr: Vec<u32>,
}

fn dump(model: &Model, layer: usize, pe: u32) -> Result<Dump, Failure> {
    let l = model.layers.get(layer).ok_or_else(|| {
        Failure::new(format!(
            "options: there is no layer {layer} (the image has {})",
            model.layers.len()
        ))
    })?;
    let slice = l.pes.get(pe as usize).ok_or_else(|| {
        Failure::new(format!(
            "options: there is no PE {pe} (the image is encoded for {})",
            model.num_pes()
        ))
    })?;
    let d = &l.desc;
    let n = model.num_pes();
    Ok(Dump {
        layer,
        pe,
        num_pes: n,
        in_len: d.in_len,
        out_len: d.out_len,
        local_rows: eie_memmap::Geometry {
            num_pes: n,
            ..eie_memmap::Geometry::PAPER
        }
        .rows_of_pe(d.out_len, pe),
        bias: d.bias,
        relu: d.relu,
        in_frac: d.in_frac,
        w_frac: d.w_frac,
        out_frac: d.out_frac,
        shift: d.shift(),
        ptr_base: d.ptr_base,
        codebook: d.codebook.to_vec(),
        centroids: d.centroids.to_vec(),
        entry_base: slice.entry_base,
        v: slice.entries.iter().map(|&e| entry_code(e)).collect(),
        z: slice.entries.iter().map(|&e| entry_zeros(e)).collect(),
        col_ptr: slice.col_ptr.clone(),
    })
}

fn list<T: ToString>(values: &[T]) -> String {
    values
        .iter()
        .map(T::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

fn render_dump(d: &Dump) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "layer {} PE {} of {}: {}x{}{}{}, {} local rows, pointers from {}, entries from {}",
        d.layer,
        d.pe,
        d.num_pes,
        d.out_len,
        d.in_len,
        if d.bias { " + bias" } else { "" },
        if d.relu { ", relu" } else { "" },
        d.local_rows,
        d.ptr_base,
        d.entry_base
    );
    let _ = writeln!(
        s,
        "formats: in Q{} x codebook Q{} >> {} = out Q{}",
        d.in_frac, d.w_frac, d.shift, d.out_frac
    );
    let _ = writeln!(s, "codebook: {}", list(&d.codebook));
    let _ = writeln!(s, "centroids: {}", list(&d.centroids));
    let _ = writeln!(s, "v: {}", list(&d.v));
    let _ = writeln!(s, "z: {}", list(&d.z));
    let _ = writeln!(s, "col_ptr: {}", list(&d.col_ptr));
    s
}

#[derive(serde::Serialize)]
struct Summary<'a> {
    image: String,
    image_bytes: u64,
    input_frac: u8,
    output_frac: u8,
    report: &'a Report,
}

impl Args {
    /// Runs the command.
    pub fn run(self) -> Result<(), Failure> {
        let model = Model::read(&self.image)?;
        let text = match (self.layer, self.pe) {
            (Some(layer), Some(pe)) => {
                let d = dump(&model, layer, pe)?;
                if self.json {
                    json(&d)?
                } else {
                    render_dump(&d)
                }
            }
            _ => {
                let report = Report::new(&model, &[]);
                let image_bytes = std::fs::metadata(&self.image).map_or(0, |m| m.len());
                if self.json {
                    json(&Summary {
                        image: self.image.display().to_string(),
                        image_bytes,
                        input_frac: model.header.input_frac,
                        output_frac: model.header.output_frac,
                        report: &report,
                    })?
                } else {
                    format!(
                        "image '{}': {} bytes, {} layers, input {} in Q{}, output {} in Q{}\n{}",
                        self.image.display(),
                        image_bytes,
                        model.layers.len(),
                        model.header.input_len,
                        model.header.input_frac,
                        model.header.output_len,
                        model.header.output_frac,
                        table::render(&report)
                    )
                }
            }
        };
        emit(&text)
    }
}
