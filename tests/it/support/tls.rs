//! A TLS front for the fake instance, with a private CA made for the test.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};

/// A private CA and a listener that terminates TLS for `localhost` and forwards to `backend`.
pub struct TlsFront {
    /// `https://localhost:PORT`.
    pub base_url: String,
    /// The CA certificate, PEM.
    pub ca_pem: String,
}

pub async fn tls_front(backend: std::net::SocketAddr) -> TlsFront {
    tls_front_for(backend, &["localhost", "127.0.0.1"]).await
}

/// Like [`tls_front`], with a certificate for `names`.
pub async fn tls_front_for(backend: std::net::SocketAddr, names: &[&str]) -> TlsFront {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "miauth test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate().unwrap();
    let leaf_params =
        CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()).unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                if let Ok(mut plain) = TcpStream::connect(backend).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                }
            });
        }
    });
    TlsFront {
        base_url: format!("https://localhost:{port}"),
        ca_pem: ca_cert.pem(),
    }
}

/// An HTTP proxy that answers `CONNECT` by tunnelling to `target` whatever was asked, and
/// records what was asked. Returns its address.
pub async fn connect_proxy(
    target: std::net::SocketAddr,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let record = asked.clone();
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            let record = record.clone();
            tokio::spawn(async move {
                let mut conn = BufReader::new(conn);
                let mut request = String::new();
                loop {
                    let mut line = String::new();
                    if conn.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    if line == "\r\n" {
                        break;
                    }
                    request.push_str(&line);
                }
                record
                    .lock()
                    .unwrap()
                    .push(request.lines().next().unwrap_or("").to_owned());
                let mut conn = conn.into_inner();
                let Ok(mut upstream) = TcpStream::connect(target).await else {
                    return;
                };
                let _ = conn
                    .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                    .await;
                let _ = tokio::io::copy_bidirectional(&mut conn, &mut upstream).await;
            });
        }
    });
    (addr, asked)
}
