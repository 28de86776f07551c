//! The EIE driver.
#![no_std]
