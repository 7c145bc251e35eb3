// Live console sessions in Chromium: the popup's "Signed in" list with countdowns, a click on
// a signed-in account switching to its tab without a new sign-in, Sign out (the stub sees the
// logout with that account's cookie), the registry across a service-worker restart, and an
// expired session marked and renewed in its own tab; a double click signs in once.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAws, eventually, cleanup, extensionForStubs, CONSOLE_HOST } from './harness.mjs';
import { launchChromium, chromiumConsoleTab, groupOf, CHROMIUM_POPUP } from './browsers.mjs';
import { openConsoleReplies, stubLogouts, COUNTDOWN } from './sessions-common.mjs';

let aws;
let extensionDir;
before(async () => { aws = await startAws(); extensionDir = extensionForStubs(); });
after(() => { aws?.stop(); cleanup(extensionDir); });

async function launch() {
  const b = await launchChromium(aws, { extensionDir });
  b.popup = await b.context.newPage();
  await b.popup.goto(CHROMIUM_POPUP);
  return b;
}

/** The tab (id, active, group) whose title names `account` (the fake console's title does). */
function tabOf(b, account) {
  return b.worker.evaluate(async (account) => {
    const tabs = (await chrome.tabs.query({})).filter((t) => t.title.includes(account));
    return tabs.map((t) => ({ id: t.id, active: t.active, groupId: t.groupId }));
  }, account);
}

test('two accounts: two live sessions with countdowns, a second click switches tabs, sign out ends one', async () => {
  const b = await launch();
  try {
    await b.popup.locator('[data-profile="prod"]').click();
    const prod = await chromiumConsoleTab(b.context, '111111111111');
    await b.popup.locator('[data-profile="dev"]').click();
    await chromiumConsoleTab(b.context, '222222222222');

    const items = b.popup.locator('[data-sessions] [data-live-session]');
    await eventually(async () => (await items.count()) === 2, 'two sessions in the popup');
    for (const name of ['prod', 'dev']) {
      const countdown = b.popup.locator(`[data-countdown="${name}"]`);
      assert.match(await countdown.textContent(), COUNTDOWN, `${name}'s countdown`);
      await eventually(async () => (await b.popup.locator(`[data-profile="${name}"]`).getAttribute('data-session')) === 'live',
        `${name}'s row marked live`);
    }
    assert.equal(await b.popup.locator('[data-profile="audit"]').getAttribute('data-session'), null);
    assert.equal(openConsoleReplies(b.home), 2);

    // dev opened last and has the focus; a click on prod switches back without a sign-in.
    assert.equal((await tabOf(b, '111111111111'))[0].active, false);
    await b.popup.locator('[data-profile="prod"]').click();
    await eventually(async () => (await tabOf(b, '111111111111'))[0]?.active, 'the prod tab active again');
    assert.equal((await tabOf(b, '111111111111')).length, 1, 'no second prod tab');
    assert.equal(openConsoleReplies(b.home), 2, 'the host was not asked again');

    // Sign out of dev: its tab closes, the stub ended dev's session (its cookie came), prod lives.
    const earlier = (await stubLogouts(aws)).length;
    await b.popup.locator('[data-sign-out="dev"]').click();
    await eventually(async () => (await tabOf(b, '222222222222')).length === 0, 'dev\'s tabs closed');
    const logouts = (await stubLogouts(aws)).slice(earlier);
    assert.deepEqual(logouts.map((l) => [l.outcome, l.arn.split(':')[4]]), [['ok', '222222222222']]);
    await eventually(async () => (await items.count()) === 1, 'one session left in the popup');
    assert.equal(await items.first().getAttribute('data-live-session'), 'prod');
    await prod.reload();
    assert.equal(await prod.locator('#account').textContent(), '111111111111', 'prod still signed in');
    // Its jar went with it: no rule carries dev's cookie any more.
    const jars = await b.worker.evaluate(async () => Object.keys((await chrome.storage.session.get('isolation')).isolation?.jars ?? {}));
    assert.deepEqual(jars, ['prod']);
  } finally {
    await b.done();
  }
});

test('with when_open = new_tab, a second click opens another signed-in tab in the same group', async () => {
  const b = await launch();
  try {
    await b.worker.evaluate(() => chrome.storage.local.set({ when_open: 'new_tab' }));
    await b.popup.locator('[data-profile="prod"]').click();
    const first = await chromiumConsoleTab(b.context, '111111111111');
    await b.popup.locator('[data-profile="prod"]').click();
    const tabs = await eventually(async () => {
      const t = await tabOf(b, '111111111111');
      return t.length === 2 && t;
    }, 'a second prod tab showing the account');
    assert.equal(tabs[0].groupId, tabs[1].groupId);
    assert.equal(tabs[0].groupId, (await groupOf(b.worker, first)).id);
    assert.equal(openConsoleReplies(b.home), 1, 'signed in by the existing session');
  } finally {
    await b.done();
  }
});

