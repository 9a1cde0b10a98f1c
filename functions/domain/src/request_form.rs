//! The new-request form and the texts of a request's thread (SPEC §4, convention
//! §1.2, §5): one validation used by the live check and by the submission, the
//! guards every text field passes (length, control characters, NIR, health data),
//! the request reference and the folded name prefixes the history is searched by.

use crate::error::{FieldError, Violations};
use crate::freetext::check_free_text;
use crate::nir::find_nirs;
use crate::types::{
    AppointmentMode, BirthDate, Civilite, ContactSubject, Departement, Functionality,
    PERSON_NAME_MAX, PersonName, RequestKind, SignalementDifficulty,
};
use jiff::civil::Date;

pub use crate::request_keys::*;
pub use crate::types::{sous_type_label, sous_type_name, sous_types};

/// Longest message (the original request, and every message of the thread).
pub const MESSAGE_MAX: usize = 2000;
/// Longest « disponibilités » text of a rendez-vous request.
pub const DISPONIBILITES_MAX: usize = 500;
/// Longest nom / prénom of the assuré.
pub const NAME_MAX: usize = PERSON_NAME_MAX;
/// Longest code field (caisse id, type, sous-type, mode, civilité).
pub const CODE_MAX: usize = 64;
/// Longest date field (`AAAA-MM-JJ` or `JJ/MM/AAAA`).
pub const DATE_MAX: usize = 10;
/// Longest département field.
pub const DEPARTEMENT_MAX: usize = 3;
/// Most entries of a request's thread (the original message included): keeps a
/// request and everything attached to it within one transaction.
pub const THREAD_MAX: usize = 60;

/// The form as typed (every field optional: the live check sends it incomplete).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestInput {
    pub caisse_id: Option<String>,
    pub kind: Option<String>,
    pub sous_type: Option<String>,
    pub civilite: Option<String>,
    pub nom: Option<String>,
    pub prenom: Option<String>,
    pub date_naissance: Option<String>,
    pub departement: Option<String>,
    pub message: Option<String>,
    pub mode: Option<String>,
    pub disponibilites: Option<String>,
}

/// The assuré a request is about (§5: never the NIR).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assure {
    pub civilite: Civilite,
    pub nom: PersonName,
    pub prenom: PersonName,
    pub date_naissance: BirthDate,
    pub departement: Departement,
}

/// A valid new request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRequest {
    pub caisse_id: String,
    pub kind: RequestKind,
    /// Code of the sous-type (every kind but `rendez_vous`).
    pub sous_type: Option<&'static str>,
    pub assure: Assure,
    pub message: String,
    pub mode: Option<AppointmentMode>,
    pub disponibilites: Option<String>,
}

/// What the validation found: the request when complete and valid, and the errors
/// (keyed by the body's dotted field paths).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Checked {
    pub request: Option<NewRequest>,
    pub errors: Violations,
}

/// The French name of a field, for messages.
pub fn field_label(field: &str) -> &'static str {
    match field {
        "caisse_id" => "La caisse",
        "type" => "Le type de demande",
        "sous_type" => "La précision du type de demande",
        "assure.civilite" => "La civilité de l'assuré",
        "assure.nom" => "Le nom de l'assuré",
        "assure.prenom" => "Le prénom de l'assuré",
        "assure.date_naissance" => "La date de naissance de l'assuré",
        "assure.departement" => "Le département de résidence de l'assuré",
        "message" => "Le message",
        "mode" => "Le mode de rendez-vous",
        "disponibilites" => "Les disponibilités",
        "posted_on" => "La date d'envoi par courrier",
        "name" => "Le nom recherché",
        _ => "Ce champ",
    }
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// The NIR refusal for `field` if `text` holds one: says where it is and quotes its
/// first characters only (« 1 85 05 … »), never the whole number.
pub fn nir_error(field: &str, text: &str) -> Option<FieldError> {
    let nirs = find_nirs(text);
    let first = nirs.first()?;
    let excerpt: String = first.span.slice(text).chars().take(7).collect();
    let more = if nirs.len() > 1 {
        format!(" et {} autre(s) numéro(s) du même genre", nirs.len() - 1)
    } else {
        String::new()
    };
    Some(FieldError::new(
        field,
        "freetext.nir",
        format!(
            "{} contient un numéro de sécurité sociale (NIR) : retirez « {} … » (à partir du caractère {}){more}. Le NIR ne doit jamais être saisi : l'assuré est identifié par sa civilité, son nom, son prénom, sa date de naissance et son département (convention, article 5 ; le NIR peut seulement figurer dans une pièce jointe).",
            field_label(field),
            excerpt.trim_end(),
            first.span.char_start + 1
        ),
    ))
}

/// The checks of a one-line text field (NIR, length, control characters).
pub fn check_line(field: &str, text: &str, max: usize) -> Result<(), FieldError> {
    common_checks(field, text, max, false)
}

