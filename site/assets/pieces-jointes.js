// Espace Partenaires — the attachments of a request (issue 12), on the request page.
//
// - `attachmentsList(r, …)`: the « Pièces jointes » of the request (GET
//   /api/requests/{id} → `attachments`): file name (text, never HTML), size in Ko/Mo,
//   state (« Vérification en cours », « Vérifiée », « Refusée » and its reason), who added
//   it, who downloaded it and when (both sides see it); « Télécharger » when the server
//   says `can_download` (GET /api/attachments/{id}/download → a short-lived URL the page
//   goes to; before the file is safe, 409 and its message shown next to the file);
//   « Retirer » when `can_delete`.
// - `createUploader(…)`: the file input (limits from `attachment_limits`, never a copy of
//   the server's rules), then for each file in turn: a slot (POST
//   /api/requests/{id}/attachments), the bytes sent straight to `upload.url` with exactly
//   `upload.headers` (XMLHttpRequest, for a real <progress>), « Annuler » (aborts, deletes
//   the slot), the confirmation (POST /api/attachments/{id}/confirm) and the resulting
//   state. Each refusal is shown next to its file; the other files go on. Its rows and
//   its live region survive the page's re-renders.

import { api, el, UNAVAILABLE, formatSize } from './app.js';
import { badge, timeEl } from './gestion.js';

// ------------------------------------------------------------------ formatting

const TYPE_NAMES = Object.freeze({
  'application/pdf': ['PDF', ['.pdf']],
  'image/jpeg': ['JPEG', ['.jpg', '.jpeg']],
  'image/png': ['PNG', ['.png']],
});

const STATE_LABELS = Object.freeze({
  slot: 'Envoi en cours',
  pending: 'Vérification en cours',
  safe: 'Vérifiée',
  rejected: 'Refusée',
});


/** « PDF, JPEG ou PNG » of the MIME types the server accepts. */
function typesText(types) {
  const names = (types || []).map((t) => (TYPE_NAMES[t] ? TYPE_NAMES[t][0] : t));
  if (names.length < 2) return names.join('');
  return `${names.slice(0, -1).join(', ')} ou ${names[names.length - 1]}`;
}

/** The `accept` attribute: extensions and MIME types. */
function acceptOf(types) {
  const out = [];
  for (const t of types || []) {
    if (TYPE_NAMES[t]) out.push(...TYPE_NAMES[t][1]);
    out.push(t);
  }
  return out.join(',');
}

/** The declared type: the browser's, else from the extension (the server checks the content). */
function declaredType(file) {
  if (file.type) return file.type;
  const ext = (/\.[^.]+$/.exec(file.name.toLowerCase()) || [''])[0];
  for (const [type, [, exts]] of Object.entries(TYPE_NAMES)) if (exts.includes(ext)) return type;
  return 'application/octet-stream';
}

export function stateLabelOf(a) {
  return a.state_label || STATE_LABELS[a.state] || a.state;
}

/** The messages of a problem+json answer, in one sentence. */
function problemText(res, fallback = UNAVAILABLE) {
  const b = res && res.body;
  if (b && b.errors && typeof b.errors === 'object') {
    const list = Object.values(b.errors).map(String).filter(Boolean);
    if (list.length) return list.join(' ');
  }
  if (b && b.detail) return b.detail;
  return fallback;
}

// ------------------------------------------------------------------ the list

/**
 * The « Pièces jointes » list. `sideText(side)`: « structure, … » / « caisse, … »;
 * `onChanged(message)`: reload the request (after a download or a removal).
 */
export function attachmentsList(r, { sideText, onChanged }) {
  const items = r.attachments || [];
  const withAnswer = new Set(r.answer_documents || []);
  if (!items.length) {
    return el('p', { class: 'vide', id: 'pj-aucune', text: 'Aucune pièce jointe pour l\'instant.' });
  }
  const list = el('ul', { class: 'liste-pj', id: 'liste-pj' });
  for (const a of items) list.append(attachmentItem(a, { sideText, onChanged, withAnswer: withAnswer.has(a.id) }));
  return list;
}

