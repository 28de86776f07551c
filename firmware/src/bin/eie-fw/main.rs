//! `eie-fw`: the firmware of the LiteX EIE SoC (bitstream/soc). It runs from ROM on the soft
//! RISC-V CPU, brings up the main RAM (the SDRAM on a board) and checks it, finds the
//! accelerator, and then serves the host's requests (`eie_memmap::protocol`) on the UART with
//! `eie_firmware::server`, staging model images in the main RAM. A panic (a failed RAM check
//! or an accelerator the driver refuses included) is reported to the host as a `Panic` frame,
//! then the SoC resets.
//!
//! It logs with defmt (`eie_firmware::defmt_uart`): each record is a whole `Log` frame on the
//! same UART, decoded by the host with this ELF's format table. The boot record is sent before
//! the first request is read; the driver's records (loads, runs) while a request is handled,
//! before its response is written, so a record never splits a response and never arrives while
//! the host is sending (nothing is logged between a response and the next request).
//!
//! Build: `./x soc firmware [sim|ulx3s]` (EIE_SOC_BUILD names the SoC build whose csr.csv gives
//! the addresses; see `firmware/build.rs`).
#![no_std]
#![no_main]

mod csr;
mod sdram;
mod soc;
mod timer;
mod uart;

use eie_firmware::server::{self, Ident, Server};
use eie_firmware::Mmio;
use embedded_io::Write as _;
use timer::Timer;
use uart::Uart;

/// The main RAM as the staging buffer for model images.
fn main_ram() -> &'static mut [u8] {
    // SAFETY: main RAM is mapped at this base with this size (csr.csv), the linker places
    // nothing there (memory.x gives it no section), and this is the only place that makes a
    // reference to it, called once from `main`.
    unsafe {
        core::slice::from_raw_parts_mut(soc::MEM_MAIN_RAM_BASE as *mut u8, soc::MEM_MAIN_RAM_SIZE)
    }
}

/// Checks the main RAM's address and data lines: a distinct word at offset 0 and at every
/// power-of-two offset, read back after a sweep through another block has evicted the data
/// cache. Returns the first mismatch as (offset, wrote, read).
fn check_ram(ram: &mut [u8]) -> Result<(), (usize, u32, u32)> {
    let words = ram.len() / 4;
    let pattern = |i: usize| 0xA5A5_5A5A ^ (i as u32).wrapping_mul(0x9E37_79B9);
    let base = ram.as_mut_ptr() as *mut u32;
    let offsets = || {
        core::iter::once(0).chain(
            (0..usize::BITS)
                .map(|b| 1usize << b)
                .take_while(move |&o| o < words),
        )
    };
    for i in offsets() {
        // SAFETY: i < words, so the word lies inside `ram`, which this function borrows.
        unsafe { base.add(i).write_volatile(pattern(i)) };
    }
    // 16 KiB of reads from the middle of the RAM, away from the pattern words, evict them from
    // the data cache so the read-back below comes from the RAM.
    let evict = words / 2 + 3;
    let mut sink = 0u32;
    for i in (evict..words.min(evict + 4096)).step_by(8) {
        // SAFETY: i < words.
        sink ^= unsafe { base.add(i).read_volatile() };
    }
    core::hint::black_box(sink);
    for i in offsets() {
        // SAFETY: i < words.
        let read = unsafe { base.add(i).read_volatile() };
        if read != pattern(i) {
            return Err((4 * i, pattern(i), read));
        }
    }
    Ok(())
}

/// The defmt logger's sink: writes a whole Log frame to the UART, waiting for room. Only
/// called from the logger's `release`, never while a response frame is being written.
fn log_sink(bytes: &[u8]) {
    let _ = Uart::new().write_all(bytes);
}

#[riscv_rt::entry]
fn main() -> ! {
    eie_firmware::defmt_uart::set_sink(log_sink);
    let timer = Timer::new();
    sdram::init(&timer);
    let staging = main_ram();
    if let Err((offset, wrote, read)) = check_ram(staging) {
        panic!(
            "main RAM word at {:#x}: wrote {wrote:#010x}, read {read:#010x}",
            soc::MEM_MAIN_RAM_BASE + offset
        );
    }
    // SAFETY: the `eie` region of csr.csv is the accelerator's, uncached (an `io` region),
    // aligned, and nothing else in this program touches it.
    let mmio = unsafe { Mmio::new(soc::MEM_EIE_BASE) };
    let ident = Ident::new(soc::CLOCK_FREQUENCY_HZ, soc::EIE_CLOCK_FREQUENCY_HZ);
    let server = match Server::new(mmio, timer, staging, ident) {
        Ok(server) => server,
        Err(e) => panic!("accelerator at {:#x}: {e}", soc::MEM_EIE_BASE),
    };
    let mut server = server.with_clock(timer::uptime);
    let g = *server.driver().geometry();
    defmt::info!(
        "eie-fw {=str} on {=str}: {=u32} PEs, {=u32} spmat words, {=u32} pointers, {=u32} activations, {=u32} layers; CPU {=u32} Hz, EIE {=u32} Hz",
        ident.firmware,
        soc::PLATFORM,
        g.num_pes,
        g.spmat_words,
        g.ptr_entries,
        g.act_entries,
        g.max_layers,
        ident.timer_hz,
        ident.accel_hz
    );
    server.run(&mut Uart::new())
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let mut uart = Uart::new();
    server::report_panic(&mut uart, info);
    uart.flush_blocking();
    // `ctrl_reset` bit 0 resets the whole SoC; the CPU starts again from ROM.
    csr::write(soc::CSR_CTRL_RESET, 1);
    loop {
        core::hint::spin_loop();
    }
}
