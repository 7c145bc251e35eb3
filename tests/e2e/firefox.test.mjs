// Real headless Firefox ESR, driven by geckodriver + selenium-webdriver, with the built
// extension installed as a temporary add-on and the host registered by
// `roleport host install --browser firefox` in a throwaway HOME.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { By, Key, until } from 'selenium-webdriver';
import { startAws, roleport, assertNoCredentialsInFrames, eventually, ssoSignedIn } from './harness.mjs';
import { launchFirefox, firefoxConsoleTab, containerOf as containerIn, FIREFOX_POPUP } from './browsers.mjs';

const POPUP = FIREFOX_POPUP;

let aws;
before(async () => { aws = await startAws(); });
after(() => aws?.stop());

async function launch() {
  const b = await launchFirefox(aws);
  await b.driver.get(POPUP);
  b.popup = b.first;
  return b;
}

const consoleTab = firefoxConsoleTab;
const containerOf = (b, account) => containerIn(b.driver, b.popup, account);

async function click(b, profile) {
  await b.driver.switchTo().window(b.popup);
  // The popup redraws its rows on every message (a late list or progress answer): a row found
  // just before a redraw is stale, so find it again and retry.
  await eventually(async () => {
    const row = await b.driver.wait(until.elementLocated(By.css(`[data-profile="${profile}"]`)), 15000);
    await row.click();
    return true;
  }, `a click on ${profile}`);
}

async function shownAccount(driver, handle) {
  await driver.switchTo().window(handle);
  await driver.navigate().refresh();
  const el = await driver.wait(until.elementLocated(By.css('#account, #signed-out')), 10000);
  return (await el.getAttribute('id')) === 'account' ? el.getText() : 'signed out';
}

test('clicking a profile opens its signed-in console in a container named after it', async () => {
  const b = await launch();
  try {
    await click(b, 'prod');
    const prod = await consoleTab(b.driver, '111111111111');
    assert.equal(await b.driver.findElement(By.id('role')).getText(), 'Admin');
    const container = await containerOf(b, '111111111111');
    assert.deepEqual({ ...container, id: undefined }, { id: undefined, name: 'prod', color: 'red', icon: 'fence' });

    // Opening it again once its session is over (its tab closed) reuses the container
    // instead of making a second one.
    await b.driver.switchTo().window(prod);
    await b.driver.close();
    await b.driver.switchTo().window(b.popup);
    await eventually(async () => (await b.driver.findElements(By.css('[data-live-session]'))).length === 0,
      'the session over with its tab');
    await click(b, 'prod');
    await consoleTab(b.driver, '111111111111');
    await b.driver.switchTo().window(b.popup);
    const again = await b.driver.executeAsyncScript(async (done) =>
      done((await browser.contextualIdentities.query({ name: 'prod' })).length));
    assert.equal(again, 1);
    await assertNoCredentialsInFrames(aws, b.home);
  } finally {
    await b.done();
  }
});

test('two accounts in containers each keep their own session after reload', async () => {
  const b = await launch();
  try {
    await click(b, 'prod');
    const prod = await consoleTab(b.driver, '111111111111');
    await click(b, 'dev');
    const dev = await consoleTab(b.driver, '222222222222');
    assert.equal(await shownAccount(b.driver, prod), '111111111111');
    assert.equal(await shownAccount(b.driver, dev), '222222222222');
    const [c1, c2] = [await containerOf(b, '111111111111'), await containerOf(b, '222222222222')];
    assert.notEqual(c1.id, c2.id);
    assert.equal(c2.color, 'blue');
  } finally {
    await b.done();
  }
});

test('negative control: the same two sign-ins without containers clobber each other', async () => {
  const b = await launch();
  try {
    // Sign-in URLs from the CLI, opened in ordinary tabs: one shared cookie jar.
    const prodUrl = roleport(['url', 'prod'], b.env).trim();
    const devUrl = roleport(['url', 'dev'], b.env).trim();
    await b.driver.switchTo().newWindow('tab');
    await b.driver.get(prodUrl);
    const prod = await consoleTab(b.driver, '111111111111');
    await b.driver.switchTo().newWindow('tab');
    await b.driver.get(devUrl);
    await consoleTab(b.driver, '222222222222');
    assert.equal(await shownAccount(b.driver, prod), '222222222222', 'the fake console must read the shared cookie');
  } finally {
    await b.done();
  }
});

