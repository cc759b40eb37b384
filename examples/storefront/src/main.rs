//! `cargo run -p storefront [-- --database-url URL]`
//!
//! Default database: the embedded SQLite file `storefront.db` in the current
//! folder. Running it again changes nothing.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut url = "sqlite:storefront.db".to_string();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--database-url" => match args.next() {
                Some(u) => url = u,
                None => {
                    eprintln!(
                        "error: --database-url needs a value, e.g. sqlite:storefront.db or postgres://user@host/db"
                    );
                    return ExitCode::from(2);
                }
            },
            "-h" | "--help" => {
                println!(
                    "usage: storefront [--database-url URL]   (default: sqlite:storefront.db)"
                );
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("error: unknown argument `{other}`; expected --database-url URL");
                return ExitCode::from(2);
            }
        }
    }
    match storefront::app::run(&url).await {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
