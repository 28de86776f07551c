//! Driver tests against a software register file.
//!
//! Addresses are restated here as literals on purpose: a wrong constant in `eie-memmap` or a
//! wrong address computation in the driver cannot pass unnoticed.

extern crate std;

use crate::{Bus, Eie, Error};
use eie_memmap::image::{
    Header, ImageError, Layer, Memory, Mismatch, Record, Requirements, Writer,
};
use eie_memmap::regs::ErrorCode;
use std::collections::BTreeMap;
use std::vec;
use std::vec::Vec;

/// A register file standing in for the accelerator: stores what is written, answers the
/// identity and geometry registers, and plays a scripted program run.
struct FakeHw {
    memory: BTreeMap<u32, u32>,
    writes: Vec<(u32, u32)>,
    status: u32,
    /// Polls of a running program's `STATUS` until it reports done; `None`: never.
    finish_after: Option<u32>,
    polls: u32,
    /// `STATUS` once the program ends.
    end_status: u32,
    /// Offsets the hardware refuses: the access is counted in `AXI_ERR` but, as on a CPU that
    /// ignores error responses, the bus reports success.
    refused: core::ops::Range<u32>,
    axi_err: u32,
    axi_err_addr: u32,
    /// An offset whose access fails on the bus itself.
    broken: Option<u32>,
}

#[derive(Debug, PartialEq, Eq)]
struct BusFault(u32);

impl FakeHw {
    fn new() -> Self {
        let mut memory = BTreeMap::new();
        for (offset, value) in [
            (0x000, 0x3145_4945),
            (0x004, 0x0001_0000),
            (0x008, 4),
            (0x00C, 8),
            (0x010, 1024),
            (0x014, 1024),
            (0x018, 256),
            (0x01C, 4),
            (0x020, 0x1008_3010),
        ] {
            memory.insert(offset, value);
        }
        FakeHw {
            memory,
            writes: Vec::new(),
            status: 0,
            finish_after: Some(3),
            polls: 0,
            end_status: 0b10,
            refused: 0..0,
            axi_err: 0,
            axi_err_addr: 0,
            broken: None,
        }
    }

    fn set(&mut self, offset: u32, value: u32) {
        self.memory.insert(offset, value);
    }

    fn refuse(&mut self, offset: u32) -> bool {
        if self.refused.contains(&offset) {
            self.axi_err += 1;
            self.axi_err_addr = offset;
            true
        } else {
            false
        }
    }
}

impl Bus for FakeHw {
    type Error = BusFault;

    fn read32(&mut self, offset: u32) -> Result<u32, BusFault> {
        if self.broken == Some(offset) {
            return Err(BusFault(offset));
        }
        Ok(match offset {
            0x044 => {
                if self.status & 1 != 0 {
                    self.polls += 1;
                    if self.finish_after.is_some_and(|n| self.polls >= n) {
                        self.status = self.end_status;
                    }
                }
                self.status
            }
            0x054 => self.axi_err,
            0x058 => self.axi_err_addr,
            _ => self.memory.get(&offset).copied().unwrap_or(0),
        })
    }

    fn write32(&mut self, offset: u32, value: u32) -> Result<(), BusFault> {
        if self.broken == Some(offset) {
            return Err(BusFault(offset));
        }
        self.writes.push((offset, value));
        if self.refuse(offset) {
            return Ok(());
        }
        match offset {
            0x040 if value & 1 != 0 => {
                self.status = 1;
                self.polls = 0;
            }
            0x040 if value & 2 != 0 => self.status = 0b100 | 8 << 8,
            0x044 => self.status &= !(value & 0b110),
            0x054 => self.axi_err = 0,
            _ => {
                self.memory.insert(offset, value);
            }
        }
        Ok(())
    }
}

/// Counts the time the driver waits.
#[derive(Default)]
struct FakeDelay {
    ns: u64,
}

impl embedded_hal::delay::DelayNs for FakeDelay {
    fn delay_ns(&mut self, ns: u32) {
        self.ns += u64::from(ns);
    }
}

fn layer(index: u8, in_len: u32, out_len: u32, ptr_base: u32) -> Layer {
    let mut codebook = [0; 16];
    let mut centroids = [0.0; 16];
    codebook[1] = 0x100;
    codebook[2] = -3;
    centroids[1] = 0.5;
    centroids[2] = -0.005;
    Layer {
        index,
        in_len,
        out_len,
        ptr_base,
        relu: true,
        bias: false,
        in_frac: 8,
        w_frac: 9,
        out_frac: 8,
        codebook,
        centroids,
    }
}

