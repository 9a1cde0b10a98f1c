// /structure/comptes (gestionnaire): the habilitation table of the structure
// (GET /api/partners/{id}/accounts: gestionnaires first, then by name), quota use,
// techniciens created (POST …/techniciens), edited (PUT …/techniciens/{user}) and
// inactivated (POST …/techniciens/{user}/inactivate, confirmation step), the CSV export
// (GET …/accounts.csv) and the confirmation of the habilitation review
// (POST …/reviews/confirm). The review request email links here.
import { $, api, busy, clearErrors, de, el, pageReady, showErrors, showFatal, unexpected } from './app.js';
import {
  badge, emailEl, confirmStep, dataTable, daysSince, formErrors, inactivationLabel, personBlock, personErrors,
  personFields, personName, profileName, quotaText, readPerson, startPage, statusLabel, success, timeEl,
} from './gestion.js';

const messages = $('#messages');
let me;
let partner;
let base;
let accounts = [];
let editing = null;

function createdBy(a) {
  if (!a.created_by) return '—';
  const creator = accounts.find((x) => x.id === a.created_by);
  if (creator) return `${creator.prenom} ${creator.nom}`;
  return 'votre caisse';
}

function passwordAge(a) {
  const days = daysSince(a.password_changed_at);
  if (days === null) return a.status === 'pending' ? 'pas encore créé' : '—';
  return `${days} jour${days > 1 ? 's' : ''}`;
}

function actionButton(text, who, onClick) {
  const button = el('button', { type: 'button', class: 'lien-bouton' }, text, el('span', { class: 'visuellement-cache', text: ` le compte ${de(who)}` }));
  button.addEventListener('click', () => onClick(button));
  return button;
}

function renderReview(body) {
  const zone = $('#etat-revue');
  zone.textContent = '';
  const requested = body.review_requested_at;
  const confirmed = body.review_confirmed_at;
  if (requested && (!confirmed || requested > confirmed)) {
    zone.append(el('p', { class: 'alerte' }, el('strong', { text: 'Votre caisse demande une revue des habilitations' }), ' depuis le ', timeEl(requested), '.'));
  } else if (requested) {
    zone.append(el('p', {}, 'Dernière revue demandée par votre caisse le ', timeEl(requested), '.'));
  }
  zone.append(confirmed
    ? el('p', { id: 'revue-confirmee' }, 'Dernière revue confirmée le ', timeEl(confirmed, { withTime: true }), '.')
    : el('p', { id: 'revue-confirmee', text: 'Aucune revue confirmée pour l\'instant.' }));
}

// The creation form follows the quota: when it is reached, the form is disabled and
// says why and the two ways out, instead of refusing what the user typed.
function quotaState(t) {
  const full = t.used >= t.max;
  const zone = $('#quota-techniciens');
  zone.textContent = '';
  zone.className = full ? 'alerte' : '';
  if (full) {
    zone.append(
      el('strong', { text: `${quotaText(t, 'technicien')} : le nombre maximal est atteint.` }),
      ' Pour créer un compte, ',
      el('a', { href: '#table-habilitations', text: 'inactivez un compte technicien' }),
      ' qui n\'est plus utilisé, ou demandez à votre caisse de mettre à jour le nombre de membres de la structure (',
      el('a', { href: '/aide', text: 'contacts de votre caisse' }),
      ').',
    );
  } else {
    zone.textContent = `${quotaText(t, 'technicien')} : vous pouvez en créer ${t.max - t.used} de plus.`;
  }
  const form = $('#form-technicien');
  form.dataset.complet = full ? '1' : '';
  for (const control of form.elements) control.disabled = full;
}

async function loadAccounts() {
  const res = await api('GET', `${base}/accounts`);
  if (res.status !== 200 || !res.body) {
    showFatal(unexpected(res));
    return false;
  }
  const body = res.body;
  accounts = body.items || [];
  $('#quotas').textContent = `${quotaText(body.gestionnaires, 'gestionnaire')} · ${quotaText(body.techniciens, 'technicien')}`;
  quotaState(body.techniciens || {});
  renderReview(body);
  const zone = $('#liste-comptes');
  zone.textContent = '';
  zone.append(dataTable({
    id: 'table-habilitations',
    caption: 'Comptes de la structure : gestionnaires puis techniciens, par nom',
    rows: accounts,
    columns: [
      { label: 'Profil', cell: (a) => profileName(a.profile), header: false },
      { label: 'Nom', cell: (a) => a.nom, header: true },
      { label: 'Prénom', cell: (a) => a.prenom },
      { label: 'Fonction', cell: (a) => a.fonction },
      { label: 'Adresse électronique', cell: (a) => emailEl(a.email) },
      {
        label: 'Statut',
        cell: (a) => {
          const frag = document.createDocumentFragment();
          frag.append(badge(statusLabel(a.status), a.status));
          if (a.status === 'inactive' && a.inactivation_reason) frag.append(` (${inactivationLabel(a.inactivation_reason)})`);
          return frag;
        },
      },
      { label: 'Créé le', cell: (a) => timeEl(a.created_at) },
      { label: 'Créé par', cell: createdBy },
      { label: 'Dernière connexion', cell: (a) => timeEl(a.last_login_at, { withTime: true, fallback: 'jamais' }) },
      { label: 'Ancienneté du mot de passe', cell: passwordAge },
      {
        label: 'Actions',
        cell: (a) => {
          if (a.profile !== 'technicien' || a.status === 'inactive') return document.createTextNode('—');
          const who = `${a.prenom} ${a.nom}`;
          return el('div', { class: 'actions-ligne' },
            actionButton('Modifier', who, (b) => startEdit(a, b)),
            actionButton('Inactiver', who, (b) => askInactivate(a, b)));
        },
      },
    ],
  }));
  return true;
}

