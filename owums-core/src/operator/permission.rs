//! What an operator may do: OWUMS' fine-grained permissions and the three presets.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Problem, Result};

macro_rules! permissions {
    ($($variant:ident => $name:literal, $doc:literal;)*) => {
        /// One thing an operator may be allowed to do, named as in OWUMS (`users_browser`,
        /// `radius_groups_manager`, …) so that an OWUMS operator recognises them.
        ///
        /// Every console route and every operator API endpoint names the one permission it
        /// needs; the server checks it on every request (a missing permission is a 403).
        ///
        /// ```
        /// use owums_core::operator::Permission;
        /// let p: Permission = "users_browser".parse()?;
        /// assert_eq!(p, Permission::UsersBrowser);
        /// assert_eq!(p.to_string(), "users_browser");
        /// assert!("users_everything".parse::<Permission>().is_err());
        /// # Ok::<(), owums_core::Error>(())
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Permission {
            $(#[doc = $doc] $variant,)*
        }

        impl Permission {
            /// Every permission, in the order OWUMS listed them.
            pub const ALL: &'static [Permission] = &[$(Permission::$variant,)*];

            /// The name, as stored and as OWUMS spelled it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Permission::$variant => $name,)*
                }
            }

            /// What the permission allows, in one English sentence.
            pub fn description(self) -> &'static str {
                match self {
                    $(Permission::$variant => $doc,)*
                }
            }
        }

        impl FromStr for Permission {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                match s.trim() {
                    $($name => Ok(Permission::$variant),)*
                    _ => Err(Error::refused(
                        "permission",
                        Problem::Other,
                        format!("unknown permission (known: {})", Permission::ALL
                            .iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")),
                    )),
                }
            }
        }
    };
}

