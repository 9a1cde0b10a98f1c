// /caisses (platform admin): the caisses (GET /api/caisses, sorted by name by the API)
// and the creation form (POST /api/caisses): name, address, « Contact de secours »,
// up to 10 referents. The first agent is created on the caisse's own page.
import { $, api, busy, clearErrors, deOrg, el, pageReady, showErrors, showFatal, unexpected } from './app.js';
import { dataTable, formErrors, startPage, success, timeEl } from './gestion.js';
import { caisseFields } from './caisse-form.js';

const messages = $('#messages');

async function loadList() {
  const res = await api('GET', '/api/caisses');
  if (res.status !== 200 || !res.body) {
    showFatal(unexpected(res));
    return false;
  }
  const items = res.body.items || [];
  const zone = $('#liste-caisses');
  zone.textContent = '';
  zone.append(dataTable({
    id: 'table-caisses',
    caption: `${items.length} caisse${items.length > 1 ? 's' : ''}, par ordre alphabétique`,
    empty: 'Aucune caisse pour l\'instant : créez la première ci-dessous.',
    rows: items,
    columns: [
      { label: 'Caisse', cell: (c) => el('a', { href: `/caisse?id=${encodeURIComponent(c.id)}`, text: c.name }) },
      { label: 'Adresse', cell: (c) => c.address },
      { label: 'Contact de secours', cell: (c) => c.alt_contact },
      { label: 'Référents', cell: (c) => (c.referents || []).map((r) => r.nom).join(', ') || 'aucun' },
      { label: 'Créée le', cell: (c) => timeEl(c.created_at) },
    ],
  }));
  return true;
}

async function start() {
  const me = await startPage({ profiles: ['admin'], crumbs: [['Caisses', '/caisses']] });
  if (!me) return;
  const form = $('#form-caisse');
  const fields = caisseFields($('#champs-caisse'), 'caisse');
  if (!(await loadList())) return;
  pageReady();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const errors = fields.errors();
    if (errors.length) {
      showErrors(form, errors);
      return;
    }
    fields.compact();
    const body = fields.values();
    const done = busy(form);
    const res = await api('POST', '/api/caisses', body);
    done();
    if (res.status === 201 && res.body) {
      clearErrors(form);
      fields.reset();
      await loadList();
      success(
        messages,
        `La caisse ${res.body.name} est créée.`,
        el('p', {}, el('a', { href: `/caisse?id=${encodeURIComponent(res.body.id)}#titre-creer-agent`, text: `Créer le premier agent ${deOrg(res.body.name)}` })),
      );
    } else {
      formErrors(form, res, fields.fields(), 'caisse-nom');
    }
  });
}

start();
