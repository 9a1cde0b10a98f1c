// /partenaire?id=… (caisse agent): one partner conventioned with the agent's caisse —
// details and edit (PUT /api/partners/{id}), its convention (PUT …/convention),
// suspension / reinstatement (POST …/suspend, …/reinstate), its accounts with
// « Exclure » (POST …/accounts/{user}/exclude, confirmation step), the habilitation
// review (POST …/reviews), a habilitation request recorded by the agent
// (POST …/habilitations), the exclusion notices (GET …/notices) and the audit trail
// (GET …/audit, newest first, 50 a page).
import { $, api, busy, clearErrors, de, deOrg, el, pageReady, showErrors, showFatal, takeFlash, unexpected } from './app.js';
import {
  EXCLUSION_REASONS, SUSPENSION_REASONS, auditLabel, badge, breadcrumb, categoryLabel, confirmStep,
  conventionStateLabel, dataTable, details, emailEl, exclusionLabel, formErrors, inactivationLabel, jour,
  pager, personBlock, personErrors, personFields, personName, profileName, queryParam, quotaText, readPerson,
  selectField, startPage, statusLabel, success, suspensionLabel, timeEl,
} from './gestion.js';
import {
  conventionErrors, conventionFieldMap, conventionValues, fillCategories, functionalityBoxes, partnerErrors,
  partnerFieldMap, partnerValues,
} from './partner-form.js';
import { resetSecondFactorButton } from './second-factor-reset.js';

const messages = $('#messages');
const partnerId = queryParam('id') || '';
const base = `/api/partners/${encodeURIComponent(partnerId)}`;
let me;
let partner;
let accounts = [];
let agents = [];
let journal = null;

/** After an action: the new events are on the first page of the journal. */
function refreshJournal() {
  if (journal) journal.show();
}

const convention = () => (partner.conventions || [])[0] || null;

function nameOf(id) {
  if (!id) return '—';
  if (id === partner.id) return partner.name;
  if (id === 'system') return 'Traitement automatique';
  const a = accounts.find((x) => x.id === id) || agents.find((x) => x.id === id);
  return a ? `${a.prenom} ${a.nom}` : id;
}

/** What an audit event is about: a known account or the structure, else its kind. */
function targetOf(e) {
  if (!e.target) return '—';
  const known = nameOf(e.target);
  if (known !== e.target) return known;
  if (e.action.startsWith('habilitation.')) return 'Demande d\'habilitation';
  if (e.action.startsWith('inactivation.')) return 'Demande d\'inactivation';
  if (e.action.startsWith('modification.')) return 'Demande de modification';
  return 'Compte supprimé ou d\'une autre organisation';
}

// ------------------------------------------------------------------ details

function renderPartner() {
  $('#titre-page').textContent = partner.name;
  document.title = `${partner.name} – Espace Partenaires`;
  breadcrumb([['Partenaires', '/partenaires'], [partner.name]]);
  const sub = $('#sous-titre');
  sub.textContent = '';
  sub.append(categoryLabel(partner.category), ' · ', partner.status === 'suspended'
    ? badge('Accès suspendu', 'suspendu') : badge('Active', 'active'));

  const zone = $('#infos-structure');
  zone.textContent = '';
  zone.append(details([
    ['SIRET', partner.siret || 'non renseigné'],
    ['Catégorie', categoryLabel(partner.category)],
    ['Documents demandés', partner.habilitated ? 'remis par l\'Espace Partenaires (structure habilitée)' : 'envoyés à l\'adresse postale de l\'assuré'],
    ['Adresse', partner.address],
    ['Nombre de membres', String(partner.members)],
    ['Domaines de messagerie', (partner.allowed_domains || []).join(', ')],
    ['Comptes', `${quotaText(partner.gestionnaires, 'gestionnaire')}, ${quotaText(partner.techniciens, 'technicien')}`],
  ]));

  const c = convention();
  const conv = $('#infos-convention');
  conv.textContent = '';
  if (c) {
    const fns = c.functionalities || [];
    conv.append(details([
      ['Caisse', c.caisse_name],
      ['Début', timeEl(c.start)],
      ['Fin', c.end ? timeEl(c.end) : 'sans date de fin'],
      ['État', `${conventionStateLabel(c.state)}${c.active ? '' : ' (pas en cours aujourd\'hui)'}`],
      ['Fonctionnalités activées', fns.length
        ? el('ul', { class: 'liste-simple' }, ...fns.map((f) => el('li', { text: f.label })))
        : 'aucune'],
    ]));
  }

  const acces = $('#zone-acces');
  acces.textContent = '';
  const suspended = partner.status === 'suspended';
  if (suspended) {
    const s = partner.suspension || {};
    acces.append(el('div', { class: 'alerte erreur' },
      el('p', {}, el('strong', { text: 'L\'accès de la structure est suspendu' }),
        s.at ? ` depuis le ${jour(s.at)}` : '', s.reason ? `, motif : ${suspensionLabel(s.reason).toLowerCase()}.` : '.')));
  } else {
    acces.append(el('p', { text: 'L\'accès de la structure est ouvert : ses comptes actifs peuvent utiliser l\'Espace Partenaires.' }));
  }
  $('#form-suspension').hidden = suspended;
  $('#form-retablir').hidden = !suspended;

  const revue = $('#etat-revue');
  revue.textContent = '';
  const lines = [];
  lines.push(partner.review_confirmed_at
    ? el('p', {}, 'Dernière revue confirmée le ', timeEl(partner.review_confirmed_at), '.')
    : el('p', { text: 'Aucune revue confirmée pour l\'instant.' }));
  if (partner.review_requested_at) {
    const pending = !partner.review_confirmed_at || partner.review_requested_at > partner.review_confirmed_at;
    lines.push(el('p', {}, 'Dernière revue demandée le ', timeEl(partner.review_requested_at), pending ? ' : en attente de confirmation par la structure.' : '.'));
  }
  revue.append(...lines);
}

