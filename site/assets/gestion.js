// Espace Partenaires — shared module of the pages of partners, conventions and accounts
// (issue 5): French labels of the API's codes, dates (JJ/MM/AAAA), the page guard by
// profile, the breadcrumb, tables, person fields, the inline confirmation step, success
// messages and pagination. Builds DOM nodes with text only (strict CSP, no HTML from
// the server), on top of app.js (api(), the guard, the RGAA error pattern).

import {
  $, api, el, notice, pageReady, problemErrors, requireSession, showErrors, showFatal, unexpected,
} from './app.js';

// ------------------------------------------------------------------ labels

/** Partner categories (SPEC §2), in the convention's order, with the page's labels. */
export const CATEGORIES = Object.freeze([
  ['ccas', 'Centre communal d\'action sociale (CCAS)'],
  ['tutelle', 'Organisme de tutelle'],
  ['ase', 'Aide sociale à l\'enfance'],
  ['depositaire', 'Organisme dépositaire'],
  ['autre', 'Autre structure'],
]);

/** The six functionalities (§1.2), with their exact labels. */
export const FUNCTIONALITIES = Object.freeze([
  ['contact', 'Contacter votre organisme d\'assurance Maladie'],
  ['dossier', 'Soumettre une demande d\'étude de dossier'],
  ['signalement', 'Signaler une situation de difficultés d\'accès aux droits et aux soins'],
  ['rendez_vous', 'Demander un rendez-vous pour un assuré'],
  ['document', 'Demander un document'],
  ['historique', 'Consulter l\'historique des demandes'],
]);

export const SUSPENSION_REASONS = Object.freeze([
  ['fraude', 'Utilisation frauduleuse'],
  ['non_conforme', 'Utilisation non conforme à la convention'],
  ['autre', 'Autre motif'],
]);

export const EXCLUSION_REASONS = Object.freeze([
  ['perte', 'Perte des identifiants'],
  ['vol', 'Vol des identifiants'],
  ['fraude', 'Utilisation frauduleuse'],
  ['non_conforme', 'Utilisation non conforme à la convention ou aux CGU'],
]);

const ACCOUNT_STATUS = { pending: 'En attente d\'activation', active: 'Actif', inactive: 'Inactif' };
const PROFILES = { admin: 'Administrateur', agent: 'Agent de caisse', gestionnaire: 'Gestionnaire', technicien: 'Technicien' };
const CONVENTION_STATES = { active: 'En vigueur', ended: 'Terminée', terminated: 'Résiliée' };
const INACTIVATION_REASONS = {
  manual: 'inactivation manuelle',
  scheduled: 'inactivation programmée',
  convention_end: 'fin de convention',
  exclusion_perte: 'exclusion : perte des identifiants',
  exclusion_vol: 'exclusion : vol des identifiants',
  exclusion_fraude: 'exclusion : utilisation frauduleuse',
  exclusion_non_conforme: 'exclusion : utilisation non conforme',
};

const AUDIT_ACTIONS = {
  'auth.login.success': 'Connexion',
  'auth.login.failure': 'Échec de connexion',
  'auth.lock': 'Connexion suspendue après des échecs',
  'auth.logout': 'Déconnexion',
  'auth.password.set': 'Mot de passe créé',
  'auth.password.changed': 'Mot de passe changé',
  'auth.password.reset_requested': 'Lien de réinitialisation demandé',
  'auth.password.reset': 'Mot de passe réinitialisé',
  'auth.cgu.accepted': 'Conditions d\'utilisation acceptées',
  'partner.created': 'Structure créée',
  'partner.updated': 'Informations de la structure modifiées',
  'partner.suspended': 'Accès de la structure suspendu',
  'partner.reinstated': 'Accès de la structure rétabli',
  'convention.updated': 'Convention modifiée',
  'convention.ended': 'Convention terminée',
  'account.created': 'Compte créé',
  'account.updated': 'Compte modifié',
  'account.inactivated': 'Compte inactivé',
  'account.excluded': 'Compte exclu',
  'account.reattached': 'Techniciens rattachés à un autre gestionnaire',
  'account.purged': 'Compte supprimé',
  'account.password_reminder': 'Rappel d\'expiration du mot de passe',
  'habilitation.received': 'Demande d\'habilitation reçue',
  'habilitation.approved': 'Demande d\'habilitation acceptée',
  'habilitation.rejected': 'Demande d\'habilitation refusée',
  'habilitation.overdue_alerted': 'Demande d\'habilitation en retard signalée',
  'modification.requested': 'Demande de modification reçue',
  'modification.applied': 'Modification appliquée',
  'modification.rejected': 'Demande de modification refusée',
  'inactivation.scheduled': 'Inactivation programmée',
  'inactivation.applied': 'Inactivation appliquée',
  'inactivation.rejected': 'Demande d\'inactivation refusée',
  'inactivation.closed': 'Demande d\'inactivation close',
  'review.requested': 'Revue des habilitations demandée',
  'review.exported': 'Tableau des habilitations exporté',
  'review.confirmed': 'Revue des habilitations confirmée',
};

