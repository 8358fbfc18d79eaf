//! Chemical formulas and compositions.
//!
//! Grammar: a formula is a sequence of groups; a group is an element symbol (an upper-case letter
//! and optional lower-case letters, one of H–Lr) or a parenthesised formula, followed by an
//! optional positive count (`2`, `0.7`). Repeated elements are merged (`CH3COOH` is C2 H4 O2).
//!
//! ```
//! use recon_chem::Composition;
//! let c = Composition::parse("Ag(BCl)6").unwrap();
//! assert_eq!(c.reduced_formula().unwrap(), "AgB6Cl6");
//! let f = Composition::parse("Hg0.7Cd0.3Te").unwrap();
//! assert!(!f.is_integer());
//! // Within 20 atoms the fractions are exact; within 10 the nearest formula is coarser.
//! assert_eq!(Composition::from_fractions(&f.fractions(), 20, 0.0).unwrap().reduced_formula().unwrap(), "Cd3Hg7Te10");
//! assert_eq!(Composition::from_fractions(&f.fractions(), 10, 0.0).unwrap().reduced_formula().unwrap(), "CdHg2Te3");
//! assert!(Composition::parse("XxO2").unwrap_err().to_string().contains("unknown element symbol 'Xx'"));
//! ```

use recon_core::{Error, Result};

use crate::elements::{Element, ELEMENTS};

/// Amounts of elements, in order of first appearance; every amount > 0.
#[derive(Debug, Clone, PartialEq)]
pub struct Composition {
    /// (index into [`ELEMENTS`], amount).
    pub amounts: Vec<(usize, f64)>,
}

