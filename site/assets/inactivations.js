// /inactivations (caisse agent): gestionnaire inactivations signalled by partners at
// least 15 days ahead (GET /api/inactivations?state=…, by date, 33 a page with the
// names of the accounts they name). They apply on their
// date (scheduler); the agent may apply one now (POST …/apply, confirmation step: the
// techniciens are re-attached to the successor) or reject it with a reason.
import { $, api, de, el, showErrors, unexpected } from './app.js';
import {
  confirmStep, jour, nameIn, queuePage, queueRender, rejectOnClick, requestCard, success, timeEl,
} from './gestion.js';

const messages = $('#messages');
const TITLES = { scheduled: 'Inactivations programmées, par date', done: 'Inactivations appliquées', rejected: 'Demandes refusées' };
let pages;

function card(r, info) {
  const who = nameIn(info, r.user_id) || 'Gestionnaire';
  const { card: box, actions } = requestCard({
    id: `demande-${r.id}`,
    title: `${who} – ${info.name}`,
    pairs: [
      ['Structure', el('a', { href: `/partenaire?id=${encodeURIComponent(r.partner_id)}`, text: info.name })],
      ['Date d\'inactivation prévue', jour(r.wanted_on)],
      ['Techniciens rattachés à', r.successor_id ? nameIn(info, r.successor_id) || '—' : 'un autre gestionnaire actif (choisi à l\'inactivation)'],
      ['Signalée le', timeEl(r.received_at)],
      ['Signalée par', nameIn(info, r.submitted_by) || 'votre caisse'],
    ],
  });
  const apply = el('button', { type: 'button', class: 'bouton', text: 'Inactiver maintenant' });
  const reject = el('button', { type: 'button', class: 'bouton secondaire', text: 'Refuser' });
  apply.setAttribute('aria-describedby', `demande-${r.id}-titre`);
  reject.setAttribute('aria-describedby', `demande-${r.id}-titre`);
  actions.append(apply, reject);
  apply.addEventListener('click', () => {
    confirmStep({
      anchor: actions,
      id: `application-${r.id}`,
      title: `Inactiver dès maintenant le compte ${de(who)} ?`,
      text: `Sans attendre le ${jour(r.wanted_on)} : ses sessions sont fermées et ses techniciens rattachés à un autre gestionnaire de la structure.`,
      confirmLabel: 'Confirmer l\'inactivation',
      returnFocus: apply,
      onConfirm: async (form) => {
        const res = await api('POST', `/api/inactivations/${encodeURIComponent(r.id)}/apply`, {});
        if (res.status === 200 && res.body) {
          const n = (res.body.reattached || []).length;
          const successor = res.body.successor_id ? nameIn(info, res.body.successor_id) : '';
          await pages.reload();
          success(messages, `Le compte ${de(who)} (${info.name}) est inactivé.${n ? ` ${n} technicien${n > 1 ? 's' : ''} rattaché${n > 1 ? 's' : ''} à ${successor || 'un autre gestionnaire'}.` : ''}`);
          return true;
        }
        showErrors(form, [{ field: null, message: unexpected(res) }]);
        return false;
      },
    });
  });
  rejectOnClick({
    r,
    actions,
    button: reject,
    url: `/api/inactivations/${encodeURIComponent(r.id)}/reject`,
    title: `Refuser l'inactivation ${de(who)} ?`,
    onDone: async () => {
      await pages.reload();
      success(messages, `L'inactivation ${de(who)} (${info.name}) est refusée : le compte reste actif.`);
    },
  });
  return box;
}

const render = queueRender({
  open: 'scheduled',
  summary: (items) => (items.length ? `${items.length} inactivation${items.length > 1 ? 's' : ''} programmée${items.length > 1 ? 's' : ''} sur cette page, de la plus proche à la plus lointaine.` : 'Aucune inactivation programmée.'),
  card,
  titles: TITLES,
  columns: () => [
    { label: 'Structure', cell: ({ info }) => info.name },
    { label: 'Gestionnaire', cell: ({ r, info }) => nameIn(info, r.user_id) },
    { label: 'Date prévue', cell: ({ r }) => jour(r.wanted_on) },
    { label: 'Traitée le', cell: ({ r }) => timeEl(r.decided_at) },
    { label: 'Motif du refus', cell: ({ r }) => r.reason },
  ],
});

queuePage({
  url: '/api/inactivations',
  states: ['scheduled', 'done', 'rejected'],
  titles: TITLES,
  crumbs: [['Inactivations programmées', '/inactivations']],
  label: 'Pages des inactivations',
  render,
}).then((p) => { pages = p; });
