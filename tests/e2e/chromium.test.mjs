// Real headless Chromium (Debian's), driven by playwright-core, with the built extension and
// the host registered by `roleport host install --browser chromium --user-data-dir`.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, readdirSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  startAws, roleport, assertNoCredentialsInFrames, eventually, ssoSignedIn, extensionForStubs, cleanup, HOST_BIN, CHROMIUM_ID,
} from './harness.mjs';
import { launchChromium, chromiumConsoleTab, groupOf, CHROMIUM_POPUP } from './browsers.mjs';

let aws;
let extensionDir;
before(async () => { aws = await startAws(); extensionDir = extensionForStubs(); });
after(() => { aws?.stop(); cleanup(extensionDir); });

async function launch(options) {
  const b = await launchChromium(aws, { extensionDir, ...options });
  b.popup = await b.context.newPage();
  await b.popup.goto(CHROMIUM_POPUP);
  return b;
}

const consoleTab = chromiumConsoleTab;

test('clicking a profile opens its signed-in console in a titled, coloured tab group', async () => {
  const b = await launch();
  try {
    await b.popup.locator('[data-profile="prod"]').click();
    const tab = await consoleTab(b.context, '111111111111');
    assert.equal(await tab.locator('#role').textContent(), 'Admin');
    assert.deepEqual(await groupOf(b.worker, tab).then((g) => g && { title: g.title, color: g.color }),
      { title: 'prod', color: 'red' });

    // A second open of the same profile joins the same group (another tab of the session:
    // a click on a signed-in profile switches to its tab unless `when_open` says new_tab).
    const first = await groupOf(b.worker, tab);
    await b.worker.evaluate(() => chrome.storage.local.set({ when_open: 'new_tab' }));
    await b.popup.locator('[data-profile="prod"]').click();
    const groups = await eventually(() => b.worker.evaluate(async (url) => {
      const tabs = (await chrome.tabs.query({})).filter((t) => t.url.includes(url));
      return tabs.length === 2 && tabs.map((t) => t.groupId);
    }, 'fakeaws.test'), 'a second prod tab');
    assert.deepEqual(groups, [first.id, first.id]);

    const checked = await assertNoCredentialsInFrames(aws, b.home);
    assert.ok(checked > 0);
  } finally {
    await b.done();
  }
});

test('a role chain and static keys both reach the console', async () => {
  const b = await launch();
  try {
    await b.popup.locator('[data-profile="audit"]').click();
    const audit = await consoleTab(b.context, '333333333333');
    assert.equal(await audit.locator('#role').textContent(), 'ReadOnly');
    await b.popup.locator('[data-profile="alice"]').click();
    await consoleTab(b.context, aws.user.account_id);
    await assertNoCredentialsInFrames(aws, b.home);
  } finally {
    await b.done();
  }
});

test('without the host registered, the popup says how to fix it', async () => {
  const b = await launch({ register: false });
  try {
    const alert = b.popup.locator('[role="alert"]');
    await alert.waitFor({ timeout: 15000 });
    assert.match(await alert.textContent(), /roleport host install/);
  } finally {
    await b.done();
  }
});

test('without the host, role profiles listed before become AWS Switch Role links', async () => {
  const b = await launch();
  try {
    await b.popup.locator('[data-profile="prod"]').waitFor({ timeout: 15000 });
    // The host goes away: unregistered, and its process killed.
    rmSync(join(b.udd, 'NativeMessagingHosts'), { recursive: true, force: true });
    const [pid] = await eventually(() => hostPids(b.home).length === 1 && hostPids(b.home), 'the running host');
    process.kill(pid, 'SIGKILL');
    await eventually(() => hostPids(b.home).length === 0, 'no host left');
    await b.popup.reload();
    const alert = b.popup.locator('[role="alert"]');
    await alert.waitFor({ timeout: 15000 });
    assert.match(await alert.textContent(), /roleport host install/);
    const link = b.popup.locator('a[data-switch-role="prod"]');
    await link.waitFor({ timeout: 5000 });
    const href = new URL(await link.getAttribute('href'));
    assert.equal(`${href.origin}${href.pathname}`, 'https://signin.aws.amazon.com/switchrole');
    assert.deepEqual(Object.fromEntries(href.searchParams), {
      account: '111111111111', roleName: 'Admin', displayName: 'prod', color: 'ff613d' });
    // Role profiles only: static keys and SSO roles cannot be switched to.
    assert.equal(await b.popup.locator('a[data-switch-role="alice"]').count(), 0);
    assert.equal(await b.popup.locator('a[data-switch-role="sso-admin"]').count(), 0);
  } finally {
    await b.done();
  }
});

