//! Maintenance windows (convention §3.2, SPEC §5): the rules of an announced
//! window — start, end, message — and which windows are in force. Pure: `now` is
//! an argument.

use jiff::{SignedDuration, Timestamp};

use crate::calendar::paris;
use crate::{FieldError, Violations};

/// Longest window: three days (a long weekend of works). A longer interruption is not
/// maintenance and would leave partners without the portal too long.
pub const MAX_DURATION: SignedDuration = SignedDuration::from_hours(72);
/// Furthest start: a window is announced at most a year ahead.
pub const MAX_AHEAD: SignedDuration = SignedDuration::from_hours(24 * 366);
/// A start this far in the past is still accepted (the form was filled a moment ago).
pub const PAST_TOLERANCE: SignedDuration = SignedDuration::from_secs(60);
/// Longest message (characters), shown in a banner and in the 503 answer.
pub const MESSAGE_MAX: usize = 500;
/// Windows not yet ended per scope (the platform, or one caisse).
pub const MAX_PER_SCOPE: usize = 5;

/// A window as the rules see it: its scope (`None`: the platform) and its times.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot<'a> {
    pub id: &'a str,
    pub caisse_id: Option<&'a str>,
    pub start: Timestamp,
    pub end: Timestamp,
}

/// The checked fields of an announcement or an edit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub start: Timestamp,
    pub end: Timestamp,
    pub message: String,
}

/// Reads a time field: an RFC 3339 timestamp (`2026-12-08T01:00:00Z`, an offset), or
/// a date and time without offset (`2026-12-08T02:00`, what a `datetime-local` input
/// gives), read in Europe/Paris.
pub fn parse_time(field: &str, label: &str, value: Option<&str>) -> Result<Timestamp, FieldError> {
    let v = value.map(str::trim).unwrap_or("");
    if v.is_empty() {
        return Err(FieldError::new(
            field,
            "required",
            format!("{label} est obligatoire : indiquez une date et une heure."),
        ));
    }
    if let Ok(ts) = v.parse::<Timestamp>() {
        return Ok(ts);
    }
    v.parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|dt| dt.to_zoned_datetime(paris()).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| {
            FieldError::new(
                field,
                "invalid",
                format!(
                    "{label} n'est pas une date et une heure valides : écrivez-la sous la forme 2026-12-08T02:00."
                ),
            )
        })
}

