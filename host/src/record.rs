//! Test mode: a copy of every frame sent to the browser, so the end-to-end canary can prove
//! no credential ever crossed. Enabled only by `ROLEPORT_RECORD_FRAMES=<file>`.

use std::io::Write;

/// Opens the recording file named by `ROLEPORT_RECORD_FRAMES`, if set (0600, appended).
pub fn from_env() -> Option<Box<dyn Write + Send>> {
    let path = std::env::var_os("ROLEPORT_RECORD_FRAMES")?;
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(file) => Some(Box::new(file)),
        Err(e) => {
            tracing::error!(
                "cannot open ROLEPORT_RECORD_FRAMES file {}: {e}",
                path.to_string_lossy()
            );
            None
        }
    }
}
