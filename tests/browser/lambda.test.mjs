// Browser journey in Lambda mode (issue 13): the gateway started with `--lambda <dir>`
// answers every /api route with the function's real binary (built for this machine)
// under its local Lambda Runtime API, with moto as DynamoDB, S3 and SES, and clamd.
// Sign-in → accounts → a request with an attachment, every page checked by `ui.check`
// (axe 0 violation, 320 px, no CSP/console error):
// - the admin activates from the email sent through SES (the outbox), signs in, accepts
//   the CGU, creates a caisse in the « Caisses » page;
// - set-up through the API: the caisse's agent, a CCAS, its gestionnaire and technicienne;
// - the technicienne signs in, sends a dossier request and attaches a PDF: the browser
//   uploads it straight to the bucket (S3 presigned PUT on moto, the bucket's CORS rules
//   from template.yaml), clamd checks it, the list says « Vérifiée »; the agent
//   downloads it (S3 presigned GET) and gets the same bytes.
//
// Environment: EP_BROWSER_LAMBDA_DIR (the function binaries, e.g. target/debug; set by
// infra/scripts/test-all.sh), EP_TEST_AWS_ENDPOINT (moto, default
// http://127.0.0.1:5000), EP_TEST_CLAMD (default 127.0.0.1:3310). Without
// EP_BROWSER_LAMBDA_DIR the journey fails saying so, unless EP_SKIP_LAMBDA=1.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { buildGateway, launchBrowser, log, openJourney, startGateway } from './harness.mjs';
import { activatedAdmin } from './flows.mjs';
import { apiClient, parisDay, person, ready, signInAs, statusMessage } from './account-flows.mjs';
import { createStructure, fillRequest, submitRequest } from './request-flows.mjs';

const PASSWORD = 'Marais-Tranquille-58?';
const LAMBDA_DIR = process.env.EP_BROWSER_LAMBDA_DIR;
const MOTO = process.env.EP_TEST_AWS_ENDPOINT || 'http://127.0.0.1:5000';
const CLAMD = process.env.EP_TEST_CLAMD || '127.0.0.1:3310';
const SKIP = process.env.EP_SKIP_LAMBDA === '1';

