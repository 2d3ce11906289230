//! Parsers for `corio get`'s option values, run by clap: a value that does not parse is a
//! usage error (status 2) naming the option, before anything is fetched.

use std::time::Duration;

use http::{HeaderName, HeaderValue, Method};

/// A URL as typed: one without a scheme (`localhost:8000/x`) means `http://`.
pub fn url(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err("empty URL".to_owned());
    }
    Ok(if s.contains("://") {
        s.to_owned()
    } else {
        format!("http://{s}")
    })
}

/// A `-H 'Name: value'` header field.
pub fn header(s: &str) -> Result<(HeaderName, HeaderValue), String> {
    let (name, value) = s
        .split_once(':')
        .ok_or_else(|| format!("{s:?} is not 'Name: value'"))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| format!("{:?} is not a valid header name", name.trim()))?;
    let value = HeaderValue::from_str(value.trim())
        .map_err(|_| format!("{:?} is not a valid header value", value.trim()))?;
    Ok((name, value))
}

/// A `-X` method: any token, as sent (methods are case-sensitive).
pub fn method(s: &str) -> Result<Method, String> {
    Method::from_bytes(s.as_bytes()).map_err(|_| format!("{s:?} is not a valid method"))
}

/// A time limit in seconds, fractions allowed (`0.5`), above 0.
pub fn seconds(s: &str) -> Result<Duration, String> {
    match s.parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs.is_finite() => {
            Duration::try_from_secs_f64(secs).map_err(|_| format!("{s:?} seconds is too long"))
        }
        _ => Err(format!("invalid time {s:?} (seconds, above 0)")),
    }
}

/// `-C -`: resume from the size of the existing file (the only offset curl users pass
/// with `-o`; an explicit byte offset is not supported).
pub fn continue_at(s: &str) -> Result<bool, String> {
    match s {
        "-" => Ok(true),
        _ => Err(format!(
            "{s:?}: only `-C -` is supported (resume from the size of the existing file)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_default_to_http() {
        assert_eq!(url("localhost:8000/x").unwrap(), "http://localhost:8000/x");
        assert_eq!(url("127.0.0.1").unwrap(), "http://127.0.0.1");
        assert_eq!(url("http://a/").unwrap(), "http://a/");
        assert_eq!(url("https://a/").unwrap(), "https://a/");
        assert!(url("").is_err());
    }

    #[test]
    fn headers() {
        let (n, v) = header("X-Thing:  two words ").unwrap();
        assert_eq!((n.as_str(), v.to_str().unwrap()), ("x-thing", "two words"));
        let (n, v) = header("Accept:").unwrap();
        assert_eq!((n.as_str(), v.as_bytes()), ("accept", &b""[..]));
        assert!(header("no colon").is_err());
        assert!(header("bad name: x").is_err());
        assert!(header("x: a\nb").is_err());
    }

    #[test]
    fn methods_times_and_resume() {
        assert_eq!(method("PURGE").unwrap().as_str(), "PURGE");
        assert!(method("BAD METHOD").is_err());
        assert_eq!(seconds("0.5").unwrap(), Duration::from_millis(500));
        assert_eq!(seconds("3").unwrap(), Duration::from_secs(3));
        for bad in ["0", "-1", "inf", "NaN", "soon"] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
        assert_eq!(continue_at("-"), Ok(true));
        assert!(continue_at("100").is_err());
    }
}
