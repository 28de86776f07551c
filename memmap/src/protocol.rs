//! The link between the host and the firmware: blocking request/response messages over a byte
//! stream (a UART, or a TCP socket to the simulated SoC's UART).
//!
//! Every frame is (see `docs/protocol.md` for the full specification):
//!
//! ```text
//! COBS( version: u8 | seq: varint u16 | postcard body | CRC-32 (ISO-HDLC, little-endian) ) 0x00
//! ```
//!
//! The CRC covers everything before it, so a flipped bit, a dropped byte or a truncated frame
//! is detected; the `0x00` delimiter lets a receiver resynchronise at the next frame. The host
//! sends one [`Request`] and waits for the [`Response`] with the same sequence number; the
//! firmware may send unsolicited [`Response::Log`] and [`Response::Panic`] frames in between.
//! Every failure has its own [`Fault`] variant; nothing in this module panics on bad input.
//!
//! [`encode`] writes a frame into a caller's buffer, [`decode_in_place`] checks and decodes one,
//! and [`FrameReader`] splits a byte stream into frames with a fixed buffer.

use crate::geometry::{self, Geometry};
use crate::image::CRC32;
use serde::{Deserialize, Serialize};

/// The protocol version: the first byte of every frame. A receiver refuses other versions.
pub const VERSION: u8 = 1;
/// The frame delimiter.
pub const DELIMITER: u8 = 0;
/// Bytes of the CRC-32 that ends every message.
pub const CRC_LEN: usize = 4;
/// Largest message (version, sequence number, body and CRC) before COBS encoding.
pub const MAX_MESSAGE_LEN: usize = 4096;
/// Largest frame on the wire: a COBS-encoded message and its delimiter.
pub const MAX_FRAME_LEN: usize = cobs::max_encoding_length(MAX_MESSAGE_LEN) + 1;
/// Largest image piece of one [`Request::LoadChunk`].
pub const MAX_CHUNK_LEN: usize = 2048;
/// Longest input or output vector one [`Request::Infer`] or [`Inference`] carries.
pub const MAX_VECTOR_LEN: usize = 1792;
/// PEs whose counters one [`Response::Counters`] carries.
pub const COUNTERS_PER_FRAME: u32 = 128;
/// Bytes of one PE's counters in [`Response::Counters`]: entries, busy, starved and
/// queue-full cycles, each a little-endian `u32`.
pub const COUNTER_BYTES: usize = 16;

/// What the host asks. Each request gets exactly one [`Response`] with its sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request<'a> {
    /// Firmware version, hardware geometry and capacities: answered by [`Response::Identity`].
    Identify,
    /// The model state and counters: answered by [`Response::Status`].
    Status,
    /// Starts an upload of `image_len` bytes into the staging buffer, dropping any earlier
    /// unfinished upload (the active model is untouched). With `crc32`, [`Request::Commit`]
    /// also checks the CRC-32 of the whole upload. Answered by [`Response::Progress`].
    LoadBegin {
        /// Length of the image.
        image_len: u32,
        /// CRC-32 (ISO-HDLC) of the image, if the host wants it checked.
        crc32: Option<u32>,
    },
    /// The image bytes at `offset`. Pieces must arrive in order; a piece repeated verbatim
    /// (a retry) is accepted again. Answered by [`Response::Progress`].
    LoadChunk {
        /// Offset of the first byte in the image.
        offset: u32,
        /// At most [`MAX_CHUNK_LEN`] bytes.
        data: &'a [u8],
    },
    /// Checks the staged image (length, CRC, the image's own checks against the geometry) and
    /// only then writes it to the accelerator. Answered by [`Response::Committed`].
    Commit,
    /// Runs the active model on one input vector. Answered by [`Response::Inference`].
    Infer {
        /// The input, int16 in the model's input format.
        #[serde(borrow)]
        input: Samples<'a>,
        /// Longest wait for the accelerator in microseconds; 0 takes the firmware's default.
        timeout_us: u32,
    },
    /// Per-PE counters of the last run, from PE `first_pe` on. Answered by
    /// [`Response::Counters`].
    Counters {
        /// First PE wanted.
        first_pe: u32,
    },
    /// Drops any upload, aborts a running program and deactivates the model. Answered by
    /// [`Response::Ack`].
    Reset,
}