/** A small valid one-page PDF. */
function makePdf(title) {
  const content = `BT /F1 12 Tf 40 800 Td (${title}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
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

let browser;
let binary;

before(async () => {
  if (!LAMBDA_DIR) return;
  binary = buildGateway();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
});

test('lambda mode: sign-in → accounts → a request with an attachment, through the function binaries on moto', async (t) => {
  if (!LAMBDA_DIR) {
    if (SKIP) {
      t.skip('EP_SKIP_LAMBDA=1');
      return;
    }
    assert.fail('EP_BROWSER_LAMBDA_DIR is not set: build the functions (cargo build -p ep-auth -p ep-accounts -p ep-requests -p ep-attachments -p ep-maintenance --bins), start moto and clamd (infra/scripts/services.sh start) and set EP_BROWSER_LAMBDA_DIR=<target dir>/debug, or EP_SKIP_LAMBDA=1 to skip');
  }
  const tag = randomBytes(5).toString('hex');
  const gw = await startGateway(binary, {
    args: ['--lambda', LAMBDA_DIR],
    env: {
      EP_LAMBDA_AWS_ENDPOINT: MOTO,
      EP_TABLE: `ep-browser-${tag}`,
      EP_ATTACHMENTS_BUCKET: `ep-browser-${tag}`,
      EP_CLAMD_ADDRESS: CLAMD,
    },
  });
  let ui;
  t.after(async () => {
    try {
      if (ui) await ui.close();
    } finally {
      await gw.stop();
      if (ui) log(`lambda: ${ui.visited.length} pages checked: ${ui.visited.map((v) => v.name).join(' | ')}`);
    }
  });
  // The development clock does not exist in this mode: a binary's clock is real.
  assert.equal((await fetch(`${gw.url}/_dev/clock`)).status, 404);

  // ---- Sign-in: the admin's email went through SES (moto) to the outbox.
  ui = await openJourney(browser, gw, 'parcours lambda');
  const { page } = ui;
  const { identifiant: adminIdent } = await activatedAdmin(ui, gw, PASSWORD);

  // ---- Accounts: a caisse created in the browser.
  await page.getByRole('link', { name: 'Gérer les caisses' }).click();
  await page.waitForURL((url) => url.pathname === '/caisses');
  await ready(page);
  await page.locator('#caisse-nom').fill('CPAM de Villeneuve');
  await page.locator('#caisse-adresse').fill('1 rue de l\'Exemple, 69000 Villeneuve');
  await page.locator('#caisse-secours').fill('Téléphone 36 46');
  await page.getByRole('button', { name: 'Créer la caisse' }).click();
  await statusMessage(page, 'La caisse CPAM de Villeneuve est créée.');
  await ui.check('caisses, caisse créée (lambda)');
  const admin = apiClient(gw);
  await admin.login(adminIdent, PASSWORD);
  const caisse = (await admin.ok('GET', '/api/caisses', undefined, 200)).items.find((c) => c.name === 'CPAM de Villeneuve');
  assert.ok(caisse, 'the caisse created in the browser');

  // ---- Set-up through the API: the agent, a CCAS, its gestionnaire and technicienne.
  await admin.ok('POST', `/api/caisses/${caisse.id}/agents`, { ...person('madame', 'Agathe', 'Agent', 'agathe.agent@cpam-villeneuve.example.org'), caisse_admin: true }, 201);
  const agent = apiClient(gw);
  const agentIdent = await agent.activateAndSignIn('agathe.agent@cpam-villeneuve.example.org', PASSWORD);
  const ccas = await createStructure(gw, agent, () => apiClient(gw), {
    name: 'CCAS de Villeneuve', category: 'ccas', domain: 'ccas-villeneuve.example.org', start: parisDay(new Date().toISOString()), password: PASSWORD,
    gestionnaire: ['madame', 'Gaëlle', 'Gestion', 'gaelle.gestion@ccas-villeneuve.example.org'],
    technicien: ['madame', 'Tina', 'Technicienne', 'tina.technicienne@ccas-villeneuve.example.org'],
  });

  // ---- A request with an attachment, uploaded by the browser straight to S3 (moto).
  await page.context().clearCookies();
  await signInAs(ui, ccas.identifiant, PASSWORD, 'technicienne (lambda)');
  await page.goto('/demandes/nouvelle');
  await ready(page);
  await fillRequest(page, {
    type: 'dossier', sous_type: 'Complémentaire santé solidaire', civilite: 'madame', nom: 'Dupont-Lefèvre', prenom: 'Éloïse',
    naissance: '1961-04-12', departement: '2A', message: 'Bonjour, merci d\'étudier la demande de Complémentaire santé solidaire de Madame.',
  });
  const dossier = await submitRequest(page);
  await ui.check('dossier envoyé (lambda)');
  const pdf = makePdf('Avis d\'imposition');
  const uploads = [];
  page.on('requestfinished', (r) => {
    if (r.method() === 'PUT') uploads.push(r.url());
  });
  await page.locator('#pj-fichiers').setInputFiles([{ name: 'avis-imposition.pdf', mimeType: 'application/pdf', buffer: pdf }]);
  await page.getByRole('button', { name: 'Joindre les fichiers' }).click();
  await page.locator('#pj-bilan').waitFor({ state: 'visible', timeout: 60000 });
  const outcome = (await page.locator('#pj-bilan').textContent()).trim();
  const state = (await page.locator('li.envoi .envoi-etat').first().textContent()).trim();
  assert.match(outcome, /Envoi terminé : 1 fichier, 1 vérifié/, `${outcome} ${state}; PUT: ${uploads.join(', ')}; console: ${ui.errors ? ui.errors.join(' | ') : ''}`);
  assert.ok(uploads.some((u) => u.startsWith(MOTO)), `the browser uploaded to S3 (moto): ${uploads.join(', ')}`);
  const row = page.locator('#liste-pj > li[data-nom="avis-imposition.pdf"]');
  await row.waitFor();
  assert.match(await row.textContent(), /Vérifiée/);
  await ui.check('dossier, pièce jointe vérifiée (lambda)');

  // ---- The agent downloads it through a presigned S3 link: the same bytes.
  const detail = await agent.ok('GET', `/api/requests/${dossier.id}`, undefined, 200);
  const att = detail.attachments.find((a) => a.file_name === 'avis-imposition.pdf');
  assert.ok(att, `the attachment in the request: ${JSON.stringify(detail.attachments)}`);
  const link = await agent.ok('GET', `/api/attachments/${att.id}/download`, undefined, 200);
  assert.ok(link.url.startsWith(MOTO), link.url);
  const got = await fetch(link.url);
  assert.equal(got.status, 200);
  assert.deepEqual(Buffer.from(await got.arrayBuffer()), pdf);
  log(`lambda: agent ${agentIdent} downloaded ${pdf.length} bytes from S3 (moto)`);
});
