//! Parser, checker and evaluator tests: one per construct and per error (positions and
//! messages), printing round trips (proptest), and evaluation against brute-force models.

use proptest::prelude::*;

use crate::*;

fn schema() -> Schema {
    Schema::new([
        FieldDef::new("commune", FieldType::Text, "Commune"),
        FieldDef::new("population", FieldType::Int, "Population"),
        FieldDef::new("surface", FieldType::Double, "Surface (km²)"),
        FieldDef::new("active", FieldType::Boolean, "Active"),
        FieldDef::new("founded", FieldType::Date, "Founded"),
        FieldDef::new("updated", FieldType::DateTime, "Updated"),
        FieldDef::new("location", FieldType::GeoPoint, "Location"),
        FieldDef::new("code postal", FieldType::Text, "Code postal"),
    ])
}

fn date(s: &str) -> Value {
    Value::Date(Date::parse(s).unwrap())
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn row(
    commune: &str,
    population: Option<i64>,
    surface: f64,
    active: bool,
    founded: &str,
    lon_lat: (f64, f64),
    cp: &str,
) -> Vec<Value> {
    vec![
        text(commune),
        population.map_or(Value::Null, Value::Int),
        Value::Float(surface),
        Value::Bool(active),
        date(founded),
        Value::DateTime(DateTime::parse(&format!("{founded}T12:00:00Z")).unwrap()),
        Value::Geo(GeoPoint {
            lon: lon_lat.0,
            lat: lon_lat.1,
        }),
        text(cp),
    ]
}

fn rows() -> Vec<Vec<Value>> {
    vec![
        row(
            "Namur",
            Some(113_000),
            175.7,
            true,
            "1977-01-01",
            (4.8719, 50.4674),
            "5000",
        ),
        row(
            "Liège",
            Some(197_000),
            69.4,
            true,
            "1977-01-01",
            (5.5797, 50.6326),
            "4000",
        ),
        row(
            "Andenne",
            Some(27_000),
            86.2,
            false,
            "1977-01-01",
            (5.0959, 50.4906),
            "5300",
        ),
        row(
            "La Louvière",
            Some(81_000),
            64.2,
            true,
            "1977-01-01",
            (4.1879, 50.4797),
            "7100",
        ),
        row(
            "Louvain-la-Neuve",
            None,
            10.0,
            false,
            "1972-05-10",
            (4.6118, 50.6681),
            "1348",
        ),
        row(
            "Bruxelles",
            Some(188_000),
            32.6,
            true,
            "1830-10-04",
            (4.3517, 50.8503),
            "1000",
        ),
    ]
}

/// The communes the `where` clause keeps, in input order.
fn filter(where_clause: &str) -> Vec<String> {
    let f =
        compile_where(where_clause, &schema()).unwrap_or_else(|e| panic!("{where_clause}: {e}"));
    rows()
        .iter()
        .filter(|r| f.matches(r.as_slice()))
        .map(|r| match &r[0] {
            Value::Text(s) => s.clone(),
            _ => unreachable!(),
        })
        .collect()
}

fn where_err(where_clause: &str) -> OdsqlError {
    match parse_where(where_clause) {
        Err(e) => e,
        Ok(e) => Filter::new(&e, &schema()).expect_err(where_clause),
    }
}

fn query(
    select: &str,
    where_clause: &str,
    group_by: &str,
    order_by: &str,
) -> Result<CompiledQuery, OdsqlError> {
    CompiledQuery::new(
        QueryText {
            select: Some(select),
            where_clause: Some(where_clause),
            group_by: Some(group_by),
            order_by: Some(order_by),
        },
        &schema(),
    )
}

fn run(
    select: &str,
    where_clause: &str,
    group_by: &str,
    order_by: &str,
    page: Page,
) -> (Vec<String>, ResultSet) {
    let q = query(select, where_clause, group_by, order_by).unwrap();
    let names = q.columns().iter().map(|c| c.name.clone()).collect();
    (names, q.execute(rows(), page))
}

const ALL: Page = Page {
    offset: 0,
    limit: None,
};

/// Parses and prints back a where clause.
fn canon(where_clause: &str) -> String {
    parse_where(where_clause)
        .unwrap_or_else(|e| panic!("{where_clause}: {e}"))
        .to_string()
}

// ---------------------------------------------------------------- parsing

#[test]
fn comparisons_and_precedence() {
    assert_eq!(canon("a=1"), "a = 1");
    assert_eq!(canon("a==1 and b!=2 or c<3"), "a = 1 AND b != 2 OR c < 3");
    assert_eq!(canon("a <> 1"), "a != 1");
    assert_eq!(
        canon("a<=1 OR (b>=2 AND c>3)"),
        "a <= 1 OR b >= 2 AND c > 3"
    );
    assert_eq!(
        canon("(a<=1 OR b>=2) AND c>3"),
        "(a <= 1 OR b >= 2) AND c > 3"
    );
    assert_eq!(
        canon("not a = 1 and not (b = 2 or c = 3)"),
        "NOT a = 1 AND NOT (b = 2 OR c = 3)"
    );
    assert_eq!(canon("NOT NOT a"), "NOT NOT a");
    assert_eq!(canon("a:\"star wars\""), "a : \"star wars\"");
    assert_eq!(
        canon("a*2 <= (10+1)*2 - -3 / b"),
        "a * 2 <= (10 + 1) * 2 - -3 / b"
    );
    assert_eq!(canon("a - (b - c)"), "a - (b - c)");
    assert_eq!(canon("(a - b) - c"), "a - b - c");
    let e = parse_where("a = 1 OR b = 2 OR c = 3").unwrap();
    assert!(matches!(&e.kind, ExprKind::Or(items) if items.len() == 3));
    let e = parse_where("x AND (y AND z)").unwrap();
    assert!(matches!(&e.kind, ExprKind::And(items) if items.len() == 2));
    assert_eq!(e.to_string(), "x AND (y AND z)");
}

#[test]
fn literals() {
    assert_eq!(canon(r"a = 'it\'s'"), r#"a = "it's""#);
    assert_eq!(canon(r#"a = 'say "hi"'"#), r#"a = "say \"hi\"""#);
    assert_eq!(
        canon(r#"a = "back\\slash \q \'""#),
        r#"a = "back\\slash \\q '""#
    );
    assert_eq!(
        canon("a = 12 OR a = 1.50 OR a = 99999999999999999999"),
        "a = 12 OR a = 1.5 OR a = 100000000000000000000.0"
    );
    assert_eq!(canon("a = TRUE or b = false"), "a = true OR b = false");
    assert_eq!(
        canon("a >= DATE'2024' AND a < date\"2024-02\""),
        "a >= date'2024-01-01' AND a < date'2024-02-01'"
    );
    assert_eq!(
        canon("a = date'2024-01-31T10:00:00+01:00'"),
        "a = date'2024-01-31T09:00:00Z'"
    );
    assert_eq!(
        canon("`code postal` = '5000' AND `and` = 1 AND _x1 = 2"),
        "`code postal` = \"5000\" AND `and` = 1 AND _x1 = 2"
    );
    let e = parse_where("a = 1.5").unwrap();
    let ExprKind::Binary { right, .. } = e.kind else {
        panic!()
    };
    assert_eq!(right.kind, ExprKind::Literal(Literal::Float(1.5)));
    let e = parse_where("a = -3").unwrap();
    let ExprKind::Binary { right, .. } = e.kind else {
        panic!()
    };
    assert!(matches!(right.kind, ExprKind::Neg(_)));
}

#[test]
fn text_predicates() {
    assert_eq!(canon("\"film*\""), "\"film*\"");
    assert_eq!(canon("'tree' and not \"dog\""), "\"tree\" AND NOT \"dog\"");
    assert_eq!(
        canon("SEARCH(name, 'x') OR Search('y')"),
        "search(name, \"x\") OR search(\"y\")"
    );
    assert_eq!(canon("startsWith(name, 'Na')"), "startswith(name, \"Na\")");
    assert_eq!(canon("name like 'school*'"), "name LIKE \"school*\"");
    assert_eq!(canon("name NOT LIKE '%ville'"), "NOT name LIKE \"%ville\"");
}

#[test]
fn in_null_and_geo() {
    assert_eq!(canon("a in (1, 2,3)"), "a IN (1, 2, 3)");
    assert_eq!(canon("a NOT IN ('x')"), "NOT a IN (\"x\")");
    assert_eq!(canon("a IN [1..5]"), "a IN [1..5]");
    assert_eq!(canon("a IN ]1.5..5["), "a IN ]1.5..5[");
    assert_eq!(
        canon("a in [date'2020'..date'2021']"),
        "a IN [date'2020-01-01'..date'2021-01-01']"
    );
    assert_eq!(canon("a IN [-5..-1]"), "a IN [-5..-1]");
    assert_eq!(
        canon("a is null or b IS NOT NULL"),
        "a IS NULL OR b IS NOT NULL"
    );
    assert_eq!(
        canon("within_distance(loc, GEOM'POINT(4.35 50.85)', 10km)"),
        "within_distance(loc, geom'POINT(4.35 50.85)', 10km)"
    );
    assert_eq!(
        canon(r#"WITHIN_DISTANCE(loc, geom'{"type":"Point","coordinates":[4,50]}', 2.5 MI)"#),
        "within_distance(loc, geom'POINT(4 50)', 2.5mi)"
    );
    assert_eq!(
        canon("within_distance(loc, geom'POINT(4 50)', 300)"),
        "within_distance(loc, geom'POINT(4 50)', 300m)"
    );
}

#[test]
fn clauses() {
    let s = parse_select(
        "*, commune AS `nom`, count(*), COUNT(x) as n, sum(a)/count(*) as m, median(b)",
    )
    .unwrap();
    assert_eq!(
        print_list(&s),
        "*, commune AS nom, count(*), count(x) AS n, sum(a) / count(*) AS m, median(b)"
    );
    let g = parse_group_by("commune, year(d) as y, range(p, 1000), RANGE(s, *, 10, 20.5, *) AS r")
        .unwrap();
    assert_eq!(
        print_list(&g),
        "commune, year(d) AS y, range(p, 1000), range(s, *, 10, 20.5, *) AS r"
    );
    let o = parse_order_by("count(*) desc, commune ASC, y").unwrap();
    assert_eq!(print_list(&o), "count(*) DESC, commune, y");
    assert!(o[0].desc && !o[1].desc);
    let q = Query::parse(QueryText {
        select: Some(" "),
        where_clause: None,
        group_by: Some(""),
        order_by: Some("a"),
    })
    .unwrap();
    assert_eq!(canonical_text(&q), [None, None, None, Some("a".to_owned())]);
}

// ---------------------------------------------------------------- syntax errors

fn syntax(clause_text: &str) -> (usize, String) {
    let e = parse_where(clause_text).expect_err(clause_text);
    assert_eq!(e.clause, Clause::Where);
    (e.position, e.message)
}

#[test]
fn syntax_errors_are_located() {
    assert_eq!(
        syntax("population >"),
        (12, "unexpected end of input, expected an expression".into())
    );
    assert_eq!(
        syntax("(a = 1"),
        (6, "unexpected end of input, expected ')'".into())
    );
    assert_eq!(
        syntax("a = 1 b = 2"),
        (
            6,
            "unexpected 'b', expected AND, OR or the end of the clause".into()
        )
    );
    assert_eq!(syntax("a = 'abc"), (4, "unterminated string".into()));
    assert_eq!(syntax("a # 1"), (2, "unexpected character '#'".into()));
    assert_eq!(syntax("é = 1"), (0, "unexpected character 'é'".into()));
    assert_eq!(
        syntax("a = ) "),
        (4, "unexpected ')', expected an expression".into())
    );
    assert_eq!(
        syntax("a AND OR b"),
        (6, "unexpected 'OR', expected an expression".into())
    );
    assert_eq!(
        syntax("a LIKE b"),
        (
            7,
            "unexpected 'b', expected a quoted pattern after LIKE".into()
        )
    );
    assert_eq!(
        syntax("a IN 3"),
        (
            5,
            "unexpected '3', expected '(' (a list) or '[' or ']' (a range) after IN".into()
        )
    );
    assert_eq!(
        syntax("a IN [1..3)"),
        (10, "unexpected ')', expected ']' or '['".into())
    );
    assert_eq!(
        syntax("a IN [1,3]"),
        (7, "unexpected ',', expected '..' or TO".into())
    );
    assert_eq!(
        syntax("a IS 3"),
        (
            5,
            "unexpected '3', expected NULL, NOT NULL, TRUE or FALSE".into()
        )
    );
    assert_eq!(
        syntax("a IS NOT 3"),
        (9, "unexpected '3', expected NULL, TRUE or FALSE".into())
    );
    assert_eq!(syntax("`` = 1"), (0, "empty backquoted name".into()));
    assert_eq!(
        syntax("`abc = 1"),
        (0, "unterminated backquoted name".into())
    );
    assert_eq!(
        syntax("d = date'2024-13-01'"),
        (
            8,
            "invalid date '2024-13-01', expected YYYY[-MM[-DD]] or an ISO 8601 date-time".into()
        )
    );
    assert_eq!(
        syntax("within_distance(l, geom'LINESTRING(0 0,1 1)', 1km)"),
        (
            23,
            "unsupported geometry 'LINESTRING(0 0,1 1)', only points and polygons are supported"
                .into()
        )
    );
    assert_eq!(
        syntax("within_distance(l, geom'POINT(1 2)', 1 parsec)"),
        (
            39,
            "unexpected 'parsec', expected a distance unit (mm, cm, m, km, ft, yd, mi)".into()
        )
    );
    assert_eq!(
        syntax("within_distance(l, geom'POINT(1 2)', x)"),
        (
            37,
            "unexpected 'x', expected a distance such as 10km".into()
        )
    );
    assert_eq!(
        syntax("year()"),
        (0, "year() takes 1 argument, not 0".into())
    );
    assert_eq!(
        syntax("x = startswith()"),
        (4, "startswith() takes 1 to 65 arguments, not 0".into())
    );
    assert_eq!(
        syntax("in_bbox(a, 1, 2, 3)"),
        (0, "in_bbox() takes 5 arguments, not 4".into())
    );
    assert_eq!(
        syntax("count(*, a)"),
        (6, "unexpected '*', expected an expression".into())
    );
    assert_eq!(
        syntax("a = 1e5"),
        (
            5,
            "unexpected 'e5', expected AND, OR or the end of the clause".into()
        )
    );
    let (pos, m) = syntax(&format!("a = {}", "9".repeat(400)));
    assert_eq!((pos, m.starts_with("number out of range")), (4, true));
}

#[test]
fn unknown_functions_are_named() {
    let e = parse_where("contains(objet, \"espaces verts\")").unwrap_err();
    assert_eq!(e.kind, ErrorKind::UnknownFunction);
    assert_eq!(
        (e.position, e.message.as_str()),
        (0, "Unknown function: contains()")
    );
    let e = parse_where("yaer(d) = 2020").unwrap_err();
    assert_eq!(e.suggestions, vec!["year"]);
    assert_eq!(
        e.to_string(),
        "ODSQL query is malformed: Unknown function: yaer() (did you mean 'year'?). Clause(s) containing the error(s): where."
    );
    let e = parse_where("range(p, 10) = 1").unwrap_err();
    assert_eq!(
        e.message,
        "Unknown function: range(), range() is only allowed in group_by"
    );
}

#[test]
fn clause_errors_name_their_clause() {
    let e = parse_select("a, , b").unwrap_err();
    assert_eq!((e.clause, e.position), (Clause::Select, 3));
    assert_eq!(
        e.to_string(),
        "ODSQL syntax exception: unexpected ',', expected an expression at position 3. Clause(s) containing the error(s): select."
    );
    let e = parse_select("a AS").unwrap_err();
    assert_eq!(
        (e.position, e.message.as_str()),
        (4, "unexpected end of input, expected an alias after AS")
    );
    let e = parse_select("a AS and").unwrap_err();
    assert_eq!(e.position, 5);
    let e = parse_group_by("range(p)").unwrap_err();
    assert_eq!((e.clause, e.position), (Clause::GroupBy, 0));
    let e = parse_group_by("range(p, 1").unwrap_err();
    assert_eq!(
        (e.position, e.message.as_str()),
        (10, "unexpected end of input, expected ',' or ')'")
    );
    let e = parse_order_by("a DESC b").unwrap_err();
    assert_eq!((e.clause, e.position), (Clause::OrderBy, 7));
    assert_eq!(
        e.message,
        "unexpected 'b', expected ',' or the end of the clause"
    );
    assert_eq!(e.error_code(), "ODSQLError");
    // Query::parse reports the first clause in error.
    let e = Query::parse(QueryText {
        select: Some("a"),
        where_clause: Some("a ="),
        group_by: Some("("),
        order_by: None,
    })
    .unwrap_err();
    assert_eq!(e.clause, Clause::Where);
}

#[test]
fn limits() {
    let long = format!("a = \"{}\"", "x".repeat(MAX_LENGTH));
    let e = parse_where(&long).unwrap_err();
    assert_eq!((e.kind, e.position), (ErrorKind::Limit, MAX_LENGTH));
    assert!(e.message.starts_with("query too long ("), "{}", e.message);

    let ok = format!(
        "{}a = 1{}",
        "(".repeat(MAX_DEPTH - 1),
        ")".repeat(MAX_DEPTH - 1)
    );
    assert!(parse_where(&ok).is_ok());
    let deep = format!("{}a = 1{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    let e = parse_where(&deep).unwrap_err();
    assert_eq!((e.kind, e.position), (ErrorKind::Limit, MAX_DEPTH));
    assert_eq!(
        e.message,
        format!("expression nested too deeply (more than {MAX_DEPTH} levels)")
    );
    for deep in [
        "NOT ".repeat(5000) + "a",
        "-".repeat(5000) + "a = 1",
        "a = ".to_owned() + &"1 + ".repeat(3000) + "1",
        "a = ".to_owned() + &"1 * ".repeat(3000) + "1",
        "year(".repeat(3000),
        "(".repeat(8000),
    ] {
        let e = parse_where(&deep).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Limit, "{}", &deep[..20]);
    }
    // Long flat lists are fine: AND/OR are n-ary.
    let wide = (0..1000)
        .map(|i| format!("a = {i}"))
        .collect::<Vec<_>>()
        .join(" OR ");
    assert!(parse_where(&wide).is_ok());
}

// ---------------------------------------------------------------- checking errors

#[test]
fn unknown_fields_suggest_close_names() {
    let e = where_err("popultion > 3 AND x = 1");
    assert_eq!((e.kind, e.position), (ErrorKind::UnknownField, 0));
    assert_eq!(e.message, "Unknown field: popultion");
    assert_eq!(e.suggestions, vec!["population"]);
    let e = where_err("commune = 'a' AND foundd = 1");
    assert_eq!(
        (e.position, e.suggestions.clone()),
        (18, vec!["founded".to_owned()])
    );
    let e = where_err("zzzzzzz = 1");
    assert!(e.suggestions.is_empty());
    assert_eq!(
        e.to_string(),
        "ODSQL query is malformed: Unknown field: zzzzzzz. Clause(s) containing the error(s): where."
    );
    let e = query("nom, count(*)", "", "nom", "").unwrap_err();
    assert_eq!(
        (e.clause, e.kind),
        (Clause::GroupBy, ErrorKind::UnknownField)
    );
    let e = query("commune", "", "", "popluation").unwrap_err();
    assert_eq!(
        (e.clause, e.suggestions.clone()),
        (Clause::OrderBy, vec!["population".to_owned()])
    );
}

#[test]
fn type_errors() {
    let check = |w: &str, pos: usize, m: &str| {
        let e = where_err(w);
        assert_eq!(e.kind, ErrorKind::Invalid, "{w}");
        assert_eq!((e.position, e.message.as_str()), (pos, m), "{w}");
    };
    check(
        "population = 'abc'",
        11,
        "cannot compare int with text 'abc'",
    );
    check(
        "population = date'2020'",
        11,
        "cannot compare int with date 2020-01-01",
    );
    check(
        "population + commune > 1",
        11,
        "'+' needs numbers, not int and text",
    );
    check(
        "population",
        0,
        "expected a condition (a comparison, a search, …) but found a int expression",
    );
    check(
        "commune = 'a' AND surface",
        18,
        "expected a condition (a comparison, a search, …) but found a double expression",
    );
    check(
        "count(*) > 3",
        0,
        "aggregate function count() is not allowed in where",
    );
    check(
        "population LIKE 'a'",
        11,
        "LIKE needs a text expression, not int",
    );
    check(
        "within_distance(commune, geom'POINT(1 2)', 1km)",
        16,
        "within_distance() needs a geo_point_2d field, not text",
    );
    check(
        "within_distance(location, 3, 1km)",
        26,
        "within_distance() expects a point such as geom'POINT(4.35 50.85)'",
    );
    check(
        "year(population) = 2020",
        5,
        "year() needs a date or datetime, not int",
    );
    check(
        "search(population, 'x')",
        7,
        "search() needs text fields or *, not int",
    );
    check(
        "search(commune, population)",
        16,
        "expected a literal value here",
    );
    check("active > true", 7, "cannot order boolean values");
    check(
        "population IN (1, 'x')",
        11,
        "cannot compare int with text 'x'",
    );
    check(
        "population IN [1..surface]",
        18,
        "expected a literal value here",
    );
    check("-commune = 'a'", 0, "cannot negate a text expression");
    check(
        "location IN [1..2]",
        9,
        "a range needs a number, a date or a text, not geo_point_2d",
    );
}

#[test]
fn aggregation_errors() {
    let err = |s: &str, g: &str, o: &str| query(s, "", g, o).unwrap_err();
    let e = err("commune, count(*)", "", "");
    assert_eq!((e.clause, e.position), (Clause::Select, 0));
    assert_eq!(
        e.message,
        "field commune must be in group_by or inside an aggregate function"
    );
    let e = err("sum(commune)", "", "");
    assert_eq!(
        (e.position, e.message.as_str()),
        (0, "sum() only supports numeric expressions, not text")
    );
    assert_eq!(
        e.to_string(),
        "ODSQL query is malformed: sum() only supports numeric expressions, not text. Clause(s) containing the error(s): select."
    );
    let e = err("min(commune)", "", "");
    assert_eq!(
        e.message,
        "min() only supports numeric or date expressions, not text"
    );
    let e = err("*", "commune", "");
    assert_eq!(
        e.message,
        "select * cannot be combined with group_by or aggregate functions"
    );
    let e = err("sum(count(*))", "", "");
    assert_eq!(
        (e.position, e.message.as_str()),
        (4, "aggregate functions cannot be nested")
    );
    let e = err("percentile(population, 120)", "", "");
    assert_eq!(
        (e.position, e.message.as_str()),
        (23, "percentile() takes a percentage between 0 and 100")
    );
    let e = err("count(*)", "count(*)", "");
    assert_eq!(
        (e.clause, e.message.as_str()),
        (
            Clause::GroupBy,
            "aggregate function count() is not allowed in group_by"
        )
    );
    let e = err("count(*)", "range(founded, 10)", "");
    assert_eq!(
        (e.position, e.message.as_str()),
        (
            15,
            "a range step needs a numeric field; use year() or month() for dates, or bounds"
        )
    );
    let e = err("count(*)", "range(population, 10, 5)", "");
    assert_eq!(e.message, "range bounds must be increasing");
    let e = err("count(*)", "range(population, 10, *, 20)", "");
    assert_eq!(e.message, "'*' can only be the first or the last bound");
    let e = err("count(*)", "range(population, 0)", "");
    assert_eq!(e.message, "a range step must be positive");
    let e = err("count(*)", "range(commune, 1)", "");
    assert_eq!(e.message, "range() needs a number or a date, not text");
    let e = err("count(*)", "commune", "population");
    assert_eq!((e.clause, e.position), (Clause::OrderBy, 0));
    let e = err("count(*) AS n", "commune", "search('x')");
    assert_eq!(e.message, "search() is not allowed after aggregation");
}

#[test]
fn hand_built_trees_are_checked() {
    let bad = |func| Expr {
        pos: 3,
        kind: ExprKind::Call { func, args: vec![] },
    };
    let q = Query {
        select: vec![SelectItem::Expr {
            expr: bad(Function::Percentile),
            alias: None,
        }],
        ..Query::default()
    };
    let e = q.compile(&schema()).unwrap_err();
    assert_eq!(
        (e.position, e.message.as_str()),
        (3, "percentile() cannot take 0 arguments")
    );
    assert!(Filter::new(&bad(Function::Search), &schema()).is_err());
    assert!(Filter::new(&bad(Function::WithinDistance), &schema()).is_err());
}

// ---------------------------------------------------------------- evaluation

#[test]
fn filters() {
    assert_eq!(
        filter("population > 100000"),
        ["Namur", "Liège", "Bruxelles"]
    );
    assert_eq!(
        filter("population >= 113000 AND population <= 188000"),
        ["Namur", "Bruxelles"]
    );
    assert_eq!(
        filter("population != 113000"),
        ["Liège", "Andenne", "La Louvière", "Bruxelles"]
    );
    assert_eq!(
        filter("NOT population != 113000"),
        ["Namur", "Louvain-la-Neuve"]
    );
    assert_eq!(filter("population IS NULL"), ["Louvain-la-Neuve"]);
    assert_eq!(filter("population IS NOT NULL AND NOT active"), ["Andenne"]);
    assert_eq!(
        filter("active"),
        ["Namur", "Liège", "La Louvière", "Bruxelles"]
    );
    assert_eq!(filter("active = false"), ["Andenne", "Louvain-la-Neuve"]);
    assert_eq!(filter("active = 'false'"), ["Andenne", "Louvain-la-Neuve"]);
    assert_eq!(
        filter("surface * 2 > 300 OR surface < 11"),
        ["Namur", "Louvain-la-Neuve"]
    );
    assert_eq!(filter("population / surface > 5000"), ["Bruxelles"]);
    assert_eq!(
        filter("population IN [27000..81000]"),
        ["Andenne", "La Louvière"]
    );
    assert_eq!(filter("population IN ]27000..81000]"), ["La Louvière"]);
    assert_eq!(filter("population IN [27000..81000["), ["Andenne"]);
    assert_eq!(
        filter("population in ('27000', 197000)"),
        ["Liège", "Andenne"]
    );
    assert_eq!(
        filter("population NOT IN (27000)"),
        [
            "Namur",
            "Liège",
            "La Louvière",
            "Louvain-la-Neuve",
            "Bruxelles"
        ]
    );
    assert_eq!(filter("`code postal` = 5000"), ["Namur"]);
    assert_eq!(
        filter("`code postal` >= '5000'"),
        ["Namur", "Andenne", "La Louvière"]
    );
    assert_eq!(filter("commune = 'Namur'"), ["Namur"]);
    assert_eq!(filter("commune = 'namur'"), Vec::<String>::new());
    assert_eq!(filter("commune IN ['A'..'L']"), ["Andenne", "Bruxelles"]);
}

#[test]
fn dates() {
    assert_eq!(filter("founded < date'1900'"), ["Bruxelles"]);
    assert_eq!(
        filter("founded >= '1977'"),
        ["Namur", "Liège", "Andenne", "La Louvière"]
    );
    assert_eq!(
        filter("founded = date'1972-05-10T00:00:00Z'"),
        ["Louvain-la-Neuve"]
    );
    assert_eq!(
        filter("updated > date'1977-01-01'"),
        ["Namur", "Liège", "Andenne", "La Louvière"]
    );
    assert_eq!(filter("updated < founded"), Vec::<String>::new());
    assert_eq!(
        filter("year(founded) = 1972 OR month(updated) = 10"),
        ["Louvain-la-Neuve", "Bruxelles"]
    );
    assert_eq!(filter("day(founded) = 4"), ["Bruxelles"]);
    assert_eq!(
        filter("founded IN [date'1970'..date'1975']"),
        ["Louvain-la-Neuve"]
    );
}

#[test]
fn text_search() {
    assert_eq!(filter("'louviere'"), ["La Louvière"]);
    assert_eq!(filter("\"louv*\""), ["La Louvière", "Louvain-la-Neuve"]);
    assert_eq!(filter("\"la neuve\""), ["Louvain-la-Neuve"]);
    assert_eq!(filter("'la' AND NOT 'neuve'"), ["La Louvière"]);
    assert_eq!(filter("search('5000')"), ["Namur"]);
    assert_eq!(filter("search(commune, '5000')"), Vec::<String>::new());
    assert_eq!(filter("search(commune, 'LIEGE')"), ["Liège"]);
    assert_eq!(filter("commune:'neuve louvain'"), ["Louvain-la-Neuve"]);
    assert_eq!(
        filter("commune LIKE 'l*'"),
        ["Liège", "La Louvière", "Louvain-la-Neuve"]
    );
    assert_eq!(filter("commune LIKE '%ne'"), ["Andenne"]);
    assert_eq!(
        filter("commune LIKE 'la'"),
        ["La Louvière", "Louvain-la-Neuve"]
    );
    assert_eq!(
        filter("startswith(commune, 'L')"),
        ["Liège", "La Louvière", "Louvain-la-Neuve"]
    );
    assert_eq!(filter("startswith(commune, 'l')"), Vec::<String>::new());
}

#[test]
fn geo() {
    let near = "within_distance(location, geom'POINT(4.3517 50.8503)', 30km)";
    assert_eq!(filter(near), ["Louvain-la-Neuve", "Bruxelles"]);
    assert_eq!(
        filter("within_distance(location, geom'POINT(4.3517 50.8503)', 100m)"),
        ["Bruxelles"]
    );
    assert_eq!(
        filter("within_distance(location, geom'POINT(4.3517 50.8503)', 25mi)"),
        ["Louvain-la-Neuve", "Bruxelles"]
    );
    assert_eq!(
        filter(&format!("NOT {near}")),
        ["Namur", "Liège", "Andenne", "La Louvière"]
    );
}

#[test]
fn projection_and_paging() {
    let (cols, r) = run(
        "commune, population * 2 AS double, active",
        "population > 50000",
        "",
        "",
        Page {
            offset: 1,
            limit: Some(2),
        },
    );
    assert_eq!(cols, ["commune", "double", "active"]);
    assert_eq!(r.total_count, 4);
    assert_eq!(
        r.rows,
        [
            vec![text("Liège"), Value::Int(394_000), Value::Bool(true)],
            vec![text("La Louvière"), Value::Int(162_000), Value::Bool(true)]
        ]
    );
    let (cols, r) = run(
        "",
        "",
        "",
        "",
        Page {
            offset: 0,
            limit: Some(1),
        },
    );
    assert_eq!(cols.len(), 8);
    assert_eq!(r.rows[0], rows()[0]);
    let (cols, _) = run("*, year(founded)", "", "", "", ALL);
    assert_eq!(cols.len(), 9);
    assert_eq!(cols[8], "year(founded)");
    let (_, r) = run(
        "commune",
        "",
        "",
        "",
        Page {
            offset: 0,
            limit: Some(0),
        },
    );
    assert_eq!((r.total_count, r.rows.len()), (6, 0));
}

#[test]
fn ordering() {
    let names = |r: &ResultSet| r.rows.iter().map(|r| r[0].clone()).collect::<Vec<_>>();
    let (_, r) = run("commune, population AS p", "", "", "p DESC", ALL);
    assert_eq!(
        names(&r),
        [
            "Liège",
            "Bruxelles",
            "Namur",
            "La Louvière",
            "Andenne",
            "Louvain-la-Neuve"
        ]
        .map(text)
    );
    let (_, r) = run(
        "commune",
        "",
        "",
        "population",
        Page {
            offset: 1,
            limit: Some(2),
        },
    );
    assert_eq!(names(&r), ["La Louvière", "Namur"].map(text));
    assert_eq!(r.total_count, 6);
    let (_, r) = run("commune", "", "", "active DESC, commune", ALL);
    assert_eq!(
        names(&r),
        [
            "Bruxelles",
            "La Louvière",
            "Liège",
            "Namur",
            "Andenne",
            "Louvain-la-Neuve"
        ]
        .map(text)
    );
    let (_, r) = run(
        "commune",
        "",
        "",
        "founded, surface desc",
        Page {
            offset: 0,
            limit: Some(3),
        },
    );
    assert_eq!(
        names(&r),
        ["Bruxelles", "Louvain-la-Neuve", "Namur"].map(text)
    );
}

#[test]
fn grouping() {
    let (cols, r) = run(
        "count(*) AS n, sum(population), avg(surface) AS s, min(founded), max(population)",
        "",
        "active",
        "",
        ALL,
    );
    assert_eq!(
        cols,
        [
            "active",
            "n",
            "sum(population)",
            "s",
            "min(founded)",
            "max(population)"
        ]
    );
    assert_eq!(r.total_count, 2);
    assert_eq!(
        r.rows[0][..3],
        [Value::Bool(false), Value::Int(2), Value::Int(27_000)]
    );
    assert_eq!(r.rows[0][4], date("1972-05-10"));
    assert_eq!(
        r.rows[1][..3],
        [Value::Bool(true), Value::Int(4), Value::Int(579_000)]
    );
    let Value::Float(s) = r.rows[1][3] else {
        panic!()
    };
    assert!((s - (175.7 + 69.4 + 64.2 + 32.6) / 4.0).abs() < 1e-9);

    // Aliases both ways, order by an aggregate, keys deduplicated.
    let (cols, r) = run(
        "year(founded) AS y, count(*) AS n",
        "",
        "y",
        "n DESC, y",
        ALL,
    );
    assert_eq!(cols, ["y", "n"]);
    assert_eq!(
        r.rows,
        [
            vec![Value::Int(1977), Value::Int(4)],
            vec![Value::Int(1830), Value::Int(1)],
            vec![Value::Int(1972), Value::Int(1)]
        ]
    );
    let (cols, r) = run(
        "active, count(*)",
        "population > 0",
        "active AS a",
        "count(*) desc",
        Page {
            offset: 0,
            limit: Some(1),
        },
    );
    assert_eq!(cols, ["a", "active", "count(*)"]);
    assert_eq!(
        r.rows,
        [vec![Value::Bool(true), Value::Bool(true), Value::Int(4)]]
    );
    let (cols, r) = run(
        "commune, count(*)",
        "",
        "commune",
        "commune",
        Page {
            offset: 4,
            limit: Some(5),
        },
    );
    assert_eq!(cols, ["commune", "count(*)"]);
    assert_eq!((r.total_count, r.rows.len()), (6, 2));

    // Without group_by: one row, even over nothing.
    let (_, r) = run(
        "count(*), count(population), sum(population) AS s, median(surface), percentile(surface, 100)",
        "",
        "",
        "",
        ALL,
    );
    assert_eq!(
        r.rows[0][..3],
        [Value::Int(6), Value::Int(5), Value::Int(606_000)]
    );
    assert_eq!(r.rows[0][3], Value::Float((64.2 + 69.4) / 2.0));
    assert_eq!(r.rows[0][4], Value::Float(175.7));
    let (_, r) = run(
        "count(*), sum(population), avg(surface), min(surface)",
        "commune = 'nowhere'",
        "",
        "",
        ALL,
    );
    assert_eq!(
        r.rows,
        [vec![Value::Int(0), Value::Null, Value::Null, Value::Null]]
    );
    let (_, r) = run("count(*)", "commune = 'nowhere'", "commune", "", ALL);
    assert_eq!((r.total_count, r.rows.len()), (0, 0));

    // Nulls form a group; expressions over aggregates.
    let (_, r) = run(
        "sum(surface) / count(*) AS m",
        "",
        "population > 100000",
        "",
        ALL,
    );
    assert_eq!(r.rows.len(), 2);
    let (_, r) = run("count(*)", "", "population", "", ALL);
    assert_eq!(r.rows.last().unwrap(), &vec![Value::Null, Value::Int(1)]);
}

#[test]
fn ranges() {
    let (cols, r) = run(
        "count(*) AS n",
        "",
        "range(population, 100000) AS p",
        "",
        ALL,
    );
    assert_eq!(cols, ["p", "n"]);
    assert_eq!(
        r.rows,
        [
            vec![Value::Int(0), Value::Int(2)],
            vec![Value::Int(100_000), Value::Int(3)],
            vec![Value::Null, Value::Int(1)]
        ]
    );
    let (_, r) = run("count(*)", "", "range(surface, 50.5)", "", ALL);
    assert_eq!(r.rows[0], vec![Value::Float(0.0), Value::Int(2)]);
    let (cols, r) = run(
        "count(*)",
        "",
        "range(population, *, 50000, 150000, *)",
        "",
        ALL,
    );
    assert_eq!(cols[0], "range(population, *, 50000, 150000, *)");
    let keys: Vec<_> = r
        .rows
        .iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    assert_eq!(
        keys,
        [
            (text("[*, 50000["), Value::Int(1)),
            (text("[50000, 150000["), Value::Int(2)),
            (text("[150000, *["), Value::Int(2)),
        ]
    );
    let (_, r) = run(
        "count(*)",
        "",
        "range(founded, date'1900', date'1975', date'2000')",
        "",
        ALL,
    );
    assert_eq!(
        r.rows,
        [
            vec![text("[1900-01-01, 1975-01-01["), Value::Int(1)],
            vec![text("[1975-01-01, 2000-01-01["), Value::Int(4)]
        ]
    );
}

#[test]
fn columns_have_types() {
    let q = query(
        "commune, population / 2, count(*) AS n",
        "",
        "commune, population",
        "",
    )
    .unwrap();
    let types: Vec<_> = q.columns().iter().map(|c| c.value_type).collect();
    assert_eq!(
        types,
        [
            ValueType::Text,
            ValueType::Int,
            ValueType::Float,
            ValueType::Int
        ]
    );
    assert!(q.is_aggregation());
    assert!(q.filter().is_none());
}

/// Records can be anything implementing `Record`: here a column store read without copying.
#[test]
fn column_backed_records() {
    struct Columns {
        names: Vec<String>,
        pops: Vec<Option<i64>>,
    }
    struct At<'a>(&'a Columns, usize);
    impl Record for At<'_> {
        fn value(&self, field: usize) -> ValueRef<'_> {
            match field {
                0 => ValueRef::Text(&self.0.names[self.1]),
                1 => self.0.pops[self.1].map_or(ValueRef::Null, ValueRef::Int),
                _ => ValueRef::Null,
            }
        }
    }
    let cols = Columns {
        names: vec!["a".into(), "b".into(), "c".into()],
        pops: vec![Some(3), None, Some(5)],
    };
    let q = query(
        "commune",
        "population > 4 OR population IS NULL",
        "",
        "commune DESC",
    )
    .unwrap();
    let r = q.execute((0..3).map(|i| At(&cols, i)), ALL);
    assert_eq!(r.rows, [vec![text("c")], vec![text("b")]]);
}

// ---------------------------------------------------------------- round trips

fn zero_select(items: &mut [SelectItem]) {
    for i in items {
        match i {
            SelectItem::All { pos }
            | SelectItem::Include { pos, .. }
            | SelectItem::Exclude { pos, .. } => *pos = 0,
            SelectItem::Expr { expr, .. } => *expr = expr.without_positions(),
        }
    }
}

fn zero_group(items: &mut [GroupItem]) {
    for i in items {
        match &mut i.key {
            GroupKey::Expr(e) => *e = e.without_positions(),
            GroupKey::Range { pos, expr, bounds } => {
                *pos = 0;
                *expr = expr.without_positions();
                for b in bounds.iter_mut().flatten() {
                    *b = b.without_positions();
                }
            }
        }
    }
}

fn e(kind: ExprKind) -> Expr {
    Expr { pos: 0, kind }
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_][a-z0-9_]{0,6}",
        Just("and".to_owned()),
        Just("Date".to_owned()),
        Just("count".to_owned()),
        Just("range".to_owned()),
        "[a-zA-Zé 0-9'\"()-]{1,6}",
    ]
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        "[a-zA-Z0-9 é'\"\\\\*%_]{0,8}".prop_map(Literal::Text),
        (0i64..=i64::MAX).prop_map(Literal::Int),
        (0.0f64..1e12).prop_map(Literal::Float),
        any::<bool>().prop_map(Literal::Bool),
        (-719_528i64..=2_932_896).prop_map(|d| Literal::Date(Temporal::Date(
            DateTime::from_millis(d * 86_400_000).date()
        ))),
        (-62_000_000_000_000i64..253_000_000_000_000)
            .prop_map(|ms| Literal::Date(Temporal::DateTime(DateTime::from_millis(ms)))),
        (-180.0f64..=180.0, -90.0f64..=90.0)
            .prop_map(|(lon, lat)| Literal::Geom(GeoPoint { lon, lat })),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        literal().prop_map(|l| e(ExprKind::Literal(l))),
        name().prop_map(|n| e(ExprKind::Field(n))),
    ];
    leaf.prop_recursive(5, 48, 4, |inner| {
        let b = |x: Expr| Box::new(x);
        prop_oneof![
            inner.clone().prop_map(move |x| e(ExprKind::Neg(b(x)))),
            inner.clone().prop_map(move |x| e(ExprKind::Not(b(x)))),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|v| e(ExprKind::And(v))),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|v| e(ExprKind::Or(v))),
            (
                prop::sample::select(vec![
                    BinaryOp::Add,
                    BinaryOp::Sub,
                    BinaryOp::Mul,
                    BinaryOp::Div,
                    BinaryOp::Eq,
                    BinaryOp::Ne,
                    BinaryOp::Lt,
                    BinaryOp::Le,
                    BinaryOp::Gt,
                    BinaryOp::Ge,
                    BinaryOp::Colon,
                ]),
                inner.clone(),
                inner.clone()
            )
                .prop_map(move |(op, l, r)| e(ExprKind::Binary {
                    op,
                    left: b(l),
                    right: b(r)
                })),
            (inner.clone(), "[a-z*% ]{0,6}").prop_map(move |(x, p)| e(ExprKind::Like {
                expr: b(x),
                pattern: p
            })),
            (inner.clone(), prop::collection::vec(inner.clone(), 1..3))
                .prop_map(move |(x, items)| e(ExprKind::InList { expr: b(x), items })),
            (
                inner.clone(),
                inner.clone(),
                inner.clone(),
                any::<bool>(),
                any::<bool>()
            )
                .prop_map(move |(x, lo, hi, li, hii)| e(ExprKind::InRange {
                    expr: b(x),
                    low: b(lo),
                    high: b(hi),
                    low_inclusive: li,
                    high_inclusive: hii
                })),
            (inner.clone(), any::<bool>()).prop_map(move |(x, n)| e(ExprKind::IsNull {
                expr: b(x),
                negated: n
            })),
            (
                prop::sample::select(Function::ALL.to_vec()),
                prop::collection::vec(inner.clone(), 1..3),
                0.0f64..1e6,
                prop::sample::select(DistanceUnit::ALL.to_vec())
            )
                .prop_map(|(func, mut args, dist, unit)| {
                    let (min, max) = func.arity();
                    while args.len() < min {
                        args.push(args[0].clone());
                    }
                    args.truncate(max);
                    if func == Function::WithinDistance || func == Function::Distance {
                        args[2] = e(ExprKind::Distance { value: dist, unit });
                    }
                    if func == Function::Count && dist < 3e5 {
                        args[0] = e(ExprKind::Star);
                    }
                    e(ExprKind::Call { func, args })
                }),
        ]
    })
}

