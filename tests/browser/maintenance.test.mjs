// Browser journey of maintenance windows (issue 15, convention §3.2), in headless
// Chromium against the real gateway with the development clock. Set-up through the API
// (admin → caisse with its contact and referent → admin agent → a CCAS, its gestionnaire
// and technicien). In the browser: the agent announces a window on /maintenance (empty
// form and an end before the start refused next to the fields), the banner shows on her
// pages and on the technicien's home; the clock moves into the window: the technicien's
// new request to that caisse shows the « Maintenance en cours » page (end in Paris time,
// message, the caisse's contacts, ways out), the agent's home too; the agent ends the
// window early from /maintenance (still open to her) and her pages work again. Every page
// goes through `ui.check` (axe 0 violation at 1280 and 320 px, no CSP error).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildGateway, launchBrowser, log, openJourney, startGateway, until } from './harness.mjs';
import { FIRST_PASSWORD, adminActivation, errorSummary, fieldError, signIn, signOut } from './flows.mjs';
import { apiClient, parisDay, person, ready, signInAs, statusMessage } from './account-flows.mjs';
import { createStructure, fillRequest } from './request-flows.mjs';

const AGENT_PASSWORD = 'Marais-Tranquille-58?';
const PASSWORD = 'Prairie-Fleurie-73!';
const MESSAGE = 'Mise à jour des serveurs de la caisse : enregistrez vos demandes après l’interruption.';

let browser;
let binary;

before(async () => {
  binary = buildGateway();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
});

