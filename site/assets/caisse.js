// /caisse?id=… : one caisse (GET /api/caisses/{id}), for the platform admin and its
// agents. Those who manage it (the admin, an agent with the « administrateur de la
// caisse » flag) edit it (PUT), create agents (POST …/agents) and inactivate them
// (POST …/agents/{id}/inactivate, after a confirmation step).
import { $, api, busy, clearErrors, de, el, pageReady, showErrors, showFatal, unexpected } from './app.js';
import {
  badge, emailEl, breadcrumb, confirmStep, dataTable, details, failure, formErrors, jour, personBlock, personErrors,
  personFields, queryParam, readPerson, startPage, statusLabel, success, timeEl,
} from './gestion.js';
import { caisseFields } from './caisse-form.js';
import { resetSecondFactorButton } from './second-factor-reset.js';

const messages = $('#messages');
const caisseId = queryParam('id') || '';
let me;
let caisse;
let manages = false;

function renderInfos() {
  $('#titre-page').textContent = caisse.name;
  document.title = `${caisse.name} – Espace Partenaires`;
  const zone = $('#infos-caisse');
  zone.textContent = '';
  const refs = (caisse.referents || []);
  const refList = refs.length
    ? el('ul', { class: 'liste-simple' }, ...refs.map((r) => el('li', {}, `${r.nom} – `, el('a', { href: `mailto:${r.email}`, text: r.email }))))
    : document.createTextNode('aucun');
  zone.append(details([
    ['Adresse', caisse.address],
    ['Contact de secours', caisse.alt_contact],
    ['Référents', refList],
    ['Créée le', timeEl(caisse.created_at)],
  ]));
}

async function loadAgents() {
  const res = await api('GET', `/api/caisses/${encodeURIComponent(caisseId)}/agents`);
  if (res.status !== 200 || !res.body) {
    failure(messages, 'Liste des agents indisponible', res);
    return null;
  }
  const agents = res.body.items || [];
  const self = agents.find((a) => a.id === me.id);
  manages = me.profile === 'admin' || Boolean(self && self.caisse_admin);
  const zone = $('#liste-agents');
  zone.textContent = '';
  const columns = [
    { label: 'Nom', cell: (a) => `${a.prenom} ${a.nom}` },
    { label: 'Identifiant', cell: (a) => el('span', { class: 'identifiant', text: a.identifiant }) },
    { label: 'Adresse électronique', cell: (a) => emailEl(a.email) },
    { label: 'Fonction', cell: (a) => a.fonction },
    { label: 'Administrateur', cell: (a) => (a.caisse_admin ? 'Oui' : 'Non') },
    { label: 'Statut', cell: (a) => badge(statusLabel(a.status), a.status) },
    { label: 'Créé le', cell: (a) => timeEl(a.created_at) },
    { label: 'Dernière connexion', cell: (a) => timeEl(a.last_login_at, { withTime: true, fallback: 'jamais' }) },
  ];
  if (manages) {
    columns.push({
      label: 'Action',
      cell: (a) => {
        if (a.status === 'inactive') return document.createTextNode(a.inactivated_at ? `Inactivé le ${jour(a.inactivated_at)}` : 'Inactivé');
        if (a.id === me.id) return document.createTextNode('Votre compte');
        const button = el('button', { type: 'button', class: 'lien-bouton', text: `Inactiver ${a.prenom} ${a.nom}` });
        button.addEventListener('click', () => askInactivate(a, button));
        // The platform admin resets an agent's second factor.
        const reset = me.profile === 'admin' && resetSecondFactorButton({
          account: a,
          url: `/api/caisses/${encodeURIComponent(caisseId)}/agents/${encodeURIComponent(a.id)}/second-factor/reset`,
          anchor: $('#liste-agents'),
          messages,
          onDone: loadAgents,
        });
        return reset ? el('div', { class: 'actions-ligne' }, button, reset) : button;
      },
    });
  }
  zone.append(dataTable({
    id: 'table-agents',
    caption: `${agents.length} agent${agents.length > 1 ? 's' : ''}, par ordre alphabétique`,
    empty: 'Aucun agent : créez le premier agent de la caisse ci-dessous.',
    rows: agents,
    columns,
  }));
  return agents;
}

