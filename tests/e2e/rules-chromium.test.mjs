// Colour rules in real Chromium: a rule added on the options page (Rust/wasm, saved through
// the background and the host into ~/.config/roleport/config.toml) recolours the profile's
// existing tab group the next time it opens, and its popup row shows the label.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startAws, extensionForStubs, cleanup, eventually, CHROMIUM_ID } from './harness.mjs';
import { launchChromium, chromiumConsoleTab, groupOf, CHROMIUM_POPUP } from './browsers.mjs';

const OPTIONS = `chrome-extension://${CHROMIUM_ID}/options.html`;

let aws;
let extensionDir;
before(async () => { aws = await startAws(); extensionDir = extensionForStubs(); });
after(() => { aws?.stop(); cleanup(extensionDir); });

test('a rule added on the options page turns the open tab group red and labels the popup row', async () => {
  // `shop` has no colour of its own, so the rules decide its look.
  const extraConfig = `[profile shop]\nrole_arn = ${aws.roles.dev}\nsource_profile = alice\n`;
  const b = await launchChromium(aws, { extensionDir, extraConfig });
  try {
    const popup = await b.context.newPage();
    await popup.goto(CHROMIUM_POPUP);
    await popup.locator('[data-profile="shop"]').click();
    const tab = await chromiumConsoleTab(b.context, '222222222222');
    const before = await groupOf(b.worker, tab);
    assert.equal(before.title, 'shop');
    assert.notEqual(before.color, 'red', 'the default colour must differ for the test to mean anything');
    assert.equal(await popup.locator('[data-profile="shop"] [data-label]').count(), 0);

    const options = await b.context.newPage();
    await options.goto(OPTIONS);
    await options.locator('[role="status"]', { hasText: 'rules from' }).waitFor({ timeout: 15000 });
    await options.locator('#add-rule').click();
    const rule = options.locator('.rule[data-rule="0"]');
    await rule.locator('[data-field="name"]').fill('shop');
    await rule.locator('[data-field="color"]').selectOption('red');
    await rule.locator('[data-field="label"]').fill('PROD');
    // Another click on an open account opens a tab instead of focusing the open one.
    await options.locator('#when-open').selectOption('new_tab');
    await options.locator('#save').click();
    await options.locator('[role="status"][data-saved="true"]').waitFor({ timeout: 15000 });
    assert.equal(await options.locator('[role="alert"]').count(), 0);

    const file = join(b.home, '.config', 'roleport', 'config.toml');
    assert.ok(existsSync(file), 'the host wrote the settings file');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(readFileSync(file, 'utf8'), /name = "shop"[\s\S]*color = "red"[\s\S]*label = "PROD"/);
    assert.equal(await b.worker.evaluate(async () => (await chrome.storage.local.get('when_open')).when_open), 'new_tab');

    // Open it again: the same group, now red; the popup row carries the label.
    await popup.goto(CHROMIUM_POPUP);
    const badge = popup.locator('[data-profile="shop"] [data-label="PROD"]');
    await badge.waitFor({ timeout: 15000 });
    assert.equal(await badge.textContent(), 'PROD');
    await popup.locator('[data-profile="shop"]').click();
    const after = await eventually(() => b.worker.evaluate(async (id) => {
      const tabs = (await chrome.tabs.query({})).filter((t) => t.groupId === id);
      const g = await chrome.tabGroups.get(id);
      return tabs.length === 2 && { title: g.title, color: g.color };
    }, before.id), 'a second tab in the recoloured group');
    assert.deepEqual(after, { title: 'shop', color: 'red' });
  } finally {
    await b.done();
  }
});

test('a bad rule is refused on the options page with the host\'s reason, and nothing is saved', async () => {
  const b = await launchChromium(aws, { extensionDir });
  try {
    const options = await b.context.newPage();
    await options.goto(OPTIONS);
    await options.locator('[role="status"]', { hasText: 'rules from' }).waitFor({ timeout: 15000 });
    await options.locator('#add-rule').click();
    const rule = options.locator('.rule[data-rule="0"]');
    await rule.locator('[data-field="regex"]').check();
    await rule.locator('[data-field="name"]').fill('(prod');
    await options.locator('#save').click();
    const alert = options.locator('[role="alert"]');
    await alert.waitFor({ timeout: 15000 });
    assert.equal(await alert.getAttribute('data-code'), 'settings_invalid');
    assert.match(await alert.textContent(), /rule 1: `name` is not a valid regular expression/);
    assert.ok(!existsSync(join(b.home, '.config', 'roleport', 'config.toml')));
  } finally {
    await b.done();
  }
});
