// /habilitations (caisse agent): the gestionnaire habilitation requests of the caisse
// (GET /api/habilitations?state=…, pending ones by due date so overdue first, 100 a
// page). A pending request is approved (POST …/approve: the account is created, quota
// checked, activation email sent) or rejected with a reason (POST …/reject; the server
// refuses health data or a NIR in it and says so next to the field).
import { $, api, de, el, notice, unexpected } from './app.js';
import {
  badge, dataTable, jour, personName, queuePage, rejectOnClick, requestCard, success, timeEl,
} from './gestion.js';

const messages = $('#messages');
const TITLES = {
  pending: 'Demandes à traiter',
  approved: 'Demandes acceptées, de la plus récente à la plus ancienne',
  rejected: 'Demandes refusées, de la plus récente à la plus ancienne',
};
let pages;

function partnerLink(r) {
  return el('a', { href: `/partenaire?id=${encodeURIComponent(r.partner_id)}`, text: r.partner_name });
}

function pendingCard(r) {
  const late = Boolean(r.overdue);
  const due = el('span', {}, jour(r.due_on));
  if (late) due.append(' ', el('strong', { class: 'en-retard', text: '(délai de 5 jours ouvrés dépassé)' }));
  const { card, actions, zone } = requestCard({
    id: `demande-${r.id}`,
    title: `${personName(r)} – ${r.partner_name}`,
    flags: late ? [badge('En retard', 'retard')] : [],
    className: late ? 'retard' : '',
    pairs: [
      ['Structure', partnerLink(r)],
      ['Fonction', r.fonction],
      ['Téléphone', r.telephone],
      ['Adresse électronique', r.email],
      ['Reçue le', timeEl(r.received_at)],
      ['À traiter au plus tard le', due],
    ],
  });
  const approve = el('button', { type: 'button', class: 'bouton', text: 'Accepter et créer le compte' });
  const reject = el('button', { type: 'button', class: 'bouton secondaire', text: 'Refuser' });
  approve.setAttribute('aria-describedby', `demande-${r.id}-titre`);
  reject.setAttribute('aria-describedby', `demande-${r.id}-titre`);
  actions.append(approve, reject);

  approve.addEventListener('click', async () => {
    approve.disabled = true;
    const res = await api('POST', `/api/habilitations/${encodeURIComponent(r.id)}/approve`, {});
    approve.disabled = false;
    if (res.status === 200 && res.body) {
      const account = res.body.account || {};
      await pages.reload();
      success(messages, `Demande acceptée : le compte gestionnaire ${de(personName(r))} (${r.partner_name}) est créé, identifiant ${account.identifiant}. Un courriel lui a été envoyé pour créer son mot de passe.`);
    } else {
      notice(zone, {
        kind: 'erreur',
        title: 'Acceptation impossible',
        text: unexpected(res),
        focus: true,
        id: `demande-${r.id}-erreur`,
      });
    }
  });

  rejectOnClick({
    r,
    actions,
    button: reject,
    url: `/api/habilitations/${encodeURIComponent(r.id)}/reject`,
    title: `Refuser la demande ${de(personName(r))} ?`,
    text: 'La personne qui a fait la demande est prévenue par courriel, avec le motif.',
    onDone: async () => {
      await pages.reload();
      success(messages, `La demande ${de(personName(r))} (${r.partner_name}) est refusée ; le motif a été communiqué à la structure.`);
    },
  });
  return card;
}

function render(zone, items, state) {
  if (state === 'pending') {
    const late = items.filter((r) => r.overdue).length;
    zone.append(el('p', {
      class: 'meta',
      text: items.length
        ? `${items.length} demande${items.length > 1 ? 's' : ''} à traiter${late ? `, dont ${late} en retard` : ''}.`
        : 'Aucune demande à traiter.',
    }));
    const list = el('div', { class: 'demandes' });
    for (const r of items) list.append(pendingCard(r));
    zone.append(list);
  } else {
    const columns = [
      { label: 'Personne', cell: (r) => personName(r) },
      { label: 'Structure', cell: partnerLink },
      { label: 'Reçue le', cell: (r) => timeEl(r.received_at) },
      { label: 'Échéance', cell: (r) => jour(r.due_on) },
      { label: 'Traitée le', cell: (r) => timeEl(r.decided_at) },
    ];
    if (state === 'rejected') columns.push({ label: 'Motif', cell: (r) => r.reason });
    zone.append(dataTable({
      id: 'table-demandes',
      caption: TITLES[state],
      empty: 'Aucune demande.',
      rows: items,
      columns,
    }));
  }
}

queuePage({
  url: '/api/habilitations',
  states: ['pending', 'approved', 'rejected'],
  titles: TITLES,
  crumbs: [['Demandes d\'habilitation', '/habilitations']],
  label: 'Pages des demandes d\'habilitation',
  render,
}).then((p) => { pages = p; });
