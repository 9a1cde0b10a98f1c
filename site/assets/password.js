// Password rules of the forms that choose a password (activation, reset, change).
//
// CNIL 2022 (SPEC §3): one of
//   - at least 12 characters with an upper-case letter, a lower-case letter, a digit and a
//     special character;
//   - at least 14 characters with an upper-case letter, a lower-case letter and a digit;
//   - a passphrase of at least 7 words;
// and always: not containing the identifiant, the e-mail address nor the names (checked
// here when the page knows them, always by the server), not a common or breached password
// (the same normalised blocklist as the server, `mots-de-passe-courants.json`, fetched from
// this site once the form is shown: about 70 KB, 7 490 entries; while it loads, or if it
// cannot be loaded, the rule reads « vérifié à l’enregistrement » and the server checks
// it), not one of the last 5 passwords (server only).
// The same checks as `functions/domain/src/password.rs`; the server has the last word.

import { el } from './app.js';

export const MIN_FOUR_CLASSES = 12;
export const MIN_THREE_CLASSES = 14;
export const MIN_WORDS = 7;
export const MAX_LEN = 256;

const UPPER = /\p{Uppercase}/u;
const LOWER = /\p{Lowercase}/u;
const DIGIT = /[0-9]/;
const ALNUM = /[\p{Alphabetic}\p{N}]/u;
const ALPHA = /\p{Alphabetic}/u;

/** French messages of the server's rule codes (`rules` of a 422 `password.weak`). */
export const RULE_MESSAGES = Object.freeze({
  'password.too_short': `Le mot de passe doit contenir au moins ${MIN_FOUR_CLASSES} caractères.`,
  'password.too_long': `Le mot de passe ne doit pas dépasser ${MAX_LEN} caractères.`,
  'password.missing_uppercase': 'Le mot de passe doit contenir au moins une lettre majuscule.',
  'password.missing_lowercase': 'Le mot de passe doit contenir au moins une lettre minuscule.',
  'password.missing_digit': 'Le mot de passe doit contenir au moins un chiffre.',
  'password.missing_special': `Le mot de passe doit contenir au moins un caractère spécial (par exemple ! ? # @ % *), ou compter au moins ${MIN_THREE_CLASSES} caractères.`,
  'password.too_few_words': `Une phrase de passe doit compter au moins ${MIN_WORDS} mots.`,
  'password.contains_email': 'Le mot de passe ne doit pas contenir votre adresse électronique.',
  'password.contains_name': 'Le mot de passe ne doit pas contenir votre nom ni votre prénom.',
  'password.contains_identifiant': 'Le mot de passe ne doit pas contenir votre identifiant.',
  'password.common': 'Ce mot de passe fait partie des mots de passe les plus courants ou déjà divulgués (même avec des chiffres ou des symboles ajoutés au début ou à la fin) : choisissez-en un autre, par exemple une phrase de passe de 7 mots.',
});

const LEET = Object.freeze({ '@': 'a', 4: 'a', 0: 'o', 1: 'i', '!': 'i', 3: 'e', $: 's', 5: 's', 7: 't' });

function core(pw) {
  return fold(pw).replace(/^[^\p{Alphabetic}]+|[^\p{Alphabetic}]+$/gu, '');
}

/** Like the server's `blocklist_key`: folded, ends stripped of digits and symbols, inner
 *  non-alphanumerics removed (« Motdepasse123! » → « motdepasse »). */
export function blocklistKey(pw) {
  return core(pw).replace(/[^\p{Alphabetic}\p{N}]/gu, '');
}

/** Like the server's `blocklist_key_unleet` (« P@ssw0rd2024 » → « password »). */
export function blocklistKeyUnleet(pw) {
  return [...core(pw)].map((c) => LEET[c] || c).join('').replace(/[^\p{Alphabetic}\p{N}]/gu, '');
}

let commonList = null;
/** The blocklist (a Set), fetched once from this site; null when it cannot be loaded. */
export function loadCommonPasswords() {
  if (!commonList) {
    commonList = fetch('/assets/mots-de-passe-courants.json', { credentials: 'omit' })
      .then((r) => (r.ok ? r.json() : null))
      .then((list) => (Array.isArray(list) ? new Set(list) : null))
      .catch(() => null);
  }
  return commonList;
}

