//! Simulation speed of the accelerator, for the 4-PE and the 64-PE builds: idle clock cycles
//! per second, bus traffic (single AXI4-Lite writes and reads) per second, and simulated
//! cycles per second while a 1000-input, 1024-output layer (10% weights, 50% activations)
//! runs through the driver.
//!
//! `cargo bench -p eie-bitstream --bench sim` (the first run builds both simulators).

#[path = "../tests/common/mod.rs"]
mod common;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use eie_bitstream::{Sim, SimConfig};
use eie_firmware::Eie;
use eie_memmap::{regs, Geometry};

fn bench(c: &mut Criterion) {
    let layer = common::random_layer(1000, 1024, 0.1, 1);
    let mut rng = fastrand::Rng::with_seed(2);
    let input: Vec<i16> = (0..1000)
        .map(|_| if rng.bool() { rng.i16(-4096..4096) } else { 0 })
        .collect();
    let reference = common::expected(&layer, &input);
    for num_pes in [4, 64] {
        let geometry = Geometry {
            num_pes,
            spmat_words: 4096,
            ..Geometry::SMALL
        };
        let sim = Sim::new(&SimConfig::new(geometry)).unwrap_or_else(|e| panic!("{e}"));
        let mut group = c.benchmark_group(format!("pes{num_pes}"));
        group.throughput(Throughput::Elements(10_000));
        group.bench_function("idle_cycles", |b| b.iter(|| sim.run_cycles(10_000)));
        group.throughput(Throughput::Elements(256));
        group.bench_function("spmat_writes", |b| {
            b.iter(|| {
                for w in 0..128 {
                    let addr = regs::spmat_addr(&geometry, w % num_pes, w);
                    sim.write(addr, w).unwrap();
                    sim.write(addr + 4, !w).unwrap();
                }
            })
        });
        group.bench_function("act_reads", |b| {
            b.iter(|| {
                for j in 0..256 {
                    sim.read(regs::act_addr(1, j)).unwrap();
                }
            })
        });

        let mut eie = Eie::new(sim.clone(), sim.clone()).unwrap();
        eie.load(&common::image(&layer, &geometry)).unwrap();
        let mut out = vec![0i16; 1024];
        let before = sim.cycles();
        eie.run(&input, &mut out, 10_000_000).unwrap();
        assert_eq!(out, reference, "the RTL disagrees with the reference");
        group.throughput(Throughput::Elements(sim.cycles() - before));
        group.bench_function("layer_run_cycles", |b| {
            b.iter(|| eie.run(&input, &mut out, 10_000_000).unwrap())
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
