//! The compressed-model image: the only way a model travels between host, firmware and tests.
//!
//! Layout (see `docs/image-format.md` for the full specification):
//!
//! ```text
//! preamble  "EIE\x1a" magic, format version (u16 little-endian)
//! frames    each: body length (u16 little-endian) + one postcard-encoded [`Record`]
//!           Header, then Layer x num_layers, then Chunk x n, then End
//! ```
//!
//! `End` carries a CRC-32 (ISO-HDLC) of every byte before its own frame. Each frame body is at
//! most [`MAX_FRAME_LEN`] bytes, so a reader holds one frame at a time in a fixed buffer.
//! [`Decoder`] checks everything a decoder can check without memory proportional to the model:
//! record order, the layer chain, every chunk against the capacities the header declares,
//! chunk order (which rules out overlap), pointer monotonicity, and the CRC. The same decoder
//! serves the host (whole file in memory, [`decode`]) and the firmware ([`StreamDecoder`]).

use crate::fixed;
use crate::geometry::{self, Geometry};
use crate::regs;
use serde::{Deserialize, Serialize};

/// The first four bytes of every image.
pub const MAGIC: [u8; 4] = *b"EIE\x1a";
/// The format version this crate reads and writes.
pub const FORMAT_VERSION: u16 = 1;
/// Bytes before the first frame: magic and version.
pub const PREAMBLE_LEN: usize = 6;
/// Bytes of a frame's length prefix.
pub const FRAME_PREFIX_LEN: usize = 2;
/// Largest payload of one chunk, in bytes.
pub const MAX_CHUNK_BYTES: usize = 1024;
/// Largest frame body (one encoded record), in bytes.
pub const MAX_FRAME_LEN: usize = MAX_CHUNK_BYTES + 32;

/// The CRC used by the `End` record.
pub static CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// What an image needs from the hardware: the PE count it was encoded for, and per-PE
/// capacities at least this large.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Requirements {
    /// PE count the rows were interleaved over; must equal the hardware's.
    pub num_pes: u32,
    /// Sparse-matrix words used per PE (the largest over PEs).
    pub spmat_words: u32,
    /// Column pointers used per PE.
    pub ptr_entries: u32,
    /// Activations per PE per file.
    pub act_entries: u32,
    /// Layers in the program.
    pub num_layers: u32,
}

/// Why an image cannot run on a given build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Mismatch {
    /// The geometry field that does not fit.
    pub field: &'static str,
    /// What the image needs.
    pub image: u32,
    /// What the hardware has.
    pub hardware: u32,
}

impl core::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.field == "num_pes" {
            write!(
                f,
                "image is encoded for {} PEs, hardware has {}",
                self.image, self.hardware
            )
        } else {
            write!(
                f,
                "image needs {} = {}, hardware has {}",
                self.field, self.image, self.hardware
            )
        }
    }
}

impl Requirements {
    /// Checks that an image with these needs runs on `hw`.
    pub fn fits(&self, hw: &Geometry) -> Result<(), Mismatch> {
        let mismatch = |field, image, hardware| {
            Err(Mismatch {
                field,
                image,
                hardware,
            })
        };
        if self.num_pes != hw.num_pes {
            return mismatch("num_pes", self.num_pes, hw.num_pes);
        }
        let capacities = [
            ("spmat_words", self.spmat_words, hw.spmat_words),
            ("ptr_entries", self.ptr_entries, hw.ptr_entries),
            ("act_entries", self.act_entries, hw.act_entries),
            ("num_layers", self.num_layers, hw.max_layers),
        ];
        for (field, image, hardware) in capacities {
            if image > hardware {
                return mismatch(field, image, hardware);
            }
        }
        Ok(())
    }
}

/// The first record: what the image needs and what goes in and out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Header {
    /// What the image needs from the hardware.
    pub needs: Requirements,
    /// Length of the input vector.
    pub input_len: u32,
    /// Fractional bits of the input activations.
    pub input_frac: u8,
    /// Length of the output vector.
    pub output_len: u32,
    /// Fractional bits of the output activations.
    pub output_frac: u8,
}

