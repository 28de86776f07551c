//! A defmt global logger that sends each log record as a [`Response::Log`] frame of the link
//! protocol, on the same UART as the protocol itself (feature `defmt-uart`).
//!
//! The firmware binary registers the UART with [`set_sink`] (a function that writes bytes to
//! it), defines `defmt::timestamp!` if it wants timestamps, and links with `-Tdefmt.x` so that
//! the ELF holds the format table. The host decodes the records with that ELF's table. Records
//! are sent only while the server handles a request (the driver's log calls), never inside a
//! response, so they cannot tear a frame. A record longer than [`MAX_RECORD`] bytes is dropped.
#![allow(unsafe_code)]

use core::cell::{Cell, UnsafeCell};
use core::sync::atomic::{AtomicBool, Ordering};
use eie_memmap::protocol::{self, Response};

/// Longest log record sent, in encoded bytes.
pub const MAX_RECORD: usize = 256;

/// Bytes of one encoded Log frame: the record, the message's version, sequence number, variant,
/// length and CRC, COBS's overhead and the delimiter, with room to spare.
const FRAME_LEN: usize = MAX_RECORD + 32;

/// Writes bytes to the UART.
type Sink = fn(&[u8]);

/// Where frames go; `None` until [`set_sink`].
static SINK: critical_section::Mutex<Cell<Option<Sink>>> =
    critical_section::Mutex::new(Cell::new(None));

/// Registers the function that writes bytes to the UART.
pub fn set_sink(sink: Sink) {
    critical_section::with(|cs| SINK.borrow(cs).set(Some(sink)));
}

struct State {
    encoder: defmt::Encoder,
    record: heapless::Vec<u8, MAX_RECORD>,
    overflow: bool,
    frame: [u8; FRAME_LEN],
    restore: critical_section::RestoreState,
}

/// The logger's state, touched only between `acquire` and `release`, inside the critical
/// section `acquire` enters and with `TAKEN` set: never from two places at once.
struct Shared(UnsafeCell<State>);

// SAFETY: every access happens inside a critical section with `TAKEN` set (see `Shared`), so
// no two threads of execution ever hold a reference to the state at the same time.
unsafe impl Sync for Shared {}

static STATE: Shared = Shared(UnsafeCell::new(State {
    encoder: defmt::Encoder::new(),
    record: heapless::Vec::new(),
    overflow: false,
    frame: [0; FRAME_LEN],
    restore: critical_section::RestoreState::invalid(),
}));

static TAKEN: AtomicBool = AtomicBool::new(false);

fn append(record: &mut heapless::Vec<u8, MAX_RECORD>, overflow: &mut bool, bytes: &[u8]) {
    if record.extend_from_slice(bytes).is_err() {
        *overflow = true;
    }
}

#[defmt::global_logger]
struct UartLogger;

// SAFETY: defmt calls `acquire`, then `write`s, then `release`; the state is only touched in
// between, inside the critical section `acquire` enters.
unsafe impl defmt::Logger for UartLogger {
    fn acquire() {
        // SAFETY: released in `release` with the state saved here.
        let restore = unsafe { critical_section::acquire() };
        // A load and a store, not a swap: inside the critical section nothing runs in between,
        // and plain loads and stores need no atomic instructions (the SoC's CPU may lack AMOs).
        let nested = TAKEN.load(Ordering::Acquire);
        TAKEN.store(true, Ordering::Release);
        if nested {
            // A log call from inside a log call (an interrupt handler that logs): the record
            // in progress owns the state. Give the section back and drop nothing silently: the
            // nested record cannot be sent, so stop here as defmt's own loggers do.
            // SAFETY: `restore` came from the `acquire` above.
            unsafe { critical_section::release(restore) };
            panic!("defmt logger re-entered");
        }
        // SAFETY: inside the critical section with `TAKEN` set: the only reference.
        let state = unsafe { &mut *STATE.0.get() };
        state.restore = restore;
        state.record.clear();
        state.overflow = false;
        let State {
            encoder,
            record,
            overflow,
            ..
        } = state;
        encoder.start_frame(|b| append(record, overflow, b));
    }

    unsafe fn flush() {}

    unsafe fn release() {
        // SAFETY: called after `acquire`, inside its critical section with `TAKEN` set.
        let state = unsafe { &mut *STATE.0.get() };
        let State {
            encoder,
            record,
            overflow,
            frame,
            restore,
        } = state;
        encoder.end_frame(|b| append(record, overflow, b));
        // SAFETY: inside the critical section entered by `acquire`.
        let cs = unsafe { critical_section::CriticalSection::new() };
        if let (false, Some(sink)) = (*overflow, SINK.borrow(cs).get()) {
            if let Ok(bytes) = protocol::encode(0, &Response::Log(record), frame) {
                sink(&[protocol::DELIMITER]);
                sink(bytes);
            }
        }
        let restore = *restore;
        TAKEN.store(false, Ordering::Release);
        // SAFETY: `restore` is the state `acquire` saved.
        unsafe { critical_section::release(restore) };
    }

    unsafe fn write(bytes: &[u8]) {
        // SAFETY: called between `acquire` and `release`.
        let state = unsafe { &mut *STATE.0.get() };
        let State {
            encoder,
            record,
            overflow,
            ..
        } = state;
        encoder.write(bytes, |b| append(record, overflow, b));
    }
}
