// /demandes/demande?id=… (partner users of the request's structure, agents of its caisse):
// a request (GET /api/requests/{id}): its summary, the thread of messages (text, never
// HTML), its events (each state with who and when), and the forms of the actions this
// user may do now (`actions`: take, message, ask, reply, answer, close; POST
// /api/requests/{id}/actions). The server checks every message (no NIR, no health data)
// and its messages are shown under the field. Another structure's or caisse's request
// answers 404: « Demande introuvable », with the way back. Its « Pièces jointes »
// (issue 12, `pieces-jointes.js`): the list, and the uploader when `can_attach`; for an
// agent answering a `document` request delivered through the portal, the uploader is in
// the answer form (the document is attached first, then the answer is sent).
import {
  $, api, busy, el, notice, pageReady, problemErrors, showErrors, showFatal, takeFlash, unexpected,
} from './app.js';
import {
  breadcrumb, confirmStep, details, isoDay, jour, queryParam, startPage, success, timeEl,
} from './gestion.js';
import {
  FREE_TEXT_HINT, assureName, departementLabel, kindLabel, sousTypeHeading, stateBadge, stateLabel,
} from './demandes-commun.js';
import { attachmentsList, createUploader } from './pieces-jointes.js';

const messages = $('#messages');
const holder = $('#zone-demande');
let me;
let detail;
const uploader = createUploader({ requestId: () => detail.id, onDone: () => reload() });

const THREAD_KINDS = Object.freeze({
  request: 'Demande initiale',
  message: 'Message',
  info_request: 'Demande de complément',
  reply: 'Complément apporté',
  answer: 'Réponse de la caisse',
});

const SIDES = Object.freeze({ partner: 'structure', caisse: 'caisse' });

/** Where the list of this user is. */
function listPage() {
  return me.profile === 'agent'
    ? ['Demandes des partenaires', '/caisse/demandes']
    : ['Historique des demandes', '/demandes'];
}

function sideText(side, r) {
  if (side === 'caisse') return r.caisse_name ? `caisse, ${r.caisse_name}` : 'caisse';
  if (side === 'partner') return r.partner_name ? `structure, ${r.partner_name}` : 'structure';
  return SIDES[side] || '';
}

// ------------------------------------------------------------------ render

function summary(r) {
  const pairs = [
    ['Référence', el('span', { class: 'reference', text: r.reference })],
    ['État', stateBadge(r)],
    ['Type', kindLabel(r.type)],
  ];
  if (r.sous_type_label) pairs.push([sousTypeHeading(r.type), r.sous_type_label]);
  if (r.type === 'rendez_vous') {
    pairs.push(['Mode souhaité', r.mode_label || '—']);
    pairs.push(['Disponibilités', el('span', { class: 'texte-libre', text: r.disponibilites || '—' })]);
  }
  if (r.type === 'document') {
    pairs.push(['Remise du document', r.delivery_label || '—']);
    if (r.posted_on) pairs.push(['Envoyé par courrier le', timeEl(r.posted_on)]);
  }
  pairs.push(['Caisse', r.caisse_name]);
  pairs.push(['Structure', r.partner_name]);
  pairs.push(['Envoyée le', timeEl(r.created_at, { withTime: true })]);
  pairs.push(['Envoyée par', r.submitted_by_name || '—']);
  pairs.push(['Agent en charge', r.assigned_to_name || 'Pas encore attribuée']);
  const a = r.assure || {};
  const who = [
    ['Nom', assureName(r) || '—'],
    ['Date de naissance', a.date_naissance ? jour(a.date_naissance) : '—'],
    ['Département de résidence', departementLabel(a.departement) || '—'],
  ];
  return el('div', { class: 'grille-demande' },
    el('section', { class: 'carte', 'aria-labelledby': 'titre-resume' },
      el('h2', { id: 'titre-resume', text: 'La demande' }), details(pairs)),
    el('section', { class: 'carte', 'aria-labelledby': 'titre-assure' },
      el('h2', { id: 'titre-assure', text: 'Personne concernée' }), details(who)));
}

