//! The catalogue: which datasets Territoria publishes, their metadata, and their
//! materialisation from the [`Store`] into [`Table`]s.
//!
//! Every public collection is one dataset (ids are Opendatasoft-style slugs):
//!
//! | id | one record per | geo |
//! |----|----------------|-----|
//! | `organisations` | organisation (company, association, public body) | — |
//! | `actions` | action of a strategy | — |
//! | `indicators` | indicator | — |
//! | `indicator-observations` | value of an indicator for a period | — |
//! | `programmes` | programme | — |
//! | `taxonomies` | concept of a scheme (territory, NACE-BEL, legal forms, …) | — |
//! | `places` | place (EPN, office, venue) | `geo` |
//! | `magnets` | saved smart magnet | — |
//! | `indicator-statuses` | status of an indicator or node of a strategy (made by the server, [`Dataset::derived`]) | — |
//!
//! Demo (synthetic) records keep `demo = true`; a dataset that holds any says so in its
//! description and in its `demo` metadata.

use std::collections::HashMap;

use territoria_model::{Details, EntityKind, Labels, Lang, RelationKind, schemes};
use territoria_odsql::{Date, DateTime, FieldType, GeoPoint};
use territoria_store::{Node, Store, StoreError};

use crate::table::{Cell, FieldSpec, Table, TableBuilder, to_date};

/// Who publishes the catalogue and under which licence (the instance's operator).
#[derive(Debug, Clone)]
pub struct Publisher {
    pub name: String,
    pub url: String,
    pub email: String,
    /// SPDX-like id used by CKAN (`CC-BY-4.0`).
    pub licence_id: String,
    pub licence_title: String,
    pub licence_url: String,
    /// The EU licence authority URI
    /// (`http://publications.europa.eu/resource/authority/licence/CC_BY_4_0`).
    pub licence_uri: String,
}

impl Default for Publisher {
    fn default() -> Self {
        Publisher {
            name: "Territoria — Digital Wallonia".into(),
            url: "https://www.digitalwallonia.be/".into(),
            email: "opendata@territoria.example".into(),
            licence_id: "CC-BY-4.0".into(),
            licence_title: "Creative Commons Attribution 4.0".into(),
            licence_url: "https://creativecommons.org/licenses/by/4.0/".into(),
            licence_uri: "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0"
                .into(),
        }
    }
}

/// A text in French and English.
#[derive(Debug, Clone, Default)]
pub struct Bilingual {
    pub fr: String,
    pub en: String,
}

impl Bilingual {
    pub fn new(fr: &str, en: &str) -> Bilingual {
        Bilingual {
            fr: fr.into(),
            en: en.into(),
        }
    }

    /// English for `en`, French otherwise.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            _ => &self.fr,
        }
    }
}

/// A dataset's metadata (DCAT-AP and Opendatasoft `metas.default`).
#[derive(Debug, Clone)]
pub struct DatasetMeta {
    pub id: String,
    pub title: Bilingual,
    pub description: Bilingual,
    /// EU data-theme codes (`ECON`, `GOVE`, `REGI`, `TECH`, …).
    pub themes: Vec<&'static str>,
    pub keywords: Vec<Bilingual>,
    /// Records flagged demo (synthetic).
    pub demo_records: u64,
    /// Earliest provenance date of a record.
    pub issued: Option<Date>,
    /// Last write to the store.
    pub modified: Option<DateTime>,
    /// Min and max of the dataset's main date field.
    pub temporal: Option<(Date, Date)>,
    /// The first `geo_point_2d` field.
    pub geo_field: Option<usize>,
}

impl DatasetMeta {
    /// Whether the dataset holds synthetic (demo) records.
    pub fn demo(&self) -> bool {
        self.demo_records > 0
    }

    /// The description, with the synthetic-data warning when the dataset holds demo records.
    pub fn full_description(&self, lang: Lang) -> String {
        let mut d = self.description.get(lang).to_owned();
        if self.demo() {
            d.push_str(match lang {
                Lang::En => {
                    " Warning: this dataset contains synthetic demonstration records (demo = true), \
                     generated for testing; they describe no real organisation."
                }
                _ => {
                    " Attention : ce jeu de données contient des enregistrements de démonstration \
                     synthétiques (demo = true), générés pour les essais ; ils ne décrivent aucune \
                     organisation réelle."
                }
            });
        }
        d
    }
}

/// One published dataset: metadata and records.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub meta: DatasetMeta,
    pub table: Table,
}

impl Dataset {
    /// A dataset made above this crate from the same store state (the statuses the
    /// server derives from strategy trees): the table's span and geo field are filled
    /// in as for the catalogue's own datasets.
    pub fn derived(
        meta: DatasetMeta,
        table: TableBuilder,
        temporal: Option<(Date, Date)>,
    ) -> Dataset {
        let table = table.finish();
        let geo_field = table
            .specs()
            .iter()
            .position(|s| s.def.field_type == FieldType::GeoPoint);
        Dataset {
            meta: DatasetMeta {
                temporal,
                geo_field,
                ..meta
            },
            table,
        }
    }
}

/// Every published dataset, built from one state of the store.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub publisher: Publisher,
    pub datasets: Vec<Dataset>,
    /// The latest audit entry the catalogue reflects (0: none).
    pub upto: i64,
    pub modified: Option<DateTime>,
}

impl Catalogue {
    pub fn dataset(&self, id: &str) -> Option<&Dataset> {
        self.datasets.iter().find(|d| d.meta.id == id)
    }

