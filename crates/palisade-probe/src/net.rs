//! The wire: TCP connects with timeouts, TLS that observes instead of trusting, HTTP/1 requests
//! with bounded reads, SSH banners. Every operation has a timeout, every read a size limit, and a
//! connection lives only as long as the one request it carries.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::ResolvesClientCert;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Bytes of a response body kept (enough to recognise a service; bodies can be huge).
pub const MAX_BODY: usize = 4096;
/// Bytes of an SSH banner read (RFC 4253 allows 255 per line).
pub const MAX_BANNER: usize = 256;

/// How a TCP connect ended.
#[derive(Debug)]
pub enum Connect {
    Open(TcpStream),
    /// Refused (RST): nothing listens.
    Closed,
    /// No answer within the timeout: dropped by a firewall, or a listener that never accepts.
    Filtered,
    /// Any other error (unreachable network, no route), with the reason.
    Failed(String),
}

/// Connects to `addr` within `limit`.
pub async fn connect(addr: SocketAddr, limit: Duration) -> Connect {
    match timeout(limit, TcpStream::connect(addr)).await {
        Err(_) => Connect::Filtered,
        Ok(Ok(s)) => {
            let _ = s.set_nodelay(true);
            Connect::Open(s)
        }
        Ok(Err(e)) if e.kind() == io::ErrorKind::ConnectionRefused => Connect::Closed,
        Ok(Err(e)) => Connect::Failed(e.to_string()),
    }
}

/// Plain text or TLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Plain,
    Tls,
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Plain => "plain HTTP",
            Transport::Tls => "TLS",
        })
    }
}

/// An HTTP answer, its body cut at [`MAX_BODY`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn body_contains(&self, needle: &str) -> bool {
        let n = needle.as_bytes();
        self.body.windows(n.len().max(1)).any(|w| w == n)
    }

    /// `HTTP 200, body "{"kind":"PodList"…"`: what a finding quotes.
    pub fn evidence(&self) -> String {
        let first = first_bytes(&self.body, 48);
        if first.is_empty() {
            format!("HTTP {}", self.status)
        } else {
            format!("HTTP {}, body \"{first}\"", self.status)
        }
    }
}

/// Up to `n` bytes of `bytes` as text: printable ASCII only (other bytes shown as `.`), runs of
/// white space as one space, `…` when cut. Evidence that is safe to print anywhere.
pub fn first_bytes(bytes: &[u8], n: usize) -> String {
    let mut s = String::new();
    for &b in bytes.iter().take(n) {
        match b {
            b'\r' | b'\n' | b'\t' | b' ' => {
                if !s.is_empty() && !s.ends_with(' ') {
                    s.push(' ');
                }
            }
            0x21..=0x7e => s.push(b as char),
            _ => s.push('.'),
        }
    }
    let trimmed = s.trim_end().len();
    s.truncate(trimmed);
    if bytes.len() > n {
        s.push('…');
    }
    s
}

/// Why a request got no HTTP answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The port refused the connection.
    Closed,
    /// The connect itself timed out.
    Filtered,
    /// Connect, handshake or answer did not come within the timeout.
    Timeout,
    /// The TLS handshake or session failed. `cert_requested`: the server asked for a client
    /// certificate (and, failing like this, demanded it).
    Tls {
        cert_requested: bool,
        reason: String,
    },
    /// Something answered, but not HTTP (or not in the transport used).
    NotHttp(String),
    /// The connect failed otherwise (no route, network unreachable).
    Unreachable(String),
    /// Other I/O errors, after the connection was accepted.
    Io(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Closed => f.write_str("connection refused"),
            Failure::Filtered => f.write_str("no answer to the connect within the timeout"),
            Failure::Timeout => f.write_str("no answer within the timeout"),
            Failure::Tls {
                cert_requested: true,
                reason,
            } => write!(f, "TLS refused without a client certificate ({reason})"),
            Failure::Tls { reason, .. } => write!(f, "TLS failed ({reason})"),
            Failure::NotHttp(r) => write!(f, "not HTTP ({r})"),
            Failure::Unreachable(r) | Failure::Io(r) => f.write_str(r),
        }
    }
}

/// One HTTP GET, as it went.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub answer: Result<Answer, Failure>,
    /// The server asked for a client certificate during the handshake (TLS only).
    pub cert_requested: bool,
}

/// Where and how to send requests.
#[derive(Clone)]
pub struct Client {
    pub timeout: Duration,
    provider: Arc<CryptoProvider>,
}

