//! The demo ecosystem: a seeded, deterministic generator of synthetic but plausible
//! data. **Everything it writes is marked demo** (`provenance.demo = true`, source
//! "Territoria demo generator (seed N)"), and the UI, API and exports say so.
//!
//! What it makes, on top of the reference data and the strategy file:
//! * organisations (default 5,000) with real NACE-BEL 2008 codes, real municipalities
//!   (weighted by population, ~85 % in Wallonia), kinds, sizes, legal forms, digital
//!   offers, valid KBO numbers; the six competitiveness poles exist as real entities;
//! * relations that the memorandum's figures describe, in the stated quantities: 17
//!   Factory of the Future and 28 Made Different labels on manufacturing companies,
//!   155 W.IN.G investments totalling 29.8 M€, ~400 DW4AI laureates, 72 international
//!   missions with ~720 participations, pole memberships — with a core of AI startups
//!   that did all of it, so both smart-magnet examples have answers;
//! * ~400 actions spread over the 13 programmes (types, audiences, dates 2016-2028,
//!   budgets, Plan de Relance funding, lead organisation and partners), each with an
//!   indicator contributing to a programme indicator: the contributions add up exactly to
//!   the figure the memorandum states for that programme;
//! * the 226 EPN of 2024 (166 at the end of 2023) and 120 other digital-inclusion support
//!   actors as places in real Walloon municipalities, with the services they offer;
//! * breakdowns by municipality of four regional figures the memorandum states (EPN of
//!   the network — counted from the demo EPN themselves —, cybersecurity cheques,
//!   accompanied merchants and liberal professions — figures whose period is stated):
//!   synthetic shares that add up exactly to the stated figure, for the maps.
//!
//! Organisations are generated from per-organisation random streams
//! (`Rng::fork(seed, i)`), so the generator streams: a million organisations never sit
//! in memory at once.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use territoria_model::entity::EntityRef;
use territoria_model::{
    Action, ActionStatus, Aggregation, ConceptRef, Details, Entity, EntityKind, Indicator,
    IndicatorKind, Kbo, Labels, Observation, Organisation, Period, Place, Provenance, Relation,
    RelationKind, SizeClass, Target, schemes,
};
use territoria_store::Op;

use crate::reference::{self, Municipality};
use crate::rng::{Rng, Weighted};
use crate::strategy::{self, StrategyFile};

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub seed: u64,
    pub organisations: usize,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            seed: 42,
            organisations: 5_000,
        }
    }
}

/// The date the demo is "as of" (the memorandum's): statuses are computed against it.
pub fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 6, 30).expect("valid date")
}

const MISSION_EVENTS: [(&str, &str, Option<&str>); 8] = [
    ("ces", "CES Las Vegas", Some("ces")),
    ("vivatech", "Vivatech Paris", Some("vivatech")),
    ("gamescom", "Gamescom Cologne", Some("gamescom")),
    (
        "mwc",
        "Mobile World Congress Barcelone",
        Some("mobile-world-congress"),
    ),
    ("web-summit", "Web Summit Lisbonne", None),
    ("slush", "Slush Helsinki", None),
    ("sxsw", "SXSW Austin", None),
    ("collision", "Collision Toronto", None),
];

pub const POLES: [(&str, &str); 6] = [
    ("biowin", "BioWin"),
    ("wagralim", "Wagralim"),
    ("mecatech", "MecaTech"),
    ("skywin", "Skywin"),
    ("logistics-in-wallonia", "Logistics in Wallonia"),
    ("greenwin", "GreenWin"),
];

const POLES_SOURCE: &str = "Pôles de compétitivité de Wallonie (mémorandum § Plateforme digitalwallonia.be ; liste des six pôles wallons)";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Tpe,
    Pme,
    Independant,
    Startup,
    ScaleUp,
    Grande,
    Asbl,
    Recherche,
    Universite,
}

impl Kind {
    fn notation(self) -> &'static str {
        match self {
            Kind::Tpe => "tpe",
            Kind::Pme => "pme",
            Kind::Independant => "independant",
            Kind::Startup => "startup",
            Kind::ScaleUp => "scale-up",
            Kind::Grande => "grande-entreprise",
            Kind::Asbl => "asbl",
            Kind::Recherche => "centre-de-recherche",
            Kind::Universite => "universite",
        }
    }
}

const KINDS: [(Kind, f64); 9] = [
    (Kind::Tpe, 52.0),
    (Kind::Pme, 22.0),
    (Kind::Independant, 13.0),
    (Kind::Startup, 5.0),
    (Kind::ScaleUp, 0.8),
    (Kind::Grande, 1.2),
    (Kind::Asbl, 5.5),
    (Kind::Recherche, 0.4),
    (Kind::Universite, 0.1),
];

/// Everything decided about one organisation from its own random stream.
#[derive(Clone, Debug)]
struct Profile {
    kind: Kind,
    municipality: usize,
    nace: Vec<usize>,
    manufacturing: bool,
    digital: bool,
    offers: Vec<&'static str>,
    ai: bool,
    employees: u32,
    founded: NaiveDate,
    legal_form: Option<&'static str>,
    name: String,
}

struct World {
    seed: u64,
    municipalities: Vec<Municipality>,
    muni_weights: Weighted,
    wallonia: Vec<usize>,
    wallonia_weights: Weighted,
    /// NACE-BEL 2008 level-5 codes by division ("62" → ["62.010", …]).
    nace5: Vec<String>,
    nace_by_division: HashMap<String, Vec<usize>>,
    nace_2025: std::collections::HashSet<String>,
    section_weights: Vec<(Vec<&'static str>, f64)>,
}

const DIGITAL_DIVISIONS: [&str; 6] = ["58", "61", "62", "63", "26", "72"];

/// Divisions by broad sector, with the share of organisations (roughly Wallonia's mix).
const SECTORS: [(&[&str], f64); 12] = [
    (&["01", "02", "03"], 5.0),
    (
        &[
            "10", "11", "13", "16", "17", "18", "20", "21", "22", "23", "24", "25", "26", "27",
            "28", "29", "30", "31", "32", "33",
        ],
        9.0,
    ),
    (&["35", "36", "38"], 1.0),
    (&["41", "42", "43"], 12.0),
    (&["45", "46", "47"], 20.0),
    (&["49", "52", "53"], 4.0),
    (&["55", "56"], 7.0),
    (&["58", "61", "62", "63"], 6.0),
    (&["64", "66", "68"], 5.0),
    (&["69", "70", "71", "72", "73", "74"], 14.0),
    (&["77", "78", "81", "82"], 5.0),
    (&["85", "86", "88", "90", "93", "96"], 12.0),
];

fn is_manufacturing(code: &str) -> bool {
    code.get(..2)
        .and_then(|d| d.parse::<u32>().ok())
        .is_some_and(|d| (10..=33).contains(&d))
}

const SYLLABLES_A: [&str; 24] = [
    "Wal", "Meuse", "Ardenne", "Hesbaye", "Condroz", "Sambre", "Famenne", "Gaume", "Nova", "Digi",
    "Alto", "Lumen", "Vertex", "Orbi", "Terra", "Silva", "Ferro", "Agri", "Bio", "Logi", "Eco",
    "Opti", "Quanta", "Helio",
];
const SYLLABLES_B: [&str; 20] = [
    "tech",
    "soft",
    "lab",
    "works",
    "data",
    "systems",
    "solutions",
    "net",
    "flow",
    "mind",
    "pack",
    "form",
    "line",
    "wave",
    "core",
    "vision",
    "metal",
    "bois",
    "food",
    "sens",
];
const OFFERS: [&str; 16] = [
    "logiciel",
    "ia-vision",
    "ia-nlp",
    "ia-ml",
    "cybersecurite",
    "cloud",
    "data",
    "iot",
    "e-commerce",
    "conseil",
    "telecom",
    "industrie-4-0",
    "jeux-video",
    "edtech",
    "healthtech",
    "green-it",
];

impl World {
    fn new(seed: u64) -> World {
        let t = reference::territory();
        let municipalities = t.municipalities;
        let weight = |m: &Municipality| {
            let base = m.population.unwrap_or(4000).max(1500) as f64;
            if m.region == "03000" {
                base
            } else {
                base * 0.03
            }
        };
        let muni_weights = Weighted::new(municipalities.iter().map(weight));
        let wallonia: Vec<usize> = (0..municipalities.len())
            .filter(|i| municipalities[*i].region == "03000")
            .collect();
        let wallonia_weights = Weighted::new(wallonia.iter().map(|i| weight(&municipalities[*i])));
        let codes = reference::nace_codes(2008);
        let nace5: Vec<String> = codes
            .iter()
            .filter(|(_, level)| *level == 5)
            .map(|(n, _)| n.clone())
            .collect();
        let mut nace_by_division: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, n) in nace5.iter().enumerate() {
            nace_by_division
                .entry(n[..2].to_owned())
                .or_default()
                .push(i);
        }
        let nace_2025 = reference::nace_codes(2025)
            .into_iter()
            .filter(|(_, l)| *l == 5)
            .map(|(n, _)| n)
            .collect();
        let section_weights = SECTORS
            .iter()
            .map(|(divs, w)| (divs.to_vec(), *w))
            .collect();
        World {
            seed,
            municipalities,
            muni_weights,
            wallonia,
            wallonia_weights,
            nace5,
            nace_by_division,
            nace_2025,
            section_weights,
        }
    }

