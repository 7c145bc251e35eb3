// `roleport open` from a terminal with real headless Chromium running: the background opens
// its host port at start-up (no popup needed), the host listens on its socket, and the CLI's
// request ends as a console tab in the profile's tab group.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import {
  startAws, makeHome, browserEnv, roleportAsync, assertNoCredentialsInFrames, cleanup, eventually, hostSocket,
  extensionForStubs,
} from './harness.mjs';
import { launchChromium, chromiumConsoleTab, groupOf } from './browsers.mjs';

let aws;
let extensionDir;
before(async () => { aws = await startAws(); extensionDir = extensionForStubs(); });
after(() => { aws?.stop(); cleanup(extensionDir); });

const launch = () => launchChromium(aws, { extensionDir });
const consoleTab = chromiumConsoleTab;

/** Waits until the browser's host listens: the background opened its port by itself. */
function socketUp(b) {
  return eventually(() => hostSocket(b.env, 'chromium'), 'the host socket (port opened at start-up)');
}

test('roleport open puts the console in the profile\'s tab group of the running Chromium', async () => {
  const b = await launch();
  try {
    await socketUp(b);
    const r = await roleportAsync(['open', 'prod', '--json'], b.env);
    assert.equal(r.code, 0, r.stderr);
    const opened = JSON.parse(r.stdout);
    assert.equal(opened.browser, 'chromium');
    assert.equal(opened.profile, 'prod');
    assert.equal(opened.account_id, '111111111111');
    assert.ok(!r.stdout.includes('SigninToken'), 'the sign-in URL never reaches the terminal');
    const tab = await consoleTab(b.context, '111111111111');
    assert.equal(await tab.locator('#role').textContent(), 'Admin');
    const group = await groupOf(b.worker, tab);
    assert.deepEqual(group, { id: opened.group, title: 'prod', color: 'red' });

    // A deep link by service shortcut, for another profile: its own group, on the S3 page.
    const s3 = await roleportAsync(['open', 'dev', '--service', 's3', '--region', 'eu-west-1'], b.env);
    assert.equal(s3.code, 0, s3.stderr);
    assert.match(s3.stdout, /opened dev \(222222222222, [^)]+\) in chromium, tab group "dev"/);
    const dev = await consoleTab(b.context, '222222222222');
    assert.equal(await dev.locator('#path').textContent(), '/s3/home?region=eu-west-1');
    assert.deepEqual(await groupOf(b.worker, dev).then((g) => g && { title: g.title, color: g.color }),
      { title: 'dev', color: 'blue' });

    await assertNoCredentialsInFrames(aws, b.home, { expect: '"open_tab"' });
  } finally {
    await b.done();
  }
});

test('roleport open of one profile from two terminals at once puts both tabs in one tab group', async () => {
  const b = await launch();
  try {
    await socketUp(b);
    const runs = await Promise.all([1, 2].map(() => roleportAsync(['open', 'prod', '--json'], b.env)));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const groups = runs.map((r) => JSON.parse(r.stdout).group);
    assert.equal(groups[0], groups[1], 'one group for the profile');
    const titled = await b.worker.evaluate(async () => (await chrome.tabGroups.query({ title: 'prod' })).length);
    assert.equal(titled, 1, 'no second group named alike');
  } finally {
    await b.done();
  }
});

test('roleport open without a running browser fails and says how to fix it', async () => {
  // Nothing ever ran here.
  const home = makeHome(aws);
  try {
    const r = await roleportAsync(['open', 'prod'], browserEnv(aws, home));
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /no browser with roleport's extension is running/);
    assert.match(r.stderr, /start Firefox or Chromium with the roleport extension/);
    assert.match(r.stderr, /roleport url prod/);
  } finally {
    cleanup(home);
  }

  // A browser that ran and quit: its host took its socket along.
  const b = await launch();
  try {
    const socket = await socketUp(b);
    await b.close();
    await eventually(() => !existsSync(socket), 'the socket to go with the browser');
    const r = await roleportAsync(['open', 'prod', '--browser', 'chromium'], b.env);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /no chromium with roleport's extension is running/);
  } finally {
    await b.done();
  }
});

test('after idling past 30 s the service worker and its host are still reachable', async () => {
  const b = await launch();
  try {
    const socket = await socketUp(b);
    // Chromium stops an idle MV3 service worker after 30 s unless something (the port) keeps it.
    await new Promise((r) => setTimeout(r, 35000));
    assert.ok(existsSync(socket), 'the host is still running');
    const r = await roleportAsync(['open', 'prod'], b.env);
    assert.equal(r.code, 0, r.stderr);
    await consoleTab(b.context, '111111111111');
  } finally {
    await b.done();
  }
});