/** A time of the portal's clock plus `minutes`, as a `datetime-local` value in Paris time. */
function parisLocal(nowIso, minutes) {
  const d = new Date(new Date(nowIso).getTime() + minutes * 60000);
  const p = Object.fromEntries(new Intl.DateTimeFormat('fr-FR', {
    timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

async function advanceMinutes(gw, minutes) {
  const res = await fetch(`${gw.url}/_dev/clock`, {
    method: 'POST', headers: { Origin: gw.url, 'Content-Type': 'application/json' }, body: JSON.stringify({ advance_minutes: minutes }),
  });
  assert.ok(res.ok, `POST /_dev/clock: ${res.status}`);
}

async function setUp(gw) {
  const now = await gw.clock();
  const admin = apiClient(gw);
  const { link, identifiant } = await adminActivation(gw);
  await admin.ok('POST', '/api/auth/activate', { token: decodeURIComponent(link.split('#jeton=')[1]), password: FIRST_PASSWORD }, 204);
  await admin.login(identifiant, FIRST_PASSWORD);
  await admin.ok('POST', '/api/me/cgu', { version: (await admin.get('/api/cgu')).body.version }, 200);
  const caisse = await admin.ok('POST', '/api/caisses', {
    name: 'CPAM de Villeneuve', address: '1 rue de l\'Exemple, 69000 Villeneuve', alt_contact: 'Téléphone 36 46, du lundi au vendredi',
    referents: [{ nom: 'Claire Référente', email: 'claire.referente@cpam-villeneuve.example.org' }],
  }, 201);
  await admin.ok('POST', `/api/caisses/${caisse.id}/agents`, { ...person('madame', 'Agathe', 'Agent', 'agathe.agent@cpam-villeneuve.example.org'), caisse_admin: true }, 201);
  const agent = apiClient(gw);
  const agentIdent = await agent.activateAndSignIn('agathe.agent@cpam-villeneuve.example.org', AGENT_PASSWORD);
  const { identifiant: techIdent } = await createStructure(gw, agent, () => apiClient(gw), {
    name: 'CCAS de Villeneuve', category: 'ccas', domain: 'ccas-villeneuve.example.org', start: parisDay(now),
    gestionnaire: ['madame', 'Gaëlle', 'Gestion', 'gaelle.gestion@ccas-villeneuve.example.org'],
    technicien: ['monsieur', 'Théo', 'Technicien', 'theo.technicien@ccas-villeneuve.example.org'],
    password: PASSWORD,
  });
  return { agentIdent, techIdent };
}

test('maintenance: the agent announces a window → banner for her and the technicien → « Maintenance en cours » page during it → ended early, pages work again', async (t) => {
  const gw = await startGateway(binary);
  let ui;
  t.after(async () => {
    try {
      if (ui) await ui.close();
    } finally {
      await gw.stop();
      if (ui) log(`maintenance: ${ui.visited.length} pages checked: ${ui.visited.map((v) => v.name).join(' | ')}`);
    }
  });
  const { agentIdent, techIdent } = await setUp(gw);
  ui = await openJourney(browser, gw, 'parcours maintenance');
  const { page } = ui;

  // ---- The agent announces a window on /maintenance.
  await signInAs(ui, agentIdent, AGENT_PASSWORD, 'agent');
  await page.getByRole('link', { name: 'Gérer les interruptions de service' }).click();
  await page.waitForURL((url) => url.pathname === '/maintenance');
  await ready(page);
  assert.match(await page.locator('#table-interruptions').textContent(), /Aucune interruption/);
  assert.match(await page.locator('#portee-annonce').textContent(), /agents de CPAM de Villeneuve/);
  await ui.check('interruptions, aucune');

  await page.getByRole('button', { name: 'Annoncer l’interruption' }).click();
  const summary = await errorSummary(page);
  assert.deepEqual(summary.hrefs, ['#interruption-debut', '#interruption-fin', '#interruption-message']);
  await ui.check('interruptions, formulaire incomplet');

  const now = await gw.clock();
  await page.locator('#interruption-debut').fill(parisLocal(now, 20));
  await page.locator('#interruption-fin').fill(parisLocal(now, 10));
  await page.locator('#interruption-message').fill(MESSAGE);
  await page.getByRole('button', { name: 'Annoncer l’interruption' }).click();
  await errorSummary(page);
  assert.match(await fieldError(page, 'interruption-fin'), /La fin doit être après le début/);
  await ui.check('interruptions, fin avant le début');

  await page.locator('#interruption-fin').fill(parisLocal(now, 80));
  await page.getByRole('button', { name: 'Annoncer l’interruption' }).click();
  await statusMessage(page, 'est annoncée');
  const row = await page.locator('#table-interruptions tbody tr').first().textContent();
  assert.match(row, /À venir/);
  assert.match(row, /Partenaires et agents de CPAM de Villeneuve/);
  await ui.check('interruption annoncée');

  // The banner, from /api/me, on her pages.
  await page.reload();
  await ready(page);
  const banner = page.locator('#bandeau-maintenance');
  assert.match(await banner.textContent(), /L’Espace Partenaires de la CPAM de Villeneuve sera interrompu pour maintenance du .* \(heure de Paris\)/);
  assert.ok((await banner.textContent()).includes(MESSAGE));
  await signOut(ui, 'agent déconnectée');

  // ---- The technicien sees the banner on his home.
  await signInAs(ui, techIdent, PASSWORD, 'technicien avant la maintenance');
  assert.match(await page.locator('#bandeau-maintenance').textContent(), /sera interrompu pour maintenance/);

  // ---- During the window: his new request to that caisse gets the maintenance page.
  await advanceMinutes(gw, 21);
  await page.goto('/demandes/nouvelle');
  await ready(page);
  assert.match(await page.locator('#bandeau-maintenance').textContent(), /est interrompu pour maintenance jusqu’au/);
  await fillRequest(page, {
    type: 'contact', sous_type: 'Droits', civilite: 'monsieur', nom: 'Martin', prenom: 'Lucas', naissance: '1978-09-30', departement: '69',
    message: 'Monsieur souhaite savoir où en est l\'ouverture de ses droits.',
  });
  await page.getByRole('button', { name: 'Envoyer la demande' }).click();
  const alert = page.locator('#alerte-maintenance');
  await alert.waitFor();
  const text = await alert.textContent();
  assert.match(text, /Maintenance en cours/);
  assert.match(text, /L'Espace Partenaires est interrompu par CPAM de Villeneuve pour maintenance jusqu'au \d\d\/\d\d\/\d{4} à \d\d:\d\d \(heure de Paris\)/);
  assert.ok(text.includes(MESSAGE), text);
  assert.match(text, /CPAM de Villeneuve : Téléphone 36 46, du lundi au vendredi/);
  assert.match(text, /claire\.referente@cpam-villeneuve\.example\.org/);
  assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'alerte-maintenance', 'focus on the message');
  assert.ok(await page.getByRole('link', { name: 'Retour à l’accueil' }).isVisible());
  assert.ok(await page.getByRole('button', { name: 'Se déconnecter' }).isVisible());
  await ui.check('nouvelle demande pendant la maintenance');
  // His history (nothing of that caisse changes) still opens.
  await page.goto('/demandes');
  await ready(page);
  assert.equal(await page.locator('#alerte-maintenance').count(), 0);
  await signOut(ui, 'technicien déconnecté');

  // ---- The agent: her pages answer the maintenance page; /maintenance stays open.
  await page.goto('/connexion');
  await signIn(ui, agentIdent, AGENT_PASSWORD, { check: false });
  await page.locator('#alerte-maintenance').waitFor();
  await ui.check('accueil agent pendant la maintenance');
  await page.goto('/maintenance');
  await ready(page);
  assert.match(await page.locator('#table-interruptions tbody tr').first().textContent(), /En cours/);
  await page.getByRole('button', { name: /^Annuler l’interruption du/ }).click();
  await statusMessage(page, 'est annulée');
  await until(async () => /Aucune interruption/.test(await page.locator('#liste-interruptions').textContent()), 'the list empty');
  await ui.check('interruption annulée');
  await page.goto('/partenaires');
  await ready(page);
  assert.equal(await page.locator('#alerte-maintenance').count(), 0);
  assert.equal(await page.locator('#bandeau-maintenance').count(), 0);
  assert.match(await page.locator('main').textContent(), /CCAS de Villeneuve/);
  await ui.check('partenaires après la maintenance');
});
