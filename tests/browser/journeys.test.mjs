// Browser journeys of the sign-in issue, in headless Chromium against the real gateway
// (fresh data directory and development clock for each journey). Every page visited is
// checked by `ui.check`: axe-core WCAG 2.0/2.1 A+AA with 0 violations, no horizontal
// scroll at 320 px, no script or CSP error, screenshots (tests/browser/screenshots/).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildGateway, launchBrowser, log, openJourney, startGateway, until } from './harness.mjs';
import {
  FIRST_PASSWORD, SECOND_PASSWORD, THIRD_PASSWORD, acceptCgu, activate, activatedAdmin,
  adminActivation, atHome, errorSummary, fieldError, ruleState, signIn, signOut,
} from './flows.mjs';
import { afterPassword } from './second-factor.mjs';

let browser;
let binary;

before(async () => {
  binary = buildGateway();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
});

/** A fresh gateway and browser context for one journey, stopped afterwards. */
async function journey(t, name) {
  const gw = await startGateway(binary);
  let ui;
  t.after(async () => {
    try {
      // Fails the test if a page logged a script error or a CSP violation after its last check.
      if (ui) await ui.close();
    } finally {
      await gw.stop();
      if (ui) log(`${name}: ${ui.visited.length} pages checked: ${ui.visited.map((v) => v.name).join(' | ')}`);
    }
  });
  ui = await openJourney(browser, gw, name);
  return { gw, ui, page: ui.page };
}

test('admin: emailed link → password (live rules) → sign-in → CGU → home → sign-out → sign-in again → home', async (t) => {
  const { gw, ui, page } = await journey(t, 'parcours administrateur');
  const { link, identifiant } = await adminActivation(gw);

  await page.goto(link);
  await page.locator('#alerte-bienvenue').waitFor();
  assert.match(await page.locator('#alerte-bienvenue').textContent(), new RegExp(`Bienvenue.*votre identifiant est ${identifiant}`, 's'));
  assert.ok(!page.url().includes('jeton'), `token left in the address bar: ${page.url()}`);
  assert.equal(await page.locator('#mdp-nouveau').getAttribute('autocomplete'), 'new-password');
  assert.equal(await page.locator('#mdp-confirmation').getAttribute('autocomplete'), 'new-password');
  assert.equal(await page.locator('#mdp-nouveau-regles-formes').getAttribute('aria-live'), 'polite');
  await ui.check('activation');

  // The rule list follows the typing, with words (not colour only).
  const input = page.locator('#mdp-nouveau');
  await input.pressSequentially('Horizon');
  let douze = await ruleState(page, 'douze');
  assert.match(douze.text, /au moins 12 caractères avec une majuscule, une minuscule, un chiffre et un caractère spécial : pas encore respectée/);
  assert.match(douze.text, /à compléter : la longueur, un chiffre et un caractère spécial\)/);
  await input.pressSequentially('-Calme');
  await until(async () => /à compléter : un chiffre\)/.test((await ruleState(page, 'douze')).text), 'rule 1 missing only a digit');
  assert.match((await ruleState(page, 'quatorze')).text, /à compléter : la longueur et un chiffre/);
  await input.pressSequentially('-42!');
  douze = await until(async () => {
    const s = await ruleState(page, 'douze');
    return s.state === 'ok' && s;
  }, 'rule 1 met');
  assert.match(douze.text, /: règle respectée$/);
  assert.equal((await ruleState(page, 'quatorze')).state, 'ok');
  assert.match((await ruleState(page, 'phrase')).text, /pas encore respectée/);
  assert.match((await ruleState(page, 'historique')).text, /différent de vos 5 derniers mots de passe : vérifié à l’enregistrement/);
  await ui.check('activation, règles respectées');

  await page.locator('#mdp-confirmation').fill(FIRST_PASSWORD);
  await page.getByRole('button', { name: 'Créer mon mot de passe' }).click();
  await page.locator('#alerte-succes').waitFor();
  assert.match(await page.locator('#alerte-succes').textContent(), /Votre mot de passe est créé/);
  await ui.check('activation réussie');

  await page.getByRole('link', { name: 'Se connecter' }).click();
  await page.waitForURL((url) => url.pathname === '/connexion');
  assert.equal(await page.locator('#identifiant').getAttribute('autocomplete'), 'username');
  assert.equal(await page.locator('#mot-de-passe').getAttribute('autocomplete'), 'current-password');
  await signIn(ui, identifiant, FIRST_PASSWORD);

  // First sign-in: the CGU before anything else, even when asking for the home page.
  assert.equal(new URL(page.url()).pathname, '/cgu');
  await page.locator('#zone-acceptation').waitFor();
  await page.goto('/accueil');
  await page.waitForURL((url) => url.pathname === '/cgu');
  await acceptCgu(ui);

  const hello = await atHome(ui, 'accueil administrateur');
  assert.match(hello, /^Bonjour /);
  assert.match(await page.locator('#messages').textContent(), /accepté les conditions générales/);
  assert.ok(await page.getByRole('heading', { name: 'Caisses' }).isVisible());
  assert.ok(await page.getByRole('heading', { name: "Conditions générales d'utilisation" }).isVisible());
  assert.ok(!(await page.getByRole('heading', { name: 'Partenaires' }).isVisible()));
  assert.equal((await page.locator('#compte-identifiant').textContent()).trim(), identifiant);
  assert.equal((await page.locator('#compte-email').textContent()).trim(), 'admin@plateforme.example.org');
  assert.match(await page.locator('#compte-expiration').textContent(), /\d{4}/);
  assert.ok(await page.locator('header').getByText(/\S/).first().isVisible());

  await signOut(ui);
  // Signed out: a signed-in page sends back to the sign-in, then returns there.
  await page.goto('/accueil');
  await page.waitForURL((url) => url.pathname === '/connexion');
  assert.equal(new URL(page.url()).searchParams.get('retour'), '/accueil');
  await signIn(ui, identifiant, FIRST_PASSWORD, { name: 'connexion avec retour' });
  await atHome(ui, 'accueil, seconde connexion'); // no CGU this time
});