function labelOf(list, code) {
  const found = list.find(([c]) => c === code);
  return found ? found[1] : code;
}

export const categoryLabel = (code) => labelOf(CATEGORIES, code);
export const suspensionLabel = (code) => labelOf(SUSPENSION_REASONS, code);
export const exclusionLabel = (code) => labelOf(EXCLUSION_REASONS, code);
export const statusLabel = (code) => ACCOUNT_STATUS[code] || code;
export const profileName = (code) => PROFILES[code] || code;
export const conventionStateLabel = (code) => CONVENTION_STATES[code] || code;
export const auditLabel = (code) => AUDIT_ACTIONS[code] || code;

export function inactivationLabel(code) {
  return INACTIVATION_REASONS[code] || (code ? code.replace(/_/g, ' ') : '');
}

/** « 3 techniciens sur 5 » (quota use, SPEC §3). */
export function quotaText({ used = 0, max = 0 } = {}, noun) {
  return `${used} ${noun}${used > 1 ? 's' : ''} sur ${max}`;
}

/** « Mme Prénom Nom » from an account or a request. */
export function personName(p) {
  if (!p) return '';
  const civ = p.civilite === 'madame' ? 'Mme' : p.civilite === 'monsieur' ? 'M.' : '';
  return [civ, p.prenom, p.nom].filter(Boolean).join(' ');
}

// ------------------------------------------------------------------ dates

const dayFormat = new Intl.DateTimeFormat('fr-FR', {
  day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'Europe/Paris',
});
const timeFormat = new Intl.DateTimeFormat('fr-FR', {
  hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Paris',
});

/** JJ/MM/AAAA of a civil date (`2026-12-03`) or of a timestamp (Paris time); '' if none. */
export function jour(value) {
  if (!value) return '';
  const civil = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (civil) return `${civil[3]}/${civil[2]}/${civil[1]}`;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '' : dayFormat.format(d);
}

/** « JJ/MM/AAAA à HH:MM » of a timestamp (Paris time). */
export function jourHeure(value) {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '' : `${dayFormat.format(d)} à ${timeFormat.format(d)}`;
}

/** A <time> element showing JJ/MM/AAAA (with the machine date), or `fallback`. */
export function timeEl(value, { withTime = false, fallback = '—' } = {}) {
  if (!value) return document.createTextNode(fallback);
  if (!withTime) return el('time', { datetime: value, text: jour(value) });
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return document.createTextNode(fallback);
  return el('time', { datetime: value, class: 'avec-heure' },
    el('span', { text: dayFormat.format(d) }), ' à ', el('span', { text: timeFormat.format(d) }));
}

/** Today's civil date in Paris (AAAA-MM-JJ), plus `days`. */
export function isoDay(days = 0) {
  const parts = new Intl.DateTimeFormat('en-CA', {
    year: 'numeric', month: '2-digit', day: '2-digit', timeZone: 'Europe/Paris',
  }).format(new Date());
  const [y, m, d] = parts.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d + days));
  return date.toISOString().slice(0, 10);
}

/** Whole days since a timestamp (password age). */
export function daysSince(value) {
  if (!value) return null;
  const t = new Date(value).getTime();
  if (Number.isNaN(t)) return null;
  return Math.max(0, Math.floor((Date.now() - t) / 86400000));
}

// ------------------------------------------------------------------ page frame

/**
 * The guard of these pages: a session (app.js) and one of `profiles`. Fills the
 * breadcrumb (`crumbs`: [label, href] pairs, the last one is the current page). For
 * another profile the page says it is not for them, with the way home; resolves to null.
 */
