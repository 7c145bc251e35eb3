//! A full disk during a store write: the store lives on a real 1 MiB tmpfs (mounted in a
//! private mount namespace), the disk is filled, and the next `roleport add` must fail with a
//! coded error that says why, leave the previous encrypted file byte for byte as it was, and
//! leave no temp file behind. As root the mount namespace is the host's user's; otherwise a
//! user namespace (`--map-root-user`) allows the mount, as `cargo xtask test` does for e2e.

use std::path::Path;
use std::process::Command;

const SCENARIO: &str = r#"
set -u
mount -t tmpfs -o size=1m,mode=0700 tmpfs "$MNT" || exit 90
export ROLEPORT_HOME="$MNT/store"
printf 'AKIDFULLDISK00001\nfirst-secret\n' | "$BIN" add first --stdin 2>"$OUT/add1.err" || exit 91
cp "$ROLEPORT_HOME/keys.sealed" "$OUT/before"
# Fill every free block.
dd if=/dev/zero of="$MNT/fill" bs=4k 2>/dev/null
printf 'AKIDFULLDISK00002\nsecond-secret\n' | "$BIN" add second --stdin 2>"$OUT/add2.err"
echo $? > "$OUT/add2.code"
cp "$ROLEPORT_HOME/keys.sealed" "$OUT/after"
ls -A "$ROLEPORT_HOME" > "$OUT/files"
# With room again, the store still opens and holds the first key only.
rm "$MNT/fill"
"$BIN" keys > "$OUT/keys" 2>"$OUT/keys.err"; echo $? > "$OUT/keys.code"
"#;

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_default()
}

#[test]
fn a_full_disk_fails_the_write_with_a_coded_error_and_keeps_the_old_store() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (mnt, out) = (tmp.path().join("mnt"), tmp.path().join("out"));
    std::fs::create_dir_all(&mnt).expect("mnt");
    std::fs::create_dir_all(&out).expect("out");
    let mut unshare = Command::new("unshare");
    if !is_root() {
        unshare.arg("--map-root-user");
    }
    let status = unshare
        .args(["--mount", "--propagation", "private", "sh", "-c", SCENARIO])
        .env_clear()
        .env("PATH", "/usr/bin:/bin:/usr/sbin:/sbin")
        .env("HOME", tmp.path())
        .env("ROLEPORT_STORE", "file")
        .env("ROLEPORT_STORE_PASSPHRASE", "full disk passphrase")
        .env("BIN", env!("CARGO_BIN_EXE_roleport"))
        .env("MNT", &mnt)
        .env("OUT", &out)
        .status()
        .expect("run unshare");
    assert_eq!(
        status.code(),
        Some(0),
        "scenario failed before the full-disk write: {}",
        read(&out, "add1.err")
    );

    let stderr = read(&out, "add2.err");
    assert_eq!(read(&out, "add2.code").trim(), "1", "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(
        stderr.contains("free space"),
        "the hint says what to do: {stderr}"
    );
    assert!(!stderr.contains("second-secret"), "{stderr}");

    let (before, after) = (
        std::fs::read(out.join("before")).expect("before"),
        std::fs::read(out.join("after")).expect("after"),
    );
    assert!(!before.is_empty());
    assert_eq!(before, after, "the encrypted file changed");
    let files = read(&out, "files");
    assert!(
        files
            .lines()
            .all(|f| !f.contains(".tmp") && !f.starts_with(".keys")),
        "a temp file was left: {files}"
    );

    assert_eq!(
        read(&out, "keys.code").trim(),
        "0",
        "{}",
        read(&out, "keys.err")
    );
    let keys = read(&out, "keys");
    assert!(keys.contains("first"), "{keys}");
    assert!(!keys.contains("second"), "{keys}");
}