    fn nace_in(&self, rng: &mut Rng, divisions: &[&str]) -> usize {
        for _ in 0..8 {
            let d = rng.pick(divisions);
            if let Some(list) = self.nace_by_division.get(*d) {
                return *rng.pick(list);
            }
        }
        rng.below(self.nace5.len() as u64) as usize
    }

    fn profile(&self, i: usize) -> Profile {
        let mut rng = Rng::fork(self.seed, i as u64);
        let kind = KINDS[Weighted::new(KINDS.iter().map(|k| k.1)).draw(&mut rng)].0;
        let municipality = self.muni_weights.draw(&mut rng);
        let main = match kind {
            Kind::Startup | Kind::ScaleUp => {
                if rng.chance(0.75) {
                    self.nace_in(&mut rng, &["62", "63", "58", "72"])
                } else {
                    self.nace_in(&mut rng, &["26", "27", "28", "21", "70", "71", "47"])
                }
            }
            Kind::Recherche | Kind::Universite => self.nace_in(&mut rng, &["72", "85"]),
            Kind::Asbl => self.nace_in(&mut rng, &["94", "88", "85", "90", "93"]),
            _ => {
                let w = Weighted::new(self.section_weights.iter().map(|s| s.1));
                let divs = self.section_weights[w.draw(&mut rng)].0.clone();
                self.nace_in(&mut rng, &divs)
            }
        };
        let mut nace = vec![main];
        if rng.chance(0.25) {
            let div = &self.nace5[main][..2];
            let second = self.nace_in(&mut rng, &[div]);
            if second != main {
                nace.push(second);
            }
        }
        let code = &self.nace5[main];
        let manufacturing = is_manufacturing(code);
        let digital = DIGITAL_DIVISIONS.contains(&&code[..2])
            || matches!(kind, Kind::Startup | Kind::ScaleUp);
        let mut offers = Vec::new();
        if digital {
            let n = 1 + rng.below(3) as usize;
            for _ in 0..n {
                let o = if matches!(kind, Kind::Startup) && rng.chance(0.3) {
                    *rng.pick(&["ia-vision", "ia-nlp", "ia-ml"])
                } else {
                    *rng.pick(&OFFERS)
                };
                if !offers.contains(&o) {
                    offers.push(o);
                }
            }
        } else if manufacturing && rng.chance(0.05) {
            offers.push("industrie-4-0");
        }
        let ai = offers.iter().any(|o| o.starts_with("ia"));
        let employees = match kind {
            Kind::Independant => 0,
            Kind::Tpe => rng.range(1, 9) as u32,
            Kind::Pme => rng.range(10, 249) as u32,
            Kind::Startup => rng.range(1, 30) as u32,
            Kind::ScaleUp => rng.range(20, 200) as u32,
            Kind::Grande => rng.range(250, 3000) as u32,
            Kind::Asbl => rng.range(0, 60) as u32,
            Kind::Recherche => rng.range(20, 400) as u32,
            Kind::Universite => rng.range(1500, 6000) as u32,
        };
        let year = match kind {
            Kind::Startup => rng.range(2014, 2025),
            Kind::ScaleUp => rng.range(2008, 2020),
            Kind::Universite => rng.range(1817, 1970),
            _ => 2025 - (rng.unit().powi(2) * 70.0) as i64,
        } as i32;
        let founded =
            NaiveDate::from_ymd_opt(year, 1 + rng.below(12) as u32, 1 + rng.below(28) as u32)
                .unwrap_or_else(as_of);
        let legal_form = match kind {
            Kind::Independant => None,
            Kind::Asbl | Kind::Recherche => Some("017"),
            Kind::Universite => Some("117"),
            Kind::Grande => Some(*rng.pick(&["014", "014", "610"])),
            _ => Some(*rng.pick(&["610", "610", "610", "610", "014", "706", "612"])),
        };
        let muni_name = self.municipalities[municipality].labels.main().to_owned();
        let core = format!("{}{}", rng.pick(&SYLLABLES_A), rng.pick(&SYLLABLES_B));
        let name = match kind {
            Kind::Independant => format!("{core} – indépendant ({muni_name})"),
            Kind::Asbl => format!("{core} ASBL"),
            Kind::Recherche => format!("Centre de recherche {core}"),
            Kind::Universite => format!("Institut universitaire {core}"),
            _ => {
                let suffix = match legal_form {
                    Some("014") => "SA",
                    Some("706") => "SC",
                    Some("612") => "SComm",
                    _ => "SRL",
                };
                format!("{core} {suffix}")
            }
        };
        Profile {
            kind,
            municipality,
            nace,
            manufacturing,
            digital,
            offers,
            ai,
            employees,
            founded,
            legal_form,
            name,
        }
    }
}

pub fn source(seed: u64) -> String {
    format!("Territoria demo generator (seed {seed}) — synthetic data")
}

fn demo_prov(seed: u64) -> Provenance {
    Provenance::demo(source(seed))
}

fn org_key(i: usize) -> String {
    format!("demo-org-{i:07}")
}

/// A relation to add to organisation `i` once it exists.
#[derive(Clone, Debug)]
struct Planned {
    kind: RelationKind,
    object: EntityRef,
    since: Option<NaiveDate>,
    amount: Option<f64>,
}

/// Picks up to `n` distinct items of `pool`, preferring those in `first`.
fn sample(rng: &mut Rng, pool: &[u32], n: usize) -> Vec<u32> {
    let mut pool = pool.to_vec();
    let n = n.min(pool.len());
    for k in 0..n {
        let j = k + rng.below((pool.len() - k) as u64) as usize;
        pool.swap(k, j);
    }
    pool.truncate(n);
    pool
}

