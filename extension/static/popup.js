// roleport popup loader: everything else happens in Rust (roleport_popup_bg.wasm).
import init, { popup_main } from './roleport_popup.js';
performance.mark('roleport:loader'); // for `cargo xtask bench`: the page and its scripts have loaded

// The popup's first request (PROTOCOL.md, popup ↔ background), sent before the module is
// compiled so that the background's answer and the compilation overlap; Rust reads the answer.
// A failure is Rust's to show: it reads this promise's rejection later, so it is not
// reported as unhandled meanwhile; without a promise at all Rust asks again itself.
const api = globalThis.browser ?? globalThis.chrome;
let asked;
try {
  asked = api.runtime.sendMessage({ type: 'list_profiles', cached: true, text: true });
  asked.catch(() => {});
} catch {
  asked = undefined;
}

init({ module_or_path: new URL('roleport_popup_bg.wasm', import.meta.url) })
  .then(() => popup_main(asked))
  .catch((e) => {
    console.error('roleport: popup failed to start', e?.message ?? e);
    const alert = document.createElement('div');
    alert.setAttribute('role', 'alert');
    alert.className = 'alert';
    alert.textContent = `roleport could not start: ${e?.message ?? e}. Reload the extension.`;
    document.body.append(alert);
  });
