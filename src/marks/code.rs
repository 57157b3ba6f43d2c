//! Mark codes: 8 characters of Crockford base32 (no I, L, O, U), drawn at random, and
//! read back leniently from what text extraction or a person typed.

use rand::RngExt;

/// The alphabet: digits and capitals without the letters that look like digits.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters in a code: 40 bits, so random codes practically never collide.
pub const CODE_LEN: usize = 8;

/// A fresh random code.
pub fn random_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LEN)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// The alphabet character `c` stands for, Crockford's way: lower case is upper case,
/// `O` is zero and `I`/`L` are one (a reader's or an OCR's slips); `U` stands for
/// nothing.
pub fn canonical_char(c: char) -> Option<char> {
    match c.to_ascii_uppercase() {
        'O' => Some('0'),
        'I' | 'L' => Some('1'),
        'U' => None,
        up if up.is_ascii_digit() || up.is_ascii_uppercase() => Some(up),
        _ => None,
    }
}

/// `raw` as a stored code, or `None` when it cannot be one.
pub fn canonical_code(raw: &str) -> Option<String> {
    let code: Option<String> = raw.trim().chars().map(canonical_char).collect();
    code.filter(|code| code.len() == CODE_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_codes_use_the_alphabet_only() {
        for _ in 0..200 {
            let code = random_code();
            assert_eq!(code.len(), CODE_LEN);
            assert!(code.bytes().all(|b| ALPHABET.contains(&b)), "{code}");
            assert_eq!(canonical_code(&code).as_deref(), Some(code.as_str()));
        }
    }

    #[test]
    fn look_alikes_read_as_the_code() {
        assert_eq!(canonical_code("7kq2m9xa").as_deref(), Some("7KQ2M9XA"));
        assert_eq!(canonical_code("O1LI2345").as_deref(), Some("01112345"));
        assert_eq!(canonical_code("7KQ2M9XU"), None);
        assert_eq!(canonical_code("7KQ2M9X"), None);
        assert_eq!(canonical_code("7KQ2-M9XA"), None);
        assert_eq!(canonical_code("<script>"), None);
    }
}
