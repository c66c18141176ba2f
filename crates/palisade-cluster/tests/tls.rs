//! The API server's certificate: a self-signed certificate that is exactly the kubeconfig's
//! `certificate-authority-data` is trusted (as kubectl trusts it), and nothing else is loosened.

mod support;

use palisade_cluster::{read, ClusterError, Options};
use support::{spec_from_yaml, start, SelfSigned};

const FIXTURE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n";

fn options(server: &support::Server) -> Options {
    Options {
        kubeconfig: Some(server.kubeconfig.clone()),
        backoff: std::time::Duration::from_millis(10),
        ..Options::default()
    }
}

/// Reads the cluster served with `self_signed`; the connection error's text when it fails.
async fn read_with(self_signed: SelfSigned) -> Result<usize, String> {
    let mut spec = spec_from_yaml(("1", "37"), FIXTURE);
    spec.self_signed = Some(self_signed);
    let server = start(spec).await;
    let conn = palisade_cluster::connect(&options(&server))
        .await
        .map_err(|e| e.to_string())?;
    match read(&conn, &options(&server), &|_| {}).await {
        Ok(inventory) => Ok(inventory.objects.len()),
        Err(e @ ClusterError::Connect { .. }) => Err(e.to_string()),
        Err(other) => panic!("not a connection error: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_signed_certificate_that_is_the_configured_ca_is_trusted() {
    let objects = read_with(SelfSigned::default()).await.unwrap();
    assert_eq!(objects, 1, "the Namespace was read");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_self_signed_certificate_is_refused() {
    let err = read_with(SelfSigned {
        kubeconfig_trusts_another: true,
        ..SelfSigned::default()
    })
    .await
    .unwrap_err();
    // Refused by the certificate check, and the reason is in the message.
    assert!(err.contains("invalid peer certificate"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_self_signed_certificate_is_refused() {
    let err = read_with(SelfSigned {
        expired: true,
        ..SelfSigned::default()
    })
    .await
    .unwrap_err();
    assert!(
        err.contains("invalid peer certificate: certificate expired"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_signed_certificate_for_another_host_is_refused() {
    let err = read_with(SelfSigned {
        names: vec!["api.example.com".to_owned()],
        ..SelfSigned::default()
    })
    .await
    .unwrap_err();
    assert!(
        err.contains("invalid peer certificate: certificate not valid for name"),
        "{err}"
    );
}
