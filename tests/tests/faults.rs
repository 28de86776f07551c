//! Bad contents end in an error status or an error response within a bounded number of cycles,
//! never a hang, and the accelerator works again afterwards.

use eie_bitstream::{AxiErrorKind, Sim, SimConfig};
use eie_firmware::Bus;
use eie_memmap::regs::{self, ErrorCode};
use eie_memmap::Geometry;
use eie_tests::*;

const G: Geometry = Geometry::SMALL;
/// No program of these tests may take longer than this.
const MAX_CYCLES: u64 = 200_000;

fn sim() -> Sim {
    Sim::new(&SimConfig {
        axi_delays: true,
        seed: 17,
        ..SimConfig::new(G)
    })
    .unwrap_or_else(|e| panic!("simulator: {e}"))
}

fn poke(sim: &mut Sim, addr: u32, value: u32) {
    sim.write32(addr, value)
        .unwrap_or_else(|e| panic!("write {addr:#x} = {value:#x}: {e}"));
}

/// A valid one-layer program over empty columns: `in_len` inputs, 4 outputs, all pointers 0.
fn program(sim: &mut Sim, in_len: u32) {
    poke(sim, regs::NUM_LAYERS, 1);
    poke(sim, regs::layer_reg(0, regs::LAYER_IN_LEN), in_len);
    poke(sim, regs::layer_reg(0, regs::LAYER_OUT_LEN), 4);
    poke(sim, regs::layer_reg(0, regs::LAYER_PTR_BASE), 0);
    poke(sim, regs::layer_reg(0, regs::LAYER_CFG), 0);
    for pe in 0..G.num_pes {
        for p in 0..=in_len {
            poke(sim, regs::ptr_addr(&G, pe, p), 0);
        }
    }
    for j in 0..in_len {
        poke(sim, regs::act_addr(0, j), 1);
    }
}

/// Starts the program and waits (bounded) for it to stop; returns `STATUS`.
fn start_and_wait(sim: &mut Sim) -> u32 {
    poke(sim, regs::STATUS, regs::STATUS_DONE | regs::STATUS_ERROR);
    poke(sim, regs::CTRL, regs::CTRL_START);
    let start = sim.cycles();
    loop {
        let status = sim.read32(regs::STATUS).unwrap();
        if status & regs::STATUS_BUSY == 0 {
            return status;
        }
        assert!(
            sim.cycles() - start < MAX_CYCLES,
            "still busy after {MAX_CYCLES} cycles"
        );
        sim.run_cycles(10);
    }
}

fn assert_error(sim: &mut Sim, code: ErrorCode, what: &str) {
    let status = start_and_wait(sim);
    assert_ne!(
        status & regs::STATUS_ERROR,
        0,
        "{what}: STATUS {status:#x} has no error"
    );
    let found = ErrorCode::from_code((status >> regs::STATUS_CODE_SHIFT) as u8);
    assert_eq!(found, code, "{what}: STATUS {status:#x}");
}

/// As `assert_error`, for an error a PE found: ERROR_INFO names that PE (bits 31..24).
fn assert_pe_error(sim: &mut Sim, code: ErrorCode, pe: u32, what: &str) {
    assert_error(sim, code, what);
    let info = sim.read32(regs::ERROR_INFO).unwrap();
    assert_eq!(info >> 24, pe, "{what}: ERROR_INFO {info:#x}");
}

/// A named corruption of a valid program and the error code it must end in.
type Corruption<'a> = (&'a str, ErrorCode, &'a dyn Fn(&mut Sim));

fn assert_recovers(sim: &mut Sim) {
    program(sim, 8);
    let status = start_and_wait(sim);
    assert_eq!(
        status & (regs::STATUS_DONE | regs::STATUS_ERROR),
        regs::STATUS_DONE,
        "a valid program runs after the fault"
    );
}

