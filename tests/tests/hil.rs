//! The hardware-in-the-loop suite: the same checks on three targets.
//!
//! - `sim`: the RTL in Verilator, loaded and run by the driver directly;
//! - `soc-sim`: the whole simulated SoC (VexRiscv, UART, the EIE core behind its AXI4-Lite
//!   crossing) running the real firmware, reached over its UART socket with the link protocol
//!   (`./x soc firmware sim` builds SoC and firmware when they are out of date);
//! - a board: the same firmware on the ULX3S, when `EIE_BOARD=<port>[@baud]` names its serial
//!   port. These tests are `#[ignore]`d: `cargo test` lists them as ignored, never as passed.
//!   Run them with `EIE_BOARD=/dev/ttyUSB0 cargo test -p eie-tests --test hil -- --ignored`;
//!   run without `EIE_BOARD`, they fail with "skipped: no board".
//!
//! The main check: LeNet-300-100 from the demo (`results/demo/lenet-300-100.eie` after `./x
//! demo`, else the copy of the demo's model committed in `tests/fixtures/`, re-encoded for the
//! target's PE count with the same codes, codebooks and formats) on 100 MNIST test digits, every
//! output equal to the fixed-point reference bit for bit.

use eie::encode::{self, Formats, LayerCodes};
use eie::model::Model;
use eie::reference::run_fixed;
use eie::target::{sim_geometry, Latency, RemoteTarget, SimTarget, SocSimOptions, TargetSpec};
use eie::train::data;
use eie_bitstream::SimConfig;
use eie_memmap::Geometry;
use eie_tests::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// MNIST test digits the LeNet check runs.
const DIGITS: usize = 100;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// A target of the suite.
enum Hw {
    Sim(Box<SimTarget>),
    Remote(Box<RemoteTarget>),
}

impl Hw {
    fn name(&self) -> &'static str {
        match self {
            Hw::Sim(_) => "sim",
            Hw::Remote(_) => "remote",
        }
    }

    fn geometry(&self) -> Geometry {
        match self {
            Hw::Sim(t) => *t.geometry(),
            Hw::Remote(t) => *t.geometry(),
        }
    }

    fn load(&mut self, image: &[u8]) -> Result<(), String> {
        match self {
            Hw::Sim(t) => t.load(image).map(drop),
            Hw::Remote(t) => t.load(image, &mut |_| {}).map(drop),
        }
        .map_err(|e| e.to_string())
    }

    fn infer(&mut self, x: &[i16]) -> Result<Vec<i16>, String> {
        self.infer_timed(x).map(|(output, _)| output)
    }

    /// The output, and over a link where the round trip's time went.
    fn infer_timed(&mut self, x: &[i16]) -> Result<(Vec<i16>, Option<Latency>), String> {
        match self {
            Hw::Sim(t) => t.infer(x).map(|r| (r.output, None)),
            Hw::Remote(t) => t.infer(x).map(|(r, l)| (r.output, Some(l))),
        }
        .map_err(|e| e.to_string())
    }

    fn timer_hz(&self) -> u32 {
        match self {
            Hw::Sim(_) => 0,
            Hw::Remote(t) => t.identity().timer_hz,
        }
    }
}

/// The demo's LeNet-300-100 (from the last `./x demo`, else the committed fixture, trained by
/// the demo on real MNIST), re-encoded for `num_pes` PEs: the same codes, codebooks and formats,
/// so the same arithmetic.
fn lenet(num_pes: u32) -> Model {
    let fresh = root().join("results/demo/lenet-300-100.eie");
    let path = if fresh.exists() {
        fresh
    } else {
        root().join("tests/fixtures/lenet-300-100.eie")
    };
    let demo = Model::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let layers: Vec<LayerCodes> = (0..demo.layers.len())
        .map(|l| {
            let d = &demo.layers[l].desc;
            LayerCodes {
                rows: d.out_len as usize,
                cols: d.in_len as usize,
                codes: demo.dense_codes(l),
                centroids: d.centroids,
                bias: d.bias,
                relu: d.relu,
            }
        })
        .collect();
    let formats = Formats {
        input_frac: demo.header.input_frac,
        layer_w_frac: demo.layers.iter().map(|l| l.desc.w_frac).collect(),
        layer_out_frac: demo.layers.iter().map(|l| l.desc.out_frac).collect(),
    };
    let model = encode::encode(&layers, &formats, num_pes)
        .unwrap_or_else(|e| panic!("re-encoding the demo's LeNet for {num_pes} PEs: {e}"));
    for (a, b) in demo.layers.iter().zip(&model.layers) {
        assert_eq!(a.desc.codebook, b.desc.codebook, "same codebook");
        assert_eq!(a.desc.shift(), b.desc.shift(), "same formats");
    }
    model
}

