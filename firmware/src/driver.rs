//! The driver: identity and geometry discovery, running the layer program, counters.

use crate::error::{Error, Result};
use crate::log::debug;
use crate::{Bus, Loader};
use eie_memmap::geometry::{self, BadGeometry, Geometry};
use eie_memmap::image::Header;
use eie_memmap::regs::{self, ErrorCode};

/// Microseconds between two reads of `STATUS` while a program runs, unless changed with
/// [`Eie::set_poll_interval_us`].
pub const DEFAULT_POLL_US: u32 = 1;

/// Polls of `STATUS` after an abort before the driver gives up waiting for `BUSY` to clear.
const ABORT_POLLS: u32 = 100;

/// The model that is loaded and active.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ModelInfo {
    /// The image's header: requirements, input and output lengths and formats.
    pub header: Header,
    /// Length of the image in bytes.
    pub image_len: u64,
}

impl ModelInfo {
    /// Length of the input vector.
    pub const fn input_len(&self) -> u32 {
        self.header.input_len
    }

    /// Length of the output vector.
    pub const fn output_len(&self) -> u32 {
        self.header.output_len
    }

    /// Layers in the program.
    pub const fn num_layers(&self) -> u32 {
        self.header.needs.num_layers
    }
}

/// What one run of the layer program took.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RunStats {
    /// Accelerator cycles from start to done (`CYCLES`).
    pub cycles: u32,
    /// Cycles the broadcast stalled on a full queue (`BCAST_STALLS`).
    pub bcast_stalls: u32,
    /// Cycles of each layer, in program order (`LAYER_CYCLES`).
    pub layer_cycles: heapless::Vec<u32, { geometry::MAX_LAYERS as usize }>,
    /// Microseconds the driver waited for the result.
    pub waited_us: u32,
}

/// One PE's counters for the last program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PeCounters {
    /// Sparse-matrix entries processed, padding included.
    pub entries: u32,
    /// Cycles the arithmetic unit did work.
    pub busy: u32,
    /// Compute cycles with an empty queue and nothing in flight.
    pub starved: u32,
    /// Cycles the activation queue was full.
    pub queue_full: u32,
}

/// The EIE accelerator behind bus `B`, with delay `D` for timeouts.
pub struct Eie<B: Bus, D: embedded_hal::delay::DelayNs> {
    bus: B,
    delay: D,
    geometry: Geometry,
    model: Option<ModelInfo>,
    irq_enabled: bool,
    poll_us: u32,
}

impl<B: Bus, D: embedded_hal::delay::DelayNs> Eie<B, D> {
    /// Identifies the accelerator and reads its geometry. Only reads; refuses an unknown
    /// identity or major version, word widths other than this driver's, and a geometry the
    /// register map cannot describe.
    pub fn new(mut bus: B, delay: D) -> Result<Self, B::Error> {
        let mut read = |offset| bus.read32(offset).map_err(Error::Bus);
        let id = read(regs::ID)?;
        let version = read(regs::VERSION)?;
        // Minor versions only add to the register map: any minor of this major will do.
        if id != regs::ID_VALUE || version >> 16 != regs::VERSION_VALUE >> 16 {
            return Err(Error::BadIdentity { id, version });
        }
        let geometry = Geometry {
            num_pes: read(regs::GEOM_PES)?,
            queue_depth: read(regs::GEOM_QUEUE_DEPTH)?,
            spmat_words: read(regs::GEOM_SPMAT_WORDS)?,
            ptr_entries: read(regs::GEOM_PTR_ENTRIES)?,
            act_entries: read(regs::GEOM_ACT_ENTRIES)?,
            max_layers: read(regs::GEOM_MAX_LAYERS)?,
        };
        let widths = read(regs::GEOM_WIDTHS)?;
        if widths != regs::widths_value() {
            return Err(Error::UnsupportedGeometry(BadGeometry {
                field: "widths",
                value: widths,
            }));
        }
        geometry.check().map_err(Error::UnsupportedGeometry)?;
        debug!(
            "eie: {} PEs, queue depth {}",
            geometry.num_pes, geometry.queue_depth
        );
        Ok(Eie {
            bus,
            delay,
            geometry,
            model: None,
            irq_enabled: false,
            poll_us: DEFAULT_POLL_US,
        })
    }