/// Checks an announcement (`current`: the window being edited, if any; `others`:
/// the windows not yet ended, every scope). Errors name the field.
pub fn check(
    now: Timestamp,
    caisse_id: Option<&str>,
    current: Option<&Slot<'_>>,
    others: &[Slot<'_>],
    start: Result<Timestamp, FieldError>,
    end: Result<Timestamp, FieldError>,
    message: Result<String, FieldError>,
) -> Result<Checked, Violations> {
    let mut v = Violations::new();
    let start = v.check(start);
    let end = v.check(end);
    let message = v.check(message);
    if let Some(start) = start {
        // A window already under way keeps its start; a new one does not start in the past.
        let kept = current.is_some_and(|c| c.start <= now && c.start == start);
        if !kept && start < now - PAST_TOLERANCE {
            v.push(FieldError::new(
                "start",
                "in_past",
                "Le début est déjà passé : choisissez une date et une heure à venir.",
            ));
        } else if start > now + MAX_AHEAD {
            v.push(FieldError::new(
                "start",
                "too_far",
                "Le début est à plus d'un an : annoncez cette interruption plus tard.",
            ));
        }
        if let Some(c) = current
            && c.start <= now
            && c.start != start
        {
            v.push(FieldError::new(
                "start",
                "started",
                "Cette interruption a déjà commencé : son début ne peut plus changer (vous pouvez changer sa fin).",
            ));
        }
    }
    if let (Some(start), Some(end)) = (start, end) {
        if end <= start {
            v.push(FieldError::new(
                "end",
                "before_start",
                "La fin doit être après le début : corrigez l'une des deux.",
            ));
        } else if end.duration_since(start) > MAX_DURATION {
            v.push(FieldError::new(
                "end",
                "too_long",
                "Une interruption dure au plus 72 heures : rapprochez la fin ou annoncez plusieurs interruptions.",
            ));
        } else if end <= now {
            v.push(FieldError::new(
                "end",
                "in_past",
                "La fin est déjà passée : choisissez une date et une heure à venir.",
            ));
        }
        let current_id = current.map(|c| c.id);
        let same_scope = others
            .iter()
            .filter(|o| o.caisse_id == caisse_id && Some(o.id) != current_id && o.end > now);
        if same_scope.clone().any(|o| o.start < end && start < o.end) {
            v.push(FieldError::new(
                "start",
                "overlap",
                "Une autre interruption est déjà annoncée sur cette période : modifiez-la plutôt que d'en annoncer une seconde.",
            ));
        } else if current.is_none() && same_scope.count() >= MAX_PER_SCOPE {
            v.push(FieldError::new(
                "start",
                "too_many",
                format!(
                    "{MAX_PER_SCOPE} interruptions sont déjà annoncées : attendez la fin de l'une d'elles ou annulez-en une."
                ),
            ));
        }
    }
    match (start, end, message) {
        (Some(start), Some(end), Some(message)) if v.is_empty() => Ok(Checked {
            start,
            end,
            message,
        }),
        _ => Err(v),
    }
}

/// The message: required, at most [`MESSAGE_MAX`] characters, and a free text like any
/// other (no NIR, no health data: SPEC §5).
pub fn check_message(value: Option<&str>) -> Result<String, FieldError> {
    let t = value.map(str::trim).unwrap_or("");
    if t.is_empty() {
        return Err(FieldError::new(
            "message",
            "required",
            "Le message est obligatoire : dites aux utilisateurs ce qui sera indisponible.",
        ));
    }
    if t.chars().count() > MESSAGE_MAX {
        return Err(FieldError::new(
            "message",
            "too_long",
            format!("Le message dépasse {MESSAGE_MAX} caractères : raccourcissez-le."),
        ));
    }
    crate::freetext::check_free_text("message", t)?;
    Ok(t.to_owned())
}

/// Whether the window is in force at `now` (start included, end excluded).
pub fn in_force(start: Timestamp, end: Timestamp, now: Timestamp) -> bool {
    start <= now && now < end
}

/// Seconds until `end` (at least 1), for `Retry-After`.
pub fn retry_after(end: Timestamp, now: Timestamp) -> i64 {
    end.duration_since(now).as_secs().max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn run(
        now: &str,
        start: &str,
        end: &str,
        others: &[Slot<'_>],
        current: Option<&Slot<'_>>,
    ) -> Result<Checked, Vec<String>> {
        check(
            t(now),
            Some("c1"),
            current,
            others,
            parse_time("start", "Le début", Some(start)),
            parse_time("end", "La fin", Some(end)),
            check_message(Some("Mise à jour du portail")),
        )
        .map_err(|v| {
            v.0.into_iter()
                .map(|e| format!("{}:{}", e.field, e.code))
                .collect()
        })
    }

    const NOW: &str = "2026-12-07T12:00:00Z";

    #[test]
    fn paris_times_without_offset() {
        // 02:00 in Paris in December is 01:00 UTC.
        assert_eq!(
            parse_time("start", "Le début", Some("2026-12-08T02:00")).unwrap(),
            t("2026-12-08T01:00:00Z")
        );
        let e = parse_time("start", "Le début", Some("demain")).unwrap_err();
        assert_eq!((e.field.as_str(), e.code.as_str()), ("start", "invalid"));
        assert_eq!(
            parse_time("end", "La fin", None).unwrap_err().code,
            "required"
        );
    }

    #[test]
    fn bounds() {
        assert!(
            run(
                NOW,
                "2026-12-07T13:00:00Z",
                "2026-12-07T15:00:00Z",
                &[],
                None
            )
            .is_ok()
        );
        // 59 s ago is accepted, 2 minutes ago is not.
        assert!(
            run(
                NOW,
                "2026-12-07T11:59:01Z",
                "2026-12-07T15:00:00Z",
                &[],
                None
            )
            .is_ok()
        );
        assert_eq!(
            run(
                NOW,
                "2026-12-07T11:58:00Z",
                "2026-12-07T15:00:00Z",
                &[],
                None
            )
            .unwrap_err(),
            ["start:in_past"]
        );
        assert_eq!(
            run(
                NOW,
                "2026-12-07T15:00:00Z",
                "2026-12-07T15:00:00Z",
                &[],
                None
            )
            .unwrap_err(),
            ["end:before_start"]
        );
        assert!(
            run(
                NOW,
                "2026-12-07T13:00:00Z",
                "2026-12-10T13:00:00Z",
                &[],
                None
            )
            .is_ok()
        );
        assert_eq!(
            run(
                NOW,
                "2026-12-07T13:00:00Z",
                "2026-12-10T13:00:01Z",
                &[],
                None
            )
            .unwrap_err(),
            ["end:too_long"]
        );
        assert_eq!(
            run(
                NOW,
                "2028-12-07T13:00:00Z",
                "2028-12-07T15:00:00Z",
                &[],
                None
            )
            .unwrap_err(),
            ["start:too_far"]
        );
    }

    #[test]
    fn overlap_and_count_in_the_same_scope_only() {
        let a = Slot {
            id: "a",
            caisse_id: Some("c1"),
            start: t("2026-12-08T10:00:00Z"),
            end: t("2026-12-08T12:00:00Z"),
        };
        let other_caisse = Slot {
            caisse_id: Some("c2"),
            id: "b",
            ..a.clone()
        };
        assert_eq!(
            run(
                NOW,
                "2026-12-08T11:00:00Z",
                "2026-12-08T13:00:00Z",
                std::slice::from_ref(&a),
                None
            )
            .unwrap_err(),
            ["start:overlap"]
        );
        assert!(
            run(
                NOW,
                "2026-12-08T11:00:00Z",
                "2026-12-08T13:00:00Z",
                &[other_caisse],
                None
            )
            .is_ok()
        );
        // Editing itself is no overlap.
        assert!(
            run(
                NOW,
                "2026-12-08T11:00:00Z",
                "2026-12-08T13:00:00Z",
                std::slice::from_ref(&a),
                Some(&a)
            )
            .is_ok()
        );
        let many: Vec<Slot<'_>> = (0..MAX_PER_SCOPE)
            .map(|i| Slot {
                start: t("2026-12-09T10:00:00Z") + SignedDuration::from_hours(i as i64 * 5),
                end: t("2026-12-09T11:00:00Z") + SignedDuration::from_hours(i as i64 * 5),
                ..a.clone()
            })
            .collect();
        assert_eq!(
            run(
                NOW,
                "2026-12-08T13:00:00Z",
                "2026-12-08T14:00:00Z",
                &many,
                None
            )
            .unwrap_err(),
            ["start:too_many"]
        );
    }

    #[test]
    fn a_started_window_keeps_its_start() {
        let a = Slot {
            id: "a",
            caisse_id: Some("c1"),
            start: t("2026-12-07T11:00:00Z"),
            end: t("2026-12-07T13:00:00Z"),
        };
        assert!(
            run(
                NOW,
                "2026-12-07T11:00:00Z",
                "2026-12-07T14:00:00Z",
                &[],
                Some(&a)
            )
            .is_ok()
        );
        assert_eq!(
            run(
                NOW,
                "2026-12-07T12:30:00Z",
                "2026-12-07T14:00:00Z",
                &[],
                Some(&a)
            )
            .unwrap_err(),
            ["start:started"]
        );
    }

    #[test]
    fn message_is_free_text() {
        assert_eq!(check_message(Some("  ")).unwrap_err().code, "required");
        assert_eq!(
            check_message(Some(&"a".repeat(501))).unwrap_err().code,
            "too_long"
        );
        assert!(check_message(Some("Portail indisponible pour mise à jour.")).is_ok());
        let nir = check_message(Some("Rappeler 1 85 05 78 006 084 91")).unwrap_err();
        assert_eq!(nir.field, "message");
        assert!(in_force(t(NOW), t("2026-12-07T13:00:00Z"), t(NOW)));
        assert!(!in_force(
            t(NOW),
            t("2026-12-07T13:00:00Z"),
            t("2026-12-07T13:00:00Z")
        ));
        assert_eq!(retry_after(t("2026-12-07T13:00:00Z"), t(NOW)), 3600);
    }
}
