// Espace Partenaires — shared browser module of every page.
//
// - `api()`: same-origin JSON calls to /api (problem+json errors are returned, not thrown);
// - `requireSession()`: the guard of signed-in pages (GET /api/me, required actions in order);
// - the RGAA error pattern: a summary at the top of the form (role="alert", focused,
//   links to the fields) and a message next to each field (aria-describedby, aria-invalid);
// - small helpers: safe `retour` paths, the link token of the URL fragment, dates, flash
//   messages carried to the next page.
//
// The pages run under a strict CSP (no inline script or style): everything here builds
// DOM nodes and sets text, never HTML from a server answer.

const SESSION_HINT = 'ep-session'; // localStorage: "a session was opened in this browser"
const RETOUR_KEY = 'ep-retour'; // sessionStorage: where to go once required actions are done
const FLASH_KEY = 'ep-flash'; // sessionStorage: a message to show on the next page
const IDENTIFIANT_KEY = 'ep-identifiant'; // sessionStorage: prefill of the sign-in form

/** Pages that handle each required action (SPEC §3, in the order the API gives them). */
export const ACTION_PAGES = Object.freeze({
  accept_cgu: '/cgu',
  change_password: '/mot-de-passe?expire=1',
  enrol_second_factor: '/double-authentification',
});

const REQUIRED_CODES = Object.freeze({
  'auth.cgu_required': ACTION_PAGES.accept_cgu,
  'auth.password_expired': ACTION_PAGES.change_password,
  'auth.second_factor_enrolment': ACTION_PAGES.enrol_second_factor,
});

/** Pages a `retour` parameter may never point to (sign-in pages themselves). */
const NOT_A_RETURN = ['/connexion', '/activation', '/reinitialisation', '/mot-de-passe-oublie'];

let sessionPage = false;
let redirecting = false;

/** A promise that never settles: used once the page is leaving, so callers stop there. */
function never() {
  return new Promise(() => {});
}

/** Leaves the page (replace: the page being left is not worth a history entry). */
export function go(url, { replace = false } = {}) {
  redirecting = true;
  if (replace) {
    window.location.replace(url);
  } else {
    window.location.assign(url);
  }
  return never();
}

/**
 * Calls the API. Returns `{ status, body, headers }`; `status` is 0 when the network failed.
 * A 403 asking for a required action (CGU, expired password) leaves for the page that
 * handles it; on a signed-in page, a 401 `auth.required` leaves for the sign-in page.
 */
export async function api(method, path, body) {
  const init = {
    method,
    credentials: 'same-origin',
    cache: 'no-store',
    headers: { Accept: 'application/json' },
  };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    return { status: 0, body: null, headers: new Headers() };
  }
  let data = null;
  const type = res.headers.get('content-type') || '';
  if (type.includes('json')) {
    try {
      data = await res.json();
    } catch {
      data = null;
    }
  }
  if (res.status === 403 && data && REQUIRED_CODES[data.code]) {
    return go(REQUIRED_CODES[data.code]);
  }
  if (res.status === 401 && sessionPage
    && (!data || data.code === 'auth.required' || data.code === 'auth.second_factor_required')) {
    return goToLogin();
  }
  if (res.status === 403 && sessionPage && data && data.code === 'partner.suspended') {
    showSuspended(data);
    return never();
  }
  if (res.status === 503 && sessionPage && data && data.code === 'maintenance.in_progress') {
    showMaintenance(data);
    return never();
  }
  return { status: res.status, body: data, headers: res.headers };
}

/**
 * 403 `partner.suspended` on a signed-in page: the whole structure's access is suspended
 * by the caisse (§4.1). The page says so in place of its content (no redirect, so no
 * loop), with the way out: the home page and signing out stay in the header.
 */
export function showSuspended(problem) {
  if (document.getElementById('alerte-suspension')) return;
  pageReady();
  const content = $('#page-contenu');
  if (content) content.hidden = true;
  document.title = 'Accès suspendu – Espace Partenaires';
  notice(
    $('main'),
    {
      kind: 'erreur',
      title: 'L’accès de votre structure est suspendu',
      text: (problem && problem.detail)
        || 'L’accès de votre structure à l’Espace Partenaires est suspendu par la caisse. Contactez votre caisse par ses moyens habituels.',
      focus: true,
      id: 'alerte-suspension',
    },
    el('p', { text: 'Les comptes de votre structure ne peuvent plus rien consulter ni envoyer tant que la caisse n’a pas rétabli l’accès. Vous pouvez vous déconnecter.' }),
  );
}

