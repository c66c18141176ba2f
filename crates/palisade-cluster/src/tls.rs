//! Verifying the API server's certificate as kubectl does, where rustls is stricter.
//!
//! Many small clusters (k3s and kind variants, hand-made test clusters, appliances) serve the API
//! with a self-signed certificate that is also the kubeconfig's `certificate-authority-data`.
//! Go's `x509.Certificate.Verify` accepts such a certificate: when the presented leaf is itself one
//! of the configured roots, the chain is just that certificate, and only the leaf checks remain
//! (validity period, host name, extended key usage). webpki refuses it (`CaUsedAsEndEntity`: a
//! certificate with `basicConstraints cA=TRUE` presented as the server's), so kube-rs fails with
//! `client error (Connect)` on a cluster kubectl reads.
//!
//! [`AnchorAsLeafVerifier`] closes that gap and nothing else: it asks rustls' own
//! `WebPkiServerVerifier` first, and only when that refuses the certificate as a CA used as end
//! entity, and the certificate is byte for byte one of the configured CA certificates, does it
//! accept, after checking the host name (webpki's own check), the validity period and the
//! extended key usage itself. Every other refusal stands. The handshake signature is always
//! checked against the presented certificate's key, so the server must hold that certificate's
//! private key.

use std::sync::Arc;

use kube::client::ConfigExt;
use kube::{Client, Config};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// Why the client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("the kubeconfig's certificate authority is not usable: {0}")]
    Roots(String),
    #[error("{0}")]
    Kube(#[from] kube::Error),
    #[error("invalid TLS server name {name:?}: {reason}")]
    ServerName { name: String, reason: String },
}

/// A server certificate verifier that also accepts a server certificate which is exactly one of
/// the configured CA certificates (see the module documentation).
#[derive(Debug)]
pub struct AnchorAsLeafVerifier {
    inner: Arc<WebPkiServerVerifier>,
    anchors: Vec<CertificateDer<'static>>,
}

impl AnchorAsLeafVerifier {
    /// A verifier trusting the DER certificates `roots` (the kubeconfig's CA data).
    pub fn new(roots: &[Vec<u8>]) -> Result<Self, TlsError> {
        let anchors: Vec<CertificateDer<'static>> = roots
            .iter()
            .map(|der| CertificateDer::from(der.clone()))
            .collect();
        let mut store = RootCertStore::empty();
        for cert in &anchors {
            store
                .add(cert.clone())
                .map_err(|e| TlsError::Roots(e.to_string()))?;
        }
        // The ring provider, as everywhere in Palisade (see `install_crypto_provider`).
        let inner = WebPkiServerVerifier::builder_with_provider(
            Arc::new(store),
            Arc::new(rustls::crypto::ring::default_provider()),
        )
        .build()
        .map_err(|e| TlsError::Roots(e.to_string()))?;
        Ok(AnchorAsLeafVerifier { inner, anchors })
    }

