//! The firmware's protocol server on the host, driving the Verilated RTL, reached over a socket
//! by the host's client: the whole protocol, bit for bit against the fixed-point reference, and
//! every fault the link and the accelerator can throw at it.

use eie::link::{Client, LinkError};
use eie::model::Model;
use eie::reference::run_fixed;
use eie_memmap::protocol::{Fault, ModelState};
use eie_memmap::Geometry;
use eie_tests::link::{Corruption, Faulty, Rig, STAGING_CAPACITY};
use eie_tests::*;
use std::io::Write;
use std::time::Duration;

const G: Geometry = Geometry::SMALL;

fn two_layer_model(seed: u64) -> Model {
    let mut rng = rng(seed);
    let l1 = random_layer(&mut rng, 48, 60, 0.3, true);
    let l2 = random_layer(&mut rng, 10, 48, 0.5, true);
    model(&[l1, l2], None, G.num_pes)
}

fn inputs(seed: u64, len: usize, n: usize) -> Vec<Vec<i16>> {
    let mut rng = rng(seed);
    (0..n)
        .map(|_| random_input(&mut rng, len, 0.7, -3000..=3000))
        .collect()
}

fn upload(client: &mut Client<Faulty>, model: &Model) {
    client
        .upload(&model.to_image(), 512, &mut |_| {})
        .unwrap_or_else(|e| panic!("upload: {e}"));
}

/// Runs every input through the link and compares with the reference, bit for bit.
fn assert_link_matches_reference(
    client: &mut Client<Faulty>,
    model: &Model,
    seed: u64,
    case: &str,
) {
    for (n, x) in inputs(seed, model.header.input_len as usize, 4)
        .iter()
        .enumerate()
    {
        let expected = run_fixed(model, x).unwrap();
        let got = client
            .infer(x, 0)
            .unwrap_or_else(|e| panic!("{case}: input {n}: {e}"));
        assert_eq!(got.output, expected, "{case}: input {n}");
    }
}

fn fault_of<T: std::fmt::Debug>(r: Result<T, LinkError>) -> (Fault<'static>, String) {
    match r {
        Err(LinkError::Fault { fault, message }) => (fault, message),
        other => panic!("expected a fault, got {other:?}"),
    }
}

fn active(client: &mut Client<Faulty>) -> ModelState {
    client.status().unwrap().model
}

#[test]
fn the_whole_protocol_is_bit_exact_on_the_rtl() {
    let rig = Rig::new(G);
    let mut client = rig.connect();
    let id = client.identify().unwrap();
    assert_eq!(id.geometry, G, "geometry as the RTL reports it");
    assert_eq!(id.protocol, eie_memmap::protocol::VERSION);
    assert_eq!(id.staging as usize, STAGING_CAPACITY);
    assert_eq!(active(&mut client), ModelState::None);
    assert_eq!(
        fault_of(client.infer(&[0; 60], 0)).0,
        Fault::NoModel,
        "no model yet"
    );

    let model = two_layer_model(1);
    let image = model.to_image();
    let mut seen = vec![];
    let summary = client.upload(&image, 700, &mut |n| seen.push(n)).unwrap();
    assert_eq!(seen.last().copied(), Some(image.len() as u64));
    assert_eq!(seen.len(), image.len().div_ceil(700));
    assert_eq!(
        (summary.input_len, summary.output_len, summary.num_layers),
        (60, 10, 2)
    );
    assert_eq!(active(&mut client), ModelState::Active(summary));

    for (n, x) in inputs(2, 60, 6).iter().enumerate() {
        let expected = run_fixed(&model, x).unwrap();
        let got = client.infer(x, 0).unwrap();
        assert_eq!(got.output, expected, "input {n}");
        assert_eq!(got.layer_cycles.len(), 2);
        assert!(got.layer_cycles.iter().sum::<u32>() <= got.cycles);
        assert!(
            got.accel_ticks >= u64::from(got.cycles),
            "the run includes the accelerator's cycles"
        );
        assert!(got.firmware_ticks >= got.accel_ticks);
    }
    let counters = client.counters().unwrap();
    assert_eq!(counters.len(), G.num_pes as usize);
    // The same counters as the driver reads them straight from the RTL.
    let mut direct = eie_firmware::Eie::new(rig.sim.clone(), rig.sim.clone()).unwrap();
    for (pe, c) in counters.iter().enumerate() {
        assert_eq!(*c, direct.pe_counters(pe as u32).unwrap(), "PE {pe}");
    }
    assert!(counters.iter().map(|c| c.entries).sum::<u32>() > 0);

    client.reset().unwrap();
    assert_eq!(active(&mut client), ModelState::None);
    assert_eq!(
        fault_of(client.infer(&inputs(3, 60, 1)[0], 0)).0,
        Fault::NoModel
    );
    assert_eq!(client.retries(), 0, "a clean link needs no retries");
}

