use proptest::prelude::*;

use super::*;

/// Parses `input`, checks its canonical text, and that the canonical text parses back.
#[track_caller]
fn check(input: &str, expected_display: &str) -> Query {
    let q = parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
    assert_eq!(q.to_string(), expected_display, "display of {input:?}");
    assert_eq!(parse(expected_display).as_ref(), Ok(&q), "re-parse");
    assert_eq!(Query::from_json(&q.to_json()).as_ref(), Ok(&q), "JSON");
    q
}

/// Checks that `input` fails at `position` and that the error text contains `contains`.
#[track_caller]
fn check_err(input: &str, position: usize, contains: &str) -> ParseError {
    let e = parse(input).expect_err(input);
    assert_eq!(e.position, position, "{input:?}: {e}");
    assert!(e.to_string().contains(contains), "{input:?}: {e}");
    e
}

fn concept(scheme: &str, notation: &str) -> Query {
    Query::Concept {
        scheme: scheme.into(),
        notation: notation.into(),
    }
}

fn rel(kind: &str, target: Target) -> Query {
    Query::Relation {
        kind: kind.into(),
        target,
    }
}

fn entity(kind: &str, key: &str) -> Target {
    Target::Entity {
        kind: kind.into(),
        key: key.into(),
    }
}

fn c(n: &str) -> Query {
    concept("s", n)
}

fn and(terms: Vec<Query>) -> Query {
    Query::And { terms }
}

fn or(terms: Vec<Query>) -> Query {
    Query::Or { terms }
}

fn not(term: Query) -> Query {
    Query::Not {
        term: Box::new(term),
    }
}

fn cmp(field: Field, cmp: CmpOp, value: Value) -> Query {
    Query::Compare { field, cmp, value }
}

const MEMO_1: &str = "organisation-kind:startup AND digital-offer:ia AND rel:participated_in=mission AND rel:funded_by=fund/fonds-wing AND rel:laureate_of=programme/dw4ai";
const MEMO_2: &str = "nace-bel-2008:C AND (rel:labelled=label/factory-of-the-future OR rel:labelled=label/made-different) AND rel:member_of=organisation-kind:pole-de-competitivite";

#[test]
fn memorandum_example_1() {
    let q = check(MEMO_1, MEMO_1);
    assert_eq!(
        q,
        and(vec![
            concept("organisation-kind", "startup"),
            concept("digital-offer", "ia"),
            rel(
                "participated_in",
                Target::Kind {
                    kind: "mission".into()
                }
            ),
            rel("funded_by", entity("fund", "fonds-wing")),
            rel("laureate_of", entity("programme", "dw4ai")),
        ])
    );
}

#[test]
fn memorandum_example_2() {
    let q = check(MEMO_2, MEMO_2);
    assert_eq!(
        q,
        and(vec![
            concept("nace-bel-2008", "C"),
            or(vec![
                rel("labelled", entity("label", "factory-of-the-future")),
                rel("labelled", entity("label", "made-different")),
            ]),
            rel(
                "member_of",
                Target::Concept {
                    scheme: "organisation-kind".into(),
                    notation: "pole-de-competitivite".into(),
                }
            ),
        ])
    );
}

#[test]
fn precedence_and_juxtaposition() {
    let q = check("s:a OR s:b s:c", "s:a OR s:b AND s:c");
    assert_eq!(q, or(vec![c("a"), and(vec![c("b"), c("c")])]));
    check("s:a s:b OR s:c", "s:a AND s:b OR s:c");
    check("(s:a OR s:b) s:c", "(s:a OR s:b) AND s:c");
    check("s:a AND (s:b AND s:c)", "s:a AND s:b AND s:c");
    check("(s:a OR (s:b OR s:c))", "s:a OR s:b OR s:c");
    check("((s:a))", "s:a");
    check("s:a OR s:b AND s:c OR s:d", "s:a OR s:b AND s:c OR s:d");
}

#[test]
fn negation() {
    assert_eq!(check("-s:a", "NOT s:a"), not(c("a")));
    check("NOT s:a", "NOT s:a");
    check("not s:a s:b", "NOT s:a AND s:b");
    check("--s:a", "NOT NOT s:a");
    check("- s:a", "NOT s:a");
    check("NOT (s:a OR s:b)", "NOT (s:a OR s:b)");
    check("-(s:a s:b)", "NOT (s:a AND s:b)");
    check("s:a -rel:funded_by", "s:a AND NOT rel:funded_by");
    check("NOT *", "NOT *");
}

