//! What `template.yaml` gives each function at run time, read as CloudFormation
//! would: the environment (`Globals` then the function's own, with `!Ref` and `!If`
//! resolved against the gateway's configuration), the timeout and the memory size.

use std::collections::BTreeMap;
use std::time::Duration;

use ep_common::config::Config;
use serde_yaml::Value;

use crate::template::TemplateError;

/// One function's run-time settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionEnv {
    pub binary: String,
    pub logical_id: String,
    pub vars: BTreeMap<String, String>,
    pub timeout: Duration,
    pub memory_mb: u64,
}

fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v {
        Value::Mapping(m) => m.get(key),
        Value::Tagged(t) => get(&t.value, key),
        _ => None,
    }
}

/// The values `!Ref` resolves to: the template's parameters and resources, from the
/// gateway's configuration.
struct Resolver<'a> {
    config: &'a Config,
    doc: &'a Value,
}

fn err(msg: String) -> TemplateError {
    TemplateError(msg)
}

impl Resolver<'_> {
    /// `None`: a parameter the configuration leaves unset (the variable is omitted).
    fn reference(&self, name: &str) -> Result<Option<String>, TemplateError> {
        let c = self.config;
        Ok(match name {
            "Table" => Some(c.table_name.clone()),
            "AttachmentsBucket" => Some(c.attachments_bucket.clone()),
            "MailFrom" => Some(c.mail_from.clone()),
            "PublicUrl" => Some(c.public_url.clone()),
            "AdminEmail" => Some(c.admin_email.clone()),
            "OriginVerifySecret" => c.origin_verify_secret.clone(),
            "TotpKey" => c.totp_key.as_ref().map(|k| k.to_base64()),
            "ClamdAddress" => Some(c.clamd.clone().unwrap_or_default()),
            "AWS::Region" => Some(super::REGION.to_owned()),
            other => return Err(err(format!("!Ref {other}: not known to the lambda mode"))),
        })
    }

    fn condition(&self, name: &str) -> Result<bool, TemplateError> {
        let cond = get(self.doc, "Conditions")
            .and_then(|c| get(c, name))
            .ok_or_else(|| err(format!("condition {name} not in Conditions")))?;
        self.truth(cond)
    }

    fn truth(&self, v: &Value) -> Result<bool, TemplateError> {
        let Value::Tagged(t) = v else {
            return Err(err(format!("condition {v:?}: expected !Not, !Equals")));
        };
        let args = match &t.value {
            Value::Sequence(s) => s.as_slice(),
            _ => &[],
        };
        match (tag_name(t).as_str(), args) {
            ("Not", [a]) => Ok(!self.truth(a)?),
            ("Equals", [a, b]) => Ok(self.value(a)? == self.value(b)?),
            ("Condition", _) => self.condition(t.value.as_str().unwrap_or_default()),
            (tag, _) => Err(err(format!("condition {tag}: not supported"))),
        }
    }

    fn value(&self, v: &Value) -> Result<Option<String>, TemplateError> {
        match v {
            Value::String(s) => Ok(Some(s.clone())),
            Value::Number(n) => Ok(Some(n.to_string())),
            Value::Bool(b) => Ok(Some(b.to_string())),
            Value::Tagged(t) => match (tag_name(t).as_str(), &t.value) {
                ("Ref", Value::String(name)) => self.reference(name),
                ("If", Value::Sequence(s)) if s.len() == 3 => {
                    let name = s[0].as_str().unwrap_or_default();
                    self.value(if self.condition(name)? { &s[1] } else { &s[2] })
                }
                (tag, _) => Err(err(format!("{tag}: not supported in an environment"))),
            },
            other => Err(err(format!("{other:?}: not a value"))),
        }
    }

    fn vars(
        &self,
        function: &Value,
        into: &mut BTreeMap<String, String>,
    ) -> Result<(), TemplateError> {
        if let Some(Value::Mapping(m)) =
            get(function, "Environment").and_then(|e| get(e, "Variables"))
        {
            for (k, v) in m {
                let key = k.as_str().unwrap_or_default().to_owned();
                match self.value(v)? {
                    Some(value) => into.insert(key, value),
                    None => into.remove(&key),
                };
            }
        }
        Ok(())
    }
}

