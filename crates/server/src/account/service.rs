//! What the governing face does, below its handlers: look up who owns what, edit an
//! entity, compare and apply a bulk file, revert a change. Synchronous (store calls);
//! handlers run these on the blocking pool.

use serde::Serialize;
use territoria_auth::{Ownership, is_admin, may_edit};
use territoria_exchange::diff::{self, Status};
use territoria_exchange::{Collection, Format};
use territoria_model::{Details, Entity, EntityKind};
use territoria_store::{Expectation, Located, Store, WriteOptions, revert_ops};

use super::Principal;
use crate::error::ApiError;

/// The facts that decide who may edit `kind/key` (empty when it does not exist).
pub fn ownership(store: &dyn Store, kind: EntityKind, key: &str) -> Result<Ownership, ApiError> {
    let mut facts = Ownership::default();
    let Some(d) = store.entity(kind, key)? else {
        return Ok(facts);
    };
    facts.strategies = d.placements.iter().map(|p| p.strategy.clone()).collect();
    match (&d.entity.details, kind) {
        (_, EntityKind::Action) => {
            facts.operators = d
                .inverse_relations
                .iter()
                .filter(|r| r.kind == "operates" && r.entity.kind == EntityKind::Organisation)
                .map(|r| r.entity.id.clone())
                .collect();
        }
        (Details::Indicator(i), EntityKind::Indicator) => {
            let measured = ownership(store, i.measures.kind, &i.measures.key)?;
            facts.operators = measured.operators;
            facts.strategies.extend(measured.strategies);
            if matches!(
                i.measures.kind,
                EntityKind::Strategy | EntityKind::Ambition | EntityKind::Programme
            ) {
                facts
                    .strategies
                    .extend(strategy_of(store, i.measures.kind, &i.measures.key)?);
            }
        }
        _ => {}
    }
    if kind == EntityKind::Strategy {
        facts.strategies.push(key.to_owned());
    }
    facts.strategies.sort();
    facts.strategies.dedup();
    Ok(facts)
}

fn strategy_of(store: &dyn Store, kind: EntityKind, key: &str) -> Result<Vec<String>, ApiError> {
    if kind == EntityKind::Strategy {
        return Ok(vec![key.to_owned()]);
    }
    Ok(store
        .entity(kind, key)?
        .map(|d| d.placements.into_iter().map(|p| p.strategy).collect())
        .unwrap_or_default())
}

/// The refusal shown for an object the account may not touch — the same whether or
/// not it exists.
pub fn forbidden(kind: EntityKind, key: &str) -> ApiError {
    ApiError::Forbidden(format!(
        "your account may not change {}/{key}",
        kind.as_str()
    ))
}

/// Whether `p` may edit `kind/key`, as it is in the store now.
pub fn may(
    store: &dyn Store,
    p: &Principal,
    kind: EntityKind,
    key: &str,
) -> Result<bool, ApiError> {
    if is_admin(&p.user) {
        return Ok(true);
    }
    Ok(may_edit(&p.user, kind, &ownership(store, kind, key)?))
}

/// What an edit did.
#[derive(Debug, Serialize)]
pub struct Edited {
    /// The new version (the audit entry of the edit); pass it with the next edit.
    pub version: i64,
    pub entity: Entity,
}

/// Writes `entity` as `kind/key`, if it is still at `version` (`None`: creates it).
pub fn edit_entity(
    store: &dyn Store,
    p: &Principal,
    kind: EntityKind,
    key: &str,
    version: Option<i64>,
    entity: Entity,
) -> Result<Edited, ApiError> {
    if entity.kind != kind || entity.key != key {
        return Err(ApiError::bad_parameter(
            "entity",
            format!(
                "the body describes {}/{}, the address {}/{key}: they must be the same",
                entity.kind.as_str(),
                entity.key,
                kind.as_str()
            ),
        ));
    }
    let exists = store.entity_version(kind, key)?.is_some();
    let allowed = if exists {
        may(store, p, kind, key)?
    } else {
        // Creating: only editors and admins (a partner's actions are given to it).
        may_edit(&p.user, kind, &Ownership::default())
            && p.user.role != territoria_store::Role::Partner
    };
    if !allowed {
        return Err(forbidden(kind, key));
    }
    let mut records = std::iter::once(Ok(Located::from(territoria_store::Op::Entity(Box::new(
        entity,
    )))));
    let report = store.apply(
        &p.actor(),
        &format!("edit {}/{key}", kind.as_str()),
        &mut records,
        &WriteOptions {
            expect: vec![Expectation {
                kind,
                key: key.to_owned(),
                version,
            }],
            record_changes: true,
            ..Default::default()
        },
        &mut |_| {},
    )?;
    let entity = store
        .entity(kind, key)?
        .ok_or_else(|| ApiError::internal("edited entity vanished"))?
        .entity;
    Ok(Edited {
        version: report.audit_id.unwrap_or_default(),
        entity,
    })
}

