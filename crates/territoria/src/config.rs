//! Layered configuration: defaults → TOML file → `TERRITORIA_*` environment
//! variables → command-line flags (clap reads the last two).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

pub const DEFAULT_DATA_DIR: &str = "territoria-data";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// What a `territoria.toml` may set.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    /// A PostgreSQL URL: the store lives there instead of in `data_dir`.
    pub database: Option<String>,
    pub listen: Option<String>,
    pub write_token: Option<String>,
    /// The server is reached through TLS (a reverse proxy terminating HTTPS): HSTS and
    /// `Secure` session cookies.
    pub behind_tls: Option<bool>,
    /// Sign-in through an OpenID Connect provider (see docs/governance.md).
    pub oidc: Option<territoria_server::account::oidc::OidcConfig>,
    pub digiscore: Option<DigiscoreConfig>,
}

/// `[digiscore]` of territoria.toml.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigiscoreConfig {
    /// Real assessments last updated longer ago than this are deleted (daily, by `serve`).
    pub retention_days: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    /// Where the store lives when it is not embedded: a PostgreSQL URL.
    pub database: Option<String>,
    pub listen: SocketAddr,
    /// The token saving a magnet takes (`None`: anyone who reaches the server may save).
    pub write_token: Option<String>,
    pub behind_tls: bool,
    pub oidc: Option<territoria_server::account::oidc::OidcConfig>,
    /// Days a real Digiscore assessment is kept after its last update (`None`: forever).
    pub digiscore_retention_days: Option<u32>,
}

/// Whether `s` names a PostgreSQL database (`postgres://` or `postgresql://`).
pub fn is_postgres_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

impl Config {
    pub fn store_path(&self) -> PathBuf {
        self.data_dir.join("territoria.sqlite")
    }

    /// Resolves the configuration. `file` is the explicit `--config`; without it,
    /// `./territoria.toml` is read when it exists.
    pub fn resolve(
        file: Option<&Path>,
        data_dir: Option<PathBuf>,
        database: Option<String>,
        listen: Option<String>,
        write_token: Option<String>,
        behind_tls: bool,
    ) -> anyhow::Result<Config> {
        let from_file = match file {
            Some(p) => Self::read(p)?,
            None if Path::new("territoria.toml").exists() => {
                Self::read(Path::new("territoria.toml"))?
            }
            None => FileConfig::default(),
        };
        let listen_text = listen
            .or(from_file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen: SocketAddr = listen_text.parse().with_context(|| {
            format!("--listen `{listen_text}` is not an address:port such as 127.0.0.1:8080")
        })?;
        let database = database
            .or(from_file.database)
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty());
        if let Some(d) = &database {
            if !is_postgres_url(d) {
                bail!(
                    "--database `{d}` is not a PostgreSQL URL such as postgres://user@host/territoria \
                     (leave it unset for the embedded store in --data-dir)"
                );
            }
        }
        Ok(Config {
            data_dir: data_dir
                .or(from_file.data_dir)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
            database,
            listen,
            write_token: write_token
                .or(from_file.write_token)
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty()),
            behind_tls: behind_tls || from_file.behind_tls.unwrap_or(false),
            oidc: from_file.oidc,
            digiscore_retention_days: from_file.digiscore.and_then(|d| d.retention_days),
        })
    }

    fn read(path: &Path) -> anyhow::Result<FileConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
        match toml::from_str(&text) {
            Ok(c) => Ok(c),
            Err(e) => {
                let (line, col) = e.span().map_or((1, 1), |s| {
                    let before = &text[..s.start.min(text.len())];
                    (
                        before.matches('\n').count() + 1,
                        before
                            .rfind('\n')
                            .map_or(before.len(), |p| before.len() - p - 1)
                            + 1,
                    )
                });
                bail!(
                    "{}:{line}:{col}: {} (allowed keys: data_dir, listen, write_token)",
                    path.display(),
                    e.message().trim()
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digiscore_retention_is_read_and_a_misspelt_key_named() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("t.toml");
        std::fs::write(&f, "[digiscore]\nretention_days = 730\n").unwrap();
        let c = Config::resolve(Some(&f), None, None, None, None, false).unwrap();
        assert_eq!(c.digiscore_retention_days, Some(730));
        std::fs::write(&f, "[digiscore]\nretention = 730\n").unwrap();
        let e = Config::resolve(Some(&f), None, None, None, None, false).unwrap_err();
        assert!(format!("{e:#}").contains("retention"), "{e:#}");
        let c = Config::resolve(None, None, None, None, None, false).unwrap();
        assert_eq!(c.digiscore_retention_days, None);
    }

    #[test]
    fn flags_override_file_which_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("t.toml");
        std::fs::write(
            &f,
            "data_dir = \"/srv/t\"\nlisten = \"0.0.0.0:9000\"\nwrite_token = \"s3cret\"\n",
        )
        .unwrap();
        let c = Config::resolve(Some(&f), None, None, None, None, false).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/srv/t"));
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.write_token.as_deref(), Some("s3cret"));
        let c = Config::resolve(
            Some(&f),
            Some("/x".into()),
            None,
            Some("127.0.0.1:1".into()),
            Some("other".into()),
            false,
        )
        .unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/x"));
        assert_eq!(c.listen.port(), 1);
        assert_eq!(c.write_token.as_deref(), Some("other"));
        let c = Config::resolve(None, None, None, None, Some(" ".into()), false).unwrap();
        assert_eq!(c.write_token, None, "a blank token is no token");
        assert!(!c.behind_tls);
        std::fs::write(&f, "behind_tls = true\n").unwrap();
        assert!(
            Config::resolve(Some(&f), None, None, None, None, false)
                .unwrap()
                .behind_tls
        );
    }

    #[test]
    fn bad_file_names_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("t.toml");
        std::fs::write(&f, "listen = \"x\"\ndata_dri = 1\n").unwrap();
        let e = Config::resolve(Some(&f), None, None, None, None, false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.toml:2:1"), "{e}");
        let e = Config::resolve(None, None, None, Some("nowhere".into()), None, false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--listen"), "{e}");
        let e = Config::resolve(None, None, Some("/var/lib/t".into()), None, None, false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--database `/var/lib/t`"), "{e}");
    }

    #[test]
    fn the_database_comes_from_the_file_unless_given() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("t.toml");
        std::fs::write(&f, "database = \"postgres://t@db1/territoria\"\n").unwrap();
        let c = Config::resolve(Some(&f), None, None, None, None, false).unwrap();
        assert_eq!(c.database.as_deref(), Some("postgres://t@db1/territoria"));
        let c = Config::resolve(
            Some(&f),
            None,
            Some("postgresql://t@db2/x".into()),
            None,
            None,
            false,
        )
        .unwrap();
        assert_eq!(c.database.as_deref(), Some("postgresql://t@db2/x"));
        let c = Config::resolve(None, None, None, None, None, false).unwrap();
        assert_eq!(c.database, None, "no database: the embedded store");
    }
}