test('expiry: 181 days later the password must be changed before anything else', async (t) => {
  const { gw, ui, page } = await journey(t, 'parcours expiration');
  const { identifiant } = await activatedAdmin(ui, gw, FIRST_PASSWORD);

  const before = await gw.clock();
  const now = await gw.advanceClock(181);
  assert.ok(new Date(now) - new Date(before) >= 181 * 86400000 - 60000, `clock: ${before} → ${now}`);

  // The session has ended too (absolute lifetime): back to the sign-in with the notice.
  await page.goto('/accueil');
  await page.waitForURL((url) => url.pathname === '/connexion');
  const params = new URL(page.url()).searchParams;
  assert.equal(params.get('retour'), '/accueil');
  assert.equal(params.get('expire'), '1');
  await page.getByText('Votre session a expiré').waitFor();
  await signIn(ui, identifiant, FIRST_PASSWORD, { name: 'connexion, session expirée' });

  await page.waitForURL((url) => url.pathname === '/mot-de-passe');
  await page.getByText('Votre mot de passe a expiré : choisissez-en un nouveau pour continuer.').waitFor();
  await ui.check('mot de passe expiré');
  // Nothing else is reachable before the change.
  await page.goto('/accueil');
  await page.waitForURL((url) => url.pathname === '/mot-de-passe');
  await page.getByText('Votre mot de passe a expiré').waitFor();

  await page.locator('#mdp-actuel').fill(FIRST_PASSWORD);
  await page.locator('#mdp-nouveau').fill(SECOND_PASSWORD);
  await page.locator('#mdp-confirmation').fill(SECOND_PASSWORD);
  assert.equal((await ruleState(page, 'personnel')).state, 'ok');
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/accueil'),
    page.getByRole('button', { name: 'Enregistrer le nouveau mot de passe' }).click(),
  ]);
  await atHome(ui, 'accueil après changement');
  assert.match(await page.locator('#messages').textContent(), /Votre mot de passe a été modifié/);
  // The new expiry date is 180 days after the portal's (moved) clock.
  const expected = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'Europe/Paris' })
    .format(new Date(new Date(await gw.clock()).getTime() + 180 * 86400000));
  assert.equal((await page.locator('#compte-expiration').textContent()).trim(), expected);

  // And the new password is the one that works from now on.
  await signOut(ui, 'déconnecté après changement');
  await signIn(ui, identifiant, SECOND_PASSWORD, { check: false });
  await atHome(ui, 'accueil, nouveau mot de passe');
});

