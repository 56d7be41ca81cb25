//! `territoria` — the one binary: CLI, configuration and wiring. No business rules
//! live here: commands call the store, the exchange formats, the reference/demo
//! loaders and the server.

mod admin_cmd;
mod config;
mod hydro_cmd;
mod signals_cmd;

use std::io::{BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use territoria_exchange::{Collection, CsvOptions, ExchangeError, Format, ImportOptions};
use territoria_refdata::demo::DemoOptions;
use territoria_store::{PgStore, SqliteStore, Store, StoreError};

use crate::config::Config;

// mimalloc rather than glibc's allocator: a CSV import parses on one thread and writes
// on another, so most blocks are freed by a thread other than the one that allocated
// them, which glibc serialises on its arena locks (measured: the 100,000-row import's
// write loop took 1.0–1.5 s with glibc, 0.65–0.75 s with mimalloc).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "territoria",
    version,
    about = "Territoria — territorial intelligence platform (represent, understand, prescribe)",
    long_about = "Territoria — territorial intelligence platform.\n\nOne binary with embedded storage: `territoria serve` creates the store on first run (real reference data, the Digital Wallonia strategy and a synthetic demo ecosystem) and serves the API and pages."
)]
struct Cli {
    /// Configuration file (TOML: data_dir, database, listen, write_token). Default: ./territoria.toml if present.
    #[arg(long, global = true, env = "TERRITORIA_CONFIG")]
    config: Option<PathBuf>,
    /// Where the store lives (created if needed). Default: ./territoria-data
    #[arg(long, global = true, env = "TERRITORIA_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// When this command creates the store: give it the reference data and the
    /// strategies only, without the synthetic demo ecosystem.
    #[arg(long, global = true, env = "TERRITORIA_NO_DEMO")]
    no_demo: bool,
    /// Keep the store in PostgreSQL instead (postgres://user@host/database): several
    /// servers may share it. Default: the embedded store in --data-dir.
    #[arg(
        long,
        global = true,
        env = "TERRITORIA_DATABASE",
        hide_env_values = true
    )]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and pages; on first run, create and fill the store.
    Serve {
        /// Address and port to listen on. Default: 127.0.0.1:8080
        #[arg(long, env = "TERRITORIA_LISTEN")]
        listen: Option<String>,
        /// Token that saving a magnet takes (`Authorization: Bearer TOKEN` on
        /// POST /api/magnets; the dashboard then does not offer to save). Without one,
        /// anyone who reaches the server may save: set one before listening beyond
        /// 127.0.0.1.
        #[arg(long, env = "TERRITORIA_WRITE_TOKEN", hide_env_values = true)]
        write_token: Option<String>,
        /// The server is reached through TLS (a reverse proxy terminating HTTPS):
        /// responses carry HSTS and session cookies are Secure.
        #[arg(long, env = "TERRITORIA_BEHIND_TLS")]
        behind_tls: bool,
        #[command(flatten)]
        demo: DemoArgs,
    },
    /// Generate the synthetic demo ecosystem into the store (creating it if needed).
    Demo {
        #[command(flatten)]
        demo: DemoArgs,
    },
    /// Import a collection (organisations, places, people, events, publications, actions, observations, targets) from CSV or JSON (one transaction).
    Import {
        /// organisations | places | people | events | publications | actions | observations | targets
        collection: String,
        /// The file to read (.csv or .json)
        file: PathBuf,
        /// csv or json (default: from the file extension)
        #[arg(long)]
        format: Option<String>,
        /// Commit the valid rows and report the rejected ones instead of refusing the file.
        #[arg(long)]
        skip_invalid: bool,
    },
    /// Export a collection (organisations, places, people, events, publications, actions, observations, targets) as CSV (`;`, UTF-8 BOM) or JSON.
    Export {
        /// organisations | places | people | events | publications | actions | observations | targets
        collection: String,
        /// csv or json (default: from --output's extension, else csv)
        #[arg(long)]
        format: Option<String>,
        /// File to write (default: standard output)
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// CSV delimiter (default `;`)
        #[arg(long, default_value = ";")]
        delimiter: char,
        /// Leave out the UTF-8 byte-order mark
        #[arg(long)]
        no_bom: bool,
    },
    /// Consistent copy of the store, taken while it may be serving.
    Backup {
        /// Destination file (must not exist)
        destination: PathBuf,
    },
    /// Replace the store's content with a backup, after checking the backup (the
    /// store is left unchanged when the backup is refused). The restore is audited.
    Restore {
        /// A file written by `territoria backup`
        backup: PathBuf,
    },
    /// Check the store's integrity (SQLite checks and domain rules).
    Check,
    /// Accounts: create the first admin, partners and editors; set a password.
    #[command(subcommand)]
    Admin(admin_cmd::AdminCommand),
    /// Copy a whole store to another backend: an embedded store (a .sqlite file, or a
    /// data directory) to PostgreSQL (a postgres:// URL) or back. The destination must
    /// be empty; the copy is verified by comparing both stores' exports and checking
    /// the destination.
    MigrateStore {
        /// The store to copy: a postgres:// URL, a .sqlite file or a data directory
        #[arg(long)]
        from: String,
        /// The empty store to fill: a postgres:// URL, or a .sqlite file or data
        /// directory (created)
        #[arg(long)]
        to: String,
    },
    /// Load (or reload) a strategy file such as data/strategy/digital-wallonia.toml.
    LoadStrategy { file: PathBuf },
    /// Hydrological models (GR4J daily, GR4H hourly): simulate or calibrate on a CSV series.
    #[command(subcommand)]
    Hydro(hydro_cmd::HydroCommand),
    /// Outbreak detection on count series (EARS, Farrington, CUSUM as R's surveillance).
    #[command(subcommand)]
    Signals(signals_cmd::SignalsCommand),
    /// Answer a smart magnet, e.g. 'nace-bel-2008:C AND rel:labelled' (see docs/magnets.md).
    Query {
        /// The magnet in the text form (or JSON with --json)
        magnet: String,
        /// The magnet is in the JSON form
        #[arg(long)]
        json: bool,
        /// Entity kind to search (default organisation)
        #[arg(long, default_value = "organisation")]
        kind: String,
        /// Schemes to count facets for, comma-separated
        #[arg(long, value_delimiter = ',')]
        facets: Vec<String>,
        /// Members to list
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Order of the members: name, date (oldest first), -date, relevance
        #[arg(long, default_value = "name", allow_hyphen_values = true)]
        sort: String,
    },
}

