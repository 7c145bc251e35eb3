// roleport options page loader: everything else happens in Rust (roleport_options_bg.wasm).
import init, { options_main } from './roleport_options.js';

init({ module_or_path: new URL('roleport_options_bg.wasm', import.meta.url) })
  .then(() => options_main())
  .catch((e) => {
    console.error('roleport: the options page failed to start', e?.message ?? e);
    const alert = document.createElement('div');
    alert.setAttribute('role', 'alert');
    alert.className = 'alert';
    alert.textContent = `roleport could not start: ${e?.message ?? e}. Reload the extension.`;
    document.body.append(alert);
  });
