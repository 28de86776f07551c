//! The accelerator's RTL through the harness: identity and geometry through the driver, every
//! memory window written and read back, error responses, and one layer run end to end against
//! values computed with `eie_memmap::fixed`.

mod common;

use common::{expected, image, random_layer, DenseLayer};
use eie_bitstream::{AxiError, AxiErrorKind, Sim, SimConfig};
use eie_firmware::{Bus, Eie};
use eie_memmap::image::Layer;
use eie_memmap::Geometry;

fn geometry(num_pes: u32) -> Geometry {
    Geometry {
        num_pes,
        ..Geometry::SMALL
    }
}

fn sim(num_pes: u32, seed: u64, axi_delays: bool) -> Sim {
    let config = SimConfig {
        seed,
        axi_delays,
        ..SimConfig::new(geometry(num_pes))
    };
    Sim::new(&config).unwrap_or_else(|e| panic!("simulator for {num_pes} PEs: {e}"))
}

#[test]
fn the_driver_reads_identity_and_geometry() {
    for num_pes in [1, 4, 64] {
        let sim = sim(num_pes, num_pes.into(), true);
        assert_eq!(sim.read(0x000), Ok(0x3145_4945), "ID");
        assert_eq!(sim.read(0x004), Ok(0x0001_0000), "VERSION");
        assert_eq!(sim.read(0x020), Ok(0x1008_3010), "GEOM_WIDTHS");
        let eie = Eie::new(sim.clone(), sim.clone()).unwrap();
        assert_eq!(*eie.geometry(), geometry(num_pes));
    }
}

/// Writes `value` at `addr` and reads back `expected`.
fn round_trip(sim: &mut Sim, addr: u32, value: u32, expected: u32) {
    sim.write32(addr, value)
        .unwrap_or_else(|e| panic!("write {addr:#08x}: {e}"));
    assert_eq!(sim.read32(addr), Ok(expected), "read back {addr:#08x}");
}

fn refused(sim: &mut Sim, addr: u32, write: bool) -> AxiErrorKind {
    let result = if write {
        sim.write32(addr, 0x5A5A).err()
    } else {
        sim.read32(addr).err()
    };
    match result {
        Some(AxiError {
            kind,
            addr: a,
            write: w,
        }) if a == addr && w == write => kind,
        other => panic!("{addr:#08x} (write {write}): expected an error response, got {other:?}"),
    }
}

#[test]
fn every_window_reads_back_what_was_written() {
    for num_pes in [1, 4, 64] {
        let g = geometry(num_pes);
        let mut sim = sim(num_pes, 100 + u64::from(num_pes), true);
        let n = g.num_pes;
        // Layer program registers.
        round_trip(&mut sim, 0x048, 3, 3);
        for l in [0, g.max_layers - 1] {
            let base = 0x100 + l * 0x20;
            round_trip(&mut sim, base, g.max_vector_len(), g.max_vector_len());
            round_trip(&mut sim, base + 0x4, 17, 17);
            round_trip(&mut sim, base + 0x8, g.ptr_entries - 2, g.ptr_entries - 2);
            round_trip(&mut sim, base + 0xC, 0x32F, 0x32F);
            round_trip(&mut sim, base + 0x10, 0x4000, 0x4000);
        }
        // Codebooks: int16, sign-extended; code 0 reads as zero.
        for l in [0, g.max_layers - 1] {
            round_trip(&mut sim, 0x1000 + l * 64 + 4, 0xFFFF_8000, 0xFFFF_8000);
            round_trip(&mut sim, 0x1000 + l * 64 + 60, 0x7FFF, 0x7FFF);
            round_trip(&mut sim, 0x1000 + l * 64, 0, 0);
        }
        // Activation files: element j at j * 4, whatever PE holds it.
        for base in [0x10_0000, 0x20_0000] {
            for j in [0, 1, n - 1, n, g.max_vector_len() - 1] {
                let value = (j * 7 + base / 0x10_0000) & 0x7FFF;
                round_trip(&mut sim, base + j * 4, value, value);
            }
            round_trip(&mut sim, base + 8, 0xFFFF_8001, 0xFFFF_8001);
        }
        // Pointers and sparse-matrix words of the first and the last PE.
        for pe in [0, n - 1] {
            for p in [0, 1, g.ptr_entries - 1] {
                let addr = 0x40_0000 + (pe * g.ptr_entries + p) * 4;
                let value = (pe + p * 3) % g.spmat_entries();
                round_trip(&mut sim, addr, value, value);
            }
            round_trip(
                &mut sim,
                0x40_0000 + pe * g.ptr_entries * 4,
                g.spmat_entries(),
                g.spmat_entries(),
            );
            for w in [0, 1, g.spmat_words - 1] {
                let addr = 0x80_0000 + (pe * g.spmat_words + w) * 8;
                round_trip(&mut sim, addr, 0x0102_0304 ^ pe ^ w, 0x0102_0304 ^ pe ^ w);
                round_trip(&mut sim, addr + 4, 0xF0E0_D0C0 ^ w, 0xF0E0_D0C0 ^ w);
            }
        }
        // The writes above did not disturb each other.
        assert_eq!(sim.read32(0x10_0000 + 4), Ok(8));
        assert_eq!(sim.read32(0x20_0000 + 4), Ok(9));
        assert_eq!(sim.read32(0x80_0000), Ok(0x0102_0304));
        assert_eq!(sim.read32(0x1000 + 4), Ok(0xFFFF_8000));
        // Per-PE counters are readable.
        for pe in [0, n - 1] {
            for c in 0..4 {
                sim.read32(0x2000 + pe * 16 + c * 4).unwrap();
            }
        }
    }
}

