// /journal: the reader's audit trail (GET /api/audit) — a caisse agent's caisse, a
// gestionnaire's structure, the platform admin's platform —, its filters, pages, CSV
// export (GET /api/audit.csv) and the verification of its hash chain
// (POST /api/audit/verify), which names the first broken link.
import { $, api, el, notice, pageReady, problemErrors, showErrors, showFatal, unexpected } from './app.js';
import { auditLabel, dataTable, jourHeure, pager, startPage } from './gestion.js';
import { filterField, filterSelect, queryParams } from './demandes-commun.js';

// Codes the shared list does not name yet.
const MORE_LABELS = {
  'audit.exported': 'Journal exporté',
  'audit.verified': 'Journal vérifié',
  'audit.chain_broken': 'Rupture de la chaîne du journal détectée',
  'caisse.created': 'Caisse créée',
  'caisse.updated': 'Caisse modifiée',
  'cgu.published': 'Nouvelle version des conditions d\'utilisation publiée',
  'convention.added': 'Convention ajoutée',
  'request.submitted': 'Demande envoyée',
  'request.taken': 'Demande prise en charge',
  'request.reassigned': 'Demande réattribuée',
  'request.info_requested': 'Complément demandé',
  'request.replied': 'Complément envoyé',
  'request.answered': 'Réponse apportée',
  'request.closed': 'Demande close',
  'request.message': 'Message ajouté',
  'request.purged': 'Demande supprimée (durée de conservation)',
  'attachment.uploaded': 'Pièce jointe déposée',
  'attachment.safe': 'Pièce jointe vérifiée',
  'attachment.rejected': 'Pièce jointe refusée',
  'attachment.deleted': 'Pièce jointe retirée',
  'attachment.downloaded': 'Pièce jointe téléchargée',
  'attachment.scan_stalled': 'Analyse d\'une pièce jointe en retard',
};

const label = (code) => MORE_LABELS[code] || auditLabel(code);

const FAMILIES = [
  ['auth.', 'Connexions et mots de passe'],
  ['account.', 'Comptes'],
  ['habilitation.', 'Demandes d\'habilitation'],
  ['partner.', 'Structures'],
  ['request.', 'Demandes des structures'],
  ['attachment.', 'Pièces jointes'],
  ['audit.', 'Journal d\'audit'],
];

const DETAILS = { ok: 'chaîne intacte', modified: 'événement modifié', removed: 'événement supprimé', inserted: 'événement inséré', truncated: 'limité à 5 000 lignes' };

const INTROS = {
  agent: 'Les actions enregistrées pour votre caisse, de la plus récente à la plus ancienne.',
  gestionnaire: 'Les actions enregistrées pour votre structure et ses comptes, de la plus récente à la plus ancienne.',
  admin: 'Les actions enregistrées pour la plateforme, de la plus récente à la plus ancienne.',
};

const FILTERS = ['actor', 'action', 'target', 'from', 'to'];
let filters = {};

function buildFilters() {
  const params = queryParams();
  const actions = [...FAMILIES.map(([c, l]) => [c, `${l} (toutes)`])];
  for (const code of Object.keys(MORE_LABELS)) actions.push([code, label(code)]);
  for (const code of ['auth.login.success', 'auth.login.failure', 'account.created', 'account.inactivated', 'habilitation.approved', 'review.exported']) {
    actions.push([code, label(code)]);
  }
  $('#champs-filtres').append(
    filterField('f-auteur', 'Auteur', el('input', {
      type: 'text', name: 'actor', autocomplete: 'off', spellcheck: 'false', maxlength: '60', value: params.get('actor') || '',
    }), 'Son identifiant, ou « system » pour les traitements automatiques.'),
    filterSelect('f-action', 'action', 'Action', actions, params.get('action') || '', 'Toutes'),
    filterField('f-objet', 'Objet', el('input', {
      type: 'text', name: 'target', autocomplete: 'off', spellcheck: 'false', maxlength: '80', value: params.get('target') || '',
    }), 'L\'identifiant de ce sur quoi porte l\'action.'),
    filterField('f-du', 'À partir du', el('input', { type: 'date', name: 'from', value: params.get('from') || '', class: 'date' })),
    filterField('f-au', 'Jusqu\'au', el('input', { type: 'date', name: 'to', value: params.get('to') || '', class: 'date' })),
  );
  filters = {};
  for (const k of FILTERS) {
    const v = (params.get(k) || '').trim();
    if (v) filters[k] = v;
  }
  $('#exporter').setAttribute('href', `/api/audit.csv?${new URLSearchParams(filters)}`);
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
  const res = await api('GET', `/api/audit?${params}`);
  const zone = $('#liste-journal');
  zone.textContent = '';
  if (res.status === 422 || res.status === 400) {
    showErrors($('#form-filtres'), problemErrors(res.body, { actor: 'f-auteur', action: 'f-action', target: 'f-objet', from: 'f-du', to: 'f-au' }));
    zone.append(el('p', { class: 'vide', text: 'Corrigez les filtres pour afficher le journal.' }));
    $('#etat-liste').textContent = '';
    return null;
  }
  if (res.status !== 200 || !res.body) {
    showFatal(unexpected(res));
    return null;
  }
  const items = res.body.items || [];
  const more = Boolean(res.body.next);
  const filtered = Object.keys(filters).length > 0;
  zone.append(dataTable({
    id: 'journal',
    caption: filtered ? 'Événements correspondant aux filtres' : 'Événements du journal',
    empty: more
      ? 'Aucun événement correspondant sur cette page : la recherche continue à la page suivante.'
      : (filtered ? 'Aucun événement ne correspond à ces filtres.' : 'Aucun événement enregistré.'),
    columns: [
      { label: 'Date', cell: (e) => jourHeure(e.at) },
      { label: 'N°', cell: (e) => (e.seq ? String(e.seq) : 'antérieur au chaînage') },
      { label: 'Action', cell: (e) => label(e.action) },
      { label: 'Auteur', cell: (e) => (e.actor === 'system' ? 'traitement automatique' : e.actor) },
      { label: 'Objet', cell: (e) => e.target || '—' },
      { label: 'Détail', cell: (e) => (e.detail ? (DETAILS[e.detail] || e.detail) : '—') },
    ],
    rows: items,
  }));
  $('#etat-liste').textContent = items.length
    ? `${items.length} événement${items.length > 1 ? 's' : ''} sur cette page${more ? ' (page suivante disponible)' : ''}.`
    : '';
  return res.body.next || null;
}

