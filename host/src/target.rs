//! Targets an image runs on. `sim`, the embedded default: the RTL compiled by Verilator, loaded
//! and driven by the `no_std` firmware driver over AXI4-Lite, exactly as on a board. The others
//! run the firmware and are reached over its link protocol ([`crate::link`]): `soc-sim` (the
//! whole simulated SoC, started through `bitstream/soc/run_sim.py`), `serial:<port>[@baud]`
//! (a board) and `tcp:<host>:<port>` (a UART already exposed on a socket).

use crate::link::{BoardIdentity, Client, LinkError, LogDecoder, RemoteInference};
use crate::{Error, Result};
use eie_bitstream::{Sim, SimConfig};
use eie_firmware::{Eie, ModelInfo, PeCounters, RunStats};
use eie_memmap::image::Requirements;
use eie_memmap::protocol::{ModelSummary, Status};
use eie_memmap::Geometry;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Activation-queue depth of the builds chosen by [`sim_geometry`] (the paper's).
pub const DEFAULT_QUEUE_DEPTH: u32 = 8;

/// The smallest build that holds an image with these needs: its PE count (or `num_pes`, which
/// then must refuse the image if it differs) and every capacity rounded up to a power of two.
pub fn sim_geometry(needs: &Requirements, num_pes: Option<u32>) -> Geometry {
    let pow2 = |n: u32| n.max(1).next_power_of_two();
    Geometry {
        num_pes: num_pes.unwrap_or(needs.num_pes),
        queue_depth: DEFAULT_QUEUE_DEPTH,
        spmat_words: pow2(needs.spmat_words),
        ptr_entries: pow2(needs.ptr_entries).max(2),
        act_entries: pow2(needs.act_entries),
        max_layers: needs.num_layers.max(1),
    }
}

/// A bound on the cycles a correct program of this image can take: every entry, column and
/// output row at a few cycles each, plus fixed overheads. Past it the accelerator is hung.
pub fn cycle_budget(needs: &Requirements, header_input: u32) -> u64 {
    let per_pe_work = u64::from(needs.spmat_words) * 8 + u64::from(needs.ptr_entries);
    let vectors = u64::from(needs.act_entries) * u64::from(needs.num_pes) + u64::from(header_input);
    8 * (per_pe_work + vectors) + 100_000 * u64::from(needs.num_layers)
}

/// One inference on a target.
#[derive(Clone, Debug)]
pub struct Inference {
    /// The output vector (int16, in the model's output format).
    pub output: Vec<i16>,
    /// Cycles and stalls the accelerator reported.
    pub stats: RunStats,
}

/// The simulated accelerator with the driver attached.
pub struct SimTarget {
    eie: Eie<Sim, Sim>,
    timeout_us: u32,
}

fn sim_error(e: impl std::fmt::Display) -> Error {
    Error::Target {
        target: "sim",
        reason: e.to_string(),
    }
}

impl SimTarget {
    /// Builds (or takes from the cache) the RTL for `config.geometry` and identifies it
    /// through the driver.
    pub fn new(config: &SimConfig) -> Result<SimTarget> {
        SimTarget::from_sim(Sim::new(config).map_err(sim_error)?)
    }

    /// Attaches the driver to a simulator the caller may keep a handle to (a `Sim` is a
    /// shared handle), for example to read memories the driver does not expose.
    pub fn from_sim(sim: Sim) -> Result<SimTarget> {
        let eie = Eie::new(sim.clone(), sim).map_err(sim_error)?;
        Ok(SimTarget { eie, timeout_us: 0 })
    }

    /// The geometry the simulated hardware reports.
    pub fn geometry(&self) -> &Geometry {
        self.eie.geometry()
    }

    /// Loads an image through the driver (which refuses one for another geometry before
    /// writing anything).
    pub fn load(&mut self, image: &[u8]) -> Result<ModelInfo> {
        let info = self.eie.load(image).map_err(sim_error)?;
        let cycles = cycle_budget(&info.header.needs, info.header.input_len);
        let us = cycles.div_ceil(eie_bitstream::CLOCK_HZ / 1_000_000);
        self.timeout_us = u32::try_from(us).unwrap_or(u32::MAX);
        Ok(info)
    }

    /// Runs one input vector (int16, in the model's input format).
    pub fn infer(&mut self, input: &[i16]) -> Result<Inference> {
        let len = self.eie.model().map_or(0, |m| m.output_len() as usize);
        let mut output = vec![0; len];
        let stats = self
            .eie
            .run(input, &mut output, self.timeout_us)
            .map_err(sim_error)?;
        Ok(Inference { output, stats })
    }

    /// Every PE's counters for the last run.
    pub fn pe_counters(&mut self) -> Result<Vec<PeCounters>> {
        (0..self.geometry().num_pes)
            .map(|pe| self.eie.pe_counters(pe).map_err(sim_error))
            .collect()
    }

    /// The driver, for what this type does not wrap.
    pub fn driver(&mut self) -> &mut Eie<Sim, Sim> {
        &mut self.eie
    }
}

/// Where `eie run` and `eie board` go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetSpec {
    /// The RTL in Verilator, driven directly.
    Sim,
    /// The simulated SoC running the firmware.
    SocSim,
    /// A board on a serial port.
    Serial {
        /// The port, e.g. `/dev/ttyUSB0`.
        port: String,
        /// Baud rate.
        baud: u32,
    },
    /// A UART exposed on a TCP socket (`host:port`).
    Tcp(String),
}