#[test]
fn french_and_case_insensitive_keywords() {
    let q = check(
        "s:a ET s:b OU s:c SAUF s:d",
        "s:a AND s:b OR s:c AND NOT s:d",
    );
    assert_eq!(
        q,
        or(vec![
            and(vec![c("a"), c("b")]),
            and(vec![c("c"), not(c("d"))])
        ])
    );
    check("non s:a et s:b ou s:c", "NOT s:a AND s:b OR s:c");
    check("s:a and s:b Or s:c", "s:a AND s:b OR s:c");
}

#[test]
fn whitespace_insensitive() {
    check("  ( s:a   OR\ts:b )\n s:c  ", "(s:a OR s:b) AND s:c");
    check("(s:a OR s:b)s:c", "(s:a OR s:b) AND s:c");
}

#[test]
fn all() {
    assert_eq!(check("", "*"), Query::All);
    assert_eq!(check("  \n ", "*"), Query::All);
    assert_eq!(check("*", "*"), Query::All);
    check("s:a *", "s:a AND *");
}

#[test]
fn text() {
    assert_eq!(
        check("\"data center\"", "\"data center\""),
        Query::Text {
            text: "data center".into()
        }
    );
    check("text:cloud", "\"cloud\"");
    check("text:\"big data\" s:a", "\"big data\" AND s:a");
    let q = check(r#""say \"hi\" \\o/""#, r#""say \"hi\" \\o/""#);
    assert_eq!(
        q,
        Query::Text {
            text: r#"say "hi" \o/"#.into()
        }
    );
    check(
        "\"énergie (verte)\" OR \"AND\"",
        "\"énergie (verte)\" OR \"AND\"",
    );
}

#[test]
fn comparisons() {
    assert_eq!(
        check("founded>=2015", "founded>=2015"),
        cmp(Field::Founded, CmpOp::Ge, Value::Int(2015))
    );
    assert_eq!(
        check("founded<2020-06-01", "founded<2020-06-01"),
        cmp(Field::Founded, CmpOp::Lt, Value::Date("2020-06-01".into()))
    );
    check("employees<50", "employees<50");
    check(
        "employees>=10 employees<=250",
        "employees>=10 AND employees<=250",
    );
    check("employees!=0", "employees!=0");
    check("employees>0", "employees>0");
    check("founded=2016", "founded=2016");
    check("founded:2016", "founded=2016");
    check("founded:2024-02-29", "founded=2024-02-29");
    assert_eq!(
        check("founded:2015..2020", "founded>=2015 AND founded<=2020"),
        and(vec![
            cmp(Field::Founded, CmpOp::Ge, Value::Int(2015)),
            cmp(Field::Founded, CmpOp::Le, Value::Int(2020)),
        ])
    );
    check(
        "s:a founded:2015..2020",
        "s:a AND founded>=2015 AND founded<=2020",
    );
    check("-employees:10..50", "NOT (employees>=10 AND employees<=50)");
    check(
        "s:a OR founded:2015..2020",
        "s:a OR founded>=2015 AND founded<=2020",
    );
}

#[test]
fn relation_targets() {
    assert_eq!(
        check("rel:operates", "rel:operates"),
        rel("operates", Target::Any)
    );
    check(
        "rel:located_in=territory:62063",
        "rel:located_in=territory:62063",
    );
    check("rel:part_of=programme", "rel:part_of=programme");
    check(
        "rel:partner_of=organisation/acme.be",
        "rel:partner_of=organisation/acme.be",
    );
    check(
        "nace-bel-2008:62.010 territory:62063",
        "nace-bel-2008:62.010 AND territory:62063",
    );
}

#[test]
fn error_display() {
    let e = check_err("s:a AND )", 8, "");
    assert_eq!(
        e.to_string(),
        "at position 8: expected a term (scheme:notation, rel:..., \"text\", ...) but found ')'"
    );
    let e = check_err("rel:fundd_by=fund/x", 4, "");
    assert_eq!(
        e.to_string(),
        "at position 4: expected a relation kind but found 'fundd_by'; did you mean 'funded_by'?"
    );
}

#[test]
fn structural_errors() {
    check_err("s:a AND", 7, "but found end of input");
    check_err("s:a OR OR s:b", 7, "found 'OR'");
    check_err("s:a ou", 6, "expected a term");
    check_err(
        "(s:a",
        4,
        "expected ')' but found end of input; to close '(' at position 0",
    );
    check_err("s:a)", 3, "unbalanced ')'");
    check_err("()", 1, "expected a term");
    check_err("s:a NOT", 7, "expected a term");
    check_err("s:a \"abc", 4, "unterminated quoted text");
    check_err("\"abc\\\"", 0, "unterminated");
    check_err("s:a \"  \"", 4, "expected a non-blank text");
    check_err("text:", 5, "expected a non-blank text");
    check_err(
        "hello",
        0,
        "for a full-text search write \"hello\" or text:hello",
    );
    check_err("founded >= 2015", 0, "write comparisons without spaces");
}

#[test]
fn vocabulary_errors() {
    check_err("s:a rel:", 8, "expected a relation kind but found nothing");
    check_err(
        "rel:funded_by=fnd/x",
        14,
        "found 'fnd'; did you mean 'fund'?",
    );
    check_err("rel:funded_by=fund/", 19, "expected an entity key");
    check_err("rel:funded_by=fund/a+b", 20, "found '+'");
    check_err("rel:funded_by=", 14, "expected a target");
    check_err("rel:participated_in=misson", 20, "did you mean 'mission'");
    check_err("rel:member_of=Kind:x", 14, "expected a scheme");
    check_err("rel:member_of=kind:x!", 20, "expected a notation");
    check_err("fonded>=2015", 0, "did you mean 'founded'?");
    check_err(
        "<5",
        0,
        "expected a field (founded, employees) but found nothing",
    );
    check_err("employees!5", 9, "expected an operator");
    check_err("Nace:C", 0, "expected a scheme");
    check_err("nace-bel:C+1", 10, "found '+'");
    check_err("nace:", 5, "expected a notation");
    check_err(":C", 0, "expected a scheme");
    check_err("text:x rel:x", 11, "expected a relation kind");
}

#[test]
fn value_errors() {
    check_err(
        "employees<-5",
        10,
        "expected a non-negative integer but found '-5'",
    );
    check_err("employees<99999999999999999999999", 10, "number too large");
    check_err(
        "founded>=20",
        9,
        "expected a year (YYYY) or a date (YYYY-MM-DD)",
    );
    check_err("founded>=0999", 9, "expected a year");
    check_err("founded<2020-13-01", 8, "no such date");
    check_err("founded<2023-02-29", 8, "no such date");
    check_err("founded>", 8, "found nothing");
    check_err("employees:10..x", 14, "expected a non-negative integer");
    check_err("founded:2020..2015", 8, "empty range");
}

#[test]
fn limits() {
    let long = format!("\"{}\"", "x".repeat(MAX_LENGTH - 2));
    assert!(parse(&long).is_ok());
    let e = check_err(&format!("{long} "), MAX_LENGTH, "limit MAX_LENGTH exceeded");
    assert_eq!(e.found, "2001 characters");
    check_err(&"-".repeat(1_000_000), MAX_LENGTH, "MAX_LENGTH");

    let nested = |n: usize| format!("{}s:a{}", "(".repeat(n), ")".repeat(n));
    check(&nested(MAX_DEPTH), "s:a");
    check_err(
        &nested(MAX_DEPTH + 1),
        MAX_DEPTH,
        "limit MAX_DEPTH exceeded",
    );
    check_err(
        &"NOT ".repeat(400),
        4 * MAX_DEPTH,
        "at most 32 nesting levels",
    );
    check_err(&"(".repeat(1999), MAX_DEPTH, "MAX_DEPTH");

    // `NOT founded:a..b` prints as `NOT (… AND …)`, one level deeper.
    let nots = "NOT ".repeat(MAX_DEPTH - 1);
    check(
        &format!("{nots}founded:2000..2001"),
        &format!("{nots}(founded>=2000 AND founded<=2001)"),
    );
    check_err(
        &format!("{nots}NOT founded:2000..2001"),
        4 * MAX_DEPTH,
        "MAX_DEPTH",
    );

    // The canonical form must fit too: juxtaposition prints as ` AND `.
    let texts = vec![format!("\"{}\"", "x".repeat(28)); MAX_TERMS].join(" ");
    assert_eq!(texts.len(), 1983);
    let e = check_err(
        &texts,
        1983,
        "limit MAX_LENGTH exceeded (the canonical form",
    );
    assert_eq!(e.found, "2235 characters in its canonical form");

    let many = |n: usize| vec!["s:a"; n].join(" ");
    assert_eq!(
        parse(&many(MAX_TERMS)).map(|q| q.terms().len()),
        Ok(MAX_TERMS)
    );
    check_err(
        &many(MAX_TERMS + 1),
        4 * MAX_TERMS,
        "limit MAX_TERMS exceeded",
    );
    let ranges = vec!["founded:2000..2001"; MAX_TERMS / 2].join(" ");
    assert!(parse(&ranges).is_ok());
    check_err(&format!("{ranges} s:a"), ranges.len() + 1, "MAX_TERMS");
}

#[test]
fn positions_are_char_offsets() {
    check_err("\"éé\" )", 5, "found ')'");
}

#[test]
fn terms_lists_leaves_left_to_right() {
    let q = parse(MEMO_2).unwrap();
    let terms: Vec<String> = q.terms().iter().map(|t| t.to_string()).collect();
    assert_eq!(
        terms,
        [
            "nace-bel-2008:C",
            "rel:labelled=label/factory-of-the-future",
            "rel:labelled=label/made-different",
            "rel:member_of=organisation-kind:pole-de-competitivite"
        ]
    );
}

#[test]
fn json_shape() {
    let q = parse("s:a rel:funded_by=fund/w rel:member_of=k:p rel:operates rel:part_of=programme founded>=2015 founded<2020-06-01 -\"x\"").unwrap();
    assert_eq!(
        q.to_json(),
        concat!(
            r#"{"op":"and","terms":["#,
            r#"{"op":"concept","scheme":"s","notation":"a"},"#,
            r#"{"op":"relation","kind":"funded_by","target":{"type":"entity","kind":"fund","key":"w"}},"#,
            r#"{"op":"relation","kind":"member_of","target":{"type":"concept","scheme":"k","notation":"p"}},"#,
            r#"{"op":"relation","kind":"operates","target":{"type":"any"}},"#,
            r#"{"op":"relation","kind":"part_of","target":{"type":"kind","kind":"programme"}},"#,
            r#"{"op":"compare","field":"founded","cmp":">=","value":2015},"#,
            r#"{"op":"compare","field":"founded","cmp":"<","value":"2020-06-01"},"#,
            r#"{"op":"not","term":{"op":"text","text":"x"}}]}"#
        )
    );
    assert_eq!(Query::All.to_json(), r#"{"op":"all"}"#);
    for memo in [MEMO_1, MEMO_2] {
        let q = parse(memo).unwrap();
        assert_eq!(Query::from_json(&q.to_json()), Ok(q.clone()));
        let pretty = serde_json::to_string_pretty(&q).unwrap();
        assert_eq!(Query::from_json(&pretty), Ok(q));
    }
}

#[test]
fn json_is_normalised_and_validated() {
    let q = Query::from_json(
        r#"{"op":"and","terms":[{"op":"or","terms":[{"op":"concept","scheme":"s","notation":"a"}]},{"op":"and","terms":[]}]}"#,
    );
    assert_eq!(q, Ok(and(vec![c("a"), Query::All])));
    assert_eq!(
        Query::from_json(r#"{"op":"or","terms":[]}"#),
        Ok(not(Query::All))
    );

    let e = Query::from_json("{\"op\":\"text\",\n \"txt\":\"a\"}").unwrap_err();
    // Internally tagged: serde_json reports such errors at the end of the object.
    assert_eq!(e.position, 25, "{e}");
    assert!(e.message.contains("unknown field"), "{e}");
    let e = Query::from_json(r#"{"op":"maybe"}"#).unwrap_err();
    assert!(e.message.contains("unknown variant"), "{e}");

    let bad = |json: &str, contains: &str| {
        let e = Query::from_json(json).unwrap_err();
        let head: String = json.chars().take(80).collect();
        assert!(e.to_string().contains(contains), "{head}: {e}");
    };
    bad(
        r#"{"op":"relation","kind":"fundedby","target":{"type":"any"}}"#,
        "did you mean 'funded_by'?",
    );
    bad(
        r#"{"op":"relation","kind":"funded_by","target":{"type":"kind","kind":"fonds"}}"#,
        "did you mean 'fund'?",
    );
    bad(
        r#"{"op":"concept","scheme":"rel","notation":"x"}"#,
        "reserved",
    );
    bad(
        r#"{"op":"concept","scheme":"s","notation":"a b"}"#,
        "found ' '",
    );
    bad(r#"{"op":"text","text":" "}"#, "non-blank");
    bad(
        r#"{"op":"compare","field":"employees","cmp":"<","value":"2020-01-01"}"#,
        "non-negative integer",
    );
    bad(
        r#"{"op":"compare","field":"founded","cmp":"<","value":"2020"}"#,
        "date string",
    );
    bad(
        r#"{"op":"compare","field":"founded","cmp":"<","value":999}"#,
        "a year",
    );
    bad(
        r#"{"op":"compare","field":"founded","cmp":"~","value":1999}"#,
        "unknown variant",
    );

    let deep = (0..=MAX_DEPTH).fold(c("a"), |q, _| not(q));
    bad(&deep.to_json(), "MAX_DEPTH");
    let ok = (0..MAX_DEPTH).fold(c("a"), |q, _| not(q));
    assert_eq!(Query::from_json(&ok.to_json()), Ok(ok));
    let wide = and(vec![c("a"); MAX_TERMS + 1]);
    bad(&wide.to_json(), "MAX_TERMS");
    let long = Query::Text {
        text: "x".repeat(MAX_LENGTH),
    };
    bad(&long.to_json(), "MAX_LENGTH");
    bad(&" ".repeat(MAX_JSON_LENGTH + 1), "MAX_JSON_LENGTH");
    let nested = format!(
        "{}{{\"op\":\"all\"}}{}",
        "{\"op\":\"not\",\"term\":".repeat(10_000),
        "}".repeat(10_000)
    );
    bad(&nested, "MAX_JSON_LENGTH");
    let nested = format!(
        "{}{{\"op\":\"all\"}}{}",
        "{\"op\":\"not\",\"term\":".repeat(1_000),
        "}".repeat(1_000)
    );
    bad(&nested, "recursion limit");
}

// --- property tests -------------------------------------------------------------------------

fn slug() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._-]{1,8}"
}

fn scheme() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,8}".prop_filter("reserved", |s| !RESERVED_SCHEMES.contains(&s.as_str()))
}

fn value_for(field: Field) -> BoxedStrategy<Value> {
    match field {
        Field::Employees => any::<u64>().prop_map(Value::Int).boxed(),
        Field::Founded => prop_oneof![
            (1000u64..=9999).prop_map(Value::Int),
            (1000u32..=9999, 1u32..=12, 1u32..=28)
                .prop_map(|(y, m, d)| Value::Date(format!("{y:04}-{m:02}-{d:02}"))),
        ]
        .boxed(),
    }
}

fn target() -> impl Strategy<Value = Target> {
    let kind = proptest::sample::select(ENTITY_KINDS).prop_map(str::to_owned);
    prop_oneof![
        Just(Target::Any),
        kind.clone().prop_map(|kind| Target::Kind { kind }),
        (kind, slug()).prop_map(|(kind, key)| Target::Entity { kind, key }),
        (scheme(), slug()).prop_map(|(scheme, notation)| Target::Concept { scheme, notation }),
    ]
}

fn leaf() -> impl Strategy<Value = Query> {
    prop_oneof![
        Just(Query::All),
        (scheme(), slug()).prop_map(|(scheme, notation)| Query::Concept { scheme, notation }),
        (proptest::sample::select(RELATION_KINDS), target()).prop_map(|(kind, target)| {
            Query::Relation {
                kind: kind.to_owned(),
                target,
            }
        }),
        (
            proptest::sample::select(Field::ALL.to_vec()),
            proptest::sample::select(CmpOp::ALL.to_vec())
        )
            .prop_flat_map(|(field, cmp)| value_for(field)
                .prop_map(move |value| Query::Compare { field, cmp, value })),
        "\\PC{0,12}"
            .prop_filter("blank", |t| !t.trim().is_empty())
            .prop_map(|text| Query::Text { text }),
    ]
}

fn query() -> impl Strategy<Value = Query> {
    leaf().prop_recursive(6, 48, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(|terms| Query::And { terms }),
            proptest::collection::vec(inner.clone(), 0..5).prop_map(|terms| Query::Or { terms }),
            inner.prop_map(|t| Query::Not { term: Box::new(t) }),
        ]
    })
}

