//! LiteX `timer0` as a free-running cycle counter: `embedded_hal::delay::DelayNs`.

use crate::{csr, soc};

/// The system timer, counting system clock cycles (modulo 2^32).
pub struct Timer {
    _private: (),
}

impl Timer {
    /// Starts the timer as a free-running down counter from `u32::MAX` (reloaded on zero).
    pub fn new() -> Timer {
        csr::write(soc::CSR_TIMER0_EN, 0);
        csr::write(soc::CSR_TIMER0_RELOAD, u32::MAX);
        csr::write(soc::CSR_TIMER0_LOAD, u32::MAX);
        csr::write(soc::CSR_TIMER0_EN, 1);
        Timer { _private: () }
    }

    /// System clock cycles since the timer started, modulo 2^32 (it counts up).
    pub fn now(&self) -> u32 {
        csr::write(soc::CSR_TIMER0_UPDATE_VALUE, 1);
        u32::MAX - csr::read(soc::CSR_TIMER0_VALUE)
    }

    /// Waits `cycles` system clock cycles.
    pub fn wait_cycles(&self, cycles: u32) {
        let start = self.now();
        while self.now().wrapping_sub(start) < cycles {}
    }
}

impl embedded_hal::delay::DelayNs for Timer {
    fn delay_ns(&mut self, ns: u32) {
        // At most 2^32 ns (4.3 s): fewer than 2^32 cycles below 1 GHz.
        let cycles = (u64::from(ns) * u64::from(soc::CLOCK_FREQUENCY_HZ)).div_ceil(1_000_000_000);
        self.wait_cycles(cycles.min(u64::from(u32::MAX)) as u32);
    }
}

/// System clock cycles since the SoC came out of reset (LiteX's 64-bit uptime counter).
pub fn uptime() -> u64 {
    csr::write(soc::CSR_TIMER0_UPTIME_LATCH, 1);
    // A CSR wider than 32 bits spans consecutive words, most significant first.
    let high = csr::read(soc::CSR_TIMER0_UPTIME_CYCLES);
    let low = csr::read(soc::CSR_TIMER0_UPTIME_CYCLES + 4);
    (u64::from(high) << 32) | u64::from(low)
}