export async function startPage({ profiles, crumbs = [] }) {
  const me = await requireSession();
  breadcrumb(crumbs);
  if (profiles && !profiles.includes(me.profile)) {
    pageReady();
    const content = $('#page-contenu');
    if (content) content.hidden = true;
    notice($('main'), {
      kind: 'erreur',
      title: 'Page non disponible pour votre compte',
      text: 'Cette page est réservée à d\'autres profils que le vôtre.',
      focus: true,
      id: 'alerte-profil',
    }, el('p', {}, el('a', { href: '/accueil', text: 'Retour à l\'accueil' })));
    return null;
  }
  return me;
}

/** « Accueil › … › page » in `nav#ariane` (the last item is the current page). */
export function breadcrumb(crumbs) {
  const nav = $('#ariane');
  if (!nav) return;
  nav.textContent = '';
  const all = [['Accueil', '/accueil'], ...crumbs];
  const list = el('ol');
  all.forEach(([label, href], i) => {
    const last = i === all.length - 1;
    list.append(el('li', {}, last
      ? el('a', { href: href || window.location.pathname + window.location.search, 'aria-current': 'page', text: label })
      : el('a', { href, text: label })));
  });
  nav.append(list);
}

/** The id in the query string (`?id=…`), or null. */
export function queryParam(name) {
  return new URLSearchParams(window.location.search).get(name);
}

// ------------------------------------------------------------------ messages

/** A success message (role="status"), focused so that it is read and seen. */
export function success(container, text, ...extra) {
  return notice(container, { kind: 'succes', text, focus: true, id: 'statut-action' }, ...extra);
}

/** An error box (role="alert") for a failed action that is not about a form's fields. */
export function failure(container, title, res) {
  return notice(container, { kind: 'erreur', title, text: unexpected(res), focus: true, id: 'statut-action' });
}

/**
 * Shows the answer of a form's call the RGAA way: 422 fields next to their inputs (via
 * `fields`: API name → input id), other 4xx (409 quota, conflict…) in the summary.
 */
export function formErrors(form, res, fields, fallbackField = null) {
  if (res.status === 422 || res.status === 409 || res.status === 400) {
    const errs = problemErrors(res.body, fields, res.status === 422 ? fallbackField : null);
    showErrors(form, errs);
  } else {
    showErrors(form, [{ field: null, message: unexpected(res) }]);
  }
}

// ------------------------------------------------------------------ tables

/**
 * A data table. On a wide screen, a table in a keyboard-scrollable region; below 40rem
 * (style.css) each row becomes a card of « label : value » lines, so that a phone reads a
 * whole row without scrolling sideways. The table keeps its semantics in both layouts
 * (explicit roles: CSS `display` would otherwise drop them), and the labels shown in
 * cards are hidden from assistive technologies, which announce the column headers.
 * columns: [{ label, cell(row) → Node|string, className, header }]: the first column heads
 * its row unless `header: false`; `header: true` makes another one do so.
 */
export function dataTable({ id, caption, columns, rows, empty = 'Aucun élément.' }) {
  const captionId = `${id}-titre`;
  const wrap = el('div', { class: 'defilement', role: 'region', tabindex: '0', 'aria-labelledby': captionId });
  if (!rows.length) {
    return el('p', { class: 'vide', id, text: empty });
  }
  const table = el('table', { id, class: 'en-cartes', role: 'table' });
  table.append(el('caption', { id: captionId, text: caption }));
  const head = el('tr', { role: 'row' });
  for (const c of columns) head.append(el('th', { scope: 'col', role: 'columnheader', text: c.label }));
  table.append(el('thead', { role: 'rowgroup' }, head));
  const body = el('tbody', { role: 'rowgroup' });
  for (const row of rows) {
    const tr = el('tr', { role: 'row' });
    columns.forEach((c, i) => {
      const value = c.cell(row);
      const isHeader = c.header === true || (i === 0 && c.header !== false);
      const cell = el(isHeader ? 'th' : 'td', isHeader ? { scope: 'row', role: 'rowheader' } : { role: 'cell' });
      if (c.className) cell.className = c.className;
      const content = el('span', { class: 'valeur' });
      if (value instanceof Node) content.append(value);
      else content.textContent = value === undefined || value === null || value === '' ? '—' : String(value);
      cell.append(el('span', { class: 'etiquette', 'aria-hidden': 'true', text: c.label }), content);
      tr.append(cell);
    });
    body.append(tr);
  }
  table.append(body);
  wrap.append(table);
  return wrap;
}

/** A definition list from [term, value] pairs (value: string or Node). */
export function details(pairs, className = 'compte') {
  const dl = el('dl', { class: className });
  for (const [term, value] of pairs) {
    dl.append(el('dt', { text: term }));
    const dd = el('dd');
    if (value instanceof Node) dd.append(value);
    else dd.textContent = value === undefined || value === null || value === '' ? '—' : String(value);
    dl.append(dd);
  }
  return dl;
}

