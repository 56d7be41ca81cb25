//! [`AccountStore`] on SQLite. Writes go through the writer connection, each in its
//! own transaction with its audit row; reads through the reader pool.

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::accounts::*;
use crate::{Result, SqliteStore, StoreError};

const USER_COLS: &str = "u.id, u.login, u.display_name, u.email, u.role, u.organisation, u.strategy, u.disabled, u.created_at";

fn user_row(r: &Row, i: usize) -> rusqlite::Result<User> {
    let role: String = r.get(i + 4)?;
    Ok(User {
        id: r.get(i)?,
        login: r.get(i + 1)?,
        display_name: r.get(i + 2)?,
        email: r.get(i + 3)?,
        role: Role::parse(&role).unwrap_or(Role::Partner),
        organisation: r.get(i + 5)?,
        strategy: r.get(i + 6)?,
        disabled: r.get(i + 7)?,
        created_at: r.get(i + 8)?,
    })
}

const TOKEN_COLS: &str =
    "t.id, t.user_id, t.name, t.scope, t.created_at, t.expires_at, t.revoked_at, t.last_used_at";

fn token_row(r: &Row, i: usize) -> rusqlite::Result<ApiToken> {
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
fn audit(c: &Connection, actor: &str, operation: &str, summary: serde_json::Value) -> Result<i64> {
    let id: i64 = c.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM audit", [], |r| {
        r.get(0)
    })?;
    c.execute(
        "INSERT INTO audit(id, at, actor, operation, summary) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, now(), actor, operation, summary.to_string()],
    )?;
    Ok(id)
}

fn user_by_id(c: &Connection, id: i64) -> Result<Option<User>> {
    Ok(
        c.prepare_cached(&format!("SELECT {USER_COLS} FROM users u WHERE u.id = ?1"))?
            .query_row([id], |r| user_row(r, 0))
            .optional()?,
    )
}

