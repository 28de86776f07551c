//! Self-tests of the simulation harness (build, cache, AXI4-Lite master, delay, trace) against
//! a small register slave of its own (`csrc/testdata/harness_selftest_slave.v`), independent
//! of the accelerator's RTL.

use eie_bitstream::{verilate, AxiError, AxiErrorKind, Design, Sim, SimOptions, Source};
use eie_firmware::{Bus, Eie, Error};
use embedded_hal::delay::DelayNs;
use std::borrow::Cow;

const SLAVE: &[u8] = include_bytes!("../csrc/testdata/harness_selftest_slave.v");
/// The value of the slave's read-only register 0 in most tests: the EIE identity, so that the
/// driver gets past its first check. (Each parameter value is a separate build.)
const MAGIC: u32 = eie_memmap::regs::ID_VALUE;

fn design(magic: u32) -> Design {
    Design {
        label: "harness-selftest".to_string(),
        top: "harness_selftest_slave".to_string(),
        sources: vec![Source {
            name: "harness_selftest_slave.v".to_string(),
            contents: Cow::Borrowed(SLAVE),
            compile: true,
        }],
        parameters: vec![("Magic".to_string(), magic)],
    }
}

fn slave(magic: u32, seed: u64, axi_delays: bool) -> Sim {
    let options = SimOptions {
        trace: None,
        seed,
        axi_delays,
    };
    Sim::from_design(&design(magic), &options).unwrap()
}

#[test]
fn registers_read_back_with_and_without_random_delays() {
    for (seed, delays) in [(0, false), (1, true), (2, true), (3, true)] {
        let mut sim = slave(MAGIC, seed, delays);
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut model = [0u32; 16];
        assert_eq!(sim.read32(0x0), Ok(MAGIC));
        for _ in 0..400 {
            let reg = rng.u32(1..16);
            if rng.bool() {
                let value = rng.u32(..);
                sim.write32(reg * 4, value).unwrap();
                model[reg as usize] = value;
            } else {
                assert_eq!(sim.read32(reg * 4), Ok(model[reg as usize]), "seed {seed}");
            }
        }
        for reg in 1..16 {
            assert_eq!(sim.read32(reg * 4), Ok(model[reg as usize]));
        }
    }
}

#[test]
fn random_delays_make_accesses_take_varying_time() {
    let sim = slave(MAGIC, 7, true);
    let mut durations = std::collections::BTreeSet::new();
    for i in 0..50 {
        let before = sim.cycles();
        sim.write(4, i).unwrap();
        durations.insert(sim.cycles() - before);
    }
    assert!(durations.len() > 3, "durations {durations:?}");
    let steady = slave(MAGIC, 7, false);
    let before = steady.cycles();
    steady.write(4, 1).unwrap();
    let first = steady.cycles() - before;
    assert!(first <= 4, "an unstalled write takes {first} cycles");
}

#[test]
fn error_responses_are_reported() {
    for delays in [false, true] {
        let sim = slave(MAGIC, 11, delays);
        let err = |kind, addr, write| AxiError { kind, addr, write };
        assert_eq!(sim.write(0x0, 1), Err(err(AxiErrorKind::SlvErr, 0x0, true)));
        assert_eq!(
            sim.write(0x44, 1),
            Err(err(AxiErrorKind::SlvErr, 0x44, true))
        );
        assert_eq!(
            sim.read(0x1000),
            Err(err(AxiErrorKind::DecErr, 0x1000, false))
        );
        assert_eq!(
            sim.write(0x20_0000, 1),
            Err(err(AxiErrorKind::DecErr, 0x20_0000, true))
        );
        sim.write(0x8, 99).unwrap();
        assert_eq!(sim.read(0x8), Ok(99), "the bus works after error responses");
        assert_eq!(sim.read(0x0), Ok(MAGIC));
    }
}

#[test]
fn addresses_outside_the_port_are_refused_without_a_bus_cycle() {
    let sim = slave(MAGIC, 0, false);
    let before = sim.cycles();
    for addr in [0x100_0000, 0x6, 0xFFFF_FFFC] {
        let e = sim.read(addr).unwrap_err();
        assert_eq!(e.kind, AxiErrorKind::BadAddress);
    }
    assert_eq!(sim.cycles(), before);
}

#[test]
fn a_slave_that_never_answers_is_an_error_not_a_hang() {
    for write in [false, true] {
        let sim = slave(MAGIC, 3, true);
        sim.set_axi_timeout(300);
        let before = sim.cycles();
        let result = if write {
            sim.write(0xFF_FFF0, 1).err()
        } else {
            sim.read(0xFF_FFF0).err()
        };
        assert_eq!(
            result,
            Some(AxiError {
                kind: AxiErrorKind::Timeout { cycles: 300 },
                addr: 0xFF_FFF0,
                write
            })
        );
        assert!(sim.cycles() - before <= 301);
        assert_eq!(sim.read(0x4).unwrap_err().kind, AxiErrorKind::Hung);
        sim.reset();
        assert_eq!(sim.read(0x0), Ok(MAGIC), "a reset clears the hung bus");
    }
}

