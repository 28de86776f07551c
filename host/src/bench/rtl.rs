//! Running benchmark layers on the simulated RTL: one accelerator build per geometry, models
//! loaded by the `no_std` driver (through the harness's memory backdoor for speed, or over the
//! real AXI path), every run checked bit for bit against the fixed-point reference, and the
//! RTL's own counters read back.

use super::layers::Batch;
use super::{Error, Result};
use crate::model::{entry_code, Model};
use crate::reference::run_fixed;
use crate::target::cycle_budget;
use eie_bitstream::{Sim, SimConfig, CLOCK_HZ};
use eie_firmware::{Eie, PeCounters};
use eie_memmap::image::Requirements;
use eie_memmap::{geometry, regs, Geometry};

/// The smallest build for `num_pes` PEs and queue depth `queue_depth` that holds every model
/// in `needs`: each capacity the next power of two, and never below [`Geometry::SMALL`]'s (so
/// that small runs share the simulator the tests build).
pub fn geometry_for<'a>(
    num_pes: u32,
    queue_depth: u32,
    needs: impl IntoIterator<Item = &'a Requirements>,
) -> Geometry {
    let small = Geometry::SMALL;
    let pow2 = |n: u32, floor: u32| n.max(1).next_power_of_two().max(floor);
    let mut g = Geometry {
        num_pes,
        queue_depth,
        ..small
    };
    for n in needs {
        g.spmat_words = g.spmat_words.max(pow2(n.spmat_words, small.spmat_words));
        g.ptr_entries = g.ptr_entries.max(pow2(n.ptr_entries, small.ptr_entries));
        g.act_entries = g.act_entries.max(pow2(n.act_entries, small.act_entries));
    }
    g
}

/// What the model says one run should cost, from its arrays and the input alone.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Work {
    /// Multiply-accumulates: non-zero weights (the bias included) in columns whose input is
    /// non-zero.
    pub macs: u64,
    /// Padding entries in those columns.
    pub padding: u64,
    /// Entries (weights and padding) in those columns, per PE.
    pub per_pe: Vec<u64>,
}

/// Counts the work of running `model` (one layer) on `input`.
pub fn work(model: &Model, input: &[i16]) -> Work {
    let layer = &model.layers[0];
    let columns = layer.desc.columns() as usize;
    let mut w = Work {
        per_pe: vec![0; layer.pes.len()],
        ..Work::default()
    };
    for j in (0..columns).filter(|&j| input.get(j).is_none_or(|&a| a != 0)) {
        for (pe, slice) in layer.pes.iter().enumerate() {
            let entries = slice.column(j);
            let macs = entries.iter().filter(|&&e| entry_code(e) != 0).count() as u64;
            w.macs += macs;
            w.padding += entries.len() as u64 - macs;
            w.per_pe[pe] += entries.len() as u64;
        }
    }
    w
}

/// One program run on the RTL.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// `CYCLES`: from start to done.
    pub cycles: u64,
    /// `BCAST_STALLS`: cycles the broadcast waited for a full queue.
    pub bcast_stalls: u64,
    /// Every PE's counters.
    pub counters: Vec<PeCounters>,
    /// The outputs.
    pub output: Vec<i16>,
    /// Seconds the driver took to load the image.
    pub load_s: f64,
}

/// The simulated accelerator of one geometry, driven by the firmware driver.
pub struct Accelerator {
    sim: Sim,
    eie: Eie<Sim, Sim>,
}

fn target_error(e: impl std::fmt::Display) -> Error {
    Error::Rtl(e.to_string())
}

impl Accelerator {
    /// Builds (or takes from the cache) the simulator for `geometry`; with `backdoor`, the
    /// memory windows are written and read without bus cycles.
    pub fn new(geometry: &Geometry, backdoor: bool) -> Result<Accelerator> {
        let sim = Sim::new(&SimConfig::new(*geometry)).map_err(target_error)?;
        sim.set_backdoor(backdoor).map_err(target_error)?;
        let eie = Eie::new(sim.clone(), sim.clone()).map_err(target_error)?;
        Ok(Accelerator { sim, eie })
    }

    /// The geometry the hardware reports.
    pub fn geometry(&self) -> &Geometry {
        self.eie.geometry()
    }

    /// Loads `model` through the driver and runs `input`; fails unless the outputs equal the
    /// fixed-point reference's, bit for bit.
    pub fn run(&mut self, model: &Model, input: &[i16], what: &str) -> Result<Run> {
        let started = std::time::Instant::now();
        let info = self.eie.load(&model.to_image()).map_err(target_error)?;
        let load_s = started.elapsed().as_secs_f64();
        let budget = cycle_budget(&info.header.needs, info.header.input_len);
        let timeout_us = u32::try_from(budget.div_ceil(CLOCK_HZ / 1_000_000)).unwrap_or(u32::MAX);
        let mut output = vec![0i16; info.output_len() as usize];
        let stats = self
            .eie
            .run(input, &mut output, timeout_us)
            .map_err(target_error)?;
        let expected = run_fixed(model, input)?;
        if let Some(i) = (0..expected.len()).find(|&i| output[i] != expected[i]) {
            return Err(Error::Mismatch(format!(
                "{what}: RTL output [{i}] = {}, fixed-point reference {} ({} PEs)",
                output[i],
                expected[i],
                self.geometry().num_pes
            )));
        }
        let counters = (0..self.geometry().num_pes)
            .map(|pe| self.eie.pe_counters(pe).map_err(target_error))
            .collect::<Result<Vec<_>>>()?;
        Ok(Run {
            cycles: u64::from(stats.cycles),
            bcast_stalls: u64::from(stats.bcast_stalls),
            counters,
            output,
            load_s,
        })
    }