/// One layer, 2 -> 2, for `num_pes` PEs: pointers of PEs 0 and 1, one sparse-matrix word of
/// PE 0 and one at word 2 of the last PE.
fn image(num_pes: u32) -> Vec<u8> {
    let mut w = Writer::new();
    w.record(&Record::Header(Header {
        needs: Requirements {
            num_pes,
            spmat_words: 4,
            ptr_entries: 8,
            act_entries: 1,
            num_layers: 1,
        },
        input_len: 2,
        input_frac: 8,
        output_len: 2,
        output_frac: 8,
    }));
    w.record(&Record::Layer(layer(0, 2, 2, 0)));
    let ptrs = |v: [u32; 3]| v.iter().flat_map(|p| p.to_le_bytes()).collect::<Vec<u8>>();
    w.chunks(0, Memory::Pointers, 0, &ptrs([0, 1, 1]));
    w.chunks(1, Memory::Pointers, 0, &ptrs([0, 0, 1]));
    w.chunks(0, Memory::Spmat, 0, &[0x01, 2, 3, 4, 5, 6, 7, 8]);
    w.chunks(num_pes - 1, Memory::Spmat, 2, &[0x11; 8]);
    w.finish()
}

fn driver(hw: FakeHw) -> Eie<FakeHw, FakeDelay> {
    Eie::new(hw, FakeDelay::default()).unwrap()
}

fn writes(eie: Eie<FakeHw, FakeDelay>) -> Vec<(u32, u32)> {
    eie.release().0.writes
}

#[test]
fn discovers_the_geometry_without_writing() {
    let eie = driver(FakeHw::new());
    assert_eq!(*eie.geometry(), eie_memmap::Geometry::SMALL);
    assert!(eie.model().is_none());
    assert_eq!(writes(eie), []);
}

#[test]
fn refuses_unknown_hardware() {
    let cases = [
        (0x000, 0x3145_4946),
        (0x004, 0x0002_0000),
        (0x008, 3),
        (0x00C, 0),
        (0x01C, 17),
        (0x020, 0x1008_3008),
    ];
    for (offset, value) in cases {
        let mut hw = FakeHw::new();
        hw.set(offset, value);
        let err = Eie::new(hw, FakeDelay::default()).err().unwrap();
        match offset {
            0x000 | 0x004 => assert!(matches!(err, Error::BadIdentity { .. }), "{err}"),
            _ => assert!(matches!(err, Error::UnsupportedGeometry(_)), "{err}"),
        }
    }
    let mut hw = FakeHw::new();
    hw.set(0x004, 0x0001_0003);
    assert!(
        Eie::new(hw, FakeDelay::default()).is_ok(),
        "a newer minor is compatible"
    );
}

#[test]
fn writes_the_image_to_the_documented_addresses() {
    let mut eie = driver(FakeHw::new());
    let info = eie.load(&image(4)).unwrap();
    assert_eq!(info.num_layers(), 1);
    assert_eq!(info.input_len(), 2);
    let mut expected = vec![
        (0x048, 0),
        (0x054, 0xFFFF_FFFF),
        (0x100, 2),
        (0x104, 2),
        (0x108, 0),
        (0x10C, 0x109),
        (0x110, 0),
    ];
    let codebook = [0, 0x100, 0xFFFF_FFFD].into_iter().chain([0; 13]);
    expected.extend((0x1000..).step_by(4).zip(codebook));
    expected.extend([
        (0x40_0000, 0),
        (0x40_0004, 1),
        (0x40_0008, 1),
        (0x40_1000, 0),
        (0x40_1004, 0),
        (0x40_1008, 1),
        (0x80_0000, 0x0403_0201),
        (0x80_0004, 0x0807_0605),
        (0x80_6010, 0x1111_1111),
        (0x80_6014, 0x1111_1111),
        (0x048, 1),
    ]);
    assert_eq!(writes(eie), expected);
}

#[test]
fn streaming_in_any_piece_size_writes_the_same() {
    let image = image(4);
    let mut whole = driver(FakeHw::new());
    whole.load(&image).unwrap();
    let expected = writes(whole);
    for size in [1, 2, 3, 7, 64, 1000] {
        let mut eie = driver(FakeHw::new());
        let mut loader = eie.loader();
        for piece in image.chunks(size) {
            loader.feed(piece).unwrap();
        }
        loader.finish().unwrap();
        assert_eq!(writes(eie), expected, "pieces of {size}");
    }
}

