//! [`AccountStore`] on both backends, written once on the portable connection layer
//! ([`crate::sql::Conn`]). A backend only says how it runs a read and a write
//! transaction ([`AccountTx`]); writes take the same writers' lock as the write path,
//! each in its own transaction with its audit row.

use chrono::Utc;

use crate::accounts::*;
use crate::sql::{self, Conn, Row, params};
use crate::{Result, StoreError};

/// How a backend runs the accounts' transactions.
pub(crate) trait AccountTx: Send + Sync {
    /// `f` on a connection that sees committed data.
    fn accounts_read<T>(&self, f: impl FnOnce(&dyn Conn) -> Result<T>) -> Result<T>;
    /// `f` in one write transaction, committed when it returns `Ok`, that holds the
    /// writers' lock (the audit id is the next one).
    fn accounts_write<T>(&self, f: impl FnOnce(&dyn Conn) -> Result<T>) -> Result<T>;
}

const USER_COLS: &str = "u.id, u.login, u.display_name, u.email, u.role, u.organisation, u.strategy, u.disabled, u.created_at";
const USER_WIDTH: usize = 9;

fn user_row(r: &Row, i: usize) -> Result<User> {
    let role: String = r.get(i + 4)?;
    Ok(User {
        id: r.get(i)?,
        login: r.get(i + 1)?,
        display_name: r.get(i + 2)?,
        email: r.get(i + 3)?,
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::Internal(format!("account role `{role}` is unknown")))?,
        organisation: r.get(i + 5)?,
        strategy: r.get(i + 6)?,
        disabled: r.get(i + 7)?,
        created_at: r.get(i + 8)?,
    })
}

const TOKEN_COLS: &str =
    "t.id, t.user_id, t.name, t.scope, t.created_at, t.expires_at, t.revoked_at, t.last_used_at";

