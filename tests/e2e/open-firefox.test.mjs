// `roleport open` from a terminal with real headless Firefox ESR running: the background opens
// its host port at start-up (no popup needed), the host listens on its socket, and the CLI's
// request ends as a console tab in the profile's container.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { Builder, By } from 'selenium-webdriver';
import firefox from 'selenium-webdriver/firefox.js';
import {
  startAws, makeHome, browserEnv, roleport, roleportAsync, assertNoCredentialsInFrames, cleanup,
  eventually, hostSocket, EXTENSION_DIR, GECKO_ID, CONSOLE_HOST, SIGNIN_HOST,
} from './harness.mjs';

const UUID = '6a1c3f0e-2b4d-4e8a-9c1f-0d5e7b3a9f21';
const PAGE = `moz-extension://${UUID}/popup.html`;

let aws;
before(async () => { aws = await startAws(); });
after(() => aws?.stop());

async function launch() {
  const home = makeHome(aws);
  const env = browserEnv(aws, home);
  roleport(['host', 'install', '--browser', 'firefox'], env);
  const options = new firefox.Options()
    .setBinary(process.env.FIREFOX_BIN ?? '/usr/bin/firefox-esr')
    .addArguments('-headless')
    .setPreference('extensions.webextensions.uuids', JSON.stringify({ [GECKO_ID]: UUID }))
    .setPreference('network.dns.localDomains', `${SIGNIN_HOST},${CONSOLE_HOST}`)
    .setPreference('browser.shell.checkDefaultBrowser', false)
    .setPreference('datareporting.policy.dataSubmissionEnabled', false);
  const geckodriver = process.env.GECKODRIVER_BIN ?? join(homedir(), '.cargo', 'bin', 'geckodriver');
  const service = new firefox.ServiceBuilder(geckodriver)
    .addArguments('--allow-system-access')
    .setEnvironment(env);
  const driver = await new Builder().forBrowser('firefox').setFirefoxOptions(options).setFirefoxService(service).build();
  try {
    await driver.installAddon(EXTENSION_DIR, true);
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

/** Switches to the tab showing `account`'s console and returns its handle. */
async function consoleTab(driver, account) {
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

/** The container of the console tab of `account`, asked from an extension page in the first tab. */
async function containerOf(b, account) {
  await b.driver.switchTo().window(b.first);
  if (!(await b.driver.getCurrentUrl()).startsWith('moz-extension:')) await b.driver.get(PAGE);
  return b.driver.executeAsyncScript(async (account, done) => {
    const [tab] = (await browser.tabs.query({})).filter((t) => t.title.includes(account));
    if (!tab || tab.cookieStoreId === 'firefox-default') return done(null);
    const c = await browser.contextualIdentities.get(tab.cookieStoreId);
    done({ id: c.cookieStoreId, name: c.name, color: c.color, icon: c.icon });
  }, account);
}

/** Waits until the browser's host listens: the background opened its port by itself. */
function socketUp(b) {
  return eventually(() => hostSocket(b.env, 'firefox'), 'the host socket (port opened at start-up)');
}

test('roleport open puts the console in the profile\'s container of the running Firefox', async () => {
  const b = await launch();
  try {
    await socketUp(b);
    const r = await roleportAsync(['open', 'prod', '--json'], b.env);
    assert.equal(r.code, 0, r.stderr);
    const opened = JSON.parse(r.stdout);
    assert.equal(opened.browser, 'firefox');
    assert.equal(opened.profile, 'prod');
    assert.equal(opened.account_id, '111111111111');
    assert.ok(!r.stdout.includes('SigninToken'), 'the sign-in URL never reaches the terminal');
    await consoleTab(b.driver, '111111111111');
    assert.equal(await b.driver.findElement(By.id('role')).getText(), 'Admin');
    const prod = await containerOf(b, '111111111111');
    assert.deepEqual(prod, { id: opened.container, name: 'prod', color: 'red', icon: 'fence' });

    // A deep link by service shortcut, for another profile: its own container, on the S3 page.
    const s3 = await roleportAsync(['open', 'dev', '--service', 's3', '--region', 'eu-west-1'], b.env);
    assert.equal(s3.code, 0, s3.stderr);
    assert.match(s3.stdout, /opened dev \(222222222222, [^)]+\) in firefox, container "dev"/);
    await consoleTab(b.driver, '222222222222');
    assert.equal(await b.driver.findElement(By.id('path')).getText(), '/s3/home?region=eu-west-1');
    const dev = await containerOf(b, '222222222222');
    assert.equal(dev.name, 'dev');
    assert.notEqual(dev.id, prod.id);

    await assertNoCredentialsInFrames(aws, b.home, { expect: '"open_tab"' });
  } finally {
    await b.done();
  }
});

test('roleport open fails plainly once Firefox has quit', async () => {
  const b = await launch();
  try {
    const socket = await socketUp(b);
    await b.close();
    await eventually(() => !existsSync(socket), 'the socket to go with the browser');
    const r = await roleportAsync(['open', 'prod', '--browser', 'firefox'], b.env);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /no firefox with roleport's extension is running/);
    assert.match(r.stderr, /start Firefox with the roleport extension/);
  } finally {
    await b.done();
  }
});