#[derive(clap::Args, Clone)]
struct DemoArgs {
    /// Number of synthetic organisations in the demo.
    #[arg(long, default_value_t = 5_000)]
    organisations: usize,
    /// Seed of the demo generator (same seed, same data).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// For benchmarks: tag each demo organisation with about this many concepts
    /// (secondary NACE activities and their NACE-BEL 2025 twins); the natural demo
    /// carries about 5.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=200))]
    tags_per_organisation: Option<u16>,
}

impl Default for DemoArgs {
    /// The defaults of the command line.
    fn default() -> Self {
        DemoArgs {
            organisations: 5_000,
            seed: 42,
            tags_per_organisation: None,
        }
    }
}

impl DemoArgs {
    fn options(&self) -> DemoOptions {
        DemoOptions {
            seed: self.seed,
            organisations: self.organisations,
        }
    }

    /// The demo's ops, densified when asked.
    fn with_density(
        &self,
        ops: impl Iterator<Item = territoria_store::Op> + 'static,
    ) -> Box<dyn Iterator<Item = territoria_store::Op>> {
        match self.tags_per_organisation {
            Some(n) => Box::new(territoria_refdata::demo::densify(
                ops,
                self.seed,
                usize::from(n),
            )),
            None => Box::new(ops),
        }
    }
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TERRITORIA_LOG")
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

/// Progress of a long job: a live bar on a terminal; otherwise (logs, CI) a line every
/// 10,000 records so the job is visibly alive.
fn report_line(what: &str, n: u64) {
    if !std::io::stderr().is_terminal() && n > 0 && n % 10_000 == 0 {
        eprintln!("progress: {what}: {n} records");
    }
}

fn counter(what: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg}: {human_pos} records ({per_sec}, {elapsed})")
            .expect("valid template"),
    );
    pb.set_message(what.to_owned());
    pb
}