function thread(r) {
  const section = el('section', { class: 'carte', 'aria-labelledby': 'titre-echanges' });
  section.append(el('h2', { id: 'titre-echanges', text: 'Échanges' }));
  const items = r.thread || [];
  if (!items.length) {
    section.append(el('p', { class: 'vide', text: 'Aucun message.' }));
    return section;
  }
  const list = el('ol', { class: 'fil' });
  for (const m of items) {
    const side = m.author_side === 'caisse' ? 'caisse' : 'partner';
    const head = el('p', { class: 'fil-entete' },
      el('strong', { text: THREAD_KINDS[m.kind] || 'Message' }), ' — ',
      m.author_name || 'Auteur inconnu', ` (${sideText(side, r)}), le `, timeEl(m.at, { withTime: true }));
    list.append(el('li', { class: `fil-message ${side}` }, head,
      el('p', { class: 'texte-libre', text: m.text || '' })));
  }
  section.append(list);
  return section;
}

function events(r) {
  const section = el('section', { class: 'carte', 'aria-labelledby': 'titre-etapes' });
  section.append(el('h2', { id: 'titre-etapes', text: 'Suivi de la demande' }));
  const list = el('ol', { class: 'etapes' });
  for (const e of r.events || []) {
    list.append(el('li', {},
      el('strong', { text: e.state_label || stateLabel(e.state) }), ' — le ', timeEl(e.at, { withTime: true }),
      `, par ${e.actor_name || 'un utilisateur'} (${sideText(e.actor_side, r)})`));
  }
  if (!list.children.length) list.append(el('li', { text: 'Aucune étape enregistrée.' }));
  section.append(list);
  return section;
}

// ------------------------------------------------------------------ attachments

/** An agent answering a `document` request delivered through the portal. */
function answersWithDocument(r) {
  return me.profile === 'agent' && r.type === 'document' && r.delivery_mode === 'portal'
    && (r.actions || []).includes('answer');
}

/** Why nothing can be attached now (when the server says `can_attach: false`). */
function noAttachReason(r) {
  if (r.state === 'closed') return 'Cette demande est clôturée : aucune pièce jointe ne peut plus y être ajoutée.';
  if (r.state === 'answered') return 'La caisse a répondu à cette demande : aucune pièce jointe ne peut plus y être ajoutée.';
  if (me.profile === 'agent') {
    if (!(r.type === 'document' && r.delivery_mode === 'portal')) {
      return 'La caisse joint un document seulement pour répondre à une demande de document remis par Espace Partenaires.';
    }
    return r.state === 'in_progress'
      ? 'Vous ne pouvez pas joindre de document à cette étape.'
      : 'Prenez la demande en charge pour y joindre le document demandé.';
  }
  return 'Aucune pièce jointe ne peut être ajoutée pour l\'instant.';
}

function attachmentsBlock(r) {
  const section = el('section', { class: 'carte', 'aria-labelledby': 'titre-pj', id: 'pieces-jointes' });
  section.append(el('h2', { id: 'titre-pj', text: 'Pièces jointes' }));
  section.append(attachmentsList(r, {
    sideText: (side) => sideText(side, r),
    onChanged: (message, focusId) => reload({ message, focusId }),
  }));
  const limits = r.attachment_limits || {};
  if (limits.can_attach && answersWithDocument(r)) {
    section.append(el('p', { class: 'meta' }, 'Le document demandé se joint dans le formulaire ',
      el('a', { href: '#action-answer-titre', text: '« Répondre »' }), ', ci-dessous.'));
  } else if (limits.can_attach) {
    section.append(el('h3', { id: 'titre-ajout-pj', text: 'Ajouter des pièces jointes' }));
    section.append(uploader.node(r, { idPrefix: 'pj' }));
  } else {
    section.append(el('p', { class: 'meta', id: 'pj-ajout-impossible', text: noAttachReason(r) }));
  }
  return section;
}

/** Step 1 of the answer of a document delivered through the portal: the document. */
function documentStep(r) {
  const step = el('div', { class: 'etape-document' });
  step.append(el('h4', { id: 'action-answer-document', text: '1. Joindre le document' }));
  const ready = (r.attachments || []).filter((a) => a.side === 'caisse' && a.state === 'safe');
  if (ready.length) {
    step.append(el('p', { id: 'document-joint' },
      `Document${ready.length > 1 ? 's' : ''} joint${ready.length > 1 ? 's' : ''} et vérifié${ready.length > 1 ? 's' : ''} : `,
      ready.map((a) => a.file_name).join(', '), '. Vous pouvez en joindre un autre ou envoyer la réponse.'));
  } else {
    step.append(el('p', { id: 'document-joint', text: 'Aucun document vérifié n\'est encore joint.' }));
  }
  if ((r.attachment_limits || {}).can_attach) {
    step.append(uploader.node(r, { idPrefix: 'pj-reponse', label: 'Document à remettre à la structure' }));
  }
  step.append(el('h4', { id: 'action-answer-envoi', text: '2. Envoyer la réponse' }));
  return step;
}

