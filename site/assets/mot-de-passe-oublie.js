// /mot-de-passe-oublie: ask for a reset link by identifiant (POST /api/auth/forgot).
// The answer is the same whether or not the account exists: its message is shown as is.
import { $, api, busy, clearErrors, el, notice, problemErrors, showErrors, unexpected } from './app.js';

const form = $('#form-oubli');
const identifiant = $('#identifiant');
const messages = $('#messages');

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const id = identifiant.value.trim();
  if (!id) {
    showErrors(form, [{ field: 'identifiant', message: 'Saisissez votre identifiant.' }]);
    return;
  }
  const done = busy(form);
  const res = await api('POST', '/api/auth/forgot', { identifiant: id });
  done();
  if (res.status === 202 || res.status === 200) {
    clearErrors(form);
    $('#zone-formulaire').hidden = true;
    const message = (res.body && res.body.message)
      || 'Si un compte actif correspond à cet identifiant, un lien pour choisir un nouveau mot de passe vient d’être envoyé à son adresse électronique. Pensez à vérifier vos courriels indésirables.';
    notice(messages, {
      kind: 'succes',
      title: 'Demande enregistrée',
      text: message,
      focus: true,
      id: 'alerte-oubli',
      role: 'status',
    }, el('p', {}, el('a', { href: '/connexion', text: 'Retour à la connexion' })));
  } else if (res.status === 422) {
    showErrors(form, problemErrors(res.body, { identifiant: 'identifiant' }, 'identifiant'));
  } else {
    clearErrors(form);
    notice(messages, {
      kind: 'erreur',
      title: res.status === 429 ? 'Trop de demandes' : 'Demande impossible',
      text: unexpected(res),
      focus: true,
      id: 'alerte-oubli',
    });
  }
});
