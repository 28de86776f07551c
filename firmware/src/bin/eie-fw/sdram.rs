//! SDRAM bring-up without the LiteX BIOS: LiteDRAM's initialisation sequence (generated with
//! the SoC, see `build.rs`) issued through the DFII, then the controller takes over. A SoC
//! without SDRAM (the simulation's integrated main RAM) needs nothing.

use crate::timer::Timer;

/// Runs the initialisation sequence; returns whether the SoC has SDRAM.
#[cfg(soc_sdram)]
pub fn init(timer: &Timer) -> bool {
    use crate::{csr, soc};
    /// `sdram_dfii_control`: the controller (not software) drives the SDRAM.
    const DFII_CONTROL_SEL: u32 = 0x01;
    /// `sdram_dfii_control` while software drives the SDRAM: CKE, ODT and RESET_N high.
    const DFII_SOFTWARE: u32 = 0x02 | 0x04 | 0x08;

    csr::write(soc::CSR_SDRAM_DFII_CONTROL, DFII_SOFTWARE);
    for c in soc::SDRAM_INIT {
        csr::write(soc::CSR_SDRAM_DFII_PI0_ADDRESS, c.address);
        csr::write(soc::CSR_SDRAM_DFII_PI0_BADDRESS, c.bank);
        if c.control {
            csr::write(soc::CSR_SDRAM_DFII_CONTROL, c.bits);
        } else {
            csr::write(soc::CSR_SDRAM_DFII_PI0_COMMAND, c.bits);
            csr::write(soc::CSR_SDRAM_DFII_PI0_COMMAND_ISSUE, 1);
        }
        timer.wait_cycles(c.delay_cycles);
    }
    csr::write(soc::CSR_SDRAM_DFII_CONTROL, DFII_CONTROL_SEL);
    true
}

/// Runs the initialisation sequence; returns whether the SoC has SDRAM.
#[cfg(not(soc_sdram))]
pub fn init(_timer: &Timer) -> bool {
    false
}