/// One layer of the program: its descriptor, formats and codebook.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Layer {
    /// Position in the program, from 0.
    pub index: u8,
    /// Input length, without the bias column.
    pub in_len: u32,
    /// Output length.
    pub out_len: u32,
    /// Index of the layer's first column pointer in every PE's pointer memory.
    pub ptr_base: u32,
    /// ReLU on the outputs.
    pub relu: bool,
    /// A bias column follows the inputs (column `in_len`, activation 1.0).
    pub bias: bool,
    /// Fractional bits of the input activations.
    pub in_frac: u8,
    /// Fractional bits of the codebook.
    pub w_frac: u8,
    /// Fractional bits of the outputs.
    pub out_frac: u8,
    /// The shared weights as int16 in Q`w_frac`; code 0 is zero.
    pub codebook: [i16; geometry::CODEBOOK_SIZE as usize],
    /// The k-means centroids in f32, for the float reference (code 0 is zero).
    pub centroids: [f32; geometry::CODEBOOK_SIZE as usize],
}

impl Layer {
    /// Columns, bias included.
    pub const fn columns(&self) -> u32 {
        self.in_len + self.bias as u32
    }

    /// Column pointers of the layer in every PE (one more than its columns).
    pub const fn pointers(&self) -> u32 {
        self.columns() + 1
    }

    /// The output shift (checked by the decoder to exist).
    pub const fn shift(&self) -> u32 {
        match fixed::output_shift(
            self.in_frac as u32,
            self.w_frac as u32,
            self.out_frac as u32,
        ) {
            Some(s) => s,
            None => 0,
        }
    }

    /// The constant-1 bias activation, or 0 for a layer without bias.
    pub const fn bias_activation(&self) -> i16 {
        match (self.bias, fixed::bias_activation(self.in_frac as u32)) {
            (true, Some(one)) => one,
            _ => 0,
        }
    }

    /// The value of the descriptor's `LAYER_CFG` register.
    pub const fn cfg_value(&self) -> u32 {
        let mut cfg = self.shift() & regs::LAYER_CFG_SHIFT_MASK;
        if self.relu {
            cfg |= regs::LAYER_CFG_RELU;
        }
        if self.bias {
            cfg |= regs::LAYER_CFG_BIAS;
        }
        cfg
    }

    fn check(&self, needs: &Requirements, previous: Option<&Layer>) -> Result<(), &'static str> {
        let max_len = needs.act_entries.saturating_mul(needs.num_pes);
        if self.in_len == 0 || self.out_len == 0 {
            return Err("a layer needs at least one input and one output");
        }
        if self.in_len > max_len || self.out_len > max_len {
            return Err("vector longer than the activation files the header declares");
        }
        if self.columns() > fixed::MAX_COLUMNS {
            return Err("more columns than the accumulator allows");
        }
        if self
            .ptr_base
            .checked_add(self.pointers())
            .is_none_or(|end| end > needs.ptr_entries)
        {
            return Err("column pointers past the pointer memory the header declares");
        }
        if u32::from(self.in_frac) > fixed::MAX_ACT_FRAC
            || u32::from(self.out_frac) > fixed::MAX_ACT_FRAC
            || u32::from(self.w_frac) > fixed::MAX_WEIGHT_FRAC
        {
            return Err("fractional bits out of range");
        }
        if fixed::output_shift(
            self.in_frac.into(),
            self.w_frac.into(),
            self.out_frac.into(),
        )
        .is_none()
        {
            return Err("output format not reachable by a right shift");
        }
        if self.bias && u32::from(self.in_frac) > fixed::MAX_BIAS_FRAC {
            return Err("input format cannot represent the bias input 1.0");
        }
        if self.codebook[0] != 0 || self.centroids[0] != 0.0 {
            return Err("codebook entry 0 must be zero");
        }
        if let Some(prev) = previous {
            if prev.out_len != self.in_len || prev.out_frac != self.in_frac {
                return Err("input does not match the previous layer's output");
            }
        }
        Ok(())
    }

    fn pointer_range(&self) -> core::ops::Range<u32> {
        self.ptr_base..self.ptr_base + self.pointers()
    }
}

/// Which per-PE memory a chunk fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Memory {
    /// Column pointers, 4 bytes (u32 little-endian) each.
    Pointers,
    /// Sparse-matrix words, 8 bytes each, entry `k` in byte `k`.
    Spmat,
}

impl Memory {
    /// Bytes per element.
    pub const fn element_bytes(self) -> usize {
        match self {
            Memory::Pointers => 4,
            Memory::Spmat => 8,
        }
    }
}

impl core::fmt::Display for Memory {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Memory::Pointers => "pointer",
            Memory::Spmat => "sparse-matrix",
        })
    }
}

/// A run of consecutive elements of one PE's memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Chunk<'a> {
    /// The PE whose memory this is.
    pub pe: u32,
    /// Which memory.
    pub memory: Memory,
    /// Index of the first element.
    pub offset: u32,
    /// The elements, little-endian.
    pub data: &'a [u8],
}

