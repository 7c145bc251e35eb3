// roleport popup loader: everything else happens in Rust (roleport_popup_bg.wasm).
import init, { popup_main } from './roleport_popup.js';
performance.mark('roleport:loader'); // for `cargo xtask bench`: the page and its scripts have loaded

init({ module_or_path: new URL('roleport_popup_bg.wasm', import.meta.url) })
  .then(() => popup_main())
  .catch((e) => {
    console.error('roleport: popup failed to start', e?.message ?? e);
    const alert = document.createElement('div');
    alert.setAttribute('role', 'alert');
    alert.className = 'alert';
    alert.textContent = `roleport could not start: ${e?.message ?? e}. Reload the extension.`;
    document.body.append(alert);
  });
