//! The DCAT-AP 3.0 description of the catalogue, as Turtle, RDF/XML and JSON-LD.
//!
//! The graph is built once as a list of triples (every node an IRI: no blank nodes, so the
//! three serialisations stay simple and agree), then written by hand:
//!
//! ```text
//!  <…/catalog> a dcat:Catalog ── dcat:dataset ──► <…/catalog/datasets/{id}> a dcat:Dataset
//!        │ dcat:service                              ├─ dcat:distribution ──► <…/exports/csv> …
//!        ▼                                           ├─ dcat:contactPoint ──► <…#contact> a vcard:Kind
//!  <…/api/explore/v2.1#service> a dcat:DataService          └─ dct:temporal ──► <…#temporal> a dct:PeriodOfTime
//! ```
//!
//! Controlled vocabularies are the EU Publications Office authority tables (data themes,
//! file types, languages, licences, access rights, frequencies, countries) and IANA media
//! types; every object node is typed with the class DCAT-AP's range shapes expect.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::catalogue::Catalogue;
use crate::export::Format;

const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
const DCT: &str = "http://purl.org/dc/terms/";
const DCAT: &str = "http://www.w3.org/ns/dcat#";
const FOAF: &str = "http://xmlns.com/foaf/0.1/";
const VCARD: &str = "http://www.w3.org/2006/vcard/ns#";
const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";
const XSD: &str = "http://www.w3.org/2001/XMLSchema#";
const DCATAP: &str = "http://data.europa.eu/r5r/";
const ADMS: &str = "http://www.w3.org/ns/adms#";
const EU: &str = "http://publications.europa.eu/resource/authority/";

const PREFIXES: [(&str, &str); 10] = [
    ("rdf", RDF),
    ("dct", DCT),
    ("dcat", DCAT),
    ("foaf", FOAF),
    ("vcard", VCARD),
    ("skos", SKOS),
    ("xsd", XSD),
    ("dcatap", DCATAP),
    ("adms", ADMS),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
];

/// An RDF serialisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RdfFormat {
    Turtle,
    RdfXml,
    JsonLd,
}

