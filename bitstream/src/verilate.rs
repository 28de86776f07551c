//! Building a design into a simulator library, once per design, parameter set and toolchain.
//!
//! `verilator --cc` translates the design to C++; the generated files and the shim
//! (`bitstream/csrc/eie_sim_shim.cpp`) are compiled in parallel with the C++ compiler and
//! linked with Verilator's runtime (compiled once per toolchain, in a cache folder of its own,
//! `runtime-<hash>`) into one shared library. The result lives in a cache folder named
//! after a hash of everything that goes into it (sources, parameters, tracing, the Verilator
//! and compiler versions, the shim and the flags), so a geometry is built once and reused by
//! every later process.
//!
//! The cache is `$EIE_CACHE_DIR` if set, else `.cache/sim/` in the workspace. A build happens in
//! a private folder that is renamed into place when complete, so no process ever sees a
//! half-built library; builds of one library take turns across processes (a lock file,
//! `<name>.lock`) and all builds take turns within a process. A failed build leaves only its
//! log, `<name>.failed.log`.

use crate::design::Design;
use crate::error::{io, Result, SimError};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// The shim compiled into every simulator library.
const SHIM: &str = include_str!("../csrc/eie_sim_shim.cpp");
/// File name of the library in a cache folder.
const LIBRARY: &str = "libeiesim.so";
/// Changes whenever the build recipe changes in a way the hash below would not see.
const RECIPE: &str = "eie-sim-recipe-1";

/// Flags for every C++ file (the ones Verilator's own makefile uses, plus position-independent
/// code and hidden symbols so that several libraries coexist in one process).
const CXX_FLAGS: &[&str] = &[
    "-std=gnu++17",
    "-fPIC",
    "-fvisibility=hidden",
    "-faligned-new",
    "-fcf-protection=none",
    "-Wno-bool-operation",
    "-Wno-sign-compare",
    "-Wno-uninitialized",
    "-Wno-unused-but-set-variable",
    "-Wno-unused-parameter",
    "-Wno-unused-variable",
    "-Wno-shadow",
    "-DVM_COVERAGE=0",
    "-DVM_SC=0",
    "-DVM_TRACE_FST=0",
];
/// Optimisation for construction-time code.
const OPT_SLOW: &str = "-O1";
/// Optimisation for Verilator's runtime.
const OPT_RUNTIME: &str = "-O2";
/// Above this much generated per-cycle C++ (bytes), the model is bound by instruction-cache
/// misses: measured on the 64-PE build (about 10 MB), `-O1` ran about as fast as `-O2` and
/// compiled three times faster. Smaller models get `-O2`.
const LARGE_MODEL_BYTES: u64 = 4 << 20;

/// The optimisation level for code run every cycle: `EIE_SIM_OPT` if it names one (`-O0` ..
/// `-O3`, `-Os`), else `None` (chosen from the model's size).
fn opt_override() -> Option<String> {
    std::env::var("EIE_SIM_OPT")
        .ok()
        .filter(|o| ["-O0", "-O1", "-O2", "-O3", "-Os"].contains(&o.as_str()))
}

/// A progress line on stderr, written directly so that test harnesses that capture output do
/// not hide a slow build.
macro_rules! progress {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

static CRC64: crc::Crc<u64> = crc::Crc::<u64>::new(&crc::CRC_64_XZ);
static BUILD_LOCK: Mutex<()> = Mutex::new(());
static TOOLCHAIN: Mutex<Option<Toolchain>> = Mutex::new(None);

/// The tools a build uses.
#[derive(Clone, Debug)]
struct Toolchain {
    verilator: String,
    root: PathBuf,
    verilator_version: String,
    cxx: String,
    cxx_version: String,
}

fn run_for_output(command: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(command).args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

fn toolchain() -> Result<Toolchain> {
    let mut cached = TOOLCHAIN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(t) = cached.as_ref() {
        return Ok(t.clone());
    }
    let verilator = std::env::var("VERILATOR").unwrap_or_else(|_| "verilator".to_string());
    let missing = || SimError::VerilatorMissing {
        command: verilator.clone(),
    };
    let verilator_version = run_for_output(&verilator, &["--version"]).ok_or_else(missing)?;
    let root = run_for_output(&verilator, &["--getenv", "VERILATOR_ROOT"])
        .filter(|r| Path::new(r).join("include/verilated.cpp").is_file())
        .ok_or_else(missing)?;
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "g++".to_string());
    let cxx_version = run_for_output(&cxx, &["--version"]).ok_or(SimError::CompilerMissing {
        command: cxx.clone(),
    })?;
    let t = Toolchain {
        verilator,
        root: PathBuf::from(root),
        verilator_version,
        cxx,
        cxx_version,
    };
    *cached = Some(t.clone());
    Ok(t)
}

/// The folder holding cached simulator libraries.
pub fn cache_root() -> PathBuf {
    match std::env::var_os("EIE_CACHE_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => {
            let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
            manifest.parent().unwrap_or(manifest).join(".cache/sim")
        }
    }
}

