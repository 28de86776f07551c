//! Targets an image runs on. `sim`, the embedded default: the RTL compiled by Verilator, loaded
//! and driven by the `no_std` firmware driver over AXI4-Lite, exactly as on a board.

use crate::{Error, Result};
use eie_bitstream::{Sim, SimConfig};
use eie_firmware::{Eie, ModelInfo, PeCounters, RunStats};
use eie_memmap::image::Requirements;
use eie_memmap::Geometry;

/// Activation-queue depth of the builds chosen by [`sim_geometry`] (the paper's).
pub const DEFAULT_QUEUE_DEPTH: u32 = 8;

/// The smallest build that holds an image with these needs: its PE count (or `num_pes`, which
/// then must refuse the image if it differs) and every capacity rounded up to a power of two.
pub fn sim_geometry(needs: &Requirements, num_pes: Option<u32>) -> Geometry {
    let pow2 = |n: u32| n.max(1).next_power_of_two();
    Geometry {
        num_pes: num_pes.unwrap_or(needs.num_pes),
        queue_depth: DEFAULT_QUEUE_DEPTH,
        spmat_words: pow2(needs.spmat_words),
        ptr_entries: pow2(needs.ptr_entries).max(2),
        act_entries: pow2(needs.act_entries),
        max_layers: needs.num_layers.max(1),
    }
}

/// A bound on the cycles a correct program of this image can take: every entry, column and
/// output row at a few cycles each, plus fixed overheads. Past it the accelerator is hung.
pub fn cycle_budget(needs: &Requirements, header_input: u32) -> u64 {
    let per_pe_work = u64::from(needs.spmat_words) * 8 + u64::from(needs.ptr_entries);
    let vectors = u64::from(needs.act_entries) * u64::from(needs.num_pes) + u64::from(header_input);
    8 * (per_pe_work + vectors) + 100_000 * u64::from(needs.num_layers)
}

/// One inference on a target.
#[derive(Clone, Debug)]
pub struct Inference {
    /// The output vector (int16, in the model's output format).
    pub output: Vec<i16>,
    /// Cycles and stalls the accelerator reported.
    pub stats: RunStats,
}

/// The simulated accelerator with the driver attached.
pub struct SimTarget {
    eie: Eie<Sim, Sim>,
    timeout_us: u32,
}

fn sim_error(e: impl std::fmt::Display) -> Error {
    Error::Target {
        target: "sim",
        reason: e.to_string(),
    }
}

impl SimTarget {
    /// Builds (or takes from the cache) the RTL for `config.geometry` and identifies it
    /// through the driver.
    pub fn new(config: &SimConfig) -> Result<SimTarget> {
        SimTarget::from_sim(Sim::new(config).map_err(sim_error)?)
    }

    /// Attaches the driver to a simulator the caller may keep a handle to (a `Sim` is a
    /// shared handle), for example to read memories the driver does not expose.
    pub fn from_sim(sim: Sim) -> Result<SimTarget> {
        let eie = Eie::new(sim.clone(), sim).map_err(sim_error)?;
        Ok(SimTarget { eie, timeout_us: 0 })
    }

    /// The geometry the simulated hardware reports.
    pub fn geometry(&self) -> &Geometry {
        self.eie.geometry()
    }

    /// Loads an image through the driver (which refuses one for another geometry before
    /// writing anything).
    pub fn load(&mut self, image: &[u8]) -> Result<ModelInfo> {
        let info = self.eie.load(image).map_err(sim_error)?;
        let cycles = cycle_budget(&info.header.needs, info.header.input_len);
        let us = cycles.div_ceil(eie_bitstream::CLOCK_HZ / 1_000_000);
        self.timeout_us = u32::try_from(us).unwrap_or(u32::MAX);
        Ok(info)
    }

    /// Runs one input vector (int16, in the model's input format).
    pub fn infer(&mut self, input: &[i16]) -> Result<Inference> {
        let len = self.eie.model().map_or(0, |m| m.output_len() as usize);
        let mut output = vec![0; len];
        let stats = self
            .eie
            .run(input, &mut output, self.timeout_us)
            .map_err(sim_error)?;
        Ok(Inference { output, stats })
    }

    /// Every PE's counters for the last run.
    pub fn pe_counters(&mut self) -> Result<Vec<PeCounters>> {
        (0..self.geometry().num_pes)
            .map(|pe| self.eie.pe_counters(pe).map_err(sim_error))
            .collect()
    }

    /// The driver, for what this type does not wrap.
    pub fn driver(&mut self) -> &mut Eie<Sim, Sim> {
        &mut self.eie
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_rounds_capacities_up() {
        let needs = Requirements {
            num_pes: 4,
            spmat_words: 300,
            ptr_entries: 1,
            act_entries: 65,
            num_layers: 3,
        };
        let g = sim_geometry(&needs, None);
        assert_eq!(
            (
                g.num_pes,
                g.spmat_words,
                g.ptr_entries,
                g.act_entries,
                g.max_layers
            ),
            (4, 512, 2, 128, 3)
        );
        g.check().unwrap();
        assert_eq!(sim_geometry(&needs, Some(8)).num_pes, 8);
        assert!(needs.fits(&g).is_ok());
    }
}
