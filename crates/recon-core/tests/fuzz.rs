//! Property tests: arbitrary bytes and arbitrary declared shapes fed to every loader, the CSV
//! stream reader and the model-folder reader give an `Err` or a value — never a panic, never an
//! allocation sized from an unchecked header. (Test builds keep overflow checks on, so an
//! unchecked multiplication of declared sizes panics here.)

use std::io::Write;
use std::path::Path;

use proptest::prelude::*;
use recon_core::data::{load_image, load_table, load_tensor, CsvRecord, CsvSource, LoadOptions, TableReader};
use recon_core::model::ModelFile;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
    p
}

/// A `.npy` file with the given dtype, order and shape in its header, and `data` bytes after.
fn npy(descr: &str, fortran: bool, shape: &[u64], data: &[u8]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(u64::to_string).collect();
    let tuple = if dims.len() == 1 { format!("({},)", dims[0]) } else { format!("({})", dims.join(", ")) };
    let mut h = format!(
        "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {tuple}, }}",
        if fortran { "True" } else { "False" }
    );
    while !(10 + h.len() + 1).is_multiple_of(64) {
        h.push(' ');
    }
    h.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(h.len() as u16).to_le_bytes());
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(data);
    out
}

/// Reads every record of a CSV source, as a stream would.
fn drain(bytes: &[u8]) {
    if let Ok(mut src) = CsvSource::new(bytes, Path::new("stdin")) {
        let width = src.header().len();
        while let Ok(Some(rec)) = src.next_record() {
            if let CsvRecord::Row { .. } = rec {
                assert_eq!(src.record().len(), width, "a row is handed out only with the header's width");
            }
        }
    }
}

fn dims() -> impl Strategy<Value = Vec<u64>> {
    prop::collection::vec(prop_oneof![0u64..6, Just(u64::MAX), Just(1 << 40), any::<u64>()], 0..5)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_a_loader(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let d = tempfile::tempdir().unwrap();
        for name in ["t.csv", "t.npy", "t.tns", "t.png", "t.jpg"] {
            let p = write(d.path(), name, &bytes);
            let _ = load_table(&p, &LoadOptions::default());
            let _ = load_tensor(&p);
            let _ = load_image(&p);
            if let Ok(mut r) = TableReader::open(&p, &LoadOptions { drop_nonfinite: true, ..Default::default() }) {
                while let Ok(Some(_)) = r.next_chunk(3) {}
            }
        }
        drain(&bytes);
    }

    #[test]
    fn csv_like_text_never_panics_and_batch_agrees_with_the_stream(
        rows in prop::collection::vec(prop::collection::vec(prop_oneof![
            Just("1".to_string()), Just("-2.5e3".to_string()), Just("".to_string()), Just("\"3\"".to_string()),
            Just("x".to_string()), Just("NaN".to_string()), Just("a".to_string()), Just("\u{feff}b".to_string()),
        ], 0..4), 0..8),
        eol in prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
    ) {
        let text: String = rows.iter().map(|r| r.join(",") + eol).collect();
        let d = tempfile::tempdir().unwrap();
        let p = write(d.path(), "t.csv", text.as_bytes());
        let batch = load_table(&p, &LoadOptions { drop_nonfinite: true, ..Default::default() });
        // What the stream accepts: rows of the header's width whose every field is a number.
        if let Ok(mut src) = CsvSource::new(text.as_bytes(), Path::new("stdin")) {
            let mut good = 0usize;
            let mut bad = false;
            while let Ok(Some(rec)) = src.next_record() {
                match rec {
                    CsvRecord::Row { .. } => {
                        let fields: Vec<Option<f64>> = src.record().iter().map(recon_core::data::parse_field).collect();
                        if fields.iter().any(Option::is_none) { bad = true; }
                        else if fields.iter().all(|v| v.is_some_and(f64::is_finite)) { good += 1; }
                    }
                    CsvRecord::Bad { .. } => bad = true,
                }
            }
            if let Ok(l) = &batch {
                prop_assert!(!bad, "the batch accepted a file the stream found bad rows in");
                prop_assert_eq!(l.dataset.n_rows(), good);
            }
        } else {
            prop_assert!(batch.is_err(), "the batch read a file whose header the stream refused");
        }
    }

    #[test]
    fn declared_npy_shapes_are_checked_before_allocation(
        shape in dims(),
        descr in prop_oneof![Just("<f8"), Just("<f4"), Just("<i2"), Just("|u1"), Just("<U3"), Just(">f8")],
        fortran in any::<bool>(),
        n_bytes in 0usize..200,
    ) {
        let d = tempfile::tempdir().unwrap();
        let p = write(d.path(), "t.npy", &npy(descr, fortran, &shape, &vec![1u8; n_bytes]));
        let _ = load_table(&p, &LoadOptions::default());
        let _ = load_tensor(&p);
    }

    #[test]
    fn declared_tns_indices_are_checked_before_allocation(
        lines in prop::collection::vec((prop::collection::vec(prop_oneof![1u64..5, any::<u64>()], 3..4), -5.0f64..5.0), 1..6),
    ) {
        let text: String = lines
            .iter()
            .map(|(idx, v)| format!("{} {v}\n", idx.iter().map(u64::to_string).collect::<Vec<_>>().join(" ")))
            .collect();
        let d = tempfile::tempdir().unwrap();
        let p = write(d.path(), "t.tns", text.as_bytes());
        if let Ok(recon_core::data::Tensor::Sparse(t)) = load_tensor(&p) {
            prop_assert!(t.shape.iter().all(|&s| s <= recon_core::data::MAX_MODE_SIZE.max(10 * lines.len())));
        }
    }

    #[test]
    fn arbitrary_model_folders_are_refused_not_panicked_on(
        json in prop_oneof![
            Just(r#"{"kind": "pca", "version": 1, "columns": ["a"], "sha256": "00"}"#.to_string()),
            Just(r#"{"kind": "pca", "version": 1}"#.to_string()),
            Just(r#"{"kind": 3}"#.to_string()),
            Just("[]".to_string()),
            ".{0,80}",
        ],
        weights in prop::collection::vec(any::<u8>(), 0..200),
        flip in any::<prop::sample::Index>(),
    ) {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "model.json", json.as_bytes());
        write(d.path(), "model.safetensors", &weights);
        prop_assert!(ModelFile::open(d.path()).is_err());
        // A real model with one bit flipped anywhere in either file is refused too.
        let m = d.path().join("real");
        let header = serde_json::json!({"kind": "pca", "version": 1, "columns": ["a", "b"]});
        recon_core::model::save_model(&m, &header, &[("mean", recon_core::model::Array { shape: vec![2], data: vec![1.0, 2.0] })]).unwrap();
        prop_assert!(ModelFile::open(&m).is_ok());
        let (jb, wb) = (std::fs::read(m.join("model.json")).unwrap(), std::fs::read(m.join("model.safetensors")).unwrap());
        let i = flip.index(jb.len() + wb.len());
        let (file, mut bytes, at) = if i < jb.len() { ("model.json", jb, i) } else { ("model.safetensors", wb, i - jb.len()) };
        bytes[at] ^= 1 << (i % 8);
        write(&m, file, &bytes);
        let reopened = ModelFile::open(&m);
        // A flip inside JSON whitespace or the key order is no change to the model; any
        // change to what the model says is refused.
        if let Ok(f) = reopened {
            prop_assert!(file == "model.json", "a flipped weight bit was not caught");
            prop_assert_eq!(f.header.columns, vec!["a".to_string(), "b".to_string()]);
        }
    }
}
