//! Pieces shared by the subcommands: the failure type, output that tolerates a closed pipe,
//! the progress bar, and the report table.

pub mod bench;
pub mod board;
pub mod compress;
pub mod demo;
pub mod flash;
pub mod infer;
pub mod inspect;
pub mod run;
mod table;

use eie::model::Model;
use eie::npy::Batch;
use std::fmt;
use std::io::Write;

/// Declares the subcommand enum and its dispatch from one line per subcommand:
/// `Variant(module)`, where `cli::module` has `Args: clap::Args` with
/// `fn run(self) -> Result<(), Failure>`. Doc comments and `#[command(...)]` attributes on a
/// line apply to that subcommand.
macro_rules! commands {
    ($($(#[$meta:meta])* $variant:ident($module:ident)),* $(,)?) => {
        #[derive(clap::Subcommand)]
        enum Command {
            $($(#[$meta])* $variant(cli::$module::Args),)*
        }

        impl Command {
            fn run(self) -> Result<(), cli::Failure> {
                match self {
                    $(Command::$variant(args) => args.run(),)*
                }
            }
        }
    };
}
pub(crate) use commands;

/// Why a command failed: printed after `eie: `.
#[derive(Debug)]
pub struct Failure(String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<eie::Error> for Failure {
    fn from(e: eie::Error) -> Failure {
        Failure(e.to_string())
    }
}

impl Failure {
    /// A failure with this `<what>: <why>` message.
    pub fn new(message: impl Into<String>) -> Failure {
        Failure(message.into())
    }
}

/// Writes text to standard output; a reader that went away (closed pipe) is not an error.
pub fn emit(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Failure(format!("standard output: {e}")))
        }
        _ => Ok(()),
    }
}

/// The firmware's log records received so far (decoded when the ELF is known), on standard
/// error.
pub fn print_firmware_logs(target: &mut eie::target::RemoteTarget) {
    for line in target.take_log_lines().render() {
        eprintln!("{line}");
    }
}

/// Pretty JSON of a serialisable value.
pub fn json(value: &impl serde::Serialize) -> Result<String, Failure> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|e| Failure(format!("json: {e}")))
}

/// A progress bar on standard error (drawn only when it is a terminal).
pub struct Bar {
    bar: indicatif::ProgressBar,
    started: std::sync::atomic::AtomicBool,
}

impl Bar {
    /// A bar with no work yet.
    pub fn new() -> Bar {
        let bar = indicatif::ProgressBar::new(0);
        let style = indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style);
        Bar {
            bar,
            started: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Shows `what` with a spinner until the next step.
    pub fn spin(&self, what: &str) {
        self.bar.set_message(what.to_owned());
        self.bar
            .enable_steady_tick(std::time::Duration::from_millis(120));
    }
}

impl eie::compress::Progress for Bar {
    fn begin(&self, total: u64) {
        self.bar.set_length(total);
        self.bar
            .enable_steady_tick(std::time::Duration::from_millis(120));
    }

    fn step(&self, what: &str) {
        if self
            .started
            .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            self.bar.inc(1);
        }
        self.bar.set_message(what.to_owned());
    }

    fn end(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// Input vectors in both forms the engines take.
pub struct Inputs {
    /// In the model's input format (what the accelerator and the fixed engine read).
    pub fixed: Vec<Vec<i16>>,
    /// As real numbers (what the float engine reads).
    pub float: Vec<Vec<f32>>,
    /// Float inputs that the input format saturated.
    pub saturated: usize,
}

/// Checks a batch against the model and converts it: floats are quantized to the input format,
/// int16 rows are taken as already quantized.
pub fn inputs(model: &Model, batch: Batch) -> Result<Inputs, Failure> {
    match batch {
        Batch::Float(rows) => {
            for (row, x) in rows.iter().enumerate() {
                model.check_input(row, x)?;
            }
            let limit = 32767.5 / f64::from(model.header.input_frac).exp2();
            let saturated = rows
                .iter()
                .flatten()
                .filter(|v| f64::from(v.abs()) >= limit)
                .count();
            let fixed = rows
                .iter()
                .map(|x| model.quantize_input(x))
                .collect::<Result<_, _>>()?;
            Ok(Inputs {
                fixed,
                float: rows,
                saturated,
            })
        }
        Batch::Raw(rows) => {
            let expected = model.header.input_len as usize;
            if let Some((row, x)) = rows.iter().enumerate().find(|(_, x)| x.len() != expected) {
                return Err(eie::Error::InputLength {
                    row,
                    found: x.len(),
                    expected,
                }
                .into());
            }
            let float = rows.iter().map(|x| model.dequantize_input(x)).collect();
            Ok(Inputs {
                fixed: rows,
                float,
                saturated: 0,
            })
        }
    }
}
