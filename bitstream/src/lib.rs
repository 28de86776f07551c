//! The simulated EIE: the RTL of `bitstream/rtl/` compiled by Verilator and driven from Rust,
//! cycle by cycle, through its AXI4-Lite port.
//!
//! [`Sim::new`] builds the accelerator for a [`Geometry`] (once; later calls and processes
//! reuse the cached library, see [`verilate`]) and returns a handle that is both the driver's
//! bus ([`eie_firmware::Bus`], a real AXI4-Lite master with optional random valid/ready delays)
//! and its delay ([`embedded_hal::delay::DelayNs`], which advances simulated time at
//! [`CLOCK_HZ`]):
//!
//! ```no_run
//! use eie_bitstream::{Sim, SimConfig};
//! use eie_memmap::Geometry;
//!
//! let sim = Sim::new(&SimConfig::new(Geometry::SMALL))?;
//! let mut eie = eie_firmware::Eie::new(sim.clone(), sim.clone())?;
//! assert_eq!(eie.geometry().num_pes, 4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A waveform: set `trace` in [`SimConfig`], or the environment variable
//! `EIE_TRACE=path.vcd` (each further simulator of the process writes `path-1.vcd`, ...).
//!
//! Environment variables:
//!
//! | variable | effect |
//! |---|---|
//! | `EIE_TRACE=path.vcd` | VCD waveform of every simulator (the first writes `path.vcd`, the next `path-1.vcd`, ...) |
//! | `EIE_CACHE_DIR` | where built simulators are kept (default `.cache/sim/` in the workspace) |
//! | `EIE_SIM_JOBS` | parallel C++ compiles of a build (default: the number of CPUs) |
//! | `EIE_SIM_OPT` | optimisation of the per-cycle C++ code: `-O0` .. `-O3`, `-Os` (default `-O2`, `-O1` for large models); lower builds faster |
//! | `VERILATOR`, `CXX` | the Verilator and C++ compiler commands (default `verilator`, `g++`) |
//!
//! For speed, [`Sim::set_backdoor`] serves the memory windows (activations, pointers,
//! sparse-matrix words) by accessing the RTL's RAMs directly instead of over the bus; the
//! tests check that both paths agree.

mod backdoor;
mod design;
mod error;
mod model;
mod sim;
pub mod verilate;

pub use design::{Design, Source};
pub use error::{Result, SimError};
pub use sim::{AxiError, AxiErrorKind, Sim, SimOptions, AXI_TIMEOUT_CYCLES, CLOCK_HZ};

use eie_memmap::Geometry;
use std::path::PathBuf;

/// What to simulate and how.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The accelerator build.
    pub geometry: Geometry,
    /// Write a VCD waveform here (`EIE_TRACE` also asks for one).
    pub trace: Option<PathBuf>,
    /// Seed of the random bus delays.
    pub seed: u64,
    /// Randomise the master's valid and ready timing.
    pub axi_delays: bool,
}

impl SimConfig {
    /// `geometry` without tracing or bus delays.
    pub fn new(geometry: Geometry) -> Self {
        SimConfig {
            geometry,
            trace: None,
            seed: 0,
            axi_delays: false,
        }
    }

    /// The options that drive the design.
    pub fn options(&self) -> SimOptions {
        SimOptions {
            trace: self.trace.clone(),
            seed: self.seed,
            axi_delays: self.axi_delays,
        }
    }
}

impl Sim {
    /// The EIE accelerator built for `config.geometry`.
    pub fn new(config: &SimConfig) -> Result<Sim> {
        let sim = Sim::from_design(&Design::eie(&config.geometry)?, &config.options())?;
        sim.set_geometry(config.geometry);
        Ok(sim)
    }
}
