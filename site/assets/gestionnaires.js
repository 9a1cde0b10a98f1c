// /structure/gestionnaires (gestionnaire): what the structure asks its caisse about
// gestionnaires (§2.2): a new gestionnaire (POST /api/partners/{id}/habilitations), a
// change of a gestionnaire's data (POST …/modifications: only the changed fields are
// sent), an inactivation at least 15 days ahead with the successor who takes over the
// techniciens (POST …/inactivations). `?modifier=<id>` opens the change form for that
// gestionnaire (from « Mon profil »).
import { $, api, busy, clearErrors, de, el, pageReady, showErrors, showFatal, unexpected } from './app.js';
import {
  badge, emailEl, dataTable, formErrors, isoDay, jour, personBlock, personErrors, personFields, personName, queryParam,
  readPerson, selectField, startPage, statusLabel, success, textField,
} from './gestion.js';

const messages = $('#messages');
const MOD_FIELDS = [['nom', 'Nom'], ['prenom', 'Prénom'], ['fonction', 'Fonction'], ['telephone', 'Téléphone'], ['email', 'Adresse électronique']];
let me;
let partner;
let base;
let accounts = [];
let caisses = [];

const gestionnaires = () => accounts.filter((a) => a.profile === 'gestionnaire' && a.status !== 'inactive');

/** The caisse select when the structure has conventions with several caisses. */
function caisseSelect(prefix) {
  if (caisses.length < 2) return null;
  return selectField(`${prefix}-caisse`, 'Caisse destinataire', null, caisses.map((c) => [c.caisse_id, c.caisse_name]), { name: 'caisse_id' });
}

function withCaisse(prefix, body) {
  const select = document.getElementById(`${prefix}-caisse`);
  if (select && select.value) body.caisse_id = select.value;
  return body;
}

function caisseErrors(prefix) {
  const select = document.getElementById(`${prefix}-caisse`);
  return select && !select.value ? [{ field: `${prefix}-caisse`, message: 'Choisissez la caisse à laquelle adresser la demande.' }] : [];
}

async function loadAccounts() {
  const res = await api('GET', `${base}/accounts`);
  if (res.status !== 200 || !res.body) {
    showFatal(unexpected(res));
    return false;
  }
  accounts = res.body.items || [];
  const g = res.body.gestionnaires || {};
  $('#quota-gestionnaires').textContent = `${g.used} gestionnaire${g.used > 1 ? 's' : ''} sur ${g.max} possibles pour votre structure.`;
  const zone = $('#liste-gestionnaires');
  zone.textContent = '';
  zone.append(dataTable({
    id: 'table-gestionnaires',
    caption: 'Comptes gestionnaires de votre structure',
    rows: accounts.filter((a) => a.profile === 'gestionnaire'),
    columns: [
      { label: 'Nom', cell: (a) => `${a.prenom} ${a.nom}` },
      { label: 'Fonction', cell: (a) => a.fonction },
      { label: 'Téléphone', cell: (a) => a.telephone },
      { label: 'Adresse électronique', cell: (a) => emailEl(a.email) },
      { label: 'Statut', cell: (a) => badge(statusLabel(a.status), a.status) },
    ],
  }));
  return true;
}

// ------------------------------------------------------------------ habilitation

function wireHabilitation() {
  const form = $('#form-habilitation');
  const zone = $('#champs-habilitation');
  const select = caisseSelect('hab');
  if (select) zone.append(select);
  zone.append(personBlock('hab', { domains: partner.allowed_domains }));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const errors = [...caisseErrors('hab'), ...personErrors('hab')];
    if (errors.length) {
      showErrors(form, errors);
      return;
    }
    const done = busy(form);
    const res = await api('POST', `${base}/habilitations`, withCaisse('hab', readPerson('hab')));
    done();
    if (res.status === 201 && res.body) {
      clearErrors(form);
      form.reset();
      success(messages, `La demande d'habilitation ${de(personName(res.body))} est envoyée à la caisse, qui la traitera au plus tard le ${jour(res.body.due_on)}.`);
    } else {
      formErrors(form, res, { ...personFields('hab'), caisse_id: 'hab-caisse' }, 'hab-nom');
    }
  });
}

// ------------------------------------------------------------------ modification

