// Espace Partenaires — shared module of the request pages (issue 11): the labels the
// pages need when the API's catalog is not at hand (caisse agents), the list of
// départements, a request as a card of « label : valeur » pairs (history and queue),
// filter fields read from and written to the address bar, and the live check of a
// form's fields (the server's messages shown under each field as the user types).
// Text only, never HTML from the server (strict CSP).

import { el, clearFieldError, setFieldError } from './app.js';
import { badge, personName, timeEl } from './gestion.js';

// ------------------------------------------------------------------ labels

/**
 * The five kinds of request (§1.2, the functionalities except « historique »), named as
 * a request once made, whoever reads it: the convention's labels are the partner's menu
 * and speak to the partner (« Contacter votre organisme… »), not to the caisse's agents.
 */
export const KINDS = Object.freeze([
  ['contact', 'Demande de contact'],
  ['dossier', 'Demande d\'étude de dossier'],
  ['signalement', 'Signalement de difficultés d\'accès aux droits ou aux soins'],
  ['rendez_vous', 'Demande de rendez-vous'],
  ['document', 'Demande de document'],
]);

/** States of a request (SPEC §4), in their order. */
export const STATES = Object.freeze([
  ['submitted', 'Envoyée'],
  ['in_progress', 'En cours de traitement'],
  ['info_requested', 'Complément demandé'],
  ['answered', 'Répondue'],
  ['closed', 'Clôturée'],
]);

/** What the `sous_type` of each kind is (the catalog's `sous_type_label`, for agents). */
const SOUS_TYPE_HEADINGS = Object.freeze({
  contact: 'Objet',
  dossier: 'Étude demandée',
  signalement: 'Difficulté',
  document: 'Document',
});

export function kindLabel(code) {
  const found = KINDS.find(([c]) => c === code);
  return found ? found[1] : code;
}

export function stateLabel(code) {
  const found = STATES.find(([c]) => c === code);
  return found ? found[1] : code;
}

export function sousTypeHeading(kind) {
  return SOUS_TYPE_HEADINGS[kind] || 'Précision';
}

/** The state as a badge (text, never colour only). */
export function stateBadge(r) {
  return badge(r.state_label || stateLabel(r.state), `etat-${r.state}`);
}

/** Départements of residence (2A/2B for Corsica, 971 to 976 overseas). */
export const DEPARTEMENTS = Object.freeze([
  ['01', 'Ain'], ['02', 'Aisne'], ['03', 'Allier'], ['04', 'Alpes-de-Haute-Provence'], ['05', 'Hautes-Alpes'],
  ['06', 'Alpes-Maritimes'], ['07', 'Ardèche'], ['08', 'Ardennes'], ['09', 'Ariège'], ['10', 'Aube'],
  ['11', 'Aude'], ['12', 'Aveyron'], ['13', 'Bouches-du-Rhône'], ['14', 'Calvados'], ['15', 'Cantal'],
  ['16', 'Charente'], ['17', 'Charente-Maritime'], ['18', 'Cher'], ['19', 'Corrèze'], ['2A', 'Corse-du-Sud'],
  ['2B', 'Haute-Corse'], ['21', 'Côte-d\'Or'], ['22', 'Côtes-d\'Armor'], ['23', 'Creuse'], ['24', 'Dordogne'],
  ['25', 'Doubs'], ['26', 'Drôme'], ['27', 'Eure'], ['28', 'Eure-et-Loir'], ['29', 'Finistère'],
  ['30', 'Gard'], ['31', 'Haute-Garonne'], ['32', 'Gers'], ['33', 'Gironde'], ['34', 'Hérault'],
  ['35', 'Ille-et-Vilaine'], ['36', 'Indre'], ['37', 'Indre-et-Loire'], ['38', 'Isère'], ['39', 'Jura'],
  ['40', 'Landes'], ['41', 'Loir-et-Cher'], ['42', 'Loire'], ['43', 'Haute-Loire'], ['44', 'Loire-Atlantique'],
  ['45', 'Loiret'], ['46', 'Lot'], ['47', 'Lot-et-Garonne'], ['48', 'Lozère'], ['49', 'Maine-et-Loire'],
  ['50', 'Manche'], ['51', 'Marne'], ['52', 'Haute-Marne'], ['53', 'Mayenne'], ['54', 'Meurthe-et-Moselle'],
  ['55', 'Meuse'], ['56', 'Morbihan'], ['57', 'Moselle'], ['58', 'Nièvre'], ['59', 'Nord'],
  ['60', 'Oise'], ['61', 'Orne'], ['62', 'Pas-de-Calais'], ['63', 'Puy-de-Dôme'], ['64', 'Pyrénées-Atlantiques'],
  ['65', 'Hautes-Pyrénées'], ['66', 'Pyrénées-Orientales'], ['67', 'Bas-Rhin'], ['68', 'Haut-Rhin'], ['69', 'Rhône'],
  ['70', 'Haute-Saône'], ['71', 'Saône-et-Loire'], ['72', 'Sarthe'], ['73', 'Savoie'], ['74', 'Haute-Savoie'],
  ['75', 'Paris'], ['76', 'Seine-Maritime'], ['77', 'Seine-et-Marne'], ['78', 'Yvelines'], ['79', 'Deux-Sèvres'],
  ['80', 'Somme'], ['81', 'Tarn'], ['82', 'Tarn-et-Garonne'], ['83', 'Var'], ['84', 'Vaucluse'],
  ['85', 'Vendée'], ['86', 'Vienne'], ['87', 'Haute-Vienne'], ['88', 'Vosges'], ['89', 'Yonne'],
  ['90', 'Territoire de Belfort'], ['91', 'Essonne'], ['92', 'Hauts-de-Seine'], ['93', 'Seine-Saint-Denis'],
  ['94', 'Val-de-Marne'], ['95', 'Val-d\'Oise'],
  ['971', 'Guadeloupe'], ['972', 'Martinique'], ['973', 'Guyane'], ['974', 'La Réunion'],
  ['975', 'Saint-Pierre-et-Miquelon'], ['976', 'Mayotte'],
]);

