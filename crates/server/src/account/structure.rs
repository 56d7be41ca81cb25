//! Editing a strategy's structure: a new strategy from an empty template, and the
//! elements of a version's tree (ambitions, levers, programmes, actions) added under a
//! node or detached from it — so that any regional policy can be represented and kept
//! current in the browser or through the API, not only from a file on the server.
//!
//! Synchronous and without HTTP types (handlers in `structure_pages.rs` and `api.rs`
//! run these on the blocking pool). Every change goes through `Store::apply` with its
//! before and after recorded (an edge's history belongs to its child), so it shows in
//! the history and an administrator can revert it.

use serde::{Deserialize, Serialize};
use territoria_model::{
    Action, ActionStatus, Details, Entity, EntityKind, EntityRef, Labels, Provenance,
};
use territoria_store::{Expectation, Located, Op, Store, StrategyTree, WriteOptions};

use super::Principal;
use crate::error::ApiError;

/// The kinds of element that may sit under an element of `parent` kind.
pub fn children_kinds(parent: EntityKind) -> &'static [EntityKind] {
    use EntityKind::*;
    match parent {
        Strategy => &[Ambition],
        Ambition => &[Lever, Programme],
        Lever => &[Programme],
        Programme => &[Action],
        _ => &[],
    }
}

/// A strategy made from the empty template: its head and its first version.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewStrategy {
    pub key: String,
    pub name_fr: String,
    #[serde(default)]
    pub name_en: String,
    /// The first version's id (e.g. `2025-2030`).
    pub version: String,
    #[serde(default)]
    pub version_label: String,
    #[serde(default)]
    pub year: Option<i64>,
    /// Where the strategy is stated (a decision, a plan's address).
    pub source: String,
}

/// An element to place under `parent` in one version: a new one (`kind` and names),
/// or an existing entity (`existing`, e.g. a programme moved under a lever).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewChild {
    pub version: String,
    /// `kind/key` of the parent (the strategy itself for a top-level element).
    pub parent: String,
    #[serde(default)]
    pub kind: String,
    /// The new element's key; made from its French name when empty.
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub name_fr: String,
    #[serde(default)]
    pub name_en: String,
    /// `kind/key` of an existing entity to place instead of creating one.
    #[serde(default)]
    pub existing: String,
}

/// What a structure change did.
#[derive(Debug, Serialize)]
pub struct Changed {
    /// The audit entry of the change (its history and revert use it).
    pub audit_id: i64,
    pub strategy: String,
    pub version: String,
    /// The element added or detached.
    pub element: String,
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad_parameter(field, message.into())
}

/// Editors (of every strategy) and administrators create strategies.
fn may_create_strategy(p: &Principal) -> bool {
    !p.user.disabled
        && match p.user.role {
            territoria_store::Role::Admin => true,
            territoria_store::Role::Editor => p.user.strategy.is_none(),
            territoria_store::Role::Partner => false,
        }
}

fn may_edit_strategy(store: &dyn Store, p: &Principal, strategy: &str) -> Result<bool, ApiError> {
    super::service::may(store, p, EntityKind::Strategy, strategy)
}

/// What a user-made fact cites: the instance and who stated it, dated today.
fn provenance(p: &Principal, source: Option<&str>) -> Provenance {
    let source = match source.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => s.to_owned(),
        None => format!("Saisi dans Territoria par {}", p.user.display_name),
    };
    Provenance::stated(source).dated(Some(chrono::Utc::now().date_naive()))
}

fn labels(fr: &str, en: &str) -> Labels {
    let mut l = Labels::fr(fr.trim());
    if !en.trim().is_empty() {
        l.0.insert("en".into(), en.trim().to_owned());
    }
    l
}

/// A key made from a name: lowercase ASCII letters and digits joined by `-`.
pub fn key_from(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(fold_accent) {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 60 {
            break;
        }
    }
    out.trim_end_matches('-').to_owned()
}

