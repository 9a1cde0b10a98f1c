// /double-authentification: enrol the second factor (required action
// `enrol_second_factor`, or a technicien's choice): the QR code and the key as text
// (POST /api/me/second-factor/setup), a first code to confirm
// (POST /api/me/second-factor/confirm), then the ten recovery codes, shown once.
import {
  $, api, busy, clearErrors, el, go, nextPage, notice, pageReady, requireSession, showErrors,
  unexpected,
} from './app.js';

const form = $('#form-activation');
const code = $('#code');
const messages = $('#messages');

/** The server's QR code (an SVG document of rects and paths) as a node of this page. */
function svgNode(text) {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const root = doc.documentElement;
  if (root.nodeName !== 'svg' || doc.querySelector('parsererror, script, foreignObject')) return null;
  return document.importNode(root, true);
}

function showCodes(codes) {
  $('#bloc-activation').hidden = true;
  const list = $('#codes-secours');
  list.replaceChildren(...codes.map((c) => el('li', {}, el('code', { text: c }))));
  const block = $('#bloc-secours');
  block.hidden = false;
  block.focus();
  $('#copier').addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(codes.join('\n'));
      $('#copie-etat').textContent = 'Les dix codes sont copiés : collez-les dans un endroit sûr.';
    } catch {
      $('#copie-etat').textContent = 'La copie n’est pas possible dans ce navigateur : sélectionnez les codes ou imprimez-les.';
    }
  });
  $('#imprimer').addEventListener('click', () => window.print());
  $('#conserve').addEventListener('click', async () => {
    const me = await api('GET', '/api/me');
    await go(me.status === 200 && me.body ? nextPage(me.body) : '/accueil');
  });
}

async function start() {
  const me = await requireSession({ handles: 'enrol_second_factor' });
  if (me.second_factor_enrolled) {
    $('#bloc-active').hidden = false;
    pageReady();
    return;
  }
  if (!(me.required_actions || []).includes('enrol_second_factor')) {
    $('#raison-activation').textContent = 'La double authentification est facultative pour votre profil, et recommandée : en plus de votre mot de passe, vous saisirez à chaque connexion un code à 6 chiffres donné par une application d’authentification installée sur votre téléphone.';
  }
  const res = await api('POST', '/api/me/second-factor/setup', {});
  if (res.status !== 200 || !res.body) {
    notice(messages, { kind: 'erreur', title: 'Activation impossible', text: unexpected(res), focus: true });
    pageReady();
    return;
  }
  const svg = svgNode(res.body.qr_svg);
  if (svg) $('#qr').replaceChildren(svg);
  $('#cle').textContent = res.body.secret;
  $('#bloc-activation').hidden = false;
  pageReady();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = code.value.trim().replace(' ', '');
    if (!/^[0-9]{6}$/.test(value)) {
      showErrors(form, [{ field: 'code', message: 'Saisissez les 6 chiffres affichés par votre application, par exemple : 123456.' }]);
      return;
    }
    const done = busy(form);
    const answer = await api('POST', '/api/me/second-factor/confirm', { code: value });
    done();
    if (answer.status === 200 && answer.body) {
      clearErrors(form);
      showCodes(answer.body.recovery_codes || []);
      return;
    }
    code.value = '';
    if (answer.status === 422 && answer.body && answer.body.errors) {
      showErrors(form, [{ field: 'code', message: answer.body.errors.code || answer.body.detail }]);
    } else {
      notice(messages, { kind: 'erreur', title: 'Activation impossible', text: unexpected(answer), focus: true });
    }
  });
}

start();
