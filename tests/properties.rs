//! Property tests on everything that parses hostile input: manifests, dates, subtitles,
//! file sniffing and extraction, the query language, and (over HTTP) loan periods and
//! multipart uploads. Never a panic, never a 5xx; errors say what is wrong; and what is
//! accepted is right: valid manifests read back as written, cues never end before they
//! start, bytes that sniffing refuses are never stored or extracted, and search and
//! completion name only indexed resources that hold what was asked.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;

use jingshi::catalog::import::store_and_extract;
use jingshi::catalog::manifest::{ManifestRow, parse_csv, parse_json};
use jingshi::catalog::model::{CopiesInput, PartialDate};
use jingshi::catalog::{Access, CatalogError, Kind, ResourceFields, Status};
use jingshi::content::{
    ContentError, Cue, Extraction, FileKind, FileStore, StoredBlob, cues_to_vtt, extract,
    parse_srt, parse_vtt, sniff,
};
use jingshi::search::{SearchDoc, SearchIndex, SearchRequest, normalize};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

/// Text that mixes Chinese, ASCII punctuation, brackets, controls and emoji.
fn hostile_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("八项规定".to_owned()),
            Just("\"".to_owned()),
            Just("-".to_owned()),
            Just("〔2023〕".to_owned()),
            Just("：".to_owned()),
            Just("\u{0}".to_owned()),
            Just("😀".to_owned()),
            Just("title:".to_owned()),
            Just(" ".to_owned()),
            "[a-z0-9]{1,6}",
            "\\PC{1,4}",
            any::<char>().prop_map(String::from),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

// ---------------------------------------------------------------------------------
// Manifests

/// The columns a manifest row may have (SPEC §7): a field error must name one of them.
const FIELDS: [&str; 17] = [
    "id",
    "kind",
    "title",
    "summary",
    "tags",
    "sectors",
    "violations",
    "region",
    "date",
    "source",
    "access",
    "status",
    "licences",
    "copies",
    "duration",
    "pages",
    "files",
];

/// A manifest row built from valid values only.
#[derive(Debug, Clone)]
struct ValidRow {
    id: Option<String>,
    kind: Kind,
    title: String,
    summary: Option<String>,
    tags: Vec<String>,
    sectors: Vec<String>,
    violations: Vec<String>,
    region: Option<String>,
    date: Option<(String, i32)>,
    source: Option<String>,
    access: Option<Access>,
    status: Option<Status>,
    licences: Option<u32>,
    copies: Option<u32>,
    duration: Option<u32>,
    pages: Option<u32>,
    files: Vec<String>,
}

impl ValidRow {
    /// What validating the row must give: trimmed text, absent fields at their defaults.
    fn expected(&self) -> ResourceFields {
        let text = |value: &Option<String>| value.as_deref().unwrap_or("").trim().to_owned();
        ResourceFields {
            kind: self.kind,
            title: self.title.trim().to_owned(),
            summary: text(&self.summary),
            tags: self.tags.clone(),
            sectors: self.sectors.clone(),
            violations: self.violations.clone(),
            region: text(&self.region),
            date: self
                .date
                .clone()
                .map(|(text, year)| PartialDate { text, year }),
            source: text(&self.source),
            access: self.access.unwrap_or(Access::Loan),
            status: self.status.unwrap_or(Status::Published),
            licences: self.licences,
            duration_seconds: self.duration,
            pages: self.pages,
            base: None,
        }
    }

    fn to_json(&self, kind: &str) -> serde_json::Value {
        let mut row = serde_json::Map::new();
        let mut put = |key: &str, value: serde_json::Value| {
            row.insert(key.to_owned(), value);
        };
        put("kind", kind.into());
        put("title", self.title.as_str().into());
        let texts = [
            ("id", &self.id),
            ("summary", &self.summary),
            ("region", &self.region),
            ("source", &self.source),
        ];
        for (key, value) in texts {
            if let Some(value) = value {
                put(key, value.as_str().into());
            }
        }
        let lists = [
            ("tags", &self.tags),
            ("sectors", &self.sectors),
            ("violations", &self.violations),
            ("files", &self.files),
        ];
        for (key, list) in lists {
            if !list.is_empty() {
                put(key, list.clone().into());
            }
        }
        if let Some((date, _)) = &self.date {
            put("date", date.as_str().into());
        }
        if let Some(access) = self.access {
            put("access", access.as_str().into());
        }
        if let Some(status) = self.status {
            put("status", status.as_str().into());
        }
        let numbers = [
            ("licences", self.licences),
            ("copies", self.copies),
            ("duration", self.duration),
            ("pages", self.pages),
        ];
        for (key, number) in numbers {
            if let Some(number) = number {
                put(key, number.into());
            }
        }
        row.into()
    }