/// What the firmware answers (or sends unsolicited: [`Response::Log`], [`Response::Panic`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Response<'a> {
    /// Answer to [`Request::Identify`].
    #[serde(borrow)]
    Identity(Identity<'a>),
    /// Answer to [`Request::Status`].
    Status(Status),
    /// Answer to [`Request::Reset`].
    Ack,
    /// Answer to [`Request::LoadBegin`] and [`Request::LoadChunk`]: bytes staged so far.
    Progress {
        /// Bytes of the image received, in order, from its start.
        received: u32,
    },
    /// Answer to [`Request::Commit`]: the model now active.
    Committed(ModelSummary),
    /// Answer to [`Request::Infer`].
    Inference(Inference<'a>),
    /// Answer to [`Request::Counters`].
    Counters {
        /// The first PE in `data`.
        first_pe: u32,
        /// PEs in the build.
        num_pes: u32,
        /// [`COUNTER_BYTES`] per PE.
        data: &'a [u8],
    },
    /// The request failed; nothing it would have changed has changed, unless the fault says so.
    Error(Fault<'a>),
    /// Unsolicited: a log record (defmt-encoded bytes, decoded with the firmware ELF's table).
    Log(&'a [u8]),
    /// Unsolicited: the firmware panicked with this message and is resetting.
    Panic(&'a str),
}

/// A little-endian int16 vector carried as bytes, so that it decodes without copying.
///
/// A view: [`Samples::len`] and [`Samples::iter`] read whole values only, so an odd byte count
/// (which [`Samples::is_valid`] reports) never causes a panic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Samples<'a>(#[serde(borrow)] pub &'a [u8]);

impl<'a> Samples<'a> {
    /// True when the bytes hold whole int16 values.
    pub fn is_valid(&self) -> bool {
        self.0.len() % 2 == 0
    }

    /// Number of whole values.
    pub fn len(&self) -> usize {
        self.0.len() / 2
    }

    /// True for an empty vector.
    pub fn is_empty(&self) -> bool {
        self.0.len() < 2
    }

    /// The values.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = i16> + 'a {
        self.0
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
    }

    /// Writes `values` into `buf` as little-endian bytes and views them; `None` if `buf` is
    /// too short.
    pub fn write(values: &[i16], buf: &'a mut [u8]) -> Option<Samples<'a>> {
        let bytes = buf.get_mut(..values.len().checked_mul(2)?)?;
        for (b, v) in bytes.chunks_exact_mut(2).zip(values) {
            b.copy_from_slice(&v.to_le_bytes());
        }
        Some(Samples(bytes))
    }
}

/// The firmware and the hardware it drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity<'a> {
    /// The protocol version the firmware speaks ([`VERSION`]).
    pub protocol: u8,
    /// The firmware's version (its crate version).
    pub firmware: &'a str,
    /// The accelerator's `VERSION` register.
    pub hw_version: u32,
    /// The geometry the accelerator reports through its `GEOM_*` registers.
    pub geometry: Geometry,
    /// Capacities of the firmware.
    pub capacity: Capacity,
    /// Rate of the firmware's cycle counter (the unit of [`Inference::firmware_ticks`]), Hz;
    /// 0 if it has none.
    pub timer_hz: u32,
    /// The accelerator's clock (the unit of its cycle counters), Hz; 0 if unknown.
    pub accel_hz: u32,
}

/// Sizes the firmware can take.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capacity {
    /// Bytes of the staging buffer: the largest image.
    pub staging: u32,
    /// Largest frame the firmware receives ([`MAX_FRAME_LEN`]).
    pub max_frame: u32,
    /// Largest [`Request::LoadChunk`] piece.
    pub max_chunk: u32,
    /// Longest input and output vector.
    pub max_vector: u32,
}

/// The state of the accelerator's model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ModelState {
    /// No model was committed since the firmware started (or since a [`Request::Reset`]).
    None,
    /// This model is active.
    Active(ModelSummary),
    /// Writing a verified image to the accelerator failed: the old model is overwritten, the
    /// new one incomplete, so no model is active.
    Lost,
}

/// The active model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelSummary {
    /// Image length in bytes.
    pub image_len: u32,
    /// CRC-32 of the whole image.
    pub image_crc: u32,
    /// Input vector length.
    pub input_len: u32,
    /// Output vector length.
    pub output_len: u32,
    /// Layers.
    pub num_layers: u32,
}

