// Browser journey of the requests issue (issue 11), in headless Chromium against the real
// gateway (fresh data directory, development clock). Set-up through the API (admin →
// caisse + agent → CCAS with a convention enabling every functionality → gestionnaire →
// technicien; a second structure and its technicien), accounts activated from the dev
// outbox. Then in the browser: the technicien submits the five kinds (a NIR typed in a
// message is refused as the user types and at submit), the agent takes one and asks for
// more, the technicien replies, the agent answers; the history finds « Éloïse » by typing
// « eloise »; the gestionnaire sees it; the other structure's technicien gets « Demande
// introuvable ». Every page goes through `ui.check` (axe 0 violation, 320 px, no CSP error).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildGateway, launchBrowser, log, openJourney, startGateway, until } from './harness.mjs';
import { FIRST_PASSWORD, adminActivation, errorSummary, fieldError, signOut } from './flows.mjs';
import {
  activateFromMail, apiClient, frDay, nextSiret, parisDay, person, ready, signInAs, statusMessage,
} from './account-flows.mjs';
import { ALL, LABELS, fillRequest, stateOf, submitRequest } from './request-flows.mjs';

const AGENT_PASSWORD = 'Marais-Tranquille-58?';
const GESTION_PASSWORD = 'Prairie-Fleurie-73!';
const TECH_PASSWORD = 'Falaise-Blanche-64#';
const OTHER_PASSWORD = 'Vallon-Secret-2031!';

// A valid NIR (key 91), as a technicien would type it.
const NIR = '1 85 05 78 006 084 91';

let browser;
let binary;

before(async () => {
  binary = buildGateway();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
});

/** Everything before the browser: two structures, their accounts; returns identifiants. */
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
  const agentIdent = await agent.activateAndSignIn('agathe.agent@cpam-villeneuve.example.org', AGENT_PASSWORD);

  const partner = await agent.ok('POST', '/api/partners', {
    name: 'CCAS de Villeneuve', siret: nextSiret(), address: '2 place de la Mairie, 69130 Villeneuve', category: 'ccas', members: 8,
    allowed_domains: ['ccas-villeneuve.example.org'], convention: { start: parisDay(now), functionalities: ALL },
  }, 201);
  const hab = await agent.ok('POST', `/api/partners/${partner.id}/habilitations`, person('madame', 'Gaëlle', 'Gestion', 'gaelle.gestion@ccas-villeneuve.example.org', 'Directrice du CCAS'), 201);
  await agent.ok('POST', `/api/habilitations/${hab.id}/approve`, {}, 200);
  const gestion = apiClient(gw);
  const gestionIdent = await gestion.activateAndSignIn('gaelle.gestion@ccas-villeneuve.example.org', GESTION_PASSWORD);
  await gestion.ok('POST', `/api/partners/${partner.id}/techniciens`, person('monsieur', 'Théo', 'Technicien', 'theo.technicien@ccas-villeneuve.example.org', 'Agent d\'accueil'), 201);

  const other = await agent.ok('POST', '/api/partners', {
    name: 'Tutelles du Plateau', siret: nextSiret(), address: '5 rue du Plateau, 69200 Plateau', category: 'tutelle', members: 4,
    allowed_domains: ['tutelles-plateau.example.org'], convention: { start: parisDay(now), functionalities: ALL },
  }, 201);
  const hab2 = await agent.ok('POST', `/api/partners/${other.id}/habilitations`, person('monsieur', 'Oscar', 'Ordonnateur', 'oscar.ordonnateur@tutelles-plateau.example.org', 'Directeur'), 201);
  await agent.ok('POST', `/api/habilitations/${hab2.id}/approve`, {}, 200);
  const gestion2 = apiClient(gw);
  await gestion2.activateAndSignIn('oscar.ordonnateur@tutelles-plateau.example.org', GESTION_PASSWORD);
  await gestion2.ok('POST', `/api/partners/${other.id}/techniciens`, person('madame', 'Olga', 'Autre', 'olga.autre@tutelles-plateau.example.org', 'Mandataire'), 201);
  const other2 = apiClient(gw);
  const otherTechIdent = await other2.activateAndSignIn('olga.autre@tutelles-plateau.example.org', OTHER_PASSWORD);
  return { now, agentIdent, gestionIdent, otherTechIdent, otherTech: other2, caisseId: caisse.id, agent, otherId: other.id };
}