function startEdit(account, button) {
  editing = { account, button };
  const section = $('#bloc-modifier');
  const fields = $('#champs-modifier');
  fields.textContent = '';
  fields.append(personBlock('mod', { domains: partner.allowed_domains, values: account }));
  clearErrors($('#form-modifier'));
  $('#titre-modifier').textContent = `Modifier le compte technicien ${de(`${account.prenom} ${account.nom}`)}`;
  section.hidden = false;
  $('#titre-modifier').focus();
}

function stopEdit() {
  const back = editing && editing.button;
  editing = null;
  $('#bloc-modifier').hidden = true;
  return back;
}

function askInactivate(account, button) {
  const who = `${account.prenom} ${account.nom}`;
  confirmStep({
    anchor: $('#liste-comptes'),
    id: 'confirmation-inactivation',
    title: `Inactiver le compte technicien ${de(who)} ?`,
    text: 'Le compte est inactivé immédiatement : ses sessions sont fermées, il ne peut plus se connecter et il en est informé par courriel. Il sera supprimé automatiquement 6 mois plus tard.',
    confirmLabel: 'Confirmer l\'inactivation',
    returnFocus: button,
    onConfirm: async (form) => {
      const res = await api('POST', `${base}/techniciens/${encodeURIComponent(account.id)}/inactivate`, {});
      if (res.status === 200) {
        if (editing && editing.account.id === account.id) stopEdit();
        await loadAccounts();
        success(messages, `Le compte technicien ${de(who)} est inactivé.`);
        return true;
      }
      showErrors(form, [{ field: null, message: unexpected(res) }]);
      return false;
    },
  });
}

function wireForms() {
  const formTech = $('#form-technicien');
  $('#champs-technicien').append(personBlock('tech', { domains: partner.allowed_domains }));
  if (formTech.dataset.complet) for (const control of formTech.elements) control.disabled = true;
  formTech.addEventListener('submit', async (event) => {
    event.preventDefault();
    const errors = personErrors('tech');
    if (errors.length) {
      showErrors(formTech, errors);
      return;
    }
    const done = busy(formTech);
    const res = await api('POST', `${base}/techniciens`, readPerson('tech'));
    done();
    if (res.status === 201 && res.body) {
      clearErrors(formTech);
      formTech.reset();
      await loadAccounts();
      success(messages, `Le compte technicien ${de(personName(res.body))} est créé (identifiant ${res.body.identifiant}) : un courriel lui a été envoyé avec son identifiant et un lien pour créer son mot de passe.`);
    } else {
      formErrors(formTech, res, personFields('tech'), 'tech-nom');
    }
  });

  const formMod = $('#form-modifier');
  formMod.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!editing) return;
    const errors = personErrors('mod');
    if (errors.length) {
      showErrors(formMod, errors);
      return;
    }
    const done = busy(formMod);
    const { account } = editing;
    const res = await api('PUT', `${base}/techniciens/${encodeURIComponent(account.id)}`, readPerson('mod'));
    done();
    if (res.status === 200 && res.body) {
      clearErrors(formMod);
      stopEdit();
      await loadAccounts();
      success(messages, `Le compte technicien ${de(`${res.body.prenom} ${res.body.nom}`)} est modifié.`);
    } else {
      formErrors(formMod, res, personFields('mod'), 'mod-nom');
    }
  });
  $('#annuler-modifier').addEventListener('click', () => {
    clearErrors(formMod);
    const back = stopEdit();
    if (back && document.contains(back)) back.focus();
    else $('#titre-comptes').focus();
  });

  const formRevue = $('#form-revue');
  formRevue.addEventListener('submit', async (event) => {
    event.preventDefault();
    const done = busy(formRevue);
    const res = await api('POST', `${base}/reviews/confirm`, {});
    done();
    if (res.status === 200 && res.body) {
      clearErrors(formRevue);
      await loadAccounts();
      success(messages, 'La revue des habilitations est confirmée : votre caisse voit la date de votre confirmation.');
    } else {
      formErrors(formRevue, res, {});
    }
  });
}

async function start() {
  me = await startPage({ profiles: ['gestionnaire'], crumbs: [['Comptes de votre structure', '/structure/comptes']] });
  if (!me) return;
  base = `/api/partners/${encodeURIComponent(me.organisation.id)}`;
  const p = await api('GET', base);
  if (p.status !== 200 || !p.body) {
    showFatal(unexpected(p));
    return;
  }
  partner = p.body;
  $('#sous-titre').textContent = partner.name;
  const exportLink = $('#lien-export');
  exportLink.setAttribute('href', `${base}/accounts.csv`);
  exportLink.addEventListener('click', () => {
    success(messages, 'Export lancé : votre navigateur télécharge le tableau des habilitations (fichier CSV). L\'export est inscrit au journal de votre structure.');
  });
  if (!(await loadAccounts())) return;
  wireForms();
  pageReady();
}

start();