/** The sign-in page, coming back here afterwards. */
function goToLogin() {
  const params = new URLSearchParams();
  params.set('retour', window.location.pathname + window.location.search);
  let expected = false;
  try {
    expected = window.localStorage.getItem(SESSION_HINT) === '1';
    window.localStorage.removeItem(SESSION_HINT);
  } catch {
    expected = false;
  }
  if (expected) params.set('expire', '1');
  return go(`/connexion?${params}`, { replace: true });
}

/** Records that a session is open in this browser (to tell "expired" from "never signed in"). */
export function noteSignedIn() {
  try {
    window.localStorage.setItem(SESSION_HINT, '1');
  } catch {
    /* storage disabled: the notice about an expired session is simply not shown */
  }
}

export function noteSignedOut() {
  try {
    window.localStorage.removeItem(SESSION_HINT);
  } catch {
    /* ignore */
  }
}

/**
 * A same-site path to return to after sign-in, or null. Refuses other origins
 * (`//host`, `https://…`, back-slashes) and the sign-in pages themselves.
 */
export function safeReturn(value) {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) {
    return null;
  }
  let url;
  try {
    url = new URL(value, window.location.origin);
  } catch {
    return null;
  }
  if (url.origin !== window.location.origin) return null;
  if (NOT_A_RETURN.includes(url.pathname) || url.pathname.startsWith('/api/') || url.pathname.startsWith('/_')) {
    return null;
  }
  return url.pathname + url.search;
}

export function rememberReturn(value) {
  const safe = safeReturn(value);
  try {
    if (safe) window.sessionStorage.setItem(RETOUR_KEY, safe);
    else window.sessionStorage.removeItem(RETOUR_KEY);
  } catch {
    /* ignore */
  }
}

/** Where to go now: the page of the first required action, else the remembered return, else home. */
export function nextPage(me) {
  const first = me && Array.isArray(me.required_actions) ? me.required_actions[0] : undefined;
  if (first && ACTION_PAGES[first]) return ACTION_PAGES[first];
  let retour = null;
  try {
    retour = safeReturn(window.sessionStorage.getItem(RETOUR_KEY));
    window.sessionStorage.removeItem(RETOUR_KEY);
  } catch {
    retour = null;
  }
  return retour || '/accueil';
}

/** A message shown once, on the next page (see `showFlash`). */
export function setFlash(message) {
  try {
    window.sessionStorage.setItem(FLASH_KEY, message);
  } catch {
    /* ignore */
  }
}

export function takeFlash() {
  try {
    const m = window.sessionStorage.getItem(FLASH_KEY);
    window.sessionStorage.removeItem(FLASH_KEY);
    return m;
  } catch {
    return null;
  }
}

export function rememberIdentifiant(identifiant) {
  try {
    window.sessionStorage.setItem(IDENTIFIANT_KEY, identifiant);
  } catch {
    /* ignore */
  }
}

export function takeIdentifiant() {
  try {
    const v = window.sessionStorage.getItem(IDENTIFIANT_KEY);
    window.sessionStorage.removeItem(IDENTIFIANT_KEY);
    return v;
  } catch {
    return null;
  }
}

/**
 * Reads the link token of the URL fragment (`#jeton=…`) and removes it from the address
 * bar (and so from the history). The token is kept in this tab's sessionStorage so that
 * reloading the page still works; `forgetToken()` drops it once used.
 */