impl<'a> Chunk<'a> {
    /// Number of elements (the decoder has checked that the length divides evenly).
    pub fn len(&self) -> u32 {
        (self.data.len() / self.memory.element_bytes()) as u32
    }

    /// True for a chunk without elements (never passes the decoder).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The elements as 32-bit words in bus order: a pointer is one word, a sparse-matrix
    /// word is its low half then its high half.
    pub fn words(&self) -> impl Iterator<Item = u32> + 'a {
        self.data
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// One record of the image.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Record<'a> {
    /// The first record.
    Header(Header),
    /// One per layer, in program order.
    Layer(Layer),
    /// Memory contents.
    #[serde(borrow)]
    Chunk(Chunk<'a>),
    /// The last record.
    End {
        /// CRC-32 of every byte before this record's frame.
        crc32: u32,
    },
}

/// What is wrong with an image. Offsets are byte positions in the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ImageError {
    /// The file does not start with the image magic.
    BadMagic,
    /// The format version is not one this crate reads.
    UnsupportedVersion {
        /// Version in the file.
        found: u16,
        /// Version this crate reads.
        supported: u16,
    },
    /// The image ends before its `End` record.
    Truncated {
        /// Bytes received.
        at: u64,
    },
    /// A frame declares a body longer than [`MAX_FRAME_LEN`].
    FrameTooLong {
        /// Offset of the frame.
        at: u64,
        /// Declared length.
        len: u32,
    },
    /// A frame body is not a valid record.
    Malformed {
        /// Offset of the frame.
        at: u64,
    },
    /// A record appears where the format does not allow it.
    UnexpectedRecord {
        /// Offset of the frame.
        at: u64,
        /// What the format expects there.
        expected: &'static str,
    },
    /// The CRC in the `End` record does not match the image.
    BadCrc {
        /// CRC stored in the image.
        stored: u32,
        /// CRC of the bytes received.
        computed: u32,
    },
    /// Bytes follow the `End` record.
    TrailingData {
        /// Offset of the first extra byte.
        at: u64,
    },
    /// The header declares impossible needs.
    BadHeader(&'static str),
    /// A layer descriptor is invalid.
    BadLayer {
        /// Layer index.
        layer: u8,
        /// What is wrong.
        reason: &'static str,
    },
    /// A chunk lies outside the memory the header declares, or its length is not whole elements.
    ChunkOutOfBounds {
        /// Offset of the frame.
        at: u64,
        /// PE of the chunk.
        pe: u32,
        /// Memory of the chunk.
        memory: Memory,
    },
    /// A chunk overlaps or precedes the chunk before it (chunks are sorted by memory, PE, offset).
    ChunkOutOfOrder {
        /// Offset of the frame.
        at: u64,
    },
    /// A column pointer is smaller than the one before it in the same layer.
    PointerBackwards {
        /// PE.
        pe: u32,
        /// Pointer index.
        index: u32,
    },
    /// A column pointer points past the sparse-matrix memory the header declares.
    PointerPastEnd {
        /// PE.
        pe: u32,
        /// Pointer index.
        index: u32,
        /// Its value.
        value: u32,
    },
}

impl core::fmt::Display for ImageError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        use ImageError::*;
        match *self {
            BadMagic => f.write_str("not an EIE image (bad magic)"),
            UnsupportedVersion { found, supported } => {
                write!(
                    f,
                    "image format version {found} is not supported (this build reads {supported})"
                )
            }
            Truncated { at } => write!(f, "truncated at byte {at} (no End record)"),
            FrameTooLong { at, len } => {
                write!(
                    f,
                    "frame at byte {at} declares {len} bytes (at most {MAX_FRAME_LEN})"
                )
            }
            Malformed { at } => write!(f, "malformed record at byte {at}"),
            UnexpectedRecord { at, expected } => {
                write!(f, "unexpected record at byte {at} (expected {expected})")
            }
            BadCrc { stored, computed } => {
                write!(f, "integrity check failed (CRC-32 stored {stored:#010x}, computed {computed:#010x})")
            }
            TrailingData { at } => write!(f, "data after the End record at byte {at}"),
            BadHeader(reason) => write!(f, "bad header: {reason}"),
            BadLayer { layer, reason } => write!(f, "layer {layer}: {reason}"),
            ChunkOutOfBounds { at, pe, memory } => {
                write!(
                    f,
                    "{memory} chunk for PE {pe} at byte {at} lies outside the declared memory"
                )
            }
            ChunkOutOfOrder { at } => {
                write!(
                    f,
                    "chunk at byte {at} overlaps or precedes the previous chunk"
                )
            }
            PointerBackwards { pe, index } => {
                write!(
                    f,
                    "PE {pe}: column pointer {index} is smaller than the one before it"
                )
            }
            PointerPastEnd { pe, index, value } => {
                write!(
                    f,
                    "PE {pe}: column pointer {index} = {value} points past the sparse matrix"
                )
            }
        }
    }
}