    /// The ids of every dataset, in catalogue order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.datasets.iter().map(|d| d.meta.id.as_str())
    }

    /// The latest audit entry of `store` (what [`Catalogue::upto`] is compared with to
    /// know whether a rebuild is due).
    pub fn latest_write(store: &dyn Store) -> Result<(i64, Option<DateTime>), StoreError> {
        Ok(store.audit(1)?.first().map_or((0, None), |a| {
            (a.id, DateTime::parse(&a.at.replace(' ', "T")))
        }))
    }

    /// Materialises every dataset from the store, then returns the memory the build used
    /// for scratch to the system ([`crate::release_free_memory`]).
    pub fn build(store: &dyn Store, publisher: Publisher) -> Result<Catalogue, StoreError> {
        let (upto, modified) = Catalogue::latest_write(store)?;
        let mut b = Builder::new(store, modified)?;
        let organisations = b.organisations()?;
        let programmes = b.programmes()?;
        let actions = b.actions()?;
        let (indicators, observations) = b.indicators()?;
        let taxonomies = b.taxonomies();
        let places = b.places()?;
        let magnets = b.magnets()?;
        drop(b);
        let catalogue = Catalogue {
            publisher,
            datasets: vec![
                organisations,
                actions,
                indicators,
                observations,
                programmes,
                taxonomies,
                places,
                magnets,
            ],
            upto,
            modified,
        };
        crate::release_free_memory();
        Ok(catalogue)
    }
}

struct ConceptInfo {
    scheme: String,
    notation: String,
    broader: Option<usize>,
    labels: Labels,
}

/// Where a territory concept sits: itself, its province, its region.
#[derive(Clone, Copy, Default)]
struct Territory {
    municipality: Option<usize>,
    province: Option<usize>,
    region: Option<usize>,
}

struct Builder<'s> {
    store: &'s dyn Store,
    modified: Option<DateTime>,
    concepts: Vec<ConceptInfo>,
    by_ref: HashMap<(String, String), usize>,
    territory_cache: HashMap<usize, Territory>,
    /// Territory concept → its reference point.
    centres: HashMap<usize, Option<GeoPoint>>,
    /// action key → (operators, partners) names.
    action_orgs: HashMap<String, (Vec<String>, Vec<String>)>,
    /// Names of entities by `kind/key` (programmes, strategies, actions, …).
    names: HashMap<String, String>,
    /// Programme key → (strategies, ambitions, levers) it sits under.
    programme_parents: HashMap<String, [Vec<String>; 3]>,
    /// Action key → programmes it sits under.
    action_programmes: HashMap<String, Vec<String>>,
}

fn stop() -> StoreError {
    StoreError::Internal("opendata: concepts read".into())
}

fn join(v: &[String]) -> String {
    v.join(", ")
}

/// Earliest and latest of optional dates.
#[derive(Default)]
struct Span(Option<(Date, Date)>);

impl Span {
    fn add(&mut self, d: Option<Date>) {
        if let Some(d) = d {
            self.0 = Some(match self.0 {
                None => (d, d),
                Some((a, b)) => (a.min(d), b.max(d)),
            });
        }
    }
}

