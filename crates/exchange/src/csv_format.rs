//! CSV reading and writing.

use std::collections::HashMap;

/// Column name → position. Looked up for every cell of every row: a fast hash.
type ColumnIndex = HashMap<String, usize, foldhash::fast::RandomState>;
use std::io::{BufRead, BufReader, Read, Write};
use std::sync::Arc;

use territoria_model::{
    Action, ActionStatus, ConceptRef, Details, Entity, EntityRef, FieldError, Kbo, Labels, Lang,
    Observation, Organisation, Period, Provenance, Relation, RelationKind, ValidationErrors,
    parse_date,
};
use territoria_store::{Located, Location, Op, Record, RecordError, Store};

use crate::{Collection, ExchangeError, split_tags, tag_columns};

#[derive(Debug, Clone)]
pub struct CsvOptions {
    pub delimiter: u8,
    pub bom: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: b';',
            bom: true,
        }
    }
}

const LANG_COLS: [Lang; 4] = [Lang::Fr, Lang::Nl, Lang::De, Lang::En];

/// The columns of a collection, in order.
pub fn header(c: Collection) -> Vec<String> {
    let mut h: Vec<String> = Vec::new();
    match c {
        Collection::Observations => {
            for s in [
                "indicator",
                "period",
                "territory",
                "value",
                "qualifier",
                "period_label",
                "note",
                "quote",
            ] {
                h.push(s.into());
            }
        }
        Collection::Targets => {
            for s in [
                "indicator",
                "due",
                "value",
                "qualifier",
                "note",
                "quote",
                "baseline_date",
                "baseline_value",
            ] {
                h.push(s.into());
            }
        }
        _ => {
            h.push("id".into());
            for l in LANG_COLS {
                h.push(format!("name_{l}"));
            }
            for l in LANG_COLS {
                h.push(format!("description_{l}"));
            }
            for s in crate::detail_columns(c) {
                h.push((*s).into());
            }
            for (col, _) in tag_columns(c) {
                h.push((*col).into());
            }
            h.push("other_tags".into());
            h.push("attributes".into());
            h.push("relations".into());
            if c == Collection::Actions {
                h.push("programmes".into());
                h.push("lead".into());
                h.push("partners".into());
            }
        }
    }
    for s in ["source", "source_date", "inferred", "demo"] {
        h.push(s.into());
    }
    h
}

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

fn relation_cell(r: &Relation) -> String {
    let mut s = format!("{}:{}", r.kind, r.object);
    if let Some(d) = r.since {
        s.push_str(&format!("@{d}"));
    }
    if let Some(d) = r.until {
        s.push_str(&format!("~{d}"));
    }
    if let Some(a) = r.amount_eur {
        s.push_str(&format!("={}", fmt_num(a)));
    }
    s
}

fn prov_cells(p: &Provenance, row: &mut Vec<String>) {
    row.push(p.source.clone());
    row.push(p.date.map(|d| d.to_string()).unwrap_or_default());
    row.push(p.inferred.to_string());
    row.push(p.demo.to_string());
}

