//! Smart magnets ("aimants intelligents"): any boolean combination of taxonomy terms
//! and relations, answered from an in-memory index of compressed bitmaps, with facet
//! counts for every scheme.
//!
//! Index layout ([`Index`]), all keyed by a dense `u32` entity number:
//!
//! ```text
//! entities[n]            kind, key, name, lower-cased text, date, employees
//! by_kind[kind]          bitmap of entities of that kind
//! tagged[concept]        bitmap of entities tagged with the concept OR a narrower one
//!                        (the hierarchy is folded in at build time: NACE 62 ⊇ 62.010)
//! related[(kind, obj)]   bitmap of subjects of `kind` relations to entity `obj`
//! related_any[kind]      bitmap of subjects of any `kind` relation
//! parts[obj]             entities that are `part_of` obj (a call of a programme)
//! ```
//!
//! It is built from the store's bulk scan ([`territoria_store::Store::scan`]) and kept
//! current without a rebuild: every row the store writes carries its audit entry's id,
//! so [`Live::refresh`] asks the store what changed after the entry the index reflects
//! ([`territoria_store::Store::changes_since`]), re-reads those entities
//! ([`territoria_store::Store::scan_entities`]) and replaces their bits in place
//! ([`Index::apply`]). Changed concepts (a new taxonomy) or a bulk change of more than
//! a tenth of the entities rebuild instead, off the lock, and swap.
//! Architecture invariant: no HTTP and no SQL here; the store is the source of truth and
//! this index is derived from it.

mod index;
mod live;

pub use index::{EvalError, Facet, FacetValue, Index, Member, SearchResult, Sort};
pub use live::{Live, Refreshed};
pub use territoria_magnet_query as query;
