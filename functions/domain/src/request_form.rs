//! The new-request form and the texts of a request's thread (SPEC §4, convention
//! §1.2, §5): one validation used by the live check and by the submission, the
//! guards every text field passes (length, control characters, NIR, health data),
//! the request reference and the folded name prefixes the history is searched by.

use crate::error::{FieldError, Violations};
use crate::freetext::check_free_text;
use crate::nir::find_nirs;
use crate::text::fold;
use crate::types::{
    AppointmentMode, BirthDate, Civilite, ContactSubject, Departement, Functionality,
    PERSON_NAME_MAX, PersonName, RequestKind, SignalementDifficulty,
};
use jiff::civil::Date;

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
    use crate::types::{DocumentSubtype, DossierSubtype};
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
    use crate::types::{DocumentSubtype, DossierSubtype};
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

// ------------------------------------------------------------------ reference

/// Crockford's base-32 alphabet: digits and capitals without I, L, O, U (no
/// letter read as a digit or another letter over the phone).
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A request reference from 35 random bits: `XXX-XXXX` in Crockford base 32
/// (34 billion values; uniqueness is guarded by the store). No personal data.
pub fn reference(random: [u8; 5]) -> String {
    let mut n: u64 = random.iter().fold(0, |acc, b| (acc << 8) | u64::from(*b));
    let mut chars = [0u8; 7];
    for c in chars.iter_mut().rev() {
        *c = CROCKFORD[(n & 31) as usize];
        n >>= 5;
    }
    let s: String = chars.iter().map(|&b| b as char).collect();
    format!("{}-{}", &s[..3], &s[3..])
}

// ------------------------------------------------------------------ names

/// Most words of the nom and prénom indexed for the name search.
pub const NAME_WORDS_MAX: usize = 4;
/// Shortest and longest indexed prefix of a word, in characters.
pub const PREFIX_MIN: usize = 2;
pub const PREFIX_MAX: usize = 4;

