//! `eie flash`: loads the SoC bitstream (with the firmware in its ROM) onto a board with
//! openFPGALoader, into the FPGA's configuration SRAM (lost at power-off) or, with `--flash`,
//! into the board's SPI flash (loaded at every power-up).

use super::Failure;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Boards `eie flash` knows: name, openFPGALoader's name for it, the build folder under
/// `.cache/soc/` and the bitstream in it (`./x soc firmware <build>` writes it).
const BOARDS: &[(&str, &str, &str, &str)] = &[("ulx3s", "ulx3s", "ulx3s", "eie-soc.bit")];

/// Load the SoC bitstream onto a board (openFPGALoader).
#[derive(clap::Args)]
pub struct Args {
    /// The board.
    #[arg(long, default_value = "ulx3s")]
    board: String,
    /// Write the board's SPI flash (kept over power cycles) instead of the FPGA's SRAM.
    #[arg(long)]
    flash: bool,
    /// The bitstream (default: `.cache/soc/<board>/eie-soc.bit`, from `./x soc firmware <board>`).
    #[arg(long)]
    bitstream: Option<PathBuf>,
    /// openFPGALoader's cable, when the board's own is not the one (`openFPGALoader --list-cables`).
    #[arg(long)]
    cable: Option<String>,
    /// The openFPGALoader program.
    #[arg(long, default_value = "openFPGALoader")]
    loader: PathBuf,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

impl Args {
    pub fn run(self) -> Result<(), Failure> {
        let (_, loader_board, build, bit) = BOARDS
            .iter()
            .find(|(name, ..)| *name == self.board)
            .ok_or_else(|| {
                let known: Vec<&str> = BOARDS.iter().map(|b| b.0).collect();
                Failure::new(format!(
                    "flash: unknown board {:?} (known: {})",
                    self.board,
                    known.join(", ")
                ))
            })?;
        let bitstream = self
            .bitstream
            .clone()
            .unwrap_or_else(|| workspace_root().join(".cache/soc").join(build).join(bit));
        if !bitstream.is_file() {
            return Err(Failure::new(format!(
                "flash: no bitstream at {}: build it with `./x soc {build}` and `./x soc firmware {build}`",
                bitstream.display()
            )));
        }
        let mut cmd = Command::new(&self.loader);
        match &self.cable {
            Some(cable) => cmd.args(["--cable", cable]),
            None => cmd.args(["--board", loader_board]),
        };
        if self.flash {
            cmd.arg("--write-flash");
        }
        cmd.arg(&bitstream);
        let output = cmd.output().map_err(|e| {
            Failure::new(if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "flash: {} not found: install it (`apt-get install openfpgaloader`, or `./x setup`)",
                    self.loader.display()
                )
            } else {
                format!("flash: cannot run {}: {e}", self.loader.display())
            })
        })?;
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        if !output.status.success() {
            let last = said
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("no output");
            let no_board = [
                "ftdi",
                "cable",
                "no device",
                "not found",
                "unable to open",
                "usb",
            ]
            .iter()
            .any(|k| said.to_ascii_lowercase().contains(k));
            let hint = if no_board {
                format!(
                    "no {} found: is it plugged in over USB, and may this user open its FT231X? ",
                    self.board
                )
            } else {
                String::new()
            };
            return Err(Failure::new(format!(
                "flash: {}{} failed ({}): {last}",
                hint,
                self.loader.display(),
                output.status
            )));
        }
        let target = if self.flash {
            "SPI flash"
        } else {
            "FPGA (SRAM)"
        };
        println!(
            "flashed {} to the {} {target}",
            bitstream.display(),
            self.board
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(board: &str, bitstream: Option<PathBuf>, loader: &str) -> Args {
        Args {
            board: board.to_string(),
            flash: false,
            bitstream,
            cable: None,
            loader: PathBuf::from(loader),
        }
    }

    fn message(r: Result<(), Failure>) -> String {
        r.expect_err("the command fails").to_string()
    }

    #[test]
    fn refuses_an_unknown_board_and_a_missing_bitstream() {
        let m = message(args("de10", None, "openFPGALoader").run());
        assert!(
            m.contains("unknown board \"de10\"") && m.contains("ulx3s"),
            "{m}"
        );
        let m = message(
            args(
                "ulx3s",
                Some("/nonexistent/eie-soc.bit".into()),
                "openFPGALoader",
            )
            .run(),
        );
        assert!(
            m.contains("no bitstream at /nonexistent/eie-soc.bit"),
            "{m}"
        );
    }

    #[test]
    fn reports_a_missing_loader_and_a_loader_that_finds_no_board() {
        let dir = std::env::temp_dir().join(format!("eie-flash-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bit = dir.join("eie-soc.bit");
        std::fs::write(&bit, b"not a real bitstream").unwrap();

        let m = message(args("ulx3s", Some(bit.clone()), "/nonexistent/openFPGALoader").run());
        assert!(m.contains("/nonexistent/openFPGALoader not found"), "{m}");

        // A loader that fails the way openFPGALoader does without a board.
        let fake = dir.join("fake-loader");
        std::fs::write(
            &fake,
            "#!/bin/sh\necho 'unable to open ftdi device: -3 (device not found)' >&2\nexit 1\n",
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
            let m = message(args("ulx3s", Some(bit.clone()), fake.to_str().unwrap()).run());
            assert!(
                m.contains("no ulx3s found") && m.contains("device not found"),
                "{m}"
            );

            // A loader that works is given the board, the flash option and the bitstream.
            let seen = dir.join("args");
            let ok = dir.join("ok-loader");
            std::fs::write(
                &ok,
                format!("#!/bin/sh\necho \"$@\" > {}\n", seen.display()),
            )
            .unwrap();
            std::fs::set_permissions(&ok, std::fs::Permissions::from_mode(0o755)).unwrap();
            let mut a = args("ulx3s", Some(bit.clone()), ok.to_str().unwrap());
            a.flash = true;
            a.run().expect("the loader succeeds");
            let line = std::fs::read_to_string(&seen).unwrap();
            assert_eq!(
                line.trim(),
                format!("--board ulx3s --write-flash {}", bit.display())
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
