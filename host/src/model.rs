//! An encoded model in memory: the image's header and layer descriptors, and each PE's column
//! pointers and sparse-matrix entries per layer. [`Model::to_image`] and [`Model::from_image`]
//! convert to and from the image format (`docs/image-format.md`), which `eie_memmap::image`
//! defines and decodes.
//!
//! A model read by [`Model::from_image`] has passed every check of the decoder (framing, CRC,
//! record order, capacities, chunk order) and the host's own: the float shared weights are
//! finite, every layer's pointers and entries are present in the image, pointers never go
//! backwards, each layer's entries start on a sparse-matrix word, and relative row indices
//! never run past the PE's rows. After that nothing that walks the model can go out of
//! bounds.

use crate::{Error, Result};
use eie_memmap::geometry::{self, Geometry};
use eie_memmap::image::{self, Event, Header, Layer, Memory, StreamError, Writer};
use std::path::Path;

/// Entries per sparse-matrix word, as `usize`.
const WORD: usize = geometry::ENTRIES_PER_WORD as usize;

/// A model as the accelerator holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// The image header: needs, input and output lengths and formats.
    pub header: Header,
    /// The layers, in program order.
    pub layers: Vec<EncodedLayer>,
}

/// One layer: its descriptor and every PE's share of its matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct EncodedLayer {
    /// The layer descriptor (lengths, formats, codebook, pointer base).
    pub desc: Layer,
    /// Per PE, in PE order.
    pub pes: Vec<PeSlice>,
}

/// One PE's share of one layer, in the PE's own memories.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeSlice {
    /// This layer's entries, `(z << 4) | v`: codebook index `v` in the low nibble, relative
    /// row index `z` in the high nibble.
    pub entries: Vec<u8>,
    /// Index of the first entry in the PE's sparse-matrix memory (a multiple of 8).
    pub entry_base: u32,
    /// Column pointers: absolute entry indices, one per column plus a final one.
    pub col_ptr: Vec<u32>,
}

impl PeSlice {
    /// The entries of column `j`.
    pub fn column(&self, j: usize) -> &[u8] {
        let start = self.col_ptr[j].saturating_sub(self.entry_base) as usize;
        let end = self.col_ptr[j + 1].saturating_sub(self.entry_base) as usize;
        self.entries.get(start..end).unwrap_or(&[])
    }
}

/// The codebook index of an entry.
pub const fn entry_code(entry: u8) -> u8 {
    entry & 0x0F
}

/// The relative row index of an entry.
pub const fn entry_zeros(entry: u8) -> u8 {
    entry >> 4
}

/// An entry from its relative row index and codebook index (both 0..=15).
pub const fn make_entry(zeros: u8, code: u8) -> u8 {
    (zeros << 4) | (code & 0x0F)
}

/// A real number in a Q format with `frac` fractional bits: rounded to nearest (halves away
/// from zero) and saturated to int16. NaN gives 0; callers check for it first.
pub fn quantize(x: f64, frac: u32) -> i16 {
    let scaled = (x * f64::from(frac).exp2()).round();
    if scaled.is_nan() {
        0
    } else {
        scaled.clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16
    }
}

/// The real number an int16 in a Q format with `frac` fractional bits stands for.
pub fn dequantize(q: i16, frac: u32) -> f32 {
    (f64::from(q) / f64::from(frac).exp2()) as f32
}

impl Model {
    /// The PE count the model was encoded for.
    pub fn num_pes(&self) -> u32 {
        self.header.needs.num_pes
    }

    /// A geometry with this model's PE count, for row-interleaving arithmetic.
    pub(crate) fn row_geometry(&self) -> Geometry {
        Geometry {
            num_pes: self.num_pes().max(1),
            ..Geometry::PAPER
        }
    }

