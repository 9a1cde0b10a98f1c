//! Development pages, on a loopback portal only: the outbox of emails, the clock moved
//! forward, one maintenance run on demand.

use ep_common::embedded::{self};
use ep_common::http::Problem;
use hyper::body::Incoming;
use std::net::SocketAddr;

use super::*;

/// True for `localhost`, an address of 127.0.0.0/8 or `::1` (brackets allowed).
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.eq_ignore_ascii_case("localhost.")
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Development pages are enabled only when the public URL's host (parsed: not a
/// prefix match, so `http://localhost.example.org` or `http://localhost@host` do not
/// pass) AND the listen address are loopback, whatever the scheme
/// (`https://127.0.0.1:8443` passes).
pub fn dev_pages_allowed(public_url: &str, listen: &str) -> bool {
    let url_host_ok = public_url
        .parse::<http::Uri>()
        .ok()
        .filter(|u| matches!(u.scheme_str(), Some("http" | "https")))
        .and_then(|u| u.authority().cloned())
        .is_some_and(|a| !a.as_str().contains('@') && is_loopback_host(a.host()));
    let listen_ok = match listen.parse::<SocketAddr>() {
        Ok(addr) => addr.ip().is_loopback(),
        Err(_) => listen
            .rsplit_once(':')
            .is_some_and(|(host, port)| port.parse::<u16>().is_ok() && is_loopback_host(host)),
    };
    url_host_ok && listen_ok
}

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Makes the http(s) URLs of a text clickable (the text is escaped first).
pub(crate) fn linkify(text: &str) -> String {
    let mut out = String::new();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let words: Vec<String> = line
            .split(' ')
            .map(|w| {
                if w.starts_with("http://") || w.starts_with("https://") {
                    let e = escape(w);
                    format!("<a href=\"{e}\">{e}</a>")
                } else {
                    escape(w)
                }
            })
            .collect();
        out.push_str(&words.join(" "));
    }
    out
}

/// The site's footer (the legal pages are linked from every page).
const FOOTER: &str = "<footer class=\"pied\" role=\"contentinfo\"><div class=\"barre\">\
<span>Espace Partenaires – logiciel libre</span><nav aria-label=\"Informations\"><ul>\
<li><a href=\"/accueil\">Accueil</a></li><li><a href=\"/aide\">Aide et contacts</a></li>\
<li><a href=\"/cgu\">Conditions générales d'utilisation</a></li>\
<li><a href=\"/accessibilite\">Accessibilité : non conforme</a></li>\
<li><a href=\"/donnees-personnelles\">Données personnelles</a></li>\
<li><a href=\"/mentions-legales\">Mentions légales</a></li></ul></nav></div></footer>";

/// An email's `Date` header (RFC 2822) as a French reader expects it, in Paris time:
/// « 7 décembre 2026 à 21:05 »; the header as it is when it does not parse.
pub(crate) fn french_date_time(header: &str) -> String {
    const MONTHS: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    match jiff::fmt::rfc2822::parse(header.trim()) {
        Ok(z) => {
            let z = z.with_time_zone(ep_domain::calendar::paris());
            format!(
                "{} {} {} à {:02}:{:02}",
                z.day(),
                MONTHS[usize::from(z.month().unsigned_abs()) - 1],
                z.year(),
                z.hour(),
                z.minute()
            )
        }
        Err(_) => header.to_owned(),
    }
}

/// Development-only page: the emails the embedded mailer wrote, newest first.
pub(crate) fn outbox_page(st: &State) -> HyperResponse {
    use ep_common::mail::{decode_header, header_of, text_part};
    let entries = match embedded::list_outbox(&st.outbox_dir) {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(error = %e, "outbox unreadable");
            Vec::new()
        }
    };
    let mut items = String::new();
    for e in entries.iter().rev() {
        let subject = header_of(&e.raw, "Subject")
            .map(|s| decode_header(&s))
            .unwrap_or_default();
        let to = header_of(&e.raw, "To")
            .map(|s| decode_header(&s))
            .unwrap_or_default();
        let date = header_of(&e.raw, "Date")
            .map(|d| french_date_time(&d))
            .unwrap_or_default();
        let body = text_part(&e.raw).unwrap_or_else(|| "(message illisible)".into());
        items.push_str(&format!(
            "<li class=\"carte\"><h2>{}</h2><p class=\"meta\">À : {} — {}</p><pre>{}</pre><p class=\"meta\">Fichier : {}</p></li>\n",
            escape(&subject),
            escape(&to),
            escape(&date),
            linkify(&body),
            escape(&e.file)
        ));
    }
    if items.is_empty() {
        items.push_str("<li>Aucun courriel pour l'instant.</li>");
    }
    let html = format!(
        "<!doctype html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Courriels envoyés (développement) – Espace Partenaires</title>\
<link rel=\"icon\" href=\"/assets/favicon.svg\" type=\"image/svg+xml\">\
<link rel=\"stylesheet\" href=\"/assets/style.css\"></head><body>\
<a class=\"lien-evitement\" href=\"#contenu\">Aller au contenu</a>\
<header class=\"entete\" role=\"banner\"><div class=\"barre\">\
<a class=\"marque\" href=\"/accueil\">Espace Partenaires <span>· extranet des partenaires</span></a>\
</div></header>\
<main id=\"contenu\" class=\"page\" role=\"main\" tabindex=\"-1\">\
<p><a href=\"/accueil\">← Retour au portail</a></p>\
<h1>Courriels envoyés (développement)</h1>\
<p>Cette page n'existe que sur un poste de développement : elle montre les courriels que le portail a écrits dans <code>{}</code>, du plus récent au plus ancien.</p>\
<ul class=\"courriels\">{}</ul></main>{}</body></html>",
        escape(&st.outbox_dir.display().to_string()),
        items,
        FOOTER
    );
    plain(200, "text/html; charset=utf-8", html)
}