/// Returns the simulator library for `design` (with VCD tracing compiled in if `trace`),
/// building it first if the cache does not hold it yet. Progress of a build goes to stderr.
pub fn library(design: &Design, trace: bool) -> Result<PathBuf> {
    let tools = toolchain()?;
    let name = cache_name(design, trace, &tools);
    let lib = cache_root().join(&name).join(LIBRARY);
    if lib.is_file() {
        return Ok(lib);
    }
    let _turn = BUILD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let what = format!(
        "the {} simulator{}",
        design.label,
        if trace { " with tracing" } else { "" }
    );
    let dir = cached(&name, LIBRARY, &what, |work| {
        build(design, trace, &tools, work)
    })?;
    Ok(dir.join(LIBRARY))
}

/// The cache folder `name`, made by `make` (in a private folder, renamed into place) unless it
/// already holds `product`. Holds the entry's lock file while it checks and builds.
fn cached(
    name: &str,
    product: &str,
    what: &str,
    make: impl FnOnce(&Path) -> Result<()>,
) -> Result<PathBuf> {
    let root = cache_root();
    let dir = root.join(name);
    if dir.join(product).is_file() {
        return Ok(dir);
    }
    std::fs::create_dir_all(&root).map_err(io(&root))?;
    let lock_path = root.join(format!("{name}.lock"));
    let lock_file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io(&lock_path))?;
    let mut lock = fd_lock::RwLock::new(lock_file);
    if lock.try_write().is_err() {
        progress!(
            "eie-bitstream: waiting for another process building {}",
            dir.display()
        );
    }
    let _other_processes = lock.write().map_err(io(&lock_path))?;
    if dir.join(product).is_file() {
        return Ok(dir);
    }
    static BUILDS: AtomicUsize = AtomicUsize::new(0);
    let work = root.join(format!(
        "{name}.tmp-{}-{}",
        std::process::id(),
        BUILDS.fetch_add(1, Ordering::Relaxed)
    ));
    let started = Instant::now();
    progress!(
        "eie-bitstream: building {what} (first use; cached in {})",
        dir.display()
    );
    if let Err(e) = make(&work) {
        let kept = root.join(format!("{name}.failed.log"));
        return Err(keep_log_only(e, &work, &kept));
    }
    match std::fs::rename(&work, &dir) {
        Ok(()) => {}
        // Another process finished the same build first: use its result.
        Err(_) if dir.join(product).is_file() => {
            let _ = std::fs::remove_dir_all(&work);
        }
        Err(e) => return Err(io(&dir)(e)),
    }
    progress!(
        "eie-bitstream: built {what} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(dir)
}

/// Verilator's runtime (`verilated.cpp`, its threads and, with `trace`, its VCD writer),
/// compiled once per toolchain and shared by every simulator library.
fn runtime_objects(tools: &Toolchain, trace: bool) -> Result<Vec<PathBuf>> {
    let mut sources = vec!["verilated.cpp", "verilated_threads.cpp"];
    if trace {
        sources.push("verilated_vcd_c.cpp");
    }
    let mut digest = CRC64.digest();
    for item in [
        RECIPE,
        &tools.verilator_version,
        &tools.cxx,
        &tools.cxx_version,
    ] {
        digest.update(item.as_bytes());
    }
    digest.update(tools.root.as_os_str().as_encoded_bytes());
    for item in CXX_FLAGS.iter().chain(&[OPT_RUNTIME]).chain(&sources) {
        digest.update(item.as_bytes());
    }
    let name = format!(
        "runtime{}-{:016x}",
        if trace { "-trace" } else { "" },
        digest.finalize()
    );
    let objects: Vec<String> = sources.iter().map(|s| s.replace(".cpp", ".o")).collect();
    let last = objects.last().cloned().unwrap_or_default();
    let dir = cached(&name, &last, "Verilator's runtime", |work| {
        std::fs::create_dir_all(work).map_err(io(work))?;
        let include = tools.root.join("include");
        let units: Vec<Unit> = sources
            .iter()
            .zip(&objects)
            .map(|(source, object)| Unit {
                source: include.join(source),
                object: work.join(object),
                opt: OPT_RUNTIME.to_string(),
            })
            .collect();
        let mut log = String::new();
        let result = compile(tools, &units, trace, &[], &mut log);
        let log_path = work.join("build.log");
        let _ = std::fs::write(&log_path, &log);
        result.map_err(|step| SimError::Build {
            step,
            log: log_path,
            tail: tail(&log),
        })
    })?;
    Ok(objects.iter().map(|o| dir.join(o)).collect())
}