// ------------------------------------------------------------------ actions

/** Runs an action; on success re-renders the page and says what was done. */
async function act(form, body, fields, done) {
  const finish = busy(form);
  const res = await api('POST', `/api/requests/${encodeURIComponent(detail.id)}/actions`, body);
  finish();
  if (res.status === 200 && res.body) {
    detail = res.body;
    render();
    success(messages, done);
    return true;
  }
  if (res.status === 404) {
    notFound();
    return false;
  }
  if (res.status === 422 || res.status === 409 || res.status === 400) {
    const fallback = res.status === 422 ? fields.message || null : null;
    const errors = problemErrors(res.body, fields, fallback);
    // The answer of a portal document without its document: the message goes next to
    // the file input of the answer form (the summary links to it).
    if (res.body && res.body.code === 'request.document_missing' && document.getElementById('pj-reponse-fichiers')) {
      errors[0].field = 'pj-reponse-fichiers';
    }
    showErrors(form, errors, { below: true });
  } else {
    showErrors(form, [{ field: null, message: unexpected(res) }]);
  }
  return false;
}

function messageArea(id, label, hint, required = true) {
  const lab = el('label', { for: id }, required ? label : `${label} (facultatif)`, ' ',
    el('span', { class: 'aide', id: `${id}-aide`, text: `${hint} ${FREE_TEXT_HINT}` }));
  const area = el('textarea', { id, name: 'message', rows: '5', maxlength: '2000', class: 'court', 'aria-describedby': `${id}-aide`, spellcheck: 'true' });
  return el('div', { class: 'champ' }, lab, area);
}

/** A titled form of one action: a message (and a date for a document sent by post). */
function actionForm({ action, title, intro, label, hint, button, done, required = true, posted = false, before = null }) {
  const id = `action-${action}`;
  const section = el('section', { class: 'carte action', 'aria-labelledby': `${id}-titre` });
  section.append(el('h3', { id: `${id}-titre`, text: title }));
  if (intro) section.append(el('p', { text: intro }));
  if (before) section.append(before);
  const form = el('form', { id: `form-${action}`, method: 'post', action: window.location.pathname, novalidate: true });
  const fields = { message: `${id}-message` };
  if (posted) {
    const dateId = `${id}-courrier`;
    fields.posted_on = dateId;
    form.append(el('div', { class: 'champ' },
      el('label', { for: dateId }, 'Envoyé par courrier le', ' ',
        el('span', { class: 'aide', id: `${dateId}-aide`, text: 'La date d\'envoi du document à l\'adresse connue de l\'assuré, par exemple 03/02/2026.' })),
      el('input', { type: 'date', id: dateId, name: 'posted_on', max: isoDay(), 'aria-describedby': `${dateId}-aide`, class: 'date' })));
  }
  form.append(messageArea(fields.message, label, hint, required));
  form.append(el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'bouton', text: button })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { action };
    const text = document.getElementById(fields.message).value;
    if (text.trim()) body.message = text;
    if (posted) {
      const d = document.getElementById(fields.posted_on).value;
      if (d) body.posted_on = d;
    }
    await act(form, body, fields, done);
  });
  section.append(form);
  return section;
}

/** « take » is offered by the server only when the request is not already this agent's. */
function takeBlock(r) {
  const reassign = r.state === 'in_progress' && Boolean(r.assigned_to_name);
  const section = el('section', { class: 'carte action', 'aria-labelledby': 'action-take-titre' });
  section.append(el('h3', { id: 'action-take-titre', text: reassign ? 'Reprendre la demande' : 'Prendre en charge' }));
  section.append(el('p', {
    text: reassign
      ? `La demande est suivie par ${r.assigned_to_name}. Vous pouvez la reprendre : elle vous sera attribuée.`
      : 'La demande vous sera attribuée et passera à l\'état « En cours de traitement ». La structure le verra.',
  }));
  const form = el('form', { id: 'form-take', method: 'post', action: window.location.pathname, novalidate: true });
  form.append(el('div', { class: 'actions' }, el('button', {
    type: 'submit', class: 'bouton', text: reassign ? 'Reprendre la demande' : 'Prendre en charge la demande',
  })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await act(form, { action: 'take' }, {}, 'La demande vous est attribuée : elle est en cours de traitement.');
  });
  section.append(form);
  return section;
}

