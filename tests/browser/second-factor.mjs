// The browser tests' authenticator app (README « Second factor »): it enrols when the
// portal asks for it (/double-authentification: reads the key shown as text) and
// answers the code step of /connexion, so that every journey signing in an admin, an
// agent or a gestionnaire goes through the real second factor. Codes are computed
// here with node:crypto (RFC 6238: HMAC-SHA1, 6 digits, 30 s), never by the portal.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';

/** identifiant → { secret: Buffer, lastStep, recoveryCodes } */
const factors = new Map();

export function factorOf(identifiant) {
  return factors.get(identifiant.toLowerCase());
}

export function forgetFactor(identifiant) {
  factors.delete(identifiant.toLowerCase());
}

/** RFC 4648 base 32 (spaces and padding ignored). */
export function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let n = 0;
  const out = [];
  for (const c of text.replace(/[\s=]/g, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    assert.ok(v >= 0, `not base 32: ${text}`);
    bits = (bits << 5) | v;
    n += 5;
    if (n >= 8) {
      n -= 8;
      out.push((bits >> n) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** The 6-digit code of time step `step`. */
export function codeAt(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const digest = createHmac('sha1', secret).update(counter).digest();
  const offset = digest[19] & 0x0f;
  const bin = ((digest[offset] & 0x7f) << 24) | (digest[offset + 1] << 16) | (digest[offset + 2] << 8) | digest[offset + 3];
  return String(bin % 1000000).padStart(6, '0');
}

/** The portal's time step: its development clock when it has one, else this machine's. */
async function portalStep(origin) {
  let ms = Date.now();
  try {
    const res = await fetch(`${origin}/_dev/clock`);
    if (res.status === 200) ms = Date.parse((await res.json()).now);
  } catch {
    /* no development clock (Lambda mode): the machine's time */
  }
  return Math.floor(ms / 30000);
}

/** A code the portal accepts now (the next unused step of the ±1 window; waits for
 * the next step when all three were used). */
export async function nextCode(origin, identifiant) {
  const f = factorOf(identifiant);
  assert.ok(f, `no second factor enrolled by the helpers for ${identifiant}`);
  for (;;) {
    const now = await portalStep(origin);
    const step = Math.max(f.lastStep + 1, now - 1);
    if (step <= now + 1) {
      f.lastStep = step;
      return codeAt(f.secret, step);
    }
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
}

function originOf(page) {
  return new URL(page.url()).origin;
}

/** On /double-authentification: scans (reads the key), confirms with a code, checks
 * the recovery codes page, « J'ai conservé mes codes ». Returns the recovery codes. */
export async function enrolInPage(ui, identifiant, { name = 'double authentification', check = true } = {}) {
  const { page } = ui;
  await page.waitForURL((url) => url.pathname === '/double-authentification');
  await page.locator('#cle').waitFor();
  await page.locator('#qr svg').waitFor();
  if (check) await ui.check(name);
  const secret = base32Decode(await page.locator('#cle').textContent());
  assert.equal(secret.length, 20);
  const now = await portalStep(originOf(page));
  factors.set(identifiant.toLowerCase(), { secret, lastStep: now, recoveryCodes: [] });
  await page.locator('#code').fill(codeAt(secret, now));
  await page.getByRole('button', { name: 'Activer' }).click();
  await page.locator('#bloc-secours').waitFor();
  const codes = await page.locator('#codes-secours li').allTextContents();
  assert.equal(codes.length, 10);
  factorOf(identifiant).recoveryCodes = codes.map((c) => c.trim());
  if (check) await ui.check(`${name} : codes de secours`);
  await Promise.all([
    page.waitForURL((url) => url.pathname !== '/double-authentification'),
    page.getByRole('button', { name: "J'ai conservé mes codes" }).click(),
  ]);
  return factorOf(identifiant).recoveryCodes;
}

/** On /connexion's code step: types the app's code; returns once the next page loads. */
export async function codeStep(ui, identifiant, { name = 'code de vérification', check = false } = {}) {
  const { page } = ui;
  await page.locator('#form-code').waitFor();
  if (check) await ui.check(name);
  await page.locator('#code').fill(await nextCode(originOf(page), identifiant));
  await Promise.all([
    page.waitForURL((url) => url.pathname !== '/connexion'),
    page.getByRole('button', { name: 'Vérifier' }).click(),
  ]);
}

/** After « Se connecter »: the code step if the account has a factor, then the
 * enrolment if the portal asks for it. */
export async function afterPassword(ui, identifiant, opts = {}) {
  const { page } = ui;
  const code = page.locator('#form-code');
  // Whichever comes first; the other one's later failure is expected.
  const which = await Promise.race([
    page.waitForURL((url) => url.pathname !== '/connexion').then(() => 'page', () => null),
    code.waitFor().then(() => 'code', () => null),
  ]);
  assert.ok(which, 'after « Se connecter »: neither another page nor the code step');
  if (new URL(page.url()).pathname === '/connexion') await codeStep(ui, identifiant, opts);
  if (new URL(page.url()).pathname === '/double-authentification') await enrolInPage(ui, identifiant, opts);
}

/** For API clients: after a 200 to POST /api/auth/login, enrols or answers the code
 * step with `call(method, path, body)` (the client's own session cookie). */
export async function apiSecondFactor(origin, call, identifiant, loginBody) {
  if (loginBody && loginBody.second_factor === 'pending') {
    const res = await call('POST', '/api/auth/second-factor', { code: await nextCode(origin, identifiant) });
    assert.equal(res.status, 200, `second factor: ${res.text}`);
    return res.body;
  }
  if (loginBody && (loginBody.required_actions || []).includes('enrol_second_factor')) {
    const setup = await call('POST', '/api/me/second-factor/setup', {});
    assert.equal(setup.status, 200, `second-factor set-up: ${setup.text}`);
    const secret = base32Decode(setup.body.secret);
    const now = await portalStep(origin);
    const res = await call('POST', '/api/me/second-factor/confirm', { code: codeAt(secret, now) });
    assert.equal(res.status, 200, `second-factor confirmation: ${res.text}`);
    factors.set(identifiant.toLowerCase(), { secret, lastStep: now, recoveryCodes: res.body.recovery_codes });
  }
  return loginBody;
}