/// Reverts the change recorded with audit entry `audit_id` (administrators only); the
/// revert is itself a change, with its own history entry.
pub fn revert(store: &dyn Store, p: &Principal, audit_id: i64) -> Result<i64, ApiError> {
    if !is_admin(&p.user) {
        return Err(ApiError::Forbidden(
            "only an administrator may revert a change".into(),
        ));
    }
    let terms = store.concept_changes_of(audit_id)?;
    if !terms.is_empty() {
        return super::terms::revert_terms(store, p, audit_id, terms);
    }
    let changes = store.changes_of(audit_id)?;
    if changes.is_empty() {
        return Err(ApiError::not_found(format!(
            "audit entry {audit_id} recorded no change that can be reverted"
        )));
    }
    let (ops, expect) = revert_ops(&changes).map_err(|e| ApiError::Conflict {
        message: e.to_string(),
        current_version: None,
    })?;
    let mut records = ops.into_iter().map(|op| Ok(Located::from(op)));
    let report = store.apply(
        &p.actor(),
        &format!("revert {audit_id}"),
        &mut records,
        &WriteOptions {
            expect,
            record_changes: true,
            ..Default::default()
        },
        &mut |_| {},
    )?;
    Ok(report.audit_id.unwrap_or_default())
}

/// One row of a bulk report.
#[derive(Debug, Serialize)]
pub struct BulkRow {
    pub line: Option<u64>,
    pub record: String,
    pub status: Status,
    pub fields: Vec<diff::FieldChange>,
}

/// A refused row.
#[derive(Debug, Serialize)]
pub struct BulkRejected {
    pub line: Option<u64>,
    pub record: String,
    pub message: String,
}

/// What a bulk file does (preview) or did (applied).
#[derive(Debug, Serialize)]
pub struct BulkReport {
    pub collection: &'static str,
    pub file: String,
    pub applied: bool,
    /// The audit entry of the write, when something was written.
    pub audit_id: Option<i64>,
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
    /// Rows to be written (added and changed), with their field changes.
    pub rows: Vec<BulkRow>,
    pub rejected: Vec<BulkRejected>,
}

