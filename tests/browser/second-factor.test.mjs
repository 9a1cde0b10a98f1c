// Issue 15, the second factor: enrol TOTP → sign in with a code → use a recovery code;
// then the admin resets an agent's second factor from the caisse page. Every page is
// checked by `ui.check` (axe at 1280 and 320 px).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildGateway, launchBrowser, log, openJourney, startGateway } from './harness.mjs';
import { FIRST_PASSWORD, activatedAdmin, atHome, errorSummary, fieldError, signOut } from './flows.mjs';
import { apiClient, person, ready, statusMessage } from './account-flows.mjs';
import { factorOf, nextCode } from './second-factor.mjs';

const AGENT_PASSWORD = 'Marais-Tranquille-58?';

let browser;
let binary;

before(async () => {
  binary = buildGateway();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
});

/** /connexion up to the code step. */
async function passwordStep(ui, identifiant) {
  const { page } = ui;
  await page.goto('/connexion');
  await page.locator('#identifiant').fill(identifiant);
  await page.locator('#mot-de-passe').fill(FIRST_PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.locator('#form-code').waitFor();
}

test('second factor: enrol → sign in with a code → a recovery code, once; the admin resets an agent’s', async (t) => {
  const gw = await startGateway(binary);
  let ui;
  t.after(async () => {
    try {
      if (ui) await ui.close();
    } finally {
      await gw.stop();
      if (ui) log(`second factor: ${ui.visited.length} pages checked: ${ui.visited.map((v) => v.name).join(' | ')}`);
    }
  });
  ui = await openJourney(browser, gw, 'parcours double authentification');
  const { page } = ui;

  // ---- First sign-in: the enrolment comes first (QR code, key as text, code, the
  // ten recovery codes), then the CGU, then home (flows.mjs → second-factor.mjs).
  const { identifiant } = await activatedAdmin(ui, gw);
  const factor = factorOf(identifiant);
  assert.ok(factor, 'enrolled through /double-authentification');
  assert.equal(factor.recoveryCodes.length, 10);
  await page.goto('/profil');
  await ready(page);
  assert.match(await page.locator('#actions-profil').textContent(), /Double authentification : activée/);
  await page.goto('/double-authentification');
  await page.locator('#bloc-active').waitFor();
  await ui.check('double authentification active');
  await signOut(ui);

  // ---- Sign-in with a code: the code step (one-time-code, numeric), a wrong code first.
  await passwordStep(ui, identifiant);
  assert.equal(await page.locator('#code').getAttribute('autocomplete'), 'one-time-code');
  assert.equal(await page.locator('#code').getAttribute('inputmode'), 'numeric');
  assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'titre-code');
  await ui.check('code de vérification');
  await page.locator('#code').fill('12');
  await page.getByRole('button', { name: 'Vérifier' }).click();
  const summary = await errorSummary(page);
  assert.deepEqual(summary.hrefs, ['#code']);
  await ui.check('code de vérification, code incomplet');
  await page.locator('#code').fill('000000');
  await page.getByRole('button', { name: 'Vérifier' }).click();
  await page.locator('#code-erreur').waitFor();
  assert.match(await fieldError(page, 'code'), /Code incorrect ou déjà utilisé/);
  await ui.check('code de vérification, code refusé');
  await page.locator('#code').fill(await nextCode(gw.url, identifiant));
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/accueil'),
    page.getByRole('button', { name: 'Vérifier' }).click(),
  ]);
  await atHome(ui, 'accueil après le code');
  await signOut(ui, 'déconnecté après le code');

  // ---- « Utiliser un code de secours »: it works once.
  const [spare] = factor.recoveryCodes;
  await passwordStep(ui, identifiant);
  await page.getByRole('button', { name: 'Utiliser un code de secours' }).click();
  assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'code-secours');
  assert.ok(!(await page.locator('#code').isVisible()));
  await ui.check('code de secours');
  await page.locator('#code-secours').fill(spare);
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/accueil'),
    page.getByRole('button', { name: 'Vérifier' }).click(),
  ]);
  await atHome(ui, 'accueil après un code de secours');
  await signOut(ui, 'déconnecté après le code de secours');
  await passwordStep(ui, identifiant);
  await page.getByRole('button', { name: 'Utiliser un code de secours' }).click();
  await page.locator('#code-secours').fill(spare);
  await page.getByRole('button', { name: 'Vérifier' }).click();
  await page.locator('#code-secours-erreur').waitFor();
  assert.match(await fieldError(page, 'code-secours'), /déjà utilisé/);
  await ui.check('code de secours déjà utilisé');
  await page.locator('#code-secours').fill(factor.recoveryCodes[1]);
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/accueil'),
    page.getByRole('button', { name: 'Vérifier' }).click(),
  ]);
  await atHome(ui, 'accueil après un autre code de secours');

  // ---- The admin resets an agent's second factor from the caisse page.
  const admin = apiClient(gw);
  await admin.login(identifiant, FIRST_PASSWORD);
  const caisse = await admin.ok('POST', '/api/caisses', {
    name: 'CPAM de Rivebelle', address: '3 rue du Fleuve, 69000 Rivebelle', alt_contact: 'Téléphone 36 46', referents: [],
  }, 201);
  const agentEmail = 'ines.agent@cpam-rivebelle.example.org';
  await admin.ok('POST', `/api/caisses/${caisse.id}/agents`, { ...person('madame', 'Inès', 'Agent', agentEmail), caisse_admin: true }, 201);
  const agent = apiClient(gw);
  await agent.activateAndSignIn(agentEmail, AGENT_PASSWORD);
  await page.goto(`/caisse?id=${encodeURIComponent(caisse.id)}`);
  await ready(page);
  await page.getByRole('button', { name: "Réinitialiser la double authentification d'Inès Agent" }).click();
  await page.locator('#confirmation-double-authentification').waitFor();
  await ui.check('caisse, réinitialisation à confirmer');
  await page.getByRole('button', { name: 'Confirmer la réinitialisation' }).click();
  await statusMessage(page, "La double authentification d'Inès Agent est réinitialisée");
  await ui.check('caisse, double authentification réinitialisée');
  const mail = await gw.waitForMail((m) => (m.to || '').includes(agentEmail) && /réinitialisée/.test(m.subject || ''), 'reset email');
  assert.doesNotMatch(mail.text, /\b\d{6}\b/, 'no code in the email');
  const me = await agent.get('/api/me');
  assert.equal(me.status, 401, 'the agent’s sessions ended');
});