    /// The row's cells in [`FIELDS`] order; absent values are empty cells.
    fn to_csv_record(&self, kind: &str) -> Vec<String> {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        let number = |value: Option<u32>| value.map(|n| n.to_string()).unwrap_or_default();
        vec![
            text(&self.id),
            kind.to_owned(),
            self.title.clone(),
            text(&self.summary),
            self.tags.join(";"),
            self.sectors.join(";"),
            self.violations.join("；"),
            text(&self.region),
            self.date.clone().map(|(d, _)| d).unwrap_or_default(),
            text(&self.source),
            self.access
                .map(|a| a.as_str().to_owned())
                .unwrap_or_default(),
            self.status
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            number(self.licences),
            number(self.copies),
            number(self.duration),
            number(self.pages),
            self.files.join(";"),
        ]
    }
}

/// Free text as librarians type it: Chinese, Latin, digits, book-title marks, quotes,
/// commas and spaces (also at the ends, which are trimmed).
fn free_text() -> impl Strategy<Value = String> {
    "[\\p{Han}A-Za-z0-9《》（）〔〕“”\"',，。：:; ]{0,24}"
}

/// A list item: no list separator, no space at either end, at most 100 characters.
fn list() -> impl Strategy<Value = Vec<String>> {
    prop::collection::btree_set("[\\p{Han}A-Za-z0-9]{1,8}", 0..4)
        .prop_map(|items| items.into_iter().collect())
}

fn valid_date() -> impl Strategy<Value = (String, i32)> {
    (1900..=2100i32, 1..=12u8, 1..=28u8, 0..3u8).prop_map(|(year, month, day, precision)| {
        let text = match precision {
            0 => format!("{year}"),
            1 => format!("{year}-{month:02}"),
            _ => format!("{year}-{month:02}-{day:02}"),
        };
        (text, year)
    })
}

fn valid_row() -> impl Strategy<Value = ValidRow> {
    let head = (
        prop::option::of("[a-z0-9][a-z0-9_-]{0,30}"),
        // A base needs its `base` object (tests/bases.rs); these rows have none.
        prop::sample::select(
            Kind::ALL
                .into_iter()
                .filter(|k| *k != Kind::Base)
                .collect::<Vec<_>>(),
        ),
        free_text().prop_filter("a title", |t| !t.trim().is_empty()),
        prop::option::of(free_text()),
        list(),
        list(),
        list(),
        prop::option::of(free_text()),
        prop::option::of(valid_date()),
        prop::option::of(free_text()),
    );
    let tail = (
        prop::option::of(prop::sample::select(vec![Access::Open, Access::Loan])),
        prop::option::of(prop::sample::select(vec![
            Status::Draft,
            Status::Published,
            Status::Withdrawn,
        ])),
        prop::option::of(any::<u32>()),
        prop::option::of(0..=1000u32),
        prop::option::of(any::<u32>()),
        prop::option::of(any::<u32>()),
        prop::collection::btree_set("[a-z0-9]{1,8}/[a-z0-9]{1,8}\\.(md|pdf|mp4|vtt)", 0..3),
    );
    (head, tail).prop_map(
        |(
            (id, kind, title, summary, tags, sectors, violations, region, date, source),
            (access, status, licences, copies, duration, pages, files),
        )| ValidRow {
            id,
            kind,
            title,
            summary,
            tags,
            sectors,
            violations,
            region,
            date,
            source,
            access,
            status,
            licences,
            copies,
            duration,
            pages,
            files: files.into_iter().collect(),
        },
    )
}

/// A `kind` that is none of the four, even after trimming.
fn wrong_kind() -> impl Strategy<Value = String> {
    "[A-Za-z_ ]{0,12}".prop_filter("not a kind", |k| {
        !Kind::ALL.iter().any(|kind| kind.as_str() == k.trim())
    })
}

fn csv_manifest(rows: &[ValidRow], kinds: &[&str]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(FIELDS).unwrap();
    for (row, kind) in rows.iter().zip(kinds) {
        writer.write_record(row.to_csv_record(kind)).unwrap();
    }
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}

/// Every parsed row is the generated one: position, raw input and validated fields.
fn assert_rows_read_back(
    parsed: &[ManifestRow],
    rows: &[ValidRow],
    position: impl Fn(usize) -> String,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(parsed.len(), rows.len());
    for (i, (got, row)) in parsed.iter().zip(rows).enumerate() {
        prop_assert_eq!(&got.position, &position(i));
        let input = got
            .input
            .as_ref()
            .map_err(|e| TestCaseError::fail(format!("row {i} of valid values refused: {e}")))?;
        prop_assert_eq!(&input.id, &row.id);
        prop_assert_eq!(&input.copies, &row.copies.map(CopiesInput::Count));
        prop_assert_eq!(&input.files, &row.files);
        match input.validate() {
            Ok(fields) => prop_assert_eq!(fields, row.expected()),
            Err(err) => prop_assert!(false, "row {} of valid values invalid: {}", i, err),
        }
    }
    Ok(())
}

