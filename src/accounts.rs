//! Accounts: creating, resetting and disabling them (the command line and the admin pages
//! share these), checking a sign-in, and the secrets they need. Passwords are hashed with
//! Argon2id (the `argon2` crate's defaults); nothing here is hand-made cryptography.
//!
//! Every change is written with its audit line (who, what, when, from which address) in
//! one transaction; secrets (passwords, their hashes, session ids, tokens) never reach a
//! log or an audit line.

use crate::domain::{Account, ApiToken, NewAccount, NewAuditEntry, Role, TOKEN_SCOPE_SUBMIT};
use crate::storage::{StorageError, Store};
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use std::sync::OnceLock;

/// Passwords shorter than this are refused.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longer ones too: hashing a megabyte would be work for nothing.
pub const MAX_PASSWORD_BYTES: usize = 1024;
pub const MAX_LOGIN_CHARS: usize = 64;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_EMAIL_CHARS: usize = 254;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(
        "the login \"{0}\" is not usable: 1 to 64 letters, digits, dots, dashes, underscores or @"
    )]
    BadLogin(String),
    #[error("the public name must be 1 to 100 characters, without control characters")]
    BadName,
    #[error("the organisation must be at most 100 characters, without control characters")]
    BadOrganisation,
    #[error("the email address \"{0}\" is not usable")]
    BadEmail(String),
    #[error(
        "the password must be at least {MIN_PASSWORD_CHARS} characters (and at most {MAX_PASSWORD_BYTES} bytes)"
    )]
    WeakPassword,
    #[error("the login \"{0}\" is taken")]
    LoginTaken(String),
    #[error("no account has the login \"{0}\"")]
    NoSuchAccount(String),
    #[error("you cannot disable your own account")]
    OwnAccount,
    #[error("\"{0}\" is the last enabled admin: make another admin first")]
    LastAdmin(String),
    #[error("the token name must be 1 to 100 characters, without control characters")]
    BadTokenName,
    #[error("no token {0} of yours is in use")]
    NoSuchToken(i64),
    #[error("cannot hash the password: {0}")]
    Hashing(String),
    #[error(transparent)]
    Storage(StorageError),
}

impl From<StorageError> for AccountError {
    fn from(e: StorageError) -> Self {
        AccountError::Storage(e)
    }
}

/// Who makes a change, for the audit log: an account (signed in) or the command line.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<i64>,
    pub name: String,
    /// The client's address, or "command line".
    pub address: Option<String>,
}

impl Actor {
    /// The command line: whoever can run `hutong` on the server.
    pub fn command_line() -> Actor {
        Actor {
            id: None,
            name: "cli".into(),
            address: Some("command line".into()),
        }
    }

    pub fn account(account: &Account, address: Option<String>) -> Actor {
        Actor {
            id: Some(account.id),
            name: account.login.clone(),
            address,
        }
    }

    /// The same actor, with the way the change came in beside its address
    /// (`203.0.113.5 (api)`).
    pub fn via(mut self, channel: &str) -> Actor {
        self.address = Some(match self.address {
            Some(a) => format!("{a} ({channel})"),
            None => channel.to_string(),
        });
        self
    }

    pub fn entry(
        &self,
        action: &'static str,
        subject: Option<String>,
        detail: Option<String>,
    ) -> NewAuditEntry {
        NewAuditEntry {
            actor_id: self.id,
            actor: self.name.clone(),
            action,
            subject,
            detail,
            address: self.address.clone(),
        }
    }
}

/// `n` random bytes from the operating system, as lowercase hex.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    // The OS random source failing is not something to run on without: no token is
    // better than a guessable one.
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new random password for `user add` and `user reset` when none is given: 20
/// characters of 96 random bits, without look-alike characters.
pub fn new_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    // 256 is not a multiple of the alphabet's length: the slight bias costs well under a
    // bit over 20 characters.
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

fn check_password(password: &str) -> Result<(), AccountError> {
    if password.chars().count() < MIN_PASSWORD_CHARS || password.len() > MAX_PASSWORD_BYTES {
        return Err(AccountError::WeakPassword);
    }
    Ok(())
}

/// Hashes a password with Argon2id (a random salt each time), off the async runtime.
pub async fn hash_password(password: &str) -> Result<String, AccountError> {
    check_password(password)?;
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        argon2::Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AccountError::Hashing(e.to_string()))
    })
    .await
    .map_err(|e| AccountError::Hashing(e.to_string()))?
}

/// Whether `password` matches `hash`, off the async runtime.
async fn verify_password(password: &str, hash: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    let (password, hash) = (password.to_string(), hash.to_string());
    tokio::task::spawn_blocking(move || {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok()
    })
    .await
    .unwrap_or(false)
}

/// A hash no password matches, checked when the login is unknown so that a wrong login
/// takes as long as a wrong password (no telling which logins exist by timing).
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        argon2::Argon2::default()
            .hash_password(random_hex(32).as_bytes())
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// Values echoed in errors are cut short: they come from the outside.
fn cut(s: &str) -> String {
    s.chars().take(MAX_LOGIN_CHARS).collect()
}

