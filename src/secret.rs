//! The two secrets of a login, as types that keep themselves out of logs.
//!
//! The session id is the only secret until the check has succeeded (whoever presents it first
//! after approval gets the token), and the access token never expires. Neither type has
//! `Display`; `Debug` prints a placeholder; the value is read only through `expose`, at the few
//! places that must send or print it.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// A MiAuth session id: a fresh UUID v4 from the operating system's secure random source.
#[derive(Clone)]
pub struct SessionId(SecretString);

impl SessionId {
    /// A new, never-used session id.
    pub fn generate() -> Self {
        SessionId(SecretString::from(uuid::Uuid::new_v4().to_string()))
    }

    /// Wraps a session id received from elsewhere (the fake instance, tests).
    pub fn from_existing(value: impl Into<String>) -> Self {
        SessionId(SecretString::from(value.into()))
    }

    /// The value, for the authorisation URL and the check request only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Compares with a candidate from an untrusted request in time independent of where they differ.
    pub fn matches(&self, candidate: &str) -> bool {
        constant_time_eq(self.expose().as_bytes(), candidate.as_bytes())
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId(<redacted>)")
    }
}

/// A Misskey access token.
#[derive(Clone)]
pub struct AccessToken(SecretString);

impl AccessToken {
    /// Wraps a token received from the instance.
    pub fn new(value: impl Into<String>) -> Self {
        AccessToken(SecretString::from(value.into()))
    }

    /// The value, for the output and for authenticated API calls only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `bytes` random bytes from the operating system, as lowercase hex.
pub(crate) fn random_hex(bytes: usize) -> Result<String, getrandom::Error> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// `len` random characters from `[0-9A-Za-z]`, the alphabet of Misskey's tokens.
pub(crate) fn random_alphanumeric(len: usize) -> Result<String, getrandom::Error> {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        getrandom::fill(&mut buf)?;
        // 248 = 4 * 62: dropping bytes above it keeps every character equally likely.
        for b in buf.iter().filter(|b| **b < 248) {
            if out.len() == len {
                break;
            }
            out.push(char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_values() {
        let s = SessionId::generate();
        let t = AccessToken::new("8YE0sR5HGREPjcRkUQ0d0SPMi1pHZnsW");
        let shown = format!("{s:?} {t:?}");
        assert!(!shown.contains(s.expose()));
        assert!(!shown.contains("8YE0sR5"));
    }

    #[test]
    fn sessions_are_fresh_uuid_v4() {
        let a = SessionId::generate();
        let b = SessionId::generate();
        assert_ne!(a.expose(), b.expose());
        let u = uuid::Uuid::parse_str(a.expose()).unwrap();
        assert_eq!(u.get_version_num(), 4);
    }

    #[test]
    fn matches_only_the_exact_value() {
        let s = SessionId::from_existing("abc");
        assert!(s.matches("abc"));
        assert!(!s.matches("abd"));
        assert!(!s.matches("ab"));
        assert!(!s.matches(""));
    }

    #[test]
    fn random_strings_have_the_asked_length_and_alphabet() {
        let h = random_hex(16).unwrap();
        assert_eq!(h.len(), 32);
        assert!(h.chars().all(|c| c.is_ascii_hexdigit()));
        let t = random_alphanumeric(32).unwrap();
        assert_eq!(t.len(), 32);
        assert!(t.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
