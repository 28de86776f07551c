//! For the `eie-fw` binary (feature `soc`, a RISC-V target): the addresses of the LiteX SoC it
//! runs on, from the SoC build's `csr.csv` (`EIE_SOC_BUILD`, default `.cache/soc/sim` at the
//! workspace root).
//!
//! Writes to `OUT_DIR`:
//! - `soc.rs`: every CSR register (`CSR_<NAME>`), CSR block (`CSR_BASE_<NAME>`) and memory
//!   region (`MEM_<NAME>_BASE`, `MEM_<NAME>_SIZE`), the system and accelerator clocks
//!   (`CLOCK_FREQUENCY_HZ`, `EIE_CLOCK_FREQUENCY_HZ`), the platform name, and the SDRAM
//!   initialisation sequence when the SoC has SDRAM (`SDRAM_INIT`, from `sdram_init.csv`
//!   beside `csr.csv`; the `soc_sdram` cfg is set then);
//! - `memory.x` for riscv-rt: code and read-only data in ROM, data, bss and stack in SRAM (main
//!   RAM is left to the firmware's staging buffer).
//!
//! It also links the defmt format table (`-Tdefmt.x`, the binary logs with `defmt_uart`) and sets
//! the defmt log level to `debug` unless `DEFMT_LOG` is set: info records for boot and commits,
//! the driver's debug records for loads and runs (with the run's cycles).
//!
//! Any other build of the crate (the host, no `soc` feature) does nothing here.

use std::collections::BTreeMap;
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=EIE_SOC_BUILD");
    let soc = env::var_os("CARGO_FEATURE_SOC").is_some();
    let riscv = env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|a| a == "riscv32");
    if !(soc && riscv) {
        return;
    }
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let build = match env::var_os("EIE_SOC_BUILD") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                manifest.join("..").join(dir)
            }
        }
        None => manifest.join("../.cache/soc/sim"),
    };
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets it"));
    if let Err(e) = generate(&build, &out) {
        eprintln!("eie-fw: {e}");
        std::process::exit(1);
    }
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-link-arg-bins=-Tmemory.x");
    println!("cargo:rustc-link-arg-bins=-Tlink.x");
    println!("cargo:rustc-link-arg-bins=-Tdefmt.x");
    println!("cargo:rerun-if-env-changed=DEFMT_LOG");
    if env::var_os("DEFMT_LOG").is_none() {
        println!("cargo:rustc-env=DEFMT_LOG=debug");
    }
}

struct Soc {
    registers: BTreeMap<String, u64>,
    bases: BTreeMap<String, u64>,
    regions: BTreeMap<String, (u64, u64)>,
    constants: BTreeMap<String, String>,
}

fn parse_int(text: &str) -> Option<u64> {
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

fn read_csr_csv(path: &Path) -> Result<Soc, String> {
    let text = fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read {}: {e}; build the SoC first (`./x soc sim` or `./x soc ulx3s`) or \
             point EIE_SOC_BUILD at its build folder",
            path.display()
        )
    })?;
    let mut soc = Soc {
        registers: BTreeMap::new(),
        bases: BTreeMap::new(),
        regions: BTreeMap::new(),
        constants: BTreeMap::new(),
    };
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        let bad = || format!("{}:{}: unexpected line {line:?}", path.display(), n + 1);
        let int = |i: usize| f.get(i).and_then(|s| parse_int(s)).ok_or_else(bad);
        let name = f.get(1).ok_or_else(bad)?.to_string();
        match f[0] {
            "csr_register" => {
                soc.registers.insert(name, int(2)?);
            }
            "csr_base" => {
                soc.bases.insert(name, int(2)?);
            }
            "memory_region" => {
                soc.regions.insert(name, (int(2)?, int(3)?));
            }
            "constant" => {
                soc.constants
                    .insert(name, f.get(2).ok_or_else(bad)?.to_string());
            }
            _ => return Err(bad()),
        }
    }
    Ok(soc)
}

fn ident(name: &str) -> String {
    name.to_ascii_uppercase()
}