test('requests: five kinds submitted (NIR refused live) → agent takes, asks → technicien replies → agent answers → history by « eloise » → gestionnaire sees it → other structure gets « Demande introuvable »', async (t) => {
  const gw = await startGateway(binary);
  let ui;
  t.after(async () => {
    try {
      if (ui) await ui.close();
    } finally {
      await gw.stop();
      if (ui) log(`requests: ${ui.visited.length} pages checked: ${ui.visited.map((v) => v.name).join(' | ')}`);
    }
  });
  const { now, agentIdent, gestionIdent, otherTechIdent, otherTech, caisseId, agent, otherId } = await setUp(gw);
  ui = await openJourney(browser, gw, 'parcours demandes');
  const { page } = ui;

  // ---- The technicien activates from the outbox email; home: the request cards are links.
  const techIdent = await activateFromMail(ui, gw, 'theo.technicien@ccas-villeneuve.example.org', TECH_PASSWORD, { name: 'technicien' });
  assert.equal(await page.getByText('Pas encore disponible').count(), 0, 'nothing « Pas encore disponible » on the home page');
  assert.ok(await page.getByRole('link', { name: 'Faire une nouvelle demande' }).isVisible());
  assert.ok(await page.getByRole('link', { name: 'Consulter l\'historique des demandes' }).isVisible());
  const enabled = await page.locator('#fonctionnalites').textContent();
  assert.match(enabled, /CPAM de Villeneuve/);
  for (const label of Object.values(LABELS)) assert.ok(enabled.includes(label), `home: enabled kind ${label}`);

  await page.getByRole('link', { name: 'Faire une nouvelle demande' }).click();
  await page.waitForURL((url) => url.pathname === '/demandes/nouvelle');
  await ready(page);
  assert.ok(await page.getByLabel('CPAM de Villeneuve').isChecked(), 'the only caisse is chosen');
  assert.match(await page.locator('#consigne-nir').textContent(), /numéro de sécurité sociale \(NIR\)/);
  for (const label of Object.values(LABELS)) assert.ok(await page.getByLabel(label, { exact: true }).isVisible(), `kind offered: ${label}`);
  await ui.check('nouvelle demande');

  // ---- 1. dossier, for Éloïse Dupont-Lefèvre; a NIR typed in the message is refused as she types.
  const eloise = {
    type: 'dossier', sous_type: 'Complémentaire santé solidaire', civilite: 'madame', nom: 'Dupont-Lefèvre', prenom: 'Éloïse',
    naissance: '1961-04-12', departement: '2A', message: `Bonjour, voici son numéro ${NIR} pour retrouver sa demande.`,
  };
  await fillRequest(page, eloise);
  await until(async () => /numéro de sécurité sociale \(NIR\)/.test(await page.locator('#d-message-erreur').textContent().catch(() => '')), 'the live NIR message under the message');
  const live = await fieldError(page, 'd-message');
  assert.match(live, /retirez « 1 85 05/, live);
  assert.equal(await page.locator('.resume-erreurs').count(), 0, 'no summary while typing');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'd-message', 'focus stays in the field being typed in');
  // The message is under the field (the field does not move while typing).
  assert.equal(await page.evaluate(() => document.getElementById('d-message').nextElementSibling.id), 'd-message-erreur');
  await ui.check('nouvelle demande, NIR signalé en direct');
  await page.getByRole('button', { name: 'Envoyer la demande' }).click();
  const summary = await errorSummary(page);
  assert.match(summary.heading, /Le formulaire contient 1 erreur/);
  assert.deepEqual(summary.hrefs, ['#d-message']);
  assert.equal(new URL(page.url()).pathname, '/demandes/nouvelle', 'not submitted');
  await ui.check('nouvelle demande, envoi refusé');
  await page.locator('#d-message').fill('Bonjour, merci d\'étudier la demande de Complémentaire santé solidaire déposée en mars par Madame.');
  await until(async () => (await page.locator('#d-message-erreur').count()) === 0, 'the message error gone once the NIR is removed');
  const dossier = await submitRequest(page);
  assert.match(await page.locator('#titre-assure + dl').textContent(), /Mme Éloïse Dupont-Lefèvre.*12\/04\/1961.*2A – Corse-du-Sud/s);
  assert.equal(await stateOf(page), 'Envoyée');
  await ui.check('demande envoyée, confirmation');

  // ---- 2-5. The four other kinds.
  const others = [
    { type: 'contact', sous_type: 'Droits', civilite: 'monsieur', nom: 'Martin', prenom: 'Lucas', naissance: '1978-09-30', departement: '69', message: 'Monsieur souhaite savoir où en est l\'ouverture de ses droits depuis son déménagement.' },
    { type: 'signalement', sous_type: 'Rupture de droits', civilite: 'madame', nom: 'Bernard', prenom: 'Inès', naissance: '1990-01-15', departement: '971', message: 'Madame n\'a plus de droits ouverts depuis janvier et ne sait pas quelles démarches faire.' },
    { type: 'rendez_vous', civilite: 'monsieur', nom: 'Petit', prenom: 'Hugo', naissance: '1955-06-02', departement: '2B', mode: 'Par téléphone', disponibilites: 'Le mardi matin ou le jeudi après 14 h.', message: 'Monsieur souhaite faire le point sur sa situation avec un conseiller.' },
    { type: 'document', sous_type: 'Attestation de droits', civilite: 'madame', nom: 'Roux', prenom: 'Camille', naissance: '1983-11-20', departement: '976', message: 'Madame a besoin d\'une attestation de droits pour son bailleur.' },
  ];
  const sent = { dossier };
  for (const r of others) {
    await page.goto('/demandes/nouvelle');
    await ready(page);
    await fillRequest(page, r);
    if (r.type === 'document') {
      assert.match(await page.locator('#mode-remise').textContent(), /courrier à l'adresse connue de l'assuré/);
      await ui.check('nouvelle demande, document par courrier');
    }
    if (r.type === 'rendez_vous') await ui.check('nouvelle demande, rendez-vous');
    sent[r.type] = await submitRequest(page);
  }
  assert.match(await page.locator('#titre-resume + dl').textContent(), /Remise du document.*courrier/s);

  // ---- History: the five, newest first.
  await page.goto('/demandes');
  await ready(page);
  // Newest first. Timestamps are kept to the second: the four quick ones may share one, so
  // only the dossier (sent seconds earlier) has a place asserted.
  const refs = await page.locator('#liste-demandes-items h3 a').allTextContents();
  const byKind = (kinds) => kinds.map((k) => `Demande ${sent[k].reference}`);
  assert.deepEqual([...refs].sort(), byKind(['document', 'rendez_vous', 'signalement', 'contact', 'dossier']).sort());
  assert.equal(refs[4], `Demande ${sent.dossier.reference}`, 'the first request sent is the last of the history');
  await ui.check('historique, cinq demandes');
  await signOut(ui, 'déconnexion technicien');

  // ---- The agent: the queue, takes the dossier, asks for more.
  await signInAs(ui, agentIdent, AGENT_PASSWORD, 'agent');
  assert.equal(await page.getByText('Pas encore disponible').count(), 0);
  assert.match(await page.locator('#resume-demandes').textContent(), /5 demandes envoyées à prendre en charge/);
  await page.getByRole('link', { name: 'Traiter les demandes des partenaires' }).click();
  await page.waitForURL((url) => url.pathname === '/caisse/demandes');
  await ready(page);
  assert.match(await page.locator('#onglets-etats a[aria-current="page"]').textContent(), /Envoyée \(5\)/);
  const queue = await page.locator('#liste-demandes-items h3 a').allTextContents();
  assert.deepEqual([...queue].sort(), [...refs].sort());
  assert.equal(queue[0], `Demande ${sent.dossier.reference}`, 'oldest first');
  await ui.check('file des demandes');
  await page.locator('#f-type').selectOption('dossier');
  await Promise.all([
    page.waitForURL((url) => url.searchParams.get('type') === 'dossier'),
    page.getByRole('button', { name: 'Filtrer' }).click(),
  ]);
  await ready(page);
  assert.deepEqual(await page.locator('#liste-demandes-items h3 a').allTextContents(), [`Demande ${sent.dossier.reference}`]);
  await ui.check('file des demandes, filtrée');
  await page.getByRole('link', { name: `Demande ${sent.dossier.reference}` }).click();
  await page.waitForURL((url) => url.pathname === '/demandes/demande');
  await ready(page);
  assert.match(await page.locator('.fil').textContent(), /Demande initiale.*Théo Technicien.*Complémentaire santé solidaire déposée en mars/s);
  await ui.check('demande, côté caisse');
  await page.getByRole('button', { name: 'Prendre en charge la demande' }).click();
  await statusMessage(page, 'La demande vous est attribuée');
  assert.equal(await stateOf(page), 'En cours de traitement');
  assert.equal(await page.getByRole('button', { name: /Prendre en charge|Reprendre/ }).count(), 0, 'no « take » once it is hers');
  assert.match(await page.locator('#titre-resume + dl').textContent(), /Agent en chargeAgathe Agent/);
  await page.locator('#action-ask-message').fill('Merci de préciser la date de dépôt exacte de la demande.');
  await page.getByRole('button', { name: 'Demander le complément' }).click();
  await statusMessage(page, 'Votre demande de complément est envoyée');
  assert.equal(await stateOf(page), 'Complément demandé');
  assert.match(await page.locator('.etapes').textContent(), /Envoyée.*En cours de traitement.*Agathe Agent.*Complément demandé/s);
  await ui.check('demande, complément demandé');
  await signOut(ui, 'déconnexion agent');

  // ---- The technicien replies.
  await signInAs(ui, techIdent, TECH_PASSWORD, 'technicien');
  await page.goto(`/demandes/demande?id=${encodeURIComponent(sent.dossier.id)}`);
  await ready(page);
  assert.match(await page.locator('.fil').textContent(), /Demande de complément.*Agathe Agent.*date de dépôt exacte/s);
  await page.locator('#action-reply-message').fill('La demande a été déposée le 3 mars à l\'accueil de la caisse.');
  await page.getByRole('button', { name: 'Envoyer le complément' }).click();
  await statusMessage(page, 'Votre complément est envoyé');
  assert.equal(await stateOf(page), 'En cours de traitement');
  await ui.check('demande, complément envoyé');
  await signOut(ui, 'déconnexion technicien 2');

  // ---- The agent answers (and sends the document by post, with its date).
  await signInAs(ui, agentIdent, AGENT_PASSWORD, 'agent 2');
  await page.goto('/caisse/demandes?state=in_progress');
  await ready(page);
  assert.match(await page.locator('#onglets-etats a[aria-current="page"]').textContent(), /En cours de traitement \(1\)/);
  await page.getByRole('link', { name: `Demande ${sent.dossier.reference}` }).click();
  await page.waitForURL((url) => url.pathname === '/demandes/demande');
  await ready(page);
  await page.locator('#action-answer-message').fill('La demande est acceptée : la personne recevra un courrier de notification.');
  await page.getByRole('button', { name: 'Envoyer la réponse' }).click();
  await statusMessage(page, 'Votre réponse est envoyée');
  assert.equal(await stateOf(page), 'Répondue');
  await ui.check('demande répondue');

  await page.goto(`/demandes/demande?id=${encodeURIComponent(sent.document.id)}`);
  await ready(page);
  await page.getByRole('button', { name: 'Prendre en charge la demande' }).click();
  await statusMessage(page, 'La demande vous est attribuée');
  assert.ok(await page.getByLabel('Envoyé par courrier le').isVisible(), 'a document sent by post asks for the date');
  await page.getByRole('button', { name: 'Envoyer la réponse' }).click();
  await errorSummary(page);
  assert.match(await fieldError(page, 'action-answer-courrier'), /date d'envoi par courrier est à renseigner/);
  await ui.check('document, date d\'envoi manquante');
  await page.locator('#action-answer-courrier').fill(parisDay(now));
  await page.getByRole('button', { name: 'Envoyer la réponse' }).click();
  await statusMessage(page, 'Votre réponse est envoyée');
  assert.match(await page.locator('#titre-resume + dl').textContent(), new RegExp(`Envoyé par courrier le${frDay(parisDay(now))}`));
  await signOut(ui, 'déconnexion agent 2');

  // ---- The technicien finds Éloïse's request by typing « eloise ».
  await signInAs(ui, techIdent, TECH_PASSWORD, 'technicien 3');
  await page.getByRole('link', { name: 'Consulter l\'historique des demandes' }).click();
  await page.waitForURL((url) => url.pathname === '/demandes');
  await ready(page);
  // One letter is not enough: the server says so next to the filter field.
  await page.locator('#f-nom').fill('e');
  await Promise.all([
    page.waitForURL((url) => url.searchParams.get('name') === 'e'),
    page.getByRole('button', { name: 'Filtrer' }).click(),
  ]);
  await ready(page);
  await errorSummary(page);
  assert.match(await fieldError(page, 'f-nom'), /au moins 2 lettres/);
  await ui.check('historique, filtre trop court');
  await page.locator('#f-nom').fill('eloise');
  await Promise.all([
    page.waitForURL((url) => url.searchParams.get('name') === 'eloise'),
    page.getByRole('button', { name: 'Filtrer' }).click(),
  ]);
  await ready(page);
  assert.equal(new URL(page.url()).search, '?name=eloise', 'empty filters stay out of the address');
  assert.deepEqual(await page.locator('#liste-demandes-items h3 a').allTextContents(), [`Demande ${sent.dossier.reference}`]);
  const card = await page.locator('#liste-demandes-items li').first().textContent();
  assert.match(card, /Répondue.*Demande d'étude de dossier.*Mme Éloïse Dupont-Lefèvre.*CPAM de Villeneuve/s);
  await ui.check('historique, recherche eloise');
  await signOut(ui, 'déconnexion technicien 3');

  // ---- The gestionnaire of the same structure sees it, and cannot submit (with a way out).
  await signInAs(ui, gestionIdent, GESTION_PASSWORD, 'gestionnaire');
  await page.getByRole('link', { name: 'Consulter l\'historique des demandes' }).click();
  await page.waitForURL((url) => url.pathname === '/demandes');
  await ready(page);
  assert.equal(await page.locator('#liste-demandes-items > li').count(), 5);
  await page.getByRole('link', { name: `Demande ${sent.dossier.reference}` }).click();
  await page.waitForURL((url) => url.pathname === '/demandes/demande');
  await ready(page);
  assert.match(await page.locator('.fil').textContent(), /Réponse de la caisse.*acceptée/s);
  await ui.check('demande, vue par la gestionnaire');
  await page.goto('/demandes/nouvelle');
  await ready(page);
  await page.locator('#alerte-envoi-impossible').waitFor();
  assert.ok(await page.getByRole('link', { name: 'Consulter l\'historique des demandes de votre structure' }).isVisible());
  assert.equal(await page.locator('#form-demande').count(), 0);
  await ui.check('nouvelle demande, gestionnaire');
  await signOut(ui, 'déconnexion gestionnaire');

  // ---- A technicien of another structure: « Demande introuvable ».
  await signInAs(ui, otherTechIdent, OTHER_PASSWORD, 'technicien autre structure');
  await page.goto(`/demandes/demande?id=${encodeURIComponent(sent.dossier.id)}`);
  await ready(page);
  assert.equal((await page.locator('h1').textContent()).trim(), 'Demande introuvable');
  assert.equal(await page.title(), 'Demande introuvable – Espace Partenaires');
  assert.ok(await page.getByRole('link', { name: /Retour à la liste/ }).isVisible());
  assert.equal(await page.getByText('Dupont-Lefèvre').count(), 0);
  await ui.check('demande introuvable');

  // ---- Its own history: 21 requests (sent through the API), 20 a page, « Page suivante ».
  for (let i = 0; i < 21; i += 1) {
    await otherTech.ok('POST', '/api/requests', {
      caisse_id: caisseId, type: 'contact', sous_type: 'droits', message: `Point sur les droits, demande numéro ${i + 1}.`,
      assure: { civilite: 'monsieur', nom: `Essai${String.fromCharCode(65 + i)}`, prenom: 'Paul', date_naissance: '1970-01-01', departement: '974' },
    }, 201);
  }
  await page.getByRole('link', { name: /Retour à la liste/ }).click();
  await page.waitForURL((url) => url.pathname === '/demandes');
  await ready(page);
  assert.equal(await page.locator('#liste-demandes-items > li').count(), 20);
  // (Sent within the same second or two: their order among themselves is not asserted.)
  const refsPage1 = await page.locator('#liste-demandes-items h3 a').allTextContents();
  await ui.check('historique, première page');
  await page.getByRole('button', { name: 'Page suivante' }).click();
  await until(async () => (await page.locator('#liste-demandes-items > li').count()) === 1, 'the second page');
  const refsPage2 = await page.locator('#liste-demandes-items h3 a').allTextContents();
  assert.equal(new Set([...refsPage1, ...refsPage2]).size, 21, 'each request once over the two pages');
  assert.ok(!(await page.getByRole('button', { name: 'Page suivante' }).isVisible()), 'no third page');
  assert.match(await page.locator('.pagination').textContent(), /Page 2/);
  await page.getByRole('button', { name: 'Page précédente' }).click();
  await until(async () => (await page.locator('#liste-demandes-items > li').count()) === 20, 'back to the first page');
  await ui.check('historique, page suivante');

  // ---- Its structure is suspended: the new-request page says why, with the way out.
  const suspension = await agent.post(`/api/partners/${otherId}/suspend`, { reason: 'non_conforme' });
  assert.ok(suspension.status >= 200 && suspension.status < 300, `suspend: ${suspension.text}`);
  await page.goto('/demandes/nouvelle');
  await ready(page);
  const blocked = page.locator('#alerte-envoi-impossible');
  await blocked.waitFor();
  assert.match(await blocked.textContent(), /suspendu/);
  assert.ok(await blocked.getByRole('link', { name: /Contacter votre caisse/ }).isVisible());
  assert.equal(await page.locator('#form-demande').count(), 0);
  await ui.check('nouvelle demande, structure suspendue');
});
