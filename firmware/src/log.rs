//! Log calls that compile to nothing unless the `defmt` feature is on.
//!
//! Each macro is the `defmt` macro of the same name (`warning`: `defmt::warn`, whose name
//! clashes with the built-in attribute) when the feature is enabled and nothing
//! otherwise (the arguments are then not evaluated, so only pass values the code uses anyway).

macro_rules! info {
    ($($arg:tt)*) => {
        #[cfg(feature = "defmt")]
        defmt::info!($($arg)*);
    };
}

macro_rules! warning {
    ($($arg:tt)*) => {
        #[cfg(feature = "defmt")]
        defmt::warn!($($arg)*);
    };
}

macro_rules! debug {
    ($($arg:tt)*) => {
        #[cfg(feature = "defmt")]
        defmt::debug!($($arg)*);
    };
}

pub(crate) use {debug, info, warning};
