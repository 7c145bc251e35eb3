// roleport SAML role chooser loader: everything else happens in Rust (roleport_saml_bg.wasm).
import init, { saml_main } from './roleport_saml.js';

init({ module_or_path: new URL('roleport_saml_bg.wasm', import.meta.url) })
  .then(() => saml_main())
  .catch((e) => {
    console.error('roleport: the role chooser failed to start', e?.message ?? e);
    const alert = document.createElement('div');
    alert.setAttribute('role', 'alert');
    alert.className = 'alert';
    alert.textContent = `roleport could not start: ${e?.message ?? e}. Reload the extension.`;
    document.body.append(alert);
  });
