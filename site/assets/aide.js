// /aide (every signed-in user): the support referents of the user's caisses, with
// mailto links, and the caisse's contact for when the portal is unavailable (GET /api/help,
// SPEC §5 « Support »).
import { $, api, el, pageReady, showFatal, unexpected } from './app.js';
import { details, startPage } from './gestion.js';

async function start() {
  const me = await startPage({ crumbs: [['Aide et contacts', '/aide']] });
  if (!me) return;
  const res = await api('GET', '/api/help');
  if (res.status !== 200 || !res.body) {
    showFatal(unexpected(res));
    return;
  }
  const zone = $('#liste-caisses');
  const caisses = res.body.caisses || [];
  if (!caisses.length) {
    zone.append(el('p', { class: 'carte', text: 'Aucune caisse n\'est associée à votre compte : pour toute question, adressez-vous à l\'administration de la plateforme.' }));
  }
  caisses.forEach((c, i) => {
    const headingId = `caisse-${i}-titre`;
    const refs = c.referents || [];
    const list = refs.length
      ? el('ul', { class: 'liste-simple' }, ...refs.map((r) => el('li', {}, `${r.nom} : `, el('a', { href: `mailto:${r.email}`, text: r.email }))))
      : el('p', { text: 'Aucun référent n\'est encore indiqué par cette caisse.' });
    zone.append(el('section', { class: 'carte', 'aria-labelledby': headingId },
      el('h2', { id: headingId, text: c.name }),
      el('h3', { text: 'Référents de l\'Espace Partenaires' }),
      list,
      el('h3', { text: 'Contact de secours' }),
      el('p', { class: 'texte-libre', text: c.alt_contact }),
      details([['Adresse de la caisse', c.address]])));
  });
  pageReady();
}

start();
