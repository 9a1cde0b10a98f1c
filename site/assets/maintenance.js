// /maintenance (platform admin, caisse agents): the maintenance windows announced
// (GET /api/maintenance-windows) and, for the admin (platform) or a caisse's admin
// agents (their caisse), announcing, changing and cancelling one (POST, PUT,
// POST …/cancel). Times are typed and shown in Paris time.
import {
  $, api, busy, clearErrors, el, formatDateTime, notice, pageReady, problemErrors, showErrors,
  showFatal, unexpected,
} from './app.js';
import { dataTable, startPage } from './gestion.js';

const messages = $('#messages');
const form = $('#form-interruption');
const start = $('#interruption-debut');
const end = $('#interruption-fin');
const message = $('#interruption-message');
const submit = $('#interruption-envoyer');
const abandon = $('#interruption-abandon');
const FIELDS = { start: 'interruption-debut', end: 'interruption-fin', message: 'interruption-message' };
let editing = null;

const parisParts = new Intl.DateTimeFormat('fr-FR', {
  timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});

/** An ISO time as a `datetime-local` value in Paris time (« 2026-12-08T02:00 »). */
function parisLocal(iso) {
  const p = Object.fromEntries(parisParts.formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

function whoFor(w) {
  return w.caisse_name ? `Partenaires et agents de ${w.caisse_name}` : 'Tous les utilisateurs';
}

function stopEditing() {
  editing = null;
  form.reset();
  submit.textContent = 'Annoncer l’interruption';
  abandon.hidden = true;
  $('#titre-annoncer').textContent = 'Annoncer une interruption';
}

function edit(w) {
  editing = w;
  start.value = parisLocal(w.start);
  end.value = parisLocal(w.end);
  message.value = w.message;
  submit.textContent = 'Enregistrer la modification';
  abandon.hidden = false;
  $('#titre-annoncer').textContent = `Modifier l’interruption du ${formatDateTime(w.start)}`;
  start.focus();
}

async function cancel(w) {
  const r = await api('POST', `/api/maintenance-windows/${encodeURIComponent(w.id)}/cancel`, {});
  if (r.status === 200) {
    notice(messages, { kind: 'succes', text: `L’interruption du ${formatDateTime(w.start)} est annulée : le bandeau ne s’affiche plus.`, focus: true, id: 'statut-action' });
    if (editing && editing.id === w.id) stopEditing();
    await load();
  } else {
    notice(messages, { kind: 'erreur', title: 'Annulation impossible', text: unexpected(r), focus: true, id: 'statut-action' });
  }
}

async function load() {
  const res = await api('GET', '/api/maintenance-windows');
  if (res.status !== 200 || !res.body) {
    showFatal(unexpected(res));
    return null;
  }
  const zone = $('#liste-interruptions');
  zone.textContent = '';
  zone.append(dataTable({
    id: 'table-interruptions',
    caption: 'Interruptions annoncées, de la plus proche à la plus lointaine',
    empty: 'Aucune interruption n’est annoncée.',
    rows: res.body.items || [],
    columns: [
      { label: 'Début', cell: (w) => formatDateTime(w.start) },
      { label: 'Fin', cell: (w) => formatDateTime(w.end) },
      { label: 'Concerne', cell: whoFor },
      { label: 'État', cell: (w) => (w.in_force ? 'En cours' : 'À venir') },
      { label: 'Message', cell: (w) => w.message },
      {
        label: 'Actions',
        cell: (w) => {
          if (!w.editable) return 'Annoncée par une autre autorité';
          const box = el('span', { class: 'actions-ligne' });
          const label = `l’interruption du ${formatDateTime(w.start)}`;
          const change = el('button', { type: 'button', class: 'bouton secondaire', text: 'Modifier', 'aria-label': `Modifier ${label}` });
          change.addEventListener('click', () => edit(w));
          const stop = el('button', { type: 'button', class: 'bouton secondaire', text: 'Annuler', 'aria-label': `Annuler ${label}` });
          stop.addEventListener('click', () => cancel(w));
          box.append(change, ' ', stop);
          return box;
        },
      },
    ],
  }));
  return res.body;
}

async function main() {
  const me = await startPage({ profiles: ['admin', 'agent'], crumbs: [['Interruptions de service', '/maintenance']] });
  if (!me) return;
  const list = await load();
  if (!list) return;
  if (list.may_announce) {
    $('#bloc-annoncer').hidden = false;
    $('#portee-annonce').textContent = list.scope === 'platform'
      ? 'Elle concernera tous les utilisateurs de la plateforme (l’administration de la plateforme reste accessible).'
      : `Elle concernera les agents de ${me.organisation.name} et les utilisateurs des structures conventionnées avec elle, pour leurs démarches auprès de votre caisse.`;
  } else {
    notice(messages, { text: 'Seuls les agents administrateurs de votre caisse annoncent ses interruptions.' });
  }
  pageReady();
  abandon.addEventListener('click', () => {
    clearErrors(form);
    stopEditing();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const errors = [];
    if (!start.value) errors.push({ field: FIELDS.start, message: 'Indiquez la date et l’heure du début.' });
    if (!end.value) errors.push({ field: FIELDS.end, message: 'Indiquez la date et l’heure de la fin.' });
    if (!message.value.trim()) errors.push({ field: FIELDS.message, message: 'Écrivez le message affiché aux utilisateurs.' });
    if (errors.length) {
      showErrors(form, errors);
      return;
    }
    const body = { start: start.value, end: end.value, message: message.value };
    const done = busy(form);
    const r = editing
      ? await api('PUT', `/api/maintenance-windows/${encodeURIComponent(editing.id)}`, body)
      : await api('POST', '/api/maintenance-windows', body);
    done();
    if (r.status === 200 || r.status === 201) {
      clearErrors(form);
      const text = editing
        ? 'L’interruption est modifiée : le bandeau des utilisateurs concernés l’indique.'
        : `L’interruption du ${formatDateTime(r.body.start)} au ${formatDateTime(r.body.end)} est annoncée : le bandeau s’affiche dès maintenant aux utilisateurs concernés.`;
      stopEditing();
      await load();
      notice(messages, { kind: 'succes', text, focus: true, id: 'statut-action' });
    } else if (r.status === 422) {
      showErrors(form, problemErrors(r.body, FIELDS, FIELDS.message));
    } else {
      showErrors(form, [{ field: null, message: unexpected(r) }]);
    }
  });
}

main();
