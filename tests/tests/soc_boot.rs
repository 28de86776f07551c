//! The simulated LiteX SoC boots the real firmware: `./x soc firmware sim` builds the SoC and
//! `eie-fw` when they are out of date, `bitstream/soc/run_sim.py` starts the simulation, and
//! the firmware's answers over the UART socket are checked against the SoC's build
//! (`csr.csv`): the accelerator's identity and geometry, both clocks, the staging buffer in
//! main RAM, and its status before any model is loaded. The firmware's defmt log records (Log
//! frames before the first answer) decode with the ELF's table to the expected boot lines.

use eie::link::LogDecoder;
use eie_firmware::server::BUFFER_BYTES;
use eie_memmap::protocol::{self, ModelState, Request, Response};
use eie_memmap::regs;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// `./x soc firmware sim`: the ROM image's path (the last line it prints).
fn build_firmware() -> PathBuf {
    let out = Command::new(root().join("x"))
        .args(["soc", "firmware", "sim"])
        .stderr(Stdio::inherit())
        .output()
        .expect("run ./x soc firmware sim");
    assert!(out.status.success(), "./x soc firmware sim failed");
    let stdout = String::from_utf8(out.stdout).expect("paths are UTF-8");
    PathBuf::from(stdout.lines().last().expect("it prints the image's path"))
}

/// The `constant` and `memory_region` rows of the SoC's csr.csv: name -> value (constants)
/// or name -> size (regions).
fn soc_csv(build: &Path) -> HashMap<String, u64> {
    let csv = std::fs::read_to_string(build.join("csr.csv")).expect("read csr.csv");
    let int = |s: &str| match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    };
    csv.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            match f.as_slice() {
                ["constant", name, value, ..] => Some((name.to_string(), int(value)?)),
                ["memory_region", name, _, size, ..] => Some((format!("{name}_size"), int(size)?)),
                _ => None,
            }
        })
        .collect()
}

struct Sim {
    child: Child,
    uart: TcpStream,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(rom: &Path) -> Sim {
    let started = Instant::now();
    let mut child = Command::new("python3")
        .arg(root().join("bitstream/soc/run_sim.py"))
        .arg("--rom")
        .arg(rom)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start run_sim.py");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut line)
        .expect("read the runner's first line");
    let port: u16 = line
        .trim()
        .strip_prefix("eie-soc-sim: uart listening on 127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line from run_sim.py: {line:?}"));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the prebuilt sim took {:?} to listen",
        started.elapsed()
    );
    let uart = TcpStream::connect(("127.0.0.1", port)).expect("connect to the UART");
    uart.set_read_timeout(Some(Duration::from_secs(120)))
        .expect("set a timeout");
    Sim { child, uart }
}

/// Sends `request` as one frame (after a delimiter) and returns the next frame that is not a
/// log record's, with the log records (defmt bytes) received before it.
fn exchange(uart: &mut TcpStream, seq: u16, request: &Request<'_>) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut buf = [0u8; 256];
    let frame = protocol::encode(seq, request, &mut buf).expect("encode the request");
    let mut wire = vec![protocol::DELIMITER];
    wire.extend_from_slice(frame);
    uart.write_all(&wire).expect("write the UART");
    let mut logs = Vec::new();
    let mut frame = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        uart.read_exact(&mut byte)
            .unwrap_or_else(|e| panic!("read the UART after {frame:?}: {e}"));
        match byte[0] {
            protocol::DELIMITER if frame.is_empty() => {}
            protocol::DELIMITER => {
                let mut copy = frame.clone();
                match protocol::decode_in_place::<Response<'_>>(&mut copy) {
                    Ok((_, Response::Log(record))) => {
                        logs.push(record.to_vec());
                        frame.clear();
                    }
                    _ => return (frame, logs),
                }
            }
            b => frame.push(b),
        }
    }
}

/// The `constant` rows of csr.csv holding text (the platform name): name -> text.
fn soc_text(build: &Path, name: &str) -> String {
    let csv = std::fs::read_to_string(build.join("csr.csv")).expect("read csr.csv");
    csv.lines()
        .find_map(|l| l.strip_prefix(&format!("constant,{name},")))
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_else(|| panic!("csr.csv has no constant {name}"))
        .to_string()
}

