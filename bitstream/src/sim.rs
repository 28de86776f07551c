//! The simulated accelerator: a Verilated model clocked from Rust, with an AXI4-Lite master
//! that implements the driver's [`Bus`] and a [`DelayNs`] that advances simulated time.

use crate::backdoor::Backdoor;
use crate::design::Design;
use crate::error::{Result, SimError};
use crate::model::{Model, PinsIn, PinsOut};
use eie_firmware::Bus;
use embedded_hal::delay::DelayNs;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

/// Nominal clock of the simulated accelerator: [`DelayNs`] turns time into cycles at this rate.
pub const CLOCK_HZ: u64 = 100_000_000;
/// Cycles a bus access may wait for the slave by default (see [`Sim::set_axi_timeout`]).
pub const AXI_TIMEOUT_CYCLES: u64 = 10_000;
/// Cycles the reset is held.
const RESET_CYCLES: u64 = 8;

/// How to drive a design.
#[derive(Clone, Debug, Default)]
pub struct SimOptions {
    /// Write a VCD waveform here (the environment variable `EIE_TRACE` also asks for one).
    pub trace: Option<PathBuf>,
    /// Seed of the random bus delays.
    pub seed: u64,
    /// Randomise when the master raises each valid and lowers each ready (so address and data
    /// of a write arrive in varying order and responses meet back-pressure).
    pub axi_delays: bool,
}

/// Why a bus access failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AxiErrorKind {
    /// The slave answered SLVERR.
    SlvErr,
    /// The slave answered DECERR.
    DecErr,
    /// The slave did not complete the access within this many cycles.
    Timeout {
        /// Cycles waited.
        cycles: u64,
    },
    /// An earlier access timed out; the bus is stuck.
    Hung,
    /// The slave broke the AXI4-Lite protocol.
    Protocol(&'static str),
    /// The offset is not a 4-byte aligned address of the 24-bit port.
    BadAddress,
    /// The model executed `$finish`, `$stop` or `$fatal`.
    Stopped,
}

/// A failed access on the simulated AXI4-Lite bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AxiError {
    /// What went wrong.
    pub kind: AxiErrorKind,
    /// The address accessed.
    pub addr: u32,
    /// A write (else a read).
    pub write: bool,
}

impl std::fmt::Display for AxiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let access = if self.write { "write to" } else { "read from" };
        let addr = self.addr;
        match self.kind {
            AxiErrorKind::SlvErr => write!(f, "{access} {addr:#08x} answered SLVERR"),
            AxiErrorKind::DecErr => write!(f, "{access} {addr:#08x} answered DECERR"),
            AxiErrorKind::Timeout { cycles } => {
                write!(f, "{access} {addr:#08x}: no answer in {cycles} cycles")
            }
            AxiErrorKind::Hung => write!(
                f,
                "{access} {addr:#08x}: the bus is stuck since an earlier access timed out"
            ),
            AxiErrorKind::Protocol(what) => {
                write!(f, "{access} {addr:#08x}: AXI protocol violation: {what}")
            }
            AxiErrorKind::BadAddress => {
                write!(f, "{access} {addr:#08x}: not an aligned 24-bit address")
            }
            AxiErrorKind::Stopped => write!(
                f,
                "{access} {addr:#08x}: the model stopped ($finish, $stop or $fatal)"
            ),
        }
    }
}

impl std::error::Error for AxiError {}

struct Inner {
    model: Model,
    pins: PinsIn,
    out: PinsOut,
    cycles: u64,
    stopped: bool,
    hung: bool,
    rng: fastrand::Rng,
    delays: bool,
    timeout: u64,
    /// The accelerator's geometry, when the design is the accelerator.
    geometry: Option<eie_memmap::Geometry>,
    backdoor: Option<Backdoor>,
}

/// A simulated design behind an AXI4-Lite master, clocked cycle by cycle.
///
/// `Sim` is a handle: clones share one model, so the same simulator can be the driver's
/// [`Bus`] and its [`DelayNs`] (`Eie::new(sim.clone(), sim.clone())`) while the caller keeps
/// a handle for [`cycles`](Sim::cycles) and [`irq`](Sim::irq).
#[derive(Clone)]
pub struct Sim {
    inner: Arc<Mutex<Inner>>,
}