#[test]
fn delay_advances_simulated_time_and_irq_follows_the_pin() {
    let mut sim = slave(MAGIC, 0, false);
    assert!(!sim.irq());
    sim.write(0x40, 1).unwrap();
    sim.cycle();
    assert!(sim.irq());
    let before = sim.cycles();
    sim.delay_us(3);
    assert_eq!(sim.cycles() - before, 300);
    sim.delay_ns(11);
    assert_eq!(sim.cycles() - before, 302);
    let start = sim.cycles();
    let counted = u64::from(sim.read(0x44).unwrap());
    assert!((start..=sim.cycles()).contains(&counted), "{counted}");
    sim.write(0x40, 0).unwrap();
    sim.cycle();
    assert!(!sim.irq());
}

#[test]
fn parameters_select_the_build_and_the_cache_is_reused() {
    let a = verilate::library(&design(MAGIC), false).unwrap();
    let b = verilate::library(&design(0xB), false).unwrap();
    assert_ne!(a, b);
    assert_eq!(verilate::library(&design(MAGIC), false).unwrap(), a);
    assert!(a.starts_with(verilate::cache_root()));
    assert_eq!(slave(MAGIC, 0, false).read(0), Ok(MAGIC));
    assert_eq!(slave(0xB, 0, false).read(0), Ok(0xB));
}

#[test]
fn a_trace_is_written_on_request() {
    let dir = std::env::temp_dir().join(format!("eie-harness-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("selftest.vcd");
    let options = SimOptions {
        trace: Some(path.clone()),
        seed: 0,
        axi_delays: false,
    };
    let sim = Sim::from_design(&design(MAGIC), &options).unwrap();
    sim.write(0x4, 0xABCD).unwrap();
    assert_eq!(sim.read(0x4), Ok(0xABCD));
    drop(sim);
    let vcd = std::fs::read_to_string(&path).unwrap();
    assert!(vcd.contains("$enddefinitions"));
    assert!(vcd.contains("s_axil_awvalid"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_driver_runs_over_the_harness() {
    // The slave answers ID like an EIE but its VERSION register (a scratch register) reads 0,
    // so the driver must read both through the simulated bus and refuse the version.
    let sim = slave(MAGIC, 0, true);
    let err = Eie::new(sim.clone(), sim.clone()).err().unwrap();
    assert_eq!(
        err,
        Error::BadIdentity {
            id: eie_memmap::regs::ID_VALUE,
            version: 0
        }
    );
    // Fill the scratch registers with a version and the SMALL geometry, but 3 PEs.
    let registers = [0x0001_0000, 3, 8, 1024, 1024, 256, 4, 0x1008_3010];
    for (offset, value) in (0x4..).step_by(4).zip(registers) {
        sim.write(offset, value).unwrap();
    }
    let err = Eie::new(sim.clone(), sim.clone()).err().unwrap();
    assert!(
        matches!(err, Error::UnsupportedGeometry(g) if g.field == "num_pes" && g.value == 3),
        "{err}"
    );
    sim.write(0x8, 4).unwrap();
    let eie = Eie::new(sim.clone(), sim.clone()).unwrap();
    assert_eq!(*eie.geometry(), eie_memmap::Geometry::SMALL);
}

#[test]
fn simulators_run_side_by_side_on_other_threads() {
    let handles: Vec<_> = (0..2u32)
        .map(|t| {
            let sim = slave(MAGIC, t.into(), true);
            std::thread::spawn(move || {
                for i in 0..200 {
                    sim.write(0x4 + 4 * (i % 15), i ^ t).unwrap();
                    assert_eq!(sim.read(0x4 + 4 * (i % 15)), Ok(i ^ t));
                }
                sim.cycles()
            })
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap() > 400);
    }
}

#[test]
fn a_broken_design_fails_with_the_compiler_message() {
    let mut broken = design(MAGIC);
    broken.label = "harness-selftest-broken".to_string();
    broken.sources[0].contents = Cow::Borrowed(b"module harness_selftest_slave(; endmodule\n");
    let err = Sim::from_design(&broken, &SimOptions::default())
        .err()
        .unwrap();
    match &err {
        eie_bitstream::SimError::Build { step, log, tail } => {
            assert!(step.starts_with("verilator"), "{step}");
            assert!(tail.contains("syntax error"), "{tail}");
            assert!(log.is_file());
            assert!(log.starts_with(verilate::cache_root()));
        }
        other => panic!("expected a build error, got {other}"),
    }
}