#[test]
fn refuses_another_geometry_before_writing() {
    let mut eie = driver(FakeHw::new());
    let err = eie.load(&image(8)).unwrap_err();
    assert_eq!(
        err,
        Error::Geometry(Mismatch {
            field: "num_pes",
            image: 8,
            hardware: 4
        })
    );
    let mut hw = FakeHw::new();
    hw.set(0x010, 2);
    let mut eie = driver(hw);
    let err = eie.load(&image(4)).unwrap_err();
    assert_eq!(
        err,
        Error::Geometry(Mismatch {
            field: "spmat_words",
            image: 4,
            hardware: 2
        })
    );
    assert_eq!(writes(eie), []);
}

#[test]
fn a_refused_image_keeps_the_previous_model() {
    let mut eie = driver(FakeHw::new());
    eie.load(&image(4)).unwrap();
    let (hw, delay) = eie.release();
    let loaded = hw.writes.len();
    let mut eie = Eie::new(hw, delay).unwrap();
    eie.load(&image(4)).unwrap();
    assert!(matches!(eie.load(&image(8)), Err(Error::Geometry(_))));
    let mut out = [0; 2];
    eie.run(&[1, 2], &mut out, 100).unwrap();
    let writes = writes(eie);
    assert_eq!(writes[..loaded], writes[loaded..2 * loaded]);
    assert_eq!(
        writes[2 * loaded].0,
        0x044,
        "the run follows the second load directly"
    );
}

#[test]
fn a_failed_load_leaves_no_model() {
    let good = image(4);
    let mut bad_crc = good.clone();
    let last = bad_crc.len() - 1;
    bad_crc[last] ^= 1;
    let truncated = &good[..good.len() - 3];
    for bad in [&bad_crc[..], truncated] {
        let mut eie = driver(FakeHw::new());
        eie.load(&good).unwrap();
        let err = eie.load(bad).unwrap_err();
        assert!(matches!(err, Error::Image(_)), "{err}");
        let mut out = [0; 2];
        assert_eq!(eie.run(&[1, 2], &mut out, 100), Err(Error::NoModel));
        let writes = writes(eie);
        let num_layers: Vec<_> = writes.iter().filter(|w| w.0 == 0x048).collect();
        assert_eq!(num_layers, [&(0x048, 0), &(0x048, 1), &(0x048, 0)]);
    }
    let mut eie = driver(FakeHw::new());
    let mut out = [0; 2];
    assert_eq!(eie.run(&[1, 2], &mut out, 100), Err(Error::NoModel));
}

#[test]
fn a_broken_loader_stays_broken() {
    let image = image(4);
    let mut eie = driver(FakeHw::new());
    let mut loader = eie.loader();
    let mut bad = image.clone();
    bad[0] = b'X';
    assert_eq!(
        loader.feed(&bad[..10]),
        Err(Error::Image(ImageError::BadMagic))
    );
    assert_eq!(loader.feed(&image[10..]), Err(Error::LoadFailed));
    assert_eq!(loader.finish(), Err(Error::LoadFailed));
    assert!(eie.model().is_none());
}

#[test]
fn counted_axi_errors_fail_the_load() {
    let mut hw = FakeHw::new();
    hw.refused = 0x80_0000..0x100_0000;
    let mut eie = driver(hw);
    let err = eie.load(&image(4)).unwrap_err();
    assert_eq!(
        err,
        Error::AxiErrors {
            count: 4,
            addr: 0x80_6014
        }
    );
    let mut out = [0; 2];
    assert_eq!(eie.run(&[1, 2], &mut out, 100), Err(Error::NoModel));
}

