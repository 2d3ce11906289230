//! `--warc FILE`: every fetch as a WARC 1.1 `request` and `response` record pair, written by
//! the warc crate (which defaults to WARC/1.0, so the version is set on every record).
//!
//! Invariants: the file starts with a `warcinfo` record; a response record holds the status
//! line, the header fields as received and the body as decoded, so a `Transfer-Encoding`
//! field is dropped and `Content-Length` states the body recorded; a body cut at the size
//! limit is marked `WARC-Truncated: length`; the request record (a reconstruction of the
//! request head: method, target, Host and User-Agent) refers to its response through
//! `WARC-Concurrent-To`.

use std::cell::RefCell;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use http::{HeaderMap, StatusCode, Version};
use url::Url;
use warc::{
    BufferedBody, Record, RecordBuilder, RecordType, TruncatedType, WarcHeader, WarcWriter,
};

/// The WARC version written.
pub const VERSION: &str = "1.1";

/// An open WARC file.
pub struct Warc {
    /// `None` once finished.
    writer: RefCell<Option<WarcWriter<BufWriter<File>>>>,
}

/// One exchange to record.
pub struct Exchange<'a> {
    /// The URL fetched.
    pub url: &'a Url,
    /// The User-Agent sent.
    pub user_agent: &'a str,
    /// The response status.
    pub status: StatusCode,
    /// The response version.
    pub version: Version,
    /// The response header fields.
    pub headers: &'a HeaderMap,
    /// The (decoded) body.
    pub body: &'a [u8],
    /// Whether `body` was cut short at the size limit.
    pub truncated: bool,
}

fn record(kind: RecordType) -> RecordBuilder {
    RecordBuilder::default()
        .version(VERSION.to_owned())
        .warc_type(kind)
}

fn build(b: RecordBuilder) -> std::io::Result<Record<BufferedBody>> {
    b.build().map_err(|e| std::io::Error::other(e.to_string()))
}

impl Warc {
    /// Creates `path` and writes its `warcinfo` record.
    pub fn create(path: &Path) -> std::io::Result<Warc> {
        let mut writer = WarcWriter::new(BufWriter::new(File::create(path)?));
        let info = format!(
            "software: corio/{}\r\nformat: WARC File Format 1.1\r\n",
            env!("CARGO_PKG_VERSION")
        );
        let filename = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        writer.write(&build(
            record(RecordType::WarcInfo)
                .header(WarcHeader::Filename, filename)
                .header(WarcHeader::ContentType, "application/warc-fields")
                .body(info.into_bytes()),
        )?)?;
        Ok(Warc {
            writer: RefCell::new(Some(writer)),
        })
    }

    /// Writes the request and response records of one fetch.
    pub fn write(&self, x: &Exchange<'_>) -> std::io::Result<()> {
        let mut target = x.url.path().to_owned();
        if let Some(q) = x.url.query() {
            target.push('?');
            target.push_str(q);
        }
        let host = match x.url.port() {
            Some(p) => format!("{}:{p}", x.url.host_str().unwrap_or("")),
            None => x.url.host_str().unwrap_or("").to_owned(),
        };
        let request = format!(
            "GET {target} HTTP/1.1\r\nhost: {host}\r\nuser-agent: {}\r\n\r\n",
            x.user_agent
        );
        let mut head = format!(
            "{:?} {} {}\r\n",
            x.version,
            x.status.as_str(),
            x.status.canonical_reason().unwrap_or("")
        )
        .into_bytes();
        for (name, value) in x.headers {
            if name == http::header::TRANSFER_ENCODING || name == http::header::CONTENT_LENGTH {
                continue;
            }
            head.extend_from_slice(name.as_str().as_bytes());
            head.extend_from_slice(b": ");
            head.extend_from_slice(value.as_bytes());
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(format!("content-length: {}\r\n\r\n", x.body.len()).as_bytes());
        head.extend_from_slice(x.body);
        let mut response = record(RecordType::Response)
            .header(WarcHeader::TargetURI, x.url.as_str())
            .header(WarcHeader::ContentType, "application/http;msgtype=response")
            .body(head);
        if x.truncated {
            response = response.truncated_type(TruncatedType::Length);
        }
        let response = build(response)?;
        let request = build(
            record(RecordType::Request)
                .header(WarcHeader::TargetURI, x.url.as_str())
                .header(WarcHeader::ContentType, "application/http;msgtype=request")
                .header(WarcHeader::ConcurrentTo, response.warc_id())
                .body(request.into_bytes()),
        )?;
        let mut w = self.writer.borrow_mut();
        let w = w
            .as_mut()
            .ok_or_else(|| std::io::Error::other("WARC file already finished"))?;
        w.write(&request)?;
        w.write(&response)?;
        Ok(())
    }

    /// Flushes the file to disk; later writes fail.
    pub fn finish(&self) -> std::io::Result<()> {
        match self.writer.borrow_mut().take() {
            Some(writer) => {
                let mut file = writer.into_inner().map_err(|e| e.into_error())?;
                file.flush()?;
                file.sync_data()
            }
            None => Ok(()),
        }
    }
}
