//! Criterion micro-benchmarks of the host's hot pure paths (issue 8, item 8):
//!
//! - profile resolution over 5,000 generated profiles: parsing both AWS files
//!   (`AwsConfig::load_with`), the popup's `summaries()`, and `plan()` of every profile;
//! - sign-in URL planning: `federation::plan_signin` (partition, region, hosts, destination
//!   checks) for the console home, a `--service` shortcut and an explicit destination, and
//!   `federation::destination` alone (the login URL itself is built inside the async
//!   `signin_url`, after the network call, so it is not benchmarked on its own);
//! - the frame codec: `encode_message` / `decode_message_opt` of realistic requests and replies.
//!
//! `cargo xtask bench` runs these and folds the figures into bench/results.md.

use std::hint::black_box;

use aws_types::os_shim_internal::{Env, Fs};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use native_messaging::host::{decode_message_opt, encode_message};
use roleport::config::AwsConfig;
use roleport::federation::{self, Endpoints};
use roleport_protocol::{
    Appearance, Envelope, HelloOk, OpenConsole, OpenConsoleOk, ProfileKind, ProfileList,
    ProfileSummary, Reply, Request, Response, MAX_FRAME_FROM_BROWSER, PROTOCOL_VERSION,
};

const PROFILES: usize = 5_000;
const COLORS: &[&str] = &["blue", "red", "green", "yellow", "orange", "purple"];
const REGIONS: &[&str] = &["eu-west-1", "us-east-1", "us-west-2", "ap-southeast-2"];

/// A config file of `PROFILES` profiles shaped like a large organisation's: mostly roles
/// assumed from one set of keys, some role chains, some `credential_process` and SSO profiles.
fn generated_config() -> (String, String) {
    let mut config =
        String::from("[default]\nregion = us-east-1\n\n[profile base]\nregion = eu-west-1\n\n");
    config.push_str("[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n\n");
    for i in 0..PROFILES {
        let account = 100_000_000_000_u64 + i as u64 * 7;
        let region = REGIONS[i % REGIONS.len()];
        match i % 10 {
            // Role chains: a role assumed from the previous role profile.
            7 => config.push_str(&format!(
                "[profile acct-{i:04}]\nrole_arn = arn:aws:iam::{account}:role/Chained\nsource_profile = acct-{prev:04}\nregion = {region}\n\n",
                prev = i - 1
            )),
            8 => config.push_str(&format!(
                "[profile acct-{i:04}]\ncredential_process = /usr/local/bin/get-creds --account {account}\nregion = {region}\n\n"
            )),
            9 => config.push_str(&format!(
                "[profile acct-{i:04}]\nsso_session = corp\nsso_account_id = {account}\nsso_role_name = Developer\nregion = {region}\n\n"
            )),
            _ => config.push_str(&format!(
                "[profile acct-{i:04}]\nrole_arn = arn:aws:iam::{account}:role/Admin\nsource_profile = base\nregion = {region}\nroleport_color = {color}\nexternal_id = ext-{i}\n\n",
                color = COLORS[i % COLORS.len()]
            )),
        }
    }
    let credentials = "[base]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n".to_owned();
    (config, credentials)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime")
}

fn load(rt: &tokio::runtime::Runtime, fs: &Fs, env: &Env) -> AwsConfig {
    rt.block_on(AwsConfig::load_with(fs, env))
        .expect("the generated config parses")
}

