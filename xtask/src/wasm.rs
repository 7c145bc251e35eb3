//! The extension's wasm: compile (rustup's wasm32 std if present, else Debian's rustc-web
//! with `-Zbuild-std`), then `wasm-bindgen --target web`, then `wasm-opt -Oz`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::deps::WASM_BINDGEN_VERSION;
use crate::sh;

const TARGET: &str = "wasm32-unknown-unknown";
const PROFILE: &str = "wasm-release";
const CRATE: &str = "roleport-extension";
/// The base name of wasm-bindgen's output: `roleport.js` + `roleport_bg.wasm`.
pub const OUT_NAME: &str = "roleport";

/// binaryen 132 from tests/node_modules: Debian's binaryen 108 cannot read wasm-bindgen
/// 0.2.130 output. The features are the ones wasm-bindgen's output uses.
const WASM_OPT_FLAGS: &[&str] = &[
    "-Oz",
    "--enable-reference-types",
    "--enable-bulk-memory",
    "--enable-multivalue",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
];

/// What the wasm steps produced, with the sizes along the way.
pub struct Wasm {
    /// wasm-bindgen's JS glue.
    pub glue: PathBuf,
    /// The optimised module.
    pub module: PathBuf,
    /// Bytes of the cargo output, after wasm-bindgen, after wasm-opt.
    pub sizes: [u64; 3],
}

/// Builds the extension's wasm into `target/wasm/`.
pub fn build() -> Result<Wasm> {
    let out = sh::target_dir().join("wasm");
    let raw = compile(&out)?;
    let bindgen_dir = out.join("bindgen");
    bindgen(&raw, &bindgen_dir)?;
    let bound = bindgen_dir.join(format!("{OUT_NAME}_bg.wasm"));
    let module = out.join(format!("{OUT_NAME}_bg.opt.wasm"));
    optimise(&bound, &module)?;
    Ok(Wasm {
        glue: bindgen_dir.join(format!("{OUT_NAME}.js")),
        sizes: [len(&raw)?, len(&bound)?, len(&module)?],
        module,
    })
}

fn compile(out: &Path) -> Result<PathBuf> {
    let debian = !rustup_has_wasm_std();
    let mut cmd = if debian {
        println!(
            "building: extension wasm with Debian's rustc-web and -Zbuild-std \
             (no {TARGET} std installed for `rustc`)"
        );
        debian_cargo()?
    } else {
        println!("building: extension wasm with the installed {TARGET} std (rustup target)");
        Command::new(sh::cargo())
    };
    cmd.current_dir(sh::root())
        .args([
            "build",
            "-p",
            CRATE,
            "--profile",
            PROFILE,
            "--target",
            TARGET,
            "--target-dir",
        ])
        .arg(out);
    if debian {
        cmd.arg("-Zbuild-std=std,panic_abort");
    }
    sh::run(&mut cmd)?;
    let raw = out
        .join(TARGET)
        .join(PROFILE)
        .join("roleport_extension.wasm");
    if !raw.is_file() {
        bail!("cargo finished but {} is missing", raw.display());
    }
    Ok(raw)
}

/// True when `rustc` has a std for wasm32 (a developer who ran `rustup target add`).
fn rustup_has_wasm_std() -> bool {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let Some(libdir) =
        sh::probe(Command::new(rustc).args(["--print", "target-libdir", "--target", TARGET]))
    else {
        return false;
    };
    std::fs::read_dir(libdir.trim()).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with("libstd-") && name.ends_with(".rlib")
        })
    })
}

/// Debian's cargo and rustc 1.96 ("web"), building std from rust-web-src.
fn debian_cargo() -> Result<Command> {
    for tool in ["/usr/bin/cargo", "/usr/bin/rustc", "/usr/bin/rust-lld"] {
        if !Path::new(tool).is_file() {
            bail!("{tool} is missing: run `cargo xtask deps` (it installs rustc-web, cargo-web, rust-web-src, lld-22)");
        }
    }
    let mut cmd = Command::new("/usr/bin/cargo");
    cmd.env("RUSTC", "/usr/bin/rustc")
        .env("RUSTC_BOOTSTRAP", "1")
        .env("RUSTFLAGS", "-C linker=rust-lld");
    // What rustup and the outer cargo set would point the inner build at their toolchain.
    for var in [
        "RUSTUP_TOOLCHAIN",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTDOC",
        "CARGO_BUILD_RUSTC",
        "CARGO_TARGET_DIR",
    ] {
        cmd.env_remove(var);
    }
    Ok(cmd)
}

fn bindgen(raw: &Path, out_dir: &Path) -> Result<()> {
    let program = sh::find_program("wasm-bindgen")
        .context("wasm-bindgen is not installed: run `cargo xtask deps`")?;
    let version = sh::probe(Command::new(&program).arg("--version")).unwrap_or_default();
    if !version
        .split_whitespace()
        .any(|w| w == WASM_BINDGEN_VERSION)
    {
        bail!(
            "{} is `{}`, but the crate pins {WASM_BINDGEN_VERSION}: run `cargo xtask deps`",
            program.display(),
            version.trim()
        );
    }
    if out_dir.exists() {
        std::fs::remove_dir_all(out_dir)?;
    }
    sh::run(
        Command::new(program)
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                OUT_NAME,
                "--out-dir",
            ])
            .arg(out_dir)
            .arg(raw),
    )
}

fn optimise(input: &Path, output: &Path) -> Result<()> {
    let wasm_opt = sh::root().join("tests/node_modules/.bin/wasm-opt");
    if !wasm_opt.is_file() {
        bail!("{} is missing: run `cargo xtask deps`", sh::rel(&wasm_opt));
    }
    sh::run(
        Command::new(wasm_opt)
            .args(WASM_OPT_FLAGS)
            .arg(input)
            .arg("-o")
            .arg(output),
    )
}

fn len(path: &Path) -> Result<u64> {
    Ok(std::fs::metadata(path)
        .with_context(|| path.display().to_string())?
        .len())
}