pub fn export(
    store: &dyn Store,
    c: Collection,
    opts: &CsvOptions,
    out: &mut dyn Write,
) -> Result<u64, ExchangeError> {
    if opts.bom {
        out.write_all("\u{feff}".as_bytes())?;
    }
    let mut w = csv::WriterBuilder::new()
        .delimiter(opts.delimiter)
        .from_writer(out);
    w.write_record(header(c)).map_err(csv_io)?;
    let n = match c {
        Collection::Observations => store.export_observations(&mut |o| {
            let mut row = vec![
                o.indicator.clone(),
                territoria_model::stated_period_text(o.period.as_ref()),
                o.territory.clone().unwrap_or_default(),
                fmt_num(o.value),
                o.qualifier.clone().unwrap_or_default(),
                o.period_label.clone().unwrap_or_default(),
                o.note.clone().unwrap_or_default(),
                o.quote.clone().unwrap_or_default(),
            ];
            prov_cells(&o.provenance, &mut row);
            w.write_record(&row)
                .map_err(|e| territoria_store::StoreError::Internal(e.to_string()))
        })?,
        Collection::Targets => store.export_targets(&mut |t| {
            let mut row = vec![
                t.indicator.clone(),
                t.due.to_string(),
                fmt_num(t.value),
                t.qualifier.clone().unwrap_or_default(),
                t.note.clone().unwrap_or_default(),
                t.quote.clone().unwrap_or_default(),
                t.baseline.map(|b| b.date.to_string()).unwrap_or_default(),
                t.baseline.map(|b| fmt_num(b.value)).unwrap_or_default(),
            ];
            prov_cells(&t.provenance, &mut row);
            w.write_record(&row)
                .map_err(|e| territoria_store::StoreError::Internal(e.to_string()))
        })?,
        _ => {
            let kind = c.kind().expect("entity collection");
            store.export_entities(kind, &mut |e, relations| {
                let mut row = vec![e.key.clone()];
                for l in LANG_COLS {
                    row.push(e.name.exact(l).unwrap_or_default().to_owned());
                }
                for l in LANG_COLS {
                    row.push(e.description.exact(l).unwrap_or_default().to_owned());
                }
                match &e.details {
                    Details::Organisation(o) => {
                        row.push(o.kbo.map(|k| k.to_string()).unwrap_or_default());
                        row.push(o.founded.map(|d| d.to_string()).unwrap_or_default());
                        row.push(o.employees.map(|n| n.to_string()).unwrap_or_default());
                        row.push(o.website.clone().unwrap_or_default());
                    }
                    Details::Action(a) => {
                        row.push(a.status.as_str().into());
                        row.push(a.start.map(|d| d.to_string()).unwrap_or_default());
                        row.push(a.end.map(|d| d.to_string()).unwrap_or_default());
                        row.push(a.budget_eur.map(fmt_num).unwrap_or_default());
                    }
                    Details::Place(p) if c == Collection::Places => {
                        row.push(fmt_num(p.lat));
                        row.push(fmt_num(p.lon));
                        row.push(p.address.clone().unwrap_or_default());
                        row.push(p.postal_code.clone().unwrap_or_default());
                    }
                    Details::Event(ev) if c == Collection::Events => {
                        row.push(ev.start.to_string());
                        row.push(ev.end.map(|d| d.to_string()).unwrap_or_default());
                    }
                    _ => row.extend(std::iter::repeat_n(
                        String::new(),
                        crate::detail_columns(c).len(),
                    )),
                }
                let (cols, other) = split_tags(c, &e.tags);
                for v in cols {
                    row.push(v.join("|"));
                }
                row.push(other.join("|"));
                row.push(if e.attributes.is_empty() {
                    String::new()
                } else {
                    serde_json::Value::Object(e.attributes.clone()).to_string()
                });
                row.push(
                    relations
                        .iter()
                        .filter(|r| crate::travels_with_subject(r))
                        .map(relation_cell)
                        .collect::<Vec<_>>()
                        .join("|"),
                );
                if c == Collection::Actions {
                    let links = crate::action_links(store, &e.key)?;
                    let refs = |v: &[EntityRef]| {
                        v.iter()
                            .map(|r| r.to_string())
                            .collect::<Vec<_>>()
                            .join("|")
                    };
                    row.push(links.placements.join("|"));
                    row.push(refs(&links.lead));
                    row.push(refs(&links.partners));
                }
                prov_cells(&e.provenance, &mut row);
                w.write_record(&row)
                    .map_err(|e| territoria_store::StoreError::Internal(e.to_string()))
            })?
        }
    };
    w.flush()?;
    Ok(n)
}

fn csv_io(e: csv::Error) -> ExchangeError {
    ExchangeError::Io(std::io::Error::other(e.to_string()))
}

/// Splits a multi-valued cell.
fn multi(cell: &str) -> impl Iterator<Item = &str> {
    cell.split('|').map(str::trim).filter(|s| !s.is_empty())
}

pub(crate) fn parse_bool(field: &str, s: &str) -> Result<bool, FieldError> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" | "false" | "0" | "no" | "non" | "nee" => Ok(false),
        "true" | "1" | "yes" | "oui" | "ja" => Ok(true),
        other => Err(FieldError::new(
            field,
            format!("`{other}` is not true or false"),
        )),
    }
}

