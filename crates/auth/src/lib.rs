//! Territoria's accounts engine — no HTTP, no SQL: what a sign-in, a session, a token
//! and an edit must satisfy.
//!
//! * Passwords: argon2id (the `argon2` crate's defaults, OWASP's recommended
//!   m = 19 MiB, t = 2, p = 1), PHC strings; at least [`MIN_PASSWORD_LEN`] characters.
//! * Secrets (session ids, API tokens, CSRF tokens): 256 random bits from the OS,
//!   base64url; the store keeps their SHA-256 only ([`digest`]).
//! * Sign-in: [`LOCK_AFTER`] failures in a row lock the account for [`LOCK_FOR`];
//!   a failure never says whether the login or the password was wrong.
//! * Who may edit what: [`may_edit`], one rule per role, on facts the caller looked up
//!   ([`Ownership`]).

use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use sha2::Digest;
use territoria_model::EntityKind;
use territoria_store::{Role, User};

/// The shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 12;
/// Failed sign-ins in a row before the account is locked.
pub const LOCK_AFTER: u32 = 5;
/// How long a locked account stays locked.
pub const LOCK_FOR: Duration = Duration::from_secs(15 * 60);
/// How long a session lives.
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);
/// The prefix of personal API tokens (so that secret scanners recognise them).
pub const TOKEN_PREFIX: &str = "terr_";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("the password must have at least {MIN_PASSWORD_LEN} characters")]
    PasswordTooShort,
    #[error("the password hash could not be computed: {0}")]
    Hash(String),
    #[error("the operating system gave no random bytes: {0}")]
    Random(String),
}

/// The argon2id hash (PHC string) of a new password, after the length rule.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(AuthError::PasswordTooShort);
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| AuthError::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AuthError::Hash(e.to_string()))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| AuthError::Hash(e.to_string()))?
        .to_string())
}

/// Whether `password` matches the PHC string `hash` (false for a malformed hash).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Spends the time of a password check when there is no account to check against, so
/// that timing does not tell which logins exist.
pub fn verify_nothing(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = DUMMY.get_or_init(|| {
        hash_password("a password nobody has, only for timing").unwrap_or_default()
    });
    let _ = verify_password(password, hash);
}

