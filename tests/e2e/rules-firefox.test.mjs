// Colour rules in real Firefox: a rule added on the options page recolours the profile's
// existing container (same cookieStoreId, read back with contextualIdentities.get) the next
// time it opens, and its popup row shows the label.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { By, until } from 'selenium-webdriver';
import { startAws, eventually } from './harness.mjs';
import { launchFirefox, firefoxConsoleTab, containerOf, FIREFOX_POPUP, FIREFOX_UUID } from './browsers.mjs';

const OPTIONS = `moz-extension://${FIREFOX_UUID}/options.html`;

let aws;
before(async () => { aws = await startAws(); });
after(() => aws?.stop());

async function click(driver, popup, profile) {
  await driver.switchTo().window(popup);
  // The popup redraws on every message: a row found just before a redraw is stale.
  await eventually(async () => {
    const row = await driver.wait(until.elementLocated(By.css(`[data-profile="${profile}"]`)), 15000);
    await row.click();
    return true;
  }, `a click on ${profile}`);
}

test('a rule added on the options page turns the open container red and labels the popup row', async () => {
  const extraConfig = `[profile shop]\nrole_arn = ${aws.roles.dev}\nsource_profile = alice\n`;
  const b = await launchFirefox(aws, { extraConfig });
  try {
    const { driver } = b;
    await driver.get(FIREFOX_POPUP);
    const popup = b.first;
    await click(driver, popup, 'shop');
    await firefoxConsoleTab(driver, '222222222222');
    const first = await containerOf(driver, popup, '222222222222');
    assert.equal(first.name, 'shop');
    assert.notEqual(first.color, 'red', 'the default colour must differ for the test to mean anything');

    // The options page, in the popup's window (an extension page like the popup).
    await driver.switchTo().window(popup);
    await driver.get(OPTIONS);
    await eventually(async () => {
      const status = await driver.findElements(By.css('[role="status"]'));
      return status.length > 0 && /rules from/.test(await status[0].getText());
    }, 'the options page with the settings read');
    await driver.findElement(By.id('add-rule')).click();
    const rule = await driver.wait(until.elementLocated(By.css('.rule[data-rule="0"]')), 5000);
    await rule.findElement(By.css('[data-field="name"]')).sendKeys('shop');
    await rule.findElement(By.css('[data-field="color"] option[value="red"]')).click();
    await rule.findElement(By.css('[data-field="label"]')).sendKeys('PROD');
    await driver.findElement(By.css('#when-open option[value="new_tab"]')).click();
    await driver.findElement(By.id('save')).click();
    await driver.wait(until.elementLocated(By.css('[role="status"][data-saved="true"]')), 15000);
    assert.equal((await driver.findElements(By.css('[role="alert"]'))).length, 0);
    const whenOpen = await driver.executeAsyncScript(async (done) =>
      done((await browser.storage.local.get('when_open')).when_open));
    assert.equal(whenOpen, 'new_tab');

    // Open it again: the same container, now red; the row carries the label.
    await driver.get(FIREFOX_POPUP);
    // Found afresh each try: the popup draws the rows again when the fresh list follows the
    // cached one, and a row found before that redraw is gone.
    const label = await eventually(async () => {
      const found = await driver.findElements(By.css('[data-profile="shop"] [data-label="PROD"]'));
      return found.length > 0 && found[0].getText();
    }, 'the shop row labelled PROD');
    assert.equal(label, 'PROD');
    await click(driver, popup, 'shop');
    const recoloured = await eventually(() => driver.executeAsyncScript(async (id, done) => {
      const tabs = (await browser.tabs.query({})).filter((t) => t.cookieStoreId === id);
      const c = await browser.contextualIdentities.get(id);
      done(tabs.length === 2 && { name: c.name, color: c.color });
    }, first.id), 'a second tab in the recoloured container');
    assert.deepEqual(recoloured, { name: 'shop', color: 'red' });
    const named = await driver.executeAsyncScript(async (done) =>
      done((await browser.contextualIdentities.query({ name: 'shop' })).length));
    assert.equal(named, 1, 'recoloured in place, not a second container');
  } finally {
    await b.done();
  }
});
