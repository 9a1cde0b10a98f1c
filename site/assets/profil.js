// /profil (every signed-in user, made for partner users): one's own information
// (GET /api/me; a gestionnaire's telephone from GET /api/partners/{id}/accounts). A
// gestionnaire's fields are changed by the caisse only (§2.2.2): read-only here, with
// « Demander une modification à la caisse ». A technicien asks their gestionnaire.
import { $, api, el, pageReady } from './app.js';
import { categoryLabel, details, profileName, startPage } from './gestion.js';

async function start() {
  const me = await startPage({ crumbs: [['Mon profil', '/profil']] });
  if (!me) return;
  const partnerUser = me.profile === 'gestionnaire' || me.profile === 'technicien';
  let telephone;
  let partner = null;
  if (partnerUser) {
    const base = `/api/partners/${encodeURIComponent(me.organisation.id)}`;
    const p = await api('GET', base);
    if (p.status === 200 && p.body) partner = p.body;
    if (me.profile === 'gestionnaire') {
      const a = await api('GET', `${base}/accounts`);
      const self = a.status === 200 && a.body ? (a.body.items || []).find((x) => x.id === me.id) : null;
      telephone = self ? self.telephone : undefined;
    }
  }
  const civ = me.civilite === 'madame' ? 'Madame' : me.civilite === 'monsieur' ? 'Monsieur' : '';
  const pairs = [
    ['Civilité', civ],
    ['Nom', me.nom],
    ['Prénom', me.prenom],
    ['Fonction', me.fonction],
    ['Adresse électronique', me.email],
  ];
  if (me.profile === 'gestionnaire') pairs.push(['Téléphone', telephone]);
  pairs.push(
    ['Identifiant', el('span', { class: 'identifiant', text: me.identifiant })],
    ['Profil', profileName(me.profile)],
    [partnerUser ? 'Structure' : 'Organisation', (me.organisation || {}).name],
  );
  $('#infos-profil').append(details(pairs));

  const actions = $('#actions-profil');
  if (me.profile === 'gestionnaire') {
    actions.append(
      el('p', { text: 'Vos nom, prénom, fonction, téléphone et adresse électronique de gestionnaire sont modifiés par votre caisse, à votre demande.' }),
      el('p', {}, el('a', { class: 'bouton secondaire', href: `/structure/gestionnaires?modifier=${encodeURIComponent(me.id)}`, text: 'Demander une modification à la caisse' })),
    );
  } else if (me.profile === 'technicien') {
    actions.append(el('p', { text: 'Pour corriger vos informations, adressez-vous à un gestionnaire de votre structure : il peut modifier votre compte.' }));
  }
  actions.append(el('p', {}, el('a', { href: '/mot-de-passe', text: 'Changer mon mot de passe' })));
  actions.append(el('p', {},
    me.second_factor_enrolled ? 'Double authentification : activée. ' : 'Double authentification : non activée. ',
    el('a', { href: '/double-authentification', text: me.second_factor_enrolled ? 'En savoir plus' : 'Activer la double authentification' })));

  if (partner) {
    $('#bloc-structure').hidden = false;
    const convs = (partner.conventions || []).filter((c) => c.active);
    $('#infos-structure').append(details([
      ['Nom', partner.name],
      ['Catégorie', categoryLabel(partner.category)],
      ['Adresse', partner.address],
      ['Caisse', convs.map((c) => c.caisse_name).join(', ') || 'aucune convention en cours'],
    ]));
  }
  pageReady();
}

start();
