//! HTML pages, rendered from `templates/` with escaping, compiled into the binary.
//!
//! Shared by the loopback callback server and the fake instance. Pages are self-contained (no
//! external resources) and say what happened and what to do next in one sentence.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A page that tells one outcome: a badge, a heading, a few lines and the next step.
#[derive(Template)]
#[template(path = "message.html")]
pub(crate) struct MessagePage {
    pub title: String,
    pub tone: Tone,
    pub badge: &'static str,
    pub lines: Vec<String>,
    pub next_step: String,
    pub footer: &'static str,
}

/// The colour a page's badge takes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Tone {
    Ok,
    Bad,
    Info,
}

impl Tone {
    /// The sign in the page's round icon.
    pub fn symbol(&self) -> &'static str {
        match self {
            Tone::Ok => "✓",
            Tone::Bad => "!",
            Tone::Info => "i",
        }
    }
}

impl std::fmt::Display for Tone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Tone::Ok => "ok",
            Tone::Bad => "bad",
            Tone::Info => "info",
        })
    }
}

/// Renders `page` as an HTML response; a template failure becomes a bare 500 that leaks nothing.
pub(crate) fn html(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "page template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        let page = MessagePage {
            title: "<script>alert(1)</script>".into(),
            tone: Tone::Bad,
            badge: "Failed",
            lines: vec!["a & b".into()],
            next_step: "\"quoted\"".into(),
            footer: "miauth",
        };
        let body = page.render().unwrap();
        assert!(!body.contains("<script>"));
        assert!(body.contains("&#60;script&#62;"), "{body}");
        assert!(
            body.contains("a &#38; b") || body.contains("a &amp; b"),
            "{body}"
        );
        assert!(body.contains("lang=\"en\""));
    }
}