/// Answer to [`Request::Status`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// The model.
    pub model: ModelState,
    /// The upload in progress: bytes received and announced, if any.
    pub upload: Option<(u32, u32)>,
    /// Requests answered since start.
    pub requests: u32,
    /// Frames dropped as corrupt (bad COBS, CRC, version or body) since start.
    pub bad_frames: u32,
    /// The accelerator's `STATUS` register, if it could be read.
    pub accel_status: Option<u32>,
    /// The accelerator's `AXI_ERR` register, if it could be read.
    pub axi_errors: Option<u32>,
}

/// Answer to [`Request::Infer`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inference<'a> {
    /// The output, int16 in the model's output format.
    #[serde(borrow)]
    pub output: Samples<'a>,
    /// Accelerator cycles from start to done (`CYCLES`).
    pub cycles: u32,
    /// Cycles the broadcast stalled (`BCAST_STALLS`).
    pub bcast_stalls: u32,
    /// Cycles of each layer (`LAYER_CYCLES`).
    pub layer_cycles: heapless::Vec<u32, { geometry::MAX_LAYERS as usize }>,
    /// Firmware timer ticks from the request frame's first byte to its delimiter: receiving
    /// it over the link, at [`Identity::timer_hz`] (0 without a timer).
    pub rx_ticks: u64,
    /// Firmware timer ticks from the request's delimiter until the response is ready to be
    /// encoded: decoding, checks, the run and reading the results back.
    pub firmware_ticks: u64,
    /// Firmware timer ticks spent waiting for the accelerator (part of `firmware_ticks`).
    pub accel_ticks: u64,
}

/// Why a request failed. Every variant names what failed; strings are the firmware's own
/// wording of errors whose detail has no fixed shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Fault<'a> {
    /// A frame failed its checks (COBS, length, CRC) and was dropped.
    BadFrame,
    /// A frame was longer than the receiver's buffer.
    FrameTooLong {
        /// The largest frame the receiver takes.
        max: u32,
    },
    /// A frame spoke another protocol version.
    Version {
        /// Version in the frame.
        found: u8,
        /// Version the receiver speaks.
        supported: u8,
    },
    /// The frame was intact but its body is not a valid request.
    Decode,
    /// A load request arrived with no upload begun.
    NoUpload,
    /// The image does not fit in the staging buffer.
    ImageTooLarge {
        /// Announced length.
        len: u32,
        /// Staging buffer size.
        capacity: u32,
    },
    /// A piece was longer than [`MAX_CHUNK_LEN`], or ran past the announced length.
    ChunkTooLarge {
        /// Offset of the piece.
        offset: u32,
        /// Its length.
        len: u32,
    },
    /// A piece did not continue the upload.
    OutOfOrder {
        /// The offset expected next.
        expected: u32,
        /// The offset received.
        found: u32,
    },
    /// Commit before the whole image arrived.
    Incomplete {
        /// Bytes received.
        received: u32,
        /// Bytes announced.
        expected: u32,
    },
    /// The upload's CRC-32 is not the one announced.
    UploadCrc {
        /// Announced.
        expected: u32,
        /// Of the bytes received.
        computed: u32,
    },
    /// The staged image fails the image decoder's checks (format, order, its own CRC).
    InvalidImage {
        /// What is wrong, and where.
        reason: &'a str,
    },
    /// The image was encoded for another build, or needs more than this one has.
    Geometry {
        /// The geometry field.
        field: &'a str,
        /// What the image needs.
        image: u32,
        /// What the hardware has.
        hardware: u32,
    },
    /// Writing the verified image to the accelerator failed: no model is active now.
    LoadFailed {
        /// What failed.
        reason: &'a str,
    },
    /// No model is active.
    NoModel,
    /// The input is not the model's input length (or not whole int16 values).
    InputLength {
        /// The model's input length.
        expected: u32,
        /// Values received.
        found: u32,
    },
    /// The model's vectors are longer than one frame carries.
    VectorTooLong {
        /// The model's length.
        len: u32,
        /// The most a frame carries.
        max: u32,
    },
    /// The accelerator did not finish in time; the program was aborted.
    Timeout {
        /// Microseconds waited.
        us: u32,
    },
    /// The accelerator stopped with an error status.
    Hardware {
        /// The error code from `STATUS`.
        code: u8,
        /// Layer it was running.
        layer: u8,
        /// PE that found it.
        pe: u8,
        /// Column it was reading.
        column: u32,
    },
    /// The accelerator answered accesses with error responses (counted in `AXI_ERR`).
    AxiErrors {
        /// Error responses counted.
        count: u32,
        /// Offset of the last one.
        addr: u32,
    },
    /// The accelerator is still running a program.
    Busy,
    /// A bus access to the accelerator failed.
    Bus {
        /// The bus's own description.
        reason: &'a str,
    },
    /// A PE index past the build's PEs.
    NoSuchPe {
        /// PE asked for.
        pe: u32,
        /// PEs in the build.
        num_pes: u32,
    },
    /// The firmware received a frame it never expects from the host.
    Unexpected,
    /// Any other driver error, in the driver's words.
    Other {
        /// What failed.
        reason: &'a str,
    },
}