/// The store the configuration names: embedded, or in PostgreSQL.
enum Opened {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl std::ops::Deref for Opened {
    type Target = dyn Store;

    fn deref(&self) -> &(dyn Store + 'static) {
        match self {
            Opened::Sqlite(s) => s,
            Opened::Postgres(s) => s,
        }
    }
}

impl Opened {
    fn schema_version(&self) -> Result<i64, StoreError> {
        match self {
            Opened::Sqlite(s) => s.schema_version(),
            Opened::Postgres(s) => s.schema_version(),
        }
    }

    /// The store to share, the PostgreSQL one again when it is one (to listen), and the
    /// accounts (both backends keep them).
    #[allow(clippy::type_complexity)]
    fn into_shared(
        self,
    ) -> (
        Arc<dyn Store>,
        Option<Arc<PgStore>>,
        Arc<dyn territoria_store::AccountStore>,
    ) {
        match self {
            Opened::Sqlite(s) => {
                let s = Arc::new(s);
                let accounts: Arc<dyn territoria_store::AccountStore> = s.clone();
                (s, None, accounts)
            }
            Opened::Postgres(s) => {
                let s = Arc::new(s);
                let accounts: Arc<dyn territoria_store::AccountStore> = s.clone();
                (s.clone(), Some(s), accounts)
            }
        }
    }

