// /connexion: sign in with identifiant + password (POST /api/auth/login).
import {
  $, api, busy, clearErrors, go, nextPage, notice, noteSignedIn, noteSignedOut, problemErrors,
  rememberReturn, showErrors, takeFlash, takeIdentifiant, UNAVAILABLE,
} from './app.js';
import { showPasswordsToggle } from './password.js';

const form = $('#form-connexion');
const identifiant = $('#identifiant');
const password = $('#mot-de-passe');
const messages = $('#messages');
const params = new URLSearchParams(window.location.search);

if (params.get('deconnecte') === '1') {
  noteSignedOut();
  notice(messages, { kind: 'succes', text: 'Déconnexion effectuée. À bientôt sur l’Espace Partenaires.' });
} else if (params.get('expire') === '1') {
  notice(messages, {
    title: 'Session expirée',
    text: 'Votre session a expiré. Connectez-vous à nouveau pour continuer.',
  });
}
const flash = takeFlash();
if (flash) notice(messages, { kind: 'succes', text: flash });

const known = takeIdentifiant();
if (known && !identifiant.value) identifiant.value = known;

showPasswordsToggle($('#afficher'), [password]);

const FIELDS = { identifiant: 'identifiant', password: 'mot-de-passe' };

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const old = document.getElementById('alerte-connexion');
  if (old) old.remove();
  const errors = [];
  const id = identifiant.value.trim();
  if (!id) errors.push({ field: 'identifiant', message: 'Saisissez votre identifiant.' });
  if (!password.value) errors.push({ field: 'mot-de-passe', message: 'Saisissez votre mot de passe.' });
  if (errors.length) {
    showErrors(form, errors);
    return;
  }
  const done = busy(form);
  const res = await api('POST', '/api/auth/login', { identifiant: id, password: password.value });
  done();
  if (res.status === 200 && res.body) {
    clearErrors(form);
    noteSignedIn();
    rememberReturn(params.get('retour'));
    await go(nextPage(res.body));
    return;
  }
  if (res.status === 401) {
    password.value = '';
    showErrors(form, [{
      field: 'mot-de-passe',
      message: (res.body && res.body.detail) || 'Identifiant ou mot de passe incorrect.',
    }]);
  } else if (res.status === 422) {
    showErrors(form, problemErrors(res.body, FIELDS, 'identifiant'));
  } else if (res.status === 429) {
    clearErrors(form);
    password.value = '';
    notice(messages, {
      kind: 'erreur',
      title: 'Connexion temporairement bloquée',
      text: (res.body && res.body.detail) || 'Trop de tentatives : réessayez dans quelques minutes.',
      focus: true,
      id: 'alerte-connexion',
    });
  } else {
    clearErrors(form);
    notice(messages, {
      kind: 'erreur',
      title: 'Connexion impossible',
      text: (res.body && res.body.detail) || UNAVAILABLE,
      focus: true,
      id: 'alerte-connexion',
    });
  }
});
