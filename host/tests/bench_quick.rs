//! `eie bench --quick` end to end (feature `bench`): one small layer generated, compressed, run
//! on the simulated RTL (backdoor load and the real AXI path) and checked against the
//! reference, CPU baselines timed, the record, the report and both figures written.
#![cfg(feature = "bench")]

use std::process::Command;

#[test]
fn quick_bench_writes_a_consistent_record() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_eie"))
        .args([
            "bench",
            "--quick",
            "--fmax-mhz",
            "50",
            "--fpga-pes",
            "4",
            "--out-dir",
        ])
        .arg(dir.path())
        .output()
        .expect("the eie binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "eie bench --quick failed: {stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("| NT-We/8 | 512 x 75 |"), "{stdout}");

    let text = std::fs::read_to_string(dir.path().join("bench.json")).unwrap();
    let r: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(r["quick"], true);
    let layer = &r["layers"][0];
    let run = &layer["rtl"];
    assert_eq!(run["bit_exact"], true);
    assert_eq!(run["counters_match_model"], true);
    assert_eq!(run["num_pes"], 4);
    let cycles = run["cycles"].as_f64().unwrap();
    let busiest = run["busiest_pe_entries"].as_f64().unwrap();
    let per_pe = run["entries_per_pe"].as_f64().unwrap();
    let macs = run["macs"].as_f64().unwrap();
    // 10% of 512 x 75 weights, every input non-zero, plus the bias column.
    assert!((3000.0..4800.0).contains(&macs), "{macs} MACs");
    assert!(
        per_pe <= busiest && busiest <= cycles,
        "{per_pe} {busiest} {cycles}"
    );
    let eff = run["load_efficiency"].as_f64().unwrap();
    assert!(eff > 0.0 && eff <= 1.0, "{eff}");
    assert!((layer["us_at_800mhz"].as_f64().unwrap() - cycles / 800.0).abs() < 1e-9);
    // The FPGA was given as 4 PEs at 50 MHz: the main run is that build.
    assert!((layer["fpga_us"].as_f64().unwrap() - cycles / 50.0).abs() < 1e-9);
    for t in ["dense_us", "csr_us", "fixed_ref_us"] {
        assert!(layer["cpu"][t].as_f64().unwrap() > 0.0, "{t}");
    }
    assert_eq!(r["axi_check"]["agree"], true);
    assert!(r["axi_check"]["words_compared"].as_u64().unwrap() > 500);
    assert_eq!(r["queue_sweep"].as_array().unwrap().len(), 1);
    assert_eq!(r["pe_sweep"].as_array().unwrap().len(), 1);

    let md = std::fs::read_to_string(dir.path().join("bench.md")).unwrap();
    assert!(md.contains("eie bench --quick"), "{md}");
    let util = run["mac_utilisation"].as_f64().unwrap();
    assert!((util - macs / (4.0 * cycles)).abs() < 1e-12, "{util}");
    for png in [
        "load_efficiency_vs_queue_depth.png",
        "utilisation_vs_queue_depth.png",
        "speedup_vs_pes.png",
    ] {
        let bytes = std::fs::read(dir.path().join(png)).unwrap();
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{png}");
        assert!(bytes.len() > 5000, "{png}: {} bytes", bytes.len());
    }
}

#[test]
fn bad_options_are_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_eie"))
        .args(["bench", "--quick", "--pe-counts", "3"])
        .output()
        .expect("the eie binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("eie: bench: PE count 3: the RTL takes a power of two"),
        "{stderr}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_eie"))
        .args(["bench", "--layers", "Alex-9"])
        .output()
        .expect("the eie binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("eie: options: no layer 'Alex-9'"),
        "{stderr}"
    );
}
