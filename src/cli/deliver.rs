//! Where the token goes once the instance has handed it out: stdout, a file, the `--events`
//! stream, GitHub Actions' step outputs. A token is never dropped: when the chosen place
//! cannot take it, it goes to stdout with an explanation, and the exit code says so.

use std::io::Write;
use std::path::{Path, PathBuf};

use miauth::{Credentials, Error, Format, exit, output};
use serde_json::{Value, json};

use super::report::{Reporter, error_event};

/// Where the result is asked to go.
#[derive(Debug)]
pub(crate) struct Destination {
    pub format: Format,
    pub file: Option<PathBuf>,
    /// The step output name and the `$GITHUB_OUTPUT` file it is appended to.
    pub github_output: Option<(String, PathBuf)>,
}

/// Checks `--github-output NAME` before the login starts: a valid name, and a file to write.
pub(crate) fn github_output(name: &str) -> Result<(String, PathBuf), Error> {
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid {
        return Err(Error::InvalidOption {
            option: "--github-output",
            input: name.to_owned(),
            reason: "an output name is letters, digits, '_' and '-', starting with a letter or '_'"
                .into(),
        });
    }
    match std::env::var_os("GITHUB_OUTPUT") {
        Some(path) if !path.is_empty() => Ok((name.to_owned(), PathBuf::from(path))),
        _ => Err(Error::InvalidOption {
            option: "--github-output",
            input: name.to_owned(),
            reason: "$GITHUB_OUTPUT is not set; this option works inside a GitHub Actions step"
                .into(),
        }),
    }
}

/// Whether this runs as a GitHub Actions step.
pub(crate) fn in_github_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// Delivers the result and returns the exit code. `unkept`: keeping the token (`--save`) failed,
/// already reported; the token is delivered all the same, the exit code is that failure's, and
/// with `--events` the final event is that error with the result in it.
pub(crate) fn deliver(
    reporter: &Reporter,
    credentials: &Credentials,
    to: &Destination,
    unkept: Option<&Error>,
) -> u8 {
    if in_github_actions() {
        // The runner reads workflow commands on stderr too; from now on it hides the token.
        eprintln!("::add-mask::{}", credentials.token.expose());
    }
    let text = output::render(credentials, to.format);
    let mut failure = None;
    if let Some((name, path)) = &to.github_output
        && let Err(e) = append_github_output(path, name, &text)
    {
        failure = Some(e);
    }
    if failure.is_none()
        && let Some(path) = &to.file
    {
        match output::write_atomic(path, &text) {
            Ok(()) => reporter.say(&format!(
                "Wrote the result to {}{}.",
                path.display(),
                if output::OWNER_ONLY {
                    " (owner-only)"
                } else {
                    ""
                }
            )),
            Err(e) => failure = Some(e),
        }
    }
    let elsewhere = to.file.is_some() || to.github_output.is_some();
    let done = unkept.map_or(exit::SUCCESS, Error::exit_code);
    match failure {
        None if reporter.events() => {
            let mut result = success_json(credentials);
            if elsewhere {
                result.as_object_mut().map(|o| o.remove("token"));
                result["output"] =
                    json!(to.file.as_deref().map(Path::display).map(|p| p.to_string()));
                result["github_output"] = json!(to.github_output.as_ref().map(|(name, _)| name));
            }
            let event = match unkept {
                Some(e) => {
                    let mut event = error_event(e, done);
                    event["result"] = result;
                    event
                }
                None => result,
            };
            match reporter.finish(Some(event)) {
                Ok(()) => done,
                Err(e) => stdout_failed(reporter, &e),
            }
        }
        None if elsewhere => {
            let _ = reporter.finish(None);
            done
        }
        None => {
            let _ = reporter.finish(None);
            match write_stdout(&text) {
                Ok(()) => done,
                Err(e) => stdout_failed(reporter, &e),
            }
        }
        Some(e) => rescue(reporter, credentials, &text, &e),
    }
}

/// stdout took nothing (a closed pipe, say): the token could not be delivered; say so.
fn stdout_failed(reporter: &Reporter, e: &std::io::Error) -> u8 {
    let e = Error::WriteOutput {
        path: "standard output".into(),
        reason: e.to_string(),
    };
    reporter.error(&e);
    e.exit_code()
}

/// The chosen place failed after the token was handed out: deliver it on stdout instead.
fn rescue(reporter: &Reporter, credentials: &Credentials, text: &str, e: &Error) -> u8 {
    reporter.error(e);
    reporter.say_always(
        "miauth: the result goes to standard output instead, so the token is not lost.",
    );
    let code = e.exit_code();
    if reporter.events() {
        let mut event = error_event(e, code);
        event["result"] = success_json(credentials);
        if let Err(e) = reporter.finish(Some(event)) {
            reporter.say_always(&format!(
                "miauth: error: cannot write to standard output either: {e}"
            ));
        }
    } else {
        let _ = reporter.finish(None);
        if let Err(e) = write_stdout(text) {
            reporter.say_always(&format!(
                "miauth: error: cannot write to standard output either: {e}"
            ));
        }
    }
    code
}

fn success_json(credentials: &Credentials) -> Value {
    let mut value: Value = serde_json::from_str(&output::render(credentials, Format::Json))
        .unwrap_or_else(|_| json!({}));
    if let Some(object) = value.as_object_mut() {
        let mut with_event = serde_json::Map::new();
        with_event.insert("event".into(), json!("success"));
        with_event.extend(std::mem::take(object));
        *object = with_event;
    }
    value
}

/// Appends `name<<DELIMITER\nvalue\nDELIMITER` to `$GITHUB_OUTPUT`, safe for any value.
fn append_github_output(path: &Path, name: &str, text: &str) -> Result<(), Error> {
    let fail = |reason: String| Error::WriteOutput {
        path: path.to_owned(),
        reason,
    };
    let delimiter = loop {
        let candidate = format!("ghadelimiter_{}", uuid::Uuid::new_v4().simple());
        if !text.contains(&candidate) {
            break candidate;
        }
    };
    let value = text.strip_suffix('\n').unwrap_or(text);
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| fail(e.to_string()))?;
    write!(file, "{name}<<{delimiter}\n{value}\n{delimiter}\n")
        .and_then(|()| file.flush())
        .map_err(|e| fail(e.to_string()))
}

pub(crate) fn write_stdout(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_output_is_a_heredoc_with_a_fresh_delimiter() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        std::fs::write(&path, "earlier=1\n").unwrap();
        append_github_output(&path, "token", "line one\nline two\n").unwrap();
        let written = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<_> = written.lines().collect();
        assert_eq!(lines[0], "earlier=1");
        let delimiter = lines[1].strip_prefix("token<<").unwrap();
        assert!(delimiter.starts_with("ghadelimiter_"));
        assert_eq!(&lines[2..], ["line one", "line two", delimiter]);
    }

    #[test]
    fn output_names_are_checked() {
        for bad in ["", "9lives", "a b", "tok=en"] {
            let e = github_output(bad).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}");
        }
    }
}
