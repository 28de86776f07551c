//! Property tests of the encoding: decoding the per-PE arrays gives back exactly the
//! matrix of codes, for random shapes, densities (0% and 100% included) and PE counts; the
//! image round-trips; and the CSC walk of the fixed-point reference equals the dense
//! arithmetic of `eie_memmap::fixed`.

use eie::encode::{choose_formats, encode, LayerCodes, CODEBOOK};
use eie::model::Model;
use eie::reference::{run_fixed, run_float};
use eie_memmap::fixed;
use proptest::prelude::*;

/// A stack of layers with random shapes and codes at a random density (often exactly 0 or 1).
fn stack() -> impl Strategy<Value = Vec<LayerCodes>> {
    let density = prop_oneof![Just(0.0f64), Just(1.0), 0.0f64..1.0];
    let widths = prop::collection::vec(1usize..48, 2..5);
    (
        widths,
        prop::collection::vec((density, any::<bool>()), 3),
        any::<u64>(),
    )
        .prop_map(|(widths, layer_params, seed)| {
            let mut state = seed | 1;
            let mut next = move || {
                // xorshift64: cheap, deterministic per case.
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state
            };
            let n = widths.len() - 1;
            (0..n)
                .map(|l| {
                    let (cols, rows) = (widths[l], widths[l + 1]);
                    let (density, bias) = layer_params[l];
                    let stride = cols + usize::from(bias);
                    let codes = (0..rows * stride)
                        .map(|_| {
                            let keep = (next() % 1_000_000) as f64 / 1_000_000.0 < density;
                            if keep {
                                (next() % 15 + 1) as u8
                            } else {
                                0
                            }
                        })
                        .collect();
                    let mut centroids = [0.0f32; CODEBOOK];
                    for (i, c) in centroids.iter_mut().enumerate().skip(1) {
                        *c = (i as f32 - 8.0) / 8.0 + (next() % 100) as f32 / 1000.0;
                    }
                    LayerCodes {
                        rows,
                        cols,
                        codes,
                        centroids,
                        bias,
                        relu: l + 1 < n,
                    }
                })
                .collect()
        })
}

fn pes() -> impl Strategy<Value = u32> {
    prop_oneof![Just(1u32), Just(2), Just(4), Just(64)]
}

/// The accelerator's arithmetic done densely, row by row, with the contract's functions.
fn dense_fixed(model: &Model, layers: &[LayerCodes], input: &[i16]) -> Vec<i16> {
    let mut a = input.to_vec();
    for (layer, enc) in layers.iter().zip(&model.layers) {
        let d = &enc.desc;
        let stride = layer.columns();
        a = (0..layer.rows)
            .map(|i| {
                let mut acc = 0i64;
                let row = &layer.codes[i * stride..(i + 1) * stride];
                for (j, &code) in row.iter().enumerate() {
                    let act = a.get(j).copied().unwrap_or(d.bias_activation());
                    let w = d.codebook[usize::from(code)];
                    acc = fixed::accumulate(acc, fixed::product(act, w));
                }
                fixed::requantize(acc, d.shift(), d.relu)
            })
            .collect();
    }
    a
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn per_pe_arrays_decode_to_the_matrix(layers in stack(), num_pes in pes()) {
        let formats = choose_formats(&layers, None, None);
        let model = encode(&layers, &formats, num_pes).unwrap();
        for (l, layer) in layers.iter().enumerate() {
            prop_assert_eq!(model.dense_codes(l), layer.codes.clone(), "layer {}", l);
            for slice in &model.layers[l].pes {
                prop_assert_eq!(slice.entry_base % 8, 0);
                prop_assert_eq!(slice.col_ptr.len(), layer.columns() + 1);
            }
        }
        let image = model.to_image();
        let back = Model::from_image(&image).unwrap();
        prop_assert_eq!(&back, &model);
        prop_assert_eq!(back.to_image(), image);
    }

    #[test]
    fn fixed_reference_is_the_dense_fixed_arithmetic(
        layers in stack(),
        num_pes in pes(),
        seed in any::<u64>(),
    ) {
        let formats = choose_formats(&layers, None, None);
        let model = encode(&layers, &formats, num_pes).unwrap();
        let mut s = seed | 1;
        let input: Vec<i16> = (0..layers[0].cols)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                // Plenty of zeros, as after a ReLU.
                if s % 3 == 0 { 0 } else { (s >> 16) as i16 }
            })
            .collect();
        prop_assert_eq!(run_fixed(&model, &input).unwrap(), dense_fixed(&model, &layers, &input));
    }

    #[test]
    fn float_reference_is_the_shared_weight_network(layers in stack(), num_pes in pes()) {
        let formats = choose_formats(&layers, None, None);
        let model = encode(&layers, &formats, num_pes).unwrap();
        let input: Vec<f32> = (0..layers[0].cols).map(|j| (j as f32 * 0.37).sin()).collect();
        let mut a = input.clone();
        for layer in &layers {
            let stride = layer.columns();
            a = (0..layer.rows)
                .map(|i| {
                    let mut y = 0.0f64;
                    let row = &layer.codes[i * stride..(i + 1) * stride];
                    for (j, &code) in row.iter().enumerate() {
                        let x = a.get(j).map_or(1.0, |&v| v as f64);
                        y += x * layer.centroids[usize::from(code)] as f64;
                    }
                    if layer.relu { y.max(0.0) as f32 } else { y as f32 }
                })
                .collect();
        }
        let got = run_float(&model, &input).unwrap();
        for (g, e) in got.iter().zip(&a) {
            prop_assert!((g - e).abs() <= 1e-3 * (1.0 + e.abs()), "{} vs {}", g, e);
        }
    }
}

#[test]
fn three_pes_are_refused_with_a_clear_error() {
    let mut centroids = [0.5; CODEBOOK];
    centroids[0] = 0.0;
    let layers = vec![LayerCodes {
        rows: 6,
        cols: 2,
        codes: vec![1; 12],
        centroids,
        bias: false,
        relu: false,
    }];
    let formats = choose_formats(&layers, None, None);
    let err = encode(&layers, &formats, 3).unwrap_err().to_string();
    assert!(err.contains("PE count 3 is not supported"), "{err}");
    assert!(encode(&layers, &formats, 4).is_ok());
}