impl core::fmt::Display for Fault<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Fault::BadFrame => f.write_str("a frame was corrupted on the link (bad COBS or CRC)"),
            Fault::FrameTooLong { max } => write!(f, "frame longer than {max} bytes"),
            Fault::Version { found, supported } => {
                write!(
                    f,
                    "protocol version {found} (the receiver speaks {supported})"
                )
            }
            Fault::Decode => f.write_str("frame intact but not a valid message"),
            Fault::NoUpload => f.write_str("no upload in progress (LoadBegin first)"),
            Fault::ImageTooLarge { len, capacity } => write!(
                f,
                "image of {len} bytes does not fit the {capacity}-byte staging buffer"
            ),
            Fault::ChunkTooLarge { offset, len } => write!(
                f,
                "piece of {len} bytes at offset {offset} is too long or runs past the image"
            ),
            Fault::OutOfOrder { expected, found } => {
                write!(f, "piece at offset {found}, expected offset {expected}")
            }
            Fault::Incomplete { received, expected } => {
                write!(f, "commit after {received} of {expected} bytes")
            }
            Fault::UploadCrc { expected, computed } => write!(
                f,
                "upload CRC-32 {computed:#010x}, announced {expected:#010x}"
            ),
            Fault::InvalidImage { reason } => write!(f, "image refused: {reason}"),
            Fault::Geometry {
                field,
                image,
                hardware,
            } => {
                if field == "num_pes" {
                    write!(
                        f,
                        "image is encoded for {image} PEs, hardware has {hardware}"
                    )
                } else {
                    write!(f, "image needs {field} = {image}, hardware has {hardware}")
                }
            }
            Fault::LoadFailed { reason } => {
                write!(f, "writing the model failed, no model is active: {reason}")
            }
            Fault::NoModel => f.write_str("no model is active"),
            Fault::InputLength { expected, found } => {
                write!(f, "input has {found} values, the model takes {expected}")
            }
            Fault::VectorTooLong { len, max } => write!(
                f,
                "the model's vectors ({len} values) are longer than a frame carries ({max})"
            ),
            Fault::Timeout { us } => write!(f, "no result after {us} us; program aborted"),
            Fault::Hardware {
                code,
                layer,
                pe,
                column,
            } => write!(
                f,
                "accelerator stopped with {} in layer {layer} (PE {pe}, column {column})",
                crate::regs::ErrorCode::from_code(code)
            ),
            Fault::AxiErrors { count, addr } => write!(
                f,
                "the accelerator refused {count} bus access(es), the last at offset {addr:#08x}"
            ),
            Fault::Busy => f.write_str("the accelerator is running a program"),
            Fault::Bus { reason } => write!(f, "bus access failed: {reason}"),
            Fault::NoSuchPe { pe, num_pes } => {
                write!(f, "PE {pe} does not exist (the build has {num_pes})")
            }
            Fault::Unexpected => f.write_str("the firmware does not take this message"),
            Fault::Other { reason } => f.write_str(reason),
        }
    }
}

