//! The command examples of README.md and the guides in docs/ run as written: every
//! ```` ```console ```` block is a `$ miauth …` line followed by what miauth prints (stdout and
//! stderr as one stream, as a terminal shows them), and trycmd runs each one and compares.
//! `[..]` stands for the part of a line that changes from run to run (a port, a token, a time),
//! `...` for lines left out, `? N` for an exit code other than 0. Examples that need a real
//! instance are `sh` blocks, or ```` ```console,ignore ```` blocks under a line saying so; the
//! second test keeps those the only ones skipped. The third keeps every Rust block of a guide
//! compiled: it is one of README.md's doctests or a whole program of examples/.

use std::path::{Path, PathBuf};

/// The documents whose examples are checked: README.md and every guide in docs/.
fn documents() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    docs.sort();
    docs.insert(0, root.join("README.md"));
    docs
}

/// A fenced code block of a document: its info string and the line it starts on.
struct Block {
    info: String,
    line: usize,
    text: String,
}

/// The fenced code blocks of `markdown`, in order.
fn blocks(markdown: &str) -> Vec<Block> {
    let mut found = Vec::new();
    let mut open: Option<(String, Block)> = None;
    for (number, line) in markdown.lines().enumerate() {
        let ticks = line.chars().take_while(|&c| c == '`').count();
        match open.take() {
            Some((fence, block)) if line.trim_end() == fence => found.push(block),
            Some((fence, mut block)) => {
                block.text.push_str(line);
                block.text.push('\n');
                open = Some((fence, block));
            }
            None if ticks >= 3 => {
                let block = Block {
                    info: line[ticks..].trim().to_owned(),
                    line: number + 1,
                    text: String::new(),
                };
                open = Some((line[..ticks].to_owned(), block));
            }
            None => {}
        }
    }
    found
}

/// What the person or the CI runner running the tests may have set that would change what
/// miauth prints; the documented runs see none of it, as the other integration tests do not.
const NOT_INHERITED: &[&str] = &[
    "BROWSER",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "GITHUB_ACTIONS",
    "GITHUB_OUTPUT",
    "TF_BUILD",
    "MISSKEY_URL",
    "MISSKEY_TOKEN",
    "MIAUTH_STORE",
    "MIAUTH_KEYRING_TIMEOUT",
    "NO_COLOR",
    "COLORFGBG",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
];

#[test]
fn every_offline_example_in_the_docs_prints_what_the_docs_show() {
    // trycmd can add variables to the commands it runs but not remove any, and a variable set
    // for all of them would override one an example sets itself (`MISSKEY_TOKEN=… miauth …`).
    // So the examples run in a copy of this test binary whose own environment is the clean one.
    let config = tempfile::tempdir().unwrap();
    let mut copy = std::process::Command::new(std::env::current_exe().unwrap());
    copy.args([
        "documented::console_blocks_in_a_clean_environment",
        "--exact",
        "--ignored",
        "--nocapture",
    ])
    .env("CI", "true")
    .env("MIAUTH_CONFIG_DIR", config.path());
    for name in NOT_INHERITED {
        copy.env_remove(name);
    }
    let run = copy.output().unwrap();
    assert!(
        run.status.success() && String::from_utf8_lossy(&run.stdout).contains("1 passed"),
        "a documented example does not print what the docs show:\n{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
#[ignore = "run by every_offline_example_in_the_docs_prints_what_the_docs_show, which sets up its \
            environment"]
fn console_blocks_in_a_clean_environment() {
    let cases = trycmd::TestCases::new();
    cases
        .register_bin("miauth", trycmd::cargo::cargo_bin!("miauth"))
        .timeout(std::time::Duration::from_secs(60));
    for document in documents() {
        cases.case(document);
    }
    cases.run();
}

#[test]
fn only_examples_that_need_a_real_instance_are_skipped() {
    let mut run = 0;
    for document in documents() {
        let text = std::fs::read_to_string(&document).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for block in blocks(&text) {
            let place = format!("{}:{}", document.display(), block.line);
            // rustdoc reads a block without a language as Rust, trycmd as a console session.
            assert!(
                !block.info.is_empty(),
                "{place}: a code block needs a language"
            );
            let mut info = block.info.split(',');
            if info.next() != Some("console") {
                assert!(
                    !block.text.lines().any(|l| l.starts_with("$ miauth")),
                    "{place}: a `$ miauth` example belongs in a console block, where it runs"
                );
                continue;
            }
            if info.any(|attribute| attribute == "ignore") {
                let above = lines[..block.line - 1]
                    .iter()
                    .rev()
                    .find(|line| !line.trim().is_empty())
                    .unwrap_or(&"");
                assert!(
                    above.contains("needs a real instance"),
                    "{place}: a console block is skipped only with a note that it needs a real \
                     instance on the line above it"
                );
            } else {
                run += block.text.lines().filter(|l| l.starts_with("$ ")).count();
            }
        }
    }
    assert!(run > 0, "no documented command runs");
}

#[test]
fn every_rust_block_of_a_guide_is_compiled() {
    // README's blocks are doctests (src/lib.rs includes README.md); a guide's block must be one
    // of them, or a whole program of examples/, which `cargo test` builds.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rust = |path: &Path| -> Vec<Block> {
        blocks(&std::fs::read_to_string(path).unwrap())
            .into_iter()
            .filter(|block| block.info.split(',').next() == Some("rust"))
            .collect()
    };
    let mut compiled: Vec<String> = rust(&root.join("README.md"))
        .into_iter()
        .map(|block| block.text)
        .collect();
    for entry in std::fs::read_dir(root.join("examples")).unwrap() {
        compiled.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    for document in documents().iter().skip(1) {
        for block in rust(document) {
            assert!(
                compiled.contains(&block.text),
                "{}:{}: a Rust block of a guide must be one of README.md's (a doctest) or a whole \
                 file of examples/",
                document.display(),
                block.line
            );
        }
    }
}
