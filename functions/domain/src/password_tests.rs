//! Unit tests of `password`.
use super::*;

const NONE: PasswordContext<'static> = PasswordContext {
    identifiant: "",
    email: "",
    names: &[],
};

#[test]
fn spec_3_cnil_2022_accepted_forms() {
    assert_eq!(check_password("Abcdefgh1!xy", &NONE), Ok(())); // 12, 4 classes
    assert_eq!(check_password("Abcdefghijk1mn", &NONE), Ok(())); // 14, 3 classes
    assert_eq!(
        check_password("le chat dort sur le vieux tapis", &NONE),
        Ok(())
    ); // 7 words
}

#[test]
fn spec_3_cnil_2022_each_unmet_rule() {
    assert_eq!(
        check_password("abc", &NONE),
        Err(vec![
            PasswordRule::TooShort { min: 12 },
            PasswordRule::MissingUppercase,
            PasswordRule::MissingDigit,
            PasswordRule::MissingSpecial
        ])
    );
    // 13 chars, 3 classes: missing special (or 14 chars) — closest is either, 4-class form reported.
    assert_eq!(
        check_password("Abcdefghijk1m", &NONE),
        Err(vec![PasswordRule::MissingSpecial])
    );
    assert_eq!(
        check_password("Abcdefgh!!xy", &NONE),
        Err(vec![PasswordRule::MissingDigit])
    );
    assert_eq!(
        check_password("abcdefghijklmnop1", &NONE),
        Err(vec![PasswordRule::MissingUppercase])
    );
    assert_eq!(
        check_password("un deux trois quatre", &NONE),
        Err(vec![PasswordRule::TooFewWords { min: 7 }])
    );
    assert_eq!(
        check_password(&"Aa1!".repeat(65), &NONE),
        Err(vec![PasswordRule::TooLong { max: 256 }])
    );
    assert!(
        PasswordRule::MissingSpecial
            .message()
            .contains("14 caractères")
    );
    assert_eq!(PasswordRule::ContainsName.code(), "password.contains_name");
}

#[test]
fn spec_3_no_email_or_names() {
    let ctx = PasswordContext {
        identifiant: "",
        email: "Jeanne.Dupré@ccas-exemple.fr",
        names: &["Dupré", "Jo", "Marie-Hélène"],
    };
    assert_eq!(
        check_password("Xx1!jeanne-2026", &ctx),
        Err(vec![PasswordRule::ContainsEmail])
    );
    assert_eq!(
        check_password("Zz9!DUPRE-2026", &ctx),
        Err(vec![
            PasswordRule::ContainsEmail,
            PasswordRule::ContainsName
        ])
    );
    assert_eq!(
        check_password("Zz9!helene-2026", &ctx),
        Err(vec![PasswordRule::ContainsName])
    );
    // names under 3 characters are ignored
    assert_eq!(check_password("Jo9!Kestrel-Zed", &ctx), Ok(()));
}

/// SPEC §3: the identifiant, in any case, is refused like the name and email.
#[test]
fn spec_3_no_identifiant() {
    let ctx = PasswordContext {
        identifiant: "jd123456",
        email: "",
        names: &[],
    };
    assert_eq!(
        check_password("Xx!JD123456-Kestrel", &ctx),
        Err(vec![PasswordRule::ContainsIdentifiant])
    );
    assert_eq!(check_password("Xx!jd12345-Kestrel", &ctx), Ok(()));
    assert_eq!(
        PasswordRule::ContainsIdentifiant.code(),
        "password.contains_identifiant"
    );
}

/// SPEC §3: common and breached passwords are refused, even with digits or
/// symbols added around them, in any case, with or without spaces.
#[test]
fn spec_3_blocklist_of_common_passwords() {
    assert!(blocklist_len() > 7000, "{}", blocklist_len());
    for pw in [
        "Motdepasse123!",
        "MotDePasse2026!!",
        "Mot de passe 123!",
        "Azertyuiop123!",
        "!!2024Azerty!!",
        "Password1234!",
        "P@ssword1234",
        "P4ssw0rd!2026",
        "Mot2P@sse2026!",
        "Soleil2026!!?",
        "Bonjour123456!",
        "Qwertyuiop12!",
        "Iloveyou2026!",
        "Marseille13013!",
        "Dragon!!!!!!12",
    ] {
        let unmet = check_password(pw, &NONE).expect_err(pw);
        assert!(unmet.contains(&PasswordRule::Common), "{pw}: {unmet:?}");
    }
    for pw in [
        "Tournesol-Brillant-42",
        "Abcdefgh1!xy",
        "le chat dort sur le vieux tapis",
        "Marseille-Lyon-2026",
    ] {
        assert_eq!(check_password(pw, &NONE), Ok(()), "{pw}");
    }
    assert_eq!(blocklist_key("Motdepasse123!"), "motdepasse");
    assert_eq!(blocklist_key("  Mot dé passe ! "), "motdepasse");
    assert!(PasswordRule::Common.message().contains("courants"));
}

/// The page's copy of the blocklist is the same list (it cannot drift).
#[test]
fn the_site_ships_the_same_blocklist() {
    let site: &str = include_str!("../../../site/assets/mots-de-passe-courants.json");
    let site: Vec<&str> = site
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(',')
        .map(|s| s.trim_matches('"'))
        .collect();
    let mut server: Vec<&str> = blocklist().iter().copied().collect();
    let mut client = site.clone();
    server.sort_unstable();
    client.sort_unstable();
    assert_eq!(client, server);
}

#[test]
fn spec_3_expiry_and_reminder_180_15_days() {
    let cfg = PasswordConfig::default();
    assert_eq!(
        (cfg.expiry_days, cfg.reminder_days_before, cfg.history),
        (180, 15, 5)
    );
    let changed: Timestamp = "2026-01-01T10:00:00Z".parse().unwrap();
    assert_eq!(
        password_expires_at(changed, &cfg).to_string(),
        "2026-06-30T10:00:00Z"
    );
    assert_eq!(
        password_reminder_at(changed, &cfg).to_string(),
        "2026-06-15T10:00:00Z"
    );
    let before: Timestamp = "2026-06-15T09:59:59Z".parse().unwrap();
    let at: Timestamp = "2026-06-15T10:00:00Z".parse().unwrap();
    let exp: Timestamp = "2026-06-30T10:00:00Z".parse().unwrap();
    assert!(!is_reminder_due(changed, before, &cfg));
    assert!(is_reminder_due(changed, at, &cfg));
    assert!(!is_password_expired(changed, at, &cfg));
    assert!(is_password_expired(changed, exp, &cfg));
    assert!(!is_reminder_due(changed, exp, &cfg));
    assert_eq!(password_age_days(changed, exp), 180);
    assert_eq!(password_age_days(exp, changed), 0);
    assert!(policy_description().contains("12 caractères"));
}