test('errors: wrong password, weak password, reused link — summary, field messages, way forward', async (t) => {
  const { gw, ui, page } = await journey(t, 'parcours erreurs');
  const { link, identifiant } = await adminActivation(gw);

  // Weak password: the unmet rules, in the list and in the messages.
  await page.goto(link);
  await page.locator('#alerte-bienvenue').waitFor();
  await page.locator('#mdp-nouveau').fill('abc');
  await page.locator('#mdp-confirmation').fill('abd');
  await page.getByRole('button', { name: 'Créer mon mot de passe' }).click();
  let summary = await errorSummary(page);
  assert.equal(summary.heading, 'Le formulaire contient 2 erreurs');
  assert.deepEqual(summary.hrefs, ['#mdp-nouveau', '#mdp-confirmation']);
  // The message names the three rules, not only the first.
  assert.match(await fieldError(page, 'mdp-nouveau'),
    /aucune des trois règles : au moins 12 caractères avec une majuscule.*; ou au moins 14 caractères.*; ou une phrase de passe d'au moins 7 mots\. Il doit par exemple/s);
  assert.match(await fieldError(page, 'mdp-confirmation'), /ne correspond pas/);
  assert.match(await page.title(), /^Erreurs – /);
  for (const key of ['douze', 'quatorze', 'phrase']) {
    assert.match((await ruleState(page, key)).text, /pas encore respectée/, `rule ${key}`);
  }
  await ui.check('activation, mot de passe faible');

  // Refused by the server only (it contains the e-mail address): shown the same way.
  await page.locator('#mdp-nouveau').fill('Admin-Horizon-42!');
  await page.locator('#mdp-confirmation').fill('Admin-Horizon-42!');
  await page.getByRole('button', { name: 'Créer mon mot de passe' }).click();
  await until(async () => /Le formulaire contient 1 erreur$/.test(
    (await page.locator('.resume-erreurs h2').textContent().catch(() => '')).trim()), 'summary with 1 error');
  assert.match(await fieldError(page, 'mdp-nouveau'), /adresse électronique|nom|prénom/);
  await ui.check('activation, mot de passe personnel');

  await page.locator('#mdp-nouveau').fill(FIRST_PASSWORD);
  await page.locator('#mdp-confirmation').fill(FIRST_PASSWORD);
  await page.getByRole('button', { name: 'Créer mon mot de passe' }).click();
  await page.locator('#alerte-succes').waitFor();

  // The same link again: already used, with a way forward.
  await page.goto(link);
  const alertBox = page.locator('#alerte-lien');
  await alertBox.waitFor();
  assert.match(await alertBox.textContent(), /Ce lien a déjà été utilisé/);
  assert.equal(await page.getByRole('link', { name: 'Demander un nouveau lien' }).getAttribute('href'), '/mot-de-passe-oublie');
  await ui.check('lien déjà utilisé');
  await page.getByRole('link', { name: 'Demander un nouveau lien' }).click();
  await page.waitForURL((url) => url.pathname === '/mot-de-passe-oublie');
  await ui.check('mot de passe oublié');

  // Sign-in: empty fields, then a wrong password.
  await page.goto('/connexion');
  // (the identifiant is prefilled after an activation in this tab)
  await page.locator('#identifiant').fill('');
  await page.getByRole('button', { name: 'Se connecter' }).click();
  summary = await errorSummary(page);
  assert.equal(summary.heading, 'Le formulaire contient 2 erreurs');
  assert.deepEqual(summary.hrefs, ['#identifiant', '#mot-de-passe']);
  await ui.check('connexion, champs vides');

  await page.locator('#identifiant').fill(identifiant);
  await page.locator('#mot-de-passe').fill('Pas-le-bon-mot-2!');
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await until(async () => (await page.locator('.resume-erreurs h2').textContent().catch(() => '')).trim() === 'Le formulaire contient 1 erreur', 'summary with 1 error');
  summary = await errorSummary(page);
  assert.deepEqual(summary.hrefs, ['#mot-de-passe']);
  assert.ok((await fieldError(page, 'mot-de-passe')).length > 5);
  assert.equal(await page.locator('#identifiant').getAttribute('aria-invalid'), null);
  await ui.check('connexion, mot de passe incorrect');
  // The summary's link takes the focus to the field.
  await page.locator('.resume-erreurs a').click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'mot-de-passe');

  // Repeated failures: sign-in suspended, and the page says when to try again (429).
  let status = 0;
  for (let i = 0; i < 15 && status !== 429; i += 1) {
    await page.locator('#mot-de-passe').fill(`Pas-le-bon-${i}-Xy!`);
    const [response] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/api/auth/login'),
      page.getByRole('button', { name: 'Se connecter' }).click(),
    ]);
    status = response.status();
  }
  assert.equal(status, 429, 'no 429 after 15 wrong passwords');
  const lock = page.locator('#alerte-connexion');
  await lock.waitFor();
  assert.match(await lock.textContent(), /réessayez/i);
  assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'alerte-connexion');
  await ui.check('connexion suspendue');
  await gw.advanceClock(1); // the lock is temporary

  await page.locator('#mot-de-passe').fill(FIRST_PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  // First the second factor (the admin must enrol), then the CGU.
  await afterPassword(ui, identifiant);
  await page.waitForURL((url) => url.pathname === '/cgu');
  // CGU: submitting without ticking the box.
  await page.locator('#zone-acceptation').waitFor();
  await page.getByRole('button', { name: 'Valider et continuer' }).click();
  summary = await errorSummary(page);
  assert.deepEqual(summary.hrefs, ['#accepter']);
  await fieldError(page, 'accepter');
  await ui.check('cgu, case non cochée');
  await acceptCgu(ui, { name: 'cgu à accepter' });
  await atHome(ui);
});

