//! The SMACT validity screen (Davies et al. 2016, 2019), as `smact.screening.smact_validity`
//! with its defaults (SMACT 4.0.2) computes it:
//!
//! 1. one element, or only metals (SMACT's list; `include_alloys`): valid;
//! 2. integer counts divided by their greatest common divisor;
//! 3. for every choice of one oxidation state per element from the ICSD 24 set (at least 3
//!    reports, zero excluded; an element with none makes the formula invalid): valid when
//!    Σ count·state = 0 **and** the Pauling test holds — no cation (state > 0) is at least as
//!    electronegative as any anion (state < 0); an element without a Pauling value fails it.
//!
//! SMACT tries every combination of states, which grows as the product of the elements' state
//! counts (7⁸ for eight elements of seven states); the same answer comes here from one pass per
//! electronegativity cut over sets of reachable charge sums.
//!
//! ```
//! use recon_chem::{smact_valid, Composition};
//! let ok = |f: &str| smact_valid(&Composition::parse(f).unwrap()).unwrap();
//! assert!(ok("NaCl") && ok("Fe2O3") && ok("CuZn"));
//! assert!(!ok("Fe3O4")); // one oxidation state per element: no mixed valence
//! assert!(!ok("NaCl2") && !ok("Na2O7"));
//! ```

use recon_core::{Error, Result};

use crate::elements::ELEMENTS;
use crate::formula::Composition;

/// Whether the composition passes the SMACT screen. Non-integer amounts are refused (SMACT
/// truncates them with `int()`, which is not a rule): turn fractions into a formula first
/// ([`Composition::from_fractions`]).
pub fn smact_valid(c: &Composition) -> Result<bool> {
    let counts = c.reduced_counts().ok_or_else(|| {
        Error::invalid(
            "composition",
            "the SMACT screen needs whole-number counts: make a formula from the fractions first",
        )
    })?;
    if counts.len() == 1 || counts.iter().all(|&(e, _)| ELEMENTS[e].metal) {
        return Ok(true);
    }
    let states: Vec<&[i8]> = counts.iter().map(|&(e, _)| ELEMENTS[e].oxidation_states.as_slice()).collect();
    if states.iter().any(|s| s.is_empty()) {
        return Ok(false);
    }
    // The Pauling test fails on any pair with a missing electronegativity.
    let Some(en) = counts.iter().map(|&(e, _)| ELEMENTS[e].pauling).collect::<Option<Vec<f64>>>() else {
        return Ok(false);
    };
    // A choice of states passes the Pauling test exactly when every cation is less
    // electronegative than every anion: the cations are the elements below some strict cut in
    // electronegativity, the anions those above it. For each cut, neutrality asks whether the
    // cations' positive charges and the anions' negative charges can sum to the same total: two
    // sets of reachable sums. This equals SMACT's search over every combination of states
    // (`itertools.product`), without its exponential cost on many-element formulas.
    let mut order: Vec<usize> = (0..counts.len()).collect();
    order.sort_by(|&a, &b| en[a].total_cmp(&en[b]));
    let reachable = |members: &[usize], sign: i8| -> std::collections::BTreeSet<i64> {
        let mut sums = std::collections::BTreeSet::from([0i64]);
        for &k in members {
            let c = counts[k].1 as i64;
            let options: Vec<i64> =
                states[k].iter().filter(|&&s| s.signum() == sign).map(|&s| c * i64::from(s.abs())).collect();
            sums = sums.iter().flat_map(|t| options.iter().map(move |o| t + o)).collect();
            if sums.is_empty() {
                break;
            }
        }
        sums
    };
    for cut in 1..order.len() {
        if en[order[cut - 1]] >= en[order[cut]] {
            continue; // equal electronegativities cannot be split into cation and anion
        }
        let (cations, anions) = order.split_at(cut);
        let plus = reachable(cations, 1);
        if plus.is_empty() {
            continue;
        }
        let minus = reachable(anions, -1);
        if plus.iter().any(|t| minus.contains(t)) {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_are_refused_and_elements_without_states_fail() {
        assert!(smact_valid(&Composition::parse("Hg0.7Cd0.3Te").unwrap()).is_err());
        // He has no oxidation states in the set; Xe has (2, 4, 6, 8) and a Pauling value.
        assert!(!smact_valid(&Composition::parse("He2O").unwrap()).unwrap());
        assert!(smact_valid(&Composition::parse("XeF2").unwrap()).unwrap());
        assert!(smact_valid(&Composition::parse("O2").unwrap()).unwrap());
    }
}
