// /partenaires (caisse agent): the partners conventioned with the agent's caisse
// (GET /api/partners, by name, 50 a page) with status, quota use and last confirmed
// review; the creation form of a partner and its convention (POST /api/partners); a
// known SIRET adds the caisse's convention to the existing structure (200, existing).
import { $, api, busy, clearErrors, el, go, pageReady, setFlash, showErrors, showFatal, unexpected } from './app.js';
import {
  badge, categoryLabel, dataTable, formErrors, isoDay, pager, personBlock, personErrors, personFields, personName,
  quotaText, readPerson, startPage, timeEl,
} from './gestion.js';
import {
  conventionErrors, conventionFieldMap, conventionValues, fillCategories, functionalityBoxes, partnerErrors,
  partnerFieldMap, partnerValues, siretErrors, siretValue,
} from './partner-form.js';

function reviewCell(p) {
  if (p.review_confirmed_at) {
    const frag = document.createDocumentFragment();
    frag.append('Confirmée le ', timeEl(p.review_confirmed_at));
    if (p.review_requested_at && p.review_requested_at > p.review_confirmed_at) {
      frag.append(el('br'), 'nouvelle revue demandée le ', timeEl(p.review_requested_at));
    }
    return frag;
  }
  if (p.review_requested_at) {
    const frag = document.createDocumentFragment();
    frag.append('Demandée le ', timeEl(p.review_requested_at), ', pas encore confirmée');
    return frag;
  }
  return document.createTextNode('Jamais demandée');
}

async function loadPage(cursor) {
  const q = cursor ? `?cursor=${encodeURIComponent(cursor)}` : '';
  const res = await api('GET', `/api/partners${q}`);
  if (res.status !== 200 || !res.body) {
    showFatal(unexpected(res));
    return null;
  }
  const items = res.body.items || [];
  const zone = $('#liste-partenaires');
  zone.textContent = '';
  zone.append(dataTable({
    id: 'table-partenaires',
    caption: `Structures partenaires par ordre alphabétique (${items.length} sur cette page)`,
    empty: 'Aucune structure conventionnée avec votre caisse pour l\'instant : créez la première ci-dessous.',
    rows: items,
    columns: [
      { label: 'Structure', cell: (p) => el('a', { href: `/partenaire?id=${encodeURIComponent(p.id)}`, text: p.name }) },
      { label: 'Catégorie', cell: (p) => categoryLabel(p.category) },
      { label: 'Statut', cell: (p) => (p.status === 'suspended' ? badge('Accès suspendu', 'suspendu') : badge('Active', 'active')) },
      { label: 'Gestionnaires', cell: (p) => quotaText(p.gestionnaires, 'gestionnaire') },
      { label: 'Techniciens', cell: (p) => quotaText(p.techniciens, 'technicien') },
      { label: 'Revue des habilitations', cell: reviewCell },
    ],
  }));
  return res.body.next || null;
}

async function start() {
  const me = await startPage({ profiles: ['agent'], crumbs: [['Partenaires', '/partenaires']] });
  if (!me) return;
  fillCategories($('#p-categorie'));
  functionalityBoxes($('#conv-cases'), 'conv', []);
  $('#conv-debut').value = isoDay(0);
  const pages = pager($('#pagination-partenaires'), loadPage, 'Pages de la liste des partenaires');
  await pages.show();
  pageReady();

  const form = $('#form-partenaire');
  wireFirstGestionnaire();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const withFirst = $('#avec-gestionnaire').checked;
    // In the order of the fields: the SIRET comes after the name.
    const pErrors = partnerErrors('p');
    const errors = [
      ...pErrors.filter((e) => e.field === 'p-nom'), ...siretErrors('p-siret'),
      ...pErrors.filter((e) => e.field !== 'p-nom'), ...conventionErrors('conv'),
      ...(withFirst ? personErrors('g1') : []),
    ];
    if (errors.length) {
      showErrors(form, errors);
      return;
    }
    const body = { ...partnerValues('p'), siret: siretValue('p-siret'), convention: conventionValues('conv') };
    if (withFirst) body.first_gestionnaire = readPerson('g1');
    const done = busy(form);
    const res = await api('POST', '/api/partners', body);
    done();
    if (res.status === 200 && res.body && res.body.existing) {
      // The SIRET was known: the agent's convention was added to that structure.
      clearErrors(form);
      setFlash(`Cette structure existait déjà (SIRET ${res.body.siret}) : votre convention lui a été ajoutée.`);
      await go(`/partenaire?id=${encodeURIComponent(res.body.id)}`);
    } else if (res.status === 201 && res.body) {
      clearErrors(form);
      const g = res.body.first_gestionnaire;
      setFlash(g
        ? `La structure ${res.body.name} est créée, avec sa convention et le compte de son premier gestionnaire, ${personName(g)} (identifiant ${g.identifiant}) : un courriel lui a été envoyé avec son identifiant et un lien pour créer son mot de passe.`
        : `La structure ${res.body.name} est créée, avec sa convention. Enregistrez maintenant la demande d'habilitation de son premier gestionnaire.`);
      await go(`/partenaire?id=${encodeURIComponent(res.body.id)}`);
    } else {
      const firstFields = Object.fromEntries(Object.entries(personFields('g1')).map(([k, id]) => [`first_gestionnaire.${k}`, id]));
      formErrors(form, res, { ...partnerFieldMap('p'), siret: 'p-siret', ...conventionFieldMap('conv'), ...firstFields }, 'p-nom');
    }
  });
}

// The first gestionnaire's fields, shown while the box is ticked; the button says
// what the form will create.
function wireFirstGestionnaire() {
  const zone = $('#champs-premier-gestionnaire');
  zone.append(personBlock('g1'));
  const hint = document.getElementById('g1-email-aide');
  if (hint) hint.textContent = 'Adresse professionnelle, dans l\'un des domaines de messagerie de la structure indiqués plus haut : les messageries personnelles sont refusées.';
  const box = $('#avec-gestionnaire');
  const sync = () => {
    zone.hidden = !box.checked;
    for (const control of zone.querySelectorAll('input, select')) control.disabled = !box.checked;
    $('#bouton-creer-structure').textContent = box.checked
      ? 'Créer la structure, sa convention et son premier gestionnaire'
      : 'Créer la structure et sa convention';
  };
  box.addEventListener('change', sync);
  sync();
}

start();
