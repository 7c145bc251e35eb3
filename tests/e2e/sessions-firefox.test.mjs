// Live console sessions in Firefox containers: the popup's "Signed in" list with countdowns, a
// click on a signed-in account switching to its tab without a new sign-in, Sign out (the stub
// sees the logout with that container's cookie), and an expired session marked and renewed in
// its own tab; a double click signs in once.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { By, until } from 'selenium-webdriver';
import { startAws, eventually } from './harness.mjs';
import { launchFirefox, firefoxConsoleTab, FIREFOX_POPUP } from './browsers.mjs';
import { openConsoleReplies, stubLogouts, COUNTDOWN } from './sessions-common.mjs';

let aws;
before(async () => { aws = await startAws(); });
after(() => aws?.stop());

async function launch() {
  const b = await launchFirefox(aws);
  await b.driver.get(FIREFOX_POPUP);
  b.popup = b.first;
  return b;
}

/** Clicks the popup element `css`, again if a redraw made the one found stale. */
async function click(b, css) {
  await b.driver.switchTo().window(b.popup);
  await eventually(async () => {
    const el = await b.driver.wait(until.elementLocated(By.css(css)), 15000);
    await el.click();
    return true;
  }, `a click on ${css}`);
}

/** Runs `fn(arg)` in the popup page (it has the extension's APIs) and returns its result. */
async function inPopup(b, fn, arg) {
  await b.driver.switchTo().window(b.popup);
  return b.driver.executeAsyncScript(`const done = arguments[arguments.length - 1];
    (${fn})(arguments[0]).then(done, (e) => done({ error: String(e) }));`, arg);
}

/** The tabs whose title names `account` (the fake console's title does). */
function tabsOf(b, account) {
  return inPopup(b, async (account) => (await browser.tabs.query({}))
    .filter((t) => t.title.includes(account))
    .map((t) => ({ id: t.id, active: t.active, cookieStoreId: t.cookieStoreId })), account);
}

async function attribute(b, css, name) {
  await b.driver.switchTo().window(b.popup);
  const found = await b.driver.findElements(By.css(css));
  return found.length ? found[0].getAttribute(name) : undefined;
}

async function text(b, css) {
  await b.driver.switchTo().window(b.popup);
  const found = await b.driver.findElements(By.css(css));
  return found.length ? found[0].getText() : undefined;
}

test('two accounts in containers: live sessions with countdowns, a second click switches tabs, sign out ends one', async () => {
  const b = await launch();
  try {
    await click(b, '[data-profile="prod"]');
    const prod = await firefoxConsoleTab(b.driver, '111111111111');
    await click(b, '[data-profile="dev"]');
    await firefoxConsoleTab(b.driver, '222222222222');

    await eventually(async () => (await b.driver.switchTo().window(b.popup),
      (await b.driver.findElements(By.css('[data-sessions] [data-live-session]'))).length === 2), 'two sessions listed');
    for (const name of ['prod', 'dev']) {
      assert.match(await text(b, `[data-countdown="${name}"]`), COUNTDOWN, `${name}'s countdown`);
      await eventually(async () => (await attribute(b, `[data-profile="${name}"]`, 'data-session')) === 'live', `${name} live`);
    }
    assert.equal(openConsoleReplies(b.home), 2);

    // A click on prod switches to its tab, and the host is not asked. (WebDriver's own switch
    // to the popup activates the popup's tab, so the popup records activations instead.)
    const [{ id: prodId }] = await tabsOf(b, '111111111111');
    await inPopup(b, async () => {
      window.activated = [];
      browser.tabs.onActivated.addListener((info) => window.activated.push(info.tabId));
      return true;
    });
    await click(b, '[data-profile="prod"]');
    await eventually(async () => (await inPopup(b, async () => window.activated)).includes(prodId),
      'the prod tab activated');
    assert.equal((await tabsOf(b, '111111111111')).length, 1, 'no second prod tab');
    assert.equal(openConsoleReplies(b.home), 2, 'no second open_console');

    // Sign out of dev: its tab closes; the stub ended dev's session (the container's cookie).
    const earlier = (await stubLogouts(aws)).length;
    await click(b, '[data-sign-out="dev"]');
    await eventually(async () => (await tabsOf(b, '222222222222')).length === 0, 'dev\'s tab closed');
    const logouts = (await stubLogouts(aws)).slice(earlier);
    assert.deepEqual(logouts.map((l) => [l.outcome, l.arn.split(':')[4]]), [['ok', '222222222222']]);
    await eventually(async () => (await b.driver.switchTo().window(b.popup),
      (await b.driver.findElements(By.css('[data-live-session]'))).length === 1), 'one session left');
    await b.driver.switchTo().window(prod);
    await b.driver.navigate().refresh();
    const shown = await b.driver.wait(until.elementLocated(By.css('#account, #signed-out')), 10000);
    assert.equal(await shown.getText(), '111111111111', 'prod still signed in');
  } finally {
    await b.done();
  }
});

