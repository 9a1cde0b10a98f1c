// Browser journeys of the accounts issue (partners, conventions, account lifecycle), in
// headless Chromium against the real gateway (fresh data directory, development clock).
// Every page visited goes through `ui.check`: axe-core WCAG 2.0/2.1 A+AA with 0
// violations, no horizontal scroll at 320 px, no script or CSP error, screenshots.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { buildGateway, launchBrowser, log, openJourney, startGateway, until } from './harness.mjs';
import { afterPassword } from './second-factor.mjs';
import { FIRST_PASSWORD, activatedAdmin, adminActivation, errorSummary, fieldError, signOut } from './flows.mjs';
import {
  activateFromMail, apiClient, frDay, nextSiret, parisDay, person, ready, signInAs, statusMessage,
} from './account-flows.mjs';

const AGENT_PASSWORD = 'Marais-Tranquille-58?';
const GESTION_PASSWORD = 'Prairie-Fleurie-73!';
const TECH_PASSWORD = 'Falaise-Blanche-64#';

let browser;
let binary;

before(async () => {
  binary = buildGateway();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
});

async function journey(t, name) {
  const gw = await startGateway(binary);
  let ui;
  t.after(async () => {
    try {
      if (ui) await ui.close();
    } finally {
      await gw.stop();
      if (ui) log(`${name}: ${ui.visited.length} pages checked: ${ui.visited.map((v) => v.name).join(' | ')}`);
    }
  });
  ui = await openJourney(browser, gw, name);
  return { gw, ui, page: ui.page };
}

const CSV_HEADER = 'Profil;Nom;Prénom;Fonction;Adresse électronique;Statut;Créé le;Créé par;Dernière connexion;Ancienneté du mot de passe (jours)';