    /// What it is, for messages (never a password).
    fn describe(&self) -> String {
        match self {
            Opened::Sqlite(s) => s.path().display().to_string(),
            Opened::Postgres(s) => format!("PostgreSQL {}", s.place()),
        }
    }
}

fn open_plain(config: &Config) -> anyhow::Result<Opened> {
    match &config.database {
        Some(url) => open_location(url),
        None => open_location(&config.store_path().display().to_string()),
    }
}

/// A store by location: a postgres:// URL, a .sqlite file, or a data directory.
fn open_location(location: &str) -> anyhow::Result<Opened> {
    if config::is_postgres_url(location) {
        return Ok(Opened::Postgres(
            PgStore::open(location).context("opening the PostgreSQL store")?,
        ));
    }
    let path = Path::new(location);
    let path = if path.is_dir() {
        path.join("territoria.sqlite")
    } else {
        path.to_owned()
    };
    Ok(Opened::Sqlite(SqliteStore::open(&path).with_context(
        || format!("opening the store {}", path.display()),
    )?))
}

/// `territoria migrate-store`: copies, then compares the exports of both stores and
/// checks the destination.
fn migrate_store(from: &str, to: &str) -> anyhow::Result<()> {
    let source = open_location(from)?;
    let dest = open_location(to)?;
    let started = Instant::now();
    let pb = ProgressBar::new(1);
    pb.set_style(
        ProgressStyle::with_template("{bar:30} {human_pos}/{human_len} rows ({eta})")
            .expect("valid template"),
    );
    let mut progress = |done: u64, total: u64| {
        pb.set_length(total);
        pb.set_position(done);
        report_line("migrate-store", done);
    };
    let rows = match (&source, &dest) {
        (Opened::Sqlite(a), Opened::Postgres(b)) => {
            territoria_store::sqlite_to_postgres(a, b, &mut progress)?
        }
        (Opened::Postgres(a), Opened::Sqlite(b)) => {
            territoria_store::postgres_to_sqlite(a, b, &mut progress)?
        }
        _ => bail!(
            "migrate-store copies between an embedded store and PostgreSQL: --from and --to \
             are both {} (use `territoria backup` to copy an embedded store)",
            if matches!(source, Opened::Sqlite(_)) {
                "embedded"
            } else {
                "PostgreSQL"
            }
        ),
    };
    pb.finish_and_clear();
    eprintln!(
        "Copied {rows} rows from {} to {} in {:.1} s; verifying …",
        source.describe(),
        dest.describe(),
        started.elapsed().as_secs_f64()
    );
    let problems = dest.check()?;
    if !problems.is_empty() {
        for p in &problems {
            println!("problem: {p}");
        }
        bail!("the copy has {} problem(s)", problems.len());
    }
    for c in territoria_exchange::Collection::ALL {
        let a = export_digest(&*source, c)?;
        let b = export_digest(&*dest, c)?;
        if a != b {
            bail!(
                "the {} exported from the copy differ from the source's ({} and {} records)",
                c.as_str(),
                a.0,
                b.0
            );
        }
    }
    let (a, b) = (source.counts()?, dest.counts()?);
    if a != b {
        bail!("the copy's counts differ from the source's: {a:?} and {b:?}");
    }
    println!(
        "ok: {} entities, {} concepts, {} relations, {} observations, {} audit entries copied and verified",
        b.entities.values().sum::<u64>(),
        b.concepts,
        b.relations,
        b.observations,
        b.audit_entries
    );
    Ok(())
}

/// The number of records and a digest of a collection's JSON export.
fn export_digest(
    store: &dyn Store,
    c: territoria_exchange::Collection,
) -> anyhow::Result<(u64, u64)> {
    use std::hash::Hasher;
    struct Digest(std::collections::hash_map::DefaultHasher);
    impl Write for Digest {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.write(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut d = Digest(Default::default());
    let n = territoria_exchange::export(store, c, Format::Json, &CsvOptions::default(), &mut d)?;
    Ok((n, d.0.finish()))
}

/// Opens the store; one this command creates gets the reference data, the strategies
/// and (unless `--no-demo`) the demo ecosystem first, so that no command ever works on
/// a store without the schemes its rows name.
fn open(config: &Config, demo: &DemoArgs, no_demo: bool) -> anyhow::Result<Opened> {
    let store = open_plain(config)?;
    bootstrap(&*store, demo, no_demo)?;
    Ok(store)
}

/// Fills a fresh store (reference data, strategy, demo unless `no_demo`) in one
/// transaction; a store already filled is left as it is.
fn bootstrap(store: &dyn Store, args: &DemoArgs, no_demo: bool) -> anyhow::Result<()> {
    let demo = &args.options();
    if territoria_refdata::is_bootstrapped(store)? {
        return Ok(());
    }
    let started = Instant::now();
    let what = if no_demo {
        "Creating the store: reference data, strategies (no demo)"
    } else {
        "Creating the store: reference data, strategies, demo ecosystem"
    };
    let pb = counter(what);
    let ops = territoria_refdata::bootstrap_ops((!no_demo).then_some(demo));
    let report = territoria_refdata::load(
        store,
        if no_demo {
            "bootstrap: reference data, strategy files"
        } else {
            "bootstrap: reference data, strategy files, demo"
        },
        args.with_density(ops),
        &mut |n| {
            pb.set_position(n);
            report_line("bootstrap", n);
        },
    )
    .map_err(explain)?;
    pb.finish_and_clear();
    if no_demo {
        eprintln!(
            "Store created in {:.1} s: {} records (reference data and strategies; no demo data).",
            started.elapsed().as_secs_f64(),
            report.records,
        );
    } else {
        eprintln!(
            "Store created in {:.1} s: {} records ({} demo organisations, synthetic).",
            started.elapsed().as_secs_f64(),
            report.records,
            demo.organisations
        );
    }
    Ok(())
}

/// Turns refused records into a readable message with the fix to try.
fn explain(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::Invalid(errors) => {
            let mut msg = format!("{} invalid record(s); nothing was written:\n", errors.len());
            for e in errors.iter().take(20) {
                msg.push_str(&format!("  {e}\n"));
            }
            if errors.len() > 20 {
                msg.push_str(&format!("  … and {} more\n", errors.len() - 20));
            }
            msg.push_str(
                "Fix these rows, or re-run with --skip-invalid to import the valid rows only.",
            );
            anyhow::anyhow!(msg)
        }
        other => anyhow::Error::new(other),
    }
}

fn collection(s: &str) -> anyhow::Result<Collection> {
    Collection::parse(s).with_context(|| {
        format!(
            "unknown collection `{s}`: use {}",
            territoria_exchange::Collection::names()
        )
    })
}

fn format_of(explicit: Option<&str>, path: Option<&Path>) -> anyhow::Result<Format> {
    match explicit {
        Some(f) => Format::parse(f).with_context(|| format!("--format `{f}`: use csv or json")),
        None => Ok(path.and_then(Format::of_path).unwrap_or(Format::Csv)),
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let (listen, write_token, behind_tls) = match &cli.command {
        Command::Serve {
            listen,
            write_token,
            behind_tls,
            ..
        } => (listen.clone(), write_token.clone(), *behind_tls),
        _ => (None, None, false),
    };
    let config = Config::resolve(
        cli.config.as_deref(),
        cli.data_dir.clone(),
        cli.database.clone(),
        listen,
        write_token,
        behind_tls,
    )?;
    let no_demo = cli.no_demo;
    match cli.command {
        Command::Serve { demo, .. } => {
            let store = open(&config, &demo, no_demo)?;
            serve(store, &config)
        }
        Command::Demo { demo } => {
            let store = open_plain(&config)?;
            let opts = demo.options();
            if !territoria_refdata::is_bootstrapped(&*store)? {
                return bootstrap(&*store, &demo, false);
            }
            let started = Instant::now();
            let pb = counter("Generating the demo ecosystem");
            let report = territoria_refdata::load(
                &*store,
                &format!(
                    "demo: {} organisations, seed {}",
                    opts.organisations, opts.seed
                ),
                demo.with_density(territoria_refdata::demo::ops(&opts)),
                &mut |n| {
                    pb.set_position(n);
                    report_line("demo", n);
                },
            )
            .map_err(explain)?;
            pb.finish_and_clear();
            eprintln!(
                "Demo written in {:.1} s: {} records.",
                started.elapsed().as_secs_f64(),
                report.records
            );
            Ok(())
        }
        Command::Import {
            collection: c,
            file,
            format,
            skip_invalid,
        } => {
            let c = collection(&c)?;
            let format = format_of(format.as_deref(), Some(&file))?;
            let store = open(&config, &DemoArgs::default(), no_demo)?;
            let f = std::fs::File::open(&file)
                .with_context(|| format!("cannot open {}", file.display()))?;
            let len = f.metadata().map(|m| m.len()).unwrap_or(0);
            let pb = ProgressBar::new(len);
            pb.set_style(
                ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} {msg} ({eta})")
                    .expect("valid template"),
            );
            let mut reader = pb.wrap_read(f);
            let started = Instant::now();
            let name = file.display().to_string();
            let result = territoria_exchange::import(
                &*store,
                c,
                format,
                &name,
                &mut reader as &mut (dyn Read + Send),
                &ImportOptions {
                    skip_invalid,
                    actor: "territoria import (CLI)".into(),
                },
                &mut |n| {
                    pb.set_message(format!("{n} records"));
                    report_line("import", n);
                },
            );
            pb.finish_and_clear();
            let report = match result {
                Ok(r) => r,
                Err(ExchangeError::Store(e)) => return Err(explain(e)),
                Err(e) => return Err(e.into()),
            };
            let ins: u64 = report.write.inserted.values().sum();
            let upd: u64 = report.write.updated.values().sum();
            eprintln!(
                "Imported {name} in {:.1} s: {ins} written, {upd} updated, {} rejected (audit entry {}).",
                started.elapsed().as_secs_f64(),
                report.rejected.len(),
                report.write.audit_id.unwrap_or_default()
            );
            for r in report.rejected.iter().take(50) {
                eprintln!("  rejected: {r}");
            }
            Ok(())
        }
        Command::Export {
            collection: c,
            format,
            output,
            delimiter,
            no_bom,
        } => {
            let c = collection(&c)?;
            let format = format_of(format.as_deref(), output.as_deref())?;
            if !delimiter.is_ascii() {
                bail!("--delimiter must be one ASCII character such as ; or ,");
            }
            let store = open(&config, &DemoArgs::default(), no_demo)?;
            let csv = CsvOptions {
                delimiter: delimiter as u8,
                bom: !no_bom,
            };
            let n = match &output {
                Some(path) => {
                    // Write next to the target, then rename: no half-written export.
                    let tmp = path.with_extension("partial");
                    let f = std::fs::File::create(&tmp)
                        .with_context(|| format!("cannot create {}", tmp.display()))?;
                    let mut w = BufWriter::new(f);
                    let n = territoria_exchange::export(&*store, c, format, &csv, &mut w)?;
                    w.flush()?;
                    std::fs::rename(&tmp, path)?;
                    n
                }
                None => {
                    let stdout = std::io::stdout();
                    let mut w = BufWriter::new(stdout.lock());
                    let n = territoria_exchange::export(&*store, c, format, &csv, &mut w)?;
                    w.flush()?;
                    n
                }
            };
            eprintln!("Exported {n} {}.", c.as_str());
            Ok(())
        }
        Command::Backup { destination } => {
            let store = open(&config, &DemoArgs::default(), no_demo)?;
            let pb = ProgressBar::new(1);
            pb.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} pages").expect("valid template"),
            );
            store.backup(&destination, &mut |done, total| {
                pb.set_length(total);
                pb.set_position(done);
            })?;
            pb.finish_and_clear();
            eprintln!("Backup written to {}.", destination.display());
            Ok(())
        }
        Command::Restore { backup } => {
            if config.database.is_some() {
                bail!(
                    "restore replaces an embedded store; for PostgreSQL, use `territoria migrate-store --from BACKUP.sqlite --to postgres://…` into an empty database"
                );
            }
            let path = config.store_path();
            let store = SqliteStore::open(&path)
                .with_context(|| format!("opening the store {}", path.display()))?;
            let restored = store
                .restore(&backup, "territoria restore (CLI)")
                .context("restore refused; the store is unchanged")?;
            let problems = store.check()?;
            if !problems.is_empty() {
                bail!(
                    "the restored store fails its check ({} problem(s), first: {})",
                    problems.len(),
                    problems[0]
                );
            }
            eprintln!(
                "Restored {} into {} (backup at schema version {}, audit entry {}); check: ok.",
                backup.display(),
                path.display(),
                restored.backup_schema_version,
                restored.audit_id
            );
            Ok(())
        }
        Command::Admin(cmd) => match open(&config, &DemoArgs::default(), no_demo)? {
            Opened::Sqlite(store) => admin_cmd::run(&store, cmd),
            Opened::Postgres(store) => admin_cmd::run(&store, cmd),
        },
        Command::Check => {
            let store = open(&config, &DemoArgs::default(), no_demo)?;
            let problems = store.check()?;
            if problems.is_empty() {
                let c = store.counts()?;
                println!(
                    "ok: schema version {}, {} entities, {} concepts, {} relations, {} observations",
                    store.schema_version()?,
                    c.entities.values().sum::<u64>(),
                    c.concepts,
                    c.relations,
                    c.observations
                );
                Ok(())
            } else {
                for p in &problems {
                    println!("problem: {p}");
                }
                bail!(
                    "{} problem(s) found; restore a backup or re-import the affected data",
                    problems.len()
                )
            }
        }
        Command::Query {
            magnet,
            json,
            kind,
            facets,
            limit,
            sort,
        } => query(&config, &magnet, json, &kind, &facets, limit, &sort),
        Command::Signals(cmd) => signals_cmd::run(cmd),
        Command::LoadStrategy { file } => {
            let store = open(&config, &DemoArgs::default(), no_demo)?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let ops = territoria_refdata::strategy_file_ops(&file.display().to_string(), &text)
                .map_err(|e| anyhow::anyhow!(e))?;
            let report = territoria_refdata::load(
                &*store,
                &format!("load strategy {}", file.display()),
                ops,
                &mut |_| {},
            )
            .map_err(explain)?;
            eprintln!("Strategy loaded: {} records.", report.records);
            Ok(())
        }
        Command::Hydro(cmd) => hydro_cmd::run(cmd),
        Command::MigrateStore { from, to } => migrate_store(&from, &to),
    }
}

