//! The real binary, end to end: bootstrap, serve, import errors, export, backup, check,
//! and a `kill -9` in the middle of a large import.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use territoria_model::{EntityKind, Kbo};
use territoria_store::{EntityQuery, SqliteStore, Store};

mod signals;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_territoria"));
    c.env_remove("TERRITORIA_CONFIG")
        .env_remove("TERRITORIA_LISTEN")
        .env("TERRITORIA_LOG", "warn");
    c
}

fn run(data: &Path, args: &[&str]) -> Output {
    bin()
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .unwrap()
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn demo_store(dir: &tempfile::TempDir) -> PathBuf {
    let data = dir.path().join("data");
    ok(&run(&data, &["demo", "--organisations", "300"]));
    data
}

fn count_orgs(data: &Path, prefix: &str) -> u64 {
    let store = SqliteStore::open(&data.join("territoria.sqlite")).unwrap();
    store
        .entities(&EntityQuery {
            kind: EntityKind::Organisation,
            concepts: vec![],
            text: Some(prefix.into()),
            demo: None,
            limit: 1,
            offset: 0,
        })
        .unwrap()
        .total
}

const HEADER: &str = "id;name_fr;kbo;nace_2008;municipality;kind;source;demo\n";

fn big_csv(path: &Path, rows: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    f.write_all(HEADER.as_bytes()).unwrap();
    for i in 0..rows {
        let kbo = Kbo::from_base(19_000_000 + i as u64).unwrap();
        writeln!(
            f,
            "bulk-{i:07};Bulk {i};{kbo};62.010;62063;pme;crash test;true"
        )
        .unwrap();
    }
}

#[test]
fn bad_file_exits_non_zero_naming_the_place_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = demo_store(&dir);
    let file = dir.path().join("orgs.csv");
    std::fs::write(&file, format!("{HEADER}bulk-1;A;0403.170.701;62.010;62063;pme;t;true\nbulk-2;B;;62.011;62063;pme;t;true\n")).unwrap();
    let o = run(&data, &["import", "organisations", file.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("orgs.csv:3:4"), "{err}");
    assert!(err.contains("62.010"), "suggestion expected: {err}");
    assert!(err.contains("--skip-invalid"), "{err}");
    assert_eq!(count_orgs(&data, "bulk-"), 0);
    let o = run(
        &data,
        &[
            "import",
            "organisations",
            file.to_str().unwrap(),
            "--skip-invalid",
        ],
    );
    ok(&o);
    assert_eq!(count_orgs(&data, "bulk-"), 1);
}

#[test]
fn export_backup_and_check() {
    let dir = tempfile::tempdir().unwrap();
    let data = demo_store(&dir);
    let out = dir.path().join("orgs.csv");
    ok(&run(
        &data,
        &["export", "organisations", "--output", out.to_str().unwrap()],
    ));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with('\u{feff}'), "BOM for Excel");
    assert_eq!(
        text.lines().count(),
        1 + 300 + 6 + 7,
        "300 demo + 6 poles + 7 support actors"
    );
    assert!(text.contains(";true\n"), "demo flag exported");
    let backup = dir.path().join("copy.sqlite");
    ok(&run(&data, &["backup", backup.to_str().unwrap()]));
    let copy = dir.path().join("copy");
    std::fs::create_dir_all(&copy).unwrap();
    std::fs::rename(&backup, copy.join("territoria.sqlite")).unwrap();
    let o = run(&copy, &["check"]);
    ok(&o);
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("ok:"));
    // backup → change → restore gives back exactly the exports of the backup.
    let before = dir.path().join("before.csv");
    ok(&run(
        &data,
        &[
            "export",
            "organisations",
            "--output",
            before.to_str().unwrap(),
        ],
    ));
    let snapshot = dir.path().join("snapshot.sqlite");
    ok(&run(&data, &["backup", snapshot.to_str().unwrap()]));
    let extra = dir.path().join("extra.csv");
    big_csv(&extra, 3);
    ok(&run(
        &data,
        &["import", "organisations", extra.to_str().unwrap()],
    ));
    assert_eq!(count_orgs(&data, "Bulk"), 3);
    let o = run(&data, &["restore", snapshot.to_str().unwrap()]);
    ok(&o);
    assert!(String::from_utf8_lossy(&o.stderr).contains("check: ok"));
    let after = dir.path().join("after.csv");
    ok(&run(
        &data,
        &[
            "export",
            "organisations",
            "--output",
            after.to_str().unwrap(),
        ],
    ));
    assert_eq!(
        std::fs::read(&before).unwrap(),
        std::fs::read(&after).unwrap(),
        "identical exports after restore"
    );
    // A file that is not a backup is refused, naming it, and changes nothing.
    let o = run(&data, &["restore", out.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("orgs.csv"));
    assert_eq!(count_orgs(&data, "Bulk"), 0);
    // A second backup to the same name is refused rather than overwriting.
    std::fs::write(&backup, b"x").unwrap();
    assert!(
        !run(&data, &["backup", backup.to_str().unwrap()])
            .status
            .success()
    );
}