/// Compares `bytes` with the store, checks what `p` may change, validates through a
/// dry-run write and — when `apply` — writes the added and changed records in one
/// transaction (refused as a whole when a row is rejected, unless `skip_invalid`).
#[allow(clippy::too_many_arguments)]
pub fn bulk(
    store: &dyn Store,
    p: &Principal,
    collection: Collection,
    format: Format,
    file: &str,
    bytes: &[u8],
    apply: bool,
    skip_invalid: bool,
) -> Result<BulkReport, ApiError> {
    let mut input = bytes;
    let preview = diff::preview(store, collection, format, file, &mut input)
        .map_err(|e| ApiError::bad_parameter("file", e.to_string()))?;
    let mut rejected: Vec<BulkRejected> = preview
        .rejected
        .iter()
        .map(|e| BulkRejected {
            line: e.location.as_ref().map(|l| l.line),
            record: e.record.clone(),
            message: e.to_string(),
        })
        .collect();
    let unchanged = preview.count(Status::Unchanged);
    let mut rows = Vec::new();
    let mut writes: Vec<Located> = Vec::new();
    let mut expect: Vec<Expectation> = Vec::new();
    let mut allowed_cache: std::collections::HashMap<(EntityKind, String), bool> =
        Default::default();
    for row in preview.rows {
        if row.status == Status::Unchanged {
            continue;
        }
        let owner = row.owner.clone();
        let ok = match allowed_cache.get(&(owner.kind, owner.key.clone())) {
            Some(ok) => *ok,
            None => {
                let ok = if row.owner_version.is_some() {
                    may(store, p, owner.kind, &owner.key)?
                } else {
                    p.user.role != territoria_store::Role::Partner
                        && may_edit(&p.user, owner.kind, &Ownership::default())
                };
                allowed_cache.insert((owner.kind, owner.key.clone()), ok);
                ok
            }
        };
        // Relations and placements change who owns an action: not a partner's to make.
        let structural = !matches!(
            row.located.op,
            territoria_store::Op::Entity(_) | territoria_store::Op::Observation(_)
        );
        if !ok || (structural && p.user.role == territoria_store::Role::Partner) {
            rejected.push(BulkRejected {
                line: row.line,
                record: row.record.clone(),
                message: format!(
                    "{}your account may not change {}/{}",
                    row.line
                        .map(|l| format!("{file}:{l}: "))
                        .unwrap_or_default(),
                    owner.kind.as_str(),
                    owner.key
                ),
            });
            continue;
        }
        if matches!(row.located.op, territoria_store::Op::Entity(_)) {
            let e = Expectation {
                kind: owner.kind,
                key: owner.key.clone(),
                version: row.owner_version,
            };
            if !expect.contains(&e) {
                expect.push(e);
            }
        }
        rows.push(BulkRow {
            line: row.line,
            record: row.record,
            status: row.status,
            fields: row.fields,
        });
        writes.push(row.located);
    }
    let (added, changed) = (
        rows.iter().filter(|r| r.status == Status::Added).count(),
        rows.iter().filter(|r| r.status == Status::Changed).count(),
    );
    let mut report = BulkReport {
        collection: collection.as_str(),
        file: file.to_owned(),
        applied: false,
        audit_id: None,
        added,
        changed,
        unchanged,
        rows,
        rejected,
    };
    // The store's own validation (codes, references, duplicates), without writing.
    if !writes.is_empty() {
        let mut dry = writes.iter().map(|l| Ok(clone_located(l)));
        let checked = store.apply(
            &p.actor(),
            "bulk update (preview)",
            &mut dry,
            &WriteOptions {
                skip_invalid: true,
                dry_run: true,
                expect: expect.clone(),
                ..Default::default()
            },
            &mut |_| {},
        )?;
        for e in &checked.rejected {
            report.rejected.push(BulkRejected {
                line: e.location.as_ref().map(|l| l.line),
                record: e.record.clone(),
                message: e.to_string(),
            });
        }
    }
    if !apply || writes.is_empty() {
        return Ok(report);
    }
    if !report.rejected.is_empty() && !skip_invalid {
        return Err(ApiError::Invalid(
            report
                .rejected
                .iter()
                .map(|r| serde_json::json!({"line": r.line, "record": r.record, "message": r.message}))
                .collect(),
        ));
    }
    let mut records = writes.into_iter().map(Ok);
    let written = store.apply(
        &p.actor(),
        &format!("bulk update of {} from {file}", collection.as_str()),
        &mut records,
        &WriteOptions {
            skip_invalid,
            expect,
            record_changes: true,
            ..Default::default()
        },
        &mut |_| {},
    )?;
    report.applied = true;
    report.audit_id = written.audit_id;
    Ok(report)
}

fn clone_located(l: &Located) -> Located {
    Located {
        op: l.op.clone(),
        location: l.location.clone(),
        column_of: l.column_of.clone(),
    }
}

/// Creates a personal API token of `p`; returns it with its secret (shown once). A
/// refused name or scope is a bad `parameter`.
pub fn create_token(
    accounts: &dyn territoria_store::AccountStore,
    p: &Principal,
    parameter: &str,
    name: &str,
    scope: &str,
    expires_in_days: Option<u32>,
) -> Result<(territoria_store::ApiToken, String), ApiError> {
    let secret = territoria_auth::new_token().map_err(ApiError::internal)?;
    let expires = expires_in_days.map(|d| {
        territoria_auth::at_offset(
            chrono::Utc::now(),
            std::time::Duration::from_secs(u64::from(d) * 86_400),
        )
    });
    let token = accounts
        .create_token(
            &p.actor(),
            p.user.id,
            name,
            &territoria_auth::digest(&secret),
            scope,
            expires.as_deref(),
        )
        .map_err(|e| match e {
            territoria_store::StoreError::Unusable(m) => ApiError::bad_parameter(parameter, m),
            other => other.into(),
        })?;
    Ok((token, secret))
}