impl Sim {
    /// Builds (or takes from the cache) the simulator for `design`, creates a model, and
    /// holds it in reset for a few cycles.
    pub fn from_design(design: &Design, options: &SimOptions) -> Result<Sim> {
        let trace = crate::model::trace_path(options.trace.as_deref());
        let library = crate::verilate::library(design, trace.is_some())?;
        let model = Model::new(&library, trace.as_deref())?;
        let mut inner = Inner {
            model,
            pins: PinsIn::default(),
            out: PinsOut::default(),
            cycles: 0,
            stopped: false,
            hung: false,
            rng: fastrand::Rng::with_seed(options.seed),
            delays: options.axi_delays,
            timeout: AXI_TIMEOUT_CYCLES,
            geometry: None,
            backdoor: None,
        };
        inner.reset();
        Ok(Sim {
            inner: Arc::new(Mutex::new(inner)),
        })
    }

    /// Marks the design as the accelerator built for `geometry` (enables the backdoor).
    pub(crate) fn set_geometry(&self, geometry: eie_memmap::Geometry) {
        self.lock().geometry = Some(geometry);
    }

    /// Serves accesses to the activation, pointer and sparse-matrix windows by reading and
    /// writing the RTL's memories directly, in zero cycles, instead of over the bus (for
    /// loading large models fast; see the `backdoor` module docs for what it does not model).
    /// Only for the accelerator ([`Sim::new`]); fails if the RTL's memories are not where the
    /// backdoor expects them.
    pub fn set_backdoor(&self, on: bool) -> Result<()> {
        let mut inner = self.lock();
        if !on {
            inner.backdoor = None;
            return Ok(());
        }
        let geometry = inner.geometry.ok_or_else(|| SimError::Create {
            what: "the backdoor exists only for the accelerator".to_string(),
        })?;
        let backdoor = Backdoor::new(&mut inner.model, &geometry)?;
        inner.backdoor = Some(backdoor);
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs one clock cycle with the bus idle.
    pub fn cycle(&self) {
        self.run_cycles(1);
    }

    /// Runs `n` clock cycles with the bus idle.
    pub fn run_cycles(&self, n: u64) {
        self.lock().idle(n);
    }

    /// Cycles since the end of the last reset.
    pub fn cycles(&self) -> u64 {
        self.lock().cycles
    }

    /// The interrupt line, as sampled in the last cycle.
    pub fn irq(&self) -> bool {
        self.lock().out.irq != 0
    }

    /// True once the model executed `$finish`, `$stop` or `$fatal`.
    pub fn stopped(&self) -> bool {
        self.lock().stopped
    }

    /// Resets the design (registers only: memories keep their contents) and the bus.
    pub fn reset(&self) {
        self.lock().reset();
    }

    /// Turns the random bus delays on or off.
    pub fn set_axi_delays(&self, on: bool) {
        self.lock().delays = on;
    }

    /// Sets how many cycles an access may wait for the slave before it fails.
    pub fn set_axi_timeout(&self, cycles: u64) {
        self.lock().timeout = cycles.max(1);
    }

    /// Writes buffered waveform data to the trace file.
    pub fn flush_trace(&self) {
        self.lock().model.flush();
    }

    /// Reads the 32-bit word at `addr`.
    pub fn read(&self, addr: u32) -> Result<u32, AxiError> {
        self.lock().read(addr)
    }

    /// Writes the 32-bit word `value` at `addr`.
    pub fn write(&self, addr: u32, value: u32) -> Result<(), AxiError> {
        self.lock().write(addr, value)
    }
}

impl Inner {
    fn step(&mut self, cycles: u64) -> bool {
        if self.stopped {
            return false;
        }
        let (out, stopped) = self.model.step(&self.pins, cycles);
        self.out = out;
        self.cycles += cycles;
        self.stopped = stopped;
        !stopped
    }

    fn idle(&mut self, cycles: u64) {
        self.pins = PinsIn {
            rst_n: self.pins.rst_n,
            ..PinsIn::default()
        };
        if cycles > 0 {
            self.step(cycles);
        }
    }

    fn reset(&mut self) {
        self.pins = PinsIn::default();
        self.step(RESET_CYCLES);
        self.pins.rst_n = 1;
        self.cycles = 0;
        self.hung = false;
    }

    /// Cycles to wait before raising a valid.
    fn valid_delay(&mut self) -> u64 {
        if self.delays && self.rng.bool() {
            self.rng.u64(1..=4)
        } else {
            0
        }
    }

    /// Whether to raise a ready this cycle.
    fn ready(&mut self) -> bool {
        !self.delays || self.rng.u8(..4) != 0
    }

