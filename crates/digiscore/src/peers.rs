//! Position among peers (same NACE section and size class).
//!
//! The percentile is the mid-rank percentage `100 × (below + equal / 2) / n` over the `n`
//! peers' overall scores (the assessed organisation itself not included): 0 when every peer
//! scores higher, 100 when every peer scores lower, 50 in the middle of a tie. Below
//! [`MIN_PEERS`] peers nothing is shown — neither the percentile nor the exact count.

use serde::{Deserialize, Serialize};

/// The anonymity threshold: fewer peers (or companies in an aggregate) are never shown.
pub const MIN_PEERS: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum PeerPosition {
    Shown {
        percentile: f64,
        peers: usize,
    },
    /// Fewer than [`MIN_PEERS`] peers.
    TooFew,
}

/// The position of `own` among `peers` (overall scores of the other organisations).
pub fn position(own: f64, peers: &[f64]) -> PeerPosition {
    let n = peers.len();
    if n < MIN_PEERS {
        return PeerPosition::TooFew;
    }
    let below = peers.iter().filter(|&&p| p < own).count();
    let equal = peers.iter().filter(|&&p| p == own).count();
    PeerPosition::Shown {
        percentile: 100.0 * (below as f64 + equal as f64 / 2.0) / n as f64,
        peers: n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hand_computed_percentiles() {
        let peers: Vec<f64> = (1..=10).map(|i| f64::from(i) * 10.0).collect();
        // 35: three below → 30 %.
        assert_eq!(
            position(35.0, &peers),
            PeerPosition::Shown {
                percentile: 30.0,
                peers: 10
            }
        );
        // 40: three below, one equal → 35 %.
        assert_eq!(
            position(40.0, &peers),
            PeerPosition::Shown {
                percentile: 35.0,
                peers: 10
            }
        );
        assert_eq!(
            position(0.0, &peers),
            PeerPosition::Shown {
                percentile: 0.0,
                peers: 10
            }
        );
        assert_eq!(
            position(101.0, &peers),
            PeerPosition::Shown {
                percentile: 100.0,
                peers: 10
            }
        );
    }

    #[test]
    fn hidden_below_ten_peers() {
        let peers = vec![20.0; 9];
        assert_eq!(position(30.0, &peers), PeerPosition::TooFew);
        assert_eq!(position(30.0, &[]), PeerPosition::TooFew);
    }

    proptest! {
        #[test]
        fn percentile_is_in_range_and_monotone(peers in proptest::collection::vec(0.0f64..100.0, 10..60), a in 0.0f64..100.0, b in 0.0f64..100.0) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let (PeerPosition::Shown { percentile: p, .. }, PeerPosition::Shown { percentile: q, .. }) = (position(lo, &peers), position(hi, &peers)) else {
                return Err(TestCaseError::fail("shown with ≥ 10 peers"));
            };
            prop_assert!((0.0..=100.0).contains(&p) && p <= q);
        }
    }
}
