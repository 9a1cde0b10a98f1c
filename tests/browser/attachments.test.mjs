// Browser journey of the attachments issue (issue 12), in headless Chromium against the
// real gateway (fresh data directory, development clock, clamd when EP_TEST_CLAMD or the
// default 127.0.0.1:3310 answers). Set-up through the API: a caisse and its agent, a
// CCAS (documents by post) and a tutelle (documents through the portal), each with its
// gestionnaire and a technicien; two `document` requests sent through the API. Then in
// the browser:
// - the CCAS technicien sends a `dossier` request: the confirmation invites to add the
//   documents; she attaches a valid PDF of a few hundred KB (the <progress> bar moves,
//   with the upload throttled) and the EICAR test file named .pdf (refused, with its
//   reason next to the file; the other file goes on);
// - the agent downloads the valid one (Content-Disposition: attachment, same bytes),
//   cannot download the refused one; the list says who downloaded it and when;
// - the agent answers the tutelle's document request: the answer is refused without a
//   document; she attaches the attestation right in the answer form, then answers;
// - the tutelle's technicienne downloads it; both sides see who downloaded it;
// - the agent answers the CCAS's document request with the date it was posted;
// - the CCAS technicien sees that the agent downloaded her file.
// Every page goes through `ui.check` (axe 0 violation, 320 px, no CSP/console error).

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import zlib from 'node:zlib';
import { after, before, test } from 'node:test';
import { buildGateway, launchBrowser, log, openJourney, startGateway, until } from './harness.mjs';
import { FIRST_PASSWORD, adminActivation, errorSummary, fieldError, signOut } from './flows.mjs';
import { apiClient, frDay, parisDay, person, ready, signInAs, statusMessage } from './account-flows.mjs';
import { createStructure, fillRequest, stateOf, submitRequest } from './request-flows.mjs';

const PASSWORD = 'Marais-Tranquille-58?';
const CLAMD = process.env.EP_TEST_CLAMD || '127.0.0.1:3310';

// The EICAR anti-virus test file (not a virus: every engine recognises it on purpose).
const EICAR = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*', 'latin1');

/**
 * A valid one-page PDF of about `size` bytes: catalog, pages, page, font, and a content
 * stream of text lines (no script, no action, no embedded file), with its exact xref.
 */
function makePdf(title, size) {
  const lines = [];
  let length = 0;
  for (let i = 0; length < size; i += 1) {
    const line = `BT /F1 9 Tf 40 ${800 - (i % 70) * 11} Td (${title} - ligne ${String(i).padStart(6, '0')}) Tj ET`;
    lines.push(line);
    length += line.length + 1;
  }
  const content = lines.join('\n');
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

/** A valid PNG image of `w` × `h` pixels (a grey gradient). */
function makePng(w, h) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const rows = [];
  for (let y = 0; y < h; y += 1) {
    const row = Buffer.alloc(w + 1);
    for (let x = 0; x < w; x += 1) row[x + 1] = (x * 255) / w;
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Whether a clamd answers PING at host:port. */
async function clamdAnswers(address) {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: Number(port) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('zPING\0'));
    socket.on('data', (d) => done(d.toString().startsWith('PONG')));
  });
}

let browser;
let binary;

before(async () => {
  binary = buildGateway();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
});