fn profile_resolution(c: &mut Criterion) {
    let (config, credentials) = generated_config();
    let fs = Fs::from_slice(&[("/cfg", &config), ("/creds", &credentials)]);
    let env = Env::from_slice(&[
        ("AWS_CONFIG_FILE", "/cfg"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/creds"),
        ("HOME", "/home/bench"),
    ]);
    let rt = runtime();
    let loaded = load(&rt, &fs, &env);
    let names: Vec<String> = (0..PROFILES).map(|i| format!("acct-{i:04}")).collect();
    assert_eq!(
        loaded.summaries().len(),
        PROFILES + 1,
        "every profile but the settings-only ones"
    );

    let mut group = c.benchmark_group("profiles_5000");
    group.bench_function("load", |b| b.iter(|| load(&rt, black_box(&fs), &env)));
    group.bench_function("summaries", |b| b.iter(|| black_box(&loaded).summaries()));
    group.bench_function("plan_all", |b| {
        b.iter(|| {
            for name in &names {
                black_box(loaded.plan(name).expect("every generated profile resolves"));
            }
        })
    });
    group.bench_function("plan_one_chained", |b| {
        b.iter(|| loaded.plan(black_box("acct-4997")).expect("resolves"))
    });
    group.finish();
}

fn signin_urls(c: &mut Criterion) {
    let endpoints = Endpoints::default();
    let open = |service: Option<&str>, destination: Option<&str>| OpenConsole {
        profile: "acct-0001".into(),
        service: service.map(str::to_owned),
        destination: destination.map(str::to_owned),
        ..OpenConsole::default()
    };
    let home = open(None, None);
    let service = open(Some("ec2"), None);
    let dest = open(
        None,
        Some(
            "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards",
        ),
    );
    let mut group = c.benchmark_group("signin_url");
    for (name, request) in [
        ("plan_home", &home),
        ("plan_service", &service),
        ("plan_destination", &dest),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                federation::plan_signin(
                    &endpoints,
                    Some("aws"),
                    Some("eu-west-1"),
                    black_box(request),
                )
                .expect("allowed")
            })
        });
    }
    let target = endpoints
        .target(Some("aws"), Some("eu-west-1"), None)
        .expect("a target");
    group.bench_function("destination_path", |b| {
        b.iter(|| {
            federation::destination(
                &target.urls,
                "eu-west-1",
                black_box(Some("/s3/buckets?region=eu-west-1")),
            )
            .expect("inside the console")
        })
    });
    group.finish();
}

fn summary(i: usize) -> ProfileSummary {
    ProfileSummary {
        name: format!("acct-{i:04}"),
        kind: ProfileKind::AssumeRole,
        account_id: Some(format!("{}", 100_000_000_000_u64 + i as u64)),
        role: Some("Admin".into()),
        region: Some("eu-west-1".into()),
        account_name: None,
        discovered: false,
        tags: Vec::new(),
        appearance: Appearance::default_for(&format!("acct-{i:04}")),
    }
}

fn frame_codec(c: &mut Criterion) {
    let open = Envelope::new(
        42,
        Request::OpenConsole(OpenConsole {
            profile: "acct-0001".into(),
            service: Some("ec2".into()),
            ..OpenConsole::default()
        }),
    );
    let hello = Reply::ok(
        1,
        Response::Hello(HelloOk {
            host_version: "0.1.0".into(),
            protocol: PROTOCOL_VERSION,
            capabilities: Request::TYPES.iter().map(|t| (*t).to_owned()).collect(),
        }),
    );
    // A sign-in URL as long as a real one: the token is ~1 KB of URL-safe text.
    let token = "x".repeat(1_100);
    let console = Reply::ok(
        42,
        Response::OpenConsole(OpenConsoleOk {
            profile: "acct-0001".into(),
            url: format!(
                "https://eu-west-1.signin.aws.amazon.com/federation?Action=login&Issuer=roleport&Destination=https%3A%2F%2Feu-west-1.console.aws.amazon.com%2Fec2%2Fhome%3Fregion%3Deu-west-1&SigninToken={token}"
            ),
            account_id: Some("111111111111".into()),
            role: Some("Admin".into()),
            expires_at: Some("2026-11-29T20:00:00Z".into()),
            notices: Vec::new(),
            region: None,
            logout_url: None,
            appearance: Appearance::default_for("acct-0001"),
        }),
    );
    let list_1000 = Reply::ok(
        2,
        Response::ListProfiles(roleport_protocol::ProfilePage::whole(ProfileList {
            profiles: (0..1_000).map(summary).collect(),
            settings_error: None,
        })),
    );
    let max_out = roleport_protocol::MAX_FRAME_TO_BROWSER;

    let mut group = c.benchmark_group("frame_codec");
    group.bench_function("encode_hello_reply", |b| {
        b.iter(|| encode_message(black_box(&hello)).expect("fits"))
    });
    group.bench_function("encode_open_console_reply", |b| {
        b.iter(|| encode_message(black_box(&console)).expect("fits"))
    });
    group.bench_function("encode_list_1000_reply", |b| {
        b.iter(|| {
            let frame = encode_message(black_box(&list_1000)).expect("fits");
            assert!(frame.len() <= max_out + 4);
            frame
        })
    });
    let request = encode_message(&open).expect("fits");
    group.bench_function("decode_open_console_request", |b| {
        b.iter_batched(
            || std::io::Cursor::new(request.clone()),
            |mut input| {
                let text = decode_message_opt(&mut input, MAX_FRAME_FROM_BROWSER)
                    .expect("a frame")
                    .expect("not EOF");
                serde_json::from_str::<Envelope>(&text).expect("an envelope")
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, profile_resolution, signin_urls, frame_codec);
criterion_main!(benches);
