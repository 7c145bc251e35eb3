// `roleport open` from a terminal with real headless Firefox ESR running: the background opens
// its host port at start-up (no popup needed), the host listens on its socket, and the CLI's
// request ends as a console tab in the profile's container.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { By } from 'selenium-webdriver';
import { startAws, roleport, roleportAsync, assertNoCredentialsInFrames, eventually, hostSocket } from './harness.mjs';
import { launchFirefox, firefoxConsoleTab, containerOf as containerIn } from './browsers.mjs';


let aws;
before(async () => { aws = await startAws(); });
after(() => aws?.stop());

const launch = () => launchFirefox(aws);
const consoleTab = firefoxConsoleTab;
const containerOf = (b, account) => containerIn(b.driver, b.first, account);

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

test('roleport open of one profile from two terminals at once puts both tabs in one container', async () => {
  const b = await launch();
  try {
    await socketUp(b);
    const runs = await Promise.all([1, 2].map(() => roleportAsync(['open', 'prod', '--json'], b.env)));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const [first, second] = runs.map((r) => JSON.parse(r.stdout).container);
    assert.equal(first, second, 'one container for the profile');
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
