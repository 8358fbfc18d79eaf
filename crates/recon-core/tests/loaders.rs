//! Loaders: every kind of bad input is a typed error naming the problem; good input in every
//! supported NPY dtype / order reads the same numbers as the CSV written by tools/make_fixtures.py.

use std::path::{Path, PathBuf};

use faer::Mat;
use recon_core::data::{load_image, load_table, write_csv, write_png, Image, LoadOptions, TableReader};
use recon_core::Error;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn load(p: &Path) -> recon_core::Result<recon_core::data::Loaded> {
    load_table(p, &LoadOptions::default())
}

#[test]
fn ragged_rows_report_the_line() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "r.csv", "a,b\n1,2\n3,4\n5\n");
    match load(&p).unwrap_err() {
        Error::Ragged { line, expected, found, .. } => assert_eq!((line, expected, found), (4, 2, 1)),
        e => panic!("{e}"),
    }
}

#[test]
fn non_finite_values_report_row_and_column_or_are_dropped() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "n.csv", "a,b\n1,2\n3,inf\n,4\n5,6\n");
    match load(&p).unwrap_err() {
        Error::NonFinite { row, column, .. } => assert_eq!((row, column.as_str()), (2, "b")),
        e => panic!("{e}"),
    }
    let opts = LoadOptions { drop_nonfinite: true, ..Default::default() };
    let l = load_table(&p, &opts).unwrap();
    assert_eq!(l.dropped_rows, 2);
    assert_eq!(l.dataset.x, faer::mat![[1.0, 2.0], [5.0, 6.0]]);
    let all_bad = write(d.path(), "all.csv", "a\nNaN\nnan\n");
    let e = load_table(&all_bad, &opts).unwrap_err();
    assert!(e.to_string().contains("all 2 rows"), "{e}");
}

#[test]
fn text_columns_are_named_unless_kept_as_label_or_group() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "t.csv", "x,name,y,g\n1,a,2,u\n3,b,4,v\n");
    match load(&p).unwrap_err() {
        Error::NonNumericColumn { column, row, value } => {
            assert_eq!((column.as_str(), row, value.as_str()), ("name", 1, "a"))
        }
        e => panic!("{e}"),
    }
    let opts = LoadOptions { label_col: Some("name".into()), group_cols: vec!["g".into()], ..Default::default() };
    let l = load_table(&p, &opts).unwrap().dataset;
    assert_eq!(l.columns, ["x", "y"]);
    assert_eq!(l.labels.unwrap(), ["a", "b"]);
    assert_eq!(l.groups.unwrap(), ["u", "v"]);
    let opts = LoadOptions { columns: Some(vec!["y".into()]), ..Default::default() };
    assert_eq!(load_table(&p, &opts).unwrap().dataset.x, faer::mat![[2.0], [4.0]]);
    let opts = LoadOptions { columns: Some(vec!["nope".into()]), ..Default::default() };
    assert!(matches!(load_table(&p, &opts).unwrap_err(), Error::UnknownColumn { .. }));
}

#[test]
fn missing_empty_and_header_only_files() {
    let d = tempfile::tempdir().unwrap();
    assert!(matches!(load(&d.path().join("none.csv")).unwrap_err(), Error::MissingFile { .. }));
    assert!(matches!(load(&write(d.path(), "e.csv", "")).unwrap_err(), Error::Empty { .. }));
    assert!(matches!(load(&write(d.path(), "h.csv", "a,b\n")).unwrap_err(), Error::Empty { .. }));
    assert!(matches!(load(&write(d.path(), "x.txt", "a\n1\n")).unwrap_err(), Error::UnsupportedFormat { .. }));
}

#[test]
fn npy_dtypes_and_orders_read_the_same_numbers() {
    let csv = load(&fixture("wine_sub.csv")).unwrap().dataset.x;
    let f8 = load(&fixture("wine_f8_c.npy")).unwrap().dataset;
    assert_eq!(f8.x, csv);
    assert_eq!(f8.columns[4], "x4");
    let f4 = load(&fixture("wine_f4_fortran.npy")).unwrap().dataset.x;
    let i4 = load(&fixture("wine_i4_fortran.npy")).unwrap().dataset.x;
    let u1 = load(&fixture("wine_u1_c.npy")).unwrap().dataset.x;
    for i in 0..csv.nrows() {
        for j in 0..csv.ncols() {
            assert_eq!(f4[(i, j)], csv[(i, j)] as f32 as f64);
            assert_eq!(i4[(i, j)], csv[(i, j)].round_ties_even(), "numpy rounds half to even");
            assert_eq!(u1[(i, j)], csv[(i, j)].round_ties_even().clamp(0.0, 255.0));
        }
    }
}

