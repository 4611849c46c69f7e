//! `--shard K/N`: a stable split of the detections into N shards of balanced cost, so
//! that N CI runners share a run and together run each detection exactly once.
//!
//! The split must come out the same on every runner, so it is computed from the
//! content alone: a detection's cost is the number of datasets its tests read (at
//! least 1); detections are dealt, costliest first (ties by id, then name), each to the
//! shard with the least cost so far (ties to the lowest shard).

use firedrill_content::Detection;

/// `K/N` with 1 ≤ K ≤ N.
pub fn parse(s: &str) -> Result<(usize, usize), String> {
    let bad = || format!("--shard {s}: expected K/N with 1 <= K <= N, e.g. 2/4");
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (k, n): (usize, usize) = (
        k.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if k == 0 || n == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

fn cost(d: &Detection) -> usize {
    d.tests
        .iter()
        .map(|t| t.attack_data.len())
        .sum::<usize>()
        .max(1)
}

/// The shard (from 0) of each detection, in the given order.
pub fn assign(detections: &[Detection], shards: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..detections.len()).collect();
    let key = |i: usize| {
        let d = &detections[i];
        (
            std::cmp::Reverse(cost(d)),
            d.id.clone().unwrap_or_default(),
            d.name.clone(),
        )
    };
    order.sort_by_key(|&i| key(i));
    let mut load = vec![0usize; shards];
    let mut out = vec![0usize; detections.len()];
    for i in order {
        let s = (0..shards).min_by_key(|&s| (load[s], s)).unwrap_or(0);
        load[s] += cost(&detections[i]);
        out[i] = s;
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn shard_specs() {
        assert_eq!(super::parse("2/4"), Ok((2, 4)));
        assert!(super::parse("0/4").is_err());
        assert!(super::parse("5/4").is_err());
        assert!(super::parse("x").is_err());
    }
}
