//! Every message that crosses between roleport's extension, its native host and its CLI.
//!
//! Architecture Invariant: this crate does no I/O and depends on serde alone, so the
//! extension (wasm32) and the host (native) share one definition of the wire format.
//! PROTOCOL.md documents each type here; `tests/protocol_doc.rs` fails when they drift.
#![deny(missing_docs)]

mod appearance;
mod decode;
mod discovery;
mod error;
mod message;
mod saml;
mod settings;

pub use appearance::{Appearance, Color, Icon};
pub use discovery::{SsoSync, SsoSyncProgress, SsoSynced, SyncedLogin};
pub use error::{ErrorCode, ProtocolError};
pub use message::{
    Browser, Envelope, Event, EventFrame, Hello, HelloOk, ListProfiles, OpenConsole, OpenConsoleOk,
    OpenTab, OpenTabResult, OpenedInBrowser, OpenedTab, Outcome, Place, ProfileKind, ProfileList,
    ProfilePage, ProfileSummary, Reply, Request, Response, SsoDeviceCode, SsoLoggedIn, SsoLogin,
    TabOutcome,
};
pub use saml::{SamlOpen, SamlRole, SamlRoleList, SamlRoles};
pub use settings::{Defaults, Rule, Settings, SettingsDoc, SettingsPut};

/// The protocol version this build speaks. Carried as `v` in every frame.
pub const PROTOCOL_VERSION: u32 = 1;

/// Largest frame the host sends to the browser: the browsers' own limit for host → extension.
pub const MAX_FRAME_TO_BROWSER: usize = 1024 * 1024;

/// Largest frame the host accepts from the browser. Requests are small except `saml_roles`,
/// which carries a signed SAML response (an identity provider that grants hundreds of roles
/// sends tens of kilobytes); anything bigger is a bug or an attack, and is refused before it
/// is buffered.
pub const MAX_FRAME_FROM_BROWSER: usize = 256 * 1024;

/// The name under which the native host is registered with every browser.
pub const NATIVE_HOST_NAME: &str = "dev.roleport.host";

/// The Chromium extension id, fixed by the public key in `manifest/manifest.json`
/// (`key`): sha256 of the DER key, first 32 hex digits mapped 0-f → a-p.
pub const CHROMIUM_EXTENSION_ID: &str = "jlpkhfceigfphociodglhbfijhdeajmi";

/// The Firefox extension id (`browser_specific_settings.gecko.id` in the manifest).
pub const FIREFOX_EXTENSION_ID: &str = "roleport@roleport.dev";