test('a double click signs in once: the second open waits for the first and finds its session', async () => {
  const b = await launch();
  try {
    // Both requests leave before either is answered, as a double click's do.
    const replies = await b.popup.evaluate(() => Promise.all([
      chrome.runtime.sendMessage({ type: 'open', profile: 'prod' }),
      chrome.runtime.sendMessage({ type: 'open', profile: 'prod' }),
    ]));
    const [first, second] = replies.map((r) => r.ok);
    assert.ok(first && second, JSON.stringify(replies));
    assert.equal(second.tab_id, first.tab_id, 'the second switched to the first one\'s tab');
    await chromiumConsoleTab(b.context, '111111111111');
    const tabs = await tabOf(b, '111111111111');
    assert.equal(tabs.length, 1, 'one prod tab');
    const groups = await b.worker.evaluate(() => chrome.tabGroups.query({ title: 'prod' }));
    assert.equal(groups.length, 1, 'one prod tab group');
    assert.equal(openConsoleReplies(b.home), 1, 'one sign-in');
  } finally {
    await b.done();
  }
});

test('the registry survives a restart of the service worker', async () => {
  const b = await launch();
  try {
    await b.popup.locator('[data-profile="prod"]').click();
    const prod = await chromiumConsoleTab(b.context, '111111111111');
    await b.popup.locator('[data-live-session="prod"]').waitFor();
    const cdp = await b.context.newCDPSession(prod);
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
    await b.popup.reload();
    await b.popup.locator('[data-live-session="prod"][data-session="live"]').waitFor({ timeout: 15000 });
    // A click still knows the session: it switches to the tab, the host is not asked.
    await b.context.newPage().then((p) => p.goto('about:blank'));
    await b.popup.locator('[data-profile="prod"]').click();
    await eventually(async () => {
      const [w] = b.context.serviceWorkers();
      if (!w) return false;
      const tabs = await w.evaluate(async () => (await chrome.tabs.query({})).filter((t) => t.title.includes('111111111111')));
      return tabs.length === 1 && tabs[0].active;
    }, 'the prod tab active');
    assert.equal(openConsoleReplies(b.home), 1);
  } finally {
    await b.done();
  }
});

test('an expired session is marked on its tab group and tab, and one click renews it in place', async () => {
  const b = await launch();
  try {
    await b.popup.locator('[data-profile="prod"]').click();
    const prod = await chromiumConsoleTab(b.context, '111111111111');
    const [{ id: tabId }] = await tabOf(b, '111111111111');
    await b.popup.locator('[data-live-session="prod"]').waitFor();
    // Expiry, made testable through the extension's own storage: the entry's expires_at.
    await b.popup.evaluate(async () => {
      const { sessions } = await chrome.storage.session.get('sessions');
      sessions.sessions.prod.expires_at = Date.now() - 1000;
      await chrome.storage.session.set({ sessions });
    });
    await b.popup.locator('[data-live-session="prod"][data-session="expired"]').waitFor({ timeout: 15000 });
    assert.equal(await b.popup.locator('[data-countdown="prod"]').textContent(), 'expired');
    await eventually(async () => (await b.popup.locator('[data-profile="prod"]').getAttribute('data-session')) === 'expired',
      'the row marked expired');
    await eventually(async () => (await groupOf(b.worker, prod))?.title === 'prod (expired)', 'the group title marked');
    assert.equal(await b.worker.evaluate((tabId) => chrome.action.getBadgeText({ tabId }), tabId), 'exp');

    await b.popup.locator('[data-renew="prod"]').click();
    await b.popup.locator('[data-live-session="prod"][data-session="live"]').waitFor({ timeout: 15000 });
    assert.equal(openConsoleReplies(b.home), 2, 'signed in again by the host');
    await eventually(async () => (await groupOf(b.worker, prod))?.title === 'prod', 'the group title restored');
    assert.equal(await b.worker.evaluate((tabId) => chrome.action.getBadgeText({ tabId }), tabId), '');
    const tabs = await eventually(async () => {
      const t = await tabOf(b, '111111111111');
      return t.length === 1 && t;
    }, 'the renewed console in its tab');
    assert.equal(tabs[0].id, tabId, 'the same tab');
    await eventually(async () => prod.url().includes(CONSOLE_HOST)
      && (await prod.locator('#account').textContent({ timeout: 1000 })) === '111111111111', 'signed in in place');
    assert.match(await b.popup.locator('[data-countdown="prod"]').textContent(), COUNTDOWN);
  } finally {
    await b.done();
  }
});