#[test]
fn flipped_bits_dropped_bytes_and_truncated_frames_are_survived() {
    let rig = Rig::new(G);
    let mut client = rig.connect();
    client.set_timeout(Duration::from_secs(2));
    client.set_attempts(4);
    let model = two_layer_model(4);
    let image = model.to_image();
    let corruptions = [
        Corruption::FlipBit { byte: 3, bit: 0 },
        Corruption::FlipBit { byte: 40, bit: 7 },
        Corruption::Drop { byte: 17 },
        Corruption::Truncate { len: 30 },
        Corruption::FlipBit { byte: 100, bit: 3 },
        Corruption::Drop { byte: 0 },
    ];
    // Each corruption hits a different request of the upload.
    client
        .load_begin(
            image.len() as u32,
            Some(eie_memmap::image::CRC32.checksum(&image)),
        )
        .unwrap();
    let mut corruptions = corruptions.iter();
    for (offset, data) in (0u32..).step_by(256).zip(image.chunks(256)) {
        if let Some(c) = corruptions.next() {
            client.stream_mut().pending.push_back(*c);
        }
        client.load_chunk(offset, data).unwrap();
    }
    client.commit().unwrap();
    let retries = client.retries();
    assert!(
        retries >= 6,
        "every corrupted request was sent again ({retries})"
    );
    for bit in 0..8 {
        client.stream_mut().pending.push_back(Corruption::FlipBit {
            byte: 9 + bit,
            bit: bit as u8,
        });
        let x = &inputs(10 + bit as u64, 60, 1)[0];
        assert_eq!(
            client.infer(x, 0).unwrap().output,
            run_fixed(&model, x).unwrap()
        );
    }
    let status = client.status().unwrap();
    assert!(
        status.bad_frames >= 10,
        "the firmware counted the bad frames: {status:?}"
    );
    assert_link_matches_reference(&mut client, &model, 20, "after the faults");
}

#[test]
fn an_oversized_frame_is_dropped_and_answered() {
    let rig = Rig::new(G);
    let mut client = rig.connect();
    client.set_timeout(Duration::from_secs(2));
    let garbage = vec![0x55u8; eie_memmap::protocol::MAX_FRAME_LEN * 2];
    client.stream_mut().stream.write_all(&garbage).unwrap();
    let id = client.identify().unwrap();
    assert_eq!(id.geometry, G);
    assert!(client.retries() >= 1);
    assert!(client.status().unwrap().bad_frames >= 1);
}

#[test]
fn a_host_leaving_mid_upload_leaves_the_model_active() {
    let rig = Rig::new(G);
    let first = two_layer_model(30);
    let second = two_layer_model(31);
    let mut a = rig.connect();
    upload(&mut a, &first);
    drop(a);

    let mut b = rig.connect();
    let image = second.to_image();
    b.load_begin(image.len() as u32, None).unwrap();
    b.load_chunk(0, &image[..512]).unwrap();
    b.load_chunk(512, &image[512..1024]).unwrap();
    // Half a frame, then the host is gone.
    b.stream_mut()
        .pending
        .push_back(Corruption::Truncate { len: 200 });
    b.set_attempts(1);
    b.set_timeout(Duration::from_millis(200));
    assert!(matches!(
        b.load_chunk(1024, &image[1024..1536]),
        Err(LinkError::Timeout { .. })
    ));
    drop(b);

    let mut c = rig.connect();
    let status = c.status().unwrap();
    assert_eq!(
        status.upload,
        Some((1024, image.len() as u32)),
        "the upload was left half done"
    );
    assert!(
        matches!(status.model, ModelState::Active(m) if m.image_len == first.to_image().len() as u32)
    );
    let (fault, message) = fault_of(c.commit());
    assert_eq!(
        fault,
        Fault::Incomplete {
            received: 1024,
            expected: image.len() as u32
        },
        "{message}"
    );
    assert_link_matches_reference(&mut c, &first, 32, "after the abandoned upload");
    upload(&mut c, &second);
    assert_link_matches_reference(&mut c, &second, 33, "after the new upload");
}

