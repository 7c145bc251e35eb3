//! The command line as a person meets it: help and shell completions.

use std::process::Command;

fn roleport(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_roleport")).args(args).output().expect("runs")
}

#[test]
fn completions_cover_every_command_in_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = roleport(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        for command in ["open", "url", "exec", "credential-process", "explain", "audit", "doctor", "add"] {
            assert!(script.contains(command), "{shell} completion lacks `{command}`");
        }
    }
}

#[test]
fn an_unknown_shell_is_refused_with_the_choices() {
    let out = roleport(&["completions", "tcsh"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bash"));
}