/// 256 random bits, base64url without padding.
pub fn secret() -> Result<String, AuthError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AuthError::Random(e.to_string()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// A new personal API token (shown once to its owner).
pub fn new_token() -> Result<String, AuthError> {
    Ok(format!("{TOKEN_PREFIX}{}", secret()?))
}

/// What the store keeps of a secret: its SHA-256, hex.
pub fn digest(secret: &str) -> String {
    let d = sha2::Sha256::digest(secret.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares secrets in a time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// RFC 3339 (UTC, seconds) of now plus `d`: expiry and lock-out times as the store keeps them.
pub fn at_offset(now: chrono::DateTime<chrono::Utc>, d: Duration) -> String {
    (now + chrono::Duration::from_std(d).unwrap_or_default())
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// RFC 3339 (UTC, seconds) of now.
pub fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Whether an account locked until `locked_until` (RFC 3339) is still locked at `now`.
pub fn is_locked(locked_until: Option<&str>, now: &str) -> bool {
    locked_until.is_some_and(|until| until > now)
}

/// The facts about an entity that decide who may edit it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ownership {
    /// Organisations that operate it: an action's operators; for an indicator, the
    /// operators of the action it measures.
    pub operators: Vec<String>,
    /// Strategies whose tree holds it (for an indicator, those of what it measures).
    pub strategies: Vec<String>,
}

/// Kinds that belong to the ecosystem rather than to a strategy's tree.
fn ecosystem_kind(kind: EntityKind) -> bool {
    matches!(
        kind,
        EntityKind::Organisation
            | EntityKind::Person
            | EntityKind::Event
            | EntityKind::Publication
            | EntityKind::Place
            | EntityKind::Label
            | EntityKind::Dataset
    )
}

/// Whether `user` may edit an entity of `kind` with these facts (observations and
/// targets are edited as their indicator). The rules:
/// * a partner edits the actions its organisation operates and the indicators
///   measuring them (with their observations and targets), nothing else;
/// * an editor edits everything; one scoped to a strategy, only what that strategy's
///   tree holds, plus the ecosystem (organisations, places, events, publications);
/// * an admin edits everything.
pub fn may_edit(user: &User, kind: EntityKind, facts: &Ownership) -> bool {
    if user.disabled {
        return false;
    }
    match user.role {
        Role::Admin => true,
        Role::Editor => match &user.strategy {
            None => true,
            Some(s) => ecosystem_kind(kind) || facts.strategies.iter().any(|x| x == s),
        },
        Role::Partner => {
            matches!(kind, EntityKind::Action | EntityKind::Indicator)
                && user
                    .organisation
                    .as_ref()
                    .is_some_and(|o| facts.operators.iter().any(|x| x == o))
        }
    }
}

/// Whether `user` may manage accounts, taxonomies and restore backups.
pub fn is_admin(user: &User) -> bool {
    !user.disabled && user.role == Role::Admin
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, organisation: Option<&str>, strategy: Option<&str>) -> User {
        User {
            id: 1,
            login: "u".into(),
            display_name: "U".into(),
            email: None,
            role,
            organisation: organisation.map(Into::into),
            strategy: strategy.map(Into::into),
            disabled: false,
            created_at: String::new(),
        }
    }

    fn owned_by(org: &str, strategy: &str) -> Ownership {
        Ownership {
            operators: vec![org.into()],
            strategies: vec![strategy.into()],
        }
    }

    #[test]
    fn a_partner_edits_only_what_its_organisation_operates() {
        let p = user(Role::Partner, Some("awt"), None);
        let mine = owned_by("awt", "digital-wallonia");
        let theirs = owned_by("sowalfin", "digital-wallonia");
        assert!(may_edit(&p, EntityKind::Action, &mine));
        assert!(may_edit(&p, EntityKind::Indicator, &mine));
        assert!(!may_edit(&p, EntityKind::Action, &theirs));
        assert!(
            !may_edit(&p, EntityKind::Programme, &mine),
            "not the hierarchy"
        );
        assert!(!may_edit(&p, EntityKind::Organisation, &mine));
        let mut disabled = p.clone();
        disabled.disabled = true;
        assert!(!may_edit(&disabled, EntityKind::Action, &mine));
    }

    #[test]
    fn a_scoped_editor_edits_its_strategy_and_the_ecosystem() {
        let e = user(Role::Editor, None, Some("digital-wallonia"));
        let other = owned_by("x", "circular-wallonia");
        assert!(may_edit(
            &e,
            EntityKind::Programme,
            &owned_by("x", "digital-wallonia")
        ));
        assert!(!may_edit(&e, EntityKind::Programme, &other));
        assert!(may_edit(
            &e,
            EntityKind::Organisation,
            &Ownership::default()
        ));
        assert!(may_edit(
            &user(Role::Editor, None, None),
            EntityKind::Programme,
            &other
        ));
        assert!(!is_admin(&e));
        assert!(is_admin(&user(Role::Admin, None, None)));
    }

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        assert_eq!(hash_password("short"), Err(AuthError::PasswordTooShort));
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("correct horse battery", "not a hash"));
        assert_ne!(h, hash_password("correct horse battery").unwrap(), "salted");
    }

    #[test]
    fn secrets_are_random_and_stored_as_digests() {
        let a = secret().unwrap();
        assert_eq!(a.len(), 43);
        assert_ne!(a, secret().unwrap());
        assert!(new_token().unwrap().starts_with(TOKEN_PREFIX));
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("a", "ab"));
    }

    #[test]
    fn lock_out_ends_at_its_time() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-03T10:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let until = at_offset(now, LOCK_FOR);
        assert_eq!(until, "2026-12-03T10:15:00Z");
        assert!(is_locked(Some(&until), "2026-12-03T10:14:59Z"));
        assert!(!is_locked(Some(&until), "2026-12-03T10:15:00Z"));
        assert!(!is_locked(None, "2026-12-03T10:00:00Z"));
    }
}
