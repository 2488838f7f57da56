use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    hutong::cli::run(hutong::cli::Cli::parse())
}