/** An e-mail address that may wrap after « @ » and before dots (narrow table cells). */
export function emailEl(email) {
  const span = el('span', { class: 'courriel' });
  if (!email) return document.createTextNode('—');
  String(email).split(/(?=[.@])/).forEach((part, i) => {
    if (i) span.append(el('wbr'));
    span.append(part);
  });
  return span;
}

/** A status badge (text, never colour only). */
export function badge(text, kind = '') {
  return el('span', { class: `badge${kind ? ` ${kind}` : ''}`, text });
}

// ------------------------------------------------------------------ person fields

/** API field → input id of a person block. */
export function personFields(prefix) {
  return {
    civilite: `${prefix}-civilite`,
    nom: `${prefix}-nom`,
    prenom: `${prefix}-prenom`,
    fonction: `${prefix}-fonction`,
    telephone: `${prefix}-telephone`,
    email: `${prefix}-email`,
  };
}

function field(id, label, hint, input) {
  const lab = el('label', { for: id }, label);
  if (hint) lab.append(' ', el('span', { class: 'aide', id: `${id}-aide`, text: hint }));
  input.id = id;
  return el('div', { class: 'champ' }, lab, input);
}

/** A text input (attributes: name, autocomplete, type, …). */
export function textField(id, label, hint, attrs = {}) {
  return field(id, label, hint, el('input', { type: 'text', spellcheck: 'false', ...attrs }));
}

export function selectField(id, label, hint, options, { placeholder = 'Choisir…', name, value } = {}) {
  const select = el('select', { name });
  if (placeholder !== null) select.append(el('option', { value: '', text: placeholder }));
  for (const [v, text] of options) select.append(el('option', { value: v, text }));
  if (value !== undefined) select.value = value;
  return field(id, label, hint, select);
}

/**
 * The fields of a person (civilité, nom, prénom, fonction, téléphone, e-mail), as on the
 * convention's habilitation form. `domains`: the structure's allowed domains (hint).
 */
// The examples of « Fonction » follow who the account is for.
const FONCTION_EXAMPLES = {
  partenaire: 'Par exemple : travailleuse sociale, conseiller en insertion.',
  caisse: 'Par exemple : conseillère offre de service, chargé des relations partenaires.',
};

export function personBlock(prefix, { phoneRequired = true, domains = null, values = {}, audience = 'partenaire' } = {}) {
  const ids = personFields(prefix);
  const frag = document.createDocumentFragment();
  frag.append(
    selectField(ids.civilite, 'Civilité', null, [['madame', 'Madame'], ['monsieur', 'Monsieur']], { name: 'civilite', value: values.civilite || '' }),
    textField(ids.nom, 'Nom', null, { name: 'nom', autocomplete: 'off', maxlength: '100', value: values.nom || '' }),
    textField(ids.prenom, 'Prénom', null, { name: 'prenom', autocomplete: 'off', maxlength: '100', value: values.prenom || '' }),
    textField(ids.fonction, 'Fonction', FONCTION_EXAMPLES[audience], { name: 'fonction', autocomplete: 'off', maxlength: '100', spellcheck: 'true', value: values.fonction || '' }),
    textField(ids.telephone, phoneRequired ? 'Téléphone' : 'Téléphone (facultatif)', 'Numéro français, par exemple 04 72 00 00 00.', { type: 'tel', name: 'telephone', autocomplete: 'off', value: values.telephone || '' }),
    textField(ids.email, 'Adresse électronique', domains && domains.length
      ? `Adresse professionnelle de la structure (domaine ${domains.join(' ou ')}) : les messageries personnelles sont refusées.`
      : 'Le courriel de création du compte, avec l\'identifiant, est envoyé à cette adresse.', { type: 'email', name: 'email', autocomplete: 'off', value: values.email || '' }),
  );
  return frag;
}

/** The values of a person block (trimmed; telephone omitted when empty). */
export function readPerson(prefix) {
  const ids = personFields(prefix);
  const out = {};
  for (const [k, id] of Object.entries(ids)) {
    const v = (document.getElementById(id).value || '').trim();
    if (v || k !== 'telephone') out[k] = v;
  }
  return out;
}

