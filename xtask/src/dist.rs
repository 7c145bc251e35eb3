//! Assembles the unpacked extension in `dist/extension/`: the manifest and icons from
//! `manifest/`, the pages and loaders from `extension/static/`, and each wasm module with its
//! glue.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::sh;
use crate::wasm::Wasm;

/// Where the unpacked extension goes.
pub fn extension_dir() -> PathBuf {
    sh::root().join("dist").join("extension")
}

/// Replaces `dist/extension/` with a fresh copy.
pub fn assemble(modules: &[Wasm]) -> Result<PathBuf> {
    let root = sh::root();
    let dir = extension_dir();
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir.join("icons"))?;
    copy(
        &root.join("manifest/manifest.json"),
        &dir.join("manifest.json"),
    )?;
    for entry in std::fs::read_dir(root.join("manifest/icons"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "png") {
            copy(
                &path,
                &dir.join("icons").join(path.file_name().expect("a file")),
            )?;
        }
    }
    for entry in std::fs::read_dir(root.join("extension/static"))? {
        let path = entry?.path();
        if path.is_file() {
            copy(&path, &dir.join(path.file_name().expect("a file")))?;
        }
    }
    for wasm in modules {
        copy(&wasm.glue, &dir.join(wasm.glue_name()))?;
        copy(&wasm.module, &dir.join(wasm.module_name()))?;
    }
    println!("assembled: {}", sh::rel(&dir));
    Ok(dir)
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    std::fs::copy(from, to)
        .map(drop)
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))
}
