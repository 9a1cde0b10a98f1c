//! Matches a request path against the template's routes as API Gateway HTTP APIs
//! do: literal segments beat `{param}`, which beats a greedy `{proxy+}`.

use std::collections::HashMap;

use crate::template::Route;

/// A matched route: its key and path parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matched {
    pub route_key: String,
    pub function: usize,
    pub params: HashMap<String, String>,
}

/// Result of routing one request.
#[derive(Debug, PartialEq, Eq)]
pub enum RouteResult {
    Found(Matched),
    /// The path exists but not with this method.
    MethodNotAllowed,
    NotFound,
}

pub struct Router {
    routes: Vec<(usize, Route, Vec<Segment>)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
    Greedy(String),
}

fn parse(path: &str) -> Vec<Segment> {
    path.trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            if let Some(name) = s.strip_prefix('{').and_then(|s| s.strip_suffix("+}")) {
                Segment::Greedy(name.to_owned())
            } else if let Some(name) = s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Segment::Param(name.to_owned())
            } else {
                Segment::Literal(s.to_owned())
            }
        })
        .collect()
}

/// Decodes `%XX` escapes (path parameters reach handlers decoded).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Router {
    /// `routes`: (function index, route) pairs.
    pub fn new(routes: Vec<(usize, Route)>) -> Self {
        Router {
            routes: routes
                .into_iter()
                .map(|(f, r)| {
                    let segs = parse(&r.path);
                    (f, r, segs)
                })
                .collect(),
        }
    }

    fn match_path(
        segs: &[Segment],
        parts: &[&str],
    ) -> Option<(HashMap<String, String>, (usize, usize))> {
        let mut params = HashMap::new();
        let mut literals = 0;
        let mut greedy = 0;
        for (i, seg) in segs.iter().enumerate() {
            match seg {
                Segment::Greedy(name) => {
                    if i >= parts.len() {
                        return None;
                    }
                    let rest: Vec<String> = parts[i..].iter().map(|p| percent_decode(p)).collect();
                    params.insert(name.clone(), rest.join("/"));
                    greedy = 1;
                    return Some((params, (literals, 1 - greedy)));
                }
                Segment::Literal(l) => {
                    if parts.get(i) != Some(&l.as_str()) {
                        return None;
                    }
                    literals += 1;
                }
                Segment::Param(name) => {
                    let p = parts.get(i)?;
                    params.insert(name.clone(), percent_decode(p));
                }
            }
        }
        if parts.len() != segs.len() {
            return None;
        }
        Some((params, (literals, 1 - greedy)))
    }

    pub fn route(&self, method: &str, path: &str) -> RouteResult {
        let parts: Vec<&str> = path
            .trim_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        let mut best: Option<((usize, usize), Matched)> = None;
        let mut path_exists = false;
        for (f, route, segs) in &self.routes {
            let Some((params, score)) = Self::match_path(segs, &parts) else {
                continue;
            };
            path_exists = true;
            if route.method != method && route.method != "ANY" {
                continue;
            }
            let score = (score.0 * 2 + usize::from(route.method != "ANY"), score.1);
            if best.as_ref().is_none_or(|(s, _)| score > *s) {
                best = Some((
                    score,
                    Matched {
                        route_key: route.key(),
                        function: *f,
                        params,
                    },
                ));
            }
        }
        match best {
            Some((_, m)) => RouteResult::Found(m),
            None if path_exists => RouteResult::MethodNotAllowed,
            None => RouteResult::NotFound,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(method: &str, path: &str) -> Route {
        Route {
            method: method.into(),
            path: path.into(),
        }
    }

    #[test]
    fn literal_beats_parameter_beats_greedy() {
        let router = Router::new(vec![
            (0, r("GET", "/api/partners/{id}")),
            (1, r("GET", "/api/partners/new")),
            (2, r("ANY", "/api/{proxy+}")),
            (3, r("POST", "/api/partners/{id}/conventions/{caisse}")),
        ]);
        let found = |m, p| match router.route(m, p) {
            RouteResult::Found(x) => x,
            other => panic!("{m} {p}: {other:?}"),
        };
        assert_eq!(found("GET", "/api/partners/new").function, 1);
        let m = found("GET", "/api/partners/p%C3%A9-1");
        assert_eq!((m.function, m.params["id"].as_str()), (0, "pé-1"));
        assert_eq!(m.route_key, "GET /api/partners/{id}");
        let m = found("POST", "/api/partners/a/conventions/b");
        assert_eq!(
            (m.params["id"].as_str(), m.params["caisse"].as_str()),
            ("a", "b")
        );
        let m = found("DELETE", "/api/anything/deep/path");
        assert_eq!(
            (m.function, m.params["proxy"].as_str()),
            (2, "anything/deep/path")
        );
    }

    #[test]
    fn wrong_method_and_unknown_path() {
        let router = Router::new(vec![(0, r("GET", "/api/health"))]);
        assert_eq!(
            router.route("POST", "/api/health"),
            RouteResult::MethodNotAllowed
        );
        assert_eq!(router.route("GET", "/api/nothing"), RouteResult::NotFound);
        assert!(matches!(
            router.route("GET", "/api/health/"),
            RouteResult::Found(_)
        ));
        assert_eq!(percent_decode("a%2Fb%zz%4"), "a/b%zz%4");
    }
}
