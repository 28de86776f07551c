//! The simulated EIE.
