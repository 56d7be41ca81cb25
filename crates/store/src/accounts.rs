//! Accounts, sessions and personal API tokens: what the store keeps of them.
//!
//! The store keeps hashes only — argon2id password hashes (PHC strings) and SHA-256
//! digests of session ids and API tokens — computed by the caller (`territoria-auth`);
//! nothing here sees a password or a token. Every change to an account or a token is
//! an audit row (operation `account: …`), like any other write.

use serde::Serialize;

use crate::Result;

/// A role: what an account may do (see `territoria-auth` for the rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Edits the actions, indicators and observations of its own organisation.
    Partner,
    /// Edits everything in a strategy (or in all, when not scoped).
    Editor,
    /// Everything, accounts, taxonomies and restore included.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Partner, Role::Editor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Partner => "partner",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// An account as the rest of the product sees it (no hash).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: Role,
    /// A partner's organisation (entity key).
    pub organisation: Option<String>,
    /// An editor's strategy (key); `None`: every strategy.
    pub strategy: Option<String>,
    pub disabled: bool,
    pub created_at: String,
}

/// A new account.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    pub login: String,
    pub display_name: String,
    pub email: Option<String>,
    /// argon2id PHC string; `None` for an account that only signs in through OpenID Connect.
    pub password_hash: Option<String>,
    pub role: Role,
    pub organisation: Option<String>,
    pub strategy: Option<String>,
    /// The identity provider's subject (`iss|sub`), for OpenID Connect sign-in.
    pub oidc_subject: Option<String>,
}

/// What a login attempt needs: the account, its hash and its lock-out state.
#[derive(Debug, Clone, PartialEq)]
pub struct Credentials {
    pub user: User,
    pub password_hash: Option<String>,
    pub failed_logins: u32,
    /// RFC 3339; sign-in refused until then.
    pub locked_until: Option<String>,
}

/// A changed account (fields left `None` keep their value).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserChange {
    pub display_name: Option<String>,
    pub email: Option<Option<String>>,
    pub role: Option<Role>,
    pub organisation: Option<Option<String>>,
    pub strategy: Option<Option<String>>,
    pub disabled: Option<bool>,
    pub password_hash: Option<String>,
}

/// A session (the cookie holds its id; the store its SHA-256).
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub user: User,
    /// The session's anti-CSRF token (random, sent back by every form).
    pub csrf: String,
    pub expires_at: String,
}

/// A personal API token (its secret is shown once, at creation).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// `read` or `write`.
    pub scope: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
}

/// The accounts part of a store.
pub trait AccountStore: Send + Sync {
    /// Creates an account (audited). A login already taken is refused.
    fn create_user(&self, actor: &str, user: &NewUser) -> Result<User>;
    fn users(&self) -> Result<Vec<User>>;
    fn user(&self, id: i64) -> Result<Option<User>>;
    /// By login (case-insensitive), with what a sign-in checks.
    fn credentials(&self, login: &str) -> Result<Option<Credentials>>;
    fn user_by_oidc_subject(&self, subject: &str) -> Result<Option<User>>;
    /// Changes an account (audited).
    fn update_user(&self, actor: &str, id: i64, change: &UserChange) -> Result<User>;
    /// A failed sign-in: counts it and, from `lock_after` failures, locks the account
    /// until `lock_until`.
    fn login_failed(&self, id: i64, lock_after: u32, lock_until: &str) -> Result<()>;
    /// A successful sign-in: resets the failure count.
    fn login_succeeded(&self, id: i64) -> Result<()>;

    fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf: &str,
        expires_at: &str,
    ) -> Result<()>;
    /// A live session (not expired at `now`, its account not disabled).
    fn session(&self, id_hash: &str, now: &str) -> Result<Option<Session>>;
    fn delete_session(&self, id_hash: &str) -> Result<()>;
    /// Ends every session of an account (password change, disabling).
    fn delete_sessions_of(&self, user_id: i64) -> Result<()>;

    /// Creates a token (audited) and returns it.
    fn create_token(
        &self,
        actor: &str,
        user_id: i64,
        name: &str,
        secret_hash: &str,
        scope: &str,
        expires_at: Option<&str>,
    ) -> Result<ApiToken>;
    /// The account and token a secret's hash names, if the token is live at `now`;
    /// records its use.
    fn token(&self, secret_hash: &str, now: &str) -> Result<Option<(User, ApiToken)>>;
    fn tokens_of(&self, user_id: i64) -> Result<Vec<ApiToken>>;
    /// Revokes a token of `user_id` (audited); false when it has no such token.
    fn revoke_token(&self, actor: &str, user_id: i64, token_id: i64) -> Result<bool>;
}
