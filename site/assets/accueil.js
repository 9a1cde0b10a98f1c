// /accueil: the home page of each profile (GET /api/me): greeting, organisation, the
// sections of the profile (functions to come say so), « Mon compte »; for the platform
// admin, publishing a new version of the CGU (POST /api/cgu).
import {
  $, api, busy, clearErrors, el, formatDate, fullName, go, nextPage, notice, pageReady,
  problemErrors, profileLabel, requireSession, setFlash, showErrors, takeFlash, unexpected,
} from './app.js';

const messages = $('#messages');

async function start() {
  const me = await requireSession();
  $('#bonjour').textContent = `Bonjour ${me.prenom || fullName(me)}`;
  const org = me.organisation || {};
  $('#organisation').textContent = org.name || '';

  for (const section of document.querySelectorAll('[data-profils]')) {
    section.hidden = !section.dataset.profils.split(' ').includes(me.profile);
  }

  $('#compte-identifiant').textContent = me.identifiant;
  $('#compte-profil').textContent = profileLabel(me.profile).replace(/^./, (c) => c.toUpperCase());
  $('#compte-email').textContent = me.email;
  $('#compte-expiration').textContent = me.password_expires_at ? formatDate(me.password_expires_at) : 'non renseigné';
  $('#compte-cgu').textContent = me.cgu_version ? `version ${me.cgu_version}` : 'aucune';

  const flash = takeFlash();
  if (flash) notice(messages, { kind: 'succes', text: flash });

  if (me.profile === 'admin') await adminCgu();
  pageReady();
}

async function adminCgu() {
  const res = await api('GET', '/api/cgu');
  const intro = $('#cgu-en-vigueur');
  if (res.status === 200 && res.body) {
    intro.textContent = '';
    const published = formatDate(res.body.published_at);
    intro.append(
      `Version en vigueur : ${res.body.version}${published ? `, publiée le ${published}` : ''}. `,
      el('a', { href: '/cgu', text: 'Lire la version en vigueur' }),
      '.',
    );
    $('#cgu-texte').value = res.body.text || '';
  }
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
    const done = busy(form);
    const r = await api('POST', '/api/cgu', { version: v, text: text.value });
    done();
    if (r.status === 201 || r.status === 200) {
      clearErrors(form);
      setFlash(`La version ${v} des conditions générales d’utilisation est publiée. Comme chaque utilisateur, acceptez-la pour continuer.`);
      const me = await api('GET', '/api/me');
      await go(me.status === 200 && me.body ? nextPage(me.body) : '/cgu');
    } else if (r.status === 409) {
      showErrors(form, [{
        field: 'cgu-version',
        message: (r.body && r.body.detail) || 'Cette version existe déjà : choisissez un autre numéro.',
      }]);
    } else if (r.status === 422) {
      showErrors(form, problemErrors(r.body, { version: 'cgu-version', text: 'cgu-texte' }, 'cgu-texte'));
    } else {
      clearErrors(form);
      notice(messages, { kind: 'erreur', title: 'Publication impossible', text: unexpected(r), focus: true, id: 'alerte-erreur' });
    }
  });
}

start();