#[test]
fn runs_and_reads_results_and_counters() {
    let mut hw = FakeHw::new();
    hw.set(0x20_0000, 0xFFFF_FFF6);
    hw.set(0x20_0004, 7);
    hw.set(0x04C, 1234);
    hw.set(0x050, 56);
    hw.set(0x114, 1200);
    hw.set(0x2030, 11);
    hw.set(0x2034, 12);
    hw.set(0x2038, 13);
    hw.set(0x203C, 14);
    let mut eie = driver(hw);
    eie.load(&image(4)).unwrap();
    let mut out = [0; 2];
    let stats = eie.run(&[-5, 300], &mut out, 1000).unwrap();
    assert_eq!(out, [-10, 7]);
    assert_eq!(stats.cycles, 1234);
    assert_eq!(stats.bcast_stalls, 56);
    assert_eq!(&stats.layer_cycles[..], [1200]);
    assert_eq!(stats.waited_us, 2);
    let pe3 = eie.pe_counters(3).unwrap();
    assert_eq!(
        [pe3.entries, pe3.busy, pe3.starved, pe3.queue_full],
        [11, 12, 13, 14]
    );
    assert_eq!(
        eie.pe_counters(4),
        Err(Error::NoSuchPe { pe: 4, num_pes: 4 })
    );
    assert_eq!(eie.layer_cycles(0), Ok(1200));
    assert_eq!(
        eie.layer_cycles(4),
        Err(Error::NoSuchLayer {
            layer: 4,
            max_layers: 4
        })
    );
    let writes = writes(eie);
    let run = &writes[writes.iter().rposition(|w| w.0 == 0x048).unwrap() + 1..];
    assert_eq!(
        run,
        [
            (0x044, 0b110),
            (0x054, 0xFFFF_FFFF),
            (0x10_0000, 0xFFFF_FFFB),
            (0x10_0004, 300),
            (0x040, 1)
        ]
    );
}

#[test]
fn checks_vector_lengths() {
    let mut eie = driver(FakeHw::new());
    eie.load(&image(4)).unwrap();
    let mut out = [0; 2];
    assert_eq!(
        eie.run(&[1, 2, 3], &mut out, 100),
        Err(Error::InputLength {
            expected: 2,
            found: 3
        })
    );
    assert_eq!(
        eie.run(&[1, 2], &mut out[..1], 100),
        Err(Error::OutputLength {
            expected: 2,
            found: 1
        })
    );
}

#[test]
fn a_program_that_never_ends_times_out_and_is_aborted() {
    let mut hw = FakeHw::new();
    hw.finish_after = None;
    let mut eie = driver(hw);
    eie.set_poll_interval_us(7);
    eie.load(&image(4)).unwrap();
    let mut out = [0; 2];
    assert_eq!(
        eie.run(&[1, 2], &mut out, 50),
        Err(Error::Timeout { us: 50 })
    );
    let (hw, delay) = eie.release();
    assert_eq!(delay.ns, 50_000);
    assert_eq!(hw.writes.last(), Some(&(0x040, 2)));
}

#[test]
fn a_hardware_error_names_code_layer_and_place() {
    let mut hw = FakeHw::new();
    hw.end_status = 0b100 | 4 << 8 | 1 << 16;
    hw.set(0x05C, 0x0300_0012);
    let mut eie = driver(hw);
    eie.load(&image(4)).unwrap();
    let mut out = [0; 2];
    let err = eie.run(&[1, 2], &mut out, 100).unwrap_err();
    assert_eq!(
        err,
        Error::Hardware {
            code: ErrorCode::PtrBackwards,
            layer: 1,
            pe: 3,
            column: 0x12
        }
    );
    assert!(std::format!("{err}").contains("PTR_BACKWARDS in layer 1 (PE 3, column 18)"));
}

#[test]
fn counted_axi_errors_fail_the_run() {
    let mut hw = FakeHw::new();
    hw.refused = 0x10_0000..0x20_0000;
    let mut eie = driver(hw);
    eie.load(&image(4)).unwrap();
    let mut out = [0; 2];
    assert_eq!(
        eie.run(&[1, 2], &mut out, 100),
        Err(Error::AxiErrors {
            count: 2,
            addr: 0x10_0004
        })
    );
}

#[test]
fn bus_errors_pass_through() {
    let mut hw = FakeHw::new();
    hw.broken = Some(0x40_1004);
    let mut eie = driver(hw);
    assert_eq!(eie.load(&image(4)), Err(Error::Bus(BusFault(0x40_1004))));
    let mut out = [0; 2];
    assert_eq!(eie.run(&[1, 2], &mut out, 100), Err(Error::NoModel));
    let mut hw = FakeHw::new();
    hw.broken = Some(0x008);
    assert_eq!(
        Eie::new(hw, FakeDelay::default()).err(),
        Some(Error::Bus(BusFault(0x008)))
    );
}