/// Folded (lower case, no accents) words of a name: split on spaces, hyphens and
/// apostrophes.
pub fn name_words(name: &str) -> Vec<String> {
    fold(name)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The prefixes (2 to 4 letters) of the first [`NAME_WORDS_MAX`] words of the nom
/// then the prénom, without duplicates: the keys of the name index.
pub fn name_prefixes(nom: &str, prenom: &str) -> Vec<String> {
    let mut words = name_words(nom);
    words.extend(name_words(prenom));
    let mut out: Vec<String> = Vec::new();
    let mut seen_words: Vec<String> = Vec::new();
    for w in words {
        if seen_words.contains(&w) {
            continue;
        }
        seen_words.push(w.clone());
        if seen_words.len() > NAME_WORDS_MAX {
            break;
        }
        let n = w.chars().count();
        for len in PREFIX_MIN..=PREFIX_MAX.min(n) {
            let p: String = w.chars().take(len).collect();
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// A name search: the folded query, and the index key to read (its first word's
/// first 2–4 letters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameQuery {
    /// Folded words of the query.
    pub words: Vec<String>,
    /// Key of the name index partition to read.
    pub key: String,
    /// True when the key is the whole query: every item read matches.
    pub exact: bool,
}

/// Parses the `name` filter: 2–100 characters, letters with spaces, hyphens or
/// apostrophes.
pub fn name_query(input: &str) -> Result<NameQuery, FieldError> {
    let t = input.trim();
    common_checks("name", t, NAME_MAX, false)?;
    let words = name_words(t);
    let first = words.first().cloned().unwrap_or_default();
    if first.chars().count() < PREFIX_MIN {
        return Err(FieldError::new(
            "name",
            "name.too_short",
            "Le nom recherché doit compter au moins 2 lettres : saisissez le début du nom ou du prénom.",
        ));
    }
    let key: String = first.chars().take(PREFIX_MAX).collect();
    let exact = words.len() == 1 && first.chars().count() <= PREFIX_MAX;
    Ok(NameQuery { words, key, exact })
}

/// Does the nom or prénom start with the query (case- and accent-insensitive, word
/// by word: « dupont » finds « Dupont-Lefèvre », « lefe » finds it too, « eloise »
/// finds « Éloïse »)?
pub fn name_matches(nom: &str, prenom: &str, q: &NameQuery) -> bool {
    [nom, prenom].iter().any(|name| {
        let words = name_words(name);
        (0..words.len()).any(|start| {
            q.words.len() <= words.len() - start
                && q.words.iter().enumerate().all(|(i, qw)| {
                    let w = &words[start + i];
                    if i + 1 == q.words.len() {
                        w.starts_with(qw.as_str())
                    } else {
                        w == qw
                    }
                })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nir::nir_key;
    use jiff::civil::date;

    fn today() -> Date {
        date(2026, 11, 26)
    }

    fn nir() -> String {
        format!("1850578006084{:02}", nir_key("1850578006084").unwrap())
    }

    fn full() -> RequestInput {
        RequestInput {
            caisse_id: Some("c1".into()),
            kind: Some("dossier".into()),
            sous_type: Some("css".into()),
            civilite: Some("madame".into()),
            nom: Some("Dupont-Lefèvre".into()),
            prenom: Some("Éloïse".into()),
            date_naissance: Some("1961-04-12".into()),
            departement: Some("2A".into()),
            message: Some("Merci d'étudier le dossier de l'assurée.".into()),
            mode: None,
            disponibilites: None,
        }
    }

    fn fields(c: &Checked) -> Vec<(&str, &str)> {
        c.errors
            .0
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect()
    }

    #[test]
    fn spec_4_a_complete_form_is_valid() {
        let c = validate(&full(), true, today());
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        let r = c.request.unwrap();
        assert_eq!(r.sous_type, Some("css"));
        assert_eq!(r.assure.departement.as_str(), "2A");
        for dep in ["971", "976", "2B", "01"] {
            let mut i = full();
            i.departement = Some(dep.into());
            assert!(validate(&i, true, today()).request.is_some(), "{dep}");
        }
        for dep in ["20", "977", "96"] {
            let mut i = full();
            i.departement = Some(dep.into());
            assert_eq!(
                fields(&validate(&i, true, today())),
                [("assure.departement", "departement.invalid")]
            );
        }
    }

    #[test]
    fn spec_4_incomplete_forms_report_missing_fields_only_when_complete() {
        let empty = RequestInput::default();
        let partial = validate(&empty, false, today());
        assert!(partial.errors.is_empty() && partial.request.is_none());
        let c = validate(&empty, true, today());
        let f: Vec<&str> = c.errors.0.iter().map(|e| e.field.as_str()).collect();
        for want in [
            "caisse_id",
            "type",
            "assure.civilite",
            "assure.nom",
            "assure.prenom",
            "assure.date_naissance",
            "assure.departement",
            "message",
        ] {
            assert!(f.contains(&want), "{want}: {f:?}");
        }
        let mut i = full();
        i.sous_type = None;
        assert_eq!(
            fields(&validate(&i, true, today())),
            [("sous_type", "sous_type.missing")]
        );
        assert!(validate(&i, false, today()).errors.is_empty());
    }

    #[test]
    fn spec_4_sous_types_per_kind() {
        let mut i = full();
        i.kind = Some("contact".into());
        i.sous_type = Some("changement_situation".into());
        assert_eq!(
            validate(&i, true, today()).request.unwrap().sous_type,
            Some("changement_situation")
        );
        i.kind = Some("signalement".into());
        i.sous_type = Some("rupture_droits".into());
        assert!(validate(&i, true, today()).request.is_some());
        i.sous_type = Some("droits".into());
        assert_eq!(
            fields(&validate(&i, true, today())),
            [("sous_type", "sous_type.invalid")]
        );
        i.kind = Some("rendez_vous".into());
        i.sous_type = None;
        assert_eq!(
            fields(&validate(&i, true, today())),
            [("mode", "required"), ("disponibilites", "required")]
        );
        i.mode = Some("visio".into());
        i.disponibilites = Some("Lundi matin ou mardi après-midi".into());
        let r = validate(&i, true, today()).request.unwrap();
        assert_eq!(r.mode, Some(AppointmentMode::Visio));
        i.kind = Some("contact".into());
        i.sous_type = Some("droits".into());
        assert_eq!(
            fields(&validate(&i, true, today())),
            [
                ("mode", "field.unexpected"),
                ("disponibilites", "field.unexpected")
            ]
        );
        i.kind = Some("historique".into());
        i.mode = None;
        i.disponibilites = None;
        assert_eq!(
            fields(&validate(&i, true, today())),
            [("type", "type.invalid")]
        );
    }

    #[test]
    fn spec_4_convention_5_a_nir_is_refused_in_every_field() {
        let n = nir();
        let spaced = format!(
            "{} {} {} {} {} {} {}",
            &n[0..1],
            &n[1..3],
            &n[3..5],
            &n[5..7],
            &n[7..10],
            &n[10..13],
            &n[13..]
        );
        type Set = fn(&mut RequestInput, String);
        let setters: [(&str, Set); 9] = [
            ("caisse_id", |i, v| i.caisse_id = Some(v)),
            ("sous_type", |i, v| i.sous_type = Some(v)),
            ("assure.civilite", |i, v| i.civilite = Some(v)),
            ("assure.nom", |i, v| i.nom = Some(v)),
            ("assure.prenom", |i, v| i.prenom = Some(v)),
            ("assure.date_naissance", |i, v| i.date_naissance = Some(v)),
            ("assure.departement", |i, v| i.departement = Some(v)),
            ("message", |i, v| i.message = Some(v)),
            ("disponibilites", |i, v| i.disponibilites = Some(v)),
        ];
        for (field, set) in setters {
            for value in [n.clone(), format!("NIR {spaced}")] {
                let mut i = full();
                if field == "disponibilites" {
                    i.kind = Some("rendez_vous".into());
                    i.sous_type = None;
                    i.mode = Some("accueil".into());
                }
                set(&mut i, value.clone());
                let c = validate(&i, true, today());
                let e = c
                    .errors
                    .for_field(field)
                    .next()
                    .unwrap_or_else(|| panic!("{field} {value}: {:?}", c.errors));
                assert_eq!(e.code, "freetext.nir", "{field}: {}", e.message);
                assert!(e.message.contains("retirez « "), "{}", e.message);
                assert!(!e.message.contains(&n), "never the whole NIR");
            }
        }
        let e = nir_error("message", &format!("voir {spaced}")).unwrap();
        assert!(
            e.message
                .contains("retirez « 1 85 05 … » (à partir du caractère 6)"),
            "{}",
            e.message
        );
    }

    #[test]
    fn spec_4_health_data_and_control_characters_are_refused() {
        let mut i = full();
        i.message = Some("L'assurée est diabétique.".into());
        let c = validate(&i, true, today());
        assert_eq!(fields(&c), [("message", "freetext.health")]);
        assert!(c.errors.0[0].message.contains("« diabétique »"));
        assert!(c.errors.0[0].message.starts_with("Le message"));
        i.message = Some("Bonjour\u{202e}".into());
        assert_eq!(
            fields(&validate(&i, true, today())),
            [("message", "text.control")]
        );
        i.message = Some("Ligne 1\nLigne 2".into());
        assert!(validate(&i, true, today()).errors.is_empty());
        i.nom = Some("Dupont\nX".into());
        assert_eq!(
            fields(&validate(&i, true, today())),
            [("assure.nom", "text.control")]
        );
        let e = check_text("message", &"a".repeat(MESSAGE_MAX + 1), MESSAGE_MAX).unwrap_err();
        assert_eq!(e.code, "too_long");
        assert!(e.message.contains("2000"), "{}", e.message);
        assert!(check_text("message", &"a".repeat(MESSAGE_MAX), MESSAGE_MAX).is_ok());
    }

    #[test]
    fn spec_4_reference_is_short_and_readable() {
        let r = reference([0, 0, 0, 0, 0]);
        assert_eq!(r, "000-0000");
        let r = reference([0xff; 5]);
        assert_eq!(r, "ZZZ-ZZZZ");
        let r = reference([0x12, 0x34, 0x56, 0x78, 0x9a]);
        assert_eq!(r.len(), 8);
        assert!(
            r.chars()
                .all(|c| c == '-' || CROCKFORD.contains(&(c as u8)))
        );
        assert!(!r.contains(['I', 'L', 'O', 'U']));
        assert_ne!(reference([1, 2, 3, 4, 5]), reference([1, 2, 3, 4, 6]));
    }

    #[test]
    fn spec_4_name_search_is_case_and_accent_insensitive_by_prefix() {
        let p = name_prefixes("Dupont-Lefèvre", "Éloïse");
        assert_eq!(
            p,
            [
                "du", "dup", "dupo", "le", "lef", "lefe", "el", "elo", "eloi"
            ]
        );
        let q = |s: &str| name_query(s).unwrap();
        assert!(name_matches("Dupont-Lefèvre", "Éloïse", &q("dupont")));
        assert!(name_matches("Dupont-Lefèvre", "Éloïse", &q("DUP")));
        assert!(name_matches("Dupont-Lefèvre", "Éloïse", &q("eloise")));
        assert!(name_matches("Dupont-Lefèvre", "Éloïse", &q("Lefevre")));
        assert!(name_matches("Dupont-Lefèvre", "Éloïse", &q("dupont-lef")));
        assert!(!name_matches("Dupont-Lefèvre", "Éloïse", &q("dupond")));
        assert!(!name_matches("Durand", "Éloïse", &q("dupont")));
        assert_eq!(q("dupont").key, "dupo");
        assert!(!q("dupont").exact);
        assert!(q("Élo").exact);
        assert_eq!(name_query("d").unwrap_err().code, "name.too_short");
        assert_eq!(name_query("").unwrap_err().code, "name.too_short");
    }

    #[test]
    fn spec_4_posted_on() {
        let created = date(2026, 11, 20);
        assert_eq!(
            posted_on(Some("2026-11-25"), created, today()),
            Ok(date(2026, 11, 25))
        );
        assert_eq!(
            posted_on(Some("25/11/2026"), created, today()),
            Ok(date(2026, 11, 25))
        );
        assert_eq!(
            posted_on(Some("2026-11-27"), created, today())
                .unwrap_err()
                .code,
            "posted_on.future"
        );
        assert_eq!(
            posted_on(Some("2026-11-19"), created, today())
                .unwrap_err()
                .code,
            "posted_on.before_request"
        );
        assert_eq!(
            posted_on(None, created, today()).unwrap_err().code,
            "required"
        );
        assert_eq!(
            posted_on(Some("hier"), created, today()).unwrap_err().code,
            "posted_on.invalid"
        );
    }
}
