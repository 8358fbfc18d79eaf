//! CSV with a header row: numeric feature columns, plus optional label / group string columns.
//!
//! [`CsvSource`] is the one CSV reader of the workspace: whole files, blocks and the live stream
//! of `recon score -` all read through it, so they agree on quotes, line ends (LF, CRLF, CR), a
//! UTF-8 byte-order mark, blank lines and what makes a header or a row bad. A bad header (blank
//! first line, an empty or repeated column name) is always an error; a bad row (wrong field
//! count, invalid UTF-8) is returned as [`CsvRecord::Bad`] for the caller to refuse (a file) or
//! skip (a stream).

use std::io::Read;
use std::path::{Path, PathBuf};

use super::{open_file, LoadOptions, Row};
use crate::{Error, Result};

/// A CSV input whose header has been read and checked.
pub struct CsvSource<R: Read> {
    reader: csv::Reader<std::io::Chain<std::io::Cursor<Vec<u8>>, R>>,
    name: PathBuf,
    header: Vec<String>,
    record: csv::StringRecord,
}

/// What [`CsvSource::next_record`] found.
#[derive(Debug)]
pub enum CsvRecord {
    /// A row with as many fields as the header, at this 1-based line
    /// ([`CsvSource::record`] holds its fields).
    Row {
        /// Line of the file where the row starts.
        line: u64,
    },
    /// A row that cannot be read: its line, and an error that names the line and why.
    Bad {
        /// Line of the file where the row starts.
        line: u64,
        /// What is wrong with it.
        error: Error,
    },
}

impl<R: Read> CsvSource<R> {
    /// Reads and checks the header of `input`; `name` (a path, or `stdin`) is used in messages.
    pub fn new(mut input: R, name: &Path) -> Result<Self> {
        let bad = |reason: String| Error::Corrupt { path: name.to_path_buf(), reason };
        let empty = || Error::Empty { what: name.display().to_string(), reason: "no header row".into() };
        // The CSV parser skips blank lines silently, so a blank first line would make the first
        // data row the header: look at the first bytes (after a byte-order mark) first.
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        loop {
            let n = loop {
                match input.read(&mut byte) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    other => break other.map_err(|e| Error::io(name, e))?,
                }
            };
            if n == 0 {
                break;
            }
            head.push(byte[0]);
            if !(head.len() <= 3 && b"\xef\xbb\xbf".starts_with(&head)) {
                break;
            }
        }
        if matches!(head.last(), Some(b'\n' | b'\r')) {
            return Err(bad("line 1 is blank: the header (column names) must be the first line".into()));
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(std::io::Cursor::new(head).chain(input));
        let mut first = csv::StringRecord::new();
        match reader.read_record(&mut first) {
            Ok(true) => {}
            Ok(false) => return Err(empty()),
            Err(e) => return Err(csv_error(name, e)),
        }
        // (The parser drops a leading byte-order mark itself.)
        let header: Vec<String> = first.iter().map(|h| h.trim().to_string()).collect();
        if header.iter().all(String::is_empty) {
            return Err(empty());
        }
        if let Some(j) = header.iter().position(String::is_empty) {
            return Err(bad(format!("column {} has an empty name in the header (every column needs a name)", j + 1)));
        }
        for (j, h) in header.iter().enumerate() {
            if let Some(k) = header[..j].iter().position(|g| g == h) {
                return Err(bad(format!(
                    "column name '{h}' appears twice in the header (columns {} and {}); rename one",
                    k + 1,
                    j + 1
                )));
            }
        }
        Ok(CsvSource { reader, name: name.to_path_buf(), header, record: csv::StringRecord::new() })
    }

    /// The column names, in file order.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The fields of the last [`CsvRecord::Row`].
    pub fn record(&self) -> &csv::StringRecord {
        &self.record
    }

    /// The next data row; `Ok(None)` at the end. Blank lines are skipped. A read failure of the
    /// input itself is an `Err`; a malformed row is `Ok(Some(CsvRecord::Bad(..)))`.
    pub fn next_record(&mut self) -> Result<Option<CsvRecord>> {
        loop {
            match self.reader.read_record(&mut self.record) {
                Ok(false) => return Ok(None),
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    return match e.kind() {
                        csv::ErrorKind::Io(_) => Err(csv_error(&self.name, e)),
                        _ => Ok(Some(CsvRecord::Bad { line, error: csv_error(&self.name, e) })),
                    };
                }
            }
            let line = self.record.position().map_or(0, |p| p.line());
            // A line with one empty field is a blank line: skip it.
            if self.record.len() == 1 && self.record[0].trim().is_empty() && self.header.len() > 1 {
                continue;
            }
            if self.record.len() != self.header.len() {
                let error = Error::Ragged {
                    path: self.name.clone(),
                    line,
                    expected: self.header.len(),
                    found: self.record.len(),
                };
                return Ok(Some(CsvRecord::Bad { line, error }));
            }
            return Ok(Some(CsvRecord::Row { line }));
        }
    }
}

impl CsvRecord {
    /// Why a bad row is bad, without the file name and line (for a message that names them).
    pub fn reason(error: &Error) -> String {
        match error {
            Error::Ragged { expected, found, .. } => format!("{found} fields, the header has {expected}"),
            Error::Corrupt { reason, .. } => reason.clone(),
            other => other.to_string(),
        }
    }
}

