//! The protocol server: answers the host's requests (`eie_memmap::protocol`) over a byte
//! stream, driving the accelerator with [`Eie`].
//!
//! - Uploads are *staged*: [`Request::LoadBegin`] and [`Request::LoadChunk`] only fill the
//!   staging buffer. [`Request::Commit`] checks the whole staged image (its length, the
//!   announced CRC-32, and every check of the image decoder, geometry included) before it
//!   writes anything, so a failed or abandoned upload leaves the previous model active. Only a
//!   failure while writing a verified image to the accelerator leaves no model
//!   ([`ModelState::Lost`]).
//! - Every failure is answered with a [`Fault`]; corrupt frames are counted and answered with
//!   [`Fault::BadFrame`] (sequence number 0, since theirs cannot be trusted).
//! - Nothing allocates. The server takes its frame buffers (receive, send, output bytes:
//!   [`BUFFER_BYTES`]) from the end of the staging buffer it is given (the main RAM on the
//!   SoC) and holds only the output vector itself (3.5 KiB), so it fits a small stack.
//!
//! [`Server::poll`] answers one request (for tests on the host); [`Server::run`] loops forever
//! (the firmware's main loop). The link is any [`embedded_io::Read`] + [`embedded_io::Write`]
//! (embedded-io 0.6).

use crate::log::{info, warning};
use crate::{Bus, Eie, Error};
use core::fmt::Write as _;
use eie_memmap::image::{self, Event, StreamError, CRC32};
use eie_memmap::protocol::{
    self, Capacity, Fault, FrameReader, Identity, Inference, ModelState, ModelSummary, Pushed,
    Request, Response, Samples, Status, COUNTERS_PER_FRAME, COUNTER_BYTES, MAX_CHUNK_LEN,
    MAX_FRAME_LEN, MAX_VECTOR_LEN,
};
use eie_memmap::regs;
use embedded_hal::delay::DelayNs;
use embedded_io::{Read, Write};

/// A free-running counter the server timestamps requests with.
pub trait Clock {
    /// The current count, at [`Ident::timer_hz`].
    fn ticks(&mut self) -> u64;
}

/// No timer: every timestamp is 0.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoClock;

impl Clock for NoClock {
    fn ticks(&mut self) -> u64 {
        0
    }
}

impl<F: FnMut() -> u64> Clock for F {
    fn ticks(&mut self) -> u64 {
        self()
    }
}

/// What the firmware tells the host about itself, beside what the hardware reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The firmware's version.
    pub firmware: &'static str,
    /// Rate of the [`Clock`], Hz (0: none).
    pub timer_hz: u32,
    /// The accelerator's clock, Hz (0: unknown).
    pub accel_hz: u32,
    /// Longest wait for a run when the request gives none, microseconds.
    pub run_timeout_us: u32,
}

impl Ident {
    /// This crate's version, the given clocks, and a one-second default run timeout.
    pub const fn new(timer_hz: u32, accel_hz: u32) -> Ident {
        Ident {
            firmware: env!("CARGO_PKG_VERSION"),
            timer_hz,
            accel_hz,
            run_timeout_us: 1_000_000,
        }
    }
}

/// Why [`Server::poll`] returned without answering a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkError<E> {
    /// The link's read or write failed.
    Io(E),
    /// The link ended (a read returned no bytes).
    Closed,
}

impl<E: core::fmt::Debug> core::fmt::Display for LinkError<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            LinkError::Io(e) => write!(f, "link failed: {e:?}"),
            LinkError::Closed => f.write_str("link closed"),
        }
    }
}

/// An upload in progress.
#[derive(Clone, Copy, Debug)]
struct Upload {
    len: u32,
    crc: Option<u32>,
    received: u32,
}

/// Bytes of input kept between reads of the link.
const READ_CHUNK: usize = 64;

/// Bytes [`Server::new`] takes from the end of the staging buffer: the receive and send frame
/// buffers and the output bytes of a response.
pub const BUFFER_BYTES: usize = 2 * MAX_FRAME_LEN + 2 * MAX_VECTOR_LEN;

/// The protocol server over accelerator bus `B`, delay `D` and clock `C`.
pub struct Server<'s, B: Bus, D: DelayNs, C: Clock = NoClock> {
    reader: FrameReader<&'s mut [u8]>,
    tx: &'s mut [u8],
    input: [u8; READ_CHUNK],
    input_pos: usize,
    input_len: usize,
    /// Clock reading when the frame being received began.
    frame_start: u64,
    core: Core<'s, B, D, C>,
}