permissions! {
    UsersBrowser => "users_browser", "Browse the subscriber list and open any subscriber.";
    UsersFinder => "users_finder", "Find one subscriber by username, e-mail or mobile number and open them.";
    UsersRegistrant => "users_registrant", "Create subscribers (with a method the `registrant_by_*` permissions allow).";
    UsersManager => "users_manager", "Edit subscribers: every field, groups, verified and active.";
    UsersDestroyer => "users_destroyer", "Delete subscribers.";
    RegistrantByNothing => "registrant_by_nothing", "Create subscribers with no identity verification.";
    RegistrantByIdCard => "registrant_by_id_card", "Create subscribers by checking an identity document.";
    StatsViewer => "stats_viewer", "See the statistics.";
    ConfigurationsManager => "configurations_manager", "Change the runtime settings.";
    OperatorsManager => "operators_manager", "Create and manage operators and their permissions.";
    RadiusGroupsCreator => "radius_groups_creator", "Create RADIUS groups.";
    RadiusGroupsViewer => "radius_groups_viewer", "See RADIUS groups.";
    RadiusGroupsManager => "radius_groups_manager", "Edit RADIUS groups.";
    RadiusGroupsDestroyer => "radius_groups_destroyer", "Delete RADIUS groups.";
    RadiusChecksCreator => "radius_checks_creator", "Add check attributes to groups and subscribers.";
    RadiusChecksViewer => "radius_checks_viewer", "See the check attributes of groups and subscribers.";
    RadiusChecksManager => "radius_checks_manager", "Edit check attributes.";
    RadiusChecksDestroyer => "radius_checks_destroyer", "Remove check attributes.";
    RadiusRepliesCreator => "radius_replies_creator", "Add reply attributes to groups and subscribers.";
    RadiusRepliesViewer => "radius_replies_viewer", "See the reply attributes of groups and subscribers.";
    RadiusRepliesManager => "radius_replies_manager", "Edit reply attributes.";
    RadiusRepliesDestroyer => "radius_replies_destroyer", "Remove reply attributes.";
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Permission {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A refusal: the operator (or API token) lacks this permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("this needs the permission `{0}`")]
pub struct MissingPermission(pub Permission);

/// A set of permissions: what one operator (or one of their API tokens) holds.
///
/// It is stored as the names separated by spaces, in a fixed order, so two equal sets are
/// stored alike.
///
/// ```
/// use owums_core::operator::{Permission, Permissions, Preset};
/// let helpdesk = Preset::Operator.permissions();
/// assert!(helpdesk.allows(Permission::UsersFinder));
/// assert!(!helpdesk.allows(Permission::OperatorsManager));
/// let stored = helpdesk.to_string();
/// assert_eq!(stored.parse::<Permissions>()?, helpdesk);
/// # Ok::<(), owums_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permissions(BTreeSet<Permission>);

impl Permissions {
    /// No permission at all: such an operator can log in and change their own password.
    pub fn none() -> Self {
        Self::default()
    }

    /// Every permission (a superadmin).
    pub fn all() -> Self {
        Permission::ALL.iter().copied().collect()
    }

    /// Whether `p` is in the set.
    pub fn allows(&self, p: Permission) -> bool {
        self.0.contains(&p)
    }

    /// The one permission check of every console route and operator API endpoint: `Ok`
    /// when `p` is in the set, else the [`MissingPermission`] the caller answers with a 403
    /// (a styled page, or the API's JSON error).
    ///
    /// ```
    /// use owums_core::operator::{Permission, Preset};
    /// let helpdesk = Preset::Operator.permissions();
    /// assert!(helpdesk.require(Permission::UsersBrowser).is_ok());
    /// let e = helpdesk.require(Permission::UsersDestroyer).unwrap_err();
    /// assert_eq!(e.0, Permission::UsersDestroyer);
    /// ```
    pub fn require(&self, p: Permission) -> std::result::Result<(), MissingPermission> {
        if self.allows(p) {
            Ok(())
        } else {
            Err(MissingPermission(p))
        }
    }

    /// Adds `p`.
    pub fn insert(&mut self, p: Permission) {
        self.0.insert(p);
    }

    /// Removes `p`.
    pub fn remove(&mut self, p: Permission) {
        self.0.remove(&p);
    }

    /// Whether every permission of `other` is also in `self` (an API token may carry a
    /// subset of its operator's permissions, never more).
    pub fn contains_all(&self, other: &Permissions) -> bool {
        other.0.is_subset(&self.0)
    }

    /// The permissions held by both sets.
    pub fn intersection(&self, other: &Permissions) -> Permissions {
        Permissions(self.0.intersection(&other.0).copied().collect())
    }

    /// The permissions, in the order of [`Permission::ALL`].
    pub fn iter(&self) -> impl Iterator<Item = Permission> + '_ {
        self.0.iter().copied()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<Permission> for Permissions {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        Permissions(iter.into_iter().collect())
    }
}

impl fmt::Display for Permissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Permission::as_str).collect();
        f.write_str(&names.join(" "))
    }
}

impl FromStr for Permissions {
    type Err = Error;
    /// Parses names separated by spaces or commas; an unknown name is refused.
    fn from_str(s: &str) -> Result<Self> {
        s.split([' ', ','])
            .filter(|n| !n.trim().is_empty())
            .map(str::parse)
            .collect()
    }
}

/// A named starting set of permissions. OWUMS' README spoke of "operator", "admin" and
/// "superadmin"; they are presets, not roles: an operator holds permissions, and a preset
/// only fills them in when the operator is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// A helpdesk operator: finds and browses subscribers, registers them (without
    /// verification or by ID card), edits them, sees statistics and the RADIUS
    /// configuration; cannot delete, change settings or manage operators.
    Operator,
    /// Everything but managing operators.
    Admin,
    /// Every permission.
    Superadmin,
}

impl Preset {
    /// Every preset, smallest first.
    pub const ALL: &'static [Preset] = &[Preset::Operator, Preset::Admin, Preset::Superadmin];

