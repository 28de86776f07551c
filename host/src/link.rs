//! The host side of the firmware protocol (`eie_memmap::protocol`): one client over any byte
//! stream (a serial port, a TCP socket to the simulated SoC's UART, a socket pair in tests).
//!
//! The client sends one request and waits for the response with its sequence number. A
//! response that fails its checks, a [`Fault::BadFrame`] (the firmware saw a corrupt frame) or
//! silence until the attempt's deadline make it send the request again, with a new sequence
//! number, a few times: every request is idempotent (a repeated upload piece is accepted
//! again). Unsolicited log frames are kept ([`Client::take_logs`]); a panic report ends the
//! exchange with [`LinkError::Panic`]. [`LogDecoder`] turns the log frames into text with the
//! defmt table of the firmware's ELF (feature `defmt`).
//!
//! The stream must have a short read timeout (tens of milliseconds) so that the client can
//! keep its deadlines; reads that time out (`WouldBlock`, `TimedOut`) are not errors.

use eie_firmware::PeCounters;
use eie_memmap::image::CRC32;
use eie_memmap::protocol::{
    self, Capacity, Fault, FrameReader, Identity, ModelState, ModelSummary, Pushed, Request,
    Response, Samples, Status, COUNTER_BYTES, MAX_CHUNK_LEN, MAX_FRAME_LEN,
};
use eie_memmap::Geometry;
use std::io::{ErrorKind, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// What went wrong on the link.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// Reading or writing the stream failed.
    #[error("link: {0}")]
    Io(#[from] std::io::Error),
    /// The stream ended.
    #[error("link closed by the other side")]
    Closed,
    /// No valid answer after every attempt.
    #[error("no valid answer to {request} after {attempts} attempt(s) of {timeout:?} each")]
    Timeout {
        /// The request.
        request: &'static str,
        /// Attempts made.
        attempts: u32,
        /// The deadline of each.
        timeout: Duration,
    },
    /// The firmware refused the request.
    #[error("firmware: {message}")]
    Fault {
        /// The fault, with its strings left empty (they are in `message`).
        fault: Fault<'static>,
        /// The fault as the firmware worded it.
        message: String,
    },
    /// The firmware panicked (it resets itself).
    #[error("firmware panicked: {0}")]
    Panic(String),
    /// The firmware answered with a response that does not belong to the request.
    #[error("firmware answered {request} with {response}")]
    Unexpected {
        /// The request.
        request: &'static str,
        /// What came back.
        response: String,
    },
    /// The request cannot be sent (a vector longer than a frame, an image larger than the
    /// staging buffer).
    #[error("{0}")]
    TooLarge(String),
}

/// The link's result type.
pub type Result<T, E = LinkError> = std::result::Result<T, E>;

/// The firmware's identity, owned.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BoardIdentity {
    /// Protocol version.
    pub protocol: u8,
    /// Firmware version.
    pub firmware: String,
    /// The accelerator's `VERSION` register.
    pub hw_version: u32,
    /// The geometry the accelerator reports.
    pub geometry: Geometry,
    /// Staging buffer, frame, chunk and vector limits.
    pub staging: u32,
    /// Largest frame.
    pub max_frame: u32,
    /// Largest upload piece.
    pub max_chunk: u32,
    /// Longest vector.
    pub max_vector: u32,
    /// The firmware timer's rate, Hz (0: none).
    pub timer_hz: u32,
    /// The accelerator's clock, Hz (0: unknown).
    pub accel_hz: u32,
}

impl BoardIdentity {
    fn from_wire(id: &Identity<'_>) -> BoardIdentity {
        let Capacity {
            staging,
            max_frame,
            max_chunk,
            max_vector,
        } = id.capacity;
        BoardIdentity {
            protocol: id.protocol,
            firmware: id.firmware.to_owned(),
            hw_version: id.hw_version,
            geometry: id.geometry,
            staging,
            max_frame,
            max_chunk,
            max_vector,
            timer_hz: id.timer_hz,
            accel_hz: id.accel_hz,
        }
    }
}

