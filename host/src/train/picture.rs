//! A PNG of a few digits with their predictions: each digit scaled up, with a label under it
//! (`7` in green when right, `3 not 5` in red when wrong), and a caption on top. Text uses the
//! public-domain 8x8 bitmap font of the `font8x8` crate.

use super::data::PIXELS;
use super::{Result, TrainError};
use font8x8::UnicodeFonts;
use std::path::Path;

/// One digit to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct Tile<'a> {
    /// Its 28 x 28 grey levels in `[0, 1]`.
    pub pixels: &'a [f32],
    /// Its class.
    pub label: u8,
    /// The predicted class.
    pub predicted: u8,
}

/// Side of a digit, in pixels of the source.
const SIDE: usize = 28;
/// Scale of a digit.
const DIGIT_SCALE: usize = 4;
/// Scale of the labels' font.
const LABEL_SCALE: usize = 2;
/// Tiles per row.
const PER_ROW: usize = 8;
/// Space around a tile, in pixels.
const PAD: usize = 10;

const BACKGROUND: [u8; 3] = [255, 255, 255];
const INK: [u8; 3] = [20, 20, 20];
const RIGHT: [u8; 3] = [0, 130, 40];
const WRONG: [u8; 3] = [200, 0, 0];

/// An RGB raster.
struct Canvas {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

impl Canvas {
    fn new(width: usize, height: usize) -> Canvas {
        Canvas {
            width,
            height,
            rgb: BACKGROUND.repeat(width * height),
        }
    }

    fn fill(&mut self, x: usize, y: usize, w: usize, h: usize, color: [u8; 3]) {
        for yy in y..(y + h).min(self.height) {
            for xx in x..(x + w).min(self.width) {
                let at = 3 * (yy * self.width + xx);
                self.rgb[at..at + 3].copy_from_slice(&color);
            }
        }
    }

    /// Draws `text` with its top-left corner at `(x, y)`; characters the font lacks are blank.
    fn text(&mut self, x: usize, y: usize, text: &str, scale: usize, color: [u8; 3]) {
        for (i, c) in text.chars().enumerate() {
            let glyph = font8x8::BASIC_FONTS.get(c).unwrap_or([0; 8]);
            for (row, bits) in glyph.iter().enumerate() {
                for col in 0..8 {
                    if bits >> col & 1 == 1 {
                        let px = x + (i * 8 + col) * scale;
                        self.fill(px, y + row * scale, scale, scale, color);
                    }
                }
            }
        }
    }

