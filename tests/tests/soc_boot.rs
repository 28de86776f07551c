//! The simulated LiteX SoC boots the real firmware: `./x soc firmware sim` builds the SoC and
//! `eie-fw` when they are out of date, `bitstream/soc/run_sim.py` starts the simulation, and
//! the firmware's report arriving over the UART socket is checked against the SoC's build
//! (`csr.csv`): the main RAM, the accelerator's identity and geometry, no bus errors, and then
//! bytes sent to the UART coming back unchanged.

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

/// The `constant` rows of the SoC's csr.csv.
fn soc_constants(build: &Path) -> HashMap<String, String> {
    let csv = std::fs::read_to_string(build.join("csr.csv")).expect("read csr.csv");
    csv.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f.len() >= 3 && f[0] == "constant").then(|| (f[1].to_string(), f[2].to_string()))
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

/// Reads until `end` arrives; the text before it.
fn read_until(uart: &mut TcpStream, end: &str) -> String {
    let mut text = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&text).contains(end) {
        let n = uart.read(&mut buf).expect("read the UART");
        assert!(
            n > 0,
            "the sim closed the UART after {:?}",
            String::from_utf8_lossy(&text)
        );
        text.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(text).expect("the report is text")
}

#[test]
fn firmware_boots_on_the_simulated_soc_and_reports_the_hardware() {
    let rom = build_firmware();
    let build = rom.parent().expect("the image is in the build folder");
    let c = soc_constants(build);
    let mut sim = start(&rom);

    let report = read_until(&mut sim.uart, "ready\r\n");
    let lines: Vec<&str> = report.lines().map(str::trim_end).collect();
    let find = |prefix: &str| {
        lines
            .iter()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} line in {report:?}"))
            .to_string()
    };

    let banner = find("eie-fw ");
    assert!(
        banner.contains(&format!(
            "{} MHz system clock",
            c["config_clock_frequency"].parse::<u64>().unwrap() / 1_000_000
        )),
        "{banner}"
    );
    assert!(banner.contains("EIE SoC"), "{banner}");
    let ram = find("main RAM: ");
    assert!(ram.ends_with("address and data lines ok"), "{ram}");
    let geometry = format!(
        "geometry pes={} queue_depth={} spmat_words={} ptr_entries={} act_entries={} max_layers={}",
        c["eie_numpes"],
        c["eie_queuedepth"],
        c["eie_spmatwords"],
        c["eie_ptrentries"],
        c["eie_actentries"],
        c["eie_maxlayers"]
    );
    assert_eq!(
        find("eie: "),
        format!("eie: id EIE1 at 0x80000000, {geometry}")
    );
    assert_eq!(find("bus errors: "), "bus errors: 0");

    // Every byte value, in chunks larger than the UART's FIFOs, comes back unchanged.
    let sent: Vec<u8> = (0..3u32)
        .flat_map(|round| (0..=255u8).map(move |b| b.wrapping_mul(7).wrapping_add(round as u8)))
        .collect();
    sim.uart.write_all(&sent).expect("write the UART");
    let mut echoed = vec![0u8; sent.len()];
    sim.uart.read_exact(&mut echoed).expect("read the echo");
    assert_eq!(echoed, sent);

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
