//! Field-level validation errors, shared by every parser and rule of the crate.
//!
//! A [`FieldError`] carries a stable machine `code` (for the UI and tests) and a
//! French, user-facing `message` that names the field and says how to fix it.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One validation failure on one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct FieldError {
    /// Technical name of the field (e.g. `"email"`); see [`FieldError::with_field`].
    pub field: String,
    /// Stable machine code, e.g. `"email.webmail"`.
    pub code: String,
    /// Clear French sentence naming the field and the fix.
    pub message: String,
}

impl FieldError {
    /// Builds an error.
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        FieldError {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }

    /// Same error attached to another field name (parsers use a default name such as
    /// `"email"`; a handler validating `"email_gestionnaire"` renames it).
    #[must_use]
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = field.into();
        self
    }
}

/// Several field errors, for multi-field validation (a form).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(transparent)]
pub struct Violations(pub Vec<FieldError>);

impl Violations {
    /// An empty set.
    pub fn new() -> Self {
        Violations(Vec::new())
    }

    /// Adds one error.
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    /// Keeps the value of `r` if it is `Ok`, records its error otherwise.
    ///
    /// ```
    /// # use ep_domain::error::Violations;
    /// # use ep_domain::types::PersonName;
    /// let mut v = Violations::new();
    /// let nom = v.check(PersonName::parse("Durand"));
    /// let prenom = v.check(PersonName::parse(""));
    /// assert!(nom.is_some() && prenom.is_none());
    /// assert_eq!(v.len(), 1);
    /// ```
    pub fn check<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    /// True when no error was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of errors.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `Ok(())` when empty, `Err(self)` otherwise.
    pub fn into_result(self) -> Result<(), Violations> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }

    /// The errors of one field.
    pub fn for_field<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a FieldError> + 'a {
        self.0.iter().filter(move |e| e.field == field)
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(&e.message)?;
        }
        Ok(())
    }
}

impl From<FieldError> for Violations {
    fn from(e: FieldError) -> Self {
        Violations(vec![e])
    }
}

impl From<Vec<FieldError>> for Violations {
    fn from(v: Vec<FieldError>) -> Self {
        Violations(v)
    }
}

impl IntoIterator for Violations {
    type Item = FieldError;
    type IntoIter = std::vec::IntoIter<FieldError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_collect_and_display() {
        let mut v = Violations::new();
        assert!(v.clone().into_result().is_ok());
        v.push(FieldError::new(
            "nom",
            "name.empty",
            "Le nom est obligatoire.",
        ));
        v.push(FieldError::new(
            "email",
            "email.syntax",
            "L'adresse électronique est invalide.",
        ));
        assert_eq!(v.for_field("email").count(), 1);
        assert_eq!(
            v.to_string(),
            "Le nom est obligatoire. L'adresse électronique est invalide."
        );
        let json = serde_json_like(&v);
        assert!(json.contains("name.empty"));
    }

    fn serde_json_like(v: &Violations) -> String {
        format!("{v:?}")
    }

    #[test]
    fn with_field_renames() {
        let e = FieldError::new("email", "email.syntax", "x").with_field("email_pro");
        assert_eq!(e.field, "email_pro");
    }
}
