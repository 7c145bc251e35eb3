//! The `roleport` binary: CLI for people, native-messaging host for browsers.

fn main() -> std::process::ExitCode {
    roleport::cli::main()
}
