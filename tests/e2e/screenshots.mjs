// `cargo xtask screenshots`: the popup in both browsers and both themes, against the local
// emulator, written to docs/screenshots/ (committed, shown in the README).

import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { Builder, By, until } from 'selenium-webdriver';
import firefox from 'selenium-webdriver/firefox.js';
import { startAws, makeHome, browserEnv, roleport, ROOT, EXTENSION_DIR, CHROMIUM_ID, GECKO_ID } from './harness.mjs';

const out = join(ROOT, 'docs', 'screenshots');
mkdirSync(out, { recursive: true });
const aws = await startAws();
try {
  for (const theme of ['light', 'dark']) {
    await chromiumShot(theme);
    await firefoxShot(theme);
  }
} finally {
  aws.stop();
}

// A colour rule labels the production profiles, and prod is signed in, so the pictures show
// the label badges and the Signed in list with its countdown.
function setup() {
  const home = makeHome(aws);
  mkdirSync(join(home, '.config', 'roleport'), { recursive: true });
  writeFileSync(join(home, '.config', 'roleport', 'config.toml'),
    '[[rules]]\nname = "prod*"\ncolor = "red"\nlabel = "PROD"\n');
  return { home, env: browserEnv(aws, home) };
}

async function chromiumShot(theme) {
  const { env } = setup();
  const udd = mkdtempSync(join(tmpdir(), 'roleport-shot-'));
  roleport(['host', 'install', '--browser', 'chromium', '--user-data-dir', udd], env);
  const context = await chromium.launchPersistentContext(udd, {
    executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium', headless: true, env,
    colorScheme: theme, viewport: { width: 360, height: 520 },
    args: [`--disable-extensions-except=${EXTENSION_DIR}`, `--load-extension=${EXTENSION_DIR}`, '--no-sandbox',
      '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await context.newPage();
  await page.goto(`chrome-extension://${CHROMIUM_ID}/popup.html`);
  await page.locator('[data-profile="prod"]').waitFor();
  await page.locator('[data-star="prod"]').click();
  await page.locator('[data-profile="prod"]').click();
  await page.locator('[data-live-session="prod"]').waitFor({ timeout: 15000 });
  await page.bringToFront();
  await page.locator('input[type=search]').fill('pr');
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(out, `popup-chromium-${theme}.png`) });
  await context.close();
}

async function firefoxShot(theme) {
  const { env } = setup();
  roleport(['host', 'install', '--browser', 'firefox'], env);
  const uuid = '6a1c3f0e-2b4d-4e8a-9c1f-0d5e7b3a9f21';
  const options = new firefox.Options()
    .setBinary(process.env.FIREFOX_BIN ?? '/usr/bin/firefox-esr')
    .addArguments('-headless', '--width=360', '--height=520')
    .setPreference('extensions.webextensions.uuids', JSON.stringify({ [GECKO_ID]: uuid }))
    // 0: dark, 1: light — what prefers-color-scheme reports to pages.
    .setPreference('layout.css.prefers-color-scheme.content-override', theme === 'dark' ? 0 : 1);
  const service = new firefox.ServiceBuilder(process.env.GECKODRIVER_BIN ?? join(homedir(), '.cargo', 'bin', 'geckodriver'))
    .addArguments('--allow-system-access').setEnvironment(env);
  const driver = await new Builder().forBrowser('firefox').setFirefoxOptions(options).setFirefoxService(service).build();
  try {
    await driver.installAddon(EXTENSION_DIR, true);
    await driver.get(`moz-extension://${uuid}/popup.html`);
    await driver.wait(until.elementLocated(By.css('[data-profile="prod"]')), 15000);
    const popup = await driver.getWindowHandle();
    await driver.findElement(By.css('[data-star="prod"]')).click();
    await driver.findElement(By.css('[data-profile="prod"]')).click();
    await driver.wait(until.elementLocated(By.css('[data-live-session="prod"]')), 15000);
    await driver.switchTo().window(popup);
    await driver.findElement(By.css('input[type=search]')).sendKeys('pr');
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(join(out, `popup-firefox-${theme}.png`), await driver.takeScreenshot(), 'base64');
  } finally {
    await driver.quit();
  }
}
console.log(`screenshots in ${out}`);
