// roleport popup loader: hands what popup-start.js began (the last list, the preferences, the
// compiling wasm module) to Rust (roleport_popup_bg.wasm), which does everything else.
import init, { popup_main } from './roleport_popup.js';

performance.mark('roleport:loader'); // for `cargo xtask bench`: the page and its scripts have loaded

const { list, prefs, module } = globalThis.roleportStart ?? {};
const wasm = new URL('roleport_popup_bg.wasm', import.meta.url);
// Compiled early when that worked; fetched and compiled here when it did not.
init({ module_or_path: module ? module.catch(() => fetch(wasm)) : wasm })
  .then(() => popup_main(list, prefs))
  .catch((e) => {
    console.error('roleport: popup failed to start', e?.message ?? e);
    const alert = document.createElement('div');
    alert.setAttribute('role', 'alert');
    alert.className = 'alert';
    alert.textContent = `roleport could not start: ${e?.message ?? e}. Reload the extension.`;
    document.body.append(alert);
  });
