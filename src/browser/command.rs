//! `$BROWSER` read as Python's webbrowser reads it: a list of commands, each a program with its
//! arguments and `%s` for the URL, split into words the way the system splits a command line
//! ([`Syntax`]), and the first that starts is run.

use std::process::{Child, Command, Stdio};

/// One command `$BROWSER` names: a program and its arguments, the URL already in them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserCommand {
    /// The program to run, found on `PATH` unless it is a path.
    pub program: String,
    /// Its arguments, in order.
    pub args: Vec<String>,
}

/// How a system reads `$BROWSER`: the separator of its list, and how a command line in it is
/// split into words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// Unix: entries separated by `:`, command lines split as a POSIX shell does (quotes group,
    /// a backslash escapes).
    Unix,
    /// Windows: entries separated by `;`, command lines split as Windows programs split their
    /// own (`CommandLineToArgvW`): double quotes group, backslashes are literal except before a
    /// double quote, so `C:\Tools\node.exe C:\x\open.js` is a program and an argument.
    Windows,
}

impl Syntax {
    /// How this system reads `$BROWSER`.
    pub fn current() -> Syntax {
        if cfg!(windows) {
            Syntax::Windows
        } else {
            Syntax::Unix
        }
    }

    fn separator(self) -> char {
        match self {
            Syntax::Unix => ':',
            Syntax::Windows => ';',
        }
    }

    fn split(self, line: &str) -> Result<Vec<String>, String> {
        match self {
            Syntax::Unix => {
                shell_words::split(line).map_err(|e| format!("cannot parse $BROWSER: {e}"))
            }
            Syntax::Windows => Ok(split_windows(line)),
        }
    }
}

