// The caisse's queues are fully reachable (issue 9): 250 pending modification requests,
// 50 a page, every one of them reached through « Page suivante », each card naming the
// structure and the gestionnaire from the queue's own answer (no call per partner).
// Set-up through the API; the agent's pages in headless Chromium, axe-checked.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN_EMAIL, buildGateway, launchBrowser, log, openJourney, startGateway } from './harness.mjs';
import { apiClient, nextSiret, person, signInAs } from './account-flows.mjs';

const PASSWORD = 'Estuaire-Paisible-47!';
const COUNT = 250;

let browser;
let binary;

before(async () => {
  binary = buildGateway();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
});

test('a queue of 250 pending modification requests is reachable page by page, names included', async (t) => {
  const gw = await startGateway(binary);
  let ui;
  t.after(async () => {
    try {
      if (ui) await ui.close();
    } finally {
      await gw.stop();
      if (ui) log(`files d'attente: ${ui.visited.length} pages checked`);
    }
  });

  // ---- Set-up: caisse, agent, partner, gestionnaire, 250 modification requests.
  const admin = apiClient(gw);
  await admin.activateAndSignIn(ADMIN_EMAIL, PASSWORD);
  const caisse = await admin.ok('POST', '/api/caisses', {
    name: 'CPAM de la Vallée', address: '1 rue de l\'Exemple, 69000 Lyon', alt_contact: 'Téléphone 36 46', referents: [],
  }, 201);
  const agentEmail = 'agathe.agent@cpam-vallee.example.org';
  await admin.ok('POST', `/api/caisses/${caisse.id}/agents`, { ...person('madame', 'Agathe', 'Agent', agentEmail, 'Conseillère'), caisse_admin: true }, 201);
  const agent = apiClient(gw);
  const agentIdent = await agent.activateAndSignIn(agentEmail, PASSWORD);
  const partner = await agent.ok('POST', '/api/partners', {
    name: 'CCAS des Tilleuls', siret: nextSiret(), address: '2 place de la Mairie, 69130 Exempleville', category: 'ccas', members: 30,
    allowed_domains: ['ccas-tilleuls.example.org'], convention: { start: '2026-01-01', functionalities: ['contact'] },
  }, 201);
  const gEmail = 'gaelle.gestion@ccas-tilleuls.example.org';
  const hab = await agent.ok('POST', `/api/partners/${partner.id}/habilitations`, person('madame', 'Gaëlle', 'Gestion', gEmail), 201);
  const approved = await agent.ok('POST', `/api/habilitations/${hab.id}/approve`, {}, 200);
  const gestionnaire = apiClient(gw);
  await gestionnaire.activateAndSignIn(gEmail, PASSWORD);
  const ids = new Set();
  for (let i = 0; i < COUNT; i += 1) {
    const r = await gestionnaire.ok('POST', `/api/partners/${partner.id}/modifications`, {
      user_id: approved.account.id, fonction: `Responsable ${String(i).padStart(3, '0')}`,
    }, 201);
    ids.add(r.id);
  }
  assert.equal(ids.size, COUNT);

  // ---- The agent walks the queue.
  ui = await openJourney(browser, gw, 'files d\'attente');
  const { page } = ui;
  await signInAs(ui, agentIdent, PASSWORD, 'agent');
  const partnerCalls = [];
  page.on('request', (req) => {
    if (/\/api\/partners\//.test(new URL(req.url()).pathname)) partnerCalls.push(req.url());
  });
  await page.goto('/modifications');
  const seen = new Set();
  let pages = 0;
  for (;;) {
    await page.locator('#liste-demandes .demandes').waitFor();
    pages += 1;
    const cards = page.locator('#liste-demandes [id^="demande-"][id$="-titre"]');
    const titles = await cards.allTextContents();
    assert.ok(titles.length > 0 && titles.length <= 50, `page ${pages}: ${titles.length} cards`);
    for (const title of titles) {
      assert.match(title, /Gaëlle Gestion – CCAS des Tilleuls/, `page ${pages}: a card names its structure and gestionnaire`);
    }
    for (const id of await cards.evaluateAll((els) => els.map((e) => e.id))) {
      seen.add(id.replace(/^demande-/, '').replace(/-titre$/, ''));
    }
    if (pages === 1) await ui.check('modifications page 1');
    const next = page.getByRole('button', { name: 'Page suivante' });
    if (!(await next.isVisible())) break;
    const before = titles.length ? await cards.first().getAttribute('id') : null;
    await next.click();
    await page.waitForFunction(
      (id) => !document.getElementById(id),
      before,
    );
    assert.ok(pages < 20, 'the pages end');
  }
  await ui.check(`modifications page ${pages}`);
  assert.equal(pages, Math.ceil(COUNT / 50), 'pages of 50');
  assert.deepEqual([...ids].filter((id) => !seen.has(id)), [], 'every request reached');
  assert.equal(seen.size, COUNT);
  assert.deepEqual(partnerCalls, [], 'no call per partner');
});
