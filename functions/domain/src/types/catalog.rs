//! Closed lists of the spec: partner categories, functionalities, request types,
//! profiles and statuses. Each has a stable snake_case `code()` (its serde form)
//! and a French `label()`.

use crate::error::FieldError;
use serde::{Deserialize, Serialize};

macro_rules! closed_enum {
    (
        $(#[$meta:meta])*
        $name:ident, field = $field:literal, what = $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident => $code:literal, $label:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in the spec's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Stable machine code (serde form).
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)+ }
            }

            /// French label.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)+ }
            }

            /// Parses the machine code (case-insensitive, trimmed).
            pub fn parse(input: &str) -> Result<$name, FieldError> {
                let s = input.trim().to_ascii_lowercase();
                $name::ALL.iter().copied().find(|v| v.code() == s).ok_or_else(|| {
                    let codes: Vec<&str> = $name::ALL.iter().map(|v| v.code()).collect();
                    FieldError::new(
                        $field,
                        concat!($field, ".invalid"),
                        format!(concat!($what, " n'est pas reconnu(e) : valeurs possibles {}."), codes.join(", ")),
                    )
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

closed_enum! {
    /// Partner category (SPEC §2; convention §1.2, §1.3).
    PartnerCategory, field = "categorie", what = "La catégorie de partenaire" {
        /// Centre communal d'action sociale.
        Ccas => "ccas", "CCAS";
        /// Service de tutelle (habilitated).
        Tutelle => "tutelle", "Tutelle";
        /// Aide sociale à l'enfance (habilitated).
        Ase => "ase", "Aide sociale à l'enfance (ASE)";
        /// Organisme dépositaire (habilitated).
        Depositaire => "depositaire", "Organisme dépositaire";
        /// Any other partner.
        Autre => "autre", "Autre";
    }
}

impl PartnerCategory {
    /// Habilitated categories (tutelle, ASE, dépositaire) receive documents through
    /// the portal (§1.2, §1.3).
    pub fn is_habilitated(self) -> bool {
        matches!(
            self,
            PartnerCategory::Tutelle | PartnerCategory::Ase | PartnerCategory::Depositaire
        )
    }
}

closed_enum! {
    /// The six functionalities of the portal (§1.2), each activable by the caisse.
    Functionality, field = "fonctionnalite", what = "La fonctionnalité" {
        /// « Contacter votre organisme d'assurance Maladie ».
        Contact => "contact", "Contacter votre organisme d'assurance Maladie";
        /// « Soumettre une demande d'étude de dossier ».
        Dossier => "dossier", "Soumettre une demande d'étude de dossier";
        /// « Signaler une situation de difficultés d'accès aux droits et aux soins ».
        Signalement => "signalement", "Signaler une situation de difficultés d'accès aux droits et aux soins";
        /// « Demander un rendez-vous pour un assuré ».
        RendezVous => "rendez_vous", "Demander un rendez-vous pour un assuré";
        /// « Demander un document ».
        Document => "document", "Demander un document";
        /// « Consulter l'historique des demandes ».
        Historique => "historique", "Consulter l'historique des demandes";
    }
}

impl Functionality {
    /// True for the functionalities that create a request (all but `historique`).
    pub fn creates_request(self) -> bool {
        self != Functionality::Historique
    }

    /// A request of this kind named for whoever reads it (the caisse's agents among
    /// them): the convention's labels are the partner's menu and speak to the partner.
    pub fn request_noun(self) -> &'static str {
        match self {
            Functionality::Contact => "Demande de contact",
            Functionality::Dossier => "Demande d'étude de dossier",
            Functionality::Signalement => {
                "Signalement de difficultés d'accès aux droits ou aux soins"
            }
            Functionality::RendezVous => "Demande de rendez-vous",
            Functionality::Document => "Demande de document",
            Functionality::Historique => "Consultation de l'historique",
        }
    }
}

closed_enum! {
    /// Subtype of a `dossier` request (§1.2).
    DossierSubtype, field = "sous_type", what = "Le type de dossier" {
        /// Protection universelle maladie.
        Puma => "puma", "PUMa";
        /// Complémentaire santé solidaire.
        Css => "css", "Complémentaire santé solidaire";
        /// Aide médicale de l'État.
        Ame => "ame", "Aide Médicale d'Etat";
        /// Other.
        Autre => "autre", "Autre";
    }
}

closed_enum! {
    /// Subtype of a `document` request (§1.2).
    DocumentSubtype, field = "sous_type", what = "Le type de document" {
        /// Attestation de droits.
        AttestationDroits => "attestation_droits", "Attestation de droits";
        /// Certificat provisoire CEAM.
        CeamProvisoire => "ceam_provisoire", "Certificat provisoire CEAM";
        /// Formulaire carte Vitale.
        FormulaireCarteVitale => "formulaire_carte_vitale", "Formulaire carte Vitale";
        /// Offres de prévention.
        OffresPrevention => "offres_prevention", "Offres de prévention";
        /// Other document.
        Autre => "autre", "Autre";
    }
}

/// The type of a request with its subtype when the type has one (§1.2).
/// Serialised as `{"type": "dossier", "subtype": "css"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "subtype", rename_all = "snake_case")]
pub enum RequestKind {
    /// Contacter la caisse.
    Contact,
    /// Étude de dossier.
    Dossier(DossierSubtype),
    /// Signalement.
    Signalement,
    /// Rendez-vous.
    RendezVous,
    /// Demande de document.
    Document(DocumentSubtype),
}

impl RequestKind {
    /// Parses a type code and an optional subtype code. `dossier` and `document`
    /// need a subtype; the others refuse one.
    pub fn parse(kind: &str, subtype: Option<&str>) -> Result<RequestKind, FieldError> {
        let f = Functionality::parse(kind).map_err(|e| e.with_field("type"))?;
        let sub = subtype.map(str::trim).filter(|s| !s.is_empty());
        let missing = || {
            FieldError::new(
                "sous_type",
                "sous_type.missing",
                "Précisez le type de dossier ou de document demandé.",
            )
        };
        match (f, sub) {
            (Functionality::Dossier, Some(s)) => {
                Ok(RequestKind::Dossier(DossierSubtype::parse(s)?))
            }
            (Functionality::Document, Some(s)) => {
                Ok(RequestKind::Document(DocumentSubtype::parse(s)?))
            }
            (Functionality::Dossier | Functionality::Document, None) => Err(missing()),
            (_, Some(_)) => Err(FieldError::new(
                "sous_type",
                "sous_type.unexpected",
                "Ce type de demande n'a pas de sous-type : laissez ce champ vide.",
            )),
            (Functionality::Contact, None) => Ok(RequestKind::Contact),
            (Functionality::Signalement, None) => Ok(RequestKind::Signalement),
            (Functionality::RendezVous, None) => Ok(RequestKind::RendezVous),
            (Functionality::Historique, None) => Err(FieldError::new(
                "type",
                "type.invalid",
                "La consultation de l'historique n'est pas un type de demande.",
            )),
        }
    }

    /// The functionality that must be enabled to make this request.
    pub fn functionality(self) -> Functionality {
        match self {
            RequestKind::Contact => Functionality::Contact,
            RequestKind::Dossier(_) => Functionality::Dossier,
            RequestKind::Signalement => Functionality::Signalement,
            RequestKind::RendezVous => Functionality::RendezVous,
            RequestKind::Document(_) => Functionality::Document,
        }
    }

    /// Subtype code, if any.
    pub fn subtype_code(self) -> Option<&'static str> {
        match self {
            RequestKind::Dossier(s) => Some(s.code()),
            RequestKind::Document(s) => Some(s.code()),
            _ => None,
        }
    }

    /// French label, e.g. « Demander un document — Attestation de droits ».
    pub fn label(self) -> String {
        match self {
            RequestKind::Dossier(s) => format!("{} — {}", self.functionality().label(), s.label()),
            RequestKind::Document(s) => format!("{} — {}", self.functionality().label(), s.label()),
            _ => self.functionality().label().to_string(),
        }
    }
}

closed_enum! {
    /// Subject (« objet ») of a `contact` request (SPEC §4).
    ContactSubject, field = "sous_type", what = "L'objet de la demande" {
        /// Droits.
        Droits => "droits", "Droits";
        /// Remboursements.
        Remboursements => "remboursements", "Remboursements";
        /// Changement de situation.
        ChangementSituation => "changement_situation", "Changement de situation";
        /// Other.
        Autre => "autre", "Autre";
    }
}

closed_enum! {
    /// Difficulty of a `signalement` request (SPEC §4).
    SignalementDifficulty, field = "sous_type", what = "La difficulté signalée" {
        /// Accès aux droits.
        AccesDroits => "acces_droits", "Accès aux droits";
        /// Accès aux soins.
        AccesSoins => "acces_soins", "Accès aux soins";
        /// Rupture de droits.
        RuptureDroits => "rupture_droits", "Rupture de droits";
        /// Other.
        Autre => "autre", "Autre";
    }
}

closed_enum! {
    /// Preferred mode of a `rendez_vous` request (SPEC §4).
    AppointmentMode, field = "mode", what = "Le mode de rendez-vous" {
        /// At the caisse's desk.
        Accueil => "accueil", "À l'accueil";
        /// By phone.
        Telephone => "telephone", "Par téléphone";
        /// By video call.
        Visio => "visio", "En visioconférence";
    }
}

/// What the sous-type of `kind` is called on the form (`None` for rendez-vous).
pub fn sous_type_label(f: Functionality) -> Option<&'static str> {
    match f {
        Functionality::Contact => Some("L'objet"),
        Functionality::Dossier => Some("L'étude demandée"),
        Functionality::Signalement => Some("La difficulté"),
        Functionality::Document => Some("Le document"),
        Functionality::RendezVous | Functionality::Historique => None,
    }
}