/// Removes a failed build's folder, keeping its log next to it.
fn keep_log_only(error: SimError, work: &Path, kept: &Path) -> SimError {
    let error = match error {
        SimError::Build { step, log, tail } => match std::fs::rename(&log, kept) {
            Ok(()) => SimError::Build {
                step,
                log: kept.to_path_buf(),
                tail,
            },
            Err(_) => SimError::Build { step, log, tail },
        },
        other => other,
    };
    if !matches!(&error, SimError::Build { log, .. } if log.starts_with(work)) {
        let _ = std::fs::remove_dir_all(work);
    }
    error
}

/// The cache folder that holds (or will hold) the library for `design`; builds take a lock
/// on the file of the same name with `.lock` appended.
pub fn cache_dir(design: &Design, trace: bool) -> Result<PathBuf> {
    Ok(cache_root().join(cache_name(design, trace, &toolchain()?)))
}

fn cache_name(design: &Design, trace: bool, tools: &Toolchain) -> String {
    let key = cache_key(design, trace, tools);
    let suffix = if trace { "-trace" } else { "" };
    format!("{}{suffix}-{key:016x}", design.label)
}

fn cache_key(design: &Design, trace: bool, tools: &Toolchain) -> u64 {
    let mut digest = CRC64.digest();
    let mut item = |bytes: &[u8]| {
        digest.update(&(bytes.len() as u64).to_le_bytes());
        digest.update(bytes);
    };
    item(RECIPE.as_bytes());
    item(design.top.as_bytes());
    for source in &design.sources {
        item(source.name.as_bytes());
        item(&[u8::from(source.compile)]);
        item(&source.contents);
    }
    for (name, value) in &design.parameters {
        item(name.as_bytes());
        item(&value.to_le_bytes());
    }
    item(&[u8::from(trace)]);
    item(tools.verilator_version.as_bytes());
    item(tools.root.as_os_str().as_encoded_bytes());
    item(tools.cxx.as_bytes());
    item(tools.cxx_version.as_bytes());
    item(SHIM.as_bytes());
    for flag in CXX_FLAGS.iter().chain(&[OPT_SLOW]) {
        item(flag.as_bytes());
    }
    item(opt_override().as_deref().unwrap_or("auto").as_bytes());
    digest.finalize()
}

/// The end of a log, for error messages.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(25)..].join("\n")
}

fn log_output(log: &mut String, what: &str, output: &Output) {
    log.push_str(&format!("== {what}\n"));
    log.push_str(&String::from_utf8_lossy(&output.stdout));
    log.push_str(&String::from_utf8_lossy(&output.stderr));
}