#[test]
fn refuses_to_load_or_run_while_busy() {
    let mut hw = FakeHw::new();
    hw.status = 1;
    hw.finish_after = None;
    let mut eie = driver(hw);
    assert_eq!(eie.load(&image(4)), Err(Error::Busy));
    assert_eq!(writes(eie), []);
}

/// The protocol server's link in a unit test: bytes to read from a script, bytes written kept.
struct Script {
    input: Vec<u8>,
    pos: usize,
    output: Vec<u8>,
}

impl embedded_io::ErrorType for Script {
    type Error = core::convert::Infallible;
}

impl embedded_io::Read for Script {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let n = buf.len().min(self.input.len() - self.pos);
        buf[..n].copy_from_slice(&self.input[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl embedded_io::Write for Script {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

fn frame(seq: u16, request: &eie_memmap::protocol::Request<'_>) -> Vec<u8> {
    let mut buf = vec![0u8; eie_memmap::protocol::MAX_FRAME_LEN];
    eie_memmap::protocol::encode(seq, request, &mut buf)
        .unwrap()
        .to_vec()
}

/// Every frame the server wrote, decoded, as `(seq, Debug text)`.
fn answers(output: &mut [u8]) -> Vec<(u16, std::string::String)> {
    output
        .split_mut(|&b| b == 0)
        .filter(|f| !f.is_empty())
        .map(|f| {
            let (seq, r) =
                eie_memmap::protocol::decode_in_place::<eie_memmap::protocol::Response<'_>>(f)
                    .unwrap();
            (seq, std::format!("{r:?}"))
        })
        .collect()
}

#[test]
fn the_server_needs_room_for_its_buffers() {
    use crate::server::{Ident, Server, BUFFER_BYTES};
    let mut small = vec![0u8; BUFFER_BYTES - 1];
    let result = Server::new(
        FakeHw::new(),
        FakeDelay::default(),
        &mut small,
        Ident::new(0, 0),
    );
    assert!(matches!(
        result.err(),
        Some(Error::StagingTooSmall { len, needed }) if len as usize == BUFFER_BYTES - 1
            && needed as usize == BUFFER_BYTES
    ));
}

#[test]
fn the_server_answers_requests_and_corrupt_frames() {
    use crate::server::{Ident, LinkError, Server, BUFFER_BYTES};
    use eie_memmap::protocol::Request;
    let img = image(4);
    let mut staging = vec![0u8; BUFFER_BYTES + 1000];
    let mut server = Server::new(
        FakeHw::new(),
        FakeDelay::default(),
        &mut staging,
        Ident::new(0, 0),
    )
    .unwrap();
    let mut corrupt = frame(2, &Request::Status);
    corrupt[1] ^= 0x04;
    let mut input = std::vec![0u8];
    for f in [
        frame(1, &Request::Identify),
        corrupt,
        frame(3, &Request::Status),
        frame(
            4,
            &Request::LoadBegin {
                image_len: 1001,
                crc32: None,
            },
        ),
        frame(
            5,
            &Request::LoadBegin {
                image_len: img.len() as u32,
                crc32: None,
            },
        ),
        frame(
            6,
            &Request::LoadChunk {
                offset: 0,
                data: &img,
            },
        ),
        frame(7, &Request::Commit),
    ] {
        input.extend_from_slice(&f);
    }
    let mut link = Script {
        input,
        pos: 0,
        output: Vec::new(),
    };
    for _ in 0..7 {
        server.poll(&mut link).unwrap();
    }
    assert_eq!(server.poll(&mut link), Err(LinkError::Closed));
    let got = answers(&mut link.output);
    let seqs: Vec<u16> = got.iter().map(|(s, _)| *s).collect();
    assert_eq!(seqs, [1, 0, 3, 4, 5, 6, 7]);
    assert!(
        got[0].1.starts_with("Identity(") && got[0].1.contains("num_pes: 4"),
        "{}",
        got[0].1
    );
    assert_eq!(got[1].1, "Error(BadFrame)");
    assert!(
        got[2].1.contains("model: None") && got[2].1.contains("bad_frames: 1"),
        "{}",
        got[2].1
    );
    assert_eq!(
        got[3].1,
        "Error(ImageTooLarge { len: 1001, capacity: 1000 })"
    );
    assert_eq!(
        got[5].1,
        std::format!("Progress {{ received: {} }}", img.len())
    );
    assert!(got[6].1.starts_with("Committed("), "{}", got[6].1);
    assert!(matches!(
        server.model(),
        eie_memmap::protocol::ModelState::Active(_)
    ));
}
