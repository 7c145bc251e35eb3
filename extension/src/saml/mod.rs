//! SAML sign-in (ADFS and other identity providers) in the extension.
//!
//! The background watches the form posts to AWS's SAML sign-in endpoint
//! (`webRequest.onBeforeRequest` with the request body; `bg.js` registers the listener on the
//! sign-in hosts of the manifest's `host_permissions`), hands the `SAMLResponse` to the host
//! (`saml_roles`) and opens `saml.html`, where the person picks roles; each opens through the
//! host's `saml_open` in its own container / tab group.
//!
//! - [`post`]: which requests are SAML sign-ins, and their `SAMLResponse` (pure, tested).
//! - [`flow`]: the background's part (host requests, the sign-ins waiting for the page).
//! - [`page`]: `saml.html`, the role chooser.
//!
//! Architecture Invariant: the assertion goes from the browser's request to the host and
//! nowhere else: it is not logged, not stored (not even `storage.session`), and the host
//! never sends it back; the page only ever sees the host's role list and handle.

pub mod flow;
pub mod page;
pub mod post;