/// A refused row says which field is wrong.
fn assert_names_a_field(err: &CatalogError) -> Result<(), TestCaseError> {
    match err {
        CatalogError::Invalid { field, message } => {
            prop_assert!(FIELDS.contains(&field.as_str()), "field {field}: {message}");
            prop_assert!(!message.is_empty());
            prop_assert!(err.to_string().contains(field.as_str()));
        }
        other => prop_assert!(false, "not a field error: {other:?}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn hostile_manifests_are_refused_in_words(text in hostile_text()) {
        for parsed in [
            parse_json(&text),
            parse_csv(&text),
            parse_csv(&format!("kind,title,date,copies\n{text}")),
        ] {
            match parsed {
                Ok(rows) => {
                    for row in rows {
                        prop_assert!(!row.position.is_empty());
                        match row.input {
                            Ok(input) => {
                                if let Err(err) = input.validate() {
                                    assert_names_a_field(&err)?;
                                }
                            }
                            Err(reason) => prop_assert!(!reason.is_empty()),
                        }
                    }
                }
                // A manifest refused as a whole says so as a whole.
                Err(err) => prop_assert!(
                    matches!(&err, CatalogError::Invalid { field, .. } if field == "manifest"),
                    "{err:?}"
                ),
            }
        }
    }

    #[test]
    fn valid_manifests_read_back_as_written(
        rows in prop::collection::vec(valid_row(), 1..6),
        wrong in wrong_kind(),
        bad_row in any::<prop::sample::Index>(),
    ) {
        let kinds: Vec<&str> = rows.iter().map(|r| r.kind.as_str()).collect();
        let json = serde_json::json!({
            "resources": rows.iter().zip(&kinds).map(|(r, k)| r.to_json(k)).collect::<Vec<_>>()
        });
        let parsed = parse_json(&json.to_string()).unwrap();
        assert_rows_read_back(&parsed, &rows, |i| format!("第 {} 条（resources[{i}]）", i + 1))?;
        // The header is line 1; no generated value holds a line break.
        let parsed = parse_csv(&csv_manifest(&rows, &kinds)).unwrap();
        assert_rows_read_back(&parsed, &rows, |i| format!("第 {} 行", i + 2))?;

        // One wrong `kind`: that row, and only that row, is refused, naming `kind`.
        let bad = bad_row.index(rows.len());
        let mut kinds = kinds;
        kinds[bad] = &wrong;
        let json = serde_json::json!({
            "resources": rows.iter().zip(&kinds).map(|(r, k)| r.to_json(k)).collect::<Vec<_>>()
        });
        for parsed in [parse_json(&json.to_string()).unwrap(), parse_csv(&csv_manifest(&rows, &kinds)).unwrap()] {
            for (i, row) in parsed.iter().enumerate() {
                let input = row.input.as_ref().map_err(|e| TestCaseError::fail(e.clone()))?;
                match input.validate() {
                    Ok(_) => prop_assert_ne!(i, bad, "kind {:?} accepted", wrong),
                    Err(err) => {
                        prop_assert_eq!(i, bad, "row {} refused: {}", i, err);
                        prop_assert!(
                            matches!(&err, CatalogError::Invalid { field, .. } if field == "kind"),
                            "{err:?}"
                        );
                        prop_assert!(err.to_string().contains("kind"), "{}", err);
                    }
                }
            }
        }
    }

    #[test]
    fn dates_parse_or_say_why(text in "[0-9]{0,5}(-[0-9]{0,3}){0,3}") {
        match PartialDate::parse(&text) {
            Ok(date) => {
                prop_assert!((1900..=2100).contains(&date.year));
                prop_assert_eq!(&date.text, &text);
                prop_assert_eq!(text[..4].parse::<i32>().ok(), Some(date.year));
            }
            Err(err) => prop_assert!(err.to_string().contains("date")),
        }
    }
}

// ---------------------------------------------------------------------------------
// Subtitles

/// `HH:MM:SS` plus `sep` and milliseconds.
fn timestamp(ms: u64, sep: char) -> String {
    let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
    format!(
        "{h:02}:{:02}:{:02}{sep}{:03}",
        rest / 60_000,
        rest % 60_000 / 1000,
        rest % 1000
    )
}

fn assert_cues_in_order(cues: &[Cue]) -> Result<(), TestCaseError> {
    for cue in cues {
        prop_assert!(cue.start_ms <= cue.end_ms, "{cue:?}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_cue_ends_before_it_starts(text in hostile_text(), times in "([0-9]{1,2}:){1,2}[0-9]{1,2}[.,][0-9]{0,4} --> ([0-9]{1,2}:){1,2}[0-9]{1,2}[.,][0-9]{0,4}") {
        for vtt in [text.clone(), format!("WEBVTT\n\n{times}\n{text}\n")] {
            if let Ok(cues) = parse_vtt(&vtt) {
                assert_cues_in_order(&cues)?;
            }
        }
        for srt in [text.clone(), format!("1\n{times}\n{text}\n")] {
            match parse_srt(&srt) {
                Ok(cues) => {
                    prop_assert!(!cues.is_empty());
                    assert_cues_in_order(&cues)?;
                }
                Err(err) => prop_assert!(!err.to_string().is_empty()),
            }
        }
    }

    /// A cue whose end comes before its start is dropped (the file's other cues stay);
    /// any other well-formed cue is read exactly and survives a round trip as WebVTT.
    #[test]
    fn well_formed_cues_are_read_exactly(
        start in 0u64..360_000_000,
        shift in -20_000i64..20_000,
        text in "[\\p{Han}a-z]{1,10}",
    ) {
        let end = start.saturating_add_signed(shift);
        let cue = Cue { start_ms: start, end_ms: end, text: text.clone() };
        let expected = if start <= end { vec![cue] } else { Vec::new() };
        let later = Cue { start_ms: 360_000_000, end_ms: 360_001_000, text: "后一条".into() };
        let vtt = format!(
            "WEBVTT\n\n{} --> {}\n{text}\n\n{} --> {}\n后一条\n",
            timestamp(start, '.'), timestamp(end, '.'), timestamp(later.start_ms, '.'), timestamp(later.end_ms, '.')
        );
        let mut with_later = expected.clone();
        with_later.push(later);
        let cues = parse_vtt(&vtt).unwrap();
        prop_assert_eq!(&cues, &with_later);
        prop_assert_eq!(parse_vtt(&cues_to_vtt(&cues)).unwrap(), cues);
        let srt = format!("1\n{} --> {}\n{text}\n", timestamp(start, ','), timestamp(end, ','));
        match parse_srt(&srt) {
            Ok(cues) => prop_assert_eq!(cues, expected),
            Err(err) => {
                prop_assert!(expected.is_empty(), "{}", err);
                prop_assert!(!err.to_string().is_empty());
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// Sniffing, storing and extracting

/// Every name the sniffing properties claim.
const CLAIMED_NAMES: [&str; 14] = [
    "a.pdf", "a.docx", "a.md", "a.txt", "a.vtt", "a.srt", "a.mp4", "a.webm", "a.png", "a.jpg",
    "a.webp", "a", "a.exe", "a.html",
];

/// The two real ways into the store, on one store that every check leaves empty.
struct Chains {
    root: tempfile::TempDir,
    store: FileStore,
}

impl Chains {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        let store = FileStore::open(root.path().join("store")).unwrap();
        Chains { root, store }
    }

    /// The upload handler's chain: stage the bytes, commit (which sniffs them and moves
    /// them into the store), then extract the stored file's text.
    fn upload(&self, data: &[u8], name: &str) -> Result<(StoredBlob, Extraction), ContentError> {
        let mut staged = self.store.stage()?;
        staged.write_all(data)?;
        let blob = self.store.commit(staged, name)?;
        let extraction = extract(&self.store.path_of(&blob.sha256)?, blob.kind);
        Ok((blob, extraction))
    }

    /// The bulk import's chain ([`store_and_extract`]) on a file holding `data`.
    fn import(&self, data: &[u8], name: &str) -> Result<(StoredBlob, Extraction), CatalogError> {
        let path = self.root.path().join("source");
        std::fs::write(&path, data).unwrap();
        store_and_extract(&self.store, &path, name)
    }

    /// Runs both chains on `data` under `name` and checks them against `sniff`: what it
    /// refuses neither chain stores or extracts (and no temp file is left); what it
    /// accepts both store as that type, with an extraction that fits the type.
    fn assert_follow_sniff(&self, data: &[u8], name: &str) -> Result<(), TestCaseError> {
        let sniffed = sniff(data, name);
        let outcomes = [
            ("upload", self.upload(data, name).map_err(|e| e.to_string())),
            ("import", self.import(data, name).map_err(|e| e.to_string())),
        ];
        for (chain, outcome) in outcomes {
            match (&sniffed, outcome) {
                (Err(refused), Ok((blob, extraction))) => prop_assert!(
                    false,
                    "{chain} of {name}: sniff refused ({refused}) but the chain stored {:?} and extracted {:?}",
                    blob.kind,
                    extraction
                ),
                (Err(_), Err(reason)) => prop_assert!(!reason.is_empty()),
                (Ok(kind), Ok((blob, extraction))) => {
                    prop_assert_eq!(blob.kind, *kind, "{} of {}", chain, name);
                    prop_assert!(
                        extraction_fits(*kind, &extraction),
                        "{chain} of {name}: {kind:?} gave {extraction:?}"
                    );
                    self.store.remove(&blob.sha256).unwrap();
                }
                (Ok(kind), Err(reason)) => prop_assert!(
                    false,
                    "{chain} of {name}: sniff accepted {kind:?}, the chain refused: {reason}"
                ),
            }
            prop_assert!(
                self.store.all_hashes().unwrap().is_empty(),
                "{chain} of {name}: a refused file was stored"
            );
            let temp = std::fs::read_dir(self.root.path().join("store/tmp"))
                .unwrap()
                .count();
            prop_assert_eq!(temp, 0, "{} of {}: temp files left", chain, name);
        }
        Ok(())
    }
}

/// The extraction a stored file of `kind` may give.
fn extraction_fits(kind: FileKind, extraction: &Extraction) -> bool {
    use Extraction as E;
    match kind {
        FileKind::Text | FileKind::Markdown | FileKind::Docx => {
            matches!(extraction, E::Text(_) | E::Failed(_))
        }
        FileKind::Vtt | FileKind::Srt => match extraction {
            E::Cues(cues) => cues.iter().all(|c| c.start_ms <= c.end_ms),
            other => matches!(other, E::Failed(_)),
        },
        FileKind::Pdf => matches!(extraction, E::Text(_) | E::NoTextLayer | E::Failed(_)),
        FileKind::Mp4 | FileKind::Webm | FileKind::Jpeg | FileKind::Png | FileKind::Webp => {
            matches!(extraction, E::NotApplicable)
        }
    }
}

/// Whether `bytes` start like the binary type `name` claims (MP4's `ftyp` box is at
/// offset 4).
fn has_claimed_magic(bytes: &[u8], name: &str) -> bool {
    let magic: &[u8] = match name.rsplit('.').next() {
        Some("pdf") => b"%PDF",
        Some("docx") => b"PK\x03\x04",
        Some("png") => b"\x89PNG",
        Some("jpg") => b"\xff\xd8\xff",
        Some("webm") => b"\x1a\x45\xdf\xa3",
        Some("webp") => b"RIFF",
        Some("mp4") => return bytes.get(4..8) == Some(&b"ftyp"[..]),
        _ => return false,
    };
    bytes.starts_with(magic)
}

/// Runs `check` on `cases` values of `strategy`; a failure is shrunk and reported.
fn check_cases<S: Strategy>(
    cases: u32,
    strategy: S,
    check: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let mut runner = TestRunner::new(ProptestConfig::with_cases(cases));
    if let Err(err) = runner.run(&strategy, check) {
        panic!("{err}");
    }
}

#[test]
fn stored_and_extracted_only_what_sniffing_accepts() {
    let chains = Chains::new();
    let prefix = prop_oneof![
        Just(b"%PDF-1.4\n".to_vec()),
        Just(b"PK\x03\x04".to_vec()),
        Just(b"WEBVTT\n\n".to_vec()),
        Just(b"1\n00:00:01,000 --> 00:00:02,000\n".to_vec()),
        Just(Vec::new())
    ];
    let data = (prefix, prop::collection::vec(any::<u8>(), 0..2048)).prop_map(|(mut p, b)| {
        p.extend(b);
        p
    });
    check_cases(128, data, |data| {
        for name in CLAIMED_NAMES {
            chains.assert_follow_sniff(&data, name)?;
        }
        // Extraction on its own never panics, whatever it is told the bytes are.
        let path = chains.root.path().join("extract-me");
        std::fs::write(&path, &data).unwrap();
        for kind in [
            FileKind::Pdf,
            FileKind::Docx,
            FileKind::Markdown,
            FileKind::Text,
            FileKind::Vtt,
            FileKind::Srt,
        ] {
            let _ = extract(&path, kind);
        }
        Ok(())
    });
}

#[test]
fn executables_and_forged_types_are_refused() {
    let chains = Chains::new();
    let cases = (
        prop::collection::vec(any::<u8>(), 1..2048),
        "[\\p{Han}a-z ]{1,40}",
        prop::sample::select(vec![
            "a.pdf", "a.docx", "a.mp4", "a.webm", "a.png", "a.jpg", "a.webp",
        ]),
        prop::sample::select(vec![
            "setup.exe",
            "a.EXE",
            "a.dll",
            "a.bat",
            "a.sh",
            "a.js",
            "a.html",
            "a.zip",
            "a.doc",
        ]),
    );
    check_cases(128, cases, |(bytes, text, claimed, not_allowed)| {
        // A Windows executable (the NUL makes it binary, as every real one is).
        let mut pe = b"MZ\x90\x00".to_vec();
        pe.extend(&bytes);
        pe.push(0);
        for name in CLAIMED_NAMES {
            prop_assert!(sniff(&pe, name).is_err(), "MZ bytes accepted as {}", name);
            chains.assert_follow_sniff(&pe, name)?;
        }
        // A name outside the allow-list is refused whatever the bytes are.
        for data in [&bytes[..], text.as_bytes(), &pe[..]] {
            prop_assert!(
                sniff(data, not_allowed).is_err(),
                "{} accepted",
                not_allowed
            );
            chains.assert_follow_sniff(data, not_allowed)?;
        }
        // Random bytes or plain text claimed as a binary type: a mismatch, in words.
        prop_assume!(!has_claimed_magic(&bytes, claimed));
        for data in [&bytes[..], text.as_bytes()] {
            match sniff(data, claimed) {
                Ok(kind) => prop_assert!(false, "{} bytes accepted as {:?}", data.len(), kind),
                Err(err) => prop_assert!(err.to_string().contains(claimed), "{}", err),
            }
            chains.assert_follow_sniff(data, claimed)?;
        }
        Ok(())
    });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn normalisation_is_idempotent(text in hostile_text()) {
        let once = normalize(&text);
        prop_assert_eq!(normalize(&once), once);
    }
}

// ---------------------------------------------------------------------------------
// The query language and completion

/// Titles besides their number: full-width Latin, traditional characters, mixed case,
/// brackets.
const TITLE_WORDS: [&str; 5] = [
    "违反中央八项规定精神 受贿罪 案例",
    "ＸＹ公司 挪用公款（2023）通报",
    "貪污受賄 懺悔錄",
    "Tax Bureau 滥用职权 Case",
    "〔2023〕6号 风腐同查 教材",
];

fn test_docs() -> Vec<SearchDoc> {
    (0..20)
        .map(|n| SearchDoc {
            machine_read: false,
            id: format!("doc-{n}"),
            kind: "case".into(),
            // The number first or last, so that completions that start with the
            // typed text have others to come before.
            title: if n % 2 == 0 {
                format!("第{n}号 {}", TITLE_WORDS[n % 5])
            } else {
                format!("{} 第{n}号", TITLE_WORDS[n % 5])
            },
            summary: "挪用公款 中组发〔2023〕6号".into(),
            body: "中华人民共和国监察法 留置 政务处分 风腐同查".repeat(n + 1),
            status: "published".into(),
            scope: vec!["all".into()],
            access: "open".into(),
            year: Some(2000 + n as i32),
            ..Default::default()
        })
        .collect()
}

/// Normalised text with only letters, digits and CJK characters: a query word matches
/// verbatim, separators aside, so a match always contains the word in this form.
fn bare(text: &str) -> String {
    normalize(text)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// True when `c` is part of a run of letters or digits, which the index keeps whole.
fn in_alnum_run(c: char) -> bool {
    let n = normalize(&c.to_string());
    !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric())
}

/// A piece of `title` from char `start`, about `len` long, widened so it cuts no run of
/// letters or digits; `None` when it holds nothing searchable.
fn title_piece(title: &str, start: usize, len: usize) -> Option<String> {
    let chars: Vec<char> = title.chars().collect();
    let mut start = start % chars.len();
    let mut end = (start + len).min(chars.len());
    while start > 0 && in_alnum_run(chars[start - 1]) && in_alnum_run(chars[start]) {
        start -= 1;
    }
    while end < chars.len() && in_alnum_run(chars[end - 1]) && in_alnum_run(chars[end]) {
        end += 1;
    }
    let piece: String = chars[start..end].iter().collect();
    (!bare(&piece).is_empty()).then_some(piece)
}

/// Whether every word of `q` (after normalising) is in one of the document's fields.
fn holds_every_word(doc: &SearchDoc, q: &str) -> bool {
    let fields = [bare(&doc.title), bare(&doc.summary), bare(&doc.body)];
    normalize(q)
        .split_whitespace()
        .map(bare)
        .filter(|w| !w.is_empty())
        .all(|word| fields.iter().any(|f| f.contains(&word)))
}

fn all_hits(index: &SearchIndex, q: &str) -> (u64, Vec<String>) {
    let request = SearchRequest {
        per_page: 100,
        ..SearchRequest::query(q)
    };
    let results = index
        .search(&request)
        .unwrap_or_else(|e| panic!("{q:?}: {e}"));
    let ids: Vec<String> = results.hits.into_iter().map(|h| h.id).collect();
    (results.total, ids)
}

#[test]
fn the_query_language_answers_every_input() {
    let index = SearchIndex::open_in_ram().unwrap();
    let docs = test_docs();
    let by_id: HashMap<String, &SearchDoc> = docs.iter().map(|d| (d.id.clone(), d)).collect();
    index.rebuild(docs.clone().into_iter(), 1, &|_| {}).unwrap();
    let ids_where = |pred: &dyn Fn(usize) -> bool| -> BTreeSet<String> {
        (0..20)
            .filter(|n| pred(*n))
            .map(|n| format!("doc-{n}"))
            .collect()
    };

    // Words of the titles, as typed (full width, traditional, case), find exactly the
    // documents that hold them; an excluded word removes its documents.
    let known: [(&str, BTreeSet<String>); 7] = [
        ("受贿罪", ids_where(&|n| n % 5 == 0)),
        ("xy公司", ids_where(&|n| n % 5 == 1)),
        ("贪污", ids_where(&|n| n % 5 == 2)),
        ("TAX", ids_where(&|n| n % 5 == 3)),
        ("〔2023〕6号", ids_where(&|_| true)),
        ("风腐同查 教材", ids_where(&|n| n % 5 == 4)),
        ("第 -受贿罪", ids_where(&|n| n % 5 != 0)),
    ];
    for (q, expected) in known {
        let (total, ids) = all_hits(&index, q);
        let found: BTreeSet<String> = ids.iter().cloned().collect();
        assert_eq!(found, expected, "{q:?}");
        assert_eq!(total, ids.len() as u64, "{q:?}");
    }

    let mut runner = TestRunner::new(ProptestConfig::with_cases(256));
    let hostile = hostile_text();
    let piece = (0..20usize, 0..40usize, 1..12usize);
    for _ in 0..256 {
        // Hostile input: an answer or a reason, and only indexed documents, each once.
        let q = hostile.new_tree(&mut runner).unwrap().current();
        match index.search(&SearchRequest::query(q.clone())) {
            Ok(results) => {
                assert!(results.hits.len() as u64 <= results.total, "{q:?}");
                assert!(results.hits.len() <= 20, "{q:?}: more than a page");
                let unique: BTreeSet<&str> = results.hits.iter().map(|h| h.id.as_str()).collect();
                assert_eq!(unique.len(), results.hits.len(), "{q:?}: a hit twice");
                for hit in &results.hits {
                    let doc = by_id
                        .get(&hit.id)
                        .unwrap_or_else(|| panic!("{q:?}: {}", hit.id));
                    assert_eq!(hit.title, doc.title);
                }
            }
            Err(err) => assert!(!err.to_string().is_empty(), "{q:?}"),
        }
        let suggestions = index
            .suggest(&q, &jingshi::search::Audience::default(), 5)
            .unwrap();
        assert!(suggestions.len() <= 5, "{q:?}");
        for s in &suggestions {
            if s.kind == jingshi::search::TERM_KIND {
                // A word to search for (a dictionary term, a word of titles): no resource.
                assert!(s.id.is_empty() && !s.title.is_empty(), "{q:?}: {s:?}");
                continue;
            }
            let doc = by_id
                .get(&s.id)
                .unwrap_or_else(|| panic!("{q:?}: {}", s.id));
            assert_eq!(s.title, doc.title, "{q:?}");
        }

        // A piece of a title: its document is found, and every hit holds every word.
        let (n, start, len) = piece.new_tree(&mut runner).unwrap().current();
        let source = &docs[n];
        let Some(q) = title_piece(&source.title, start, len) else {
            continue;
        };
        let (total, ids) = all_hits(&index, &q);
        assert!(ids.contains(&source.id), "{q:?} misses {}", source.id);
        assert_eq!(total, ids.len() as u64, "{q:?}");
        for id in &ids {
            assert!(holds_every_word(by_id[id], &q), "{q:?} found {id}");
        }

        // Completion of that piece: at most `limit` titles that contain it (those that
        // start with it first), its source among them when the limit allows all.
        let all = index
            .suggest(&q, &jingshi::search::Audience::default(), 20)
            .unwrap();
        let wanted = bare(&q);
        // Dictionary terms share the 20 places: when more titles hold the piece than
        // the titles shown, the source may be among those left out.
        let holding = docs
            .iter()
            .filter(|d| bare(&d.title).contains(&wanted))
            .count();
        let titles_shown = all
            .iter()
            .filter(|s| s.kind != jingshi::search::TERM_KIND)
            .count();
        assert!(
            all.iter().any(|s| s.id == source.id) || titles_shown < holding,
            "{q:?}: {all:?}"
        );
        let prefix = normalize(&q).trim().to_owned();
        // Titles (and dictionary terms after them) hold the piece; a piece of letters
        // alone is also read as pinyin, whose matches need not hold it.
        let titles: Vec<_> = all
            .iter()
            .filter(|s| s.kind != jingshi::search::TERM_KIND)
            .collect();
        let pinyin = q
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c.is_whitespace());
        for s in all.iter().filter(|_| !pinyin) {
            assert!(
                bare(&s.title).contains(&wanted),
                "{q:?} suggested {}",
                s.title
            );
        }
        let starts: Vec<bool> = titles
            .iter()
            .filter(|_| !pinyin)
            .map(|s| normalize(&s.title).starts_with(&prefix))
            .collect();
        assert!(starts.windows(2).all(|w| w[0] >= w[1]), "{q:?}: {all:?}");
        let few = index
            .suggest(&q, &jingshi::search::Audience::default(), 3)
            .unwrap();
        assert!(
            few.len() <= 3 && few.len() == all.len().min(3),
            "{q:?}: {few:?}"
        );
        assert!(few.iter().all(|s| all.contains(s)), "{q:?}: {few:?}");
    }
}

// ---------------------------------------------------------------------------------
// Over HTTP

#[tokio::test]
async fn loan_periods_and_uploads_over_http_never_fail_the_server() {
    let app = crate::common::TestApp::spawn_with_demo().await;
    let borrower = app.borrower("officer", "yn-tax").await;
    let librarian = app.librarian("lib").await;
    let mut runner = TestRunner::new(ProptestConfig::with_cases(64));
    let date = prop_oneof![
        "20[0-9]{2}-[0-1][0-9]-[0-3][0-9]",
        "[0-9-]{0,12}",
        hostile_text(),
    ];
    for _ in 0..64 {
        let start = date.new_tree(&mut runner).unwrap().current();
        let end = date.new_tree(&mut runner).unwrap().current();
        let (status, body) = borrower
            .post_json(
                "/api/v1/loans",
                &serde_json::json!({"resource_id": "demo-tax-invoice-case", "format": "digital", "start": start, "end": end, "purpose": "测试", "audience": 10}),
            )
            .await;
        assert!(status < 500, "{start:?}..{end:?}: {status} {body}");
        if status >= 400 {
            assert!(
                body["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty()),
                "{body}"
            );
        } else {
            // An accepted period is a real one: it ends on or after its start.
            assert_eq!(status, 201, "{body}");
            assert!(
                ["requested", "waitlisted"].contains(&body["status"].as_str().unwrap()),
                "{body}"
            );
            let day = |field: &str| body[field].as_str().unwrap().parse::<jiff::civil::Date>();
            assert!(day("start").unwrap() <= day("end").unwrap(), "{body}");
        }
    }
    let (_, created) = librarian
        .post_json(
            "/api/v1/resources",
            &serde_json::json!({"kind": "case", "title": "上传测试"}),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let bytes = prop::collection::vec(any::<u8>(), 0..4096);
    let names = prop_oneof![
        Just("a.pdf"),
        Just("a.docx"),
        Just("a.md"),
        Just("a.vtt"),
        Just("a.srt"),
        Just("a.mp4"),
        Just("a.exe"),
        Just("../../a.md"),
        Just("")
    ];
    for _ in 0..48 {
        let data = bytes.new_tree(&mut runner).unwrap().current();
        let name = names.new_tree(&mut runner).unwrap().current();
        // The server keeps only the last path segment of the name, then sniffs.
        let sniffed = sniff(&data, name.rsplit('/').next().unwrap_or(name));
        let part = reqwest::multipart::Part::bytes(data).file_name(name.to_owned());
        let resp = librarian
            .client
            .post(librarian.url(&format!("/api/v1/resources/{id}/files")))
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap_or_default();
        assert!(status < 500, "{name:?}: {status} {body}");
        // Stored exactly when the bytes are what the name says.
        let expect_stored = !name.is_empty() && sniffed.is_ok();
        assert_eq!(
            status == 201,
            expect_stored,
            "{name:?}: {status} {body} (sniff: {sniffed:?})"
        );
    }
    // A body that is not multipart at all.
    let resp = librarian
        .client
        .post(librarian.url(&format!("/api/v1/resources/{id}/files")))
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.md\"\r\n\r\nunterminated")
        .send()
        .await
        .unwrap();
    assert!(
        (400..500).contains(&resp.status().as_u16()),
        "{}",
        resp.status()
    );
    assert_eq!(crate::common::temp_leftovers(app.data()), 0);
}
