//! The clock and PE count of the FPGA build, for the benchmark's "time on the FPGA" column:
//! given on the command line, or read from the reports the bitstream flow writes
//! (`results/bitstream/<build>/report.json`, and the `rows` of a sweep's report).

use super::{Error, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A clock and PE count, and where they came from.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FpgaClock {
    /// Clock in MHz (the worst seed's Fmax when read from a report).
    pub mhz: f64,
    /// PEs of the build.
    pub num_pes: u32,
    /// Where the figures come from.
    pub source: String,
    /// The report said timing was met at its target clock (`None` when given by hand).
    pub timing_met: Option<bool>,
}

/// One build found in a report.
#[derive(Clone, Debug)]
struct Candidate {
    clock: FpgaClock,
    board: bool,
}

fn number(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// The slowest clock of a report's `fmax` map (`{clock: {min_mhz, ...}}`, or the map itself).
fn worst_fmax(fmax: &Value) -> Option<f64> {
    if let Some(m) = fmax.get("min_mhz").and_then(number) {
        return Some(m);
    }
    fmax.as_object()?
        .values()
        .filter_map(|c| c.get("min_mhz").and_then(number))
        .reduce(f64::min)
}

/// True when the report's synthesis read the real core (`bitstream/rtl/`), not a placeholder.
fn real_core(report: &Value) -> bool {
    let script = report
        .pointer("/synth/script")
        .map(Value::to_string)
        .unwrap_or_default();
    script.contains("bitstream/rtl/") && !script.contains("placeholder")
}

fn candidates_in(path: &Path, report: &Value) -> Vec<Candidate> {
    let mut found = Vec::new();
    let shown = path.display();
    if let (Some(pes), Some(mhz)) = (
        report.pointer("/params/NumPes").and_then(Value::as_u64),
        report.get("fmax").and_then(worst_fmax),
    ) {
        if real_core(report) && report.get("all_seeds_routed") != Some(&Value::Bool(false)) {
            found.push(Candidate {
                clock: FpgaClock {
                    mhz,
                    num_pes: pes as u32,
                    source: format!("{shown} (build {})", report["build"]),
                    timing_met: report.get("timing_met").and_then(Value::as_bool),
                },
                board: report.get("mode").and_then(Value::as_str) == Some("board"),
            });
        }
    }
    for (i, row) in report
        .get("rows")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let routed = row.get("routed").and_then(Value::as_bool).unwrap_or(false);
        if let (true, Some(pes), Some(mhz)) = (
            routed,
            row.get("NumPes").and_then(Value::as_u64),
            row.get("fmax").and_then(worst_fmax),
        ) {
            found.push(Candidate {
                clock: FpgaClock {
                    mhz,
                    num_pes: pes as u32,
                    source: format!("{shown} (row {i}, {pes} PEs, out of context)"),
                    timing_met: row.pointer("/fmax/met").and_then(Value::as_bool),
                },
                board: false,
            });
        }
    }
    found
}

/// Every `report.json` one level below `dir`.
fn report_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("report.json"))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// The FPGA build to report: among the builds of the real core in `dir`'s reports, a board
/// build first, then the most PEs, then the fastest clock. `None` when there is none.
pub fn from_reports(dir: &Path) -> Result<Option<FpgaClock>> {
    let mut all = Vec::new();
    for file in report_files(dir) {
        let text = std::fs::read_to_string(&file).map_err(|e| Error::Io(file.clone(), e))?;
        let report: Value = serde_json::from_str(&text)
            .map_err(|e| Error::Config(format!("{}: not JSON: {e}", file.display())))?;
        all.extend(candidates_in(&file, &report));
    }
    Ok(all
        .into_iter()
        .max_by(|a, b| {
            (a.board, a.clock.num_pes)
                .cmp(&(b.board, b.clock.num_pes))
                .then(a.clock.mhz.total_cmp(&b.clock.mhz))
        })
        .map(|c| c.clock))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, json: &str) {
        std::fs::create_dir_all(dir.join(name)).unwrap();
        std::fs::write(dir.join(name).join("report.json"), json).unwrap();
    }

    #[test]
    fn picks_the_real_core_with_the_most_pes() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        assert_eq!(from_reports(d).unwrap(), None);
        write(
            d,
            "placeholder",
            r#"{"build": "p", "mode": "board", "params": {"NumPes": 16},
               "synth": {"script": ["read_verilog flow/placeholder/eie_top.v"]},
               "fmax": {"clk": {"min_mhz": 90.0}}, "timing_met": true}"#,
        );
        write(
            d,
            "ooc",
            r#"{"build": "ooc", "mode": "out-of-context", "params": {"NumPes": 2},
               "synth": {"script": ["read_verilog bitstream/rtl/eie_top.v"]},
               "fmax": {"clk_i": {"min_mhz": 71.26}, "other": {"min_mhz": 80.0}},
               "all_seeds_routed": true, "timing_met": true}"#,
        );
        let c = from_reports(d).unwrap().unwrap();
        assert_eq!((c.mhz, c.num_pes, c.timing_met), (71.26, 2, Some(true)));
        write(
            d,
            "sweep",
            r#"{"rows": [{"NumPes": 8, "routed": true, "fmax": {"min_mhz": 53.96, "met": false}},
                         {"NumPes": 32, "routed": false, "fmax": {"min_mhz": 1.0}}]}"#,
        );
        let c = from_reports(d).unwrap().unwrap();
        assert_eq!((c.mhz, c.num_pes, c.timing_met), (53.96, 8, Some(false)));
        assert!(c.source.contains("row 0"), "{}", c.source);
        write(d, "broken", "{");
        assert!(from_reports(d).is_err());
    }
}