fn fold_accent(c: char) -> std::vec::IntoIter<char> {
    let s: &str = match c {
        'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' | 'À' | 'Á' | 'Â' | 'Ä' => "a",
        'ç' | 'Ç' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Î' | 'Ï' => "i",
        'ñ' => "n",
        'ò' | 'ó' | 'ô' | 'ö' | 'õ' | 'Ô' | 'Ö' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Û' | 'Ü' => "u",
        'ÿ' => "y",
        'œ' | 'Œ' => "oe",
        'æ' | 'Æ' => "ae",
        'ß' => "ss",
        other => return vec![other].into_iter(),
    };
    s.chars().collect::<Vec<_>>().into_iter()
}

fn write(
    store: &dyn Store,
    p: &Principal,
    operation: &str,
    ops: Vec<Op>,
    expect: Vec<Expectation>,
) -> Result<i64, ApiError> {
    let mut records = ops.into_iter().map(|op| Ok(Located::from(op)));
    let report = store.apply(
        &p.actor(),
        operation,
        &mut records,
        &WriteOptions {
            expect,
            record_changes: true,
            ..Default::default()
        },
        &mut |_| {},
    )?;
    report
        .audit_id
        .ok_or_else(|| ApiError::internal("a structure change wrote no audit entry"))
}

/// Creates a strategy and its first, empty version.
pub fn create_strategy(
    store: &dyn Store,
    p: &Principal,
    new: &NewStrategy,
) -> Result<Changed, ApiError> {
    if !may_create_strategy(p) {
        return Err(ApiError::Forbidden(
            "only editors of every strategy and administrators create strategies".into(),
        ));
    }
    let key = new.key.trim();
    territoria_model::entity::check_key("key", key).map_err(|e| invalid("key", e.message))?;
    if new.name_fr.trim().is_empty() {
        return Err(invalid(
            "name_fr",
            "a strategy needs its French name (e.g. « Circular Wallonia »)",
        ));
    }
    let version = new.version.trim();
    territoria_model::entity::check_key("version", version)
        .map_err(|e| invalid("version", format!("{} (e.g. 2025-2030)", e.message)))?;
    if new.source.trim().is_empty() {
        return Err(invalid(
            "source",
            "say where the strategy is stated: the decision or plan, with its address",
        ));
    }
    if let Some(y) = new.year {
        if !(1900..=2200).contains(&y) {
            return Err(invalid("year", format!("{y} is not a plausible year")));
        }
    }
    // A strategy the data name without describing it (a related strategy, a DPR
    // policy) gets its first version; its head, a sourced fact, is left as it is.
    let known = store.strategies()?.into_iter().find(|s| s.id == key);
    if let Some(k) = &known {
        if !k.versions.is_empty() {
            return Err(invalid(
                "key",
                format!(
                    "a strategy `{key}` exists already, with its versions: add elements on its structure page, or choose another key"
                ),
            ));
        }
    }
    let prov = provenance(p, Some(&new.source));
    let label = if new.version_label.trim().is_empty() {
        version.to_owned()
    } else {
        new.version_label.trim().to_owned()
    };
    let mut ops = Vec::new();
    let mut expect = Vec::new();
    if known.is_none() {
        ops.push(Op::Entity(Box::new(Entity::new(
            EntityKind::Strategy,
            key,
            labels(&new.name_fr, &new.name_en),
            prov.clone(),
        ))));
        expect.push(Expectation {
            kind: EntityKind::Strategy,
            key: key.to_owned(),
            version: None,
        });
    }
    ops.push(Op::StrategyVersion(territoria_store::StrategyVersion {
        strategy: key.to_owned(),
        id: version.to_owned(),
        label: Labels::fr(&label),
        year: new.year,
        note: None,
        position: 0,
        source: prov.source.clone(),
    }));
    let audit_id = write(
        store,
        p,
        &format!("create strategy/{key} {version}"),
        ops,
        expect,
    )?;
    Ok(Changed {
        audit_id,
        strategy: key.to_owned(),
        version: version.to_owned(),
        element: format!("strategy/{key}"),
    })
}