function askInactivate(agent, button) {
  confirmStep({
    anchor: $('#liste-agents'),
    id: 'confirmation-inactivation',
    title: `Inactiver le compte ${de(`${agent.prenom} ${agent.nom}`)} ?`,
    text: 'Le compte est inactivé tout de suite : ses sessions sont fermées et il ne peut plus se connecter. Il sera supprimé automatiquement 6 mois plus tard.',
    confirmLabel: 'Confirmer l\'inactivation',
    returnFocus: button,
    onConfirm: async (form) => {
      const res = await api('POST', `/api/caisses/${encodeURIComponent(caisseId)}/agents/${encodeURIComponent(agent.id)}/inactivate`, {});
      if (res.status === 200) {
        await loadAgents();
        success(messages, `Le compte ${de(`${agent.prenom} ${agent.nom}`)} est inactivé.`);
        return true;
      }
      showErrors(form, [{ field: null, message: unexpected(res) }]);
      return false;
    },
  });
}

async function start() {
  me = await startPage({ profiles: ['admin', 'agent'], crumbs: [] });
  if (!me) return;
  const res = await api('GET', `/api/caisses/${encodeURIComponent(caisseId)}`);
  if (res.status !== 200 || !res.body) {
    showFatal(res.status === 404 ? 'Cette caisse est introuvable, ou vous n\'y avez pas accès.' : unexpected(res));
    return;
  }
  caisse = res.body;
  breadcrumb(me.profile === 'admin' ? [['Caisses', '/caisses'], [caisse.name]] : [[caisse.name]]);
  renderInfos();
  if ((await loadAgents()) === null) {
    pageReady();
    return;
  }

  if (manages) {
    $('#bloc-modifier').hidden = false;
    $('#bloc-creer-agent').hidden = false;
    const form = $('#form-caisse');
    const fields = caisseFields($('#champs-caisse'), 'caisse', caisse);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const errors = fields.errors();
      if (errors.length) {
        showErrors(form, errors);
        return;
      }
      fields.compact();
      const done = busy(form);
      const r = await api('PUT', `/api/caisses/${encodeURIComponent(caisseId)}`, fields.values());
      done();
      if (r.status === 200 && r.body) {
        clearErrors(form);
        caisse = r.body;
        renderInfos();
        $('#bloc-modifier').open = false;
        success(messages, 'Les informations de la caisse sont enregistrées.');
      } else {
        formErrors(form, r, fields.fields(), 'caisse-nom');
      }
    });

    const agentForm = $('#form-agent');
    $('#champs-agent').append(personBlock('agent', { phoneRequired: false, audience: 'caisse' }));
    agentForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const errors = personErrors('agent', { phoneRequired: false });
      if (errors.length) {
        showErrors(agentForm, errors);
        return;
      }
      const body = { ...readPerson('agent'), caisse_admin: $('#agent-admin').checked };
      const done = busy(agentForm);
      const r = await api('POST', `/api/caisses/${encodeURIComponent(caisseId)}/agents`, body);
      done();
      if (r.status === 201 && r.body) {
        clearErrors(agentForm);
        agentForm.reset();
        await loadAgents();
        success(messages, `Le compte agent ${de(`${r.body.prenom} ${r.body.nom}`)} est créé (identifiant ${r.body.identifiant}) : un courriel lui a été envoyé avec son identifiant et un lien pour créer son mot de passe.`);
      } else {
        formErrors(agentForm, r, personFields('agent'), 'agent-nom');
      }
    });
  }
  pageReady();
  if (window.location.hash === '#titre-creer-agent' && manages) {
    $('#titre-creer-agent').scrollIntoView();
  }
}

start();