test('a hung host: the request times out with host_timeout, the host is ended, the next one starts fresh', async () => {
  const b = await launchChromium(aws, { register: false, extensionDir });
  try {
    // A "host" that reads its requests and never answers.
    const hang = join(b.home, 'hung-host.sh');
    writeFileSync(hang, '#!/bin/sh\ncat > /dev/null\n', { mode: 0o755 });
    const dir = join(b.udd, 'NativeMessagingHosts');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'dev.roleport.host.json'), JSON.stringify({
      name: 'dev.roleport.host', description: 'hangs', path: hang, type: 'stdio',
      allowed_origins: [`chrome-extension://${CHROMIUM_ID}/`],
    }));
    const popup = await b.context.newPage();
    await popup.goto(CHROMIUM_POPUP);
    const alert = popup.locator('[role="alert"]');
    // The limit is 60 s for list_profiles.
    await alert.waitFor({ timeout: 90000 });
    assert.equal(await alert.getAttribute('data-code'), 'host_timeout', await alert.textContent());
    assert.match(await alert.textContent(), /did not answer list_profiles within 60 s/);
    // The port was closed, which ends the hung process; a working host serves the next request.
    await eventually(() => !hungPids(hang).length, 'the hung host ended', 15000);
    roleport(['host', 'install', '--browser', 'chromium', '--user-data-dir', b.udd], b.env);
    await popup.reload();
    await popup.locator('[data-profile="prod"]').waitFor({ timeout: 15000 });
  } finally {
    await b.done();
  }
});

/** Pids of processes running `script`. */
function hungPids(script) {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(script);
    } catch {
      return false;
    }
  });
}

test('a host error reaches the popup as a message with a hint', async () => {
  const b = await launch();
  try {
    // Break the profile after the popup has listed it: the next open fails in the host.
    const cfg = join(b.home, '.aws', 'config');
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(/source_profile = alice\nroleport_color = red/, 'source_profile = nobody\nroleport_color = red'));
    await b.popup.locator('[data-profile="prod"]').click();
    const alert = b.popup.locator('[role="alert"]');
    await eventually(async () => /nobody/.test(await alert.textContent()), 'the error in the popup');
  } finally {
    await b.done();
  }
});

/** Pids of the roleport hosts this test's browser started (matched by their HOME). */
function hostPids(home) {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((pid) => {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      return cmd[0] === HOST_BIN && env.includes(`HOME=${home}`);
    } catch {
      return false;
    }
  }).map(Number);
}

test('when the host dies the background starts a new one by itself and the next click works', async () => {
  const b = await launch();
  try {
    await b.popup.locator('[data-profile="prod"]').click();
    await consoleTab(b.context, '111111111111');
    const [pid] = await eventually(() => hostPids(b.home).length === 1 && hostPids(b.home), 'one running host');
    process.kill(pid, 'SIGKILL');
    // The background notices and starts a new host by itself (no click): `roleport open`
    // from a terminal keeps working after a crash.
    const [next] = await eventually(() => {
      const pids = hostPids(b.home);
      return pids.length === 1 && pids[0] !== pid && pids;
    }, 'a new host started by the background');
    assert.ok(next);
    await b.popup.locator('[data-profile="dev"]').click();
    await consoleTab(b.context, '222222222222');
  } finally {
    await b.done();
  }
});

test('MFA: the popup asks for a code, a wrong one is refused, a retry opens, the next role needs none', async () => {
  const b = await launch();
  try {
    await b.popup.locator('[data-profile="prod-mfa"]').click();
    const code = b.popup.locator('input[autocomplete="one-time-code"]');
    await code.waitFor({ timeout: 15000 });
    assert.match(await b.popup.locator('form.mfa label').textContent(), /mfa\/alice/);
    await code.fill('000000');
    await code.press('Enter');
    const alert = b.popup.locator('[role="alert"]');
    await eventually(async () => /refused the MFA code/.test(await alert.textContent()), 'the refusal');
    await code.fill(await aws.totp());
    await code.press('Enter');
    await consoleTab(b.context, '111111111111');
    await b.popup.locator('[data-profile="dev-mfa"]').click();
    await consoleTab(b.context, '222222222222');
    assert.equal(await b.popup.locator('input[autocomplete="one-time-code"]').count(), 0, 'no second prompt');
  } finally {
    await b.done();
  }
});

