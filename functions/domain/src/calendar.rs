//! French working-day calendar (SPEC §3 « Creation »: 5 working days, convention
//! §2.2.1 « délai de 5 jours ouvrés maximum »).
//!
//! Working day = Monday–Friday that is not a French public holiday. Mainland
//! holidays: 1 January, Easter Monday, 1 May, 8 May, Ascension (Easter + 39),
//! Whit Monday (Easter + 50), 14 July, 15 August, 1 November, 11 November,
//! 25 December. With [`CalendarOptions::alsace_moselle`]: Good Friday and
//! 26 December too. Easter uses the Meeus/Jones/Butcher Gregorian algorithm
//! (years 1583–9999; outside them only the fixed-date holidays apply).

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

/// Calendar variants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarOptions {
    /// Adds the Alsace-Moselle holidays (Good Friday, 26 December) — for caisses of
    /// départements 57, 67, 68.
    pub alsace_moselle: bool,
}

impl CalendarOptions {
    /// Mainland calendar.
    pub const MAINLAND: CalendarOptions = CalendarOptions {
        alsace_moselle: false,
    };
    /// Alsace-Moselle calendar.
    pub const ALSACE_MOSELLE: CalendarOptions = CalendarOptions {
        alsace_moselle: true,
    };
}

/// A French public holiday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Holiday {
    /// 1 January.
    JourDeLAn,
    /// Good Friday (Alsace-Moselle only).
    VendrediSaint,
    /// Easter Monday.
    LundiDePaques,
    /// 1 May.
    FeteDuTravail,
    /// 8 May.
    Victoire1945,
    /// Easter + 39 days.
    Ascension,
    /// Easter + 50 days.
    LundiDePentecote,
    /// 14 July.
    FeteNationale,
    /// 15 August.
    Assomption,
    /// 1 November.
    Toussaint,
    /// 11 November.
    Armistice,
    /// 25 December.
    Noel,
    /// 26 December (Alsace-Moselle only).
    SaintEtienne,
}

impl Holiday {
    /// French name.
    pub fn label(self) -> &'static str {
        match self {
            Holiday::JourDeLAn => "Jour de l'an",
            Holiday::VendrediSaint => "Vendredi saint",
            Holiday::LundiDePaques => "Lundi de Pâques",
            Holiday::FeteDuTravail => "Fête du Travail",
            Holiday::Victoire1945 => "Victoire 1945",
            Holiday::Ascension => "Ascension",
            Holiday::LundiDePentecote => "Lundi de Pentecôte",
            Holiday::FeteNationale => "Fête nationale",
            Holiday::Assomption => "Assomption",
            Holiday::Toussaint => "Toussaint",
            Holiday::Armistice => "Armistice 1918",
            Holiday::Noel => "Noël",
            Holiday::SaintEtienne => "Saint-Étienne",
        }
    }
}