/** Lower-case, without accents (like the server's `fold`). */
export function fold(s) {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/œ/gi, 'oe')
    .replace(/æ/gi, 'ae')
    .replace(/ß/g, 'ss')
    .toLowerCase();
}

function words(pw) {
  return pw.split(/[^\p{Alphabetic}\p{N}]/u).filter((w) => ALPHA.test(w)).length;
}

/**
 * Evaluates `pw`. `context`: { identifiant?, email?, names?: [], common?: Set } — what
 * the page knows of the user, and the blocklist once loaded.
 * Returns { length, douze, quatorze, phrase, personal, ok, unmet } where each form is
 * { ok, missing: [labels] }, `personal` is 'ok' | 'ko' | 'inconnu' and `unmet` the rule
 * codes the server would name (the closest form's, as `check_password` does).
 */
export function evaluate(pw, context = {}) {
  const chars = [...pw];
  const length = chars.length;
  const upper = UPPER.test(pw);
  const lower = LOWER.test(pw);
  const digit = DIGIT.test(pw);
  const special = chars.some((c) => !ALNUM.test(c));
  const nWords = words(pw);

  const four = [];
  const fourLabels = [];
  if (length < MIN_FOUR_CLASSES) {
    four.push('password.too_short');
    fourLabels.push('la longueur');
  }
  const three = [];
  const threeLabels = [];
  if (length < MIN_THREE_CLASSES) {
    three.push('password.too_short');
    threeLabels.push('la longueur');
  }
  for (const [ok, code, lbl] of [
    [upper, 'password.missing_uppercase', 'une majuscule'],
    [lower, 'password.missing_lowercase', 'une minuscule'],
    [digit, 'password.missing_digit', 'un chiffre'],
  ]) {
    if (!ok) {
      four.push(code);
      fourLabels.push(lbl);
      three.push(code);
      threeLabels.push(lbl);
    }
  }
  if (!special) {
    four.push('password.missing_special');
    fourLabels.push('un caractère spécial');
  }
  const phraseOk = nWords >= MIN_WORDS;

  let unmet;
  if (length > MAX_LEN) unmet = ['password.too_long'];
  else if (!four.length || !three.length || phraseOk) unmet = [];
  else if (nWords >= 2 && four.length > 1 && three.length > 1) unmet = ['password.too_few_words'];
  else if (three.length < four.length && length >= MIN_FOUR_CLASSES) unmet = three;
  else unmet = four;

  // Personal data: only parts of 3 characters or more, accents and case folded.
  const folded = fold(pw);
  let personal = 'inconnu';
  const structuralOk = unmet.length === 0;
  const email = context.email || '';
  const names = context.names || [];
  const ident = fold((context.identifiant || '').trim());
  if (email || names.length || ident) {
    const local = fold(email.includes('@') ? email.slice(0, email.lastIndexOf('@')) : email);
    const emailParts = [local, ...local.split(/[^\p{Alphabetic}\p{N}]/u)].filter((p) => [...p].length >= 3);
    const nameParts = names.flatMap((n) => fold(n || '').split(/[^\p{Alphabetic}\p{N}]/u)).filter((p) => [...p].length >= 3);
    const hitEmail = emailParts.some((p) => folded.includes(p));
    const hitName = nameParts.some((p) => folded.includes(p));
    const hitIdent = [...ident].length >= 3 && folded.includes(ident);
    if (hitEmail) unmet = [...unmet, 'password.contains_email'];
    if (hitName) unmet = [...unmet, 'password.contains_name'];
    if (hitIdent) unmet = [...unmet, 'password.contains_identifiant'];
    if (hitEmail || hitName || hitIdent) personal = 'ko';
    else if (context.complete && pw) personal = 'ok';
  }
  // Like the server: reported once the form rules are met.
  let common = 'inconnu';
  if (context.common && pw) {
    const hit = context.common.has(blocklistKey(pw)) || context.common.has(blocklistKeyUnleet(pw));
    common = hit ? 'ko' : 'ok';
    if (hit && structuralOk) unmet = [...unmet, 'password.common'];
  }

  return {
    length,
    douze: { ok: !four.length, missing: fourLabels },
    quatorze: { ok: !three.length, missing: threeLabels },
    phrase: { ok: phraseOk, missing: [], words: nWords },
    personal,
    common,
    ok: unmet.length === 0,
    unmet,
  };
}