#[test]
fn bad_descriptors_end_in_error_codes() {
    let mut sim = sim();
    let cases: [Corruption; 5] = [
        ("no layers", ErrorCode::BadLayerCount, &|s| {
            poke(s, regs::NUM_LAYERS, 0)
        }),
        (
            "input longer than the activation files",
            ErrorCode::LayerTooLong,
            &|s| {
                poke(
                    s,
                    regs::layer_reg(0, regs::LAYER_IN_LEN),
                    G.max_vector_len() + 1,
                )
            },
        ),
        (
            "output longer than the activation files",
            ErrorCode::LayerTooLong,
            &|s| {
                poke(
                    s,
                    regs::layer_reg(0, regs::LAYER_OUT_LEN),
                    G.max_vector_len() + 1,
                )
            },
        ),
        (
            "pointers past the pointer memory",
            ErrorCode::PtrBaseOutOfRange,
            &|s| {
                poke(
                    s,
                    regs::layer_reg(0, regs::LAYER_PTR_BASE),
                    G.ptr_entries - 4,
                )
            },
        ),
        ("shift past the accumulator", ErrorCode::BadShift, &|s| {
            poke(s, regs::layer_reg(0, regs::LAYER_CFG), 48)
        }),
    ];
    for (what, code, corrupt) in cases {
        program(&mut sim, 8);
        corrupt(&mut sim);
        assert_error(&mut sim, code, what);
        assert_recovers(&mut sim);
    }
}

#[test]
fn pe_errors_are_caught_and_name_the_pe() {
    let mut sim = sim();
    program(&mut sim, 8);
    poke(&mut sim, regs::ptr_addr(&G, 2, 3), 5);
    assert_pe_error(
        &mut sim,
        ErrorCode::PtrBackwards,
        2,
        "pointer running backwards",
    );
    assert_recovers(&mut sim);

    program(&mut sim, 8);
    for p in 1..=8 {
        poke(&mut sim, regs::ptr_addr(&G, 1, p), G.spmat_entries() + 8);
    }
    assert_pe_error(
        &mut sim,
        ErrorCode::PtrPastEnd,
        1,
        "pointer past the sparse matrix",
    );
    assert_recovers(&mut sim);

    // Column 0 of PE 3 holds eight entries of z = 15: rows 15, 31, ... of a 1-row PE slice.
    program(&mut sim, 8);
    for p in 1..=8 {
        poke(&mut sim, regs::ptr_addr(&G, 3, p), 8);
    }
    poke(&mut sim, regs::spmat_addr(&G, 3, 0), 0xF1F1_F1F1);
    poke(&mut sim, regs::spmat_addr(&G, 3, 0) + 4, 0xF1F1_F1F1);
    assert_pe_error(
        &mut sim,
        ErrorCode::RowOverflow,
        3,
        "relative indices past the layer's rows",
    );
    assert_recovers(&mut sim);
}

#[test]
fn a_busy_accelerator_refuses_a_second_start_and_memory_access() {
    let mut sim = sim();
    program(&mut sim, G.max_vector_len() - 1);
    poke(&mut sim, regs::AXI_ERR, 0);
    poke(&mut sim, regs::CTRL, regs::CTRL_START);
    assert_ne!(
        sim.read32(regs::STATUS).unwrap() & regs::STATUS_BUSY,
        0,
        "the program is still running"
    );
    let refused = |r: Result<(), eie_bitstream::AxiError>| r.map_err(|e| e.kind);
    assert_eq!(
        refused(sim.write32(regs::CTRL, regs::CTRL_START)),
        Err(AxiErrorKind::SlvErr),
        "start while busy"
    );
    assert_eq!(
        refused(sim.write32(regs::act_addr(0, 0), 3)),
        Err(AxiErrorKind::SlvErr),
        "activation write while busy"
    );
    assert_eq!(
        sim.read32(regs::spmat_addr(&G, 0, 0)).map_err(|e| e.kind),
        Err(AxiErrorKind::SlvErr),
        "matrix read while busy"
    );
    let errors = sim.read32(regs::AXI_ERR).unwrap();
    assert_eq!(errors & 0x7FFF_FFFF, 3, "AXI_ERR counts the refusals");
    assert_ne!(errors & 0x8000_0000, 0, "AXI_ERR is sticky");
    assert_eq!(
        sim.read32(regs::AXI_ERR_ADDR),
        Ok(regs::spmat_addr(&G, 0, 0))
    );
    let start = sim.cycles();
    while sim.read32(regs::STATUS).unwrap() & regs::STATUS_BUSY != 0 {
        assert!(
            sim.cycles() - start < MAX_CYCLES,
            "the first program finishes"
        );
        sim.run_cycles(10);
    }
    assert_recovers(&mut sim);
}

