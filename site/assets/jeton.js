// /activation#jeton=… and /reinitialisation#jeton=…: choose a password from an emailed link.
// The token comes from the URL fragment (never sent in a query string) and is removed from
// the address bar at once. POST /api/auth/token says what the link is for; then
// POST /api/auth/activate or /api/auth/reset.
import {
  $, api, busy, clearErrors, el, forgetToken, formatDateTime, go, notice, pageReady,
  readToken, rememberIdentifiant, showErrors, showFatal, unexpected,
} from './app.js';
import { liveRules, passwordErrors, serverPasswordErrors, showPasswordsToggle } from './password.js';

const kind = $('main').dataset.jeton; // 'activation' | 'reset'
const PAGES = { activation: '/activation', reset: '/reinitialisation' };
const ENDPOINTS = { activation: '/api/auth/activate', reset: '/api/auth/reset' };

const token = readToken(kind);
// Another link opened in this same tab (only the fragment changes): start again with it.
window.addEventListener('hashchange', () => {
  if (/(^#|&)jeton=/.test(window.location.hash)) window.location.reload();
});
const form = $('#form-jeton');
const newInput = $('#mdp-nouveau');
const confirmInput = $('#mdp-confirmation');
const messages = $('#messages');

/** The link cannot be used: say why, and the way forward. */
function linkProblem(status, body) {
  forgetToken(kind);
  const code = body && body.code;
  let title;
  let text;
  if (status === 410 && code === 'token.used') {
    title = 'Ce lien a déjà été utilisé';
    text = kind === 'activation'
      ? 'Le mot de passe de ce compte a déjà été créé avec ce lien, qui ne sert qu’une fois. Connectez-vous avec votre identifiant et votre mot de passe ; si vous ne le connaissez plus, demandez un nouveau lien.'
      : 'Ce lien de réinitialisation ne sert qu’une fois. Si vous ne connaissez pas votre mot de passe, demandez un nouveau lien.';
  } else if (status === 410) {
    title = 'Ce lien a expiré';
    text = 'Pour votre sécurité, les liens envoyés par courriel ne sont valables que quelques jours. Demandez un nouveau lien : il sera envoyé à l’adresse électronique de votre compte.';
  } else if (status === 404 || status === 'absent') {
    title = status === 'absent' ? 'Ce lien est incomplet' : 'Ce lien n’est pas valide';
    text = 'Vérifiez que l’adresse est complète : copiez-la en entier depuis le courriel reçu, ou cliquez sur le lien du courriel. Si le problème persiste, demandez un nouveau lien.';
  } else {
    showFatal(unexpected({ body }));
    return;
  }
  pageReady();
  $('#zone-formulaire').hidden = true;
  $('#bienvenue').textContent = '';
  clearErrors(form);
  const actions = el('p', { class: 'actions' },
    el('a', { class: 'bouton', href: '/mot-de-passe-oublie', text: 'Demander un nouveau lien' }),
    el('a', { href: '/connexion', text: 'Aller à la page de connexion' }));
  notice(messages, { kind: 'erreur', title, text, focus: true, id: 'alerte-lien' }, actions);
}

async function start() {
  if (!token) {
    linkProblem('absent');
    return;
  }
  const res = await api('POST', '/api/auth/token', { token });
  if (res.status !== 200 || !res.body) {
    linkProblem(res.status, res.body);
    return;
  }
  const info = res.body;
  if (info.purpose && info.purpose !== kind && PAGES[info.purpose]) {
    // A reset link opened on the activation page (or the reverse): the right page.
    const other = info.purpose;
    forgetToken(kind);
    await go(`${PAGES[other]}#jeton=${encodeURIComponent(token)}`, { replace: true });
    return;
  }
  $('#identifiant-cache').value = info.identifiant;
  const welcome = $('#bienvenue');
  const prenom = info.prenom ? ` ${info.prenom}` : '';
  const who = el('p', {},
    kind === 'activation' ? `Bienvenue${prenom}, votre identifiant est ` : `Bonjour${prenom}, votre identifiant est `,
    el('span', { class: 'identifiant', text: info.identifiant }), '.');
  const box = el('div', { class: 'alerte', id: 'alerte-bienvenue' }, who);
  if (kind === 'activation') {
    box.append(el('p', { text: 'Notez-le : il vous servira à vous connecter, avec le mot de passe que vous allez créer.' }));
  }
  if (info.expires_at) {
    const when = formatDateTime(info.expires_at);
    if (when) box.append(el('p', { class: 'meta', text: `Ce lien est valable jusqu’au ${when}.` }));
  }
  welcome.append(box);

  const rules = liveRules(newInput, $('#mdp-nouveau-zone-regles'), {
    identifiant: info.identifiant,
    names: info.prenom ? [info.prenom] : [],
  });
  showPasswordsToggle($('#afficher'), [newInput, confirmInput]);
  pageReady();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const errors = passwordErrors(newInput, confirmInput, rules);
    if (errors.length) {
      showErrors(form, errors);
      return;
    }
    const done = busy(form);
    const r = await api('POST', ENDPOINTS[kind], { token, password: newInput.value });
    done();
    if (r.status === 204 || r.status === 200) {
      success(info);
    } else if (r.status === 422) {
      showErrors(form, serverPasswordErrors(r.body, { password: 'mdp-nouveau' }, 'mdp-nouveau', rules, [...newInput.value].length));
    } else if (r.status === 404 || r.status === 410) {
      linkProblem(r.status, r.body);
    } else {
      clearErrors(form);
      notice(messages, { kind: 'erreur', title: 'Enregistrement impossible', text: unexpected(r), focus: true, id: 'alerte-lien' });
    }
  });
}

function success(info) {
  forgetToken(kind);
  clearErrors(form);
  form.reset();
  $('#zone-formulaire').hidden = true;
  $('#bienvenue').textContent = '';
  rememberIdentifiant(info.identifiant);
  const title = kind === 'activation' ? 'Votre mot de passe est créé' : 'Votre mot de passe est modifié';
  const text = kind === 'activation'
    ? 'Votre compte est actif. Connectez-vous avec votre identifiant et ce mot de passe.'
    : 'Pour votre sécurité, vos sessions ouvertes ont été fermées. Connectez-vous avec votre identifiant et ce nouveau mot de passe.';
  const ident = el('p', {}, 'Votre identifiant : ', el('span', { class: 'identifiant', text: info.identifiant }));
  const button = el('a', { class: 'bouton', href: '/connexion', text: 'Se connecter' });
  notice(messages, { kind: 'succes', title, text, focus: true, id: 'alerte-succes', role: 'status' }, ident, button);
}

start();