#[test]
fn bad_accesses_get_error_responses_and_are_counted() {
    for num_pes in [1, 4, 64] {
        let g = geometry(num_pes);
        let mut sim = sim(num_pes, 7, true);
        sim.write32(0x054, u32::MAX).unwrap();
        let n = g.num_pes;
        let decerr = [0x00_3000, 0x0F_FFFC, 0x30_0000, 0x3F_FFFC];
        for addr in decerr {
            assert_eq!(refused(&mut sim, addr, true), AxiErrorKind::DecErr);
            assert_eq!(refused(&mut sim, addr, false), AxiErrorKind::DecErr);
        }
        let past_capacity = [
            0x10_0000 + g.max_vector_len() * 4,
            0x20_0000 + g.max_vector_len() * 4,
            0x40_0000 + n * g.ptr_entries * 4,
            0x80_0000 + n * g.spmat_words * 8,
            0x80_0000 + n * g.spmat_words * 8 + 4,
        ];
        for addr in past_capacity {
            assert_eq!(refused(&mut sim, addr, true), AxiErrorKind::SlvErr);
            assert_eq!(refused(&mut sim, addr, false), AxiErrorKind::SlvErr);
        }
        let read_only = [
            0x000, 0x004, 0x008, 0x020, 0x04C, 0x050, 0x058, 0x05C, 0x114, 0x2000,
        ];
        for addr in read_only {
            assert_eq!(refused(&mut sim, addr, true), AxiErrorKind::SlvErr);
        }
        // A non-zero write to code 0 of a codebook.
        assert_eq!(refused(&mut sim, 0x1000, true), AxiErrorKind::SlvErr);
        assert_eq!(sim.read32(0x1000), Ok(0));
        let errors = 2 * decerr.len() + 2 * past_capacity.len() + read_only.len() + 1;
        let counted = sim.read32(0x054).unwrap();
        assert_eq!(counted & 0x7FFF_FFFF, errors as u32, "AXI_ERR");
        assert_eq!(sim.read32(0x058), Ok(0x1000), "AXI_ERR_ADDR");
        sim.write32(0x054, u32::MAX).unwrap();
        assert_eq!(sim.read32(0x054), Ok(0));
    }
}

/// A 7-input (plus bias), 70-output layer for 4 PEs: a dense column, an empty column, a column
/// whose only weight sits after a run of more than 16 zero rows in its PE, and values that
/// saturate.
pub fn sample_layer() -> DenseLayer {
    let (in_len, out_len) = (7, 70);
    let mut codebook = [0i16; 16];
    let mut centroids = [0f32; 16];
    for k in 1..16 {
        codebook[k] = (k as i16 - 8) * 611;
        centroids[k] = f32::from(codebook[k]) / 4096.0;
    }
    let layer = Layer {
        index: 0,
        in_len,
        out_len,
        ptr_base: 3,
        relu: false,
        bias: true,
        in_frac: 8,
        w_frac: 12,
        out_frac: 8,
        codebook,
        centroids,
    };
    let columns = layer.columns() as usize;
    let mut rng = fastrand::Rng::with_seed(42);
    let mut codes = vec![vec![0u8; columns]; out_len as usize];
    for (i, row) in codes.iter_mut().enumerate() {
        row[0] = rng.u8(1..16);
        // Column 1 stays empty.
        if i == 66 || i == 69 {
            row[2] = 15;
        }
        for code in &mut row[3..] {
            if rng.u8(..4) == 0 {
                *code = rng.u8(1..16);
            }
        }
    }
    DenseLayer { layer, codes }
}

#[test]
fn one_layer_runs_end_to_end() {
    let d = sample_layer();
    for (seed, delays) in [(0, false), (5, true)] {
        let sim = sim(4, seed, delays);
        let mut eie = Eie::new(sim.clone(), sim.clone()).unwrap();
        let image = image(&d, eie.geometry());
        let info = eie.load(&image).unwrap();
        assert_eq!(info.output_len(), 70);
        let inputs: [[i16; 7]; 3] = [
            [256, -512, 1000, 77, 0, -3, 32767],
            [0; 7],
            [-32768, 0, 0, 1, 0, 0, 300],
        ];
        for input in inputs {
            let mut out = vec![0i16; 70];
            let before = sim.cycles();
            let stats = eie.run(&input, &mut out, 100_000).unwrap();
            assert_eq!(out, expected(&d, &input), "input {input:?}");
            assert!(stats.cycles > 0 && u64::from(stats.cycles) < sim.cycles() - before);
            assert_eq!(stats.layer_cycles.len(), 1);
            assert!(stats.layer_cycles[0] > 0 && stats.layer_cycles[0] <= stats.cycles);
        }
        let entries: u32 = (0..4).map(|pe| eie.pe_counters(pe).unwrap().entries).sum();
        assert!(entries > 0);
    }
}

