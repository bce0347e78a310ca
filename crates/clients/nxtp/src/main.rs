//! `nxtp`: the one binary of the project. See `nxtp --help`.

mod cli;
mod demo;
mod deploy;
mod devnet;
mod init;
mod user;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{}", cli::render_error(err.as_ref()));
            ExitCode::FAILURE
        }
    }
}
