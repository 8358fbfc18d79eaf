//! Chemistry for Recon's discovery job: the grammar a generative model must learn, checked
//! without the model.
//!
//! - [`elements`]: the periodic table as SMACT sees it — Pauling electronegativities, the ICSD 24
//!   oxidation states `smact_validity` uses by default, and SMACT's metal list (embedded from
//!   `data/materials/smact_elements.csv`, made by `tools/make_smact_fixture.py`; SMACT is MIT).
//! - [`formula`]: parsing formulas (`Cu3SbSe4`, `Ag(BCl)6`, `Hg0.7Cd0.3Te`) into a
//!   [`Composition`], fractions to small integer formulas, canonical reduced formulas.
//! - [`smact`]: the SMACT screen (charge neutrality over known oxidation states plus the
//!   Pauling electronegativity order), agreeing with `smact.screening.smact_validity`.

pub mod elements;
pub mod formula;
pub mod smact;
pub mod smiles;

pub use elements::{element, Element, ELEMENTS};
pub use formula::Composition;
pub use smact::smact_valid;