function attachmentItem(a, { sideText, onChanged, withAnswer = false }) {
  const base = `pj-${a.id}`;
  const li = el('li', { class: `pj pj-${a.state}`, id: base, 'data-nom': a.file_name });
  const nameId = `${base}-nom`;
  li.append(el('p', { class: 'pj-titre' },
    el('span', { class: 'pj-nom', id: nameId, text: a.file_name }), ' ',
    el('span', { class: 'pj-taille', text: `(${formatSize(a.size)})` }), ' ',
    badge(stateLabelOf(a), `pj-etat-${a.state}`)));
  if (a.state === 'rejected') {
    li.append(el('p', { class: 'pj-motif', id: `${base}-motif` },
      el('strong', { text: 'Refusée : ' }), a.reason || 'le fichier n\'a pas passé les vérifications.'));
  } else if (a.state === 'slot') {
    li.append(el('p', { class: 'meta', text: 'L\'envoi de ce fichier n\'est pas terminé : il n\'est pas encore joint à la demande.' }));
  } else if (a.state === 'pending' && a.stalled) {
    li.append(el('p', { class: 'meta', text: 'La vérification de ce fichier prend plus de temps que prévu : la caisse en est informée. Il ne pourra être ouvert qu\'une fois vérifié.' }));
  } else if (a.state === 'pending') {
    li.append(el('p', { class: 'meta', text: 'Le fichier est en cours de vérification (contenu, virus) : il pourra être ouvert une fois vérifié.' }));
  }
  if (withAnswer) li.append(el('p', { class: 'pj-reponse', text: 'Document remis avec la réponse de la caisse.' }));
  li.append(el('p', { class: 'meta' },
    `Ajoutée par ${a.uploaded_by_name || 'un utilisateur'} (${sideText(a.side)}), le `,
    timeEl(a.uploaded_at, { withTime: true })));

  const downloads = a.downloads || [];
  if (downloads.length) {
    const dlId = `${base}-telechargements`;
    const list = el('ul', { class: 'pj-telechargements', 'aria-labelledby': dlId });
    for (const d of downloads) {
      list.append(el('li', {}, `${d.by_name || 'Un utilisateur'} (${sideText(d.side)}), le `, timeEl(d.at, { withTime: true })));
    }
    li.append(el('p', { class: 'pj-sous-titre', id: dlId, text: 'Téléchargée par :' }), list);
  } else if (a.state === 'safe') {
    li.append(el('p', { class: 'meta pj-jamais', text: 'Pas encore téléchargée.' }));
  }

  const buttons = el('div', { class: 'actions-ligne pj-boutons' });
  if (a.can_download) {
    const button = el('button', { type: 'button', class: 'bouton secondaire petit' },
      'Télécharger', el('span', { class: 'visuellement-cache', text: ` ${a.file_name}` }));
    button.addEventListener('click', () => download(a, li, button, onChanged));
    buttons.append(button);
  }
  if (a.can_delete) {
    const button = el('button', { type: 'button', class: 'bouton secondaire petit' },
      'Retirer', el('span', { class: 'visuellement-cache', text: ` ${a.file_name}` }));
    button.addEventListener('click', () => remove(a, li, button, onChanged));
    buttons.append(button);
  }
  if (buttons.children.length) li.append(buttons);
  return li;
}

/** A message next to one attachment (role="alert": the user just asked for something). */
function itemMessage(li, id, text) {
  const old = document.getElementById(id);
  if (old) old.remove();
  const msg = el('p', { class: 'erreur-champ', id, role: 'alert' },
    el('span', { class: 'visuellement-cache', text: 'Erreur : ' }), text);
  li.append(msg);
  return msg;
}

async function download(a, li, button, onChanged) {
  button.disabled = true;
  const res = await api('GET', `/api/attachments/${encodeURIComponent(a.id)}/download`);
  button.disabled = false;
  if (res.status === 200 && res.body && res.body.url) {
    const old = document.getElementById(`${li.id}-message`);
    if (old) old.remove();
    // The short-lived URL answers with « Content-Disposition: attachment »: the page stays.
    window.location.assign(res.body.url);
    // The download is recorded: show it in the list (who, when).
    if (onChanged) await onChanged(null, `${li.id}`);
    return;
  }
  if (res.status === 404) {
    itemMessage(li, `${li.id}-message`, 'Cette pièce jointe n\'existe plus ou n\'est pas accessible avec votre compte.');
    return;
  }
  itemMessage(li, `${li.id}-message`, problemText(res));
}

async function remove(a, li, button, onChanged) {
  button.disabled = true;
  const res = await api('DELETE', `/api/attachments/${encodeURIComponent(a.id)}`);
  button.disabled = false;
  if (res.status === 204 || res.status === 200) {
    if (onChanged) await onChanged(`La pièce jointe ${a.file_name} est retirée de la demande.`);
    return;
  }
  itemMessage(li, `${li.id}-message`, problemText(res));
}

// ------------------------------------------------------------------ the uploader