/// Splits `total` into `n` positive shares by random weights; integer shares when
/// `integer` (the remainder goes to the largest share), so the shares add up exactly.
fn split(rng: &mut Rng, total: f64, n: usize, integer: bool) -> Vec<f64> {
    if n == 0 {
        return Vec::new();
    }
    let w: Vec<f64> = (0..n).map(|_| 0.3 + rng.unit()).collect();
    let sum: f64 = w.iter().sum();
    let mut shares: Vec<f64> = w
        .iter()
        .map(|x| {
            let s = total * x / sum;
            if integer {
                s.floor()
            } else {
                (s * 100.0).round() / 100.0
            }
        })
        .collect();
    let rest = total - shares.iter().sum::<f64>();
    let biggest = (0..n)
        .max_by(|a, b| shares[*a].total_cmp(&shares[*b]))
        .unwrap_or(0);
    shares[biggest] += rest;
    if !integer {
        shares[biggest] = (shares[biggest] * 100.0).round() / 100.0;
    }
    shares
}

fn participation(mission: &Entity) -> Planned {
    let year = mission.attributes["year"].as_i64().unwrap_or(2020) as i32;
    Planned {
        kind: RelationKind::ParticipatedIn,
        object: mission.reference(),
        since: NaiveDate::from_ymd_opt(year, 1, 15),
        amount: None,
    }
}

fn wing_investment(rng: &mut Rng) -> Planned {
    Planned {
        kind: RelationKind::FundedBy,
        object: EntityRef::new(EntityKind::Fund, "fonds-wing"),
        since: NaiveDate::from_ymd_opt(rng.range(2016, 2024) as i32, 6, 1),
        amount: None,
    }
}

fn dw4ai_laureate(rng: &mut Rng) -> Planned {
    Planned {
        kind: RelationKind::LaureateOf,
        object: EntityRef::new(
            EntityKind::Call,
            *rng.pick(&["start-ia", "tremplin-ia", "cap-ia"]),
        ),
        since: NaiveDate::from_ymd_opt(rng.range(2019, 2024) as i32, 3, 1),
        amount: None,
    }
}

fn pole_membership(pole: &str) -> Planned {
    Planned {
        kind: RelationKind::MemberOf,
        object: EntityRef::new(EntityKind::Organisation, pole),
        since: None,
        amount: None,
    }
}

struct Plan {
    relations: HashMap<u32, Vec<Planned>>,
    missions: Vec<Entity>,
}

fn plan(world: &World, n: usize) -> Plan {
    let seed = world.seed;
    let mut startups_ai = Vec::new();
    let mut startups = Vec::new();
    let mut manufacturing = Vec::new();
    let mut digital = Vec::new();
    let mut companies = Vec::new();
    for i in 0..n {
        let p = world.profile(i);
        let i = i as u32;
        if p.kind == Kind::Startup {
            startups.push(i);
            if p.ai {
                startups_ai.push(i);
            }
        }
        if p.manufacturing && matches!(p.kind, Kind::Pme | Kind::Grande | Kind::ScaleUp | Kind::Tpe)
        {
            manufacturing.push(i);
        }
        if p.digital {
            digital.push(i);
        }
        if !matches!(p.kind, Kind::Asbl | Kind::Independant | Kind::Universite) {
            companies.push(i);
        }
    }
    let mut rng = Rng::fork(seed, u64::MAX);
    let mut rel: HashMap<u32, Vec<Planned>> = HashMap::new();
    let mut add = |i: u32, p: Planned| {
        let list = rel.entry(i).or_default();
        if !list
            .iter()
            .any(|x| x.kind == p.kind && x.object == p.object)
        {
            list.push(p);
        }
    };

    // International missions: 8 events × 9 years (2016-2024) = 72 (« plus de 70 »).
    let mut missions = Vec::new();
    for year in 2016..=2024 {
        for (slug, label, concept) in MISSION_EVENTS {
            let mut e = Entity::new(
                EntityKind::Mission,
                format!("demo-mission-{slug}-{year}"),
                Labels::fr(format!("Mission Digital Wallonia – {label} {year}")),
                demo_prov(seed),
            );
            e.attributes.insert("year".into(), year.into());
            if let Some(c) = concept {
                e.tags.push(ConceptRef::new("international-mission", c));
            }
            missions.push(e);
        }
    }

    // A core of AI startups that did everything the first smart magnet asks for.
    let stars = sample(
        &mut rng,
        &startups_ai,
        (startups_ai.len() * 15 / 100).max(8),
    );
    let mut wing_left: usize = 155;
    let mut laureates_left: usize = 400;
    let mut participations_left: usize = 720;
    for &i in &stars {
        let m = &missions[rng.below(missions.len() as u64) as usize];
        add(i, participation(m));
        add(i, wing_investment(&mut rng));
        add(i, dw4ai_laureate(&mut rng));
        wing_left -= 1.min(wing_left);
        laureates_left -= 1.min(laureates_left);
        participations_left -= 1.min(participations_left);
    }
    // Outside the core, each relation reaches only part of the AI startups, so the first
    // smart magnet stays selective whatever the size of the demo.
    let ai_pool = startups_ai.len();
    // W.IN.G: 155 investments in startups (up to 40 % in AI startups).
    let ai_share = (wing_left * 2 / 5).min(ai_pool * 35 / 100);
    for i in sample(&mut rng, &startups_ai, ai_share)
        .into_iter()
        .chain(sample(
            &mut rng,
            &startups,
            wing_left - ai_share.min(wing_left),
        ))
    {
        add(i, wing_investment(&mut rng));
    }
    // DW4AI: ~400 companies carry AI projects (up to half of them AI startups).
    let ai_laureates = (laureates_left / 2).min(ai_pool / 2);
    for i in sample(&mut rng, &startups_ai, ai_laureates)
        .into_iter()
        .chain(sample(&mut rng, &companies, laureates_left - ai_laureates))
    {
        add(i, dw4ai_laureate(&mut rng));
    }
    // Other calls: Implement IT 4 Circularity (35 companies, stated), Last Mile operators.
    for i in sample(&mut rng, &companies, 35) {
        add(
            i,
            Planned {
                kind: RelationKind::LaureateOf,
                object: EntityRef::new(EntityKind::Call, "implement-it-4-circularity"),
                since: NaiveDate::from_ymd_opt(rng.range(2021, 2023) as i32, 9, 1),
                amount: None,
            },
        );
    }
    // Missions: ~720 participations, a third by AI startups, the rest by digital companies.
    let third = (participations_left / 3).min(ai_pool * 40 / 100);
    for i in sample(&mut rng, &startups_ai, third)
        .into_iter()
        .chain(sample(&mut rng, &digital, participations_left - third))
    {
        let m = &missions[rng.below(missions.len() as u64) as usize];
        add(i, participation(m));
    }
    // Labels on manufacturing companies: 17 Factory of the Future, 28 Made Different.
    let labelled = sample(&mut rng, &manufacturing, 45);
    for (k, &i) in labelled.iter().enumerate() {
        let label = if k < 17 {
            "factory-of-the-future"
        } else {
            "made-different"
        };
        add(
            i,
            Planned {
                kind: RelationKind::Labelled,
                object: EntityRef::new(EntityKind::Label, label),
                since: NaiveDate::from_ymd_opt(rng.range(2017, 2024) as i32, 10, 1),
                amount: None,
            },
        );
        if rng.chance(0.7) {
            let (pole, _) = *rng.pick(&POLES[..4]);
            add(i, pole_membership(pole));
        }
    }
    // Pole membership elsewhere: ~4 % of manufacturing and ~1 % of other companies.
    for i in sample(&mut rng, &manufacturing, manufacturing.len() / 25)
        .into_iter()
        .chain(sample(&mut rng, &companies, companies.len() / 100))
    {
        let (pole, _) = *rng.pick(&POLES);
        add(i, pole_membership(pole));
    }
    // W.IN.G amounts: 29.8 M€ over all investments.
    let mut wing: Vec<(u32, usize)> = rel
        .iter()
        .flat_map(|(i, v)| {
            v.iter()
                .enumerate()
                .filter(|(_, p)| p.kind == RelationKind::FundedBy)
                .map(move |(k, _)| (*i, k))
        })
        .collect();
    wing.sort_unstable();
    let amounts = split(&mut rng, 29_800_000.0, wing.len(), true);
    for ((i, k), a) in wing.into_iter().zip(amounts) {
        if let Some(v) = rel.get_mut(&i) {
            v[k].amount = Some(a);
        }
    }
    Plan {
        relations: rel,
        missions,
    }
}

