//! `EIE_TRACE` asks every simulator of the process for a waveform, each in its own file. (A test
//! binary of its own: it sets the variable for its whole process.)

use eie_bitstream::{Design, Sim, SimOptions, Source};
use std::borrow::Cow;

#[test]
fn eie_trace_names_one_file_per_simulator() {
    let dir = std::env::temp_dir().join(format!("eie-trace-env-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::env::set_var("EIE_TRACE", dir.join("wave.vcd"));
    let design = Design {
        label: "harness-selftest".to_string(),
        top: "harness_selftest_slave".to_string(),
        sources: vec![Source {
            name: "harness_selftest_slave.v".to_string(),
            contents: Cow::Borrowed(include_bytes!("../csrc/testdata/harness_selftest_slave.v")),
            compile: true,
        }],
        parameters: vec![("Magic".to_string(), eie_memmap::regs::ID_VALUE)],
    };
    for value in [1, 2] {
        let sim = Sim::from_design(&design, &SimOptions::default()).unwrap();
        sim.write(0x4, value).unwrap();
    }
    for name in ["wave.vcd", "wave-1.vcd"] {
        let vcd = std::fs::read_to_string(dir.join(name)).unwrap();
        assert!(vcd.contains("s_axil_wdata"), "{name}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