    /// The name used on the command line and in the console.
    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Operator => "operator",
            Preset::Admin => "admin",
            Preset::Superadmin => "superadmin",
        }
    }

    /// The permissions the preset grants.
    pub fn permissions(self) -> Permissions {
        use Permission::*;
        match self {
            Preset::Operator => [
                UsersBrowser,
                UsersFinder,
                UsersRegistrant,
                UsersManager,
                RegistrantByNothing,
                RegistrantByIdCard,
                StatsViewer,
                RadiusGroupsViewer,
                RadiusChecksViewer,
                RadiusRepliesViewer,
            ]
            .into_iter()
            .collect(),
            Preset::Admin => Permission::ALL
                .iter()
                .copied()
                .filter(|p| *p != OperatorsManager)
                .collect(),
            Preset::Superadmin => Permissions::all(),
        }
    }
}

impl FromStr for Preset {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "operator" => Ok(Preset::Operator),
            "admin" => Ok(Preset::Admin),
            "superadmin" => Ok(Preset::Superadmin),
            _ => Err(Error::refused(
                "preset",
                Problem::Other,
                "unknown preset (known: operator, admin, superadmin)",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_to_its_permission() {
        assert_eq!(Permission::ALL.len(), 22);
        for p in Permission::ALL {
            assert_eq!(p.as_str().parse::<Permission>().unwrap(), *p);
        }
    }

    #[test]
    fn presets_grow_from_operator_to_superadmin() {
        let op = Preset::Operator.permissions();
        let admin = Preset::Admin.permissions();
        let sup = Preset::Superadmin.permissions();
        assert!(admin.contains_all(&op) && sup.contains_all(&admin));
        assert!(!op.allows(Permission::UsersDestroyer));
        assert!(!admin.allows(Permission::OperatorsManager));
        assert!(sup.allows(Permission::OperatorsManager));
        assert_eq!(sup.iter().count(), Permission::ALL.len());
    }

    #[test]
    fn a_set_answers_for_what_it_holds() {
        let mut set = Permissions::none();
        assert!(set.is_empty() && !set.allows(Permission::UsersBrowser));
        assert_eq!(
            set.require(Permission::UsersBrowser),
            Err(MissingPermission(Permission::UsersBrowser))
        );
        set.insert(Permission::UsersBrowser);
        set.insert(Permission::StatsViewer);
        assert!(!set.is_empty());
        assert_eq!(set.require(Permission::UsersBrowser), Ok(()));
        set.remove(Permission::StatsViewer);
        assert!(!set.allows(Permission::StatsViewer));
        let admin = Preset::Admin.permissions();
        assert!(admin.contains_all(&set) && !set.contains_all(&admin));
        assert_eq!(
            admin.intersection(&Preset::Operator.permissions()),
            Preset::Operator.permissions()
        );
        assert_eq!(
            set.intersection(&Preset::Operator.permissions()),
            [Permission::UsersBrowser].into_iter().collect()
        );
    }

    #[test]
    fn names_show_as_stored() {
        for p in Permission::ALL {
            assert_eq!(p.to_string(), p.as_str());
        }
        for preset in Preset::ALL {
            assert_eq!(preset.as_str().parse::<Preset>().unwrap(), *preset);
        }
        assert_eq!(
            Preset::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            ["operator", "admin", "superadmin"]
        );
        assert!("root".parse::<Preset>().is_err());
    }

    #[test]
    fn stored_form_is_stable_and_refuses_unknown_names() {
        let set: Permissions = "users_manager, users_browser".parse().unwrap();
        assert_eq!(set.to_string(), "users_browser users_manager");
        assert!("users_browser root".parse::<Permissions>().is_err());
        assert_eq!("".parse::<Permissions>().unwrap(), Permissions::none());
    }

    /// The presets table of docs/console.md is what the code grants.
    #[test]
    fn the_documented_presets_table_matches_the_code() {
        let doc = include_str!("../../../docs/console.md");
        for p in Permission::ALL {
            let mark = |preset: Preset| {
                if preset.permissions().allows(*p) {
                    "✓"
                } else {
                    ""
                }
            };
            // the description is the variant's doc comment
            let row = format!(
                "| `{}` | {} | {} | {} | {} |",
                p.as_str(),
                p.description(),
                mark(Preset::Operator),
                mark(Preset::Admin),
                mark(Preset::Superadmin)
            );
            assert!(
                doc.contains(&row),
                "docs/console.md lacks or differs: {row}"
            );
        }
    }
}