/// The tree of `strategy`'s `version`, or a 404 naming what is missing.
pub fn tree(store: &dyn Store, strategy: &str, version: &str) -> Result<StrategyTree, ApiError> {
    let t = store
        .strategy(strategy, Some(version))?
        .ok_or_else(|| ApiError::NotFound(format!("no strategy `{strategy}`")))?;
    if t.version.id != version {
        return Err(ApiError::NotFound(format!(
            "strategy `{strategy}` has no version `{version}`"
        )));
    }
    Ok(t)
}

/// The children of `node` in `t` (`None`: the node is not in this tree).
fn children_of<'a>(t: &'a StrategyTree, node: &EntityRef) -> Option<&'a [territoria_store::Node]> {
    fn find<'a>(
        nodes: &'a [territoria_store::Node],
        node: &EntityRef,
    ) -> Option<&'a [territoria_store::Node]> {
        for n in nodes {
            if n.kind == node.kind && n.id == node.key {
                return Some(&n.children);
            }
            if let Some(found) = find(&n.children, node) {
                return Some(found);
            }
        }
        None
    }
    if node.kind == EntityKind::Strategy && node.key == t.id {
        return Some(&t.children);
    }
    find(&t.children, node)
}

fn parse_ref(field: &str, s: &str) -> Result<EntityRef, ApiError> {
    EntityRef::parse(field, s).map_err(|e| invalid(field, e.message))
}

/// Places a new element (or an existing entity) under `new.parent` in one version.
pub fn add_child(
    store: &dyn Store,
    p: &Principal,
    strategy: &str,
    new: &NewChild,
) -> Result<Changed, ApiError> {
    if !may_edit_strategy(store, p, strategy)? || p.user.role == territoria_store::Role::Partner {
        return Err(super::service::forbidden(EntityKind::Strategy, strategy));
    }
    let t = tree(store, strategy, new.version.trim())?;
    let parent = parse_ref("parent", &new.parent)?;
    let siblings = children_of(&t, &parent).ok_or_else(|| {
        invalid(
            "parent",
            format!("{parent} is not in {strategy} {}", t.version.id),
        )
    })?;
    let allowed = children_kinds(parent.kind);
    let prov = provenance(p, None);
    let mut ops = Vec::new();
    let child = if new.existing.trim().is_empty() {
        let kind = EntityKind::parse(new.kind.trim()).ok_or_else(|| {
            invalid(
                "kind",
                format!("`{}` is not a kind of element", new.kind.trim()),
            )
        })?;
        if !allowed.contains(&kind) {
            return Err(kind_refused(parent.kind, kind));
        }
        if new.name_fr.trim().is_empty() {
            return Err(invalid("name_fr", "the new element needs its French name"));
        }
        let key = if new.key.trim().is_empty() {
            free_key(store, kind, &key_from(&new.name_fr))?
        } else {
            let key = new.key.trim().to_owned();
            territoria_model::entity::check_key("key", &key)
                .map_err(|e| invalid("key", e.message))?;
            if store.entity_version(kind, &key)?.is_some() {
                return Err(invalid(
                    "key",
                    format!(
                        "{}/{key} exists already: leave the key empty, or place the existing one",
                        kind.as_str()
                    ),
                ));
            }
            key
        };
        let mut e = Entity::new(kind, &key, labels(&new.name_fr, &new.name_en), prov.clone());
        if kind == EntityKind::Action {
            e.details = Details::Action(Action {
                status: ActionStatus::Planned,
                start: None,
                end: None,
                budget_eur: None,
            });
        }
        ops.push(Op::Entity(Box::new(e)));
        EntityRef::new(kind, key)
    } else {
        let existing = parse_ref("existing", &new.existing)?;
        if !allowed.contains(&existing.kind) {
            return Err(kind_refused(parent.kind, existing.kind));
        }
        if store
            .entity_version(existing.kind, &existing.key)?
            .is_none()
        {
            return Err(invalid("existing", format!("there is no {existing}")));
        }
        if siblings
            .iter()
            .any(|n| n.kind == existing.kind && n.id == existing.key)
        {
            return Err(invalid(
                "existing",
                format!("{existing} is under {parent} already"),
            ));
        }
        existing
    };
    ops.push(Op::Edge {
        strategy: strategy.to_owned(),
        version: t.version.id.clone(),
        parent: parent.clone(),
        child: child.clone(),
        position: siblings.len() as i64,
        provenance: prov,
    });
    let audit_id = write(
        store,
        p,
        &format!("add {child} under {parent} in {strategy} {}", t.version.id),
        ops,
        Vec::new(),
    )?;
    Ok(Changed {
        audit_id,
        strategy: strategy.to_owned(),
        version: t.version.id.clone(),
        element: child.to_string(),
    })
}

