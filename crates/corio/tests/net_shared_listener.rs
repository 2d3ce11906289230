//! `SharedListener`: one port, port 0 included, accepted on by every worker of a `Runtime`.

use std::collections::BTreeSet;
use std::io;

use corio::net::{SharedListener, TcpStream};

#[test]
fn port_zero_is_one_port_for_every_worker() {
    const WORKERS: usize = 3;
    let runtime = corio::Runtime::builder().workers(WORKERS).build().unwrap();
    let shared = SharedListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = shared.local_addr().unwrap();
    assert_ne!(addr.port(), 0);
    // Each worker accepts exactly one connection and answers with its index, so WORKERS
    // connections reach every worker whichever accepts first.
    let servers = runtime.run_on_each(move |worker| {
        let listener = shared.listener();
        async move {
            let listener = listener?;
            let bound = listener.local_addr()?;
            let (mut conn, _) = listener.accept().await?;
            conn.write_all(&[worker as u8]).await?;
            io::Result::Ok(bound)
        }
    });
    let mut seen = BTreeSet::new();
    corio::block_on(async {
        for _ in 0..WORKERS {
            let mut conn = TcpStream::connect(addr).await.unwrap();
            let mut worker = [0; 1];
            conn.read_exact(&mut worker).await.unwrap();
            seen.insert(worker[0]);
        }
    });
    assert_eq!(seen, (0..WORKERS as u8).collect());
    for server in servers {
        assert_eq!(corio::block_on(server).unwrap().unwrap(), addr);
    }
    runtime.shutdown();
}

#[test]
fn a_listener_outside_a_loop_is_an_error() {
    let shared = SharedListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let err = shared.listener().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Other, "{err}");
}

#[test]
fn binding_a_port_in_use_fails_with_addr_in_use() {
    let first = SharedListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = first.local_addr().unwrap();
    let err = SharedListener::bind(addr).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse, "{err}");
}