/// A tag's name without its `!`.
fn tag_name(t: &serde_yaml::value::TaggedValue) -> String {
    t.tag.to_string().trim_start_matches('!').to_owned()
}

fn number(v: Option<&Value>) -> Option<u64> {
    v.and_then(Value::as_u64)
}

/// Every function's settings; `binary` is `Metadata.BuildProperties.Binary`.
pub fn functions(text: &str, config: &Config) -> Result<Vec<FunctionEnv>, TemplateError> {
    let doc: Value = serde_yaml::from_str(text).map_err(|e| err(format!("not valid YAML: {e}")))?;
    let r = Resolver { config, doc: &doc };
    let globals = get(&doc, "Globals").and_then(|g| get(g, "Function"));
    let Some(Value::Mapping(resources)) = get(&doc, "Resources") else {
        return Err(err("no Resources".into()));
    };
    let mut out = Vec::new();
    for (id, res) in resources {
        if get(res, "Type").and_then(Value::as_str) != Some("AWS::Serverless::Function") {
            continue;
        }
        let logical_id = id.as_str().unwrap_or_default().to_owned();
        let binary = get(res, "Metadata")
            .and_then(|m| get(m, "BuildProperties"))
            .and_then(|b| get(b, "Binary"))
            .and_then(Value::as_str)
            .ok_or_else(|| err(format!("{logical_id}: no Binary")))?
            .to_owned();
        let props = get(res, "Properties");
        let mut vars = BTreeMap::new();
        if let Some(g) = globals {
            r.vars(g, &mut vars)?;
        }
        if let Some(p) = props {
            r.vars(p, &mut vars)?;
        }
        let setting = |key: &str, default: u64| {
            number(props.and_then(|p| get(p, key)))
                .or_else(|| number(globals.and_then(|g| get(g, key))))
                .unwrap_or(default)
        };
        out.push(FunctionEnv {
            binary,
            logical_id,
            vars,
            timeout: Duration::from_secs(setting("Timeout", 3)),
            memory_mb: setting("MemorySize", 128),
        });
    }
    Ok(out)
}

/// The table's creation request (DynamoDB `CreateTable`, JSON) from the template's
/// `AWS::DynamoDB::Table`: keys, attribute definitions, indexes and billing mode.
pub fn create_table_request(
    text: &str,
    table_name: &str,
) -> Result<serde_json::Value, TemplateError> {
    let doc: Value = serde_yaml::from_str(text).map_err(|e| err(format!("not valid YAML: {e}")))?;
    let props = get(&doc, "Resources")
        .and_then(|r| get(r, "Table"))
        .and_then(|t| get(t, "Properties"))
        .ok_or_else(|| err("no Resources.Table.Properties".into()))?;
    let mut req = serde_json::json!({ "TableName": table_name });
    for key in [
        "AttributeDefinitions",
        "KeySchema",
        "GlobalSecondaryIndexes",
        "BillingMode",
    ] {
        if let Some(v) = get(props, key) {
            req[key] = serde_json::to_value(v).map_err(|e| err(format!("Table.{key}: {e}")))?;
        }
    }
    Ok(req)
}