const TOKENS: &[&str] = &[
    "(",
    ")",
    " ",
    " ",
    "-",
    "AND",
    "OR",
    "NOT",
    "et",
    "ou",
    "sauf",
    "non",
    "*",
    "\"",
    "\\",
    "\"a b\"",
    "text:",
    "rel:",
    "funded_by",
    "=",
    "/",
    ":",
    "fund/x",
    "s:a",
    "nace-bel-2008:C",
    "founded",
    ">=",
    "<",
    "!",
    "2015",
    "..",
    "2020-06-01",
    "employees",
    "founded:2015..2020",
    "employees:1..9",
    "é",
    "\u{0}",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn display_round_trips(q in query()) {
        let q = q.normalized();
        prop_assume!(q.validate().is_ok());
        prop_assert_eq!(parse(&q.to_string()), Ok(q.clone()), "text: {}", q);
        prop_assert_eq!(Query::from_json(&q.to_json()), Ok(q));
    }

    #[test]
    fn random_strings_never_panic(s in "\\PC{0,80}|[ -~]{0,200}") {
        let _ = parse(&s);
        let _ = Query::from_json(&s);
    }

    #[test]
    fn token_soup_never_panics(parts in proptest::collection::vec(proptest::sample::select(TOKENS), 0..60)) {
        let s = parts.concat();
        if let Ok(q) = parse(&s) {
            prop_assert_eq!(parse(&q.to_string()), Ok(q.clone()), "input: {}", s);
            prop_assert_eq!(Query::from_json(&q.to_json()), Ok(q));
        }
        let joined = parts.join(" ");
        if let Ok(q) = parse(&joined) {
            prop_assert_eq!(parse(&q.to_string()), Ok(q), "input: {}", joined);
        }
    }

    #[test]
    fn errors_point_inside_the_input(s in "[ -~]{0,60}") {
        if let Err(e) = parse(&s) {
            prop_assert!(e.position <= s.chars().count(), "{}: {}", s, e);
        }
    }
}

