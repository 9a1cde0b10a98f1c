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
  if (res.status === 200 && res.body && res.body.second_factor === 'pending') {
    clearErrors(form);
    rememberReturn(params.get('retour'));
    askCode();
    return;
  }
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

// ---------------------------------------------------------------- second factor
// The password was right and the account has a second factor: the session waits for a
// code from the authenticator app, or a recovery code (POST /api/auth/second-factor).

const codeForm = $('#form-code');
const code = $('#code');
const recovery = $('#code-secours');
const toggle = $('#basculer-secours');
let useRecovery = false;

function askCode() {
  password.value = '';
  form.hidden = true;
  codeForm.hidden = false;
  document.title = 'Code de vérification – Espace Partenaires';
  $('#titre-code').focus();
}

toggle.addEventListener('click', () => {
  useRecovery = !useRecovery;
  clearErrors(codeForm);
  $('#champ-code').hidden = useRecovery;
  $('#champ-secours').hidden = !useRecovery;
  toggle.textContent = useRecovery ? 'Utiliser le code de l’application' : 'Utiliser un code de secours';
  (useRecovery ? recovery : code).focus();
});

codeForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const old = document.getElementById('alerte-connexion');
  if (old) old.remove();
  const input = useRecovery ? recovery : code;
  const value = input.value.trim();
  if (!useRecovery && !/^[0-9]{3} ?[0-9]{3}$/.test(value)) {
    showErrors(codeForm, [{ field: 'code', message: 'Saisissez les 6 chiffres affichés par votre application, par exemple : 123456.' }]);
    return;
  }
  if (useRecovery && !value) {
    showErrors(codeForm, [{ field: 'code-secours', message: 'Saisissez l’un de vos codes de secours, par exemple : abcde-fghjk.' }]);
    return;
  }
  const done = busy(codeForm);
  const res = await api('POST', '/api/auth/second-factor', useRecovery
    ? { recovery_code: value }
    : { code: value.replace(' ', '') });
  done();
  if (res.status === 200 && res.body) {
    clearErrors(codeForm);
    noteSignedIn();
    await go(nextPage(res.body));
    return;
  }
  input.value = '';
  if (res.status === 401 && res.body && res.body.code === 'auth.invalid_code') {
    showErrors(codeForm, [{ field: input.id, message: res.body.detail }]);
  } else if (res.status === 401 || res.status === 409) {
    // The pending session ended (expired, signed out elsewhere): start again.
    codeForm.hidden = true;
    form.hidden = false;
    notice(messages, {
      kind: 'erreur',
      title: 'Connexion à recommencer',
      text: 'Votre connexion a expiré avant la saisie du code : saisissez de nouveau votre identifiant et votre mot de passe.',
      focus: true,
      id: 'alerte-connexion',
    });
  } else {
    clearErrors(codeForm);
    notice(messages, {
      kind: 'erreur',
      title: res.status === 429 ? 'Connexion temporairement bloquée' : 'Connexion impossible',
      text: (res.body && res.body.detail) || UNAVAILABLE,
      focus: true,
      id: 'alerte-connexion',
    });
  }
});