impl core::error::Error for ImageError {}

/// A decoded item, handed to the caller in image order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Event<'a> {
    /// The header (first).
    Header(Header),
    /// A layer descriptor.
    Layer(Layer),
    /// Memory contents, already checked against the declared capacities.
    Chunk(Chunk<'a>),
    /// The `End` record; the CRC matched. Nothing follows.
    End,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Preamble,
    Header,
    Layers,
    Chunks,
    Done,
}

/// The image decoder's state: constant size, no allocation.
///
/// Feed it the preamble, then each frame (prefix and body) in order; or use [`decode`] or
/// [`StreamDecoder`], which do the framing.
pub struct Decoder {
    stage: Stage,
    digest: crc::Digest<'static, u32>,
    position: u64,
    header: Option<Header>,
    layers: heapless::Vec<Layer, { geometry::MAX_LAYERS as usize }>,
    /// End of the previous chunk: memory, PE and one past its last element.
    last_chunk: Option<(Memory, u32, u32)>,
    /// The previous pointer: PE, index and value.
    last_pointer: Option<(u32, u32, u32)>,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// A decoder at the start of an image.
    pub fn new() -> Self {
        Decoder {
            stage: Stage::Preamble,
            digest: CRC32.digest(),
            position: 0,
            header: None,
            layers: heapless::Vec::new(),
            last_chunk: None,
            last_pointer: None,
        }
    }

    /// The header, once decoded.
    pub fn header(&self) -> Option<&Header> {
        self.header.as_ref()
    }

    /// The layers decoded so far.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// True once the `End` record has been accepted.
    pub fn is_done(&self) -> bool {
        self.stage == Stage::Done
    }

    /// Checks the magic and version.
    pub fn preamble(&mut self, bytes: &[u8; PREAMBLE_LEN]) -> Result<(), ImageError> {
        if self.stage != Stage::Preamble {
            return Err(ImageError::UnexpectedRecord {
                at: self.position,
                expected: "a frame",
            });
        }
        if bytes[..4] != MAGIC {
            return Err(ImageError::BadMagic);
        }
        let version = u16::from_le_bytes([bytes[4], bytes[5]]);
        if version != FORMAT_VERSION {
            return Err(ImageError::UnsupportedVersion {
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        self.digest.update(bytes);
        self.position += PREAMBLE_LEN as u64;
        self.stage = Stage::Header;
        Ok(())
    }

    /// Decodes and checks one frame: its two-byte length prefix followed by exactly that many
    /// bytes of body.
    pub fn frame<'f>(&mut self, frame: &'f [u8]) -> Result<Event<'f>, ImageError> {
        let at = self.position;
        if frame.len() < FRAME_PREFIX_LEN {
            return Err(ImageError::Truncated {
                at: at + frame.len() as u64,
            });
        }
        let len = u16::from_le_bytes([frame[0], frame[1]]) as usize;
        if len > MAX_FRAME_LEN {
            return Err(ImageError::FrameTooLong {
                at,
                len: len as u32,
            });
        }
        if frame.len() != FRAME_PREFIX_LEN + len {
            return Err(ImageError::Truncated {
                at: at + frame.len() as u64,
            });
        }
        let record: Record<'f> = postcard::from_bytes(&frame[FRAME_PREFIX_LEN..])
            .map_err(|_| ImageError::Malformed { at })?;
        let event = match record {
            Record::End { crc32 } => {
                if self.stage != Stage::Chunks {
                    return Err(self.unexpected(at));
                }
                let computed = self.digest.clone().finalize();
                if computed != crc32 {
                    return Err(ImageError::BadCrc {
                        stored: crc32,
                        computed,
                    });
                }
                self.position += frame.len() as u64;
                self.stage = Stage::Done;
                return Ok(Event::End);
            }
            Record::Header(header) => {
                if self.stage != Stage::Header {
                    return Err(self.unexpected(at));
                }
                check_header(&header)?;
                self.header = Some(header);
                self.stage = Stage::Layers;
                Event::Header(header)
            }
            Record::Layer(layer) => {
                self.accept_layer(at, layer)?;
                Event::Layer(layer)
            }
            Record::Chunk(chunk) => {
                self.check_chunk(at, &chunk)?;
                Event::Chunk(chunk)
            }
        };
        self.digest.update(frame);
        self.position += frame.len() as u64;
        Ok(event)
    }

    /// Call at the end of the input: an image that has not reached `End` is truncated.
    pub fn finish(&self) -> Result<(), ImageError> {
        if self.stage == Stage::Done {
            Ok(())
        } else {
            Err(ImageError::Truncated { at: self.position })
        }
    }

    fn accept_layer(&mut self, at: u64, layer: Layer) -> Result<(), ImageError> {
        let header = match (self.stage, self.header) {
            (Stage::Layers, Some(h)) => h,
            _ => return Err(self.unexpected(at)),
        };
        let expected = self.layers.len() as u32;
        if expected >= header.needs.num_layers || u32::from(layer.index) != expected {
            return Err(ImageError::BadLayer {
                layer: layer.index,
                reason: "out of sequence",
            });
        }
        let reason = layer.check(&header.needs, self.layers.last()).err();
        if let Some(reason) = reason.or_else(|| self.overlapping_pointers(&layer)) {
            return Err(ImageError::BadLayer {
                layer: layer.index,
                reason,
            });
        }
        if self.layers.push(layer).is_err() {
            return Err(ImageError::BadHeader("layer count must be 1 to 16"));
        }
        if self.layers.len() as u32 == header.needs.num_layers {
            self.check_chain(&header)?;
            self.stage = Stage::Chunks;
        }
        Ok(())
    }

    fn unexpected(&self, at: u64) -> ImageError {
        let expected = match self.stage {
            Stage::Preamble => "the preamble",
            Stage::Header => "the header",
            Stage::Layers => "a layer",
            Stage::Chunks => "a chunk or the end",
            Stage::Done => "nothing",
        };
        ImageError::UnexpectedRecord { at, expected }
    }

    fn overlapping_pointers(&self, layer: &Layer) -> Option<&'static str> {
        let range = layer.pointer_range();
        self.layers
            .iter()
            .any(|other| {
                let o = other.pointer_range();
                o.start < range.end && range.start < o.end
            })
            .then_some("column pointers overlap another layer's")
    }