#[test]
fn uploads_out_of_order_too_large_or_unannounced_are_refused() {
    let rig = Rig::new(G);
    let mut client = rig.connect();
    assert_eq!(
        fault_of(client.load_chunk(0, &[1, 2, 3])).0,
        Fault::NoUpload
    );
    assert_eq!(fault_of(client.commit()).0, Fault::NoUpload);
    assert_eq!(
        fault_of(client.load_begin(STAGING_CAPACITY as u32 + 1, None)).0,
        Fault::ImageTooLarge {
            len: STAGING_CAPACITY as u32 + 1,
            capacity: STAGING_CAPACITY as u32
        }
    );
    let model = two_layer_model(40);
    let image = model.to_image();
    client.load_begin(image.len() as u32, None).unwrap();
    client.load_chunk(0, &image[..100]).unwrap();
    assert_eq!(
        fault_of(client.load_chunk(200, &image[200..300])).0,
        Fault::OutOfOrder {
            expected: 100,
            found: 200
        }
    );
    // A verbatim repeat (a retry whose answer was lost) is accepted; a changed one is not.
    assert_eq!(client.load_chunk(0, &image[..100]).unwrap(), 100);
    assert_eq!(
        fault_of(client.load_chunk(0, &[0; 100])).0,
        Fault::OutOfOrder {
            expected: 100,
            found: 0
        }
    );
    assert_eq!(
        fault_of(client.load_chunk(100, &image[100..])).0,
        Fault::ChunkTooLarge {
            offset: 100,
            len: image.len() as u32 - 100
        },
        "a piece longer than the protocol allows"
    );
    let tail = image.len() as u32 - 10;
    assert_eq!(
        fault_of(client.load_chunk(tail, &image[..20])).0,
        Fault::ChunkTooLarge {
            offset: tail,
            len: 20
        },
        "a piece running past the announced length"
    );
}

#[test]
fn corrupt_and_foreign_images_are_refused_and_the_old_model_stays() {
    let rig = Rig::new(G);
    let mut client = rig.connect();
    let good = two_layer_model(50);
    upload(&mut client, &good);
    let before = active(&mut client);

    // The transfer was fine (its CRC matches what was sent) but the image itself is corrupt.
    let mut corrupt = good.to_image();
    let at = corrupt.len() / 2;
    corrupt[at] ^= 0x10;
    let (fault, message) = fault_of(client.upload(&corrupt, 1024, &mut |_| {}));
    assert_eq!(fault, Fault::InvalidImage { reason: "" }, "{message}");
    assert_eq!(active(&mut client), before, "the old model is still active");
    assert_link_matches_reference(&mut client, &good, 51, "after a corrupt image");

    // The upload's own CRC catches bytes changed in transit.
    let image = good.to_image();
    client
        .load_begin(image.len() as u32, Some(0x1234_5678))
        .unwrap();
    for (offset, data) in (0u32..).step_by(1024).zip(image.chunks(1024)) {
        client.load_chunk(offset, data).unwrap();
    }
    assert!(matches!(
        fault_of(client.commit()).0,
        Fault::UploadCrc {
            expected: 0x1234_5678,
            ..
        }
    ));

    // An image encoded for another PE count.
    let mut rng = rng(52);
    let foreign = model(&[random_layer(&mut rng, 20, 10, 0.5, false)], None, 8);
    let (fault, message) = fault_of(client.upload(&foreign.to_image(), 1024, &mut |_| {}));
    assert_eq!(
        fault,
        Fault::Geometry {
            field: "",
            image: 8,
            hardware: 4
        }
    );
    assert!(
        message.contains("encoded for 8 PEs, hardware has 4"),
        "{message}"
    );
    assert_eq!(active(&mut client), before);
    assert_link_matches_reference(&mut client, &good, 53, "after a foreign image");

    // Wrong input lengths.
    assert_eq!(
        fault_of(client.infer(&[1; 59], 0)).0,
        Fault::InputLength {
            expected: 60,
            found: 59
        }
    );
}

#[test]
fn a_hung_or_unplugged_accelerator_times_out_cleanly_and_recovers() {
    let rig = Rig::new(G);
    let mut client = rig.connect();
    let mut rng = rng(60);
    let big = model(&[random_layer(&mut rng, 40, 900, 0.5, true)], None, 4);
    upload(&mut client, &big);
    let x = random_input(&mut rng, 900, 1.0, 1..=100);
    let (fault, message) = fault_of(client.infer(&x, 2));
    assert!(matches!(fault, Fault::Timeout { us: 2 }), "{message}");
    assert_eq!(
        client.infer(&x, 0).unwrap().output,
        run_fixed(&big, &x).unwrap()
    );

    rig.unplug(true);
    let (fault, message) = fault_of(client.infer(&x, 0));
    assert_eq!(fault, Fault::Bus { reason: "" });
    assert!(message.contains("Unplugged"), "{message}");
    let status = client.status().unwrap();
    assert_eq!(status.accel_status, None, "STATUS cannot be read");
    assert_eq!(
        client.identify().unwrap().geometry,
        G,
        "the firmware still answers"
    );
    rig.unplug(false);
    assert_eq!(
        client.infer(&x, 0).unwrap().output,
        run_fixed(&big, &x).unwrap()
    );
}