export function departementLabel(code) {
  const found = DEPARTEMENTS.find(([c]) => c === code);
  return found ? `${found[0]} – ${found[1]}` : (code || '');
}

/** « Mme Éloïse Dupont-Lefèvre » of a request's assuré. */
export function assureName(r) {
  return personName(r && r.assure);
}

/** The page of a request. */
export function requestHref(id) {
  return `/demandes/demande?id=${encodeURIComponent(id)}`;
}

/** The sentence every free-text field repeats (§5). */
export const FREE_TEXT_HINT = 'N\'écrivez ni le numéro de sécurité sociale (NIR) de la personne, ni aucune information sur sa santé (maladie, traitement, handicap, hospitalisation…).';

// ------------------------------------------------------------------ lists

/**
 * A request as a card (`li > article`) of label : value pairs, readable at any width:
 * its heading links to the request page. `side`: 'partner' (history) or 'caisse' (queue).
 */
export function requestItem(r, side) {
  const headingId = `demande-${r.id}-titre`;
  const article = el('article', { class: 'demande-ligne', 'aria-labelledby': headingId });
  const heading = el('h3', { id: headingId },
    el('a', { href: requestHref(r.id), text: `Demande ${r.reference}` }), ' ', stateBadge(r));
  const pairs = [
    ['Type', kindLabel(r.type)],
    ['Personne concernée', assureName(r) || '—'],
  ];
  if (side === 'caisse') pairs.push(['Structure', r.partner_name]);
  else pairs.push(['Caisse', r.caisse_name]);
  pairs.push(['Envoyée le', timeEl(r.created_at)]);
  pairs.push(['Mise à jour le', timeEl(r.updated_at)]);
  if (side === 'caisse') pairs.push(['Agent en charge', r.assigned_to_name || 'Non attribuée']);
  else pairs.push(['Envoyée par', r.submitted_by_name || '—']);
  const dl = el('dl', { class: 'paires' });
  for (const [term, value] of pairs) {
    const dd = el('dd');
    if (value instanceof Node) dd.append(value);
    else dd.textContent = value === undefined || value === null || value === '' ? '—' : String(value);
    dl.append(el('div', {}, el('dt', { text: term }), dd));
  }
  article.append(heading, dl);
  return el('li', {}, article);
}

/**
 * The list of request cards, or the empty-state paragraph. A filtered page may be short,
 * even empty, and still have a next page (the server reads a bounded number of rows per
 * page): then the page says to go on.
 */
export function requestList(items, side, empty, more = false) {
  if (!items.length && more) {
    return el('p', { class: 'vide', id: 'liste-vide', text: 'Aucune demande correspondante sur cette page : la recherche continue à la page suivante.' });
  }
  if (!items.length) return empty;
  const list = el('ol', { class: 'liste-demandes', id: 'liste-demandes-items' });
  for (const r of items) list.append(requestItem(r, side));
  return list;
}

