//! The firmware's protocol server running on the host, in a thread, with the Verilated RTL as
//! its bus, and a client connected to it over a socket pair: the whole link but the UART.
//!
//! The server's bus wraps the simulator the way the SoC's CPU sees it: error responses read as
//! 0 and drop writes (VexRiscv ignores them, so the firmware must learn of them from
//! `AXI_ERR`). Two faults can be switched on from the test: [`Rig::unplug`] makes every access
//! fail (a bus that stops answering), [`Rig::start_behind_the_drivers_back`] starts the
//! accelerator right after the driver's next idle check (another master taking the core).

use eie::link::Client;
use eie_bitstream::{AxiError, AxiErrorKind, Sim, SimConfig, CLOCK_HZ};
use eie_firmware::server::{Ident, Server};
use eie_firmware::Bus;
use eie_memmap::regs;
use eie_memmap::Geometry;
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// Staging buffer given to the rig's server.
pub const STAGING: usize = 256 * 1024;
/// The largest image it stages (the server keeps its frame buffers at the end).
pub const STAGING_CAPACITY: usize = STAGING - eie_firmware::server::BUFFER_BYTES;

/// How the rig's bus misbehaves.
struct Switches {
    unplugged: AtomicBool,
    /// Accesses left before the bus unplugs itself; negative: never.
    countdown: AtomicI64,
    start_on_idle_check: AtomicBool,
}

impl Switches {
    /// True if this access fails.
    fn unplugged(&self) -> bool {
        if self.countdown.fetch_sub(1, Ordering::SeqCst) == 0 {
            self.unplugged.store(true, Ordering::SeqCst);
        }
        self.unplugged.load(Ordering::SeqCst)
    }
}

/// The simulator as the SoC's CPU sees it, with the rig's faults.
pub struct CpuBus {
    sim: Sim,
    switches: Arc<Switches>,
}

/// A failed access of [`CpuBus`].
#[derive(Debug)]
pub enum CpuBusError {
    /// The bus stopped answering ([`Rig::unplug`]).
    Unplugged,
    /// The simulated bus failed otherwise (a timeout, a protocol violation).
    Axi(AxiError),
}

impl CpuBus {
    fn swallow<T: Default>(r: Result<T, AxiError>) -> Result<T, CpuBusError> {
        match r {
            Ok(v) => Ok(v),
            Err(AxiError {
                kind: AxiErrorKind::SlvErr | AxiErrorKind::DecErr,
                ..
            }) => Ok(T::default()),
            Err(e) => Err(CpuBusError::Axi(e)),
        }
    }
}

impl Bus for CpuBus {
    type Error = CpuBusError;

    fn read32(&mut self, offset: u32) -> Result<u32, CpuBusError> {
        if self.switches.unplugged() {
            return Err(CpuBusError::Unplugged);
        }
        let value = Self::swallow(self.sim.read(offset))?;
        if offset == regs::STATUS
            && value & regs::STATUS_BUSY == 0
            && self
                .switches
                .start_on_idle_check
                .swap(false, Ordering::SeqCst)
        {
            Self::swallow(self.sim.write(regs::CTRL, regs::CTRL_START))?;
        }
        Ok(value)
    }

    fn write32(&mut self, offset: u32, value: u32) -> Result<(), CpuBusError> {
        if self.switches.unplugged() {
            return Err(CpuBusError::Unplugged);
        }
        Self::swallow(self.sim.write(offset, value))
    }
}

/// One corruption of a frame the client writes.
#[derive(Clone, Copy, Debug)]
pub enum Corruption {
    /// Flip bit `bit` of byte `byte` (counted from the frame's start, wrapping).
    FlipBit {
        /// Byte index.
        byte: usize,
        /// Bit index.
        bit: u8,
    },
    /// Leave out byte `byte`.
    Drop {
        /// Byte index.
        byte: usize,
    },
    /// Send only the first `len` bytes.
    Truncate {
        /// Bytes sent.
        len: usize,
    },
}

