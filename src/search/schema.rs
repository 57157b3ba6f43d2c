//! The index schema, its version, and turning a [`SearchDoc`] into a tantivy document.

use tantivy::TantivyDocument;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use super::analyzer::{self, CHAR_TOKENIZER, WORD_TOKENIZER};
use super::doc::SearchDoc;
use super::minhash;

/// Bump whenever the schema or the analysis changes meaning; an index written under another
/// version is wiped and rebuilt on open. The domain dictionary's fingerprint is added to it.
const SCHEMA_VERSION: u32 = 9;

/// The version string kept in the index's commit payload.
pub(crate) fn version() -> String {
    format!("{SCHEMA_VERSION}-{}", analyzer::fingerprint())
}

/// Handles of every field.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    pub id: Field,
    pub kind: Field,
    pub status: Field,
    /// Who may find it once published (`Visibility::scope_terms`).
    pub scope: Field,
    pub access: Field,
    pub sector: Field,
    pub violation: Field,
    pub region: Field,
    pub year: Field,
    pub date_key: Field,
    pub borrow_count: Field,
    /// The normalised title's key (`minhash::title_key`): resources sharing it are
    /// candidates for near-duplicates and editions.
    pub title_key: Field,
    /// The MinHash sketch of the text (`minhash::sketch`).
    pub sketch: Field,
    /// The title again as a fast field: the other copies and editions listed with a hit
    /// are named without loading their stored documents (a law's text is large).
    pub title_fast: Field,
    /// A video's length in seconds (stored only, shown with a hit).
    pub duration: Field,
    pub machine_read: Field,
    // Stored originals, for hits and snippets.
    pub title: Field,
    pub summary: Field,
    pub tags: Field,
    pub body: Field,
    /// The cues as JSON (`[CueDoc]`).
    pub cues: Field,
    // jieba word fields, for BM25 ranking: the title, the short descriptive texts (tags,
    // summary), the long ones (full text, subtitle cues). Three fields rather than five
    // keeps the number of term look-ups per query down.
    pub title_w: Field,
    pub meta_w: Field,
    pub body_w: Field,
    // Character n-grams with positions: `text_c` has every searched text (the substring
    // filter), `title_c` the title alone (title boost, suggestions).
    pub title_c: Field,
    pub text_c: Field,
}

pub(crate) fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let stored_only = TextOptions::default().set_stored();
    let word = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(WORD_TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let chars = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(CHAR_TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED | FAST),
        kind: b.add_text_field("kind", STRING | STORED | FAST),
        status: b.add_text_field("status", STRING | STORED),
        scope: b.add_text_field("scope", STRING),
        access: b.add_text_field("access", STRING | STORED | FAST),
        sector: b.add_text_field("sector", STRING | STORED | FAST),
        violation: b.add_text_field("violation", STRING | STORED | FAST),
        region: b.add_text_field("region", STRING | STORED),
        year: b.add_i64_field("year", INDEXED | STORED | FAST),
        date_key: b.add_i64_field("date_key", FAST),
        borrow_count: b.add_u64_field("borrow_count", STORED | FAST),
        title_key: b.add_u64_field("title_key", FAST),
        sketch: b.add_bytes_field("sketch", FAST),
        title_fast: b.add_text_field("title_fast", TextOptions::default().set_fast("raw")),
        duration: b.add_u64_field("duration", STORED),
        machine_read: b.add_u64_field("machine_read", STORED),
        title: b.add_text_field("title", stored_only.clone()),
        summary: b.add_text_field("summary", stored_only.clone()),
        tags: b.add_text_field("tags", stored_only.clone()),
        body: b.add_text_field("body", stored_only.clone()),
        cues: b.add_text_field("cues", stored_only),
        title_w: b.add_text_field("title_w", word.clone()),
        meta_w: b.add_text_field("meta_w", word.clone()),
        body_w: b.add_text_field("body_w", word),
        title_c: b.add_text_field("title_c", chars.clone()),
        text_c: b.add_text_field("text_c", chars),
    };
    (b.build(), fields)
}

/// The tantivy document for one resource.
pub(crate) fn to_document(f: &Fields, d: &SearchDoc) -> TantivyDocument {
    let mut doc = TantivyDocument::new();
    doc.add_text(f.id, &d.id);
    doc.add_text(f.kind, &d.kind);
    doc.add_text(f.status, &d.status);
    doc.add_text(f.access, &d.access);
    for term in &d.scope {
        doc.add_text(f.scope, term);
    }
    for s in &d.sectors {
        doc.add_text(f.sector, s);
    }
    for v in &d.violations {
        doc.add_text(f.violation, v);
    }
    doc.add_text(f.region, &d.region);
    if let Some(year) = d.year {
        doc.add_i64(f.year, i64::from(year));
    }
    doc.add_i64(f.date_key, d.date_key);
    doc.add_u64(f.borrow_count, d.borrow_count);
    doc.add_u64(f.title_key, minhash::title_key(&d.title));
    doc.add_text(f.title_fast, &d.title);
    let sketch = minhash::doc_sketch(d);
    if !sketch.is_empty() {
        doc.add_bytes(f.sketch, &sketch);
    }
    if let Some(duration) = d.duration {
        doc.add_u64(f.duration, u64::from(duration));
    }
    if d.machine_read {
        doc.add_u64(f.machine_read, 1);
    }

    doc.add_text(f.title, &d.title);
    doc.add_text(f.title_w, &d.title);
    doc.add_text(f.title_c, &d.title);
    doc.add_text(f.text_c, &d.title);
    if !d.summary.is_empty() {
        doc.add_text(f.summary, &d.summary);
        doc.add_text(f.meta_w, &d.summary);
        doc.add_text(f.text_c, &d.summary);
    }
    for tag in &d.tags {
        doc.add_text(f.tags, tag);
        doc.add_text(f.meta_w, tag);
        doc.add_text(f.text_c, tag);
    }
    if !d.body.is_empty() {
        doc.add_text(f.body, &d.body);
        doc.add_text(f.body_w, &d.body);
        doc.add_text(f.text_c, &d.body);
    }
    if !d.cues.is_empty() {
        // Serialising plain strings and integers cannot fail.
        doc.add_text(
            f.cues,
            serde_json::to_string(&d.cues).unwrap_or_else(|_| "[]".to_owned()),
        );
        for cue in &d.cues {
            doc.add_text(f.body_w, &cue.text);
            doc.add_text(f.text_c, &cue.text);
        }
    }
    doc
}
