// /documentation (every signed-in user): the current version of each document meant
// for the reader (GET /api/documents), downloaded through a short-lived link
// (GET /api/documents/{id}/download). The platform admin also publishes (POST
// /api/documents → the file sent to the upload link → POST …/confirm: the
// attachments' checks and scan) and sees every version with its state.
import {
  $, api, busy, clearErrors, el, formatDateTime, formatSize, notice, pageReady, problemErrors,
  showErrors, showFatal, unexpected,
} from './app.js';
import { dataTable, startPage } from './gestion.js';
import { send } from './pieces-jointes.js';

const messages = $('#messages');
const AUDIENCES = { partenaires: 'Structures partenaires', caisses: 'Personnel des caisses', tous: 'Tous les utilisateurs' };
const FIELDS = {
  title: 'document-titre', audience: 'public-partenaires', version: 'document-version', document_id: 'document-existant',
  file: 'document-fichier', file_name: 'document-fichier', content_type: 'document-fichier', size: 'document-fichier',
};

async function download(d, button) {
  button.disabled = true;
  const res = await api('GET', `/api/documents/${encodeURIComponent(d.id)}/download`);
  button.disabled = false;
  if (res.status === 200 && res.body && res.body.url) {
    window.location.assign(res.body.url);
  } else {
    notice(messages, { kind: 'erreur', title: 'Téléchargement impossible', text: unexpected(res), focus: true, id: 'statut-action' });
  }
}

function downloadButton(d) {
  const button = el('button', {
    type: 'button', class: 'bouton secondaire', text: 'Télécharger',
    'aria-label': `Télécharger ${d.title}, version ${d.version}`,
  });
  button.addEventListener('click', () => download(d, button));
  return button;
}

function render(body, isAdmin) {
  const zone = $('#liste-documents');
  zone.textContent = '';
  zone.append(dataTable({
    id: 'table-documents',
    caption: 'Documents à télécharger, par titre',
    empty: 'Aucun document n’est publié pour vous pour l’instant.',
    rows: body.items || [],
    columns: [
      { label: 'Document', cell: (d) => d.title },
      { label: 'Version', cell: (d) => d.version },
      { label: 'Publié le', cell: (d) => formatDateTime(d.published_at) },
      { label: 'Fichier', cell: (d) => `${d.content_type === 'application/pdf' ? 'PDF' : 'Image'}, ${formatSize(d.size)}` },
      ...(isAdmin ? [{ label: 'Public', cell: (d) => AUDIENCES[d.audience] || d.audience }] : []),
      { label: 'Télécharger', cell: downloadButton },
    ],
  }));
  if (!isAdmin) return;
  const versions = body.versions || [];
  $('#liste-versions').textContent = '';
  $('#liste-versions').append(dataTable({
    id: 'table-versions',
    caption: 'Toutes les versions, de la plus récente à la plus ancienne',
    empty: 'Aucune version.',
    rows: versions,
    columns: [
      { label: 'Document', cell: (d) => d.title },
      { label: 'Version', cell: (d) => d.version },
      { label: 'Public', cell: (d) => AUDIENCES[d.audience] || d.audience },
      { label: 'État', cell: (d) => (d.reason ? `${d.state_label} : ${d.reason}` : d.state_label) },
      { label: 'Déposé le', cell: (d) => formatDateTime(d.created_at) },
      { label: 'Télécharger', cell: (d) => (d.state === 'safe' ? downloadButton(d) : 'Non proposé') },
    ],
  }));
  const select = $('#document-existant');
  const chosen = select.value;
  select.textContent = '';
  select.append(el('option', { value: '', text: 'Nouveau document' }));
  const seen = new Set();
  for (const d of versions) {
    if (d.state !== 'safe' || seen.has(d.document_id)) continue;
    seen.add(d.document_id);
    select.append(el('option', { value: d.document_id, text: `${d.title} (version en vigueur : ${d.version})` }));
  }
  select.value = chosen && seen.has(chosen) ? chosen : '';
}

async function load(isAdmin) {
  const res = await api('GET', '/api/documents');
  if (res.status !== 200 || !res.body) {
    showFatal(unexpected(res));
    return null;
  }
  render(res.body, isAdmin);
  return res.body;
}

async function publish(form) {
  const previous = document.getElementById('statut-action');
  if (previous) previous.remove();
  const file = $('#document-fichier').files[0];
  const title = $('#document-titre').value.trim();
  const version = $('#document-version').value.trim();
  const errors = [];
  if (!title) errors.push({ field: FIELDS.title, message: 'Saisissez le titre du document.' });
  if (!version) errors.push({ field: FIELDS.version, message: 'Saisissez le numéro de version.' });
  if (!file) errors.push({ field: FIELDS.file, message: 'Choisissez le fichier à publier.' });
  if (errors.length) {
    showErrors(form, errors);
    return;
  }
  const audience = (document.querySelector('input[name="audience"]:checked') || {}).value || 'partenaires';
  const documentId = $('#document-existant').value;
  const done = busy(form);
  const slot = await api('POST', '/api/documents', {
    ...(documentId ? { document_id: documentId } : {}),
    title, audience, version, file_name: file.name, content_type: file.type, size: file.size,
  });
  if (slot.status !== 201 || !slot.body) {
    done();
    if (slot.status === 422) showErrors(form, problemErrors(slot.body, FIELDS, FIELDS.file));
    else showErrors(form, [{ field: null, message: unexpected(slot) }]);
    return;
  }
  const sent = await send(slot.body.upload, file, () => {}).done;
  if (sent.status < 200 || sent.status >= 300) {
    done();
    showErrors(form, [{ field: FIELDS.file, message: 'L’envoi du fichier a échoué : vérifiez votre connexion, puis publiez de nouveau.' }]);
    return;
  }
  const checked = await api('POST', `/api/documents/${encodeURIComponent(slot.body.id)}/confirm`, {});
  done();
  if (checked.status !== 200 || !checked.body) {
    showErrors(form, [{ field: FIELDS.file, message: unexpected(checked) }]);
    return;
  }
  const d = checked.body;
  if (d.state === 'rejected') {
    showErrors(form, [{ field: FIELDS.file, message: `Le fichier est refusé : ${d.reason}` }]);
    await load(true);
    return;
  }
  clearErrors(form);
  form.reset();
  await load(true);
  const text = d.state === 'safe'
    ? `« ${d.title} », version ${d.version}, est publié : les utilisateurs concernés le voient dès maintenant.`
    : `« ${d.title} », version ${d.version}, est en cours de vérification : il sera proposé dès qu’il aura été vérifié.`;
  notice(messages, { kind: 'succes', text, focus: true, id: 'statut-action' });
}

async function main() {
  const me = await startPage({ crumbs: [['Documentation', '/documentation']] });
  if (!me) return;
  const isAdmin = me.profile === 'admin';
  $('#bloc-publier').hidden = !isAdmin;
  $('#bloc-versions').hidden = !isAdmin;
  if (!(await load(isAdmin))) return;
  pageReady();
  if (isAdmin) {
    const form = $('#form-document');
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      publish(form);
    });
  }
}

main();