#[test]
fn a_load_failing_midway_leaves_no_model_active() {
    let rig = Rig::new(G);
    let mut client = rig.connect();
    let first = two_layer_model(70);
    upload(&mut client, &first);
    let second = two_layer_model(71);
    let image = second.to_image();
    client.load_begin(image.len() as u32, None).unwrap();
    for (offset, data) in (0u32..).step_by(1024).zip(image.chunks(1024)) {
        client.load_chunk(offset, data).unwrap();
    }
    rig.unplug_after(200);
    let (fault, message) = fault_of(client.commit());
    assert_eq!(fault, Fault::LoadFailed { reason: "" }, "{message}");
    rig.unplug(false);
    assert_eq!(
        active(&mut client),
        ModelState::Lost,
        "half-written: no model"
    );
    assert_eq!(fault_of(client.infer(&[0; 60], 0)).0, Fault::NoModel);
    upload(&mut client, &second);
    assert_link_matches_reference(&mut client, &second, 72, "after reloading");
}

#[test]
fn error_responses_the_cpu_ignores_are_reported_from_axi_err() {
    let rig = Rig::new(G);
    let mut client = rig.connect();
    let model = two_layer_model(80);
    upload(&mut client, &model);
    rig.start_behind_the_drivers_back();
    let (fault, message) = fault_of(client.infer(&inputs(81, 60, 1)[0], 0));
    match fault {
        Fault::AxiErrors { count, .. } => assert!(count > 0, "{message}"),
        other => panic!("expected AXI errors, got {other:?}: {message}"),
    }
    assert_link_matches_reference(&mut client, &model, 82, "after the AXI errors");
}

#[test]
fn a_panic_report_reaches_the_host() {
    let (host, firmware) = std::os::unix::net::UnixStream::pair().unwrap();
    host.set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let reporter = std::thread::spawn(move || {
        let mut link = embedded_io_adapters::std::FromStd::new(firmware);
        let mut byte = [0u8; 1];
        let _ = embedded_io::Read::read(&mut link, &mut byte);
        eie_firmware::server::report_panic(&mut link, &"panicked at src/main.rs:3:5:\nboom");
        link
    });
    let mut client = Client::new(host);
    client.set_timeout(Duration::from_secs(5));
    match client.identify() {
        Err(LinkError::Panic(message)) => assert!(message.ends_with("boom"), "{message}"),
        other => panic!("expected the panic report, got {other:?}"),
    }
    drop(reporter.join());
}

#[test]
fn a_serial_port_reaches_the_server() {
    use eie::target::{RemoteTarget, SocSimOptions, TargetSpec};
    use serialport::SerialPort;
    let rig = Rig::new(G);
    let (mut firmware_end, host_end) = serialport::TTYPort::pair().expect("a pseudo-terminal pair");
    // The server blocks on its reads, as on a UART.
    firmware_end.set_timeout(Duration::from_secs(3600)).unwrap();
    rig.attach(Box::new(firmware_end));
    let port = host_end.name().expect("the pty has a name");
    let spec: TargetSpec = format!("serial:{port}@115200").parse().unwrap();
    let mut target = RemoteTarget::connect(&spec, &SocSimOptions::default())
        .unwrap_or_else(|e| panic!("{spec}: {e}"));
    assert_eq!(*target.geometry(), G);
    let model = two_layer_model(90);
    let mut progress = 0;
    target
        .load(&model.to_image(), &mut |n| progress = n)
        .unwrap();
    assert_eq!(progress, model.to_image().len() as u64);
    for (n, x) in inputs(91, 60, 3).iter().enumerate() {
        let (got, latency) = target.infer(x).unwrap();
        assert_eq!(got.output, run_fixed(&model, x).unwrap(), "input {n}");
        assert_eq!(
            latency.accelerator,
            u64::from(got.stats.cycles),
            "same clock in the rig"
        );
    }
    assert_eq!(target.pe_counters().unwrap().len(), G.num_pes as usize);
    drop(host_end);
}
