//! Requests (SPEC §4, convention §1.2): which functionalities a partner may use
//! with a caisse, the request state machine and who may move it, and how a
//! requested document is delivered.

use crate::error::FieldError;
use crate::lifecycle::ConventionView;
use crate::types::{Functionality, PartnerCategory, PartnerStatus, Profile, RequestKind};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

// ------------------------------------------------------------- functionalities

/// Why a functionality is not available.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// The partner is suspended (§4.1).
    #[error(
        "L'accès de votre structure à Espace Partenaires est suspendu par la caisse : aucune demande ne peut être faite."
    )]
    PartnerSuspended,
    /// No active convention with this caisse at `today`.
    #[error("Votre structure n'a pas de convention active avec cette caisse.")]
    NoActiveConvention,
    /// The caisse did not enable this functionality (§1.2).
    #[error("La fonctionnalité « {} » n'est pas activée par cette caisse.", .0.label())]
    FunctionalityDisabled(Functionality),
}

impl AccessError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            AccessError::PartnerSuspended => "access.partner_suspended",
            AccessError::NoActiveConvention => "access.no_active_convention",
            AccessError::FunctionalityDisabled(_) => "access.functionality_disabled",
        }
    }
}

impl From<AccessError> for FieldError {
    fn from(e: AccessError) -> FieldError {
        FieldError::new("caisse", e.code(), e.to_string())
    }
}

/// May the partner use `functionality` with `caisse_id` on `today`? Requires the
/// partner not suspended, a convention with that caisse active on `today`, and
/// the functionality enabled in it.
pub fn may_use(
    partner_status: PartnerStatus,
    conventions: &[ConventionView],
    caisse_id: &str,
    functionality: Functionality,
    today: Date,
) -> Result<(), AccessError> {
    if partner_status == PartnerStatus::Suspended {
        return Err(AccessError::PartnerSuspended);
    }
    let conv = conventions
        .iter()
        .find(|c| c.caisse_id == caisse_id && c.is_active_on(today))
        .ok_or(AccessError::NoActiveConvention)?;
    if conv.functionalities.contains(&functionality) {
        Ok(())
    } else {
        Err(AccessError::FunctionalityDisabled(functionality))
    }
}

/// The functionalities usable with `caisse_id` on `today`, in the §1.2 order
/// (empty if suspended or without an active convention).
pub fn available_functionalities(
    partner_status: PartnerStatus,
    conventions: &[ConventionView],
    caisse_id: &str,
    today: Date,
) -> Vec<Functionality> {
    Functionality::ALL
        .iter()
        .copied()
        .filter(|f| may_use(partner_status, conventions, caisse_id, *f, today).is_ok())
        .collect()
}

/// Caisses the partner may address a `kind` request to on `today`.
pub fn caisses_for(
    partner_status: PartnerStatus,
    conventions: &[ConventionView],
    kind: RequestKind,
    today: Date,
) -> Vec<String> {
    let mut v: Vec<String> = conventions
        .iter()
        .filter(|c| {
            may_use(
                partner_status,
                conventions,
                &c.caisse_id,
                kind.functionality(),
                today,
            )
            .is_ok()
        })
        .map(|c| c.caisse_id.clone())
        .collect();
    v.dedup();
    v
}

// ---------------------------------------------------------------- state machine

/// State of a request (SPEC §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// Sent by the partner.
    Submitted,
    /// Taken in charge by the caisse.
    InProgress,
    /// The caisse asked the partner for more.
    InfoRequested,
    /// The caisse answered.
    Answered,
    /// Closed.
    Closed,
}

impl RequestState {
    /// Every state.
    pub const ALL: &'static [RequestState] = &[
        RequestState::Submitted,
        RequestState::InProgress,
        RequestState::InfoRequested,
        RequestState::Answered,
        RequestState::Closed,
    ];

    /// Stable code (serde form).
    pub fn code(self) -> &'static str {
        match self {
            RequestState::Submitted => "submitted",
            RequestState::InProgress => "in_progress",
            RequestState::InfoRequested => "info_requested",
            RequestState::Answered => "answered",
            RequestState::Closed => "closed",
        }
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            RequestState::Submitted => "Envoyée",
            RequestState::InProgress => "En cours de traitement",
            RequestState::InfoRequested => "Complément demandé",
            RequestState::Answered => "Répondue",
            RequestState::Closed => "Clôturée",
        }
    }

    /// Parses a code.
    pub fn parse(input: &str) -> Result<RequestState, FieldError> {
        let s = input.trim().to_ascii_lowercase();
        RequestState::ALL.iter().copied().find(|v| v.code() == s).ok_or_else(|| {
            FieldError::new(
                "etat",
                "etat.invalid",
                "L'état de la demande n'est pas reconnu : valeurs possibles submitted, in_progress, info_requested, answered, closed.",
            )
        })
    }
}