fn alias() -> impl Strategy<Value = Option<String>> {
    prop::option::of(name())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn where_prints_and_parses_back(x in expr()) {
        let text = x.to_string();
        let back = parse_where(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(back.without_positions(), x, "{}", text);
    }

    #[test]
    fn clauses_print_and_parse_back(
        select in prop::collection::vec(prop_oneof![
            Just(SelectItem::All { pos: 0 }),
            (expr(), alias()).prop_map(|(expr, alias)| SelectItem::Expr { expr, alias }),
        ], 1..4),
        group in prop::collection::vec((
            prop_oneof![
                expr().prop_map(GroupKey::Expr),
                (expr(), prop::collection::vec(prop::option::of(expr()), 1..4)).prop_map(|(expr, mut bounds)| {
                    if bounds.len() == 1 && bounds[0].is_none() {
                        bounds.push(None);
                    }
                    GroupKey::Range { pos: 0, expr, bounds }
                }),
            ],
            alias(),
        ).prop_map(|(key, alias)| GroupItem { key, alias }), 1..3),
        order in prop::collection::vec((expr(), any::<bool>()).prop_map(|(expr, desc)| OrderItem { expr, desc }), 1..3),
    ) {
        let text = print_list(&select);
        let mut back = parse_select(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        zero_select(&mut back);
        prop_assert_eq!(back, select, "{}", text);
        let text = print_list(&group);
        let mut back = parse_group_by(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        zero_group(&mut back);
        prop_assert_eq!(back, group, "{}", text);
        let text = print_list(&order);
        let back = parse_order_by(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        let back: Vec<OrderItem> = back.into_iter().map(|o| OrderItem { expr: o.expr.without_positions(), desc: o.desc }).collect();
        prop_assert_eq!(back, order, "{}", text);
    }

    /// Arbitrary text never panics, and whatever parses prints to a fixed point.
    #[test]
    fn any_text_is_handled(text in "[a-z0-9 ()\\[\\].,'\"*:=<>!-]{0,40}") {
        if let Ok(x) = parse_where(&text) {
            let printed = x.to_string();
            let again = parse_where(&printed).unwrap();
            prop_assert_eq!(again.to_string(), printed);
            let _ = Filter::new(&x, &schema());
        }
        let _ = parse_select(&text);
        let _ = parse_group_by(&text);
        let _ = parse_order_by(&text);
    }
}

// ---------------------------------------------------------------- brute-force models

/// A model record: commune, population, surface, active.
#[derive(Debug, Clone)]
struct M {
    commune: Option<String>,
    population: Option<i64>,
    surface: Option<f64>,
    active: Option<bool>,
}

impl M {
    fn values(&self) -> Vec<Value> {
        vec![
            self.commune.clone().map_or(Value::Null, Value::Text),
            self.population.map_or(Value::Null, Value::Int),
            self.surface.map_or(Value::Null, Value::Float),
            self.active.map_or(Value::Null, Value::Bool),
        ]
    }
}

const COMMUNES: [&str; 4] = ["Namur", "Liège", "La Louvière", "Andenne"];

fn model() -> impl Strategy<Value = M> {
    (
        prop::option::weighted(0.9, prop::sample::select(COMMUNES.to_vec())),
        prop::option::weighted(0.8, -5i64..20),
        prop::option::weighted(0.8, (0u32..40).prop_map(|x| f64::from(x) / 4.0)),
        prop::option::weighted(0.8, any::<bool>()),
    )
        .prop_map(|(c, p, s, a)| M {
            commune: c.map(str::to_owned),
            population: p,
            surface: s,
            active: a,
        })
}

/// A condition with its ODSQL text and its meaning.
#[derive(Debug, Clone)]
enum P {
    PopCmp(&'static str, i64),
    SurfLt(f64),
    CommuneEq(&'static str),
    CommuneIn(Vec<&'static str>),
    PopRange(i64, i64, bool, bool),
    PopNull(bool),
    Active,
    Like(&'static str),
    And(Vec<P>),
    Or(Vec<P>),
    Not(Box<P>),
}

impl P {
    fn text(&self) -> String {
        match self {
            P::PopCmp(op, n) => format!("population {op} {n}"),
            P::SurfLt(x) => format!("surface < {x}"),
            P::CommuneEq(c) => format!("commune = '{c}'"),
            P::CommuneIn(cs) => format!(
                "commune IN ({})",
                cs.iter()
                    .map(|c| format!("\"{c}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            P::PopRange(a, b, li, hi) => format!(
                "population IN {}{a}..{b}{}",
                if *li { "[" } else { "]" },
                if *hi { "]" } else { "[" }
            ),
            P::PopNull(neg) => format!("population IS {}NULL", if *neg { "NOT " } else { "" }),
            P::Active => "active".to_owned(),
            P::Like(p) => format!("commune LIKE '{p}'"),
            P::And(v) => v
                .iter()
                .map(|p| format!("({})", p.text()))
                .collect::<Vec<_>>()
                .join(" AND "),
            P::Or(v) => v
                .iter()
                .map(|p| format!("({})", p.text()))
                .collect::<Vec<_>>()
                .join(" or "),
            P::Not(p) => format!("NOT ({})", p.text()),
        }
    }

    fn holds(&self, m: &M) -> bool {
        match self {
            P::PopCmp(op, n) => m.population.is_some_and(|p| match *op {
                "=" => p == *n,
                "!=" => p != *n,
                "<" => p < *n,
                "<=" => p <= *n,
                ">" => p > *n,
                _ => p >= *n,
            }),
            P::SurfLt(x) => m.surface.is_some_and(|s| s < *x),
            P::CommuneEq(c) => m.commune.as_deref() == Some(*c),
            P::CommuneIn(cs) => m.commune.as_deref().is_some_and(|c| cs.contains(&c)),
            P::PopRange(a, b, li, hi) => m
                .population
                .is_some_and(|p| (p > *a || (*li && p == *a)) && (p < *b || (*hi && p == *b))),
            P::PopNull(neg) => m.population.is_none() != *neg,
            P::Active => m.active == Some(true),
            P::Like(p) => {
                let prefix = p.trim_end_matches('*').to_lowercase();
                m.commune.as_deref().is_some_and(|c| {
                    c.split(|ch: char| !ch.is_alphanumeric())
                        .any(|w| w.to_lowercase().replace('è', "e").starts_with(&prefix))
                })
            }
            P::And(v) => v.iter().all(|p| p.holds(m)),
            P::Or(v) => v.iter().any(|p| p.holds(m)),
            P::Not(p) => !p.holds(m),
        }
    }
}

fn pred() -> impl Strategy<Value = P> {
    let leaf = prop_oneof![
        (
            prop::sample::select(vec!["=", "!=", "<", "<=", ">", ">="]),
            -6i64..21
        )
            .prop_map(|(o, n)| P::PopCmp(o, n)),
        (0u32..40).prop_map(|x| P::SurfLt(f64::from(x) / 4.0)),
        prop::sample::select(COMMUNES.to_vec()).prop_map(P::CommuneEq),
        prop::sample::subsequence(COMMUNES.to_vec(), 1..3).prop_map(P::CommuneIn),
        (-6i64..21, -6i64..21, any::<bool>(), any::<bool>())
            .prop_map(|(a, b, l, h)| P::PopRange(a, b, l, h)),
        any::<bool>().prop_map(P::PopNull),
        Just(P::Active),
        prop::sample::select(vec!["l*", "lo*", "na*", "and*"]).prop_map(P::Like),
    ];
    leaf.prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(P::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(P::Or),
            inner.prop_map(|p| P::Not(Box::new(p))),
        ]
    })
}

fn model_schema() -> Schema {
    Schema::new([
        FieldDef::new("commune", FieldType::Text, ""),
        FieldDef::new("population", FieldType::Int, ""),
        FieldDef::new("surface", FieldType::Double, ""),
        FieldDef::new("active", FieldType::Boolean, ""),
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn filter_matches_the_model(ms in prop::collection::vec(model(), 0..30), p in pred()) {
        let f = compile_where(&p.text(), &model_schema()).unwrap();
        for m in &ms {
            prop_assert_eq!(f.matches(m.values().as_slice()), p.holds(m), "{} on {:?}", p.text(), m);
        }
    }

    #[test]
    fn sorted_pages_match_the_model(
        ms in prop::collection::vec(model(), 0..40),
        p in pred(),
        offset in 0usize..10,
        limit in prop::option::of(0usize..10),
        desc in any::<bool>(),
    ) {
        let dir = if desc { "DESC" } else { "ASC" };
        let q = CompiledQuery::new(QueryText {
            select: Some("population, surface, commune"),
            where_clause: Some(&p.text()),
            order_by: Some(&format!("population {dir}, surface")),
            group_by: None,
        }, &model_schema()).unwrap();
        let values: Vec<Vec<Value>> = ms.iter().map(M::values).collect();
        let got = q.execute(&values, Page { offset, limit });

        // Brute force: filter, stable sort (nulls last in both directions), slice.
        let mut want: Vec<&M> = ms.iter().filter(|m| p.holds(m)).collect();
        let total = want.len();
        want.sort_by(|a, b| {
            let pop = match (a.population, b.population) {
                (None, None) => std::cmp::Ordering::Equal,
                (None, _) => std::cmp::Ordering::Greater,
                (_, None) => std::cmp::Ordering::Less,
                (Some(x), Some(y)) => if desc { y.cmp(&x) } else { x.cmp(&y) },
            };
            pop.then_with(|| match (a.surface, b.surface) {
                (None, None) => std::cmp::Ordering::Equal,
                (None, _) => std::cmp::Ordering::Greater,
                (_, None) => std::cmp::Ordering::Less,
                (Some(x), Some(y)) => x.total_cmp(&y),
            })
        });
        let want: Vec<Vec<Value>> = want
            .into_iter()
            .skip(offset)
            .take(limit.unwrap_or(usize::MAX))
            .map(|m| vec![
                m.population.map_or(Value::Null, Value::Int),
                m.surface.map_or(Value::Null, Value::Float),
                m.commune.clone().map_or(Value::Null, Value::Text),
            ])
            .collect();
        prop_assert_eq!(got.total_count as usize, total);
        // Ties on (population, surface) may differ in commune order only by input order,
        // which both keep; compare whole rows.
        prop_assert_eq!(got.rows, want);
    }

    #[test]
    fn groups_match_the_model(ms in prop::collection::vec(model(), 0..40), p in pred()) {
        let q = CompiledQuery::new(QueryText {
            select: Some("count(*) AS n, count(population) AS np, sum(population) AS s, min(surface) AS lo, max(surface) AS hi, avg(population) AS a"),
            where_clause: Some(&p.text()),
            group_by: Some("commune"),
            order_by: None,
        }, &model_schema()).unwrap();
        let values: Vec<Vec<Value>> = ms.iter().map(M::values).collect();
        let got = q.execute(&values, ALL);

        use std::collections::BTreeMap;
        let mut groups: BTreeMap<Option<String>, Vec<&M>> = BTreeMap::new();
        for m in ms.iter().filter(|m| p.holds(m)) {
            groups.entry(m.commune.clone()).or_default().push(m);
        }
        // Engine order: keys ascending, null last.
        let mut want: Vec<Vec<Value>> = Vec::new();
        let mut entries: Vec<_> = groups.into_iter().collect();
        entries.sort_by_key(|(k, _)| (k.is_none(), k.clone()));
        for (k, ms) in entries {
            let pops: Vec<i64> = ms.iter().filter_map(|m| m.population).collect();
            let surfs: Vec<f64> = ms.iter().filter_map(|m| m.surface).collect();
            let opt = |v: Option<Value>| v.unwrap_or(Value::Null);
            want.push(vec![
                k.map_or(Value::Null, Value::Text),
                Value::Int(ms.len() as i64),
                Value::Int(pops.len() as i64),
                opt((!pops.is_empty()).then(|| Value::Int(pops.iter().sum()))),
                opt(surfs.iter().copied().reduce(f64::min).map(Value::Float)),
                opt(surfs.iter().copied().reduce(f64::max).map(Value::Float)),
                opt((!pops.is_empty()).then(|| Value::Float(pops.iter().sum::<i64>() as f64 / pops.len() as f64))),
            ]);
        }
        prop_assert_eq!(got.total_count as usize, want.len());
        prop_assert_eq!(got.rows, want);
    }
}

// ---------------------------------------------------------------- forms clients send (issue #11)

#[test]
fn search_suggest_and_startswith_over_fields_or_star() {
    assert_eq!(filter(r#"search(*, "louvain")"#), vec!["Louvain-la-Neuve"]);
    assert_eq!(filter(r#"search(commune, "liege")"#), vec!["Liège"]);
    assert_eq!(
        filter(r#"search(`commune`, `code postal`, "1000")"#),
        vec!["Bruxelles"]
    );
    // suggest: every word begins a word.
    assert_eq!(
        filter(r#"suggest("louv")"#),
        vec!["La Louvière", "Louvain-la-Neuve"]
    );
    assert_eq!(filter(r#"suggest(*, "brux")"#), vec!["Bruxelles"]);
    assert_eq!(
        filter(r#"suggest(commune, "lou neu")"#),
        vec!["Louvain-la-Neuve"]
    );
    assert!(filter(r#"search("louv")"#).is_empty());
    // startswith over several fields, or any text field.
    assert_eq!(
        filter(r#"startswith(commune, `code postal`, "53")"#),
        vec!["Andenne"]
    );
    assert_eq!(filter(r#"startswith("Nam")"#), vec!["Namur"]);
    assert_eq!(canon(r#"search(*, "x")"#), r#"search(*, "x")"#);
    assert_eq!(canon(r#"SUGGEST(a, b, 'x')"#), r#"suggest(a, b, "x")"#);
}

#[test]
fn text_and_date_functions() {
    assert_eq!(filter(r#"lower(commune) = "liège""#), vec!["Liège"]);
    assert_eq!(filter(r#"upper(commune) = "NAMUR""#), vec!["Namur"]);
    assert_eq!(filter("length(commune) = 5"), vec!["Namur", "Liège"]);
    assert_eq!(
        filter(r#"date_format(founded, "yyyy-MM") = "1972-05""#),
        vec!["Louvain-la-Neuve"]
    );
    assert_eq!(filter("founded < now()").len(), 6);
    assert_eq!(filter("founded > now(years=-10)").len(), 0);
    assert_eq!(filter("updated < now(days=-1, hour=0)").len(), 6);
    let (_, r) = run(
        r#"upper(commune) AS c, date_format(updated, "d MMMM yyyy 'at' HH:mm") AS d"#,
        "commune = 'Bruxelles'",
        "",
        "",
        ALL,
    );
    assert_eq!(
        r.rows,
        vec![vec![text("BRUXELLES"), text("4 October 1830 at 12:00")]]
    );
    let (_, r) = run(
        "lower(commune) AS c, count(*) AS n",
        "",
        "c",
        "c",
        Page {
            offset: 0,
            limit: Some(1),
        },
    );
    assert_eq!(r.rows, vec![vec![text("andenne"), Value::Int(1)]]);
    assert!(
        where_err("lower(population) = 'x'")
            .message
            .contains("text")
    );
    assert!(
        where_err(r#"date_format(founded, "yyyy-QQ") = 'x'"#)
            .message
            .contains("unsupported letter 'Q'")
    );
    assert!(
        where_err("now(fortnights=1) > founded")
            .message
            .contains("now()")
    );
}

#[test]
fn colon_and_to_ranges_and_unquoted_dates() {
    assert_eq!(filter("population:[100000..150000]"), vec!["Namur"]);
    assert_eq!(
        filter("population: [100000 TO 190000]"),
        vec!["Namur", "Bruxelles"]
    );
    assert_eq!(
        filter("population IN ]113000 TO 197000["),
        vec!["Bruxelles"]
    );
    assert_eq!(
        filter("founded:[1970-01-01 TO 1975-12-31]"),
        vec!["Louvain-la-Neuve"]
    );
    assert_eq!(
        filter("founded:[1972-05 TO 1972-05-10]"),
        vec!["Louvain-la-Neuve"]
    );
    assert_eq!(canon("a:[1 TO 2]"), "a IN [1..2]");
    assert_eq!(
        canon("d:[2024-01-01 TO 2024/12]"),
        "d IN [date'2024-01-01'..date'2024-12-01']"
    );
    // Arithmetic with spaces stays arithmetic.
    assert_eq!(canon("a IN [2024 - 1..2]"), "a IN [2024 - 1..2]");
}

#[test]
fn is_true_and_is_false() {
    assert_eq!(filter("active IS TRUE").len(), 4);
    assert_eq!(
        filter("active is false"),
        vec!["Andenne", "Louvain-la-Neuve"]
    );
    assert_eq!(
        filter("active IS NOT TRUE"),
        vec!["Andenne", "Louvain-la-Neuve"]
    );
    assert_eq!(canon("x IS TRUE"), "x = true");
    assert_eq!(canon("x IS NOT FALSE"), "NOT x = false");
}

#[test]
fn geo_functions() {
    // distance() is within_distance().
    assert_eq!(
        filter("distance(location, geom'POINT(4.35 50.85)', 5km)"),
        vec!["Bruxelles"]
    );
    // in_bbox(field, lat1, lon1, lat2, lon2): Namur and Andenne.
    assert_eq!(
        filter("in_bbox(location, 50.4, 4.8, 50.5, 5.2)"),
        vec!["Namur", "Andenne"]
    );
    assert_eq!(
        filter("in_bbox(location, 50.5, 5.2, 50.4, 4.8)"),
        vec!["Namur", "Andenne"]
    );
    // A polygon around the province of Namur (roughly), as WKT and as GeoJSON.
    let wkt = "POLYGON((4.7 50.3, 5.3 50.3, 5.3 50.6, 4.7 50.6, 4.7 50.3))";
    assert_eq!(
        filter(&format!("intersects(location, geom'{wkt}')")),
        vec!["Namur", "Andenne"]
    );
    let geojson = r#"{"type": "Polygon", "coordinates": [[[4.7, 50.3], [5.3, 50.3], [5.3, 50.6], [4.7, 50.6], [4.7, 50.3]]]}"#;
    assert_eq!(
        filter(&format!("polygon(location, geom'{geojson}')")),
        vec!["Namur", "Andenne"]
    );
    // A hole around Namur leaves it out; a second polygon around Brussels adds it.
    let holed = "POLYGON((4.7 50.3, 5.3 50.3, 5.3 50.6, 4.7 50.6, 4.7 50.3), (4.8 50.4, 4.9 50.4, 4.9 50.5, 4.8 50.5, 4.8 50.4))";
    assert_eq!(
        filter(&format!("intersects(location, geom'{holed}')")),
        vec!["Andenne"]
    );
    let multi = "MULTIPOLYGON(((4.7 50.3, 5.3 50.3, 5.3 50.6, 4.7 50.3)), ((4.3 50.8, 4.4 50.8, 4.4 50.9, 4.3 50.9)))";
    assert_eq!(
        filter(&format!("intersects(location, geom'{multi}')")),
        vec!["Andenne", "Bruxelles"]
    );
    assert_eq!(
        canon(&format!("intersects(location, geom'{wkt}')")),
        format!("intersects(location, geom'{wkt}')")
    );
    assert_eq!(
        canon(&format!("intersects(l, geom'{multi}')")),
        format!("intersects(l, geom'{multi}')")
    );
    assert!(
        where_err("intersects(location, geom'POLYGON((1 2, 3 4))')")
            .message
            .contains("invalid area")
    );
    assert!(
        where_err("intersects(commune, geom'POINT(1 2)')")
            .message
            .contains("geo_point_2d")
    );
    assert!(
        where_err(&format!("geom'{wkt}' = location"))
            .message
            .contains("only allowed in intersects()")
    );
}

#[test]
fn include_and_exclude_in_select() {
    let (cols, _) = run("include(c*)", "", "", "", ALL);
    assert_eq!(cols, vec!["commune", "code postal"]);
    let (cols, _) = run("exclude(location), exclude(`code postal`)", "", "", "", ALL);
    assert_eq!(
        cols,
        vec![
            "commune",
            "population",
            "surface",
            "active",
            "founded",
            "updated"
        ]
    );
    let (cols, r) = run(
        "commune, include(pop*), exclude(commune)",
        "commune = 'Namur'",
        "",
        "",
        ALL,
    );
    assert_eq!(cols, vec!["population"]);
    assert_eq!(r.rows, vec![vec![Value::Int(113_000)]]);
    assert_eq!(
        parse_select("include(c*), exclude(x)").unwrap(),
        vec![
            SelectItem::Include {
                pos: 0,
                pattern: "c*".into()
            },
            SelectItem::Exclude {
                pos: 13,
                pattern: "x".into()
            }
        ]
    );
    assert_eq!(
        print_list(&parse_select("INCLUDE( a* )").unwrap()),
        "include(a*)"
    );
    assert!(query("include(c*)", "", "commune", "").is_err());
    assert!(parse_select("include(a b)").is_err());
}

#[test]
fn date_ranges_in_group_by() {
    let (cols, r) = run("count(*) AS n", "", "range(founded, 1 year) AS y", "", ALL);
    assert_eq!(cols, vec!["y", "n"]);
    assert_eq!(
        r.rows,
        vec![
            vec![date("1830-01-01"), Value::Int(1)],
            vec![date("1972-01-01"), Value::Int(1)],
            vec![date("1977-01-01"), Value::Int(4)],
        ]
    );
    let (_, r) = run("count(*)", "", "range(founded, 10 years)", "", ALL);
    assert_eq!(r.rows[1], vec![date("1970-01-01"), Value::Int(5)]);
    let (_, r) = run(
        "count(*)",
        "founded < date'1900'",
        "range(updated, 1 month)",
        "",
        ALL,
    );
    assert_eq!(
        r.rows,
        vec![vec![
            Value::DateTime(DateTime::parse("1830-10-01T00:00:00Z").unwrap()),
            Value::Int(1)
        ]]
    );
    // 1972-05-10 was a Wednesday: its week starts on Monday the 8th.
    let (_, r) = run(
        "count(*)",
        "founded > date'1972' AND founded < date'1973'",
        "range(founded, 1 week)",
        "",
        ALL,
    );
    assert_eq!(r.rows, vec![vec![date("1972-05-08"), Value::Int(1)]]);
    let (_, r) = run(
        "count(*)",
        "founded > date'1972' AND founded < date'1973'",
        "range(updated, 1 day)",
        "",
        ALL,
    );
    assert_eq!(
        r.rows,
        vec![vec![
            Value::DateTime(DateTime::parse("1972-05-10T00:00:00Z").unwrap()),
            Value::Int(1)
        ]]
    );
    assert_eq!(
        print_list(&parse_group_by("RANGE(d, 3 Months)").unwrap()),
        "range(d, 3 month)"
    );
    assert!(query("count(*)", "", "range(population, 1 day)", "").is_err());
    assert!(parse_where("founded = 1 day").is_err());
}

#[test]
fn include_patterns_print_and_parse_back() {
    for text in ["include(a*)", "exclude(`code postal`)", "include(*_fr)"] {
        let items = parse_select(text).unwrap();
        assert_eq!(print_list(&items), text);
    }
}

// ---------------------------------------------------------------- columnar engine (issue #11)

/// The model records as a columnar source: commune dictionary-encoded (codes one byte
/// wide), the numbers dense with validity bitmaps, a name text column with a word index
/// and a point column with a grid (both optional, to test the scan and the index).
struct ModelColumns {
    rows: Vec<Vec<Value>>,
    communes: Vec<u8>,
    pop: (Vec<i64>, Vec<u64>),
    surf: (Vec<f64>, Vec<u64>),
    active: (Vec<bool>, Vec<u64>),
    founded: (Vec<Date>, Vec<u64>),
    geo: (Vec<GeoPoint>, Vec<u64>),
    names: Option<WordIndex>,
    grid: Option<GeoIndex>,
    keys: Option<KeyCache>,
}

fn dense<T: Copy>(vals: impl Iterator<Item = Option<T>>, fill: T) -> (Vec<T>, Vec<u64>) {
    let mut values = Vec::new();
    let mut valid = Vec::new();
    for (r, v) in vals.enumerate() {
        if r % 64 == 0 {
            valid.push(0u64);
        }
        if v.is_some() {
            valid[r / 64] |= 1 << (r % 64);
        }
        values.push(v.unwrap_or(fill));
    }
    (values, valid)
}

/// Rows: commune, population, surface, active, name, founded, geo.
fn extended_schema() -> Schema {
    Schema::new([
        FieldDef::new("commune", FieldType::Text, ""),
        FieldDef::new("population", FieldType::Int, ""),
        FieldDef::new("surface", FieldType::Double, ""),
        FieldDef::new("active", FieldType::Boolean, ""),
        FieldDef::new("name", FieldType::Text, ""),
        FieldDef::new("founded", FieldType::Date, ""),
        FieldDef::new("geo", FieldType::GeoPoint, ""),
    ])
}

const NAMES: [&str; 5] = [
    "Atelier numérique",
    "Boulangerie de la Gare",
    "Numérique & Cie",
    "École du Numérique",
    "",
];

impl ModelColumns {
    fn new(ms: &[M], indexed: bool) -> ModelColumns {
        let name = |i: usize| NAMES[i % NAMES.len()];
        let day = |i: usize| (i % 7 != 3).then(|| Date::from_days(-800 + (i as i32 * 37) % 2000));
        let point = |i: usize| {
            (i % 5 != 2).then(|| GeoPoint {
                lon: 4.0 + (i % 97) as f64 / 50.0,
                lat: 50.0 + (i % 89) as f64 / 60.0,
            })
        };
        let rows: Vec<Vec<Value>> = ms
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let mut v = m.values();
                v.push(match name(i) {
                    "" => Value::Null,
                    n => Value::Text(n.to_owned()),
                });
                v.push(day(i).map_or(Value::Null, Value::Date));
                v.push(point(i).map_or(Value::Null, Value::Geo));
                v
            })
            .collect();
        let geo = dense((0..ms.len()).map(point), GeoPoint { lon: 0.0, lat: 0.0 });
        let grid = indexed.then(|| GeoIndex::build(&geo.0, &geo.1));
        ModelColumns {
            communes: ms
                .iter()
                .map(|m| {
                    m.commune.as_deref().map_or(u8::MAX, |c| {
                        COMMUNES.iter().position(|x| *x == c).unwrap() as u8
                    })
                })
                .collect(),
            pop: dense(ms.iter().map(|m| m.population), 0),
            surf: dense(ms.iter().map(|m| m.surface), 0.0),
            active: dense(ms.iter().map(|m| m.active), false),
            founded: dense((0..ms.len()).map(day), Date::from_days(0)),
            names: if indexed {
                WordIndex::build(ms.len(), |i| Some(name(i)).filter(|n| !n.is_empty()), 1000)
            } else {
                None
            },
            grid,
            geo,
            rows,
            keys: indexed.then(KeyCache::default),
        }
    }
}

impl Columns for ModelColumns {
    type Row<'a> = &'a [Value];

    fn len(&self) -> usize {
        self.rows.len()
    }

    fn column(&self, field: usize) -> ColumnView<'_> {
        match field {
            0 => ColumnView::Dict {
                codes: Codes::U8(&self.communes),
                len: COMMUNES.len(),
            },
            1 => ColumnView::Int {
                values: &self.pop.0,
                valid: &self.pop.1,
            },
            2 => ColumnView::Float {
                values: &self.surf.0,
                valid: &self.surf.1,
            },
            3 => ColumnView::Bool {
                values: &self.active.0,
                valid: &self.active.1,
            },
            5 => ColumnView::Date {
                values: &self.founded.0,
                valid: &self.founded.1,
            },
            6 => ColumnView::Geo {
                values: &self.geo.0,
                valid: &self.geo.1,
            },
            _ => ColumnView::Other,
        }
    }

    fn dict_value(&self, _field: usize, code: u32) -> ValueRef<'_> {
        ValueRef::Text(COMMUNES[code as usize])
    }

    fn row(&self, index: usize) -> &[Value] {
        &self.rows[index]
    }

    fn word_index(&self, field: usize) -> Option<&WordIndex> {
        (field == 4).then_some(self.names.as_ref()).flatten()
    }

    fn geo_index(&self, field: usize) -> Option<&GeoIndex> {
        (field == 6).then_some(self.grid.as_ref()).flatten()
    }

    fn key_cache(&self) -> Option<&KeyCache> {
        self.keys.as_ref()
    }
}

/// Conditions on the extra fields: full text (index or scan), within_distance (grid or
/// scan), dates.
fn extra_pred() -> impl Strategy<Value = String> {
    prop_oneof![
        pred().prop_map(|p| p.text()),
        prop::sample::select(vec![
            r#""numerique""#,
            r#""numer*""#,
            r#"search(name, "gare")"#,
            r#"search(name, commune, "la")"#,
            r#"suggest("eco")"#,
            r#"name LIKE "*ique""#,
            "founded >= date'1970-01-01'",
            "founded < date'1969-06-30' OR founded IS NULL",
            "founded IN [date'1968-01-01'..date'1971-12-31']",
            "year(founded) = 1970",
            "within_distance(geo, geom'POINT(4.5 50.5)', 30km)",
            "within_distance(geo, geom'POINT(4.1 50.1)', 2km)",
            "within_distance(geo, geom'POINT(-70 10)', 5km)",
            "NOT within_distance(geo, geom'POINT(4.9 50.9)', 25km)",
            "in_bbox(geo, 50.2, 4.2, 50.8, 4.8)",
            "surface >= 2.5 AND active",
            "commune = 'Liège' OR population > 10",
        ])
        .prop_map(str::to_owned),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    /// The columnar engine answers exactly as the row engine, with and without indexes,
    /// for records, ordered pages and groups.
    #[test]
    fn columnar_execution_matches_the_row_engine(
        ms in prop::collection::vec(model(), 0..300),
        w in extra_pred(),
        indexed in any::<bool>(),
        shape in 0usize..9,
        offset in 0usize..5,
        limit in prop::option::of(0usize..12),
    ) {
        let cols = ModelColumns::new(&ms, indexed);
        let (select, group_by, order_by) = match shape {
            0 => (None, None, None),
            1 => (Some("commune, population"), None, Some("population DESC")),
            2 => (None, None, Some("surface")),
            3 => (Some("count(*) AS n, sum(population) AS s, avg(surface) AS a"), Some("commune"), None),
            4 => (Some("count(*) AS n, min(founded) AS lo, max(surface) AS hi, median(population) AS m"), Some("year(founded) AS y, active"), Some("n DESC")),
            5 => (Some("count(*), percentile(surface, 90) AS p, count(population) AS c"), Some("range(population, 5)"), None),
            6 => (Some("count(*) AS n, avg(population) AS a"), Some("range(founded, 1 month), range(population, *, 0, 10, *)"), None),
            7 => (Some("count(*) AS n, sum(surface) AS s"), None, None),
            _ => (Some("name, count(*) AS n"), Some("name"), Some("n DESC")),
        };
        let q = CompiledQuery::new(QueryText {
            select,
            where_clause: Some(&w),
            group_by,
            order_by,
        }, &extended_schema()).unwrap();
        let page = Page { offset, limit };
        let want = q.execute(cols.rows.iter().map(Vec::as_slice), page);
        let got = q.execute_columns(&cols, None, page);
        prop_assert_eq!(&got, &want, "{} / {:?}", w, shape);
        // Again, with the group keys numbered by the first run (when the source keeps them).
        let got = q.execute_columns(&cols, None, page);
        prop_assert_eq!(&got, &want, "{} / {:?}, second run", w, shape);
        // Candidates narrow the rows as a pre-filter would.
        let every_other = Bitmap::from_fn(cols.len(), |r| r % 2 == 0);
        let want = q.execute(cols.rows.iter().step_by(2).map(Vec::as_slice), page);
        let got = q.execute_columns(&cols, Some(every_other), page);
        prop_assert_eq!(got, want, "{} / {:?} on even rows", w, shape);
    }
}

/// Past 65,536 rows the work is split between the cores; the answers do not change.
#[test]
fn columnar_execution_on_many_rows_matches_the_row_engine() {
    let ms: Vec<M> = (0..150_000)
        .map(|i: i64| M {
            commune: (i % 11 != 0).then(|| COMMUNES[(i % 4) as usize].to_owned()),
            population: (i % 13 != 0).then_some((i * 7919) % 1000 - 20),
            surface: (i % 17 != 0).then_some(((i * 31) % 400) as f64 / 4.0),
            active: (i % 3 != 0).then_some(i % 2 == 0),
        })
        .collect();
    let cols = ModelColumns::new(&ms, true);
    for (select, w, g, o) in [
        ("count(*) AS n", "population >= 10", "commune", ""),
        (
            "count(*) AS n, sum(population) AS s, median(population) AS m, max(founded) AS f",
            "active",
            "year(founded)",
            "n DESC",
        ),
        (
            "count(*) AS n, avg(population) AS a",
            r#""numerique" AND surface < 50"#,
            "range(population, 100)",
            "",
        ),
        (
            "count(*) AS n, avg(surface) AS a",
            "within_distance(geo, geom'POINT(4.5 50.5)', 20km)",
            "commune",
            "",
        ),
        (
            "population, commune",
            "NOT (commune = 'Namur')",
            "",
            "population DESC",
        ),
    ] {
        let q = CompiledQuery::new(
            QueryText {
                select: Some(select),
                where_clause: Some(w),
                group_by: Some(g),
                order_by: Some(o),
            },
            &extended_schema(),
        )
        .unwrap();
        let page = Page {
            offset: 3,
            limit: Some(20),
        };
        let want = q.execute(cols.rows.iter().map(Vec::as_slice), page);
        assert!(want.total_count > 0, "{select} / {w}");
        assert_eq!(q.execute_columns(&cols, None, page), want, "{select} / {w}");
    }
}