/// One inference on the firmware, with where the time went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteInference {
    /// The output vector.
    pub output: Vec<i16>,
    /// Accelerator cycles (`CYCLES`).
    pub cycles: u32,
    /// Broadcast stall cycles.
    pub bcast_stalls: u32,
    /// Cycles per layer.
    pub layer_cycles: Vec<u32>,
    /// Firmware ticks receiving the request frame.
    pub rx_ticks: u64,
    /// Firmware ticks from the request's end until the response was ready.
    pub firmware_ticks: u64,
    /// Firmware ticks inside the driver's run (part of `firmware_ticks`).
    pub accel_ticks: u64,
    /// Bytes of the request frame on the wire (delimiters included).
    pub request_bytes: usize,
    /// Bytes of the response frame on the wire (delimiters included).
    pub response_bytes: usize,
}

/// Removes the borrowed strings of a fault (the message keeps them).
fn detach(fault: &Fault<'_>) -> Fault<'static> {
    match *fault {
        Fault::BadFrame => Fault::BadFrame,
        Fault::FrameTooLong { max } => Fault::FrameTooLong { max },
        Fault::Version { found, supported } => Fault::Version { found, supported },
        Fault::Decode => Fault::Decode,
        Fault::NoUpload => Fault::NoUpload,
        Fault::ImageTooLarge { len, capacity } => Fault::ImageTooLarge { len, capacity },
        Fault::ChunkTooLarge { offset, len } => Fault::ChunkTooLarge { offset, len },
        Fault::OutOfOrder { expected, found } => Fault::OutOfOrder { expected, found },
        Fault::Incomplete { received, expected } => Fault::Incomplete { received, expected },
        Fault::UploadCrc { expected, computed } => Fault::UploadCrc { expected, computed },
        Fault::InvalidImage { .. } => Fault::InvalidImage { reason: "" },
        Fault::Geometry {
            image, hardware, ..
        } => Fault::Geometry {
            field: "",
            image,
            hardware,
        },
        Fault::LoadFailed { .. } => Fault::LoadFailed { reason: "" },
        Fault::NoModel => Fault::NoModel,
        Fault::InputLength { expected, found } => Fault::InputLength { expected, found },
        Fault::VectorTooLong { len, max } => Fault::VectorTooLong { len, max },
        Fault::Timeout { us } => Fault::Timeout { us },
        Fault::Hardware {
            code,
            layer,
            pe,
            column,
        } => Fault::Hardware {
            code,
            layer,
            pe,
            column,
        },
        Fault::AxiErrors { count, addr } => Fault::AxiErrors { count, addr },
        Fault::Busy => Fault::Busy,
        Fault::Bus { .. } => Fault::Bus { reason: "" },
        Fault::NoSuchPe { pe, num_pes } => Fault::NoSuchPe { pe, num_pes },
        Fault::Unexpected => Fault::Unexpected,
        _ => Fault::Other { reason: "" },
    }
}

fn request_name(request: &Request<'_>) -> &'static str {
    match request {
        Request::Identify => "Identify",
        Request::Status => "Status",
        Request::LoadBegin { .. } => "LoadBegin",
        Request::LoadChunk { .. } => "LoadChunk",
        Request::Commit => "Commit",
        Request::Infer { .. } => "Infer",
        Request::Counters { .. } => "Counters",
        Request::Reset => "Reset",
    }
}

/// Default deadline of one attempt.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default number of attempts per request.
pub const DEFAULT_ATTEMPTS: u32 = 3;

/// The protocol client over stream `S`.
pub struct Client<S: Read + Write> {
    stream: S,
    seq: u16,
    timeout: Duration,
    attempts: u32,
    reader: FrameReader<Vec<u8>>,
    tx: Vec<u8>,
    input: Vec<u8>,
    input_pos: usize,
    logs: Vec<Vec<u8>>,
    retries: u64,
    last_request_bytes: usize,
    last_response_bytes: usize,
    response_bytes: usize,
}

impl<S: Read + Write> Client<S> {
    /// A client over `stream` (which needs a short read timeout, see the module docs), with
    /// [`DEFAULT_TIMEOUT`] per attempt and [`DEFAULT_ATTEMPTS`] attempts.
    pub fn new(stream: S) -> Self {
        Client {
            stream,
            seq: 0,
            timeout: DEFAULT_TIMEOUT,
            attempts: DEFAULT_ATTEMPTS,
            reader: FrameReader::new(vec![0; MAX_FRAME_LEN]),
            tx: vec![0; MAX_FRAME_LEN],
            input: Vec::new(),
            input_pos: 0,
            logs: Vec::new(),
            retries: 0,
            last_request_bytes: 0,
            last_response_bytes: 0,
            response_bytes: 0,
        }
    }

    /// Sets the deadline of one attempt.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Sets the attempts per request (at least 1).
    pub fn set_attempts(&mut self, attempts: u32) {
        self.attempts = attempts.max(1);
    }

    /// The stream, for tests that inject faults.
    pub fn stream_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// Requests sent again after a corrupt or missing answer, since the client was made.
    pub fn retries(&self) -> u64 {
        self.retries
    }

    /// Log frames received so far (defmt-encoded), emptied.
    pub fn take_logs(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.logs)
    }

    /// Firmware version, geometry and capacities.
    pub fn identify(&mut self) -> Result<BoardIdentity> {
        self.exchange(&Request::Identify, |r| match r {
            Response::Identity(id) => Some(BoardIdentity::from_wire(id)),
            _ => None,
        })
    }

    /// The model state and counters.
    pub fn status(&mut self) -> Result<Status> {
        self.exchange(&Request::Status, |r| match r {
            Response::Status(s) => Some(*s),
            _ => None,
        })
    }

    /// Uploads `image` in pieces of at most `max_chunk` bytes and commits it; `progress` is
    /// called with the bytes sent so far. Returns the model now active.
    pub fn upload(
        &mut self,
        image: &[u8],
        max_chunk: usize,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ModelSummary> {
        let image_len = u32::try_from(image.len())
            .map_err(|_| LinkError::TooLarge(format!("image of {} bytes", image.len())))?;
        self.load_begin(image_len, Some(CRC32.checksum(image)))?;
        let chunk = max_chunk.clamp(1, MAX_CHUNK_LEN);
        for (offset, data) in (0u32..).step_by(chunk).zip(image.chunks(chunk)) {
            let end = self.load_chunk(offset, data)?;
            progress(u64::from(end));
        }
        self.commit()
    }

    /// Starts an upload of `image_len` bytes, with the CRC-32 the commit checks.
    pub fn load_begin(&mut self, image_len: u32, crc32: Option<u32>) -> Result<()> {
        self.exchange(&Request::LoadBegin { image_len, crc32 }, |r| match r {
            Response::Progress { received: 0 } => Some(()),
            _ => None,
        })
    }

    /// Sends the image bytes at `offset`; returns the bytes the firmware holds.
    pub fn load_chunk(&mut self, offset: u32, data: &[u8]) -> Result<u32> {
        self.exchange(&Request::LoadChunk { offset, data }, |r| match r {
            Response::Progress { received } => Some(*received),
            _ => None,
        })
    }

    /// Verifies the staged image and makes it the active model.
    pub fn commit(&mut self) -> Result<ModelSummary> {
        self.exchange(&Request::Commit, |r| match r {
            Response::Committed(m) => Some(*m),
            _ => None,
        })
    }

    /// Runs the active model on `input`; `timeout_us` 0 takes the firmware's default.
    pub fn infer(&mut self, input: &[i16], timeout_us: u32) -> Result<RemoteInference> {
        let mut bytes = vec![0u8; input.len() * 2];
        let samples = Samples::write(input, &mut bytes)
            .ok_or_else(|| LinkError::TooLarge("input vector".into()))?;
        let request = Request::Infer {
            input: samples,
            timeout_us,
        };
        let mut result = self.exchange(&request, |r| match r {
            Response::Inference(inf) => Some(RemoteInference {
                output: inf.output.iter().collect(),
                cycles: inf.cycles,
                bcast_stalls: inf.bcast_stalls,
                layer_cycles: inf.layer_cycles.to_vec(),
                rx_ticks: inf.rx_ticks,
                firmware_ticks: inf.firmware_ticks,
                accel_ticks: inf.accel_ticks,
                request_bytes: 0,
                response_bytes: 0,
            }),
            _ => None,
        })?;
        result.request_bytes = self.last_request_bytes;
        result.response_bytes = self.last_response_bytes;
        Ok(result)
    }

    /// Every PE's counters for the last run.
    pub fn counters(&mut self) -> Result<Vec<PeCounters>> {
        let mut all = Vec::new();
        loop {
            let first_pe = all.len() as u32;
            let (num_pes, part) = self.exchange(&Request::Counters { first_pe }, |r| match r {
                Response::Counters {
                    first_pe: f,
                    num_pes,
                    data,
                } if *f == first_pe && data.len() % COUNTER_BYTES == 0 => {
                    let part: Vec<PeCounters> = data
                        .chunks_exact(COUNTER_BYTES)
                        .map(|c| {
                            let w =
                                |i: usize| u32::from_le_bytes([c[i], c[i + 1], c[i + 2], c[i + 3]]);
                            PeCounters {
                                entries: w(0),
                                busy: w(4),
                                starved: w(8),
                                queue_full: w(12),
                            }
                        })
                        .collect();
                    Some((*num_pes, part))
                }
                _ => None,
            })?;
            if part.is_empty() {
                return Err(LinkError::Unexpected {
                    request: "Counters",
                    response: "no counters".into(),
                });
            }
            all.extend(part);
            if all.len() as u32 >= num_pes {
                all.truncate(num_pes as usize);
                return Ok(all);
            }
        }
    }

    /// Drops any upload, aborts a run and deactivates the model.
    pub fn reset(&mut self) -> Result<()> {
        self.exchange(&Request::Reset, |r| match r {
            Response::Ack => Some(()),
            _ => None,
        })
    }

    /// The active model, if any.
    pub fn model(&mut self) -> Result<Option<ModelSummary>> {
        Ok(match self.status()?.model {
            ModelState::Active(m) => Some(m),
            ModelState::None | ModelState::Lost => None,
        })
    }

    /// Sends `request` and converts its response with `convert`, which hands back a response
    /// it does not take.
    fn exchange<T>(
        &mut self,
        request: &Request<'_>,
        mut convert: impl FnMut(&Response<'_>) -> Option<T>,
    ) -> Result<T> {
        let name = request_name(request);
        // Every attempt carries the same request: an answer to any of them will do.
        let mut mine = Vec::with_capacity(self.attempts as usize);
        for attempt in 0..self.attempts {
            if attempt > 0 {
                self.retries += 1;
            }
            self.seq = match self.seq.wrapping_add(1) {
                0 => 1,
                s => s,
            };
            let seq = self.seq;
            mine.push(seq);
            let frame = protocol::encode(seq, request, &mut self.tx)
                .map_err(|e| LinkError::TooLarge(format!("{name}: {e}")))?;
            // A delimiter first ends any garbage the firmware holds from an earlier fault.
            let mut wire = Vec::with_capacity(frame.len() + 1);
            wire.push(protocol::DELIMITER);
            wire.extend_from_slice(frame);
            self.stream.write_all(&wire)?;
            self.stream.flush()?;
            self.last_request_bytes = wire.len();
            let deadline = Instant::now() + self.timeout;
            loop {
                if !self.next_frame(deadline)? {
                    break;
                }
                let frame = self.reader.frame();
                let decoded = protocol::decode_in_place::<Response<'_>>(frame);
                match decoded {
                    Err(_) => break,
                    Ok((_, Response::Log(bytes))) => self.logs.push(bytes.to_vec()),
                    Ok((_, Response::Panic(message))) => {
                        return Err(LinkError::Panic(message.to_owned()))
                    }
                    Ok((0, Response::Error(Fault::BadFrame | Fault::FrameTooLong { .. }))) => break,
                    Ok((s, response)) if mine.contains(&s) => {
                        self.last_response_bytes = self.response_bytes;
                        return match (convert(&response), &response) {
                            (Some(value), _) => Ok(value),
                            (None, Response::Error(fault)) => Err(LinkError::Fault {
                                fault: detach(fault),
                                message: fault.to_string(),
                            }),
                            (None, other) => Err(LinkError::Unexpected {
                                request: name,
                                response: format!("{other:?}"),
                            }),
                        };
                    }
                    Ok(_) => {}
                }
            }
        }
        Err(LinkError::Timeout {
            request: name,
            attempts: self.attempts,
            timeout: self.timeout,
        })
    }

    /// Reads until the reader holds a frame (true) or the deadline passed (false).
    fn next_frame(&mut self, deadline: Instant) -> Result<bool> {
        let mut size = 0usize;
        loop {
            if self.input_pos == self.input.len() {
                if Instant::now() >= deadline {
                    return Ok(false);
                }
                self.input.resize(4096, 0);
                self.input_pos = 0;
                match self.stream.read(&mut self.input) {
                    Ok(0) => {
                        self.input.clear();
                        return Err(LinkError::Closed);
                    }
                    Ok(n) => self.input.truncate(n),
                    Err(e)
                        if matches!(
                            e.kind(),
                            ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                        ) =>
                    {
                        self.input.clear();
                        continue;
                    }
                    Err(e) => {
                        self.input.clear();
                        return Err(e.into());
                    }
                }
            }
            let byte = self.input[self.input_pos];
            self.input_pos += 1;
            size += 1;
            match self.reader.push(byte) {
                Pushed::More | Pushed::Overflow => {}
                Pushed::Frame => {
                    // Both delimiters included.
                    self.response_bytes = size;
                    return Ok(true);
                }
            }
        }
    }
}

/// Decodes the firmware's log frames ([`Response::Log`], one defmt record each) with the
/// format table of the firmware's ELF.
pub struct LogDecoder {
    #[cfg(feature = "defmt")]
    table: defmt_decoder::Table,
}

impl LogDecoder {
    /// The decoder for the firmware ELF at `elf`: an error when it cannot be read, holds no
    /// defmt table, or this tool was built without the `defmt` feature.
    pub fn from_elf(elf: &Path) -> std::result::Result<LogDecoder, String> {
        #[cfg(feature = "defmt")]
        {
            let bytes =
                std::fs::read(elf).map_err(|e| format!("reading '{}': {e}", elf.display()))?;
            match defmt_decoder::Table::parse(&bytes) {
                Ok(Some(table)) => Ok(LogDecoder { table }),
                Ok(None) => Err(format!(
                    "'{}' holds no defmt table (not linked with -Tdefmt.x)",
                    elf.display()
                )),
                Err(e) => Err(format!("'{}': {e}", elf.display())),
            }
        }
        #[cfg(not(feature = "defmt"))]
        {
            Err(format!(
                "cannot decode with '{}': this eie was built without the `defmt` feature",
                elf.display()
            ))
        }
    }

    /// The record in one log frame as text: its level and message (`INFO eie-fw 0.1.0 ...`).
    pub fn decode(&self, frame: &[u8]) -> std::result::Result<String, String> {
        #[cfg(feature = "defmt")]
        {
            let mut stream = self.table.new_stream_decoder();
            stream.received(frame);
            match stream.decode() {
                Ok(record) => Ok(record.display(false).to_string()),
                Err(defmt_decoder::DecodeError::UnexpectedEof) => {
                    Err(format!("truncated log record ({} bytes)", frame.len()))
                }
                Err(defmt_decoder::DecodeError::Malformed) => Err(format!(
                    "log record of {} bytes does not match the ELF's defmt table (another firmware?)",
                    frame.len()
                )),
            }
        }
        #[cfg(not(feature = "defmt"))]
        {
            Err(format!(
                "log record of {} bytes not decoded: this eie was built without the `defmt` feature",
                frame.len()
            ))
        }
    }
}
