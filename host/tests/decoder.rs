//! The image decoder against damaged images: every single-byte change and every truncation of
//! real compressed images is rejected by `Model::from_image` (and never panics).

use eie::compress::{compress, CompressOptions, Density, NoProgress};
use eie::import::DenseLayer;
use eie::model::Model;
use eie::Error;
use eie_memmap::image::{ImageError, FORMAT_VERSION};
use proptest::prelude::*;

fn layer(name: &str, rows: usize, cols: usize, bias: bool, salt: f32) -> DenseLayer {
    DenseLayer {
        name: name.into(),
        rows,
        cols,
        weight: (0..rows * cols)
            .map(|i| ((i as f32 + salt) * 0.7311).sin())
            .collect(),
        bias: bias.then(|| (0..rows).map(|i| (i as f32 * 0.3).cos() * 0.1).collect()),
    }
}

/// A real two-layer image: 24 -> 20 (bias, ReLU) -> 5 on 4 PEs.
fn small_image() -> Vec<u8> {
    let layers = [
        layer("fc1", 20, 24, true, 0.0),
        layer("fc2", 5, 20, false, 1.0),
    ];
    let mut opts = CompressOptions::new(Density::All(0.3));
    opts.num_pes = 4;
    let (model, _) = compress(&layers, &opts, &NoProgress).unwrap();
    model.to_image()
}

/// A real one-layer image with a single entry, small enough to try every byte value.
fn tiny_image() -> Vec<u8> {
    let layers = [layer("fc", 2, 2, false, 0.5)];
    let mut opts = CompressOptions::new(Density::All(0.25));
    opts.num_pes = 1;
    let (model, _) = compress(&layers, &opts, &NoProgress).unwrap();
    model.to_image()
}

#[test]
fn the_images_are_valid() {
    for image in [small_image(), tiny_image()] {
        let model = Model::from_image(&image).unwrap();
        assert_eq!(model.to_image(), image);
    }
}

#[test]
fn every_truncation_is_rejected() {
    let image = small_image();
    for len in 0..image.len() {
        assert!(
            Model::from_image(&image[..len]).is_err(),
            "truncation to {len} bytes accepted"
        );
    }
}

#[test]
fn every_byte_value_at_every_position_of_a_tiny_image_is_rejected() {
    let image = tiny_image();
    for i in 0..image.len() {
        for x in 1..=255u8 {
            let mut bad = image.clone();
            bad[i] ^= x;
            assert!(
                Model::from_image(&bad).is_err(),
                "byte {i} ^ {x:#04x} accepted"
            );
        }
    }
}

#[test]
fn every_single_bit_and_inverted_byte_of_a_larger_image_is_rejected() {
    let image = small_image();
    for i in 0..image.len() {
        for x in [1u8, 2, 4, 8, 16, 32, 64, 128, 0xFF] {
            let mut bad = image.clone();
            bad[i] ^= x;
            assert!(
                Model::from_image(&bad).is_err(),
                "byte {i} ^ {x:#04x} accepted"
            );
        }
    }
}

#[test]
fn extra_bytes_after_the_end_are_rejected() {
    let mut image = small_image();
    let len = image.len() as u64;
    image.push(0);
    assert!(matches!(
        Model::from_image(&image),
        Err(Error::Image {
            source: ImageError::TrailingData { at },
            ..
        }) if at == len
    ));
}

#[test]
fn foreign_files_and_other_versions_are_named() {
    let err = Model::from_image(b"\x89PNG\r\n\x1a\n....").unwrap_err();
    assert_eq!(err.to_string(), "image: not an EIE image (bad magic)");
    let mut image = small_image();
    image[4..6].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let err = Model::from_image(&image).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "image: image format version {} is not supported (this build reads {FORMAT_VERSION})",
            FORMAT_VERSION + 1
        )
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Several random byte changes at once are rejected too.
    #[test]
    fn random_damage_is_rejected(
        changes in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..6)
    ) {
        let image = small_image();
        let mut bad = image.clone();
        for (at, x) in &changes {
            bad[at.index(image.len())] ^= x;
        }
        prop_assume!(bad != image);
        prop_assert!(Model::from_image(&bad).is_err());
    }

    /// Arbitrary bytes after a valid preamble never panic the decoder.
    #[test]
    fn arbitrary_bytes_never_panic(tail in prop::collection::vec(any::<u8>(), 0..600)) {
        let mut bytes = small_image()[..6].to_vec();
        bytes.extend(tail);
        let _ = Model::from_image(&bytes);
    }
}

/// Found by the fuzzer: an image whose float shared weights hold a NaN was accepted, and the
/// float reference would have produced NaN.
#[test]
fn nan_shared_weight_is_rejected() {
    let mut model = Model::from_image(&small_image()).unwrap();
    model.layers[1].desc.centroids[14] = f32::NAN;
    let err = Model::from_image(&model.to_image()).unwrap_err();
    assert_eq!(err.to_string(), "image: layer 1: shared weight 14 is NaN");
}