fn query(
    config: &Config,
    magnet: &str,
    json: bool,
    kind: &str,
    facets: &[String],
    limit: usize,
    sort: &str,
) -> anyhow::Result<()> {
    let sort = territoria_magnet::Sort::parse(sort).with_context(|| {
        format!("--sort {sort}: use name, date (oldest first), -date (newest first) or relevance")
    })?;
    use territoria_magnet::query::Query;
    let q = if json {
        Query::from_json(magnet)
    } else {
        territoria_magnet::query::parse(magnet)
    }
    .map_err(|e| anyhow::anyhow!("the magnet: {e}"))?;
    let kind = territoria_model::EntityKind::parse(kind)
        .with_context(|| format!("--kind `{kind}`: use organisation, action, place, …"))?;
    let store = open(config, &DemoArgs::default(), false)?;
    let started = Instant::now();
    let index = territoria_magnet::Index::build(&*store)?;
    let built = started.elapsed();
    let started = Instant::now();
    let result = index
        .search_sorted(&q, kind, facets, sort, limit, 0, 10)
        .map_err(|e| anyhow::anyhow!("the magnet: {e}"))?;
    let answered = started.elapsed();
    println!("{}", serde_json::to_string_pretty(&result)?);
    eprintln!(
        "{} members (index built in {:.2} s, answered in {:.1} ms).",
        result.total,
        built.as_secs_f64(),
        answered.as_secs_f64() * 1000.0
    );
    Ok(())
}

