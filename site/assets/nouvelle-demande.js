// /demandes/nouvelle (technicien): a new request (issue 11). The caisse (only those with a
// convention in force, GET /api/requests/options), then one of the kinds that caisse
// enabled (labels of the catalog), then that kind's form: the assuré (civilité, nom,
// prénom, date de naissance, département) and the kind's fields. The server checks the
// fields as the user types (POST /api/requests/check, debounced: the page never repeats
// its rules) and each message is shown under its field; the submit (POST /api/requests)
// shows the RGAA error summary, or goes to the request page with its reference.
// A gestionnaire or a suspended structure is told why it cannot submit, with a way out.
import {
  $, api, busy, el, go, notice, pageReady, problemErrors, setFlash, showErrors, showFatal, unexpected,
} from './app.js';
import { startPage } from './gestion.js';
import {
  DEPARTEMENTS, FREE_TEXT_HINT, announcer, liveChecker, requestHref,
} from './demandes-commun.js';

const zone = $('#zone-formulaire');
const messages = $('#messages');
let options;
let form;
let checker;

/** The kinds of the catalog, by code. */
function catalogKind(code) {
  return (options.catalog.kinds || []).find((k) => k.code === code) || null;
}

/** The kinds `caisse` enabled that can be requested (catalog order). */
function kindsOf(caisse) {
  const enabled = new Set(caisse.functionalities || []);
  return (options.catalog.kinds || []).filter((k) => enabled.has(k.code));
}

function chosen(name) {
  const input = form.querySelector(`input[name="${name}"]:checked`);
  return input ? input.value : '';
}

function value(id) {
  const input = document.getElementById(id);
  return input ? input.value : '';
}

// ------------------------------------------------------------------ fields

function hintFor(id, text) {
  return el('span', { class: 'aide', id: `${id}-aide`, text });
}

function textInput(id, label, hint, attrs = {}) {
  const lab = el('label', { for: id }, label);
  const input = el('input', { type: 'text', id, autocomplete: 'off', spellcheck: 'false', ...attrs });
  if (hint) {
    lab.append(' ', hintFor(id, hint));
    input.setAttribute('aria-describedby', `${id}-aide`);
  }
  return el('div', { class: 'champ' }, lab, input);
}

function selectInput(id, label, hint, choices, attrs = {}) {
  const lab = el('label', { for: id }, label);
  const select = el('select', { id, ...attrs });
  select.append(el('option', { value: '', text: 'Choisir…' }));
  for (const [v, text] of choices) select.append(el('option', { value: v, text }));
  if (hint) {
    lab.append(' ', hintFor(id, hint));
    select.setAttribute('aria-describedby', `${id}-aide`);
  }
  return el('div', { class: 'champ' }, lab, select);
}

function textArea(id, label, hint, max, attrs = {}) {
  const lab = el('label', { for: id }, label, ' ', hintFor(id, hint));
  const area = el('textarea', { id, rows: '6', maxlength: String(max), 'aria-describedby': `${id}-aide`, spellcheck: 'true', ...attrs });
  return el('div', { class: 'champ' }, lab, area);
}

/** A group of radio buttons (fieldset + legend); ids `${prefix}-${code}`. */
function radioGroup(groupId, name, legend, choices, { hint = null, checked = '' } = {}) {
  const set = el('fieldset', { class: 'groupe choix', id: groupId });
  set.append(el('legend', { text: legend }));
  if (hint) {
    set.append(el('p', { class: 'aide', id: `${groupId}-aide`, text: hint }));
    set.setAttribute('aria-describedby', `${groupId}-aide`);
  }
  for (const [code, label] of choices) {
    const id = `${groupId}-${code}`;
    const input = el('input', { type: 'radio', id, name, value: code });
    if (code === checked) input.checked = true;
    set.append(el('div', { class: 'case' }, input, el('label', { for: id, text: label })));
  }
  return set;
}