function closeBlock() {
  const section = el('section', { class: 'carte action', 'aria-labelledby': 'action-close-titre' });
  section.append(el('h3', { id: 'action-close-titre', text: 'Clôturer la demande' }));
  section.append(el('p', { text: 'Une demande clôturée ne reçoit plus de message. Elle est supprimée 12 mois après sa clôture.' }));
  const button = el('button', { type: 'button', class: 'bouton secondaire', text: 'Clôturer la demande' });
  const row = el('div', { class: 'actions' }, button);
  section.append(row);
  button.addEventListener('click', () => {
    confirmStep({
      anchor: row,
      id: 'confirmation-cloture',
      title: `Clôturer la demande ${detail.reference} ?`,
      text: 'Plus aucun message ne pourra y être ajouté.',
      confirmLabel: 'Confirmer la clôture',
      returnFocus: button,
      onConfirm: async (form) => act(form, { action: 'close' }, {}, `La demande ${detail.reference} est clôturée.`),
    });
  });
  return section;
}

function actionsBlock(r) {
  const actions = r.actions || [];
  const section = el('section', { 'aria-labelledby': 'titre-actions', id: 'actions-demande' });
  section.append(el('h2', { id: 'titre-actions', text: 'Que voulez-vous faire ?' }));
  if (!actions.length) {
    const why = r.state === 'closed'
      ? 'Cette demande est clôturée : plus aucune action n\'est possible.'
      : me.profile === 'agent'
        ? (r.state === 'info_requested'
          ? 'La structure doit apporter le complément demandé : la demande reviendra à l\'état « En cours de traitement » dès sa réponse.'
          : 'Aucune action n\'est possible pour vous à cette étape.')
        : r.state === 'answered'
          ? 'La caisse a répondu. Aucune autre action n\'est possible pour vous.'
          : 'Aucune action n\'est attendue de votre part pour l\'instant : la caisse traite la demande. Vous serez prévenu par courriel de tout changement.';
    section.append(el('p', { class: 'meta', id: 'aucune-action', text: why }));
    return section;
  }
  const postAnswer = r.type === 'document' && r.delivery_mode === 'post';
  const portalAnswer = answersWithDocument(r);
  for (const action of actions) {
    if (action === 'take') section.append(takeBlock(r));
    else if (action === 'reply') {
      section.append(actionForm({
        action: 'reply',
        title: 'Apporter le complément demandé',
        intro: 'La caisse attend un complément (voir sa demande dans les échanges ci-dessus).',
        label: 'Votre réponse',
        hint: 'Ce que la caisse demande, sans plus (2000 caractères au plus).',
        button: 'Envoyer le complément',
        done: 'Votre complément est envoyé à la caisse : la demande est de nouveau en cours de traitement.',
      }));
    } else if (action === 'message') {
      section.append(actionForm({
        action: 'message',
        title: 'Écrire à la structure',
        intro: 'Le message s\'ajoute aux échanges ; l\'état de la demande ne change pas.',
        label: 'Message',
        hint: '2000 caractères au plus.',
        button: 'Envoyer le message',
        done: 'Votre message est envoyé à la structure.',
      }));
    } else if (action === 'ask') {
      section.append(actionForm({
        action: 'ask',
        title: 'Demander un complément',
        intro: 'La demande passe à l\'état « Complément demandé » jusqu\'à la réponse de la structure.',
        label: 'Ce qui manque',
        hint: 'Dites précisément ce que la structure doit apporter (2000 caractères au plus).',
        button: 'Demander le complément',
        done: 'Votre demande de complément est envoyée à la structure.',
      }));
    } else if (action === 'answer') {
      section.append(actionForm({
        action: 'answer',
        title: 'Répondre',
        intro: postAnswer
          ? 'Le document est envoyé par courrier à l\'adresse connue de l\'assuré : indiquez la date d\'envoi. La demande passe à l\'état « Répondue ».'
          : portalAnswer
            ? 'Le document est remis à la structure par Espace Partenaires : joignez-le d\'abord (PDF, JPEG ou PNG). La réponse ne peut être envoyée qu\'une fois le document vérifié ; la demande passe alors à l\'état « Répondue » et la structure peut télécharger le document.'
            : 'La demande passe à l\'état « Répondue ».',
        label: 'Réponse',
        hint: 'La réponse à la structure (2000 caractères au plus).',
        button: 'Envoyer la réponse',
        done: 'Votre réponse est envoyée à la structure : la demande est répondue.',
        required: !postAnswer,
        posted: postAnswer,
        before: portalAnswer ? documentStep(r) : null,
      }));
    } else if (action === 'close') section.append(closeBlock());
  }
  return section;
}

