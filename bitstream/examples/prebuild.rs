//! Builds (or finds in the cache) the simulator for each PE count given, with the other
//! capacities of `Geometry::SMALL`, and reports how long that took, how long a second
//! (cached) start takes, and the simulation speed in idle clock cycles per second.
//!
//! `cargo run --release -p eie-bitstream --example prebuild -- 4 64`

use eie_bitstream::{Sim, SimConfig};
use eie_memmap::Geometry;
use std::time::Instant;

fn main() {
    let pes: Vec<u32> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap_or_else(|_| panic!("not a PE count: {a}")))
        .collect();
    for num_pes in pes {
        let config = SimConfig::new(Geometry {
            num_pes,
            ..Geometry::SMALL
        });
        let started = Instant::now();
        if let Err(e) = Sim::new(&config) {
            eprintln!("{num_pes} PEs: {e}");
            std::process::exit(1);
        }
        let first = started.elapsed();
        let started = Instant::now();
        let sim = Sim::new(&config).unwrap_or_else(|e| panic!("{e}"));
        let cached = started.elapsed();
        let cycles = 200_000 / u64::from(num_pes).max(1);
        let started = Instant::now();
        sim.run_cycles(cycles);
        let speed = cycles as f64 / started.elapsed().as_secs_f64();
        println!(
            "{num_pes} PEs: first start {:.1} s, cached start {:.3} s, {:.0} idle cycles/s",
            first.as_secs_f64(),
            cached.as_secs_f64(),
            speed
        );
    }
}
