// /courriels (platform admin): emails the platform could not send (GET /api/emails/failed).
// Nothing is silently lost: each one names its recipients, subject and the error class.
import { $, api, pageReady, showFatal, unexpected } from './app.js';
import { dataTable, jourHeure, startPage } from './gestion.js';

async function start() {
  const me = await startPage({ profiles: ['admin'], crumbs: [['Courriels non envoyés', '/courriels']] });
  if (!me) return;
  const res = await api('GET', '/api/emails/failed');
  if (res.status !== 200 || !res.body) {
    showFatal(unexpected(res));
    return;
  }
  $('#liste-courriels').append(dataTable({
    id: 'courriels',
    caption: 'Courriels non envoyés, du plus récent au plus ancien',
    empty: 'Aucun courriel en échec : tous les courriels ont été envoyés.',
    columns: [
      { label: 'Objet', cell: (m) => m.subject },
      { label: 'Destinataire', cell: (m) => (m.to || []).join(', ') },
      { label: 'Créé le', cell: (m) => jourHeure(m.created_at) },
      { label: 'Essais', cell: (m) => String(m.attempts) },
      { label: 'Dernière erreur', cell: (m) => m.last_error },
    ],
    rows: res.body.items || [],
  }));
  pageReady();
}

start();
