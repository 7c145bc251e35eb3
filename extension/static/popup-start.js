// roleport popup, first script: a classic script in <head>, so it runs as soon as the page
// has a context, well before the module graph below has loaded. It starts the popup's slow
// steps at once, so they overlap the page's loading and each other: reading the last list
// (the background keeps it in `storage.session`, key `roleport.popup_list`, as the JSON text
// of the reply to `{type: 'list_profiles', cached: true, text: true}`: one read there is
// several times quicker than the same text as a message), reading the popup's preferences
// (`storage.local`, key `roleport.popup`: favourites and recents order the first rows, and
// a read there takes Chromium 10-20 ms), and compiling the wasm module. popup.js hands all
// three to Rust. Everything else happens in Rust.
'use strict';
performance.mark('roleport:start'); // for `cargo xtask bench`: roleport's first line runs
globalThis.roleportStart = (() => {
  const api = globalThis.browser ?? globalThis.chrome;
  const KEY = 'roleport.popup_list';
  const ask = () => api.runtime.sendMessage({ type: 'list_profiles', cached: true, text: true });
  // A step that cannot start is left to Rust, which starts it itself; a failure is Rust's to
  // show: it reads the promise's rejection later.
  const early = (begin) => {
    try {
      const started = begin();
      started.catch(() => {});
      return started;
    } catch {
      return undefined;
    }
  };
  const kept = (area) => (area ? area.get(KEY).then((items) => items[KEY] ?? ask(), ask) : ask());
  return {
    list: early(() => kept(api.storage.session)),
    prefs: early(() => api.storage.local.get('roleport.popup')),
    module: early(() => WebAssembly.compileStreaming(fetch('roleport_popup_bg.wasm'))),
  };
})();