async function setUp(gw) {
  const now = await gw.clock();
  const admin = apiClient(gw);
  const { link, identifiant: adminIdent } = await adminActivation(gw);
  await admin.ok('POST', '/api/auth/activate', { token: decodeURIComponent(link.split('#jeton=')[1]), password: FIRST_PASSWORD }, 204);
  await admin.login(adminIdent, FIRST_PASSWORD);
  await admin.ok('POST', '/api/me/cgu', { version: (await admin.get('/api/cgu')).body.version }, 200);
  const caisse = await admin.ok('POST', '/api/caisses', {
    name: 'CPAM de Villeneuve', address: '1 rue de l\'Exemple, 69000 Villeneuve', alt_contact: 'Téléphone 36 46', referents: [],
  }, 201);
  await admin.ok('POST', `/api/caisses/${caisse.id}/agents`, { ...person('madame', 'Agathe', 'Agent', 'agathe.agent@cpam-villeneuve.example.org'), caisse_admin: true }, 201);
  const agent = apiClient(gw);
  const agentIdent = await agent.activateAndSignIn('agathe.agent@cpam-villeneuve.example.org', PASSWORD);
  const start = parisDay(now);
  const clientOf = () => apiClient(gw);
  const ccas = await createStructure(gw, agent, clientOf, {
    name: 'CCAS de Villeneuve', category: 'ccas', domain: 'ccas-villeneuve.example.org', start, password: PASSWORD,
    gestionnaire: ['madame', 'Gaëlle', 'Gestion', 'gaelle.gestion@ccas-villeneuve.example.org'],
    technicien: ['madame', 'Tina', 'Technicienne', 'tina.technicienne@ccas-villeneuve.example.org'],
  });
  const tutelle = await createStructure(gw, agent, clientOf, {
    name: 'Tutelles du Plateau', category: 'tutelle', domain: 'tutelles-plateau.example.org', start, password: PASSWORD,
    gestionnaire: ['monsieur', 'Oscar', 'Ordonnateur', 'oscar.ordonnateur@tutelles-plateau.example.org'],
    technicien: ['madame', 'Olga', 'Mandataire', 'olga.mandataire@tutelles-plateau.example.org'],
  });
  const documentRequest = (nom) => ({
    caisse_id: caisse.id, type: 'document', sous_type: 'attestation_droits',
    message: 'Une attestation de droits est demandée pour le bailleur.',
    assure: { civilite: 'madame', nom, prenom: 'Camille', date_naissance: '1983-11-20', departement: '69' },
  });
  const tutelleDoc = await tutelle.tech.ok('POST', '/api/requests', documentRequest('Roux'), 201);
  const ccasDoc = await ccas.tech.ok('POST', '/api/requests', documentRequest('Blanc'), 201);
  return { now, agentIdent, ccas, tutelle, tutelleDoc, ccasDoc };
}

/** Records every value each <progress> of the page takes (they survive re-renders). */
async function recordProgress(page) {
  await page.evaluate(() => {
    window.progressValues = {};
    new MutationObserver((mutations) => {
      for (const m of mutations) {
        const t = m.target;
        if (t.tagName === 'PROGRESS') {
          (window.progressValues[t.id] ||= []).push(Number(t.getAttribute('value')));
        }
      }
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['value'] });
  });
}

/** Chooses `files` in the file input `inputId`, clicks « Joindre les fichiers », waits for the outcome. */
async function attach(page, inputId, files) {
  await page.locator(`#${inputId}`).setInputFiles(files);
  await page.getByRole('button', { name: 'Joindre les fichiers' }).click();
  await page.locator('#pj-bilan').waitFor({ state: 'visible', timeout: 60000 });
  await until(async () => page.evaluate(() => document.activeElement && document.activeElement.id === 'pj-bilan'), 'focus on the outcome of the upload');
  return (await page.locator('#pj-bilan').textContent()).trim();
}

/** The upload row (li.envoi) of the file `name`. */
function uploadRow(page, name) {
  return page.locator('li.envoi').filter({ has: page.locator('.pj-nom', { hasText: name }) });
}

/** The listed attachment (li.pj) of the file `name`. */
function listed(page, name) {
  return page.locator(`#liste-pj > li[data-nom="${name}"]`);
}

/**
 * Clicks « Télécharger » of `name`: the API gives a short-lived URL, the browser goes
 * there and downloads the file. The navigation to that URL is observed once (a link may
 * serve only once): returns the bytes the browser saved, and the URL's response headers
 * and body.
 */
