//! The result of a login as text, and the atomic file it may be written to.
//!
//! This is where the token leaves its secret type: [`render`] is the one place that exposes it
//! for output. [`write_atomic`] writes to a temporary file beside the target (created owner-only
//! on Unix) and renames it into place, so the target is either the old file or the complete new
//! one. On Windows the file takes the permissions its folder hands down (under `%APPDATA%`, the
//! user's own); its mode means nothing there, so nothing owner-only is claimed.

use std::io::Write;
use std::path::Path;
#[cfg(any(windows, test))]
use std::time::Duration;

use serde_json::json;

use crate::{Credentials, Error};

/// How the result is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Format {
    /// The token and a newline.
    #[default]
    Token,
    /// One JSON object: token, instance, user, permissions.
    Json,
    /// `MISSKEY_URL=...` and `MISSKEY_TOKEN=...` lines, for `source` or `--env-file`.
    Env,
}

/// The text to deliver. It holds the token: send it only to the chosen output.
pub fn render(credentials: &Credentials, format: Format) -> String {
    let token = credentials.token.expose();
    match format {
        Format::Token => format!("{token}\n"),
        Format::Json => {
            let user = &credentials.user;
            let value = json!({
                "token": token,
                "instance": credentials.instance.origin(),
                "user": {
                    "id": user.id,
                    "username": user.username,
                    "host": user.host,
                    "name": user.name,
                },
                "permissions": credentials.permissions.names(),
            });
            format!("{value}\n")
        }
        Format::Env => format!(
            "MISSKEY_URL={}\nMISSKEY_TOKEN={}\n",
            shell_quote(&credentials.instance.origin()),
            shell_quote(token)
        ),
    }
}

/// Quotes a value for a POSIX shell only when it needs it.
fn shell_quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~:/@%+=,".contains(c));
    if plain {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

/// Whether a written file is readable by its owner only: on Unix, by its mode.
pub const OWNER_ONLY: bool = cfg!(unix);

/// Writes `contents` to `path` atomically; on Unix, readable and writable by the owner only.
pub fn write_atomic(path: &Path, contents: &str) -> Result<(), Error> {
    let fail = |reason: String| Error::WriteOutput {
        path: path.to_owned(),
        reason,
    };
    // The temporary file's name says nothing useful; the OS error does.
    let describe = |e: std::io::Error| match e.raw_os_error() {
        Some(code) => std::io::Error::from_raw_os_error(code).to_string(),
        None => e.kind().to_string(),
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if path.is_dir() {
        return Err(fail("it is a directory".into()));
    }
    let mut tmp = private_temp_in(dir).map_err(|e| fail(describe(e)))?;
    tmp.write_all(contents.as_bytes())
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| fail(describe(e)))?;
    replace(tmp, path).map_err(|e| fail(describe(e)))
}

/// Renames the temporary file over `path`.
#[cfg(not(windows))]
fn replace(tmp: tempfile::NamedTempFile, path: &Path) -> std::io::Result<()> {
    tmp.persist(path).map(drop).map_err(|e| e.error)
}

/// Renames the temporary file over `path`. On Windows a file another program holds open (an
/// editor, a virus scanner, a backup) cannot be replaced until it lets go, which is usually
/// a moment: the rename is tried again a few times, for about a second in all.
#[cfg(windows)]
fn replace(tmp: tempfile::NamedTempFile, path: &Path) -> std::io::Result<()> {
    retry_while_held(
        tmp,
        |tmp| tmp.persist(path).map(drop).map_err(|e| (e.error, e.file)),
        std::thread::sleep,
    )
}

/// Runs `attempt` until it succeeds, fails otherwise than with "permission denied" (what
/// Windows says of a file held open), or the short backoff runs out.
#[cfg(any(windows, test))]
fn retry_while_held<T>(
    mut item: T,
    mut attempt: impl FnMut(T) -> Result<(), (std::io::Error, T)>,
    sleep: impl Fn(Duration),
) -> std::io::Result<()> {
    use backon::BackoffBuilder;
    let mut delays = backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(20))
        .with_max_delay(Duration::from_millis(300))
        .with_max_times(6)
        .build();
    loop {
        match attempt(item) {
            Ok(()) => return Ok(()),
            Err((e, back)) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                match delays.next() {
                    Some(delay) => sleep(delay),
                    None => return Err(e),
                }
                item = back;
            }
            Err((e, _)) => return Err(e),
        }
    }
}