/// Splits a command line into words as `CommandLineToArgvW` does. The program (the first word)
/// runs to the closing double quote when it starts with one, else to the first white space, and
/// its backslashes are all literal. In the arguments, double quotes group (and `""` inside them
/// is a literal one), 2n backslashes before a double quote are n backslashes and the quote
/// groups, 2n+1 are n and a literal quote, and any other backslash is itself.
fn split_windows(line: &str) -> Vec<String> {
    let mut chars = line.trim_start_matches([' ', '\t']).chars().peekable();
    let mut program = String::new();
    if chars.next_if_eq(&'"').is_some() {
        program.extend(chars.by_ref().take_while(|c| *c != '"'));
    } else {
        while let Some(c) = chars.next_if(|c| *c != ' ' && *c != '\t') {
            program.push(c);
        }
    }
    let mut words = vec![program];
    let (mut word, mut in_word, mut quoted) = (String::new(), false, false);
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' if !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\\' => {
                let mut run = 1;
                while chars.next_if_eq(&'\\').is_some() {
                    run += 1;
                }
                let before_quote = chars.peek() == Some(&'"');
                let kept = if before_quote { run / 2 } else { run };
                word.extend(std::iter::repeat_n('\\', kept));
                if before_quote && run % 2 == 1 {
                    chars.next();
                    word.push('"');
                }
                in_word = true;
            }
            '"' => {
                if quoted && chars.next_if_eq(&'"').is_some() {
                    word.push('"');
                } else {
                    quoted = !quoted;
                }
                in_word = true;
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// The commands `$BROWSER` names, in the order to try them, each with `url` in place.
///
/// The value is a list separated as `syntax` says (like `PATH`, as Python's webbrowser reads
/// it). An entry with `%s` is a command line, split into words as `syntax` says, with `%s`
/// replaced by the URL. Any other entry gets the URL as its last argument, and is taken as a
/// program whole when it names an existing file (`is_file`), so an unquoted Windows path with
/// spaces (`C:\Program Files\Mozilla Firefox\firefox.exe`) works; a single word is taken as it
/// is (no shell escapes to undo in `C:\Tools\browser.exe`); otherwise it is a command line too
/// (`firefox --new-window`).
pub fn browser_commands(
    value: &str,
    syntax: Syntax,
    is_file: &dyn Fn(&str) -> bool,
    url: &str,
) -> Result<Vec<BrowserCommand>, String> {
    let mut commands = Vec::new();
    for entry in value.split(syntax.separator()).map(str::trim) {
        if entry.is_empty() {
            continue;
        }
        let single_word = !entry.contains(char::is_whitespace) && !entry.contains(['"', '\'']);
        if !entry.contains("%s") && (single_word || is_file(entry)) {
            commands.push(BrowserCommand {
                program: entry.to_owned(),
                args: vec![url.to_owned()],
            });
            continue;
        }
        let words = syntax.split(entry)?;
        let Some((program, args)) = words.split_first().filter(|(p, _)| !p.is_empty()) else {
            continue;
        };
        let mut args = args.to_vec();
        if args.iter().any(|a| a.contains("%s")) {
            for a in &mut args {
                *a = a.replace("%s", url);
            }
        } else {
            args.push(url.to_owned());
        }
        commands.push(BrowserCommand {
            program: program.clone(),
            args,
        });
    }
    if commands.is_empty() {
        return Err("$BROWSER names no command".into());
    }
    Ok(commands)
}

/// Runs the first command of `$BROWSER` that starts. The command's output is discarded so it
/// cannot mix with miauth's; it is not waited for.
pub(super) fn run_browser_command(value: &str, url: &str) -> Result<(), String> {
    let is_file = |path: &str| std::path::Path::new(path).is_file();
    let mut failure = String::new();
    for command in browser_commands(value, Syntax::current(), &is_file, url)? {
        match spawn(&command) {
            Ok(mut child) => {
                // Reap the child whenever it ends, without making the login wait for it.
                std::thread::spawn(move || {
                    let _ = child.wait();
                });
                return Ok(());
            }
            Err(e) => failure = format!("cannot run $BROWSER ({}): {e}", command.program),
        }
    }
    Err(failure)
}

fn spawn(command: &BrowserCommand) -> std::io::Result<Child> {
    Command::new(&command.program)
        .args(&command.args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://misskey.io/miauth/x?name=a%20b";

    fn command(program: &str, args: &[&str]) -> BrowserCommand {
        BrowserCommand {
            program: program.to_owned(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
        }
    }

    fn parse(value: &str, syntax: Syntax, files: &[&str]) -> Vec<BrowserCommand> {
        browser_commands(value, syntax, &|p| files.contains(&p), URL).unwrap()
    }

    #[test]
    fn a_browser_command_gets_the_url_as_its_last_argument() {
        assert_eq!(
            parse("firefox", Syntax::Unix, &[]),
            [command("firefox", &[URL])]
        );
        assert_eq!(
            parse("firefox --new-window", Syntax::Unix, &[]),
            [command("firefox", &["--new-window", URL])]
        );
    }

    #[test]
    fn percent_s_is_replaced_by_the_url_instead() {
        assert_eq!(
            parse("chromium --app=%s --incognito", Syntax::Unix, &[]),
            [command(
                "chromium",
                &[&format!("--app={URL}"), "--incognito"]
            )]
        );
        assert_eq!(
            parse(
                r#""C:\Program Files\Firefox\firefox.exe" -new-tab %s"#,
                Syntax::Windows,
                &[]
            ),
            [command(
                r"C:\Program Files\Firefox\firefox.exe",
                &["-new-tab", URL]
            )]
        );
    }

    #[test]
    fn an_unquoted_windows_path_with_spaces_is_one_program() {
        let path = r"C:\Program Files\Mozilla Firefox\firefox.exe";
        assert_eq!(
            parse(path, Syntax::Windows, &[path]),
            [command(path, &[URL])]
        );
        // A single word keeps its backslashes, whether the file exists or not.
        assert_eq!(
            parse(r"C:\Tools\browser.exe", Syntax::Windows, &[]),
            [command(r"C:\Tools\browser.exe", &[URL])]
        );
    }

    #[test]
    fn on_windows_a_program_with_arguments_keeps_its_backslashes() {
        // A Windows path and an argument: shell rules would drop the backslashes
        // (C:Toolsnode.exe); Windows rules keep them.
        assert_eq!(
            parse(r"C:\Tools\node.exe C:\x\open.js", Syntax::Windows, &[]),
            [command(r"C:\Tools\node.exe", &[r"C:\x\open.js", URL])]
        );
        assert_eq!(
            parse(
                r#""C:\Program Files\nodejs\node.exe" "C:\my scripts\open.js" %s"#,
                Syntax::Windows,
                &[]
            ),
            [command(
                r"C:\Program Files\nodejs\node.exe",
                &[r"C:\my scripts\open.js", URL]
            )]
        );
        // On Unix a backslash escapes, as in a shell.
        assert_eq!(
            parse(r"open /tmp/a\ b.html", Syntax::Unix, &[]),
            [command("open", &["/tmp/a b.html", URL])]
        );
    }

    #[test]
    fn windows_rules_split_as_command_line_to_argv_does() {
        let split = |line: &str| split_windows(line);
        // The program: backslashes literal, quotes only around it.
        assert_eq!(split(r#"C:\a\b.exe x"#), [r"C:\a\b.exe", "x"]);
        assert_eq!(split(r#""C:\a b\c.exe"  x"#), [r"C:\a b\c.exe", "x"]);
        // Arguments: quotes group; backslashes are literal except before a quote.
        assert_eq!(split(r#"p "a b" c\d"#), ["p", "a b", r"c\d"]);
        assert_eq!(split(r#"p a\\"b c" d"#), ["p", r"a\b c", "d"]);
        assert_eq!(split(r#"p a\"b"#), ["p", r#"a"b"#]);
        assert_eq!(split(r#"p a\\\"b"#), ["p", r#"a\"b"#]);
        assert_eq!(split(r#"p "a""b""#), ["p", r#"a"b"#]);
        assert_eq!(split(r#"p "" x"#), ["p", "", "x"]);
        // Single quotes mean nothing; an unclosed double quote runs to the end.
        assert_eq!(split("p 'a b'"), ["p", "'a", "b'"]);
        assert_eq!(split(r#"p "a b"#), ["p", "a b"]);
    }

    #[test]
    fn entries_separated_like_path_are_tried_in_order() {
        assert_eq!(
            parse("wslview:firefox %s::", Syntax::Unix, &[]),
            [command("wslview", &[URL]), command("firefox", &[URL])]
        );
        assert_eq!(
            parse(
                r"C:\Program Files\A\a.exe;b.exe",
                Syntax::Windows,
                &[r"C:\Program Files\A\a.exe"]
            ),
            [
                command(r"C:\Program Files\A\a.exe", &[URL]),
                command("b.exe", &[URL])
            ]
        );
    }

    #[test]
    fn a_browser_value_naming_nothing_or_unbalanced_is_refused() {
        assert!(browser_commands(" : ", Syntax::Unix, &|_| false, URL).is_err());
        let e = browser_commands("firefox 'unclosed", Syntax::Unix, &|_| false, URL).unwrap_err();
        assert!(e.contains("cannot parse $BROWSER"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn the_browser_command_runs_with_the_url() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("args");
        let script = dir.path().join("fake browser");
        std::fs::write(
            &script,
            format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n", out.display()),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        // A path with a space, unquoted: found as a file.
        let value = script.display().to_string();
        let is_file = |p: &str| std::path::Path::new(p).is_file();
        let commands = browser_commands(&value, Syntax::Unix, &is_file, URL).unwrap();
        let status = spawn(&commands[0]).unwrap().wait().unwrap();
        assert!(status.success());
        assert_eq!(std::fs::read_to_string(&out).unwrap(), format!("{URL}\n"));
    }

    #[cfg(unix)]
    #[test]
    fn a_missing_browser_command_is_reported_after_the_others_failed() {
        let e = run_browser_command("/nonexistent/a:/nonexistent/browser", URL).unwrap_err();
        assert!(
            e.contains("cannot run $BROWSER (/nonexistent/browser)"),
            "{e}"
        );
    }
}