/// NIR, length, control characters: the checks every text field passes. The NIR
/// comes first, so that it is reported as such whatever the field's length.
fn common_checks(field: &str, text: &str, max: usize, multiline: bool) -> Result<(), FieldError> {
    if let Some(e) = nir_error(field, text) {
        return Err(e);
    }
    let n = text.chars().count();
    if n > max {
        return Err(FieldError::new(
            field,
            "too_long",
            format!(
                "{} compte {n} caractères : au plus {max} sont acceptés, raccourcissez-le.",
                field_label(field)
            ),
        ));
    }
    let bad = text.chars().any(|c| {
        is_bidi_control(c) || (c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
    });
    if bad {
        let what = if multiline {
            "des caractères invisibles ou de contrôle (autres que les retours à la ligne)"
        } else {
            "des caractères invisibles, de contrôle ou des retours à la ligne"
        };
        return Err(FieldError::new(
            field,
            "text.control",
            format!(
                "{} contient {what} : retirez-les (retapez le texte plutôt que de le coller).",
                field_label(field)
            ),
        ));
    }
    Ok(())
}

/// A free-text field (request message, availabilities, every message of the
/// thread, the caisse's answers included): at most `max` characters, no control
/// characters but line breaks, no NIR, no health data, no insult (SPEC §4, §5).
/// Returns the text trimmed, as it will be stored.
pub fn check_text(field: &str, text: &str, max: usize) -> Result<String, FieldError> {
    let t = text.trim();
    common_checks(field, t, max, true)?;
    check_free_text(field, t).map_err(|e| {
        FieldError::new(
            field,
            e.code,
            format!("{} : {}", field_label(field), e.message),
        )
    })?;
    Ok(t.to_owned())
}

/// A required free-text field.
pub fn required_text(field: &str, text: Option<&str>, max: usize) -> Result<String, FieldError> {
    let t = text.map(str::trim).unwrap_or("");
    if t.is_empty() {
        return Err(required(field));
    }
    check_text(field, t, max)
}

/// The value of `r`, or its error recorded under `field`.
fn keep<T>(errors: &mut Violations, r: Result<T, FieldError>, field: &str) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(e.with_field(field));
            None
        }
    }
}

fn required(field: &str) -> FieldError {
    FieldError::new(
        field,
        "required",
        format!("{} est à renseigner.", field_label(field)),
    )
}

fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Validates the form. With `complete` false (the live check of a form being
/// typed), absent fields are not reported; with `complete` true (the submission),
/// they are. Every field is checked for length and NIR first, so a NIR is always
/// reported as such, whatever the field.
pub fn validate(input: &RequestInput, complete: bool, today: Date) -> Checked {
    let mut errors = Violations::new();
    // A one-line field: length, control characters, NIR, then `parse`.
    let mut field = |name: &str, v: &Option<String>, max: usize| -> Option<String> {
        match present(v) {
            None => {
                if complete {
                    errors.push(required(name));
                }
                None
            }
            Some(s) => match common_checks(name, s, max, false) {
                Ok(()) => Some(s.to_owned()),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
        }
    };
    let caisse_id = field("caisse_id", &input.caisse_id, CODE_MAX);
    let kind_code = field("type", &input.kind, CODE_MAX);
    let civilite = field("assure.civilite", &input.civilite, CODE_MAX);
    let nom = field("assure.nom", &input.nom, NAME_MAX);
    let prenom = field("assure.prenom", &input.prenom, NAME_MAX);
    let naissance = field("assure.date_naissance", &input.date_naissance, DATE_MAX);
    let departement = field("assure.departement", &input.departement, DEPARTEMENT_MAX);
    let sous_type = present(&input.sous_type);
    let mode = present(&input.mode);
    let dispo = present(&input.disponibilites);

    let e = &mut errors;
    let civilite = civilite.and_then(|c| keep(e, Civilite::parse(&c), "assure.civilite"));
    let nom = nom.and_then(|n| keep(e, PersonName::parse(&n), "assure.nom"));
    let prenom = prenom.and_then(|n| keep(e, PersonName::parse(&n), "assure.prenom"));
    let naissance =
        naissance.and_then(|d| keep(e, BirthDate::parse(&d, today), "assure.date_naissance"));
    let departement =
        departement.and_then(|d| keep(e, Departement::parse(&d), "assure.departement"));

    // The kind and what depends on it.
    let mut kind = None;
    let mut sous = None;
    let mut appointment = None;
    let mut disponibilites = None;
    let kind_f = kind_code.and_then(|k| keep(&mut errors, Functionality::parse(&k), "type"));
    if let Some(f) = kind_f {
        match kind_for(f, sous_type, complete) {
            Ok(Some((k, s))) => {
                kind = Some(k);
                sous = s;
            }
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
        if f == Functionality::RendezVous {
            match mode {
                Some(m) => match common_checks("mode", m, CODE_MAX, false)
                    .and_then(|()| AppointmentMode::parse(m))
                {
                    Ok(m) => appointment = Some(m),
                    Err(e) => errors.push(e.with_field("mode")),
                },
                None if complete => errors.push(required("mode")),
                None => {}
            }
            match dispo {
                Some(d) => match check_text("disponibilites", d, DISPONIBILITES_MAX) {
                    Ok(d) => disponibilites = Some(d),
                    Err(e) => errors.push(e),
                },
                None if complete => errors.push(required("disponibilites")),
                None => {}
            }
        } else {
            for (name, v) in [("mode", mode), ("disponibilites", dispo)] {
                if v.is_some() {
                    errors.push(FieldError::new(
                        name,
                        "field.unexpected",
                        format!(
                            "{} ne concerne que les demandes de rendez-vous : laissez ce champ vide.",
                            field_label(name)
                        ),
                    ));
                }
            }
        }
    } else if let Some(s) = sous_type {
        // The kind is missing or wrong: still refuse a NIR or an overlong value.
        if let Err(e) = common_checks("sous_type", s, CODE_MAX, false) {
            errors.push(e);
        }
    }
    let message = match present(&input.message) {
        Some(m) => match check_text("message", m, MESSAGE_MAX) {
            Ok(m) => Some(m),
            Err(e) => {
                errors.push(e);
                None
            }
        },
        None => {
            if complete {
                errors.push(required("message"));
            }
            None
        }
    };

    let request = match (
        errors.is_empty(),
        caisse_id,
        kind,
        civilite,
        nom,
        prenom,
        naissance,
        departement,
        message,
    ) {
        (
            true,
            Some(caisse_id),
            Some(kind),
            Some(c),
            Some(n),
            Some(p),
            Some(d),
            Some(dep),
            Some(m),
        ) if complete => Some(NewRequest {
            caisse_id,
            kind,
            sous_type: sous,
            assure: Assure {
                civilite: c,
                nom: n,
                prenom: p,
                date_naissance: d,
                departement: dep,
            },
            message: m,
            mode: appointment,
            disponibilites,
        }),
        _ => None,
    };
    Checked { request, errors }
}

/// The kind of a request and its sous-type code, from the type and sous-type typed.
/// `Ok(None)`: the sous-type is missing but the form is incomplete.
#[allow(clippy::type_complexity)]
fn kind_for(
    f: Functionality,
    sous_type: Option<&str>,
    complete: bool,
) -> Result<Option<(RequestKind, Option<&'static str>)>, FieldError> {
    if let Some(s) = sous_type {
        common_checks("sous_type", s, CODE_MAX, false)?;
    }
    let missing = || {
        FieldError::new(
            "sous_type",
            "sous_type.missing",
            format!(
                "{} est à choisir dans la liste.",
                sous_type_label(f).unwrap_or("La précision")
            ),
        )
    };
    let sous = match (f, sous_type) {
        (Functionality::RendezVous, None) => None,
        (Functionality::RendezVous, Some(_)) => {
            return Err(FieldError::new(
                "sous_type",
                "sous_type.unexpected",
                "Une demande de rendez-vous n'a pas de précision de type : laissez ce champ vide (le motif se dit dans le message).",
            ));
        }
        (Functionality::Historique, _) => {
            return Err(FieldError::new(
                "type",
                "type.invalid",
                "La consultation de l'historique n'est pas un type de demande : choisissez un autre type.",
            ));
        }
        (_, None) if complete => return Err(missing()),
        (_, None) => return Ok(None),
        (Functionality::Contact, Some(s)) => Some(ContactSubject::parse(s)?.code()),
        (Functionality::Signalement, Some(s)) => Some(SignalementDifficulty::parse(s)?.code()),
        (Functionality::Dossier | Functionality::Document, Some(s)) => {
            RequestKind::parse(f.code(), Some(s))?.subtype_code()
        }
    };
    let kind = match f {
        Functionality::Dossier | Functionality::Document => RequestKind::parse(f.code(), sous)?,
        _ => RequestKind::parse(f.code(), None)?,
    };
    Ok(Some((kind, sous)))
}

/// « Envoyé par courrier le … »: a date `AAAA-MM-JJ` (or `JJ/MM/AAAA`), not in the
/// future, not before the request was made.
pub fn posted_on(input: Option<&str>, created: Date, today: Date) -> Result<Date, FieldError> {
    let s = input.map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| {
        FieldError::new(
            "posted_on",
            "required",
            "La date d'envoi par courrier est à renseigner : le document de ce partenaire part par courrier à l'adresse connue de l'assuré.",
        )
    })?;
    common_checks("posted_on", s, DATE_MAX, false)?;
    let d = BirthDate::parse(s, today)
        .map(|b| b.date())
        .map_err(|e| match e.code.as_str() {
            "birth_date.future" => FieldError::new(
                "posted_on",
                "posted_on.future",
                "La date d'envoi par courrier ne peut pas être dans le futur.",
            ),
            _ => FieldError::new(
                "posted_on",
                "posted_on.invalid",
                "La date d'envoi par courrier n'est pas une date valide : saisissez-la au format JJ/MM/AAAA.",
            ),
        })?;
    if d < created {
        return Err(FieldError::new(
            "posted_on",
            "posted_on.before_request",
            "La date d'envoi par courrier ne peut pas précéder la demande : vérifiez la date saisie.",
        ));
    }
    Ok(d)
}