fn organisation(world: &World, i: usize, planned: Option<&Vec<Planned>>) -> Vec<Op> {
    let p = world.profile(i);
    let seed = world.seed;
    let m = &world.municipalities[p.municipality];
    let mut e = Entity::new(
        EntityKind::Organisation,
        org_key(i),
        Labels::fr(&p.name),
        demo_prov(seed),
    );
    e.tags
        .push(ConceptRef::new(schemes::TERRITORY, m.refnis.clone()));
    e.tags.push(ConceptRef::new(
        schemes::ORGANISATION_KIND,
        p.kind.notation(),
    ));
    if p.kind != Kind::Independant {
        e.tags.push(ConceptRef::new(
            schemes::SIZE_CLASS,
            SizeClass::of_employees(p.employees).notation(),
        ));
    }
    for &n in &p.nace {
        let code = &world.nace5[n];
        e.tags
            .push(ConceptRef::new(schemes::NACE_2008, code.clone()));
        if chrono::Datelike::year(&p.founded) >= 2025 && world.nace_2025.contains(code) {
            e.tags
                .push(ConceptRef::new(schemes::NACE_2025, code.clone()));
        }
    }
    if let Some(lf) = p.legal_form {
        e.tags.push(ConceptRef::new(schemes::LEGAL_FORM, lf));
    }
    for o in &p.offers {
        e.tags.push(ConceptRef::new(schemes::DIGITAL_OFFER, *o));
    }
    e.details = Details::Organisation(Organisation {
        // Synthetic enterprise numbers: valid check digits, base offset by the index.
        kbo: Kbo::from_base(10_000_000 + i as u64 * 7 % 9_000_000 + (i as u64 / 9_000_000)),
        founded: Some(p.founded),
        employees: (p.kind != Kind::Independant).then_some(p.employees),
        website: None,
    });
    let subject = e.reference();
    let mut ops = vec![Op::Entity(Box::new(e))];
    for r in planned.into_iter().flatten() {
        ops.push(Op::Relation(Relation {
            subject: subject.clone(),
            kind: r.kind,
            object: r.object.clone(),
            since: r.since,
            until: None,
            amount_eur: r.amount,
            provenance: demo_prov(seed),
        }));
    }
    ops
}

fn fixed_entities(seed: u64) -> Vec<Op> {
    let mut ops = Vec::new();
    for (id, name) in POLES {
        let mut e = Entity::new(
            EntityKind::Organisation,
            id,
            Labels::fr(format!("Pôle de compétitivité {name}")),
            Provenance::stated(POLES_SOURCE),
        );
        e.tags.push(ConceptRef::new(
            schemes::ORGANISATION_KIND,
            "pole-de-competitivite",
        ));
        e.tags.push(ConceptRef::new("competitiveness-pole", id));
        e.details = Details::Organisation(Organisation::default());
        ops.push(Op::Entity(Box::new(e)));
    }
    let _ = seed;
    ops
}

const ACTION_TEMPLATES: [(&str, &[&str]); 13] = [
    (
        "giga-region",
        &[
            "Appel Last Mile – lot",
            "Déploiement fibre zones blanches",
            "Couverture 5G des zones d'activité",
            "Wi-Fi public communal",
        ],
    ),
    (
        "dw4ai",
        &[
            "Appel Start IA",
            "Appel Tremplin IA",
            "Programme CAP IA",
            "Formation IA pour dirigeants",
            "Bourse chercheurs IA",
        ],
    ),
    (
        "dw4edu",
        &[
            "Appel équipement des écoles",
            "Tableaux interactifs",
            "Coding Week",
            "Formation numérique des enseignants",
        ],
    ),
    (
        "dw4startups",
        &[
            "Investissement W.IN.G",
            "Accélérateur startups",
            "Cartographie des startups",
            "Programme scale-up",
        ],
    ),
    (
        "dw-international",
        &[
            "Mission CES",
            "Mission Vivatech",
            "Hub international",
            "Mission Gamescom",
        ],
    ),
    (
        "dw4citizens",
        &[
            "Ouverture d'EPN",
            "Plan d'inclusion numérique – action",
            "Formation des animateurs EPN",
            "Aide aux démarches en ligne",
        ],
    ),
    (
        "digital-commerce",
        &[
            "Accompagnement des commerçants",
            "Formation IFAPME au numérique",
            "Horeca numérique",
            "Professions libérales connectées",
        ],
    ),
    (
        "dw4circular",
        &[
            "Appel Implement IT 4 Circularity",
            "PoC économie circulaire",
            "Plateforme matières secondaires",
        ],
    ),
    (
        "industrie-du-futur",
        &[
            "Label Factory of the Future",
            "Ambassadeurs Made Different",
            "Sensibilisation industrie 4.0",
            "Accompagnement industrie 4.0",
        ],
    ),
    (
        "dw4business",
        &[
            "Chèques transformation numérique",
            "Chèques Relance par le numérique",
            "Digiscore – campagne",
            "Accompagnement maturité numérique",
        ],
    ),
    (
        "cyberwal",
        &[
            "Chèques cybersécurité",
            "Campagne grand public",
            "Recherche en cybersécurité",
            "Cyber Range wallon",
        ],
    ),
    (
        "wallonie-as-a-service",
        &[
            "Portail Open Data",
            "Guichet numérique unique",
            "Digitalisation des démarches",
            "Interopérabilité des données",
        ],
    ),
    (
        "digital-excellence",
        &[
            "Observatoire du secteur numérique",
            "Étude Top 500 numérique",
            "Attractivité des talents IT",
        ],
    ),
];

const ACTION_TYPES: [&str; 11] = [
    "appel-a-projets",
    "cheque",
    "accompagnement",
    "formation",
    "sensibilisation",
    "infrastructure",
    "investissement",
    "etude",
    "evenement",
    "service-numerique",
    "label",
];
const AUDIENCES: [&str; 15] = [
    "entreprises",
    "startups",
    "pme",
    "industrie",
    "commercants",
    "professions-liberales",
    "secteur-numerique",
    "citoyens",
    "publics-fragilises",
    "jeunes",
    "enseignement",
    "chercheurs",
    "pouvoirs-publics",
    "pouvoirs-locaux",
    "administrations-regionales",
];

fn date(y: i64, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y as i32, m, d).unwrap_or_else(as_of)
}

