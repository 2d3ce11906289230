//! `corio serve --hash-password`: reads a password and prints its argon2id hash for
//! `--auth USER:HASH`, so that the password itself never appears in a command line.
//!
//! From a terminal it prompts on stderr and turns echo off while the password is typed;
//! otherwise it reads the first line of stdin (`corio serve --hash-password < file`). The
//! trailing newline (and a CR before it) is not part of the password.

use std::io::{self, BufRead, IsTerminal, Write};

use corio_http::static_files::auth::hash_password;

/// Reads the password and prints its hash on stdout.
pub fn run() -> io::Result<()> {
    let stdin = io::stdin();
    let password = if stdin.is_terminal() {
        eprint!("Password: ");
        io::stderr().flush()?;
        let line = read_without_echo(&stdin)?;
        eprintln!();
        line
    } else {
        read_line(&mut stdin.lock())?
    };
    if password.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "--hash-password: the password is empty",
        ));
    }
    println!("{}", hash_password(password.as_bytes())?);
    Ok(())
}

/// One line from a terminal with echo off, restored afterwards whatever happens.
fn read_without_echo(stdin: &io::Stdin) -> io::Result<String> {
    let saved = rustix::termios::tcgetattr(stdin)?;
    let mut quiet = saved.clone();
    quiet.local_modes.remove(rustix::termios::LocalModes::ECHO);
    rustix::termios::tcsetattr(stdin, rustix::termios::OptionalActions::Now, &quiet)?;
    let line = read_line(&mut stdin.lock());
    rustix::termios::tcsetattr(stdin, rustix::termios::OptionalActions::Now, &saved)?;
    line
}

fn read_line(input: &mut impl BufRead) -> io::Result<String> {
    let mut line = String::new();
    input.read_line(&mut line)?;
    let trimmed = line.strip_suffix('\n').unwrap_or(&line);
    Ok(trimmed.strip_suffix('\r').unwrap_or(trimmed).to_owned())
}