/** API field path → input id, for the messages of the server (live or submit). */
function fieldMap() {
  const first = (name) => {
    const input = form.querySelector(`input[name="${name}"]`);
    return input ? input.id : undefined;
  };
  const map = {
    caisse_id: first('caisse_id'),
    type: first('type'),
    sous_type: 'd-sous-type',
    'assure.civilite': 'd-civilite',
    'assure.nom': 'd-nom',
    'assure.prenom': 'd-prenom',
    'assure.date_naissance': 'd-naissance',
    'assure.departement': 'd-departement',
    message: 'd-message',
    mode: first('mode'),
    disponibilites: 'd-disponibilites',
  };
  for (const k of Object.keys(map)) if (!map[k]) delete map[k];
  return map;
}

// ------------------------------------------------------------------ body

/** The request as typed so far: only the fields filled in (the server reports the rest at submit). */
function collect() {
  const body = {};
  const caisse = chosen('caisse_id');
  const type = chosen('type');
  if (caisse) body.caisse_id = caisse;
  if (type) body.type = type;
  if (!type) return body;
  const put = (obj, key, v) => {
    if (v && v.trim()) obj[key] = key === 'message' || key === 'disponibilites' ? v : v.trim();
  };
  put(body, 'sous_type', value('d-sous-type'));
  const assure = {};
  put(assure, 'civilite', value('d-civilite'));
  put(assure, 'nom', value('d-nom'));
  put(assure, 'prenom', value('d-prenom'));
  put(assure, 'date_naissance', value('d-naissance'));
  put(assure, 'departement', value('d-departement'));
  if (Object.keys(assure).length) body.assure = assure;
  put(body, 'message', value('d-message'));
  if (type === 'rendez_vous') {
    put(body, 'mode', chosen('mode'));
    put(body, 'disponibilites', value('d-disponibilites'));
  }
  return body;
}

async function check(body) {
  const res = await api('POST', '/api/requests/check', body);
  if (res.status !== 200 || !res.body) return null;
  return res.body.errors || {};
}

// ------------------------------------------------------------------ form

/** The assuré's identity: never the NIR (§5). */
function assureBlock() {
  const set = el('fieldset', { class: 'groupe', id: 'groupe-assure' });
  set.append(el('legend', { text: 'Personne concernée (l\'assuré)' }));
  set.append(el('p', { class: 'aide', text: 'La caisse retrouve la personne avec ces cinq informations : le numéro de sécurité sociale n\'est jamais demandé.' }));
  const civilites = (options.catalog.civilites || []).map((c) => [c.code, c.label]);
  const max = String((options.limits && options.limits.nom_max) || 100);
  set.append(
    selectInput('d-civilite', 'Civilité', null, civilites),
    textInput('d-nom', 'Nom', 'Nom de naissance ou d\'usage, tel que la caisse le connaît.', { maxlength: max }),
    textInput('d-prenom', 'Prénom', null, { maxlength: max }),
  );
  const birthLab = el('label', { for: 'd-naissance' }, 'Date de naissance', ' ', hintFor('d-naissance', 'Par exemple : 12/04/1961.'));
  const birth = el('input', { type: 'date', id: 'd-naissance', autocomplete: 'off', 'aria-describedby': 'd-naissance-aide', class: 'date' });
  set.append(el('div', { class: 'champ' }, birthLab, birth));
  set.append(selectInput('d-departement', 'Département de résidence', 'Corse : 2A ou 2B ; outre-mer : 971 à 976.',
    DEPARTEMENTS.map(([code, name]) => [code, `${code} – ${name}`])));
  return set;
}

/** The fields of `kind` (catalog entry). */
function kindBlock(kind, previous) {
  const set = el('fieldset', { class: 'groupe', id: 'groupe-demande' });
  set.append(el('legend', { text: `Votre demande : ${kind.label}` }));
  const limits = options.limits || {};
  if (kind.sous_types && kind.sous_types.length) {
    set.append(selectInput('d-sous-type', kind.sous_type_label || 'Objet', null, kind.sous_types.map((s) => [s.code, s.label])));
  }
  if (kind.code === 'document') {
    const label = options.partner && options.partner.delivery_label;
    set.append(el('div', { class: 'alerte info', id: 'mode-remise' },
      el('p', {}, el('strong', { text: 'Comment le document arrivera : ' }), label || 'selon la catégorie de votre structure.')));
  }
  if (kind.code === 'rendez_vous') {
    const modes = (options.catalog.modes || []).map((m) => [m.code, m.label]);
    set.append(radioGroup('d-mode', 'mode', 'Mode de rendez-vous souhaité', modes, { checked: previous.mode }));
    set.append(textArea('d-disponibilites', 'Disponibilités de la personne',
      `Jours et horaires possibles, par exemple : le mardi matin ou le jeudi après 14 h (${limits.disponibilites_max || 500} caractères au plus).`,
      limits.disponibilites_max || 500, { rows: '3', class: 'court' }));
  }
  const messageMax = limits.message_max || 2000;
  set.append(textArea('d-message', kind.code === 'rendez_vous' ? 'Motif du rendez-vous' : 'Message',
    `Ce que la caisse doit savoir, sans plus (${messageMax} caractères au plus). ${FREE_TEXT_HINT}`, messageMax));
  return set;
}

