// Browser journey of the documentation (issue 15, convention §3.2), in headless Chromium
// against the real gateway. Set-up through the API (admin → caisse and agent → a CCAS,
// its gestionnaire and technicien). In the browser: the platform admin opens
// « Documentation » from her home, an empty form is refused (RGAA summary), she publishes
// a user guide (PDF) for the partners — sent to its upload link, checked like an
// attachment, listed with its version —, then a file carrying the EICAR test string
// named .pdf, refused next to the file field and never offered; the technicien opens
// « Documentation » from his home and downloads the guide (the bytes published). Every
// page goes through `ui.check` (axe 0 violation at 1280 and 320 px, no CSP error).

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { buildGateway, launchBrowser, log, openJourney, startGateway, until } from './harness.mjs';
import { FIRST_PASSWORD, adminActivation, errorSummary, signOut } from './flows.mjs';
import { apiClient, parisDay, person, ready, signInAs, statusMessage } from './account-flows.mjs';
import { createStructure } from './request-flows.mjs';

const ADMIN_PASSWORD = FIRST_PASSWORD;
const PASSWORD = 'Prairie-Fleurie-73!';
// The EICAR anti-virus test file (not a virus: every engine recognises it on purpose).
const EICAR = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*', 'latin1');

let browser;
let binary;

before(async () => {
  binary = buildGateway();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
});

/** A valid one-page PDF (catalog, pages, page, font, a text stream) with its exact xref. */
function makePdf(title) {
  const content = `BT /F1 12 Tf 40 800 Td (${title}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

async function setUp(gw) {
  const now = await gw.clock();
  const admin = apiClient(gw);
  const { link, identifiant: adminIdent } = await adminActivation(gw);
  await admin.ok('POST', '/api/auth/activate', { token: decodeURIComponent(link.split('#jeton=')[1]), password: ADMIN_PASSWORD }, 204);
  await admin.login(adminIdent, ADMIN_PASSWORD);
  await admin.ok('POST', '/api/me/cgu', { version: (await admin.get('/api/cgu')).body.version }, 200);
  const caisse = await admin.ok('POST', '/api/caisses', {
    name: 'CPAM de Villeneuve', address: '1 rue de l\'Exemple, 69000 Villeneuve', alt_contact: 'Téléphone 36 46', referents: [],
  }, 201);
  await admin.ok('POST', `/api/caisses/${caisse.id}/agents`, { ...person('madame', 'Agathe', 'Agent', 'agathe.agent@cpam-villeneuve.example.org'), caisse_admin: true }, 201);
  const agent = apiClient(gw);
  await agent.activateAndSignIn('agathe.agent@cpam-villeneuve.example.org', PASSWORD);
  const { identifiant: techIdent } = await createStructure(gw, agent, () => apiClient(gw), {
    name: 'CCAS de Villeneuve', category: 'ccas', domain: 'ccas-villeneuve.example.org', start: parisDay(now),
    gestionnaire: ['madame', 'Gaëlle', 'Gestion', 'gaelle.gestion@ccas-villeneuve.example.org'],
    technicien: ['monsieur', 'Théo', 'Technicien', 'theo.technicien@ccas-villeneuve.example.org'],
    password: PASSWORD,
  });
  return { adminIdent, techIdent };
}

test('documentation: the admin publishes a guide (a refused file never offered) → a technicien downloads it', async (t) => {
  const gw = await startGateway(binary);
  let ui;
  t.after(async () => {
    try {
      if (ui) await ui.close();
    } finally {
      await gw.stop();
      if (ui) log(`documentation: ${ui.visited.length} pages checked: ${ui.visited.map((v) => v.name).join(' | ')}`);
    }
  });
  const { adminIdent, techIdent } = await setUp(gw);
  ui = await openJourney(browser, gw, 'parcours documentation');
  const { page } = ui;
  const guide = makePdf('Guide de l\'utilisateur - version 2026-1');

  // ---- The admin publishes.
  await signInAs(ui, adminIdent, ADMIN_PASSWORD, 'admin');
  await page.getByRole('link', { name: 'Consulter la documentation' }).click();
  await page.waitForURL((url) => url.pathname === '/documentation');
  await ready(page);
  assert.match(await page.locator('#liste-documents').textContent(), /Aucun document/);
  await ui.check('documentation, vide');

  await page.getByRole('button', { name: 'Publier' }).click();
  const summary = await errorSummary(page);
  assert.deepEqual(summary.hrefs, ['#document-titre', '#document-version', '#document-fichier']);
  await ui.check('documentation, formulaire incomplet');

  await page.locator('#document-titre').fill('Guide de l\'utilisateur');
  await page.getByLabel('Structures partenaires (gestionnaires et techniciens)').check();
  await page.locator('#document-version').fill('2026-1');
  await page.locator('#document-fichier').setInputFiles({ name: 'guide-utilisateur.pdf', mimeType: 'application/pdf', buffer: guide });
  await page.getByRole('button', { name: 'Publier' }).click();
  await statusMessage(page, 'est publié');
  const current = await page.locator('#table-documents tbody tr').first().textContent();
  assert.match(current, /Guide de l'utilisateur/);
  assert.match(current, /2026-1/);
  assert.match(await page.locator('#table-versions').textContent(), /Vérifiée/);
  await ui.check('documentation, guide publié');

  // A refused file: the reason next to the file field; listed for the admin only as refused.
  await page.locator('#document-existant').selectOption({ label: 'Guide de l\'utilisateur (version en vigueur : 2026-1)' });
  await page.locator('#document-titre').fill('Guide de l\'utilisateur');
  await page.locator('#document-version').fill('2026-2');
  await page.locator('#document-fichier').setInputFiles({ name: 'guide-2.pdf', mimeType: 'application/pdf', buffer: EICAR });
  await page.getByRole('button', { name: 'Publier' }).click();
  await until(async () => (await page.locator('#document-fichier-erreur').count()) === 1, 'the refusal next to the file');
  assert.match(await page.locator('#document-fichier-erreur').textContent(), /Le fichier est refusé/);
  await until(async () => /Refusée/.test(await page.locator('#table-versions').textContent()), 'the refused version listed');
  assert.equal(await page.locator('#table-documents tbody tr').count(), 1);
  assert.match(await page.locator('#table-documents').textContent(), /2026-1/);
  await ui.check('documentation, fichier refusé');
  await signOut(ui, 'admin déconnectée');

  // ---- The technicien downloads the guide.
  await signInAs(ui, techIdent, PASSWORD, 'technicien');
  await page.getByRole('link', { name: 'Consulter la documentation' }).click();
  await page.waitForURL((url) => url.pathname === '/documentation');
  await ready(page);
  assert.ok(await page.locator('#bloc-publier').isHidden(), 'no publishing for a technicien');
  assert.ok(await page.locator('#bloc-versions').isHidden(), 'no versions for a technicien');
  const rows = page.locator('#table-documents tbody tr');
  assert.equal(await rows.count(), 1);
  assert.match(await rows.first().textContent(), /2026-1/);
  await ui.check('documentation, technicien');
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Télécharger Guide de l\'utilisateur, version 2026-1' }).click(),
  ]);
  const bytes = await readFile(await file.path());
  assert.ok(bytes.equals(guide), 'the bytes published');
  assert.equal(file.suggestedFilename(), 'Guide de l\'utilisateur - version 2026-1.pdf');
});
