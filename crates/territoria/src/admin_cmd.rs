//! `territoria admin …`: accounts from the command line (the first admin, resets).

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};
use clap::{Subcommand, ValueEnum};
use territoria_store::{NewUser, Role, Store, UserChange};

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create an account. The password is read from standard input with
    /// --password-stdin; otherwise a strong one is generated and printed once.
    CreateUser {
        /// Sign-in name (letters, digits, . _ - @)
        #[arg(long)]
        login: String,
        /// Name shown in the history of changes (default: the login)
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// A partner's organisation (its key, e.g. `awt`)
        #[arg(long)]
        organisation: Option<String>,
        /// Limit an editor to one strategy (its key, e.g. `digital-wallonia`)
        #[arg(long)]
        strategy: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Read the password from the first line of standard input
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password (ends the account's sessions and lifts a lock-out).
    SetPassword {
        #[arg(long)]
        login: String,
        /// Read the password from the first line of standard input
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the accounts.
    ListUsers,
    /// Create a personal API token for an account (for automation); prints its secret once.
    CreateToken {
        #[arg(long)]
        login: String,
        /// What the token is for (shown on the account page)
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value = "write")]
        scope: ScopeArg,
        /// Days until it expires (default: never)
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// Delete the real Digiscore assessments last updated more than N days ago (their
    /// answers and scores; demo ones stay). `serve` does it daily when territoria.toml
    /// sets `[digiscore] retention_days`.
    PurgeDigiscore {
        #[arg(long)]
        older_than_days: u32,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ScopeArg {
    Read,
    Write,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Partner,
    Editor,
    Admin,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Partner => Role::Partner,
            RoleArg::Editor => Role::Editor,
            RoleArg::Admin => Role::Admin,
        }
    }
}

/// The password: from standard input, or generated (and then printed once).
fn password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            eprint!("Password (shown as you type; prefer a pipe): ");
        }
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        let pw = line.trim_end_matches(['\r', '\n']).to_owned();
        return Ok((pw, false));
    }
    Ok((territoria_auth::secret()?[..24].to_owned(), true))
}

pub fn run(store: &dyn Store, cmd: AdminCommand) -> anyhow::Result<()> {
    match cmd {
        AdminCommand::CreateUser {
            login,
            name,
            role,
            organisation,
            strategy,
            email,
            password_stdin,
        } => {
            let role = Role::from(role);
            if role == Role::Partner && organisation.is_none() {
                bail!("a partner account needs --organisation KEY (the organisation it edits for)");
            }
            let (pw, generated) = password(password_stdin)?;
            let hash = territoria_auth::hash_password(&pw).context("--password-stdin")?;
            let user = store.create_user(
                "territoria admin (CLI)",
                &NewUser {
                    display_name: name.unwrap_or_else(|| login.clone()),
                    login,
                    email,
                    password_hash: Some(hash),
                    role,
                    organisation,
                    strategy,
                    oidc_subject: None,
                },
            )?;
            eprintln!(
                "Account `{}` created ({}{}).",
                user.login,
                user.role.as_str(),
                user.organisation
                    .as_deref()
                    .map(|o| format!(" of {o}"))
                    .unwrap_or_default()
            );
            if generated {
                println!("{pw}");
                eprintln!(
                    "Its password is printed above, once: give it to its owner, who signs in at /fr/connexion."
                );
            }
            Ok(())
        }
        AdminCommand::SetPassword {
            login,
            password_stdin,
        } => {
            let Some(c) = store.credentials(&login)? else {
                bail!("no account `{login}` (see `territoria admin list-users`)");
            };
            let (pw, generated) = password(password_stdin)?;
            let hash = territoria_auth::hash_password(&pw).context("--password-stdin")?;
            store.update_user(
                "territoria admin (CLI)",
                c.user.id,
                &UserChange {
                    password_hash: Some(hash),
                    ..Default::default()
                },
            )?;
            if generated {
                println!("{pw}");
            }
            eprintln!(
                "Password of `{}` changed; its sessions are ended.",
                c.user.login
            );
            Ok(())
        }
        AdminCommand::CreateToken {
            login,
            name,
            scope,
            expires_in_days,
        } => {
            let Some(c) = store.credentials(&login)? else {
                bail!("no account `{login}` (see `territoria admin list-users`)");
            };
            let secret = territoria_auth::new_token()?;
            let expires = expires_in_days.map(|d| {
                territoria_auth::at_offset(
                    chrono::Utc::now(),
                    std::time::Duration::from_secs(u64::from(d) * 86_400),
                )
            });
            let scope = match scope {
                ScopeArg::Read => "read",
                ScopeArg::Write => "write",
            };
            store.create_token(
                "territoria admin (CLI)",
                c.user.id,
                &name,
                &territoria_auth::digest(&secret),
                scope,
                expires.as_deref(),
            )?;
            println!("{secret}");
            eprintln!(
                "Token `{name}` ({scope}) created for `{}`; its secret is printed above, once.",
                c.user.login
            );
            Ok(())
        }
        AdminCommand::PurgeDigiscore { older_than_days } => {
            let n =
                territoria_server::digiscore::purge(store, older_than_days, chrono::Utc::now())?;
            eprintln!(
                "{n} Digiscore assessment(s) last updated more than {older_than_days} days ago deleted."
            );
            Ok(())
        }
        AdminCommand::ListUsers => {
            for u in store.users()? {
                println!(
                    "{}\t{}\t{}\t{}{}",
                    u.login,
                    u.role.as_str(),
                    u.organisation
                        .as_deref()
                        .or(u.strategy.as_deref())
                        .unwrap_or("-"),
                    u.display_name,
                    if u.disabled { "\t(disabled)" } else { "" }
                );
            }
            Ok(())
        }
    }
}
