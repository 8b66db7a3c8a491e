//! JWT authentication as the engine API's authentication spec describes: HS256 over a 32-byte secret
//! read from a hex file, with an `iat` claim that the execution engine accepts within ±60 s.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The secret's length: 256 bits.
pub const JWT_SECRET_LEN: usize = 32;
/// How far `iat` may be from the verifier's clock (the spec's ±60 s).
pub const IAT_LEEWAY_SECS: u64 = 60;

/// Why a JWT secret or token was refused.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("cannot read JWT secret file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("JWT secret is not hex: {0}")]
    NotHex(String),
    #[error("JWT secret must be 32 bytes (64 hex digits), got {0} bytes")]
    WrongLength(usize),
    #[error("JWT token: {0}")]
    Token(String),
    #[error("JWT iat {iat} is more than 60 s from now ({now})")]
    StaleIat { iat: u64, now: u64 },
}

/// A 32-byte HS256 secret shared by the consensus and the execution client.
#[derive(Clone, PartialEq, Eq)]
pub struct JwtSecret([u8; JWT_SECRET_LEN]);

impl std::fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtSecret(..)")
    }
}

impl JwtSecret {
    pub fn new(bytes: [u8; JWT_SECRET_LEN]) -> Self {
        Self(bytes)
    }

    /// Parses hex digits, with or without `0x`, surrounding whitespace ignored.
    pub fn from_hex(text: &str) -> Result<Self, JwtError> {
        let text = text.trim();
        let digits = text.strip_prefix("0x").unwrap_or(text);
        let bytes = hex::decode(digits).map_err(|e| JwtError::NotHex(e.to_string()))?;
        let bytes: [u8; JWT_SECRET_LEN] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| JwtError::WrongLength(bytes.len()))?;
        Ok(Self(bytes))
    }

    /// Reads a `jwt.hex` file.
    pub fn from_file(path: &Path) -> Result<Self, JwtError> {
        let text = std::fs::read_to_string(path).map_err(|source| JwtError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_hex(&text)
    }

    pub fn as_bytes(&self) -> &[u8; JWT_SECRET_LEN] {
        &self.0
    }

    /// `0x`-prefixed hex, as a `jwt.hex` file holds it.
    pub fn to_hex(&self) -> String {
        format!("0x{}", hex::encode(self.0))
    }
}

/// The token claims: Blindfold sends `iat` only; the spec's optional `id`/`clv` are read when verifying,
/// others are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iat: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clv: Option<String>,
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Signs `claims` with HS256.
pub fn encode_token(secret: &JwtSecret, claims: &Claims) -> Result<String, JwtError> {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(|e| JwtError::Token(e.to_string()))
}

/// Verifies a token as an execution engine must: HS256 only (`none` and every other algorithm are
/// refused), a valid signature, and `iat` within ±60 s of `now`. Unknown claims are ignored.
pub fn verify_token(secret: &JwtSecret, token: &str, now: u64) -> Result<Claims, JwtError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    let data = jsonwebtoken::decode::<Claims>(
        token,
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .map_err(|e| JwtError::Token(e.to_string()))?;
    let iat = data.claims.iat;
    if iat.abs_diff(now) > IAT_LEEWAY_SECS {
        return Err(JwtError::StaleIat { iat, now });
    }
    Ok(data.claims)
}

/// Produces the `Authorization` header value for each request, caching the token for a few seconds
/// (its `iat` stays well inside the ±60 s window).
#[derive(Debug)]
pub struct JwtAuth {
    secret: JwtSecret,
    cached: std::sync::Mutex<Option<(u64, String)>>,
}

/// How long a signed token is reused.
const TOKEN_REUSE_SECS: u64 = 5;

impl JwtAuth {
    pub fn new(secret: JwtSecret) -> Self {
        Self {
            secret,
            cached: std::sync::Mutex::new(None),
        }
    }

    pub fn secret(&self) -> &JwtSecret {
        &self.secret
    }

