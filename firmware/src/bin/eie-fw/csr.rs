//! Volatile access to LiteX CSRs (32-bit registers, one per word).

/// Reads the CSR at `addr`.
pub fn read(addr: usize) -> u32 {
    // SAFETY: `addr` is a CSR address from the SoC's csr.csv (generated constants only): an
    // aligned, always-mapped device register that no Rust object aliases.
    unsafe { (addr as *const u32).read_volatile() }
}

/// Writes `value` to the CSR at `addr`.
pub fn write(addr: usize, value: u32) {
    // SAFETY: as in `read`.
    unsafe { (addr as *mut u32).write_volatile(value) }
}