// ------------------------------------------------------------------ filters

/** A filter field (label + select/input) for the filter grid. */
export function filterField(id, label, input, hint = null, className = '') {
  input.id = id;
  const lab = el('label', { for: id }, label);
  if (hint) {
    lab.append(' ', el('span', { class: 'aide', id: `${id}-aide`, text: hint }));
    input.setAttribute('aria-describedby', `${id}-aide`);
  }
  return el('div', { class: `champ${className ? ` ${className}` : ''}` }, lab, input);
}

export function filterSelect(id, name, label, options, value, all = 'Tous') {
  const select = el('select', { name });
  select.append(el('option', { value: '', text: all }));
  for (const [v, text] of options) select.append(el('option', { value: v, text }));
  select.value = options.some(([v]) => v === value) ? value : '';
  return filterField(id, label, select);
}

/** The query string's parameters (the filters of a list page). */
export function queryParams() {
  return new URLSearchParams(window.location.search);
}

/** A sentence describing how many requests a page shows. */
export function countText(n, more, filtered) {
  if (!n && more) return 'Aucune demande sur cette page ; voyez la page suivante.';
  if (!n) return filtered ? 'Aucune demande ne correspond à ces filtres.' : '';
  return `${n} demande${n > 1 ? 's' : ''} sur cette page${more ? ' (page suivante disponible)' : ''}.`;
}


// ------------------------------------------------------------------ live checks

/**
 * Live checks of a form against the server (never a copy of its rules): `collect()`
 * gives the body to check (only what the user has filled in), `check(body)` calls the
 * API and resolves to its `errors` map (field path → message) or null when it could not
 * check; `fields` maps a field path to an input id (a function, the map may change).
 * Each message is shown under its field; a polite live region reads what changed.
 */
export function liveChecker({ form, collect, check, fields, delay = 500, announcer }) {
  let timer = null;
  let seq = 0;
  const shown = new Map(); // input id → message

  /** The dotted paths of the fields present in a body (`assure.nom`, `message`…). */
  function paths(body, prefix = '') {
    const out = new Set();
    for (const [k, v] of Object.entries(body || {})) {
      if (v && typeof v === 'object' && !Array.isArray(v)) for (const p of paths(v, `${prefix}${k}.`)) out.add(p);
      else out.add(`${prefix}${k}`);
    }
    return out;
  }

  // A field checked and valid loses its message; a field left empty loses the message of
  // a live check (it was about what had been typed) but keeps the one of a submit attempt
  // (« Saisissez le nom. »), until the user fills it in.
  function apply(errors, checked) {
    const map = fields();
    const announce = [];
    for (const [path, id] of Object.entries(map)) {
      const input = document.getElementById(id);
      if (!input) continue;
      const message = errors && errors[path] !== undefined ? String(errors[path]) : null;
      if (message) {
        if (shown.get(id) === message) continue;
        setFieldError(form, input, message, { below: true });
        shown.set(id, message);
        announce.push(message);
      } else if (checked.has(path) || shown.has(id)) {
        if (input.getAttribute('aria-invalid') === 'true') clearFieldError(input);
        shown.delete(id);
      }
    }
    if (announcer && announce.length) {
      announcer.textContent = '';
      // A new node, so that screen readers read it even if the text is the same as before.
      announcer.append(el('span', { text: announce.join(' ') }));
    }
  }

  async function run() {
    timer = null;
    const mine = ++seq;
    const body = collect();
    const errors = await check(body);
    if (mine !== seq || errors === null) return;
    apply(errors, paths(body));
  }

  return {
    /** Called on each input: checks once the user pauses. */
    schedule() {
      if (timer) clearTimeout(timer);
      timer = setTimeout(run, delay);
    },
    /** Checks now (leaving a field). */
    now() {
      if (timer) clearTimeout(timer);
      return run();
    },
    /** Stops pending checks (the form is being submitted); forgets what is shown. */
    cancel() {
      if (timer) clearTimeout(timer);
      timer = null;
      seq += 1;
      shown.clear();
    },
  };
}

/** A visually hidden polite live region for the messages of live checks. */
export function announcer(id) {
  return el('div', { class: 'visuellement-cache', id, 'aria-live': 'polite', 'aria-atomic': 'true' });
}

