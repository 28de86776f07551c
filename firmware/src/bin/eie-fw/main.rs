//! `eie-fw`: the firmware of the LiteX EIE SoC (bitstream/soc). It runs from ROM on the soft
//! RISC-V CPU, brings up the main RAM, finds the accelerator, and reports on the UART:
//!
//! ```text
//! eie-fw <version> on <LiteX identifier>, <MHz> MHz system clock
//! main RAM: <KiB> KiB at 0x<base>, address and data lines ok
//! eie: id EIE1 version <v>, geometry pes=.. queue_depth=.. spmat_words=.. ptr_entries=.. act_entries=.. max_layers=..
//! ready
//! ```
//!
//! then echoes every byte it receives. A panic prints `panic: <message>` and resets the SoC.
//!
//! Build: `EIE_SOC_BUILD=.cache/soc/sim cargo build -p eie-firmware --release
//! --target riscv32imac-unknown-none-elf --features soc --bin eie-fw` (`./x soc firmware`).
#![no_std]
#![no_main]

mod csr;
mod sdram;
mod soc;
mod timer;
mod uart;

use eie_firmware::{Eie, Mmio};
use embedded_io::{Read, Write};
use timer::Timer;
use uart::Uart;

/// The identifier LiteX builds into the SoC (one byte per CSR word, NUL-terminated).
fn identifier(buf: &mut [u8; 64]) -> &str {
    let mut n = 0;
    while n < buf.len() {
        let byte = csr::read(soc::CSR_BASE_IDENTIFIER_MEM + 4 * n) as u8;
        if byte == 0 {
            break;
        }
        buf[n] = byte;
        n += 1;
    }
    core::str::from_utf8(&buf[..n]).unwrap_or("(identifier not UTF-8)")
}

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

#[riscv_rt::entry]
fn main() -> ! {
    let timer = Timer::new();
    let has_sdram = sdram::init(&timer);
    let mut uart = Uart::new();
    let mut ident = [0u8; 64];
    let _ = writeln!(
        uart,
        "\r\neie-fw {} on {}, {} MHz system clock\r",
        env!("CARGO_PKG_VERSION"),
        identifier(&mut ident),
        soc::CLOCK_FREQUENCY_HZ / 1_000_000
    );

    let ram = main_ram();
    match check_ram(ram) {
        Ok(()) => {
            let _ = writeln!(
                uart,
                "main RAM: {} KiB at {:#x}{}, address and data lines ok\r",
                ram.len() / 1024,
                soc::MEM_MAIN_RAM_BASE,
                if has_sdram { " (SDRAM)" } else { "" }
            );
        }
        Err((offset, wrote, read)) => {
            let _ = writeln!(
                uart,
                "main RAM: FAILED at offset {offset:#x}: wrote {wrote:#010x}, read {read:#010x}\r"
            );
        }
    }

    // SAFETY: the `eie` region of csr.csv is the accelerator's, uncached (an `io` region),
    // aligned, and nothing else in this program touches it.
    let mmio = unsafe { Mmio::new(soc::MEM_EIE_BASE) };
    match Eie::new(mmio, Timer::new()) {
        Ok(eie) => {
            let g = eie.geometry();
            let _ = writeln!(
                uart,
                "eie: id EIE1 at {:#x}, geometry pes={} queue_depth={} spmat_words={} ptr_entries={} act_entries={} max_layers={}\r",
                soc::MEM_EIE_BASE,
                g.num_pes,
                g.queue_depth,
                g.spmat_words,
                g.ptr_entries,
                g.act_entries,
                g.max_layers
            );
        }
        Err(e) => {
            let _ = writeln!(uart, "eie: FAILED: {e}\r");
        }
    }
    let errors = csr::read(soc::CSR_CTRL_BUS_ERRORS);
    let _ = writeln!(uart, "bus errors: {errors}\r\nready\r");

    let mut buf = [0u8; 64];
    loop {
        let Ok(n) = uart.read(&mut buf);
        let _ = uart.write_all(&buf[..n]);
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let mut uart = Uart::new();
    let _ = writeln!(uart, "\r\npanic: {info}\r");
    uart.flush_blocking();
    // `ctrl_reset` bit 0 resets the whole SoC; the CPU starts again from ROM.
    csr::write(soc::CSR_CTRL_RESET, 1);
    loop {
        core::hint::spin_loop();
    }
}
