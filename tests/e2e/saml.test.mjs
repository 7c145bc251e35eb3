// SAML / ADFS sign-in in both browsers: the stub identity provider posts a SAMLResponse with
// three roles to the (stub) AWS SAML endpoint; the extension sees the post, the host lists the
// roles, the role chooser (saml.html) opens; two chosen roles open in two containers / tab
// groups, each console showing its own identity. The assertion never comes back from the host.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { By, until } from 'selenium-webdriver';
import {
  startAws, assertNoCredentialsInFrames, assertNoAssertionInFrames, extensionForStubs,
  eventually, cleanup, CHROMIUM_ID,
} from './harness.mjs';
import {
  launchChromium, chromiumConsoleTab, groupOf, launchFirefox, firefoxConsoleTab, containerOf,
  FIREFOX_UUID,
} from './browsers.mjs';

let aws;
let extensionDir;
before(async () => {
  aws = await startAws();
  extensionDir = extensionForStubs();
});
after(() => {
  aws?.stop();
  cleanup(extensionDir);
});

const PROD = { account: '111111111111', role: 'Admin', group: 'saml:111111111111/Admin' };
const DEV = { account: '222222222222', role: 'Developer', group: 'saml:222222222222/Developer' };

test('chromium: an IdP sign-in shows its roles; two chosen open in two tab groups, each its own identity', async () => {
  const b = await launchChromium(aws, { extensionDir });
  try {
    // A fresh profile's worker registers its listeners when its script first runs: a post
    // made before that is not seen (an installed extension's worker is woken by the event).
    await eventually(() => b.worker.evaluate(() => chrome.webRequest.onBeforeRequest.hasListeners()),
      'the SAML listener');
    const idp = await b.context.newPage();
    await idp.goto(aws.idp);
    // The post still reaches AWS (here the stub's role chooser): roleport only reads it.
    await eventually(async () => (await idp.locator('#roles').count()) === 1, "the sign-in host's own page");
    const chooser = await eventually(
      () => b.context.pages().find((p) => p.url().startsWith(`chrome-extension://${CHROMIUM_ID}/saml.html#`)),
      'the role chooser',
    );
    const boxes = chooser.locator('input[data-role-arn]');
    await eventually(async () => (await boxes.count()) === 3, 'three roles listed');
    await chooser.locator(`input[data-role-arn="${aws.roles.prod}"]`).check();
    await chooser.locator(`input[data-role-arn="${aws.roles.dev}"]`).check();
    await chooser.locator('#open-roles').click();

    const prod = await chromiumConsoleTab(b.context, PROD.account);
    const dev = await chromiumConsoleTab(b.context, DEV.account);
    assert.equal(await prod.locator('#role').textContent(), PROD.role);
    assert.equal(await dev.locator('#role').textContent(), DEV.role);
    assert.equal(await prod.locator('#session-name').textContent(), 'alice@example.com');
    const [prodGroup, devGroup] = [await groupOf(b.worker, prod), await groupOf(b.worker, dev)];
    assert.equal(prodGroup.title, PROD.group);
    assert.equal(devGroup.title, DEV.group);
    assert.notEqual(prodGroup.id, devGroup.id);
    await eventually(async () => (await chooser.locator('[data-state="opened"]').count()) === 2, 'both rows opened');
    assert.equal(await chooser.locator('[role="alert"]').count(), 0);

    assert.ok(await assertNoAssertionInFrames(aws, b.home) > 0);
    await assertNoCredentialsInFrames(aws, b.home, { expect: '"saml_open"' });
  } finally {
    await b.done();
  }
});

test('firefox: an IdP sign-in shows its roles; two chosen open in two containers, each its own identity', async () => {
  const b = await launchFirefox(aws, { extensionDir });
  try {
    const { driver } = b;
    await driver.get(aws.idp);
    await driver.wait(until.elementLocated(By.id('roles')), 15000);
    const chooser = await eventually(async () => {
      for (const handle of await driver.getAllWindowHandles()) {
        await driver.switchTo().window(handle);
        if ((await driver.getCurrentUrl()).startsWith(`moz-extension://${FIREFOX_UUID}/saml.html#`)) return handle;
      }
      return null;
    }, 'the role chooser');
    await driver.switchTo().window(chooser);
    await eventually(async () => (await driver.findElements(By.css('input[data-role-arn]'))).length === 3, 'three roles listed');
    await driver.findElement(By.css(`input[data-role-arn="${aws.roles.prod}"]`)).click();
    await driver.findElement(By.css(`input[data-role-arn="${aws.roles.dev}"]`)).click();
    await driver.findElement(By.id('open-roles')).click();

    await firefoxConsoleTab(driver, PROD.account);
    assert.equal(await driver.findElement(By.id('role')).getText(), PROD.role);
    await firefoxConsoleTab(driver, DEV.account);
    assert.equal(await driver.findElement(By.id('role')).getText(), DEV.role);
    // Both consoles are still signed in as themselves after both sign-ins: the containers
    // keep their cookies apart (the fake console reads a cookie on the shared parent domain).
    const prodTab = await firefoxConsoleTab(driver, PROD.account);
    await driver.navigate().refresh();
    assert.equal(await driver.wait(until.elementLocated(By.id('account')), 10000).getText(), PROD.account);
    assert.ok(prodTab);

    const prodBox = await containerOf(driver, chooser, PROD.account);
    const devBox = await containerOf(driver, chooser, DEV.account);
    assert.equal(prodBox.name, PROD.group);
    assert.equal(devBox.name, DEV.group);
    assert.notEqual(prodBox.id, devBox.id);
    await driver.switchTo().window(chooser);
    await eventually(async () => (await driver.findElements(By.css('[data-state="opened"]'))).length === 2, 'both rows opened');

    assert.ok(await assertNoAssertionInFrames(aws, b.home) > 0);
    await assertNoCredentialsInFrames(aws, b.home, { expect: '"saml_open"' });
  } finally {
    await b.done();
  }
});
