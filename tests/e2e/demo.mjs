// `cargo xtask demo`: roleport in a real browser. With a display the browser stays open for
// you to click around; without one the demo clicks a profile itself and writes screenshots.
//
//   node tests/e2e/demo.mjs [--browser chromium|firefox] [--emulator] [--headless]

import { mkdtempSync, mkdirSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import {
  startAws, makeHome, browserEnv, roleport, eventually, ROOT, EXTENSION_DIR, CHROMIUM_ID, CONSOLE_HOST,
} from './harness.mjs';

const { values: opts } = parseArgs({
  options: {
    browser: { type: 'string', default: 'chromium' },
    emulator: { type: 'boolean', default: false },
    headless: { type: 'boolean', default: !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY },
  },
});

function hasRealAwsConfig() {
  const file = process.env.AWS_CONFIG_FILE ?? join(homedir(), '.aws', 'config');
  return existsSync(file) && /^\[(profile |default)/m.test(readFileSync(file, 'utf8'));
}

const useEmulator = opts.emulator || !hasRealAwsConfig();
let aws;
let env;
if (useEmulator) {
  aws = await startAws();
  const home = makeHome(aws);
  env = browserEnv(aws, home);
  delete env.ROLEPORT_RECORD_FRAMES;
  console.log(`demo: local AWS emulator with accounts prod (111111111111), dev (222222222222), audit (333333333333); HOME=${home}`);
} else {
  env = { ...process.env };
  console.log('demo: using your AWS config (real AWS); pass --emulator for the local emulator');
}
const stop = () => { aws?.stop(); process.exit(0); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

if (opts.browser === 'firefox') {
  await firefoxDemo();
} else {
  await chromiumDemo();
}

async function chromiumDemo() {
  const udd = mkdtempSync(join(tmpdir(), 'roleport-demo-chromium-'));
  console.log(roleport(['host', 'install', '--browser', 'chromium', '--user-data-dir', udd], env).trim());
  const context = await chromium.launchPersistentContext(udd, {
    executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
    headless: opts.headless,
    env,
    viewport: opts.headless ? { width: 1100, height: 700 } : null,
    args: [
      `--disable-extensions-except=${EXTENSION_DIR}`, `--load-extension=${EXTENSION_DIR}`,
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--host-resolver-rules=MAP *.fakeaws.test 127.0.0.1',
    ],
  });
  const popup = await context.newPage();
  if (opts.headless) await popup.setViewportSize({ width: 380, height: 420 });
  await popup.goto(`chrome-extension://${CHROMIUM_ID}/popup.html`);
  if (!opts.headless) {
    console.log('demo: Chromium is open with roleport; click a profile. Ctrl-C to stop.');
    context.on('close', stop);
    return;
  }
  const out = join(ROOT, 'dist', 'demo');
  mkdirSync(out, { recursive: true });
  const first = popup.locator('[data-profile]').first();
  await first.waitFor({ timeout: 15000 });
  await popup.screenshot({ path: join(out, 'popup.png') });
  const profile = useEmulator ? 'prod' : await first.getAttribute('data-profile');
  await popup.locator(`[data-profile="${profile}"]`).click();
  const tab = await eventually(async () => context.pages().find((p) => p !== popup && (!useEmulator || p.url().includes(CONSOLE_HOST))), 'the console tab', 30000);
  await tab.waitForLoadState();
  await tab.screenshot({ path: join(out, 'console.png') });
  console.log(`demo: opened ${profile}; screenshots in dist/demo/popup.png and dist/demo/console.png`);
  await context.close();
  stop();
}

async function firefoxDemo() {
  const { Builder } = await import('selenium-webdriver');
  const firefox = (await import('selenium-webdriver/firefox.js')).default;
  const { GECKO_ID } = await import('./harness.mjs');
  console.log(roleport(['host', 'install', '--browser', 'firefox'], env).trim());
  const uuid = '6a1c3f0e-2b4d-4e8a-9c1f-0d5e7b3a9f21';
  const options = new firefox.Options()
    .setBinary(process.env.FIREFOX_BIN ?? '/usr/bin/firefox-esr')
    .setPreference('extensions.webextensions.uuids', JSON.stringify({ [GECKO_ID]: uuid }))
    .setPreference('network.dns.localDomains', 'signin.fakeaws.test,console.fakeaws.test');
  if (opts.headless) options.addArguments('-headless');
  const service = new firefox.ServiceBuilder(process.env.GECKODRIVER_BIN ?? join(homedir(), '.cargo', 'bin', 'geckodriver'))
    .addArguments('--allow-system-access').setEnvironment(env);
  const driver = await new Builder().forBrowser('firefox').setFirefoxOptions(options).setFirefoxService(service).build();
  await driver.installAddon(EXTENSION_DIR, true);
  await driver.get(`moz-extension://${uuid}/popup.html`);
  if (opts.headless) {
    const out = join(ROOT, 'dist', 'demo');
    mkdirSync(out, { recursive: true });
    await new Promise((r) => setTimeout(r, 1500));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(out, 'popup-firefox.png'), await driver.takeScreenshot(), 'base64');
    console.log('demo: headless Firefox (no display); the popup is in dist/demo/popup-firefox.png');
    await driver.quit();
    stop();
  } else {
    console.log('demo: Firefox is open with roleport; click a profile. Ctrl-C to stop.');
  }
}
