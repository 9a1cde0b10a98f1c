// Steps of the request journeys (issues 11 and 12): the kinds a convention enables, the
// new-request form filled and submitted in the browser (returns the request's id and
// reference from the confirmation), the state badge of the request page.

import assert from 'node:assert/strict';
import { nextSiret, person, ready } from './account-flows.mjs';

export const ALL = ['contact', 'dossier', 'signalement', 'rendez_vous', 'document', 'historique'];
export const LABELS = {
  contact: 'Contacter votre organisme d\'assurance Maladie',
  dossier: 'Soumettre une demande d\'étude de dossier',
  signalement: 'Signaler une situation de difficultés d\'accès aux droits et aux soins',
  rendez_vous: 'Demander un rendez-vous pour un assuré',
  document: 'Demander un document',
};

/** On /demandes/nouvelle: chooses the kind and fills the form (the caisse is the only one, preselected). */
export async function fillRequest(page, r) {
  await page.getByLabel(LABELS[r.type], { exact: true }).check();
  await page.locator('#d-message').waitFor();
  if (r.sous_type) await page.locator('#d-sous-type').selectOption({ label: r.sous_type });
  await page.locator('#d-civilite').selectOption(r.civilite);
  await page.locator('#d-nom').fill(r.nom);
  await page.locator('#d-prenom').fill(r.prenom);
  await page.locator('#d-naissance').fill(r.naissance);
  await page.locator('#d-departement').selectOption(r.departement);
  if (r.mode) await page.getByLabel(r.mode, { exact: true }).check();
  if (r.disponibilites) await page.locator('#d-disponibilites').fill(r.disponibilites);
  await page.locator('#d-message').fill(r.message);
}

/** Submits the new-request form; returns { id, reference } from the request page reached. */
export async function submitRequest(page) {
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/demandes/demande'),
    page.getByRole('button', { name: 'Envoyer la demande' }).click(),
  ]);
  await ready(page);
  const confirmation = page.locator('#confirmation-envoi');
  await confirmation.waitFor();
  const text = await confirmation.textContent();
  const ref = /référence est ([0-9A-Z]{3}-[0-9A-Z]{4})/.exec(text);
  assert.ok(ref, `no reference in the confirmation: ${text}`);
  assert.equal((await page.locator('h1').textContent()).trim(), `Demande ${ref[1]}`);
  assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'confirmation-envoi', 'focus on the confirmation');
  return { id: new URL(page.url()).searchParams.get('id'), reference: ref[1] };
}

/** The state badge of the request page. */
export async function stateOf(page) {
  return (await page.locator('#sous-titre-demande .badge').textContent()).trim();
}

/**
 * Through the API (`agent`: the caisse agent's client): a partner of `category` with a
 * convention enabling every functionality from `start`, its gestionnaire (habilitated,
 * activated) and one technicien (activated, CGU accepted). Returns the partner, the
 * technicien's client and identifiant.
 */
export async function createStructure(gw, agent, clientOf, { name, category, domain, start, gestionnaire, technicien, password }) {
  const partner = await agent.ok('POST', '/api/partners', {
    name, siret: nextSiret(), address: `1 rue de la ${name}, 69000 Villeneuve`, category, members: 6,
    allowed_domains: [domain], convention: { start, functionalities: ALL },
  }, 201);
  const hab = await agent.ok('POST', `/api/partners/${partner.id}/habilitations`, person(...gestionnaire, 'Directrice'), 201);
  await agent.ok('POST', `/api/habilitations/${hab.id}/approve`, {}, 200);
  const gestion = clientOf();
  await gestion.activateAndSignIn(gestionnaire[3], password);
  await gestion.ok('POST', `/api/partners/${partner.id}/techniciens`, person(...technicien, 'Travailleuse sociale'), 201);
  const tech = clientOf();
  const identifiant = await tech.activateAndSignIn(technicien[3], password);
  return { partner, tech, identifiant };
}