/** Client-side checks of a person block (presence only; the server checks the rest). */
export function personErrors(prefix, { phoneRequired = true } = {}) {
  const ids = personFields(prefix);
  const v = readPerson(prefix);
  const errors = [];
  if (!v.civilite) errors.push({ field: ids.civilite, message: 'Choisissez la civilité.' });
  if (!v.nom) errors.push({ field: ids.nom, message: 'Saisissez le nom.' });
  if (!v.prenom) errors.push({ field: ids.prenom, message: 'Saisissez le prénom.' });
  if (!v.fonction) errors.push({ field: ids.fonction, message: 'Saisissez la fonction.' });
  if (phoneRequired && !v.telephone) errors.push({ field: ids.telephone, message: 'Saisissez le numéro de téléphone (par exemple 04 72 00 00 00).' });
  if (!v.email) errors.push({ field: ids.email, message: 'Saisissez l\'adresse électronique.' });
  else if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v.email)) errors.push({ field: ids.email, message: 'Saisissez une adresse électronique complète, par exemple prenom.nom@structure.fr.' });
  return errors;
}

// ------------------------------------------------------------------ confirmation step

/**
 * An inline confirmation step placed after `anchor` (a row's button): a short text, an
 * optional extra field, « confirm » and « Annuler ». Focus goes to the step, and back to
 * `returnFocus` when cancelled. `onConfirm(panel)` returns true when done.
 */
