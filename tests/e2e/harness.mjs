// The end-to-end rig: the test AWS (moto + our sign-in/console stubs), a throwaway HOME with
// an AWS config, the host registered with `roleport host install`, and real browsers with the
// built extension loaded. Every test gets fresh state; nothing touches the developer's HOME.

import { spawn, execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync, existsSync, rmSync, readdirSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const EXTENSION_DIR = join(ROOT, 'dist', 'extension');
export const HOST_BIN = process.env.ROLEPORT_BIN ?? join(ROOT, 'target', 'release', 'roleport');
export const CHROMIUM_ID = 'jlpkhfceigfphociodglhbfijhdeajmi';
export const GECKO_ID = 'roleport@roleport.dev';
export const SIGNIN_HOST = 'signin.fakeaws.test';
export const CONSOLE_HOST = 'console.fakeaws.test';
export const IDP_HOST = 'idp.fakeaws.test';

/** A copy of the built extension that treats the stubs as it treats AWS: their sign-in host
 * for SAML (its listener follows the manifest's sign-in hosts), and their whole domain isolated
 * per tab group in Chromium. Real builds grant AWS's hosts only. Chromium tests use it, so that
 * opening several accounts at once behaves as it does on AWS. The copy keeps the key, so the
 * ids do not change. */
export function extensionForStubs() {
  const hosts = [`http://${SIGNIN_HOST}/*`, 'http://*.fakeaws.test/*', 'ws://*.fakeaws.test/*'];
  const dir = mkdtempSync(join(tmpdir(), 'roleport-ext-'));
  cpSync(EXTENSION_DIR, dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  manifest.host_permissions = [...(manifest.host_permissions ?? []), ...hosts];
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return dir;
}

/** Fails unless some SAML response the stub IdP issued was checked, and none reached a frame
 * the host sent to the browser (the assertion travels browser → host only). */
export async function assertNoAssertionInFrames(aws, home) {
  const frames = readFileSync(join(home, 'frames.jsonl'), 'utf8');
  if (!frames.includes('"saml_roles"')) throw new Error('canary saw no saml_roles reply: nothing was checked');
  const url = `http://127.0.0.1:${aws.port}/_stub/saml/responses`;
  const { responses } = await (await fetch(url)).json();
  if (responses.length === 0) throw new Error('the stub IdP issued no SAML response');
  for (const r of responses) {
    if (frames.includes(r.slice(0, 64)) || frames.includes(encodeURIComponent(r.slice(0, 64)))) {
      throw new Error('a SAML assertion reached a frame sent to the browser');
    }
  }
  return responses.length;
}

/** Starts tests/aws/awsemu.py and resolves with its description (ports, seeded user, roles). */
export async function startAws() {
  const python = join(ROOT, 'tests', '.venv', 'bin', 'python');
  const child = spawn(python, [join(ROOT, 'tests', 'aws', 'awsemu.py'), '--seed', 'demo', '--log-level', 'WARNING'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const line = await new Promise((ok, fail) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', ok);
    child.once('exit', (code) => fail(new Error(`awsemu exited with ${code} before it was ready`)));
  });
  const aws = JSON.parse(line);
  aws.stop = () => child.kill('SIGTERM');
  aws.totp = async () => {
    const url = `http://127.0.0.1:${aws.port}/_stub/totp?serial=${encodeURIComponent(aws.mfa.serial)}`;
    return (await (await fetch(url)).json()).code;
  };
  aws.issued = async () => (await (await fetch(`http://127.0.0.1:${aws.port}/_stub/issued`)).json()).credentials;
  return aws;
}

/** A fresh HOME with ~/.aws/config naming the seeded user and roles. */
export function makeHome(aws, { extraConfig = '' } = {}) {
  const home = mkdtempSync(join(tmpdir(), 'roleport-e2e-'));
  mkdirSync(join(home, '.aws'));
  const u = aws.user;
  const keys = `aws_access_key_id = ${u.access_key_id}\naws_secret_access_key = ${u.secret_access_key}\n`;
  writeFileSync(join(home, '.aws', 'credentials'), `[alice]\n${keys}\n[alice-mfa]\n${keys}`, { mode: 0o600 });
  writeFileSync(join(home, '.aws', 'config'), [
    '[profile alice]', 'region = us-east-1', 'roleport_color = green', '',
    '[profile prod]', `role_arn = ${aws.roles.prod}`, 'source_profile = alice', 'roleport_color = red', 'roleport_icon = fence', '',
    '[profile dev]', `role_arn = ${aws.roles.dev}`, 'source_profile = alice', 'roleport_color = blue', '',
    // A chained role asking for more than AWS allows: opened with its session capped.
    '[profile audit]', `role_arn = ${aws.roles.audit}`, 'source_profile = prod', 'duration_seconds = 7200', '',
    '[profile partner]', `role_arn = ${aws.roles.partner}`, 'source_profile = alice', `external_id = ${aws.partner_external_id}`, '',
    // The same keys behind an MFA device: one code, then every role of the source opens.
    '[profile alice-mfa]', `mfa_serial = ${aws.mfa.serial}`, '',
    '[profile prod-mfa]', `role_arn = ${aws.roles.prod}`, 'source_profile = alice-mfa', 'roleport_color = red', '',
    '[profile dev-mfa]', `role_arn = ${aws.roles.dev}`, 'source_profile = alice-mfa', '',
    // IAM Identity Center (the SSO stub's default organisation): no login until the popup's.
    '[sso-session corp]', 'sso_start_url = https://d-1234567890.awsapps.com/start', 'sso_region = us-east-1',
    'sso_registration_scopes = sso:account:access', '',
    '[profile sso-admin]', 'sso_session = corp', 'sso_account_id = 100000000002',
    'sso_role_name = AdministratorAccess', 'region = us-east-1', 'roleport_color = purple', '',
    // A Cognito user pool + identity pool (tests/aws/emu_cognito.py): no password stored, so
    // the popup asks for it; the identity pool's role lives in account 444444444444.
    '[profile cognito]', 'region = us-east-1', `roleport_cognito_user_pool_id = ${aws.cognito.user_pool_id}`,
    `roleport_cognito_client_id = ${aws.cognito.client_id}`,
    `roleport_cognito_identity_pool_id = ${aws.cognito.identity_pool_id}`,
    `roleport_cognito_username = ${aws.cognito.username}`, 'roleport_color = orange', '',
    extraConfig,
  ].join('\n'));
  return home;
}

/** The environment a browser (and so the host it starts) runs with. */
export function browserEnv(aws, home) {
  return {
    ...process.env,
    HOME: home,
    AWS_CONFIG_FILE: join(home, '.aws', 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, '.aws', 'credentials'),
    AWS_ENDPOINT_URL_STS: aws.moto,
    AWS_ENDPOINT_URL_SSO: aws.sso,
    AWS_ENDPOINT_URL_SSO_OIDC: aws.sso,
    AWS_ENDPOINT_URL_COGNITO_IDENTITY: aws.moto,
    AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: aws.moto,
    AWS_EC2_METADATA_DISABLED: 'true',
    ROLEPORT_SIGNIN_URL: aws.signin,
    ROLEPORT_CONSOLE_URL: aws.console,
    ROLEPORT_RECORD_FRAMES: join(home, 'frames.jsonl'),
    ROLEPORT_LOG: 'info',
    // The host's socket for `roleport open` lives in the test's HOME, never the user's.
    ROLEPORT_RUNTIME_DIR: join(home, 'run'),
    // roleport's own settings (colour rules) in the test's HOME, never the developer's.
    XDG_CONFIG_HOME: join(home, '.config'),
  };
}

/** Runs the real CLI, as a person would. */
export function roleport(args, env) {
  return execFileSync(HOST_BIN, args, { env, encoding: 'utf8' });
}

/** Runs the CLI without blocking the test (the browser keeps working meanwhile); never throws. */
export function roleportAsync(args, env) {
  return new Promise((resolve) => {
    execFile(HOST_BIN, args, { env, encoding: 'utf8', timeout: 120000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Fails if any frame the host sent to the browser holds a credential moto issued. */
export async function assertNoCredentialsInFrames(aws, home, { expect = '"open_console"' } = {}) {
  const framesFile = join(home, 'frames.jsonl');
  const frames = existsSync(framesFile) ? readFileSync(framesFile, 'utf8') : '';
  if (!frames.includes(expect)) throw new Error(`canary saw no ${expect} frame: nothing was checked`);
  const issued = await aws.issued();
  const secrets = issued.flatMap((c) => [c.access_key_id, c.secret_access_key, c.session_token]).filter(Boolean);
  if (secrets.length === 0) throw new Error('canary got no issued credentials from the stub');
  for (const s of secrets) {
    if (frames.includes(s) || frames.includes(encodeURIComponent(s))) {
      throw new Error(`a credential issued by moto (${s.slice(0, 8)}…) reached the browser`);
    }
  }
  return secrets.length;
}

/** The socket a running `browser` host listens on for `roleport open` (see browserEnv), or null. */
export function hostSocket(env, browser) {
  const dir = env.ROLEPORT_RUNTIME_DIR;
  if (!dir || !existsSync(dir)) return null;
  const name = readdirSync(dir).find((f) => f.startsWith(`${browser}-`) && f.endsWith('.sock'));
  return name ? join(dir, name) : null;
}

/**
 * Signs `home` in to the SSO stub's `login` with the real CLI (`roleport sso login`), playing
 * the person who approves the code, and seeds the stub's organisation with `accounts` ×
 * `roles`; the next sync is paced at `rateLimit` portal calls a second.
 */
export async function ssoSignedIn(aws, home, { login = 'corp', accounts = 20, roles = 2, rateLimit = '' } = {}) {
  const control = (route) => fetch(`${aws.sso}/_sso/${route}`, { method: 'POST' });
  await control(`seed?accounts=${accounts}&roles=${roles}`);
  await control(`settings?rate_limit=${rateLimit}`);
  const before = new Set((await (await fetch(`${aws.sso}/_sso/devices`)).json()).devices.map((d) => d.user_code));
  const done = roleportAsync(['sso', 'login', login], browserEnv(aws, home));
  const code = await eventually(async () => {
    const { devices } = await (await fetch(`${aws.sso}/_sso/devices`)).json();
    return devices.find((d) => d.state === 'pending' && !before.has(d.user_code))?.user_code;
  }, 'the CLI\'s device code');
  await control(`approve?user_code=${code}`);
  const { code: status, stderr } = await done;
  if (status !== 0) throw new Error(`roleport sso login ${login} failed: ${stderr}`);
}

export function cleanup(...dirs) {
  for (const d of dirs) if (d) rmSync(d, { recursive: true, force: true });
}

/** What the live browsers have said lately (their extension consoles), keyed by a name; a
 * timeout in [eventually] prints it, so a failed wait shows what the extension was doing. */
export const consoles = new Map();

/** Keeps the last lines of a console under `name` until the returned function forgets it;
 * `snapshot` (async, optional) tells the browser's state when a wait times out. */
export function keepConsole(name, snapshot = async () => '') {
  const lines = [];
  lines.snapshot = snapshot;
  consoles.set(name, lines);
  return {
    say: (line) => { lines.push(`${new Date().toISOString().slice(11, 23)} ${line}`); if (lines.length > 200) lines.shift(); },
    forget: () => consoles.delete(name),
  };
}

async function consoleDump() {
  const dumps = [];
  for (const [name, lines] of consoles) {
    const state = await lines.snapshot().catch((e) => `(no snapshot: ${e.message})`);
    dumps.push(`\n--- ${name} (last ${lines.length} lines) ---\n${lines.join('\n')}${state ? `\n${state}` : ''}`);
  }
  return dumps.join('');
}

/** Polls `fn` until it returns a truthy value. */
export async function eventually(fn, what, timeoutMs = 15000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}${await consoleDump()}`);
}
