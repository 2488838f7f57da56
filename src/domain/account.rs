//! People who sign in: their roles, accounts and the audit log of what they changed.
//! Readers need no account; everything public stays public without one.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// What a signed-in person may do. Each role can do what the roles before it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Submits hand tests.
    Contributor,
    /// Also reviews others' submissions and retracts published hand tests.
    Reviewer,
    /// Also creates, resets and disables accounts and reads the audit log.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Contributor, Role::Reviewer, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Contributor => "contributor",
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
        }
    }

    /// Whether this role includes what `needed` may do.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role \"{s}\" (contributor, reviewer or admin)"))
    }
}

/// An account as stored, without its password hash (which never leaves storage).
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub login: String,
    pub public_name: String,
    pub organisation: Option<String>,
    /// Private: never shown publicly, exported or logged.
    pub email: Option<String>,
    pub role: Role,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Account {
    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }

    /// How pages credit this person: the public name, with the organisation when given.
    pub fn credit(&self) -> String {
        match &self.organisation {
            Some(org) if !org.is_empty() => format!("{} ({org})", self.public_name),
            _ => self.public_name.clone(),
        }
    }
}

/// The email stays out of logs and debug output.
impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("login", &self.login)
            .field("public_name", &self.public_name)
            .field("role", &self.role)
            .field("disabled", &self.is_disabled())
            .finish_non_exhaustive()
    }
}

/// A new account's details (the password is hashed before it reaches storage).
#[derive(Clone)]
pub struct NewAccount {
    pub login: String,
    pub public_name: String,
    pub organisation: Option<String>,
    pub email: Option<String>,
    pub role: Role,
}

/// One line of the audit log.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    /// The actor's login at the time, `cli` for the command line, or the login tried.
    pub actor: String,
    pub action: String,
    pub subject: Option<String>,
    pub detail: Option<String>,
    pub address: Option<String>,
}

/// What to write in the audit log.
#[derive(Debug, Clone)]
pub struct NewAuditEntry {
    pub actor_id: Option<i64>,
    pub actor: String,
    pub action: &'static str,
    pub subject: Option<String>,
    pub detail: Option<String>,
    pub address: Option<String>,
}

/// An API token as stored: never the token itself (only its SHA-256 is kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    /// What it may do: `submit` (hand tests) only.
    pub scope: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The only scope a token has: submitting hand tests.
pub const TOKEN_SCOPE_SUBMIT: &str = "submit";
