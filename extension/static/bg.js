// roleport background loader: forwards browser events to the Rust background (roleport.wasm).
// Listeners are registered synchronously at the top level so the event that wakes the
// background is never lost; each handler waits for the wasm module, then calls into Rust.
// No top-level await: it kills the Chromium service worker at registration.
import init, { on_message, on_startup } from './roleport.js';

const api = globalThis.browser ?? globalThis.chrome;
let ready = null;
const wasm = () => (ready ??= init({ module_or_path: new URL('roleport_bg.wasm', import.meta.url) }));

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

const start = () => { wasm().then(() => on_startup(), (e) => console.error('roleport: wasm failed to load', e?.message ?? e)); };
api.runtime.onStartup.addListener(start);
api.runtime.onInstalled.addListener(start);
// Whatever woke the background, open the host port: while it is open the background and the
// host stay alive, and `roleport open` in a terminal can reach this browser.
start();