pub(crate) fn parse_number(field: &str, s: &str) -> Result<f64, FieldError> {
    let t = s.trim().replace(['\u{202f}', '\u{a0}', ' '], "");
    // Accept a decimal comma when there is no dot (Belgian spreadsheets).
    let t = if !t.contains('.') {
        t.replace(',', ".")
    } else {
        t
    };
    t.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| FieldError::new(field, format!("`{s}` is not a number")))
}

fn parse_relation(subject: &EntityRef, s: &str, prov: &Provenance) -> Result<Relation, FieldError> {
    let bad = || {
        FieldError::new(
            "relations",
            format!(
                "`{s}` is not a relation: write kind:entity-kind/key, optionally @since ~until =amount, e.g. labelled:label/made-different@2021-10-01"
            ),
        )
    };
    let (kind, rest) = s.split_once(':').ok_or_else(bad)?;
    let kind = RelationKind::parse(kind.trim()).ok_or_else(|| {
        let kinds: Vec<&str> = RelationKind::all().iter().map(|k| k.as_str()).collect();
        FieldError::new("relations", format!("unknown relation kind `{kind}`"))
            .suggest(territoria_model::suggest::closest(kind, kinds, 3))
    })?;
    let end = rest.find(['@', '~', '=']).unwrap_or(rest.len());
    let object = EntityRef::parse("relations", &rest[..end])?;
    let mut r = Relation {
        subject: subject.clone(),
        kind,
        object,
        since: None,
        until: None,
        amount_eur: None,
        provenance: prov.clone(),
    };
    let mut tail = &rest[end..];
    while let Some(marker) = tail.chars().next() {
        let next = tail[1..]
            .find(['@', '~', '='])
            .map_or(tail.len(), |p| p + 1);
        let value = &tail[1..next];
        match marker {
            '@' => r.since = Some(parse_date("relations", value)?),
            '~' => r.until = Some(parse_date("relations", value)?),
            '=' => r.amount_eur = Some(parse_number("relations", value)?),
            _ => return Err(bad()),
        }
        tail = &tail[next..];
    }
    Ok(r)
}

struct Row<'a> {
    cells: &'a csv::StringRecord,
    index: &'a ColumnIndex,
}

impl Row<'_> {
    fn get(&self, col: &str) -> &str {
        self.index
            .get(col)
            .and_then(|i| self.cells.get(*i))
            .unwrap_or("")
            .trim()
    }
    fn opt(&self, col: &str) -> Option<String> {
        Some(self.get(col))
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    }
}

fn provenance(row: &Row, errs: &mut ValidationErrors) -> Provenance {
    let mut p = Provenance::stated(row.get("source"));
    if let Some(d) = row.opt("source_date") {
        match parse_date("source_date", &d) {
            Ok(d) => p.date = Some(d),
            Err(e) => errs.push(e),
        }
    }
    for (col, flag) in [("inferred", &mut p.inferred), ("demo", &mut p.demo)] {
        match parse_bool(col, row.get(col)) {
            Ok(b) => *flag = b,
            Err(e) => errs.push(e),
        }
    }
    p
}

/// The label columns of a prefix (`name`, `description`), in [`LANG_COLS`] order.
fn label_columns(prefix: &str) -> [&'static str; 4] {
    match prefix {
        "name" => ["name_fr", "name_nl", "name_de", "name_en"],
        "description" => [
            "description_fr",
            "description_nl",
            "description_de",
            "description_en",
        ],
        other => unreachable!("no label columns named {other}"),
    }
}

fn labels(row: &Row, prefix: &str) -> Labels {
    let mut l = Labels::new();
    for (lang, col) in LANG_COLS.into_iter().zip(label_columns(prefix)) {
        let text = row.get(col);
        if !text.is_empty() {
            l.set(lang, text);
        }
    }
    l
}