fn actions(world: &World, file: &StrategyFile, n_orgs: usize) -> Vec<Op> {
    let seed = world.seed;
    let mut rng = Rng::fork(seed, u64::MAX - 1);
    let mut ops = Vec::new();
    let mut edges = Vec::new();
    let mut relations = Vec::new();
    let mut indicator_ops = Vec::new();
    let mut observations = Vec::new();
    let weights = [40usize, 45, 35, 25, 25, 40, 25, 15, 30, 35, 30, 35, 20];
    let mut n = 0usize;
    let mut by_programme: HashMap<&str, Vec<(String, NaiveDate, NaiveDate)>> = HashMap::new();
    let support = [
        "agence-du-numerique",
        "wallonie-entreprendre",
        "spw",
        "spw-digital",
        "ifapme",
        "horeca-wallonie",
    ];
    for ((programme, templates), count) in ACTION_TEMPLATES.iter().zip(weights) {
        for k in 0..count {
            n += 1;
            let key = format!("demo-action-{n:03}");
            let start_year = rng.range(2016, 2026);
            let start = date(start_year, 1 + rng.below(12) as u32, 1);
            let end = date(
                (start_year + rng.range(1, 4)).min(2028),
                1 + rng.below(12) as u32,
                28,
            );
            let status = if end < as_of() {
                if rng.chance(0.04) {
                    ActionStatus::Cancelled
                } else {
                    ActionStatus::Completed
                }
            } else if start > as_of() {
                ActionStatus::Planned
            } else if rng.chance(0.05) {
                ActionStatus::Suspended
            } else {
                ActionStatus::Ongoing
            };
            let template = templates[k % templates.len()];
            let title = format!("{template} {start_year}");
            let mut e = Entity::new(
                EntityKind::Action,
                &key,
                Labels::fr(&title),
                demo_prov(seed),
            );
            e.description = Labels::fr(format!(
                "Action de démonstration du programme {programme} : « {title} » (données synthétiques)."
            ));
            e.tags.push(ConceptRef::new(
                schemes::ACTION_TYPE,
                *rng.pick(&ACTION_TYPES),
            ));
            for _ in 0..1 + rng.below(2) {
                let a = *rng.pick(&AUDIENCES);
                let c = ConceptRef::new(schemes::TARGET_AUDIENCE, a);
                if !e.tags.contains(&c) {
                    e.tags.push(c);
                }
            }
            let recovery = (2021..=2024).contains(&start_year) && rng.chance(0.4);
            e.tags.push(ConceptRef::new(
                schemes::FUNDING_SOURCE,
                if recovery {
                    "plan-de-relance"
                } else if rng.chance(0.15) {
                    "fonds-europeens"
                } else {
                    "budget-regional"
                },
            ));
            if rng.chance(0.3) {
                let m = world.wallonia[world.wallonia_weights.draw(&mut rng)];
                e.tags.push(ConceptRef::new(
                    schemes::TERRITORY,
                    world.municipalities[m].refnis.clone(),
                ));
            } else {
                e.tags.push(ConceptRef::new(schemes::TERRITORY, "03000"));
            }
            e.details = Details::Action(Action {
                status,
                start: Some(start),
                end: Some(end),
                budget_eur: Some((rng.range(5, 400) * 10_000) as f64),
            });
            ops.push(Op::Entity(Box::new(e)));
            let aref = EntityRef::new(EntityKind::Action, key.clone());
            for v in ["v3", strategy::VERSION_2024] {
                edges.push(Op::Edge {
                    strategy: file.strategy.id.clone(),
                    version: v.into(),
                    parent: EntityRef::new(EntityKind::Programme, *programme),
                    child: aref.clone(),
                    position: n as i64,
                    provenance: demo_prov(seed),
                });
            }
            // Some actions serve a second programme.
            if rng.chance(0.05) {
                let other = ACTION_TEMPLATES[rng.below(13) as usize].0;
                if other != *programme {
                    for v in ["v3", strategy::VERSION_2024] {
                        edges.push(Op::Edge {
                            strategy: file.strategy.id.clone(),
                            version: v.into(),
                            parent: EntityRef::new(EntityKind::Programme, other),
                            child: aref.clone(),
                            position: n as i64,
                            provenance: demo_prov(seed),
                        });
                    }
                }
            }
            // Lead: a support actor or a demo organisation; 0-3 demo partners.
            let lead = if rng.chance(0.6) || n_orgs == 0 {
                EntityRef::new(EntityKind::Organisation, *rng.pick(&support))
            } else {
                EntityRef::new(
                    EntityKind::Organisation,
                    org_key(rng.below(n_orgs as u64) as usize),
                )
            };
            relations.push(Op::Relation(Relation {
                subject: lead.clone(),
                kind: RelationKind::Operates,
                object: aref.clone(),
                since: Some(start),
                until: None,
                amount_eur: None,
                provenance: demo_prov(seed),
            }));
            if n_orgs > 0 {
                for _ in 0..rng.below(4) {
                    let p = EntityRef::new(
                        EntityKind::Organisation,
                        org_key(rng.below(n_orgs as u64) as usize),
                    );
                    if p != lead {
                        relations.push(Op::Relation(Relation {
                            subject: p,
                            kind: RelationKind::PartnerOf,
                            object: aref.clone(),
                            since: Some(start),
                            until: None,
                            amount_eur: None,
                            provenance: demo_prov(seed),
                        }));
                    }
                }
            }
            by_programme
                .entry(programme)
                .or_default()
                .push((key, start, end));
        }
    }
    // Indicators: the programme's stated totals, broken down over its actions.
    for p in &file.programmes {
        let Some(acts) = by_programme.get(p.id.as_str()) else {
            continue;
        };
        for ind in &p.indicators {
            if ind.aggregation != "sum" {
                continue;
            }
            let Some(obs) = ind.observations.last() else {
                continue;
            };
            // A figure whose source gives no period is spread over the demo's own
            // years (the strategy's 2016-2024): synthetic, like every share here.
            let period = match Period::parse_stated("period", &obs.period) {
                Ok(Some(p)) => p,
                Ok(None) => Period {
                    start: NaiveDate::from_ymd_opt(2016, 1, 1).expect("date"),
                    end: NaiveDate::from_ymd_opt(2024, 12, 31).expect("date"),
                },
                Err(_) => continue,
            };
            let overlapping: Vec<&(String, NaiveDate, NaiveDate)> = acts
                .iter()
                .filter(|(_, s, e)| *s <= period.end && *e >= period.start)
                .collect();
            let chosen: Vec<&(String, NaiveDate, NaiveDate)> = if overlapping.is_empty() {
                acts.iter().take(3).collect()
            } else {
                overlapping.into_iter().take(12).collect()
            };
            let integer = obs.value.fract() == 0.0;
            let shares = split(&mut rng, obs.value, chosen.len(), integer);
            for ((akey, s, e), share) in chosen.into_iter().zip(shares) {
                let ikey = format!("{akey}-{}", ind.id);
                let ikey: String = ikey.chars().take(110).collect();
                let mut ie = Entity::new(
                    EntityKind::Indicator,
                    &ikey,
                    ind.name.clone(),
                    demo_prov(seed),
                );
                ie.details = Details::Indicator(Indicator {
                    unit: ind.unit.clone(),
                    kind: IndicatorKind::parse(&ind.kind).unwrap_or(IndicatorKind::Output),
                    aggregation: Aggregation::Sum,
                    measures: EntityRef::new(EntityKind::Action, akey.clone()),
                });
                indicator_ops.push(Op::Entity(Box::new(ie)));
                relations.push(Op::Relation(Relation {
                    subject: EntityRef::new(EntityKind::Indicator, ikey.clone()),
                    kind: RelationKind::ContributesTo,
                    object: EntityRef::new(EntityKind::Indicator, ind.id.clone()),
                    since: None,
                    until: None,
                    amount_eur: None,
                    provenance: demo_prov(seed),
                }));
                // Yearly observations over the overlap of the action and the period.
                let from = (*s).max(period.start);
                let to = (*e).min(period.end);
                let (from, to) = if from <= to {
                    (from, to)
                } else {
                    (period.start, period.end)
                };
                let years: Vec<Period> =
                    (from.format("%Y").to_string().parse::<i32>().unwrap_or(2016)
                        ..=to.format("%Y").to_string().parse::<i32>().unwrap_or(2024))
                        .filter_map(|y| {
                            let yp = Period::year(y)?;
                            Some(Period {
                                start: yp.start.max(period.start),
                                end: yp.end.min(period.end),
                            })
                        })
                        .collect();
                let parts = split(&mut rng, share, years.len(), integer);
                for (yp, v) in years.iter().zip(parts) {
                    observations.push(Op::Observation(Observation {
                        indicator: ikey.clone(),
                        period: Some(*yp),
                        territory: None,
                        value: v,
                        qualifier: None,
                        period_label: None,
                        note: None,
                        quote: None,
                        provenance: demo_prov(seed),
                    }));
                }
                if let Some(last) = years.last() {
                    observations.push(Op::Target(Target {
                        indicator: ikey.clone(),
                        due: last.end,
                        value: if integer {
                            (share * (1.0 + rng.unit() * 0.3)).round()
                        } else {
                            (share * 1.2 * 100.0).round() / 100.0
                        },
                        qualifier: None,
                        note: Some("cible synthétique d'une action de démonstration".into()),
                        quote: None,
                        baseline: None,
                        provenance: demo_prov(seed),
                    }));
                }
            }
        }
    }
    ops.extend(edges);
    ops.extend(indicator_ops);
    ops.extend(relations);
    ops.extend(observations);
    ops
}