    /// The geometry the hardware reported.
    pub fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// The active model, if one is loaded.
    pub fn model(&self) -> Option<&ModelInfo> {
        self.model.as_ref()
    }

    /// Gives the bus and the delay back.
    pub fn release(self) -> (B, D) {
        (self.bus, self.delay)
    }

    /// Sets the time between two reads of `STATUS` while a program runs (at least 1 us).
    pub fn set_poll_interval_us(&mut self, us: u32) {
        self.poll_us = us.max(1);
    }

    /// Enables or disables the interrupt line (raised while `DONE` or `ERROR` is set).
    pub fn set_interrupt(&mut self, enable: bool) -> Result<(), B::Error> {
        self.irq_enabled = enable;
        self.write(regs::CTRL, self.irq_bits())
    }

    /// Loads an image held in memory; see [`Loader`] for what is checked and when the model
    /// becomes active.
    pub fn load(&mut self, image: &[u8]) -> Result<ModelInfo, B::Error> {
        let mut loader = self.loader();
        loader.feed(image)?;
        loader.finish()
    }

    /// Starts a streaming load: feed the image in pieces of any size, then finish.
    pub fn loader(&mut self) -> Loader<'_, B, D> {
        Loader::new(self)
    }

    /// Runs the layer program on `input` (the model's input length) and writes the result to
    /// `output` (the model's output length). Waits at most `timeout_us` microseconds, polling
    /// `STATUS`; a program still running then is aborted.
    pub fn run(
        &mut self,
        input: &[i16],
        output: &mut [i16],
        timeout_us: u32,
    ) -> Result<RunStats, B::Error> {
        self.run_iter(input.iter().copied(), output, timeout_us)
    }

    /// [`Eie::run`] with the input taken from an iterator (for firmware that decodes it from
    /// a received frame without a copy); it must yield exactly the model's input length.
    pub fn run_iter(
        &mut self,
        input: impl ExactSizeIterator<Item = i16>,
        output: &mut [i16],
        timeout_us: u32,
    ) -> Result<RunStats, B::Error> {
        let model = self.model.ok_or(Error::NoModel)?;
        let header = model.header;
        if input.len() != header.input_len as usize {
            return Err(Error::InputLength {
                expected: header.input_len,
                found: len_u32(input.len()),
            });
        }
        if output.len() != header.output_len as usize {
            return Err(Error::OutputLength {
                expected: header.output_len,
                found: len_u32(output.len()),
            });
        }
        self.ensure_idle()?;
        self.write(regs::STATUS, regs::STATUS_DONE | regs::STATUS_ERROR)?;
        self.clear_axi_errors()?;
        for (j, x) in (0u32..).zip(input.take(header.input_len as usize)) {
            self.write(regs::act_addr(0, j), x as i32 as u32)?;
        }
        self.write(regs::CTRL, regs::CTRL_START | self.irq_bits())?;
        let waited_us = self.wait(timeout_us)?;
        let file = regs::output_file(header.needs.num_layers);
        for (j, y) in (0u32..).zip(output.iter_mut()) {
            *y = self.read(regs::act_addr(file, j))? as u16 as i16;
        }
        let mut stats = RunStats {
            cycles: self.read(regs::CYCLES)?,
            bcast_stalls: self.read(regs::BCAST_STALLS)?,
            layer_cycles: heapless::Vec::new(),
            waited_us,
        };
        for layer in 0..header.needs.num_layers {
            let cycles = self.read(regs::layer_reg(layer, regs::LAYER_CYCLES))?;
            // Cannot fail: the decoder bounds the layer count by MAX_LAYERS.
            let _ = stats.layer_cycles.push(cycles);
        }
        self.check_axi_errors()?;
        debug!("eie: run took {} cycles", stats.cycles);
        Ok(stats)
    }

    /// PE `pe`'s counters for the last program.
    pub fn pe_counters(&mut self, pe: u32) -> Result<PeCounters, B::Error> {
        if pe >= self.geometry.num_pes {
            return Err(Error::NoSuchPe {
                pe,
                num_pes: self.geometry.num_pes,
            });
        }
        Ok(PeCounters {
            entries: self.read(regs::pe_counter_addr(pe, regs::PE_ENTRIES))?,
            busy: self.read(regs::pe_counter_addr(pe, regs::PE_BUSY))?,
            starved: self.read(regs::pe_counter_addr(pe, regs::PE_STARVED))?,
            queue_full: self.read(regs::pe_counter_addr(pe, regs::PE_QUEUE_FULL))?,
        })
    }

    /// Cycles layer `layer` took in the last program.
    pub fn layer_cycles(&mut self, layer: u32) -> Result<u32, B::Error> {
        if layer >= self.geometry.max_layers {
            return Err(Error::NoSuchLayer {
                layer,
                max_layers: self.geometry.max_layers,
            });
        }
        self.read(regs::layer_reg(layer, regs::LAYER_CYCLES))
    }

    /// Reads `STATUS` once.
    pub fn status(&mut self) -> Result<u32, B::Error> {
        self.read(regs::STATUS)
    }

    /// Polls until `DONE`, an error, or the timeout (then aborts). Returns the time waited.
    fn wait(&mut self, timeout_us: u32) -> Result<u32, B::Error> {
        let mut waited = 0u32;
        loop {
            let status = self.read(regs::STATUS)?;
            if status & regs::STATUS_ERROR != 0 {
                return Err(self.hardware_error(status)?);
            }
            if status & regs::STATUS_DONE != 0 && status & regs::STATUS_BUSY == 0 {
                return Ok(waited);
            }
            if waited >= timeout_us {
                self.abort()?;
                return Err(Error::Timeout { us: waited });
            }
            let step = self.poll_us.min(timeout_us - waited);
            self.delay.delay_us(step);
            waited += step;
        }
    }

    /// Stops a running program and waits (bounded) for `BUSY` to clear.
    fn abort(&mut self) -> Result<(), B::Error> {
        self.write(regs::CTRL, regs::CTRL_ABORT | self.irq_bits())?;
        for _ in 0..ABORT_POLLS {
            if self.read(regs::STATUS)? & regs::STATUS_BUSY == 0 {
                return Ok(());
            }
            self.delay.delay_us(self.poll_us);
        }
        Err(Error::Busy)
    }

    fn hardware_error(&mut self, status: u32) -> Result<Error<B::Error>, B::Error> {
        let info = self.read(regs::ERROR_INFO)?;
        Ok(Error::Hardware {
            code: ErrorCode::from_code((status >> regs::STATUS_CODE_SHIFT) as u8),
            layer: (status >> regs::STATUS_LAYER_SHIFT) as u8,
            pe: (info >> 24) as u8,
            column: info & 0x00FF_FFFF,
        })
    }

    /// Refuses to go on while a program runs.
    pub(crate) fn ensure_idle(&mut self) -> Result<(), B::Error> {
        if self.read(regs::STATUS)? & regs::STATUS_BUSY != 0 {
            Err(Error::Busy)
        } else {
            Ok(())
        }
    }

    pub(crate) fn clear_axi_errors(&mut self) -> Result<(), B::Error> {
        self.write(regs::AXI_ERR, u32::MAX)
    }

    /// Fails if the accelerator counted error responses since they were last cleared.
    pub(crate) fn check_axi_errors(&mut self) -> Result<(), B::Error> {
        let value = self.read(regs::AXI_ERR)?;
        if value == 0 {
            return Ok(());
        }
        let count = value & 0x7FFF_FFFF;
        let addr = self.read(regs::AXI_ERR_ADDR)?;
        Err(Error::AxiErrors { count, addr })
    }

    pub(crate) fn set_model(&mut self, model: Option<ModelInfo>) {
        self.model = model;
    }

    fn irq_bits(&self) -> u32 {
        if self.irq_enabled {
            regs::CTRL_IRQ_EN
        } else {
            0
        }
    }

    pub(crate) fn read(&mut self, offset: u32) -> Result<u32, B::Error> {
        self.bus.read32(offset).map_err(Error::Bus)
    }

    pub(crate) fn write(&mut self, offset: u32, value: u32) -> Result<(), B::Error> {
        self.bus.write32(offset, value).map_err(Error::Bus)
    }
}

fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}