    /// `Bearer <token>` with a fresh enough `iat`.
    pub fn bearer(&self) -> Result<String, JwtError> {
        let now = unix_now();
        let mut cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((iat, token)) = cached.as_ref() {
            if now.saturating_sub(*iat) < TOKEN_REUSE_SECS && *iat <= now {
                return Ok(format!("Bearer {token}"));
            }
        }
        let claims = Claims {
            iat: now,
            id: None,
            clv: None,
        };
        let token = encode_token(&self.secret, &claims)?;
        let header = format!("Bearer {token}");
        *cached = Some((now, token));
        Ok(header)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "0x7365637265747365637265747365637265747365637265747365637265747365";

    #[test]
    fn secret_parses_and_rejects_wrong_lengths() {
        let s = JwtSecret::from_hex(&format!("  {HEX}\n")).unwrap();
        assert_eq!(s.to_hex(), HEX);
        assert!(
            JwtSecret::from_hex(&HEX[4..]).is_err_and(|e| matches!(e, JwtError::WrongLength(31)))
        );
        assert!(JwtSecret::from_hex("0xzz").is_err_and(|e| matches!(e, JwtError::NotHex(_))));
        let err = JwtSecret::from_hex(&format!("{HEX}00")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "JWT secret must be 32 bytes (64 hex digits), got 33 bytes"
        );
        assert!(JwtSecret::from_file(Path::new("/nonexistent/jwt.hex")).is_err());
    }

    #[test]
    fn token_round_trip_and_iat_window() {
        let s = JwtSecret::from_hex(HEX).unwrap();
        let now = unix_now();
        let claims = Claims {
            iat: now,
            id: Some("bf".into()),
            clv: None,
        };
        let token = encode_token(&s, &claims).unwrap();
        assert_eq!(verify_token(&s, &token, now).unwrap(), claims);
        assert!(verify_token(&s, &token, now + 61).is_err());
        assert!(verify_token(&s, &token, now - 61).is_err());
        assert!(verify_token(&s, &token, now + 60).is_ok());
        let other = JwtSecret::new([1; 32]);
        assert!(verify_token(&other, &token, now).is_err());
        let stale = encode_token(
            &s,
            &Claims {
                iat: now - 3600,
                id: None,
                clv: None,
            },
        )
        .unwrap();
        assert!(matches!(
            verify_token(&s, &stale, now),
            Err(JwtError::StaleIat { .. })
        ));
    }

    #[test]
    fn alg_none_and_hs512_are_refused() {
        let s = JwtSecret::from_hex(HEX).unwrap();
        // {"alg":"none","typ":"JWT"}.{"iat":<now>}.
        let b64 = |v: &str| {
            use std::fmt::Write;
            // base64url without padding, written out to avoid a dependency.
            const T: &[u8; 64] =
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let bytes = v.as_bytes();
            let mut out = String::new();
            for chunk in bytes.chunks(3) {
                let n = chunk
                    .iter()
                    .enumerate()
                    .fold(0u32, |acc, (i, b)| acc | (*b as u32) << (16 - 8 * i));
                for i in 0..=chunk.len() {
                    let _ = out.write_char(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
                }
            }
            out
        };
        // The encoder is right, so the token below is refused for its `alg`, not for being garbled.
        assert_eq!(
            b64(r#"{"alg":"none","typ":"JWT"}"#),
            "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"
        );
        let now = unix_now();
        let token = format!(
            "{}.{}.",
            b64(r#"{"alg":"none","typ":"JWT"}"#),
            b64(&format!(r#"{{"iat":{now}}}"#))
        );
        assert!(verify_token(&s, &token, now).is_err());
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &Claims {
                iat: now,
                id: None,
                clv: None,
            },
            &EncodingKey::from_secret(s.as_bytes()),
        )
        .unwrap();
        assert!(verify_token(&s, &hs512, now).is_err());
    }

    #[test]
    fn bearer_is_reused_briefly() {
        let auth = JwtAuth::new(JwtSecret::new([3; 32]));
        let a = auth.bearer().unwrap();
        assert!(a.starts_with("Bearer "));
        assert_eq!(a, auth.bearer().unwrap());
        let claims = verify_token(auth.secret(), &a[7..], unix_now()).unwrap();
        assert!(claims.id.is_none());
    }
}
