//! The callback server under attack: a flood of junk and slow connections while a login waits.
// The flood test reads its memory use from /proc: Linux only, with the helpers it alone uses.
#![cfg_attr(not(target_os = "linux"), allow(dead_code, unused_imports))]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use miauth::mock::{Choice, MockConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use crate::support::{approve_in_browser, mock, query_param, spawn_miauth};

/// Sends one raw HTTP/1.1 request and returns the status code (0 when none came back).
async fn raw_request(addr: &str, request: String) -> u16 {
    let Ok(mut conn) = TcpStream::connect(addr).await else {
        return 0;
    };
    if conn.write_all(request.as_bytes()).await.is_err() {
        return 0;
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer)
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

/// The peak resident memory of a process so far, in KiB (Linux).
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_flood_of_junk_and_slow_connections_does_not_stop_the_real_callback() {
    let server = mock(MockConfig::default()).await;
    let mut run = spawn_miauth(&[
        "login",
        server.base_url(),
        "--no-browser",
        "--timeout",
        "60s",
    ]);
    let url = run.authorization_url().await;
    let callback = query_param(&url, "callback").unwrap();
    let cb = url::Url::parse(&callback).unwrap();
    let addr = format!("127.0.0.1:{}", cb.port().unwrap());
    let path = cb.path().to_owned();

    let pid = run.child.id().unwrap();
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(20));
            while let Some(kib) = peak_rss_kib(pid) {
                peak.fetch_max(kib, Ordering::SeqCst);
                every.tick().await;
            }
        })
    };

    // Slow-loris: connections that start a request and never finish it.
    let mut slow = Vec::new();
    for _ in 0..100 {
        if let Ok(mut conn) = TcpStream::connect(&addr).await {
            let _ = conn
                .write_all(
                    format!("GET {path}?session=x HTTP/1.1\r\nHost: {addr}\r\nX-Slow: ").as_bytes(),
                )
                .await;
            slow.push(conn);
        }
    }

    // Junk: wrong paths, a foreign Host, wrong sessions, other methods, prefetches.
    let junk: Vec<String> = vec![
        format!("GET /favicon.ico HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
        format!("GET {path}?session=forged HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
        format!("GET {path} HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n"),
        format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
        format!("OPTIONS {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
        format!(
            "GET {path}?session=a&session=b HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        ),
        format!(
            "GET /{} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n",
            "x".repeat(20_000)
        ),
    ];
    let limit = Arc::new(Semaphore::new(200));
    let (answered, mut answers) = tokio::sync::watch::channel(0usize);
    let answered = Arc::new(answered);
    let flood_started = Instant::now();
    let mut flood = tokio::task::JoinSet::new();
    for i in 0..3000 {
        let (request, addr, limit) = (junk[i % junk.len()].clone(), addr.clone(), limit.clone());
        let answered = answered.clone();
        flood.spawn(async move {
            let _permit = limit.acquire_owned().await.unwrap();
            let status = raw_request(&addr, request).await;
            answered.send_modify(|n| *n += 1);
            status
        });
    }

    // Once the flood is under way (the server has answered some of it), the user approves.
    answers.wait_for(|n| *n >= 100).await.unwrap();
    let approve_started = Instant::now();
    let journey = approve_in_browser(&url, Choice::Accept).await;
    let approve_took = approve_started.elapsed();
    let done = run.finish().await;
    let mut statuses = std::collections::BTreeMap::new();
    while let Some(status) = flood.join_next().await {
        *statuses.entry(status.unwrap()).or_insert(0u32) += 1;
    }
    let flood_took = flood_started.elapsed();
    sampler.abort();

    assert_eq!(done.code, Some(0), "{}", done.stderr);
    assert_eq!(done.stdout, format!("{}\n", server.issued_tokens()[0]));
    assert!(journey.last().unwrap().body.contains("You are logged in"));
    // Only a safety net well inside the 60 s deadline: the flood shares two busy cores.
    assert!(
        approve_took < Duration::from_secs(30),
        "the real callback took {approve_took:?}"
    );
    assert!(
        server.check_spans().len() <= 2,
        "junk must not cause checks"
    );
    assert!(
        statuses
            .keys()
            .all(|s| [0, 400, 404, 405, 421, 431, 503].contains(s)),
        "{statuses:?}"
    );
    let peak_mib = peak.load(Ordering::SeqCst) / 1024;
    eprintln!(
        "flood: 3000 junk requests and 100 slow connections in {flood_took:?}; \
         login approved in {approve_took:?}; answers {statuses:?}; peak RSS {peak_mib} MiB"
    );
    assert!(peak_mib < 64, "peak RSS {peak_mib} MiB");
    drop(slow);
}

#[tokio::test]
async fn slow_connections_are_dropped_after_the_header_deadline() {
    let server = mock(MockConfig::default()).await;
    let mut run = spawn_miauth(&[
        "login",
        server.base_url(),
        "--no-browser",
        "--timeout",
        "30s",
    ]);
    let url = run.authorization_url().await;
    let cb = url::Url::parse(&query_param(&url, "callback").unwrap()).unwrap();
    let addr = format!("127.0.0.1:{}", cb.port().unwrap());
    let mut conn = TcpStream::connect(&addr).await.unwrap();
    conn.write_all(b"GET / HTTP/1.1\r\nHost: ").await.unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    // Without the header deadline (3 s) it would stay open for the 60 s connection limit.
    let read = tokio::time::timeout(Duration::from_secs(30), conn.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the server must close a slow connection");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "closed after {took:?}");
    run.stop();
    run.finish().await;
}