#[test]
fn npy_errors_are_clear() {
    let e = load(&fixture("vector_1d.npy")).unwrap_err();
    assert!(e.to_string().contains("2-D"), "{e}");
    let d = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(fixture("wine_f8_c.npy")).unwrap();
    let p = d.path().join("trunc.npy");
    std::fs::write(&p, &bytes[..bytes.len() - 50]).unwrap();
    assert!(matches!(load(&p).unwrap_err(), Error::Corrupt { .. }));
    let p = d.path().join("junk.npy");
    std::fs::write(&p, b"not an npy file at all").unwrap();
    assert!(matches!(load(&p).unwrap_err(), Error::Corrupt { .. }));
}

#[test]
fn whole_f64_npy_reads_check_like_the_row_path() {
    // 150 rows (more than one 64-row block of the whole-file read), NaN and inf in two rows.
    let d = tempfile::tempdir().unwrap();
    let mut x = Mat::from_fn(150, 4, |i, j| (i * 4 + j) as f64 * 0.5 - 7.0);
    x[(70, 2)] = f64::NAN;
    x[(130, 0)] = f64::INFINITY;
    let p = d.path().join("x.npy");
    recon_core::data::write_npy(&p, x.as_ref()).unwrap();
    match load(&p).unwrap_err() {
        Error::NonFinite { row, column, .. } => assert_eq!((row, column.as_str()), (71, "x2")),
        e => panic!("{e}"),
    }
    let opts = LoadOptions { drop_nonfinite: true, ..Default::default() };
    let loaded = load_table(&p, &opts).unwrap();
    assert_eq!((loaded.dataset.n_rows(), loaded.dropped_rows), (148, 2));
    let kept: Vec<usize> = (0..150).filter(|&i| i != 70 && i != 130).collect();
    assert!((0..148).all(|r| (0..4).all(|j| loaded.dataset.x[(r, j)] == x[(kept[r], j)])));
    // Selected columns, in the order asked: the same numbers as chunked (row-by-row) reading.
    let opts =
        LoadOptions { columns: Some(vec!["x3".into(), "x1".into()]), drop_nonfinite: true, ..Default::default() };
    let whole = load_table(&p, &opts).unwrap().dataset;
    assert_eq!(whole.columns, ["x3", "x1"]);
    let mut r = TableReader::open(&p, &opts).unwrap();
    let chunk = r.next_chunk(1000).unwrap().unwrap();
    assert_eq!(chunk, whole.x);
    // The NaN and inf sit in columns not selected: every row is kept, as the row path keeps it.
    assert_eq!(whole.n_rows(), 150);
    assert!((0..150).all(|i| whole.x[(i, 0)] == x[(i, 3)] && whole.x[(i, 1)] == x[(i, 1)]));
}

#[test]
fn chunks_cover_every_row_once() {
    let mut r = TableReader::open(&fixture("wine_f8_c.npy"), &LoadOptions::default()).unwrap();
    let whole = load(&fixture("wine_f8_c.npy")).unwrap().dataset.x;
    let mut rows = Vec::new();
    while let Some(c) = r.next_chunk(7).unwrap() {
        assert!(c.nrows() <= 7);
        rows.extend((0..c.nrows()).map(|i| (0..c.ncols()).map(|j| c[(i, j)]).collect::<Vec<_>>()));
    }
    assert_eq!(rows.len(), whole.nrows());
    assert!(rows.iter().enumerate().all(|(i, r)| r.iter().enumerate().all(|(j, v)| *v == whole[(i, j)])));
}

