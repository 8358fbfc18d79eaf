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
    let en: Vec<Option<f64>> = counts.iter().map(|&(e, _)| ELEMENTS[e].pauling).collect();
    let n = counts.len();
    let mut pick = vec![0usize; n];
    loop {
        let charge: i64 = (0..n).map(|k| i64::from(states[k][pick[k]]) * counts[k].1 as i64).sum();
        if charge == 0 && pauling_ok(&(0..n).map(|k| states[k][pick[k]]).collect::<Vec<_>>(), &en) {
            return Ok(true);
        }
        // Next combination (odometer, last element fastest — itertools.product's order).
        let mut k = n;
        loop {
            if k == 0 {
                return Ok(false);
            }
            k -= 1;
            pick[k] += 1;
            if pick[k] < states[k].len() {
                break;
            }
            pick[k] = 0;
        }
    }
}

/// SMACT's `eneg_states_test`: every cation less electronegative than every anion; a missing
/// electronegativity fails.
fn pauling_ok(states: &[i8], en: &[Option<f64>]) -> bool {
    for i in 0..states.len() {
        for j in i + 1..states.len() {
            let (Some(a), Some(b)) = (en[i], en[j]) else {
                return false;
            };
            let (si, sj) = (states[i], states[j]);
            if (si > 0 && sj < 0 && a >= b) || (si < 0 && sj > 0 && a <= b) {
                return false;
            }
        }
    }
    true
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