function previousValues() {
  return {
    sous_type: value('d-sous-type'),
    message: value('d-message'),
    mode: form ? chosen('mode') : '',
    disponibilites: value('d-disponibilites'),
  };
}

/** Shows the kinds of the chosen caisse (keeping the chosen kind when it is still offered). */
function renderKinds() {
  const holder = $('#zone-types');
  const caisseId = chosen('caisse_id');
  const keep = chosen('type');
  holder.textContent = '';
  const caisse = options.caisses.find((c) => c.id === caisseId);
  if (!caisse) {
    holder.append(el('p', { class: 'aide', id: 'types-attente', text: 'Choisissez d\'abord la caisse : les types de demande proposés sont ceux qu\'elle a activés.' }));
    renderKind();
    return;
  }
  const kinds = kindsOf(caisse);
  if (!kinds.length) {
    holder.append(el('p', { class: 'vide', text: `${caisse.name} n'a activé aucun type de demande pour votre structure : choisissez une autre caisse, ou contactez-la par ses moyens habituels.` }));
    renderKind();
    return;
  }
  const checked = kinds.some((k) => k.code === keep) ? keep : (kinds.length === 1 ? kinds[0].code : '');
  holder.append(radioGroup('type', 'type', 'Type de demande', kinds.map((k) => [k.code, k.label]), {
    hint: `Les types de demande que ${caisse.name} a activés pour votre structure.`,
    checked,
  }));
  renderKind();
}

/** Shows the fields of the chosen kind (the assuré's fields are kept as typed). */
function renderKind() {
  const type = chosen('type');
  const block = $('#bloc-demande');
  const holder = $('#zone-champs-type');
  const previous = previousValues();
  holder.textContent = '';
  block.hidden = !type;
  if (!type) return;
  const kind = catalogKind(type);
  if (!kind) return;
  holder.append(kindBlock(kind, previous));
  const sous = document.getElementById('d-sous-type');
  if (sous && [...sous.options].some((o) => o.value === previous.sous_type)) sous.value = previous.sous_type;
  document.getElementById('d-message').value = previous.message;
  const dispo = document.getElementById('d-disponibilites');
  if (dispo) dispo.value = previous.disponibilites;
}

function buildForm() {
  form = el('form', { id: 'form-demande', method: 'post', action: '/demandes/nouvelle', novalidate: true });
  form.append(el('div', { class: 'alerte avertissement', id: 'consigne-nir' },
    el('h2', { text: 'Ni numéro de sécurité sociale, ni information de santé' }),
    el('p', { text: 'Ne saisissez jamais le numéro de sécurité sociale (NIR) de la personne, ni aucune information sur sa santé (maladie, traitement, handicap, hospitalisation…), dans aucun champ. Le formulaire les refuse et vous dit quoi retirer.' })));
  form.append(el('p', { class: 'aide', text: 'Tous les champs sont obligatoires.' }));

  const caisses = options.caisses.map((c) => [c.id, c.name]);
  form.append(radioGroup('caisse', 'caisse_id', 'Caisse destinataire', caisses, {
    hint: caisses.length > 1 ? 'Les caisses avec lesquelles votre structure a une convention en vigueur.' : 'La caisse avec laquelle votre structure a une convention en vigueur.',
    checked: caisses.length === 1 ? caisses[0][0] : '',
  }));
  form.append(el('div', { id: 'zone-types' }));
  const block = el('div', { id: 'bloc-demande', hidden: true });
  block.append(assureBlock(), el('div', { id: 'zone-champs-type' }));
  block.append(el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'bouton', text: 'Envoyer la demande' })));
  form.append(block);
  const live = announcer('annonce-verification');
  zone.append(form, live);

  checker = liveChecker({ form, collect, check, fields: fieldMap, announcer: live });

  form.addEventListener('change', (event) => {
    const t = event.target;
    if (t.name === 'caisse_id') renderKinds();
    else if (t.name === 'type') renderKind();
    checker.schedule();
  });
  form.addEventListener('input', (event) => {
    if (event.target.matches('input[type=text], textarea')) checker.schedule();
  });
  form.addEventListener('submit', submit);
  renderKinds();
}

