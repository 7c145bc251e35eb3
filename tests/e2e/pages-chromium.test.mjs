// A profile list over the browser's 1 MiB per message (a large IAM Identity Center
// organisation): the extension fetches `list_profiles` in pages and the popup lists them all.
// Real headless Chromium, the built extension and the release host, against the emulator.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAws, eventually } from './harness.mjs';
import { launchChromium, CHROMIUM_POPUP } from './browsers.mjs';
import { roleProfiles } from './profiles.mjs';

// Just above the old limit (about 5,000 to 8,000 profiles in one message).
const COUNT = 12000;

let aws;
before(async () => { aws = await startAws(); });
after(() => { aws?.stop(); });

test('12,000 profiles, over one message, are all in the popup and the last one is found', async () => {
  const { config, names } = roleProfiles(COUNT);
  const b = await launchChromium(aws, { extraConfig: config });
  try {
    const popup = await b.context.newPage();
    await popup.goto(CHROMIUM_POPUP);
    await popup.locator('[data-profile]').first().waitFor({ timeout: 60000 });
    const shown = await popup.locator('[data-profile]').count();
    // The configured profiles of the home (alice, prod, …) come on top of the 12,000.
    const total = await popup.evaluate(async () => {
      const reply = await chrome.runtime.sendMessage({ type: 'list_profiles' });
      return reply?.ok?.profiles?.length ?? JSON.stringify(reply);
    });
    assert.ok(typeof total === 'number' && total > COUNT, `the whole list: ${total}`);
    const more = await popup.getByText(/more: type to narrow/).textContent();
    assert.equal(more, `${total - shown} more: type to narrow`);

    const last = names[names.length - 1];
    await popup.locator('input.search').fill(last);
    await eventually(async () => (await popup.locator(`[data-profile="${last}"]`).count()) === 1,
      `the search finds ${last}`, 30000);
  } finally {
    await b.done();
  }
});