test('forgotten password: neutral answer, emailed reset link, new password, sign-in', async (t) => {
  const { gw, ui, page } = await journey(t, 'parcours mot de passe oublie');
  const { identifiant } = await activatedAdmin(ui, gw, FIRST_PASSWORD);
  await signOut(ui);

  // Unknown identifiant and real one: the same answer.
  const answers = [];
  for (const who of ['zz000000', identifiant]) {
    await page.goto('/mot-de-passe-oublie');
    await page.locator('#identifiant').fill(who);
    await page.getByRole('button', { name: 'Recevoir un lien' }).click();
    const box = page.locator('#alerte-oubli');
    await box.waitFor();
    answers.push((await box.locator('p').first().textContent()).trim());
    await ui.check(`mot de passe oublié, réponse ${answers.length}`);
  }
  assert.equal(answers[0], answers[1]);

  const mail = await gw.waitForMail((m) => /\/reinitialisation#jeton=/.test(m.text), 'reset email');
  const link = /(https?:\/\/\S+\/reinitialisation#jeton=[^\s<>"]+)/.exec(mail.text)[1];
  await page.goto(link);
  await page.locator('#alerte-bienvenue').waitFor();
  assert.ok((await page.locator('#alerte-bienvenue').textContent()).includes(identifiant));
  assert.ok(!page.url().includes('jeton'));
  await ui.check('réinitialisation');
  // One of the last passwords: refused by the server.
  await page.locator('#mdp-nouveau').fill(FIRST_PASSWORD);
  await page.locator('#mdp-confirmation').fill(FIRST_PASSWORD);
  await page.getByRole('button', { name: 'Enregistrer le nouveau mot de passe' }).click();
  await page.locator('.resume-erreurs').waitFor();
  assert.ok((await fieldError(page, 'mdp-nouveau')).length > 5);
  await ui.check('réinitialisation, ancien mot de passe');

  await page.locator('#mdp-nouveau').fill(THIRD_PASSWORD);
  await page.locator('#mdp-confirmation').fill(THIRD_PASSWORD);
  await page.getByRole('button', { name: 'Enregistrer le nouveau mot de passe' }).click();
  await page.locator('#alerte-succes').waitFor();
  await ui.check('réinitialisation réussie');
  assert.equal(await page.getByRole('link', { name: 'Se connecter' }).getAttribute('href'), '/connexion');
  // A `retour` to another site is ignored: home after sign-in.
  await page.goto('/connexion?retour=%2F%2Fexemple.invalid%2Fpiege');
  await signIn(ui, identifiant, THIRD_PASSWORD, { name: 'connexion après réinitialisation' });
  await atHome(ui, 'accueil après réinitialisation');
});

test('admin publishes a new CGU version per audience: the staff text makes the admin accept again, the partners\' does not', async (t) => {
  const { gw, ui, page } = await journey(t, 'parcours publication cgu');
  await activatedAdmin(ui, gw, FIRST_PASSWORD);

  await page.getByRole('link', { name: 'Publier une nouvelle version' }).click();
  await page.waitForURL((url) => url.pathname === '/cgu-publication');
  await page.locator('#form-cgu-publier').waitFor();
  assert.match(await page.locator('#en-vigueur').textContent(), /Structures partenaires : version 2026-1.*Personnel des caisses et administration : version 2026-1/s);
  // The text in force of the audience chosen is offered for editing.
  assert.match(await page.locator('#cgu-texte').inputValue(), /^Conditions générales d'utilisation de l'Espace Partenaires\n/);
  await page.getByLabel('Personnel des caisses et administration de la plateforme (vous compris)').check();
  assert.match(await page.locator('#cgu-texte').inputValue(), /pour le personnel des caisses/);
  const form = page.locator('#form-cgu-publier');
  await page.locator('#cgu-version').fill('');
  await form.getByRole('button', { name: 'Publier cette version' }).click();
  const summary = await errorSummary(page);
  assert.deepEqual(summary.hrefs, ['#cgu-version']);
  await ui.check('publication des cgu, incomplète');

  const text = 'Conditions du personnel\n\nArticle 1 – Objet\n\nCette nouvelle version précise l’usage des zones de texte libre.\n\n2. Données. Aucune donnée de santé ne doit y figurer.';
  await page.locator('#cgu-version').fill('2099-01-essai');
  await page.locator('#cgu-texte').fill(text);
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/cgu'),
    form.getByRole('button', { name: 'Publier cette version' }).click(),
  ]);
  await page.locator('#zone-acceptation').waitFor();
  assert.match(await page.locator('#cgu-version').textContent(), /2099-01-essai.*personnel des caisses/);
  // A title, numbered sections as headings, paragraphs.
  assert.equal(await page.locator('#cgu-texte h2.cgu-titre').textContent(), 'Conditions du personnel');
  assert.deepEqual(await page.locator('#cgu-texte h3').allTextContents(), ['Article 1 – Objet', '2. Données']);
  assert.equal(await page.locator('#cgu-texte p').count(), 2);
  assert.match(await page.locator('#messages').textContent(), /2099-01-essai.*publiée/);
  await acceptCgu(ui, { name: 'cgu, nouvelle version' });
  await atHome(ui, 'accueil après nouvelle version');
  assert.match(await page.locator('#compte-cgu').textContent(), /2099-01-essai/);

  // The partners' text: the admin is not asked to accept it.
  await page.goto('/cgu-publication');
  await page.locator('#form-cgu-publier').waitFor();
  assert.ok(await page.getByLabel('Structures partenaires (gestionnaires et techniciens)').isChecked());
  await page.locator('#cgu-version').fill('2099-02-partenaires');
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/accueil'),
    page.getByRole('button', { name: 'Publier cette version' }).click(),
  ]);
  await page.locator('#messages').getByText('2099-02-partenaires').waitFor();
  assert.match(await page.locator('#compte-cgu').textContent(), /2099-01-essai/);
  await ui.check('accueil après publication pour les partenaires');
  await page.goto('/cgu?public=partenaires');
  await page.locator('#cgu-texte h3').first().waitFor();
  assert.match(await page.locator('#cgu-version').textContent(), /2099-02-partenaires.*structures partenaires/);
  assert.ok(!(await page.locator('#zone-acceptation').isVisible()), 'no acceptance of another audience\'s text');
  await ui.check('cgu des partenaires lues par l\'administrateur');
});

