//! `eie demo`: the main job (see `eie::demo`). Without the `train` feature the command
//! exists but says how to get it.

#[cfg(feature = "train")]
pub use with_train::Args;

#[cfg(not(feature = "train"))]
pub use without_train::Args;

#[cfg(feature = "train")]
mod with_train {
    use super::super::{emit, table, Failure};
    use eie::compress::Progress;
    use eie::demo::{self, Options, RtlResult};
    use eie::train::pipeline::{Config, Event};
    use indicatif::{ProgressBar, ProgressStyle};
    use std::path::PathBuf;
    use std::sync::Mutex;

    /// Train LeNet-300-100 on MNIST, compress it and run the test split on the simulated EIE.
    #[derive(clap::Args)]
    pub struct Args {
        /// Train again even when a model trained with the same settings is cached.
        #[arg(long)]
        retrain: bool,
        /// PEs to interleave rows over: the accelerator build's PE count.
        #[arg(long, default_value_t = demo::DEFAULT_PES)]
        pes: u32,
        /// Clock of the FPGA build in MHz, for inferences per second.
        #[arg(long)]
        fmax_mhz: Option<f64>,
        /// Run only this many test digits, spread evenly over the test split [default: all].
        #[arg(long)]
        limit: Option<usize>,
        /// Seed of the training run [default: the settings' seed].
        #[arg(long)]
        seed: Option<u64>,
        /// Training settings as JSON, in the form of the `config` field of the record the
        /// demo writes next to the cached model [default: the built-in settings].
        #[arg(long)]
        config: Option<PathBuf>,
        /// Cache for MNIST and the trained model [default: $EIE_CACHE_DIR, else the
        /// workspace's .cache].
        #[arg(long)]
        cache_dir: Option<PathBuf>,
        /// Where to write the image and the picture.
        #[arg(short, long, default_value = "results/demo")]
        out_dir: PathBuf,
    }

    /// Progress bars on standard error (drawn only when it is a terminal).
    struct Bars {
        training: Option<ProgressBar>,
        work: Work,
    }

    struct Work(Mutex<Option<ProgressBar>>);

    fn bar(len: u64, prefix: &str) -> ProgressBar {
        let bar = ProgressBar::new(len);
        let style = ProgressStyle::with_template(
            "{prefix:>30} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(prefix.to_owned());
        bar
    }

    impl Progress for Work {
        fn begin(&self, total: u64) {
            if let Ok(mut slot) = self.0.lock() {
                *slot = Some(bar(total, "compressing / references"));
            }
        }

        fn step(&self, what: &str) {
            if let Ok(slot) = self.0.lock() {
                if let Some(b) = slot.as_ref() {
                    b.inc(1);
                    b.set_message(what.to_owned());
                }
            }
        }

        fn end(&self) {
            if let Ok(mut slot) = self.0.lock() {
                if let Some(b) = slot.take() {
                    b.finish_and_clear();
                }
            }
        }
    }

    impl demo::Ui for Bars {
        fn note(&mut self, text: &str) {
            eprintln!("eie demo: {text}");
        }

        fn training(&mut self, event: &Event) {
            match event {
                Event::Begin { stage, steps } => self.training = Some(bar(*steps, stage)),
                Event::Step { what, loss } => {
                    if let Some(b) = &self.training {
                        b.inc(1);
                        b.set_message(format!("{what}, loss {loss:.4}"));
                    }
                }
                Event::End { stage, accuracy } => {
                    if let Some(b) = self.training.take() {
                        b.finish_and_clear();
                    }
                    eprintln!("eie demo: {stage}: test accuracy {:.2} %", 100.0 * accuracy);
                }
            }
        }

        fn progress(&self) -> &dyn Progress {
            &self.work
        }
    }

    impl Args {
        /// Runs the command.
        pub fn run(self) -> Result<(), Failure> {
            let mut opts = Options::new(
                self.cache_dir.unwrap_or_else(demo::default_cache_dir),
                self.out_dir,
            );
            opts.retrain = self.retrain;
            opts.num_pes = self.pes;
            opts.fmax_mhz = self.fmax_mhz;
            opts.limit = self.limit;
            if let Some(path) = &self.config {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| Failure::new(format!("'{}': {e}", path.display())))?;
                opts.config = serde_json::from_str::<Config>(&text).map_err(|e| {
                    Failure::new(format!("training settings '{}': {e}", path.display()))
                })?;
            }
            if let Some(seed) = self.seed {
                opts.config.seed = seed;
            }
            let mut bars = Bars {
                training: None,
                work: Work(Mutex::new(None)),
            };
            let outcome = demo::run(&opts, &mut bars).map_err(|e| Failure::new(e.to_string()))?;
            emit(&format!(
                "{}\n{}",
                table::render(&outcome.report),
                demo::render(&outcome)
            ))?;
            match &outcome.rtl {
                RtlResult::Ran { mismatches: 0, .. } => Ok(()),
                RtlResult::Ran { mismatches, .. } => Err(Failure::new(format!(
                    "demo: the simulated accelerator differs from the fixed-point reference on \
                     {mismatches} of {} test digits",
                    outcome.tested
                ))),
                RtlResult::Failed(why) => Err(Failure::new(format!(
                    "demo: the simulated accelerator failed: {why}"
                ))),
            }
        }
    }
}

#[cfg(not(feature = "train"))]
mod without_train {
    use super::super::Failure;

    /// Train LeNet-300-100 on MNIST, compress it and run the test split on the simulated EIE
    /// (needs the `train` feature: `./x demo`).
    #[derive(clap::Args)]
    pub struct Args {}

    impl Args {
        /// Says how to get the command.
        pub fn run(self) -> Result<(), Failure> {
            Err(Failure::new(
                "demo: this eie was built without the `train` feature; run `./x demo` or \
                 `cargo run --release -p eie --features train -- demo`",
            ))
        }
    }
}