#[test]
fn abort_stops_a_running_program() {
    let mut sim = sim();
    program(&mut sim, G.max_vector_len() - 1);
    poke(&mut sim, regs::CTRL, regs::CTRL_START);
    poke(&mut sim, regs::CTRL, regs::CTRL_ABORT);
    let start = sim.cycles();
    let status = loop {
        let s = sim.read32(regs::STATUS).unwrap();
        if s & regs::STATUS_BUSY == 0 {
            break s;
        }
        assert!(sim.cycles() - start < 1_000, "abort takes effect promptly");
    };
    assert_eq!(
        ErrorCode::from_code((status >> regs::STATUS_CODE_SHIFT) as u8),
        ErrorCode::Aborted
    );
    assert_recovers(&mut sim);
}

#[test]
fn the_driver_times_out_aborts_and_runs_again() {
    let mut rng = rng(3);
    let layer = random_layer(&mut rng, 40, 900, 0.5, true);
    let model = model(&[layer], None, 4);
    let mut target = target(G, 4);
    let input = random_input(&mut rng, 900, 1.0, 1..=100);
    target.load(&model.to_image()).unwrap();
    let mut out = vec![0; 40];
    let err = target.driver().run(&input, &mut out, 2).unwrap_err();
    assert!(matches!(err, eie_firmware::Error::Timeout { .. }), "{err}");
    assert_rtl_matches_reference(&mut target, &model, &[input], "after a timeout");
}

#[test]
fn an_image_for_another_pe_count_is_refused_before_anything_is_written() {
    let mut rng = rng(8);
    let model = model(&[random_layer(&mut rng, 20, 10, 0.5, false)], None, 8);
    let mut sim = sim();
    let mut target = eie::target::SimTarget::from_sim(sim.clone()).unwrap();
    let err = target.load(&model.to_image()).unwrap_err().to_string();
    assert!(err.contains("encoded for 8 PEs, hardware has 4"), "{err}");
    for (what, addr) in [
        ("layer descriptor", regs::layer_reg(0, regs::LAYER_IN_LEN)),
        ("layer count", regs::NUM_LAYERS),
        ("pointer", regs::ptr_addr(&G, 0, 1)),
        ("codebook", regs::codebook_addr(0, 1)),
    ] {
        assert_eq!(sim.read32(addr), Ok(0), "nothing was written: {what}");
    }
}

#[test]
fn relative_indices_past_the_rows_fail_in_hardware_not_silently() {
    let mut rng = rng(9);
    let good = model(&[random_layer(&mut rng, 9, 6, 1.0, false)], None, 4);
    let mut model = good.clone();
    // Every entry of PE 1 jumps 15 rows: the decoder cannot see it, the hardware must.
    for e in &mut model.layers[0].pes[1].entries {
        *e |= 0xF0;
    }
    let mut target = target(G, 9);
    target.load(&model.to_image()).unwrap();
    let err = target
        .infer(&random_input(&mut rng, 6, 1.0, 1..=9))
        .unwrap_err()
        .to_string();
    assert!(err.contains("ROW_OVERFLOW"), "{err}");
    assert_rtl_matches_reference(
        &mut target,
        &good,
        &[random_input(&mut rng, 6, 1.0, 1..=9)],
        "after a row overflow",
    );
}
