// The fields of a partner (name, address, category, members, allowed e-mail domains)
// and of its convention (start, optional end, the six functionalities), shared by the
// creation form (/partenaires) and the edit forms (/partenaire).
import { el } from './app.js';
import { CATEGORIES, FUNCTIONALITIES, splitDomains } from './gestion.js';

export function fillCategories(select, value = '') {
  select.textContent = '';
  select.append(el('option', { value: '', text: 'Choisir la catégorie…' }));
  for (const [code, label] of CATEGORIES) select.append(el('option', { value: code, text: label }));
  select.value = value;
}

/** One checkbox per functionality, with its exact label (§1.2). */
export function functionalityBoxes(container, prefix, selected = []) {
  container.textContent = '';
  for (const [code, label] of FUNCTIONALITIES) {
    const id = `${prefix}-f-${code}`;
    const box = el('input', { type: 'checkbox', id, name: 'functionalities', value: code });
    box.checked = selected.includes(code);
    container.append(el('div', { class: 'case' }, box, el('label', { for: id, text: label })));
  }
}

export function readFunctionalities(prefix) {
  return FUNCTIONALITIES.map(([code]) => code).filter((code) => document.getElementById(`${prefix}-f-${code}`).checked);
}

const val = (id) => (document.getElementById(id).value || '').trim();

export function partnerValues(p) {
  const members = val(`${p}-membres`);
  return {
    name: val(`${p}-nom`),
    address: val(`${p}-adresse`),
    category: val(`${p}-categorie`),
    members: /^\d+$/.test(members) ? Number(members) : null,
    allowed_domains: splitDomains(document.getElementById(`${p}-domaines`).value || ''),
  };
}

export function partnerErrors(p) {
  const v = partnerValues(p);
  const errors = [];
  if (!v.name) errors.push({ field: `${p}-nom`, message: 'Saisissez le nom de la structure.' });
  if (!v.address) errors.push({ field: `${p}-adresse`, message: 'Saisissez l\'adresse postale de la structure.' });
  if (!v.category) errors.push({ field: `${p}-categorie`, message: 'Choisissez la catégorie de la structure.' });
  if (!v.members || v.members < 1) errors.push({ field: `${p}-membres`, message: 'Indiquez le nombre de membres de la structure (un nombre entier d\'au moins 1).' });
  if (!v.allowed_domains.length) errors.push({ field: `${p}-domaines`, message: 'Indiquez au moins un domaine de messagerie de la structure, par exemple ccas-exemple.fr.' });
  return errors;
}

export function partnerFieldMap(p) {
  return {
    name: `${p}-nom`, address: `${p}-adresse`, category: `${p}-categorie`, members: `${p}-membres`, allowed_domains: `${p}-domaines`,
  };
}

export function conventionValues(c) {
  return { start: val(`${c}-debut`), end: val(`${c}-fin`) || null, functionalities: readFunctionalities(c) };
}

export function conventionErrors(c) {
  const v = conventionValues(c);
  const errors = [];
  if (!v.start) errors.push({ field: `${c}-debut`, message: 'Indiquez la date de début de la convention.' });
  if (v.start && v.end && v.end < v.start) errors.push({ field: `${c}-fin`, message: 'La date de fin doit être postérieure à la date de début.' });
  return errors;
}

export function conventionFieldMap(c) {
  return {
    'convention.start': `${c}-debut`,
    'convention.end': `${c}-fin`,
    'convention.functionalities': `${c}-f-contact`,
  };
}

/** The SIRET as typed, spaces removed. */
export function siretValue(id) {
  return val(id).replace(/\s+/g, '');
}

/** True when `digits` (ASCII digits) passes the Luhn check. */
export function luhnOk(digits) {
  let sum = 0;
  [...digits].reverse().forEach((c, i) => {
    let d = Number(c);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  });
  return sum % 10 === 0;
}

/** The error of the SIRET field (same rules as the server), or none. */
export function siretErrors(id) {
  const s = siretValue(id);
  if (!s) return [{ field: id, message: 'Saisissez le SIRET de la structure (14 chiffres).' }];
  if (!/^\d{14}$/.test(s)) return [{ field: id, message: 'Le SIRET comporte exactement 14 chiffres (par exemple 732 829 320 00074) : vérifiez votre saisie.' }];
  if (!luhnOk(s)) return [{ field: id, message: 'Ce SIRET n\'est pas valide (sa clé de contrôle ne correspond pas) : vérifiez les 14 chiffres.' }];
  return [];
}
