//! `-C -`: resuming a download into the file that holds its beginning.
//!
//! The request asks for `Range: bytes=N-`, N being the size of the file. The answer decides:
//! a `206` whose `Content-Range` starts at N is appended; a `200` (the server ignores ranges,
//! or the resource changed) starts the file over; a `416` whose `Content-Range` says the
//! resource is N bytes long (or says nothing) means the file is already complete. Anything
//! else is refused rather than guessed at, so a resumed file is never silently corrupt.

use corio_http::proto::HeaderFields;
use http::StatusCode;

/// What to do with the file for a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Write the body from the start of the file.
    Truncate,
    /// Append the body after the bytes already there.
    Append,
    /// The file is complete: write nothing.
    Complete,
}

/// The plan for a response with `status` to a request for the bytes from `offset` on
/// (`offset` 0: no range was asked for). Statuses of 400 and above other than `416` are the
/// caller's failures, not this function's. The fields are looked at (and their map built)
/// only when resuming.
pub fn plan(status: StatusCode, headers: &HeaderFields, offset: u64) -> Result<Plan, String> {
    if offset == 0 {
        return Ok(Plan::Truncate);
    }
    let range = headers
        .get(http::header::CONTENT_RANGE)
        .and_then(|v| v.to_str().ok());
    match status {
        StatusCode::PARTIAL_CONTENT => {
            let start = range.and_then(|r| {
                let (span, _) = r.strip_prefix("bytes ")?.split_once('/')?;
                span.split_once('-')?.0.trim().parse::<u64>().ok()
            });
            match start {
                Some(start) if start == offset => Ok(Plan::Append),
                _ => Err(format!(
                    "cannot resume at byte {offset}: the server sent Content-Range {:?}",
                    range.unwrap_or("")
                )),
            }
        }
        StatusCode::RANGE_NOT_SATISFIABLE => {
            let total = range.and_then(|r| r.strip_prefix("bytes */")?.trim().parse::<u64>().ok());
            match total {
                Some(total) if total != offset => Err(format!(
                    "cannot resume: the file has {offset} bytes, the remote one {total}"
                )),
                _ => Ok(Plan::Complete),
            }
        }
        _ => Ok(Plan::Truncate),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;

    fn range(value: &str) -> HeaderFields {
        let mut h = HeaderMap::new();
        h.insert(http::header::CONTENT_RANGE, value.parse().unwrap());
        h.into()
    }

    #[test]
    fn plans() {
        let none = HeaderFields::default();
        let partial = StatusCode::PARTIAL_CONTENT;
        let unsatisfiable = StatusCode::RANGE_NOT_SATISFIABLE;
        assert_eq!(plan(StatusCode::OK, &none, 0), Ok(Plan::Truncate));
        assert_eq!(plan(StatusCode::OK, &none, 10), Ok(Plan::Truncate));
        assert_eq!(
            plan(partial, &range("bytes 10-99/100"), 10),
            Ok(Plan::Append)
        );
        assert_eq!(plan(partial, &range("bytes 10-99/*"), 10), Ok(Plan::Append));
        assert!(plan(partial, &range("bytes 0-99/100"), 10).is_err());
        assert!(plan(partial, &none, 10).is_err());
        assert!(plan(partial, &range("items 10-99/100"), 10).is_err());
        assert_eq!(
            plan(unsatisfiable, &range("bytes */10"), 10),
            Ok(Plan::Complete)
        );
        assert_eq!(plan(unsatisfiable, &none, 10), Ok(Plan::Complete));
        let err = plan(unsatisfiable, &range("bytes */5"), 10).unwrap_err();
        assert!(err.contains("10 bytes") && err.contains('5'), "{err}");
    }
}
