//! The weighted roll-up of statuses up a strategy's hierarchy (indicators →
//! programmes → levers, ambitions → the strategy).
//!
//! The rule for a parent ([`combine`]): each counted child with an assessed status
//! scores 1 (on track), ½ (at risk) or 0 (off track); the parent's score is the
//! weighted mean; a score of at least ⅔ is on track, below ⅓ off track, at risk in
//! between. Without any assessed child of positive weight the parent has not enough
//! data when a counted child has not enough data, and no target otherwise. A real
//! parent counts its real children only; a synthetic parent counts all its children.
//! The graph may share children (an action serves several programmes) but not loop.

use std::collections::HashMap;

use serde::Serialize;

use crate::{PrescribeError, Status};

/// A parent and the children it rolls up, with their weights.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeSpec {
    pub id: String,
    /// Synthetic (demo) node.
    pub demo: bool,
    pub children: Vec<Child>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Child {
    /// A node's or a leaf's id.
    pub id: String,
    pub weight: f64,
}

/// An assessed indicator: a leaf of the roll-up.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Leaf {
    pub status: Status,
    /// Its status comes from synthetic figures.
    pub demo: bool,
}

/// A parent's roll-up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rolled {
    pub status: Status,
    /// The weighted score in 0..=1, when some assessed child has a positive weight.
    pub score: Option<f64>,
    /// Counted children by status, in [`Status::ALL`] order.
    pub counts: [usize; 5],
    /// Synthetic children left out of a real parent.
    pub synthetic_left_out: usize,
    pub demo: bool,
}

impl Rolled {
    pub fn count(&self, s: Status) -> usize {
        self.counts[Status::ALL.iter().position(|x| *x == s).unwrap_or(0)]
    }
}

/// Score thresholds of [`combine`].
pub const ON_TRACK_FROM: f64 = 2.0 / 3.0;
pub const OFF_TRACK_BELOW: f64 = 1.0 / 3.0;

/// The parent rule: the statuses of its counted children with their weights.
pub fn combine(children: &[(Status, f64)]) -> (Status, Option<f64>) {
    let mut sum = 0.0;
    let mut weight = 0.0;
    let mut thin = false;
    for (s, w) in children {
        match s.score() {
            Some(x) if *w > 0.0 => {
                sum += x * w;
                weight += w;
            }
            Some(_) => {}
            None => thin |= *s == Status::NotEnoughData,
        }
    }
    if weight > 0.0 {
        let score = sum / weight;
        let status = if score >= ON_TRACK_FROM {
            Status::OnTrack
        } else if score < OFF_TRACK_BELOW {
            Status::OffTrack
        } else {
            Status::AtRisk
        };
        (status, Some(score))
    } else if thin {
        (Status::NotEnoughData, None)
    } else {
        (Status::NoTarget, None)
    }
}

/// Rolls statuses up from `leaves` through `nodes`. Refuses a cycle, an unknown
/// child, a bad weight and a node defined twice.
pub fn rollup(
    nodes: &[NodeSpec],
    leaves: &HashMap<String, Leaf>,
) -> Result<HashMap<String, Rolled>, PrescribeError> {
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(nodes.len());
    for (i, n) in nodes.iter().enumerate() {
        if index.insert(n.id.as_str(), i).is_some() || leaves.contains_key(&n.id) {
            return Err(PrescribeError::Duplicate { id: n.id.clone() });
        }
        for c in &n.children {
            if !c.weight.is_finite() || c.weight < 0.0 {
                return Err(PrescribeError::BadWeight {
                    parent: n.id.clone(),
                    child: c.id.clone(),
                    weight: c.weight,
                });
            }
            if !leaves.contains_key(&c.id) && !nodes.iter().any(|m| m.id == c.id) {
                return Err(PrescribeError::UnknownChild {
                    parent: n.id.clone(),
                    child: c.id.clone(),
                });
            }
        }
    }
    // Post-order over every node, with the path kept to name a cycle.
    let mut done: Vec<Option<Rolled>> = vec![None; nodes.len()];
    let mut on_path = vec![false; nodes.len()];
    for start in 0..nodes.len() {
        if done[start].is_some() {
            continue;
        }
        // (node, next child to visit)
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        on_path[start] = true;
        while let Some(&mut (n, ref mut next)) = stack.last_mut() {
            let spec = &nodes[n];
            if *next < spec.children.len() {
                let c = &spec.children[*next];
                *next += 1;
                if let Some(&ci) = index.get(c.id.as_str()) {
                    if on_path[ci] {
                        let from = stack.iter().position(|(x, _)| *x == ci).unwrap_or(0);
                        let mut path: Vec<String> = stack[from..]
                            .iter()
                            .map(|(x, _)| nodes[*x].id.clone())
                            .collect();
                        path.push(nodes[ci].id.clone());
                        return Err(PrescribeError::Cycle { path });
                    }
                    if done[ci].is_none() {
                        on_path[ci] = true;
                        stack.push((ci, 0));
                    }
                }
                continue;
            }
            let mut counted = Vec::with_capacity(spec.children.len());
            let mut left_out = 0;
            let mut counts = [0usize; 5];
            for c in &spec.children {
                let (status, demo) = match index.get(c.id.as_str()) {
                    Some(&ci) => {
                        let r = done[ci].as_ref().expect("children are rolled up first");
                        (r.status, r.demo)
                    }
                    None => {
                        let l = &leaves[&c.id];
                        (l.status, l.demo)
                    }
                };
                if demo && !spec.demo {
                    left_out += 1;
                    continue;
                }
                counts[Status::ALL.iter().position(|x| *x == status).unwrap_or(0)] += 1;
                counted.push((status, c.weight));
            }
            let (status, score) = combine(&counted);
            done[n] = Some(Rolled {
                status,
                score,
                counts,
                synthetic_left_out: left_out,
                demo: spec.demo,
            });
            on_path[n] = false;
            stack.pop();
        }
    }
    Ok(nodes
        .iter()
        .zip(done)
        .map(|(n, r)| (n.id.clone(), r.expect("every node is rolled up")))
        .collect())
}
