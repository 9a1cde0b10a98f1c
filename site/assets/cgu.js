// /cgu: the current CGU (GET /api/cgu), readable by anyone; for a signed-in user who must
// accept them, the acceptance form (POST /api/me/cgu), then the next required action or home.
// The text is plain: paragraphs separated by blank lines, rendered as text nodes only.
import {
  $, ACTION_PAGES, api, busy, clearErrors, el, formatDate, go, nextPage, notice, optionalSession, pageReady,
  setFlash, showErrors, showFatal, takeFlash, unexpected,
} from './app.js';

const messages = $('#messages');
const form = $('#form-cgu');
let current = null;

const AUDIENCE_LABELS = {
  partenaires: 'structures partenaires',
  caisses: 'personnel des caisses et administration de la plateforme',
};
let audience = 'partenaires';

// A numbered section: « 1. Objet. Le texte… » → heading « 1. Objet », then the text;
// « Article 2 – Données » alone on its paragraph → a heading.
const NUMBERED = /^(\d+)\.\s+([^.\n]{1,80})\.\s*([\s\S]*)$/;
const ARTICLE = /^(article\s+\d+[^\n]{0,80})$/i;

function render(cgu) {
  current = cgu;
  const box = $('#cgu-texte');
  box.textContent = '';
  const paragraphs = String(cgu.text || '')
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((p) => p.trim())
    .filter(Boolean);
  paragraphs.forEach((p, i) => {
    const numbered = NUMBERED.exec(p);
    if (numbered) {
      box.append(el('h3', { text: `${numbered[1]}. ${numbered[2]}` }));
      if (numbered[3].trim()) box.append(el('p', { text: numbered[3].trim() }));
    } else if (ARTICLE.test(p)) {
      box.append(el('h3', { text: p }));
    } else if (i === 0 && p.length <= 200 && !/[.:;!?]$/.test(p) && !p.includes('\n')) {
      box.append(el('h2', { class: 'cgu-titre', text: p }));
    } else {
      box.append(el('p', { text: p }));
    }
  });
  const published = formatDate(cgu.published_at);
  $('#cgu-version').textContent = `Version ${cgu.version}${published ? `, publiée le ${published}` : ''}, pour les ${AUDIENCE_LABELS[cgu.audience] || AUDIENCE_LABELS.partenaires}.`;
}

async function load() {
  const res = await api('GET', `/api/cgu?audience=${audience}`);
  if (res.status === 200 && res.body) {
    render(res.body);
    return true;
  }
  if (res.status === 404) {
    $('#cgu-texte').hidden = true;
    notice(messages, { text: 'Aucune version des conditions générales d’utilisation n’est encore publiée.' });
    return false;
  }
  showFatal(unexpected(res));
  return false;
}

// Readers without an account choose their text; each signed-in user reads their own
// (and may read the other one, without accepting it).
function otherAudienceLink(mine) {
  const other = audience === 'partenaires' ? 'caisses' : 'partenaires';
  if (mine && other !== mine) return;
  const zone = $('#cgu-autre');
  zone.textContent = '';
  zone.append(el('a', {
    href: `/cgu?public=${other}`,
    text: other === 'caisses'
      ? 'Lire les conditions du personnel des caisses et de l’administration de la plateforme'
      : 'Lire les conditions des structures partenaires',
  }));
  zone.hidden = false;
}

async function start() {
  const me = await optionalSession();
  const mine = me ? (me.organisation && me.organisation.kind === 'partner' ? 'partenaires' : 'caisses') : null;
  const asked = new URLSearchParams(window.location.search).get('public');
  audience = AUDIENCE_LABELS[asked] ? asked : (mine || 'partenaires');
  const loaded = await load();
  otherAudienceLink(mine);
  const flash = takeFlash();
  if (flash) notice(messages, { kind: 'succes', text: flash });
  if (!loaded) {
    pageReady();
    return;
  }
  const pending = me && audience === mine && (me.required_actions || []).includes('accept_cgu');
  if (pending) {
    $('#cgu-a-accepter').hidden = false;
    $('#zone-acceptation').hidden = false;
  } else if (me && audience === mine) {
    const deja = $('#cgu-deja');
    deja.hidden = false;
    deja.textContent = '';
    if (me.cgu_version === current.version) deja.append('Vous avez accepté cette version. ');
    const first = (me.required_actions || [])[0];
    deja.append(el('a', { href: ACTION_PAGES[first] || '/accueil', text: 'Continuer vers l’Espace Partenaires' }));
  }
  pageReady();
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const box = $('#accepter');
  if (!box.checked) {
    showErrors(form, [{
      field: 'accepter',
      message: "Cochez la case « J'ai lu et j'accepte les conditions générales d'utilisation » pour continuer.",
    }]);
    return;
  }
  const done = busy(form);
  const res = await api('POST', '/api/me/cgu', { version: current.version });
  done();
  if (res.status === 200 && res.body) {
    clearErrors(form);
    setFlash('Merci : vous avez accepté les conditions générales d’utilisation.');
    await go(nextPage(res.body));
  } else if (res.status === 409) {
    box.checked = false;
    await load();
    showErrors(form, [{
      field: 'accepter',
      message: 'Une nouvelle version vient d’être publiée : lisez-la ci-dessus, puis acceptez-la.',
    }]);
  } else {
    showErrors(form, [{ field: 'accepter', message: unexpected(res) }]);
  }
});

start();