function fillEditForms() {
  $('#e-nom').value = partner.name;
  $('#e-adresse').value = partner.address;
  fillCategories($('#e-categorie'), partner.category);
  $('#e-membres').value = String(partner.members);
  $('#e-domaines').value = (partner.allowed_domains || []).join('\n');
  const c = convention();
  if (c) {
    $('#c-debut').value = c.start || '';
    $('#c-fin').value = c.end || '';
    functionalityBoxes($('#c-cases'), 'c', (c.functionalities || []).map((f) => f.code));
  }
}

async function loadPartner() {
  const res = await api('GET', base);
  if (res.status !== 200 || !res.body) return res;
  partner = res.body;
  renderPartner();
  return res;
}

// ------------------------------------------------------------------ accounts

async function loadAccounts() {
  const res = await api('GET', `${base}/accounts`);
  const zone = $('#liste-comptes');
  zone.textContent = '';
  if (res.status !== 200 || !res.body) {
    zone.append(el('p', { class: 'alerte erreur', text: unexpected(res) }));
    return;
  }
  accounts = res.body.items || [];
  $('#quotas-comptes').textContent = `${quotaText(res.body.gestionnaires, 'gestionnaire')} · ${quotaText(res.body.techniciens, 'technicien')}`;
  zone.append(dataTable({
    id: 'table-comptes',
    caption: 'Comptes de la structure : gestionnaires puis techniciens, par nom',
    empty: 'Aucun compte : enregistrez la demande d\'habilitation du premier gestionnaire ci-dessous.',
    rows: accounts,
    columns: [
      { label: 'Nom', cell: (a) => `${a.prenom} ${a.nom}` },
      { label: 'Profil', cell: (a) => profileName(a.profile) },
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
      { label: 'Dernière connexion', cell: (a) => timeEl(a.last_login_at, { withTime: true, fallback: 'jamais' }) },
      {
        label: 'Action',
        cell: (a) => {
          if (a.status === 'inactive') return document.createTextNode('—');
          const button = el('button', { type: 'button', class: 'lien-bouton danger', text: `Exclure ${a.prenom} ${a.nom}` });
          button.addEventListener('click', () => askExclusion(a, button));
          const reset = resetSecondFactorButton({
            account: a,
            url: `${base}/accounts/${encodeURIComponent(a.id)}/second-factor/reset`,
            anchor: $('#liste-comptes'),
            messages,
            onDone: loadAccounts,
          });
          return reset ? el('div', { class: 'actions-ligne' }, button, reset) : button;
        },
      },
    ],
  }));
}

