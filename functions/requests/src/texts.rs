//! Every text of the requests function that is not a domain rule's message: wire
//! labels and the notification emails. Emails say that something changed, give the
//! reference and a link to the request; they never carry the assuré's identity, a
//! message of the thread or a document (SPEC §4).

use ep_domain::requests::RequestState;

/// What a delivery mode means for the partner (contract: `delivery_label`).
pub fn delivery_label(mode: &str) -> &'static str {
    match mode {
        "portal" => "Le document vous sera transmis par Espace Partenaires",
        _ => "Le document sera envoyé par courrier à l'adresse connue de l'assuré",
    }
}

/// Why a user cannot submit requests (contract: `cannot_submit_reason`).
pub const GESTIONNAIRE_CANNOT_SUBMIT: &str = "Les demandes sont faites par les comptes techniciens de votre structure : connectez-vous avec un compte technicien pour en envoyer une.";
pub const NO_CAISSE: &str = "Votre structure n'a de convention en vigueur avec aucune caisse : aucune demande ne peut être envoyée pour le moment.";

/// The link to a request's page.
pub fn request_link(public_url: &str, id: &str) -> String {
    format!("{public_url}/demandes/demande?id={id}")
}

/// An email: subject and paragraphs; the link is added by the caller.
pub struct Notice {
    pub subject: String,
    pub paragraphs: Vec<String>,
    pub link_label: &'static str,
}

fn greeting(name: &str) -> String {
    format!("Bonjour {name},")
}

const NO_DETAIL: &str = "Pour protéger les personnes accompagnées, ce message ne contient ni l'identité de l'assuré ni le contenu des échanges : connectez-vous à l'Espace Partenaires pour les consulter.";

/// To each agent of the caisse: a new request was sent to it.
pub fn new_request(agent_name: &str, reference: &str, kind_label: &str, partner: &str) -> Notice {
    Notice {
        subject: format!("Nouvelle demande {reference} sur l'Espace Partenaires"),
        paragraphs: vec![
            greeting(agent_name),
            format!(
                "La structure partenaire « {partner} » a envoyé à votre caisse une nouvelle demande, référence {reference} ({kind_label})."
            ),
            NO_DETAIL.into(),
        ],
        link_label: "Voir la demande",
    }
}

/// To the partner's users concerned: their request changed state.
pub fn state_changed(user_name: &str, reference: &str, state: RequestState) -> Notice {
    let what = match state {
        RequestState::InProgress => "a été prise en charge par la caisse".to_owned(),
        RequestState::InfoRequested => {
            "attend un complément de votre part : la caisse vous pose une question".to_owned()
        }
        RequestState::Answered => "a reçu la réponse de la caisse".to_owned(),
        RequestState::Closed => "a été clôturée".to_owned(),
        RequestState::Submitted => "a été envoyée".to_owned(),
    };
    Notice {
        subject: format!("Demande {reference} : {}", state.label()),
        paragraphs: vec![
            greeting(user_name),
            format!(
                "Votre demande {reference} {what}. Son état est désormais « {} ».",
                state.label()
            ),
            NO_DETAIL.into(),
        ],
        link_label: "Voir la demande",
    }
}

/// To the partner's users concerned: the caisse wrote in the thread.
pub fn caisse_message(user_name: &str, reference: &str) -> Notice {
    Notice {
        subject: format!("Demande {reference} : nouveau message de la caisse"),
        paragraphs: vec![
            greeting(user_name),
            format!("La caisse a écrit un nouveau message sur votre demande {reference}."),
            NO_DETAIL.into(),
        ],
        link_label: "Lire le message",
    }
}

/// To the agent in charge: the partner answered or closed the request.
pub fn partner_acted(agent_name: &str, reference: &str, state: RequestState) -> Notice {
    let what = match state {
        RequestState::Closed => format!("a clôturé la demande {reference}"),
        _ => format!("a apporté le complément demandé sur la demande {reference}"),
    };
    Notice {
        subject: format!("Demande {reference} : {}", state.label()),
        paragraphs: vec![
            greeting(agent_name),
            format!(
                "La structure partenaire {what}, que vous avez prise en charge. Son état est désormais « {} ».",
                state.label()
            ),
            NO_DETAIL.into(),
        ],
        link_label: "Voir la demande",
    }
}