fn no_control(s: &str) -> bool {
    !s.chars().any(char::is_control)
}

/// Checks and tidies a new account's details (trimmed; empty optional fields dropped).
pub fn checked(new: NewAccount) -> Result<NewAccount, AccountError> {
    let login = new.login.trim().to_string();
    let login_ok = !login.is_empty()
        && login.chars().count() <= MAX_LOGIN_CHARS
        && login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'));
    if !login_ok {
        return Err(AccountError::BadLogin(cut(&login)));
    }
    let public_name = new.public_name.trim().to_string();
    if public_name.is_empty()
        || public_name.chars().count() > MAX_NAME_CHARS
        || !no_control(&public_name)
    {
        return Err(AccountError::BadName);
    }
    let organisation = new
        .organisation
        .map(|o| o.trim().to_string())
        .filter(|o| !o.is_empty());
    if let Some(o) = &organisation
        && (o.chars().count() > MAX_NAME_CHARS || !no_control(o))
    {
        return Err(AccountError::BadOrganisation);
    }
    let email = new
        .email
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty());
    if let Some(e) = &email {
        let ok = e.chars().count() <= MAX_EMAIL_CHARS
            && no_control(e)
            && !e.contains(char::is_whitespace)
            && e.split_once('@')
                .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'));
        if !ok {
            return Err(AccountError::BadEmail(cut(e)));
        }
    }
    Ok(NewAccount {
        login,
        public_name,
        organisation,
        email,
        role: new.role,
    })
}

/// Creates an account with `password`, or with a new random one (returned) when `None`.
pub async fn add(
    store: &Store,
    new: NewAccount,
    password: Option<String>,
    actor: &Actor,
) -> Result<(Account, Option<String>), AccountError> {
    let new = checked(new)?;
    let generated = password.is_none().then(new_password);
    let password = password.or_else(|| generated.clone()).unwrap_or_default();
    let hash = hash_password(&password).await?;
    let audit = actor.entry(
        "account-created",
        Some(new.login.clone()),
        Some(format!("role {}", new.role)),
    );
    match store.insert_account(&new, &hash, &audit).await {
        Ok(account) => Ok((account, generated)),
        Err(StorageError::Invalid(_)) => Err(AccountError::LoginTaken(new.login)),
        // Two creations of one login at once: the database's unique index refuses one.
        Err(e) if e.is_about_the_data() => Err(AccountError::LoginTaken(new.login)),
        Err(e) => Err(e.into()),
    }
}

async fn find(store: &Store, login: &str) -> Result<Account, AccountError> {
    store
        .account_by_login(login)
        .await?
        .ok_or_else(|| AccountError::NoSuchAccount(cut(login)))
}

/// Sets a new password (given, or random and returned), enables the account again if it
/// was disabled, and ends all of its sessions.
pub async fn reset(
    store: &Store,
    login: &str,
    password: Option<String>,
    actor: &Actor,
) -> Result<(Account, Option<String>), AccountError> {
    let account = find(store, login).await?;
    let generated = password.is_none().then(new_password);
    let password = password.or_else(|| generated.clone()).unwrap_or_default();
    let hash = hash_password(&password).await?;
    store
        .set_password(
            account.id,
            &hash,
            &actor.entry("password-reset", Some(account.login.clone()), None),
        )
        .await?;
    if account.is_disabled() {
        store
            .set_disabled(
                account.id,
                false,
                false,
                &actor.entry("account-enabled", Some(account.login.clone()), None),
            )
            .await?;
    }
    Ok((find(store, login).await?, generated))
}

/// Refuses when an account (not the command line) would take away the last enabled
/// admin: the pages would be left with nobody to manage accounts. The command line may:
/// it is where accounts are recovered from.
async fn keep_an_admin(
    store: &Store,
    account: &Account,
    actor: &Actor,
) -> Result<(), AccountError> {
    if actor.id.is_some()
        && account.role == Role::Admin
        && !account.is_disabled()
        && store.enabled_admin_count().await? <= 1
    {
        return Err(AccountError::LastAdmin(account.login.clone()));
    }
    Ok(())
}

/// Disables an account: it can no longer sign in, and its sessions end at once. Nobody
/// disables their own account, nor (but from the command line) the last enabled admin.
pub async fn disable(store: &Store, login: &str, actor: &Actor) -> Result<Account, AccountError> {
    let account = find(store, login).await?;
    if actor.id == Some(account.id) {
        return Err(AccountError::OwnAccount);
    }
    keep_an_admin(store, &account, actor).await?;
    let done = store
        .set_disabled(
            account.id,
            true,
            actor.id.is_some(),
            &actor.entry("account-disabled", Some(account.login.clone()), None),
        )
        .await?;
    if !done {
        return Err(AccountError::LastAdmin(account.login));
    }
    find(store, login).await
}

/// Enables a disabled account again (its password unchanged).
pub async fn enable(store: &Store, login: &str, actor: &Actor) -> Result<Account, AccountError> {
    let account = find(store, login).await?;
    store
        .set_disabled(
            account.id,
            false,
            false,
            &actor.entry("account-enabled", Some(account.login.clone()), None),
        )
        .await?;
    find(store, login).await
}