/// The attachments bucket's CORS rules (S3 `PutBucketCors` XML), `!Ref PublicUrl`
/// resolved to the portal's address.
pub fn bucket_cors_xml(text: &str, config: &Config) -> Result<String, TemplateError> {
    let doc: Value = serde_yaml::from_str(text).map_err(|e| err(format!("not valid YAML: {e}")))?;
    let r = Resolver { config, doc: &doc };
    let rules = get(&doc, "Resources")
        .and_then(|x| get(x, "AttachmentsBucket"))
        .and_then(|b| get(b, "Properties"))
        .and_then(|p| get(p, "CorsConfiguration"))
        .and_then(|c| get(c, "CorsRules"))
        .and_then(Value::as_sequence)
        .ok_or_else(|| err("no AttachmentsBucket CorsRules".into()))?;
    let mut xml =
        String::from("<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for rule in rules {
        xml.push_str("<CORSRule>");
        for (list, tag) in [
            ("AllowedOrigins", "AllowedOrigin"),
            ("AllowedMethods", "AllowedMethod"),
            ("AllowedHeaders", "AllowedHeader"),
            ("ExposedHeaders", "ExposeHeader"),
        ] {
            for v in get(rule, list)
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
            {
                if let Some(s) = r.value(v)? {
                    xml.push_str(&format!("<{tag}>{}</{tag}>", crate::dev::escape(&s)));
                }
            }
        }
        if let Some(age) = number(get(rule, "MaxAge")) {
            xml.push_str(&format!("<MaxAgeSeconds>{age}</MaxAgeSeconds>"));
        }
        xml.push_str("</CORSRule>");
    }
    xml.push_str("</CORSConfiguration>");
    Ok(xml)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Config {
        let map: std::collections::HashMap<&str, &str> = pairs.iter().copied().collect();
        Config::from_lookup(|k| map.get(k).map(|v| v.to_string())).expect("config")
    }

    #[test]
    fn the_real_template_gives_each_function_its_environment() {
        let c = config(&[("EP_TABLE", "t1"), ("EP_PUBLIC_URL", "http://127.0.0.1:9")]);
        let fns = functions(crate::template::TEMPLATE, &c).expect("template");
        let att = fns
            .iter()
            .find(|f| f.binary == "ep-attachments")
            .expect("attachments");
        assert_eq!(att.vars["EP_TABLE"], "t1");
        assert_eq!(att.vars["EP_PUBLIC_URL"], "http://127.0.0.1:9");
        assert_eq!(att.vars["EP_MALWARE_ENGINE"], "guardduty");
        assert!(!att.vars.contains_key("EP_ORIGIN_VERIFY_SECRET"));
        assert_eq!(att.timeout, Duration::from_secs(30));
        let m = fns
            .iter()
            .find(|f| f.binary == "ep-maintenance")
            .expect("maintenance");
        assert_eq!(m.timeout, Duration::from_secs(120));
        assert!(!m.vars.contains_key("EP_MALWARE_ENGINE"));
        let with_clamd = config(&[("EP_CLAMD_ADDRESS", "127.0.0.1:3310")]);
        let fns = functions(crate::template::TEMPLATE, &with_clamd).expect("template");
        let att = fns
            .iter()
            .find(|f| f.binary == "ep-attachments")
            .expect("attachments");
        assert_eq!(att.vars["EP_MALWARE_ENGINE"], "clamd");
        assert_eq!(att.vars["EP_CLAMD_ADDRESS"], "127.0.0.1:3310");
    }

    #[test]
    fn table_and_cors_come_from_the_template() {
        let t = create_table_request(crate::template::TEMPLATE, "t").expect("table");
        assert_eq!(
            t["GlobalSecondaryIndexes"].as_array().map(Vec::len),
            Some(2)
        );
        assert_eq!(t["BillingMode"], "PAY_PER_REQUEST");
        let c = config(&[("EP_PUBLIC_URL", "http://127.0.0.1:9")]);
        let xml = bucket_cors_xml(crate::template::TEMPLATE, &c).expect("cors");
        assert!(
            xml.contains("<AllowedOrigin>http://127.0.0.1:9</AllowedOrigin>"),
            "{xml}"
        );
        assert!(xml.contains("<AllowedMethod>PUT</AllowedMethod>"), "{xml}");
    }
}
