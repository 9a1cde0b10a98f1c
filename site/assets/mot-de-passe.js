// /mot-de-passe: change one's password knowing the current one (POST /api/me/password).
// Also the required action `change_password` (expired password, `?expire=1`).
import {
  $, api, busy, clearErrors, go, nextPage, notice, pageReady, requireSession, setFlash,
  showErrors, takeFlash, unexpected,
} from './app.js';
import { liveRules, passwordErrors, serverPasswordErrors, showPasswordsToggle } from './password.js';

const form = $('#form-mdp');
const current = $('#mdp-actuel');
const newInput = $('#mdp-nouveau');
const confirmInput = $('#mdp-confirmation');
const messages = $('#messages');
const FIELDS = { current_password: 'mdp-actuel', new_password: 'mdp-nouveau', password: 'mdp-nouveau' };

async function start() {
  const me = await requireSession({ handles: 'change_password' });
  const expired = (me.required_actions || []).includes('change_password')
    || new URLSearchParams(window.location.search).get('expire') === '1';
  if (expired) {
    notice(messages, {
      role: 'status',
      title: 'Mot de passe expiré',
      text: 'Votre mot de passe a expiré : choisissez-en un nouveau pour continuer.',
      id: 'alerte-expiration',
    });
    // Nothing else is reachable before the change: no « Annuler » towards the home page.
    $('#annuler').hidden = (me.required_actions || []).includes('change_password');
  }
  const flash = takeFlash();
  if (flash) notice(messages, { kind: 'succes', text: flash });
  $('#identifiant-cache').value = me.identifiant;
  const rules = liveRules(newInput, $('#mdp-nouveau-zone-regles'), {
    identifiant: me.identifiant,
    email: me.email,
    names: [me.nom, me.prenom].filter(Boolean),
    complete: true,
  });
  showPasswordsToggle($('#afficher'), [current, newInput, confirmInput]);
  pageReady();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const errors = [];
    if (!current.value) errors.push({ field: 'mdp-actuel', message: 'Saisissez votre mot de passe actuel.' });
    errors.push(...passwordErrors(newInput, confirmInput, rules));
    if (!errors.some((e) => e.field === 'mdp-nouveau') && current.value && newInput.value === current.value) {
      errors.push({ field: 'mdp-nouveau', message: 'Le nouveau mot de passe doit être différent du mot de passe actuel.' });
    }
    if (errors.length) {
      showErrors(form, errors);
      return;
    }
    const done = busy(form);
    const res = await api('POST', '/api/me/password', {
      current_password: current.value,
      new_password: newInput.value,
    });
    done();
    if (res.status === 200 && res.body) {
      clearErrors(form);
      setFlash('Votre mot de passe a été modifié.');
      await go(nextPage(res.body));
    } else if (res.status === 401 || res.status === 403) {
      current.value = '';
      showErrors(form, [{
        field: 'mdp-actuel',
        message: (res.body && res.body.detail) || 'Le mot de passe actuel est incorrect.',
      }]);
    } else if (res.status === 422) {
      const body = res.body || {};
      if (!body.errors && typeof body.code === 'string' && body.code.startsWith('auth.')) {
        showErrors(form, [{ field: 'mdp-actuel', message: body.detail || 'Le mot de passe actuel est incorrect.' }]);
      } else {
        showErrors(form, serverPasswordErrors(body, FIELDS, 'mdp-nouveau', rules, [...newInput.value].length));
      }
    } else if (res.status === 429) {
      showErrors(form, [{ field: 'mdp-actuel', message: unexpected(res) }]);
    } else {
      clearErrors(form);
      notice(messages, { kind: 'erreur', title: 'Enregistrement impossible', text: unexpected(res), focus: true, id: 'alerte-erreur' });
    }
  });
}

start();