async function submit(event) {
  event.preventDefault();
  checker.cancel();
  const body = collect();
  const done = busy(form);
  const res = await api('POST', '/api/requests', body);
  done();
  if (res.status === 201 && res.body && res.body.id) {
    const r = res.body;
    setFlash(`Votre demande est envoyée à ${r.caisse_name}. Sa référence est ${r.reference} : notez-la, elle permet d'en parler avec la caisse, par exemple au téléphone.`);
    await go(requestHref(r.id));
    return;
  }
  if (res.status === 422 || res.status === 400 || res.status === 409) {
    showErrors(form, problemErrors(res.body, fieldMap()), { below: true });
  } else {
    showErrors(form, [{ field: null, message: unexpected(res) }]);
  }
}

// ------------------------------------------------------------------ no form

/** A gestionnaire or a suspended structure: why, and where to go instead. */
function cannotSubmit(me) {
  const suspended = options.partner && options.partner.status === 'suspended';
  const links = el('ul', { class: 'liste-simple' });
  // A suspended structure sees nothing but the help page until the caisse restores its access.
  if (!suspended) {
    links.append(el('li', {}, el('a', { href: '/demandes', text: 'Consulter l\'historique des demandes de votre structure' })));
  }
  if (me.profile === 'gestionnaire' && !suspended) {
    links.append(el('li', {}, el('a', { href: '/structure/comptes', text: 'Créer un compte technicien (pour vous-même ou un collègue)' })));
  }
  links.append(el('li', {}, el('a', { href: '/aide', text: 'Contacter votre caisse (aide et contacts)' })));
  links.append(el('li', {}, el('a', { href: '/accueil', text: 'Retour à l\'accueil' })));
  notice(messages, {
    title: 'Vous ne pouvez pas envoyer de demande',
    text: options.cannot_submit_reason || 'Les demandes sont faites par les techniciens de votre structure.',
    id: 'alerte-envoi-impossible',
    focus: true,
  }, links);
}

function noCaisse() {
  notice(messages, {
    title: 'Aucune caisse ne reçoit de demande de votre structure',
    text: 'Votre structure n\'a aujourd\'hui aucune convention en vigueur : aucune demande ne peut être envoyée. Votre gestionnaire peut se renseigner auprès de la caisse.',
    id: 'alerte-sans-caisse',
    focus: true,
  }, el('ul', { class: 'liste-simple' },
    el('li', {}, el('a', { href: '/demandes', text: 'Consulter l\'historique des demandes' })),
    el('li', {}, el('a', { href: '/aide', text: 'Aide et contacts' })),
    el('li', {}, el('a', { href: '/accueil', text: 'Retour à l\'accueil' }))));
}

async function start() {
  const me = await startPage({
    profiles: ['technicien', 'gestionnaire'],
    crumbs: [['Historique des demandes', '/demandes'], ['Nouvelle demande', '/demandes/nouvelle']],
  });
  if (!me) return;
  const res = await api('GET', '/api/requests/options');
  if (res.status !== 200 || !res.body) {
    showFatal(unexpected(res));
    return;
  }
  options = res.body;
  options.caisses = options.caisses || [];
  options.catalog = options.catalog || { kinds: [] };
  pageReady();
  if (!options.can_submit) {
    cannotSubmit(me);
    return;
  }
  if (!options.caisses.length) {
    noCaisse();
    return;
  }
  buildForm();
}

start();