/// A field as a number: `Some(NaN)` for an empty field, `None` for text.
pub fn parse_field(field: &str) -> Option<f64> {
    let field = field.trim();
    if field.is_empty() {
        return Some(f64::NAN);
    }
    field.parse::<f64>().ok()
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

/// Column indices of `opts`' feature, label and group columns in `header`, checked: every named
/// column exists, none is named twice, and a label or group column is never also a feature.
pub(crate) fn select_columns(header: &[String], opts: &LoadOptions) -> Result<(Vec<usize>, Option<usize>, Vec<usize>)> {
    let find = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::UnknownColumn { column: name.to_string(), available: header.join(", ") })
    };
    let label_idx = opts.label_col.as_deref().map(find).transpose()?;
    let group_idx = opts.group_cols.iter().map(|c| find(c)).collect::<Result<Vec<usize>>>()?;
    for (k, &j) in group_idx.iter().enumerate() {
        if label_idx == Some(j) {
            return Err(Error::invalid(
                "columns",
                format!("'{}' is named both as --label-col and --group-col", header[j]),
            ));
        }
        if group_idx[..k].contains(&j) {
            return Err(Error::invalid("columns", format!("'{}' is listed twice in --group-col", header[j])));
        }
    }
    let feature_idx: Vec<usize> = match &opts.columns {
        Some(cols) => {
            let idx = cols.iter().map(|c| find(c)).collect::<Result<Vec<_>>>()?;
            for (k, &j) in idx.iter().enumerate() {
                if idx[..k].contains(&j) {
                    return Err(Error::invalid("columns", format!("'{}' is listed twice in --columns", header[j])));
                }
                if Some(j) == label_idx || group_idx.contains(&j) {
                    let role = if Some(j) == label_idx { "--label-col" } else { "--group-col" };
                    return Err(Error::invalid(
                        "columns",
                        format!("'{}' is the {role} and cannot be a feature in --columns too", header[j]),
                    ));
                }
            }
            idx
        }
        None => (0..header.len()).filter(|&j| Some(j) != label_idx && !group_idx.contains(&j)).collect(),
    };
    Ok((feature_idx, label_idx, group_idx))
}

pub(crate) struct CsvRows {
    source: CsvSource<std::io::BufReader<std::fs::File>>,
    feature_idx: Vec<usize>,
    columns: Vec<String>,
    label_idx: Option<usize>,
    group_idx: Vec<usize>,
    row: usize,
}

impl CsvRows {
    pub(crate) fn open(path: &Path, opts: &LoadOptions) -> Result<Self> {
        let file = open_file(path)?;
        let source = CsvSource::new(std::io::BufReader::with_capacity(1 << 16, file), path)?;
        let (feature_idx, label_idx, group_idx) = select_columns(source.header(), opts)?;
        if feature_idx.is_empty() {
            return Err(Error::Empty { what: path.display().to_string(), reason: "no feature columns".into() });
        }
        let columns = feature_idx.iter().map(|&j| source.header()[j].clone()).collect();
        Ok(CsvRows { source, feature_idx, columns, label_idx, group_idx, row: 0 })
    }

    pub(crate) fn columns(&self) -> &[String] {
        &self.columns
    }

    pub(crate) fn next_row(&mut self) -> Result<Option<Row>> {
        match self.source.next_record()? {
            None => return Ok(None),
            Some(CsvRecord::Bad { error, .. }) => return Err(error),
            Some(CsvRecord::Row { .. }) => {}
        }
        self.row += 1;
        let record = self.source.record();
        let mut values = Vec::with_capacity(self.feature_idx.len());
        for (k, &j) in self.feature_idx.iter().enumerate() {
            let v = parse_field(&record[j]).ok_or_else(|| Error::NonNumericColumn {
                column: self.columns[k].clone(),
                row: self.row,
                value: record[j].trim().to_string(),
            })?;
            values.push(v);
        }
        let label = self.label_idx.map(|j| record[j].to_string());
        let group = match self.group_idx.is_empty() {
            true => None,
            false => {
                let mut parts = Vec::with_capacity(self.group_idx.len());
                for &j in &self.group_idx {
                    let v = record[j].trim();
                    if v.is_empty() {
                        return Err(Error::invalid_data(
                            format!("group column '{}'", self.source.header()[j]),
                            format!("row {} has an empty value", self.row),
                        ));
                    }
                    parts.push(v.to_string());
                }
                Some(parts.join(" & "))
            }
        };
        Ok(Some(Row { values, label, group }))
    }
}

/// The columns of a CSV file whose every value is a finite number, minus `skip`.
pub fn numeric_columns(path: &Path, skip: &[String]) -> Result<Vec<String>> {
    let file = open_file(path)?;
    let mut source = CsvSource::new(std::io::BufReader::new(file), path)?;
    let mut numeric = vec![true; source.header().len()];
    while let Some(rec) = source.next_record()? {
        if let CsvRecord::Bad { error, .. } = rec {
            return Err(error);
        }
        for (ok, v) in numeric.iter_mut().zip(source.record().iter()) {
            *ok = *ok && parse_field(v).is_some_and(f64::is_finite);
        }
    }
    let header = source.header().to_vec();
    Ok(header.into_iter().zip(numeric).filter(|(h, ok)| *ok && !skip.contains(h)).map(|(h, _)| h).collect())
}