/// Changes an account's role; the last enabled admin keeps theirs (but from the command
/// line).
pub async fn set_role(
    store: &Store,
    login: &str,
    role: Role,
    actor: &Actor,
) -> Result<Account, AccountError> {
    let account = find(store, login).await?;
    if role != Role::Admin {
        keep_an_admin(store, &account, actor).await?;
    }
    let done = store
        .set_role(
            account.id,
            role,
            actor.id.is_some() && role != Role::Admin,
            &actor.entry(
                "role-changed",
                Some(account.login.clone()),
                Some(format!("{} to {role}", account.role)),
            ),
        )
        .await?;
    if !done {
        return Err(AccountError::LastAdmin(account.login));
    }
    find(store, login).await
}

/// An API token's secret as given to its owner: a prefix that says what it is, and 256
/// random bits.
pub const TOKEN_PREFIX: &str = "hutong_";

/// The SHA-256 (hex) a token is stored and looked up by.
pub fn token_digest(token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Makes a new API token for `account`, scoped to submitting: the stored token and its
/// secret, which is shown once and never stored.
pub async fn create_token(
    store: &Store,
    account: &Account,
    name: &str,
    actor: &Actor,
) -> Result<(ApiToken, String), AccountError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || !no_control(name) {
        return Err(AccountError::BadTokenName);
    }
    let secret = format!("{TOKEN_PREFIX}{}", random_hex(32));
    let token = store
        .insert_token(
            account.id,
            name,
            TOKEN_SCOPE_SUBMIT,
            &token_digest(&secret),
            &actor.entry(
                "token-created",
                None,
                Some(format!(
                    "\"{name}\" of {}, scope {TOKEN_SCOPE_SUBMIT}",
                    account.login
                )),
            ),
        )
        .await?;
    Ok((token, secret))
}

/// Revokes `account`'s token `id`: it stops working at once.
pub async fn revoke_token(
    store: &Store,
    account: &Account,
    id: i64,
    actor: &Actor,
) -> Result<(), AccountError> {
    let revoked = store
        .revoke_token(
            account.id,
            id,
            &actor.entry("token-revoked", None, Some(format!("of {}", account.login))),
        )
        .await?;
    if revoked {
        Ok(())
    } else {
        Err(AccountError::NoSuchToken(id))
    }
}

/// The account a token (as sent) acts for: when it is a `submit` token not revoked, of an
/// enabled account.
pub async fn token_account(store: &Store, token: &str) -> Result<Option<Account>, StorageError> {
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 200 {
        return Ok(None);
    }
    Ok(store
        .use_token(&token_digest(token), TOKEN_SCOPE_SUBMIT)
        .await?
        .map(|(_, account)| account))
}

/// Why a sign-in failed. Readers are told only "wrong login or password" either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInRefused {
    /// No account has that login. What was typed is not kept anywhere: it may be a
    /// password typed into the login box.
    UnknownLogin,
    WrongPassword,
    Disabled,
}

/// Checks a sign-in: the account when the password matches an enabled account. Takes as
/// long for an unknown login as for a wrong password.
pub async fn check_sign_in(
    store: &Store,
    login: &str,
    password: &str,
) -> Result<Result<Account, SignInRefused>, StorageError> {
    match store.account_for_sign_in(login.trim()).await? {
        None => {
            verify_password(password, decoy_hash()).await;
            Ok(Err(SignInRefused::UnknownLogin))
        }
        Some((account, hash)) => {
            if !verify_password(password, &hash).await {
                Ok(Err(SignInRefused::WrongPassword))
            } else if account.is_disabled() {
                Ok(Err(SignInRefused::Disabled))
            } else {
                Ok(Ok(account))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(login: &str) -> NewAccount {
        NewAccount {
            login: login.into(),
            public_name: "A. Tester".into(),
            organisation: None,
            email: None,
            role: Role::Contributor,
        }
    }

    #[test]
    fn logins_are_plain_and_short() {
        assert!(checked(new("wang.li@example")).is_ok());
        for bad in ["", "two words", "<script>", &"x".repeat(65), "名字"] {
            assert!(
                matches!(checked(new(bad)), Err(AccountError::BadLogin(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn emails_need_an_at_and_a_domain() {
        let mut a = new("li");
        a.email = Some("nobody".into());
        assert!(matches!(checked(a.clone()), Err(AccountError::BadEmail(_))));
        a.email = Some("li@example.org".into());
        assert_eq!(checked(a).unwrap().email.as_deref(), Some("li@example.org"));
    }

    #[test]
    fn generated_passwords_are_long_enough_and_differ() {
        let (a, b) = (new_password(), new_password());
        assert_ne!(a, b);
        assert!(check_password(&a).is_ok());
    }

    #[tokio::test]
    async fn a_hash_is_argon2id_and_checks_only_its_password() {
        let hash = hash_password("correct horse battery").await.unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse battery", &hash).await);
        assert!(!verify_password("correct horse batterY", &hash).await);
        assert!(matches!(
            hash_password("short").await,
            Err(AccountError::WeakPassword)
        ));
    }
}
