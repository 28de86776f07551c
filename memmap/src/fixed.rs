//! The fixed-point arithmetic of the accelerator. These functions are the definition the RTL
//! must meet bit for bit; the host's reference model calls them and nothing else.
//!
//! - Activations are int16 in a per-layer Q format: `a = q / 2^in_frac`. Each layer's output
//!   format is the next layer's input format. The constant-1 bias input is `1 << in_frac`,
//!   so a layer with a bias needs `in_frac <= 14`.
//! - Codebook entries (shared weights) are int16 with a per-layer `w_frac` (0 ..= 31, so
//!   small weights keep their bits); code 0 is exactly zero.
//! - A product is int16 x int16, exact in 32 bits (Q `in_frac + w_frac`).
//! - Products are summed in a 48-bit two's-complement accumulator that wraps. A product is
//!   at most 2^30 in magnitude and a layer has at most [`MAX_COLUMNS`] columns (bias
//!   included), so the sum stays below 2^46 and never wraps: the result does not depend on
//!   the order of the additions, and no precision is thrown away before the output.
//! - The output is shifted once, at the end: `shift = in_frac + w_frac - out_frac`
//!   (0 ..= [`MAX_SHIFT`]), rounding half up (add `2^(shift-1)`, then shift arithmetically;
//!   computed exactly, in 49 bits), then saturated to int16, then ReLU if the layer has it.
//!
//! Rounding and saturating only once, on the way out, is what lets 16-bit activations lose
//! as little as possible: the only errors are the codebook's rounding to int16 and the
//! output's rounding to int16 in a format chosen from the data.

/// Width of the accumulator, in bits.
pub const ACC_BITS: u32 = 48;
/// Width of a product, in bits.
pub const PRODUCT_BITS: u32 = 32;
/// Largest output shift.
pub const MAX_SHIFT: u32 = 47;
/// Largest number of columns (inputs plus the bias column) of one layer.
pub const MAX_COLUMNS: u32 = 1 << 16;
/// Largest fractional-bit count of an activation format.
pub const MAX_ACT_FRAC: u32 = 15;
/// Largest fractional-bit count of an activation format feeding a bias column.
pub const MAX_BIAS_FRAC: u32 = 14;
/// Largest fractional-bit count of a codebook format.
pub const MAX_WEIGHT_FRAC: u32 = 31;

/// The product of an activation and a shared weight.
pub const fn product(activation: i16, weight: i16) -> i32 {
    activation as i32 * weight as i32
}

/// Adds a product to a 48-bit accumulator, wrapping as the hardware's adder does.
pub const fn accumulate(acc: i64, product: i32) -> i64 {
    wrap48(acc.wrapping_add(product as i64))
}

/// Sign-extends the low 48 bits of `x`.
pub const fn wrap48(x: i64) -> i64 {
    (x << (64 - ACC_BITS)) >> (64 - ACC_BITS)
}

/// Turns a finished accumulator into an output activation: round half up by `shift` bits,
/// saturate to int16, then ReLU if `relu`.
///
/// ```
/// use eie_memmap::fixed::requantize;
/// assert_eq!(requantize(5, 1, false), 3); // 2.5 rounds up
/// assert_eq!(requantize(-5, 1, false), -2); // -2.5 rounds up too
/// assert_eq!(requantize(1 << 40, 8, false), i16::MAX); // saturates
/// assert_eq!(requantize(-300, 0, true), 0); // ReLU
/// ```
pub const fn requantize(acc: i64, shift: u32, relu: bool) -> i16 {
    let shift = if shift > MAX_SHIFT { MAX_SHIFT } else { shift };
    let acc = wrap48(acc);
    let rounded = if shift == 0 {
        acc
    } else {
        (acc + (1i64 << (shift - 1))) >> shift
    };
    let saturated = if rounded > i16::MAX as i64 {
        i16::MAX
    } else if rounded < i16::MIN as i64 {
        i16::MIN
    } else {
        rounded as i16
    };
    if relu && saturated < 0 {
        0
    } else {
        saturated
    }
}

/// The output shift of a layer, or `None` when the formats cannot be met by a right shift
/// of at most [`MAX_SHIFT`] bits.
pub const fn output_shift(in_frac: u32, w_frac: u32, out_frac: u32) -> Option<u32> {
    let total = in_frac + w_frac;
    if out_frac > total || total - out_frac > MAX_SHIFT {
        None
    } else {
        Some(total - out_frac)
    }
}

/// The constant-1 bias activation in a Q format with `in_frac` fractional bits.
pub const fn bias_activation(in_frac: u32) -> Option<i16> {
    if in_frac <= MAX_BIAS_FRAC {
        Some(1 << in_frac)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn extreme_products_fit() {
        assert_eq!(product(i16::MIN, i16::MIN), 1 << 30);
        assert_eq!(product(i16::MIN, i16::MAX), -(1 << 30) + (1 << 15));
    }

    #[test]
    fn the_largest_sum_does_not_wrap() {
        let mut acc = 0;
        for _ in 0..MAX_COLUMNS {
            acc = accumulate(acc, product(i16::MIN, i16::MIN));
        }
        assert_eq!(acc, 1 << 46);
        // 2^46 / 2^47 = 0.5 rounds up to 1; -0.5 rounds up to 0.
        assert_eq!(requantize(acc, MAX_SHIFT, false), 1);
        assert_eq!(requantize(-acc, MAX_SHIFT, false), 0);
    }

    #[test]
    fn formats() {
        assert_eq!(output_shift(8, 12, 10), Some(10));
        assert_eq!(output_shift(8, 0, 10), None);
        assert_eq!(output_shift(15, 31, 0), Some(46));
        assert_eq!(bias_activation(14), Some(16384));
        assert_eq!(bias_activation(15), None);
    }

    proptest! {
        #[test]
        fn requantize_matches_float_rounding(acc in -(1i64 << 46)..(1i64 << 46), shift in 0u32..=47) {
            // floor(acc / 2^shift + 1/2), in exact integer arithmetic.
            let nearest = (2 * acc as i128 + (1i128 << shift)).div_euclid(2i128 << shift);
            let expected = nearest.clamp(-32768, 32767) as i16;
            prop_assert_eq!(requantize(acc, shift, false), expected);
            prop_assert_eq!(requantize(acc, shift, true), expected.max(0));
        }
    }
}