/// Baud rate of `serial:<port>` without `@baud`: the SoC's UART (`bitstream/soc/soc.py`).
pub const DEFAULT_BAUD: u32 = 1_000_000;

impl std::str::FromStr for TargetSpec {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "sim" => return Ok(TargetSpec::Sim),
            "soc-sim" => return Ok(TargetSpec::SocSim),
            _ => {}
        }
        if let Some(rest) = s.strip_prefix("serial:") {
            let (port, baud) = match rest.rsplit_once('@') {
                Some((port, baud)) => {
                    let baud = baud
                        .parse()
                        .map_err(|_| format!("baud rate '{baud}' is not a number"))?;
                    (port, baud)
                }
                None => (rest, DEFAULT_BAUD),
            };
            if port.is_empty() {
                return Err("serial target without a port (serial:/dev/ttyUSB0[@baud])".into());
            }
            return Ok(TargetSpec::Serial {
                port: port.to_owned(),
                baud,
            });
        }
        if let Some(addr) = s.strip_prefix("tcp:") {
            return Ok(TargetSpec::Tcp(addr.to_owned()));
        }
        Err(format!(
            "unknown target '{s}' (sim, soc-sim, serial:<port>[@baud], tcp:<host>:<port>)"
        ))
    }
}

impl std::fmt::Display for TargetSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetSpec::Sim => f.write_str("sim"),
            TargetSpec::SocSim => f.write_str("soc-sim"),
            TargetSpec::Serial { port, baud } => write!(f, "serial:{port}@{baud}"),
            TargetSpec::Tcp(addr) => write!(f, "tcp:{addr}"),
        }
    }
}

/// Where the simulated SoC and its firmware are (defaults: the workspace's `.cache/soc/sim`,
/// as `./x soc firmware sim` builds them).
#[derive(Clone, Debug)]
pub struct SocSimOptions {
    /// The runner script (`bitstream/soc/run_sim.py`).
    pub runner: PathBuf,
    /// The SoC build folder.
    pub build: PathBuf,
    /// The firmware ROM image.
    pub firmware: PathBuf,
    /// How long the runner may take to open its port.
    pub start_timeout: Duration,
    /// The firmware ELF whose defmt table decodes the firmware's log records. `None`: for
    /// soc-sim, the ELF beside the ROM image (`eie-fw.elf` beside `eie-fw.bin`) when it exists;
    /// other targets then count the records without decoding them.
    pub elf: Option<PathBuf>,
}

