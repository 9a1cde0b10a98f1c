//! Domain types that parse at construction: an invalid value cannot exist.
//!
//! Every `parse` returns a [`FieldError`](crate::error::FieldError) with a
//! default field name (rename with `with_field`). String-like types serialise as
//! strings and re-validate when deserialised (`#[serde(try_from = "String")]`).

mod catalog;
mod email;
mod identifiant;
mod person;
mod phone;
mod siret;

pub use catalog::{
    AccountStatus, AppointmentMode, ContactSubject, ConventionState, DocumentSubtype,
    DossierSubtype, Functionality, PartnerCategory, PartnerStatus, Profile, RequestKind,
    SignalementDifficulty, sous_type_label, sous_type_name, sous_types,
};
pub use email::{Email, ProfessionalEmail, WEBMAIL_DOMAINS, is_webmail_domain};
pub use identifiant::Identifiant;
pub use person::{
    BirthDate, Civilite, Departement, Fonction, MAX_AGE_YEARS, PERSON_NAME_MAX, PersonName,
};
pub use phone::{FrenchPhone, PhoneKind};
pub use siret::Siret;
