//! What `miauth completions` and `miauth manpage` print, checked by the programs that read it:
//! bash completes with the script, and mandoc reads the page without a warning.

use assert_cmd::Command;

fn generated(args: &[&str]) -> String {
    let out = Command::cargo_bin("miauth")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}: {out:?}");
    assert!(out.stderr.is_empty(), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_shell_gets_a_completion_script_naming_the_commands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = generated(&["completions", shell]);
        assert!(script.contains("login"), "{shell}: {script}");
        assert!(script.contains("no-callback"), "{shell}");
    }
    Command::cargo_bin("miauth")
        .unwrap()
        .args(["completions", "tcsh"])
        .assert()
        .code(2);
}

/// What bash's completion offers for the command line `words`, the last word being completed.
#[cfg(unix)]
fn bash_completes(script: &std::path::Path, words: &[&str]) -> Vec<String> {
    let line = words.join(" ");
    let program = format!(
        "source \"$1\"\nCOMP_WORDS=({words})\nCOMP_CWORD={cword}\nCOMP_LINE='{line}'\n\
         COMP_POINT=${{#COMP_LINE}}\n_miauth miauth '{cur}' '{prev}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        words = words.join(" "),
        cword = words.len() - 1,
        cur = words[words.len() - 1],
        prev = words[words.len() - 2],
    );
    let out = std::process::Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program, "bash"])
        .arg(script)
        .output()
        .expect("bash runs");
    assert!(out.status.success(), "{out:?}");
    assert!(out.stderr.is_empty(), "bash complained: {out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[cfg(unix)]
#[test]
fn bash_accepts_the_script_and_completes_commands_and_options() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("miauth.bash");
    std::fs::write(&script, generated(&["completions", "bash"])).unwrap();
    assert_eq!(
        bash_completes(&script, &["miauth", "lo"]),
        ["login", "logout"]
    );
    assert_eq!(bash_completes(&script, &["miauth", "logi"]), ["login"]);
    assert_eq!(
        bash_completes(&script, &["miauth", "login", "--no-c"]),
        ["--no-callback"]
    );
}

#[test]
fn the_manual_page_reads_without_a_warning() {
    let page = generated(&["manpage"]);
    assert!(page.contains(".SS \"miauth login\""), "{page}");
    let mandoc = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("mandoc"))
            .find(|p| p.is_file())
    });
    let Some(mandoc) = mandoc else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("mandoc is required in CI (.ci/run installs it)");
        }
        eprintln!(
            "skipping the manual page check: mandoc is not installed (apt-get install mandoc)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("miauth.1");
    std::fs::write(&path, &page).unwrap();
    let lint = std::process::Command::new(&mandoc)
        .args(["-T", "lint", "-W", "warning"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        lint.status.success() && lint.stdout.is_empty() && lint.stderr.is_empty(),
        "mandoc -T lint: {}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    let text = std::process::Command::new(&mandoc)
        .args(["-T", "utf8"])
        .arg(&path)
        .output()
        .unwrap();
    // Bold and underline come as overstrikes (`x\bx`): keep the last character of each.
    let mut plain = String::new();
    for c in String::from_utf8_lossy(&text.stdout).chars() {
        if c == '\u{8}' {
            plain.pop();
        } else {
            plain.push(c);
        }
    }
    let text = plain;
    for command in [
        "login",
        "token",
        "exec",
        "status",
        "logout",
        "switch",
        "completions",
    ] {
        assert!(
            text.contains(&format!("miauth {command}")),
            "{command}: {text}"
        );
    }
}