/// Label of a sous-type code of a kind.
pub fn sous_type_name(f: Functionality, code: &str) -> Option<&'static str> {
    match f {
        Functionality::Contact => ContactSubject::parse(code).ok().map(|s| s.label()),
        Functionality::Dossier => DossierSubtype::parse(code).ok().map(|s| s.label()),
        Functionality::Signalement => SignalementDifficulty::parse(code).ok().map(|s| s.label()),
        Functionality::Document => DocumentSubtype::parse(code).ok().map(|s| s.label()),
        Functionality::RendezVous | Functionality::Historique => None,
    }
}

/// The sous-types of a kind, `(code, label)`, in the spec's order.
pub fn sous_types(f: Functionality) -> Vec<(&'static str, &'static str)> {
    match f {
        Functionality::Contact => ContactSubject::ALL
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        Functionality::Dossier => DossierSubtype::ALL
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        Functionality::Signalement => SignalementDifficulty::ALL
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        Functionality::Document => DocumentSubtype::ALL
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        Functionality::RendezVous | Functionality::Historique => Vec::new(),
    }
}

closed_enum! {
    /// Profile of a partner account (§2.2).
    Profile, field = "profil", what = "Le profil" {
        /// Manager account, habilitated by the caisse.
        Gestionnaire => "gestionnaire", "Gestionnaire";
        /// Worker account, created by a gestionnaire.
        Technicien => "technicien", "Technicien";
    }
}

