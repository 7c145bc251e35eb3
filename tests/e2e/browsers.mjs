// Real browsers with the built extension and the host registered by `roleport host install`,
// each in a fresh HOME / profile: headless Chromium via playwright-core, Firefox ESR via
// geckodriver + selenium-webdriver. Shared by every end-to-end test file.

import { mkdtempSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { Builder, By } from 'selenium-webdriver';
import firefox from 'selenium-webdriver/firefox.js';
import {
  makeHome, browserEnv, roleport, cleanup, eventually, keepConsole,
  EXTENSION_DIR, CHROMIUM_ID, GECKO_ID, CONSOLE_HOST, SIGNIN_HOST, IDP_HOST,
} from './harness.mjs';

/** The fixed moz-extension:// origin (pref `extensions.webextensions.uuids`). */
export const FIREFOX_UUID = '6a1c3f0e-2b4d-4e8a-9c1f-0d5e7b3a9f21';
export const FIREFOX_POPUP = `moz-extension://${FIREFOX_UUID}/popup.html`;
export const CHROMIUM_POPUP = `chrome-extension://${CHROMIUM_ID}/popup.html`;

/** Chromium with the extension; `register: false` leaves the host unregistered; `extraConfig`
 * is appended to the HOME's ~/.aws/config. */
export async function launchChromium(aws, { register = true, extensionDir = EXTENSION_DIR, extraConfig = '' } = {}) {
  const home = makeHome(aws, { extraConfig });
  const udd = mkdtempSync(join(tmpdir(), 'roleport-chromium-'));
  const env = browserEnv(aws, home);
  if (register) roleport(['host', 'install', '--browser', 'chromium', '--user-data-dir', udd], env);
  const context = await chromium.launchPersistentContext(udd, {
    executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
    headless: true,
    env,
    args: [
      `--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`,
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--host-resolver-rules=MAP *.fakeaws.test 127.0.0.1',
    ],
  });
  // The extension's consoles (its worker, and its pages: the popup), for a failed wait to show.
  const log = keepConsole(`chromium ${udd}`, () => chromiumState(context));
  const where = (target) => { const u = new URL(target.url()); return `${u.origin}${u.pathname}`; };
  const listen = (target) => target.on('console', (m) => log.say(`${where(target)} ${m.type()}: ${m.text()}`));
  context.serviceWorkers().forEach(listen);
  context.on('serviceworker', listen);
  context.on('page', listen);
  const worker = context.serviceWorkers()[0] ?? await context.waitForEvent('serviceworker');
  assert.equal(new URL(worker.url()).host, CHROMIUM_ID, 'the manifest key fixes the extension id');
  let closed = false;
  const close = async () => { if (!closed) { closed = true; log.forget(); await context.close(); } };
  const done = async () => { await close(); cleanup(home, udd); };
  return { home, udd, env, context, worker, close, done };
}

/** The tabs (id, group, address without its query, title) and the session rules (the tabs
 * each applies to, the cookie names it sends), in words: what a failed wait shows. */
async function chromiumState(context) {
  const [worker] = context.serviceWorkers();
  if (!worker) return 'no service worker';
  const state = await worker.evaluate(async () => {
    const tabs = (await chrome.tabs.query({})).map((t) => {
      const u = new URL(t.url || t.pendingUrl || 'about:blank');
      return `tab ${t.id} group ${t.groupId} ${t.status} ${u.origin}${u.pathname} "${t.title}"`;
    });
    const rules = (await chrome.declarativeNetRequest.getSessionRules()).map((r) => {
      const headers = (r.action.requestHeaders ?? []).map((h) => `${h.header}: ${(h.value ?? '').split('; ').map((c) => c.split('=')[0]).join(',')}`);
      return `rule ${r.id} ${r.action.type} tabs ${r.condition.tabIds ?? '-'} ${r.condition.requestDomains ?? ''} ${headers.join(' ')}`;
    });
    return [...tabs, ...rules];
  });
  return state.join('\n');
}

/** The Chromium page showing `account`'s console. */
export async function chromiumConsoleTab(context, account) {
  return eventually(async () => {
    for (const page of context.pages()) {
      if (!page.url().includes(CONSOLE_HOST)) continue;
      const shown = await page.locator('#account').textContent({ timeout: 500 }).catch(() => null);
      if (shown === account) return page;
    }
    return null;
  }, `a console tab for account ${account}`);
}

/** The tab group of a console page (found by the account in its title: the fake console titles
 * its page "Console - ACCOUNT - ROLE", and URLs alone do not tell two accounts' tabs apart). */
export async function groupOf(worker, page) {
  const account = await page.locator('#account').textContent();
  return worker.evaluate(async (account) => {
    const [tab] = (await chrome.tabs.query({})).filter((t) => t.title.includes(account));
    if (!tab || tab.groupId === -1) return null;
    const g = await chrome.tabGroups.get(tab.groupId);
    return { id: g.id, title: g.title, color: g.color };
  }, account);
}

/** Firefox ESR with the extension as a temporary add-on and the host registered in HOME. */
export async function launchFirefox(aws, { extensionDir = EXTENSION_DIR, extraConfig = '' } = {}) {
  const home = makeHome(aws, { extraConfig });
  const env = browserEnv(aws, home);
  roleport(['host', 'install', '--browser', 'firefox'], env);
  const options = new firefox.Options()
    .setBinary(process.env.FIREFOX_BIN ?? '/usr/bin/firefox-esr')
    .addArguments('-headless')
    .setPreference('extensions.webextensions.uuids', JSON.stringify({ [GECKO_ID]: FIREFOX_UUID }))
    .setPreference('network.dns.localDomains', `${SIGNIN_HOST},${CONSOLE_HOST},${IDP_HOST}`)
    .setPreference('browser.shell.checkDefaultBrowser', false)
    .setPreference('datareporting.policy.dataSubmissionEnabled', false);
  const geckodriver = process.env.GECKODRIVER_BIN ?? join(homedir(), '.cargo', 'bin', 'geckodriver');
  const service = new firefox.ServiceBuilder(geckodriver)
    .addArguments('--allow-system-access')
    .setEnvironment(env);
  const driver = await new Builder().forBrowser('firefox').setFirefoxOptions(options).setFirefoxService(service).build();
  try {
    await driver.installAddon(extensionDir, true);
  } catch (e) {
    await driver.quit();
    throw e;
  }
  const first = await driver.getWindowHandle();
  let quit = false;
  const close = async () => { if (!quit) { quit = true; await driver.quit(); } };
  const done = async () => { await close(); cleanup(home); };
  return { home, env, driver, first, close, done };
}

/** Switches to the Firefox tab showing `account`'s console and returns its handle. */
export async function firefoxConsoleTab(driver, account) {
  return eventually(async () => {
    for (const handle of await driver.getAllWindowHandles()) {
      await driver.switchTo().window(handle);
      if (!(await driver.getCurrentUrl()).includes(CONSOLE_HOST)) continue;
      const shown = await driver.findElements(By.id('account'));
      if (shown.length && (await shown[0].getText()) === account) return handle;
    }
    return null;
  }, `a console tab for account ${account}`);
}

/** The container (id, name, colour, icon) of `account`'s console tab, asked from the extension
 * page in window `page` (the fake console titles its page "Console - ACCOUNT - ROLE"). */
export async function containerOf(driver, page, account) {
  await driver.switchTo().window(page);
  if (!(await driver.getCurrentUrl()).startsWith('moz-extension:')) await driver.get(FIREFOX_POPUP);
  return driver.executeAsyncScript(async (account, done) => {
    const [tab] = (await browser.tabs.query({})).filter((t) => t.title.includes(account));
    if (!tab || tab.cookieStoreId === 'firefox-default') return done(null);
    const c = await browser.contextualIdentities.get(tab.cookieStoreId);
    done({ id: c.cookieStoreId, name: c.name, color: c.color, icon: c.icon });
  }, account);
}