fn token_row(r: &Row, i: usize) -> Result<ApiToken> {
    Ok(ApiToken {
        id: r.get(i)?,
        user_id: r.get(i + 1)?,
        name: r.get(i + 2)?,
        scope: r.get(i + 3)?,
        created_at: r.get(i + 4)?,
        expires_at: r.get(i + 5)?,
        revoked_at: r.get(i + 6)?,
        last_used_at: r.get(i + 7)?,
    })
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Appends the audit row of an account change. Secrets never reach the summary.
fn audit(c: &dyn Conn, actor: &str, operation: &str, summary: serde_json::Value) -> Result<i64> {
    let id: i64 = sql::one(c, "SELECT COALESCE(MAX(id), 0) + 1 FROM audit", params![])?;
    c.execute(
        "INSERT INTO audit(id, at, actor, operation, summary) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, now(), actor, operation, summary.to_string()],
    )?;
    Ok(id)
}

fn users_where(c: &dyn Conn, clause: &str, params: &[&dyn sql::ToParam]) -> Result<Vec<User>> {
    let mut out = Vec::new();
    c.query(
        &format!("SELECT {USER_COLS} FROM users u {clause}"),
        params,
        &mut |r| {
            out.push(user_row(r, 0)?);
            Ok(())
        },
    )?;
    Ok(out)
}

fn user_by_id(c: &dyn Conn, id: i64) -> Result<Option<User>> {
    Ok(users_where(c, "WHERE u.id = ?1", params![id])?.pop())
}

fn exists(c: &dyn Conn, sql_text: &str, param: &str) -> Result<bool> {
    Ok(c.query_row(sql_text, params![param])?.is_some())
}

impl<S: AccountTx> AccountStore for S {
    fn create_user(&self, actor: &str, u: &NewUser) -> Result<User> {
        let login = u.login.trim().to_lowercase();
        if login.is_empty()
            || !login
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
        {
            return Err(StoreError::Unusable(format!(
                "login `{}`: use letters, digits and . _ - @ only",
                u.login
            )));
        }
        if u.role == Role::Partner && u.organisation.is_none() {
            return Err(StoreError::Unusable(
                "a partner account needs its organisation (--organisation KEY)".into(),
            ));
        }
        self.accounts_write(|c| {
            if exists(c, "SELECT 1 FROM users WHERE login = ?1", &login)? {
                return Err(StoreError::Unusable(format!(
                    "login `{login}` is already taken: choose another"
                )));
            }
            if let Some(org) = &u.organisation {
                let known = exists(
                    c,
                    "SELECT 1 FROM entities WHERE kind = 'organisation' AND key = ?1",
                    org,
                )?;
                if !known {
                    return Err(StoreError::Unusable(format!(
                        "organisation `{org}`: no such organisation in the store"
                    )));
                }
            }
            let id: i64 = sql::one(
                c,
                "INSERT INTO users(login, display_name, email, password_hash, role, organisation,
                   strategy, oidc_subject, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 RETURNING id",
                params![
                    login,
                    u.display_name,
                    u.email,
                    u.password_hash,
                    u.role.as_str(),
                    u.organisation,
                    u.strategy,
                    u.oidc_subject,
                    now()
                ],
            )?;
            audit(
                c,
                actor,
                "account: create",
                serde_json::json!({"user": id, "login": login, "role": u.role.as_str(),
                    "organisation": u.organisation, "strategy": u.strategy}),
            )?;
            user_by_id(c, id)?.ok_or_else(|| StoreError::Internal("account vanished".into()))
        })
    }

    fn users(&self) -> Result<Vec<User>> {
        self.accounts_read(|c| users_where(c, "ORDER BY u.login", params![]))
    }

    fn user(&self, id: i64) -> Result<Option<User>> {
        self.accounts_read(|c| user_by_id(c, id))
    }

    fn credentials(&self, login: &str) -> Result<Option<Credentials>> {
        let login = login.trim().to_lowercase();
        self.accounts_read(|c| {
            let row = c.query_row(
                &format!(
                    "SELECT {USER_COLS}, u.password_hash, u.failed_logins, u.locked_until
                     FROM users u WHERE u.login = ?1"
                ),
                params![login],
            )?;
            row.map(|r| {
                Ok(Credentials {
                    user: user_row(&r, 0)?,
                    password_hash: r.get(USER_WIDTH)?,
                    failed_logins: r.get(USER_WIDTH + 1)?,
                    locked_until: r.get(USER_WIDTH + 2)?,
                })
            })
            .transpose()
        })
    }

    fn user_by_oidc_subject(&self, subject: &str) -> Result<Option<User>> {
        self.accounts_read(|c| {
            Ok(users_where(c, "WHERE u.oidc_subject = ?1", params![subject])?.pop())
        })
    }

    fn update_user(&self, actor: &str, id: i64, ch: &UserChange) -> Result<User> {
        self.accounts_write(|c| {
            let Some(mut u) = user_by_id(c, id)? else {
                return Err(StoreError::Unusable(format!("no account {id}")));
            };
            if let Some(v) = &ch.display_name {
                u.display_name = v.clone();
            }
            if let Some(v) = &ch.email {
                u.email = v.clone();
            }
            if let Some(v) = ch.role {
                u.role = v;
            }
            if let Some(v) = &ch.organisation {
                u.organisation = v.clone();
            }
            if let Some(v) = &ch.strategy {
                u.strategy = v.clone();
            }
            if let Some(v) = ch.disabled {
                u.disabled = v;
            }
            if u.role == Role::Partner && u.organisation.is_none() {
                return Err(StoreError::Unusable(
                    "a partner account needs its organisation".into(),
                ));
            }
            c.execute(
                "UPDATE users SET display_name = ?2, email = ?3, role = ?4, organisation = ?5,
                   strategy = ?6, disabled = ?7 WHERE id = ?1",
                params![
                    id,
                    u.display_name,
                    u.email,
                    u.role.as_str(),
                    u.organisation,
                    u.strategy,
                    u.disabled
                ],
            )?;
            if let Some(h) = &ch.password_hash {
                c.execute(
                    "UPDATE users SET password_hash = ?2, failed_logins = 0, locked_until = NULL WHERE id = ?1",
                    params![id, h],
                )?;
            }
            if ch.password_hash.is_some() || u.disabled {
                c.execute("DELETE FROM sessions WHERE user_id = ?1", params![id])?;
            }
            audit(
                c,
                actor,
                "account: update",
                serde_json::json!({"user": id, "login": u.login, "role": u.role.as_str(),
                    "organisation": u.organisation, "strategy": u.strategy, "disabled": u.disabled,
                    "password_changed": ch.password_hash.is_some()}),
            )?;
            Ok(u)
        })
    }

    fn login_failed(&self, id: i64, lock_after: u32, lock_until: &str) -> Result<()> {
        self.accounts_write(|c| {
            c.execute(
                "UPDATE users SET failed_logins = failed_logins + 1,
                   locked_until = CASE WHEN failed_logins + 1 >= ?2 THEN ?3 ELSE locked_until END
                 WHERE id = ?1",
                params![id, lock_after, lock_until],
            )?;
            Ok(())
        })
    }

    fn login_succeeded(&self, id: i64) -> Result<()> {
        self.accounts_write(|c| {
            c.execute(
                "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?1",
                params![id],
            )?;
            Ok(())
        })
    }

    fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf: &str,
        expires_at: &str,
    ) -> Result<()> {
        self.accounts_write(|c| {
            // Expired sessions go when new ones come.
            c.execute("DELETE FROM sessions WHERE expires_at < ?1", params![now()])?;
            c.execute(
                "INSERT INTO sessions(id_hash, user_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id_hash, user_id, csrf, now(), expires_at],
            )?;
            Ok(())
        })
    }

    fn session(&self, id_hash: &str, now: &str) -> Result<Option<Session>> {
        self.accounts_read(|c| {
            let row = c.query_row(
                &format!(
                    "SELECT {USER_COLS}, s.csrf, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
                     WHERE s.id_hash = ?1 AND s.expires_at > ?2 AND u.disabled = 0"
                ),
                params![id_hash, now],
            )?;
            row.map(|r| {
                Ok(Session {
                    user: user_row(&r, 0)?,
                    csrf: r.get(USER_WIDTH)?,
                    expires_at: r.get(USER_WIDTH + 1)?,
                })
            })
            .transpose()
        })
    }

    fn delete_session(&self, id_hash: &str) -> Result<()> {
        self.accounts_write(|c| {
            c.execute("DELETE FROM sessions WHERE id_hash = ?1", params![id_hash])?;
            Ok(())
        })
    }

    fn delete_sessions_of(&self, user_id: i64) -> Result<()> {
        self.accounts_write(|c| {
            c.execute("DELETE FROM sessions WHERE user_id = ?1", params![user_id])?;
            Ok(())
        })
    }

    fn create_token(
        &self,
        actor: &str,
        user_id: i64,
        name: &str,
        secret_hash: &str,
        scope: &str,
        expires_at: Option<&str>,
    ) -> Result<ApiToken> {
        if !matches!(scope, "read" | "write") {
            return Err(StoreError::Unusable(format!(
                "scope `{scope}`: use read or write"
            )));
        }
        if name.trim().is_empty() {
            return Err(StoreError::Unusable("a token needs a name".into()));
        }
        self.accounts_write(|c| {
            let id: i64 = sql::one(
                c,
                "INSERT INTO api_tokens(user_id, name, secret_hash, scope, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
                params![user_id, name.trim(), secret_hash, scope, now(), expires_at],
            )?;
            audit(
                c,
                actor,
                "account: create token",
                serde_json::json!({"user": user_id, "token": id, "name": name.trim(), "scope": scope}),
            )?;
            let row = c
                .query_row(
                    &format!("SELECT {TOKEN_COLS} FROM api_tokens t WHERE t.id = ?1"),
                    params![id],
                )?
                .ok_or_else(|| StoreError::Internal("token vanished".into()))?;
            token_row(&row, 0)
        })
    }

    fn token(&self, secret_hash: &str, now: &str) -> Result<Option<(User, ApiToken)>> {
        let found = self.accounts_read(|c| {
            let row = c.query_row(
                &format!(
                    "SELECT {USER_COLS}, {TOKEN_COLS} FROM api_tokens t JOIN users u ON u.id = t.user_id
                     WHERE t.secret_hash = ?1 AND t.revoked_at IS NULL AND u.disabled = 0
                       AND (t.expires_at IS NULL OR t.expires_at > ?2)"
                ),
                params![secret_hash, now],
            )?;
            row.map(|r| Ok((user_row(&r, 0)?, token_row(&r, USER_WIDTH)?)))
                .transpose()
        })?;
        if let Some((_, t)) = &found {
            // At most one write a minute per token for its "last used".
            let stale = t
                .last_used_at
                .as_deref()
                .is_none_or(|at| at[..16.min(at.len())] != now[..16.min(now.len())]);
            if stale {
                self.accounts_write(|c| {
                    c.execute(
                        "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1",
                        params![t.id, now],
                    )?;
                    Ok(())
                })?;
            }
        }
        Ok(found)
    }

    fn tokens_of(&self, user_id: i64) -> Result<Vec<ApiToken>> {
        self.accounts_read(|c| {
            let mut out = Vec::new();
            c.query(
                &format!(
                    "SELECT {TOKEN_COLS} FROM api_tokens t WHERE t.user_id = ?1 ORDER BY t.id"
                ),
                params![user_id],
                &mut |r| {
                    out.push(token_row(r, 0)?);
                    Ok(())
                },
            )?;
            Ok(out)
        })
    }

    fn revoke_token(&self, actor: &str, user_id: i64, token_id: i64) -> Result<bool> {
        self.accounts_write(|c| {
            let n = c.execute(
                "UPDATE api_tokens SET revoked_at = ?3 WHERE id = ?1 AND user_id = ?2 AND revoked_at IS NULL",
                params![token_id, user_id, now()],
            )?;
            if n > 0 {
                audit(
                    c,
                    actor,
                    "account: revoke token",
                    serde_json::json!({"user": user_id, "token": token_id}),
                )?;
            }
            Ok(n > 0)
        })
    }
}
