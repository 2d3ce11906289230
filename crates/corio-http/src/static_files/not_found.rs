//! What a 404 becomes: the single-page application's index (`--spa`), or the root's
//! `404.html` served with status 404.
//!
//! Both are looked up and planned like any request (beneath the root, same rules), only
//! when the first answer was a 404, so a site without them pays nothing.

use http::header::{HeaderMap, ACCEPT_RANGES, ETAG, LAST_MODIFIED, VARY};
use http::StatusCode;

use super::resolve::Root;
use super::{lookup, plan, FileRequest, Options, Plan, NOT_FOUND_PAGE, SPA_INDEX};

/// What a 404 becomes: with `opts.spa`, the root's [`SPA_INDEX`] (planned for this request,
/// so conditionals, ranges and encodings apply to it); else, with `opts.not_found_page`, the
/// root's [`NOT_FOUND_PAGE`] with status 404 (whole, without validators, ranges or caching
/// headers: it stands for an error, not for a representation of the URL). Any other plan,
/// or a 404 when the page does not exist, is returned unchanged.
pub fn fallback(root: &Root, req: &FileRequest<'_>, planned: Plan, opts: &Options) -> Plan {
    if planned.status() != StatusCode::NOT_FOUND {
        return planned;
    }
    if opts.spa {
        let index = FileRequest {
            path: SPA_INDEX,
            ..*req
        };
        if let spa @ Plan::File { .. } = plan(&index, lookup(root, &index, opts), opts) {
            return spa;
        }
    }
    if opts.not_found_page {
        let no_headers = HeaderMap::new();
        let page = FileRequest {
            path: NOT_FOUND_PAGE,
            query: None,
            headers: &no_headers,
            ..*req
        };
        let page_opts = Options {
            cache_control: None,
            ..opts.clone()
        };
        if let Plan::File {
            path,
            meta,
            file,
            range,
            mut headers,
            body,
            send_body,
            ..
        } = plan(&page, lookup(root, &page, &page_opts), &page_opts)
        {
            for name in [ETAG, LAST_MODIFIED, ACCEPT_RANGES, VARY] {
                headers.remove(name);
            }
            return Plan::File {
                path,
                meta,
                file,
                range,
                status: StatusCode::NOT_FOUND,
                headers,
                body,
                send_body,
            };
        }
    }
    planned
}