fn kind_refused(parent: EntityKind, kind: EntityKind) -> ApiError {
    let allowed: Vec<&str> = children_kinds(parent).iter().map(|k| k.as_str()).collect();
    invalid(
        "kind",
        if allowed.is_empty() {
            format!("nothing goes under a {}", parent.as_str())
        } else {
            format!(
                "a {} does not go under a {}: use {}",
                kind.as_str(),
                parent.as_str(),
                allowed.join(" or ")
            )
        },
    )
}

/// `base`, or `base-2`, `base-3`… — the first key of `kind` not taken.
fn free_key(store: &dyn Store, kind: EntityKind, base: &str) -> Result<String, ApiError> {
    let base = if base.is_empty() { kind.as_str() } else { base };
    for n in 1..1000 {
        let key = if n == 1 {
            base.to_owned()
        } else {
            format!("{base}-{n}")
        };
        if store.entity_version(kind, &key)?.is_none() {
            return Ok(key);
        }
    }
    Err(invalid(
        "key",
        "choose a key: every key made from this name is taken",
    ))
}

/// Detaches `child` from `parent` in one version (the entity stays, with its history).
pub fn remove_child(
    store: &dyn Store,
    p: &Principal,
    strategy: &str,
    version: &str,
    parent: &str,
    child: &str,
) -> Result<Changed, ApiError> {
    if !may_edit_strategy(store, p, strategy)? || p.user.role == territoria_store::Role::Partner {
        return Err(super::service::forbidden(EntityKind::Strategy, strategy));
    }
    let t = tree(store, strategy, version.trim())?;
    let parent = parse_ref("parent", parent)?;
    let child = parse_ref("child", child)?;
    let audit_id = write(
        store,
        p,
        &format!(
            "remove {child} from under {parent} in {strategy} {}",
            t.version.id
        ),
        vec![Op::EdgeRemove {
            strategy: strategy.to_owned(),
            version: t.version.id.clone(),
            parent,
            child: child.clone(),
        }],
        Vec::new(),
    )?;
    Ok(Changed {
        audit_id,
        strategy: strategy.to_owned(),
        version: t.version.id.clone(),
        element: child.to_string(),
    })
}

/// Whether `p` may change `strategy`'s structure (for showing the forms).
pub fn may_change(store: &dyn Store, p: &Principal, strategy: &str) -> Result<bool, ApiError> {
    Ok(p.user.role != territoria_store::Role::Partner && may_edit_strategy(store, p, strategy)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_made_from_french_names() {
        assert_eq!(key_from("Économie circulaire"), "economie-circulaire");
        assert_eq!(
            key_from("  S3 — Spécialisation  intelligente "),
            "s3-specialisation-intelligente"
        );
        assert_eq!(key_from("Œuvres & cœur"), "oeuvres-coeur");
        assert_eq!(key_from("!!!"), "");
    }

    #[test]
    fn each_kind_has_its_place() {
        use EntityKind::*;
        assert_eq!(children_kinds(Strategy), [Ambition]);
        assert!(children_kinds(Ambition).contains(&Lever));
        assert!(children_kinds(Lever).contains(&Programme));
        assert!(children_kinds(Action).is_empty());
        let e = kind_refused(Strategy, Programme).to_string();
        assert!(e.contains("use ambition"), "{e}");
    }
}
