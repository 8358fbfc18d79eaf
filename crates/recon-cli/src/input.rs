//! Options shared by every command that reads a table.

use std::path::Path;

use clap::Args;
use recon_core::data::{load_table, LoadOptions, Loaded};

/// How to read the input table.
#[derive(Args, Debug, Clone, Default)]
pub struct TableArgs {
    /// Keep this string column as the sample label (not a feature).
    #[arg(long, value_name = "NAME")]
    pub label_col: Option<String>,
    /// Keep these string or integer columns as the sample group (not features).
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub group_col: Option<Vec<String>>,
    /// Use only these feature columns (comma-separated names; .npy columns are x0, x1, ...).
    #[arg(long, value_name = "A,B,C", value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
    /// Drop rows holding NaN, ±Inf or empty fields (and say how many) instead of failing.
    #[arg(long)]
    pub drop_nonfinite: bool,
}

impl TableArgs {
    pub fn options(&self) -> LoadOptions {
        LoadOptions {
            label_col: self.label_col.clone(),
            group_cols: self.group_col.clone().unwrap_or_default(),
            columns: self.columns.clone(),
            drop_nonfinite: self.drop_nonfinite,
        }
    }

    /// Loads the whole table, telling stderr about dropped rows.
    pub fn load(&self, path: &Path) -> recon_core::Result<Loaded> {
        let loaded = load_table(path, &self.options())?;
        report_dropped(loaded.dropped_rows);
        Ok(loaded)
    }
}

pub fn report_dropped(n: usize) {
    if n > 0 {
        eprintln!("note: dropped {n} row(s) holding non-finite values");
    }
}
