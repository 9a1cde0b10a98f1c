// Steps of the accounts journeys (issue 5): activating an account from its outbox email,
// signing in as someone, waiting for a page's status message; and a small API client
// (Node fetch, session cookie, Origin header) to set up the data of the error journey
// quickly. Every page reached in the browser is checked by `ui.check`.

import assert from 'node:assert/strict';
import { linkOf, until } from './harness.mjs';
import { acceptCgu, activate, atHome, signIn } from './flows.mjs';
import { apiSecondFactor } from './second-factor.mjs';

/** The account-creation email sent to `email` (the last one). */
export async function accountMail(gw, email) {
  return gw.waitForMail((m) => (m.to || '').includes(email) && /\/activation#jeton=/.test(m.text), `account-creation email to ${email}`);
}

/**
 * From the outbox email to `email`: activation page, password, « Se connecter », sign-in,
 * CGU, home. Returns the identifiant.
 */
export async function activateFromMail(ui, gw, email, password, { name }) {
  const mail = await accountMail(gw, email);
  const { link, identifiant } = linkOf(mail, 'activation');
  assert.ok(identifiant, `no identifiant in the email to ${email}:\n${mail.text}`);
  assert.ok(link.startsWith(`${gw.url}/activation#jeton=`), `link on another origin: ${link}`);
  await activate(ui, link, identifiant, password, { name: `activation ${name}` });
  await ui.page.getByRole('link', { name: 'Se connecter' }).click();
  await ui.page.waitForURL((url) => url.pathname === '/connexion');
  await signIn(ui, identifiant, password, { name: `connexion ${name}` });
  await acceptCgu(ui, { name: `cgu ${name}` });
  await atHome(ui, `accueil ${name}`);
  return identifiant;
}

/** /connexion → sign-in → /accueil (CGU already accepted). */
export async function signInAs(ui, identifiant, password, name) {
  await ui.page.goto('/connexion');
  await signIn(ui, identifiant, password, { check: false });
  await atHome(ui, `accueil ${name}`);
}

/** Waits for the success message of an action (role="status") containing `text`. */
export async function statusMessage(page, text) {
  const box = page.locator('#statut-action');
  await until(async () => {
    const t = (await box.textContent().catch(() => '')) || '';
    return t.includes(text);
  }, `status message « ${text} » (now: « ${await box.textContent().catch(() => '')} »)`);
  assert.equal(await box.getAttribute('role'), 'status');
  return (await box.textContent()).trim();
}

/** Waits for the page content (main no longer busy). */
export async function ready(page) {
  await page.waitForFunction(() => !document.querySelector('main[aria-busy="true"]'));
}

/** Today in Paris (AAAA-MM-JJ) of the portal's clock, plus `days`. */
export function parisDay(nowIso, days = 0) {
  const d = new Date(new Date(nowIso).getTime() + days * 86400000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

/** JJ/MM/AAAA of an AAAA-MM-JJ date. */
export function frDay(iso) {
  const [y, m, d] = iso.split('-');
  return `${d}/${m}/${y}`;
}

// ------------------------------------------------------------------ API client

/** A client of the portal's API with its own session cookie (for set-up only). */
export function apiClient(gw) {
  let cookie = '';
  async function call(method, path, body) {
    const headers = { Accept: 'application/json', Origin: gw.url };
    if (cookie) headers.Cookie = cookie;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${gw.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0];
      if (/^(__Host-)?ep_session=/.test(pair)) cookie = pair;
    }
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { status: res.status, body: json, text };
  }
  const client = {
    call,
    get: (p) => call('GET', p),
    post: (p, b = {}) => call('POST', p, b),
    put: (p, b) => call('PUT', p, b),
    /** POST expecting `status`; returns the body. */
    async ok(method, path, body, status) {
      const r = await call(method, path, body);
      assert.equal(r.status, status, `${method} ${path}: ${r.text}`);
      return r.body;
    },
    /** Signs in (and through the second factor: enrols it or answers a code). */
    async login(identifiant, password) {
      const body = await client.ok('POST', '/api/auth/login', { identifiant, password }, 200);
      return apiSecondFactor(gw.url, call, identifiant, body);
    },
    /** Activates the account emailed to `email`, signs in, accepts the CGU. */
    async activateAndSignIn(email, password) {
      const mail = await accountMail(gw, email);
      const { link, identifiant } = linkOf(mail, 'activation');
      const token = decodeURIComponent(link.split('#jeton=')[1]);
      await client.ok('POST', '/api/auth/activate', { token, password }, 204);
      await client.login(identifiant, password);
      const cgu = await client.get('/api/cgu');
      await client.ok('POST', '/api/me/cgu', { version: cgu.body.version }, 200);
      return identifiant;
    },
  };
  return client;
}

/** The data of a person for the API. */
export function person(civilite, prenom, nom, email, fonction = 'Travailleuse sociale') {
  return { civilite, prenom, nom, fonction, telephone: '04 72 00 00 01', email };
}

/** A valid SIRET (14 digits, Luhn key) built from `n`: distinct `n`, distinct SIRETs. */
export function siret(n) {
  const base = String(n % 1e13).padStart(13, '0');
  let sum = 0;
  [...base].reverse().forEach((c, i) => {
    let d = Number(c);
    // The key is the last digit: from the right of the base, every first digit is doubled.
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  });
  return `${base}${(10 - (sum % 10)) % 10}`;
}

let sirets = 0;
/** A valid SIRET not given before by this test process. */
export function nextSiret() {
  sirets += 1;
  return siret(88_000_000_000 + sirets);
}
