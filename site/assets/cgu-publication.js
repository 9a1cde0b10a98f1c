// /cgu-publication (platform admin): publishing a new version of the CGU for one
// audience (POST /api/cgu): the partners' users, or the caisses' staff and the admin.
// The text in force for the audience chosen is offered for editing; after publishing,
// the admin goes where the rules send him (the CGU to accept when it was the staff's).
import {
  $, api, busy, clearErrors, el, formatDate, go, nextPage, notice, pageReady, problemErrors, setFlash,
  showErrors, showFatal, unexpected,
} from './app.js';
import { startPage } from './gestion.js';

const AUDIENCES = [
  ['partenaires', 'Structures partenaires'],
  ['caisses', 'Personnel des caisses et administration'],
];
const current = {};
const messages = $('#messages');

function chosen() {
  const radio = document.querySelector('input[name="audience"]:checked');
  return radio ? radio.value : 'partenaires';
}

async function loadCurrent() {
  const list = $('#en-vigueur');
  list.textContent = '';
  for (const [code, label] of AUDIENCES) {
    const res = await api('GET', `/api/cgu?audience=${code}`);
    if (res.status === 200 && res.body) {
      current[code] = res.body;
      const published = formatDate(res.body.published_at);
      list.append(el('li', {}, `${label} : version ${res.body.version}${published ? `, publiée le ${published}` : ''} (`,
        el('a', { href: `/cgu?public=${code}`, text: 'lire' }), ').'));
    } else if (res.status === 404) {
      list.append(el('li', { text: `${label} : aucune version publiée.` }));
    } else {
      showFatal(unexpected(res));
      return false;
    }
  }
  return true;
}

function offerText() {
  const c = current[chosen()];
  $('#cgu-texte').value = c ? c.text || '' : '';
}

async function start() {
  const me = await startPage({ profiles: ['admin'], crumbs: [['Publier des conditions générales d\'utilisation', '/cgu-publication']] });
  if (!me) return;
  if (!(await loadCurrent())) return;
  offerText();
  for (const radio of document.querySelectorAll('input[name="audience"]')) radio.addEventListener('change', offerText);
  pageReady();

  const form = $('#form-cgu-publier');
  const version = $('#cgu-version');
  const text = $('#cgu-texte');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const errors = [];
    const v = version.value.trim();
    if (!v) errors.push({ field: 'cgu-version', message: 'Saisissez un numéro de version.' });
    else if ([...v].length > 40) errors.push({ field: 'cgu-version', message: 'Le numéro de version ne doit pas dépasser 40 caractères.' });
    if (!text.value.trim()) errors.push({ field: 'cgu-texte', message: 'Saisissez le texte des conditions générales d’utilisation.' });
    if (errors.length) {
      showErrors(form, errors);
      return;
    }
    const audience = chosen();
    const label = AUDIENCES.find(([c]) => c === audience)[1].toLowerCase();
    const done = busy(form);
    const r = await api('POST', '/api/cgu', { audience, version: v, text: text.value });
    done();
    if (r.status === 201 || r.status === 200) {
      clearErrors(form);
      setFlash(audience === 'caisses'
        ? `La version ${v} des conditions générales d’utilisation (${label}) est publiée. Comme chaque agent, acceptez-la pour continuer.`
        : `La version ${v} des conditions générales d’utilisation (${label}) est publiée : chaque gestionnaire et technicien l’acceptera à sa prochaine action.`);
      const me2 = await api('GET', '/api/me');
      await go(me2.status === 200 && me2.body ? nextPage(me2.body) : '/accueil');
    } else if (r.status === 409) {
      showErrors(form, [{ field: 'cgu-version', message: (r.body && r.body.detail) || 'Cette version existe déjà : choisissez un autre numéro.' }]);
    } else if (r.status === 422) {
      showErrors(form, problemErrors(r.body, { version: 'cgu-version', text: 'cgu-texte', audience: 'public-partenaires' }, 'cgu-texte'));
    } else {
      clearErrors(form);
      notice(messages, { kind: 'erreur', title: 'Publication impossible', text: unexpected(r), focus: true, id: 'alerte-erreur' });
    }
  });
}

start();
