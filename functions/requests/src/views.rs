//! The JSON the pages read (contract `notes/requests-contract.md`): request
//! summaries and details with their French labels, and the catalog of the form.

use ep_common::requests::{RequestRecord, Side, Summary, ThreadEntry};
use ep_domain::request_form::{
    DISPONIBILITES_MAX, MESSAGE_MAX, NAME_MAX, sous_type_label, sous_type_name, sous_types,
};
use ep_domain::requests::RequestState;
use ep_domain::types::{AppointmentMode, Functionality};
use serde::Serialize;
use serde_json::{Value, json};

use crate::texts::delivery_label;

fn functionality(code: &str) -> Option<Functionality> {
    Functionality::parse(code).ok()
}

/// One row of a list (`RequestSummary`), serialised as it is: a page of them is
/// written straight into the response, with no intermediate `Value` per row. Fields
/// in alphabetical order, so the JSON is the same as a `Value`'s (sorted keys).
#[derive(Serialize)]
pub struct SummaryView<'a> {
    assigned_to_name: Option<&'a str>,
    assure: AssureView<'a>,
    caisse_id: &'a str,
    caisse_name: &'a str,
    created_at: jiff::Timestamp,
    id: &'a str,
    partner_id: &'a str,
    partner_name: &'a str,
    reference: &'a str,
    sous_type: Option<&'a str>,
    sous_type_label: Option<&'static str>,
    state: &'static str,
    state_label: &'static str,
    submitted_by_name: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    type_label: Option<&'static str>,
    updated_at: jiff::Timestamp,
}

#[derive(Serialize)]
struct AssureView<'a> {
    civilite: &'a str,
    date_naissance: String,
    departement: &'a str,
    nom: &'a str,
    prenom: &'a str,
}

impl<'a> From<&'a Summary> for SummaryView<'a> {
    fn from(s: &'a Summary) -> Self {
        let f = functionality(&s.kind);
        let sous_type_label = match (f, s.sous_type.as_deref()) {
            (Some(f), Some(code)) => sous_type_name(f, code),
            _ => None,
        };
        SummaryView {
            assigned_to_name: s.assigned_to_name.as_deref(),
            assure: AssureView {
                civilite: &s.assure.civilite,
                date_naissance: s.assure.date_naissance.to_string(),
                departement: &s.assure.departement,
                nom: &s.assure.nom,
                prenom: &s.assure.prenom,
            },
            caisse_id: &s.caisse_id,
            caisse_name: &s.caisse_name,
            created_at: s.created_at,
            id: &s.id,
            partner_id: &s.partner_id,
            partner_name: &s.partner_name,
            reference: &s.reference,
            sous_type: s.sous_type.as_deref(),
            sous_type_label,
            state: s.state.code(),
            state_label: s.state.label(),
            submitted_by_name: &s.submitted_by_name,
            kind: &s.kind,
            type_label: f.map(Functionality::label),
            updated_at: s.updated_at,
        }
    }
}

/// The rows of a list page, serialised one [`SummaryView`] at a time.
pub struct Rows(pub Vec<Summary>);

impl Serialize for Rows {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(SummaryView::from))
    }
}

/// One row of a list (`RequestSummary`) as a `Value` (the request page extends it).
pub fn summary(s: &Summary) -> Value {
    serde_json::to_value(SummaryView::from(s)).unwrap_or(Value::Null)
}

/// The request page (`RequestDetail`): the summary, the form's other fields, the
/// thread, the state changes, and what this user may do now.
pub fn detail(rec: &RequestRecord, thread: &[ThreadEntry], actions: &[&str]) -> Value {
    let mut v = summary(&rec.summary());
    let mode_label = rec
        .mode
        .as_deref()
        .and_then(|m| AppointmentMode::parse(m).ok())
        .map(AppointmentMode::label);
    let extra = json!({
        "mode": rec.mode,
        "mode_label": mode_label,
        "disponibilites": rec.disponibilites,
        "delivery_mode": rec.delivery_mode,
        "delivery_label": rec.delivery_mode.as_deref().map(delivery_label),
        "posted_on": rec.posted_on.map(|d| d.to_string()),
        "answer_documents": rec.answer_documents,
        "thread": thread.iter().map(|t| json!({
            "id": format!("{:03}", t.seq),
            "at": t.at,
            "author_name": t.author_name,
            "author_side": side_code(t.author_side),
            "kind": t.kind,
            "text": t.text,
        })).collect::<Vec<_>>(),
        "events": rec.events.iter().map(|e| json!({
            "at": e.at,
            "actor_name": e.actor_name,
            "actor_side": side_code(e.actor_side),
            "state": e.state.code(),
            "state_label": e.state.label(),
        })).collect::<Vec<_>>(),
        "actions": actions,
    });
    if let (Value::Object(base), Value::Object(more)) = (&mut v, extra) {
        base.extend(more);
    }
    v
}