    fn check_chain(&self, header: &Header) -> Result<(), ImageError> {
        let (first, last) = match (self.layers.first(), self.layers.last()) {
            (Some(f), Some(l)) => (f, l),
            _ => return Err(ImageError::BadHeader("no layers")),
        };
        if first.in_len != header.input_len || first.in_frac != header.input_frac {
            return Err(ImageError::BadHeader(
                "input does not match the first layer",
            ));
        }
        if last.out_len != header.output_len || last.out_frac != header.output_frac {
            return Err(ImageError::BadHeader(
                "output does not match the last layer",
            ));
        }
        Ok(())
    }

    fn check_chunk(&mut self, at: u64, chunk: &Chunk<'_>) -> Result<(), ImageError> {
        let needs = match (self.stage, self.header) {
            (Stage::Chunks, Some(h)) => h.needs,
            _ => return Err(self.unexpected(at)),
        };
        let size = chunk.memory.element_bytes();
        let capacity = match chunk.memory {
            Memory::Pointers => needs.ptr_entries,
            Memory::Spmat => needs.spmat_words,
        };
        let out_of_bounds = ImageError::ChunkOutOfBounds {
            at,
            pe: chunk.pe,
            memory: chunk.memory,
        };
        if chunk.data.is_empty()
            || chunk.data.len() % size != 0
            || chunk.data.len() > MAX_CHUNK_BYTES
        {
            return Err(out_of_bounds);
        }
        let end = chunk.offset.checked_add(chunk.len()).ok_or(out_of_bounds)?;
        if chunk.pe >= needs.num_pes || end > capacity {
            return Err(out_of_bounds);
        }
        if let Some(last) = self.last_chunk {
            if (chunk.memory, chunk.pe, chunk.offset) < last {
                return Err(ImageError::ChunkOutOfOrder { at });
            }
        }
        self.last_chunk = Some((chunk.memory, chunk.pe, end));
        if chunk.memory == Memory::Pointers {
            let spmat_entries = needs.spmat_words.saturating_mul(geometry::ENTRIES_PER_WORD);
            for (i, value) in chunk.words().enumerate() {
                let index = chunk.offset + i as u32;
                if value > spmat_entries {
                    return Err(ImageError::PointerPastEnd {
                        pe: chunk.pe,
                        index,
                        value,
                    });
                }
                let continues_layer = self
                    .layers
                    .iter()
                    .any(|l| l.pointer_range().contains(&index) && index > l.ptr_base);
                if let Some((pe, last_index, last_value)) = self.last_pointer {
                    let adjacent = pe == chunk.pe && last_index + 1 == index;
                    if adjacent && continues_layer && value < last_value {
                        return Err(ImageError::PointerBackwards {
                            pe: chunk.pe,
                            index,
                        });
                    }
                }
                self.last_pointer = Some((chunk.pe, index, value));
            }
        }
        Ok(())
    }
}