    /// Reads and checks an image file.
    pub fn read(path: &Path) -> Result<Model> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Model::from_image(&bytes).map_err(|e| e.with_path(path))
    }

    /// Writes the model's image to a file.
    pub fn write(&self, path: &Path) -> Result<()> {
        std::fs::write(path, self.to_image()).map_err(|e| Error::io(path, e))
    }

    /// Decodes and checks an image (see the module documentation for what is checked).
    pub fn from_image(bytes: &[u8]) -> Result<Model> {
        let mut header: Option<Header> = None;
        let mut descs: Vec<Layer> = Vec::new();
        let mut memories = Memories::default();
        image::decode(bytes, |event| {
            match event {
                Event::Header(h) => {
                    memories = Memories::new(&h);
                    header = Some(h);
                }
                Event::Layer(l) => descs.push(l),
                Event::Chunk(c) => memories.store(&c),
                Event::End => {}
            }
            Ok::<(), std::convert::Infallible>(())
        })
        .map_err(|e| match e {
            StreamError::Image(source) => Error::Image { path: None, source },
            StreamError::Sink(never) => match never {},
        })?;
        let header = header.ok_or_else(|| Error::model("no header"))?;
        let geometry = Geometry {
            num_pes: header.needs.num_pes,
            ..Geometry::PAPER
        };
        let mut layers = Vec::with_capacity(descs.len());
        for (l, desc) in descs.into_iter().enumerate() {
            if let Some((code, c)) = desc
                .centroids
                .iter()
                .enumerate()
                .find(|(_, c)| !c.is_finite())
            {
                return Err(Error::model(format!(
                    "layer {l}: shared weight {code} is {c}"
                )));
            }
            let pes = (0..header.needs.num_pes)
                .map(|pe| memories.slice(l, &desc, pe, &geometry))
                .collect::<Result<Vec<_>>>()?;
            layers.push(EncodedLayer { desc, pes });
        }
        Ok(Model { header, layers })
    }

    /// Writes the image: preamble, header, layers, then every PE's pointer memory (PE
    /// ascending), then every PE's sparse-matrix memory (PE ascending), then the CRC.
    ///
    /// It writes what the model holds without checking it; a model from [`crate::encode`] or
    /// [`Model::from_image`] is consistent, and [`Model::from_image`] refuses the image of one
    /// that is not.
    pub fn to_image(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.record(&image::Record::Header(self.header));
        for layer in &self.layers {
            w.record(&image::Record::Layer(layer.desc));
        }
        let num_pes = self.layers.first().map_or(0, |l| l.pes.len());
        for pe in 0..num_pes {
            let mut ptrs: Vec<u32> = Vec::new();
            for layer in &self.layers {
                let base = layer.desc.ptr_base as usize;
                let Some(col_ptr) = layer.pes.get(pe).map(|s| &s.col_ptr) else {
                    continue;
                };
                if ptrs.len() < base + col_ptr.len() {
                    ptrs.resize(base + col_ptr.len(), 0);
                }
                ptrs[base..base + col_ptr.len()].copy_from_slice(col_ptr);
            }
            let bytes: Vec<u8> = ptrs.iter().flat_map(|p| p.to_le_bytes()).collect();
            w.chunks(pe as u32, Memory::Pointers, 0, &bytes);
        }
        for pe in 0..num_pes {
            let mut spmat: Vec<u8> = Vec::new();
            for layer in &self.layers {
                let Some(slice) = layer.pes.get(pe) else {
                    continue;
                };
                let base = slice.entry_base as usize;
                if spmat.len() < base + slice.entries.len() {
                    spmat.resize(base + slice.entries.len(), 0);
                }
                spmat[base..base + slice.entries.len()].copy_from_slice(&slice.entries);
            }
            spmat.resize(spmat.len().div_ceil(WORD) * WORD, 0);
            w.chunks(pe as u32, Memory::Spmat, 0, &spmat);
        }
        w.finish()
    }

    /// Layer `layer`'s matrix of codebook indices, decoded from the PEs' arrays: row-major
    /// `[rows][cols + bias]`, 0 where there is no weight.
    ///
    /// # Panics
    ///
    /// If `layer` is not a layer of the model.
    pub fn dense_codes(&self, layer: usize) -> Vec<u8> {
        let l = &self.layers[layer];
        let rows = l.desc.out_len as usize;
        let stride = l.desc.columns() as usize;
        let n = l.pes.len();
        let mut codes = vec![0u8; rows * stride];
        for (pe, slice) in l.pes.iter().enumerate() {
            for j in 0..stride.min(slice.col_ptr.len().saturating_sub(1)) {
                let mut local = 0usize;
                for &e in slice.column(j) {
                    local += entry_zeros(e) as usize;
                    let row = pe + local * n;
                    if entry_code(e) != 0 && row < rows {
                        codes[row * stride + j] = entry_code(e);
                    }
                    local += 1;
                }
            }
        }
        codes
    }

    /// Checks one input vector (row `row` of a batch): its length and that every value is
    /// finite.
    pub fn check_input(&self, row: usize, x: &[f32]) -> Result<()> {
        let expected = self.header.input_len as usize;
        if x.len() != expected {
            return Err(Error::InputLength {
                row,
                found: x.len(),
                expected,
            });
        }
        match x.iter().position(|v| !v.is_finite()) {
            Some(index) => Err(Error::NonFiniteInput {
                row,
                index,
                value: x[index],
            }),
            None => Ok(()),
        }
    }

    /// An input vector in the model's input format (rounded to nearest, saturated).
    pub fn quantize_input(&self, x: &[f32]) -> Result<Vec<i16>> {
        self.check_input(0, x)?;
        let frac = u32::from(self.header.input_frac);
        Ok(x.iter().map(|&v| quantize(f64::from(v), frac)).collect())
    }

    /// The real values of an input vector given in the model's input format.
    pub fn dequantize_input(&self, x: &[i16]) -> Vec<f32> {
        let frac = u32::from(self.header.input_frac);
        x.iter().map(|&q| dequantize(q, frac)).collect()
    }

    /// The real values of an output vector in the model's output format.
    pub fn dequantize_output(&self, y: &[i16]) -> Vec<f32> {
        let frac = u32::from(self.header.output_frac);
        y.iter().map(|&q| dequantize(q, frac)).collect()
    }
}