#[test]
fn serve_answers_on_the_printed_url() {
    let dir = tempfile::tempdir().unwrap();
    let data = demo_store(&dir);
    let mut child = bin()
        .arg("--data-dir")
        .arg(&data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.split_whitespace().last().unwrap().to_owned();
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(
        b"GET /api/strategies/digital-wallonia HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let mut body = String::new();
    s.read_to_string(&mut body).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        body.starts_with("HTTP/1.1 200"),
        "{}",
        &body[..body.len().min(300)]
    );
    assert!(body.contains("58414"), "the Last Mile figure");
}

/// `kill -9` while a large import is being written leaves a store that opens, passes
/// its checks, and holds either all of the import or none of it.
#[test]
fn kill_9_during_import_leaves_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = demo_store(&dir);
    let file = dir.path().join("big.csv");
    let rows = 150_000;
    big_csv(&file, rows);
    let mut child = bin()
        .arg("--data-dir")
        .arg(&data)
        .args(["import", "organisations", file.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The CLI prints a progress line every 10,000 records while it writes the one
    // transaction; kill it once a third of the rows are in.
    let mut finished_by_itself = true;
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        if line.starts_with("progress: import: 50000 records") {
            child.kill().unwrap(); // SIGKILL on Unix
            finished_by_itself = false;
            break;
        }
    }
    child.wait().unwrap();
    eprintln!(
        "killed in the middle of the import: {}",
        !finished_by_itself
    );
    let o = run(&data, &["check"]);
    ok(&o);
    let n = count_orgs(&data, "bulk-");
    if finished_by_itself {
        assert_eq!(n, rows as u64);
    } else {
        assert_eq!(n, 0, "a killed import must leave nothing behind");
    }
    // And the store still takes the same import afterwards.
    ok(&run(
        &data,
        &["import", "organisations", file.to_str().unwrap()],
    ));
    assert_eq!(count_orgs(&data, "bulk-"), rows as u64);
}

#[test]
fn load_strategy_reloads_the_file_and_names_the_place_of_a_mistake() {
    let dir = tempfile::tempdir().unwrap();
    let data = demo_store(&dir);
    let shipped = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/strategy/digital-wallonia.toml"
    );
    let o = run(&data, &["load-strategy", shipped]);
    ok(&o);
    let text = std::fs::read_to_string(shipped).unwrap();
    let broken = dir.path().join("broken.toml");
    // A typo in a key on line 9 of the file.
    let mut lines: Vec<&str> = text.lines().collect();
    assert!(lines[8].starts_with("name = "), "{}", lines[8]);
    lines[8] = "nmae = { fr = \"Digital Wallonia\" }";
    std::fs::write(&broken, lines.join("\n")).unwrap();
    let o = run(&data, &["load-strategy", broken.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("broken.toml:9:1"), "{err}");
    assert!(err.contains("nmae"), "{err}");
}

#[test]
fn a_command_that_creates_the_store_bootstraps_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fresh");
    let file = dir.path().join("orgs.csv");
    std::fs::write(
        &file,
        format!(
            "{HEADER}first-org;Première;{};62.010;62063;pme;a test;false\n",
            Kbo::from_base(19_900_001).unwrap()
        ),
    )
    .unwrap();
    // Into a data dir that does not exist yet: the rows name NACE-BEL and REFNIS codes,
    // which only the reference data defines.
    let out = run(
        &data,
        &[
            "--no-demo",
            "import",
            "organisations",
            file.to_str().unwrap(),
        ],
    );
    ok(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no demo data"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count_orgs(&data, "Première"), 1);
    let store = SqliteStore::open(&data.join("territoria.sqlite")).unwrap();
    let counts = store.counts().unwrap();
    assert_eq!(counts.demo_entities, 0, "--no-demo keeps the demo out");
    assert!(counts.concepts > 1000, "the reference data is there");
    drop(store);
    // `check` on another new store creates it with the demo by default.
    let other = dir.path().join("other");
    ok(&run(&other, &["check"]));
    let store = SqliteStore::open(&other.join("territoria.sqlite")).unwrap();
    assert!(store.counts().unwrap().demo_entities > 0);
}
