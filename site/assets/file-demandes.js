// /caisse/demandes (caisse agent): the requests addressed to the agent's caisse, oldest
// waiting first, 20 a page (GET /api/queue), one tab per state with its count, filters
// (type, structure, assigned: me / nobody) kept in the address bar (GET form). Each
// request is a card linking to its page, where it is taken, answered, closed.
import {
  $, api, el, notice, pageReady, problemErrors, showErrors, showFatal, takeFlash, unexpected,
} from './app.js';
import { pager, startPage } from './gestion.js';
import {
  KINDS, STATES, countText, filterSelect, queryParams, requestList,
} from './demandes-commun.js';

const FILTERS = ['type', 'partner_id', 'assigned'];
let state = 'submitted';
let filters = {};
let pages;

/** Keeps the filters (not the state) in the tabs' links. */
function tabHref(code) {
  const params = new URLSearchParams(filters);
  params.set('state', code);
  return `/caisse/demandes?${params}`;
}

function renderTabs(counts) {
  const nav = $('#onglets-etats');
  nav.textContent = '';
  const list = el('ul');
  for (const [code, label] of STATES) {
    const n = counts && typeof counts[code] === 'number' ? counts[code] : null;
    const a = el('a', { href: tabHref(code), 'data-etat': code }, label);
    if (n !== null) a.append(' ', el('span', { class: 'compte-onglet', text: `(${n})` }));
    if (code === state) a.setAttribute('aria-current', 'page');
    list.append(el('li', {}, a));
  }
  nav.append(list);
}

async function partnerOptions() {
  const out = [];
  let cursor = null;
  for (let i = 0; i < 5; i += 1) {
    const res = await api('GET', `/api/partners${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (res.status !== 200 || !res.body) break;
    for (const p of res.body.items || []) out.push([p.id, p.name]);
    cursor = res.body.next;
    if (!cursor) break;
  }
  return out;
}

async function buildFilters() {
  const params = queryParams();
  const asked = params.get('state');
  state = STATES.some(([c]) => c === asked) ? asked : 'submitted';
  filters = {};
  for (const k of FILTERS) {
    const v = (params.get(k) || '').trim();
    if (v) filters[k] = v;
  }
  const partners = await partnerOptions();
  const zone = $('#champs-filtres');
  zone.append(
    el('input', { type: 'hidden', name: 'state', value: state }),
    filterSelect('f-type', 'type', 'Type de demande', KINDS, filters.type || ''),
    filterSelect('f-structure', 'partner_id', 'Structure', partners, filters.partner_id || '', 'Toutes'),
    filterSelect('f-attribution', 'assigned', 'Attribution', [['me', 'Attribuées à moi'], ['none', 'Non attribuées']], filters.assigned || '', 'Toutes'),
  );
  $('#form-filtres').addEventListener('submit', (event) => {
    for (const input of event.target.querySelectorAll('select')) {
      if (!input.value) input.disabled = true;
    }
    window.setTimeout(() => {
      for (const input of event.target.querySelectorAll('select')) input.disabled = false;
    }, 0);
  });
  const clear = $('#effacer-filtres');
  clear.setAttribute('href', `/caisse/demandes?state=${state}`);
}

async function load(cursor) {
  const params = new URLSearchParams({ state, ...filters });
  if (cursor) params.set('cursor', cursor);
  const res = await api('GET', `/api/queue?${params}`);
  const zone = $('#liste-demandes');
  zone.textContent = '';
  if (res.status === 422 || res.status === 400) {
    // The filters come from the address bar: their messages go next to the filter fields.
    showErrors($('#form-filtres'), problemErrors(res.body, { type: 'f-type', partner_id: 'f-structure', assigned: 'f-attribution' }));
    zone.append(el('p', { class: 'vide', text: 'Corrigez les filtres pour afficher les demandes.' }));
    return null;
  }
  if (res.status !== 200 || !res.body) {
    showFatal(unexpected(res));
    return null;
  }
  renderTabs(res.body.counts);
  const items = res.body.items || [];
  const filtered = Object.keys(filters).length > 0;
  const label = STATES.find(([c]) => c === state)[1].toLowerCase();
  const empty = el('p', { class: 'vide', id: 'liste-vide' });
  empty.append(filtered ? `Aucune demande à l'état « ${label} » ne correspond à ces filtres.` : `Aucune demande à l'état « ${label} ».`);
  zone.append(requestList(items, 'caisse', empty, Boolean(res.body.next)));
  $('#etat-liste').textContent = countText(items.length, Boolean(res.body.next), filtered);
  return res.body.next || null;
}

async function start() {
  const me = await startPage({ profiles: ['agent'], crumbs: [['Demandes des partenaires', '/caisse/demandes']] });
  if (!me) return;
  await buildFilters();
  const label = STATES.find(([c]) => c === state)[1];
  $('#titre-liste').textContent = `Demandes à l'état « ${label} », de la plus ancienne à la plus récente`;
  renderTabs(null);
  pages = pager($('#pagination-demandes'), load, 'Pages des demandes');
  await pages.show();
  pageReady();
  const summary = $('#form-filtres-resume');
  if (summary) summary.focus();
  const flash = takeFlash();
  if (flash) notice($('#messages'), { kind: 'succes', text: flash, id: 'statut-action' });
}

start();
