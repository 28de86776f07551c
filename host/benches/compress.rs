//! The whole host path for AlexNet's FC6-8 shapes (Gaussian weights, densities 9/9/25%,
//! 64 PEs): prune + k-means + encode + serialize. With 64 PEs the three layers need 17,414
//! column pointers per PE, more than the register map's 16,384, so each layer is its own
//! image, as the paper runs them (Table III).

use criterion::{criterion_group, criterion_main, Criterion};
use eie::compress::{compress, CompressOptions, Density, NoProgress};
use std::time::Duration;

#[path = "support/alexnet.rs"]
mod alexnet;

fn alexnet_fc6_8(c: &mut Criterion) {
    let layers = alexnet::layers(1);
    let mut group = c.benchmark_group("compress");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("alexnet_fc6-8_64pes", |b| {
        b.iter(|| {
            let mut bytes = 0;
            for (layer, &(_, _, _, density)) in layers.iter().zip(&alexnet::LAYERS) {
                let opts = CompressOptions::new(Density::All(density));
                let (model, _) = compress(std::slice::from_ref(layer), &opts, &NoProgress)
                    .expect("the AlexNet layers compress");
                bytes += model.to_image().len();
            }
            bytes
        })
    });
    group.finish();
}

criterion_group!(benches, alexnet_fc6_8);
criterion_main!(benches);
