//! Arbitrary bytes into both image decoders: `eie::model::Model::from_image` (whole buffer,
//! host checks included) and `eie_memmap::image::StreamDecoder` (pieces of varying size, as
//! firmware receives them). Neither may panic; the two must agree on images the host
//! accepts, and an accepted model must survive a write and a read unchanged.
//!
//! The first input byte picks the piece size; when its top bit is set, a correct `End` record
//! is appended to the rest, so mutations reach the structural checks behind the CRC.
#![no_main]

use eie::model::Model;
use eie_memmap::image::{StreamDecoder, CRC32};
use libfuzzer_sys::fuzz_target;

/// The frame of an `End` record carrying `crc` (postcard: variant 3, then a varint).
fn end_frame(crc: u32) -> Vec<u8> {
    let mut body = vec![3u8];
    let mut v = crc;
    while v >= 0x80 {
        body.push((v as u8) | 0x80);
        v >>= 7;
    }
    body.push(v as u8);
    let mut frame = (body.len() as u16).to_le_bytes().to_vec();
    frame.extend(body);
    frame
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let piece = usize::from(control & 0x3F) + 1;
    let mut image = rest.to_vec();
    if control & 0x80 != 0 {
        let crc = CRC32.checksum(&image);
        image.extend(end_frame(crc));
    }
    let mut stream = StreamDecoder::new();
    let streamed = image
        .chunks(piece)
        .try_for_each(|bytes| stream.feed(bytes, |_| Ok::<(), ()>(())))
        .is_ok()
        && stream.finish().is_ok();
    if let Ok(model) = Model::from_image(&image) {
        assert!(
            streamed,
            "the host accepted an image the stream decoder refused"
        );
        let written = model.to_image();
        let again = Model::from_image(&written).expect("a written model reads back");
        assert_eq!(again.to_image(), written);
    }
});
