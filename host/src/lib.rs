//! The EIE host library.
