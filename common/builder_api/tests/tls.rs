//! `https` builders: a TLS imitation builder on 127.0.0.1 whose certificate comes from a CA made at test
//! time, trusted (or not) through the config's extra CA certificates file.

use crate::*;
use builder_api::BuilderError;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use std::path::PathBuf;
use types::{Hash256, SignedBuilderBid};

/// A private CA and a server identity it signed for `names`.
struct Pki {
    ca_pem: String,
    server: TlsIdentity,
}

fn pki(names: &[&str]) -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Blindfold test CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();

    let server_key = KeyPair::generate().unwrap();
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "mock relay");
    let cert = params.signed_by(&server_key, &*ca).unwrap();
    Pki {
        ca_pem: ca.pem(),
        server: TlsIdentity {
            cert_pem: cert.pem(),
            key_pem: server_key.serialize_pem(),
        },
    }
}

/// A PEM file holding `pem`, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, pem: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("builder_api_{}_{name}.pem", std::process::id()));
        std::fs::write(&path, pem).unwrap();
        Self(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn status_ok(_: &Recorded) -> Reply {
    Reply::status(200)
}

#[tokio::test]
async fn status_and_get_header_over_https_with_the_extra_ca() {
    let pki = pki(&["127.0.0.1", "localhost"]);
    let ca_file = TempFile::new("trusted_ca", &pki.ca_pem);
    let (expected, envelope): (SignedBuilderBid<E>, Value) =
        versioned_example(ForkName::Electra, "signed_builder_bid");
    let builder = MockBuilder::start_tls(&pki.server, move |request| {
        if request.path.starts_with("/eth/v1/builder/header/") {
            Reply::json(200, &envelope).header("eth-consensus-version", "electra")
        } else {
            Reply::status(200)
        }
    });
    assert_eq!(builder.url.scheme(), "https");

    let mut config = builder.config();
    config.extra_ca_certificates = Some(ca_file.0.clone());
    let client = BuilderClient::new(config).unwrap();
    client.status().await.unwrap();
    let bid = client
        .get_header::<E>(
            7,
            Hash256::repeat_byte(1),
            &valid_pubkey(1),
            ForkName::Electra,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bid, expected);

    let paths: Vec<String> = builder.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths.len(), 2);
    assert_eq!(paths[0], "/eth/v1/builder/status");
    assert!(paths[1].starts_with("/eth/v1/builder/header/7/"));
}

#[tokio::test]
async fn https_url_with_a_pinned_key() {
    let pki = pki(&["127.0.0.1"]);
    let ca_file = TempFile::new("pinned_ca", &pki.ca_pem);
    let builder = MockBuilder::start_tls(&pki.server, status_ok);
    let key = valid_pubkey(2);
    let flag = format!("https://{key}@{}", builder.url.authority());
    let mut config = BuilderConfig::from_flag(&flag, "--payload-builder").unwrap();
    assert_eq!(config.url, builder.url);
    assert_eq!(config.pubkey, Some(key));
    config.extra_ca_certificates = Some(ca_file.0.clone());
    BuilderClient::new(config).unwrap().status().await.unwrap();
    assert_eq!(builder.requests()[0].header("authorization"), None);
}

#[tokio::test]
async fn untrusted_certificate_is_a_tls_error() {
    let pki = pki(&["127.0.0.1"]);
    let builder = MockBuilder::start_tls(&pki.server, status_ok);
    let err = builder.client().status().await.unwrap_err();
    match &err {
        BuilderError::Tls { operation, message } => {
            assert_eq!(*operation, "status");
            assert!(message.contains("UnknownIssuer"), "{message}");
        }
        other => panic!("expected a TLS error, got {other:?}"),
    }
    assert!(!err.is_unavailable());
    assert!(builder.requests().is_empty());
}

#[tokio::test]
async fn certificate_for_another_name_is_a_tls_error() {
    let pki = pki(&["relay.example"]);
    let ca_file = TempFile::new("other_name_ca", &pki.ca_pem);
    let builder = MockBuilder::start_tls(&pki.server, status_ok);
    let mut config = builder.config();
    config.extra_ca_certificates = Some(ca_file.0.clone());
    let err = BuilderClient::new(config)
        .unwrap()
        .status()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BuilderError::Tls { message, .. } if message.contains("not valid for name")),
        "{err:?}"
    );
    assert!(builder.requests().is_empty());
}

#[test]
fn unreadable_ca_file_stops_the_client_at_startup() {
    let mut config = BuilderConfig::new(Url::parse("https://127.0.0.1:1").unwrap(), None);
    let missing = std::env::temp_dir().join("builder_api_no_such_ca_file.pem");
    config.extra_ca_certificates = Some(missing.clone());
    match BuilderClient::new(config) {
        Err(BuilderError::Config(message)) => {
            assert!(
                message.contains(&missing.display().to_string()),
                "{message}"
            )
        }
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

/// A redirect is not followed: an `https` relay answering 307 to an `http` address would otherwise
/// undo TLS for the signed block it is sent (and any relay could bounce calls to another host).
#[tokio::test]
async fn redirects_are_not_followed() {
    let plain = MockBuilder::start(status_ok);
    let target = format!("{}eth/v1/builder/status", plain.url);
    let pki = pki(&["127.0.0.1"]);
    let ca_file = TempFile::new("redirect_ca", &pki.ca_pem);
    let builder = MockBuilder::start_tls(&pki.server, move |_| {
        Reply::status(307).header("location", &target)
    });
    let mut config = builder.config();
    config.extra_ca_certificates = Some(ca_file.0.clone());
    let err = BuilderClient::new(config)
        .unwrap()
        .status()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BuilderError::Http { status: 307, .. }),
        "{err:?}"
    );
    assert!(plain.requests().is_empty(), "the redirect was followed");
}