async function download(page, name) {
  let seen = null;
  const observe = async (route) => {
    const req = route.request();
    if (!req.isNavigationRequest() || new URL(req.url()).pathname.startsWith('/demandes/')) {
      await route.fallback();
      return;
    }
    const res = await route.fetch();
    seen = { url: req.url(), status: res.status(), headers: res.headers(), body: await res.body() };
    await route.fulfill({ response: res, body: seen.body });
  };
  await page.route('**/*', observe);
  try {
    const [apiRes, file] = await Promise.all([
      page.waitForResponse((r) => /^\/api\/attachments\/[^/]+\/download$/.test(new URL(r.url()).pathname)),
      page.waitForEvent('download'),
      listed(page, name).getByRole('button', { name: `Télécharger ${name}` }).click(),
    ]);
    assert.equal(apiRes.status(), 200, `download route: ${await apiRes.text()}`);
    const { url } = await apiRes.json();
    assert.ok(url, 'a short-lived URL');
    const bytes = await readFile(await file.path());
    assert.equal(file.suggestedFilename(), name, 'the file name of the download');
    assert.ok(seen, 'the browser went to the short-lived URL');
    assert.equal(seen.url, new URL(url, page.url()).href);
    assert.equal(seen.status, 200);
    return { bytes, headers: seen.headers, direct: seen.body };
  } finally {
    await page.unroute('**/*', observe);
  }
}

