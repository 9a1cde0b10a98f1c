// The legal pages (/accessibilite, /donnees-personnelles, /mentions-legales): public,
// readable signed in or not (the header shows the session when there is one). The
// personal-data page fills its durations from GET /api/legal, the values this
// deployment is configured with (SPEC §5 « Legal pages »), never a copy.
import {
  $, api, formatSize, notice, optionalSession, pageReady, unexpected,
} from './app.js';

const UNITS = {
  request_months: ['mois', 'mois'],
  audit_months: ['mois', 'mois'],
  account_months: ['mois', 'mois'],
  session_idle_minutes: ['minute', 'minutes'],
  session_hours: ['heure', 'heures'],
  link_hours: ['heure', 'heures'],
  password_days: ['jour', 'jours'],
};

function durationText(key, value) {
  if (key === 'attachment_max_bytes') return formatSize(value);
  const n = Number(value);
  if (key === 'attachment_max_count') return `${n.toLocaleString('fr-FR')}`;
  const [one, many] = UNITS[key] || ['', ''];
  return `${n.toLocaleString('fr-FR')} ${n > 1 ? many : one}`.trim();
}

async function fillDurations() {
  const list = $('#durees');
  if (!list) return;
  const res = await api('GET', '/api/legal');
  $('#durees-chargement').hidden = true;
  if (res.status !== 200 || !res.body || !res.body.retention) {
    notice($('#messages'), { kind: 'erreur', text: unexpected(res) });
    return;
  }
  const r = res.body.retention;
  for (const slot of list.querySelectorAll('[data-duree]')) {
    slot.textContent = durationText(slot.dataset.duree, r[slot.dataset.duree]);
  }
  list.hidden = false;
}

async function start() {
  await Promise.all([optionalSession(), fillDurations()]);
  pageReady();
}

start();