impl Default for SocSimOptions {
    fn default() -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let build = std::env::var_os("EIE_SOC_BUILD")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join(".cache/soc/sim"));
        SocSimOptions {
            runner: root.join("bitstream/soc/run_sim.py"),
            firmware: build.join("eie-fw.bin"),
            build,
            start_timeout: Duration::from_secs(60),
            elf: None,
        }
    }
}

/// The firmware's log records since they were last taken ([`RemoteTarget::take_log_lines`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FirmwareLogs {
    /// The decoded records (`LEVEL message`), or for a record that failed to decode, why.
    pub lines: Vec<String>,
    /// Records received but not decoded because no firmware ELF is known.
    pub undecoded: usize,
}

impl FirmwareLogs {
    /// What to print on standard error: one line per record, `firmware: ` before each, or a
    /// count of the undecoded records with how to decode them.
    pub fn render(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .lines
            .iter()
            .map(|l| format!("firmware: {l}"))
            .collect();
        if self.undecoded > 0 {
            out.push(format!(
                "firmware: {} defmt log record(s) not decoded; pass --elf <the firmware ELF> to \
                 decode them",
                self.undecoded
            ));
        }
        out
    }
}

/// A byte stream to the firmware.
pub trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

/// The simulated SoC's runner process; stopped when dropped.
struct Runner {
    child: Child,
    log: PathBuf,
}

impl Runner {
    fn start(opts: &SocSimOptions) -> Result<(Runner, TcpStream)> {
        for (what, path) in [
            ("runner", &opts.runner),
            ("SoC build", &opts.build),
            ("firmware", &opts.firmware),
        ] {
            if !path.exists() {
                return Err(remote_error(
                    "soc-sim",
                    format!(
                        "{what} '{}' not found (build them with `./x soc firmware sim`)",
                        path.display()
                    ),
                ));
            }
        }
        let log = std::env::temp_dir().join(format!("eie-soc-sim-{}.log", std::process::id()));
        let stderr = std::fs::File::create(&log)
            .map_err(|e| remote_error("soc-sim", format!("'{}': {e}", log.display())))?;
        let mut child = Command::new("python3")
            .arg(&opts.runner)
            .arg("--rom")
            .arg(&opts.firmware)
            .arg("--build")
            .arg(&opts.build)
            .args(["--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|e| remote_error("soc-sim", format!("starting the runner: {e}")))?;
        let stdout = child.stdout.take();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            if let Some(out) = stdout {
                let _ = BufReader::new(out).read_line(&mut line);
            }
            let _ = tx.send(line);
        });
        let mut runner = Runner { child, log };
        let line = rx.recv_timeout(opts.start_timeout).unwrap_or_default();
        let addr = line
            .trim()
            .strip_prefix("eie-soc-sim: uart listening on ")
            .map(str::to_owned)
            .ok_or_else(|| {
                remote_error(
                    "soc-sim",
                    format!("the runner did not open its port: {}", runner.log_tail()),
                )
            })?;
        let stream = TcpStream::connect(&addr)
            .map_err(|e| remote_error("soc-sim", format!("connecting to {addr}: {e}")))?;
        Ok((runner, stream))
    }