/// Every PE's pointer and sparse-matrix memory as the image's chunks fill them, with a record
/// of which elements were written.
#[derive(Default)]
struct Memories {
    ptrs: Vec<Vec<u32>>,
    ptr_written: Vec<Vec<bool>>,
    spmat: Vec<Vec<u8>>,
    word_written: Vec<Vec<bool>>,
}

impl Memories {
    /// Memories as large as the header declares. The decoder has bounded the declared sizes
    /// by the register map's windows (12 MiB in all), so a hostile header cannot make this
    /// allocate more.
    fn new(h: &Header) -> Memories {
        let pes = h.needs.num_pes as usize;
        let ptr_len = h.needs.ptr_entries as usize;
        let words = h.needs.spmat_words as usize;
        Memories {
            ptrs: vec![vec![0; ptr_len]; pes],
            ptr_written: vec![vec![false; ptr_len]; pes],
            spmat: vec![vec![0; words * WORD]; pes],
            word_written: vec![vec![false; words]; pes],
        }
    }

    /// Copies a chunk in; the decoder has checked it lies inside the declared memory.
    fn store(&mut self, c: &image::Chunk<'_>) {
        let pe = c.pe as usize;
        let offset = c.offset as usize;
        let n = c.len() as usize;
        match c.memory {
            Memory::Pointers => {
                let (Some(dst), Some(written)) = (
                    self.ptrs
                        .get_mut(pe)
                        .and_then(|p| p.get_mut(offset..offset + n)),
                    self.ptr_written
                        .get_mut(pe)
                        .and_then(|p| p.get_mut(offset..offset + n)),
                ) else {
                    return;
                };
                for (d, v) in dst.iter_mut().zip(c.words()) {
                    *d = v;
                }
                written.fill(true);
            }
            Memory::Spmat => {
                let (Some(dst), Some(written)) = (
                    self.spmat
                        .get_mut(pe)
                        .and_then(|s| s.get_mut(offset * WORD..(offset + n) * WORD)),
                    self.word_written
                        .get_mut(pe)
                        .and_then(|w| w.get_mut(offset..offset + n)),
                ) else {
                    return;
                };
                dst.copy_from_slice(c.data);
                written.fill(true);
            }
        }
    }

    /// PE `pe`'s share of layer `l`, checked.
    fn slice(&self, l: usize, desc: &Layer, pe: u32, geometry: &Geometry) -> Result<PeSlice> {
        let where_ = |what: String| Error::model(format!("layer {l}, PE {pe}: {what}"));
        let p = pe as usize;
        let start = desc.ptr_base as usize;
        let end = start + desc.pointers() as usize;
        let written = self.ptr_written[p]
            .get(start..end)
            .is_some_and(|w| w.iter().all(|&b| b));
        if !written {
            return Err(where_(format!(
                "column pointers {start}..{end} are not all in the image"
            )));
        }
        let col_ptr = self.ptrs[p][start..end].to_vec();
        if let Some(j) = col_ptr.windows(2).position(|w| w[1] < w[0]) {
            return Err(where_(format!(
                "column pointer {} is smaller than the one before it",
                start + j + 1
            )));
        }
        let (first, last) = (col_ptr[0], col_ptr[col_ptr.len() - 1]);
        if first as usize % WORD != 0 {
            return Err(where_(format!(
                "entries start at {first}, not on a sparse-matrix word boundary"
            )));
        }
        let words = first as usize / WORD..(last as usize).div_ceil(WORD);
        let present = self.word_written[p]
            .get(words.clone())
            .is_some_and(|w| w.iter().all(|&b| b));
        if !present {
            return Err(where_(format!(
                "sparse-matrix words {}..{} are not all in the image",
                words.start, words.end
            )));
        }
        let slice = PeSlice {
            entries: self.spmat[p][first as usize..last as usize].to_vec(),
            entry_base: first,
            col_ptr,
        };
        let rows = geometry.rows_of_pe(desc.out_len, pe) as usize;
        for j in 0..desc.columns() as usize {
            let mut local = 0usize;
            for &e in slice.column(j) {
                local += entry_zeros(e) as usize;
                if local >= rows {
                    return Err(where_(format!(
                        "column {j}: relative row indices run past the PE's {rows} rows"
                    )));
                }
                local += 1;
            }
        }
        Ok(slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantize_rounds_and_saturates() {
        assert_eq!(quantize(0.5, 8), 128);
        assert_eq!(quantize(1.0 / 512.0, 8), 1); // half rounds away from zero
        assert_eq!(quantize(-1.0 / 512.0, 8), -1);
        assert_eq!(quantize(1000.0, 8), i16::MAX);
        assert_eq!(quantize(-1000.0, 8), i16::MIN);
        assert_eq!(quantize(f64::NAN, 8), 0);
        assert_eq!(dequantize(-384, 8), -1.5);
    }

    #[test]
    fn entries_pack_index_high_and_code_low() {
        let e = make_entry(15, 0);
        assert_eq!(e, 0xF0);
        assert_eq!((entry_zeros(e), entry_code(e)), (15, 0));
        assert_eq!(make_entry(2, 3), 0x23);
    }
}