function askExclusion(account, button) {
  const extra = selectField('x-motif', 'Motif de l\'exclusion', null, EXCLUSION_REASONS, { name: 'reason', placeholder: 'Choisir le motif…' });
  confirmStep({
    anchor: $('#liste-comptes'),
    id: 'confirmation-exclusion',
    title: `Exclure le compte ${de(`${account.prenom} ${account.nom}`)} (${profileName(account.profile).toLowerCase()}) ?`,
    text: 'Le compte est inactivé immédiatement et toutes ses sessions sont fermées. Les gestionnaires de la structure reçoivent une notification d\'exclusion, conservée comme preuve.',
    confirmLabel: 'Confirmer l\'exclusion',
    extra,
    returnFocus: button,
    onConfirm: async (form) => {
      const reason = $('#x-motif').value;
      if (!reason) {
        showErrors(form, [{ field: 'x-motif', message: 'Choisissez le motif de l\'exclusion.' }]);
        return false;
      }
      const res = await api('POST', `${base}/accounts/${encodeURIComponent(account.id)}/exclude`, { reason });
      if (res.status === 200 && res.body) {
        await Promise.all([loadPartner(), loadAccounts(), loadNotices()]);
        const notified = (res.body.notice && res.body.notice.notified) || [];
        refreshJournal();
        success(messages, `Le compte ${de(`${account.prenom} ${account.nom}`)} est exclu (${exclusionLabel(reason).toLowerCase()}). Notification envoyée à : ${notified.join(', ') || 'personne'}.`);
        return true;
      }
      formErrors(form, res, { reason: 'x-motif' });
      return false;
    },
  });
}

// ------------------------------------------------------------------ notices, audit

async function loadNotices() {
  const res = await api('GET', `${base}/notices`);
  const zone = $('#liste-exclusions');
  zone.textContent = '';
  if (res.status !== 200 || !res.body) {
    zone.append(el('p', { class: 'alerte erreur', text: unexpected(res) }));
    return;
  }
  const items = res.body.items || [];
  zone.append(dataTable({
    id: 'table-exclusions',
    caption: 'Notifications d\'exclusion, de la plus récente à la plus ancienne',
    empty: 'Aucune exclusion notifiée.',
    rows: items,
    columns: [
      { label: 'Date', cell: (n) => timeEl(n.at, { withTime: true }) },
      { label: 'Compte exclu', cell: (n) => nameOf(n.user_id) },
      { label: 'Motif', cell: (n) => exclusionLabel(n.reason) },
      { label: 'Par', cell: (n) => nameOf(n.by) },
      { label: 'Notifiée à', cell: (n) => (n.notified || []).join(', ') },
    ],
  }));
}

async function loadAudit(cursor) {
  const q = cursor ? `?cursor=${encodeURIComponent(cursor)}` : '';
  const res = await api('GET', `${base}/audit${q}`);
  const zone = $('#liste-journal');
  zone.textContent = '';
  if (res.status !== 200 || !res.body) {
    zone.append(el('p', { class: 'alerte erreur', text: unexpected(res) }));
    return null;
  }
  zone.append(dataTable({
    id: 'table-journal',
    caption: 'Actions sur la structure et ses comptes, de la plus récente à la plus ancienne',
    empty: 'Aucune action enregistrée.',
    rows: res.body.items || [],
    columns: [
      { label: 'Date', cell: (e) => timeEl(e.at, { withTime: true }) },
      { label: 'Action', cell: (e) => auditLabel(e.action) },
      { label: 'Par', cell: (e) => e.actor },
      { label: 'Concerne', cell: targetOf },
    ],
  }));
  return res.body.next || null;
}

// ------------------------------------------------------------------ forms

