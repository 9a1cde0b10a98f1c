// A second caisse conventions a structure another caisse already has (issue 10,
// SPEC §2): caisse B's agent creates a partner with a known SIRET on /partenaires;
// a wrong SIRET is refused next to its field; the known one adds B's convention to
// the existing structure, the page says so, and the structure's gestionnaire is
// emailed. Every page reached is checked by `ui.check` (axe).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildGateway, launchBrowser, log, openJourney, startGateway } from './harness.mjs';
import { FIRST_PASSWORD, adminActivation, errorSummary, fieldError } from './flows.mjs';
import {
  apiClient, nextSiret, parisDay, person, ready, signInAs, statusMessage,
} from './account-flows.mjs';

const AGENT_PASSWORD = 'Marais-Tranquille-58?';
const GESTION_PASSWORD = 'Prairie-Fleurie-73!';

let browser;
let binary;

before(async () => {
  binary = buildGateway();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
});

/** A caisse and its admin agent, signed in through the API; returns [client, identifiant]. */
async function caisseAgent(gw, admin, name, email) {
  const caisse = await admin.ok('POST', '/api/caisses', {
    name, address: '3 rue du Test, 69000 Essai', alt_contact: 'Téléphone 36 46', referents: [],
  }, 201);
  await admin.ok('POST', `/api/caisses/${caisse.id}/agents`, { ...person('monsieur', 'Alain', 'Agent', email), caisse_admin: true }, 201);
  const agent = apiClient(gw);
  const ident = await agent.activateAndSignIn(email, AGENT_PASSWORD);
  return [agent, ident];
}

test('siret: caisse B creates a partner whose SIRET caisse A has → its convention is added, the page says so', async (t) => {
  const gw = await startGateway(binary);
  let ui;
  t.after(async () => {
    try {
      if (ui) await ui.close();
    } finally {
      await gw.stop();
      if (ui) log(`siret: ${ui.visited.length} pages checked: ${ui.visited.map((v) => v.name).join(' | ')}`);
    }
  });
  ui = await openJourney(browser, gw, 'parcours siret');
  const { page } = ui;
  const now = await gw.clock();

  // ---- Set-up through the API: caisses A and B, A's partner and its gestionnaire.
  const admin = apiClient(gw);
  const { link, identifiant: adminIdent } = await adminActivation(gw);
  await admin.ok('POST', '/api/auth/activate', { token: decodeURIComponent(link.split('#jeton=')[1]), password: FIRST_PASSWORD }, 204);
  await admin.login(adminIdent, FIRST_PASSWORD);
  await admin.ok('POST', '/api/me/cgu', { version: (await admin.get('/api/cgu')).body.version }, 200);
  const [agentA] = await caisseAgent(gw, admin, 'CPAM Première', 'alain.agent@cpam-premiere.example.org');
  const [, identB] = await caisseAgent(gw, admin, 'CPAM Seconde', 'alain.agent@cpam-seconde.example.org');
  const siret = nextSiret();
  const partner = await agentA.ok('POST', '/api/partners', {
    name: 'CCAS des Deux Caisses', siret, address: '4 place du Test', category: 'ccas', members: 3,
    allowed_domains: ['ccas-deux.example.org'], convention: { start: parisDay(now), functionalities: ['contact'] },
  }, 201);
  const hab = await agentA.ok('POST', `/api/partners/${partner.id}/habilitations`, person('madame', 'Nadia', 'Gestion', 'nadia.gestion@ccas-deux.example.org'), 201);
  await agentA.ok('POST', `/api/habilitations/${hab.id}/approve`, {}, 200);
  await apiClient(gw).activateAndSignIn('nadia.gestion@ccas-deux.example.org', GESTION_PASSWORD);

  // ---- Caisse B's agent: no partner yet; a SIRET with a wrong key is refused at its field.
  await page.goto('/connexion');
  await signInAs(ui, identB, AGENT_PASSWORD, 'agent B');
  await page.goto('/partenaires');
  await ready(page);
  await page.locator('#p-nom').fill('CCAS Deux Caisses');
  const wrong = `${siret.slice(0, 13)}${(Number(siret[13]) + 1) % 10}`;
  await page.locator('#p-siret').fill(wrong);
  await page.locator('#p-adresse').fill('4 place du Test, 69000 Essai');
  await page.locator('#p-categorie').selectOption('ccas');
  await page.locator('#p-membres').fill('3');
  await page.locator('#p-domaines').fill('ccas-deux.example.org');
  await page.getByLabel('Contacter votre organisme d\'assurance Maladie', { exact: true }).check();
  // The structure exists already (another caisse's): no first gestionnaire to create.
  await page.getByLabel('Créer aussi le compte de son premier gestionnaire').uncheck();
  await page.getByRole('button', { name: 'Créer la structure et sa convention' }).click();
  const summary = await errorSummary(page);
  assert.deepEqual(summary.hrefs, ['#p-siret']);
  assert.match(await fieldError(page, 'p-siret'), /clé de contrôle/);
  await ui.check('partenaires, SIRET erroné');

  // ---- The right SIRET, typed in groups: B's convention is added to the structure.
  const spaced = `${siret.slice(0, 3)} ${siret.slice(3, 6)} ${siret.slice(6, 9)} ${siret.slice(9)}`;
  await page.locator('#p-siret').fill(spaced);
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/partenaire'),
    page.getByRole('button', { name: 'Créer la structure et sa convention' }).click(),
  ]);
  await ready(page);
  await statusMessage(page, `Cette structure existait déjà (SIRET ${siret}) : votre convention lui a été ajoutée.`);
  assert.equal((await page.locator('h1').textContent()).trim(), 'CCAS des Deux Caisses');
  assert.match(await page.locator('#infos-structure').textContent(), new RegExp(`SIRET\\s*${siret}`));
  const convention = await page.locator('#infos-convention').textContent();
  assert.match(convention, /CPAM Seconde|Contacter votre organisme/);
  assert.doesNotMatch(convention, /CPAM Première/);
  await ui.check('partenaire, convention ajoutée');

  // ---- The structure's gestionnaire is told, naming caisse B only.
  const mail = await gw.waitForMail((m) => (m.to || '').includes('nadia.gestion@') && /nouvelle convention/.test(m.subject || ''), 'the new-convention email');
  assert.match(mail.text, /CPAM Seconde a désormais une convention avec CCAS des Deux Caisses/);
  assert.doesNotMatch(mail.text, /CPAM Première/);

  // ---- B's list shows the structure.
  await page.goto('/partenaires');
  await ready(page);
  assert.match(await page.locator('#table-partenaires').textContent(), /CCAS des Deux Caisses/);
  await ui.check('partenaires, structure partagée');
});
