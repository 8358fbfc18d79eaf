//! The element table: symbol, atomic number, Pauling electronegativity, the oxidation states
//! SMACT's default screen uses (ICSD 24 counts, at least 3 reports, zero excluded) and whether
//! SMACT counts the element a metal. Embedded from `data/materials/smact_elements.csv`
//! (`tools/make_smact_fixture.py`, from SMACT 4.0.2, MIT licence; Davies et al. 2019).
//!
//! ```
//! let o = recon_chem::element("O").unwrap();
//! assert_eq!((o.z, o.oxidation_states.as_slice()), (8, [-2, -1, 2].as_slice()));
//! assert!(recon_chem::element("Xx").is_none());
//! ```

use std::sync::LazyLock;

/// One element as the SMACT screen sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    pub symbol: &'static str,
    /// Atomic number.
    pub z: u8,
    /// Pauling electronegativity (`None` for the noble gases SMACT gives none).
    pub pauling: Option<f64>,
    /// Oxidation states, ascending (empty: the default screen knows none).
    pub oxidation_states: Vec<i8>,
    /// In SMACT's metal list (a formula of metals only passes as an alloy).
    pub metal: bool,
}

const TABLE: &str = include_str!("../../../data/materials/smact_elements.csv");

/// Elements H (Z = 1) to Lr (Z = 103), by atomic number.
pub static ELEMENTS: LazyLock<Vec<Element>> = LazyLock::new(|| {
    TABLE
        .lines()
        .skip(1)
        .enumerate()
        .map(|(i, line)| {
            let f: Vec<&'static str> = line.split(',').collect();
            // The table is ours and checked by the tests below: a malformed line is a build bug.
            Element {
                symbol: f[0],
                z: (i + 1) as u8,
                pauling: f[1].parse().ok(),
                oxidation_states: f[2].split_whitespace().map(|v| v.parse().expect("oxidation state")).collect(),
                metal: f[3] == "1",
            }
        })
        .collect()
});

/// The element with this symbol (case-sensitive, as in formulas).
pub fn element(symbol: &str) -> Option<&'static Element> {
    ELEMENTS.iter().find(|e| e.symbol == symbol)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_whole_and_ordered() {
        assert_eq!(ELEMENTS.len(), 103);
        assert_eq!(ELEMENTS[0].symbol, "H");
        assert_eq!(ELEMENTS[25].symbol, "Fe");
        assert_eq!(ELEMENTS[102].symbol, "Lr");
        let na = element("Na").unwrap();
        assert_eq!((na.pauling, na.oxidation_states.as_slice(), na.metal), (Some(0.93), [1].as_slice(), true));
        assert_eq!(element("He").unwrap().pauling, None);
        assert!(ELEMENTS.iter().all(|e| e.oxidation_states.windows(2).all(|w| w[0] < w[1])));
    }
}