impl RdfFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            RdfFormat::Turtle => "text/turtle; charset=utf-8",
            RdfFormat::RdfXml => "application/rdf+xml; charset=utf-8",
            RdfFormat::JsonLd => "application/ld+json; charset=utf-8",
        }
    }

    /// From a `format` parameter or a media type.
    pub fn parse(name: &str) -> Option<RdfFormat> {
        let n = name
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        Some(match n.as_str() {
            "turtle" | "ttl" | "text/turtle" => RdfFormat::Turtle,
            "xml" | "rdf" | "rdfxml" | "rdf/xml" | "rdf-xml" | "application/rdf+xml" => {
                RdfFormat::RdfXml
            }
            "jsonld" | "json-ld" | "application/ld+json" => RdfFormat::JsonLd,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Term {
    Iri(String),
    Lit {
        value: String,
        lang: Option<&'static str>,
        datatype: Option<&'static str>,
    },
}

#[derive(Default)]
struct Graph {
    /// subject → (predicate, object), in insertion order per subject.
    subjects: BTreeMap<String, Vec<(String, Term)>>,
    order: Vec<String>,
}

impl Graph {
    fn add(&mut self, s: &str, p: String, o: Term) {
        if !self.subjects.contains_key(s) {
            self.order.push(s.to_owned());
        }
        let v = self.subjects.entry(s.to_owned()).or_default();
        if !v.iter().any(|(pp, oo)| *pp == p && *oo == o) {
            v.push((p, o));
        }
    }
    fn iri(&mut self, s: &str, p: &str, o: &str) {
        self.add(s, p.to_owned(), Term::Iri(o.to_owned()));
    }
    fn a(&mut self, s: &str, class: &str) {
        self.iri(s, &format!("{RDF}type"), class);
    }
    fn text(&mut self, s: &str, p: &str, value: &str, lang: &'static str) {
        if !value.is_empty() {
            self.add(
                s,
                p.to_owned(),
                Term::Lit {
                    value: value.to_owned(),
                    lang: Some(lang),
                    datatype: None,
                },
            );
        }
    }
    fn plain(&mut self, s: &str, p: &str, value: &str) {
        self.add(
            s,
            p.to_owned(),
            Term::Lit {
                value: value.to_owned(),
                lang: None,
                datatype: None,
            },
        );
    }
    fn typed(&mut self, s: &str, p: &str, value: String, datatype: &'static str) {
        self.add(
            s,
            p.to_owned(),
            Term::Lit {
                value,
                lang: None,
                datatype: Some(datatype),
            },
        );
    }
    /// A vocabulary node: typed, with a label when it is a SKOS concept.
    fn node(&mut self, iri: &str, class: &str, label: Option<&str>) {
        self.a(iri, class);
        if let Some(l) = label {
            self.text(iri, &format!("{SKOS}prefLabel"), l, "en");
        }
    }
}

fn theme_label(code: &str) -> &'static str {
    match code {
        "AGRI" => "Agriculture, fisheries, forestry and food",
        "ECON" => "Economy and finance",
        "EDUC" => "Education, culture and sport",
        "ENER" => "Energy",
        "ENVI" => "Environment",
        "GOVE" => "Government and public sector",
        "HEAL" => "Health",
        "INTR" => "International issues",
        "JUST" => "Justice, legal system and public safety",
        "REGI" => "Regions and cities",
        "SOCI" => "Population and society",
        "TECH" => "Science and technology",
        "TRAN" => "Transport",
        _ => "Other",
    }
}

fn graph(cat: &Catalogue, base: &str) -> Graph {
    let base = base.trim_end_matches('/');
    let api = format!("{base}/api/explore/v2.1");
    let c = format!("{api}/catalog");
    let publisher = format!("{base}/#publisher");
    let licence = cat.publisher.licence_uri.as_str();
    let mut g = Graph::default();
    let (dct, dcat, foaf) = (DCT, DCAT, FOAF);
    let p = |ns: &str, local: &str| format!("{ns}{local}");
    let date_of = |d: territoria_odsql::Date| d.to_string();
    let modified = cat.modified.map(|m| m.to_string());

    // The catalogue.
    g.a(&c, &p(dcat, "Catalog"));
    g.text(
        &c,
        &p(dct, "title"),
        "Catalogue de données ouvertes Territoria",
        "fr",
    );
    g.text(&c, &p(dct, "title"), "Territoria open data catalogue", "en");
    g.text(
        &c,
        &p(dct, "description"),
        "Données ouvertes de l'intelligence territoriale wallonne (stratégie Digital Wallonia) : \
         organisations, actions, indicateurs et observations, programmes, référentiels, lieux, \
         aimants intelligents.",
        "fr",
    );
    g.text(
        &c,
        &p(dct, "description"),
        "Open data of Walloon territorial intelligence (Digital Wallonia strategy): organisations, \
         actions, indicators and observations, programmes, taxonomies, places, smart magnets.",
        "en",
    );
    g.iri(&c, &p(dct, "publisher"), &publisher);
    g.iri(&c, &p(foaf, "homepage"), &format!("{base}/"));
    g.a(&format!("{base}/"), &p(foaf, "Document"));
    g.iri(&c, &p(dct, "license"), licence);
    g.a(licence, &p(dct, "LicenseDocument"));
    let attribution = "http://purl.org/adms/licencetype/Attribution";
    g.iri(licence, &p(dct, "type"), attribution);
    g.node(attribution, &p(SKOS, "Concept"), Some("Attribution"));
    for l in ["FRA", "ENG"] {
        let lang = format!("{EU}language/{l}");
        g.iri(&c, &p(dct, "language"), &lang);
        g.a(&lang, &p(dct, "LinguisticSystem"));
    }
    let bel = format!("{EU}country/BEL");
    g.iri(&c, &p(dct, "spatial"), &bel);
    g.a(&bel, &p(dct, "Location"));
    // Belgium's bounding box and geographic centre (Nil-Saint-Vincent), WGS 84.
    const WKT: &str = "http://www.opengis.net/ont/geosparql#wktLiteral";
    g.typed(
        &bel,
        &p(dcat, "bbox"),
        "POLYGON((2.5449 49.4969, 6.4084 49.4969, 6.4084 51.5051, 2.5449 51.5051, 2.5449 49.4969))"
            .to_owned(),
        WKT,
    );
    g.typed(
        &bel,
        &p(dcat, "centroid"),
        "POINT(4.6681 50.6411)".to_owned(),
        WKT,
    );
    let themes = format!("{EU}data-theme");
    g.iri(&c, &p(dcat, "themeTaxonomy"), &themes);
    g.a(&themes, &p(SKOS, "ConceptScheme"));
    g.text(&themes, &p(dct, "title"), "Data theme", "en");
    if let Some(m) = &modified {
        g.typed(&c, &p(dct, "modified"), m.clone(), "dateTime");
        g.typed(&c, &p(dct, "issued"), m.clone(), "dateTime");
    }

    // The publisher.
    g.a(&publisher, &p(foaf, "Agent"));
    g.plain(&publisher, &p(foaf, "name"), &cat.publisher.name);
    let ptype = "http://purl.org/adms/publishertype/RegionalAuthority";
    g.iri(&publisher, &p(dct, "type"), ptype);
    g.node(ptype, &p(SKOS, "Concept"), Some("Regional authority"));
    g.iri(&publisher, &p(foaf, "homepage"), &cat.publisher.url);
    g.a(&cat.publisher.url, &p(foaf, "Document"));

    // The Explore API as a data service.
    let service = format!("{api}#service");
    g.iri(&c, &p(dcat, "service"), &service);
    g.a(&service, &p(dcat, "DataService"));
    g.text(
        &service,
        &p(dct, "title"),
        "API Explore v2.1 (compatible Opendatasoft)",
        "fr",
    );
    g.text(
        &service,
        &p(dct, "title"),
        "Explore API v2.1 (Opendatasoft-compatible)",
        "en",
    );
    g.iri(&service, &p(dcat, "endpointURL"), &api);
    g.a(&api, "http://www.w3.org/2000/01/rdf-schema#Resource");
    g.iri(&service, &p(dct, "license"), licence);
    let public = format!("{EU}access-right/PUBLIC");
    g.iri(&service, &p(dct, "accessRights"), &public);
    g.a(&public, &p(dct, "RightsStatement"));
    g.iri(&service, &p(dct, "publisher"), &publisher);
    let spec = "https://help.opendatasoft.com/apis/ods-explore-v2/";
    g.iri(&service, &p(dct, "conformsTo"), spec);
    g.a(spec, &p(dct, "Standard"));
    let description = format!("{base}/api/openapi.json");
    g.iri(&service, &p(dcat, "endpointDescription"), &description);
    g.a(
        &description,
        "http://www.w3.org/2000/01/rdf-schema#Resource",
    );
    let service_contact = format!("{service}-contact");
    g.iri(&service, &p(dcat, "contactPoint"), &service_contact);
    g.a(&service_contact, &p(VCARD, "Kind"));
    g.a(&service_contact, &p(VCARD, "Organization"));
    g.plain(&service_contact, &p(VCARD, "fn"), &cat.publisher.name);
    g.iri(
        &service_contact,
        &p(VCARD, "hasEmail"),
        &format!("mailto:{}", cat.publisher.email),
    );
    for (fr, en) in [
        ("API", "API"),
        ("données ouvertes", "open data"),
        ("ODSQL", "ODSQL"),
    ] {
        g.text(&service, &p(dcat, "keyword"), fr, "fr");
        g.text(&service, &p(dcat, "keyword"), en, "en");
    }
    let mut service_themes: Vec<&str> = cat
        .datasets
        .iter()
        .flat_map(|d| d.meta.themes.iter().map(|t| &**t))
        .collect();
    service_themes.sort_unstable();
    service_themes.dedup();
    for t in service_themes {
        let theme = format!("{EU}data-theme/{t}");
        g.iri(&service, &p(dcat, "theme"), &theme);
    }

    let frequency = format!("{EU}frequency/CONT");
    g.a(&frequency, &p(dct, "Frequency"));
    let stable = format!("{EU}planned-availability/STABLE");
    g.node(&stable, &p(SKOS, "Concept"), Some("Stable"));

    for d in &cat.datasets {
        let m = &d.meta;
        let ds = format!("{c}/datasets/{}", m.id);
        g.iri(&c, &p(dcat, "dataset"), &ds);
        g.iri(&service, &p(dcat, "servesDataset"), &ds);
        g.a(&ds, &p(dcat, "Dataset"));
        g.plain(&ds, &p(dct, "identifier"), &m.id);
        g.text(&ds, &p(dct, "title"), &m.title.fr, "fr");
        g.text(&ds, &p(dct, "title"), &m.title.en, "en");
        g.text(
            &ds,
            &p(dct, "description"),
            &m.full_description(territoria_model::Lang::Fr),
            "fr",
        );
        g.text(
            &ds,
            &p(dct, "description"),
            &m.full_description(territoria_model::Lang::En),
            "en",
        );
        for k in &m.keywords {
            g.text(&ds, &p(dcat, "keyword"), &k.fr, "fr");
            g.text(&ds, &p(dcat, "keyword"), &k.en, "en");
        }
        if m.demo() {
            g.text(&ds, &p(dcat, "keyword"), "données synthétiques", "fr");
            g.text(&ds, &p(dcat, "keyword"), "synthetic data", "en");
        }
        for t in &m.themes {
            let theme = format!("{EU}data-theme/{t}");
            g.iri(&ds, &p(dcat, "theme"), &theme);
            g.node(&theme, &p(SKOS, "Concept"), Some(theme_label(t)));
            g.iri(&theme, &p(SKOS, "inScheme"), &themes);
        }
        g.iri(&ds, &p(dct, "publisher"), &publisher);
        let contact = format!("{ds}#contact");
        g.iri(&ds, &p(dcat, "contactPoint"), &contact);
        g.a(&contact, &p(VCARD, "Kind"));
        g.a(&contact, &p(VCARD, "Organization"));
        g.plain(&contact, &p(VCARD, "fn"), &cat.publisher.name);
        g.iri(
            &contact,
            &p(VCARD, "hasEmail"),
            &format!("mailto:{}", cat.publisher.email),
        );
        if let Some(i) = m.issued {
            g.typed(&ds, &p(dct, "issued"), date_of(i), "date");
        }
        if let Some(t) = m.modified {
            g.typed(&ds, &p(dct, "modified"), t.to_string(), "dateTime");
        }
        for l in ["FRA", "ENG"] {
            g.iri(&ds, &p(dct, "language"), &format!("{EU}language/{l}"));
        }
        g.iri(&ds, &p(dct, "spatial"), &bel);
        g.iri(&ds, &p(dct, "accrualPeriodicity"), &frequency);
        g.iri(&ds, &p(dct, "accessRights"), &public);
        // The dates the records carry; for a dataset without dates of its own, the span from
        // its earliest provenance date to its last change.
        let temporal = m.temporal.or_else(|| {
            let end = m.modified.map(|t| t.date())?;
            Some((m.issued.unwrap_or(end), end))
        });
        if let Some((a, b)) = temporal {
            let t = format!("{ds}#temporal");
            g.iri(&ds, &p(dct, "temporal"), &t);
            g.a(&t, &p(dct, "PeriodOfTime"));
            g.typed(&t, &p(dcat, "startDate"), date_of(a), "date");
            g.typed(&t, &p(dcat, "endDate"), date_of(b), "date");
        }
        let formats: Vec<Format> = Format::ALL
            .into_iter()
            .filter(|f| *f != Format::GeoJson || m.geo_field.is_some())
            .collect();
        for f in formats {
            let url = format!("{ds}/exports/{}", f.name());
            g.iri(&ds, &p(dcat, "distribution"), &url);
            g.a(&url, &p(dcat, "Distribution"));
            g.iri(&url, &p(dcat, "accessURL"), &url);
            g.iri(&url, &p(dcat, "downloadURL"), &url);
            g.text(
                &url,
                &p(dct, "title"),
                &format!("{} ({})", m.title.fr, f.name().to_uppercase()),
                "fr",
            );
            g.text(
                &url,
                &p(dct, "title"),
                &format!("{} ({})", m.title.en, f.name().to_uppercase()),
                "en",
            );
            g.text(
                &url,
                &p(dct, "description"),
                &format!("Export complet du jeu « {} » au format {}.", m.id, f.name()),
                "fr",
            );
            g.text(
                &url,
                &p(dct, "description"),
                &format!("Full export of the \"{}\" dataset as {}.", m.id, f.name()),
                "en",
            );
            let ft = format!("{EU}file-type/{}", f.eu_file_type());
            g.iri(&url, &p(dct, "format"), &ft);
            g.a(&ft, &p(dct, "MediaTypeOrExtent"));
            let mt = format!(
                "http://www.iana.org/assignments/media-types/{}",
                f.media_type()
            );
            g.iri(&url, &p(dcat, "mediaType"), &mt);
            g.a(&mt, &p(dct, "MediaType"));
            g.iri(&url, &p(dct, "license"), licence);
            g.iri(&url, &p(DCATAP, "availability"), &stable);
            g.iri(&url, &p(dcat, "accessService"), &service);
        }
    }
    g
}

/// The catalogue as DCAT-AP 3.0 in `format`; `base` is the server's public URL
/// (`https://example.org`), from which every IRI is made.
pub fn catalogue_rdf(cat: &Catalogue, base: &str, format: RdfFormat) -> String {
    let g = graph(cat, base);
    match format {
        RdfFormat::Turtle => turtle(&g),
        RdfFormat::RdfXml => rdf_xml(&g),
        RdfFormat::JsonLd => json_ld(&g),
    }
}

/// A datatype's IRI: an XML Schema type by its local name, or a full IRI (`http…`).
fn xsd(dt: &str) -> String {
    if dt.starts_with("http") {
        return dt.to_owned();
    }
    format!("{XSD}{dt}")
}

fn qname(iri: &str) -> Option<(&'static str, &str)> {
    PREFIXES.iter().find_map(|(p, ns)| {
        iri.strip_prefix(ns)
            .filter(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .map(|l| (*p, l))
    })
}

fn turtle_iri(iri: &str) -> String {
    match qname(iri) {
        Some((p, l)) => format!("{p}:{l}"),
        None => format!("<{}>", iri.replace('>', "%3E")),
    }
}

fn turtle_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn turtle(g: &Graph) -> String {
    let mut out = String::new();
    for (p, ns) in PREFIXES {
        let _ = writeln!(out, "@prefix {p}: <{ns}> .");
    }
    for s in &g.order {
        out.push('\n');
        out.push_str(&turtle_iri(s));
        let props = &g.subjects[s];
        for (i, (p, o)) in props.iter().enumerate() {
            let pred = if *p == format!("{RDF}type") {
                "a".to_owned()
            } else {
                turtle_iri(p)
            };
            let obj = match o {
                Term::Iri(iri) => turtle_iri(iri),
                Term::Lit {
                    value,
                    lang: Some(l),
                    ..
                } => format!("{}@{l}", turtle_string(value)),
                Term::Lit {
                    value,
                    datatype: Some(d),
                    ..
                } if d.starts_with("http") => format!("{}^^<{d}>", turtle_string(value)),
                Term::Lit {
                    value,
                    datatype: Some(d),
                    ..
                } => format!("{}^^xsd:{d}", turtle_string(value)),
                Term::Lit { value, .. } => turtle_string(value),
            };
            let _ = write!(out, "\n    {pred} {obj}");
            out.push_str(if i + 1 == props.len() { " .\n" } else { " ;" });
        }
    }
    out
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn rdf_xml(g: &Graph) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rdf:RDF");
    for (p, ns) in PREFIXES {
        let _ = write!(out, "\n    xmlns:{p}=\"{ns}\"");
    }
    out.push_str(">\n");
    for s in &g.order {
        let _ = writeln!(out, "  <rdf:Description rdf:about=\"{}\">", xml_escape(s));
        for (p, o) in &g.subjects[s] {
            // Every predicate used is in a declared namespace.
            let Some((prefix, local)) = qname(p) else {
                continue;
            };
            let tag = format!("{prefix}:{local}");
            match o {
                Term::Iri(iri) => {
                    let _ = writeln!(out, "    <{tag} rdf:resource=\"{}\"/>", xml_escape(iri));
                }
                Term::Lit {
                    value,
                    lang,
                    datatype,
                } => {
                    let mut attrs = String::new();
                    if let Some(l) = lang {
                        let _ = write!(attrs, " xml:lang=\"{l}\"");
                    }
                    if let Some(d) = datatype {
                        let _ = write!(attrs, " rdf:datatype=\"{}\"", xsd(d));
                    }
                    let _ = writeln!(out, "    <{tag}{attrs}>{}</{tag}>", xml_escape(value));
                }
            }
        }
        out.push_str("  </rdf:Description>\n");
    }
    out.push_str("</rdf:RDF>\n");
    out
}

fn json_ld(g: &Graph) -> String {
    use serde_json::{Map, Value, json};
    let mut nodes = Vec::new();
    for s in &g.order {
        let mut node = Map::new();
        node.insert("@id".into(), json!(s));
        let mut types = Vec::new();
        for (p, o) in &g.subjects[s] {
            if *p == format!("{RDF}type") {
                if let Term::Iri(t) = o {
                    types.push(json!(t));
                }
                continue;
            }
            let v = match o {
                Term::Iri(iri) => json!({"@id": iri}),
                Term::Lit {
                    value,
                    lang: Some(l),
                    ..
                } => json!({"@value": value, "@language": l}),
                Term::Lit {
                    value,
                    datatype: Some(d),
                    ..
                } => json!({"@value": value, "@type": xsd(d)}),
                Term::Lit { value, .. } => json!({"@value": value}),
            };
            if let Value::Array(a) = node
                .entry(p.clone())
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                a.push(v);
            }
        }
        if !types.is_empty() {
            node.insert("@type".into(), Value::Array(types));
        }
        nodes.push(Value::Object(node));
    }
    serde_json::to_string_pretty(&Value::Array(nodes)).unwrap_or_else(|_| "[]".into())
}
