// /demandes (every user of the structure): the structure's requests, newest first, 20 a
// page (GET /api/requests with the filters: type, state, caisse, dates, assuré's name —
// a prefix of the nom or prénom, accents and case ignored by the server). The filters are
// a GET form, so the address bar keeps them (reload, back). Each request reads as a card
// of « label : valeur » pairs linking to its page (no table to scroll on a phone).
import {
  $, api, el, notice, pageReady, problemErrors, showErrors, showFatal, takeFlash, unexpected,
} from './app.js';
import { pager, startPage } from './gestion.js';
import {
  KINDS, STATES, countText, filterField, filterSelect, queryParams, requestList,
} from './demandes-commun.js';

const FILTERS = ['type', 'state', 'caisse_id', 'from', 'to', 'name'];
let filters = {};
let pages;

function buildFilters(options) {
  const params = queryParams();
  const zone = $('#champs-filtres');
  const catalog = options.catalog || {};
  const kinds = (catalog.kinds || []).length ? catalog.kinds.map((k) => [k.code, k.label]) : KINDS;
  const states = (catalog.states || []).length ? catalog.states.map((s) => [s.code, s.label]) : STATES;
  const caisses = (options.caisses || []).map((c) => [c.id, c.name]);
  // A caisse whose convention ended still has requests: keep it choosable when it is in the URL.
  zone.append(
    filterField('f-nom', 'Nom ou prénom de l\'assuré', el('input', {
      type: 'text', name: 'name', autocomplete: 'off', spellcheck: 'false', maxlength: '100', value: params.get('name') || '',
    }), 'Le début du nom ou du prénom suffit ; accents et majuscules sont ignorés.', 'pleine-ligne'),
    filterSelect('f-type', 'type', 'Type de demande', kinds, params.get('type') || ''),
    filterSelect('f-etat', 'state', 'État', states, params.get('state') || ''),
    filterSelect('f-caisse', 'caisse_id', 'Caisse', caisses, params.get('caisse_id') || '', 'Toutes'),
    filterField('f-du', 'Envoyée à partir du', el('input', { type: 'date', name: 'from', value: params.get('from') || '', class: 'date' })),
    filterField('f-au', 'Envoyée jusqu\'au', el('input', { type: 'date', name: 'to', value: params.get('to') || '', class: 'date' })),
  );
  filters = {};
  for (const k of FILTERS) {
    const v = (params.get(k) || '').trim();
    if (v) filters[k] = v;
  }
  // Empty fields are left out of the address (a tidy URL, and what the API expects).
  $('#form-filtres').addEventListener('submit', (event) => {
    for (const input of event.target.querySelectorAll('input, select')) {
      if (!input.value.trim()) input.disabled = true;
    }
    window.setTimeout(() => {
      for (const input of event.target.querySelectorAll('input, select')) input.disabled = false;
    }, 0);
  });
}

async function load(cursor) {
  const params = new URLSearchParams(filters);
  if (cursor) params.set('cursor', cursor);
  const res = await api('GET', `/api/requests?${params}`);
  const zone = $('#liste-demandes');
  zone.textContent = '';
  if (res.status === 422 || res.status === 400) {
    // The filters come from the address bar: their messages go next to the filter fields.
    showErrors($('#form-filtres'), problemErrors(res.body, { name: 'f-nom', type: 'f-type', state: 'f-etat', caisse_id: 'f-caisse', from: 'f-du', to: 'f-au' }));
    zone.append(el('p', { class: 'vide', text: 'Corrigez les filtres pour afficher les demandes.' }));
    $('#etat-liste').textContent = '';
    return null;
  }
  if (res.status !== 200 || !res.body) {
    showFatal(unexpected(res));
    return null;
  }
  const items = res.body.items || [];
  const filtered = Object.keys(filters).length > 0;
  const empty = el('p', { class: 'vide', id: 'liste-vide' });
  if (filtered) {
    empty.append('Aucune demande ne correspond à ces filtres. ', el('a', { href: '/demandes', text: 'Voir toutes les demandes' }));
  } else {
    empty.append('Votre structure n\'a encore envoyé aucune demande.');
  }
  zone.append(requestList(items, 'partner', empty, Boolean(res.body.next)));
  $('#etat-liste').textContent = countText(items.length, Boolean(res.body.next), filtered);
  return res.body.next || null;
}

async function start() {
  const me = await startPage({
    profiles: ['technicien', 'gestionnaire'],
    crumbs: [['Historique des demandes', '/demandes']],
  });
  if (!me) return;
  const res = await api('GET', '/api/requests/options');
  if (res.status !== 200 || !res.body) {
    showFatal(unexpected(res));
    return;
  }
  const options = res.body;
  if (options.can_submit) $('#lien-nouvelle').hidden = false;
  else if (me.profile === 'technicien' && options.cannot_submit_reason) {
    notice($('#messages'), { text: options.cannot_submit_reason, id: 'alerte-envoi' });
  }
  buildFilters(options);
  $('#titre-liste').textContent = Object.keys(filters).length ? 'Demandes correspondant aux filtres' : 'Toutes les demandes de votre structure';
  pages = pager($('#pagination-demandes'), load, 'Pages des demandes');
  await pages.show();
  pageReady();
  const summary = $('#form-filtres-resume');
  if (summary) summary.focus();
  const flash = takeFlash();
  if (flash) notice($('#messages'), { kind: 'succes', text: flash, id: 'statut-action' });
}

start();