/// `n` MNIST test digits spread over the classes, in the model's input format.
fn digits(model: &Model, n: usize) -> Vec<Vec<i16>> {
    let dir = data::fetch(&root().join(".cache"))
        .unwrap_or_else(|e| panic!("MNIST digits (./x setup installs them): {e}"));
    let classes = data::load_classes(&dir).unwrap_or_else(|e| panic!("MNIST: {e}"));
    let test = data::split(&classes).test;
    let step = (test.len() / n).max(1);
    (0..n)
        .map(|i| {
            model
                .quantize_input(test.image((i * step) % test.len()))
                .unwrap_or_else(|e| panic!("digit {i}: {e}"))
        })
        .collect()
}

/// Every input through the target, each output equal to the reference bit for bit. Over a
/// link, prints the mean round trip split into its parts.
fn assert_bit_exact(hw: &mut Hw, model: &Model, inputs: &[Vec<i16>], case: &str) {
    hw.load(&model.to_image())
        .unwrap_or_else(|e| panic!("{case}: load on {}: {e}", hw.name()));
    let mut latencies = Vec::new();
    for (n, x) in inputs.iter().enumerate() {
        let expected = run_fixed(model, x).unwrap();
        let (got, latency) = hw
            .infer_timed(x)
            .unwrap_or_else(|e| panic!("{case}: input {n}: {e}"));
        assert_eq!(got, expected, "{case}: input {n} on {}", hw.name());
        latencies.extend(latency);
    }
    if !latencies.is_empty() {
        let n = latencies.len() as u64;
        let mean = |f: fn(&Latency) -> u64| latencies.iter().map(f).sum::<u64>() / n;
        eprintln!(
            "{case}: {n} inferences bit-exact; mean round trip {} cycles at {} Hz = UART in {} + \
             UART out {} + firmware {} + driver run {} (accelerator {})",
            mean(Latency::total),
            hw.timer_hz(),
            mean(|l| l.uart_in),
            mean(|l| l.uart_out),
            mean(|l| l.firmware),
            mean(|l| l.driver_run),
            mean(|l| l.accelerator),
        );
    }
}

/// LeNet-300-100 on 100 MNIST test digits.
fn check_lenet(hw: &mut Hw) {
    let model = lenet(hw.geometry().num_pes);
    let inputs = digits(&model, DIGITS);
    assert_bit_exact(hw, &model, &inputs, "LeNet-300-100 on MNIST test digits");
}

/// Small random models with the edges the RTL must meet, one after the other on one target.
fn check_small_models(hw: &mut Hw) {
    let pes = hw.geometry().num_pes;
    for seed in 0..3 {
        let mut rng = rng(500 + seed);
        let layers = [
            random_layer(&mut rng, 33, 47, 0.4, true),
            random_layer(&mut rng, 9, 33, 1.0, false),
        ];
        let m = model(&layers, None, pes);
        let x: Vec<Vec<i16>> = (0..4)
            .map(|_| random_input(&mut rng, 47, 0.6, -20000..=20000))
            .collect();
        assert_bit_exact(hw, &m, &x, &format!("small model {seed}"));
    }
}

/// Refusals that leave the active model in place: another PE count, and on the firmware
/// (which stages uploads; the driver alone writes as it decodes) a corrupt image.
fn check_refusals(hw: &mut Hw) {
    let pes = hw.geometry().num_pes;
    let mut rng = rng(600);
    let good = model(&[random_layer(&mut rng, 20, 30, 0.5, true)], None, pes);
    let x = vec![random_input(&mut rng, 30, 1.0, -500..=500)];
    assert_bit_exact(hw, &good, &x, "before the refusals");
    let foreign = model(&[random_layer(&mut rng, 20, 30, 0.5, true)], None, pes * 2);
    let err = hw.load(&foreign.to_image()).unwrap_err();
    assert!(
        err.contains(&format!("encoded for {} PEs", pes * 2)),
        "{err}"
    );
    for x in &x {
        assert_eq!(
            hw.infer(x).unwrap(),
            run_fixed(&good, x).unwrap(),
            "still the old model"
        );
    }
    let mut corrupt = good.to_image();
    let at = corrupt.len() - 9;
    corrupt[at] ^= 0x40;
    assert!(hw.load(&corrupt).is_err(), "a corrupt image is refused");
    if matches!(hw, Hw::Remote(_)) {
        for x in &x {
            let got = hw.infer(x).unwrap();
            assert_eq!(got, run_fixed(&good, x).unwrap(), "still the old model");
        }
    }
}