function wireForms() {
  const formStructure = $('#form-structure');
  formStructure.addEventListener('submit', async (event) => {
    event.preventDefault();
    const errors = partnerErrors('e');
    if (errors.length) {
      showErrors(formStructure, errors);
      return;
    }
    const done = busy(formStructure);
    const res = await api('PUT', base, partnerValues('e'));
    done();
    if (res.status === 200 && res.body) {
      clearErrors(formStructure);
      partner = res.body;
      renderPartner();
      $('#bloc-structure').open = false;
      refreshJournal();
      success(messages, 'Les informations de la structure sont enregistrées.');
    } else {
      formErrors(formStructure, res, partnerFieldMap('e'), 'e-nom');
    }
  });

  const formConvention = $('#form-convention');
  formConvention.addEventListener('submit', async (event) => {
    event.preventDefault();
    const errors = conventionErrors('c');
    if (errors.length) {
      showErrors(formConvention, errors);
      return;
    }
    const done = busy(formConvention);
    const res = await api('PUT', `${base}/convention`, conventionValues('c'));
    done();
    if (res.status === 200) {
      clearErrors(formConvention);
      await loadPartner();
      $('#bloc-convention').open = false;
      refreshJournal();
      success(messages, 'La convention est enregistrée.');
    } else {
      formErrors(formConvention, res, { ...conventionFieldMap('c'), start: 'c-debut', end: 'c-fin' }, 'c-debut');
    }
  });

  const motif = $('#s-motif');
  motif.append(el('option', { value: '', text: 'Choisir le motif…' }));
  for (const [code, label] of SUSPENSION_REASONS) motif.append(el('option', { value: code, text: label }));
  const formSuspension = $('#form-suspension');
  formSuspension.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!motif.value) {
      showErrors(formSuspension, [{ field: 's-motif', message: 'Choisissez le motif de la suspension.' }]);
      return;
    }
    clearErrors(formSuspension);
    const reason = motif.value;
    confirmStep({
      anchor: formSuspension,
      id: 'confirmation-suspension',
      title: `Suspendre l'accès ${deOrg(partner.name)} ?`,
      text: `Motif : ${suspensionLabel(reason).toLowerCase()}. Tous les comptes de la structure perdent l'accès immédiatement.`,
      confirmLabel: 'Confirmer la suspension',
      returnFocus: formSuspension.querySelector('button'),
      onConfirm: async (form) => {
        const res = await api('POST', `${base}/suspend`, { reason });
        if (res.status === 200 && res.body) {
          partner = res.body;
          renderPartner();
          motif.value = '';
          refreshJournal();
          success(messages, `L'accès ${deOrg(partner.name)} est suspendu.`);
          return true;
        }
        formErrors(form, res, {});
        return false;
      },
    });
  });

  const formRetablir = $('#form-retablir');
  formRetablir.addEventListener('submit', async (event) => {
    event.preventDefault();
    const done = busy(formRetablir);
    const res = await api('POST', `${base}/reinstate`, {});
    done();
    if (res.status === 200 && res.body) {
      clearErrors(formRetablir);
      partner = res.body;
      renderPartner();
      refreshJournal();
      success(messages, `L'accès ${deOrg(partner.name)} est rétabli.`);
    } else {
      formErrors(formRetablir, res, {});
    }
  });

  const formRevue = $('#form-revue');
  formRevue.addEventListener('submit', async (event) => {
    event.preventDefault();
    const done = busy(formRevue);
    const res = await api('POST', `${base}/reviews`, {});
    done();
    if (res.status === 201) {
      clearErrors(formRevue);
      await loadPartner();
      refreshJournal();
      success(messages, 'La revue des habilitations est demandée : les gestionnaires actifs de la structure ont été prévenus par courriel.');
    } else {
      formErrors(formRevue, res, {});
    }
  });

  $('#champs-habilitation').append(personBlock('hab', { domains: partner.allowed_domains }));
  const formHab = $('#form-habilitation');
  formHab.addEventListener('submit', async (event) => {
    event.preventDefault();
    const errors = personErrors('hab');
    if (errors.length) {
      showErrors(formHab, errors);
      return;
    }
    const done = busy(formHab);
    const res = await api('POST', `${base}/habilitations`, readPerson('hab'));
    done();
    if (res.status === 201 && res.body) {
      clearErrors(formHab);
      formHab.reset();
      refreshJournal();
      success(
        messages,
        `La demande d'habilitation ${de(personName(res.body))} est enregistrée : à traiter au plus tard le ${jour(res.body.due_on)}.`,
        el('p', {}, el('a', { href: '/habilitations', text: 'Traiter les demandes d\'habilitation' })),
      );
    } else {
      formErrors(formHab, res, personFields('hab'), 'hab-nom');
    }
  });
}

async function start() {
  me = await startPage({ profiles: ['agent'], crumbs: [['Partenaires', '/partenaires']] });
  if (!me) return;
  const res = await loadPartner();
  if (res.status !== 200) {
    showFatal(res.status === 404 ? 'Cette structure est introuvable, ou elle n\'est pas conventionnée avec votre caisse.' : unexpected(res));
    return;
  }
  const ag = await api('GET', `/api/caisses/${encodeURIComponent(me.organisation.id)}/agents`);
  agents = ag.status === 200 && ag.body ? ag.body.items || [] : [];
  await loadAccounts();
  await loadNotices();
  journal = pager($('#pagination-journal'), loadAudit, 'Pages du journal des actions');
  await journal.show();
  fillEditForms();
  wireForms();
  pageReady();
  const flash = takeFlash();
  if (flash) success(messages, flash);
}

start();