test('Cognito: the popup asks for the password, asks again after a wrong one, then opens the identity pool role', async () => {
  const b = await launch();
  try {
    await b.popup.locator('[data-profile="cognito"]').click();
    const field = () => b.popup.locator('input[type="password"]');
    await field().waitFor({ timeout: 15000 });
    assert.match(await b.popup.locator('form.mfa label').textContent(), /Cognito password of carol/);
    await field().fill('Wrong-Password-1');
    await field().press('Enter');
    await eventually(async () => /Cognito refused the password/.test(
      await b.popup.locator('form.mfa label').textContent({ timeout: 500 })), 'the refusal in the prompt');
    await field().fill(aws.cognito.password);
    await field().press('Enter');
    const tab = await consoleTab(b.context, aws.cognito.account_id);
    assert.equal(await tab.locator('#role').textContent(), 'CognitoUser');
    assert.deepEqual(await groupOf(b.worker, tab).then((g) => g && { title: g.title, color: g.color }),
      { title: 'cognito', color: 'orange' });
    assert.equal(await field().count(), 0, 'the prompt is gone');
    await assertNoCredentialsInFrames(aws, b.home);
    const frames = readFileSync(join(b.home, 'frames.jsonl'), 'utf8');
    assert.ok(!frames.includes(aws.cognito.password), 'the password never comes back from the host');
  } finally {
    await b.done();
  }
});

test('an ExternalId role opens, and a chained role opens with its session capped and says so', async () => {
  const b = await launch();
  try {
    await b.popup.locator('[data-profile="partner"]').click();
    const partner = await consoleTab(b.context, aws.user.account_id);
    assert.equal(await partner.locator('#role').textContent(), 'Partner');
    await b.popup.locator('[data-profile="audit"]').click();
    await consoleTab(b.context, '333333333333');
    const status = b.popup.locator('[role="status"]');
    await eventually(async () => /capped at 3600/.test(await status.textContent()), 'the capped-session notice');
  } finally {
    await b.done();
  }
});

test('Space marks several profiles and Enter opens them all at once, each in its own group', async () => {
  const b = await launch();
  try {
    const search = b.popup.locator('input[type=search]');
    await b.popup.locator('[data-profile="alice"]').waitFor();
    // Rows are alphabetical: alice, alice-mfa… — move to dev, mark it, move to prod, mark it.
    const names = await b.popup.locator('[data-profile]').evaluateAll((rows) => rows.map((r) => r.dataset.profile));
    const press = async (key, times = 1) => { for (let i = 0; i < times; i++) await search.press(key); };
    await press('ArrowDown', names.indexOf('dev'));
    await press(' ');
    await press('ArrowDown', names.indexOf('prod') - names.indexOf('dev'));
    await press(' ');
    assert.equal(await b.popup.locator('[data-marked="true"]').count(), 2);
    await press('Enter');
    const prod = await consoleTab(b.context, '111111111111');
    const dev = await consoleTab(b.context, '222222222222');
    assert.equal((await groupOf(b.worker, prod)).title, 'prod');
    assert.equal((await groupOf(b.worker, dev)).title, 'dev');
    await eventually(async () => /Opened/.test(await b.popup.locator('[role="status"]').textContent()), 'the status');
  } finally {
    await b.done();
  }
});

test('a starred profile stays pinned on top the next time the popup opens; recents follow', async () => {
  const b = await launch();
  try {
    await b.popup.locator('[data-star="prod"]').click();
    await b.popup.locator('[data-profile="dev"]').click();
    await consoleTab(b.context, '222222222222');
    await b.popup.reload();
    const order = await eventually(async () => {
      const rows = await b.popup.locator('[data-profile]').evaluateAll((r) => r.map((e) => e.dataset.profile));
      return rows.length > 2 && rows;
    }, 'the list after reopening');
    assert.deepEqual(order.slice(0, 2), ['prod', 'dev'], 'favourite, then the recently opened');
    assert.equal(await b.popup.locator('[data-star="prod"]').getAttribute('aria-pressed'), 'true');
  } finally {
    await b.done();
  }
});