function named(e) {
  if (!e) return '';
  const n = e.seq ? `n° ${e.seq}` : 'sans numéro';
  return `l'événement ${n} du ${jourHeure(e.at)} (${label(e.action)}, identifiant ${e.id})`;
}

function verdict(r) {
  const b = r.broken;
  const legacy = r.legacy ? ` ${r.legacy} événement${r.legacy > 1 ? 's' : ''} antérieur${r.legacy > 1 ? 's' : ''} au chaînage ne ${r.legacy > 1 ? 'sont' : 'est'} pas vérifiable${r.legacy > 1 ? 's' : ''}.` : '';
  if (!b) {
    return { kind: 'succes', title: 'Journal intact', text: `${r.checked} événement${r.checked > 1 ? 's' : ''} vérifié${r.checked > 1 ? 's' : ''} : la chaîne d'empreintes est continue.${legacy}` };
  }
  let text;
  if (b.kind === 'modified') {
    text = `Le contenu de ${named(b.event)} ne correspond plus à son empreinte : il a été modifié en dehors du portail.`;
  } else if (b.kind === 'removed') {
    const missing = b.missing ? `${b.missing} événement${b.missing > 1 ? 's' : ''}` : 'Des événements';
    text = b.event
      ? `${missing} manque${b.missing > 1 ? 'nt' : ''} entre ${named(b.after) || 'le début du journal'} et ${named(b.event)} : ${b.missing > 1 ? 'ils ont été supprimés' : 'il a été supprimé'}.`
      : `${missing} manque${b.missing > 1 ? 'nt' : ''} après ${named(b.after) || 'le début du journal'} : la fin du journal a été supprimée.`;
  } else {
    text = `${b.event ? named(b.event) : 'Un événement'} a été ajouté${b.after ? ` après ${named(b.after)}` : ''} en dehors du portail.`;
    text = text.charAt(0).toUpperCase() + text.slice(1);
  }
  return { kind: 'erreur', title: 'Chaîne rompue', text };
}

async function verify(button) {
  const zone = $('#resultat-verification');
  zone.textContent = '';
  button.disabled = true;
  const res = await api('POST', '/api/audit/verify', {});
  button.disabled = false;
  if (res.status !== 200 || !res.body) {
    notice(zone, { kind: 'erreur', text: unexpected(res), id: 'verdict', role: 'alert' });
    return;
  }
  const v = verdict(res.body);
  notice(zone, { ...v, id: 'verdict', role: v.kind === 'erreur' ? 'alert' : 'status' });
}

async function start() {
  const me = await startPage({ profiles: ['admin', 'agent', 'gestionnaire'], crumbs: [['Journal d\'audit', '/journal']] });
  if (!me) return;
  $('#intro-journal').textContent = INTROS[me.profile] || INTROS.admin;
  buildFilters();
  const button = $('#verifier');
  button.addEventListener('click', () => verify(button));
  const pages = pager($('#pagination-journal'), load, 'Pages du journal');
  await pages.show();
  pageReady();
}

start();