fn check_header(header: &Header) -> Result<(), ImageError> {
    let needs = &header.needs;
    if !needs.num_pes.is_power_of_two() || needs.num_pes > geometry::MAX_PES {
        return Err(ImageError::BadHeader(
            "PE count must be a power of two up to 256",
        ));
    }
    if needs.num_layers == 0 || needs.num_layers > geometry::MAX_LAYERS {
        return Err(ImageError::BadHeader("layer count must be 1 to 16"));
    }
    let pes = u64::from(needs.num_pes);
    if u64::from(needs.spmat_words) * pes * 8 > u64::from(regs::SPMAT_SPAN)
        || u64::from(needs.ptr_entries) * pes * 4 > u64::from(regs::PTR_SPAN)
        || u64::from(needs.act_entries) * pes * 4 > u64::from(regs::ACT_SPAN)
    {
        return Err(ImageError::BadHeader(
            "needs more memory than the register map can address",
        ));
    }
    Ok(())
}

/// Decodes a whole image held in memory, calling `on_event` for each record in order.
///
/// Nothing is handed out before it has been checked, but the CRC is only known at the end:
/// a caller that acts on chunks must not treat the model as valid until `Event::End`.
pub fn decode<'a, E>(
    image: &'a [u8],
    mut on_event: impl FnMut(Event<'a>) -> Result<(), E>,
) -> Result<(), StreamError<E>> {
    let mut decoder = Decoder::new();
    let preamble = image
        .first_chunk::<PREAMBLE_LEN>()
        .ok_or(ImageError::Truncated {
            at: image.len() as u64,
        })?;
    decoder.preamble(preamble)?;
    let mut rest = &image[PREAMBLE_LEN..];
    while !rest.is_empty() {
        if decoder.is_done() {
            return Err(ImageError::TrailingData {
                at: decoder.position(),
            }
            .into());
        }
        let len = match rest {
            [lo, hi, ..] => u16::from_le_bytes([*lo, *hi]) as usize,
            _ => {
                return Err(ImageError::Truncated {
                    at: image.len() as u64,
                }
                .into())
            }
        };
        let frame_len = (FRAME_PREFIX_LEN + len).min(rest.len());
        let (frame, tail) = rest.split_at(frame_len);
        on_event(decoder.frame(frame)?).map_err(StreamError::Sink)?;
        rest = tail;
    }
    decoder.finish()?;
    Ok(())
}

/// An error while decoding: the image's, or the one the event handler returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum StreamError<E> {
    /// The image is bad.
    Image(ImageError),
    /// The handler refused an event.
    Sink(E),
}

impl<E> From<ImageError> for StreamError<E> {
    fn from(e: ImageError) -> Self {
        StreamError::Image(e)
    }
}

impl<E: core::fmt::Display> core::fmt::Display for StreamError<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StreamError::Image(e) => e.fmt(f),
            StreamError::Sink(e) => e.fmt(f),
        }
    }
}

impl<E: core::fmt::Debug + core::fmt::Display> core::error::Error for StreamError<E> {}

/// Decodes an image that arrives in pieces of any size, holding at most one frame.
///
/// Its state is about 3 KiB and it never allocates: this is what firmware uses.
pub struct StreamDecoder {
    decoder: Decoder,
    preamble: [u8; PREAMBLE_LEN],
    preamble_len: usize,
    frame: heapless::Vec<u8, { FRAME_PREFIX_LEN + MAX_FRAME_LEN }>,
}

impl Default for StreamDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamDecoder {
    /// A decoder at the start of an image.
    pub fn new() -> Self {
        StreamDecoder {
            decoder: Decoder::new(),
            preamble: [0; PREAMBLE_LEN],
            preamble_len: 0,
            frame: heapless::Vec::new(),
        }
    }

