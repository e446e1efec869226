//! Percent-encoding of path parameters.
//!
//! The generated client builds each URL as `format!("{}/accounts/{}/...", baseurl, encode_path(..))`.
//! progenitor's own `encode_path` leaves characters such as `\` unencoded, and a URL parser
//! treats `\` as `/` in http(s) URLs and then resolves `..`, so a group id `..\catalogs\S23`
//! turned a request for a group into one for a catalog. `cargo xtask regenerate` (the
//! `strict-path-encoding` rewrite) points the generated code at [`encode_path`] instead.

/// Percent-encodes one path segment: every byte outside RFC 3986's unreserved set
/// (`A-Z a-z 0-9 - . _ ~`) becomes `%XX` (upper-case hex), UTF-8 bytes included. The result can
/// hold no `/`, `\`, `?`, `#` or `%` of its own, so a value never leaves its segment, never starts
/// a query or fragment, and decodes back to exactly what was given.
///
/// One limit no encoding can lift: `.` and `..` are unreserved, yet a URL parser still resolves
/// a segment that is exactly `.` or `..` (and their encodings `%2E`, `%2E%2E`) as a path step.
/// The id types ([`CatalogId`](crate::CatalogId) and friends) refuse those two values, so an id
/// that reaches a URL is never one of them.
///
/// ```
/// use dintero_products_client::path::encode_path;
///
/// assert_eq!(encode_path("S23"), "S23");
/// assert_eq!(encode_path(r"..\catalogs\S23"), "..%5Ccatalogs%5CS23");
/// assert_eq!(encode_path("a/b?c#d"), "a%2Fb%3Fc%23d");
/// assert_eq!(encode_path("Møbel"), "M%C3%B8bel");
/// ```
pub fn encode_path(segment: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(segment.len());
    for &byte in segment.as_bytes() {
        if is_unreserved(byte) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0F)]));
        }
    }
    out
}

/// RFC 3986, section 2.3: `ALPHA / DIGIT / "-" / "." / "_" / "~"`.
fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Percent-decodes what [`encode_path`] produced; `None` if it holds anything else.
    fn decode(encoded: &str) -> Option<String> {
        let bytes = encoded.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                let hex = encoded.get(i + 1..i + 3)?;
                if !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'A'..=b'F')) {
                    return None;
                }
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            } else if is_unreserved(bytes[i]) {
                out.push(bytes[i]);
                i += 1;
            } else {
                return None;
            }
        }
        String::from_utf8(out).ok()
    }

    #[test]
    fn hostile_segments_stay_one_segment() {
        let cases = [
            (r"..\catalogs\S23", "..%5Ccatalogs%5CS23"),
            ("a/b", "a%2Fb"),
            ("%2F", "%252F"),
            ("%5C", "%255C"),
            ("?x=1#top", "%3Fx%3D1%23top"),
            ("a;b", "a%3Bb"),
            ("100%", "100%25"),
            ("a b+c", "a%20b%2Bc"),
            ("\u{202E}RTL", "%E2%80%AERTL"),
            ("-._~AZaz09", "-._~AZaz09"),
        ];
        for (raw, encoded) in cases {
            assert_eq!(encode_path(raw), encoded, "{raw:?}");
            assert_eq!(decode(encoded).as_deref(), Some(raw));
        }
    }

    #[test]
    fn every_byte_outside_the_unreserved_set_is_encoded() {
        for byte in 0u8..=0x7F {
            let c = char::from(byte);
            let encoded = encode_path(&c.to_string());
            if c.is_ascii_alphanumeric() || "-._~".contains(c) {
                assert_eq!(encoded, c.to_string());
            } else {
                assert_eq!(encoded, format!("%{byte:02X}"), "{c:?}");
            }
        }
    }

    proptest! {
        #[test]
        fn any_string_encodes_to_unreserved_characters_and_decodes_back(input in any::<String>()) {
            let encoded = encode_path(&input);
            prop_assert!(
                encoded.bytes().all(|b| is_unreserved(b) || b == b'%' || b.is_ascii_hexdigit()),
                "{encoded:?}"
            );
            for forbidden in ['/', '\\', '?', '#'] {
                prop_assert!(!encoded.contains(forbidden), "{encoded:?}");
            }
            prop_assert_eq!(decode(&encoded), Some(input));
        }
    }
}
