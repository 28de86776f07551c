//! A build waits while another process holds the lock of the same cache entry, then builds
//! (a test binary of its own: it points `EIE_CACHE_DIR` at a fresh folder for its process).

use eie_bitstream::{verilate, Design, Sim, SimOptions, Source};
use std::borrow::Cow;
use std::time::Duration;

#[test]
fn a_build_waits_for_the_lock_of_its_cache_entry() {
    let root = std::env::temp_dir().join(format!("eie-cache-lock-{}", std::process::id()));
    std::env::set_var("EIE_CACHE_DIR", &root);
    let design = Design {
        label: "harness-selftest".to_string(),
        top: "harness_selftest_slave".to_string(),
        sources: vec![Source {
            name: "harness_selftest_slave.v".to_string(),
            contents: Cow::Borrowed(include_bytes!("../csrc/testdata/harness_selftest_slave.v")),
            compile: true,
        }],
        parameters: vec![("Magic".to_string(), 0x10C)],
    };
    let dir = verilate::cache_dir(&design, false).unwrap();
    assert!(dir.starts_with(&root));
    std::fs::create_dir_all(&root).unwrap();
    let lock_file = std::fs::File::create(dir.with_extension("lock")).unwrap();
    let mut lock = fd_lock::RwLock::new(lock_file);
    let held = lock.write().unwrap();

    let builder = {
        let design = design.clone();
        std::thread::spawn(move || {
            let sim = Sim::from_design(&design, &SimOptions::default()).unwrap();
            sim.read(0).unwrap()
        })
    };
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        !builder.is_finished(),
        "the build did not wait for the lock"
    );
    let started: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(
        started.is_empty(),
        "a build started while the lock was held"
    );
    drop(held);
    assert_eq!(builder.join().unwrap(), 0x10C);
    assert!(dir.join("libeiesim.so").is_file());
    std::fs::remove_dir_all(&root).unwrap();
}