#[test]
fn firmware_boots_on_the_simulated_soc_and_identifies_the_hardware() {
    let rom = build_firmware();
    let build = rom.parent().expect("the image is in the build folder");
    let c = soc_csv(build);
    let mut sim = start(&rom);

    let (mut frame, logs) = exchange(&mut sim.uart, 1, &Request::Identify);
    let (seq, response) = protocol::decode_in_place::<Response<'_>>(&mut frame)
        .unwrap_or_else(|e| panic!("the answer to Identify is no frame: {e:?}"));
    assert_eq!(seq, 1);
    let Response::Identity(id) = response else {
        panic!("Identify answered with {response:?}");
    };
    assert_eq!(id.protocol, protocol::VERSION);
    assert_eq!(id.firmware, env!("CARGO_PKG_VERSION"));
    assert_eq!(id.hw_version, regs::VERSION_VALUE);
    let g = id.geometry;
    assert_eq!(
        [
            g.num_pes,
            g.queue_depth,
            g.spmat_words,
            g.ptr_entries,
            g.act_entries,
            g.max_layers
        ]
        .map(u64::from),
        [
            c["eie_numpes"],
            c["eie_queuedepth"],
            c["eie_spmatwords"],
            c["eie_ptrentries"],
            c["eie_actentries"],
            c["eie_maxlayers"]
        ],
        "the geometry the hardware reports is the SoC's build"
    );
    assert_eq!(u64::from(id.timer_hz), c["config_clock_frequency"]);
    assert_eq!(u64::from(id.accel_hz), c["eie_clock_frequency"]);
    // The main RAM is the staging buffer, less the server's frame buffers at its end.
    assert_eq!(
        u64::from(id.capacity.staging) + BUFFER_BYTES as u64,
        c["main_ram_size"]
    );
    assert!(id.capacity.staging >= 256 * 1024, "{:?}", id.capacity);

    // The boot records, decoded with the firmware ELF's defmt table: the driver's (debug), then
    // the firmware's version, platform, geometry and clocks (info).
    let elf = rom.with_extension("elf");
    let decoder = LogDecoder::from_elf(&elf).unwrap_or_else(|e| panic!("{e}"));
    let lines: Vec<String> = logs
        .iter()
        .map(|r| decoder.decode(r).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    assert_eq!(
        lines,
        [
            format!(
                "DEBUG eie: {} PEs, queue depth {}",
                c["eie_numpes"], c["eie_queuedepth"]
            ),
            format!(
                "INFO eie-fw {} on {}: {} PEs, {} spmat words, {} pointers, {} activations, \
                 {} layers; CPU {} Hz, EIE {} Hz",
                env!("CARGO_PKG_VERSION"),
                soc_text(build, "config_platform_name"),
                c["eie_numpes"],
                c["eie_spmatwords"],
                c["eie_ptrentries"],
                c["eie_actentries"],
                c["eie_maxlayers"],
                c["config_clock_frequency"],
                c["eie_clock_frequency"]
            ),
        ],
        "the boot log records"
    );

    let (mut frame, logs) = exchange(&mut sim.uart, 2, &Request::Status);
    assert!(logs.is_empty(), "Status logs nothing: {logs:?}");
    let (seq, response) =
        protocol::decode_in_place::<Response<'_>>(&mut frame).expect("a Status frame");
    assert_eq!(seq, 2);
    let Response::Status(status) = response else {
        panic!("Status answered with {response:?}");
    };
    assert_eq!(status.model, ModelState::None);
    assert_eq!(status.requests, 2);
    assert_eq!(status.bad_frames, 0);
    assert_eq!(status.axi_errors, Some(0));

    // Closing the connection ends the simulation.
    let Sim { child, uart } = &mut sim;
    uart.shutdown(std::net::Shutdown::Both).expect("close");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll the runner") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the sim did not stop after the client left"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "run_sim.py exited with {status}");
}