    /// The checks so far: header, layers, position.
    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    /// Takes the next bytes of the image, calling `on_event` for every record they complete.
    pub fn feed<E>(
        &mut self,
        mut bytes: &[u8],
        mut on_event: impl FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<(), StreamError<E>> {
        while !bytes.is_empty() {
            if self.preamble_len < PREAMBLE_LEN {
                let n = (PREAMBLE_LEN - self.preamble_len).min(bytes.len());
                self.preamble[self.preamble_len..self.preamble_len + n]
                    .copy_from_slice(&bytes[..n]);
                self.preamble_len += n;
                bytes = &bytes[n..];
                if self.preamble_len == PREAMBLE_LEN {
                    self.decoder.preamble(&self.preamble)?;
                }
                continue;
            }
            if self.decoder.is_done() {
                return Err(ImageError::TrailingData {
                    at: self.decoder.position(),
                }
                .into());
            }
            let wanted = match self.frame.as_slice() {
                [lo, hi, ..] => {
                    let len = u16::from_le_bytes([*lo, *hi]) as usize;
                    if len > MAX_FRAME_LEN {
                        let at = self.decoder.position();
                        return Err(ImageError::FrameTooLong {
                            at,
                            len: len as u32,
                        }
                        .into());
                    }
                    FRAME_PREFIX_LEN + len
                }
                _ => FRAME_PREFIX_LEN,
            };
            let n = (wanted - self.frame.len()).min(bytes.len());
            // Cannot overflow: `wanted` is at most the buffer's capacity.
            let _ = self.frame.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
            if let [lo, hi, ..] = self.frame.as_slice() {
                if self.frame.len() == FRAME_PREFIX_LEN + u16::from_le_bytes([*lo, *hi]) as usize {
                    let event = self.decoder.frame(&self.frame)?;
                    on_event(event).map_err(StreamError::Sink)?;
                    self.frame.clear();
                }
            }
        }
        Ok(())
    }

    /// Call when the input ends: an image that has not reached `End` is truncated.
    pub fn finish(&self) -> Result<(), ImageError> {
        self.decoder.finish()
    }
}

/// Writes an image: the preamble, then records, then the `End` record with the CRC.
#[cfg(feature = "std")]
pub struct Writer {
    bytes: std::vec::Vec<u8>,
}

#[cfg(feature = "std")]
impl Default for Writer {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "std")]
impl Writer {
    /// A writer with the preamble written.
    pub fn new() -> Self {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        Writer { bytes }
    }

    /// Appends one record.
    ///
    /// # Panics
    ///
    /// If the record encodes to more than [`MAX_FRAME_LEN`] bytes, which only a chunk with more
    /// than [`MAX_CHUNK_BYTES`] of data can do: split data with [`Writer::chunks`].
    pub fn record(&mut self, record: &Record<'_>) {
        let body = postcard::to_allocvec(record).expect("records always serialise");
        assert!(
            body.len() <= MAX_FRAME_LEN,
            "record of {} bytes is too long for a frame",
            body.len()
        );
        self.bytes
            .extend_from_slice(&(body.len() as u16).to_le_bytes());
        self.bytes.extend_from_slice(&body);
    }

    /// Appends `data` (whole elements of `memory`, starting at element `offset` of PE `pe`)
    /// as chunks of at most [`MAX_CHUNK_BYTES`].
    pub fn chunks(&mut self, pe: u32, memory: Memory, offset: u32, data: &[u8]) {
        let per_chunk = MAX_CHUNK_BYTES / memory.element_bytes();
        for (i, piece) in data.chunks(per_chunk * memory.element_bytes()).enumerate() {
            let offset = offset + (i * per_chunk) as u32;
            self.record(&Record::Chunk(Chunk {
                pe,
                memory,
                offset,
                data: piece,
            }));
        }
    }

