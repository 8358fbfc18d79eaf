//! The two traits every reconstructor implements, in the linfa shape: unfitted parameters
//! [`Fit`] data into a fitted model, and the fitted model [`Reconstruct`]s.

use faer::{Mat, MatRef};

use crate::Dataset;

/// Parameters that can be fitted to a [`Dataset`]; the fitted type is a different type.
pub trait Fit {
    /// The fitted model.
    type Object;
    /// The error type of the model family.
    type Error;
    /// Checks the parameters against the data and fits.
    fn fit(&self, data: &Dataset) -> Result<Self::Object, Self::Error>;
}

/// A fitted model that encodes data into codes and decodes codes back.
pub trait Reconstruct {
    /// The error type of the model family.
    type Error;
    /// Rows of `x` → codes (one row per sample).
    fn encode(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>, Self::Error>;
    /// Codes → reconstructed rows.
    fn decode(&self, z: MatRef<'_, f64>) -> Result<Mat<f64>, Self::Error>;
    /// `decode(encode(x))`.
    fn reconstruct(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>, Self::Error> {
        let z = self.encode(x)?;
        self.decode(z.as_ref())
    }
}

/// Builder setters for an unfitted parameter type, one per line, `name: Type;` (the field of
/// the same name) or `name.field: Type;`, each with its doc comment:
///
/// ```
/// struct Params { tol: f64, nonneg: bool }
/// impl Params {
///     recon_core::setters! {
///         /// Stop when the error changes by less than this.
///         tol: f64;
///         /// Non-negative factors.
///         nonnegative.nonneg: bool;
///     }
/// }
/// let p = Params { tol: 1.0, nonneg: false }.tol(1e-8).nonnegative(true);
/// assert!(p.nonneg && p.tol == 1e-8);
/// ```
#[macro_export]
macro_rules! setters {
    ($($(#[$m:meta])* $name:ident $(. $field:ident)? : $ty:ty;)*) => {
        $( $crate::setters!(@one [$(#[$m])*] $name [$($field)?] $ty); )*
    };
    (@one [$($m:tt)*] $name:ident [] $ty:ty) => {
        $($m)* pub fn $name(mut self, value: $ty) -> Self {
            self.$name = value;
            self
        }
    };
    (@one [$($m:tt)*] $name:ident [$field:ident] $ty:ty) => {
        $($m)* pub fn $name(mut self, value: $ty) -> Self {
            self.$field = value;
            self
        }
    };
}
