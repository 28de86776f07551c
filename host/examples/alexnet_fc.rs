//! Generates AlexNet FC6-8 with Gaussian weights, runs the benchmark's path once (prune +
//! k-means + encode + serialize, one image per layer, 64 PEs) and prints the time per layer;
//! with a path argument it also writes the weights as `.safetensors` for `eie compress`.
//!
//! Peak memory of the path (generation included):
//!
//! ```text
//! cargo build --release --example alexnet_fc
//! /usr/bin/time -v target/release/examples/alexnet_fc
//! ```
//!
//! Peak memory of the CLI on the same weights:
//!
//! ```text
//! target/release/examples/alexnet_fc alexnet.safetensors
//! /usr/bin/time -v target/release/eie compress alexnet.safetensors --layers fc6 --density 0.09 -o fc6.eie
//! ```

use eie::compress::{compress, CompressOptions, Density, NoProgress};
use std::time::Instant;

#[path = "../benches/support/alexnet.rs"]
mod alexnet;

/// CPU time (user + system, all threads) of this process so far, from `/proc/self/stat`
/// (Linux; ticks of USER_HZ = 100 per second).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses): utime and stime are the 12th
    // and 13th of them.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let start = Instant::now();
    let layers = alexnet::layers(1);
    println!("generated in {:.2} s", start.elapsed().as_secs_f64());
    if let Some(path) = std::env::args_os().nth(1) {
        eie::import::save_safetensors(path.as_ref(), &layers)?;
        println!("wrote {}", path.to_string_lossy());
    }
    let total = Instant::now();
    let cpu_start = cpu_seconds();
    for (layer, &(name, _, _, density)) in layers.iter().zip(&alexnet::LAYERS) {
        let t = Instant::now();
        let opts = CompressOptions::new(Density::All(density));
        let (model, report) = compress(std::slice::from_ref(layer), &opts, &NoProgress)?;
        let image = model.to_image();
        let l = &report.layers[0];
        println!(
            "{name}: {:.3} s, density {:.4}, {} entries ({} padding), image {} bytes",
            t.elapsed().as_secs_f64(),
            l.density,
            l.entries,
            l.padding,
            image.len()
        );
    }
    let cpu = match (cpu_start, cpu_seconds()) {
        (Some(a), Some(b)) => format!(", {:.2} s of CPU time", b - a),
        _ => String::new(),
    };
    println!(
        "prune + k-means + encode + serialize: {:.3} s wall{cpu}",
        total.elapsed().as_secs_f64()
    );
    Ok(())
}
