//! Shared pieces of the end-to-end tests in `tests/tests/`: random layers with the edges the
//! RTL must meet (zero runs, empty columns, saturation, full density), fixed simulator builds,
//! and the comparison of the RTL with the fixed-point reference, bit for bit.

pub mod link;

use eie::encode::{self, Formats, LayerCodes};
use eie::model::Model;
use eie::reference::run_fixed;
use eie::target::SimTarget;
use eie_bitstream::SimConfig;
use eie_memmap::Geometry;
pub use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A seeded random source: every test case is reproducible from its seed.
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// The builds the tests run on: [`Geometry::SMALL`] with `num_pes` PEs, one Verilator model
/// each (cached between runs, and shared with the harness's own tests).
pub fn build(num_pes: u32) -> Geometry {
    Geometry {
        num_pes,
        ..Geometry::SMALL
    }
}

/// The simulated accelerator for `geometry`, with randomised AXI timing from `seed`.
pub fn target(geometry: Geometry, seed: u64) -> SimTarget {
    let config = SimConfig {
        seed,
        axi_delays: true,
        ..SimConfig::new(geometry)
    };
    SimTarget::new(&config).unwrap_or_else(|e| panic!("simulator for {geometry:?}: {e}"))
}

/// A random shared-weight codebook: code 0 is zero, the others non-zero and distinct.
pub fn codebook(rng: &mut impl Rng, scale: f32) -> [f32; 16] {
    let mut c = [0.0; 16];
    for (k, v) in c.iter_mut().enumerate().skip(1) {
        let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
        *v = sign * scale * (k as f32 / 16.0 + rng.random_range(0.0..0.03));
    }
    c
}

/// A random layer: each weight non-zero with probability `density`, codes uniform in 1..16.
pub fn random_layer(
    rng: &mut impl Rng,
    rows: usize,
    cols: usize,
    density: f64,
    bias: bool,
) -> LayerCodes {
    let columns = cols + usize::from(bias);
    let codes = (0..rows * columns)
        .map(|_| {
            if rng.random_bool(density) {
                rng.random_range(1..16)
            } else {
                0
            }
        })
        .collect();
    LayerCodes {
        rows,
        cols,
        codes,
        centroids: codebook(rng, 1.0),
        bias,
        relu: true,
    }
}

/// A random int16 input vector with `density` non-zeros drawn from `range`.
pub fn random_input(
    rng: &mut impl Rng,
    len: usize,
    density: f64,
    range: std::ops::RangeInclusive<i16>,
) -> Vec<i16> {
    (0..len)
        .map(|_| match rng.random_bool(density) {
            true => match rng.random_range(range.clone()) {
                0 => 1,
                v => v,
            },
            false => 0,
        })
        .collect()
}

/// Encodes `layers` for `num_pes` PEs with formats chosen from the data, or `formats`.
pub fn model(layers: &[LayerCodes], formats: Option<Formats>, num_pes: u32) -> Model {
    let formats = formats.unwrap_or_else(|| encode::choose_formats(layers, None, None));
    encode::encode(layers, &formats, num_pes).unwrap_or_else(|e| panic!("encode: {e}"))
}

/// Loads `model` through the driver, runs every input on the RTL and compares each output with
/// the fixed-point reference, bit for bit. Returns the cycles of each run.
pub fn assert_rtl_matches_reference(
    target: &mut SimTarget,
    model: &Model,
    inputs: &[Vec<i16>],
    case: &str,
) -> Vec<u32> {
    target
        .load(&model.to_image())
        .unwrap_or_else(|e| panic!("{case}: load: {e}"));
    inputs
        .iter()
        .enumerate()
        .map(|(n, input)| {
            let expected =
                run_fixed(model, input).unwrap_or_else(|e| panic!("{case}: reference: {e}"));
            let got = target
                .infer(input)
                .unwrap_or_else(|e| panic!("{case}: input {n}: RTL run: {e}"));
            if let Some(i) = (0..expected.len()).find(|&i| got.output[i] != expected[i]) {
                panic!(
                    "{case}: input {n}: RTL output [{i}] = {}, reference {} (of {} outputs)",
                    got.output[i],
                    expected[i],
                    expected.len()
                );
            }
            assert_eq!(got.output.len(), expected.len(), "{case}: output length");
            got.stats.cycles
        })
        .collect()
}