test('public pages: home, CGU read without an account, unknown page, incomplete link', async (t) => {
  const { ui, page } = await journey(t, 'pages publiques');
  await page.goto('/');
  await ui.check('accueil public');
  await page.getByRole('link', { name: "Conditions générales d'utilisation" }).click();
  await page.waitForURL((url) => url.pathname === '/cgu');
  await until(async () => (await page.locator('#cgu-texte p').count()) > 0, 'the CGU text');
  assert.ok(!(await page.locator('#zone-acceptation').isVisible()), 'acceptance form shown without a session');
  assert.equal((await page.locator('#cgu-texte h3').allTextContents())[0], '1. Objet');
  assert.equal(await page.locator('#cgu-texte h3').count(), 7);
  assert.ok(!(await page.locator('#session').isVisible()));
  await ui.check('cgu sans compte');

  const res = await page.goto('/page-qui-n-existe-pas');
  assert.equal(res.status(), 404);
  assert.equal(await page.locator('header .marque').getAttribute('href'), '/accueil');
  await ui.check('page introuvable');

  // The development outbox: the site's header and footer, a way back, French dates.
  await page.goto('/_dev/outbox');
  assert.ok(await page.getByRole('link', { name: '← Retour au portail' }).isVisible());
  await ui.check('courriels de développement');

  await page.goto('/activation');
  await page.locator('#alerte-lien').waitFor();
  assert.match(await page.locator('#alerte-lien').textContent(), /Ce lien est incomplet/);
  await ui.check('activation sans jeton');

  await page.goto('/connexion?expire=1&retour=https://exemple.invalid/');
  await page.getByText('Votre session a expiré').waitFor();
  await ui.check('connexion, session expirée');

  // Keyboard: the skip link comes first and is visible when focused; focus is visible.
  await page.keyboard.press('Tab');
  const skip = await page.evaluate(() => {
    const a = document.activeElement;
    const r = a.getBoundingClientRect();
    return { cls: a.className, href: a.getAttribute('href'), visible: r.left >= 0 && r.top >= 0 && r.width > 0 };
  });
  assert.deepEqual(skip, { cls: 'lien-evitement', href: '#contenu', visible: true });
  await page.keyboard.press('Enter');
  assert.equal(new URL(page.url()).hash, '#contenu');
  for (let i = 0; i < 8; i += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement.id === 'identifiant')) break;
  }
  const outline = await page.evaluate(() => {
    const s = getComputedStyle(document.activeElement);
    return { id: document.activeElement.id, style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
  });
  assert.equal(outline.id, 'identifiant');
  assert.equal(outline.style, 'solid');
  assert.ok(outline.width >= 2, `focus outline ${outline.width}px`);
});