export function confirmStep({ anchor, id, title, text, confirmLabel, extra = null, onConfirm, returnFocus }) {
  const old = document.getElementById(id);
  if (old) old.remove();
  const headingId = `${id}-titre`;
  const panel = el('div', { class: 'confirmation', id, role: 'group', 'aria-labelledby': headingId, tabindex: '-1' });
  panel.append(el('h3', { id: headingId, text: title }));
  if (text) panel.append(el('p', { text }));
  const form = el('form', { id: `${id}-form`, novalidate: true, method: 'post', action: window.location.pathname });
  if (extra) form.append(extra);
  const confirm = el('button', { type: 'submit', class: 'bouton danger', text: confirmLabel });
  const cancel = el('button', { type: 'button', class: 'bouton secondaire', text: 'Annuler' });
  form.append(el('div', { class: 'actions' }, confirm, cancel));
  panel.append(form);
  cancel.addEventListener('click', () => {
    panel.remove();
    if (returnFocus && document.contains(returnFocus)) returnFocus.focus();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    confirm.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      const done = await onConfirm(form);
      if (done) panel.remove();
    } finally {
      confirm.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
  anchor.after(panel);
  panel.focus();
  return panel;
}

/** Maps problem errors onto a form (helper for confirmation forms). */
export function showProblem(form, res, fields = {}, fallback = null) {
  showErrors(form, problemErrors(res.body, fields, fallback));
}

// ------------------------------------------------------------------ pagination

/**
 * « Page précédente / Page suivante » over opaque cursors. `load(cursor)` renders a page
 * and resolves to the next cursor (or null).
 */
export function pager(container, load, label) {
  const stack = [null];
  let page = 0;
  let next = null;
  const nav = el('nav', { class: 'pagination', 'aria-label': label });
  const prev = el('button', { type: 'button', class: 'bouton secondaire', text: 'Page précédente' });
  const after = el('button', { type: 'button', class: 'bouton secondaire', text: 'Page suivante' });
  const where = el('p', { class: 'meta', 'aria-live': 'polite' });
  nav.append(prev, where, after);
  container.append(nav);
  async function show(p) {
    next = await load(stack[p]);
    page = p;
    if (next && stack.length === p + 1) stack.push(next);
    prev.hidden = page === 0;
    after.hidden = !next;
    nav.hidden = page === 0 && !next;
    where.textContent = nav.hidden ? '' : `Page ${page + 1}`;
  }
  prev.addEventListener('click', () => show(page - 1));
  after.addEventListener('click', () => show(page + 1));
  return { show: () => show(0), reload: () => show(page) };
}


// ------------------------------------------------------------------ request queues

/**
 * A caisse queue page (habilitations, modifications, inactivations): the state's tab,
 * one page at a time over the API's cursor (« Page suivante »), drawn by
 * `render(zone, items, state)`. Resolves to the pager (`reload()` after an action).
 */
export async function queuePage({ url, states, titles, crumbs, label, render }) {
  const me = await startPage({ profiles: ['agent'], crumbs });
  if (!me) return null;
  const state = tabs(states, states[0]);
  $('#titre-liste').textContent = titles[state];
  const load = async (cursor) => {
    const params = new URLSearchParams({ state });
    if (cursor) params.set('cursor', cursor);
    const res = await api('GET', `${url}?${params}`);
    if (res.status !== 200 || !res.body) {
      showFatal(unexpected(res));
      return null;
    }
    const zone = $('#liste-demandes');
    zone.textContent = '';
    render(zone, res.body.items || [], state);
    return res.body.next || null;
  };
  const pages = pager($('#pagination-demandes'), load, label);
  await pages.show();
  pageReady();
  return pages;
}

/**
 * The « Refuser » step of a queue card: a reason (required, sent to the structure),
 * POST `url` with it, then `onDone()` (reload and say so) or the server's message
 * next to the field.
 */
export function rejectOnClick({ r, actions, button, url, title, text, onDone }) {
  button.addEventListener('click', () => {
    const field = `refus-${r.id}-motif`;
    confirmStep({
      anchor: actions,
      id: `refus-${r.id}`,
      title,
      text,
      confirmLabel: 'Confirmer le refus',
      extra: reasonField(field),
      returnFocus: button,
      onConfirm: async (form) => {
        const reason = document.getElementById(field).value.trim();
        if (!reason) {
          showErrors(form, [{ field, message: 'Indiquez le motif du refus : il est communiqué à la structure.' }]);
          return false;
        }
        const res = await api('POST', url, { reason });
        if (res.status === 200) {
          await onDone();
          return true;
        }
        formErrors(form, res, { reason: field }, field);
        return false;
      },
    });
  });
}

/**
 * Draws a queue page: the open state as cards (`card(r, info)`) after a count
 * (`summary(items)`), decided states as a table (`columns(state)` over `{ r, info }`).
 */
export function queueRender({ open, summary, card, titles, columns }) {
  return (zone, items, state) => {
    const infos = items.map(queueInfo);
    if (state === open) {
      zone.append(el('p', { class: 'meta', text: summary(items) }));
      const list = el('div', { class: 'demandes' });
      items.forEach((r, i) => list.append(card(r, infos[i])));
      zone.append(list);
      return;
    }
    zone.append(dataTable({
      id: 'table-demandes',
      caption: titles[state],
      empty: 'Aucune demande.',
      rows: items.map((r, i) => ({ r, info: infos[i] })),
      columns: columns(state),
    }));
  };
}

/** The structure and the accounts a queue item names, as the API sent them with it. */
export function queueInfo(r) {
  return { name: r.partner_name || 'Structure', accounts: r.people || [] };
}

/** « <name> » of the account `id` among those an item names, or ''. */
export function nameIn(info, id) {
  const a = info.accounts.find((x) => x.id === id);
  return a ? personName(a) : '';
}

/** Marks the current tab (`data-etat`) of `nav.onglets`; returns the state asked for. */
export function tabs(states, fallback) {
  const asked = queryParam('etat');
  const state = states.includes(asked) ? asked : fallback;
  for (const a of document.querySelectorAll('nav.onglets a[data-etat]')) {
    if (a.dataset.etat === state) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  return state;
}

/** The reason of a refusal (free text checked by the server: no health data, no NIR). */
export function reasonField(id, label = 'Motif du refus') {
  const input = el('textarea', { id, name: 'reason', rows: '3', maxlength: '500', class: 'court' });
  return el('div', { class: 'champ' },
    el('label', { for: id }, label, ' ', el('span', {
      class: 'aide',
      id: `${id}-aide`,
      text: 'Il est communiqué à la structure (500 caractères au plus). N\'y mettez ni donnée de santé ni numéro de sécurité sociale.',
    })),
    input);
}

/**
 * A request of a queue: heading, flags (badges), details, actions (buttons). Returns
 * { card, actions, zone } — `zone` receives the card's own messages.
 */
export function requestCard({ id, title, flags = [], pairs, className = '' }) {
  const headingId = `${id}-titre`;
  const card = el('article', { class: `carte demande${className ? ` ${className}` : ''}`, id, 'aria-labelledby': headingId });
  const heading = el('h3', { id: headingId }, title);
  for (const f of flags) heading.append(' ', f);
  card.append(heading, details(pairs));
  const zone = el('div', { class: 'messages-demande' });
  const actions = el('div', { class: 'actions' });
  card.append(zone, actions);
  return { card, actions, zone };
}

// ------------------------------------------------------------------ lists

/** Splits the allowed domains typed one per line or comma separated. */
export function splitDomains(text) {
  return text
    .split(/[\n,;\s]+/)
    .map((d) => d.trim())
    .filter(Boolean);
}

export { unexpected };