function fillModification() {
  const who = accounts.find((a) => a.id === $('#modif-gestionnaire').value);
  for (const [k] of MOD_FIELDS) document.getElementById(`modif-${k}`).value = who ? who[k] || '' : '';
}

function wireModification() {
  const form = $('#form-modification');
  const zone = $('#champs-modification');
  const select = caisseSelect('modif');
  if (select) zone.append(select);
  zone.append(selectField('modif-gestionnaire', 'Gestionnaire concerné', null,
    gestionnaires().map((a) => [a.id, `${a.prenom} ${a.nom}${a.id === me.id ? ' (vous)' : ''}`]), { name: 'user_id' }));
  for (const [k, label] of MOD_FIELDS) {
    zone.append(textField(`modif-${k}`, label, k === 'email' ? `Adresse professionnelle de la structure (domaine ${(partner.allowed_domains || []).join(' ou ')}).` : null, {
      name: k, type: k === 'email' ? 'email' : k === 'telephone' ? 'tel' : 'text', autocomplete: 'off',
    }));
  }
  $('#modif-gestionnaire').addEventListener('change', fillModification);
  const asked = queryParam('modifier');
  if (asked && gestionnaires().some((a) => a.id === asked)) {
    $('#modif-gestionnaire').value = asked;
    fillModification();
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const who = accounts.find((a) => a.id === $('#modif-gestionnaire').value);
    const errors = caisseErrors('modif');
    if (!who) errors.push({ field: 'modif-gestionnaire', message: 'Choisissez le gestionnaire dont les informations sont à modifier.' });
    const body = { user_id: who ? who.id : '' };
    if (who) {
      for (const [k] of MOD_FIELDS) {
        const v = document.getElementById(`modif-${k}`).value.trim();
        if (v && v !== (who[k] || '')) body[k] = v;
      }
      if (Object.keys(body).length === 1) errors.push({ field: 'modif-nom', message: 'Modifiez au moins une information (nom, prénom, fonction, téléphone ou adresse électronique).' });
    }
    if (errors.length) {
      showErrors(form, errors);
      return;
    }
    const done = busy(form);
    const res = await api('POST', `${base}/modifications`, withCaisse('modif', body));
    done();
    if (res.status === 201) {
      clearErrors(form);
      const changed = MOD_FIELDS.filter(([k]) => body[k]).map(([, l]) => l.toLowerCase()).join(', ');
      success(messages, `La demande de modification pour ${who.prenom} ${who.nom} (${changed}) est envoyée à la caisse, qui l'appliquera.`);
    } else {
      formErrors(form, res, {
        user_id: 'modif-gestionnaire', nom: 'modif-nom', prenom: 'modif-prenom', fonction: 'modif-fonction', telephone: 'modif-telephone', email: 'modif-email', caisse_id: 'modif-caisse',
      }, 'modif-nom');
    }
  });
}

// ------------------------------------------------------------------ inactivation

const activeGestionnaires = () => accounts.filter((a) => a.profile === 'gestionnaire' && a.status === 'active');
// Who may be inactivated: a gestionnaire who leaves another active one behind (the
// successor must be active; an account not activated yet may go).
const inactivable = () => gestionnaires().filter((g) => activeGestionnaires().some((a) => a.id !== g.id));

// Only what the rules allow: the successor is another active gestionnaire, never the
// person being inactivated; nothing to choose before the gestionnaire is chosen.
function fillSuccessors() {
  const target = $('#inact-gestionnaire').value;
  const select = $('#inact-successeur');
  const keep = select.value;
  select.textContent = '';
  if (!target) {
    select.append(el('option', { value: '', text: 'Choisissez d\'abord le gestionnaire à inactiver' }));
    select.disabled = true;
    return;
  }
  select.disabled = false;
  const others = activeGestionnaires().filter((x) => x.id !== target);
  if (others.length !== 1) select.append(el('option', { value: '', text: 'Un autre gestionnaire actif (choix automatique)' }));
  for (const a of others) select.append(el('option', { value: a.id, text: `${a.prenom} ${a.nom}${a.id === me.id ? ' (vous)' : ''}` }));
  select.value = [...select.options].some((o) => o.value === keep) ? keep : select.options[0].value;
}

