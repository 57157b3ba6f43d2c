//! The baseline a Python or Rust team would build instead: SQLite FTS5 over
//! jieba-segmented text (`unicode61` tokenizer, `bm25`), in the same process.

use jieba_rs::Jieba;
use jingshi::search::SearchDoc;
use rusqlite::{Connection, params};

/// One result row of a page: id, highlighted title, snippet.
pub type PageRow = (String, String, String);

pub struct Fts {
    conn: Connection,
    jieba: Jieba,
    ids: Vec<String>,
}

/// Jieba search-mode tokens (HMM on, as `jieba.cut_for_search` does by default), without
/// whitespace and punctuation.
fn tokens<'a>(jieba: &Jieba, text: &'a str) -> Vec<&'a str> {
    jieba
        .cut_for_search(text, true)
        .into_iter()
        .map(|t| t.word)
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .collect()
}

impl Fts {
    pub fn build(docs: &[SearchDoc]) -> rusqlite::Result<Fts> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch(
            "CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize = 'unicode61');",
        )?;
        let jieba = Jieba::new();
        let mut ids = Vec::with_capacity(docs.len());
        let tx = conn.unchecked_transaction()?;
        {
            let mut insert =
                tx.prepare("INSERT INTO fts(rowid, title, body) VALUES (?1, ?2, ?3)")?;
            for (i, d) in docs.iter().enumerate() {
                let body = format!("{}\n{}", d.summary, d.body);
                insert.execute(params![
                    i as i64,
                    tokens(&jieba, &d.title).join(" "),
                    tokens(&jieba, &body).join(" "),
                ])?;
                ids.push(d.id.clone());
            }
        }
        tx.commit()?;
        Ok(Fts { conn, jieba, ids })
    }

    /// The FTS5 expression for a query: every jieba token, quoted, joined by `joiner`
    /// (" " is AND, " OR " is OR).
    pub fn expression(&self, q: &str, joiner: &str) -> String {
        let mut seen = std::collections::HashSet::new();
        tokens(&self.jieba, q)
            .into_iter()
            .filter(|t| seen.insert(t.to_string()))
            .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(joiner)
    }

    /// Top `limit` ids by bm25 (title weighted 3).
    pub fn top(&self, expression: &str, limit: usize) -> rusqlite::Result<Vec<String>> {
        if expression.is_empty() {
            return Ok(Vec::new());
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT rowid FROM fts WHERE fts MATCH ?1 ORDER BY bm25(fts, 3.0, 1.0) LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![expression, limit as i64], |r| r.get::<_, i64>(0))?;
        let mut out = Vec::new();
        for row in rows {
            if let Some(id) = self.ids.get(row? as usize) {
                out.push(id.clone());
            }
        }
        Ok(out)
    }

    /// Number of matches.
    pub fn count(&self, expression: &str) -> rusqlite::Result<u64> {
        if expression.is_empty() {
            return Ok(0);
        }
        let mut stmt = self
            .conn
            .prepare_cached("SELECT count(*) FROM fts WHERE fts MATCH ?1")?;
        stmt.query_row(params![expression], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
    }

    /// A query as a search box would run it: segment, top 10 by bm25.
    pub fn search(&self, q: &str, limit: usize) -> rusqlite::Result<Vec<String>> {
        self.top(&self.expression(q, " "), limit)
    }

    /// What a search page built on FTS5 runs: the count, and the top 10 by bm25 with the
    /// title highlighted and a `snippet()` of the text.
    pub fn page(&self, q: &str) -> rusqlite::Result<(u64, Vec<PageRow>)> {
        let expression = self.expression(q, " ");
        if expression.is_empty() {
            return Ok((0, Vec::new()));
        }
        let total = self.count(&expression)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT rowid, highlight(fts, 0, '<mark>', '</mark>'), \
             snippet(fts, 1, '<mark>', '</mark>', '…', 32) \
             FROM fts WHERE fts MATCH ?1 ORDER BY bm25(fts, 3.0, 1.0) LIMIT 10",
        )?;
        let rows = stmt.query_map(params![expression], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (rowid, title, snippet) = row?;
            let id = self.ids.get(rowid as usize).cloned().unwrap_or_default();
            out.push((id, title, snippet));
        }
        Ok((total, out))
    }
}