/// Adds `attachments` and `attachment_limits` (contract
/// `notes/attachments-contract.md`) to a request page.
pub fn with_attachments(page: &mut Value, (list, limits): (Value, Value)) {
    if let Value::Object(map) = page {
        map.insert("attachments".into(), list);
        map.insert("attachment_limits".into(), limits);
    }
}

fn side_code(s: Side) -> &'static str {
    match s {
        Side::Partner => "partner",
        Side::Caisse => "caisse",
    }
}

/// The catalog of the form: kinds with their sous-types, modes, civilités, states.
pub fn catalog() -> Value {
    let kinds: Vec<Value> = Functionality::ALL
        .iter()
        .filter(|f| f.creates_request())
        .map(|&f| {
            json!({
                "code": f.code(),
                "label": f.label(),
                "sous_type_label": sous_type_label(f).map(label_noun),
                "sous_types": sous_types(f).into_iter()
                    .map(|(code, label)| json!({"code": code, "label": label}))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "kinds": kinds,
        "modes": AppointmentMode::ALL.iter()
            .map(|m| json!({"code": m.code(), "label": m.label()}))
            .collect::<Vec<_>>(),
        "civilites": [
            {"code": "madame", "label": "Madame"},
            {"code": "monsieur", "label": "Monsieur"},
        ],
        "states": RequestState::ALL.iter()
            .map(|s| json!({"code": s.code(), "label": s.label()}))
            .collect::<Vec<_>>(),
    })
}

/// « L'objet » → « Objet » (the label of a select).
fn label_noun(s: &'static str) -> String {
    let rest = s
        .strip_prefix("L'")
        .or_else(|| s.strip_prefix("La "))
        .or_else(|| s.strip_prefix("Le "))
        .unwrap_or(s);
    let mut c = rest.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The maximum lengths the form shows.
pub fn limits() -> Value {
    json!({
        "message_max": MESSAGE_MAX,
        "disponibilites_max": DISPONIBILITES_MAX,
        "nom_max": NAME_MAX,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ep_common::requests::AssureRecord;

    fn row(sous_type: Option<&str>, assigned: Option<&str>) -> Summary {
        Summary {
            id: "0123456789abcdef".into(),
            reference: "D7K-4M2Q".into(),
            kind: "dossier".into(),
            sous_type: sous_type.map(str::to_owned),
            state: RequestState::InProgress,
            caisse_id: "c1".into(),
            caisse_name: "CPAM « Rhône »".into(),
            partner_id: "p1".into(),
            partner_name: "CCAS d'Exempleville".into(),
            assure: AssureRecord {
                civilite: "madame".into(),
                nom: "Dupont-Lefèvre".into(),
                prenom: "Éloïse \"Lou\"".into(),
                date_naissance: jiff::civil::Date::constant(1950, 3, 4),
                departement: "69".into(),
            },
            created_at: "2026-11-26T09:00:00Z".parse().unwrap(),
            updated_at: "2026-11-27T10:30:00.5Z".parse().unwrap(),
            submitted_by_name: "Théo Technicien".into(),
            assigned_to: assigned.map(str::to_owned),
            assigned_to_name: assigned.map(|_| "Agathe Agent".to_owned()),
        }
    }

    /// The typed row writes exactly the JSON the `Value` built field by field wrote.
    #[test]
    fn a_summary_view_is_the_json_of_the_contract_byte_for_byte() {
        for s in [row(Some("puma"), Some("a1")), row(None, None)] {
            let f = functionality(&s.kind);
            let by_value = json!({
                "id": s.id,
                "reference": s.reference,
                "type": s.kind,
                "type_label": f.map(Functionality::label),
                "sous_type": s.sous_type,
                "sous_type_label": s.sous_type.as_deref().and_then(|c| sous_type_name(f.unwrap(), c)),
                "state": s.state.code(),
                "state_label": s.state.label(),
                "caisse_id": s.caisse_id,
                "caisse_name": s.caisse_name,
                "partner_id": s.partner_id,
                "partner_name": s.partner_name,
                "assure": {
                    "civilite": s.assure.civilite,
                    "nom": s.assure.nom,
                    "prenom": s.assure.prenom,
                    "date_naissance": s.assure.date_naissance.to_string(),
                    "departement": s.assure.departement,
                },
                "created_at": s.created_at,
                "updated_at": s.updated_at,
                "submitted_by_name": s.submitted_by_name,
                "assigned_to_name": s.assigned_to_name,
            });
            let rows = Rows(vec![s.clone()]);
            assert_eq!(
                serde_json::to_string(&rows).unwrap(),
                serde_json::to_string(&json!([by_value])).unwrap()
            );
            assert_eq!(summary(&s), by_value);
        }
    }
}
