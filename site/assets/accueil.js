// /accueil: the home page of each profile (GET /api/me): greeting, organisation, the
// sections of the profile with links to their pages (functions of later versions say so),
// « Mon compte »; for the platform admin, the link to publishing a new version of the CGU;
// for an agent, the habilitation requests waiting; for partner users, their structure's
// state (suspended: app.js shows it) and a pending habilitation review; for an agent, the
// requests waiting (GET /api/queue counts); for a technicien, what each caisse enabled
// (GET /api/requests/options).
import {
  $, api, el, formatDate, fullName, notice, pageReady, profileLabel, requireSession, takeFlash,
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

  if (me.profile === 'agent') await agentSummary(me);
  if (me.profile === 'gestionnaire' || me.profile === 'technicien') await partnerSummary(me);
  if (me.profile === 'agent') await queueSummary();
  if (me.profile === 'technicien') await enabledKinds();
  pageReady();
}

/** Agent: the link to their caisse, and how many habilitation requests wait (overdue ones). */
async function agentSummary(me) {
  $('#lien-ma-caisse').setAttribute('href', `/caisse?id=${encodeURIComponent(me.organisation.id)}`);
  const res = await api('GET', '/api/habilitations');
  if (res.status !== 200 || !res.body) return;
  const items = res.body.items || [];
  const late = items.filter((r) => r.overdue).length;
  const more = res.body.next ? ' ou plus' : '';
  const summary = $('#resume-habilitations');
  summary.textContent = items.length
    ? `${items.length}${more} demande${items.length > 1 ? 's' : ''} à traiter${late ? `, dont ${late} en retard` : ''}.`
    : 'Aucune demande à traiter.';
  summary.hidden = false;
}

/** Agent: how many requests wait to be taken, and how many are being processed. */
async function queueSummary() {
  const res = await api('GET', '/api/queue');
  if (res.status !== 200 || !res.body || !res.body.counts) return;
  const { submitted = 0, in_progress: inProgress = 0, info_requested: waiting = 0 } = res.body.counts;
  const plural = (n, one, many) => `${n} ${n > 1 ? many : one}`;
  const summary = $('#resume-demandes');
  summary.textContent = `${plural(submitted, 'demande envoyée', 'demandes envoyées')} à prendre en charge, ${plural(inProgress, 'en cours de traitement', 'en cours de traitement')}, ${plural(waiting, 'en attente d’un complément', 'en attente d’un complément')}.`;
  summary.hidden = false;
}

/** Technicien: the kinds of request each caisse enabled for the structure (or why none). */
async function enabledKinds() {
  const block = $('#bloc-fonctionnalites');
  const zone = $('#fonctionnalites');
  const res = await api('GET', '/api/requests/options');
  if (res.status !== 200 || !res.body) {
    block.hidden = true;
    return;
  }
  const options = res.body;
  const kinds = (options.catalog && options.catalog.kinds) || [];
  zone.textContent = '';
  if (!options.can_submit && options.cannot_submit_reason) {
    zone.append(el('p', { text: options.cannot_submit_reason }));
  }
  const caisses = options.caisses || [];
  if (!caisses.length) {
    if (zone.childNodes.length) return;
    zone.append(el('p', { text: 'Aucune caisse n’a aujourd’hui de convention en vigueur avec votre structure : aucune demande ne peut être envoyée.' }));
    return;
  }
  for (const caisse of caisses) {
    const enabled = new Set(caisse.functionalities || []);
    const list = el('ul', { class: 'liste-simple' });
    for (const k of kinds) if (enabled.has(k.code)) list.append(el('li', { text: k.label }));
    if (enabled.has('historique')) list.append(el('li', { text: 'Consulter l’historique des demandes' }));
    zone.append(el('h3', { text: caisse.name }));
    zone.append(list.children.length ? list : el('p', { class: 'vide', text: 'Aucune fonctionnalité activée.' }));
  }
}

/**
 * Partner users: their structure (GET /api/partners). A suspended structure gets the
 * suspension page state from app.js (403 partner.suspended); a gestionnaire is told when
 * the caisse asks for a habilitation review.
 */
async function partnerSummary(me) {
  const res = await api('GET', '/api/partners');
  if (res.status !== 200 || !res.body) return;
  const partner = (res.body.items || [])[0];
  if (!partner || me.profile !== 'gestionnaire') return;
  const requested = partner.review_requested_at;
  const confirmed = partner.review_confirmed_at;
  if (requested && (!confirmed || requested > confirmed)) {
    notice(messages, {
      title: 'Revue des habilitations demandée',
      text: `Votre caisse demande une revue des habilitations de votre structure depuis le ${formatDate(requested)} : vérifiez le tableau des comptes, puis confirmez la revue.`,
      id: 'alerte-revue',
    }, el('p', {}, el('a', { href: '/structure/comptes', text: 'Ouvrir le tableau des habilitations' })));
  }
}

start();