fn build(design: &Design, trace: bool, tools: &Toolchain, work: &Path) -> Result<()> {
    let src = work.join("rtl");
    let obj = work.join("obj");
    std::fs::create_dir_all(&obj).map_err(io(&obj))?;
    for source in &design.sources {
        let path = src.join(&source.name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::write(&path, &source.contents).map_err(io(&path))?;
    }
    let log_path = work.join("build.log");
    let mut log = String::new();
    let fail = |log: &str, step: String| {
        let _ = std::fs::write(&log_path, log);
        SimError::Build {
            step,
            log: log_path.clone(),
            tail: tail(log),
        }
    };

    let started = Instant::now();
    let mut verilator = Command::new(&tools.verilator);
    verilator
        .current_dir(work)
        .args([
            "--cc",
            "-O3",
            "-Wno-fatal",
            "--prefix",
            "Vtop",
            "-Mdir",
            "obj",
        ])
        .args(["--top-module", &design.top, "-Irtl"]);
    if trace {
        verilator.arg("--trace");
    }
    for (name, value) in &design.parameters {
        verilator.arg(format!("-G{name}={value}"));
    }
    for source in design.sources.iter().filter(|s| s.compile) {
        verilator.arg(Path::new("rtl").join(&source.name));
    }
    let output = verilator.output().map_err(|_| SimError::VerilatorMissing {
        command: tools.verilator.clone(),
    })?;
    log_output(&mut log, "verilator", &output);
    if !output.status.success() {
        return Err(fail(&log, format!("verilator ({})", output.status)));
    }
    progress!(
        "eie-bitstream:   verilated in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let shim = work.join("eie_sim_shim.cpp");
    std::fs::write(&shim, SHIM).map_err(io(&shim))?;
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&obj)
        .map_err(io(&obj))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "cpp"))
        .collect();
    sources.sort();
    let is_slow = |unit: &Path| {
        let stem = unit.file_stem().unwrap_or_default().to_string_lossy();
        stem.contains("__Slow") || stem.ends_with("__Syms")
    };
    let fast_bytes: u64 = sources
        .iter()
        .filter(|u| !is_slow(u))
        .filter_map(|u| std::fs::metadata(u).ok())
        .map(|m| m.len())
        .sum();
    let opt_fast = opt_override().unwrap_or_else(|| {
        let large = fast_bytes > LARGE_MODEL_BYTES;
        if large { "-O1" } else { "-O2" }.to_string()
    });
    sources.push(shim);
    let units: Vec<Unit> = sources
        .iter()
        .map(|source| Unit {
            object: obj.join(format!(
                "{}.o",
                source.file_stem().unwrap_or_default().to_string_lossy()
            )),
            opt: if is_slow(source) {
                OPT_SLOW.to_string()
            } else {
                opt_fast.clone()
            },
            source: source.clone(),
        })
        .collect();
    progress!(
        "eie-bitstream:   compiling {} C++ files ({:.1} MB per-cycle code, {opt_fast})",
        units.len(),
        fast_bytes as f64 / 1e6
    );
    if let Err(step) = compile(tools, &units, trace, &[obj.as_path()], &mut log) {
        return Err(fail(&log, step));
    }
    let runtime = runtime_objects(tools, trace)?;

    let output = Command::new(&tools.cxx)
        .arg("-shared")
        .arg("-o")
        .arg(work.join(LIBRARY))
        .args(units.iter().map(|u| &u.object))
        .args(&runtime)
        .args(["-pthread", "-latomic"])
        .output()
        .map_err(|_| SimError::CompilerMissing {
            command: tools.cxx.clone(),
        })?;
    log_output(&mut log, "link", &output);
    if !output.status.success() {
        return Err(fail(&log, format!("linking ({})", output.status)));
    }
    std::fs::write(&log_path, &log).map_err(io(&log_path))?;
    // The generated C++ and objects are only needed to build: keep the library, the sources
    // and the log.
    let _ = std::fs::remove_dir_all(&obj);
    Ok(())
}

/// One C++ file to compile.
struct Unit {
    source: PathBuf,
    object: PathBuf,
    opt: String,
}

/// Compiles `units` in parallel (`EIE_SIM_JOBS` jobs, default one per CPU), appending the
/// compilers' output to `log`. Returns the failed step.
fn compile(
    tools: &Toolchain,
    units: &[Unit],
    trace: bool,
    include_dirs: &[&Path],
    log: &mut String,
) -> std::result::Result<(), String> {
    let include = tools.root.join("include");
    let trace_flag = format!("-DVM_TRACE={}", u8::from(trace));
    let vcd_flag = format!("-DVM_TRACE_VCD={}", u8::from(trace));
    let jobs = std::env::var("EIE_SIM_JOBS")
        .ok()
        .and_then(|j| j.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, std::io::Result<Output>)>> = Mutex::new(Vec::new());
    let run = |unit: &Unit| {
        let mut command = Command::new(&tools.cxx);
        command
            .args(CXX_FLAGS)
            .arg(&unit.opt)
            .arg(&trace_flag)
            .arg(&vcd_flag);
        for dir in include_dirs {
            command.arg("-I").arg(dir);
        }
        command
            .arg("-I")
            .arg(&include)
            .arg("-I")
            .arg(include.join("vltstd"))
            .arg("-c")
            .arg(&unit.source)
            .arg("-o")
            .arg(&unit.object)
            .output()
    };
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(units.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(unit) = units.get(i) else {
                    break;
                };
                let result = run(unit);
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                progress!(
                    "eie-bitstream:   [{n}/{}] {} ({:.1} s)",
                    units.len(),
                    unit.source
                        .file_name()
                        .unwrap_or_default()
                        .to_string_lossy(),
                    started.elapsed().as_secs_f64()
                );
                results
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((i, result));
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, _)| *i);
    let mut failed = None;
    for (i, result) in results {
        let name = units[i].source.display().to_string();
        match result {
            Ok(output) => {
                log_output(log, &name, &output);
                if !output.status.success() && failed.is_none() {
                    failed = Some(format!("compiling {name} ({})", output.status));
                }
            }
            Err(e) => {
                failed.get_or_insert(format!("running {} for {name}: {e}", tools.cxx));
            }
        }
    }
    failed.map_or(Ok(()), Err)
}