/// Parses one row into its operations: the record first, then (deferred) relations
/// and strategy placements, which may point to records later in the file.
fn row_ops(c: Collection, row: &Row) -> Result<(Op, Vec<Op>), ValidationErrors> {
    let mut errs = ValidationErrors::default();
    let prov = provenance(row, &mut errs);
    if c == Collection::Observations {
        let period = Period::parse_stated("period", row.get("period"));
        let value = parse_number("value", row.get("value"));
        let (period, value) = match (period, value) {
            (Ok(p), Ok(v)) => (p, v),
            (p, v) => {
                errs.0.extend(p.err());
                errs.0.extend(v.err());
                return Err(errs);
            }
        };
        if !errs.is_empty() {
            return Err(errs);
        }
        return Ok((
            Op::Observation(Observation {
                indicator: row.get("indicator").to_owned(),
                period,
                territory: row.opt("territory"),
                value,
                qualifier: row.opt("qualifier"),
                period_label: row.opt("period_label"),
                note: row.opt("note"),
                quote: row.opt("quote"),
                provenance: prov,
            }),
            vec![],
        ));
    }
    if c == Collection::Targets {
        let due = parse_date("due", row.get("due"));
        let value = parse_number("value", row.get("value"));
        // A baseline is a date and a value, both or neither.
        let baseline = match (row.opt("baseline_date"), row.opt("baseline_value")) {
            (None, None) => Ok(None),
            (Some(d), Some(v)) => match (
                parse_date("baseline_date", &d),
                parse_number("baseline_value", &v),
            ) {
                (Ok(date), Ok(value)) => Ok(Some(territoria_model::Baseline { date, value })),
                (d, v) => Err([d.err(), v.err()].into_iter().flatten().collect::<Vec<_>>()),
            },
            (None, Some(_)) => Err(vec![FieldError::new(
                "baseline_date",
                "a baseline needs its date as well as its value",
            )]),
            (Some(_), None) => Err(vec![FieldError::new(
                "baseline_value",
                "a baseline needs its value as well as its date",
            )]),
        };
        let (due, value, baseline) = match (due, value, baseline) {
            (Ok(d), Ok(v), Ok(b)) => (d, v, b),
            (d, v, b) => {
                errs.0.extend(d.err());
                errs.0.extend(v.err());
                errs.0.extend(b.err().into_iter().flatten());
                return Err(errs);
            }
        };
        if !errs.is_empty() {
            return Err(errs);
        }
        return Ok((
            Op::Target(territoria_model::Target {
                indicator: row.get("indicator").to_owned(),
                due,
                value,
                qualifier: row.opt("qualifier"),
                note: row.opt("note"),
                quote: row.opt("quote"),
                baseline,
                provenance: prov,
            }),
            vec![],
        ));
    }
    let kind = c.kind().expect("entity collection");
    let mut e = Entity::new(kind, row.get("id"), labels(row, "name"), prov.clone());
    e.description = labels(row, "description");
    for (col, scheme) in tag_columns(c) {
        for v in multi(row.get(col)) {
            e.tags.push(ConceptRef::new(*scheme, v));
        }
    }
    for v in multi(row.get("other_tags")) {
        match ConceptRef::parse("other_tags", v) {
            Ok(t) => e.tags.push(t),
            Err(x) => errs.push(x),
        }
    }
    if let Some(a) = row.opt("attributes") {
        match serde_json::from_str::<serde_json::Value>(&a) {
            Ok(serde_json::Value::Object(m)) => e.attributes = m,
            _ => errs.push(FieldError::new(
                "attributes",
                "must be a JSON object, e.g. {\"url\": \"https://…\"}",
            )),
        }
    }
    match c {
        Collection::Organisations => {
            let mut o = Organisation::default();
            if let Some(k) = row.opt("kbo") {
                match Kbo::parse(&k) {
                    Ok(k) => o.kbo = Some(k),
                    Err(x) => errs.push(FieldError::new("kbo", x.to_string())),
                }
            }
            if let Some(d) = row.opt("founded") {
                match parse_date("founded", &d) {
                    Ok(d) => o.founded = Some(d),
                    Err(x) => errs.push(x),
                }
            }
            if let Some(n) = row.opt("employees") {
                match n.parse::<u32>() {
                    Ok(n) => o.employees = Some(n),
                    Err(_) => errs.push(FieldError::new(
                        "employees",
                        format!("`{n}` is not a whole number of people"),
                    )),
                }
            }
            o.website = row.opt("website");
            e.details = Details::Organisation(o);
        }
        Collection::Actions => {
            let status = ActionStatus::parse(row.get("status")).unwrap_or_else(|| {
                let names: Vec<&str> = ActionStatus::ALL.iter().map(|s| s.as_str()).collect();
                errs.push(
                    FieldError::new(
                        "status",
                        format!(
                            "`{}` is not a status: use {}",
                            row.get("status"),
                            names.join(", ")
                        ),
                    )
                    .suggest(territoria_model::suggest::closest(
                        row.get("status"),
                        names,
                        2,
                    )),
                );
                ActionStatus::Planned
            });
            let mut a = Action {
                status,
                start: None,
                end: None,
                budget_eur: None,
            };
            for (col, slot) in [("start", &mut a.start), ("end", &mut a.end)] {
                if let Some(d) = row.opt(col) {
                    match parse_date(col, &d) {
                        Ok(d) => *slot = Some(d),
                        Err(x) => errs.push(x),
                    }
                }
            }
            if let Some(b) = row.opt("budget_eur") {
                match parse_number("budget_eur", &b) {
                    Ok(b) => a.budget_eur = Some(b),
                    Err(x) => errs.push(x),
                }
            }
            e.details = Details::Action(a);
        }
        Collection::Places => {
            let lat = parse_number("lat", row.get("lat")).map_err(|x| errs.push(x));
            let lon = parse_number("lon", row.get("lon")).map_err(|x| errs.push(x));
            if let (Ok(lat), Ok(lon)) = (lat, lon) {
                e.details = Details::Place(territoria_model::Place {
                    lat,
                    lon,
                    address: row.opt("address"),
                    postal_code: row.opt("postal_code"),
                });
            }
        }
        Collection::Events => match parse_date("start", row.get("start")) {
            Ok(start) => {
                let mut end = None;
                if let Some(d) = row.opt("end") {
                    match parse_date("end", &d) {
                        Ok(d) => end = Some(d),
                        Err(x) => errs.push(x),
                    }
                }
                e.details = Details::Event(territoria_model::Event { start, end });
            }
            Err(x) => errs.push(x),
        },
        Collection::People => errs.0.extend(crate::person_minimal(&e)),
        Collection::Publications => {}
        Collection::Observations | Collection::Targets => unreachable!(),
    }
    let subject = e.reference();
    let mut later = Vec::new();
    for r in multi(row.get("relations")) {
        match parse_relation(&subject, r, &prov) {
            Ok(r) => later.push(Op::Relation(r)),
            Err(x) => errs.push(x),
        }
    }
    if c == Collection::Actions {
        let placements: Vec<String> = multi(row.get("programmes")).map(str::to_owned).collect();
        let mut refs = |col: &str| -> Vec<EntityRef> {
            multi(row.get(col))
                .filter_map(|who| EntityRef::parse(col, who).map_err(|x| errs.push(x)).ok())
                .collect()
        };
        let (lead, partners) = (refs("lead"), refs("partners"));
        let (ops, errors) =
            crate::action_link_ops(&subject, "programmes", &placements, lead, partners, &prov);
        later.extend(ops);
        errs.0.extend(errors);
    }
    if errs.is_empty() {
        Ok((Op::Entity(Box::new(e)), later))
    } else {
        Err(errs)
    }
}