const SUPPORT_KINDS: [(&str, &[&str]); 4] = [
    (
        "Bibliothèque publique",
        &["acces-libre", "initiation", "enfants-parents"],
    ),
    (
        "CPAS – point numérique",
        &["demarches-en-ligne", "acces-libre", "materiel"],
    ),
    ("Maison de l'emploi", &["emploi", "demarches-en-ligne"]),
    (
        "Association d'alphabétisation numérique",
        &["initiation", "smartphone", "formation"],
    ),
];
const SERVICES: [&str; 8] = [
    "acces-libre",
    "initiation",
    "formation",
    "demarches-en-ligne",
    "smartphone",
    "materiel",
    "emploi",
    "enfants-parents",
];

/// Streets for the synthetic addresses of demo places (common Walloon street names).
const STREETS: [&str; 12] = [
    "Rue de la Station",
    "Place communale",
    "Rue du Centre",
    "Rue de l'Église",
    "Avenue des Combattants",
    "Rue Haute",
    "Chaussée de Bruxelles",
    "Rue de la Gare",
    "Grand-Place",
    "Rue des Écoles",
    "Rue du Moulin",
    "Avenue de la Libération",
];
/// Opening hours of demo places, in OpenStreetMap's `opening_hours` syntax.
const HOURS: [&str; 5] = [
    "Mo-Fr 09:00-12:00,13:00-17:00",
    "Tu,Th 13:00-18:00; Sa 09:00-12:00",
    "Mo-Fr 08:30-16:30",
    "We 13:00-17:00; Fr 09:00-12:00",
    "Mo,We,Fr 09:00-12:30; Tu 14:00-19:00",
];

/// Synthetic contact details for a demo place: an address on a common street name,
/// opening hours, a telephone number in the municipality's dialling zone (with the
/// unallocated `00` block) and an e-mail under the reserved `.example` domain.
fn place_contact(rng: &mut Rng, key: &str, postal: Option<&str>) -> (String, serde_json::Value) {
    let address = format!("{} {}", rng.pick(&STREETS), 1 + rng.below(80));
    let (a, b) = (rng.below(100), rng.below(100));
    let phone = match postal.and_then(|p| p.chars().next()) {
        Some('1') => format!("+32 10 00 {a:02} {b:02}"),
        Some('4') => format!("+32 4 000 {a:02} {b:02}"),
        Some('5') => format!("+32 81 00 {a:02} {b:02}"),
        Some('6') => format!("+32 71 00 {a:02} {b:02}"),
        _ => format!("+32 65 00 {a:02} {b:02}"),
    };
    (
        address,
        serde_json::json!({
            "opening_hours": rng.pick(&HOURS),
            "phone": phone,
            "email": format!("{key}@demo.territoria.example"),
        }),
    )
}

/// The places, and for each EPN its municipality (index) and the year it joined.
fn places(world: &World) -> (Vec<Op>, Vec<(usize, i64)>) {
    let seed = world.seed;
    let mut rng = Rng::fork(seed, u64::MAX - 2);
    // A stream of its own, so that the places' municipalities and positions do not change.
    let mut contact_rng = Rng::fork(seed, u64::MAX - 9);
    let mut ops = Vec::new();
    let mut epn = Vec::new();
    let mut per_muni: HashMap<usize, usize> = HashMap::new();
    let mut make = |rng: &mut Rng,
                    key: String,
                    label: &str,
                    kind: &str,
                    services: Vec<&str>,
                    attrs: serde_json::Value| {
        let mut m = world.wallonia[world.wallonia_weights.draw(rng)];
        for _ in 0..20 {
            if per_muni.get(&m).copied().unwrap_or(0) < 3 {
                break;
            }
            m = world.wallonia[world.wallonia_weights.draw(rng)];
        }
        let count = per_muni.entry(m).or_default();
        *count += 1;
        let muni = &world.municipalities[m];
        let name = if *count > 1 {
            format!("{label} de {} ({})", muni.labels.main(), count)
        } else {
            format!("{label} de {}", muni.labels.main())
        };
        let mut e = Entity::new(EntityKind::Place, key, Labels::fr(name), demo_prov(seed));
        e.tags
            .push(ConceptRef::new(schemes::TERRITORY, muni.refnis.clone()));
        e.tags
            .push(ConceptRef::new(schemes::ORGANISATION_KIND, kind));
        for s in services {
            let c = ConceptRef::new(schemes::INCLUSION_SERVICE, s);
            if !e.tags.contains(&c) {
                e.tags.push(c);
            }
        }
        if let serde_json::Value::Object(a) = attrs {
            e.attributes = a;
        }
        let (address, contact) = place_contact(
            &mut contact_rng,
            &e.key,
            muni.postal_codes.first().map(String::as_str),
        );
        if let serde_json::Value::Object(c) = contact {
            e.attributes.extend(c);
        }
        e.details = Details::Place(Place {
            lat: ((muni.lat + (rng.unit() - 0.5) * 0.012) * 1e5).round() / 1e5,
            lon: ((muni.lon + (rng.unit() - 0.5) * 0.018) * 1e5).round() / 1e5,
            address: Some(address),
            postal_code: muni.postal_codes.first().cloned(),
        });
        ops.push(Op::Entity(Box::new(e)));
        m
    };
    // The EPN network: 166 at the end of 2023, 226 in 2024 (stated by the memorandum).
    for i in 0..226 {
        let since = if i < 166 { rng.range(2005, 2023) } else { 2024 };
        let n = 2 + rng.below(4) as usize;
        let services: Vec<&str> = (0..n).map(|_| *rng.pick(&SERVICES)).collect();
        let m = make(
            &mut rng,
            format!("demo-epn-{:03}", i + 1),
            "EPN",
            "epn",
            services,
            serde_json::json!({"network": "Espaces Publics Numériques de Wallonie", "member_since": since}),
        );
        epn.push((m, since));
    }
    for i in 0..120 {
        let (label, services) = SUPPORT_KINDS[i % SUPPORT_KINDS.len()];
        make(
            &mut rng,
            format!("demo-support-{:03}", i + 1),
            label,
            "acteur-inclusion",
            services.to_vec(),
            serde_json::json!({}),
        );
    }
    (ops, epn)
}

/// Regional indicators broken down by municipality.
const EPN_INDICATOR: &str = "dw4citizens-espaces-publics-numeriques-epn-du-reseau";
/// `(indicator, share of the Walloon municipalities involved)`: the others' shares are
/// drawn in proportion to population.
/// Only figures whose period the source states are broken down (a map shows one period).
const BROKEN_DOWN: [(&str, f64); 3] = [
    ("cyberwal-entreprises-beneficiaires-des-cheques-cy", 0.45),
    ("digital-commerce-commercants-accompagnes", 0.8),
    ("digital-commerce-professions-liberales-accompagnees", 0.7),
];