#[test]
fn csv_and_png_writers_round_trip_and_leave_no_temp_files() {
    let d = tempfile::tempdir().unwrap();
    let x = Mat::from_fn(4, 3, |i, j| (i as f64 + 0.1) * (j as f64 - 1.7) / 3.0);
    let cols: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
    let p = d.path().join("out.csv");
    write_csv(&p, &cols, x.as_ref()).unwrap();
    assert_eq!(load(&p).unwrap().dataset.x, x, "shortest round-trip formatting is exact");
    let img = Image { channels: (0..3).map(|c| Mat::from_fn(5, 7, |i, j| ((i * 7 + j) * 6 + c) as f64)).collect() };
    let q = d.path().join("img.png");
    write_png(&q, &img).unwrap();
    let back = load_image(&q).unwrap();
    assert_eq!(back.channels, img.channels);
    let names: Vec<String> =
        std::fs::read_dir(d.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    let bad = write(d.path(), "bad.png", "not a png");
    assert!(matches!(load_image(&bad).unwrap_err(), Error::Corrupt { .. }));
}

#[test]
fn zero_variance_and_curve_rules() {
    use recon_core::ruler::{psnr, rank_for_energy, ErrorCurve};
    assert!(matches!(ErrorCurve::from_spectrum(&[0.0], 0.0, 1).unwrap_err(), Error::ZeroVariance));
    let c = ErrorCurve::from_spectrum(&[2.0, 1.0, 1.0], 6.0, 3).unwrap();
    assert_eq!(rank_for_energy(&c, 0.5).unwrap(), Some(1));
    assert_eq!(rank_for_energy(&c, 0.83).unwrap(), Some(2));
    assert_eq!(rank_for_energy(&c, 1.0).unwrap(), Some(3));
    assert!(rank_for_energy(&c, 0.0).is_err());
    assert!((psnr(1.0, 255.0) - 48.130_803_608_679_1).abs() < 1e-9);
}

#[test]
fn tns_files_parse_and_bad_lines_name_the_line() {
    use recon_core::data::{load_tensor, load_tns, write_tns, Tensor};
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "ok.tns", "# a comment\n1 1 1 2.0\n2 3 1 1.5  # trailing\n\n1 1 1 0.5\n");
    let t = load_tns(&p).unwrap();
    assert_eq!(t.shape, [2, 3, 1]);
    assert_eq!(t.values, [2.5, 1.5], "duplicates are added");
    assert_eq!(t.coords(1), [1, 2, 0]);
    let q = d.path().join("back.tns");
    write_tns(&q, &t).unwrap();
    assert_eq!(load_tns(&q).unwrap(), t);
    let err = |text: &str| load_tensor(&write(d.path(), "bad.tns", text)).unwrap_err().to_string();
    assert!(err("1 1 1 2.0\n0 1 1 1.0\n").contains("line 2: index 0 in mode 1"));
    assert!(err("1 1 1 2.0\n1 1 1\n").contains("line 2: 3 fields"));
    assert!(err("1 1 2.0\n").contains("at least 3 indices"));
    assert!(err("1 x 1 2.0\n").contains("index 'x' in mode 2"));
    assert!(err("1 1 1 abc\n").contains("value 'abc'"));
    assert!(err("# nothing\n").contains("no entries"));
    // Dense: NaN marks missing entries; an all-missing tensor and a matrix are refused.
    let covid_like = load_tensor(&fixture("wine_f8_c.npy")).unwrap_err().to_string();
    assert!(covid_like.contains("at least 3 modes"), "{covid_like}");
    let all_nan = d.path().join("nan.npy");
    let mut bytes = std::fs::read(fixture("tensor_2x3x4_nan.npy")).unwrap();
    std::fs::write(&all_nan, &bytes).unwrap();
    match load_tensor(&all_nan).unwrap() {
        Tensor::Dense(t) => {
            assert_eq!(t.shape, [2, 3, 4]);
            assert_eq!(t.data.iter().filter(|v| v.is_nan()).count(), 2);
            assert_eq!(t.data[5], 5.0);
        }
        Tensor::Sparse(_) => panic!("dense expected"),
    }
    let f = load_tensor(&fixture("tensor_2x3x4_fortran.npy")).unwrap();
    match f {
        Tensor::Dense(t) => {
            assert_eq!(t.data, (0..24).map(f64::from).collect::<Vec<_>>(), "Fortran order re-laid in C order")
        }
        Tensor::Sparse(_) => panic!("dense expected"),
    }
    bytes.truncate(bytes.len() - 8);
    std::fs::write(&all_nan, &bytes).unwrap();
    assert!(load_tensor(&all_nan).is_err());
}

/// Writing "atomically" to a device must write through it, not rename a file over it.
#[cfg(unix)]
#[test]
fn atomic_writes_to_a_device_leave_the_device_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let null = std::path::Path::new("/dev/null");
    recon_core::data::write_atomic(null, b"discarded").unwrap();
    assert!(std::fs::metadata(null).unwrap().file_type().is_char_device());
}