impl Client {
    pub fn new(timeout: Duration) -> Client {
        Client {
            timeout,
            provider: Arc::new(rustls::crypto::ring::default_provider()),
        }
    }

    /// `GET path` on a new connection to `addr` over `transport`; `name` is the host name the
    /// user gave (TLS SNI and `Host`), if any. Without credentials, ever.
    pub async fn get(
        &self,
        addr: SocketAddr,
        name: Option<&str>,
        transport: Transport,
        path: &str,
    ) -> Exchange {
        let tcp = match connect(addr, self.timeout).await {
            Connect::Open(s) => s,
            Connect::Closed => return failed(Failure::Closed, false),
            Connect::Filtered => return failed(Failure::Filtered, false),
            Connect::Failed(e) => return failed(Failure::Unreachable(e), false),
        };
        let host = match name {
            Some(n) => n.to_owned(),
            None => addr.ip().to_string(),
        };
        match transport {
            Transport::Plain => Exchange {
                answer: self.http(tcp, &host, path).await,
                cert_requested: false,
            },
            Transport::Tls => {
                let requested = Arc::new(AtomicBool::new(false));
                let config = self.tls_config(Arc::clone(&requested));
                let server_name = match ServerName::try_from(host.clone()) {
                    Ok(n) => n,
                    Err(_) => ServerName::IpAddress(addr.ip().into()),
                };
                let connector = tokio_rustls::TlsConnector::from(config);
                let handshake = timeout(self.timeout, connector.connect(server_name, tcp)).await;
                let cert = || requested.load(Ordering::Relaxed);
                match handshake {
                    Err(_) => failed(Failure::Timeout, cert()),
                    Ok(Err(e)) => failed(tls_failure(&e, cert()), cert()),
                    Ok(Ok(tls)) => {
                        let answer = self.http(tls, &host, path).await;
                        let answer = match answer {
                            // After a TLS 1.3 handshake the server refuses a missing client
                            // certificate with an alert on the first read — or, depending on
                            // timing, the connection is just reset or closed: a server that
                            // asked for a certificate and then does not answer demanded it.
                            Err(Failure::NotHttp(r) | Failure::Io(r))
                                if cert() || is_tls_error(&r) =>
                            {
                                Err(Failure::Tls {
                                    cert_requested: cert(),
                                    reason: r,
                                })
                            }
                            other => other,
                        };
                        Exchange {
                            answer,
                            cert_requested: cert(),
                        }
                    }
                }
            }
        }
    }

    /// A client configuration that accepts any server certificate and records whether the server
    /// asked for a client certificate.
    fn tls_config(&self, requested: Arc<AtomicBool>) -> Arc<rustls::ClientConfig> {
        let mut config = rustls::ClientConfig::builder_with_provider(Arc::clone(&self.provider))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .expect("ring supports TLS 1.2 and 1.3")
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Observer(Arc::clone(&self.provider))))
            .with_client_cert_resolver(Arc::new(NoClientCert(requested)));
        config.resumption = rustls::client::Resumption::disabled();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(config)
    }

    /// Sends one GET over `stream` and reads the answer (body bounded by [`MAX_BODY`]).
    async fn http<S>(&self, stream: S, host: &str, path: &str) -> Result<Answer, Failure>
    where
        S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        let work = async {
            let (mut sender, conn) = hyper::client::conn::http1::handshake::<
                _,
                http_body_util::Empty<hyper::body::Bytes>,
            >(TokioIo::new(stream))
            .await
            .map_err(|e| Failure::Io(e.to_string()))?;
            // The connection task dies with this request (aborted below), closing the socket.
            let driver = tokio::spawn(conn);
            let _abort = AbortOnDrop(driver);
            let request = http::Request::get(path)
                .header(http::header::HOST, host)
                .header(http::header::USER_AGENT, "palisade-probe")
                .header(http::header::ACCEPT, "application/json, */*")
                .body(http_body_util::Empty::new())
                .map_err(|e| Failure::Io(e.to_string()))?;
            let response = sender
                .send_request(request)
                .await
                .map_err(|e| hyper_failure(&e))?;
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(100).collect());
            let mut body = response.into_body();
            let mut bytes = Vec::new();
            while bytes.len() < MAX_BODY {
                match body.frame().await {
                    Some(Ok(frame)) => {
                        if let Some(data) = frame.data_ref() {
                            let room = MAX_BODY - bytes.len();
                            bytes.extend_from_slice(&data[..data.len().min(room)]);
                        }
                    }
                    // A body cut short still says what the service is.
                    Some(Err(_)) | None => break,
                }
            }
            Ok(Answer {
                status,
                content_type,
                body: bytes,
            })
        };
        timeout(self.timeout, work)
            .await
            .unwrap_or(Err(Failure::Timeout))
    }
}

struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn failed(f: Failure, cert_requested: bool) -> Exchange {
    Exchange {
        answer: Err(f),
        cert_requested,
    }
}

fn hyper_failure(e: &hyper::Error) -> Failure {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    if e.is_parse() || e.is_parse_status() || e.is_incomplete_message() {
        Failure::NotHttp(text)
    } else {
        Failure::Io(text)
    }
}

fn is_tls_error(reason: &str) -> bool {
    reason.contains("alert") || reason.contains("TLS") || reason.contains("tls")
}

fn tls_failure(e: &io::Error, cert_requested: bool) -> Failure {
    let reason = e.to_string();
    // A handshake that dies on bytes that are not TLS records means the port speaks something
    // else (plain HTTP answering our ClientHello with a 400, say).
    let not_tls = reason.contains("corrupt message")
        || reason.contains("InvalidContentType")
        || reason.contains("invalid content type")
        || reason.contains("InvalidMessage")
        || matches!(
            e.kind(),
            io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
        ) && !cert_requested;
    if not_tls {
        Failure::NotHttp(format!("no TLS: {reason}"))
    } else {
        Failure::Tls {
            cert_requested,
            reason,
        }
    }
}

/// Reads what a server says first (an SSH banner), at most [`MAX_BANNER`] bytes or one line.
pub async fn banner(addr: SocketAddr, limit: Duration) -> Result<Vec<u8>, Failure> {
    let mut tcp = match connect(addr, limit).await {
        Connect::Open(s) => s,
        Connect::Closed => return Err(Failure::Closed),
        Connect::Filtered => return Err(Failure::Filtered),
        Connect::Failed(e) => return Err(Failure::Unreachable(e)),
    };
    let mut buf = vec![0u8; MAX_BANNER];
    let mut got = 0;
    let read = async {
        while got < buf.len() {
            match tcp.read(&mut buf[got..]).await {
                Ok(0) => break,
                Ok(n) => {
                    got += n;
                    if buf[..got].contains(&b'\n') {
                        break;
                    }
                }
                Err(e) => return Err(Failure::Io(e.to_string())),
            }
        }
        Ok(())
    };
    match timeout(limit, read).await {
        Err(_) if got == 0 => Err(Failure::Timeout),
        Err(_) | Ok(Ok(())) => {
            buf.truncate(got);
            Ok(buf)
        }
        Ok(Err(e)) => Err(e),
    }
}

/// Accepts any server certificate. The probe observes what a port serves to anyone who connects;
/// it never sends credentials and trusts nothing it receives, so there is nothing to protect by
/// verifying the peer — and the services it looks at (kubelets, etcd, control-plane components)
/// mostly present certificates of a private CA or self-signed ones. Handshake signatures are still
/// checked, so a completed handshake is a real TLS session with the key of that certificate.
#[derive(Debug)]
struct Observer(Arc<CryptoProvider>);

impl ServerCertVerifier for Observer {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
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
            &self.0.signature_verification_algorithms,
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
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Never presents a client certificate; records that the server asked for one.
#[derive(Debug)]
struct NoClientCert(Arc<AtomicBool>);

impl ResolvesClientCert for NoClientCert {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        self.0.store(true, Ordering::Relaxed);
        None
    }

    fn has_certs(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_is_printable_and_bounded() {
        assert_eq!(first_bytes(b"SSH-2.0-x\r\n", 40), "SSH-2.0-x");
        assert_eq!(first_bytes(b"a\x1b[31mb", 40), "a.[31mb");
        assert_eq!(first_bytes(b"abcdef", 3), "abc…");
        assert_eq!(first_bytes(b"<html>\n    <head> x", 40), "<html> <head> x");
        let a = Answer {
            status: 200,
            content_type: None,
            body: br#"{"kind":"PodList"}"#.to_vec(),
        };
        assert_eq!(a.evidence(), r#"HTTP 200, body "{"kind":"PodList"}""#);
        assert!(a.body_contains("PodList"));
    }
}
