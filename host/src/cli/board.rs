//! `eie board info`: what the firmware on the simulated SoC or a board reports about itself
//! (Identify) and its state (Status).

use super::run::SocArgs;
use super::{emit, json, print_firmware_logs, Failure};
use eie::link::BoardIdentity;
use eie::target::{RemoteTarget, TargetSpec};
use eie_memmap::protocol::{ModelState, Status};
use serde::Serialize;

/// Talk to the firmware on a board or the simulated SoC.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Firmware version, hardware geometry, capacities and the model state.
    Info(InfoArgs),
}

#[derive(clap::Args)]
struct InfoArgs {
    /// The firmware to ask: `soc-sim`, `serial:<port>[@baud]` or `tcp:<host>:<port>`.
    #[arg(long, default_value = "soc-sim")]
    target: TargetSpec,
    #[command(flatten)]
    soc: SocArgs,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Info<'a> {
    target: String,
    identity: &'a BoardIdentity,
    model: Option<ModelJson>,
    model_lost: bool,
    upload: Option<(u32, u32)>,
    requests: u32,
    bad_frames: u32,
    accel_status: Option<u32>,
    axi_errors: Option<u32>,
}

#[derive(Serialize)]
struct ModelJson {
    image_len: u32,
    image_crc: u32,
    input_len: u32,
    output_len: u32,
    num_layers: u32,
}

impl Args {
    /// Runs the command.
    pub fn run(self) -> Result<(), Failure> {
        match self.command {
            Command::Info(args) => args.run(),
        }
    }
}

impl InfoArgs {
    fn run(self) -> Result<(), Failure> {
        if self.target == TargetSpec::Sim {
            return Err(Failure::new(
                "board info: the sim target runs no firmware (use soc-sim, serial:<port> or tcp:<addr>)",
            ));
        }
        let mut target = RemoteTarget::connect(&self.target, &self.soc.options())?;
        let status: Status = target.status()?;
        print_firmware_logs(&mut target);
        let model = match status.model {
            ModelState::Active(m) => Some(ModelJson {
                image_len: m.image_len,
                image_crc: m.image_crc,
                input_len: m.input_len,
                output_len: m.output_len,
                num_layers: m.num_layers,
            }),
            ModelState::None | ModelState::Lost => None,
        };
        let info = Info {
            target: self.target.to_string(),
            identity: target.identity(),
            model,
            model_lost: status.model == ModelState::Lost,
            upload: status.upload,
            requests: status.requests,
            bad_frames: status.bad_frames,
            accel_status: status.accel_status,
            axi_errors: status.axi_errors,
        };
        if self.json {
            return emit(&json(&info)?);
        }
        emit(&render(&info))
    }
}

fn render(i: &Info<'_>) -> String {
    use std::fmt::Write;
    let id = i.identity;
    let g = &id.geometry;
    let mut s = String::new();
    let _ = writeln!(s, "target {}", i.target);
    let _ = writeln!(
        s,
        "firmware {} (protocol {}), accelerator VERSION {:#010x}",
        id.firmware, id.protocol, id.hw_version
    );
    let _ = writeln!(
        s,
        "geometry: {} PEs, queue depth {}, {} sparse-matrix words, {} pointers, {} activations per PE, {} layers",
        g.num_pes, g.queue_depth, g.spmat_words, g.ptr_entries, g.act_entries, g.max_layers
    );
    let _ = writeln!(
        s,
        "capacity: staging {} bytes, frame {} bytes, upload piece {} bytes, vectors of {} values",
        id.staging, id.max_frame, id.max_chunk, id.max_vector
    );
    let hz = |v: u32| match v {
        0 => "unknown".to_string(),
        v => format!("{:.1} MHz", f64::from(v) / 1e6),
    };
    let _ = writeln!(
        s,
        "clocks: firmware timer {}, accelerator {}",
        hz(id.timer_hz),
        hz(id.accel_hz)
    );
    match (&i.model, i.model_lost) {
        (Some(m), _) => {
            let _ = writeln!(
                s,
                "model: {} layers, {} -> {}, image {} bytes (CRC-32 {:#010x})",
                m.num_layers, m.input_len, m.output_len, m.image_len, m.image_crc
            );
        }
        (None, true) => {
            let _ = writeln!(s, "model: none (the last load failed while writing)");
        }
        (None, false) => {
            let _ = writeln!(s, "model: none");
        }
    }
    if let Some((received, len)) = i.upload {
        let _ = writeln!(s, "upload in progress: {received} of {len} bytes");
    }
    let opt = |v: Option<u32>| v.map_or("unreadable".to_string(), |v| format!("{v:#x}"));
    let _ = writeln!(
        s,
        "requests {}, bad frames {}, STATUS {}, AXI_ERR {}",
        i.requests,
        i.bad_frames,
        opt(i.accel_status),
        opt(i.axi_errors)
    );
    s
}