test('attachments: dossier with a PDF (progress) and EICAR (refused) → agent downloads → tutelle document attached to the answer and downloaded → CCAS document by post', async (t) => {
  const env = {};
  if (await clamdAnswers(CLAMD)) {
    env.EP_CLAMD_ADDRESS = CLAMD;
    log(`attachments: the gateway scans with clamd at ${CLAMD}`);
  } else log(`attachments: no clamd at ${CLAMD}, the built-in checks alone refuse EICAR`);
  const gw = await startGateway(binary, { env });
  let ui;
  t.after(async () => {
    try {
      if (ui) await ui.close();
    } finally {
      await gw.stop();
      if (ui) log(`attachments: ${ui.visited.length} pages checked: ${ui.visited.map((v) => v.name).join(' | ')}`);
    }
  });
  const { now, agentIdent, ccas, tutelle, tutelleDoc, ccasDoc } = await setUp(gw);
  ui = await openJourney(browser, gw, 'parcours pieces jointes');
  const { page } = ui;
  const pdf = makePdf('Avis d\'imposition', 400 * 1024);
  const attestation = makePdf('Attestation de droits', 60 * 1024);

  // ---- The CCAS technicienne sends a dossier: the confirmation invites to add the documents.
  await signInAs(ui, ccas.identifiant, PASSWORD, 'technicienne ccas');
  await page.goto('/demandes/nouvelle');
  await ready(page);
  await fillRequest(page, {
    type: 'dossier', sous_type: 'Complémentaire santé solidaire', civilite: 'madame', nom: 'Dupont-Lefèvre', prenom: 'Éloïse',
    naissance: '1961-04-12', departement: '2A', message: 'Bonjour, merci d\'étudier la demande de Complémentaire santé solidaire de Madame.',
  });
  const dossier = await submitRequest(page);
  assert.match(await page.locator('#invitation-pj').textContent(), /Ajoutez maintenant les justificatifs/);
  assert.ok(await page.getByRole('link', { name: 'ajouter les justificatifs' }).isVisible());
  assert.match(await page.locator('#pj-aucune').textContent(), /Aucune pièce jointe/);
  const hint = await page.locator('#pj-fichiers-aide').textContent();
  assert.match(hint, /PDF, JPEG ou PNG, 10 Mo au plus par fichier, 5 fichiers au plus par demande/);
  assert.equal(await page.locator('#pj-fichiers').getAttribute('accept'), '.pdf,application/pdf,.jpg,.jpeg,image/jpeg,.png,image/png');
  assert.ok(await page.locator('#pj-fichiers').evaluate((i) => i.multiple));
  await ui.check('dossier envoyé, invitation à joindre');

  // Nothing chosen: said next to the input.
  await page.getByRole('button', { name: 'Joindre les fichiers' }).click();
  assert.match(await page.locator('#pj-fichiers-erreur').textContent(), /Choisissez au moins un fichier/);

  // ---- Two files; the upload is throttled so that the progress bar moves.
  const cdp = await ui.context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 256 * 1024,
  });
  await recordProgress(page);
  const outcome = await attach(page, 'pj-fichiers', [
    { name: 'avis-imposition.pdf', mimeType: 'application/pdf', buffer: pdf },
    { name: 'eicar.pdf', mimeType: 'application/pdf', buffer: EICAR },
  ]);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  assert.match(outcome, /Envoi terminé : 2 fichiers, 1 vérifié, 1 refusé\./);
  assert.match(await uploadRow(page, 'avis-imposition.pdf').locator('.envoi-etat').textContent(), /Vérifiée/);
  const refused = (await uploadRow(page, 'eicar.pdf').locator('.envoi-etat').textContent()).trim();
  assert.match(refused, /^Erreur : (Refusée|Fichier refusé) : .{10,}/, refused);
  log(`attachments: EICAR: ${refused}`);
  const values = await page.evaluate(() => window.progressValues);
  const first = values[await uploadRow(page, 'avis-imposition.pdf').locator('progress').getAttribute('id')] || [];
  log(`attachments: progress values of the PDF: ${first.join(', ')}`);
  assert.ok(first.some((v) => v > 0 && v < 100), `intermediate progress values: ${first.join(', ')}`);
  assert.equal(first[first.length - 1], 100, 'the progress reached its max');
  assert.equal(await uploadRow(page, 'avis-imposition.pdf').locator('progress').getAttribute('aria-label'), 'Envoi de avis-imposition.pdf');
  // The list (reloaded): the PDF verified, EICAR refused with its reason.
  await listed(page, 'avis-imposition.pdf').waitFor();
  assert.match(await listed(page, 'avis-imposition.pdf').textContent(), /avis-imposition\.pdf\s*\(40\d Ko\)\s*Vérifiée.*Ajoutée par Tina Technicienne \(structure, CCAS de Villeneuve\)/s);
  const rejected = await listed(page, 'eicar.pdf').textContent();
  assert.match(rejected, /Refusée.*Refusée : .{10,}/s, rejected);
  assert.equal(await listed(page, 'eicar.pdf').getByRole('button', { name: /Télécharger/ }).count(), 0, 'a refused file cannot be downloaded');
  await ui.check('dossier, pièces jointes envoyées');

  // « Annuler » during an upload: the upload stops, the slot is deleted, nothing is listed.
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 32 * 1024 });
  await page.locator('#pj-fichiers').setInputFiles([{ name: 'releve-trop-long.pdf', mimeType: 'application/pdf', buffer: makePdf('Releve', 1024 * 1024) }]);
  await page.getByRole('button', { name: 'Joindre les fichiers' }).click();
  const row = uploadRow(page, 'releve-trop-long.pdf');
  await until(async () => Number(await row.locator('progress').getAttribute('value')) > 0, 'the upload started');
  const deleted = page.waitForResponse((r) => r.request().method() === 'DELETE' && /^\/api\/attachments\/[^/]+$/.test(new URL(r.url()).pathname));
  await row.getByRole('button', { name: 'Annuler l\'envoi de releve-trop-long.pdf' }).click();
  assert.equal((await deleted).status(), 204, 'the slot is deleted');
  await page.locator('#pj-bilan').waitFor({ state: 'visible' });
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  assert.match(await row.locator('.envoi-etat').textContent(), /Envoi annulé/);
  assert.match(await page.locator('#pj-bilan').textContent(), /1 fichier, 1 annulé/);
  assert.equal(await listed(page, 'releve-trop-long.pdf').count(), 0, 'a cancelled file is not listed');
  assert.equal(await page.locator('#liste-pj > li').count(), 2);
  await ui.check('dossier, envoi annulé');

  // Each refusal next to its file, the other files go on: a type refused when asking for
  // the upload link, an upload cut off (the slot is deleted), a valid PNG.
  const blobs = (url) => url.pathname.startsWith('/_local/blobs/');
  await page.route(blobs, async (route) => {
    // The upload of « coupure.pdf » (20 480 bytes): cut off.
    const body = route.request().postDataBuffer();
    if (route.request().method() === 'PUT' && body && body.length === 20480) {
      await route.abort('connectionreset');
      return;
    }
    await route.fallback();
  });
  const png = makePng(64, 48);
  const third = await attach(page, 'pj-fichiers', [
    { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Quelques notes.') },
    { name: 'coupure.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(20480, 0x25) },
    { name: 'photo-justificatif.png', mimeType: 'image/png', buffer: png },
  ]);
  await page.unroute(blobs);
  assert.match(third, /3 fichiers, 1 vérifié, 2 refusés/, third);
  const typeRefused = await uploadRow(page, 'notes.txt').locator('.envoi-etat').textContent();
  log(`attachments: text file: ${typeRefused}`);
  assert.match(typeRefused, /^Erreur : Fichier refusé : .{10,}/);
  assert.match(await uploadRow(page, 'coupure.pdf').locator('.envoi-etat').textContent(), /^Erreur : L'envoi a échoué : /);
  assert.match(await uploadRow(page, 'photo-justificatif.png').locator('.envoi-etat').textContent(), /Vérifiée/);
  assert.equal(await listed(page, 'coupure.pdf').count(), 0, 'the slot of a failed upload is deleted');
  assert.equal(await listed(page, 'notes.txt').count(), 0);
  assert.match(await listed(page, 'photo-justificatif.png').textContent(), /Vérifiée/);
  await ui.check('dossier, refus fichier par fichier');
  await signOut(ui, 'déconnexion technicienne ccas');

  // ---- The agent downloads the valid file.
  await signInAs(ui, agentIdent, PASSWORD, 'agent');
  await page.goto(`/demandes/demande?id=${encodeURIComponent(dossier.id)}`);
  await ready(page);
  assert.match(await listed(page, 'avis-imposition.pdf').textContent(), /Pas encore téléchargée/);
  assert.match(await page.locator('#pj-ajout-impossible').textContent(), /seulement pour répondre à une demande de document/);
  assert.equal(await listed(page, 'eicar.pdf').getByRole('button', { name: /Télécharger/ }).count(), 0);
  await ui.check('dossier, côté caisse');
  const got = await download(page, 'avis-imposition.pdf');
  assert.ok(got.bytes.equals(pdf), 'the downloaded bytes are the uploaded ones');
  assert.ok(got.direct.equals(pdf), 'the short-lived URL serves the uploaded bytes');
  assert.match(got.headers['content-disposition'] || '', /^attachment;\s*filename="avis-imposition\.pdf"/);
  assert.match(got.headers['content-type'] || '', /^application\/pdf/);
  await until(async () => /Téléchargée par :\s*Agathe Agent \(caisse, CPAM de Villeneuve\), le/.test(await listed(page, 'avis-imposition.pdf').textContent()), 'the download listed with who and when');
  await ui.check('dossier, pièce téléchargée par l\'agent');

  // ---- The tutelle's document request: the answer carries the document.
  await page.goto(`/demandes/demande?id=${encodeURIComponent(tutelleDoc.id)}`);
  await ready(page);
  await page.getByRole('button', { name: 'Prendre en charge la demande' }).click();
  await statusMessage(page, 'La demande vous est attribuée');
  assert.match(await page.locator('#form-answer').locator('..').textContent(), /joignez-le d'abord/);
  assert.match(await page.locator('#document-joint').textContent(), /Aucun document vérifié/);
  assert.equal(await page.getByLabel('Envoyé par courrier le').count(), 0, 'no post date for a tutelle');
  assert.match(await page.locator('#pieces-jointes').textContent(), /se joint dans le formulaire « Répondre »/);
  await ui.check('document tutelle, réponse à joindre');
  // Answering without the document is refused.
  await page.locator('#action-answer-message').fill('Voici l\'attestation de droits demandée.');
  await page.getByRole('button', { name: 'Envoyer la réponse' }).click();
  const missing = await errorSummary(page);
  assert.deepEqual(missing.hrefs, ['#pj-reponse-fichiers'], 'the summary links to the document\'s file input');
  assert.match(await fieldError(page, 'pj-reponse-fichiers'), /Joignez d'abord le document/);
  assert.notEqual(await stateOf(page), 'Répondue');
  await ui.check('document tutelle, réponse sans document refusée');
  const agentOutcome = await attach(page, 'pj-reponse-fichiers', [
    { name: 'attestation-droits.pdf', mimeType: 'application/pdf', buffer: attestation },
  ]);
  assert.match(agentOutcome, /1 fichier, 1 vérifié/);
  assert.match(await page.locator('#document-joint').textContent(), /attestation-droits\.pdf/);
  assert.equal(await page.locator('#action-answer-message').inputValue(), 'Voici l\'attestation de droits demandée.', 'the typed answer survives the upload');
  await ui.check('document tutelle, document joint');
  await page.getByRole('button', { name: 'Envoyer la réponse' }).click();
  await statusMessage(page, 'Votre réponse est envoyée');
  assert.equal(await stateOf(page), 'Répondue');
  assert.match(await listed(page, 'attestation-droits.pdf').textContent(), /Vérifiée.*Ajoutée par Agathe Agent \(caisse, CPAM de Villeneuve\)/s);
  await ui.check('document tutelle, répondue');
  await signOut(ui, 'déconnexion agent');

  // ---- The tutelle's technicienne downloads the attestation.
  await signInAs(ui, tutelle.identifiant, PASSWORD, 'technicienne tutelle');
  await page.goto(`/demandes/demande?id=${encodeURIComponent(tutelleDoc.id)}`);
  await ready(page);
  assert.match(await page.locator('#pj-ajout-impossible').textContent(), /La caisse a répondu.*aucune pièce jointe ne peut plus/);
  assert.match(await listed(page, 'attestation-droits.pdf').textContent(), /Document remis avec la réponse de la caisse/);
  const att = await download(page, 'attestation-droits.pdf');
  assert.ok(att.bytes.equals(attestation), 'the partner gets the caisse\'s bytes');
  assert.match(att.headers['content-disposition'] || '', /^attachment/);
  await until(async () => /Téléchargée par :\s*Olga Mandataire \(structure, Tutelles du Plateau\), le/.test(await listed(page, 'attestation-droits.pdf').textContent()), 'her download listed');
  await ui.check('document tutelle, téléchargé par la structure');
  await signOut(ui, 'déconnexion technicienne tutelle');

  // ---- The agent sees who downloaded it; answers the CCAS's document request by post.
  await signInAs(ui, agentIdent, PASSWORD, 'agent 2');
  await page.goto(`/demandes/demande?id=${encodeURIComponent(tutelleDoc.id)}`);
  await ready(page);
  assert.match(await listed(page, 'attestation-droits.pdf').textContent(), /Téléchargée par :\s*Olga Mandataire \(structure, Tutelles du Plateau\), le/);
  await ui.check('document tutelle, téléchargement vu par la caisse');
  await page.goto(`/demandes/demande?id=${encodeURIComponent(ccasDoc.id)}`);
  await ready(page);
  await page.getByRole('button', { name: 'Prendre en charge la demande' }).click();
  await statusMessage(page, 'La demande vous est attribuée');
  assert.equal(await page.locator('#document-joint').count(), 0, 'no document to attach for a CCAS');
  await page.locator('#action-answer-courrier').fill(parisDay(now));
  await page.getByRole('button', { name: 'Envoyer la réponse' }).click();
  await statusMessage(page, 'Votre réponse est envoyée');
  assert.match(await page.locator('#titre-resume + dl').textContent(), new RegExp(`Envoyé par courrier le${frDay(parisDay(now))}`));
  await ui.check('document ccas, envoyé par courrier');
  await signOut(ui, 'déconnexion agent 2');

  // ---- The CCAS technicienne sees that the agent downloaded her file.
  await signInAs(ui, ccas.identifiant, PASSWORD, 'technicienne ccas 2');
  await page.goto(`/demandes/demande?id=${encodeURIComponent(dossier.id)}`);
  await ready(page);
  assert.match(await listed(page, 'avis-imposition.pdf').textContent(), /Téléchargée par :\s*Agathe Agent \(caisse, CPAM de Villeneuve\), le/);
  await ui.check('dossier, téléchargement vu par la structure');
});
