//! TLS for `https` builders: the extra CA certificates an operator trusts, and telling a failed
//! handshake (a setup problem, or someone else answering) apart from a builder that is merely down.

use crate::error::BuilderError;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::io::Read;
use std::path::Path;

/// Bound on the CA file read: a bundle of a few hundred certificates fits; anything larger is not a CA
/// file and must not be read into memory.
pub const CA_FILE_LIMIT: u64 = 1024 * 1024;

/// The certificates of a PEM file (one or several `CERTIFICATE` blocks), to trust besides the built-in
/// roots. A missing, oversized, malformed or certificate-less file is a configuration error naming the
/// file, and so is a block whose DER is no usable CA certificate: each one is checked here as rustls
/// will take it, since reqwest would only fail later with an error that names no file.
pub(crate) fn load_ca_certificates(path: &Path) -> Result<Vec<reqwest::Certificate>, BuilderError> {
    let fail = |why: String| {
        BuilderError::Config(format!("CA certificates file {}: {why}", path.display()))
    };
    // Opening a FIFO would wait for a writer, and a device may never end: only regular files.
    let metadata = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    if !metadata.is_file() {
        return Err(fail("not a regular file".into()));
    }
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let mut pem = Vec::new();
    file.take(CA_FILE_LIMIT + 1)
        .read_to_end(&mut pem)
        .map_err(|e| fail(e.to_string()))?;
    if pem.len() as u64 > CA_FILE_LIMIT {
        return Err(fail(format!("larger than {CA_FILE_LIMIT} bytes")));
    }
    let mut certificates = vec![];
    for (index, der) in CertificateDer::pem_slice_iter(&pem).enumerate() {
        let der = der.map_err(|e| fail(format!("not PEM: {e}")))?;
        rustls::RootCertStore::empty()
            .add(der.clone())
            .map_err(|e| {
                fail(format!(
                    "certificate {index} is no usable CA certificate: {e}"
                ))
            })?;
        let certificate = reqwest::Certificate::from_der(&der)
            .map_err(|e| fail(format!("certificate {index}: {e}")))?;
        certificates.push(certificate);
    }
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
        // Good base64, but the DER inside is no certificate: refused here, naming the file, rather than
        // later as an anonymous "cannot build the HTTP client".
        let not_der = dir.join("not_der.pem");
        std::fs::write(
            &not_der,
            b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        for path in [&missing, &empty, &broken, &not_der, &dir] {
            match load_ca_certificates(path) {
                Err(BuilderError::Config(message)) => {
                    assert!(message.contains(&path.display().to_string()), "{message}")
                }
                other => panic!("{}: {other:?}", path.display()),
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A FIFO (or a device) given as the CA file must not block startup waiting for a writer.
    #[test]
    fn a_ca_path_that_is_not_a_regular_file_is_refused_without_reading() {
        let dir = std::env::temp_dir().join(format!("builder_api_fifo_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("ca.pem");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            std::fs::remove_dir_all(&dir).unwrap();
            panic!("mkfifo is needed for this test");
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let path = fifo.clone();
        std::thread::spawn(move || {
            let _ = tx.send(load_ca_certificates(&path).map(|c| c.len()));
        });
        let result = rx.recv_timeout(std::time::Duration::from_secs(30));
        if result.is_err() {
            // Unblock the reader so the thread ends.
            let _ = std::fs::write(&fifo, b"");
        }
        std::fs::remove_dir_all(&dir).unwrap();
        match result.expect("loading a FIFO returns instead of waiting for a writer") {
            Err(BuilderError::Config(message)) => {
                assert!(message.contains("ca.pem"), "{message}");
                assert!(message.contains("not a regular file"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
}