fn generate(build: &Path, out: &Path) -> Result<(), String> {
    let csv = build.join("csr.csv");
    println!("cargo:rerun-if-changed={}", csv.display());
    let soc = read_csr_csv(&csv)?;
    let need = |what: &str, ok: bool| {
        if ok {
            Ok(())
        } else {
            Err(format!("{} has no {what}", csv.display()))
        }
    };
    for r in [
        "uart_rxtx",
        "uart_txfull",
        "uart_rxempty",
        "uart_ev_pending",
        "uart_txempty",
        "timer0_load",
        "timer0_reload",
        "timer0_en",
        "timer0_update_value",
        "timer0_value",
        "timer0_uptime_latch",
        "timer0_uptime_cycles",
        "ctrl_reset",
    ] {
        need(&format!("CSR {r}"), soc.registers.contains_key(r))?;
    }
    for m in ["rom", "sram", "main_ram", "eie"] {
        need(&format!("memory region {m}"), soc.regions.contains_key(m))?;
    }
    let constant = |name: &str| {
        soc.constants
            .get(name)
            .and_then(|v| parse_int(v))
            .ok_or_else(|| format!("{} has no constant {name}", csv.display()))
    };
    let clock = constant("config_clock_frequency")?;
    let eie_clock = constant("eie_clock_frequency")?;

    let mut rs = String::new();
    let _ = writeln!(
        rs,
        "// Generated by firmware/build.rs from {}.",
        csv.display()
    );
    for (name, addr) in &soc.registers {
        let _ = writeln!(rs, "pub const CSR_{}: usize = {addr:#x};", ident(name));
    }
    for (name, addr) in &soc.bases {
        let _ = writeln!(rs, "pub const CSR_BASE_{}: usize = {addr:#x};", ident(name));
    }
    for (name, (base, size)) in &soc.regions {
        let n = ident(name);
        let _ = writeln!(rs, "pub const MEM_{n}_BASE: usize = {base:#x};");
        let _ = writeln!(rs, "pub const MEM_{n}_SIZE: usize = {size:#x};");
    }
    let _ = writeln!(rs, "pub const CLOCK_FREQUENCY_HZ: u32 = {clock};");
    let _ = writeln!(rs, "pub const EIE_CLOCK_FREQUENCY_HZ: u32 = {eie_clock};");
    let platform = soc
        .constants
        .get("config_platform_name")
        .cloned()
        .unwrap_or_default();
    let _ = writeln!(rs, "pub const PLATFORM: &str = {platform:?};");

    // SDRAM: LiteDRAM's initialisation commands, written by bitstream/soc/soc.py.
    let sdram = build.join("sdram_init.csv");
    println!("cargo:rerun-if-changed={}", sdram.display());
    println!("cargo::rustc-check-cfg=cfg(soc_sdram)");
    if soc.registers.contains_key("sdram_dfii_control") {
        println!("cargo:rustc-cfg=soc_sdram");
        let mut init = Vec::new();
        let text = fs::read_to_string(&sdram).map_err(|e| {
            format!(
                "the SoC has SDRAM but {} is unreadable ({e}): rebuild it with bitstream/soc/soc.py",
                sdram.display()
            )
        })?;
        for (n, line) in text.lines().enumerate().skip(1) {
            let f: Vec<u64> = line.split(',').filter_map(parse_int).collect();
            if f.len() != 5 || f[0] > 1 {
                return Err(format!(
                    "{}:{}: expected control(0/1),address,bank,bits,delay_cycles",
                    sdram.display(),
                    n + 1
                ));
            }
            init.push(format!(
                "SdramCommand {{ control: {}, address: {:#x}, bank: {}, bits: {:#x}, delay_cycles: {} }}",
                f[0] == 1,
                f[1],
                f[2],
                f[3],
                f[4]
            ));
        }
        if init.is_empty() {
            return Err(format!("{} lists no commands", sdram.display()));
        }
        let _ = writeln!(
            rs,
            "pub const SDRAM_INIT: &[SdramCommand] = &[{}];",
            init.join(", ")
        );
    }
    fs::write(out.join("soc.rs"), rs).map_err(|e| e.to_string())?;

    let (rom, rom_size) = soc.regions["rom"];
    let (sram, sram_size) = soc.regions["sram"];
    let memory_x = format!(
        "/* Generated by firmware/build.rs from {csv}. */\n\
         MEMORY\n{{\n  ROM : ORIGIN = {rom:#x}, LENGTH = {rom_size:#x}\n  \
         SRAM : ORIGIN = {sram:#x}, LENGTH = {sram_size:#x}\n}}\n\
         REGION_ALIAS(\"REGION_TEXT\", ROM);\n\
         REGION_ALIAS(\"REGION_RODATA\", ROM);\n\
         REGION_ALIAS(\"REGION_DATA\", SRAM);\n\
         REGION_ALIAS(\"REGION_BSS\", SRAM);\n\
         REGION_ALIAS(\"REGION_HEAP\", SRAM);\n\
         REGION_ALIAS(\"REGION_STACK\", SRAM);\n",
        csv = csv.display()
    );
    fs::write(out.join("memory.x"), memory_x).map_err(|e| e.to_string())?;
    Ok(())
}
