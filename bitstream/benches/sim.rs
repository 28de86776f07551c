//! Simulation speed of the accelerator: idle clock cycles per second, and bus traffic
//! (single AXI4-Lite writes and reads) per second, for the 4-PE and the 64-PE builds.
//!
//! `cargo bench -p eie-bitstream --bench sim` (the first run builds both simulators).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use eie_bitstream::{Sim, SimConfig};
use eie_memmap::{regs, Geometry};

fn simulator(num_pes: u32) -> Sim {
    let geometry = Geometry {
        num_pes,
        ..Geometry::SMALL
    };
    Sim::new(&SimConfig::new(geometry)).unwrap_or_else(|e| panic!("{e}"))
}

fn bench(c: &mut Criterion) {
    for num_pes in [4, 64] {
        let sim = simulator(num_pes);
        let geometry = Geometry {
            num_pes,
            ..Geometry::SMALL
        };
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
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