/// Reads the file lazily and yields located records; deferred operations (relations,
/// placements) come after all rows.
pub fn records<'a>(
    c: Collection,
    file: &str,
    input: &'a mut (dyn Read + Send),
) -> Result<Box<dyn Iterator<Item = Record> + Send + 'a>, ExchangeError> {
    let mut reader = BufReader::with_capacity(1 << 16, input);
    let head = reader.fill_buf().map_err(|e| ExchangeError::Unreadable {
        file: file.into(),
        message: e.to_string(),
    })?;
    let first_line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let semis = first_line.iter().filter(|b| **b == b';').count();
    let commas = first_line.iter().filter(|b| **b == b',').count();
    let delimiter = if commas > semis { b',' } else { b';' };
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(reader);
    let headers = csv.headers().map_err(|e| ExchangeError::Unreadable {
        file: file.into(),
        message: format!("cannot read the header line: {e}"),
    })?;
    let names: Vec<String> = headers
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
        .collect();
    let index: ColumnIndex = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), i))
        .collect();
    let expected = header(c);
    let required: &[&str] = match c {
        Collection::Observations => &["indicator", "period", "value", "source"],
        Collection::Targets => &["indicator", "due", "value", "source"],
        _ => &["id", "source"],
    };
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|r| !index.contains_key(*r))
        .collect();
    if !missing.is_empty() {
        return Err(ExchangeError::Unreadable {
            file: file.into(),
            message: format!(
                "line 1: missing column(s) {} — the {} columns are: {}",
                missing.join(", "),
                c.as_str(),
                expected.join(";")
            ),
        });
    }
    if let Some(unknown) = names.iter().find(|n| !expected.contains(n)) {
        let col = index[unknown] + 1;
        return Err(ExchangeError::Unreadable {
            file: file.into(),
            message: format!(
                "line 1, column {col}: unknown column `{unknown}`{}",
                territoria_model::suggest::closest(unknown, expected.iter().map(String::as_str), 1)
                    .first()
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default()
            ),
        });
    }
    // Field (or scheme) name → column number, so errors can name the column.
    let mut columns: HashMap<String, u64> = index
        .iter()
        .map(|(k, v)| (k.clone(), *v as u64 + 1))
        .collect();
    for (col, scheme) in tag_columns(c) {
        if let Some(i) = index.get(*col) {
            columns.insert((*scheme).to_owned(), *i as u64 + 1);
        }
    }
    for (field, col) in [
        ("key", "id"),
        ("name", "name_fr"),
        ("indicator", "indicator"),
        ("details", "id"),
    ] {
        if let Some(i) = index.get(col) {
            columns.entry(field.to_owned()).or_insert(*i as u64 + 1);
        }
    }
    let columns = Arc::new(columns);
    let column_of: territoria_store::ColumnOf = {
        let columns = columns.clone();
        Arc::new(move |f: &str| columns.get(f).copied())
    };
    let file = file.to_owned();
    let ncols = names.len();
    let mut deferred: Vec<Located> = Vec::new();
    let mut rows = csv.into_records();
    let mut done = false;
    let mut tail: Option<std::vec::IntoIter<Located>> = None;
    Ok(Box::new(std::iter::from_fn(move || {
        loop {
            if let Some(t) = &mut tail {
                return t.next().map(Ok);
            }
            if done {
                tail = Some(std::mem::take(&mut deferred).into_iter());
                continue;
            }
            let Some(next) = rows.next() else {
                done = true;
                continue;
            };
            let rec = match next {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(0);
                    return Some(Err(RecordError {
                        location: Some(Location {
                            file: file.clone(),
                            line,
                            column: None,
                        }),
                        record: String::new(),
                        errors: FieldError::new("row", format!("unreadable CSV: {e}")).into(),
                    }));
                }
            };
            let line = rec.position().map(|p| p.line()).unwrap_or(0);
            let location = Location {
                file: file.clone(),
                line,
                column: None,
            };
            if rec.len() != ncols {
                return Some(Err(RecordError {
                    location: Some(location),
                    record: String::new(),
                    errors: FieldError::new(
                        "row",
                        format!(
                            "{} cells where the header has {ncols}: check the delimiter and quotes",
                            rec.len()
                        ),
                    )
                    .into(),
                }));
            }
            let row = Row {
                cells: &rec,
                index: &index,
            };
            return Some(match row_ops(c, &row) {
                Ok((op, later)) => {
                    deferred.extend(later.into_iter().map(|op| Located {
                        op,
                        location: Some(location.clone()),
                        column_of: Some(column_of.clone()),
                    }));
                    Ok(Located {
                        op,
                        location: Some(location),
                        column_of: Some(column_of.clone()),
                    })
                }
                Err(errors) => {
                    let column = errors
                        .0
                        .first()
                        .and_then(|e| columns.get(&e.field).copied());
                    Err(RecordError {
                        location: Some(Location { column, ..location }),
                        record: if c == Collection::Observations {
                            format!("observation of indicator/{}", row.get("indicator"))
                        } else if c == Collection::Targets {
                            format!("target of indicator/{}", row.get("indicator"))
                        } else {
                            format!(
                                "{}/{}",
                                c.kind().map(|k| k.as_str()).unwrap_or(""),
                                row.get("id")
                            )
                        },
                        errors,
                    })
                }
            });
        }
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_columns_follow_the_header_names() {
        for prefix in ["name", "description"] {
            let expected: Vec<String> = LANG_COLS.iter().map(|l| format!("{prefix}_{l}")).collect();
            assert_eq!(label_columns(prefix).to_vec(), expected);
        }
    }
}