export function readToken(kind) {
  const key = `ep-jeton-${kind}`;
  const hash = window.location.hash.replace(/^#/, '');
  const fromHash = new URLSearchParams(hash).get('jeton');
  if (hash) {
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
  }
  try {
    if (fromHash) {
      window.sessionStorage.setItem(key, fromHash);
      return fromHash;
    }
    return window.sessionStorage.getItem(key);
  } catch {
    return fromHash;
  }
}

export function forgetToken(kind) {
  try {
    window.sessionStorage.removeItem(`ep-jeton-${kind}`);
  } catch {
    /* ignore */
  }
}

// ------------------------------------------------------------------ DOM helpers

/** `el('p', { class: 'x', text: 'y' }, child…)`: builds an element; text only, never HTML. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') node.textContent = v;
    else if (k === 'class') node.className = v;
    else if (v === true) node.setAttribute(k, '');
    else node.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

const dateFormat = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'Europe/Paris' });
const timeFormat = new Intl.DateTimeFormat('fr-FR', { timeStyle: 'short', timeZone: 'Europe/Paris' });

export function formatDate(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : dateFormat.format(d);
}

export function formatDateTime(iso) {
  const d = new Date(iso);
  // « 29 novembre 2026 à 07:33 », built from its two parts (ICU versions differ
  // on the joining word).
  return Number.isNaN(d.getTime()) ? '' : `${dateFormat.format(d)} à ${timeFormat.format(d)}`;
}

const number1 = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 });

/** A size in bytes as a person reads it: « 245 Ko », « 1,4 Mo », « 10 Mo ». */
export function formatSize(bytes) {
  const n = Number(bytes) || 0;
  if (n < 1024 * 1024) return `${Math.max(1, Math.round(n / 1024))} Ko`;
  return `${number1.format(n / (1024 * 1024))} Mo`;
}

/** Marks the page as ready (`aria-busy` off, loading message gone, content shown). */
export function pageReady() {
  const main = $('main');
  if (main) main.removeAttribute('aria-busy');
  const loading = $('#chargement');
  if (loading) loading.remove();
  const content = $('#page-contenu');
  if (content) content.hidden = false;
}

/**
 * An alert box (`.alerte`) at `where` (element, inserted as first child, or `{ before }`).
 * kind: 'erreur' | 'succes' | '' ; role 'alert' for errors, 'status' otherwise.
 */
export function notice(container, { kind = '', title, text, focus = false, id, role } = {}, ...extra) {
  const box = el('div', {
    class: `alerte${kind ? ` ${kind}` : ''}`,
    role: role || (kind === 'erreur' ? 'alert' : 'status'),
    tabindex: focus ? '-1' : undefined,
    id,
  });
  if (title) box.append(el('h2', { text: title }));
  if (text) box.append(el('p', { text }));
  for (const e of extra) box.append(e);
  if (id) {
    const old = document.getElementById(id);
    if (old) old.remove();
  }
  if (container instanceof Element) container.prepend(box);
  else if (container && container.before) container.before.before(box);
  if (focus) box.focus();
  return box;
}

/** Shows a fatal problem in place of the page content (e.g. the API is unreachable). */
export function showFatal(message) {
  const main = $('main');
  pageReady();
  const content = $('#page-contenu');
  if (content) content.hidden = true;
  notice(main, { kind: 'erreur', title: 'Une erreur est survenue', text: message, focus: true, id: 'erreur-generale' });
}

export const UNAVAILABLE =
  "Le service est momentanément indisponible. Réessayez dans quelques minutes ; si le problème persiste, contactez votre caisse.";

/** The French message of an unexpected answer (network error, 5xx, …). */
export function unexpected(res) {
  if (res && res.body && res.body.detail) return res.body.detail;
  return UNAVAILABLE;
}

// ------------------------------------------------------------------ French phrases

// Elision before a vowel or a mute h: « d'Amélie », « d'Hélène », « de Bruno ».
const ELIDES = /^[aeiouyàâäéèêëîïôöùûüœæh]/i;

/** « de » before a person's name, elided: `de('Amélie Martin')` → « d'Amélie Martin ». */
export function de(name) {
  return ELIDES.test(String(name || '')) ? `d'${name}` : `de ${name}`;
}

// The article a structure or caisse name takes, from its first word.
const MASCULINE = /^(ccas|cias|centre|service|conseil|département|pôle|foyer|groupement|syndicat|comité|secours)\b/i;
const FEMININE = /^(caisse|cpam|caf|msa|maison|mairie|ville|commune|mission|direction|fondation|permanence|communauté|métropole|croix)\b/i;
const ELIDED = /^(association|union|udaf|unaf|agence|ase|aide|office|établissement|entraide|institut)\b/i;

/**
 * « de » before an organisation's name, contracted with its article: « du CCAS de Lyon »,
 * « de la CPAM du Rhône », « de l'UDAF du Nord »; a name whose article is unknown is
 * treated as a proper name (« de Tutelles Conseil », « d'Emmaüs »).
 */
export function deOrg(name) {
  const n = String(name || '').trim();
  if (MASCULINE.test(n)) return `du ${n}`;
  if (FEMININE.test(n)) return `de la ${n}`;
  if (ELIDED.test(n)) return `de l'${n}`;
  return de(n);
}

// ------------------------------------------------------------------ RGAA error pattern

const baseTitle = document.title;

/** Removes the summary and every field message of `form`. */
export function clearErrors(form) {
  const summary = document.getElementById(`${form.id}-resume`);
  if (summary) summary.remove();
  for (const msg of form.querySelectorAll('.erreur-champ[data-auto]')) msg.remove();
  for (const wrap of form.querySelectorAll('.champ-erreur')) wrap.classList.remove('champ-erreur');
  for (const field of form.querySelectorAll('[aria-invalid]')) {
    field.removeAttribute('aria-invalid');
    const base = field.dataset.describedbyBase;
    if (base) field.setAttribute('aria-describedby', base);
    else field.removeAttribute('aria-describedby');
    delete field.dataset.describedbyBase;
  }
  document.title = baseTitle;
}

/** The group (fieldset) of a radio button, when it has a legend: its messages go after the legend. */
function radioGroup(input) {
  if (!input.matches('[type=radio]')) return null;
  const set = input.closest('fieldset');
  return set && set.querySelector('legend') ? set : null;
}

/** The inputs a message is about: the input, or every radio of its group. */
function describedInputs(input) {
  const group = radioGroup(input);
  return group ? [...group.querySelectorAll('input[type=radio]')] : [input];
}

/**
 * Puts `message` next to `input` (RGAA): a `.erreur-champ` paragraph (id `<input id>-erreur`)
 * right after the label, or — with `below` — right after the field itself (a message that
 * appears as the user types does not move the field being typed in); after the legend for a
 * group of radio buttons. The field is linked to it with aria-describedby (kept before its
 * other descriptions) and marked aria-invalid="true". `append`: adds to an existing message.
 */
export function setFieldError(form, input, message, { below = false, append = false } = {}) {
  const msgId = `${input.id}-erreur`;
  const label = form.querySelector(`label[for="${input.id}"]`);
  let msg = document.getElementById(msgId);
  if (msg && append) {
    msg.append(' ', message);
  } else {
    if (msg) msg.remove();
    msg = el('p', { class: 'erreur-champ', id: msgId, 'data-auto': true });
    msg.append(el('span', { class: 'visuellement-cache', text: 'Erreur : ' }), message);
    const group = radioGroup(input);
    if (group) group.querySelector('legend').after(msg);
    else if (below) input.after(msg);
    else if (label && !input.matches('[type=checkbox], [type=radio]')) label.after(msg);
    else (input.closest('.champ, .case') || input).before(msg);
  }
  const wrap = radioGroup(input) || input.closest('.champ, .case');
  if (wrap) wrap.classList.add('champ-erreur');
  for (const target of describedInputs(input)) {
    if (target.dataset.describedbyBase === undefined) {
      target.dataset.describedbyBase = target.getAttribute('aria-describedby') || '';
    }
    const base = target.dataset.describedbyBase;
    target.setAttribute('aria-describedby', base ? `${msgId} ${base}` : msgId);
    target.setAttribute('aria-invalid', 'true');
  }
  return msg;
}

/** Removes the message of `input` set by `setFieldError` (the field is valid again). */
export function clearFieldError(input) {
  const msg = document.getElementById(`${input.id}-erreur`);
  if (msg && msg.dataset.auto !== undefined) msg.remove();
  const wrap = radioGroup(input) || input.closest('.champ, .case');
  if (wrap) wrap.classList.remove('champ-erreur');
  for (const target of describedInputs(input)) {
    target.removeAttribute('aria-invalid');
    const base = target.dataset.describedbyBase;
    if (base) target.setAttribute('aria-describedby', base);
    else target.removeAttribute('aria-describedby');
    delete target.dataset.describedbyBase;
  }
}

/**
 * Shows errors the RGAA way. `errors`: [{ field: 'input-id' | null, message }].
 * A field message goes right after the field's label (after the field with `below`),
 * is linked to the field with aria-describedby (kept before the field's other
 * descriptions) and the field gets aria-invalid="true". The summary (role="alert",
 * heading « Le formulaire contient N erreur(s) », a link to each field) goes right
 * before the form and receives focus.
 */
export function showErrors(form, errors, { below = false } = {}) {
  clearErrors(form);
  if (!errors.length) return;
  const items = [];
  const seen = new Set();
  for (const { field, message } of errors) {
    const input = field ? document.getElementById(field) : null;
    if (input) {
      const label = form.querySelector(`label[for="${input.id}"]`);
      setFieldError(form, input, message, { below, append: seen.has(input.id) });
      seen.add(input.id);
      const link = el('a', { href: `#${input.id}`, text: message });
      link.addEventListener('click', (event) => {
        event.preventDefault();
        input.focus();
        (label || radioGroup(input) || input).scrollIntoView({ block: 'center' });
      });
      items.push(el('li', {}, link));
    } else {
      items.push(el('li', { text: message }));
    }
  }
  const n = errors.length;
  const headingId = `${form.id}-resume-titre`;
  const summary = el(
    'div',
    {
      class: 'alerte erreur resume-erreurs',
      id: `${form.id}-resume`,
      role: 'alert',
      tabindex: '-1',
      'aria-labelledby': headingId,
    },
    el('h2', { id: headingId, text: `Le formulaire contient ${n} erreur${n > 1 ? 's' : ''}` }),
    el('ul', {}, ...items),
  );
  form.before(summary);
  document.title = `Erreur${n > 1 ? 's' : ''} – ${baseTitle}`;
  summary.focus();
}

/**
 * The errors of a problem+json answer: `errors` (API field → message) mapped to input ids
 * with `fields`; otherwise `detail` on `fallbackField` (or the summary only).
 */
export function problemErrors(body, fields = {}, fallbackField = null) {
  const out = [];
  if (body && body.errors && typeof body.errors === 'object') {
    for (const [name, message] of Object.entries(body.errors)) {
      out.push({ field: fields[name] || null, message: String(message) });
    }
  }
  if (!out.length) {
    out.push({ field: fallbackField, message: (body && (body.detail || body.title)) || UNAVAILABLE });
  }
  return out;
}

/** Disables a form's submit button while a call runs; returns the function that restores it. */
export function busy(form) {
  const button = form.querySelector('button[type=submit], button:not([type])');
  if (!button) return () => {};
  button.disabled = true;
  form.setAttribute('aria-busy', 'true');
  return () => {
    button.disabled = false;
    form.removeAttribute('aria-busy');
  };
}

// ------------------------------------------------------------------ signed-in pages

const PROFILE_LABELS = Object.freeze({
  admin: 'administration de la plateforme',
  agent: 'agent de caisse',
  gestionnaire: 'gestionnaire',
  technicien: 'technicien',
});

export function profileLabel(profile) {
  return PROFILE_LABELS[profile] || profile;
}

export function fullName(me) {
  return [me.prenom, me.nom].filter(Boolean).join(' ');
}

/** Fills the header of a signed-in page: the user's name and the sign-out button. */
export function renderHeader(me) {
  const zone = $('#session');
  if (!zone) return;
  const name = $('#session-nom');
  if (name) {
    name.textContent = '';
    name.append(el('span', { class: 'visuellement-cache', text: 'Compte connecté : ' }), fullName(me));
  }
  const brand = $('.entete .marque');
  if (brand) brand.setAttribute('href', '/accueil');
  zone.hidden = false;
  showMaintenanceBanner(me.maintenance);
  const button = $('#deconnexion');
  if (button && !button.dataset.lie) {
    button.dataset.lie = '1';
    button.addEventListener('click', signOut);
  }
}

export async function signOut() {
  const button = $('#deconnexion');
  if (button) button.disabled = true;
  sessionPage = false;
  await api('POST', '/api/auth/logout');
  noteSignedOut();
  return go('/connexion?deconnecte=1');
}

/**
 * Guard of a signed-in page: GET /api/me; without a session, to /connexion?retour=…
 * (with expire=1 when a session had been opened in this browser); then the required
 * actions, in order, before anything else: the page of the first one, unless this page
 * is that one (`handles`: the action this page resolves). Resolves to the user.
 */
export async function requireSession({ handles = null } = {}) {
  sessionPage = true;
  const res = await api('GET', '/api/me');
  if (res.status !== 200 || !res.body) {
    showFatal(unexpected(res));
    return never();
  }
  const me = res.body;
  noteSignedIn();
  const first = (me.required_actions || [])[0];
  if (first && first !== handles && ACTION_PAGES[first]) {
    return go(ACTION_PAGES[first], { replace: true });
  }
  renderHeader(me);
  return me;
}

/** For pages readable by anyone (CGU): the user if signed in, else null; never redirects. */
export async function optionalSession() {
  const res = await api('GET', '/api/me');
  if (res.status === 200 && res.body) {
    sessionPage = true;
    noteSignedIn();
    renderHeader(res.body);
    return res.body;
  }
  return null;
}

export function isRedirecting() {
  return redirecting;
}

// ------------------------------------------------------------------ maintenance windows

/** « de la CPAM du Rhône » interrupts, or the whole platform. */
function windowSubject(w) {
  return w.caisse_name ? `L’Espace Partenaires ${deOrg(w.caisse_name)}` : 'L’Espace Partenaires';
}

/**
 * The banner of the windows announced that concern the user (GET /api/me `maintenance`),
 * at the top of every signed-in page: when, until when (Paris time), the message.
 */
export function showMaintenanceBanner(windows) {
  const old = document.getElementById('bandeau-maintenance');
  if (old) old.remove();
  if (!windows || !windows.length) return;
  const main = $('main');
  if (!main) return;
  const box = el('section', { class: 'alerte avertissement bandeau-maintenance', id: 'bandeau-maintenance', 'aria-labelledby': 'titre-bandeau-maintenance' });
  box.append(el('h2', { id: 'titre-bandeau-maintenance', text: windows.length > 1 ? 'Interruptions de service annoncées' : 'Interruption de service annoncée' }));
  for (const w of windows) {
    const running = w.in_force === true; // by the portal's clock
    const when = running
      ? `est interrompu pour maintenance jusqu’au ${formatDateTime(w.end)} (heure de Paris).`
      : `sera interrompu pour maintenance du ${formatDateTime(w.start)} au ${formatDateTime(w.end)} (heure de Paris).`;
    box.append(el('p', {}, el('strong', { text: `${windowSubject(w)} ${when}` }), ` ${w.message}`));
  }
  const anchor = $('#ariane') || $('#chargement') || main.firstChild;
  if (anchor && anchor.parentNode === main) anchor.after(box);
  else main.prepend(box);
}

/**
 * 503 `maintenance.in_progress` on a signed-in page: the page says so in place of its
 * content — until when (Paris time), the message, how to reach the caisse meanwhile —
 * with the ways out: try again, the home page, signing out in the header.
 */
export function showMaintenance(problem) {
  if (document.getElementById('alerte-maintenance')) return;
  pageReady();
  const content = $('#page-contenu');
  if (content) content.hidden = true;
  const m = (problem && problem.maintenance) || {};
  document.title = 'Maintenance en cours – Espace Partenaires';
  const extra = [];
  if (m.end && !(problem && problem.detail)) {
    extra.push(el('p', {}, el('strong', { text: `Retour prévu le ${formatDateTime(m.end)} (heure de Paris).` })));
  }
  if (m.message) extra.push(el('p', { text: m.message }));
  const contacts = m.contacts || [];
  if (contacts.length) {
    extra.push(el('h3', { text: 'En attendant, pour joindre votre caisse' }));
    const list = el('ul', { class: 'liste-simple' });
    for (const c of contacts) {
      const item = el('li', {}, el('strong', { text: c.caisse }), ` : ${c.alt_contact}`);
      const refs = c.referents || [];
      if (refs.length) {
        item.append(' — référents : ');
        refs.forEach((r, i) => {
          if (i) item.append(', ');
          item.append(`${r.nom} (`, el('a', { href: `mailto:${r.email}`, text: r.email }), ')');
        });
      }
      list.append(item);
    }
    extra.push(list);
  }
  const again = el('a', { href: window.location.pathname + window.location.search, text: 'Réessayer' });
  extra.push(el('p', {}, again, ' · ', el('a', { href: '/accueil', text: 'Retour à l’accueil' }), ' · ', el('a', { href: '/aide', text: 'Aide et contacts' })));
  notice($('main'), {
    kind: 'erreur',
    title: 'Maintenance en cours',
    text: (problem && problem.detail) || 'L’Espace Partenaires est interrompu pour maintenance : réessayez plus tard.',
    focus: true,
    id: 'alerte-maintenance',
  }, ...extra);
}