#[test]
fn a_random_layer_runs_on_64_pes() {
    let d = random_layer(300, 517, 0.1, 9);
    let sim = sim(64, 9, true);
    let mut eie = Eie::new(sim.clone(), sim.clone()).unwrap();
    eie.load(&image(&d, eie.geometry())).unwrap();
    let mut rng = fastrand::Rng::with_seed(10);
    let input: Vec<i16> = (0..300)
        .map(|_| if rng.bool() { rng.i16(..) } else { 0 })
        .collect();
    let mut out = vec![0i16; 517];
    eie.run(&input, &mut out, 1_000_000).unwrap();
    assert_eq!(out, expected(&d, &input));
    assert!(out.iter().any(|&y| y > 0), "ReLU left something");
}

/// Random addresses inside the memory windows' capacities, each with a random value.
fn window_accesses(g: &Geometry, rng: &mut fastrand::Rng, count: usize) -> Vec<(u32, u32)> {
    let n = g.num_pes;
    let mut accesses = vec![
        (0x10_0000, rng.u32(..)),
        (0x20_0000 + (g.max_vector_len() - 1) * 4, rng.u32(..)),
        (0x40_0000 + (n * g.ptr_entries - 1) * 4, rng.u32(..)),
        (0x40_0000, u32::MAX),
        (0x80_0000 + (n * g.spmat_words - 1) * 8 + 4, rng.u32(..)),
    ];
    for _ in 0..count {
        let addr = match rng.u8(..4) {
            0 => 0x10_0000 + rng.u32(..g.max_vector_len()) * 4,
            1 => 0x20_0000 + rng.u32(..g.max_vector_len()) * 4,
            2 => 0x40_0000 + rng.u32(..n * g.ptr_entries) * 4,
            _ => 0x80_0000 + rng.u32(..n * g.spmat_words * 2) * 4,
        };
        let value = match addr {
            0x40_0000..0x80_0000 => rng.u32(..=g.spmat_entries()),
            _ => rng.u32(..),
        };
        accesses.push((addr, value));
    }
    accesses.sort_by_key(|a| a.0);
    accesses.dedup_by_key(|a| a.0);
    accesses
}

#[test]
fn the_backdoor_agrees_with_the_bus() {
    for num_pes in [1, 4, 64] {
        let g = geometry(num_pes);
        let mut sim = sim(num_pes, 3, false);
        let mut rng = fastrand::Rng::with_seed(u64::from(num_pes));
        // Written through the backdoor, read over the bus; then the other way round.
        for backdoor_writes in [true, false] {
            let accesses = window_accesses(&g, &mut rng, 300);
            sim.set_backdoor(backdoor_writes).unwrap();
            for &(addr, value) in &accesses {
                sim.write32(addr, value).unwrap();
            }
            sim.set_backdoor(!backdoor_writes).unwrap();
            let mut bus_values = Vec::new();
            for &(addr, _) in &accesses {
                bus_values.push(sim.read32(addr).unwrap());
            }
            sim.set_backdoor(backdoor_writes).unwrap();
            for (&(addr, _), &seen) in accesses.iter().zip(&bus_values) {
                assert_eq!(
                    sim.read32(addr),
                    Ok(seen),
                    "{num_pes} PEs, {addr:#08x}, backdoor writes: {backdoor_writes}"
                );
            }
        }
        // Past the capacity the backdoor steps aside and the bus answers.
        sim.set_backdoor(true).unwrap();
        let past = 0x80_0000 + num_pes * g.spmat_words * 8;
        assert_eq!(refused(&mut sim, past, true), AxiErrorKind::SlvErr);
    }
}

#[test]
fn a_model_loaded_through_the_backdoor_gives_the_same_results() {
    let d = random_layer(300, 517, 0.1, 9);
    let sim = sim(64, 9, false);
    sim.set_backdoor(true).unwrap();
    let mut eie = Eie::new(sim.clone(), sim.clone()).unwrap();
    let before = sim.cycles();
    eie.load(&image(&d, eie.geometry())).unwrap();
    let load_cycles = sim.cycles() - before;
    assert!(load_cycles < 2_000, "the load took {load_cycles} cycles");
    let input: Vec<i16> = (0..300).map(|j| (j * 37 % 1000) as i16 - 300).collect();
    let mut out = vec![0i16; 517];
    eie.run(&input, &mut out, 1_000_000).unwrap();
    assert_eq!(out, expected(&d, &input));
}
