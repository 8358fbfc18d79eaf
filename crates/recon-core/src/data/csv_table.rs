//! CSV with a header row: numeric feature columns, plus optional label / group string columns.

use std::path::{Path, PathBuf};

use super::{open_file, LoadOptions, Row};
use crate::{Error, Result};

pub(crate) struct CsvRows {
    reader: csv::Reader<std::io::BufReader<std::fs::File>>,
    path: PathBuf,
    header_len: usize,
    feature_idx: Vec<usize>,
    columns: Vec<String>,
    label_idx: Option<usize>,
    group_idx: Option<usize>,
    record: csv::StringRecord,
    row: usize,
}

fn csv_error(path: &Path, e: csv::Error) -> Error {
    let line = e.position().map(|p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(source) => Error::io(path, source),
        csv::ErrorKind::Utf8 { err, .. } => Error::Corrupt {
            path: path.to_path_buf(),
            reason: format!("line {}: not valid UTF-8 ({err})", line.unwrap_or(0)),
        },
        other => Error::Corrupt { path: path.to_path_buf(), reason: format!("malformed CSV: {other:?}") },
    }
}

impl CsvRows {
    pub(crate) fn open(path: &Path, opts: &LoadOptions) -> Result<Self> {
        let file = open_file(path)?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(std::io::BufReader::with_capacity(1 << 16, file));
        let header: Vec<String> =
            reader.headers().map_err(|e| csv_error(path, e))?.iter().map(|h| h.trim().to_string()).collect();
        if header.is_empty() || header.iter().all(String::is_empty) {
            return Err(Error::Empty { what: path.display().to_string(), reason: "no header row".into() });
        }
        let find = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| Error::UnknownColumn { column: name.to_string(), available: header.join(", ") })
        };
        let label_idx = opts.label_col.as_deref().map(find).transpose()?;
        let group_idx = opts.group_col.as_deref().map(find).transpose()?;
        let feature_idx: Vec<usize> = match &opts.columns {
            Some(cols) => cols.iter().map(|c| find(c)).collect::<Result<_>>()?,
            None => (0..header.len()).filter(|&j| Some(j) != label_idx && Some(j) != group_idx).collect(),
        };
        if feature_idx.is_empty() {
            return Err(Error::Empty { what: path.display().to_string(), reason: "no feature columns".into() });
        }
        let columns = feature_idx.iter().map(|&j| header[j].clone()).collect();
        Ok(CsvRows {
            reader,
            path: path.to_path_buf(),
            header_len: header.len(),
            feature_idx,
            columns,
            label_idx,
            group_idx,
            record: csv::StringRecord::new(),
            row: 0,
        })
    }

    pub(crate) fn columns(&self) -> &[String] {
        &self.columns
    }

    pub(crate) fn next_row(&mut self) -> Result<Option<Row>> {
        loop {
            let more = self.reader.read_record(&mut self.record).map_err(|e| csv_error(&self.path, e))?;
            if !more {
                return Ok(None);
            }
            // A line with one empty field is a blank line: skip it.
            if self.record.len() == 1 && self.record[0].trim().is_empty() && self.header_len > 1 {
                continue;
            }
            break;
        }
        self.row += 1;
        let line = self.record.position().map_or(0, |p| p.line());
        if self.record.len() != self.header_len {
            return Err(Error::Ragged {
                path: self.path.clone(),
                line,
                expected: self.header_len,
                found: self.record.len(),
            });
        }
        let mut values = Vec::with_capacity(self.feature_idx.len());
        for (k, &j) in self.feature_idx.iter().enumerate() {
            let field = self.record[j].trim();
            let v = if field.is_empty() {
                f64::NAN
            } else {
                field.parse::<f64>().map_err(|_| Error::NonNumericColumn {
                    column: self.columns[k].clone(),
                    row: self.row,
                    value: field.to_string(),
                })?
            };
            values.push(v);
        }
        let label = self.label_idx.map(|j| self.record[j].to_string());
        let group = self.group_idx.map(|j| self.record[j].to_string());
        Ok(Some(Row { values, label, group }))
    }
}

/// The columns of a CSV file whose every value is a finite number, minus `skip`.
pub fn numeric_columns(path: &Path, skip: &[String]) -> Result<Vec<String>> {
    if !path.is_file() {
        return Err(Error::MissingFile { path: path.to_path_buf() });
    }
    let corrupt = |e: csv::Error| Error::Corrupt { path: path.to_path_buf(), reason: e.to_string() };
    let mut r = csv::Reader::from_path(path).map_err(corrupt)?;
    let header: Vec<String> = r.headers().map_err(corrupt)?.iter().map(String::from).collect();
    let mut numeric = vec![true; header.len()];
    for rec in r.records() {
        let rec = rec.map_err(corrupt)?;
        for (ok, v) in numeric.iter_mut().zip(rec.iter()) {
            *ok = *ok && v.trim().parse::<f64>().is_ok_and(f64::is_finite);
        }
    }
    Ok(header.into_iter().zip(numeric).filter(|(h, ok)| *ok && !skip.contains(h)).map(|(h, _)| h).collect())
}
