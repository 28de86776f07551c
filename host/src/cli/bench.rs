//! `eie bench`: the paper's nine layers on the simulated RTL beside CPU baselines (see
//! `eie::bench`). Without the `bench` feature the command exists but says how to get it.

#[cfg(feature = "bench")]
pub use with_bench::Args;

#[cfg(not(feature = "bench"))]
pub use without_bench::Args;

#[cfg(feature = "bench")]
mod with_bench {
    use super::super::{emit, Failure};
    use super::git_revision;
    use eie::bench::{self, fpga::FpgaClock, output, FpgaSource, Options};
    use std::path::PathBuf;
    use std::time::Instant;

    /// Run the paper's nine benchmark layers on the simulated RTL, with CPU baselines and
    /// sweeps of the queue depth and the PE count; write JSON, markdown and PNG figures.
    #[derive(clap::Args)]
    pub struct Args {
        /// CI-sized run: one small layer (NT-We / 8) on 4 PEs, one point per sweep.
        #[arg(long)]
        quick: bool,
        /// Where to write bench.json, bench.md and the figures.
        #[arg(short, long, default_value = "results/bench")]
        out_dir: PathBuf,
        /// Seed of the generated weights and inputs.
        #[arg(long, default_value_t = 2016)]
        seed: u64,
        /// Run only these layers (comma-separated names, e.g. Alex-7,NT-We).
        #[arg(long, value_delimiter = ',')]
        layers: Option<Vec<String>>,
        /// Divide both dimensions of every layer by this (sweeps on scaled-down layers).
        #[arg(long, default_value_t = 1)]
        scale_down: usize,
        /// Queue depths of the load-balance sweep.
        #[arg(long, value_delimiter = ',')]
        queue_depths: Option<Vec<u32>>,
        /// PE counts of the speed-up sweep.
        #[arg(long, value_delimiter = ',')]
        pe_counts: Option<Vec<u32>>,
        /// Layer that also loads over the real AXI path ("none" to skip).
        #[arg(long)]
        axi_layer: Option<String>,
        /// Clock of the FPGA build in MHz (with --fpga-pes), instead of the flow's reports.
        #[arg(long, requires = "fpga_pes")]
        fmax_mhz: Option<f64>,
        /// PE count of the FPGA build (with --fmax-mhz).
        #[arg(long, requires = "fmax_mhz")]
        fpga_pes: Option<u32>,
        /// Folder of the bitstream flow's reports, read when --fmax-mhz is not given.
        #[arg(long, default_value = "results/bitstream")]
        fpga_reports: PathBuf,
    }

    impl Args {
        fn options(&self) -> Result<Options, Failure> {
            let fpga = match (self.fmax_mhz, self.fpga_pes) {
                (Some(mhz), Some(num_pes)) => {
                    if !(mhz.is_finite() && mhz > 0.0) {
                        return Err(Failure::new(format!(
                            "options: --fmax-mhz {mhz} is not a positive clock"
                        )));
                    }
                    FpgaSource::Given(FpgaClock {
                        mhz,
                        num_pes,
                        source: "--fmax-mhz / --fpga-pes".to_string(),
                        timing_met: None,
                    })
                }
                _ => FpgaSource::Reports(self.fpga_reports.clone()),
            };
            let mut o = if self.quick {
                Options::quick(fpga)
            } else {
                Options::full(fpga)
            };
            o.seed = self.seed;
            if let Some(names) = &self.layers {
                let all = bench::layers::table_iii();
                o.layers = names
                    .iter()
                    .map(|n| {
                        all.iter()
                            .find(|l| l.name.eq_ignore_ascii_case(n))
                            .cloned()
                            .ok_or_else(|| {
                                let known: Vec<&str> =
                                    all.iter().map(|l| l.name.as_str()).collect();
                                Failure::new(format!(
                                    "options: no layer '{n}' (the layers are {})",
                                    known.join(", ")
                                ))
                            })
                    })
                    .collect::<Result<_, _>>()?;
                if o.axi_layer
                    .as_ref()
                    .is_some_and(|a| !o.layers.iter().any(|l| &l.name == a))
                {
                    o.axi_layer = o.layers.last().map(|l| l.name.clone());
                }
            }
            if self.scale_down == 0 {
                return Err(Failure::new("options: --scale-down must be at least 1"));
            }
            if self.scale_down > 1 {
                o.layers = o.layers.iter().map(|l| l.scaled(self.scale_down)).collect();
                let suffix = format!("/{}", self.scale_down);
                o.axi_layer = o.axi_layer.map(|a| a + &suffix);
            }
            if let Some(q) = &self.queue_depths {
                o.queue_depths = q.clone();
            }
            if let Some(p) = &self.pe_counts {
                o.pe_counts = p.clone();
            }
            match self.axi_layer.as_deref() {
                Some("none") => o.axi_layer = None,
                Some(name) => o.axi_layer = Some(name.to_string()),
                None => {}
            }
            Ok(o)
        }

        pub fn run(self) -> Result<(), Failure> {
            let options = self.options()?;
            let command = std::env::args()
                .skip(1)
                .fold("eie".to_string(), |s, a| s + " " + &a)
                + &git_revision().map_or(String::new(), |g| format!("` at `{g}"));
            let started = Instant::now();
            let log = |what: &str| {
                eprintln!("[{:6.1} s] {what}", started.elapsed().as_secs_f64());
            };
            let report = bench::run(&options, &log).map_err(|e| Failure::new(e.to_string()))?;
            let written = output::write(&report, &self.out_dir, &command)
                .map_err(|e| Failure::new(e.to_string()))?;
            for path in &written {
                eprintln!("wrote {}", path.display());
            }
            emit(&output::tables(&report))?;
            emit(&format!("\n{}", output::goals(&report)))
        }
    }
}

/// The work tree's commit, and whether the RTL differs from it (best effort: `None` outside a
/// git work tree).
#[cfg(feature = "bench")]
fn git_revision() -> Option<String> {
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git").args(args).output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let head = git(&["rev-parse", "--short", "HEAD"])?;
    let rtl = [
        "status",
        "--porcelain",
        "--",
        "bitstream/rtl/*.v",
        "bitstream/rtl/*.vh",
    ];
    let dirty = !git(&rtl)?.is_empty();
    Some(if dirty {
        format!("{head}, bitstream/rtl modified")
    } else {
        head
    })
}

#[cfg(not(feature = "bench"))]
mod without_bench {
    use super::super::Failure;

    /// Run the paper's benchmark layers on the simulated RTL (needs the `bench` feature).
    #[derive(clap::Args)]
    pub struct Args {
        /// Everything after `bench` (ignored).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
        rest: Vec<String>,
    }

    impl Args {
        pub fn run(self) -> Result<(), Failure> {
            let _ = self.rest;
            Err(Failure::new(
                "bench: this eie was built without the `bench` feature; run \
                 `cargo run --release -p eie --features bench -- bench`",
            ))
        }
    }
}