    /// The leaf checks Go still makes when the leaf is a configured root: the host name (with
    /// webpki's matching, SANs only, as Go since 1.15), the validity period at `now`, and, when
    /// the certificate restricts its use, that server authentication is among its uses.
    fn check_anchor_as_leaf(
        end_entity: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(), rustls::Error> {
        let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
        rustls::client::verify_server_name(&parsed, server_name)?;
        let (_, cert) = x509_parser::parse_x509_certificate(end_entity.as_ref())
            .map_err(|_| rustls::Error::from(CertificateError::BadEncoding))?;
        let validity = cert.validity();
        let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        if now < validity.not_before.timestamp() {
            return Err(CertificateError::NotValidYet.into());
        }
        if now > validity.not_after.timestamp() {
            return Err(CertificateError::Expired.into());
        }
        match cert.extended_key_usage() {
            Ok(None) => {}
            Ok(Some(eku)) if eku.value.server_auth || eku.value.any => {}
            Ok(Some(_)) => return Err(CertificateError::InvalidPurpose.into()),
            Err(_) => return Err(CertificateError::BadEncoding.into()),
        }
        Ok(())
    }
}

/// Whether rustls refused the certificate only for being a CA certificate presented as the
/// server's (webpki's `CaUsedAsEndEntity`, which rustls passes on as an opaque "other" error).
fn is_ca_used_as_end_entity(e: &rustls::Error) -> bool {
    match e {
        rustls::Error::InvalidCertificate(CertificateError::Other(other)) => matches!(
            other.0.downcast_ref::<webpki::Error>(),
            Some(webpki::Error::CaUsedAsEndEntity)
        ),
        _ => false,
    }
}

impl ServerCertVerifier for AnchorAsLeafVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(e)
                if is_ca_used_as_end_entity(&e)
                    && self
                        .anchors
                        .iter()
                        .any(|a| a.as_ref() == end_entity.as_ref()) =>
            {
                Self::check_anchor_as_leaf(end_entity, server_name, now)?;
                Ok(ServerCertVerified::assertion())
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The kube-rs client for `config`. When the kubeconfig gives CA data, the server certificate is
/// checked by [`AnchorAsLeafVerifier`]; otherwise (no CA: the platform's roots; in-cluster: kube's
/// verifier that reloads the mounted CA on rotation; `insecure-skip-tls-verify`) kube-rs builds
/// its own stack unchanged.
///
/// The stack is kube-rs' default one (`ClientBuilder::try_from(Config)`) with the TLS
/// configuration swapped: base URI, kube's retry of 429/503/504, authentication (tokens, exec
/// plugins, client certificates), extra headers, connect/read/write timeouts. kube-rs offers no
/// hook for a verifier, so the layers are assembled here from its `ConfigExt` pieces.
pub fn client(config: &Config) -> Result<Client, TlsError> {
    let roots = match &config.root_cert {
        Some(roots)
            if !config.accept_invalid_certs
                && config.root_cert_file.is_none()
                && config.proxy_url.is_none() =>
        {
            roots
        }
        // A proxy URL is refused by kube-rs itself (no proxy feature): its error is the answer.
        _ => return Ok(Client::try_from(config.clone())?),
    };
    let verifier = AnchorAsLeafVerifier::new(roots)?;
    // kube's own rustls configuration (client certificate, protocol versions), then our verifier.
    let mut tls = config.rustls_client_config()?;
    tls.dangerous().set_certificate_verifier(Arc::new(verifier));
    let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
    http.enforce_http(false);
    let mut https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http();
    if let Some(name) = &config.tls_server_name {
        let server_name = ServerName::try_from(name.clone()).map_err(|e| TlsError::ServerName {
            name: name.clone(),
            reason: e.to_string(),
        })?;
        https = https
            .with_server_name_resolver(hyper_rustls::FixedServerNameResolver::new(server_name));
    }
    let https = https.enable_http1().wrap_connector(http);
    let mut connector = hyper_timeout::TimeoutConnector::new(https);
    connector.set_connect_timeout(config.connect_timeout);
    connector.set_read_timeout(config.read_timeout);
    connector.set_write_timeout(config.write_timeout);
    connector.set_reset_reader_on_write(config.reset_reader_on_write);
    let http_client: hyper_util::client::legacy::Client<_, kube::client::Body> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build(connector);
    let service = tower::ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(config.default_retry.then(|| {
            tower::retry::RetryLayer::new(kube::client::retry::RetryPolicy::server_retry())
        }))
        .option_layer(config.auth_layer()?)
        .layer(config.extra_headers_layer()?)
        .map_err(tower::BoxError::from)
        .service(http_client);
    Ok(Client::new(service, config.default_namespace.clone()))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rcgen::{
        BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    };

    use super::*;

    /// A self-signed CA certificate for `localhost`, valid in 2030, with the given uses.
    fn self_signed(
        purposes: Vec<ExtendedKeyUsagePurpose>,
    ) -> (CertificateDer<'static>, Issuer<'static, KeyPair>) {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.not_before = rcgen::date_time_ymd(2030, 1, 1);
        params.not_after = rcgen::date_time_ymd(2031, 1, 1);
        params.extended_key_usages = purposes;
        let cert = params.self_signed(&key).unwrap();
        (cert.der().clone(), Issuer::new(params, key))
    }

    fn at(year_2030_day: u64) -> UnixTime {
        // 2030-01-01T00:00:00Z
        UnixTime::since_unix_epoch(Duration::from_secs(1_893_456_000 + year_2030_day * 86_400))
    }

    fn name(n: &str) -> ServerName<'static> {
        ServerName::try_from(n.to_owned()).unwrap()
    }

    #[test]
    fn the_leaf_checks_of_an_anchor_presented_as_leaf() {
        let (cert, _) = self_signed(Vec::new());
        let check =
            |n: &str, t: UnixTime| AnchorAsLeafVerifier::check_anchor_as_leaf(&cert, &name(n), t);
        check("localhost", at(100)).unwrap();
        let expired = check("localhost", at(400)).unwrap_err();
        assert_eq!(expired, CertificateError::Expired.into());
        let early = check(
            "localhost",
            UnixTime::since_unix_epoch(Duration::from_secs(1_800_000_000)),
        )
        .unwrap_err();
        assert_eq!(early, CertificateError::NotValidYet.into());
        let other = check("api.example.com", at(100)).unwrap_err();
        assert!(other.to_string().contains("not valid for name"), "{other}");

        let (client_only, _) = self_signed(vec![ExtendedKeyUsagePurpose::ClientAuth]);
        let purpose =
            AnchorAsLeafVerifier::check_anchor_as_leaf(&client_only, &name("localhost"), at(100))
                .unwrap_err();
        assert_eq!(purpose, CertificateError::InvalidPurpose.into());
        let (server, _) = self_signed(vec![ExtendedKeyUsagePurpose::ServerAuth]);
        AnchorAsLeafVerifier::check_anchor_as_leaf(&server, &name("localhost"), at(100)).unwrap();
    }

    #[test]
    fn only_the_exact_configured_certificate_is_accepted_as_leaf() {
        let (a, issuer) = self_signed(Vec::new());
        let (b, _) = self_signed(Vec::new());
        let verifier = AnchorAsLeafVerifier::new(&[a.to_vec()]).unwrap();
        let verify = |c: &CertificateDer<'_>| {
            verifier.verify_server_cert(c, &[], &name("localhost"), &[], at(100))
        };
        verify(&a).unwrap();
        let err = verify(&b).unwrap_err();
        assert!(!is_ca_used_as_end_entity(
            &CertificateError::UnknownIssuer.into()
        ));
        assert!(is_ca_used_as_end_entity(&err), "{err:?}");
        // An ordinary server certificate signed by the configured CA still goes through webpki.
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.not_before = rcgen::date_time_ymd(2030, 1, 1);
        params.not_after = rcgen::date_time_ymd(2031, 1, 1);
        let leaf = params.signed_by(&key, &issuer).unwrap();
        verify(leaf.der()).unwrap();
        let wrong_host = verifier.verify_server_cert(leaf.der(), &[], &name("other"), &[], at(100));
        assert!(wrong_host.is_err());
    }
}