impl SqliteStore {
    fn write_tx<T>(&self, f: impl FnOnce(&rusqlite::Transaction) -> Result<T>) -> Result<T> {
        let mut conn = self.writer.lock().expect("writer poisoned");
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

impl AccountStore for SqliteStore {
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
        self.write_tx(|tx| {
            let taken: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM users WHERE login = ?1)",
                [&login],
                |r| r.get(0),
            )?;
            if taken {
                return Err(StoreError::Unusable(format!(
                    "login `{login}` is already taken: choose another"
                )));
            }
            if let Some(org) = &u.organisation {
                let known: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM entities WHERE kind = 'organisation' AND key = ?1)",
                    [org],
                    |r| r.get(0),
                )?;
                if !known {
                    return Err(StoreError::Unusable(format!(
                        "organisation `{org}`: no such organisation in the store"
                    )));
                }
            }
            tx.execute(
                "INSERT INTO users(login, display_name, email, password_hash, role, organisation,
                   strategy, oidc_subject, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
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
            let id = tx.last_insert_rowid();
            audit(
                tx,
                actor,
                "account: create",
                serde_json::json!({"user": id, "login": login, "role": u.role.as_str(),
                    "organisation": u.organisation, "strategy": u.strategy}),
            )?;
            user_by_id(tx, id)?.ok_or_else(|| StoreError::Internal("account vanished".into()))
        })
    }

    fn users(&self) -> Result<Vec<User>> {
        self.read(|c| {
            let mut st = c.prepare(&format!("SELECT {USER_COLS} FROM users u ORDER BY u.login"))?;
            let rows = st.query_map([], |r| user_row(r, 0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    fn user(&self, id: i64) -> Result<Option<User>> {
        self.read(|c| user_by_id(c, id))
    }

    fn credentials(&self, login: &str) -> Result<Option<Credentials>> {
        let login = login.trim().to_lowercase();
        self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {USER_COLS}, u.password_hash, u.failed_logins, u.locked_until FROM users u WHERE u.login = ?1"
            ))?
            .query_row([login], |r| {
                Ok(Credentials {
                    user: user_row(r, 0)?,
                    password_hash: r.get(9)?,
                    failed_logins: r.get(10)?,
                    locked_until: r.get(11)?,
                })
            })
            .optional()?)
        })
    }

    fn user_by_oidc_subject(&self, subject: &str) -> Result<Option<User>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {USER_COLS} FROM users u WHERE u.oidc_subject = ?1"
            ))?
            .query_row([subject], |r| user_row(r, 0))
            .optional()?)
        })
    }

    fn update_user(&self, actor: &str, id: i64, ch: &UserChange) -> Result<User> {
        self.write_tx(|tx| {
            let Some(mut u) = user_by_id(tx, id)? else {
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
            tx.execute(
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
                tx.execute(
                    "UPDATE users SET password_hash = ?2, failed_logins = 0, locked_until = NULL WHERE id = ?1",
                    params![id, h],
                )?;
            }
            if ch.password_hash.is_some() || u.disabled {
                tx.execute("DELETE FROM sessions WHERE user_id = ?1", [id])?;
            }
            audit(
                tx,
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
        self.write_tx(|tx| {
            tx.execute(
                "UPDATE users SET failed_logins = failed_logins + 1,
                   locked_until = CASE WHEN failed_logins + 1 >= ?2 THEN ?3 ELSE locked_until END
                 WHERE id = ?1",
                params![id, lock_after, lock_until],
            )?;
            Ok(())
        })
    }

    fn login_succeeded(&self, id: i64) -> Result<()> {
        self.write_tx(|tx| {
            tx.execute(
                "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?1",
                [id],
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
        self.write_tx(|tx| {
            // Expired sessions go when new ones come.
            tx.execute("DELETE FROM sessions WHERE expires_at < ?1", [now()])?;
            tx.execute(
                "INSERT INTO sessions(id_hash, user_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id_hash, user_id, csrf, now(), expires_at],
            )?;
            Ok(())
        })
    }

    fn session(&self, id_hash: &str, now: &str) -> Result<Option<Session>> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {USER_COLS}, s.csrf, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.id_hash = ?1 AND s.expires_at > ?2 AND u.disabled = 0"
            ))?
            .query_row(params![id_hash, now], |r| {
                Ok(Session {
                    user: user_row(r, 0)?,
                    csrf: r.get(9)?,
                    expires_at: r.get(10)?,
                })
            })
            .optional()?)
        })
    }

    fn delete_session(&self, id_hash: &str) -> Result<()> {
        self.write_tx(|tx| {
            tx.execute("DELETE FROM sessions WHERE id_hash = ?1", [id_hash])?;
            Ok(())
        })
    }

    fn delete_sessions_of(&self, user_id: i64) -> Result<()> {
        self.write_tx(|tx| {
            tx.execute("DELETE FROM sessions WHERE user_id = ?1", [user_id])?;
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
        self.write_tx(|tx| {
            tx.execute(
                "INSERT INTO api_tokens(user_id, name, secret_hash, scope, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![user_id, name.trim(), secret_hash, scope, now(), expires_at],
            )?;
            let id = tx.last_insert_rowid();
            audit(
                tx,
                actor,
                "account: create token",
                serde_json::json!({"user": user_id, "token": id, "name": name.trim(), "scope": scope}),
            )?;
            Ok(tx
                .prepare_cached(&format!("SELECT {TOKEN_COLS} FROM api_tokens t WHERE t.id = ?1"))?
                .query_row([id], |r| token_row(r, 0))?)
        })
    }

    fn token(&self, secret_hash: &str, now: &str) -> Result<Option<(User, ApiToken)>> {
        let found = self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {USER_COLS}, {TOKEN_COLS} FROM api_tokens t JOIN users u ON u.id = t.user_id
                 WHERE t.secret_hash = ?1 AND t.revoked_at IS NULL AND u.disabled = 0
                   AND (t.expires_at IS NULL OR t.expires_at > ?2)"
            ))?
            .query_row(params![secret_hash, now], |r| {
                Ok((user_row(r, 0)?, token_row(r, 9)?))
            })
            .optional()?)
        })?;
        if let Some((_, t)) = &found {
            // At most one write a minute per token for its "last used".
            let stale = t
                .last_used_at
                .as_deref()
                .is_none_or(|at| at[..16.min(at.len())] != now[..16.min(now.len())]);
            if stale {
                self.write_tx(|tx| {
                    tx.execute(
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
        self.read(|c| {
            let mut st = c.prepare(&format!(
                "SELECT {TOKEN_COLS} FROM api_tokens t WHERE t.user_id = ?1 ORDER BY t.id"
            ))?;
            let rows = st.query_map([user_id], |r| token_row(r, 0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    fn revoke_token(&self, actor: &str, user_id: i64, token_id: i64) -> Result<bool> {
        self.write_tx(|tx| {
            let n = tx.execute(
                "UPDATE api_tokens SET revoked_at = ?3 WHERE id = ?1 AND user_id = ?2 AND revoked_at IS NULL",
                params![token_id, user_id, now()],
            )?;
            if n > 0 {
                audit(
                    tx,
                    actor,
                    "account: revoke token",
                    serde_json::json!({"user": user_id, "token": token_id}),
                )?;
            }
            Ok(n > 0)
        })
    }
}
