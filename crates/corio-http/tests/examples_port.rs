//! The port sample: `port_tokio` (tokio + axum + reqwest) and `port_corio` (the same program
//! on corio) both run to completion and print the same lines. `cargo test -p corio-http`
//! builds both examples into `target/<profile>/examples/`.

use std::process::Command;

/// What both programs print: two creations, two reads, one miss.
const EXPECTED: &str = "\
POST /items -> 201 {id: 1, name: pen}
POST /items -> 201 {id: 2, name: ink}
GET /items/1 -> 200 {\"id\":1,\"name\":\"pen\"}
GET /items/2 -> 200 {\"id\":2,\"name\":\"ink\"}
GET /items/3 -> 404 
";

fn run(name: &str) -> String {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    let path = profile_dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} was not built: `cargo test -p corio-http` builds the examples",
        path.display()
    );
    let out = Command::new(&path).output().expect("run example");
    assert!(
        out.status.success(),
        "{name}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

#[test]
fn the_tokio_program_and_its_corio_port_print_the_same() {
    let tokio = run("port_tokio");
    let corio = run("port_corio");
    assert_eq!(tokio, EXPECTED);
    assert_eq!(corio, tokio);
}
