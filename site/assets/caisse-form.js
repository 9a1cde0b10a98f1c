// The fields of a caisse (create on /caisses, edit on /caisse): name, address, « Contact
// de secours » (alt_contact), and up to 10 support referents (nom, e-mail) added and
// removed in place (SPEC §3.3, §5).
import { el } from './app.js';
import { textField } from './gestion.js';

export const MAX_REFERENTS = 10;

/**
 * Fills `container` with the caisse fields; returns { values(), fields(), errors(), reset() }.
 * `fields()` maps the API's field names (`referents[0].nom` …) to input ids.
 */
export function caisseFields(container, prefix, initial = {}) {
  let referents = (initial.referents || []).map((r) => ({ nom: r.nom, email: r.email }));
  container.textContent = '';
  const altId = `${prefix}-secours`;
  container.append(
    textField(`${prefix}-nom`, 'Nom de la caisse', 'Par exemple : CPAM de Villeneuve.', { name: 'name', maxlength: '200', autocomplete: 'off', spellcheck: 'true', value: initial.name || '' }),
    textField(`${prefix}-adresse`, 'Adresse postale', null, { name: 'address', maxlength: '300', autocomplete: 'off', spellcheck: 'true', value: initial.address || '' }),
  );
  const alt = el('textarea', { id: altId, name: 'alt_contact', rows: '3', maxlength: '300', class: 'court' });
  alt.value = initial.alt_contact || '';
  container.append(el('div', { class: 'champ' },
    el('label', { for: altId }, 'Contact de secours ', el('span', {
      class: 'aide',
      id: `${altId}-aide`,
      text: 'Téléphone ou adresse où les partenaires joignent la caisse quand l\'Espace Partenaires est indisponible (300 caractères au plus).',
    })),
    alt));

  const legendId = `${prefix}-referents-titre`;
  const group = el('fieldset', { class: 'groupe', 'aria-describedby': `${prefix}-referents-aide` });
  group.append(
    el('legend', { id: legendId, text: 'Référents' }),
    el('p', { class: 'aide', id: `${prefix}-referents-aide`, text: `Les référents locaux de l'Espace Partenaires (nom et adresse électronique), affichés aux utilisateurs des partenaires sur la page d'aide. ${MAX_REFERENTS} au plus, facultatifs.` }),
  );
  const list = el('div', { class: 'referents' });
  const add = el('button', { type: 'button', class: 'bouton secondaire', text: 'Ajouter un référent' });
  group.append(list, add);
  container.append(group);

  function read() {
    referents = referents.map((_, i) => ({
      nom: document.getElementById(`${prefix}-ref-${i}-nom`).value,
      email: document.getElementById(`${prefix}-ref-${i}-email`).value,
    }));
  }

  function render(focusIndex = null) {
    list.textContent = '';
    referents.forEach((r, i) => {
      const row = el('fieldset', { class: 'referent' });
      row.append(el('legend', { text: `Référent ${i + 1}` }));
      row.append(
        textField(`${prefix}-ref-${i}-nom`, 'Nom et prénom', null, { name: `referents[${i}].nom`, maxlength: '100', autocomplete: 'off', value: r.nom || '' }),
        textField(`${prefix}-ref-${i}-email`, 'Adresse électronique', null, { type: 'email', name: `referents[${i}].email`, autocomplete: 'off', value: r.email || '' }),
      );
      const remove = el('button', { type: 'button', class: 'lien-bouton', text: `Retirer le référent ${i + 1}` });
      remove.addEventListener('click', () => {
        read();
        referents.splice(i, 1);
        render();
        add.focus();
      });
      row.append(remove);
      list.append(row);
    });
    add.hidden = referents.length >= MAX_REFERENTS;
    if (focusIndex !== null) document.getElementById(`${prefix}-ref-${focusIndex}-nom`).focus();
  }

  add.addEventListener('click', () => {
    read();
    if (referents.length >= MAX_REFERENTS) return;
    referents.push({ nom: '', email: '' });
    render(referents.length - 1);
  });
  render();

  return {
    values() {
      read();
      return {
        name: document.getElementById(`${prefix}-nom`).value.trim(),
        address: document.getElementById(`${prefix}-adresse`).value.trim(),
        alt_contact: alt.value.trim(),
        referents: referents
          .map((r) => ({ nom: r.nom.trim(), email: r.email.trim() }))
          .filter((r) => r.nom || r.email),
      };
    },
    fields() {
      const map = { name: `${prefix}-nom`, address: `${prefix}-adresse`, alt_contact: altId, referents: add.hidden ? `${prefix}-ref-0-nom` : null };
      referents.forEach((_, i) => {
        map[`referents[${i}].nom`] = `${prefix}-ref-${i}-nom`;
        map[`referents[${i}].email`] = `${prefix}-ref-${i}-email`;
      });
      return map;
    },
    errors() {
      const v = this.values();
      const errs = [];
      if (!v.name) errs.push({ field: `${prefix}-nom`, message: 'Saisissez le nom de la caisse.' });
      if (!v.address) errs.push({ field: `${prefix}-adresse`, message: 'Saisissez l\'adresse postale de la caisse.' });
      if (!v.alt_contact) errs.push({ field: altId, message: 'Saisissez le contact de secours (téléphone ou adresse).' });
      referents.forEach((r, i) => {
        const nom = r.nom.trim();
        const email = r.email.trim();
        if (!nom && !email) return;
        if (!nom) errs.push({ field: `${prefix}-ref-${i}-nom`, message: `Saisissez le nom du référent ${i + 1}.` });
        if (!email) errs.push({ field: `${prefix}-ref-${i}-email`, message: `Saisissez l'adresse électronique du référent ${i + 1}.` });
      });
      return errs;
    },
    /** Empty referent rows are dropped before sending: keep the field ids in step. */
    compact() {
      read();
      referents = referents.filter((r) => r.nom.trim() || r.email.trim());
      render();
    },
    reset() {
      document.getElementById(`${prefix}-nom`).value = '';
      document.getElementById(`${prefix}-adresse`).value = '';
      alt.value = '';
      referents = [];
      render();
    },
  };
}