    fn log_tail(&mut self) -> String {
        let _ = self.child.try_wait();
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(5)..].join(" | ");
        format!("{tail} (log: {})", self.log.display())
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        // The runner ends when its client disconnects; give it a moment, then stop it. Its log
        // stays when it failed.
        for _ in 0..50 {
            match self.child.try_wait() {
                Ok(Some(status)) if status.success() => {
                    let _ = std::fs::remove_file(&self.log);
                    return;
                }
                Ok(Some(_)) => return,
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

fn remote_error(target: &'static str, reason: impl std::fmt::Display) -> Error {
    Error::Target {
        target,
        reason: reason.to_string(),
    }
}

/// Read timeout of the streams: short, so that the client keeps its own deadlines.
const POLL: Duration = Duration::from_millis(20);

/// Deadline of one request on the simulated SoC (it runs at about 0.7 M cycles per second).
pub const SOC_SIM_TIMEOUT: Duration = Duration::from_secs(300);

/// Where the time of one remote inference went, in firmware timer ticks (CPU cycles on the
/// SoC).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Latency {
    /// Receiving the request frame.
    pub uart_in: u64,
    /// Sending the response frame, estimated from its length at the request's byte rate.
    pub uart_out: u64,
    /// The firmware's own work: decoding, checks, converting, outside the driver's run.
    pub firmware: u64,
    /// The driver's run: writing the input over the bus, the accelerator, reading the output.
    pub driver_run: u64,
    /// The accelerator alone (`CYCLES`), converted to timer ticks.
    pub accelerator: u64,
}

impl Latency {
    /// The split of `r` on a firmware with a `timer_hz` timer and an `accel_hz` accelerator.
    pub fn of(r: &RemoteInference, timer_hz: u32, accel_hz: u32) -> Latency {
        let per_byte = r.rx_ticks as f64 / r.request_bytes.max(1) as f64;
        let accelerator = if accel_hz == 0 {
            u64::from(r.cycles)
        } else {
            (f64::from(r.cycles) * f64::from(timer_hz) / f64::from(accel_hz)).round() as u64
        };
        Latency {
            uart_in: r.rx_ticks,
            uart_out: (per_byte * r.response_bytes as f64).round() as u64,
            firmware: r.firmware_ticks.saturating_sub(r.accel_ticks),
            driver_run: r.accel_ticks,
            accelerator,
        }
    }

    /// The round trip.
    pub fn total(&self) -> u64 {
        self.uart_in + self.uart_out + self.firmware + self.driver_run
    }
}

/// The firmware on the simulated SoC or a board, reached over its link.
pub struct RemoteTarget {
    client: Client<Box<dyn Stream>>,
    identity: BoardIdentity,
    name: &'static str,
    model: Option<ModelSummary>,
    timeout_us: u32,
    logs: Option<LogDecoder>,
    // Declared last: dropped after the client has closed the connection.
    runner: Option<Runner>,
}

impl RemoteTarget {
    /// Connects to `spec` (not `sim`) and identifies the firmware. Its log records are decoded
    /// with `soc.elf` (or for soc-sim, the ELF beside the ROM image when it exists).
    pub fn connect(spec: &TargetSpec, soc: &SocSimOptions) -> Result<RemoteTarget> {
        match spec {
            TargetSpec::Sim => Err(remote_error(
                "sim",
                "the sim target has no firmware; use SimTarget",
            )),
            TargetSpec::SocSim => {
                let (runner, stream) = Runner::start(soc)?;
                stream
                    .set_read_timeout(Some(POLL))
                    .and_then(|()| stream.set_nodelay(true))
                    .map_err(|e| remote_error("soc-sim", e))?;
                let mut target = RemoteTarget::over(Box::new(stream), "soc-sim", Some(runner));
                let elf = soc
                    .elf
                    .clone()
                    .unwrap_or_else(|| soc.firmware.with_extension("elf"));
                if soc.elf.is_some() || (cfg!(feature = "defmt") && elf.is_file()) {
                    target.decode_logs_with(&elf)?;
                }
                target.client.set_timeout(SOC_SIM_TIMEOUT);
                target.client.set_attempts(2);
                target.identify()?;
                Ok(target)
            }
            TargetSpec::Serial { port, baud } => {
                let stream = serialport::new(port, *baud)
                    .timeout(POLL)
                    .open()
                    .map_err(|e| remote_error("serial", format!("'{port}': {e}")))?;
                let mut target = RemoteTarget::over(Box::new(stream), "serial", None);
                if let Some(elf) = &soc.elf {
                    target.decode_logs_with(elf)?;
                }
                target.identify()?;
                Ok(target)
            }
            TargetSpec::Tcp(addr) => {
                let stream = TcpStream::connect(addr)
                    .map_err(|e| remote_error("tcp", format!("'{addr}': {e}")))?;
                stream
                    .set_read_timeout(Some(POLL))
                    .map_err(|e| remote_error("tcp", e))?;
                let mut target = RemoteTarget::over(Box::new(stream), "tcp", None);
                if let Some(elf) = &soc.elf {
                    target.decode_logs_with(elf)?;
                }
                target.client.set_timeout(SOC_SIM_TIMEOUT);
                target.identify()?;
                Ok(target)
            }
        }
    }

    fn over(stream: Box<dyn Stream>, name: &'static str, runner: Option<Runner>) -> Self {
        RemoteTarget {
            client: Client::new(stream),
            identity: BoardIdentity {
                protocol: 0,
                firmware: String::new(),
                hw_version: 0,
                geometry: Geometry::SMALL,
                staging: 0,
                max_frame: 0,
                max_chunk: 0,
                max_vector: 0,
                timer_hz: 0,
                accel_hz: 0,
            },
            name,
            model: None,
            timeout_us: 0,
            logs: None,
            runner,
        }
    }

    /// The error, with the end of the simulation's log when the link went silent or closed.
    fn err(&mut self, e: LinkError) -> Error {
        let silent = matches!(e, LinkError::Closed | LinkError::Timeout { .. });
        match (&mut self.runner, silent) {
            (Some(runner), true) => {
                remote_error(self.name, format!("{e}; simulation: {}", runner.log_tail()))
            }
            _ => remote_error(self.name, e),
        }
    }

    /// Decodes the firmware's log records with the defmt table of the firmware ELF `elf` from
    /// now on ([`RemoteTarget::take_log_lines`]).
    pub fn decode_logs_with(&mut self, elf: &Path) -> Result<()> {
        self.logs = Some(LogDecoder::from_elf(elf).map_err(|e| remote_error(self.name, e))?);
        Ok(())
    }

    fn identify(&mut self) -> Result<()> {
        self.identity = self.client.identify().map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The firmware's identity, as read when connecting.
    pub fn identity(&self) -> &BoardIdentity {
        &self.identity
    }

    /// The geometry the hardware reports.
    pub fn geometry(&self) -> &Geometry {
        &self.identity.geometry
    }

    /// The model state and counters.
    pub fn status(&mut self) -> Result<Status> {
        self.client.status().map_err(|e| self.err(e))
    }

    /// Uploads and commits `image`; `progress` gets the bytes sent so far.
    pub fn load(&mut self, image: &[u8], progress: &mut dyn FnMut(u64)) -> Result<ModelSummary> {
        if image.len() as u64 > u64::from(self.identity.staging) {
            return Err(self.err(LinkError::TooLarge(format!(
                "image of {} bytes, the firmware stages at most {}",
                image.len(),
                self.identity.staging
            ))));
        }
        let chunk = self.identity.max_chunk as usize;
        let summary = self
            .client
            .upload(image, chunk, progress)
            .map_err(|e| self.err(e))?;
        let header = crate::model::Model::from_image(image)
            .ok()
            .map(|m| m.header);
        let us = match (header, self.identity.accel_hz) {
            (Some(h), hz) if hz > 0 => {
                let cycles = cycle_budget(&h.needs, h.input_len);
                cycles.div_ceil(u64::from(hz / 1_000_000).max(1))
            }
            _ => 0,
        };
        self.timeout_us = u32::try_from(us).unwrap_or(u32::MAX);
        self.model = Some(summary);
        Ok(summary)
    }

    /// Runs one input vector.
    pub fn infer(&mut self, input: &[i16]) -> Result<(Inference, Latency)> {
        let r = self
            .client
            .infer(input, self.timeout_us)
            .map_err(|e| self.err(e))?;
        let latency = Latency::of(&r, self.identity.timer_hz, self.identity.accel_hz);
        let mut layer_cycles = heapless::Vec::new();
        for &c in r
            .layer_cycles
            .iter()
            .take(eie_memmap::geometry::MAX_LAYERS as usize)
        {
            let _ = layer_cycles.push(c);
        }
        let waited_us = match self.identity.timer_hz {
            0 => 0,
            hz => u32::try_from(r.accel_ticks * 1_000_000 / u64::from(hz)).unwrap_or(u32::MAX),
        };
        let stats = RunStats {
            cycles: r.cycles,
            bcast_stalls: r.bcast_stalls,
            layer_cycles,
            waited_us,
        };
        Ok((
            Inference {
                output: r.output,
                stats,
            },
            latency,
        ))
    }

    /// Every PE's counters for the last run.
    pub fn pe_counters(&mut self) -> Result<Vec<PeCounters>> {
        self.client.counters().map_err(|e| self.err(e))
    }

    /// The protocol client, for what this type does not wrap.
    pub fn link(&mut self) -> &mut Client<Box<dyn Stream>> {
        &mut self.client
    }

    /// The log records received so far, decoded when the firmware ELF is known, emptied.
    pub fn take_log_lines(&mut self) -> FirmwareLogs {
        let frames = self.client.take_logs();
        match &self.logs {
            Some(decoder) => FirmwareLogs {
                lines: frames
                    .iter()
                    .map(|f| decoder.decode(f).unwrap_or_else(|e| format!("<{e}>")))
                    .collect(),
                undecoded: 0,
            },
            None => FirmwareLogs {
                lines: Vec::new(),
                undecoded: frames.len(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_specs_parse() {
        assert_eq!("sim".parse(), Ok(TargetSpec::Sim));
        assert_eq!("soc-sim".parse(), Ok(TargetSpec::SocSim));
        assert_eq!(
            "serial:/dev/ttyUSB0@1000000".parse(),
            Ok(TargetSpec::Serial {
                port: "/dev/ttyUSB0".into(),
                baud: 1_000_000
            })
        );
        assert_eq!(
            "serial:/dev/ttyUSB1".parse(),
            Ok(TargetSpec::Serial {
                port: "/dev/ttyUSB1".into(),
                baud: DEFAULT_BAUD
            })
        );
        assert_eq!(
            "tcp:127.0.0.1:4000".parse(),
            Ok(TargetSpec::Tcp("127.0.0.1:4000".into()))
        );
        for bad in ["serial:", "serial:/dev/x@fast", "board", ""] {
            assert!(bad.parse::<TargetSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn latency_splits_the_round_trip() {
        let r = RemoteInference {
            output: vec![],
            cycles: 1000,
            bcast_stalls: 0,
            layer_cycles: vec![1000],
            rx_ticks: 2000,
            firmware_ticks: 5000,
            accel_ticks: 3000,
            request_bytes: 100,
            response_bytes: 50,
        };
        let l = Latency::of(&r, 50_000_000, 100_000_000);
        assert_eq!(
            (
                l.uart_in,
                l.uart_out,
                l.firmware,
                l.driver_run,
                l.accelerator
            ),
            (2000, 1000, 2000, 3000, 500)
        );
        assert_eq!(l.total(), 8000);
    }

    #[test]
    fn geometry_rounds_capacities_up() {
        let needs = Requirements {
            num_pes: 4,
            spmat_words: 300,
            ptr_entries: 1,
            act_entries: 65,
            num_layers: 3,
        };
        let g = sim_geometry(&needs, None);
        assert_eq!(
            (
                g.num_pes,
                g.spmat_words,
                g.ptr_entries,
                g.act_entries,
                g.max_layers
            ),
            (4, 512, 2, 128, 3)
        );
        g.check().unwrap();
        assert_eq!(sim_geometry(&needs, Some(8)).num_pes, 8);
        assert!(needs.fits(&g).is_ok());
    }
}