fn bad(formula: &str, why: impl std::fmt::Display) -> Error {
    Error::invalid("formula", format!("'{formula}': {why}"))
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn count(&mut self) -> Result<f64> {
        let start = self.i;
        while self.i < self.b.len() && (self.b[self.i].is_ascii_digit() || self.b[self.i] == b'.') {
            self.i += 1;
        }
        if start == self.i {
            return Ok(1.0);
        }
        let text = &self.s[start..self.i];
        match text.parse::<f64>() {
            Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
            _ => Err(bad(self.s, format!("'{text}' is not a positive count"))),
        }
    }

    /// Parses groups until the end or a ')' (left for the caller).
    fn groups(&mut self, depth: usize, out: &mut Vec<(usize, f64)>) -> Result<()> {
        while self.i < self.b.len() {
            let c = self.b[self.i];
            if c == b')' {
                if depth == 0 {
                    return Err(bad(self.s, "a ')' without its '('"));
                }
                return Ok(());
            }
            if c == b'(' {
                self.i += 1;
                let mut inner = Vec::new();
                self.groups(depth + 1, &mut inner)?;
                if self.i >= self.b.len() {
                    return Err(bad(self.s, "a '(' without its ')'"));
                }
                self.i += 1;
                if inner.is_empty() {
                    return Err(bad(self.s, "empty parentheses"));
                }
                let k = self.count()?;
                out.extend(inner.into_iter().map(|(e, v)| (e, v * k)));
            } else if c.is_ascii_uppercase() {
                let start = self.i;
                self.i += 1;
                while self.i < self.b.len() && self.b[self.i].is_ascii_lowercase() {
                    self.i += 1;
                }
                let sym = &self.s[start..self.i];
                let e = ELEMENTS
                    .iter()
                    .position(|e| e.symbol == sym)
                    .ok_or_else(|| bad(self.s, format!("unknown element symbol '{sym}'")))?;
                let k = self.count()?;
                out.push((e, k));
            } else {
                let ch = self.s[self.i..].chars().next().unwrap_or('?');
                return Err(bad(self.s, format!("unexpected character '{ch}' at position {}", self.i + 1)));
            }
        }
        Ok(())
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

impl Composition {
    /// Parses a formula (see the module documentation for the grammar).
    pub fn parse(formula: &str) -> Result<Composition> {
        let mut p = Parser { s: formula, b: formula.as_bytes(), i: 0 };
        let mut raw = Vec::new();
        p.groups(0, &mut raw)?;
        if raw.is_empty() {
            return Err(bad(formula, "no elements"));
        }
        Composition::from_amounts(raw)
    }

    /// From (element index, amount) pairs: repeated elements merged, amounts must be > 0.
    pub fn from_amounts(raw: impl IntoIterator<Item = (usize, f64)>) -> Result<Composition> {
        let mut amounts: Vec<(usize, f64)> = Vec::new();
        for (e, v) in raw {
            if e >= ELEMENTS.len() {
                return Err(Error::invalid("composition", format!("element index {e} is not in the table")));
            }
            if !(v > 0.0 && v.is_finite()) {
                return Err(Error::invalid("composition", format!("{v} is not a positive amount")));
            }
            match amounts.iter_mut().find(|(x, _)| *x == e) {
                Some(slot) => slot.1 += v,
                None => amounts.push((e, v)),
            }
        }
        if amounts.is_empty() {
            return Err(Error::invalid("composition", "no elements"));
        }
        Ok(Composition { amounts })
    }

    /// A composition with small integer counts for the fractions `fractions` ((element index,
    /// fraction ≥ 0), any scale): for each total N = 1..=`max_atoms` the counts round(f·N)
    /// (zeros dropped) and their L1 distance to the fractions; the first (simplest) N whose
    /// distance is at most `tol`, or else the nearest (the smallest N among ties). `tol = 0`
    /// asks for the nearest formula; a decoder's fractions are noisy, and a small tolerance
    /// prefers the simple formula they are near over a larger one that fits the noise. Elements
    /// whose fraction rounds to 0 at the chosen N drop out.
    pub fn from_fractions(fractions: &[(usize, f64)], max_atoms: u32, tol: f64) -> Result<Composition> {
        let total: f64 = fractions.iter().map(|(_, f)| f).sum();
        if !(total > 0.0 && total.is_finite()) || fractions.iter().any(|(_, f)| !(*f >= 0.0)) {
            return Err(Error::invalid("fractions", "they must be ≥ 0 with a positive sum"));
        }
        if !(tol >= 0.0) {
            return Err(Error::invalid("tolerance", format!("{tol} is not ≥ 0")));
        }
        if max_atoms == 0 {
            return Err(Error::invalid("max atoms", "at least 1 atom per formula unit"));
        }
        let mut best: Option<(f64, Vec<(usize, f64)>)> = None;
        for n in 1..=max_atoms {
            let counts: Vec<(usize, f64)> =
                fractions.iter().map(|&(e, f)| (e, (f / total * n as f64).round())).filter(|(_, c)| *c > 0.0).collect();
            let sum: f64 = counts.iter().map(|(_, c)| c).sum();
            if sum == 0.0 {
                continue;
            }
            let err: f64 = fractions
                .iter()
                .map(|&(e, f)| {
                    let c = counts.iter().find(|(x, _)| *x == e).map_or(0.0, |(_, c)| *c);
                    (c / sum - f / total).abs()
                })
                .sum();
            if err <= tol {
                best = Some((err, counts));
                break;
            }
            if best.as_ref().is_none_or(|(b, _)| err < *b - 1e-12) {
                best = Some((err, counts));
            }
        }
        let (_, counts) = best.ok_or_else(|| Error::invalid("fractions", "no element reaches one atom"))?;
        Composition::from_amounts(counts)
    }

    /// Atomic fractions (summing to 1), in order of appearance.
    pub fn fractions(&self) -> Vec<(usize, f64)> {
        let total: f64 = self.amounts.iter().map(|(_, v)| v).sum();
        self.amounts.iter().map(|&(e, v)| (e, v / total)).collect()
    }

    /// Atomic fractions over the elements `elements` (indices into [`ELEMENTS`], in that
    /// order): 0 for an element the composition lacks; elements it has outside the list are left
    /// out (the vector then sums to less than 1).
    pub fn fraction_vector(&self, elements: &[usize]) -> Vec<f64> {
        let fr = self.fractions();
        elements.iter().map(|e| fr.iter().find(|(x, _)| x == e).map_or(0.0, |(_, f)| *f)).collect()
    }

    /// Every amount is a whole number (to 1e-9).
    pub fn is_integer(&self) -> bool {
        self.amounts.iter().all(|(_, v)| (v - v.round()).abs() < 1e-9)
    }

    /// The integer counts divided by their greatest common divisor; `None` unless
    /// [`Composition::is_integer`].
    pub fn reduced_counts(&self) -> Option<Vec<(usize, u64)>> {
        if !self.is_integer() {
            return None;
        }
        let counts: Vec<(usize, u64)> = self.amounts.iter().map(|&(e, v)| (e, v.round() as u64)).collect();
        let g = counts.iter().fold(0, |g, &(_, c)| gcd(g, c)).max(1);
        Some(counts.into_iter().map(|(e, c)| (e, c / g)).collect())
    }

    /// The reduced formula with elements in a canonical order — by Pauling electronegativity,
    /// lowest first (cations before anions, as pymatgen writes them), ties and elements without
    /// one by atomic number — and counts of 1 left out. Two compositions with the same reduced
    /// formula are the same compound for novelty and uniqueness. `None` for non-integer amounts.
    pub fn reduced_formula(&self) -> Option<String> {
        let mut counts = self.reduced_counts()?;
        let key = |e: &Element| (e.pauling.unwrap_or(f64::INFINITY), e.z);
        counts.sort_by(|a, b| {
            let (ka, kb) = (key(&ELEMENTS[a.0]), key(&ELEMENTS[b.0]));
            ka.0.total_cmp(&kb.0).then(ka.1.cmp(&kb.1))
        });
        Some(
            counts
                .iter()
                .map(
                    |&(e, c)| {
                        if c == 1 {
                            ELEMENTS[e].symbol.to_string()
                        } else {
                            format!("{}{c}", ELEMENTS[e].symbol)
                        }
                    },
                )
                .collect(),
        )
    }

    /// The element symbols, in order of appearance.
    pub fn symbols(&self) -> Vec<&'static str> {
        self.amounts.iter().map(|&(e, _)| ELEMENTS[e].symbol).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_merges_and_refuses() {
        let c = Composition::parse("CH3COOH").unwrap();
        assert_eq!(c.symbols(), ["C", "H", "O"]);
        assert_eq!(c.amounts.iter().map(|a| a.1).collect::<Vec<_>>(), [2.0, 4.0, 2.0]);
        assert_eq!(c.reduced_formula().unwrap(), "H2CO"); // C2H4O2 / 2; H 2.20 < C 2.55 < O 3.44
        assert_eq!(Composition::parse("Ca(OH)2").unwrap().reduced_formula().unwrap(), "CaH2O2");
        assert_eq!(Composition::parse("Fe2O3").unwrap().reduced_formula().unwrap(), "Fe2O3");
        for (bad, why) in [
            ("", "no elements"),
            ("Na(Cl", "without its ')'"),
            ("NaCl)", "without its '('"),
            ("Na0Cl", "not a positive count"),
            ("Na Cl", "unexpected character ' '"),
            ("nacl", "unexpected character 'n'"),
            ("()2", "empty parentheses"),
            ("Qq2", "unknown element symbol 'Qq'"),
        ] {
            let e = Composition::parse(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn fractions_round_trip_to_small_integers() {
        let fe2o3 = Composition::parse("Fe2O3").unwrap();
        let back = Composition::from_fractions(&fe2o3.fractions(), 8, 0.0).unwrap();
        assert_eq!(back.reduced_formula(), fe2o3.reduced_formula());
        // A little noise and a stray element below half an atom disappear.
        let noisy = [(25, 0.39), (7, 0.59), (10, 0.02)];
        assert_eq!(Composition::from_fractions(&noisy, 8, 0.0).unwrap().reduced_formula().unwrap(), "Fe2O3");
        // With too few atoms allowed the nearest formula is coarser.
        assert_eq!(Composition::from_fractions(&fe2o3.fractions(), 3, 0.0).unwrap().reduced_formula().unwrap(), "FeO2");
        // Noisy fractions near Fe2O3: the nearest formula within 20 atoms fits the noise, the
        // simplest one within 0.1 is Fe2O3.
        let near = [(25, 0.42), (7, 0.58)];
        assert_eq!(Composition::from_fractions(&near, 20, 0.0).unwrap().reduced_formula().unwrap(), "Fe8O11");
        assert_eq!(Composition::from_fractions(&near, 20, 0.1).unwrap().reduced_formula().unwrap(), "Fe2O3");
        assert!(Composition::from_fractions(&near, 20, -1.0).is_err());
        assert!(Composition::from_fractions(&[(0, 0.0)], 8, 0.0).is_err());
        // Fe2O3 over (H, O, Fe): H absent, O and Fe in the given order.
        assert_eq!(fe2o3.fraction_vector(&[0, 7, 25]), [0.0, 0.6, 0.4]);
        assert!(Composition::from_fractions(&[(0, -1.0), (1, 2.0)], 8, 0.0).is_err());
    }
}