function render() {
  const r = detail;
  document.title = `Demande ${r.reference} – Espace Partenaires`;
  $('#titre-demande').textContent = `Demande ${r.reference}`;
  const sub = $('#sous-titre-demande');
  sub.textContent = '';
  sub.append(kindLabel(r.type), ' — ', stateBadge(r));
  // What the user has typed in the forms survives a re-render (after an upload).
  const typed = new Map();
  for (const f of holder.querySelectorAll('textarea[id], input[type=date][id]')) if (f.value) typed.set(f.id, f.value);
  holder.textContent = '';
  holder.append(summary(r), thread(r), events(r), attachmentsBlock(r), actionsBlock(r));
  for (const [id, value] of typed) {
    const f = document.getElementById(id);
    if (f) f.value = value;
  }
  const [label, href] = listPage();
  holder.append(el('p', { class: 'lien-annexe' }, el('a', { href, text: `Retour à la liste : ${label.toLowerCase()}` })));
}

/**
 * Reloads the request and re-renders (after an upload, a download, a removal):
 * `message` in the status box, focus back on `focusId`'s first button.
 */
async function reload({ message = null, focusId = null } = {}) {
  const res = await api('GET', `/api/requests/${encodeURIComponent(detail.id)}`);
  if (res.status === 404) {
    notFound();
    return;
  }
  if (res.status !== 200 || !res.body) return;
  detail = res.body;
  render();
  if (message) success(messages, message);
  if (focusId) {
    const target = document.querySelector(`#${CSS.escape(focusId)} button`);
    if (target) target.focus();
  }
}

function notFound() {
  document.title = 'Demande introuvable – Espace Partenaires';
  $('#titre-demande').textContent = 'Demande introuvable';
  $('#sous-titre-demande').textContent = '';
  holder.textContent = '';
  const [label, href] = listPage();
  holder.append(
    el('p', { id: 'demande-introuvable', text: 'Cette demande n\'existe pas, a été supprimée après sa clôture, ou n\'est pas accessible avec votre compte.' }),
    el('p', {}, el('a', { href, text: `Retour à la liste : ${label.toLowerCase()}` })),
  );
  $('#titre-demande').focus();
}

async function start() {
  me = await startPage({ profiles: ['agent', 'gestionnaire', 'technicien'], crumbs: [] });
  if (!me) return;
  const id = queryParam('id');
  const list = listPage();
  const res = id ? await api('GET', `/api/requests/${encodeURIComponent(id)}`) : { status: 404 };
  pageReady();
  if (res.status === 404 || res.status === 400) {
    breadcrumbOf(list, 'Demande introuvable');
    notFound();
    return;
  }
  if (res.status !== 200 || !res.body) {
    showFatal(unexpected(res));
    return;
  }
  detail = res.body;
  breadcrumbOf(list, `Demande ${detail.reference}`);
  render();
  const flash = takeFlash();
  if (flash) {
    const invite = detail.type === 'dossier' && (detail.attachment_limits || {}).can_attach
      ? el('p', { id: 'invitation-pj' },
        'Ajoutez maintenant les justificatifs utiles à l\'étude du dossier (PDF, JPEG ou PNG) : ',
        el('a', { href: '#pj-fichiers', id: 'lien-ajout-pj', text: 'ajouter les justificatifs' }), '.')
      : null;
    notice(messages, { kind: 'succes', text: flash, focus: true, id: 'confirmation-envoi' }, ...(invite ? [invite] : []));
    // The link takes the user to the file input itself (focus, not only the scroll).
    if (invite) {
      $('#lien-ajout-pj').addEventListener('click', (event) => {
        const input = document.getElementById('pj-fichiers');
        if (!input) return;
        event.preventDefault();
        input.focus();
        input.scrollIntoView({ block: 'center' });
      });
    }
  }
}

function breadcrumbOf(list, label) {
  breadcrumb([list, [label, null]]);
}

start();
