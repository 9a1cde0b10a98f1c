// The « Réinitialiser la double authentification » action of an account row: an agent
// on the partner page (POST /api/partners/{p}/accounts/{u}/second-factor/reset), the
// platform admin on the caisse page (POST /api/caisses/{c}/agents/{u}/second-factor/reset).
// A confirmation step first; the user is emailed and enrols again at the next sign-in.
import { api, de, el, showErrors, unexpected } from './app.js';
import { confirmStep, success } from './gestion.js';

/** The button for `account` (null when it has no second factor to reset). */
export function resetSecondFactorButton({ account, url, anchor, messages, onDone }) {
  if (!account.second_factor_enrolled || account.status === 'inactive') return null;
  const who = `${account.prenom} ${account.nom}`;
  const button = el('button', { type: 'button', class: 'lien-bouton', text: `Réinitialiser la double authentification ${de(who)}` });
  button.addEventListener('click', () => confirmStep({
    anchor,
    id: 'confirmation-double-authentification',
    title: `Réinitialiser la double authentification ${de(who)} ?`,
    text: 'Ses sessions sont fermées ; à sa prochaine connexion, la personne active de nouveau la double authentification avec son application et reçoit dix nouveaux codes de secours. Elle est prévenue par courriel. Faites-le seulement à sa demande (téléphone perdu ou changé), après avoir vérifié son identité.',
    confirmLabel: 'Confirmer la réinitialisation',
    returnFocus: button,
    onConfirm: async (form) => {
      const res = await api('POST', url, {});
      if (res.status === 200) {
        await onDone();
        success(messages, `La double authentification ${de(who)} est réinitialisée : un courriel l’en informe.`);
        return true;
      }
      showErrors(form, [{ field: null, message: unexpected(res) }]);
      return false;
    },
  }));
  return button;
}