/** Headers a script may not set (the browser sets them itself). */
const FORBIDDEN_HEADERS = new Set([
  'accept-charset', 'accept-encoding', 'access-control-request-headers', 'access-control-request-method',
  'connection', 'content-length', 'cookie', 'date', 'dnt', 'expect', 'host', 'keep-alive', 'origin',
  'referer', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'via',
]);

/**
 * Sends `file` to the upload URL with its headers. Resolves to { status, body, aborted }.
 * `onProgress(loaded, total)` follows the upload; `abort()` of the returned handle stops it.
 */
export function send(upload, file, onProgress) {
  const xhr = new XMLHttpRequest();
  const done = new Promise((resolve) => {
    xhr.open(upload.method || 'PUT', upload.url);
    for (const [name, value] of Object.entries(upload.headers || {})) {
      if (!FORBIDDEN_HEADERS.has(name.toLowerCase()) && !/^(proxy|sec)-/i.test(name)) {
        xhr.setRequestHeader(name, value);
      }
    }
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total);
    });
    xhr.addEventListener('load', () => {
      let body = null;
      if ((xhr.getResponseHeader('content-type') || '').includes('json')) {
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          body = null;
        }
      }
      resolve({ status: xhr.status, body });
    });
    xhr.addEventListener('error', () => resolve({ status: 0, body: null }));
    xhr.addEventListener('timeout', () => resolve({ status: 0, body: null }));
    xhr.addEventListener('abort', () => resolve({ status: 0, body: null, aborted: true }));
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}

/**
 * The uploader of one request page. `requestId()`: the request's id; `onDone(summary)`:
 * called once a batch is over (the page reloads the request and re-renders; the rows and
 * the live region of this uploader are kept). `node(r, { idPrefix, label })` builds the
 * form for the current request (call it at each render).
 */