    /// Reads the pointer and sparse-matrix words a one-layer `model`'s image writes, PE by PE
    /// (through the backdoor when it is on, else over the bus).
    pub fn memory_of(&self, model: &Model) -> Result<Vec<u32>> {
        let g = *self.geometry();
        let mut words = Vec::new();
        for (pe, slice) in (0u32..).zip(&model.layers[0].pes) {
            let base = model.layers[0].desc.ptr_base;
            for p in base..base + slice.col_ptr.len() as u32 {
                words.push(self.read(regs::ptr_addr(&g, pe, p))?);
            }
            let end = slice.entry_base as usize + slice.entries.len();
            for w in 0..end.div_ceil(geometry::ENTRIES_PER_WORD as usize) as u32 {
                let addr = regs::spmat_addr(&g, pe, w);
                words.push(self.read(addr)?);
                words.push(self.read(addr + 4)?);
            }
        }
        Ok(words)
    }

    fn read(&self, addr: u32) -> Result<u32> {
        self.sim.read(addr).map_err(target_error)
    }

    /// Turns the backdoor on or off.
    pub fn set_backdoor(&self, on: bool) -> Result<()> {
        self.sim.set_backdoor(on).map_err(target_error)
    }
}

/// A layer's runs on one build, batch by batch, summed.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct LayerRun {
    /// The layer's name.
    pub layer: String,
    /// PEs of the build.
    pub num_pes: u32,
    /// Queue depth of the build.
    pub queue_depth: u32,
    /// Column batches the layer ran in (1 unless its pointers exceed a PE's window).
    pub batches: usize,
    /// Cycles, all batches.
    pub cycles: u64,
    /// Broadcast stalls, all batches.
    pub bcast_stalls: u64,
    /// Sum over batches of the busiest PE's entries (the RTL's `PE_ENTRIES`): the cycles of
    /// perfect pipelining at one entry per cycle.
    pub busiest_pe_entries: u64,
    /// Entries of all PEs over the PE count: the cycles of perfect load balance.
    pub entries_per_pe: f64,
    /// MACs over the PE count: one useful multiply per PE per cycle, no padding.
    pub macs_per_pe: f64,
    /// Multiply-accumulates (weights in columns with a non-zero input, bias included).
    pub macs: u64,
    /// Padding entries in those columns.
    pub padding: u64,
    /// Starved cycles of all PEs (`PE_STARVED`).
    pub starved: u64,
    /// 1 - starved / (PEs x cycles): the paper's load-balance efficiency.
    pub load_efficiency: f64,
    /// Busy cycles of all PEs, as the RTL's `PE_BUSY` counters report them.
    pub busy: u64,
    /// MACs / (PEs x cycles): the share of PE cycles that did a useful multiply-accumulate
    /// (from the model, not from a counter).
    pub mac_utilisation: f64,
    /// The RTL's entry counters equal the entries the model holds in the active columns.
    pub counters_match_model: bool,
    /// Every batch's outputs equal the fixed-point reference's (the run fails otherwise).
    pub bit_exact: bool,
}

impl LayerRun {
    /// Busiest-PE entries over cycles.
    pub fn busiest_over_cycles(&self) -> f64 {
        self.busiest_pe_entries as f64 / self.cycles.max(1) as f64
    }
}

/// Runs every batch of a layer on `acc` and sums the figures.
pub fn run_layer(acc: &mut Accelerator, batches: &[Batch], name: &str) -> Result<LayerRun> {
    let g = *acc.geometry();
    let mut r = LayerRun {
        layer: name.to_string(),
        num_pes: g.num_pes,
        queue_depth: g.queue_depth,
        batches: batches.len(),
        counters_match_model: true,
        bit_exact: true,
        ..LayerRun::default()
    };
    let mut total_entries = 0u64;
    for (b, batch) in batches.iter().enumerate() {
        let what = format!("{name} batch {b} of {}", batches.len());
        let run = acc.run(&batch.model, &batch.input, &what)?;
        let w = work(&batch.model, &batch.input);
        let counted: Vec<u64> = run.counters.iter().map(|c| u64::from(c.entries)).collect();
        r.counters_match_model &= counted == w.per_pe;
        r.cycles += run.cycles;
        r.bcast_stalls += run.bcast_stalls;
        r.busiest_pe_entries += counted.iter().copied().max().unwrap_or(0);
        total_entries += counted.iter().sum::<u64>();
        r.starved += run
            .counters
            .iter()
            .map(|c| u64::from(c.starved))
            .sum::<u64>();
        r.macs += w.macs;
        r.padding += w.padding;
    }
    let pes = f64::from(g.num_pes);
    r.entries_per_pe = total_entries as f64 / pes;
    r.macs_per_pe = r.macs as f64 / pes;
    r.load_efficiency = 1.0 - r.starved as f64 / (pes * r.cycles.max(1) as f64);
    r.mac_utilisation = r.macs as f64 / (pes * r.cycles.max(1) as f64);
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_covers_every_need_and_never_shrinks_below_small() {
        let a = Requirements {
            num_pes: 64,
            spmat_words: 5000,
            ptr_entries: 9218,
            act_entries: 64,
            num_layers: 1,
        };
        let b = Requirements {
            spmat_words: 9000,
            ptr_entries: 602,
            act_entries: 138,
            ..a
        };
        let g = geometry_for(64, 2, [&a, &b]);
        assert_eq!(
            (
                g.num_pes,
                g.queue_depth,
                g.spmat_words,
                g.ptr_entries,
                g.act_entries
            ),
            (64, 2, 16384, 16384, 256)
        );
        assert!(a.fits(&g).is_ok() && b.fits(&g).is_ok());
        assert_eq!(geometry_for(4, 8, []), Geometry::SMALL);
    }
}
