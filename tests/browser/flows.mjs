// Steps shared by the journeys. Every page reached is checked (`ui.check`): axe, 320 px,
// screenshots, no script/CSP error.

import assert from 'node:assert/strict';
import { linkOf, until } from './harness.mjs';
import { afterPassword } from './second-factor.mjs';

export const FIRST_PASSWORD = 'Horizon-Calme-42!';
export const SECOND_PASSWORD = 'Riviere-Lente-2027?';
export const THIRD_PASSWORD = 'Colline-Douce-9138#';

/** The admin's account-creation email, written at the gateway's first start. */
export async function adminActivation(gw) {
  const mail = await gw.waitForMail((m) => /\/activation#jeton=/.test(m.text), 'account-creation email');
  const { link, identifiant } = linkOf(mail, 'activation');
  assert.ok(identifiant, `no « Votre identifiant : … » in the account-creation email:\n${mail.text}`);
  // The link is built on the public URL; the gateway's public URL is the harness's.
  assert.ok(link.startsWith(`${gw.url}/activation#jeton=`), `link on another origin: ${link}`);
  return { link, identifiant, mail };
}

/** Text of the rule item `key` of the live list (douze, quatorze, phrase, personnel, historique). */
export async function ruleState(page, key) {
  const li = page.locator(`#mdp-nouveau-regles li[data-regle="${key}"]`);
  return { text: (await li.textContent()).replace(/\s+/g, ' ').trim(), state: await li.getAttribute('data-etat') };
}

/** Opens the link, checks the welcome, sets `password`; returns on the success message. */
export async function activate(ui, link, identifiant, password = FIRST_PASSWORD, { name = 'activation' } = {}) {
  const { page } = ui;
  await page.goto(link);
  await page.locator('#alerte-bienvenue').waitFor();
  const welcome = await page.locator('#alerte-bienvenue').textContent();
  assert.match(welcome, /Bienvenue/);
  assert.ok(welcome.includes(`votre identifiant est ${identifiant}`), `welcome: ${welcome}`);
  assert.ok(!page.url().includes('jeton'), `the token stays in the address bar: ${page.url()}`);
  await ui.check(name);
  await page.locator('#mdp-nouveau').fill(password);
  await page.locator('#mdp-confirmation').fill(password);
  await page.getByRole('button', { name: 'Créer mon mot de passe' }).click();
  await page.locator('#alerte-succes').waitFor();
  assert.match(await page.locator('#alerte-succes').textContent(), /Votre mot de passe est créé/);
  await ui.check(`${name} réussie`);
}

/** On /connexion: signs in; returns once the next page is loaded. */
export async function signIn(ui, identifiant, password, { name = 'connexion', check = true } = {}) {
  const { page } = ui;
  await page.locator('#identifiant').waitFor();
  if (check) await ui.check(name);
  await page.locator('#identifiant').fill(identifiant);
  await page.locator('#mot-de-passe').fill(password);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  // The second factor, like a person with an authenticator app (second-factor.mjs).
  await afterPassword(ui, identifiant, { name: `${name} : double authentification`, check });
}

/** On /cgu with the acceptance form: accepts; returns on the next page. */
export async function acceptCgu(ui, { name = 'cgu à accepter' } = {}) {
  const { page } = ui;
  await page.waitForURL((url) => url.pathname === '/cgu');
  await page.locator('#zone-acceptation').waitFor();
  assert.ok((await page.locator('#cgu-texte p').count()) > 0, 'the CGU text has no paragraph');
  await ui.check(name);
  await page.getByLabel("J'ai lu et j'accepte les conditions générales d'utilisation").check();
  await Promise.all([
    page.waitForURL((url) => url.pathname !== '/cgu'),
    page.getByRole('button', { name: 'Valider et continuer' }).click(),
  ]);
}

/** On /accueil: waits for the greeting; returns the text of the h1. */
export async function atHome(ui, name = 'accueil') {
  const { page } = ui;
  await page.waitForURL((url) => url.pathname === '/accueil');
  const h1 = page.locator('h1#bonjour');
  await until(async () => /^Bonjour \S/.test(((await h1.textContent()) || '').trim()), 'the « Bonjour … » heading');
  await ui.check(name);
  return (await h1.textContent()).trim();
}

export async function signOut(ui, name = 'déconnecté') {
  const { page } = ui;
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/connexion' && url.searchParams.get('deconnecte') === '1'),
    page.getByRole('button', { name: 'Se déconnecter' }).click(),
  ]);
  await page.getByText('Déconnexion effectuée').waitFor();
  await ui.check(name);
}

/** Activation + first sign-in + CGU: ends on /accueil. */
export async function activatedAdmin(ui, gw, password = FIRST_PASSWORD) {
  const { link, identifiant } = await adminActivation(gw);
  await activate(ui, link, identifiant, password);
  await ui.page.getByRole('link', { name: 'Se connecter' }).click();
  await ui.page.waitForURL((url) => url.pathname === '/connexion');
  await signIn(ui, identifiant, password);
  await acceptCgu(ui);
  await atHome(ui);
  return { identifiant, link };
}

/** The error summary: its heading, the hrefs of its links; asserts it has focus. */
export async function errorSummary(page) {
  const summary = page.locator('.resume-erreurs[role="alert"]');
  await summary.waitFor();
  const heading = (await summary.locator('h2').textContent()).trim();
  const hrefs = await summary.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.classList.contains('resume-erreurs'));
  assert.ok(focused, 'focus is not on the error summary');
  return { heading, hrefs };
}

/** Asserts `#id` is marked invalid and described by its error message; returns the message. */
export async function fieldError(page, id) {
  const input = page.locator(`#${id}`);
  assert.equal(await input.getAttribute('aria-invalid'), 'true', `#${id} has no aria-invalid="true"`);
  const describedby = (await input.getAttribute('aria-describedby')) || '';
  assert.ok(describedby.split(' ').includes(`${id}-erreur`), `#${id} aria-describedby="${describedby}" misses ${id}-erreur`);
  const msg = page.locator(`#${id}-erreur`);
  assert.ok(await msg.isVisible(), `#${id}-erreur is not visible`);
  return (await msg.textContent()).trim();
}
