//! What an operator changed, field by field, for the audit log.
//!
//! A service that changes something on an operator's behalf (a subscriber's e-mail, a
//! group's priority) returns the [`Changes`] it made; the caller writes them to the audit
//! log with who did it, on whom, from which address and when. Secrets are recorded as
//! changed, never with their values.

use serde::{Deserialize, Serialize};

/// One changed field: its value before and after (`None` where there was none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The field's name, as the console and the API call it (`email`, `active`, …).
    pub field: String,
    /// The value before the change, shown as text.
    pub before: Option<String>,
    /// The value after the change, shown as text.
    pub after: Option<String>,
}

/// The fields one action changed, in the order they were compared.
///
/// ```
/// use owums_core::operator::Changes;
/// let mut changes = Changes::default();
/// changes.compare("city", Some("Rome"), Some("Milan"));
/// changes.compare("email", Some("a@example.org"), Some("a@example.org")); // same: not kept
/// changes.secret("password");
/// assert_eq!(changes.len(), 2);
/// assert_eq!(changes.iter().nth(1).unwrap().after.as_deref(), Some("(changed)"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Changes(Vec<Change>);

/// What the audit log shows in place of a secret's values.
pub const SECRET_CHANGED: &str = "(changed)";

impl Changes {
    /// Keeps `field` if `before` and `after` differ.
    pub fn compare<T: ToString + PartialEq + ?Sized>(
        &mut self,
        field: &str,
        before: Option<&T>,
        after: Option<&T>,
    ) {
        if before != after {
            self.0.push(Change {
                field: field.to_owned(),
                before: before.map(ToString::to_string),
                after: after.map(ToString::to_string),
            });
        }
    }

    /// Records that a secret (a password, a second factor) changed, without its values.
    pub fn secret(&mut self, field: &str) {
        self.0.push(Change {
            field: field.to_owned(),
            before: None,
            after: Some(SECRET_CHANGED.to_owned()),
        });
    }

    /// Records a value that was created (`before` is none).
    pub fn created<T: ToString + ?Sized>(&mut self, field: &str, value: &T) {
        self.compare::<str>(field, None, Some(&value.to_string()));
    }

    /// Records a value that was removed (`after` is none).
    pub fn removed<T: ToString + ?Sized>(&mut self, field: &str, value: &T) {
        self.compare::<str>(field, Some(&value.to_string()), None);
    }

    /// Appends every change of `other`.
    pub fn extend(&mut self, other: Changes) {
        self.0.extend(other.0);
    }

    /// The changes, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Change> {
        self.0.iter()
    }

    /// How many fields changed.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(field: &str, before: Option<&str>, after: Option<&str>) -> Change {
        Change {
            field: field.to_owned(),
            before: before.map(str::to_owned),
            after: after.map(str::to_owned),
        }
    }

    #[test]
    fn only_what_differs_is_kept_in_order_and_secrets_without_values() {
        let mut changes = Changes::default();
        assert!(changes.is_empty());
        changes.compare("city", Some("Rome"), Some("Rome"));
        assert_eq!(changes.len(), 0, "an unchanged value is not kept");
        changes.compare("city", Some("Rome"), Some("Milan"));
        changes.compare::<str>("email", None, Some("a@example.org"));
        changes.secret("password");
        changes.created("group", "Staff");
        changes.removed("group", "Users");
        let mut more = Changes::default();
        more.compare("active", Some(&true), Some(&false));
        changes.extend(more);
        assert!(!changes.is_empty());
        assert_eq!(changes.len(), 6);
        let all: Vec<&Change> = changes.iter().collect();
        assert_eq!(
            all,
            [
                &change("city", Some("Rome"), Some("Milan")),
                &change("email", None, Some("a@example.org")),
                &change("password", None, Some(SECRET_CHANGED)),
                &change("group", None, Some("Staff")),
                &change("group", Some("Users"), None),
                &change("active", Some("true"), Some("false")),
            ]
        );
    }
}
