// Browser journey of the audit trail (issue 15): a caisse agent opens the journal,
// filters it, exports it as CSV; the test then edits one event straight in the data
// directory's SQLite file, and the agent's « Vérifier le journal » names that event.
// Every page goes through `ui.check` (axe WCAG 2.1 A/AA, 1280 and 320 px).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildGateway, launchBrowser, log, openJourney, startGateway } from './harness.mjs';
import { FIRST_PASSWORD, adminActivation } from './flows.mjs';
import { apiClient, nextSiret, parisDay, person, ready, signInAs } from './account-flows.mjs';

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

/** Runs SQL on the gateway's store (the sqlite3 command; the gateway stays up). */
function sql(gw, statement) {
  return execFileSync('sqlite3', [path.join(gw.dataDir, 'espace-partenaires.sqlite'), statement], { encoding: 'utf8' }).trim();
}

test('audit: an agent filters and exports the journal; an event edited in the store is named by the verification', async (t) => {
  const gw = await startGateway(binary);
  let ui;
  t.after(async () => {
    try {
      if (ui) await ui.close();
    } finally {
      await gw.stop();
      if (ui) log(`audit: ${ui.visited.length} pages checked: ${ui.visited.map((v) => v.name).join(' | ')}`);
    }
  });
  ui = await openJourney(browser, gw, 'parcours journal');
  const { page } = ui;
  const now = await gw.clock();

  // ---- Set-up through the API: a caisse, its agent, a partner and its gestionnaire.
  const admin = apiClient(gw);
  const { link, identifiant: adminIdent } = await adminActivation(gw);
  await admin.ok('POST', '/api/auth/activate', { token: decodeURIComponent(link.split('#jeton=')[1]), password: FIRST_PASSWORD }, 204);
  await admin.login(adminIdent, FIRST_PASSWORD);
  await admin.ok('POST', '/api/me/cgu', { version: (await admin.get('/api/cgu')).body.version }, 200);
  const caisse = await admin.ok('POST', '/api/caisses', {
    name: 'CPAM de Journal', address: '3 rue du Test, 69000 Essai', alt_contact: 'Téléphone 36 46', referents: [],
  }, 201);
  await admin.ok('POST', `/api/caisses/${caisse.id}/agents`, { ...person('monsieur', 'Alain', 'Agent', 'alain.agent@cpam-journal.example.org'), caisse_admin: true }, 201);
  const agent = apiClient(gw);
  const agentIdent = await agent.activateAndSignIn('alain.agent@cpam-journal.example.org', AGENT_PASSWORD);
  const partner = await agent.ok('POST', '/api/partners', {
    name: 'CCAS du Journal', siret: nextSiret(), address: '4 place du Test', category: 'ccas', members: 3, allowed_domains: ['ccas-journal.example.org'],
    convention: { start: parisDay(now), functionalities: ['contact'] },
  }, 201);
  const hab = await agent.ok('POST', `/api/partners/${partner.id}/habilitations`, person('madame', 'Nadia', 'Gestion', 'nadia.gestion@ccas-journal.example.org'), 201);
  await agent.ok('POST', `/api/habilitations/${hab.id}/approve`, {}, 200);

  // ---- The agent opens the journal from the home page.
  await signInAs(ui, agentIdent, AGENT_PASSWORD, 'agent');
  await page.getByRole('link', { name: 'Consulter le journal' }).click();
  await page.waitForURL((url) => url.pathname === '/journal');
  await ready(page);
  const table = page.locator('#journal');
  assert.match(await table.textContent(), /Structure créée/);
  assert.match(await table.textContent(), /Demande d'habilitation acceptée/);
  assert.match(await table.textContent(), /Alain Agent/, 'actors of the caisse are named');
  await ui.check('journal de la caisse');

  // ---- Filters: the structures' family only.
  await page.locator('#f-action').selectOption('partner.');
  await page.getByRole('button', { name: 'Filtrer' }).click();
  await page.waitForURL((url) => url.searchParams.get('action') === 'partner.');
  await ready(page);
  const filtered = await page.locator('#journal tbody').textContent();
  assert.match(filtered, /Structure créée/);
  assert.doesNotMatch(filtered, /habilitation/i);
  await ui.check('journal filtré');
  // A wrong identifiant is refused next to its field.
  await page.goto('/journal?actor=personne-inconnue');
  await ready(page);
  assert.match(await page.locator('#f-auteur-erreur').textContent(), /Aucun compte n'a cet identifiant/);
  await ui.check('journal, auteur inconnu');

  // ---- The export (recorded in the journal itself).
  await page.goto('/journal?action=partner.');
  await ready(page);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Exporter en CSV' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^journal-\d{4}-\d{2}-\d{2}\.csv$/);
  const csv = (await readFile(await download.path())).toString('utf8').replace(/^\uFEFF/, '').split('\r\n').filter(Boolean);
  assert.equal(csv[0], 'Date;Numéro;Action;Auteur;Identifiant de l\'auteur;Objet;Détail');
  assert.ok(csv.slice(1).every((l) => l.includes(';partner.')), csv.join('\n'));
  await page.goto('/journal');
  await ready(page);
  assert.match(await page.locator('#journal tbody tr').first().textContent(), /Journal exporté/);

  // ---- Verification: intact, then one event edited in the store.
  await page.getByRole('button', { name: 'Vérifier le journal' }).click();
  await page.locator('#verdict').waitFor();
  assert.match(await page.locator('#verdict').textContent(), /Journal intact.*événements vérifiés/s);
  await ui.check('journal vérifié, intact');
  const pk = `AUDIT#${caisse.id}`;
  const row = sql(gw, `SELECT json_extract(body, '$.id') || '|' || json_extract(body, '$.seq') FROM items WHERE pk = '${pk}' AND json_extract(body, '$.action') = 'partner.created'`);
  const [eventId, seq] = row.split('|');
  assert.ok(eventId && seq, row);
  sql(gw, `UPDATE items SET body = json_set(body, '$.actor', 'quelqu-un-d-autre') WHERE pk = '${pk}' AND json_extract(body, '$.id') = '${eventId}'`);
  await page.reload();
  await ready(page);
  await page.getByRole('button', { name: 'Vérifier le journal' }).click();
  await page.locator('#verdict').waitFor();
  const verdict = await page.locator('#verdict').textContent();
  assert.match(verdict, /Chaîne rompue/);
  assert.match(verdict, new RegExp(`événement n° ${seq} du .*\\(Structure créée, identifiant ${eventId}\\).*modifié`, 's'), verdict);
  await ui.check('journal vérifié, événement modifié');
});