test('an expired session is marked on its tab, and one click renews it in the same tab and container', async () => {
  const b = await launch();
  try {
    await click(b, '[data-profile="prod"]');
    const prod = await firefoxConsoleTab(b.driver, '111111111111');
    const [tab] = await tabsOf(b, '111111111111');
    await eventually(async () => (await attribute(b, '[data-live-session="prod"]', 'data-session')) === 'live', 'prod listed');
    // Expiry, made testable through the extension's own storage: the entry's expires_at.
    const edited = await inPopup(b, async () => {
      const { sessions } = await browser.storage.session.get('sessions');
      sessions.sessions.prod.expires_at = Date.now() - 1000;
      await browser.storage.session.set({ sessions });
      return true;
    });
    assert.equal(edited, true);
    await eventually(async () => (await attribute(b, '[data-live-session="prod"]', 'data-session')) === 'expired',
      'prod expired in the list');
    assert.equal(await text(b, '[data-countdown="prod"]'), 'expired');
    await eventually(async () => (await attribute(b, '[data-profile="prod"]', 'data-session')) === 'expired', 'the row');
    assert.equal(await inPopup(b, (tabId) => browser.action.getBadgeText({ tabId }), tab.id), 'exp');

    await click(b, '[data-renew="prod"]');
    await eventually(async () => (await attribute(b, '[data-live-session="prod"]', 'data-session')) === 'live',
      'prod live again', 20000);
    assert.equal(openConsoleReplies(b.home), 2, 'signed in again by the host');
    assert.equal(await inPopup(b, (tabId) => browser.action.getBadgeText({ tabId }), tab.id), '');
    const tabs = await eventually(async () => {
      const t = await tabsOf(b, '111111111111');
      return t.length === 1 && t;
    }, 'the renewed console in its tab');
    assert.deepEqual(tabs.map((t) => [t.id, t.cookieStoreId]), [[tab.id, tab.cookieStoreId]], 'the same tab and container');
    await b.driver.switchTo().window(prod);
    const shown = await b.driver.wait(until.elementLocated(By.css('#account')), 10000);
    assert.equal(await shown.getText(), '111111111111');
    assert.match(await text(b, '[data-countdown="prod"]'), COUNTDOWN);
  } finally {
    await b.done();
  }
});

test('a double click signs in once: the second open waits for the first and finds its session', async () => {
  const b = await launch();
  try {
    // Both requests leave before either is answered, as a double click's do.
    const replies = await inPopup(b, () => Promise.all([
      browser.runtime.sendMessage({ type: 'open', profile: 'prod' }),
      browser.runtime.sendMessage({ type: 'open', profile: 'prod' }),
    ]));
    const [first, second] = (replies ?? []).map((r) => r.ok);
    assert.ok(first && second, JSON.stringify(replies));
    assert.equal(second.tab_id, first.tab_id, 'the second switched to the first one\'s tab');
    assert.equal(second.container, first.container, 'in the same container');
    await firefoxConsoleTab(b.driver, '111111111111');
    assert.equal((await tabsOf(b, '111111111111')).length, 1, 'one prod tab');
    const containers = await inPopup(b, () => browser.contextualIdentities.query({ name: 'prod' }));
    assert.equal(containers.length, 1, 'one prod container');
    assert.equal(openConsoleReplies(b.home), 1, 'one sign-in');
  } finally {
    await b.done();
  }
});
