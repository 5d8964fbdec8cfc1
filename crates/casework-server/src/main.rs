//! `casework-server`: see the [library docs](casework_server) and `casework-server --help`.
#![forbid(unsafe_code)]

use casework_server::cli::{self, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let command = match cli::parse(std::env::args().skip(1)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("casework-server: {e}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Help => {
            println!("{}", cli::USAGE);
            ExitCode::SUCCESS
        }
        Command::Version => {
            println!("casework-server {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Command::HashToken { generate } => match cli::hash_token(generate, std::io::stdin().lock())
        {
            Ok(out) => {
                print!("{out}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("casework-server hash-token: {e}");
                ExitCode::from(2)
            }
        },
        Command::Serve(options) => {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("casework-server: cannot start the runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match runtime.block_on(casework_server::run(&options)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("casework-server: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