export function createUploader({ requestId, onDone }) {
  let seq = 0;
  let running = false;
  const live = el('div', { class: 'visuellement-cache', id: 'annonce-pj', 'aria-live': 'polite', 'aria-atomic': 'true' });
  const rows = el('ul', { class: 'envois-pj', id: 'envois-pj', hidden: true });
  const outcome = el('p', { class: 'pj-bilan', id: 'pj-bilan', tabindex: '-1', hidden: true });

  function announce(text) {
    live.textContent = '';
    live.append(el('span', { text }));
  }

  /** One row per file: name, size, progress, percentage, state, « Annuler ». */
  function row(file) {
    seq += 1;
    const id = `envoi-${seq}`;
    const li = el('li', { class: 'envoi', id });
    const name = el('span', { class: 'pj-nom', id: `${id}-nom`, text: file.name });
    li.append(el('p', { class: 'pj-titre' }, name, ' ', el('span', { class: 'pj-taille', text: `(${formatSize(file.size)})` })));
    const progress = el('progress', {
      id: `${id}-progression`, max: '100', value: '0', 'aria-label': `Envoi de ${file.name}`,
    });
    const percent = el('span', { class: 'envoi-pourcent', id: `${id}-pourcent`, 'aria-hidden': 'true', text: '0 %' });
    const bar = el('div', { class: 'envoi-barre', hidden: true }, progress, percent);
    const state = el('p', { class: 'envoi-etat', id: `${id}-etat`, tabindex: '-1', text: 'En attente d\'envoi.' });
    const cancel = el('button', { type: 'button', class: 'bouton secondaire petit envoi-annuler' },
      'Annuler', el('span', { class: 'visuellement-cache', text: ` l'envoi de ${file.name}` }));
    li.append(bar, state, el('div', { class: 'actions-ligne' }, cancel));
    const r = {
      id, file, li, progress, percent, bar, state, cancel,
      cancelled: false, handle: null, slotId: null, result: 'attente',
      setProgress(loaded, total) {
        const pct = total > 0 ? Math.min(100, Math.floor((loaded * 100) / total)) : 0;
        progress.value = pct;
        percent.textContent = `${pct} %`;
        state.textContent = `Envoi en cours : ${pct} %.`;
      },
      setState(text, kind = '') {
        state.textContent = '';
        state.className = `envoi-etat${kind ? ` ${kind}` : ''}`;
        if (kind === 'erreur') state.append(el('span', { class: 'visuellement-cache', text: 'Erreur : ' }));
        state.append(text);
      },
      finish() {
        const line = cancel.closest('.actions-ligne');
        if (line) line.remove();
      },
    };
    cancel.addEventListener('click', () => cancelRow(r));
    return r;
  }

  function cancelRow(r) {
    if (r.cancelled) return;
    r.cancelled = true;
    r.result = 'annule';
    r.cancel.disabled = true;
    // `process` waits for this before going on to the next file.
    r.cancelling = (async () => {
      if (r.handle) r.handle.abort();
      if (r.slotId) await api('DELETE', `/api/attachments/${encodeURIComponent(r.slotId)}`);
    })();
    r.cancelling.then(() => cancelled(r));
  }

  function cancelled(r) {
    r.setState('Envoi annulé : le fichier n\'est pas joint.');
    r.bar.hidden = true;
    r.finish();
    announce(`Envoi de ${r.file.name} annulé.`);
    r.state.focus();
  }

  /** Slot → upload → confirm, then waits for a cancellation under way. */
  async function process(r) {
    await upload(r);
    if (r.cancelling) await r.cancelling;
  }

  /** Slot → upload → confirm, for one file. Never throws; sets the row's outcome. */
  async function upload(r) {
    const { file } = r;
    if (r.cancelled) return;
    r.setState('Préparation de l\'envoi…');
    const slot = await api('POST', `/api/requests/${encodeURIComponent(requestId())}/attachments`, {
      file_name: file.name, content_type: declaredType(file), size: file.size,
    });
    if (r.cancelled) {
      if (slot.status === 201 && slot.body) await api('DELETE', `/api/attachments/${encodeURIComponent(slot.body.id)}`);
      return;
    }
    if (slot.status !== 201 || !slot.body || !slot.body.upload) {
      r.result = 'refuse';
      const refusedHere = slot.status === 422 || slot.status === 409;
      r.setState(`${refusedHere ? 'Fichier refusé' : 'Le fichier n\'a pas pu être joint'} : ${problemText(slot)}`, 'erreur');
      r.finish();
      announce(`${file.name} : ${refusedHere ? 'fichier refusé' : 'le fichier n\'a pas pu être joint'}.`);
      return;
    }
    r.slotId = slot.body.id;
    r.bar.hidden = false;
    r.setProgress(0, file.size);
    announce(`Envoi de ${file.name} commencé.`);
    r.handle = send(slot.body.upload, file, (loaded, total) => r.setProgress(loaded, total));
    const sent = await r.handle.done;
    r.handle = null;
    if (r.cancelled || sent.aborted) return;
    if (sent.status < 200 || sent.status >= 300) {
      await api('DELETE', `/api/attachments/${encodeURIComponent(r.slotId)}`);
      r.result = 'refuse';
      r.bar.hidden = true;
      r.setState(`L'envoi a échoué : ${problemText(sent, 'la connexion a été interrompue. Réessayez d\'ajouter ce fichier.')}`, 'erreur');
      r.finish();
      announce(`${file.name} : l'envoi a échoué.`);
      return;
    }
    r.setProgress(file.size, file.size);
    r.cancel.disabled = true;
    await confirmRow(r);
  }

  /**
   * Confirms the upload of `r` and shows the resulting state. When the check cannot run
   * now (503, network), the row offers « Vérifier de nouveau » (the file is uploaded).
   */
  async function confirmRow(r) {
    const { file } = r;
    r.setState('Fichier envoyé : vérification du fichier…');
    const confirmed = await api('POST', `/api/attachments/${encodeURIComponent(r.slotId)}/confirm`, {});
    r.finish();
    if (confirmed.status === 0 || confirmed.status >= 500) {
      r.result = 'a_verifier';
      r.setState(`La vérification n'a pas pu être faite : ${problemText(confirmed)}`, 'erreur');
      const retry = el('button', { type: 'button', class: 'bouton secondaire petit' },
        'Vérifier de nouveau', el('span', { class: 'visuellement-cache', text: ` ${file.name}` }));
      retry.addEventListener('click', async () => {
        retry.closest('.actions-ligne').remove();
        await confirmRow(r);
        await onDone();
        r.state.focus();
      });
      r.li.append(el('div', { class: 'actions-ligne' }, retry));
      announce(`${file.name} : la vérification n'a pas pu être faite.`);
      return;
    }
    if (confirmed.status !== 200 || !confirmed.body) {
      r.result = 'refuse';
      r.setState(`Le fichier n'a pas pu être joint : ${problemText(confirmed)}`, 'erreur');
      announce(`${file.name} : le fichier n'a pas pu être joint.`);
      return;
    }
    const a = confirmed.body;
    if (a.state === 'rejected') {
      r.result = 'refuse';
      r.setState(`Refusée : ${a.reason || 'le fichier n\'a pas passé les vérifications.'}`, 'erreur');
      announce(`${file.name} : refusée. ${a.reason || ''}`);
    } else if (a.state === 'safe') {
      r.result = 'verifie';
      r.setState('Vérifiée : le fichier est joint à la demande.', 'succes');
      announce(`${file.name} : vérifiée, jointe à la demande.`);
    } else {
      r.result = 'attente';
      r.setState('Vérification en cours : le fichier pourra être ouvert une fois vérifié.');
      announce(`${file.name} : vérification en cours.`);
    }
  }

  function summary(list) {
    const count = (k) => list.filter((r) => r.result === k).length;
    const parts = [];
    const ok = count('verifie');
    const pending = count('attente');
    const refused = count('refuse');
    const cancelled = count('annule');
    if (ok) parts.push(`${ok} vérifié${ok > 1 ? 's' : ''}`);
    if (pending) parts.push(`${pending} en cours de vérification`);
    if (refused) parts.push(`${refused} refusé${refused > 1 ? 's' : ''}`);
    if (cancelled) parts.push(`${cancelled} annulé${cancelled > 1 ? 's' : ''}`);
    const again = count('a_verifier');
    if (again) parts.push(`${again} à vérifier de nouveau`);
    const n = list.length;
    return `Envoi terminé : ${n} fichier${n > 1 ? 's' : ''}, ${parts.join(', ')}.`;
  }

  async function start(files, form) {
    if (running || !files.length) return;
    running = true;
    const button = form.querySelector('button[type=submit]');
    if (button) button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    rows.textContent = '';
    rows.hidden = false;
    outcome.hidden = true;
    const list = files.map(row);
    for (const r of list) rows.append(r.li);
    for (const r of list) {
      // eslint-disable-next-line no-await-in-loop -- one file at a time (progress, order)
      await process(r);
    }
    running = false;
    form.removeAttribute('aria-busy');
    if (button) button.disabled = false;
    outcome.textContent = summary(list);
    outcome.hidden = false;
    await onDone();
    outcome.focus();
  }

  return {
    /** The form for the request `r` (its limits), with the rows of the last batch. */
    node(r, { idPrefix = 'pj', label = 'Fichiers à joindre' } = {}) {
      const limits = r.attachment_limits || {};
      const wrap = el('div', { class: 'ajout-pj', id: `${idPrefix}-ajout` });
      const form = el('form', { id: `${idPrefix}-form`, method: 'post', action: window.location.pathname, novalidate: true });
      const inputId = `${idPrefix}-fichiers`;
      const hintId = `${inputId}-aide`;
      const counted = (r.attachments || []).filter((a) => ['slot', 'pending', 'safe'].includes(a.state)).length;
      const left = limits.max_count ? Math.max(0, limits.max_count - counted) : null;
      const hint = [
        `${typesText(limits.types) || 'PDF, JPEG ou PNG'}, ${formatSize(limits.max_bytes || 10485760)} au plus par fichier`,
        limits.max_count ? `, ${limits.max_count} fichiers au plus par demande` : '',
        left !== null && left < limits.max_count ? ` (encore ${left} possible${left > 1 ? 's' : ''})` : '',
        '. Joignez seulement ce dont la demande a besoin. Chaque fichier est vérifié (type, virus) avant de pouvoir être ouvert.',
      ].join('');
      const input = el('input', {
        type: 'file', id: inputId, name: 'fichiers', multiple: true, accept: acceptOf(limits.types), 'aria-describedby': hintId,
      });
      form.append(el('div', { class: 'champ' },
        el('label', { for: inputId }, label, ' ', el('span', { class: 'aide', id: hintId, text: hint })),
        input));
      const submit = el('button', { type: 'submit', class: 'bouton', text: 'Joindre les fichiers' });
      form.append(el('div', { class: 'actions' }, submit));
      // Re-rendered while a batch runs (another action of the page): one batch at a time.
      if (running) {
        submit.disabled = true;
        form.setAttribute('aria-busy', 'true');
      }
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        const files = [...(input.files || [])];
        const old = document.getElementById(`${inputId}-erreur`);
        if (old) old.remove();
        input.removeAttribute('aria-invalid');
        input.setAttribute('aria-describedby', hintId);
        if (!files.length) {
          const msg = el('p', { class: 'erreur-champ', id: `${inputId}-erreur`, role: 'alert' },
            el('span', { class: 'visuellement-cache', text: 'Erreur : ' }), 'Choisissez au moins un fichier à joindre.');
          input.before(msg);
          input.setAttribute('aria-invalid', 'true');
          input.setAttribute('aria-describedby', `${inputId}-erreur ${hintId}`);
          input.focus();
          return;
        }
        input.value = '';
        start(files, form);
      });
      wrap.append(form, rows, outcome, live);
      return wrap;
    },
    get running() {
      return running;
    },
  };
}