impl<'s> Builder<'s> {
    fn new(store: &'s dyn Store, modified: Option<DateTime>) -> Result<Builder<'s>, StoreError> {
        let mut concepts = Vec::new();
        let mut ids: HashMap<i64, usize> = HashMap::new();
        let mut broader_ids: Vec<Option<i64>> = Vec::new();
        let mut done = false;
        let r = store.scan(&mut |item| match item {
            territoria_store::ScanItem::Concept {
                id,
                scheme,
                notation,
                broader,
                labels,
            } => {
                ids.insert(id, concepts.len());
                broader_ids.push(broader);
                concepts.push(ConceptInfo {
                    scheme,
                    notation,
                    broader: None,
                    labels,
                });
                Ok(())
            }
            _ => {
                // Concepts come first: the rest of the scan is not needed here.
                done = true;
                Err(stop())
            }
        });
        if let Err(e) = r {
            if !done {
                return Err(e);
            }
        }
        for (c, b) in concepts.iter_mut().zip(broader_ids) {
            c.broader = b.and_then(|b| ids.get(&b).copied());
        }
        let by_ref = concepts
            .iter()
            .enumerate()
            .map(|(i, c)| ((c.scheme.clone(), c.notation.clone()), i))
            .collect();
        let mut b = Builder {
            store,
            modified,
            concepts,
            by_ref,
            territory_cache: HashMap::new(),
            centres: HashMap::new(),
            action_orgs: HashMap::new(),
            names: HashMap::new(),
            programme_parents: HashMap::new(),
            action_programmes: HashMap::new(),
        };
        b.strategy_trees()?;
        Ok(b)
    }

    fn strategy_trees(&mut self) -> Result<(), StoreError> {
        fn walk(
            b: &mut Builder<'_>,
            strategy: &str,
            path: &mut Vec<(EntityKind, String)>,
            n: &Node,
        ) {
            b.names
                .insert(format!("{}/{}", n.kind, n.id), n.name.main().to_owned());
            match n.kind {
                EntityKind::Programme => {
                    let e = b.programme_parents.entry(n.id.clone()).or_default();
                    let mut add = |i: usize, v: &str| {
                        if !e[i].iter().any(|x| x == v) {
                            e[i].push(v.to_owned());
                        }
                    };
                    add(0, strategy);
                    for (k, name) in path.iter() {
                        match k {
                            EntityKind::Ambition => add(1, name),
                            EntityKind::Lever => add(2, name),
                            _ => {}
                        }
                    }
                }
                EntityKind::Action => {
                    let e = b.action_programmes.entry(n.id.clone()).or_default();
                    for (k, name) in path.iter() {
                        if *k == EntityKind::Programme && !e.contains(name) {
                            e.push(name.clone());
                        }
                    }
                }
                _ => {}
            }
            path.push((n.kind, n.name.main().to_owned()));
            for c in &n.children {
                walk(b, strategy, path, c);
            }
            path.pop();
        }
        for s in self.store.strategies()? {
            if let Some(tree) = self.store.strategy(&s.id, None)? {
                let name = tree.name.main().to_owned();
                self.names
                    .insert(format!("strategy/{}", tree.id), name.clone());
                let mut path = Vec::new();
                for c in &tree.children {
                    walk(self, &name, &mut path, c);
                }
            }
        }
        Ok(())
    }

    fn concept(&self, scheme: &str, notation: &str) -> Option<usize> {
        self.by_ref
            .get(&(scheme.to_owned(), notation.to_owned()))
            .copied()
    }

    fn labels(&self, c: Option<usize>) -> Option<&Labels> {
        c.map(|c| &self.concepts[c].labels)
    }

    /// The reference point (`lat`, `lon` attributes) of a territory concept, read once.
    fn centre(&mut self, c: usize) -> Option<GeoPoint> {
        if let Some(p) = self.centres.get(&c) {
            return *p;
        }
        let info = &self.concepts[c];
        let p = self
            .store
            .concept(&info.scheme, &info.notation)
            .ok()
            .flatten()
            .and_then(|d| {
                let num = |k: &str| d.attributes.get(k).and_then(serde_json::Value::as_f64);
                Some(GeoPoint {
                    lat: num("lat")?,
                    lon: num("lon")?,
                })
            })
            .filter(|p| (-90.0..=90.0).contains(&p.lat) && (-180.0..=180.0).contains(&p.lon));
        self.centres.insert(c, p);
        p
    }

    /// The municipality, province and region of a territory concept.
    fn territory(&mut self, c: usize) -> Territory {
        if let Some(t) = self.territory_cache.get(&c) {
            return *t;
        }
        // From the concept up to the root: [c, parent, …, root].
        let mut chain = vec![c];
        while let Some(p) = self.concepts[*chain.last().unwrap_or(&c)].broader {
            if chain.len() > 8 || chain.contains(&p) {
                break;
            }
            chain.push(p);
        }
        // Belgium (root) → region → [province] → municipality.
        let n = chain.len();
        let mut t = Territory::default();
        if n >= 2 {
            t.region = Some(chain[n - 2]);
        }
        if n >= 4 {
            t.province = Some(chain[n - 3]);
        }
        if n >= 3 {
            t.municipality = Some(chain[0]);
        }
        self.territory_cache.insert(c, t);
        t
    }

    fn new_meta(
        &self,
        id: &str,
        title: Bilingual,
        description: Bilingual,
        themes: Vec<&'static str>,
        keywords: &[(&str, &str)],
    ) -> DatasetMeta {
        DatasetMeta {
            id: id.into(),
            title,
            description,
            themes,
            keywords: keywords
                .iter()
                .map(|(fr, en)| Bilingual::new(fr, en))
                .collect(),
            demo_records: 0,
            issued: None,
            modified: self.modified,
            temporal: None,
            geo_field: None,
        }
    }

    fn finish(meta: DatasetMeta, table: TableBuilder, span: Span, issued: Span) -> Dataset {
        let table = table.finish();
        let geo_field = table
            .specs()
            .iter()
            .position(|s| s.def.field_type == FieldType::GeoPoint);
        Dataset {
            meta: DatasetMeta {
                temporal: span.0,
                issued: issued.0.map(|s| s.0),
                geo_field,
                ..meta
            },
            table,
        }
    }

    fn organisations(&mut self) -> Result<Dataset, StoreError> {
        use FieldType as T;
        let specs = vec![
            FieldSpec::new("id", T::Text, "Identifiant", "Identifier")
                .describe("Stable key of the organisation in Territoria."),
            FieldSpec::new("name", T::Text, "Nom", "Name"),
            FieldSpec::new(
                "kbo",
                T::Text,
                "Numéro d'entreprise (BCE)",
                "Enterprise number (KBO/BCE)",
            ),
            FieldSpec::new(
                "kind",
                T::Text,
                "Type d'organisation",
                "Kind of organisation",
            )
            .facet(),
            FieldSpec::new("size_class", T::Text, "Taille", "Size class").facet(),
            FieldSpec::new("employees", T::Int, "Emploi (ETP)", "Employees"),
            FieldSpec::new("founded", T::Date, "Date de création", "Founded"),
            FieldSpec::new(
                "nace_code",
                T::Text,
                "Code NACE-BEL principal",
                "Main NACE-BEL code",
            )
            .facet(),
            FieldSpec::new(
                "nace_label",
                T::Text,
                "Activité principale",
                "Main activity",
            )
            .facet(),
            FieldSpec::new("nace_codes", T::Text, "Codes NACE-BEL", "NACE-BEL codes").dictionary(),
            FieldSpec::new("legal_form", T::Text, "Forme juridique", "Legal form").facet(),
            FieldSpec::new(
                "refnis",
                T::Text,
                "Code INS de la commune",
                "Municipality REFNIS code",
            )
            .facet(),
            FieldSpec::new("municipality", T::Text, "Commune", "Municipality").facet(),
            FieldSpec::new("province", T::Text, "Province", "Province").facet(),
            FieldSpec::new("region", T::Text, "Région", "Region").facet(),
            FieldSpec::new(
                "municipality_centre",
                T::GeoPoint,
                "Centre de la commune",
                "Municipality centre",
            )
            .describe(
                "The reference point of the organisation's municipality (its latitude and \
                 longitude in the territory reference data), not the organisation's address.",
            ),
            FieldSpec::new(
                "digital_offers",
                T::Text,
                "Offre numérique",
                "Digital offer",
            )
            .dictionary(),
            FieldSpec::new("website", T::Text, "Site web", "Website"),
            FieldSpec::new(
                "demo",
                T::Boolean,
                "Démonstration (synthétique)",
                "Demo (synthetic)",
            )
            .facet()
            .describe("True for synthetic demonstration records."),
            FieldSpec::new("source", T::Text, "Source", "Source").facet(),
        ];
        let mut table = TableBuilder::new(specs);
        let mut meta = self.new_meta(
            "organisations",
            Bilingual::new(
                "Organisations de l'écosystème numérique wallon",
                "Organisations of the Walloon digital ecosystem",
            ),
            Bilingual::new(
                "Entreprises, associations et organismes publics de l'écosystème numérique : \
                 activité (NACE-BEL), forme juridique, taille, commune, province et région.",
                "Companies, associations and public bodies of the digital ecosystem: activity \
                 (NACE-BEL), legal form, size, municipality, province and region.",
            ),
            vec!["ECON", "REGI", "TECH"],
            &[
                ("entreprises", "companies"),
                ("numérique", "digital"),
                ("Wallonie", "Wallonia"),
                ("NACE-BEL", "NACE-BEL"),
            ],
        );
        let mut span = Span::default();
        let mut issued = Span::default();
        let store = self.store;
        store.export_entities(EntityKind::Organisation, &mut |e, rels| {
            let mut kind = None;
            let mut size = None;
            let mut nace: Vec<usize> = Vec::new();
            let mut legal = None;
            let mut terr = None;
            let mut offers = Vec::new();
            for t in &e.tags {
                let c = self.concept(&t.scheme, &t.notation);
                match t.scheme.as_str() {
                    schemes::ORGANISATION_KIND => kind = kind.or(c),
                    schemes::SIZE_CLASS => size = size.or(c),
                    schemes::NACE_2008 => nace.extend(c),
                    schemes::LEGAL_FORM => legal = legal.or(c),
                    schemes::TERRITORY => terr = terr.or(c),
                    schemes::DIGITAL_OFFER => {
                        if let Some(c) = c {
                            offers.push(self.concepts[c].labels.main().to_owned());
                        }
                    }
                    _ => {}
                }
            }
            let t = terr.map(|c| self.territory(c)).unwrap_or_default();
            let (kbo, founded, employees, website) = match &e.details {
                Details::Organisation(o) => (
                    o.kbo.map(|k| k.to_string()),
                    o.founded,
                    o.employees,
                    o.website.clone(),
                ),
                _ => (None, None, None, None),
            };
            let founded = founded.and_then(to_date);
            span.add(founded);
            issued.add(e.provenance.date.and_then(to_date));
            if e.provenance.demo {
                meta.demo_records += 1;
            }
            let nace_codes: Vec<String> = nace
                .iter()
                .map(|&c| self.concepts[c].notation.clone())
                .collect();
            let main_nace = nace.first().copied();
            let name = e.name.main();
            for r in &rels {
                let key = r.object.key.clone();
                match r.kind {
                    RelationKind::Operates => self
                        .action_orgs
                        .entry(key)
                        .or_default()
                        .0
                        .push(name.to_owned()),
                    RelationKind::PartnerOf => self
                        .action_orgs
                        .entry(key)
                        .or_default()
                        .1
                        .push(name.to_owned()),
                    _ => {}
                }
            }
            let municipality = t.municipality.or(terr);
            let centre = municipality.and_then(|c| self.centre(c));
            table.push(&[
                Cell::Text(&e.key),
                Cell::Text(name),
                Cell::text(kbo.as_deref()),
                self.labels(kind).map_or(Cell::Null, Cell::Labels),
                self.labels(size).map_or(Cell::Null, Cell::Labels),
                employees.map_or(Cell::Null, |n| Cell::Int(i64::from(n))),
                founded.map_or(Cell::Null, Cell::Date),
                main_nace.map_or(Cell::Null, |c| Cell::Text(&self.concepts[c].notation)),
                self.labels(main_nace).map_or(Cell::Null, Cell::Labels),
                Cell::Text(&join(&nace_codes)),
                self.labels(legal).map_or(Cell::Null, Cell::Labels),
                municipality.map_or(Cell::Null, |c| Cell::Text(&self.concepts[c].notation)),
                self.labels(municipality).map_or(Cell::Null, Cell::Labels),
                self.labels(t.province).map_or(Cell::Null, Cell::Labels),
                self.labels(t.region).map_or(Cell::Null, Cell::Labels),
                centre.map_or(Cell::Null, Cell::Geo),
                Cell::Text(&join(&offers)),
                Cell::text(website.as_deref()),
                Cell::Bool(e.provenance.demo),
                Cell::Text(&e.provenance.source),
            ]);
            Ok(())
        })?;
        Ok(Self::finish(meta, table, span, issued))
    }

    fn programmes(&mut self) -> Result<Dataset, StoreError> {
        use FieldType as T;
        let specs = vec![
            FieldSpec::new("id", T::Text, "Identifiant", "Identifier"),
            FieldSpec::new("name", T::Text, "Nom", "Name"),
            FieldSpec::new("description", T::Text, "Description", "Description"),
            FieldSpec::new("strategy", T::Text, "Stratégie", "Strategy").facet(),
            FieldSpec::new("ambitions", T::Text, "Ambitions", "Ambitions"),
            FieldSpec::new("levers", T::Text, "Leviers", "Levers"),
            FieldSpec::new("part_of", T::Text, "Fait partie de", "Part of"),
            FieldSpec::new(
                "demo",
                T::Boolean,
                "Démonstration (synthétique)",
                "Demo (synthetic)",
            )
            .facet(),
            FieldSpec::new("source", T::Text, "Source", "Source").facet(),
        ];
        let mut table = TableBuilder::new(specs);
        let mut meta = self.new_meta(
            "programmes",
            Bilingual::new(
                "Programmes de la stratégie Digital Wallonia",
                "Programmes of the Digital Wallonia strategy",
            ),
            Bilingual::new(
                "Programmes de la stratégie numérique régionale, avec les ambitions et leviers \
                 dont ils relèvent.",
                "Programmes of the regional digital strategy, with the ambitions and levers they \
                 serve.",
            ),
            vec!["GOVE", "TECH"],
            &[
                ("stratégie", "strategy"),
                ("programme", "programme"),
                ("Digital Wallonia", "Digital Wallonia"),
            ],
        );
        let mut issued = Span::default();
        let mut rows = Vec::new();
        self.store
            .export_entities(EntityKind::Programme, &mut |e, rels| {
                rows.push((e, rels));
                Ok(())
            })?;
        for (e, rels) in rows {
            let name = e.name.main().to_owned();
            self.names
                .insert(format!("programme/{}", e.key), name.clone());
            let parents = self
                .programme_parents
                .get(&e.key)
                .cloned()
                .unwrap_or_default();
            let part_of: Vec<String> = rels
                .iter()
                .filter(|r| r.kind == RelationKind::PartOf)
                .map(|r| self.name_of(&r.object.kind, &r.object.key))
                .collect();
            issued.add(e.provenance.date.and_then(to_date));
            meta.demo_records += u64::from(e.provenance.demo);
            table.push(&[
                Cell::Text(&e.key),
                Cell::Text(&name),
                Cell::Text(e.description.main()),
                Cell::Text(&join(&parents[0])),
                Cell::Text(&join(&parents[1])),
                Cell::Text(&join(&parents[2])),
                Cell::Text(&join(&part_of)),
                Cell::Bool(e.provenance.demo),
                Cell::Text(&e.provenance.source),
            ]);
        }
        Ok(Self::finish(meta, table, Span::default(), issued))
    }

    fn name_of(&self, kind: &EntityKind, key: &str) -> String {
        self.names
            .get(&format!("{kind}/{key}"))
            .cloned()
            .unwrap_or_else(|| format!("{kind}/{key}"))
    }

    fn actions(&mut self) -> Result<Dataset, StoreError> {
        use FieldType as T;
        let specs = vec![
            FieldSpec::new("id", T::Text, "Identifiant", "Identifier"),
            FieldSpec::new("name", T::Text, "Nom", "Name"),
            FieldSpec::new("description", T::Text, "Description", "Description"),
            FieldSpec::new("status", T::Text, "Statut", "Status").facet(),
            FieldSpec::new("start", T::Date, "Début", "Start"),
            FieldSpec::new("end", T::Date, "Fin", "End"),
            FieldSpec::new("budget_eur", T::Double, "Budget (EUR)", "Budget (EUR)"),
            FieldSpec::new("action_type", T::Text, "Type d'action", "Type of action").facet(),
            FieldSpec::new(
                "target_audiences",
                T::Text,
                "Publics cibles",
                "Target audiences",
            ),
            FieldSpec::new(
                "funding_sources",
                T::Text,
                "Sources de financement",
                "Funding sources",
            ),
            FieldSpec::new("programmes", T::Text, "Programmes", "Programmes"),
            FieldSpec::new("operators", T::Text, "Opérateurs", "Operators"),
            FieldSpec::new("partners", T::Text, "Partenaires", "Partners"),
            FieldSpec::new("territory", T::Text, "Territoire", "Territory").facet(),
            FieldSpec::new(
                "demo",
                T::Boolean,
                "Démonstration (synthétique)",
                "Demo (synthetic)",
            )
            .facet(),
            FieldSpec::new("source", T::Text, "Source", "Source").facet(),
        ];
        let mut table = TableBuilder::new(specs);
        let mut meta = self.new_meta(
            "actions",
            Bilingual::new(
                "Actions de la stratégie Digital Wallonia",
                "Actions of the Digital Wallonia strategy",
            ),
            Bilingual::new(
                "Actions menées dans le cadre de la stratégie numérique : statut, dates, budget, \
                 type, publics cibles, financement, programmes, opérateurs et partenaires.",
                "Actions carried out under the digital strategy: status, dates, budget, type, \
                 target audiences, funding, programmes, operators and partners.",
            ),
            vec!["GOVE", "TECH", "ECON"],
            &[
                ("action", "action"),
                ("stratégie", "strategy"),
                ("numérique", "digital"),
            ],
        );
        let mut span = Span::default();
        let mut issued = Span::default();
        let mut rows = Vec::new();
        self.store
            .export_entities(EntityKind::Action, &mut |e, rels| {
                rows.push((e, rels));
                Ok(())
            })?;
        for (e, rels) in rows {
            let mut atype = None;
            let mut audiences = Vec::new();
            let mut funding = Vec::new();
            let mut territory = Vec::new();
            for t in &e.tags {
                let c = self.concept(&t.scheme, &t.notation);
                let label = || c.map(|c| self.concepts[c].labels.main().to_owned());
                match t.scheme.as_str() {
                    schemes::ACTION_TYPE => atype = atype.or(c),
                    schemes::TARGET_AUDIENCE => audiences.extend(label()),
                    schemes::FUNDING_SOURCE => funding.extend(label()),
                    schemes::TERRITORY => territory.extend(label()),
                    _ => {}
                }
            }
            let (status, start, end, budget) = match &e.details {
                Details::Action(a) => (Some(a.status.as_str()), a.start, a.end, a.budget_eur),
                _ => (None, None, None, None),
            };
            let (start, end) = (start.and_then(to_date), end.and_then(to_date));
            span.add(start);
            span.add(end);
            issued.add(e.provenance.date.and_then(to_date));
            meta.demo_records += u64::from(e.provenance.demo);
            let mut programmes = self
                .action_programmes
                .get(&e.key)
                .cloned()
                .unwrap_or_default();
            for r in &rels {
                if r.kind == RelationKind::PartOf && r.object.kind == EntityKind::Programme {
                    let n = self.name_of(&r.object.kind, &r.object.key);
                    if !programmes.contains(&n) {
                        programmes.push(n);
                    }
                }
            }
            let (ops, partners) = self.action_orgs.get(&e.key).cloned().unwrap_or_default();
            self.names
                .insert(format!("action/{}", e.key), e.name.main().to_owned());
            table.push(&[
                Cell::Text(&e.key),
                Cell::Text(e.name.main()),
                Cell::Text(e.description.main()),
                Cell::text(status),
                start.map_or(Cell::Null, Cell::Date),
                end.map_or(Cell::Null, Cell::Date),
                budget.map_or(Cell::Null, Cell::Float),
                self.labels(atype).map_or(Cell::Null, Cell::Labels),
                Cell::Text(&join(&audiences)),
                Cell::Text(&join(&funding)),
                Cell::Text(&join(&programmes)),
                Cell::Text(&join(&ops)),
                Cell::Text(&join(&partners)),
                Cell::Text(&join(&territory)),
                Cell::Bool(e.provenance.demo),
                Cell::Text(&e.provenance.source),
            ]);
        }
        Ok(Self::finish(meta, table, span, issued))
    }

    fn indicators(&mut self) -> Result<(Dataset, Dataset), StoreError> {
        use FieldType as T;
        let mut observations = Vec::new();
        self.store.export_observations(&mut |o| {
            observations.push(o);
            Ok(())
        })?;
        let mut indicators = Vec::new();
        self.store
            .export_entities(EntityKind::Indicator, &mut |e, _| {
                indicators.push(e);
                Ok(())
            })?;
        let info: HashMap<&str, (&str, &str)> = indicators
            .iter()
            .map(|e| {
                let unit = match &e.details {
                    Details::Indicator(i) => i.unit.as_str(),
                    _ => "",
                };
                (e.key.as_str(), (e.name.main(), unit))
            })
            .collect();
        // Observations.
        let specs = vec![
            FieldSpec::new("id", T::Text, "Identifiant", "Identifier"),
            FieldSpec::new(
                "indicator",
                T::Text,
                "Indicateur (identifiant)",
                "Indicator (id)",
            )
            .facet(),
            FieldSpec::new("indicator_name", T::Text, "Indicateur", "Indicator").facet(),
            FieldSpec::new("unit", T::Text, "Unité", "Unit").facet(),
            FieldSpec::new("period", T::Text, "Période", "Period"),
            FieldSpec::new("period_start", T::Date, "Début de période", "Period start"),
            FieldSpec::new("period_end", T::Date, "Fin de période", "Period end"),
            FieldSpec::new("year", T::Int, "Année", "Year"),
            FieldSpec::new(
                "refnis",
                T::Text,
                "Code INS du territoire (ventilation)",
                "Territory REFNIS code (breakdown)",
            )
            .facet()
            .describe(
                "Empty for the indicator's figure as a whole; a REFNIS code for that figure's \
                 share in a territory (a breakdown, which never adds to the whole).",
            ),
            FieldSpec::new("territory", T::Text, "Territoire", "Territory").facet(),
            FieldSpec::new("province", T::Text, "Province", "Province").facet(),
            FieldSpec::new("value", T::Double, "Valeur", "Value"),
            FieldSpec::new("qualifier", T::Text, "Qualificatif", "Qualifier").facet(),
            FieldSpec::new("note", T::Text, "Note", "Note"),
            FieldSpec::new(
                "demo",
                T::Boolean,
                "Démonstration (synthétique)",
                "Demo (synthetic)",
            )
            .facet(),
            FieldSpec::new("source", T::Text, "Source", "Source").facet(),
        ];
        let mut obs_table = TableBuilder::new(specs);
        let mut obs_meta = self.new_meta(
            "indicator-observations",
            Bilingual::new("Observations des indicateurs", "Indicator observations"),
            Bilingual::new(
                "Valeurs des indicateurs de la stratégie numérique par période, avec leur source ; \
                 certaines sont ventilées par commune (champ refnis), à ne pas additionner au total.",
                "Values of the digital strategy's indicators by period, with their source; some \
                 are broken down by municipality (field refnis), not to be added to the whole.",
            ),
            vec!["ECON", "GOVE"],
            &[
                ("indicateur", "indicator"),
                ("observation", "observation"),
                ("statistiques", "statistics"),
            ],
        );
        let mut span = Span::default();
        let mut issued = Span::default();
        let mut latest: HashMap<String, (f64, String, u64)> = HashMap::new();
        for o in &observations {
            let (name, unit) = info.get(o.indicator.as_str()).copied().unwrap_or(("", ""));
            // A figure whose source gives no period has null dates and year, and the
            // period `unspecified` (never a guess).
            let (s, e) = o
                .period
                .map_or((None, None), |p| (to_date(p.start), to_date(p.end)));
            span.add(s);
            span.add(e);
            issued.add(o.provenance.date.and_then(to_date));
            obs_meta.demo_records += u64::from(o.provenance.demo);
            let period = o.period_label.clone().unwrap_or_else(|| match o.period {
                Some(p) if p.start == p.end => p.start.to_string(),
                Some(p) => format!("{}/{}", p.start, p.end),
                None => territoria_model::UNSPECIFIED.to_owned(),
            });
            let mut id = match o.period {
                Some(p) => format!("{}/{}/{}", o.indicator, p.start, p.end),
                None => format!("{}/{}", o.indicator, territoria_model::UNSPECIFIED),
            };
            let place = o.territory.as_deref().and_then(|t| {
                let c = self.concept(schemes::TERRITORY, t)?;
                Some((c, self.territory(c)))
            });
            if let Some(t) = &o.territory {
                id.push('/');
                id.push_str(t);
            } else {
                // The indicator's own figures; a breakdown is not its latest value.
                let entry = latest
                    .entry(o.indicator.clone())
                    .or_insert((0.0, String::new(), 0));
                entry.0 = o.value;
                entry.1 = period.clone();
                entry.2 += 1;
            }
            obs_table.push(&[
                Cell::Text(&id),
                Cell::Text(&o.indicator),
                Cell::Text(name),
                Cell::Text(unit),
                Cell::Text(&period),
                s.map_or(Cell::Null, Cell::Date),
                e.map_or(Cell::Null, Cell::Date),
                o.period.map_or(Cell::Null, |p| {
                    Cell::Int(i64::from(chrono::Datelike::year(&p.end)))
                }),
                Cell::text(o.territory.as_deref()),
                self.labels(place.map(|(c, _)| c))
                    .map_or(Cell::Null, Cell::Labels),
                self.labels(place.and_then(|(_, t)| t.province))
                    .map_or(Cell::Null, Cell::Labels),
                Cell::Float(o.value),
                Cell::text(o.qualifier.as_deref()),
                Cell::text(o.note.as_deref()),
                Cell::Bool(o.provenance.demo),
                Cell::Text(&o.provenance.source),
            ]);
        }
        let obs = Self::finish(obs_meta, obs_table, span, issued);
        // Indicators.
        let specs = vec![
            FieldSpec::new("id", T::Text, "Identifiant", "Identifier"),
            FieldSpec::new("name", T::Text, "Nom", "Name"),
            FieldSpec::new("description", T::Text, "Description", "Description"),
            FieldSpec::new("unit", T::Text, "Unité", "Unit").facet(),
            FieldSpec::new("kind", T::Text, "Type", "Kind").facet(),
            FieldSpec::new("aggregation", T::Text, "Agrégation", "Aggregation").facet(),
            FieldSpec::new("measures", T::Text, "Mesure (identifiant)", "Measures (id)"),
            FieldSpec::new("measures_name", T::Text, "Mesure", "Measures"),
            FieldSpec::new(
                "observations",
                T::Int,
                "Nombre d'observations",
                "Observations",
            ),
            FieldSpec::new("latest_value", T::Double, "Dernière valeur", "Latest value"),
            FieldSpec::new(
                "latest_period",
                T::Text,
                "Dernière période",
                "Latest period",
            ),
            FieldSpec::new(
                "demo",
                T::Boolean,
                "Démonstration (synthétique)",
                "Demo (synthetic)",
            )
            .facet(),
            FieldSpec::new("source", T::Text, "Source", "Source").facet(),
        ];
        let mut table = TableBuilder::new(specs);
        let mut meta = self.new_meta(
            "indicators",
            Bilingual::new(
                "Indicateurs de la stratégie Digital Wallonia",
                "Indicators of the Digital Wallonia strategy",
            ),
            Bilingual::new(
                "Indicateurs de suivi (réalisation, résultat, impact) : unité, mode d'agrégation, \
                 objet mesuré et dernière valeur connue. Les valeurs sont dans le jeu \
                 « indicator-observations ».",
                "Monitoring indicators (output, outcome, impact): unit, aggregation, what they \
                 measure and the latest known value. Values are in the \"indicator-observations\" \
                 dataset.",
            ),
            vec!["GOVE", "ECON"],
            &[("indicateur", "indicator"), ("suivi", "monitoring")],
        );
        let mut issued = Span::default();
        for e in &indicators {
            let (unit, kind, agg, measures) = match &e.details {
                Details::Indicator(i) => (
                    i.unit.as_str(),
                    Some(i.kind.as_str()),
                    Some(i.aggregation.as_str()),
                    Some(&i.measures),
                ),
                _ => ("", None, None, None),
            };
            issued.add(e.provenance.date.and_then(to_date));
            meta.demo_records += u64::from(e.provenance.demo);
            let l = latest.get(&e.key);
            let measures_id = measures.map(|m| m.to_string());
            let measures_name = measures.map(|m| self.name_of(&m.kind, &m.key));
            table.push(&[
                Cell::Text(&e.key),
                Cell::Text(e.name.main()),
                Cell::Text(e.description.main()),
                Cell::Text(unit),
                Cell::text(kind),
                Cell::text(agg),
                Cell::text(measures_id.as_deref()),
                Cell::text(measures_name.as_deref()),
                Cell::Int(l.map_or(0, |l| l.2 as i64)),
                l.map_or(Cell::Null, |l| Cell::Float(l.0)),
                l.map_or(Cell::Null, |l| Cell::Text(&l.1)),
                Cell::Bool(e.provenance.demo),
                Cell::Text(&e.provenance.source),
            ]);
        }
        Ok((Self::finish(meta, table, Span::default(), issued), obs))
    }

    fn taxonomies(&mut self) -> Dataset {
        use FieldType as T;
        let specs = vec![
            FieldSpec::new("id", T::Text, "Identifiant", "Identifier").describe("scheme:notation"),
            FieldSpec::new("scheme", T::Text, "Référentiel", "Scheme").facet(),
            FieldSpec::new("notation", T::Text, "Code", "Notation"),
            FieldSpec::new("label_fr", T::Text, "Libellé (fr)", "Label (fr)"),
            FieldSpec::new("label_nl", T::Text, "Libellé (nl)", "Label (nl)"),
            FieldSpec::new("label_de", T::Text, "Libellé (de)", "Label (de)"),
            FieldSpec::new("label_en", T::Text, "Libellé (en)", "Label (en)"),
            FieldSpec::new("broader", T::Text, "Concept parent", "Broader concept"),
            FieldSpec::new("level", T::Int, "Niveau", "Level"),
        ];
        let mut table = TableBuilder::new(specs);
        let meta = self.new_meta(
            "taxonomies",
            Bilingual::new("Référentiels et nomenclatures", "Reference taxonomies"),
            Bilingual::new(
                "Concepts des référentiels utilisés par Territoria : territoire (codes INS/REFNIS : \
                 régions, provinces, communes), NACE-BEL 2008 et 2025, formes juridiques, classes \
                 de taille, types d'organisation et d'action, publics cibles, sources de financement.",
                "Concepts of the reference schemes Territoria uses: territory (REFNIS codes: \
                 regions, provinces, municipalities), NACE-BEL 2008 and 2025, legal forms, size \
                 classes, kinds of organisation and action, target audiences, funding sources.",
            ),
            vec!["GOVE", "REGI", "ECON"],
            &[("nomenclature", "classification"), ("REFNIS", "REFNIS"), ("NACE-BEL", "NACE-BEL")],
        );
        let mut order: Vec<usize> = (0..self.concepts.len()).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&self.concepts[a], &self.concepts[b]);
            (&a.scheme, &a.notation).cmp(&(&b.scheme, &b.notation))
        });
        for i in order {
            let c = &self.concepts[i];
            let mut level = 0;
            let mut p = c.broader;
            while let Some(x) = p {
                level += 1;
                if level > 16 {
                    break;
                }
                p = self.concepts[x].broader;
            }
            let broader = c
                .broader
                .map(|b| format!("{}:{}", self.concepts[b].scheme, self.concepts[b].notation));
            table.push(&[
                Cell::Text(&format!("{}:{}", c.scheme, c.notation)),
                Cell::Text(&c.scheme),
                Cell::Text(&c.notation),
                Cell::text(c.labels.exact(Lang::Fr)),
                Cell::text(c.labels.exact(Lang::Nl)),
                Cell::text(c.labels.exact(Lang::De)),
                Cell::text(c.labels.exact(Lang::En)),
                Cell::text(broader.as_deref()),
                Cell::Int(level),
            ]);
        }
        Self::finish(meta, table, Span::default(), Span::default())
    }

    fn places(&mut self) -> Result<Dataset, StoreError> {
        use FieldType as T;
        let specs = vec![
            FieldSpec::new("id", T::Text, "Identifiant", "Identifier"),
            FieldSpec::new("name", T::Text, "Nom", "Name"),
            FieldSpec::new("kind", T::Text, "Type", "Kind").facet(),
            FieldSpec::new("services", T::Text, "Services", "Services"),
            FieldSpec::new("address", T::Text, "Adresse", "Address"),
            FieldSpec::new("postal_code", T::Text, "Code postal", "Postal code"),
            FieldSpec::new(
                "refnis",
                T::Text,
                "Code INS de la commune",
                "Municipality REFNIS code",
            )
            .facet(),
            FieldSpec::new("municipality", T::Text, "Commune", "Municipality").facet(),
            FieldSpec::new("province", T::Text, "Province", "Province").facet(),
            FieldSpec::new("region", T::Text, "Région", "Region").facet(),
            FieldSpec::new("geo", T::GeoPoint, "Coordonnées", "Coordinates"),
            FieldSpec::new(
                "demo",
                T::Boolean,
                "Démonstration (synthétique)",
                "Demo (synthetic)",
            )
            .facet(),
            FieldSpec::new("source", T::Text, "Source", "Source").facet(),
        ];
        let mut table = TableBuilder::new(specs);
        let mut meta = self.new_meta(
            "places",
            Bilingual::new(
                "Lieux du numérique (EPN, bureaux, salles)",
                "Digital places (EPN, offices, venues)",
            ),
            Bilingual::new(
                "Espaces publics numériques, bureaux des acteurs d'accompagnement et lieux \
                 d'événements, avec leurs coordonnées et leur commune.",
                "Public digital spaces, offices of support actors and event venues, with their \
                 coordinates and municipality.",
            ),
            vec!["REGI", "SOCI", "TECH"],
            &[
                ("EPN", "EPN"),
                ("inclusion numérique", "digital inclusion"),
                ("lieux", "places"),
            ],
        );
        let mut issued = Span::default();
        let mut rows = Vec::new();
        self.store.export_entities(EntityKind::Place, &mut |e, _| {
            rows.push(e);
            Ok(())
        })?;
        for e in rows {
            let mut kind = None;
            let mut services = Vec::new();
            let mut terr = None;
            for t in &e.tags {
                let c = self.concept(&t.scheme, &t.notation);
                match t.scheme.as_str() {
                    schemes::ORGANISATION_KIND => kind = kind.or(c),
                    schemes::INCLUSION_SERVICE => {
                        services.extend(c.map(|c| self.concepts[c].labels.main().to_owned()))
                    }
                    schemes::TERRITORY => terr = terr.or(c),
                    _ => {}
                }
            }
            let t = terr.map(|c| self.territory(c)).unwrap_or_default();
            let municipality = t.municipality.or(terr);
            let (geo, address, postal) = match &e.details {
                Details::Place(p) => (
                    Some(GeoPoint {
                        lon: p.lon,
                        lat: p.lat,
                    }),
                    p.address.clone(),
                    p.postal_code.clone(),
                ),
                _ => (None, None, None),
            };
            issued.add(e.provenance.date.and_then(to_date));
            meta.demo_records += u64::from(e.provenance.demo);
            table.push(&[
                Cell::Text(&e.key),
                Cell::Text(e.name.main()),
                self.labels(kind).map_or(Cell::Null, Cell::Labels),
                Cell::Text(&join(&services)),
                Cell::text(address.as_deref()),
                Cell::text(postal.as_deref()),
                municipality.map_or(Cell::Null, |c| Cell::Text(&self.concepts[c].notation)),
                self.labels(municipality).map_or(Cell::Null, Cell::Labels),
                self.labels(t.province).map_or(Cell::Null, Cell::Labels),
                self.labels(t.region).map_or(Cell::Null, Cell::Labels),
                geo.map_or(Cell::Null, Cell::Geo),
                Cell::Bool(e.provenance.demo),
                Cell::Text(&e.provenance.source),
            ]);
        }
        Ok(Self::finish(meta, table, Span::default(), issued))
    }

    fn magnets(&mut self) -> Result<Dataset, StoreError> {
        use FieldType as T;
        let specs = vec![
            FieldSpec::new("id", T::Text, "Identifiant", "Identifier"),
            FieldSpec::new("name", T::Text, "Nom", "Name"),
            FieldSpec::new("kind", T::Text, "Type d'entité", "Kind of entity").facet(),
            FieldSpec::new("query", T::Text, "Requête", "Query")
                .describe("The magnet's query in the smart-magnet language (latest version)."),
            FieldSpec::new("versions", T::Int, "Versions", "Versions"),
            FieldSpec::new("created_at", T::DateTime, "Créé le", "Created"),
            FieldSpec::new("updated_at", T::DateTime, "Modifié le", "Updated"),
            FieldSpec::new("source", T::Text, "Source", "Source").facet(),
        ];
        let mut table = TableBuilder::new(specs);
        let meta = self.new_meta(
            "magnets",
            Bilingual::new("Aimants intelligents enregistrés", "Saved smart magnets"),
            Bilingual::new(
                "Requêtes enregistrées (« aimants intelligents ») qui définissent des segments de \
                 l'écosystème, avec l'historique de leurs versions.",
                "Saved queries (\"smart magnets\") defining segments of the ecosystem, with the \
                 history of their versions.",
            ),
            vec!["ECON", "GOVE"],
            &[("segmentation", "segmentation"), ("requête", "query")],
        );
        let mut span = Span::default();
        for m in self.store.magnets()? {
            let created = DateTime::parse(&m.created_at.replace(' ', "T"));
            let last = m.versions.last();
            let updated = last.and_then(|v| DateTime::parse(&v.created_at.replace(' ', "T")));
            span.add(created.map(DateTime::date));
            span.add(updated.map(DateTime::date));
            table.push(&[
                Cell::Text(&m.id),
                Cell::Text(m.name.main()),
                Cell::Text(m.kind.as_str()),
                Cell::text(last.map(|v| v.query.as_str())),
                Cell::Int(m.versions.len() as i64),
                created.map_or(Cell::Null, Cell::DateTime),
                updated.map_or(Cell::Null, Cell::DateTime),
                Cell::Text(&m.source),
            ]);
        }
        let issued = Span(span.0);
        Ok(Self::finish(meta, table, span, issued))
    }
}