/// Development only: the outbox as JSON (`[{file, to, subject, text}]`, oldest first),
/// for browser tests that follow emailed links.
pub(crate) fn outbox_json(st: &State) -> HyperResponse {
    use ep_common::mail::{decode_header, header_of, text_part};
    let entries = embedded::list_outbox(&st.outbox_dir).unwrap_or_default();
    let list: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| {
            serde_json::json!({
                "file": e.file,
                "to": header_of(&e.raw, "To").map(|s| decode_header(&s)),
                "subject": header_of(&e.raw, "Subject").map(|s| decode_header(&s)),
                "text": text_part(&e.raw),
            })
        })
        .collect();
    plain(
        200,
        "application/json",
        serde_json::to_string(&list).unwrap_or_default(),
    )
}

/// A development write must come from the portal's own pages, like every API write
/// (`check_origin`): 403 otherwise.
pub(crate) fn dev_origin_refused(
    st: &State,
    req: &hyper::Request<Incoming>,
) -> Option<HyperResponse> {
    let origin = req
        .headers()
        .get(http::header::ORIGIN)
        .and_then(|v| v.to_str().ok());
    let ok = origin.is_some_and(|o| o.trim_end_matches('/') == st.ctx.config.public_url);
    (!ok).then(|| {
        to_hyper(
            Problem::new(
                403,
                "origin",
                "Origine refusée",
                "Cette action de développement doit être faite depuis les pages du portail (en-tête Origin du portail).",
            )
            .into_response(),
        )
    })
}

/// Development only: runs the scheduled maintenance function once, now, and answers
/// its report (counts only) as JSON.
pub(crate) async fn dev_maintenance(st: &State, req: hyper::Request<Incoming>) -> HyperResponse {
    if let Some(refused) = dev_origin_refused(st, &req) {
        return refused;
    }
    match ep_maintenance::run(&st.ctx).await {
        Ok(report) => plain(
            200,
            "application/json",
            serde_json::to_string(&report).unwrap_or_default(),
        ),
        Err(e) => {
            tracing::error!(error = %e, "maintenance run failed");
            to_hyper(Problem::unavailable().into_response())
        }
    }
}

/// Development only (`EP_DEV_CLOCK=1`): `GET` the portal's time, `POST
/// {"advance_days": N}` (or `advance_minutes`) to move it forward (portal Origin).
pub(crate) async fn dev_clock(st: &State, req: hyper::Request<Incoming>) -> HyperResponse {
    let Some(clock) = &st.dev_clock else {
        return to_hyper(Problem::not_found().into_response());
    };
    if req.method() == hyper::Method::POST {
        if let Some(refused) = dev_origin_refused(st, &req) {
            return refused;
        }
        let bytes = read_body(req.into_body(), 4096).await.unwrap_or_default();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        let days = v["advance_days"].as_i64().unwrap_or(0).clamp(0, 3650);
        let minutes = v["advance_minutes"].as_i64().unwrap_or(0).clamp(0, 525_600);
        clock.advance(
            jiff::SignedDuration::from_hours(24 * days) + jiff::SignedDuration::from_mins(minutes),
        );
    }
    let body = serde_json::json!({ "now": st.ctx.now() });
    plain(200, "application/json", body.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn outbox_dates_read_in_french_in_paris_time() {
        assert_eq!(
            super::french_date_time("Mon, 7 Dec 2026 20:05:00 +0000"),
            "7 décembre 2026 à 21:05"
        );
        assert_eq!(
            super::french_date_time("Wed, 1 Jul 2026 22:30:00 +0000"),
            "2 juillet 2026 à 00:30"
        );
        assert_eq!(super::french_date_time("pas une date"), "pas une date");
    }
}