/// Why a frame could not be encoded or decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FrameError {
    /// The output buffer is too small for the message.
    BufferFull,
    /// Not a valid COBS frame, or shorter than a message can be.
    BadCobs,
    /// The CRC does not match the message.
    BadCrc {
        /// CRC in the frame.
        stored: u32,
        /// CRC of the bytes received.
        computed: u32,
    },
    /// Another protocol version.
    Version {
        /// The frame's version.
        found: u8,
    },
    /// Intact, but the body is not a valid message (the sequence number is known).
    Body {
        /// The frame's sequence number.
        seq: u16,
    },
    /// The frame did not fit the receiver's buffer.
    TooLong,
}

impl core::fmt::Display for FrameError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            FrameError::BufferFull => f.write_str("message larger than the frame buffer"),
            FrameError::BadCobs => f.write_str("not a valid COBS frame"),
            FrameError::BadCrc { stored, computed } => {
                write!(f, "frame CRC-32 {stored:#010x}, computed {computed:#010x}")
            }
            FrameError::Version { found } => {
                write!(f, "protocol version {found} (this side speaks {VERSION})")
            }
            FrameError::Body { seq } => write!(f, "frame {seq}: not a valid message"),
            FrameError::TooLong => write!(f, "frame longer than {MAX_FRAME_LEN} bytes"),
        }
    }
}

impl core::error::Error for FrameError {}

impl FrameError {
    /// The fault a firmware answers a frame error with.
    pub fn fault(&self) -> Fault<'static> {
        match *self {
            FrameError::Version { found } => Fault::Version {
                found,
                supported: VERSION,
            },
            FrameError::Body { .. } => Fault::Decode,
            FrameError::TooLong => Fault::FrameTooLong {
                max: MAX_FRAME_LEN as u32,
            },
            FrameError::BufferFull | FrameError::BadCobs | FrameError::BadCrc { .. } => {
                Fault::BadFrame
            }
        }
    }
}

/// Encodes `msg` with sequence number `seq` as one frame, delimiter included, into `buf`;
/// returns the frame.
pub fn encode<'b, M: Serialize>(
    seq: u16,
    msg: &M,
    buf: &'b mut [u8],
) -> Result<&'b mut [u8], FrameError> {
    use postcard::ser_flavors::{crc::CrcModifier, Cobs, Slice};
    let flavor = Cobs::try_new(Slice::new(buf)).map_err(|_| FrameError::BufferFull)?;
    let flavor = CrcModifier::new(flavor, CRC32.digest());
    postcard::serialize_with_flavor(&(VERSION, seq, msg), flavor)
        .map_err(|_| FrameError::BufferFull)
}

/// Decodes one frame in place: `frame` holds the COBS bytes, with or without the delimiter.
/// Returns the sequence number and the message, which borrows from `frame`.
pub fn decode_in_place<'f, M: Deserialize<'f>>(
    frame: &'f mut [u8],
) -> Result<(u16, M), FrameError> {
    let len = cobs::decode_in_place(frame).map_err(|_| FrameError::BadCobs)?;
    let message = frame.get(..len).ok_or(FrameError::BadCobs)?;
    let body_len = len.checked_sub(CRC_LEN).ok_or(FrameError::BadCobs)?;
    let (body, crc) = message.split_at(body_len);
    let stored = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
    let computed = CRC32.checksum(body);
    if stored != computed {
        return Err(FrameError::BadCrc { stored, computed });
    }
    let (version, rest) = postcard::take_from_bytes::<u8>(body).map_err(|_| FrameError::BadCobs)?;
    if version != VERSION {
        return Err(FrameError::Version { found: version });
    }
    let (seq, rest) = postcard::take_from_bytes::<u16>(rest).map_err(|_| FrameError::BadCobs)?;
    let msg = postcard::from_bytes::<M>(rest).map_err(|_| FrameError::Body { seq })?;
    Ok((seq, msg))
}

/// Splits a byte stream into frames, held in a buffer the caller provides (an array, a
/// borrowed slice, a `Vec`).
///
/// Empty frames (two delimiters in a row) are skipped, so a sender may put a delimiter before
/// each frame to end any garbage the receiver holds. A frame longer than the buffer is
/// dropped up to its delimiter and reported once as [`Pushed::Overflow`].
pub struct FrameReader<B: AsMut<[u8]>> {
    buf: B,
    len: usize,
    overflow: bool,
}

/// What [`FrameReader::push`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Pushed {
    /// The byte was taken; no frame is complete.
    More,
    /// A frame is complete: call [`FrameReader::frame`], then the next push starts a new one.
    Frame,
    /// A frame too long for the buffer ended; it was dropped.
    Overflow,
}