/// A new temporary file in `dir`, owner-only from its creation, before a byte is in it, and
/// whatever the umask; renaming it over the target replaces the target whole.
fn private_temp_in(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".miauth-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o600));
    }
    builder.tempfile_in(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AccessToken, Instance, Permissions, User};

    fn credentials() -> Credentials {
        Credentials {
            token: AccessToken::new("8YE0sR5HGREPjcRkUQ0d0SPMi1pHZnsW"),
            user: User {
                id: "au4joo606jd40003".into(),
                username: "admin".into(),
                host: None,
                name: Some("Ad Min".into()),
                avatar_url: None,
            },
            instance: Instance::parse("http://127.0.0.1:3000").unwrap(),
            permissions: Permissions::parse(["read:account,write:notes"]).unwrap(),
            verified: true,
        }
    }

    #[test]
    fn token_format_is_the_token_and_a_newline() {
        assert_eq!(
            render(&credentials(), Format::Token),
            "8YE0sR5HGREPjcRkUQ0d0SPMi1pHZnsW\n"
        );
    }

    #[test]
    fn json_format_has_the_documented_fields() {
        let text = render(&credentials(), Format::Json);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v,
            json!({
                "token": "8YE0sR5HGREPjcRkUQ0d0SPMi1pHZnsW",
                "instance": "http://127.0.0.1:3000",
                "user": {"id": "au4joo606jd40003", "username": "admin", "host": null, "name": "Ad Min"},
                "permissions": ["read:account", "write:notes"],
            })
        );
    }

    #[test]
    fn env_format_quotes_only_what_needs_it() {
        assert_eq!(
            render(&credentials(), Format::Env),
            "MISSKEY_URL=http://127.0.0.1:3000\nMISSKEY_TOKEN=8YE0sR5HGREPjcRkUQ0d0SPMi1pHZnsW\n"
        );
        assert_eq!(shell_quote("a b'c"), r"'a b'\''c'");
        assert_eq!(shell_quote("$(rm)"), "'$(rm)'");
    }

    #[cfg(unix)]
    #[test]
    fn written_file_is_owner_only_and_replaces_the_old_one_whole() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_atomic(&path, "new\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file is left behind");
    }

    #[cfg(unix)]
    #[test]
    fn the_new_file_is_owner_only_before_anything_is_written_to_it() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let tmp = private_temp_in(dir.path()).unwrap();
        assert_eq!(tmp.as_file().metadata().unwrap().len(), 0);
        let mode = tmp.as_file().metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn replacing_leaves_the_old_file_whole_for_its_readers_and_links() {
        use std::io::Read;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        let link = dir.path().join("hard-link");
        std::fs::write(&path, "old token\n").unwrap();
        std::fs::hard_link(&path, &link).unwrap();
        let mut reader = std::fs::File::open(&path).unwrap();
        write_atomic(&path, "new token\n").unwrap();
        let mut seen = String::new();
        reader.read_to_string(&mut seen).unwrap();
        assert_eq!(
            seen, "old token\n",
            "a reader of the old file sees it whole"
        );
        assert_eq!(std::fs::read_to_string(&link).unwrap(), "old token\n");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new token\n");
    }

    #[test]
    fn a_file_held_open_is_tried_again_briefly_and_other_errors_are_not() {
        use std::cell::{Cell, RefCell};
        use std::io::{Error, ErrorKind};
        let held = |times: usize| {
            let tries = Cell::new(0);
            let slept = RefCell::new(Vec::new());
            let result = retry_while_held(
                (),
                |()| {
                    tries.set(tries.get() + 1);
                    if tries.get() <= times {
                        Err((Error::from(ErrorKind::PermissionDenied), ()))
                    } else {
                        Ok(())
                    }
                },
                |d| slept.borrow_mut().push(d),
            );
            (
                result.map_err(|e| e.kind()),
                tries.get(),
                slept.into_inner(),
            )
        };
        let (result, tries, slept) = held(2);
        assert_eq!((result, tries, slept.len()), (Ok(()), 3, 2));
        let (result, tries, slept) = held(usize::MAX);
        assert_eq!(result, Err(ErrorKind::PermissionDenied));
        assert_eq!(tries, 7, "six retries, then the error");
        assert!(
            slept.iter().sum::<Duration>() < Duration::from_secs(3),
            "{slept:?}"
        );

        let mut tries = 0;
        let result = retry_while_held(
            (),
            |()| {
                tries += 1;
                Err((Error::from(ErrorKind::NotFound), ()))
            },
            |_| panic!("no wait for an error a retry cannot fix"),
        );
        assert_eq!(result.unwrap_err().kind(), ErrorKind::NotFound);
        assert_eq!(tries, 1);
    }

    #[test]
    fn a_missing_directory_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("token");
        let e = write_atomic(&path, "x").unwrap_err();
        assert_eq!(e.exit_code(), 5);
        assert!(e.to_string().starts_with("cannot write "), "{e}");
        assert!(e.to_string().contains("missing"), "{e}");
        assert!(
            !e.to_string().contains(".miauth-"),
            "no temporary name: {e}"
        );
    }
}