// With a single active gestionnaire nobody can be inactivated: the form says so and
// the way forward instead of refusing after the user filled it.
function inactivationPossible(form) {
  if (inactivable().length) return true;
  const only = activeGestionnaires()[0];
  form.before(el('div', { class: 'alerte', id: 'inactivation-impossible' },
    el('p', {},
      el('strong', { text: only ? `${only.prenom} ${only.nom}${only.id === me.id ? ' (vous)' : ''} est le seul gestionnaire actif de la structure` : 'La structure n\'a pas de gestionnaire actif' }),
      ' : le dernier gestionnaire actif ne peut pas être inactivé. ',
      el('a', { href: '#titre-habilitation', text: 'Demandez d\'abord l\'habilitation d\'un nouveau gestionnaire' }),
      ' ; une fois son compte activé, vous pourrez signaler l\'inactivation ici.')));
  form.setAttribute('aria-describedby', 'inactivation-impossible');
  for (const control of form.elements) control.disabled = true;
  return false;
}

function wireInactivation() {
  const form = $('#form-inactivation');
  const zone = $('#champs-inactivation');
  const select = caisseSelect('inact');
  if (select) zone.append(select);
  zone.append(selectField('inact-gestionnaire', 'Gestionnaire à inactiver', null,
    inactivable().map((a) => [a.id, `${a.prenom} ${a.nom}${a.id === me.id ? ' (vous)' : ''}`]), { name: 'user_id' }));
  const earliest = isoDay(15);
  zone.append(textField('inact-date', 'Date d\'inactivation souhaitée', `Au moins 15 jours après aujourd'hui : le ${jour(earliest)} au plus tôt.`, { type: 'date', name: 'wanted_on', min: earliest }));
  zone.append(selectField('inact-successeur', 'Gestionnaire qui reprend ses techniciens', null, [], { name: 'successor_id', placeholder: null }));
  fillSuccessors();
  $('#inact-gestionnaire').addEventListener('change', fillSuccessors);
  if (!inactivationPossible(form)) return;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const userId = $('#inact-gestionnaire').value;
    const wanted = $('#inact-date').value;
    const errors = caisseErrors('inact');
    if (!userId) errors.push({ field: 'inact-gestionnaire', message: 'Choisissez le gestionnaire à inactiver.' });
    if (!wanted) errors.push({ field: 'inact-date', message: 'Indiquez la date d\'inactivation souhaitée (au moins 15 jours après aujourd\'hui).' });
    if (errors.length) {
      showErrors(form, errors);
      return;
    }
    const body = { user_id: userId, wanted_on: wanted };
    const successor = $('#inact-successeur').value;
    if (successor) body.successor_id = successor;
    const done = busy(form);
    const res = await api('POST', `${base}/inactivations`, withCaisse('inact', body));
    done();
    const who = accounts.find((a) => a.id === userId);
    if (res.status === 201 && res.body) {
      clearErrors(form);
      form.reset();
      fillSuccessors();
      success(messages, `L'inactivation du compte ${de(`${who.prenom} ${who.nom}`)} est programmée pour le ${jour(res.body.wanted_on)}. La caisse en est informée.`);
    } else if (res.status === 409 && res.body && res.body.code === 'account.last_gestionnaire') {
      showErrors(form, [{ field: 'inact-gestionnaire', message: res.body.detail }]);
    } else {
      formErrors(form, res, {
        user_id: 'inact-gestionnaire', wanted_on: 'inact-date', successor_id: 'inact-successeur', caisse_id: 'inact-caisse',
      }, 'inact-date');
    }
  });
}

async function start() {
  me = await startPage({ profiles: ['gestionnaire'], crumbs: [['Comptes de votre structure', '/structure/comptes'], ['Gestionnaires : demandes à la caisse', '/structure/gestionnaires']] });
  if (!me) return;
  base = `/api/partners/${encodeURIComponent(me.organisation.id)}`;
  const p = await api('GET', base);
  if (p.status !== 200 || !p.body) {
    showFatal(unexpected(p));
    return;
  }
  partner = p.body;
  caisses = (partner.conventions || []).filter((c) => c.active);
  if (!(await loadAccounts())) return;
  wireHabilitation();
  wireModification();
  wireInactivation();
  pageReady();
  if (queryParam('modifier')) {
    $('#titre-modification').scrollIntoView();
    $('#titre-modification').focus();
  }
}

start();
