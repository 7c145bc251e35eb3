//! The config/profile resolver: any bytes as `~/.aws/config` and `~/.aws/credentials` (split
//! at the first NUL byte) load to a config or a `config_unreadable` error; then every profile
//! name the files mention resolves to a plan or a coded error. Never a panic.
#![no_main]

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use aws_types::os_shim_internal::{Env, Fs};
use libfuzzer_sys::fuzz_target;
use roleport::config::AwsConfig;
use roleport_protocol::ErrorCode;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime")
    })
}

/// The profile names a file's section headers mention, as the resolver might be asked them.
fn mentioned(text: &[u8], names: &mut BTreeSet<String>) {
    for line in String::from_utf8_lossy(text).lines() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            let header = header.trim();
            names.insert(header.to_owned());
            if let Some(name) = header.strip_prefix("profile") {
                names.insert(name.trim().to_owned());
            }
        } else if let Some((key, value)) = line.split_once('=') {
            if key.trim() == "source_profile" {
                names.insert(value.trim().to_owned());
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (config, credentials) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let fs = Fs::from_map(HashMap::from([
        ("/cfg".to_owned(), config.to_vec()),
        ("/creds".to_owned(), credentials.to_vec()),
    ]));
    let env = Env::from_slice(&[
        ("AWS_CONFIG_FILE", "/cfg"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/creds"),
        ("HOME", "/home/u"),
    ]);
    let aws = match runtime().block_on(AwsConfig::load_with(&fs, &env)) {
        Ok(aws) => aws,
        Err(e) => {
            assert_eq!(e.code(), ErrorCode::ConfigUnreadable, "{e}");
            return;
        }
    };
    let mut names: BTreeSet<String> = aws.summaries().into_iter().map(|s| s.name).collect();
    names.insert("default".to_owned());
    mentioned(config, &mut names);
    mentioned(credentials, &mut names);
    for name in &names {
        match aws.plan(name) {
            Ok(plan) => assert_eq!(&plan.profile, name),
            Err(e) => {
                let error = e.to_protocol();
                assert!(!error.message.is_empty(), "{:?}", error.code);
            }
        }
    }
});
