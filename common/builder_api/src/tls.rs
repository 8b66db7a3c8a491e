//! TLS for `https` builders: the extra CA certificates an operator trusts, and telling a failed
//! handshake (a setup problem, or someone else answering) apart from a builder that is merely down.

use crate::error::BuilderError;
use std::io::Read;
use std::path::Path;

/// Bound on the CA file read: a bundle of a few hundred certificates fits; anything larger is not a CA
/// file and must not be read into memory.
pub const CA_FILE_LIMIT: u64 = 1024 * 1024;

/// The certificates of a PEM file (one or several `CERTIFICATE` blocks), to trust besides the built-in
/// roots. A missing, oversized, malformed or certificate-less file is a configuration error.
pub(crate) fn load_ca_certificates(path: &Path) -> Result<Vec<reqwest::Certificate>, BuilderError> {
    let fail = |why: String| {
        BuilderError::Config(format!("CA certificates file {}: {why}", path.display()))
    };
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let mut pem = Vec::new();
    file.take(CA_FILE_LIMIT + 1)
        .read_to_end(&mut pem)
        .map_err(|e| fail(e.to_string()))?;
    if pem.len() as u64 > CA_FILE_LIMIT {
        return Err(fail(format!("larger than {CA_FILE_LIMIT} bytes")));
    }
    let certificates =
        reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| fail(format!("not PEM: {e}")))?;
    if certificates.is_empty() {
        return Err(fail("no CERTIFICATE block".into()));
    }
    Ok(certificates)
}

/// Whether a failed request failed in the TLS layer (untrusted or expired certificate, name mismatch,
/// handshake refused). rustls errors reach us wrapped in `std::io::Error`s, whose `source` skips the
/// wrapped error, so each I/O error's payload is inspected too.
pub(crate) fn is_tls_error(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if e.is::<rustls::Error>() {
            return true;
        }
        if let Some(inner) = e
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            if is_tls_error(inner) {
                return true;
            }
        }
        cause = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_errors_are_found_inside_io_errors() {
        let wrapped = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        assert!(is_tls_error(&wrapped));
        let plain = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert!(!is_tls_error(&plain));
    }

    #[test]
    fn bad_ca_files_are_configuration_errors() {
        let dir = std::env::temp_dir().join(format!("builder_api_ca_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("missing.pem");
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, b"no certificates here\n").unwrap();
        let broken = dir.join("broken.pem");
        std::fs::write(
            &broken,
            b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        for path in [&missing, &empty, &broken] {
            match load_ca_certificates(path) {
                Err(BuilderError::Config(message)) => {
                    assert!(message.contains(&path.display().to_string()), "{message}")
                }
                other => panic!("{}: {other:?}", path.display()),
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
