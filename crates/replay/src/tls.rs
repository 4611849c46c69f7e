//! The HTTP client's TLS: the public web roots, plus the certificates `--ca FILE`
//! gives — as CAs that sign servers' certificates and, for a server whose own
//! certificate is one of them, as that server's certificate exactly (a self-signed
//! Splunk certificate, which WebPKI would refuse as "a CA used as an end entity").

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use std::path::Path;
use std::sync::Arc;

/// A client builder with firedrill's TLS: `ca` adds trusted certificates (PEM, one or
/// more), `insecure` skips verification altogether.
pub fn client_builder(
    ca: Option<&Path>,
    insecure: bool,
) -> Result<reqwest::blocking::ClientBuilder, String> {
    let builder = reqwest::blocking::Client::builder();
    if insecure {
        return Ok(builder.danger_accept_invalid_certs(true));
    }
    let Some(ca) = ca else {
        return Ok(builder);
    };
    let pem = std::fs::read(ca).map_err(|e| format!("{}: {e}", ca.display()))?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: not a PEM certificate: {e}", ca.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no PEM certificate in it", ca.display()));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for c in &certs {
        // A certificate that is no valid trust anchor is still pinned below.
        let _ = roots.add(c.clone());
    }
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| format!("{}: {e}", ca.display()))?;
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Pinned {
            certs,
            inner,
            provider,
        }))
        .with_no_client_auth();
    Ok(builder.use_preconfigured_tls(config))
}

/// WebPKI verification, except that a server presenting exactly one of the given
/// certificates is that server, whatever host name the certificate carries (Splunk's
/// default certificate names none); its handshake signature is still checked, so
/// only the holder of that certificate's key gets through.
#[derive(Debug)]
struct Pinned {
    certs: Vec<CertificateDer<'static>>,
    inner: Arc<WebPkiServerVerifier>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.certs.iter().any(|c| c.as_ref() == end_entity.as_ref()) {
            return Ok(ServerCertVerified::assertion());
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