#[test]
fn documented_json_example_is_valid() {
    let json = r#"{"op":"and","terms":[
  {"op":"concept","scheme":"nace-bel-2008","notation":"C"},
  {"op":"or","terms":[
    {"op":"relation","kind":"labelled","target":{"type":"entity","kind":"label","key":"factory-of-the-future"}},
    {"op":"relation","kind":"labelled","target":{"type":"entity","kind":"label","key":"made-different"}}]},
  {"op":"relation","kind":"member_of","target":{"type":"concept","scheme":"organisation-kind","notation":"pole-de-competitivite"}},
  {"op":"relation","kind":"participated_in","target":{"type":"kind","kind":"mission"}},
  {"op":"relation","kind":"operates","target":{"type":"any"}},
  {"op":"compare","field":"founded","cmp":">=","value":2015},
  {"op":"compare","field":"founded","cmp":"<","value":"2020-06-01"},
  {"op":"not","term":{"op":"text","text":"data center"}},
  {"op":"all"}]}"#;
    let q = Query::from_json(json).unwrap();
    assert_eq!(
        q.to_string(),
        format!(
            "{} AND rel:participated_in=mission AND rel:operates AND founded>=2015 \
             AND founded<2020-06-01 AND NOT \"data center\" AND *",
            MEMO_2
        )
    );
}

#[test]
fn documented_errors() {
    for (input, text) in [
        (
            "founded<2020-13-01",
            "at position 8: expected a year (YYYY) or a date (YYYY-MM-DD) but found '2020-13-01'; no such date",
        ),
        (
            "fonded>=2015",
            "at position 0: expected a field (founded, employees) but found 'fonded'; did you mean 'founded'?",
        ),
        (
            "rel:funded_by=fnd/x",
            "at position 14: expected an entity kind but found 'fnd'; did you mean 'fund'?",
        ),
    ] {
        assert_eq!(parse(input).unwrap_err().to_string(), text);
    }
}
