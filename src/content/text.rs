//! Turning bytes that should be text into a `String`: UTF-8 first, then GB18030 (which
//! covers GBK and GB2312, still common in Chinese government files), UTF-16 only with a
//! BOM. Shared by sniffing (is this text at all?) and extraction (what does it say?).

use encoding_rs::{DecoderResult, Encoding, GB18030, UTF_8};

/// Text decoded from bytes, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decoded {
    pub text: String,
    pub encoding: &'static str,
    /// Some bytes were not valid in any encoding tried and became U+FFFD.
    pub lossy: bool,
}

/// Decodes without any replacement, or gives up. When `complete` is false the bytes are
/// a prefix of a longer file, so a multi-byte character cut at the end is not an error.
pub(crate) fn decode_strict(bytes: &[u8], complete: bool) -> Option<Decoded> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return decode_with(encoding, &bytes[bom_len..], complete);
    }
    decode_with(UTF_8, bytes, complete).or_else(|| decode_with(GB18030, bytes, complete))
}

/// Decodes whatever comes: strictly when possible, else UTF-8 with replacement characters.
pub(crate) fn decode_lossy(bytes: &[u8], complete: bool) -> Decoded {
    decode_strict(bytes, complete).unwrap_or_else(|| Decoded {
        text: String::from_utf8_lossy(bytes).into_owned(),
        encoding: UTF_8.name(),
        lossy: true,
    })
}

fn decode_with(encoding: &'static Encoding, bytes: &[u8], complete: bool) -> Option<Decoded> {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let capacity = decoder.max_utf8_buffer_length_without_replacement(bytes.len())?;
    let mut text = String::with_capacity(capacity);
    let (result, _read) = decoder.decode_to_string_without_replacement(bytes, &mut text, complete);
    match result {
        DecoderResult::InputEmpty => Some(Decoded {
            text,
            encoding: encoding.name(),
            lossy: false,
        }),
        DecoderResult::OutputFull | DecoderResult::Malformed(..) => None,
    }
}

/// Whether decoded "text" is really binary that happened to decode: any NUL, or more
/// than 1% control characters other than the ones real text files contain.
pub(crate) fn looks_binary(text: &str) -> bool {
    let mut chars = 0usize;
    let mut controls = 0usize;
    for c in text.chars() {
        if c == '\0' {
            return true;
        }
        chars += 1;
        // Form feed, DOS end-of-file and ANSI escapes turn up in old text files.
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c' | '\x1a' | '\x1b') {
            controls += 1;
        }
    }
    controls * 100 > chars
}

/// CRLF and lone CR become LF, so offsets and line splitting agree everywhere.
pub(crate) fn normalize_newlines(text: &str) -> String {
    if !text.contains('\r') {
        return text.to_owned();
    }
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// Cuts `text` to at most `max_bytes` on a character boundary.
pub(crate) fn truncate_chars(text: &mut String, max_bytes: usize) {
    if text.len() <= max_bytes {
        return;
    }
    let mut cut = max_bytes;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_bom_and_cut_prefix() {
        let bytes = "\u{feff}警示教育".as_bytes();
        let decoded = decode_strict(bytes, true).expect("utf-8");
        assert_eq!(decoded.text, "警示教育");
        assert_eq!(decoded.encoding, "UTF-8");
        // A prefix that ends inside "育" is fine when more bytes follow, not otherwise.
        let cut = &"警示教育".as_bytes()[..10];
        assert_eq!(decode_strict(cut, false).expect("prefix").text, "警示教");
        assert_ne!(decode_strict(cut, true).map(|d| d.encoding), Some("UTF-8"));
    }

    #[test]
    fn gbk_is_decoded_as_gb18030() {
        let (bytes, _, _) = encoding_rs::GBK.encode("严守纪律规矩，筑牢思想防线。");
        let decoded = decode_strict(&bytes, true).expect("gb18030");
        assert_eq!(decoded.text, "严守纪律规矩，筑牢思想防线。");
        assert_eq!(decoded.encoding, "gb18030");
    }

    #[test]
    fn utf16_needs_a_bom() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "廉洁".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        assert_eq!(decode_strict(&bytes, true).expect("utf-16").text, "廉洁");
    }

    #[test]
    fn binary_is_not_text() {
        assert!(looks_binary("abc\0def"));
        assert!(looks_binary("\x01\x02\x03abc"));
        assert!(!looks_binary("第一行\r\n第二行\t\x0c"));
        let lossy = decode_lossy(&[0x66, 0xFF, 0xFF, 0x67], true);
        assert!(lossy.lossy);
        assert_eq!(lossy.text, "f\u{fffd}\u{fffd}g");
    }

    #[test]
    fn newlines_and_truncation() {
        assert_eq!(normalize_newlines("a\r\nb\rc\n"), "a\nb\nc\n");
        let mut s = "警示".to_owned();
        truncate_chars(&mut s, 4);
        assert_eq!(s, "警");
    }
}