/// Breakdowns by municipality of figures the strategy file states for all of Wallonia:
/// the EPN network counted from the demo EPN (`epn`: municipality, year joined) for
/// each stated period, and a population-weighted synthetic split of the latest stated
/// value of the [`BROKEN_DOWN`] indicators. The shares of one period add up exactly to
/// the stated value; all are demo data.
fn breakdowns(world: &World, file: &StrategyFile, epn: &[(usize, i64)]) -> Vec<Op> {
    let mut rng = Rng::fork(world.seed, u64::MAX - 3);
    let indicators: HashMap<&str, &strategy::IndicatorDef> = file
        .programmes
        .iter()
        .flat_map(|p| &p.indicators)
        .map(|i| (i.id.as_str(), i))
        .collect();
    let mut ops = Vec::new();
    let mut push = |indicator: &str, period: Period, refnis: &str, value: f64, note: &str| {
        ops.push(Op::Observation(Observation {
            indicator: indicator.to_owned(),
            period: Some(period),
            territory: Some(refnis.to_owned()),
            value,
            qualifier: None,
            period_label: None,
            note: Some(note.to_owned()),
            quote: None,
            provenance: demo_prov(world.seed),
        }));
    };
    if let Some(ind) = indicators.get(EPN_INDICATOR) {
        for o in &ind.observations {
            let Ok(Some(period)) = Period::parse_stated("period", &o.period) else {
                continue;
            };
            let year = i64::from(period.end.year());
            let mut per_muni: std::collections::BTreeMap<usize, u32> = Default::default();
            for (m, since) in epn {
                if *since <= year {
                    *per_muni.entry(*m).or_default() += 1;
                }
            }
            for (m, n) in per_muni {
                push(
                    EPN_INDICATOR,
                    period,
                    &world.municipalities[m].refnis,
                    f64::from(n),
                    "EPN de démonstration situés dans la commune (données synthétiques)",
                );
            }
        }
    }
    for (id, share) in BROKEN_DOWN {
        let Some(obs) = indicators.get(id).and_then(|i| i.observations.last()) else {
            continue;
        };
        let Ok(Some(period)) = Period::parse_stated("period", &obs.period) else {
            continue;
        };
        let chosen: Vec<usize> = world
            .wallonia
            .iter()
            .copied()
            .filter(|_| rng.unit() < share)
            .collect();
        let weights: Vec<f64> = chosen
            .iter()
            .map(|m| {
                let pop = world.municipalities[*m].population.unwrap_or(4000) as f64;
                pop * (0.5 + rng.unit())
            })
            .collect();
        let integer = obs.value.fract() == 0.0;
        for (m, v) in chosen
            .iter()
            .zip(split_weighted(obs.value, &weights, integer))
        {
            if v > 0.0 {
                push(
                    id,
                    period,
                    &world.municipalities[*m].refnis,
                    v,
                    "répartition synthétique du total régional (démo)",
                );
            }
        }
    }
    ops
}

/// Splits `total` in proportion to `weights`; integer shares when `integer`, by the
/// largest-remainder rule, so the shares add up exactly.
fn split_weighted(total: f64, weights: &[f64], integer: bool) -> Vec<f64> {
    let sum: f64 = weights.iter().sum();
    if weights.is_empty() || sum <= 0.0 {
        return vec![0.0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| total * w / sum).collect();
    if !integer {
        let mut shares: Vec<f64> = exact.iter().map(|x| (x * 100.0).round() / 100.0).collect();
        let rest = total - shares.iter().sum::<f64>();
        shares[0] = ((shares[0] + rest) * 100.0).round() / 100.0;
        return shares;
    }
    let mut shares: Vec<f64> = exact.iter().map(|x| x.floor()).collect();
    let missing = (total - shares.iter().sum::<f64>()).round() as usize;
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|a, b| (exact[*b] - shares[*b]).total_cmp(&(exact[*a] - shares[*a])));
    for i in order.into_iter().cycle().take(missing) {
        shares[i] += 1.0;
    }
    shares
}

/// The whole demo, as a stream of operations (reference data and the strategy file
/// must be loaded first, or be earlier in the same stream).
/// Densifies the demo organisations' tagging for benchmarks: each demo organisation
/// gets secondary activities (as the KBO lists them: most in the main activity's
/// division or section) and, for every NACE-BEL 2008 code it holds, its NACE-BEL 2025
/// twin where the code exists in both — until it carries about `per_organisation`
/// concepts (±20 %). Other ops pass through unchanged; the result is deterministic
/// for a seed. `territoria demo --tags-per-organisation 25` uses it.
pub fn densify(
    ops: impl Iterator<Item = Op>,
    seed: u64,
    per_organisation: usize,
) -> impl Iterator<Item = Op> {
    let codes = reference::nace_codes(2008);
    let nace5: Vec<String> = codes
        .iter()
        .filter(|(_, level)| *level == 5)
        .map(|(n, _)| n.clone())
        .collect();
    let nace_2025: std::collections::HashSet<String> = reference::nace_codes(2025)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let mut by_division: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, n) in nace5.iter().enumerate() {
        by_division.entry(n[..2].to_owned()).or_default().push(i);
    }
    let mut count = 0u64;
    ops.map(move |op| {
        let Op::Entity(mut e) = op else { return op };
        if e.kind != EntityKind::Organisation || !e.provenance.demo {
            return Op::Entity(e);
        }
        count += 1;
        let mut rng = Rng::fork(seed ^ 0xD3_5E_7A_95, count);
        let lo = per_organisation * 4 / 5;
        let target = lo + rng.below((per_organisation * 2 / 5 + 1) as u64) as usize;
        let main = e
            .tags
            .iter()
            .find(|t| t.scheme == schemes::NACE_2008)
            .map(|t| t.notation[..2].to_owned());
        let twin = |code: &str| ConceptRef::new(schemes::NACE_2025, code.to_owned());
        for t in e.tags.clone() {
            if t.scheme == schemes::NACE_2008 && nace_2025.contains(&t.notation) {
                let c = twin(&t.notation);
                if !e.tags.contains(&c) {
                    e.tags.push(c);
                }
            }
        }
        let mut attempts = 0;
        while e.tags.len() < target && attempts < 4 * per_organisation {
            attempts += 1;
            let code = match main.as_ref().and_then(|d| by_division.get(d)) {
                Some(same) if rng.chance(0.6) => &nace5[*rng.pick(same)],
                _ => &nace5[rng.below(nace5.len() as u64) as usize],
            };
            let c = ConceptRef::new(schemes::NACE_2008, code.clone());
            if e.tags.contains(&c) {
                continue;
            }
            e.tags.push(c);
            if nace_2025.contains(code) && e.tags.len() < target {
                e.tags.push(twin(code));
            }
        }
        Op::Entity(e)
    })
}

