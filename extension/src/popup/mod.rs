//! The toolbar popup: a searchable list of profiles; a click opens one. Keyboard: type to
//! filter, arrows to move, Enter to open (Ctrl/Cmd+Enter: in the background), Space on an
//! empty search box to mark several, Enter to open every marked one at once.
//!
//! The shape of wasm-bindgen's todomvc example: one [`model::Model`], a [`model::Msg`] enum,
//! [`view::View`] drawing from the model, and [`app`] dispatching messages in order.
//!
//! Testability contract (outside checks depend on it): the search box is the page's
//! `input[type=search]`; each row has `data-profile="<name>"` and opens on click; errors are
//! in an element with `role="alert"`; progress is in the `role="status"` element. A row whose
//! profile has a console session also has `data-session="live|expired"`; the "Signed in" list
//! (`[data-sessions]`) has one `[data-live-session=NAME]` per session.

pub mod app;
pub mod fuzzy;
pub mod model;
pub mod narrowing;
pub mod prefs;
pub mod session_rows;
pub mod sync;
pub mod view;
