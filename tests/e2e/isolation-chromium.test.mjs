// Chromium isolation: six AWS accounts side by side, each tab group with its own cookie jar
// kept by the extension (declarativeNetRequest rules per tab; ARCHITECTURE.md, "Chromium
// isolation"). The fake console shows the account of the session cookie it receives on the
// shared parent domain, and the last sign-in wins in a shared jar: with isolation switched
// off the same run must show every tab clobbered by the last account.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAws, eventually, cleanup, extensionForStubs, CONSOLE_HOST } from './harness.mjs';
import { launchChromium, CHROMIUM_POPUP } from './browsers.mjs';

let aws;
let extensionDir;
before(async () => {
  aws = await startAws();
  extensionDir = extensionForStubs();
});
after(() => { aws?.stop(); cleanup(extensionDir); });

/** Six profiles, six distinct accounts: the demo seed's four and two more roles that moto
 * lets alice assume (moto's AssumeRole accepts any role and puts the session in its account). */
const ACCOUNTS = [
  ['prod', '111111111111'],
  ['dev', '222222222222'],
  ['audit', '333333333333'],
  ['alice', null], // alice's own account (the seeded user), filled in from the emulator
  ['ops', '555555555555'],
  ['sec', '666666666666'],
];
const EXTRA_PROFILES = [
  '[profile ops]', 'role_arn = arn:aws:iam::555555555555:role/Ops', 'source_profile = alice', 'roleport_color = cyan', '',
  '[profile sec]', 'role_arn = arn:aws:iam::666666666666:role/Security', 'source_profile = alice', 'roleport_color = pink', '',
].join('\n');

/** The identity a console page shows. */
async function identity(page) {
  const account = await page.locator('#account').textContent({ timeout: 5000 }).catch(() => null);
  const role = await page.locator('#role').textContent({ timeout: 500 }).catch(() => null);
  return { account, role };
}

/** Launches Chromium with isolation on or off and opens the six accounts one after another
 * from the popup; resolves with the browser and one {profile, account, role, page} per tab. */
async function openSix({ isolation }) {
  const b = await launchChromium(aws, { extensionDir });
  appendFileSync(join(b.home, '.aws', 'config'), `\n${EXTRA_PROFILES}`);
  await b.worker.evaluate((on) => chrome.storage.local.set({ chromium_isolation: on }), isolation);
  const popup = await b.context.newPage();
  await popup.goto(CHROMIUM_POPUP);
  const opened = [];
  for (const [profile, expected] of ACCOUNTS) {
    const account = expected ?? aws.user.account_id;
    await popup.locator(`[data-profile="${profile}"]`).click();
    const page = await eventually(async () => {
      for (const p of b.context.pages()) {
        if (!p.url().includes(CONSOLE_HOST) || opened.some((o) => o.page === p)) continue;
        if ((await identity(p)).account === account) return p;
      }
      return null;
    }, `the console tab of ${profile} (${account})`, 20000);
    opened.push({ profile, ...(await identity(page)), page });
  }
  return { b, opened };
}

test('six accounts side by side keep their own console sessions across reloads and navigation', async () => {
  const { b, opened } = await openSix({ isolation: true });
  try {
    assert.equal(new Set(opened.map((o) => o.account)).size, 6, 'six distinct accounts');
    for (const o of opened) {
      await o.page.reload();
      assert.deepEqual(await identity(o.page), { account: o.account, role: o.role }, `${o.profile} after a reload`);
    }
    for (const o of opened) {
      // A navigation the page itself starts, as a click inside the console does.
      await Promise.all([o.page.waitForURL(/\/console\/ec2/), o.page.evaluate(() => location.assign('/console/ec2'))]);
      assert.equal(await o.page.locator('#path').textContent(), '/console/ec2');
      assert.deepEqual(await identity(o.page), { account: o.account, role: o.role }, `${o.profile} after navigating`);
    }
    // The rules stripped every Set-Cookie: the browser's own, shared jar never got a session.
    const shared = (await b.context.cookies()).filter((c) => c.name === 'aws-session');
    assert.deepEqual(shared, [], 'no session cookie in the shared jar');

    // A tab the console opens (window.open) joins its opener's jar.
    const first = opened[0];
    const [child] = await Promise.all([
      b.context.waitForEvent('page'),
      first.page.evaluate(() => { window.open('/console/s3'); }),
    ]);
    await eventually(async () => (await identity(child)).account === first.account, `the opened tab shows ${first.account}`);
    assert.deepEqual(await identity(child), { account: first.account, role: first.role });
  } finally {
    await b.done();
  }
});

test('the jars outlive a restart of the extension service worker', async () => {
  const { b, opened } = await openSix({ isolation: true });
  try {
    const cdp = await b.context.newCDPSession(opened[0].page);
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
    // A seventh tab, opened through the restarted worker: its rules replace the whole rule
    // set, so the six earlier tabs keep their sessions only if the stored jars came back.
    const popup = await b.context.newPage();
    await popup.goto(CHROMIUM_POPUP);
    // Another tab of dev's session (not a switch to its tab): it joins dev's jar.
    await popup.evaluate(() => chrome.storage.local.set({ when_open: 'new_tab' }));
    await popup.locator('[data-profile="dev"]').click();
    await eventually(async () => {
      const devs = [];
      for (const p of b.context.pages()) {
        if (p.url().includes(CONSOLE_HOST) && (await identity(p)).account === '222222222222') devs.push(p);
      }
      return devs.length === 2;
    }, 'a second dev tab');
    for (const o of opened) {
      await o.page.reload();
      assert.deepEqual(await identity(o.page), { account: o.account, role: o.role }, `${o.profile} after the restart`);
    }
  } finally {
    await b.done();
  }
});

test('negative control: with isolation switched off the last sign-in clobbers every tab', async () => {
  const { b, opened } = await openSix({ isolation: false });
  try {
    const last = opened.at(-1);
    for (const o of opened) {
      await o.page.reload();
      assert.deepEqual(await identity(o.page), { account: last.account, role: last.role },
        `${o.profile} shows the last sign-in after a reload`);
    }
  } finally {
    await b.done();
  }
});