pub fn ops(options: &DemoOptions) -> impl Iterator<Item = Op> + use<> {
    let world = World::new(options.seed);
    let seed = options.seed;
    let n = options.organisations;
    let file = strategy::parse(strategy::DIGITAL_WALLONIA_PATH, strategy::DIGITAL_WALLONIA)
        .expect("the shipped strategy file parses");
    let Plan {
        relations,
        missions,
    } = plan(&world, n);
    let mut head: Vec<Op> = fixed_entities(options.seed);
    head.extend(missions.into_iter().map(|m| Op::Entity(Box::new(m))));
    let tail_world = World::new(options.seed);
    head.into_iter()
        .chain((0..n).flat_map(move |i| organisation(&world, i, relations.get(&(i as u32)))))
        .chain(std::iter::once(()).flat_map(move |_| {
            let mut v = actions(&tail_world, &file, n);
            let (places, epn) = places(&tail_world);
            v.extend(places);
            v.extend(breakdowns(&tail_world, &file, &epn));
            v
        }))
        .chain(std::iter::once(()).flat_map(move |_| {
            crate::digiscore_demo::ops(crate::digiscore_demo::DEMO_ASSESSMENTS, seed)
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_exactly() {
        let mut r = Rng::fork(3, 0);
        for (total, n, int) in [
            (58414.0, 7, true),
            (29_800_000.0, 155, true),
            (3.1, 4, false),
        ] {
            let s = split(&mut r, total, n, int);
            assert_eq!(s.len(), n);
            assert!((s.iter().sum::<f64>() - total).abs() < 1e-6, "{total}");
            assert!(s.iter().all(|x| *x >= 0.0));
        }
    }

    #[test]
    fn weighted_shares_add_up_exactly() {
        let w = [3.0, 1.0, 1.0, 0.5];
        let s = split_weighted(58414.0, &w, true);
        assert_eq!(s.iter().sum::<f64>(), 58414.0);
        assert!(s.iter().all(|x| x.fract() == 0.0));
        assert!(s[0] > s[1] && s[1] > s[3], "{s:?}");
        let s = split_weighted(10.0, &[1.0, 1.0, 1.0], false);
        assert!((s.iter().sum::<f64>() - 10.0).abs() < 1e-9, "{s:?}");
    }

    #[test]
    fn breakdowns_by_municipality_add_up_to_the_stated_figures() {
        let file =
            strategy::parse(strategy::DIGITAL_WALLONIA_PATH, strategy::DIGITAL_WALLONIA).unwrap();
        let stated: HashMap<(String, String), f64> = file
            .programmes
            .iter()
            .flat_map(|p| &p.indicators)
            .flat_map(|i| {
                i.observations.iter().filter_map(move |o| {
                    let p = Period::parse_stated("period", &o.period).unwrap()?;
                    Some(((i.id.clone(), p.to_string()), o.value))
                })
            })
            .collect();
        let mut sums: HashMap<(String, String), f64> = HashMap::new();
        let mut epn_places: HashMap<String, f64> = HashMap::new();
        for op in ops(&DemoOptions {
            seed: 9,
            organisations: 30,
        }) {
            match op {
                Op::Observation(o) if o.territory.is_some() => {
                    assert!(o.provenance.demo, "{o:?}");
                    let period = o.period.expect("a breakdown has a period").to_string();
                    *sums
                        .entry((o.indicator.clone(), period.clone()))
                        .or_default() += o.value;
                    if o.indicator == EPN_INDICATOR && period == "2024" {
                        assert_eq!(epn_places.insert(o.territory.unwrap(), o.value), None);
                    }
                }
                Op::Entity(e) if e.key.starts_with("demo-epn-") => {
                    let t = e
                        .tags
                        .iter()
                        .find(|t| t.scheme == schemes::TERRITORY)
                        .unwrap();
                    *epn_places
                        .entry(format!("place {}", t.notation))
                        .or_default() += 1.0;
                }
                _ => {}
            }
        }
        // Four indicators broken down; EPN for both stated periods (166, then 226).
        assert_eq!(sums.len(), 5, "{sums:?}");
        for (key, sum) in &sums {
            assert_eq!(Some(sum), stated.get(key), "{key:?}");
        }
        assert_eq!(sums[&(EPN_INDICATOR.to_owned(), "2024".to_owned())], 226.0);
        // The EPN breakdown is the demo EPN counted by municipality.
        let by_muni: Vec<(&String, &f64)> = epn_places
            .iter()
            .filter(|(k, _)| !k.starts_with("place "))
            .collect();
        assert!(!by_muni.is_empty());
        for (refnis, n) in by_muni {
            assert_eq!(
                epn_places.get(&format!("place {refnis}")),
                Some(n),
                "{refnis}"
            );
        }
    }

    #[test]
    fn profiles_are_deterministic_and_plausible() {
        let w = World::new(42);
        let a = w.profile(17);
        let b = World::new(42).profile(17);
        assert_eq!(a.name, b.name);
        assert_eq!(a.nace, b.nace);
        let wal = (0..2000)
            .filter(|i| w.municipalities[w.profile(*i).municipality].region == "03000")
            .count();
        assert!(wal > 1500, "most organisations are Walloon: {wal}");
    }

    /// Both smart-magnet examples of the memorandum have answers in the demo, and the
    /// first one stays selective (not every AI startup qualifies).
    #[test]
    fn both_memorandum_magnets_have_members() {
        use std::collections::{HashMap, HashSet};
        let mut tags: HashMap<String, Vec<ConceptRef>> = HashMap::new();
        let mut rels: HashMap<String, Vec<(RelationKind, String)>> = HashMap::new();
        for op in ops(&DemoOptions {
            seed: 42,
            organisations: 5000,
        }) {
            match op {
                Op::Entity(e) if e.kind == EntityKind::Organisation => {
                    tags.insert(e.key.clone(), e.tags.clone());
                }
                Op::Relation(r) if r.subject.kind == EntityKind::Organisation => {
                    rels.entry(r.subject.key.clone())
                        .or_default()
                        .push((r.kind, r.object.key.clone()));
                }
                _ => {}
            }
        }
        let has = |k: &str, scheme: &str, f: &dyn Fn(&str) -> bool| {
            tags[k].iter().any(|t| t.scheme == scheme && f(&t.notation))
        };
        let rel = |k: &str, kind: RelationKind, f: &dyn Fn(&str) -> bool| {
            rels.get(k)
                .is_some_and(|v| v.iter().any(|(rk, o)| *rk == kind && f(o)))
        };
        let ai_startups: Vec<&String> = tags
            .keys()
            .filter(|k| {
                has(k, "organisation-kind", &|n| n == "startup")
                    && has(k, "digital-offer", &|n| n.starts_with("ia"))
            })
            .collect();
        let dw4ai: HashSet<&str> = ["start-ia", "tremplin-ia", "cap-ia"].into();
        let magnet1 = ai_startups
            .iter()
            .filter(|k| {
                rel(k, RelationKind::ParticipatedIn, &|o| {
                    o.starts_with("demo-mission-")
                }) && rel(k, RelationKind::FundedBy, &|o| o == "fonds-wing")
                    && rel(k, RelationKind::LaureateOf, &|o| dw4ai.contains(o))
            })
            .count();
        assert!(magnet1 >= 5, "{magnet1}");
        assert!(
            magnet1 * 2 < ai_startups.len(),
            "{magnet1} of {}",
            ai_startups.len()
        );
        let poles: HashSet<&str> = POLES.iter().map(|p| p.0).collect();
        let magnet2 = tags
            .keys()
            .filter(|k| {
                has(k, "nace-bel-2008", &|n| is_manufacturing(n))
                    && rel(k, RelationKind::Labelled, &|o| {
                        o == "factory-of-the-future" || o == "made-different"
                    })
                    && rel(k, RelationKind::MemberOf, &|o| poles.contains(o))
            })
            .count();
        assert!(magnet2 >= 10, "{magnet2}");
        let labelled = |l: &str| {
            rels.values()
                .flatten()
                .filter(|(k, o)| *k == RelationKind::Labelled && o == l)
                .count()
        };
        assert_eq!(
            (
                labelled("factory-of-the-future"),
                labelled("made-different")
            ),
            (17, 28)
        );
    }

    #[test]
    fn demo_kbo_numbers_are_valid_and_distinct() {
        let mut seen = std::collections::HashSet::new();
        for i in (0..1_000_000).step_by(997) {
            let k = Kbo::from_base(10_000_000 + i as u64 * 7 % 9_000_000 + (i as u64 / 9_000_000))
                .unwrap();
            assert!(seen.insert(k));
        }
    }
}