    fn check(&self, addr: u32, write: bool) -> Result<(), AxiError> {
        let kind = if self.stopped {
            AxiErrorKind::Stopped
        } else if self.hung {
            AxiErrorKind::Hung
        } else if addr >= 1 << 24 || addr % 4 != 0 {
            AxiErrorKind::BadAddress
        } else {
            return Ok(());
        };
        Err(AxiError { kind, addr, write })
    }

    /// Ends an access: bus idle, and the response turned into a result.
    fn finish(&mut self, addr: u32, write: bool, resp: u8) -> Result<(), AxiError> {
        self.pins = PinsIn {
            rst_n: 1,
            ..PinsIn::default()
        };
        let kind = match resp {
            0 => return Ok(()),
            2 => AxiErrorKind::SlvErr,
            3 => AxiErrorKind::DecErr,
            _ => AxiErrorKind::Protocol("EXOKAY response on AXI4-Lite"),
        };
        Err(AxiError { kind, addr, write })
    }

    fn fail(&mut self, addr: u32, write: bool, kind: AxiErrorKind) -> AxiError {
        if matches!(kind, AxiErrorKind::Timeout { .. }) {
            self.hung = true;
        }
        self.pins = PinsIn {
            rst_n: 1,
            ..PinsIn::default()
        };
        AxiError { kind, addr, write }
    }

    fn write(&mut self, addr: u32, value: u32) -> Result<(), AxiError> {
        self.check(addr, true)?;
        if let Some(backdoor) = &self.backdoor {
            if backdoor.write(&mut self.model, addr, value).is_some() {
                return Ok(());
            }
        }
        let aw_at = self.valid_delay();
        let w_at = self.valid_delay();
        let (mut aw_done, mut w_done) = (false, false);
        self.pins.awaddr = addr;
        self.pins.wdata = value;
        self.pins.wstrb = 0xF;
        for n in 0..=self.timeout {
            self.pins.awvalid = u8::from(!aw_done && n >= aw_at);
            self.pins.wvalid = u8::from(!w_done && n >= w_at);
            self.pins.bready = u8::from(self.ready());
            if !self.step(1) {
                return Err(self.fail(addr, true, AxiErrorKind::Stopped));
            }
            let out = self.out;
            if out.bvalid != 0 && !(aw_done && w_done) {
                let what = "BVALID before the write address and data were both accepted";
                return Err(self.fail(addr, true, AxiErrorKind::Protocol(what)));
            }
            aw_done |= self.pins.awvalid != 0 && out.awready != 0;
            w_done |= self.pins.wvalid != 0 && out.wready != 0;
            if self.pins.bready != 0 && out.bvalid != 0 {
                return self.finish(addr, true, out.bresp);
            }
        }
        let cycles = self.timeout;
        Err(self.fail(addr, true, AxiErrorKind::Timeout { cycles }))
    }

    fn read(&mut self, addr: u32) -> Result<u32, AxiError> {
        self.check(addr, false)?;
        if let Some(backdoor) = &self.backdoor {
            if let Some(value) = backdoor.read(&mut self.model, addr) {
                return Ok(value);
            }
        }
        let ar_at = self.valid_delay();
        let mut ar_done = false;
        self.pins.araddr = addr;
        for n in 0..=self.timeout {
            self.pins.arvalid = u8::from(!ar_done && n >= ar_at);
            self.pins.rready = u8::from(self.ready());
            if !self.step(1) {
                return Err(self.fail(addr, false, AxiErrorKind::Stopped));
            }
            let out = self.out;
            if out.rvalid != 0 && !ar_done {
                let what = "RVALID before the read address was accepted";
                return Err(self.fail(addr, false, AxiErrorKind::Protocol(what)));
            }
            ar_done |= self.pins.arvalid != 0 && out.arready != 0;
            if self.pins.rready != 0 && out.rvalid != 0 {
                return self.finish(addr, false, out.rresp).map(|()| out.rdata);
            }
        }
        let cycles = self.timeout;
        Err(self.fail(addr, false, AxiErrorKind::Timeout { cycles }))
    }
}

impl Bus for Sim {
    type Error = AxiError;

    fn read32(&mut self, offset: u32) -> Result<u32, AxiError> {
        self.read(offset)
    }

    fn write32(&mut self, offset: u32, value: u32) -> Result<(), AxiError> {
        self.write(offset, value)
    }
}

impl DelayNs for Sim {
    /// Advances the simulation by `ns` nanoseconds at [`CLOCK_HZ`], rounded up to whole cycles.
    fn delay_ns(&mut self, ns: u32) {
        let cycles = (u64::from(ns) * CLOCK_HZ).div_ceil(1_000_000_000);
        self.run_cycles(cycles);
    }
}
