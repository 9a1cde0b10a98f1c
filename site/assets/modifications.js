// /modifications (caisse agent): requests of partners to change a gestionnaire's name,
// function, phone or e-mail (GET /api/modifications?state=…, oldest first). The agent
// applies them (POST …/apply) or rejects them with a reason (POST …/reject). The
// structure's name and the gestionnaire's current values come with each item (50 a
// page, « Page suivante »), no other call.
import { $, api, de, el, notice, unexpected } from './app.js';
import {
  dataTable, nameIn, personName, queuePage, queueRender, rejectOnClick, requestCard, success, timeEl,
} from './gestion.js';

const messages = $('#messages');
const FIELDS = [['nom', 'Nom'], ['prenom', 'Prénom'], ['fonction', 'Fonction'], ['telephone', 'Téléphone'], ['email', 'Adresse électronique']];
const TITLES = { pending: 'Demandes à traiter', applied: 'Demandes appliquées', rejected: 'Demandes refusées' };
let pages;

function changesTable(r, account) {
  const rows = FIELDS.filter(([k]) => r[k]).map(([k, label]) => ({ label, before: account ? account[k] : '', after: r[k] }));
  return dataTable({
    id: `changements-${r.id}`,
    caption: 'Informations à modifier',
    rows,
    columns: [
      { label: 'Information', cell: (x) => x.label },
      { label: 'Actuellement', cell: (x) => x.before },
      { label: 'Demandé', cell: (x) => x.after },
    ],
  });
}

function card(r, info) {
  const account = info.accounts.find((a) => a.id === r.user_id);
  const who = account ? personName(account) : 'Gestionnaire';
  const submitter = info.accounts.find((a) => a.id === r.submitted_by);
  const { card: box, actions, zone } = requestCard({
    id: `demande-${r.id}`,
    title: `${who} – ${info.name}`,
    pairs: [
      ['Structure', el('a', { href: `/partenaire?id=${encodeURIComponent(r.partner_id)}`, text: info.name })],
      ['Demandée le', timeEl(r.received_at)],
      ['Demandée par', submitter ? personName(submitter) : '—'],
    ],
  });
  zone.before(changesTable(r, account));
  const apply = el('button', { type: 'button', class: 'bouton', text: 'Appliquer les modifications' });
  const reject = el('button', { type: 'button', class: 'bouton secondaire', text: 'Refuser' });
  apply.setAttribute('aria-describedby', `demande-${r.id}-titre`);
  reject.setAttribute('aria-describedby', `demande-${r.id}-titre`);
  actions.append(apply, reject);
  apply.addEventListener('click', async () => {
    apply.disabled = true;
    const res = await api('POST', `/api/modifications/${encodeURIComponent(r.id)}/apply`, {});
    apply.disabled = false;
    if (res.status === 200) {
      await pages.reload();
      success(messages, `Les informations ${de(who)} (${info.name}) sont modifiées ; un courriel l'en informe.`);
    } else {
      notice(zone, { kind: 'erreur', title: 'Modification impossible', text: unexpected(res), focus: true, id: `demande-${r.id}-erreur` });
    }
  });
  rejectOnClick({
    r,
    actions,
    button: reject,
    url: `/api/modifications/${encodeURIComponent(r.id)}/reject`,
    title: `Refuser la demande de modification pour ${who} ?`,
    onDone: async () => {
      await pages.reload();
      success(messages, `La demande de modification pour ${who} (${info.name}) est refusée.`);
    },
  });
  return box;
}

const render = queueRender({
  open: 'pending',
  summary: (items) => (items.length ? `${items.length} demande${items.length > 1 ? 's' : ''} à traiter sur cette page, de la plus ancienne à la plus récente.` : 'Aucune demande à traiter.'),
  card,
  titles: TITLES,
  columns: () => [
    { label: 'Structure', cell: ({ info }) => info.name },
    { label: 'Gestionnaire', cell: ({ r, info }) => nameIn(info, r.user_id) },
    { label: 'Changements', cell: ({ r }) => FIELDS.filter(([k]) => r[k]).map(([k, l]) => `${l} : ${r[k]}`).join(' ; ') },
    { label: 'Demandée le', cell: ({ r }) => timeEl(r.received_at) },
    { label: 'Traitée le', cell: ({ r }) => timeEl(r.decided_at) },
    { label: 'Motif du refus', cell: ({ r }) => r.reason },
  ],
});

queuePage({
  url: '/api/modifications',
  states: ['pending', 'applied', 'rejected'],
  titles: TITLES,
  crumbs: [['Demandes de modification', '/modifications']],
  label: 'Pages des demandes de modification',
  render,
}).then((p) => { pages = p; });