test('the fresh list after the cached one leaves equal rows in place, so a click meanwhile lands', async () => {
  const b = await launch();
  try {
    // The first popup gave the background its list; the next one is drawn from it at once,
    // then asks the host again. Count the profile rows taken out of the page from then on.
    await b.popup.waitForFunction(() => performance.getEntriesByName('roleport:fresh').length > 0);
    await b.popup.addInitScript(() => {
      window.rowsRemoved = 0;
      new MutationObserver((records) => {
        for (const r of records) {
          for (const n of r.removedNodes) if (n.nodeType === 1 && n.matches('[data-profile]')) window.rowsRemoved += 1;
        }
      }).observe(document, { childList: true, subtree: true });
    });
    await b.popup.reload();
    await b.popup.waitForFunction(() => performance.getEntriesByName('roleport:fresh').length > 0);
    assert.ok(await b.popup.locator('[data-profile="prod"]').count() > 0, 'the rows are drawn');
    assert.equal(await b.popup.evaluate(() => window.rowsRemoved), 0, 'no row was drawn again');

    // A list that did change is drawn: a profile added to ~/.aws/config shows up.
    const config = join(b.home, '.aws', 'config');
    writeFileSync(config, `${readFileSync(config, 'utf8')}\n[profile added-later]\nrole_arn = arn:aws:iam::444444444444:role/Admin\nsource_profile = alice\n`);
    await b.popup.reload();
    await b.popup.locator('[data-profile="added-later"]').waitFor();
  } finally {
    await b.done();
  }
});

test('SSO: the popup signs in to IAM Identity Center in a normal tab, and approval opens the console', async () => {
  const b = await launch();
  try {
    await b.popup.locator('[data-profile="sso-admin"]').click();
    const button = b.popup.locator('button[data-sso-login]');
    await button.waitFor({ timeout: 15000 });
    assert.match(await button.textContent(), /Sign in to corp/);
    await button.click();
    const code = await eventually(() => b.popup.locator('[data-user-code]').getAttribute('data-user-code', { timeout: 500 }),
      'the user code in the popup');
    const page = await eventually(() => b.context.pages().find((p) => p.url().includes(`user_code=${code}`)), 'the verification tab');
    assert.ok(page.url().startsWith(`${aws.sso}/device`), page.url());
    // The identity provider's page belongs to no account: it is in no tab group.
    const groupId = await b.worker.evaluate(async (code) =>
      (await chrome.tabs.query({})).find((t) => t.url.includes(code))?.groupId, code);
    assert.equal(groupId, -1);
    const approved = await fetch(`${aws.sso}/_sso/approve?user_code=${code}`, { method: 'POST' });
    assert.equal(approved.status, 200);
    const tab = await consoleTab(b.context, '100000000002');
    assert.equal(await tab.locator('#role').textContent(), 'AdministratorAccess');
    assert.deepEqual(await groupOf(b.worker, tab).then((g) => g && { title: g.title, color: g.color }),
      { title: 'sso-admin', color: 'purple' });
    await eventually(async () => /Opened sso-admin/.test(await b.popup.locator('[role="status"]').textContent()), 'the status');
    assert.equal(await b.popup.locator('button[data-sso-login]').count(), 0, 'the prompt is gone');
    await assertNoCredentialsInFrames(aws, b.home);
  } finally {
    await b.done();
  }
});

test('SSO sync: the popup lists every account and role of the organisation, and a discovered role opens', async () => {
  const b = await launch();
  try {
    await ssoSignedIn(aws, b.home, { accounts: 20, roles: 2, rateLimit: 5 });
    const sync = b.popup.locator('button[data-sso-sync]');
    await sync.click();
    // Paced under the stub's 5 calls a second, the sync takes seconds: its progress shows.
    await eventually(async () => /corp: roles of \d+\/20 accounts/.test(
      await b.popup.locator('[data-sync-status]').textContent({ timeout: 500 })), 'the progress line');
    await eventually(async () => (await b.popup.locator('[data-sync-status]').textContent({ timeout: 500 }))
      === 'corp: 20 accounts, 40 roles.', 'the summary', 60000);
    const row = b.popup.locator('[data-profile="account-0007/ReadOnlyAccess"]');
    await row.waitFor({ timeout: 15000 });
    assert.match(await row.textContent(), /account-0007 · 100000000008 · ReadOnlyAccess/);
    // Typing the account's name finds its roles.
    await b.popup.locator('input.search').fill('account-0007');
    assert.equal(await b.popup.locator('[data-profile^="account-0007/"]').count(), 2);
    await row.click();
    const tab = await consoleTab(b.context, '100000000008');
    assert.equal(await tab.locator('#role').textContent(), 'ReadOnlyAccess');
    assert.equal((await groupOf(b.worker, tab))?.title, 'account-0007/ReadOnlyAccess');
    await assertNoCredentialsInFrames(aws, b.home);
  } finally {
    await fetch(`${aws.sso}/_sso/settings?rate_limit=`, { method: 'POST' });
    await b.done();
  }
});
