//! The emails of the portal (French, text + HTML). They name the account holder and
//! link to the portal; they never carry an assuré's identity, free text or documents.

use crate::mail::EmailContent;
use crate::users::User;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html_page(paragraphs: &[String], link: Option<(&str, &str)>) -> String {
    let mut body = String::new();
    for p in paragraphs {
        body.push_str(&format!("<p>{}</p>\n", escape(p)));
    }
    if let Some((label, href)) = link {
        body.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>\n",
            escape(href),
            escape(label)
        ));
    }
    format!(
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Espace Partenaires</title></head>\
<body>{body}<p>— Espace Partenaires</p></body></html>"
    )
}

fn text_page(paragraphs: &[String]) -> String {
    let mut t = paragraphs.join("\n\n");
    t.push_str("\n\n— Espace Partenaires\n");
    t
}

/// Account created: identifiant, and the single-use link to create the password.
pub fn account_created<'a>(
    from: &'a str,
    user: &'a User,
    link: &str,
    ttl_hours: i64,
) -> EmailContent<'a> {
    let paras = vec![
        format!("Bonjour {},", user.display_name()),
        format!(
            "Un compte « {} » a été créé pour vous sur l'Espace Partenaires ({}).",
            user.role.label(),
            user.org_name
        ),
        format!("Votre identifiant : {}", user.identifiant),
        format!(
            "Pour activer votre compte, créez votre mot de passe personnel avec ce lien, utilisable une seule fois pendant {ttl_hours} heures :"
        ),
        link.to_owned(),
        "Personne d'autre que vous ne connaîtra ce mot de passe. Si vous n'attendiez pas ce message, ignorez-le : le compte restera inactif.".into(),
    ];
    let html_paras: Vec<String> = paras
        .iter()
        .filter(|p| p.as_str() != link)
        .cloned()
        .collect();
    EmailContent {
        from,
        to: &user.email,
        subject: "Votre compte Espace Partenaires a été créé",
        text: text_page(&paras),
        html: html_page(&html_paras, Some(("Créer mon mot de passe", link))),
    }
}

/// Password reset link.
pub fn password_reset<'a>(
    from: &'a str,
    user: &'a User,
    link: &str,
    ttl_hours: i64,
) -> EmailContent<'a> {
    let paras = vec![
        format!("Bonjour {},", user.display_name()),
        format!(
            "Une demande de nouveau mot de passe a été faite pour votre identifiant {} sur l'Espace Partenaires.",
            user.identifiant
        ),
        format!("Pour choisir un nouveau mot de passe, suivez ce lien, utilisable une seule fois pendant {ttl_hours} heures :"),
        link.to_owned(),
        "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe actuel reste valable.".into(),
    ];
    let html_paras: Vec<String> = paras
        .iter()
        .filter(|p| p.as_str() != link)
        .cloned()
        .collect();
    EmailContent {
        from,
        to: &user.email,
        subject: "Espace Partenaires : choisir un nouveau mot de passe",
        text: text_page(&paras),
        html: html_page(&html_paras, Some(("Choisir un nouveau mot de passe", link))),
    }
}

/// A short notification: paragraphs, then an optional link to the portal.
pub fn simple<'a>(
    from: &'a str,
    to: &'a str,
    subject: &'a str,
    paragraphs: Vec<String>,
    link: Option<(&str, &str)>,
) -> EmailContent<'a> {
    let mut text_paras = paragraphs.clone();
    if let Some((label, href)) = link {
        text_paras.push(format!("{label} : {href}"));
    }
    EmailContent {
        from,
        to,
        subject,
        text: text_page(&text_paras),
        html: html_page(&paragraphs, link),
    }
}