test('accounts: caisse and first agent → partner and convention → habilitation approved → gestionnaire → technicien → CSV and review → seen by the agent', async (t) => {
  const { gw, ui, page } = await journey(t, 'parcours comptes');
  const today = parisDay(await gw.clock());

  // ---- The platform admin creates a caisse, its referent and its first agent.
  await activatedAdmin(ui, gw, FIRST_PASSWORD);
  // Emails that could not be sent are listed for the admin (none here).
  await page.getByRole('link', { name: 'Voir les courriels non envoyés' }).click();
  await page.waitForURL((url) => url.pathname === '/courriels');
  await ready(page);
  assert.match(await page.locator('#liste-courriels').textContent(), /Aucun courriel en échec/);
  await ui.check('courriels non envoyés');
  await page.getByRole('link', { name: 'Accueil' }).first().click();
  await page.waitForURL((url) => url.pathname === '/accueil');
  await ready(page);
  await page.getByRole('link', { name: 'Gérer les caisses' }).click();
  await page.waitForURL((url) => url.pathname === '/caisses');
  await ready(page);
  await ui.check('caisses, aucune');
  await page.locator('#caisse-nom').fill('CPAM de Villeneuve');
  await page.locator('#caisse-adresse').fill('1 rue de l\'Exemple, 69000 Villeneuve');
  await page.locator('#caisse-secours').fill('Téléphone 36 46, accueil sur rendez-vous');
  await page.getByRole('button', { name: 'Ajouter un référent' }).click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'caisse-ref-0-nom', 'focus on the new referent');
  await page.locator('#caisse-ref-0-nom').fill('Claire Référente');
  await page.locator('#caisse-ref-0-email').fill('referente@cpam-villeneuve.example.org');
  await page.getByRole('button', { name: 'Créer la caisse' }).click();
  await statusMessage(page, 'La caisse CPAM de Villeneuve est créée.');
  assert.match(await page.locator('#table-caisses').textContent(), /CPAM de Villeneuve.*Claire Référente/s);
  await ui.check('caisses, caisse créée');

  await page.getByRole('link', { name: 'Créer le premier agent de la CPAM de Villeneuve' }).click();
  await page.waitForURL((url) => url.pathname === '/caisse');
  await ready(page);
  assert.equal((await page.locator('h1').textContent()).trim(), 'CPAM de Villeneuve');
  await ui.check('caisse, sans agent');
  // Missing fields: the RGAA summary.
  await page.getByRole('button', { name: 'Créer le compte agent' }).click();
  const summary = await errorSummary(page);
  assert.deepEqual(summary.hrefs, ['#agent-civilite', '#agent-nom', '#agent-prenom', '#agent-fonction', '#agent-email']);
  await page.locator('#agent-civilite').selectOption('madame');
  await page.locator('#agent-nom').fill('Agent');
  await page.locator('#agent-prenom').fill('Agathe');
  await page.locator('#agent-fonction').fill('Conseillère partenariats');
  await page.locator('#agent-email').fill('agathe.agent@cpam-villeneuve.example.org');
  await page.getByLabel('Administrateur de la caisse').check();
  await page.getByRole('button', { name: 'Créer le compte agent' }).click();
  await statusMessage(page, 'Le compte agent d\'Agathe Agent est créé');
  assert.match(await page.locator('#table-agents').textContent(), /Agathe Agent.*Oui.*En attente d'activation/s);
  await ui.check('caisse, agent créé');
  await signOut(ui, 'déconnexion administrateur');

  // ---- The agent activates from the outbox email, creates a partner and its convention.
  const agentId = await activateFromMail(ui, gw, 'agathe.agent@cpam-villeneuve.example.org', AGENT_PASSWORD, { name: 'agent' });
  for (const heading of ['Partenaires', 'Demandes d\'habilitation', 'Demandes de modification', 'Inactivations programmées']) {
    assert.ok(await page.getByRole('heading', { name: heading, exact: true }).isVisible(), `home of the agent: ${heading}`);
  }
  await page.getByRole('link', { name: 'Voir les partenaires' }).click();
  await page.waitForURL((url) => url.pathname === '/partenaires');
  await ready(page);
  await ui.check('partenaires, aucun');
  await page.locator('#p-nom').fill('CCAS de Villeneuve');
  await page.locator('#p-siret').fill(nextSiret());
  await page.locator('#p-adresse').fill('2 place de la Mairie, 69130 Villeneuve');
  await page.locator('#p-categorie').selectOption('ccas');
  assert.equal(await page.locator('#p-categorie option[value="ccas"]').textContent(), 'Centre communal d\'action sociale (CCAS)');
  await page.locator('#p-membres').fill('8');
  await page.locator('#p-domaines').fill('ccas-villeneuve.example.org');
  assert.equal(await page.locator('#conv-debut').inputValue(), today);
  for (const label of ['Contacter votre organisme d\'assurance Maladie', 'Soumettre une demande d\'étude de dossier', 'Consulter l\'historique des demandes']) {
    await page.getByLabel(label, { exact: true }).check();
  }
  // This journey takes the long path (habilitation request, then approval); the one-form
  // path has its own journey below.
  await page.getByLabel('Créer aussi le compte de son premier gestionnaire').uncheck();
  assert.ok(await page.locator('#champs-premier-gestionnaire').isHidden());
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/partenaire'),
    page.getByRole('button', { name: 'Créer la structure et sa convention' }).click(),
  ]);
  await ready(page);
  await statusMessage(page, 'La structure CCAS de Villeneuve est créée, avec sa convention.');
  assert.equal((await page.locator('h1').textContent()).trim(), 'CCAS de Villeneuve');
  assert.match(await page.locator('#infos-convention').textContent(), /Soumettre une demande d'étude de dossier/);
  assert.match(await page.locator('#infos-structure').textContent(), /0 gestionnaire sur 2, 0 technicien sur 5/);
  // Sections in the order of use, the destructive action last, each in the table of contents.
  const headings = (await page.locator('main section.carte > h2').allTextContents()).map((h) => h.trim());
  assert.deepEqual(headings.slice(0, 3), ['Informations', 'Comptes de la structure', 'Enregistrer une demande d\'habilitation de gestionnaire']);
  assert.equal(headings.at(-1), 'Accès de la structure et suspension');
  assert.equal(await page.locator('nav.sommaire a').count(), headings.length);
  await ui.check('partenaire créé');

  // ---- It records a habilitation request and approves it.
  await page.locator('#hab-civilite').selectOption('madame');
  await page.locator('#hab-nom').fill('Gestion');
  await page.locator('#hab-prenom').fill('Gaëlle');
  await page.locator('#hab-fonction').fill('Directrice du CCAS');
  await page.locator('#hab-telephone').fill('04 72 00 00 01');
  await page.locator('#hab-email').fill('gaelle.gestion@ccas-villeneuve.example.org');
  await page.getByRole('button', { name: 'Enregistrer la demande' }).click();
  const recorded = await statusMessage(page, 'La demande d\'habilitation de Mme Gaëlle Gestion est enregistrée');
  assert.match(recorded, /à traiter au plus tard le \d{2}\/\d{2}\/\d{4}\./);
  await ui.check('partenaire, habilitation enregistrée');

  await page.getByRole('link', { name: 'Traiter les demandes d\'habilitation' }).click();
  await page.waitForURL((url) => url.pathname === '/habilitations');
  await ready(page);
  const card = page.locator('article.demande').filter({ hasText: 'Gaëlle Gestion' });
  assert.match(await card.textContent(), /À traiter au plus tard le\s*\d{2}\/\d{2}\/\d{4}/);
  assert.doesNotMatch(await card.textContent(), /En retard/);
  await ui.check('demandes d\'habilitation');
  await card.getByRole('button', { name: 'Accepter et créer le compte' }).click();
  await statusMessage(page, 'Demande acceptée : le compte gestionnaire de Mme Gaëlle Gestion (CCAS de Villeneuve) est créé');
  assert.match(await page.locator('#liste-demandes').textContent(), /Aucune demande à traiter/);
  await ui.check('habilitation acceptée');
  await page.getByRole('link', { name: 'Acceptées' }).click();
  await ready(page);
  assert.match(await page.locator('#table-demandes').textContent(), /Mme Gaëlle Gestion/);
  await ui.check('habilitations acceptées');

  // ---- It asks the partner for a habilitation review.
  await page.goto('/partenaires');
  await ready(page);
  await page.getByRole('link', { name: 'CCAS de Villeneuve' }).click();
  await page.waitForURL((url) => url.pathname === '/partenaire');
  await ready(page);
  await page.getByRole('button', { name: 'Demander une revue des habilitations' }).click();
  await statusMessage(page, 'La revue des habilitations est demandée');
  assert.match(await page.locator('#etat-revue').textContent(), /en attente de confirmation/);
  assert.match(await page.locator('#table-comptes').textContent(), /Gaëlle.*Gestionnaire.*En attente d'activation/s);
  await ui.check('partenaire, revue demandée');
  await signOut(ui, 'déconnexion agent');

  // ---- The gestionnaire activates, sees the review request, creates a technicien.
  const gestionId = await activateFromMail(ui, gw, 'gaelle.gestion@ccas-villeneuve.example.org', GESTION_PASSWORD, { name: 'gestionnaire' });
  assert.match(await page.locator('#alerte-revue').textContent(), /Votre caisse demande une revue des habilitations/);
  await page.getByRole('link', { name: 'Gérer les comptes de votre structure' }).click();
  await page.waitForURL((url) => url.pathname === '/structure/comptes');
  await ready(page);
  assert.match(await page.locator('#quotas').textContent(), /1 gestionnaire sur 2 · 0 technicien sur 5/);
  await ui.check('comptes de la structure');
  await page.locator('#tech-civilite').selectOption('monsieur');
  await page.locator('#tech-nom').fill('Technicien');
  await page.locator('#tech-prenom').fill('Théo');
  await page.locator('#tech-fonction').fill('Agent d\'accueil');
  await page.locator('#tech-telephone').fill('04 72 00 00 02');
  await page.locator('#tech-email').fill('theo.technicien@ccas-villeneuve.example.org');
  await page.getByRole('button', { name: 'Créer le compte technicien' }).click();
  await statusMessage(page, 'Le compte technicien de M. Théo Technicien est créé');
  assert.match(await page.locator('#quotas').textContent(), /1 technicien sur 5/);
  const row = page.locator('#table-habilitations tbody tr').filter({ hasText: 'Théo' });
  assert.match(await row.textContent(), /Technicien.*Théo.*Agent d'accueil.*En attente d'activation.*Gaëlle Gestion.*jamais.*pas encore créé/s);
  await ui.check('comptes, technicien créé');
  await signOut(ui, 'déconnexion gestionnaire');

  // ---- The technicien activates and signs in; profile and help pages.
  const techId = await activateFromMail(ui, gw, 'theo.technicien@ccas-villeneuve.example.org', TECH_PASSWORD, { name: 'technicien' });
  assert.ok(await page.getByRole('heading', { name: 'Nouvelle demande' }).isVisible());
  assert.ok(await page.getByRole('link', { name: 'Faire une nouvelle demande' }).isVisible());
  assert.ok(!(await page.getByRole('heading', { name: 'Comptes de votre structure' }).isVisible()));
  await page.getByRole('link', { name: 'Voir mon profil' }).click();
  await page.waitForURL((url) => url.pathname === '/profil');
  await ready(page);
  assert.match(await page.locator('#infos-profil').textContent(), /Théo.*Agent d'accueil.*theo\.technicien@ccas-villeneuve\.example\.org/s);
  assert.match(await page.locator('#infos-structure').textContent(), /CCAS de Villeneuve.*CPAM de Villeneuve/s);
  await ui.check('profil technicien');
  await page.getByRole('link', { name: 'Aide et contacts' }).first().click();
  await page.waitForURL((url) => url.pathname === '/aide');
  await ready(page);
  assert.equal(await page.getByRole('link', { name: 'referente@cpam-villeneuve.example.org' }).getAttribute('href'), 'mailto:referente@cpam-villeneuve.example.org');
  assert.match(await page.locator('#liste-caisses').textContent(), /Claire Référente.*36 46/s);
  await ui.check('aide');
  // A page of another profile says so and leads home.
  await page.goto('/partenaires');
  await page.locator('#alerte-profil').waitFor();
  await ui.check('page d\'un autre profil');
  await signOut(ui, 'déconnexion technicien');

  // ---- The gestionnaire exports the CSV and confirms the review.
  await signInAs(ui, gestionId, GESTION_PASSWORD, 'gestionnaire, retour');
  await page.goto('/structure/comptes');
  await ready(page);
  assert.match(await page.locator('#etat-revue').textContent(), /Votre caisse demande une revue des habilitations depuis le \d{2}\/\d{2}\/\d{4}/);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Exporter le tableau (CSV)' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^habilitations-\d{4}-\d{2}-\d{2}\.csv$/);
  await statusMessage(page, 'Export lancé');
  const bytes = await readFile(await download.path());
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM');
  const lines = bytes.toString('utf8').replace(/^\uFEFF/, '').split('\r\n').filter(Boolean);
  assert.equal(lines[0], CSV_HEADER);
  assert.equal(lines.length, 3, lines.join('\n'));
  assert.match(lines[1], /^Gestionnaire;Gestion;Gaëlle;Directrice du CCAS;gaelle\.gestion@ccas-villeneuve\.example\.org;Actif;/);
  assert.match(lines[2], /^Technicien;Technicien;Théo;Agent d'accueil;theo\.technicien@ccas-villeneuve\.example\.org;Actif;.*;Gaëlle Gestion;/);
  await page.getByRole('button', { name: 'Confirmer la revue des habilitations' }).click();
  await statusMessage(page, 'La revue des habilitations est confirmée');
  assert.match(await page.locator('#revue-confirmee').textContent(), /Dernière revue confirmée le \d{2}\/\d{2}\/\d{4} à \d{2}:\d{2}/);
  assert.match(await page.locator('#table-habilitations').textContent(), /Théo.*Actif/s);
  await ui.check('comptes, revue confirmée');
  await signOut(ui, 'déconnexion gestionnaire 2');

  // ---- The agent sees the confirmed review on the list and the partner's page.
  const agentIdent = agentId;
  await signInAs(ui, agentIdent, AGENT_PASSWORD, 'agent, retour');
  await page.getByRole('link', { name: 'Voir les partenaires' }).click();
  await page.waitForURL((url) => url.pathname === '/partenaires');
  await ready(page);
  const line = page.locator('#table-partenaires tbody tr').filter({ hasText: 'CCAS de Villeneuve' });
  assert.match(await line.textContent(), new RegExp(`1 gestionnaire sur 2.*1 technicien sur 5.*Confirmée le ${frDay(today).replace(/\//g, '\\/')}`, 's'));
  await ui.check('partenaires, revue confirmée');
  await line.getByRole('link', { name: 'CCAS de Villeneuve' }).click();
  await page.waitForURL((url) => url.pathname === '/partenaire');
  await ready(page);
  assert.match(await page.locator('#etat-revue').textContent(), /Dernière revue confirmée le \d{2}\/\d{2}\/\d{4}\./);
  await until(async () => /Revue des habilitations confirmée/.test(await page.locator('#table-journal').textContent()), 'the review in the audit trail');
  assert.match(await page.locator('#table-journal').textContent(), /Tableau des habilitations exporté/);
  await ui.check('partenaire, revue confirmée');
  void techId;
});

test('accounts errors: webmail address refused, technicien quota reached, 14-day inactivation refused, health data in a refusal, suspended structure', async (t) => {
  const { gw, ui, page } = await journey(t, 'parcours comptes erreurs');
  const now = await gw.clock();

  // ---- Set-up through the API: caisse, agent, partner (5 techniciens at most), gestionnaire, 5 techniciens.
  const admin = apiClient(gw);
  const { link, identifiant: adminIdent } = await adminActivation(gw);
  await admin.ok('POST', '/api/auth/activate', { token: decodeURIComponent(link.split('#jeton=')[1]), password: FIRST_PASSWORD }, 204);
  await admin.login(adminIdent, FIRST_PASSWORD);
  await admin.ok('POST', '/api/me/cgu', { version: (await admin.get('/api/cgu')).body.version }, 200);
  const caisse = await admin.ok('POST', '/api/caisses', {
    name: 'CPAM d\'Essai', address: '3 rue du Test, 69000 Essai', alt_contact: 'Téléphone 36 46', referents: [],
  }, 201);
  await admin.ok('POST', `/api/caisses/${caisse.id}/agents`, { ...person('monsieur', 'Alain', 'Agent', 'alain.agent@cpam-essai.example.org'), caisse_admin: true }, 201);
  const agent = apiClient(gw);
  const agentIdent = await agent.activateAndSignIn('alain.agent@cpam-essai.example.org', AGENT_PASSWORD);
  const partner = await agent.ok('POST', '/api/partners', {
    name: 'CCAS d\'Essai', siret: nextSiret(), address: '4 place du Test', category: 'ccas', members: 3, allowed_domains: ['ccas-essai.example.org'],
    convention: { start: parisDay(now), functionalities: ['contact'] },
  }, 201);
  const hab = await agent.ok('POST', `/api/partners/${partner.id}/habilitations`, person('madame', 'Nadia', 'Gestion', 'nadia.gestion@ccas-essai.example.org'), 201);
  await agent.ok('POST', `/api/habilitations/${hab.id}/approve`, {}, 200);
  const gestion = apiClient(gw);
  const gestionIdent = await gestion.activateAndSignIn('nadia.gestion@ccas-essai.example.org', GESTION_PASSWORD);
  const prenoms = ['Anne', 'Bruno', 'Chloé', 'David'];
  for (const [i, prenom] of prenoms.entries()) {
    await gestion.ok('POST', `/api/partners/${partner.id}/techniciens`, person('madame', prenom, 'Essai', `tech${i}@ccas-essai.example.org`), 201);
  }

  // ---- The gestionnaire: a webmail address is refused next to the e-mail field.
  await page.goto('/connexion');
  await signInAs(ui, gestionIdent, GESTION_PASSWORD, 'gestionnaire');
  await page.goto('/structure/comptes');
  await ready(page);
  assert.match(await page.locator('#quota-techniciens').textContent(), /4 techniciens sur 5 : vous pouvez en créer 1 de plus/);
  await page.locator('#tech-civilite').selectOption('monsieur');
  await page.locator('#tech-nom').fill('Essai');
  await page.locator('#tech-prenom').fill('Fabien');
  await page.locator('#tech-fonction').fill('Médiateur');
  await page.locator('#tech-telephone').fill('04 72 00 00 09');
  await page.locator('#tech-email').fill('fabien.essai@gmail.com');
  await page.getByRole('button', { name: 'Créer le compte technicien' }).click();
  let summary = await errorSummary(page);
  assert.deepEqual(summary.hrefs, ['#tech-email']);
  assert.match(await fieldError(page, 'tech-email'), /adresse professionnelle.*gmail\.com/);
  await ui.check('comptes, messagerie personnelle refusée');

  // ---- The fifth technicien fills the quota: the form is disabled, says why and the ways out.
  await page.locator('#tech-email').fill('fabien.essai@ccas-essai.example.org');
  await page.getByRole('button', { name: 'Créer le compte technicien' }).click();
  await statusMessage(page, 'Le compte technicien de M. Fabien Essai est créé');
  assert.match(await page.locator('#quotas').textContent(), /5 techniciens sur 5/);
  const quota = page.locator('#quota-techniciens');
  assert.match(await quota.textContent(), /5 techniciens sur 5 : le nombre maximal est atteint\. Pour créer un compte, inactivez un compte technicien qui n'est plus utilisé, ou demandez à votre caisse de mettre à jour le nombre de membres/);
  assert.ok(await page.getByRole('button', { name: 'Créer le compte technicien' }).isDisabled(), 'the creation button is disabled at the quota');
  for (const id of ['tech-civilite', 'tech-nom', 'tech-prenom', 'tech-email']) {
    assert.ok(await page.locator(`#${id}`).isDisabled(), `#${id} disabled at the quota`);
  }
  assert.equal(await page.locator('#form-technicien').getAttribute('aria-describedby'), 'quota-techniciens');
  assert.equal(await quota.getByRole('link', { name: 'inactivez un compte technicien' }).getAttribute('href'), '#table-habilitations');
  await ui.check('comptes, quota atteint');

  // ---- A technicien edited, another inactivated (confirmation step): a place is free again.
  const anne = page.locator('#table-habilitations tbody tr').filter({ hasText: 'Anne' });
  await anne.getByRole('button', { name: 'Modifier le compte d\'Anne Essai' }).click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'titre-modifier');
  assert.equal(await page.locator('#titre-modifier').textContent(), 'Modifier le compte technicien d\'Anne Essai');
  assert.equal(await page.locator('#mod-prenom').inputValue(), 'Anne');
  await page.locator('#mod-fonction').fill('Conseillère en insertion');
  await ui.check('comptes, modification d\'un technicien');
  await page.getByRole('button', { name: 'Enregistrer les modifications' }).click();
  await statusMessage(page, 'Le compte technicien d\'Anne Essai est modifié.');
  assert.match(await anne.textContent(), /Conseillère en insertion/);
  const bruno = page.locator('#table-habilitations tbody tr').filter({ hasText: 'Bruno' });
  await bruno.getByRole('button', { name: 'Inactiver le compte de Bruno Essai' }).click();
  await page.locator('#confirmation-inactivation').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'confirmation-inactivation');
  await ui.check('comptes, confirmation d\'inactivation');
  await page.getByRole('button', { name: 'Confirmer l\'inactivation' }).click();
  await statusMessage(page, 'Le compte technicien de Bruno Essai est inactivé.');
  assert.match(await bruno.textContent(), /Inactif/);
  assert.match(await page.locator('#quotas').textContent(), /4 techniciens sur 5/);
  assert.ok(await page.getByRole('button', { name: 'Créer le compte technicien' }).isEnabled(), 'the form is usable again');
  await page.locator('#tech-civilite').selectOption('madame');
  await page.locator('#tech-nom').fill('Essai');
  await page.locator('#tech-prenom').fill('Emma');
  await page.locator('#tech-fonction').fill('Assistante sociale');
  await page.locator('#tech-telephone').fill('04 72 00 00 10');
  await page.locator('#tech-email').fill('emma.essai@ccas-essai.example.org');
  await page.getByRole('button', { name: 'Créer le compte technicien' }).click();
  await statusMessage(page, 'Le compte technicien de Mme Emma Essai est créé');
  assert.match(await page.locator('#quotas').textContent(), /5 techniciens sur 5/);

  // ---- Inactivation of a gestionnaire 14 days ahead: refused next to the date.
  await page.getByRole('link', { name: 'demandez-lui un nouveau gestionnaire, une modification ou une inactivation' }).click();
  await page.waitForURL((url) => url.pathname === '/structure/gestionnaires');
  await ready(page);
  await ui.check('gestionnaires, demandes à la caisse');
  // The only active gestionnaire cannot be inactivated: the form says so and how to go on.
  assert.match(await page.locator('#inactivation-impossible').textContent(),
    /Nadia Gestion \(vous\) est le seul gestionnaire actif de la structure : le dernier gestionnaire actif ne peut pas être inactivé\. Demandez d'abord l'habilitation d'un nouveau gestionnaire/);
  assert.ok(await page.getByRole('button', { name: 'Signaler l\'inactivation' }).isDisabled());
  assert.ok(await page.locator('#inact-gestionnaire').isDisabled());
  assert.equal(await page.locator('#form-inactivation').getAttribute('aria-describedby'), 'inactivation-impossible');

  // ---- A new gestionnaire asked; the agent refuses with health data in the reason: refused.
  await page.locator('#hab-civilite').selectOption('monsieur');
  await page.locator('#hab-nom').fill('Second');
  await page.locator('#hab-prenom').fill('Bastien');
  await page.locator('#hab-fonction').fill('Adjoint de direction');
  await page.locator('#hab-telephone').fill('04 72 00 00 03');
  await page.locator('#hab-email').fill('bastien.second@ccas-essai.example.org');
  await page.getByRole('button', { name: 'Envoyer la demande d\'habilitation' }).click();
  await statusMessage(page, 'La demande d\'habilitation de M. Bastien Second est envoyée à la caisse');
  await ui.check('gestionnaires, habilitation demandée');
  // « Mon profil »: read-only, with the way to ask the caisse.
  await page.goto('/profil');
  await ready(page);
  assert.match(await page.locator('#infos-profil').textContent(), /Téléphone04 72 00 00 01/);
  await ui.check('profil gestionnaire');
  await page.getByRole('link', { name: 'Demander une modification à la caisse' }).click();
  await page.waitForURL((url) => url.pathname === '/structure/gestionnaires');
  await ready(page);
  assert.equal(await page.locator('#modif-nom').inputValue(), 'Gestion');
  await page.locator('#modif-fonction').fill('Directrice adjointe');
  await page.getByRole('button', { name: 'Envoyer la demande de modification' }).click();
  await statusMessage(page, 'La demande de modification pour Nadia Gestion (fonction) est envoyée à la caisse');
  await signOut(ui, 'déconnexion gestionnaire');

  // A second gestionnaire (API), whose inactivation is scheduled 20 days ahead.
  const hab2 = await agent.ok('POST', `/api/partners/${partner.id}/habilitations`, person('monsieur', 'Paul', 'Relais', 'paul.relais@ccas-essai.example.org'), 201);
  const paul = (await agent.ok('POST', `/api/habilitations/${hab2.id}/approve`, {}, 200)).account;
  // The gestionnaire signals it in the form: only what the rules allow is offered.
  await signInAs(ui, gestionIdent, GESTION_PASSWORD, 'gestionnaire');
  await page.goto('/structure/gestionnaires');
  await ready(page);
  assert.equal(await page.locator('#inactivation-impossible').count(), 0);
  assert.deepEqual(await page.locator('#inact-successeur option').allTextContents(), ['Choisissez d\'abord le gestionnaire à inactiver']);
  // Paul has not activated his account yet: he may go, Nadia may not (she would leave
  // no active gestionnaire); his successor is Nadia, never Paul himself.
  const targets = (await page.locator('#inact-gestionnaire option').allTextContents()).filter((t) => !/Choisi/.test(t));
  assert.deepEqual(targets, ['Paul Relais']);
  await page.locator('#inact-gestionnaire').selectOption({ label: 'Paul Relais' });
  assert.deepEqual(await page.locator('#inact-successeur option').allTextContents(), ['Nadia Gestion (vous)']);
  await page.locator('#inact-date').fill(parisDay(now, 14));
  await page.getByRole('button', { name: 'Signaler l\'inactivation' }).click();
  summary = await errorSummary(page);
  assert.deepEqual(summary.hrefs, ['#inact-date']);
  assert.match(await fieldError(page, 'inact-date'), /au moins 15 jours/);
  await ui.check('gestionnaires, préavis de 14 jours refusé');
  await page.locator('#inact-date').fill(parisDay(now, 20));
  await page.getByRole('button', { name: 'Signaler l\'inactivation' }).click();
  await statusMessage(page, 'L\'inactivation du compte de Paul Relais est programmée');
  await signOut(ui, 'déconnexion gestionnaire après le signalement');

  await signInAs(ui, agentIdent, AGENT_PASSWORD, 'agent');
  // The agent's caisse: a second agent created, then inactivated.
  await page.getByRole('link', { name: 'Voir votre caisse' }).click();
  await page.waitForURL((url) => url.pathname === '/caisse');
  await ready(page);
  await page.locator('#agent-civilite').selectOption('madame');
  await page.locator('#agent-nom').fill('Temporaire');
  await page.locator('#agent-prenom').fill('Béatrice');
  await page.locator('#agent-fonction').fill('Renfort');
  await page.locator('#agent-email').fill('beatrice.temporaire@cpam-essai.example.org');
  await page.getByRole('button', { name: 'Créer le compte agent' }).click();
  await statusMessage(page, 'Le compte agent de Béatrice Temporaire est créé');
  await page.getByRole('button', { name: 'Inactiver Béatrice Temporaire' }).click();
  await page.locator('#confirmation-inactivation').waitFor();
  await ui.check('caisse, confirmation d\'inactivation d\'un agent');
  await page.getByRole('button', { name: 'Confirmer l\'inactivation' }).click();
  await statusMessage(page, 'Le compte de Béatrice Temporaire est inactivé.');
  assert.match(await page.locator('#table-agents').textContent(), /Béatrice Temporaire.*Inactif/s);
  await ui.check('caisse de l\'agent');

  await page.goto('/habilitations');
  await ready(page);
  const card = page.locator('article.demande').filter({ hasText: 'Bastien Second' });
  await card.getByRole('button', { name: 'Refuser' }).click();
  const reasonId = await card.locator('textarea').getAttribute('id');
  await card.locator('textarea').fill('Le demandeur est diabétique');
  await card.getByRole('button', { name: 'Confirmer le refus' }).click();
  await until(async () => (await page.locator(`#${reasonId}`).getAttribute('aria-invalid')) === 'true', 'the refusal reason refused');
  assert.match(await fieldError(page, reasonId), /données de santé/);
  await ui.check('habilitations, motif avec donnée de santé refusé');
  await card.locator('textarea').fill('La structure a déjà deux gestionnaires prévus.');
  await card.getByRole('button', { name: 'Confirmer le refus' }).click();
  await statusMessage(page, 'La demande de M. Bastien Second (CCAS d\'Essai) est refusée');

  // The modification is applied by the agent.
  await page.goto('/modifications');
  await ready(page);
  const mod = page.locator('article.demande').filter({ hasText: 'Nadia Gestion' });
  assert.match(await mod.textContent(), /Fonction.*Travailleuse sociale.*Directrice adjointe/s);
  await ui.check('demandes de modification');
  await mod.getByRole('button', { name: 'Appliquer les modifications' }).click();
  await statusMessage(page, 'Les informations de Mme Nadia Gestion (CCAS d\'Essai) sont modifiées');

  // The scheduled inactivation, applied now: Paul's techniciens (none) go to Nadia.
  await page.goto('/inactivations');
  await ready(page);
  const inact = page.locator('article.demande').filter({ hasText: 'Paul Relais' });
  assert.match(await inact.textContent(), new RegExp(`Date d'inactivation prévue${frDay(parisDay(now, 20)).replace(/\//g, '\\/')}`));
  await inact.getByRole('button', { name: 'Inactiver maintenant' }).click();
  await ui.check('inactivations programmées, confirmation');
  await inact.getByRole('button', { name: 'Confirmer l\'inactivation' }).click();
  await statusMessage(page, 'Le compte de M. Paul Relais (CCAS d\'Essai) est inactivé.');
  assert.match(await page.locator('#liste-demandes').textContent(), /Aucune inactivation programmée/);

  // ---- The agent excludes a technicien (loss), then suspends the structure.
  await page.goto(`/partenaire?id=${partner.id}`);
  await ready(page);
  await page.getByRole('button', { name: 'Exclure Chloé Essai' }).click();
  await page.locator('#confirmation-exclusion').waitFor();
  await page.getByRole('button', { name: 'Confirmer l\'exclusion' }).click();
  summary = await errorSummary(page);
  assert.deepEqual(summary.hrefs, ['#x-motif']);
  await page.locator('#x-motif').selectOption('perte');
  await ui.check('partenaire, confirmation d\'exclusion');
  await page.getByRole('button', { name: 'Confirmer l\'exclusion' }).click();
  await statusMessage(page, 'Le compte de Chloé Essai est exclu (perte des identifiants). Notification envoyée à : nadia.gestion@ccas-essai.example.org');
  assert.match(await page.locator('#table-exclusions').textContent(), /Chloé Essai.*Perte des identifiants.*Alain Agent.*nadia\.gestion@ccas-essai\.example\.org/s);
  assert.match(await page.locator('#table-comptes').textContent(), /Chloé Essai.*Inactif \(exclusion : perte des identifiants\)/s);
  await gw.waitForMail((m) => (m.to || '').includes('nadia.gestion@') && /exclusion/.test(m.subject || ''), 'the exclusion notice');
  await ui.check('partenaire, compte exclu');
  await page.getByRole('button', { name: 'Suspendre l\'accès de la structure' }).click();
  summary = await errorSummary(page);
  assert.deepEqual(summary.hrefs, ['#s-motif']);
  await page.locator('#s-motif').selectOption('non_conforme');
  await page.getByRole('button', { name: 'Suspendre l\'accès de la structure' }).click();
  await page.locator('#confirmation-suspension').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'confirmation-suspension');
  await ui.check('partenaire, confirmation de suspension');
  await page.getByRole('button', { name: 'Confirmer la suspension' }).click();
  await statusMessage(page, 'L\'accès du CCAS d\'Essai est suspendu.');
  assert.match(await page.locator('#sous-titre').textContent(), /Accès suspendu/);
  await ui.check('partenaire suspendu');
  await signOut(ui, 'déconnexion agent');

  // ---- The gestionnaire signs in: a clear page state, no redirect loop.
  await page.goto('/connexion');
  await page.locator('#identifiant').fill(gestionIdent);
  await page.locator('#mot-de-passe').fill(GESTION_PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await afterPassword(ui, gestionIdent);
  await page.waitForURL((url) => url.pathname === '/accueil');
  const box = page.locator('#alerte-suspension');
  await box.waitFor();
  assert.match(await box.textContent(), /L’accès de votre structure est suspendu/);
  assert.ok(!(await page.locator('#page-contenu').isVisible()));
  assert.equal(await page.title(), 'Accès suspendu – Espace Partenaires');
  await ui.check('accueil, structure suspendue');
  await page.goto('/structure/comptes');
  await page.locator('#alerte-suspension').waitFor();
  assert.equal(new URL(page.url()).pathname, '/structure/comptes');
  await ui.check('comptes, structure suspendue');
  await signOut(ui, 'déconnexion structure suspendue');

  // ---- A habilitation request left 8 days: flagged « En retard », first in the queue.
  const late = await agent.ok('POST', `/api/partners/${partner.id}/habilitations`, person('madame', 'Olivia', 'Retard', 'olivia.retard@ccas-essai.example.org'), 201);
  await gw.advanceClock(8);
  await agent.login(agentIdent, AGENT_PASSWORD);
  await agent.ok('POST', `/api/partners/${partner.id}/habilitations`, person('monsieur', 'Victor', 'Recent', 'victor.recent@ccas-essai.example.org'), 201);
  await signInAs(ui, agentIdent, AGENT_PASSWORD, 'agent, 8 jours plus tard');
  assert.match(await page.locator('#resume-habilitations').textContent(), /2 demandes à traiter, dont 1 en retard/);
  await page.getByRole('link', { name: 'Traiter les demandes d\'habilitation' }).click();
  await page.waitForURL((url) => url.pathname === '/habilitations');
  await ready(page);
  const cards = page.locator('article.demande');
  assert.equal(await cards.count(), 2);
  const first = await cards.nth(0).textContent();
  assert.match(first, /Olivia Retard.*En retard/s);
  assert.ok(first.includes(`À traiter au plus tard le${frDay(late.due_on)}`), first);
  assert.doesNotMatch(await cards.nth(1).textContent(), /En retard/);
  await ui.check('habilitations, une demande en retard');
});

test('one form: the agent creates a structure, its convention and its first gestionnaire', async (t) => {
  const { gw, ui, page } = await journey(t, 'parcours premier gestionnaire');
  const admin = apiClient(gw);
  const { link, identifiant: adminIdent } = await adminActivation(gw);
  await admin.ok('POST', '/api/auth/activate', { token: decodeURIComponent(link.split('#jeton=')[1]), password: FIRST_PASSWORD }, 204);
  await admin.login(adminIdent, FIRST_PASSWORD);
  await admin.ok('POST', '/api/me/cgu', { version: (await admin.get('/api/cgu')).body.version }, 200);
  const caisse = await admin.ok('POST', '/api/caisses', {
    name: 'CPAM de Rivebelle', address: '3 rue du Fleuve, 69000 Rivebelle', alt_contact: 'Téléphone 36 46', referents: [],
  }, 201);
  await admin.ok('POST', `/api/caisses/${caisse.id}/agents`, { ...person('madame', 'Inès', 'Agent', 'ines.agent@cpam-rivebelle.example.org'), caisse_admin: true }, 201);
  const agent = apiClient(gw);
  const agentIdent = await agent.activateAndSignIn('ines.agent@cpam-rivebelle.example.org', AGENT_PASSWORD);

  await page.goto('/connexion');
  await signInAs(ui, agentIdent, AGENT_PASSWORD, 'agent');
  await page.goto('/partenaires');
  await ready(page);
  await page.locator('#p-nom').fill('CCAS de Rivebelle');
  await page.locator('#p-siret').fill(nextSiret());
  await page.locator('#p-adresse').fill('1 place de la Mairie, 69000 Rivebelle');
  await page.locator('#p-categorie').selectOption('ccas');
  await page.locator('#p-membres').fill('6');
  await page.locator('#p-domaines').fill('ccas-rivebelle.example.org');
  await page.getByLabel('Contacter votre organisme d\'assurance Maladie', { exact: true }).check();
  assert.ok(await page.getByLabel('Créer aussi le compte de son premier gestionnaire').isChecked(), 'offered by default');
  await page.locator('#g1-civilite').selectOption('monsieur');
  await page.locator('#g1-nom').fill('Lefort');
  await page.locator('#g1-prenom').fill('Olivier');
  await page.locator('#g1-fonction').fill('Directeur du CCAS');
  await page.locator('#g1-telephone').fill('04 72 00 00 21');
  await page.locator('#g1-email').fill('olivier.lefort@gmail.com');
  await ui.check('partenaires, structure et premier gestionnaire');
  // A personal address: refused next to the gestionnaire's field, nothing created.
  await page.getByRole('button', { name: 'Créer la structure, sa convention et son premier gestionnaire' }).click();
  const summary = await errorSummary(page);
  assert.deepEqual(summary.hrefs, ['#g1-email']);
  assert.match(await fieldError(page, 'g1-email'), /adresse professionnelle de la structure.*gmail\.com/);
  assert.equal((await agent.get('/api/partners')).body.items.length, 0, 'nothing created on a refused form');
  await ui.check('partenaires, premier gestionnaire refusé');

  await page.locator('#g1-email').fill('olivier.lefort@ccas-rivebelle.example.org');
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/partenaire'),
    page.getByRole('button', { name: 'Créer la structure, sa convention et son premier gestionnaire' }).click(),
  ]);
  await ready(page);
  await statusMessage(page, 'La structure CCAS de Rivebelle est créée, avec sa convention et le compte de son premier gestionnaire, M. Olivier Lefort (identifiant');
  assert.match(await page.locator('#infos-structure').textContent(), /1 gestionnaire sur 2, 0 technicien sur 5/);
  assert.match(await page.locator('#table-comptes').textContent(), /Olivier.*Gestionnaire.*En attente d'activation/s);
  await ui.check('partenaire créé avec son gestionnaire');
  // The habilitation request is recorded, accepted (the SLA figures count it).
  await page.goto('/habilitations');
  await ready(page);
  await page.getByRole('link', { name: 'Acceptées' }).click();
  await ready(page);
  assert.match(await page.locator('#table-demandes').textContent(), /M\. Olivier Lefort/);
  await ui.check('habilitations acceptées, premier gestionnaire');
  await signOut(ui, 'déconnexion agent');

  // The gestionnaire activates from the email and reaches his home.
  await activateFromMail(ui, gw, 'olivier.lefort@ccas-rivebelle.example.org', GESTION_PASSWORD, { name: 'gestionnaire' });
  assert.ok(await page.getByRole('link', { name: 'Gérer les comptes de votre structure' }).isVisible());
});