    /// Appends the `End` record and returns the image.
    pub fn finish(mut self) -> std::vec::Vec<u8> {
        let crc32 = CRC32.checksum(&self.bytes);
        self.record(&Record::End { crc32 });
        self.bytes
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn layer(index: u8, in_len: u32, out_len: u32, ptr_base: u32) -> Layer {
        let mut codebook = [0; 16];
        let mut centroids = [0.0; 16];
        codebook[1] = 0x100;
        centroids[1] = 0.5;
        Layer {
            index,
            in_len,
            out_len,
            ptr_base,
            relu: true,
            bias: false,
            in_frac: 8,
            w_frac: 9,
            out_frac: 8,
            codebook,
            centroids,
        }
    }

    /// Two layers, 4 PEs: 8 -> 4 -> 2, pointers and one spmat word per PE.
    fn sample() -> Vec<u8> {
        let mut w = Writer::new();
        let needs = Requirements {
            num_pes: 4,
            spmat_words: 2,
            ptr_entries: 16,
            act_entries: 2,
            num_layers: 2,
        };
        w.record(&Record::Header(Header {
            needs,
            input_len: 8,
            input_frac: 8,
            output_len: 2,
            output_frac: 8,
        }));
        w.record(&Record::Layer(layer(0, 8, 4, 0)));
        w.record(&Record::Layer(layer(1, 4, 2, 9)));
        for pe in 0..4 {
            let ptrs: Vec<u8> = (0..14u32).flat_map(|p| (p.min(8)).to_le_bytes()).collect();
            w.chunks(pe, Memory::Pointers, 0, &ptrs);
        }
        for pe in 0..4 {
            w.chunks(pe, Memory::Spmat, 0, &[0x01; 8]);
        }
        w.finish()
    }

    fn count(image: &[u8]) -> Result<usize, StreamError<()>> {
        let mut n = 0;
        decode(image, |_| {
            n += 1;
            Ok(())
        })?;
        Ok(n)
    }

    #[test]
    fn round_trip() {
        assert_eq!(count(&sample()), Ok(1 + 2 + 8 + 1));
    }

    #[test]
    fn streaming_in_single_bytes_gives_the_same_events() {
        let image = sample();
        let mut whole = Vec::new();
        decode(&image, |e| {
            whole.push(std::format!("{e:?}"));
            Ok::<_, ()>(())
        })
        .unwrap();
        let mut stream = StreamDecoder::new();
        let mut pieces = Vec::new();
        for b in &image {
            stream
                .feed(core::slice::from_ref(b), |e| {
                    pieces.push(std::format!("{e:?}"));
                    Ok::<_, ()>(())
                })
                .unwrap();
        }
        stream.finish().unwrap();
        assert_eq!(whole, pieces);
    }

    #[test]
    fn every_flip_and_truncation_is_rejected() {
        let image = sample();
        for i in 0..image.len() {
            assert!(count(&image[..i]).is_err(), "truncation at {i} accepted");
            let mut bad = image.clone();
            bad[i] ^= 0x20;
            assert!(count(&bad).is_err(), "flip at {i} accepted");
        }
        let mut long = image.clone();
        long.push(0);
        assert_eq!(
            count(&long),
            Err(StreamError::Image(ImageError::TrailingData {
                at: image.len() as u64
            }))
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let mut image = sample();
        image[0] = b'X';
        assert_eq!(count(&image), Err(StreamError::Image(ImageError::BadMagic)));
        let mut image = sample();
        image[4] = 9;
        assert!(matches!(
            count(&image),
            Err(StreamError::Image(ImageError::UnsupportedVersion {
                found: 9,
                ..
            }))
        ));
    }

    #[test]
    fn overlapping_chunks_are_rejected() {
        let mut w = Writer::new();
        let needs = Requirements {
            num_pes: 1,
            spmat_words: 4,
            ptr_entries: 4,
            act_entries: 4,
            num_layers: 1,
        };
        w.record(&Record::Header(Header {
            needs,
            input_len: 2,
            input_frac: 8,
            output_len: 2,
            output_frac: 8,
        }));
        w.record(&Record::Layer(layer(0, 2, 2, 0)));
        w.chunks(0, Memory::Spmat, 0, &[0; 16]);
        w.chunks(0, Memory::Spmat, 1, &[0; 8]);
        assert!(matches!(
            count(&w.finish()),
            Err(StreamError::Image(ImageError::ChunkOutOfOrder { .. }))
        ));
    }

    #[test]
    fn backwards_pointers_are_rejected() {
        let mut w = Writer::new();
        let needs = Requirements {
            num_pes: 1,
            spmat_words: 4,
            ptr_entries: 4,
            act_entries: 4,
            num_layers: 1,
        };
        w.record(&Record::Header(Header {
            needs,
            input_len: 2,
            input_frac: 8,
            output_len: 2,
            output_frac: 8,
        }));
        w.record(&Record::Layer(layer(0, 2, 2, 0)));
        let ptrs: Vec<u8> = [0u32, 3, 2].iter().flat_map(|p| p.to_le_bytes()).collect();
        w.chunks(0, Memory::Pointers, 0, &ptrs);
        assert_eq!(
            count(&w.finish()),
            Err(StreamError::Image(ImageError::PointerBackwards {
                pe: 0,
                index: 2
            }))
        );
    }

    #[test]
    fn requirements_against_hardware() {
        let needs = Requirements {
            num_pes: 4,
            spmat_words: 2000,
            ptr_entries: 16,
            act_entries: 2,
            num_layers: 2,
        };
        let hw = Geometry::SMALL;
        assert_eq!(
            needs.fits(&hw),
            Err(Mismatch {
                field: "spmat_words",
                image: 2000,
                hardware: 1024
            })
        );
        let other = Geometry { num_pes: 8, ..hw };
        assert_eq!(needs.fits(&other).unwrap_err().field, "num_pes");
    }
}