fn serve(store: Opened, config: &Config) -> anyhow::Result<()> {
    if store.counts()?.demo_entities == 0 {
        eprintln!(
            "This store holds no demo data: the pages show the real reference data and strategies only (`territoria demo` adds a synthetic ecosystem)."
        );
    }
    // SensorThings (and the time-series engine under it) run on the embedded store.
    let sta_path = match &store {
        Opened::Sqlite(s) => Some(s.path().to_owned()),
        Opened::Postgres(_) => None,
    };
    let (store, postgres, accounts) = store.into_shared();
    let started = Instant::now();
    territoria_server::security::set_behind_tls(config.behind_tls);
    let state = territoria_server::AppState::new(store)
        .context("building the magnet index")?
        .with_write_token(config.write_token.clone())
        .with_oidc(
            config
                .oidc
                .clone()
                .map(territoria_server::account::oidc::Provider::new)
                .transpose()
                .map_err(|e| anyhow::anyhow!("the configuration's [oidc]: {e}"))?,
        );
    let state = state
        .with_accounts(accounts)
        .with_backup_dir(Some(config.data_dir.join("backups")))
        .with_sta(
            sta_path
                .map(|p| territoria_server::sta::open(&p))
                .transpose()
                .context("opening the SensorThings service")?,
        );
    if let Some(pg) = postgres {
        // Several servers on one database: each write, by any of them or an import,
        // is announced (NOTIFY) and the smart-magnet index catches up at once from the
        // audit log; the periodic refresh below covers announcements lost with a
        // connection.
        let s = state.clone();
        pg.on_write(move |audit_id| match s.refresh() {
            Ok(done) => tracing::debug!(audit_id, ?done, "caught up with a write"),
            Err(e) => tracing::warn!(audit_id, error = %e, "magnet index refresh failed"),
        })
        .context("listening for writes on PostgreSQL")?;
    }
    if let Some(days) = config.digiscore_retention_days {
        // Retention of Digiscore assessments: now, then once a day.
        let store = state.store.clone();
        std::thread::Builder::new()
            .name("digiscore-retention".into())
            .spawn(move || {
                loop {
                    match territoria_server::digiscore::purge(
                        store.as_ref(),
                        days,
                        chrono::Utc::now(),
                    ) {
                        Ok(n) => tracing::info!(n, days, "digiscore retention applied"),
                        Err(e) => tracing::error!(error = %e, "digiscore retention failed"),
                    }
                    std::thread::sleep(std::time::Duration::from_secs(24 * 3600));
                }
            })
            .context("starting the Digiscore retention thread")?;
    }
    if state.write_token.is_none() && !config.listen.ip().is_loopback() {
        eprintln!(
            "Warning: listening on {} without a write token: anyone who reaches the server can save magnets. Set write_token (or --write-token / TERRITORIA_WRITE_TOKEN).",
            config.listen
        );
    }
    eprintln!(
        "Smart-magnet index built in {:.2} s ({} entities).",
        started.elapsed().as_secs_f64(),
        state.magnets.read().len()
    );
    let app = territoria_server::router(state.clone());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on {}: is another program using it? Try --listen 127.0.0.1:8081",
                    config.listen
                )
            })?;
        let addr = listener.local_addr()?;
        // Writes by other processes (an import next to the server) reach the
        // smart-magnet index within this period.
        state.spawn_refresh(std::time::Duration::from_secs(2));
        println!("Territoria est prêt / is ready: http://{addr}/");
        std::io::stdout().flush().ok();
        // The peer address reaches the handlers (sign-in throttling by address).
        let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .context("serving")
    })
}
