// roleport popup, first script: a classic script in <head>, so it runs as soon as the page
// has a context, well before the module graph below has loaded. It starts the popup's two
// slow steps at once, so they overlap the page's loading and each other: reading the last
// list (the background keeps it in `storage.session`, key `roleport.popup_list`, as the JSON
// text of the reply to `{type: 'list_profiles', cached: true, text: true}`: one read there
// is several times quicker than the same text as a message), and compiling the wasm module.
// popup.js hands both to Rust. Everything else happens in Rust.
'use strict';
performance.mark('roleport:start'); // for `cargo xtask bench`: roleport's first line runs
globalThis.roleportStart = (() => {
  const api = globalThis.browser ?? globalThis.chrome;
  const KEY = 'roleport.popup_list';
  const ask = () => api.runtime.sendMessage({ type: 'list_profiles', cached: true, text: true });
  let list;
  try {
    const area = api.storage.session;
    list = area ? area.get(KEY).then((items) => items[KEY] ?? ask(), ask) : ask();
    // A failure is Rust's to show: it reads this promise's rejection later.
    list.catch(() => {});
  } catch {
    list = undefined;
  }
  let module;
  try {
    module = WebAssembly.compileStreaming(fetch('roleport_popup_bg.wasm'));
    module.catch(() => {});
  } catch {
    module = undefined;
  }
  return { list, module };
})();