/// Easter Sunday of a Gregorian year (Meeus/Jones/Butcher); `None` outside 1583–9999.
pub fn easter_sunday(year: i16) -> Option<Date> {
    if !(1583..=9999).contains(&year) {
        return None;
    }
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

/// The public holidays of `year`, sorted by date (a day holding two holidays,
/// e.g. Ascension on 1 May, appears twice).
pub fn public_holidays(year: i16, options: CalendarOptions) -> Vec<(Date, Holiday)> {
    let mut v = Vec::with_capacity(13);
    let mut fixed = |m: i8, d: i8, h: Holiday| {
        if let Ok(date) = Date::new(year, m, d) {
            v.push((date, h));
        }
    };
    fixed(1, 1, Holiday::JourDeLAn);
    fixed(5, 1, Holiday::FeteDuTravail);
    fixed(5, 8, Holiday::Victoire1945);
    fixed(7, 14, Holiday::FeteNationale);
    fixed(8, 15, Holiday::Assomption);
    fixed(11, 1, Holiday::Toussaint);
    fixed(11, 11, Holiday::Armistice);
    fixed(12, 25, Holiday::Noel);
    if options.alsace_moselle {
        fixed(12, 26, Holiday::SaintEtienne);
    }
    if let Some(easter) = easter_sunday(year) {
        let mut movable = |days: i64, h: Holiday| {
            if let Ok(d) = easter.checked_add(days.days()) {
                v.push((d, h));
            }
        };
        if options.alsace_moselle {
            movable(-2, Holiday::VendrediSaint);
        }
        movable(1, Holiday::LundiDePaques);
        movable(39, Holiday::Ascension);
        movable(50, Holiday::LundiDePentecote);
    }
    v.sort_by_key(|(d, _)| *d);
    v
}

/// The holiday falling on `date`, if any.
pub fn holiday(date: Date, options: CalendarOptions) -> Option<Holiday> {
    let fixed = match (date.month(), date.day()) {
        (1, 1) => Some(Holiday::JourDeLAn),
        (5, 1) => Some(Holiday::FeteDuTravail),
        (5, 8) => Some(Holiday::Victoire1945),
        (7, 14) => Some(Holiday::FeteNationale),
        (8, 15) => Some(Holiday::Assomption),
        (11, 1) => Some(Holiday::Toussaint),
        (11, 11) => Some(Holiday::Armistice),
        (12, 25) => Some(Holiday::Noel),
        (12, 26) if options.alsace_moselle => Some(Holiday::SaintEtienne),
        _ => None,
    };
    if fixed.is_some() {
        return fixed;
    }
    if !(3..=6).contains(&date.month()) {
        return None;
    }
    let easter = easter_sunday(date.year())?;
    let offset = easter.until(date).ok()?.get_days();
    match offset {
        -2 if options.alsace_moselle => Some(Holiday::VendrediSaint),
        1 => Some(Holiday::LundiDePaques),
        39 => Some(Holiday::Ascension),
        50 => Some(Holiday::LundiDePentecote),
        _ => None,
    }
}

/// Monday–Friday and not a public holiday.
pub fn is_working_day(date: Date, options: CalendarOptions) -> bool {
    !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
        && holiday(date, options).is_none()
}

/// The date `n` working days after `date` (the start date itself never counts:
/// from Friday, 1 working day later is Monday). `n = 0` returns `date` unchanged.
/// Saturates at the last representable date.
pub fn add_working_days(date: Date, n: u32, options: CalendarOptions) -> Date {
    let mut d = date;
    let mut left = n;
    while left > 0 {
        d = match d.tomorrow() {
            Ok(t) => t,
            Err(_) => return Date::MAX,
        };
        if is_working_day(d, options) {
            left -= 1;
        }
    }
    d
}

/// Number of working days after `from` up to and including `to` (0 if `to <= from`).
pub fn working_days_between(from: Date, to: Date, options: CalendarOptions) -> u32 {
    let mut count = 0u32;
    let mut d = from;
    while d < to {
        d = match d.tomorrow() {
            Ok(t) => t,
            Err(_) => break,
        };
        if is_working_day(d, options) {
            count = count.saturating_add(1);
        }
    }
    count
}

/// The time zone of the portal: Europe/Paris, compiled in from jiff's tzdb at build
/// time (only this zone: the binaries carry no time zone database and read none).
pub fn paris() -> TimeZone {
    const PARIS: TimeZone = jiff::tz::get!("Europe/Paris");
    PARIS
}

/// The civil date of `ts` in Europe/Paris.
pub fn paris_date(ts: Timestamp) -> Date {
    ts.to_zoned_datetime(paris()).date()
}

/// Processing delay of a habilitation request, in working days (§2.2.1).
pub const HABILITATION_DELAY_WORKING_DAYS: u32 = 5;

/// Due date of a habilitation request received at `received` (§2.2.1: « dans un
/// délai de 5 jours ouvrés maximum »), mainland calendar.
///
/// **Decision**: the day of receipt (its Europe/Paris date) never counts, whatever
/// the hour (« le jour de l'événement ne compte pas »); the delay is the next
/// 5 working days and the request is due by the end of the 5th. So there is no
/// "after hours" cut-off: a request received Monday 08:00 or Monday 23:59 is due
/// the following Monday; one received on Saturday or Sunday (or a holiday) is
/// counted from the next working day, so it is due the same day as one received
/// on the previous Friday — never earlier than 5 full working days.
pub fn habilitation_due(received: Timestamp) -> Date {
    habilitation_due_with(received, CalendarOptions::MAINLAND)
}

/// [`habilitation_due`] with calendar options (e.g. Alsace-Moselle caisses).
pub fn habilitation_due_with(received: Timestamp, options: CalendarOptions) -> Date {
    add_working_days(
        paris_date(received),
        HABILITATION_DELAY_WORKING_DAYS,
        options,
    )
}

/// A request due on `due` is overdue on `today` once `today` is after `due`.
pub fn is_overdue(due: Date, today: Date) -> bool {
    today > due
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    const M: CalendarOptions = CalendarOptions::MAINLAND;

    #[test]
    fn spec_3_easter_known_years() {
        assert_eq!(easter_sunday(2024), Some(date(2024, 3, 31)));
        assert_eq!(easter_sunday(2025), Some(date(2025, 4, 20)));
        assert_eq!(easter_sunday(2026), Some(date(2026, 4, 5)));
        assert_eq!(easter_sunday(2027), Some(date(2027, 3, 28)));
        assert_eq!(easter_sunday(2000), Some(date(2000, 4, 23)));
        assert_eq!(easter_sunday(1961), Some(date(1961, 4, 2)));
        assert_eq!(easter_sunday(2285), Some(date(2285, 3, 22))); // earliest possible
        assert_eq!(easter_sunday(2038), Some(date(2038, 4, 25))); // latest possible
        assert_eq!(easter_sunday(1500), None);
    }

    #[test]
    fn spec_3_holidays_2026() {
        let h = public_holidays(2026, M);
        let dates: Vec<_> = h.iter().map(|(d, _)| d.to_string()).collect();
        assert_eq!(
            dates,
            [
                "2026-01-01",
                "2026-04-06",
                "2026-05-01",
                "2026-05-08",
                "2026-05-14",
                "2026-05-25",
                "2026-07-14",
                "2026-08-15",
                "2026-11-01",
                "2026-11-11",
                "2026-12-25"
            ]
        );
        assert_eq!(holiday(date(2026, 5, 14), M), Some(Holiday::Ascension));
        assert_eq!(
            holiday(date(2026, 5, 25), M),
            Some(Holiday::LundiDePentecote)
        );
        assert_eq!(holiday(date(2026, 4, 6), M), Some(Holiday::LundiDePaques));
        assert_eq!(holiday(date(2026, 4, 3), M), None);
        assert_eq!(Holiday::LundiDePentecote.label(), "Lundi de Pentecôte");
    }

    #[test]
    fn spec_3_alsace_moselle_option() {
        let a = CalendarOptions::ALSACE_MOSELLE;
        assert_eq!(holiday(date(2026, 4, 3), a), Some(Holiday::VendrediSaint));
        assert_eq!(holiday(date(2026, 12, 26), a), Some(Holiday::SaintEtienne));
        assert!(is_working_day(date(2026, 4, 3), M));
        assert!(!is_working_day(date(2026, 4, 3), a));
        assert_eq!(public_holidays(2026, a).len(), 13);
    }

    #[test]
    fn spec_3_add_working_days() {
        // Friday 2026-05-08 is a holiday; Thursday 2026-05-07 + 1 → Monday 11.
        assert_eq!(add_working_days(date(2026, 5, 7), 1, M), date(2026, 5, 11));
        assert_eq!(add_working_days(date(2026, 5, 7), 0, M), date(2026, 5, 7));
        // Around Ascension (Thu 14) : Tue 12 + 3 → Mon 18.
        assert_eq!(add_working_days(date(2026, 5, 12), 3, M), date(2026, 5, 18));
        assert_eq!(
            working_days_between(date(2026, 5, 12), date(2026, 5, 18), M),
            3
        );
        assert_eq!(add_working_days(Date::MAX, 1, M), Date::MAX);
    }

    fn paris_ts(s: &str) -> Timestamp {
        jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M", s)
            .unwrap()
            .to_zoned_datetime(paris())
            .unwrap()
            .timestamp()
    }

    #[test]
    fn spec_3_convention_2_2_1_habilitation_due_5_working_days() {
        // Monday 2026-03-02 any hour → Monday 2026-03-09.
        assert_eq!(
            habilitation_due(paris_ts("2026-03-02 08:00")),
            date(2026, 3, 9)
        );
        assert_eq!(
            habilitation_due(paris_ts("2026-03-02 23:59")),
            date(2026, 3, 9)
        );
        // Friday, Saturday and Sunday receipts are all due the following Friday.
        assert_eq!(
            habilitation_due(paris_ts("2026-03-06 17:30")),
            date(2026, 3, 13)
        );
        assert_eq!(
            habilitation_due(paris_ts("2026-03-07 10:00")),
            date(2026, 3, 13)
        );
        assert_eq!(
            habilitation_due(paris_ts("2026-03-08 10:00")),
            date(2026, 3, 13)
        );
        // Week with Ascension 2026-05-14: Mon 11 → Tue 12,Wed 13,Fri 15,Mon 18,Tue 19.
        assert_eq!(
            habilitation_due(paris_ts("2026-05-11 09:00")),
            date(2026, 5, 19)
        );
        // 23:30 UTC on Sunday is already Monday 01:30 in Paris (summer time).
        let ts: Timestamp = "2026-05-10T23:30:00Z".parse().unwrap();
        assert_eq!(paris_date(ts), date(2026, 5, 11));
        assert_eq!(habilitation_due(ts), date(2026, 5, 19));
        // Alsace-Moselle: Good Friday 2026-04-03 is off. Wed 1 April → Thu 2, Tue 7 (Mon 6 is Easter Monday)...
        assert_eq!(
            habilitation_due_with(
                paris_ts("2026-04-01 12:00"),
                CalendarOptions::ALSACE_MOSELLE
            ),
            date(2026, 4, 10)
        );
        assert_eq!(
            habilitation_due(paris_ts("2026-04-01 12:00")),
            date(2026, 4, 9)
        );
        assert!(is_overdue(date(2026, 3, 9), date(2026, 3, 10)));
        assert!(!is_overdue(date(2026, 3, 9), date(2026, 3, 9)));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// SPEC §3: Easter is a Sunday between 22 March and 25 April, 1900–2200.
        #[test]
        fn spec_3_easter_is_sunday_in_march_april(year in 1900i16..=2200) {
            let e = easter_sunday(year).unwrap();
            prop_assert_eq!(e.weekday(), Weekday::Sunday);
            prop_assert!(e >= date(year, 3, 22) && e <= date(year, 4, 25));
        }

        /// SPEC §3: every holiday is excluded from working days and detected by `holiday`.
        #[test]
        fn spec_3_holidays_never_working_days(year in 1900i16..=2200, alsace in any::<bool>()) {
            let o = CalendarOptions { alsace_moselle: alsace };
            let hs = public_holidays(year, o);
            prop_assert_eq!(hs.len(), if alsace { 13 } else { 11 });
            for (d, h) in hs {
                prop_assert!(!is_working_day(d, o));
                // two holidays may share a day (Ascension on 1 or 8 May): `holiday` names one
                let found = holiday(d, o);
                prop_assert!(found == Some(h) || public_holidays(year, o).iter().filter(|(x, _)| *x == d).count() == 2);
            }
        }

        /// SPEC §3: add_working_days lands on a working day, strictly later, counting exactly n.
        #[test]
        fn spec_3_add_working_days_props(days in 0i64..(300 * 366), n in 1u32..30) {
            let start = date(1900, 1, 1).checked_add(days.days()).unwrap();
            let end = add_working_days(start, n, M);
            prop_assert!(end > start);
            prop_assert!(is_working_day(end, M));
            prop_assert_eq!(working_days_between(start, end, M), n);
            prop_assert!(start.until(end).unwrap().get_days() <= i32::try_from(n).unwrap() * 2 + 6);
        }
    }
}