closed_enum! {
    /// Status of an account (SPEC §3).
    AccountStatus, field = "statut", what = "Le statut" {
        /// Created, password not yet set.
        Pending => "pending", "En attente";
        /// Usable.
        Active => "active", "Actif";
        /// Inactivated (purged 6 months later).
        Inactive => "inactive", "Inactif";
    }
}

impl AccountStatus {
    /// Counts towards quotas (active or pending, SPEC §3).
    pub fn counts_for_quota(self) -> bool {
        matches!(self, AccountStatus::Active | AccountStatus::Pending)
    }
}

closed_enum! {
    /// Status of a partner (SPEC §2; §4.1 last bullet).
    PartnerStatus, field = "statut", what = "Le statut du partenaire" {
        /// Normal.
        Active => "active", "Actif";
        /// Suspended by a caisse.
        Suspended => "suspended", "Suspendu";
    }
}

closed_enum! {
    /// State of a convention (SPEC §2).
    ConventionState, field = "etat", what = "L'état de la convention" {
        /// In force (between its start and optional end date).
        Active => "active", "Active";
        /// Reached its end.
        Ended => "ended", "Terminée";
        /// Terminated early (§8.2).
        Terminated => "terminated", "Résiliée";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_2_categories_habilitated() {
        assert!(PartnerCategory::Tutelle.is_habilitated());
        assert!(PartnerCategory::Ase.is_habilitated());
        assert!(PartnerCategory::Depositaire.is_habilitated());
        assert!(!PartnerCategory::Ccas.is_habilitated());
        assert!(!PartnerCategory::Autre.is_habilitated());
        assert_eq!(
            PartnerCategory::parse(" CCAS ").unwrap(),
            PartnerCategory::Ccas
        );
        let e = PartnerCategory::parse("mairie").unwrap_err();
        assert_eq!(e.code, "categorie.invalid");
        assert!(e.message.contains("ccas, tutelle, ase, depositaire, autre"));
    }

    #[test]
    fn spec_2_convention_1_2_functionality_labels() {
        let labels: Vec<_> = Functionality::ALL
            .iter()
            .map(|f| (f.code(), f.label()))
            .collect();
        assert_eq!(
            labels,
            [
                ("contact", "Contacter votre organisme d'assurance Maladie"),
                ("dossier", "Soumettre une demande d'étude de dossier"),
                (
                    "signalement",
                    "Signaler une situation de difficultés d'accès aux droits et aux soins"
                ),
                ("rendez_vous", "Demander un rendez-vous pour un assuré"),
                ("document", "Demander un document"),
                ("historique", "Consulter l'historique des demandes"),
            ]
        );
        assert_eq!(
            serde_json::to_string(&Functionality::RendezVous).unwrap(),
            "\"rendez_vous\""
        );
        assert!(!Functionality::Historique.creates_request());
    }

    #[test]
    fn spec_2_convention_1_2_request_kinds() {
        assert_eq!(
            RequestKind::parse("dossier", Some("css")).unwrap(),
            RequestKind::Dossier(DossierSubtype::Css)
        );
        assert_eq!(
            RequestKind::parse("document", Some("ceam_provisoire"))
                .unwrap()
                .label(),
            "Demander un document — Certificat provisoire CEAM"
        );
        assert_eq!(
            RequestKind::parse("signalement", None).unwrap(),
            RequestKind::Signalement
        );
        assert_eq!(
            RequestKind::parse("contact", Some("")).unwrap(),
            RequestKind::Contact
        );
        assert_eq!(
            RequestKind::parse("dossier", None).unwrap_err().code,
            "sous_type.missing"
        );
        assert_eq!(
            RequestKind::parse("contact", Some("css")).unwrap_err().code,
            "sous_type.unexpected"
        );
        assert_eq!(
            RequestKind::parse("historique", None).unwrap_err().code,
            "type.invalid"
        );
        assert_eq!(RequestKind::parse("xyz", None).unwrap_err().field, "type");
        assert_eq!(
            RequestKind::parse("document", Some("x")).unwrap_err().code,
            "sous_type.invalid"
        );
        assert_eq!(DossierSubtype::Ame.label(), "Aide Médicale d'Etat");
        assert_eq!(DossierSubtype::Puma.label(), "PUMa");
        assert_eq!(
            DocumentSubtype::FormulaireCarteVitale.label(),
            "Formulaire carte Vitale"
        );
        let k = RequestKind::Document(DocumentSubtype::AttestationDroits);
        let j = serde_json::to_string(&k).unwrap();
        assert_eq!(j, r#"{"type":"document","subtype":"attestation_droits"}"#);
        assert_eq!(serde_json::from_str::<RequestKind>(&j).unwrap(), k);
        assert_eq!(k.subtype_code(), Some("attestation_droits"));
        assert_eq!(k.functionality(), Functionality::Document);
    }

    #[test]
    fn spec_3_statuses() {
        assert!(AccountStatus::Pending.counts_for_quota());
        assert!(AccountStatus::Active.counts_for_quota());
        assert!(!AccountStatus::Inactive.counts_for_quota());
        assert_eq!(AccountStatus::Active.label(), "Actif");
        assert_eq!(Profile::parse("Technicien").unwrap(), Profile::Technicien);
    }
}