impl<B: AsMut<[u8]>> FrameReader<B> {
    /// An empty reader over `buf` (frames up to its length, without delimiters).
    pub fn new(buf: B) -> Self {
        FrameReader {
            buf,
            len: 0,
            overflow: false,
        }
    }

    /// Drops a partly received frame.
    pub fn clear(&mut self) {
        self.len = 0;
        self.overflow = false;
    }

    /// True while a frame is partly received.
    pub fn is_receiving(&self) -> bool {
        self.len > 0 || self.overflow
    }

    /// Takes one byte. After [`Pushed::Frame`], [`FrameReader::frame`] gives the frame until
    /// the next push.
    pub fn push(&mut self, byte: u8) -> Pushed {
        if byte == DELIMITER {
            if self.overflow {
                self.clear();
                return Pushed::Overflow;
            }
            return if self.len == 0 {
                Pushed::More
            } else {
                Pushed::Frame
            };
        }
        if self.overflow {
            return Pushed::More;
        }
        match self.buf.as_mut().get_mut(self.len) {
            Some(slot) => {
                *slot = byte;
                self.len += 1;
            }
            None => {
                self.len = 0;
                self.overflow = true;
            }
        }
        Pushed::More
    }

    /// The frame completed by the last push (without its delimiter); the reader starts a new
    /// frame afterwards.
    pub fn frame(&mut self) -> &mut [u8] {
        let len = core::mem::take(&mut self.len);
        let buf = self.buf.as_mut();
        let end = len.min(buf.len());
        &mut buf[..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(req: &Request<'_>) {
        let mut buf = [0u8; MAX_FRAME_LEN];
        let frame = encode(7, req, &mut buf).unwrap();
        assert_eq!(frame.last(), Some(&DELIMITER));
        assert!(!frame[..frame.len() - 1].contains(&DELIMITER));
        let mut copy = frame.to_vec();
        let (seq, back): (u16, Request<'_>) = decode_in_place(&mut copy).unwrap();
        assert_eq!((seq, &back), (7, req));
    }

    #[test]
    fn requests_round_trip() {
        let input = [1u8, 0, 0xff, 0x7f];
        for req in [
            Request::Identify,
            Request::Status,
            Request::LoadBegin {
                image_len: 12345,
                crc32: Some(0xdead_beef),
            },
            Request::LoadChunk {
                offset: 4096,
                data: &[0, 1, 2, 0, 0, 255],
            },
            Request::Commit,
            Request::Infer {
                input: Samples(&input),
                timeout_us: 0,
            },
            Request::Counters { first_pe: 3 },
            Request::Reset,
        ] {
            roundtrip(&req);
        }
        assert_eq!(Samples(&input).iter().collect::<Vec<_>>(), [1, 0x7fff]);
    }

    /// The exact bytes of one frame, so that a change of the wire format cannot pass unnoticed.
    #[test]
    fn identify_frame_bytes() {
        // Message: version 1, seq 1, variant 0, then the CRC-32 of [1, 1, 0] little-endian;
        // COBS turns the zero into a block boundary.
        assert_eq!(CRC32.checksum(&[1, 1, 0]), 0xe798_8264);
        let mut buf = [0u8; 32];
        let frame = encode(1, &Request::Identify, &mut buf).unwrap();
        assert_eq!(
            frame,
            [0x03, 0x01, 0x01, 0x05, 0x64, 0x82, 0x98, 0xe7, 0x00]
        );
    }

    #[test]
    fn every_flipped_bit_is_caught() {
        let mut buf = [0u8; MAX_FRAME_LEN];
        let req = Request::LoadChunk {
            offset: 2,
            data: &[9, 8, 7, 6, 5, 0, 0, 1],
        };
        let frame = encode(300, &req, &mut buf).unwrap().to_vec();
        for i in 0..frame.len() - 1 {
            for bit in 0..8 {
                let mut bad = frame.clone();
                bad[i] ^= 1 << bit;
                let result = decode_in_place::<Request<'_>>(&mut bad[..frame.len() - 1]);
                assert!(
                    result.is_err(),
                    "flip of bit {bit} in byte {i} went unnoticed"
                );
            }
        }
    }

    #[test]
    fn dropped_and_truncated_bytes_are_caught() {
        let mut buf = [0u8; MAX_FRAME_LEN];
        let req = Request::Infer {
            input: Samples(&[1, 2, 3, 4, 5, 6]),
            timeout_us: 9,
        };
        let frame = encode(2, &req, &mut buf).unwrap().to_vec();
        let body = &frame[..frame.len() - 1];
        for i in 0..body.len() {
            let mut bad: Vec<u8> = body.iter().copied().take(i).collect();
            bad.extend_from_slice(&body[i + 1..]);
            assert!(
                decode_in_place::<Request<'_>>(&mut bad).is_err(),
                "drop {i}"
            );
            let mut short = body[..i].to_vec();
            assert!(
                decode_in_place::<Request<'_>>(&mut short).is_err(),
                "cut {i}"
            );
        }
    }

    #[test]
    fn other_versions_and_bodies_are_refused() {
        let mut buf = [0u8; 64];
        let frame = encode(5, &Request::Commit, &mut buf).unwrap();
        let n = frame.len() - 1;
        let mut copy = frame[..n].to_vec();
        assert_eq!(
            decode_in_place::<Response<'_>>(&mut copy),
            Err(FrameError::Body { seq: 5 })
        );
        let mut raw = vec![2u8, 5, 0];
        raw.extend_from_slice(&CRC32.checksum(&raw).to_le_bytes());
        let mut enc = vec![0u8; 32];
        let n = cobs::try_encode(&raw, &mut enc).unwrap();
        assert_eq!(
            decode_in_place::<Request<'_>>(&mut enc[..n]),
            Err(FrameError::Version { found: 2 })
        );
    }

    #[test]
    fn reader_splits_a_stream_and_skips_empty_frames() {
        let mut buf = [0u8; 64];
        let mut stream = vec![0, 0];
        stream.extend_from_slice(encode(1, &Request::Status, &mut buf).unwrap());
        stream.push(0);
        stream.extend_from_slice(encode(2, &Request::Reset, &mut buf).unwrap());
        let mut reader = FrameReader::new([0u8; 64]);
        let mut got = vec![];
        for b in stream {
            if reader.push(b) == Pushed::Frame {
                let (seq, req) = decode_in_place::<Request<'_>>(reader.frame()).unwrap();
                got.push(format!("{seq} {req:?}"));
            }
        }
        assert_eq!(got, ["1 Status", "2 Reset"]);
    }

    #[test]
    fn reader_drops_frames_longer_than_its_buffer() {
        let mut reader = FrameReader::new([0u8; 8]);
        let mut results = vec![];
        for b in [1u8; 20].into_iter().chain([0, 3, 3, 0]) {
            results.push(reader.push(b));
        }
        assert_eq!(results[20], Pushed::Overflow);
        assert_eq!(results[23], Pushed::Frame);
        assert_eq!(reader.frame(), &[3, 3]);
    }

    #[test]
    fn largest_messages_fit_a_frame() {
        let data = [0xffu8; MAX_CHUNK_LEN];
        let mut buf = [0u8; MAX_FRAME_LEN];
        encode(
            u16::MAX,
            &Request::LoadChunk {
                offset: u32::MAX,
                data: &data,
            },
            &mut buf,
        )
        .unwrap();
        let out = [0x80u8; 2 * MAX_VECTOR_LEN];
        let mut layer_cycles = heapless::Vec::new();
        for _ in 0..geometry::MAX_LAYERS {
            layer_cycles.push(u32::MAX).unwrap();
        }
        let inference = Response::Inference(Inference {
            output: Samples(&out),
            cycles: u32::MAX,
            bcast_stalls: u32::MAX,
            layer_cycles,
            rx_ticks: u64::MAX,
            firmware_ticks: u64::MAX,
            accel_ticks: u64::MAX,
        });
        encode(u16::MAX, &inference, &mut buf).unwrap();
        let counters = [0xffu8; COUNTERS_PER_FRAME as usize * COUNTER_BYTES];
        encode(
            u16::MAX,
            &Response::Counters {
                first_pe: u32::MAX,
                num_pes: u32::MAX,
                data: &counters,
            },
            &mut buf,
        )
        .unwrap();
        let mut small = [0u8; 8];
        assert_eq!(
            encode(1, &inference, &mut small).unwrap_err(),
            FrameError::BufferFull
        );
    }
}