    /// Draws a digit, ink dark on white, scaled by [`DIGIT_SCALE`].
    fn digit(&mut self, x: usize, y: usize, pixels: &[f32]) {
        for (i, &v) in pixels.iter().enumerate().take(PIXELS) {
            let level = (255.0 * (1.0 - v.clamp(0.0, 1.0))).round() as u8;
            let (r, c) = (i / SIDE, i % SIDE);
            self.fill(
                x + c * DIGIT_SCALE,
                y + r * DIGIT_SCALE,
                DIGIT_SCALE,
                DIGIT_SCALE,
                [level; 3],
            );
        }
    }
}

/// The label under a tile.
fn label(tile: &Tile) -> (String, [u8; 3]) {
    if tile.label == tile.predicted {
        (tile.predicted.to_string(), RIGHT)
    } else {
        (format!("{} not {}", tile.predicted, tile.label), WRONG)
    }
}

/// Renders the tiles (in rows of eight) under `caption`; returns `(width, height, rgb)`.
pub fn render(tiles: &[Tile], caption: &str) -> Result<(u32, u32, Vec<u8>)> {
    if let Some(t) = tiles.iter().find(|t| t.pixels.len() != PIXELS) {
        return Err(TrainError::options(format!(
            "a digit of {} pixels cannot be drawn (need {PIXELS})",
            t.pixels.len()
        )));
    }
    let cell_w = SIDE * DIGIT_SCALE + 2 * PAD;
    let label_h = 8 * LABEL_SCALE;
    let cell_h = SIDE * DIGIT_SCALE + label_h + 3 * PAD;
    let caption_h = 8 + 2 * PAD;
    let rows = tiles.len().div_ceil(PER_ROW).max(1);
    let width =
        (cell_w * PER_ROW.min(tiles.len()).max(1)).max(8 * caption.chars().count() + 2 * PAD);
    let height = caption_h + rows * cell_h;
    let mut canvas = Canvas::new(width, height);
    canvas.text(PAD, PAD, caption, 1, INK);
    for (i, tile) in tiles.iter().enumerate() {
        let x = (i % PER_ROW) * cell_w + PAD;
        let y = caption_h + (i / PER_ROW) * cell_h + PAD;
        canvas.digit(x, y, tile.pixels);
        let (text, color) = label(tile);
        let text_w = 8 * LABEL_SCALE * text.chars().count();
        let tx = x + (SIDE * DIGIT_SCALE).saturating_sub(text_w) / 2;
        canvas.text(tx, y + SIDE * DIGIT_SCALE + PAD, &text, LABEL_SCALE, color);
    }
    let dims = |v: usize| {
        u32::try_from(v).map_err(|_| TrainError::options(format!("picture of {v} pixels")))
    };
    Ok((dims(width)?, dims(height)?, canvas.rgb))
}

/// Renders the tiles and writes them as an 8-bit RGB PNG.
pub fn write_png(path: &Path, tiles: &[Tile], caption: &str) -> Result<()> {
    let (width, height, rgb) = render(tiles, caption)?;
    let file = std::fs::File::create(path).map_err(|e| TrainError::io(path, e))?;
    let png_error = |e: png::EncodingError| TrainError::Io {
        path: path.to_owned(),
        source: std::io::Error::other(e),
    };
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(png_error)?;
    writer.write_image_data(&rgb).map_err(png_error)?;
    writer.finish().map_err(png_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stroke() -> Vec<f32> {
        // A vertical bar in columns 13 and 14.
        (0..PIXELS)
            .map(|i| f32::from(matches!(i % SIDE, 13 | 14)))
            .collect()
    }

    #[test]
    fn draws_digits_and_coloured_labels() {
        let pixels = stroke();
        let tiles: Vec<Tile> = (0..10u8)
            .map(|i| Tile {
                pixels: &pixels,
                label: 1,
                predicted: if i == 9 { 7 } else { 1 },
            })
            .collect();
        let (w, h, rgb) = render(&tiles, "test").unwrap();
        let cell_w = (SIDE * DIGIT_SCALE + 2 * PAD) as u32;
        assert_eq!(w, 8 * cell_w);
        assert_eq!(rgb.len(), (3 * w * h) as usize);
        let at = |x: usize, y: usize| {
            let i = 3 * (y * w as usize + x);
            [rgb[i], rgb[i + 1], rgb[i + 2]]
        };
        let top = 8 + 2 * PAD + PAD;
        // The bar is black, the rest of the digit white.
        assert_eq!(at(PAD + 13 * DIGIT_SCALE, top + 10), [0, 0, 0]);
        assert_eq!(at(PAD + 2 * DIGIT_SCALE, top + 10), [255, 255, 255]);
        let count = |color: [u8; 3]| rgb.chunks(3).filter(|p| *p == color).count();
        assert!(count(RIGHT) > 0 && count(WRONG) > 0 && count(INK) > 0);
        // Only the tenth tile is wrong: red appears in the second row only.
        let second_row = (8 + 2 * PAD) + (SIDE * DIGIT_SCALE + 8 * LABEL_SCALE + 3 * PAD);
        assert!(rgb[..3 * second_row * w as usize]
            .chunks(3)
            .all(|p| p != WRONG));
    }

    #[test]
    fn writes_a_png_that_decodes() {
        let pixels = stroke();
        let tiles = [Tile {
            pixels: &pixels,
            label: 4,
            predicted: 4,
        }];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.png");
        write_png(&path, &tiles, "one").unwrap();
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        let (w, h, rgb) = render(&tiles, "one").unwrap();
        assert_eq!((info.width, info.height), (w, h));
        assert_eq!(&buf[..info.buffer_size()], &rgb[..]);
        let short = [0.5f32; 10];
        let bad = [Tile {
            pixels: &short,
            label: 0,
            predicted: 0,
        }];
        assert!(render(&bad, "x").is_err());
    }
}
