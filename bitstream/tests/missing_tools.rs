//! Without Verilator the simulator says what is missing and how to install it. (A test binary
//! of its own: it changes the environment of its process.)

use eie_bitstream::{Design, Sim, SimError, SimOptions, Source};
use std::borrow::Cow;

#[test]
fn a_missing_verilator_is_a_clear_error() {
    std::env::set_var("VERILATOR", "/nonexistent/verilator");
    let design = Design {
        label: "harness-selftest".to_string(),
        top: "harness_selftest_slave".to_string(),
        sources: vec![Source {
            name: "harness_selftest_slave.v".to_string(),
            contents: Cow::Borrowed(include_bytes!("../csrc/testdata/harness_selftest_slave.v")),
            compile: true,
        }],
        parameters: Vec::new(),
    };
    let err = Sim::from_design(&design, &SimOptions::default())
        .err()
        .unwrap();
    match &err {
        SimError::VerilatorMissing { command } => assert_eq!(command, "/nonexistent/verilator"),
        other => panic!("expected a missing-Verilator error, got {other}"),
    }
    assert!(
        err.to_string().contains("apt-get install verilator"),
        "{err}"
    );
}
