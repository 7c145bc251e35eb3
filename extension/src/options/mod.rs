//! `options.html`: roleport's settings, edited in the browser. The colour rules and the
//! default region live in the host's settings file (`settings_get` / `settings_put` through
//! the background); what a click does on an account already open, and the Chromium
//! isolation switch, live in `storage.local` (`when_open`, `chromium_isolation`).
//!
//! - [`model`]: the form's state and its edits (pure, unit-tested);
//! - [`page`]: the DOM (`options.js` loads it).

pub mod model;
pub mod page;
