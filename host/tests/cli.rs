//! The command line as a person meets it: help and shell completions.

use std::process::Command;

fn roleport(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_roleport"))
        .args(args)
        .output()
        .expect("runs")
}

#[test]
fn completions_cover_every_command_in_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = roleport(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        for command in [
            "open",
            "url",
            "exec",
            "credential-process",
            "explain",
            "audit",
            "doctor",
            "add",
        ] {
            assert!(
                script.contains(command),
                "{shell} completion lacks `{command}`"
            );
        }
    }
}

#[test]
fn an_unknown_shell_is_refused_with_the_choices() {
    let out = roleport(&["completions", "tcsh"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bash"));
}

/// One HTTP answer carrying `date` as its `Date` header, on a port of its own.
fn clock_server(date: String) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let mut buf = [0u8; 1024];
            let _ = stream.read(&mut buf);
            let reply = format!("HTTP/1.1 403 Forbidden\r\nDate: {date}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    format!("http://{addr}/")
}

fn doctor_with_sts(endpoint: &str) -> String {
    let home = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_roleport"))
        .arg("doctor")
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_ENDPOINT_URL_STS", endpoint)
        .env("ROLEPORT_STORE", "file")
        .output()
        .expect("doctor");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn http_date(t: std::time::SystemTime) -> String {
    use aws_smithy_types::date_time::{DateTime, Format};
    DateTime::from(t).fmt(Format::HttpDate).expect("formats")
}

#[test]
fn doctor_warns_about_a_clock_aws_would_refuse() {
    let off = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    let report = doctor_with_sts(&clock_server(http_date(off)));
    let line = report
        .lines()
        .find(|l| l.contains("clock"))
        .unwrap_or_default();
    assert!(
        line.starts_with("WARN") && line.contains("off AWS's clock"),
        "{report}"
    );

    let report = doctor_with_sts(&clock_server(http_date(std::time::SystemTime::now())));
    let line = report
        .lines()
        .find(|l| l.contains("clock"))
        .unwrap_or_default();
    assert!(line.starts_with("ok"), "{report}");
}