/// The state requests act on, apart from the frame buffers they borrow from.
struct Core<'s, B: Bus, D: DelayNs, C: Clock> {
    eie: Eie<B, D>,
    clock: C,
    staging: &'s mut [u8],
    ident: Ident,
    upload: Option<Upload>,
    model: ModelState,
    requests: u32,
    bad_frames: u32,
    vec_out: [i16; MAX_VECTOR_LEN],
    out_bytes: &'s mut [u8],
    text: heapless::String<160>,
}

impl<'s, B: Bus, D: DelayNs> Server<'s, B, D, NoClock> {
    /// Identifies the accelerator (see [`Eie::new`]) and starts with no model. The last
    /// [`BUFFER_BYTES`] of `staging` become the server's frame buffers; uploads are staged in
    /// the rest.
    pub fn new(
        bus: B,
        delay: D,
        staging: &'s mut [u8],
        ident: Ident,
    ) -> Result<Self, Error<B::Error>> {
        let Some(split) = staging.len().checked_sub(BUFFER_BYTES) else {
            return Err(Error::StagingTooSmall {
                len: len_u32(staging.len()),
                needed: BUFFER_BYTES as u32,
            });
        };
        let (staging, buffers) = staging.split_at_mut(split);
        let (rx, buffers) = buffers.split_at_mut(MAX_FRAME_LEN);
        let (tx, out_bytes) = buffers.split_at_mut(MAX_FRAME_LEN);
        let eie = Eie::new(bus, delay)?;
        Ok(Server {
            reader: FrameReader::new(rx),
            tx,
            input: [0; READ_CHUNK],
            input_pos: 0,
            input_len: 0,
            frame_start: 0,
            core: Core {
                eie,
                clock: NoClock,
                staging,
                ident,
                upload: None,
                model: ModelState::None,
                requests: 0,
                bad_frames: 0,
                vec_out: [0; MAX_VECTOR_LEN],
                out_bytes,
                text: heapless::String::new(),
            },
        })
    }
}

impl<'s, B: Bus, D: DelayNs, C: Clock> Server<'s, B, D, C> {
    /// The same server, timestamping with `clock` (at [`Ident::timer_hz`]).
    pub fn with_clock<C2: Clock>(self, clock: C2) -> Server<'s, B, D, C2> {
        let c = self.core;
        Server {
            reader: self.reader,
            tx: self.tx,
            input: self.input,
            input_pos: self.input_pos,
            input_len: self.input_len,
            frame_start: self.frame_start,
            core: Core {
                eie: c.eie,
                clock,
                staging: c.staging,
                ident: c.ident,
                upload: c.upload,
                model: c.model,
                requests: c.requests,
                bad_frames: c.bad_frames,
                vec_out: c.vec_out,
                out_bytes: c.out_bytes,
                text: c.text,
            },
        }
    }

    /// The model state.
    pub fn model(&self) -> ModelState {
        self.core.model
    }

    /// The driver, for what the protocol does not cover.
    pub fn driver(&mut self) -> &mut Eie<B, D> {
        &mut self.core.eie
    }

    /// Answers requests forever. Link errors (a UART overrun, say) drop the frame in progress;
    /// the host's retry gets an answer.
    pub fn run<L: Read + Write>(&mut self, link: &mut L) -> ! {
        loop {
            if self.poll(link).is_err() {
                self.reader.clear();
            }
        }
    }

    /// Reads until one frame is complete and answers it (a corrupt frame with
    /// [`Fault::BadFrame`]). Returns only after the answer is written, or on a link error.
    pub fn poll<L: Read + Write>(&mut self, link: &mut L) -> Result<(), LinkError<L::Error>> {
        loop {
            if self.input_pos == self.input_len {
                let n = link.read(&mut self.input).map_err(LinkError::Io)?;
                if n == 0 {
                    return Err(LinkError::Closed);
                }
                self.input_pos = 0;
                self.input_len = n.min(READ_CHUNK);
            }
            let byte = self.input[self.input_pos];
            self.input_pos += 1;
            if !self.reader.is_receiving() && byte != protocol::DELIMITER {
                self.frame_start = self.core.clock.ticks();
            }
            match self.reader.push(byte) {
                Pushed::More => {}
                Pushed::Overflow => {
                    self.core.bad_frames = self.core.bad_frames.wrapping_add(1);
                    let fault = Fault::FrameTooLong {
                        max: MAX_FRAME_LEN as u32,
                    };
                    return send(link, self.tx, 0, &Response::Error(fault));
                }
                Pushed::Frame => {
                    let received = self.core.clock.ticks();
                    let rx_ticks = received.wrapping_sub(self.frame_start);
                    let frame = self.reader.frame();
                    let (seq, response) = match protocol::decode_in_place::<Request<'_>>(frame) {
                        Ok((seq, request)) => (seq, self.core.handle(request, received, rx_ticks)),
                        Err(e) => {
                            self.core.bad_frames = self.core.bad_frames.wrapping_add(1);
                            let seq = match e {
                                protocol::FrameError::Body { seq } => seq,
                                _ => 0,
                            };
                            (seq, Response::Error(e.fault()))
                        }
                    };
                    return send(link, self.tx, seq, &response);
                }
            }
        }
    }
}

