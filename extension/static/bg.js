// roleport background loader: forwards browser events to the Rust background (roleport_background_bg.wasm).
// Listeners are registered synchronously at the top level so the event that wakes the
// background is never lost; each handler waits for the wasm module, then calls into Rust.
// No top-level await: it kills the Chromium service worker at registration.
import init, {
  on_message, on_startup, on_saml_post, on_isolation_headers, on_isolation_new_tab, on_isolation_tab_removed,
  on_session_tab_removed, on_session_new_tab, on_sessions_stored,
} from './roleport_background.js';

const api = globalThis.browser ?? globalThis.chrome;
let ready = null;
const wasm = () => (ready ??= init({ module_or_path: new URL('roleport_background_bg.wasm', import.meta.url) }));

api.runtime.onMessage.addListener((message, sender, sendResponse) => {
  wasm()
    .then(() => on_message(message, sender))
    .then(sendResponse, (e) => {
      console.error('roleport: background failed', e?.message ?? e);
      sendResponse({ err: { code: 'internal', message: `roleport's background failed: ${e?.message ?? e}`,
        hint: 'Reload the extension, then try again.' } });
    });
  return true; // the answer comes asynchronously
});

// SAML sign-in: an identity provider's form post to AWS's SAML endpoint, on each sign-in host
// the manifest grants (`host_permissions`; a test build adds its stub's). Read-only: the
// post still goes to AWS; Rust decides whether it is a sign-in and hands it to the host.
const samlUrls = (api.runtime.getManifest().host_permissions ?? [])
  .filter((p) => /^https?:\/\/(\*\.)?signin\./.test(p))
  .map((p) => p.replace(/\/\*$/, '/saml*'));
if (api.webRequest && samlUrls.length) {
  api.webRequest.onBeforeRequest.addListener((details) => {
    wasm().then(() => on_saml_post(details))
      .catch((e) => console.error('roleport: SAML sign-in failed', e?.message ?? e));
  }, { urls: samlUrls, types: ['main_frame'] }, ['requestBody']);
}

// Chromium isolation (not Firefox: containers isolate there): each account's cookie jar is
// kept by Rust and applied with declarativeNetRequest rules per tab; these listeners feed it
// the Set-Cookie lines the rules strip, on the domains of the manifest's wildcard host
// permissions. Only responses that set a cookie or move a top-level page reach Rust.
const isolatedUrls = (api.runtime.getManifest().host_permissions ?? []).filter((p) => /^[a-z*]+:\/\/\*\./.test(p));
if (api.declarativeNetRequest && !api.contextualIdentities && api.webRequest && isolatedUrls.length) {
  const failed = (e) => console.error('roleport: isolation failed', e?.message ?? e);
  api.webRequest.onHeadersReceived.addListener((d) => {
    if (d.tabId < 0) return;
    if (d.type !== 'main_frame' && !(d.responseHeaders ?? []).some((h) => h.name.toLowerCase() === 'set-cookie')) return;
    wasm().then(() => on_isolation_headers(d)).catch(failed);
  }, { urls: isolatedUrls }, ['responseHeaders', 'extraHeaders']);
  api.webNavigation?.onCreatedNavigationTarget.addListener((d) => {
    wasm().then(() => on_isolation_new_tab(d)).catch(failed);
  });
  api.tabs.onRemoved.addListener((tabId) => {
    wasm().then(() => on_isolation_tab_removed(tabId)).catch(failed);
  });
}

// The registry of live console sessions (both browsers): it follows their tabs, and an edit
// of its stored copy by another extension page (storage.session, extension pages only).
const sessionFailed = (e) => console.error('roleport: session registry failed', e?.message ?? e);
api.tabs.onRemoved.addListener((tabId) => {
  wasm().then(() => on_session_tab_removed(tabId)).catch(sessionFailed);
});
api.webNavigation?.onCreatedNavigationTarget.addListener((d) => {
  wasm().then(() => on_session_new_tab(d)).catch(sessionFailed);
});
api.storage.onChanged.addListener((changes, area) => {
  if (area !== 'session' || !changes.sessions) return;
  wasm().then(() => on_sessions_stored(changes.sessions.newValue)).catch(sessionFailed);
});

const start = () => { wasm().then(() => on_startup(), (e) => console.error('roleport: wasm failed to load', e?.message ?? e)); };
api.runtime.onStartup.addListener(start);
api.runtime.onInstalled.addListener(start);
// Whatever woke the background, open the host port: while it is open the background and the
// host stay alive, and `roleport open` in a terminal can reach this browser.
start();