/// A socket that corrupts the next frames written to it, one corruption per write.
pub struct Faulty {
    /// The socket.
    pub stream: UnixStream,
    /// Corruptions still to apply, in order.
    pub pending: VecDeque<Corruption>,
}

impl Read for Faulty {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.stream.read(buf)
    }
}

impl Write for Faulty {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let Some(corruption) = self.pending.pop_front() else {
            return self.stream.write(buf);
        };
        let mut bytes = buf.to_vec();
        let n = bytes.len().max(1);
        match corruption {
            Corruption::FlipBit { byte, bit } => {
                if let Some(b) = bytes.get_mut(byte % n) {
                    *b ^= 1 << (bit % 8);
                }
            }
            Corruption::Drop { byte } => {
                if byte % n < bytes.len() {
                    bytes.remove(byte % n);
                }
            }
            Corruption::Truncate { len } => bytes.truncate(len),
        }
        self.stream.write_all(&bytes)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.stream.flush()
    }
}

/// A byte stream the server can be attached to.
pub trait Port: Read + Write + Send {}
impl<T: Read + Write + Send> Port for T {}

/// The server in a thread over the simulated accelerator, taking one host connection after
/// another (as a UART would: a new host finds the firmware in whatever state the last left).
pub struct Rig {
    /// The simulator the server drives (a shared handle).
    pub sim: Sim,
    switches: Arc<Switches>,
    connect: mpsc::Sender<Box<dyn Port>>,
}

impl Rig {
    /// Builds (or takes from the cache) the RTL for `geometry` and starts the server.
    pub fn new(geometry: Geometry) -> Rig {
        let sim = Sim::new(&SimConfig::new(geometry))
            .unwrap_or_else(|e| panic!("simulator for {geometry:?}: {e}"));
        let switches = Arc::new(Switches {
            unplugged: AtomicBool::new(false),
            countdown: AtomicI64::new(-1),
            start_on_idle_check: AtomicBool::new(false),
        });
        let (connect, connections) = mpsc::channel::<Box<dyn Port>>();
        let bus = CpuBus {
            sim: sim.clone(),
            switches: switches.clone(),
        };
        let delay = sim.clone();
        let clock = sim.clone();
        std::thread::spawn(move || {
            let mut staging = vec![0u8; STAGING];
            let hz = CLOCK_HZ as u32;
            let server = Server::new(bus, delay, &mut staging, Ident::new(hz, hz));
            let mut server = match server {
                Ok(s) => s.with_clock(move || clock.cycles()),
                Err(e) => panic!("server: {e}"),
            };
            for stream in connections {
                let mut link = embedded_io_adapters::std::FromStd::new(stream);
                while server.poll(&mut link).is_ok() {}
            }
        });
        Rig {
            sim,
            switches,
            connect,
        }
    }

    /// A new host connection.
    pub fn connect(&self) -> Client<Faulty> {
        let (host, firmware) = UnixStream::pair().expect("socket pair");
        host.set_read_timeout(Some(Duration::from_millis(20)))
            .expect("read timeout");
        self.attach(Box::new(firmware));
        let mut client = Client::new(Faulty {
            stream: host,
            pending: VecDeque::new(),
        });
        client.set_timeout(Duration::from_secs(20));
        client
    }

    /// Serves `port` once the current connection has ended (a serial port's other end, say).
    pub fn attach(&self, port: Box<dyn Port>) {
        self.connect.send(port).expect("server thread alive");
    }

    /// Makes every bus access fail (true) or work again (false).
    pub fn unplug(&self, unplugged: bool) {
        self.switches.countdown.store(-1, Ordering::SeqCst);
        self.switches.unplugged.store(unplugged, Ordering::SeqCst);
    }

    /// Lets `accesses` more bus accesses through, then fails every one after them.
    pub fn unplug_after(&self, accesses: i64) {
        self.switches.countdown.store(accesses, Ordering::SeqCst);
    }

    /// Starts the accelerator right after the driver's next read of an idle `STATUS`.
    pub fn start_behind_the_drivers_back(&self) {
        self.switches
            .start_on_idle_check
            .store(true, Ordering::SeqCst);
    }
}