/// Encodes and writes one frame, with a delimiter before it to end any garbage the host holds.
fn send<L: Write>(
    link: &mut L,
    tx: &mut [u8],
    seq: u16,
    response: &Response<'_>,
) -> Result<(), LinkError<L::Error>> {
    let frame = match protocol::encode(seq, response, tx) {
        Ok(frame) => frame,
        // Cannot happen for the responses this server builds (their sizes are bounded by the
        // protocol's limits, which a unit test checks); answer with a fault rather than nothing.
        Err(_) => protocol::encode(
            seq,
            &Response::Error(Fault::Other {
                reason: "response too large",
            }),
            tx,
        )
        .map_err(|_| LinkError::Closed)?,
    };
    link.write_all(&[protocol::DELIMITER])
        .map_err(LinkError::Io)?;
    link.write_all(frame).map_err(LinkError::Io)?;
    link.flush().map_err(LinkError::Io)
}

impl<B: Bus, D: DelayNs, C: Clock> Core<'_, B, D, C> {
    fn handle(&mut self, request: Request<'_>, received: u64, rx_ticks: u64) -> Response<'_> {
        self.requests = self.requests.wrapping_add(1);
        match request {
            Request::Identify => Response::Identity(self.identity()),
            Request::Status => Response::Status(self.status()),
            Request::LoadBegin { image_len, crc32 } => self.load_begin(image_len, crc32),
            Request::LoadChunk { offset, data } => self.load_chunk(offset, data),
            Request::Commit => self.commit(),
            Request::Infer { input, timeout_us } => {
                self.infer(input, timeout_us, received, rx_ticks)
            }
            Request::Counters { first_pe } => self.counters(first_pe),
            Request::Reset => self.reset(),
        }
    }

    fn identity(&mut self) -> Identity<'static> {
        Identity {
            protocol: protocol::VERSION,
            firmware: self.ident.firmware,
            hw_version: self.eie.read(regs::VERSION).unwrap_or(0),
            geometry: *self.eie.geometry(),
            capacity: Capacity {
                staging: len_u32(self.staging.len()),
                max_frame: MAX_FRAME_LEN as u32,
                max_chunk: MAX_CHUNK_LEN as u32,
                max_vector: MAX_VECTOR_LEN as u32,
            },
            timer_hz: self.ident.timer_hz,
            accel_hz: self.ident.accel_hz,
        }
    }

    fn status(&mut self) -> Status {
        Status {
            model: self.model,
            upload: self.upload.map(|u| (u.received, u.len)),
            requests: self.requests,
            bad_frames: self.bad_frames,
            accel_status: self.eie.read(regs::STATUS).ok(),
            axi_errors: self.eie.read(regs::AXI_ERR).ok(),
        }
    }

    fn load_begin(&mut self, image_len: u32, crc: Option<u32>) -> Response<'_> {
        if image_len as usize > self.staging.len() {
            self.upload = None;
            return Response::Error(Fault::ImageTooLarge {
                len: image_len,
                capacity: len_u32(self.staging.len()),
            });
        }
        self.upload = Some(Upload {
            len: image_len,
            crc,
            received: 0,
        });
        Response::Progress { received: 0 }
    }

    fn load_chunk(&mut self, offset: u32, data: &[u8]) -> Response<'_> {
        let Some(upload) = self.upload.as_mut() else {
            return Response::Error(Fault::NoUpload);
        };
        let len = len_u32(data.len());
        let end = match offset.checked_add(len) {
            Some(end) if data.len() <= MAX_CHUNK_LEN && end <= upload.len => end,
            _ => return Response::Error(Fault::ChunkTooLarge { offset, len }),
        };
        let range = offset as usize..end as usize;
        if offset == upload.received {
            // In bounds: `end <= upload.len <= staging.len()`, checked at LoadBegin.
            if let Some(dest) = self.staging.get_mut(range) {
                dest.copy_from_slice(data);
                upload.received = end;
            }
        } else if end > upload.received || self.staging.get(range) != Some(data) {
            return Response::Error(Fault::OutOfOrder {
                expected: upload.received,
                found: offset,
            });
        }
        Response::Progress {
            received: upload.received,
        }
    }

    fn commit(&mut self) -> Response<'_> {
        let Some(upload) = self.upload else {
            return Response::Error(Fault::NoUpload);
        };
        if upload.received != upload.len {
            return Response::Error(Fault::Incomplete {
                received: upload.received,
                expected: upload.len,
            });
        }
        let Some(image) = self.staging.get(..upload.len as usize) else {
            return Response::Error(Fault::NoUpload);
        };
        let computed = CRC32.checksum(image);
        if let Some(expected) = upload.crc {
            if expected != computed {
                warning!(
                    "commit refused: CRC-32 {=u32:#010x}, expected {=u32:#010x}",
                    computed,
                    expected
                );
                return Response::Error(Fault::UploadCrc { expected, computed });
            }
        }
        // Every check the image decoder makes, and the geometry, before anything is written.
        let geometry = *self.eie.geometry();
        let mut header = None;
        let verified = image::decode(image, |event| match event {
            Event::Header(h) => {
                header = Some(h);
                h.needs.fits(&geometry)
            }
            _ => Ok(()),
        });
        match verified {
            Err(StreamError::Image(e)) => {
                self.text.clear();
                let _ = write!(self.text, "{e}");
                warning!("commit refused: invalid image: {=str}", self.text.as_str());
                return Response::Error(Fault::InvalidImage { reason: &self.text });
            }
            Err(StreamError::Sink(m)) => {
                warning!(
                    "commit refused: the image needs {=str} = {=u32}, the accelerator has {=u32}",
                    m.field,
                    m.image,
                    m.hardware
                );
                return Response::Error(Fault::Geometry {
                    field: m.field,
                    image: m.image,
                    hardware: m.hardware,
                });
            }
            Ok(()) => {}
        }
        let Some(header) = header else {
            return Response::Error(Fault::Other {
                reason: "image without header",
            });
        };
        self.upload = None;
        match self.eie.load(image) {
            Ok(_) => {
                let summary = ModelSummary {
                    image_len: upload.len,
                    image_crc: computed,
                    input_len: header.input_len,
                    output_len: header.output_len,
                    num_layers: header.needs.num_layers,
                };
                info!(
                    "model committed: {=u32} B (CRC-32 {=u32:#010x}), {=u32} layers, {=u32} inputs -> {=u32} outputs",
                    summary.image_len,
                    summary.image_crc,
                    summary.num_layers,
                    summary.input_len,
                    summary.output_len
                );
                self.model = ModelState::Active(summary);
                Response::Committed(summary)
            }
            Err(e) => {
                // The driver refuses a busy accelerator before writing anything; any later
                // failure has overwritten the old model.
                if self.eie.model().is_none() {
                    self.model = ModelState::Lost;
                }
                self.text.clear();
                let _ = write!(self.text, "{e}");
                warning!("commit failed while loading: {=str}", self.text.as_str());
                Response::Error(Fault::LoadFailed { reason: &self.text })
            }
        }
    }

    fn infer(
        &mut self,
        input: Samples<'_>,
        timeout_us: u32,
        received: u64,
        rx_ticks: u64,
    ) -> Response<'_> {
        let ModelState::Active(model) = self.model else {
            return Response::Error(Fault::NoModel);
        };
        let (in_len, out_len) = (model.input_len as usize, model.output_len as usize);
        if out_len > MAX_VECTOR_LEN || in_len > MAX_VECTOR_LEN {
            return Response::Error(Fault::VectorTooLong {
                len: model.input_len.max(model.output_len),
                max: MAX_VECTOR_LEN as u32,
            });
        }
        if !input.is_valid() || input.len() != in_len {
            return Response::Error(Fault::InputLength {
                expected: model.input_len,
                found: len_u32(input.len()),
            });
        }
        let timeout = if timeout_us == 0 {
            self.ident.run_timeout_us
        } else {
            timeout_us
        };
        let started = self.clock.ticks();
        let run = self
            .eie
            .run_iter(input.iter(), &mut self.vec_out[..out_len], timeout);
        let finished = self.clock.ticks();
        let stats = match run {
            Ok(stats) => stats,
            Err(e) => return self.fault(e),
        };
        let Some(output) = Samples::write(&self.vec_out[..out_len], self.out_bytes) else {
            return Response::Error(Fault::Other {
                reason: "output buffer too small",
            });
        };
        let ready = self.clock.ticks();
        Response::Inference(Inference {
            output,
            cycles: stats.cycles,
            bcast_stalls: stats.bcast_stalls,
            layer_cycles: stats.layer_cycles,
            rx_ticks,
            firmware_ticks: ready.wrapping_sub(received),
            accel_ticks: finished.wrapping_sub(started),
        })
    }

    fn counters(&mut self, first_pe: u32) -> Response<'_> {
        let num_pes = self.eie.geometry().num_pes;
        if first_pe >= num_pes {
            return Response::Error(Fault::NoSuchPe {
                pe: first_pe,
                num_pes,
            });
        }
        let count = (num_pes - first_pe).min(COUNTERS_PER_FRAME);
        for (i, pe) in (first_pe..first_pe + count).enumerate() {
            let c = match self.eie.pe_counters(pe) {
                Ok(c) => c,
                Err(e) => return self.fault(e),
            };
            let words = [c.entries, c.busy, c.starved, c.queue_full];
            let at = i * COUNTER_BYTES;
            if let Some(dest) = self.out_bytes.get_mut(at..at + COUNTER_BYTES) {
                for (d, w) in dest.chunks_exact_mut(4).zip(words) {
                    d.copy_from_slice(&w.to_le_bytes());
                }
            }
        }
        let len = (count as usize * COUNTER_BYTES).min(self.out_bytes.len());
        Response::Counters {
            first_pe,
            num_pes,
            data: &self.out_bytes[..len],
        }
    }

    fn reset(&mut self) -> Response<'_> {
        self.upload = None;
        self.model = ModelState::None;
        self.eie.set_model(None);
        let result = (|| {
            if self.eie.read(regs::STATUS)? & regs::STATUS_BUSY != 0 {
                self.eie.write(regs::CTRL, regs::CTRL_ABORT)?;
            }
            self.eie.write(regs::NUM_LAYERS, 0)?;
            self.eie
                .write(regs::STATUS, regs::STATUS_DONE | regs::STATUS_ERROR)
        })();
        match result {
            Ok(()) => {
                info!("reset: no model, accelerator idle");
                Response::Ack
            }
            Err(e) => self.fault(e),
        }
    }

    /// The fault for a driver error, its wording kept in `self.text` where needed.
    fn fault(&mut self, e: Error<B::Error>) -> Response<'_> {
        self.text.clear();
        let fault = match e {
            Error::NoModel => Fault::NoModel,
            Error::Busy => Fault::Busy,
            Error::Timeout { us } => Fault::Timeout { us },
            Error::Hardware {
                code,
                layer,
                pe,
                column,
            } => Fault::Hardware {
                code: code.code(),
                layer,
                pe,
                column,
            },
            Error::AxiErrors { count, addr } => Fault::AxiErrors { count, addr },
            Error::InputLength { expected, found } => Fault::InputLength { expected, found },
            Error::NoSuchPe { pe, num_pes } => Fault::NoSuchPe { pe, num_pes },
            Error::Bus(e) => {
                let _ = write!(self.text, "{e:?}");
                Fault::Bus { reason: &self.text }
            }
            other => {
                let _ = write!(self.text, "{other}");
                Fault::Other { reason: &self.text }
            }
        };
        Response::Error(fault)
    }
}

/// Sends `message` as a [`Response::Panic`] frame; for the firmware's panic handler, which
/// passes its `PanicInfo`. Errors of the link are ignored: there is nobody left to tell.
pub fn report_panic<L: Write>(link: &mut L, message: &dyn core::fmt::Display) {
    let mut text = heapless::String::<192>::new();
    let _ = write!(text, "{message}");
    let mut buf = [0u8; 256];
    if let Ok(frame) = protocol::encode(0, &Response::Panic(&text), &mut buf) {
        let _ = link.write_all(&[protocol::DELIMITER]);
        let _ = link.write_all(frame);
        let _ = link.flush();
    }
}

fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}
