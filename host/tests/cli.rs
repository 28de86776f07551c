//! The `eie` binary end to end: compress, inspect and infer on real files, and every kind of
//! bad input ending in `eie: <what>: <why>` with exit code 1, never a panic.

use eie::import::{save_safetensors, DenseLayer};
use eie::model::Model;
use eie_memmap::image::{Memory, Record, Writer};
use ndarray::Array2;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn eie(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eie"))
        .args(args)
        .output()
        .expect("the eie binary runs")
}

fn ok(args: &[&str]) -> String {
    let out = eie(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "eie {args:?} failed: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `eie`, expects exit code 1 and a one-line message starting with `expected`.
fn fails(args: &[&str], expected: &str) -> String {
    let out = eie(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "eie {args:?}: {stderr}");
    assert!(
        !stderr.contains("panicked"),
        "eie {args:?} panicked: {stderr}"
    );
    assert!(
        stderr.starts_with(expected),
        "eie {args:?}: expected '{expected}...', got '{stderr}'"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    stderr
}

fn layer(name: &str, rows: usize, cols: usize, salt: f32) -> DenseLayer {
    DenseLayer {
        name: name.into(),
        rows,
        cols,
        weight: (0..rows * cols)
            .map(|i| ((i as f32 + salt) * 0.917).sin() * 0.5)
            .collect(),
        bias: Some(
            (0..rows)
                .map(|i| (i as f32 * 0.37 + salt).cos() * 0.1)
                .collect(),
        ),
    }
}

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Files {
        Files {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn s(&self, name: &str) -> String {
        self.path(name).to_string_lossy().into_owned()
    }

    /// A 30 -> 20 -> 10 -> 4 network with biases, as safetensors.
    fn network(&self) -> String {
        let layers = [
            layer("fc1", 20, 30, 0.0),
            layer("fc2", 10, 20, 1.0),
            layer("fc3", 4, 10, 2.0),
        ];
        save_safetensors(&self.path("net.safetensors"), &layers).unwrap();
        self.s("net.safetensors")
    }

    fn inputs(&self, name: &str, batch: usize, len: usize) -> String {
        let rows: Vec<Vec<f32>> = (0..batch).map(|b| input_row(len, b)).collect();
        eie::npy::write_f32(&self.path(name), &rows).unwrap();
        self.s(name)
    }

    /// A compressed image of the network, 4 PEs.
    fn image(&self) -> String {
        let net = self.network();
        let out = self.s("net.eie");
        ok(&[
            "compress",
            &net,
            "-o",
            &out,
            "--density",
            "fc1=0.5,fc2=0.5,fc3=0.8",
            "--pes",
            "4",
        ]);
        out
    }
}

#[test]
fn compress_inspect_and_infer() {
    let f = Files::new();
    let net = f.network();
    let out = f.s("net.eie");
    let cal = f.inputs("cal.npy", 8, 30);
    let text = ok(&[
        "compress",
        &net,
        "-o",
        &out,
        "--density",
        "0.4",
        "--pes",
        "4",
        "--calibration",
        &cal,
    ]);
    assert!(
        text.starts_with("layer order: natural sort of names (fc1, fc2, fc3)"),
        "{text}"
    );
    for word in ["fc1", "fc2", "fc3", "total", "wrote"] {
        assert!(text.contains(word), "{word} missing from {text}");
    }
    let model = Model::read(Path::new(&out)).unwrap();
    assert_eq!(model.num_pes(), 4);
    assert_eq!(model.layers.len(), 3);

    let json: serde_json::Value = serde_json::from_str(&ok(&["inspect", &out, "--json"])).unwrap();
    let layers = json["report"]["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 3);
    assert_eq!(layers[0]["rows"], 20);
    assert_eq!(layers[0]["cols"], 30);
    assert!(ok(&["inspect", &out]).contains("layer0"));

    let dump: serde_json::Value = serde_json::from_str(&ok(&[
        "inspect", &out, "--layer", "1", "--pe", "2", "--json",
    ]))
    .unwrap();
    let slice = &model.layers[1].pes[2];
    assert_eq!(dump["col_ptr"].as_array().unwrap().len(), 20 + 1 + 1);
    assert_eq!(dump["v"].as_array().unwrap().len(), slice.entries.len());
    assert_eq!(dump["z"].as_array().unwrap().len(), slice.entries.len());
    assert_eq!(dump["entry_base"], slice.entry_base);
    assert_eq!(dump["local_rows"], 2); // rows 2 and 6 of 10
    assert!(ok(&["inspect", &out, "--layer", "0", "--pe", "0"]).contains("col_ptr: "));

    let x = f.inputs("x.npy", 3, 30);
    let y = f.s("y.npy");
    let text = ok(&["infer", &out, "--input", &x, "-o", &y]);
    assert!(
        text.contains("worst deviation between the fixed and float engines"),
        "{text}"
    );
    let fixed: Array2<f32> = ndarray_npy::read_npy(&y).unwrap();
    assert_eq!(fixed.shape(), [3, 4]);
    ok(&["infer", &out, "--input", &x, "-o", &y, "--engine", "float"]);
    let float: Array2<f32> = ndarray_npy::read_npy(&y).unwrap();
    let worst = (&fixed - &float).iter().fold(0.0f32, |m, d| m.max(d.abs()));
    assert!(worst < 0.05, "fixed and float differ by {worst}");
    ok(&["infer", &out, "--input", &x, "-o", &y, "--raw"]);
    let raw: Array2<i16> = ndarray_npy::read_npy(&y).unwrap();
    assert_eq!(raw.shape(), [3, 4]);
    // int16 inputs are taken as values already in the input format.
    let q = model.quantize_input(&[0.5; 30]).unwrap();
    eie::npy::write_i16(&f.path("q.npy"), std::slice::from_ref(&q)).unwrap();
    ok(&["infer", &out, "--input", &f.s("q.npy"), "-o", &y, "--raw"]);
    let raw: Array2<i16> = ndarray_npy::read_npy(&y).unwrap();
    assert_eq!(
        raw.row(0).to_vec(),
        eie::reference::run_fixed(&model, &q).unwrap()
    );
}

#[test]
fn npz_with_natural_sort_and_explicit_order() {
    let f = Files::new();
    let path = f.path("net.npz");
    let mut npz = ndarray_npy::NpzWriter::new(std::fs::File::create(&path).unwrap());
    // File order fc10, fc2 does not chain; natural sort (fc2, fc10) does.
    let fc10 = Array2::from_shape_fn((5, 8), |(i, j)| ((i * 8 + j) as f64 * 0.7).sin());
    let fc2 = Array2::from_shape_fn((8, 6), |(i, j)| ((i * 6 + j) as f32 * 0.3).cos());
    npz.add_array("fc10.weight", &fc10).unwrap();
    npz.add_array("fc2.weight", &fc2).unwrap();
    npz.add_array("fc2.bias", &ndarray::arr1(&[0.1f32; 8]))
        .unwrap();
    npz.add_array("other", &ndarray::arr1(&[1i32])).unwrap();
    npz.finish().unwrap();
    let npz = path.to_string_lossy().into_owned();
    let out = f.s("n.eie");
    let text = ok(&[
        "compress",
        &npz,
        "-o",
        &out,
        "--quality",
        "0.5",
        "--pes",
        "2",
    ]);
    assert!(
        text.starts_with("layer order: natural sort of names (fc2, fc10)"),
        "{text}"
    );
    let text = ok(&[
        "compress",
        &npz,
        "-o",
        &out,
        "--density",
        "1",
        "--pes",
        "1",
        "--layers",
        "fc2",
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["order"], "as listed");
    assert_eq!(json["report"]["layers"][0]["density"], 1.0);
    assert_eq!(json["report"]["layers"][0]["relu"], false);
    let text = ok(&[
        "compress",
        &npz,
        "-o",
        &out,
        "--density",
        "1",
        "--layers",
        "fc2",
        "--relu-last",
        "--bits",
        "2",
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["report"]["layers"][0]["relu"], true);
    assert_eq!(json["report"]["layers"][0]["codes_used"], 3);

    // A .npz whose own order chains (zeta, then alpha) keeps it, against the natural sort.
    let path = f.path("ordered.npz");
    let mut npz = ndarray_npy::NpzWriter::new(std::fs::File::create(&path).unwrap());
    npz.add_array("zeta.weight", &fc2).unwrap();
    npz.add_array("alpha.weight", &fc10).unwrap();
    npz.finish().unwrap();
    let text = ok(&[
        "compress",
        &path.to_string_lossy(),
        "-o",
        &out,
        "--density",
        "0.5",
        "--pes",
        "1",
    ]);
    assert!(
        text.starts_with("layer order: file order (zeta, alpha)"),
        "{text}"
    );
}

#[test]
fn damaged_and_foreign_images() {
    let f = Files::new();
    let image_path = f.image();
    let image = std::fs::read(&image_path).unwrap();
    let bad = f.s("bad.eie");

    std::fs::write(&bad, &image[..image.len() / 2]).unwrap();
    fails(
        &["inspect", &bad],
        &format!("eie: image '{bad}': truncated at byte"),
    );

    let mut flipped = image.clone();
    flipped[image.len() / 2] ^= 0x10;
    std::fs::write(&bad, &flipped).unwrap();
    fails(&["inspect", &bad], &format!("eie: image '{bad}': "));

    std::fs::write(&bad, b"\x89PNG\r\n\x1a\n not an image").unwrap();
    fails(
        &["inspect", &bad],
        &format!("eie: image '{bad}': not an EIE image (bad magic)"),
    );

    let mut other = image.clone();
    other[4] = 9;
    std::fs::write(&bad, &other).unwrap();
    fails(
        &["inspect", &bad],
        &format!("eie: image '{bad}': image format version 9 is not supported"),
    );

    let x = f.inputs("x.npy", 1, 30);
    fails(
        &["infer", &bad, "--input", &x, "-o", &f.s("y.npy")],
        "eie: image '",
    );

    fails(
        &["inspect", &f.s("missing.eie")],
        &format!("eie: '{}': No such file or directory", f.s("missing.eie")),
    );
}

/// Images whose chunks overlap, or lie past the capacities the header declares.
#[test]
fn chunks_that_overlap_or_exceed_the_declared_memory() {
    let f = Files::new();
    let model = Model::read(Path::new(&f.image())).unwrap();
    let write = |name: &str, spmat: &[(u32, usize)]| {
        let mut w = Writer::new();
        w.record(&Record::Header(model.header));
        for l in &model.layers {
            w.record(&Record::Layer(l.desc));
        }
        for pe in 0..model.num_pes() {
            let ptrs: Vec<u8> = model
                .layers
                .iter()
                .flat_map(|l| l.pes[pe as usize].col_ptr.clone())
                .flat_map(u32::to_le_bytes)
                .collect();
            w.chunks(pe, Memory::Pointers, 0, &ptrs);
        }
        for &(offset, words) in spmat {
            w.chunks(0, Memory::Spmat, offset, &vec![0u8; words * 8]);
        }
        std::fs::write(f.path(name), w.finish()).unwrap();
        f.s(name)
    };
    let words = model.header.needs.spmat_words;
    let overlap = write("overlap.eie", &[(0, 2), (1, 2)]);
    fails(
        &["inspect", &overlap],
        &format!("eie: image '{overlap}': chunk at byte"),
    );
    let past = write("past.eie", &[(words, 1)]);
    fails(
        &["inspect", &past],
        &format!("eie: image '{past}': sparse-matrix chunk for PE 0 at byte"),
    );
    let missing = write("missing.eie", &[(0, 1)]);
    fails(
        &["inspect", &missing],
        &format!("eie: image '{missing}': layer 0, PE 0: sparse-matrix words"),
    );
}

#[test]
fn bad_weights_and_inputs() {
    let f = Files::new();
    let net = f.network();
    let out = f.s("o.eie");

    let mut nan = layer("fc1", 3, 4, 0.0);
    nan.weight[6] = f32::NAN;
    save_safetensors(&f.path("nan.safetensors"), &[nan]).unwrap();
    fails(
        &[
            "compress",
            &f.s("nan.safetensors"),
            "-o",
            &out,
            "--density",
            "0.5",
        ],
        "eie: layer 'fc1': weight [1, 2] is NaN",
    );

    fails(
        &[
            "compress",
            &net,
            "-o",
            &out,
            "--density",
            "0.5",
            "--layers",
            "fc1,fc3",
        ],
        "eie: layer 'fc3': takes 10 inputs but the layer before it, 'fc1', has 20 outputs",
    );
    fails(
        &[
            "compress",
            &net,
            "-o",
            &out,
            "--density",
            "0.5",
            "--layers",
            "fc9",
        ],
        &format!(
            "eie: weights '{net}': no tensor 'fc9.weight' (layers in the file: fc1, fc2, fc3)"
        ),
    );
    fails(
        &[
            "compress",
            &net,
            "-o",
            &out,
            "--density",
            "0.5",
            "--pes",
            "3",
        ],
        "eie: options: PE count 3 is not supported: it must be a power of two from 1 to 256",
    );
    fails(
        &["compress", &net, "-o", &out, "--density", "1.5"],
        "eie: options: density 1.5 for layer 'fc1' is not between 0 and 1",
    );
    fails(
        &["compress", &net, "-o", &out, "--density", "fc1=0.5"],
        "eie: options: no density given for layer 'fc2'",
    );
    fails(
        &[
            "compress",
            &net,
            "-o",
            &out,
            "--density",
            "0.5",
            "--bits",
            "5",
        ],
        "eie: options: 5 bits per code; 1 to 4 are supported",
    );
    std::fs::write(f.path("text.safetensors"), "hello, not weights").unwrap();
    fails(
        &[
            "compress",
            &f.s("text.safetensors"),
            "-o",
            &out,
            "--density",
            "0.5",
        ],
        &format!("eie: weights '{}': ", f.s("text.safetensors")),
    );
    std::fs::write(f.path("text.bin"), "hello, not weights").unwrap();
    fails(
        &["compress", &f.s("text.bin"), "-o", &out, "--density", "0.5"],
        &format!(
            "eie: weights '{}': neither a .npz (zip) nor a .safetensors file",
            f.s("text.bin")
        ),
    );
    let short = f.inputs("short.npy", 2, 29);
    fails(
        &[
            "compress",
            &net,
            "-o",
            &out,
            "--density",
            "0.5",
            "--calibration",
            &short,
        ],
        "eie: input: row 0 has 29 values (the model takes 30)",
    );

    let image = f.image();
    fails(
        &["infer", &image, "--input", &short, "-o", &f.s("y.npy")],
        "eie: input: row 0 has 29 values (the model takes 30)",
    );
    let mut rows = vec![vec![0.5f32; 30]; 2];
    rows[1][7] = f32::INFINITY;
    eie::npy::write_f32(&f.path("inf.npy"), &rows).unwrap();
    fails(
        &[
            "infer",
            &image,
            "--input",
            &f.s("inf.npy"),
            "-o",
            &f.s("y.npy"),
        ],
        "eie: input: value [1, 7] is inf",
    );
    std::fs::write(f.path("junk.npy"), "junk").unwrap();
    fails(
        &[
            "infer",
            &image,
            "--input",
            &f.s("junk.npy"),
            "-o",
            &f.s("y.npy"),
        ],
        &format!("eie: array '{}': not a readable .npy file", f.s("junk.npy")),
    );
    let x = f.inputs("x.npy", 1, 30);
    fails(
        &[
            "infer",
            &image,
            "--input",
            &x,
            "-o",
            &f.s("y.npy"),
            "--raw",
            "--engine",
            "float",
        ],
        "eie: options: --raw writes the fixed engine's int16 values",
    );
    fails(
        &["inspect", &image, "--layer", "5", "--pe", "0"],
        "eie: options: there is no layer 5 (the image has 3)",
    );
}

#[test]
fn usage_errors_exit_with_code_2() {
    let out = eie(&["compress", "w.safetensors", "-o", "x.eie"]);
    assert_eq!(out.status.code(), Some(2));
    let out = eie(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn inputs_outside_the_input_format_are_reported() {
    let f = Files::new();
    let image = f.image();
    let mut rows = vec![vec![0.25f32; 30]; 2];
    rows[0][3] = 500.0;
    rows[1][9] = -200.0;
    eie::npy::write_f32(&f.path("big.npy"), &rows).unwrap();
    let text = ok(&[
        "infer",
        &image,
        "--input",
        &f.s("big.npy"),
        "-o",
        &f.s("y.npy"),
    ]);
    assert!(
        text.starts_with("note: 2 input values lie outside the input format Q8 and were saturated"),
        "{text}"
    );
}

#[test]
fn run_on_the_simulated_accelerator() {
    let f = Files::new();
    let image = f.image();
    let x = f.inputs("x.npy", 3, 30);
    let y = f.s("y.npy");
    let text = ok(&["run", &image, "--input", &x, "-o", &y, "--target", "sim"]);
    assert!(
        text.contains("outputs equal the fixed-point reference bit for bit"),
        "{text}"
    );
    let model = Model::read(Path::new(&image)).unwrap();
    ok(&[
        "run",
        &image,
        "--input",
        &x,
        "-o",
        &y,
        "--raw",
        "--axi-seed",
        "5",
    ]);
    let raw: Array2<i16> = ndarray_npy::read_npy(&y).unwrap();
    let q = model.quantize_input(&input_row(30, 1)).unwrap();
    assert_eq!(
        raw.row(1).to_vec(),
        eie::reference::run_fixed(&model, &q).unwrap()
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(&["run", &image, "--input", &x, "-o", &y, "--json"])).unwrap();
    assert_eq!(json["matches_reference"], true);
    assert_eq!(json["layer_cycles"].as_array().unwrap().len(), 3);
    assert_eq!(json["pe_busy"].as_array().unwrap().len(), 4);

    // Another PE count is a build that must refuse the image, cleanly.
    let out = eie(&["run", &image, "--input", &x, "-o", &y, "--pes", "8"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        stderr.lines().last(),
        Some("eie: target sim: image does not fit the hardware: image is encoded for 4 PEs, hardware has 8")
    );
}

/// Row `b` of the batches [`Files::inputs`] writes.
fn input_row(len: usize, b: usize) -> Vec<f32> {
    (0..len)
        .map(|j| ((b * len + j) as f32 * 0.3).sin())
        .collect()
}