test('legal pages: accessibility statement, personal data with the configured durations, legal notice', async (t) => {
  const gw = await startGateway(binary, { env: { EP_REQUEST_RETENTION_MONTHS: '18', EP_SESSION_IDLE_MINUTES: '20' } });
  let ui;
  t.after(async () => {
    try {
      if (ui) await ui.close();
    } finally {
      await gw.stop();
    }
  });
  ui = await openJourney(browser, gw, 'pages légales');
  const { page } = ui;
  await page.goto('/connexion');
  await page.getByRole('link', { name: 'Données personnelles' }).click();
  await page.waitForURL((url) => url.pathname === '/donnees-personnelles');
  await page.locator('#durees').waitFor();
  const durations = await page.locator('#durees').innerText();
  // The configuration's values, not the defaults (12 months, 30 minutes).
  assert.match(durations, /supprimées 18 mois après leur clôture/);
  assert.match(durations, /après 20 minutes sans activité/);
  assert.match(durations, /supprimé, avec ses données personnelles, 6 mois après/);
  assert.match(durations, /10 Mo chacune/);
  await ui.check('données personnelles');

  await page.getByRole('link', { name: 'Accessibilité : non conforme' }).click();
  await page.waitForURL((url) => url.pathname === '/accessibilite');
  for (const heading of ['État de conformité', 'Contenus non accessibles', 'Voies de recours']) {
    assert.ok(await page.getByRole('heading', { name: heading, level: 2 }).isVisible(), heading);
  }
  await ui.check('déclaration d’accessibilité');

  await page.getByRole('link', { name: 'Mentions légales' }).click();
  await page.waitForURL((url) => url.pathname === '/mentions-legales');
  assert.ok(await page.getByRole('heading', { name: 'Hébergement', level: 2 }).isVisible());
  await ui.check('mentions légales');
});
