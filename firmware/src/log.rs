//! Log calls that compile to nothing unless the `defmt` feature is on.

/// A `defmt::debug!` when the `defmt` feature is enabled; nothing otherwise (the arguments
/// are then not evaluated, so only pass values the code uses anyway).
macro_rules! debug {
    ($($arg:tt)*) => {
        #[cfg(feature = "defmt")]
        defmt::debug!($($arg)*);
    };
}

pub(crate) use debug;
