//! Reads `template.yaml` (the single source of truth for routes), as `sam local
//! start-api` does: each function's binary, its `HttpApi` events and its schedule.

use std::time::Duration;

use serde_yaml::Value;

/// The template, compiled into the gateway so that routes cannot drift.
pub const TEMPLATE: &str = include_str!("../../../template.yaml");

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub method: String,
    pub path: String,
}

impl Route {
    /// API Gateway's route key, e.g. `GET /api/health`.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionDef {
    pub logical_id: String,
    pub binary: String,
    pub routes: Vec<Route>,
    pub schedule: Option<Duration>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("template.yaml: {0}")]
pub struct TemplateError(pub String);

fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v {
        Value::Mapping(m) => m.get(key),
        Value::Tagged(t) => get(&t.value, key),
        _ => None,
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    get(v, key).and_then(Value::as_str)
}

/// `rate(5 minutes)`, `rate(1 hour)`, `rate(2 days)`.
pub fn parse_rate(expr: &str) -> Result<Duration, TemplateError> {
    let bad = || {
        TemplateError(format!(
            "schedule {expr:?}: only rate(N minutes|hours|days) is supported"
        ))
    };
    let inner = expr
        .trim()
        .strip_prefix("rate(")
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(bad)?;
    let (n, unit) = inner.trim().split_once(' ').ok_or_else(bad)?;
    let n: u64 = n.parse().map_err(|_| bad())?;
    if n == 0 {
        return Err(bad());
    }
    let secs = match unit.trim() {
        "minute" | "minutes" => 60,
        "hour" | "hours" => 3600,
        "day" | "days" => 86400,
        _ => return Err(bad()),
    };
    Ok(Duration::from_secs(n * secs))
}

/// Every `AWS::Serverless::Function` of the template, in document order.
pub fn functions(text: &str) -> Result<Vec<FunctionDef>, TemplateError> {
    let doc: Value =
        serde_yaml::from_str(text).map_err(|e| TemplateError(format!("not valid YAML: {e}")))?;
    let resources = match get(&doc, "Resources") {
        Some(Value::Mapping(m)) => m,
        _ => return Err(TemplateError("no Resources".into())),
    };
    let mut out = Vec::new();
    for (id, res) in resources {
        if str_of(res, "Type") != Some("AWS::Serverless::Function") {
            continue;
        }
        let logical_id = id.as_str().unwrap_or_default().to_owned();
        let binary = get(res, "Metadata")
            .and_then(|m| get(m, "BuildProperties"))
            .and_then(|b| str_of(b, "Binary"))
            .ok_or_else(|| {
                TemplateError(format!("{logical_id}: no Metadata.BuildProperties.Binary"))
            })?
            .to_owned();
        let mut routes = Vec::new();
        let mut schedule = None;
        if let Some(Value::Mapping(events)) = get(res, "Properties").and_then(|p| get(p, "Events"))
        {
            for (name, ev) in events {
                let name = name.as_str().unwrap_or_default();
                let props = get(ev, "Properties");
                match str_of(ev, "Type") {
                    Some("HttpApi") => {
                        let path = props.and_then(|p| str_of(p, "Path"));
                        let method = props.and_then(|p| str_of(p, "Method"));
                        match (path, method) {
                            (Some(path), Some(method)) => routes.push(Route {
                                method: method.to_ascii_uppercase(),
                                path: path.to_owned(),
                            }),
                            _ => {
                                return Err(TemplateError(format!(
                                    "{logical_id}.{name}: HttpApi event needs Path and Method"
                                )));
                            }
                        }
                    }
                    Some("Schedule") | Some("ScheduleV2") => {
                        let expr = props
                            .and_then(|p| {
                                str_of(p, "Schedule").or_else(|| str_of(p, "ScheduleExpression"))
                            })
                            .ok_or_else(|| {
                                TemplateError(format!("{logical_id}.{name}: no Schedule"))
                            })?;
                        schedule = Some(parse_rate(expr)?);
                    }
                    _ => {}
                }
            }
        }
        out.push(FunctionDef {
            logical_id,
            binary,
            routes,
            schedule,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates() {
        assert_eq!(parse_rate("rate(5 minutes)"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_rate("rate(1 hour)"), Ok(Duration::from_secs(3600)));
        assert!(parse_rate("cron(0 3 * * ? *)").is_err());
        assert!(parse_rate("rate(0 minutes)").is_err());
    }

    #[test]
    fn reads_the_real_template() {
        let fns = functions(TEMPLATE).expect("template parses");
        let bins: Vec<&str> = fns.iter().map(|f| f.binary.as_str()).collect();
        for b in [
            "ep-auth",
            "ep-accounts",
            "ep-requests",
            "ep-attachments",
            "ep-maintenance",
        ] {
            assert!(bins.contains(&b), "{b} in template");
        }
        let maintenance = fns.iter().find(|f| f.binary == "ep-maintenance").unwrap();
        assert!(maintenance.schedule.is_some(), "maintenance is scheduled");
    }

    #[test]
    fn refuses_an_http_event_without_a_path() {
        let t = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Metadata:\n      BuildProperties:\n        Binary: ep-x\n    Properties:\n      Events:\n        E:\n          Type: HttpApi\n          Properties:\n            Method: GET\n";
        assert!(functions(t).is_err());
    }
}
