//! The extension's wasm, one module per kind of page ([`MODULES`]): compile (rustup's wasm32
//! std if present, else Debian's rustc-web with `-Zbuild-std`) with that page's feature only,
//! then `wasm-bindgen --target web`, then `wasm-opt -Oz`. A page loads only the code its entry
//! points reach: the popup's module is a third of one module for everything.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::deps::WASM_BINDGEN_VERSION;
use crate::sh;

const TARGET: &str = "wasm32-unknown-unknown";
const PROFILE: &str = "wasm-release";
const CRATE: &str = "roleport-extension";

/// The modules, by the crate feature that selects their entry points (`extension/src/lib.rs`).
/// Module `popup` is `roleport_popup.js` (wasm-bindgen's glue) + `roleport_popup_bg.wasm`,
/// which `popup.js` loads; `background` is loaded by `bg.js`, `options` by `options.js`,
/// `saml` by `saml.js`.
pub const MODULES: &[&str] = &["background", "popup", "options", "saml"];

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

/// What the wasm steps produced for one module, with the sizes along the way.
pub struct Wasm {
    /// One of [`MODULES`].
    pub name: &'static str,
    /// wasm-bindgen's JS glue.
    pub glue: PathBuf,
    /// The optimised module.
    pub module: PathBuf,
    /// Bytes of the cargo output, after wasm-bindgen, after wasm-opt.
    pub sizes: [u64; 3],
}

impl Wasm {
    /// The glue's file name in the extension: `roleport_popup.js`.
    pub fn glue_name(&self) -> String {
        format!("{}.js", out_name(self.name))
    }

    /// The module's file name in the extension: `roleport_popup_bg.wasm`.
    pub fn module_name(&self) -> String {
        format!("{}_bg.wasm", out_name(self.name))
    }
}

fn out_name(module: &str) -> String {
    format!("roleport_{module}")
}

/// Builds every module into `target/wasm/`.
pub fn build() -> Result<Vec<Wasm>> {
    let out = sh::target_dir().join("wasm");
    MODULES.iter().map(|name| build_one(&out, name)).collect()
}

fn build_one(out: &Path, name: &'static str) -> Result<Wasm> {
    // Each feature's build replaces cargo's one output file: keep a copy per module.
    let raw = out.join(format!("{name}.wasm"));
    std::fs::copy(compile(out, name)?, &raw)?;
    let bindgen_dir = out.join("bindgen").join(name);
    bindgen(&raw, &bindgen_dir, &out_name(name))?;
    let bound = bindgen_dir.join(format!("{}_bg.wasm", out_name(name)));
    let module = out.join(format!("{name}.opt.wasm"));
    optimise(&bound, &module)?;
    Ok(Wasm {
        name,
        glue: bindgen_dir.join(format!("{}.js", out_name(name))),
        sizes: [len(&raw)?, len(&bound)?, len(&module)?],
        module,
    })
}

fn compile(out: &Path, feature: &str) -> Result<PathBuf> {
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
            "--no-default-features",
            "--features",
            feature,
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
    // A std built here can take panic=immediate-abort: a panic traps at once, as panic=abort
    // already ends in a trap with nobody to print its message to, and the modules lose the
    // panic-formatting code (5 % of each).
    cmd.env("RUSTC", "/usr/bin/rustc")
        .env("RUSTC_BOOTSTRAP", "1")
        .env(
            "RUSTFLAGS",
            "-C linker=rust-lld -Z unstable-options -C panic=immediate-abort",
        );
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

fn bindgen(raw: &Path, out_dir: &Path, out_name: &str) -> Result<()> {
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
                out_name,
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