test('MFA in the Firefox popup: a wrong code is refused, a retry opens in the container', async () => {
  const b = await launch();
  try {
    await click(b, 'prod-mfa');
    const field = await b.driver.wait(until.elementLocated(By.css('input[autocomplete="one-time-code"]')), 15000);
    await field.sendKeys('000000', Key.ENTER);
    await b.driver.wait(async () => {
      const alerts = await b.driver.findElements(By.css('[role="alert"]'));
      return alerts.length > 0 && /refused the MFA code/.test(await alerts[0].getText());
    }, 15000);
    const fresh = await b.driver.findElement(By.css('input[autocomplete="one-time-code"]'));
    await fresh.sendKeys(await aws.totp(), Key.ENTER);
    await consoleTab(b.driver, '111111111111');
    const container = await containerOf(b, '111111111111');
    assert.equal(container.name, 'prod-mfa');
  } finally {
    await b.done();
  }
});

test('an ExternalId role and a capped chained role open in their containers', async () => {
  const b = await launch();
  try {
    await click(b, 'partner');
    await consoleTab(b.driver, aws.user.account_id);
    assert.equal(await b.driver.findElement(By.id('role')).getText(), 'Partner');
    await click(b, 'audit');
    await consoleTab(b.driver, '333333333333');
    assert.equal((await containerOf(b, '333333333333')).name, 'audit');
    await b.driver.switchTo().window(b.popup);
    const status = await b.driver.findElement(By.css('[role="status"]'));
    await b.driver.wait(async () => /capped at 3600/.test(await status.getText()), 15000);
  } finally {
    await b.done();
  }
});

test('SSO: the popup signs in to IAM Identity Center in a normal tab, and approval opens the console', async () => {
  const b = await launch();
  try {
    await click(b, 'sso-admin');
    const button = await b.driver.wait(until.elementLocated(By.css('button[data-sso-login]')), 15000);
    assert.match(await button.getText(), /Sign in to corp/);
    await button.click();
    const code = await eventually(async () => {
      await b.driver.switchTo().window(b.popup);
      const shown = await b.driver.findElements(By.css('[data-user-code]'));
      return shown.length ? shown[0].getAttribute('data-user-code') : null;
    }, 'the user code in the popup');
    // The identity provider's page opens outside every container.
    const store = await eventually(() => b.driver.executeAsyncScript(async (code, done) => {
      const tab = (await browser.tabs.query({})).find((t) => (t.url ?? '').includes(`user_code=${code}`));
      done(tab ? tab.cookieStoreId : null);
    }, code), 'the verification tab');
    assert.equal(store, 'firefox-default');
    const approved = await fetch(`${aws.sso}/_sso/approve?user_code=${code}`, { method: 'POST' });
    assert.equal(approved.status, 200);
    await consoleTab(b.driver, '100000000002');
    assert.equal(await b.driver.findElement(By.id('role')).getText(), 'AdministratorAccess');
    const container = await containerOf(b, '100000000002');
    assert.deepEqual({ name: container.name, color: container.color }, { name: 'sso-admin', color: 'purple' });
    await assertNoCredentialsInFrames(aws, b.home);
  } finally {
    await b.done();
  }
});

test('Cognito in the Firefox popup: the typed password opens the identity pool role in its container', async () => {
  const b = await launch();
  try {
    await click(b, 'cognito');
    const field = await b.driver.wait(until.elementLocated(By.css('input[type="password"]')), 15000);
    await field.sendKeys(aws.cognito.password, Key.ENTER);
    await consoleTab(b.driver, aws.cognito.account_id);
    assert.equal(await b.driver.findElement(By.id('role')).getText(), 'CognitoUser');
    const container = await containerOf(b, aws.cognito.account_id);
    assert.deepEqual({ name: container.name, color: container.color }, { name: 'cognito', color: 'orange' });
    await assertNoCredentialsInFrames(aws, b.home);
  } finally {
    await b.done();
  }
});

test('SSO sync in the Firefox popup: discovered roles are listed and open in their own containers', async () => {
  const b = await launch();
  try {
    await ssoSignedIn(aws, b.home, { accounts: 12, roles: 2 });
    await b.driver.switchTo().window(b.popup);
    const sync = await b.driver.wait(until.elementLocated(By.css('button[data-sso-sync]')), 15000);
    await sync.click();
    await eventually(async () => {
      await b.driver.switchTo().window(b.popup);
      const status = await b.driver.findElements(By.css('[data-sync-status]'));
      return status.length && (await status[0].getText()) === 'corp: 12 accounts, 24 roles.';
    }, 'the summary', 60000);
    await click(b, 'account-0004/ReadOnlyAccess');
    await consoleTab(b.driver, '100000000005');
    assert.equal(await b.driver.findElement(By.id('role')).getText(), 'ReadOnlyAccess');
    const container = await containerOf(b, '100000000005');
    assert.equal(container.name, 'account-0004/ReadOnlyAccess');
    await assertNoCredentialsInFrames(aws, b.home);
  } finally {
    await b.done();
  }
});
