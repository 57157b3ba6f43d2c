//! Building links with query strings (search filters, paging, `next=`).

/// Percent-encodes a query-string component (`application/x-www-form-urlencoded`).
pub fn encode_component(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A path with query parameters, kept in a fixed order so links are stable.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pairs: Vec<(&'static str, String)>,
}

impl Query {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` (replacing an earlier value); an empty value removes it.
    pub fn set(mut self, key: &'static str, value: impl Into<String>) -> Self {
        let value = value.into();
        self.pairs.retain(|(k, _)| *k != key);
        if !value.is_empty() {
            self.pairs.push((key, value));
        }
        self
    }

    /// Removes `key`.
    pub fn without(mut self, key: &'static str) -> Self {
        self.pairs.retain(|(k, _)| *k != key);
        self
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn pairs(&self) -> &[(&'static str, String)] {
        &self.pairs
    }

    /// `path?k=v&…`, or just `path` without parameters.
    pub fn href(&self, path: &str) -> String {
        if self.pairs.is_empty() {
            return path.to_owned();
        }
        format!("{path}?{}", self.encoded())
    }

    /// The query string alone: `k=v&…`.
    pub fn encoded(&self) -> String {
        let query: Vec<String> = self
            .pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", encode_component(v)))
            .collect();
        query.join("&")
    }
}

/// Whether `next` is a path on this site (not `//host` or a scheme), safe to redirect to.
/// Browsers read `\\` as `/` and drop tabs and newlines, so neither may appear.
pub fn is_local_path(next: &str) -> bool {
    next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_are_encoded() {
        assert_eq!(encode_component("a b&c=d"), "a+b%26c%3Dd");
        assert_eq!(encode_component("八项"), "%E5%85%AB%E9%A1%B9");
        assert_eq!(encode_component("/search?q=1"), "%2Fsearch%3Fq%3D1");
    }

    #[test]
    fn queries_replace_and_remove() {
        let q = Query::new()
            .set("q", "受贿")
            .set("kind", "case")
            .set("page", "2");
        assert_eq!(
            q.href("/search"),
            "/search?q=%E5%8F%97%E8%B4%BF&kind=case&page=2"
        );
        let q = q.set("kind", "").without("page");
        assert_eq!(q.href("/search"), "/search?q=%E5%8F%97%E8%B4%BF");
        assert_eq!(Query::new().href("/search"), "/search");
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert!(is_local_path("/search?q=1"));
        assert!(!is_local_path("//evil.example/"));
        assert!(!is_local_path("/\\evil.example"));
        assert!(!is_local_path("https://evil.example/"));
        assert!(!is_local_path("/a\nb"));
    }
}