const FORMS = [
  ['douze', `au moins ${MIN_FOUR_CLASSES} caractères avec une majuscule, une minuscule, un chiffre et un caractère spécial`],
  ['quatorze', `au moins ${MIN_THREE_CLASSES} caractères avec une majuscule, une minuscule et un chiffre`],
  ['phrase', `une phrase de passe d'au moins ${MIN_WORDS} mots`],
];

/**
 * Builds the live list of rules for `input` inside `container` (which gets the list) and
 * keeps it current as the user types. The list is a polite live region; each item is
 * atomic, and is rewritten only when its state changes, so that a screen reader hears
 * « … : règle respectée » once, not at every key.
 */
export function liveRules(input, container, context = {}) {
  const id = `${input.id}-regles`;
  const items = {};
  const stateSpans = {};

  const makeItem = (key, text) => {
    const state = el('span', { class: 'regle-etat' });
    const li = el('li', { 'data-regle': key, 'aria-atomic': 'true' }, `${text} `, state);
    items[key] = li;
    stateSpans[key] = state;
    return li;
  };

  const forms = el('ul', { class: 'regles', id: `${id}-formes`, 'aria-live': 'polite' });
  for (const [key, text] of FORMS) forms.append(makeItem(key, text));
  const always = el('ul', { class: 'regles', id: `${id}-toujours`, 'aria-live': 'polite' });
  always.append(makeItem('personnel', 'ne contient ni votre identifiant, ni votre adresse électronique, ni vos nom et prénom'));
  always.append(makeItem('courant', 'n’est pas un mot de passe courant ou déjà divulgué'));
  always.append(makeItem('historique', 'est différent de vos 5 derniers mots de passe'));

  const block = el(
    'div',
    { class: 'regles-bloc', id },
    el('p', { id: `${id}-titre`, text: 'Votre mot de passe doit respecter l’une de ces trois règles :' }),
    forms,
    el('p', { text: 'Dans tous les cas, il :' }),
    always,
  );
  container.append(block);
  const describedby = (input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
  input.setAttribute('aria-describedby', [...describedby, id].join(' '));

  const set = (key, cls, text) => {
    const li = items[key];
    if (li.dataset.etat === cls && stateSpans[key].textContent === text) return;
    li.dataset.etat = cls;
    li.className = cls;
    stateSpans[key].textContent = text;
  };

  const update = () => {
    const r = evaluate(input.value, context);
    for (const [key] of FORMS) {
      const f = r[key];
      if (f.ok) set(key, 'ok', ': règle respectée');
      else if (!input.value || !f.missing.length) set(key, '', ': pas encore respectée');
      else set(key, '', `: pas encore respectée (à compléter : ${joinFr(f.missing)})`);
    }
    if (r.personal === 'ko') set('personnel', 'ko', ': non respectée');
    else if (r.personal === 'ok') set('personnel', 'ok', ': règle respectée');
    else set('personnel', 'info', ': vérifié à l’enregistrement');
    if (r.common === 'ko') set('courant', 'ko', ': non respectée');
    else if (r.common === 'ok') set('courant', 'ok', ': règle respectée');
    else set('courant', 'info', ': vérifié à l’enregistrement');
    set('historique', 'info', ': vérifié à l’enregistrement');
    return r;
  };
  input.addEventListener('input', update);
  update();
  loadCommonPasswords().then((set) => {
    if (set) {
      context.common = set;
      update();
    }
  });

  /** Marks rules the server refused (codes of a 422 answer). */
  const showServerRules = (codes = []) => {
    if (['password.contains_email', 'password.contains_name', 'password.contains_identifiant'].some((c) => codes.includes(c))) {
      set('personnel', 'ko', ': non respectée');
    }
    if (codes.includes('password.common')) set('courant', 'ko', ': non respectée');
  };
  const showReused = () => set('historique', 'ko', ': non respectée, ce mot de passe a déjà été utilisé');

  return { update, evaluate: () => evaluate(input.value, context), showServerRules, showReused };
}

function joinFr(list) {
  if (list.length <= 1) return list.join('');
  return `${list.slice(0, -1).join(', ')} et ${list[list.length - 1]}`;
}

/** Short French labels of the rule codes, to say in one sentence what is missing. */
const MISSING = Object.freeze({
  'password.missing_uppercase': 'une majuscule',
  'password.missing_lowercase': 'une minuscule',
  'password.missing_digit': 'un chiffre',
  'password.missing_special': 'un caractère spécial',
});

/**
 * One sentence (or two) naming what a refused password lacks, from the rule codes.
 * `length`: the password's length, to tell which minimum applies (12, or 14 for the
 * 3-class form, which the server reports only from 12 characters on).
 */
export function describeUnmet(codes, length = 0) {
  const parts = [];
  const must = [];
  if (codes.includes('password.too_short')) {
    const min = length >= MIN_FOUR_CLASSES ? MIN_THREE_CLASSES : MIN_FOUR_CLASSES;
    must.push(`compter au moins ${min} caractères`);
  }
  const classes = codes.filter((c) => MISSING[c]).map((c) => MISSING[c]);
  if (classes.length) must.push(`contenir ${joinFr(classes)}`);
  // The summary names the three rules, then what the password lacks for the nearest one.
  if (must.length || codes.includes('password.too_few_words')) {
    const [first, second, third] = FORMS.map(([, text]) => text);
    let sentence = `Ce mot de passe ne respecte aucune des trois règles : ${first} ; ou ${second} ; ou ${third}.`;
    if (must.length) sentence += ` Il doit par exemple ${must.join(' et ')}.`;
    parts.push(sentence);
  }
  if (codes.includes('password.too_long')) parts.push(RULE_MESSAGES['password.too_long']);
  if (codes.includes('password.contains_email') && codes.includes('password.contains_name')) {
    parts.push('Il ne doit contenir ni votre adresse électronique, ni votre nom, ni votre prénom.');
  } else if (codes.includes('password.contains_email')) {
    parts.push(RULE_MESSAGES['password.contains_email']);
  } else if (codes.includes('password.contains_name')) {
    parts.push(RULE_MESSAGES['password.contains_name']);
  }
  if (codes.includes('password.contains_identifiant')) parts.push(RULE_MESSAGES['password.contains_identifiant']);
  if (codes.includes('password.common')) parts.push(RULE_MESSAGES['password.common']);
  return parts.join(' ');
}

/**
 * Client-side errors of a new password and its confirmation (before calling the server).
 * Returns [{ field, message }].
 */
export function passwordErrors(newInput, confirmInput, rules) {
  const errors = [];
  const pw = newInput.value;
  if (!pw) {
    errors.push({ field: newInput.id, message: 'Saisissez un nouveau mot de passe.' });
  } else {
    const r = rules.evaluate();
    if (!r.ok) errors.push({ field: newInput.id, message: describeUnmet(r.unmet, r.length) });
  }
  if (!confirmInput.value) {
    errors.push({ field: confirmInput.id, message: 'Confirmez le nouveau mot de passe en le saisissant une seconde fois.' });
  } else if (pw && confirmInput.value !== pw) {
    errors.push({ field: confirmInput.id, message: 'La confirmation ne correspond pas au mot de passe saisi.' });
  }
  return errors;
}

/**
 * Errors of a 422 answer refusing a password (`password.weak` with `rules`,
 * `password.reused`, `password.personal`, or `validation` with `errors`).
 * `fields`: API field name → input id; `passwordField`: the new password's input id.
 */
export function serverPasswordErrors(body, fields, passwordField, rules, length = 0) {
  const errors = [];
  const b = body || {};
  const codes = Array.isArray(b.rules) ? b.rules : [];
  // The rule codes give one concise message, worded like the client-side check; the
  // server's own messages are used for everything else.
  const fromRules = codes.length ? describeUnmet(codes, length) : '';
  if (fromRules) errors.push({ field: passwordField, message: fromRules });
  if (b.errors && typeof b.errors === 'object') {
    for (const [name, message] of Object.entries(b.errors)) {
      const field = fields[name] || passwordField;
      if (fromRules && field === passwordField) continue;
      errors.push({ field, message: String(message) });
    }
  }
  if (!errors.length) {
    errors.push({ field: passwordField, message: b.detail || b.title || 'Ce mot de passe est refusé.' });
  }
  if (rules) {
    rules.showServerRules(codes);
    if (b.code === 'password.reused') rules.showReused();
    if (b.code === 'password.personal' && !codes.length) rules.showServerRules(['password.contains_name']);
  }
  return errors;
}

/** « Afficher les mots de passe »: a checkbox that shows the password inputs of its form. */
export function showPasswordsToggle(checkbox, inputs) {
  checkbox.addEventListener('change', () => {
    for (const i of inputs) i.type = checkbox.checked ? 'text' : 'password';
  });
}
