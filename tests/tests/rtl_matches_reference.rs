//! Randomised differential tests: the RTL, loaded by the driver over AXI with random bus
//! timing, against the fixed-point reference, bit for bit. Each case names its seed.

use eie::encode::{Formats, LayerCodes};
use eie_tests::*;

/// Local rows (of one PE) holding an entry when the entries are separated by `gaps` zero rows.
fn rows_after_gaps(gaps: &[usize]) -> Vec<usize> {
    let mut rows = Vec::new();
    let mut next = 0;
    for &g in gaps {
        rows.push(next + g);
        next += g + 1;
    }
    rows
}

/// A layer whose column `c` has, in every PE, entries separated by the zero runs `gaps[c]`.
fn gapped_layer(num_pes: usize, rows_per_pe: usize, gaps: &[&[usize]], seed: u64) -> LayerCodes {
    let mut rng = rng(seed);
    let cols = gaps.len();
    let rows = num_pes * rows_per_pe;
    let mut layer = random_layer(&mut rng, rows, cols, 0.0, false);
    for (c, g) in gaps.iter().enumerate() {
        for local in rows_after_gaps(g) {
            for pe in 0..num_pes {
                layer.codes[(local * num_pes + pe) * cols + c] = 1 + (local + c + pe) as u8 % 15;
            }
        }
    }
    layer
}

#[test]
fn zero_runs_of_15_16_17_and_31() {
    let gaps: &[&[usize]] = &[
        &[15],
        &[16],
        &[17],
        &[31],
        &[15, 16, 0],
        &[0, 17, 15],
        &[],
        &[31, 0, 0],
    ];
    for num_pes in [4u32, 64] {
        let layer = gapped_layer(num_pes as usize, 40, gaps, 7);
        let model = model(&[layer], None, num_pes);
        let mut rng = rng(70 + u64::from(num_pes));
        let inputs: Vec<_> = (0..3)
            .map(|_| random_input(&mut rng, gaps.len(), 0.8, 1..=200))
            .collect();
        let mut target = target(build(num_pes), u64::from(num_pes));
        assert_rtl_matches_reference(
            &mut target,
            &model,
            &inputs,
            &format!("zero runs, {num_pes} PEs"),
        );
    }
}

#[test]
fn random_layers_over_densities_and_odd_shapes() {
    for num_pes in [1u32, 4, 64] {
        let n = num_pes as usize;
        let shapes = [
            (2 * n + 3, n + 5),
            (1, 9),
            (n + 1, 1),
            (3 * n + 1, 2 * n + 7),
        ];
        let mut target = target(build(num_pes), 11 * u64::from(num_pes));
        for (s, &(rows, cols)) in shapes.iter().enumerate() {
            for (d, &density) in [0.0, 0.07, 0.3, 1.0].iter().enumerate() {
                let seed = 1000 * u64::from(num_pes) + 10 * s as u64 + d as u64;
                let mut rng = rng(seed);
                let bias = seed % 2 == 0;
                let layer = random_layer(&mut rng, rows, cols, density, bias);
                let model = model(&[layer], None, num_pes);
                let inputs: Vec<_> = [0.0, 0.35, 1.0]
                    .iter()
                    .map(|&act| random_input(&mut rng, cols, act, -255..=255))
                    .collect();
                let case = format!(
                    "{num_pes} PEs, {rows}x{cols}, density {density}, bias {bias}, seed {seed}"
                );
                assert_rtl_matches_reference(&mut target, &model, &inputs, &case);
            }
        }
    }
}

#[test]
fn empty_columns_and_rows() {
    for num_pes in [4u32, 64] {
        let mut rng = rng(5 + u64::from(num_pes));
        let (rows, cols) = (2 * num_pes as usize + 5, 12);
        let mut layer = random_layer(&mut rng, rows, cols, 0.6, true);
        for r in 0..rows {
            for c in 0..cols + 1 {
                if c % 3 == 1 || r % 4 == 2 {
                    layer.codes[r * (cols + 1) + c] = 0;
                }
            }
        }
        let model = model(&[layer], None, num_pes);
        let inputs = vec![random_input(&mut rng, cols, 1.0, -100..=100)];
        let mut target = target(build(num_pes), 3);
        assert_rtl_matches_reference(
            &mut target,
            &model,
            &inputs,
            &format!("empty columns, {num_pes} PEs"),
        );
    }
}

#[test]
fn saturating_outputs() {
    let mut rng = rng(99);
    let mut target = target(build(4), 99);
    for relu in [false, true] {
        let mut layer = random_layer(&mut rng, 23, 17, 0.8, false);
        layer.relu = relu;
        // Integer inputs over the whole int16 range and integer outputs: most sums saturate.
        let formats = Formats {
            input_frac: 0,
            layer_w_frac: vec![12],
            layer_out_frac: vec![0],
        };
        let model = model(&[layer], Some(formats), 4);
        let inputs: Vec<_> = (0..4)
            .map(|_| random_input(&mut rng, 17, 0.9, i16::MIN..=i16::MAX))
            .collect();
        let outputs: Vec<Vec<i16>> = inputs
            .iter()
            .map(|x| eie::reference::run_fixed(&model, x).unwrap())
            .collect();
        let saturated = outputs
            .iter()
            .flatten()
            .filter(|&&y| y == i16::MAX || y == i16::MIN)
            .count();
        assert!(saturated > 10, "the case saturates ({saturated} outputs)");
        assert_rtl_matches_reference(
            &mut target,
            &model,
            &inputs,
            &format!("saturation, relu {relu}"),
        );
    }
}

#[test]
fn multi_layer_programs() {
    for num_pes in [4u32, 64] {
        let mut target = target(build(num_pes), 42);
        for depth in 2..=4usize {
            let seed = 500 + depth as u64 + u64::from(num_pes);
            let mut rng = rng(seed);
            let mut widths = vec![rng.random_range(5..60)];
            for _ in 0..depth {
                widths.push(rng.random_range(1..(num_pes as usize * 2 + 40)));
            }
            let layers: Vec<LayerCodes> = widths
                .windows(2)
                .enumerate()
                .map(|(l, w)| {
                    let mut layer = random_layer(&mut rng, w[1], w[0], 0.25, l % 2 == 0);
                    layer.relu = l + 1 < depth;
                    layer
                })
                .collect();
            let model = model(&layers, None, num_pes);
            let inputs: Vec<_> = (0..2)
                .map(|_| random_input(&mut rng, widths[0], 0.5, 0..=255))
                .collect();
            let case = format!("{depth} layers {widths:?}, {num_pes} PEs, seed {seed}");
            assert_rtl_matches_reference(&mut target, &model, &inputs, &case);
        }
    }
}
