//! The `eie` command-line tool. It parses arguments, calls the `eie` library, prints, and maps
//! errors to `eie: <what>: <why>` with a non-zero exit code. Each subcommand is a module of
//! `cli/` with an `Args` struct and a `run` method, listed once in `commands!` below.

mod cli;

use clap::Parser;
use std::process::ExitCode;

/// Compress trained networks into EIE images, inspect images, and run the reference models.
#[derive(Parser)]
#[command(name = "eie", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

cli::commands! {
    /// Prune, share weights and encode a fully connected stack into an image.
    Compress(compress),
    /// Show an image's per-layer report, or one PE's arrays of one layer.
    Inspect(inspect),
    /// Run the fixed-point (bit-exact) or float reference on input vectors.
    Infer(infer),
    /// Run an image on the simulated accelerator, the simulated SoC or a board, and check it
    /// against the reference.
    Run(run),
    /// Ask the firmware on the simulated SoC or a board what it is and what it holds.
    Board(board),
    /// Train LeNet-300-100 on MNIST, compress it, run the test split on the simulated EIE.
    Demo(demo),
    /// Run the paper's nine benchmark layers on the simulated RTL beside CPU baselines.
    Bench(bench),
    /// Load the SoC bitstream (firmware included) onto a board with openFPGALoader.
    Flash(flash),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("eie: {failure}");
            ExitCode::FAILURE
        }
    }
}