/// Who acts on a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// An agent of the caisse the request is addressed to.
    CaisseAgent,
    /// A user of the partner that made the request.
    Partner(Profile),
}

impl Actor {
    fn is_partner(self) -> bool {
        matches!(self, Actor::Partner(_))
    }
}

/// Why a transition is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// Not a transition of the state machine.
    #[error("Une demande à l'état « {} » ne peut pas passer à l'état « {} ».", .from.label(), .to.label())]
    Invalid {
        /// Current state.
        from: RequestState,
        /// Wanted state.
        to: RequestState,
    },
    /// A valid transition, but not for this actor.
    #[error("{}", forbidden_message(*.from, *.to))]
    Forbidden {
        /// Current state.
        from: RequestState,
        /// Wanted state.
        to: RequestState,
    },
}

fn forbidden_message(from: RequestState, to: RequestState) -> String {
    let who = match who_may(from, to) {
        Some(Who::Caisse) => "un agent de la caisse",
        Some(Who::Partner) => "un utilisateur de la structure partenaire",
        Some(Who::Both) | None => "un utilisateur habilité",
    };
    format!(
        "Seul {who} peut faire passer la demande de l'état « {} » à l'état « {} ».",
        from.label(),
        to.label()
    )
}

impl TransitionError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            TransitionError::Invalid { .. } => "request.invalid_transition",
            TransitionError::Forbidden { .. } => "request.forbidden_transition",
        }
    }
}

impl From<TransitionError> for FieldError {
    fn from(e: TransitionError) -> FieldError {
        FieldError::new("etat", e.code(), e.to_string())
    }
}

#[derive(Clone, Copy)]
enum Who {
    Caisse,
    Partner,
    Both,
}

fn who_may(from: RequestState, to: RequestState) -> Option<Who> {
    use RequestState::*;
    match (from, to) {
        (Submitted, InProgress) => Some(Who::Caisse), // taken in charge
        (InProgress, InfoRequested) => Some(Who::Caisse), // asks for more
        (InfoRequested, InProgress) => Some(Who::Partner), // partner answers
        (InProgress, Answered) => Some(Who::Caisse),
        (InProgress, Closed) => Some(Who::Caisse),
        (Answered, Closed) => Some(Who::Both),
        _ => None,
    }
}

/// Checks the transition `from → to` by `actor` (SPEC §4):
///
/// | from | to | who |
/// |---|---|---|
/// | submitted | in_progress | caisse agent |
/// | in_progress | info_requested | caisse agent |
/// | info_requested | in_progress | partner (technicien or gestionnaire) answering |
/// | in_progress | answered | caisse agent |
/// | in_progress | closed | caisse agent |
/// | answered | closed | caisse agent or partner (**decision**: so that answered requests reach `closed` and the 12-month retention) |
///
/// Returns the new state.
pub fn transition(
    from: RequestState,
    to: RequestState,
    actor: Actor,
) -> Result<RequestState, TransitionError> {
    let ok = match who_may(from, to) {
        None => return Err(TransitionError::Invalid { from, to }),
        Some(Who::Caisse) => actor == Actor::CaisseAgent,
        Some(Who::Partner) => actor.is_partner(),
        Some(Who::Both) => true,
    };
    if ok {
        Ok(to)
    } else {
        Err(TransitionError::Forbidden { from, to })
    }
}

/// Only techniciens make requests (SPEC §4 « Made by techniciens »).
pub fn may_submit(profile: Profile) -> Result<(), FieldError> {
    match profile {
        Profile::Technicien => Ok(()),
        Profile::Gestionnaire => Err(FieldError::new(
            "profil",
            "request.technicien_only",
            "Les demandes sont faites par les comptes techniciens : connectez-vous avec votre compte technicien.",
        )),
    }
}

// -------------------------------------------------------------------- delivery

/// How a requested document reaches the partner (§1.2, §1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryMode {
    /// Uploaded into the request, downloaded by the partner.
    Portal,
    /// Sent by post to the assuré's known address.
    Post,
}

impl DeliveryMode {
    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            DeliveryMode::Portal => "Envoyé par Espace Partenaires",
            DeliveryMode::Post => "Envoyé à l'adresse connue de l'assuré",
        }
    }
}

/// Portal for tutelle / ASE / dépositaire, post otherwise (§1.2).
pub fn delivery_mode(category: PartnerCategory) -> DeliveryMode {
    if category.is_habilitated() {
        DeliveryMode::Portal
    } else {
        DeliveryMode::Post
    }
}

#[cfg(test)]
#[path = "requests_tests.rs"]
mod tests;