fn sim(geometry: Geometry) -> Hw {
    let target = SimTarget::new(&SimConfig::new(geometry))
        .unwrap_or_else(|e| panic!("simulator for {geometry:?}: {e}"));
    Hw::Sim(Box::new(target))
}

/// The SoC's geometry for the `sim` target: the demo model's needs at the SoC's PE count.
fn sim_for_lenet() -> Hw {
    sim(sim_geometry(&lenet(8).header.needs, None))
}

/// `./x soc firmware sim` (builds what is out of date), then the simulated SoC.
fn soc_sim() -> Hw {
    let out = Command::new(root().join("x"))
        .args(["soc", "firmware", "sim"])
        .stderr(Stdio::inherit())
        .output()
        .expect("run ./x soc firmware sim");
    assert!(out.status.success(), "./x soc firmware sim failed");
    let stdout = String::from_utf8(out.stdout).expect("paths are UTF-8");
    let rom = PathBuf::from(
        stdout
            .lines()
            .last()
            .expect("it prints the ROM image's path"),
    );
    let opts = SocSimOptions {
        firmware: rom,
        ..SocSimOptions::default()
    };
    let target = RemoteTarget::connect(&TargetSpec::SocSim, &opts)
        .unwrap_or_else(|e| panic!("soc-sim: {e}"));
    Hw::Remote(Box::new(target))
}

fn board() -> Hw {
    let Ok(port) = std::env::var("EIE_BOARD") else {
        panic!("skipped: no board (set EIE_BOARD=<serial port>[@baud] to run this test)");
    };
    let spec: TargetSpec = format!("serial:{port}")
        .parse()
        .unwrap_or_else(|e| panic!("EIE_BOARD: {e}"));
    let target = RemoteTarget::connect(&spec, &SocSimOptions::default())
        .unwrap_or_else(|e| panic!("board on {port}: {e}"));
    Hw::Remote(Box::new(target))
}

#[test]
fn sim_small_models() {
    check_small_models(&mut sim(Geometry::SMALL));
}

#[test]
fn sim_refusals() {
    check_refusals(&mut sim(Geometry::SMALL));
}

#[test]
fn sim_lenet_on_mnist() {
    check_lenet(&mut sim_for_lenet());
}

/// Garbage on the link (half a frame, then a frame longer than the firmware's buffer) costs
/// retries, not answers.
fn check_garbage(hw: &mut Hw) {
    let Hw::Remote(t) = hw else {
        return;
    };
    let before = t.status().unwrap().bad_frames;
    let garbage: Vec<u8> = [0x05u8, 0x01, 0x02]
        .into_iter()
        .chain(std::iter::repeat_n(
            0x55,
            eie_memmap::protocol::MAX_FRAME_LEN + 10,
        ))
        .collect();
    std::io::Write::write_all(t.link().stream_mut(), &garbage).unwrap();
    let status = t.status().unwrap();
    assert!(
        status.bad_frames > before,
        "the firmware counted the garbage: {status:?}"
    );
    let geometry = t.identity().geometry;
    assert_eq!(t.link().identify().unwrap().geometry, geometry);
}

#[test]
fn soc_sim_lenet_on_mnist() {
    let mut hw = soc_sim();
    check_lenet(&mut hw);
    // The firmware logs the commit with the model's size and shape (decoded with its ELF).
    if let Hw::Remote(t) = &mut hw {
        let logs = t.take_log_lines();
        let committed = logs.lines.iter().find_map(|l| {
            let rest = l.strip_prefix("INFO model committed: ")?;
            let (bytes, rest) = rest.split_once(" B (CRC-32 0x")?;
            let shape = rest.split_once("), ")?.1;
            Some((bytes.parse::<u32>().ok()?, shape.to_string()))
        });
        let Some((bytes, shape)) = committed else {
            panic!("no commit log record in {:?}", logs.lines);
        };
        assert!(bytes > 0, "image size {bytes}");
        assert_eq!(shape, "3 layers, 784 inputs -> 10 outputs");
    }
    check_refusals(&mut hw);
    check_garbage(&mut hw);
}

#[test]
#[ignore = "needs EIE_BOARD=<port>: skipped: no board"]
fn board_small_models() {
    check_small_models(&mut board());
}

#[test]
#[ignore = "needs EIE_BOARD=<port>: skipped: no board"]
fn board_refusals() {
    check_refusals(&mut board());
}

#[test]
#[ignore = "needs EIE_BOARD=<port>: skipped: no board"]
fn board_lenet_on_mnist() {
    check_lenet(&mut board());
}
