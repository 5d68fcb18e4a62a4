//! The contract in machine-readable form: the JSON Schemas in docs/schema/ against the real
//! output of the `miauth` binary, for every outcome a program meets (success, denial, the
//! deadline, an instance's failure, an interruption), plus `logout`, `revoke` and `status`.
//! The schemas are closed, so a renamed field fails here: `renamed.rs` proves it on real
//! output. `documents.rs` checks the files themselves, `outcomes.rs` the real output of each
//! outcome. The schemas are compiled into this binary (`include_str!`), so no path is read at
//! run time, under Wine as elsewhere, and no network is asked: the draft 2020-12 metaschema is
//! built into the validator.

use std::sync::OnceLock;

use boon::{Compiler, Draft, SchemaIndex, Schemas};
use miauth::mock::MockServer;
use serde_json::Value;

mod documents;
mod outcomes;
mod renamed;

use crate::support::{Finished, accept_in_browser, spawn_miauth_with};

pub(super) const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

/// The four documents of the contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Contract {
    /// `login`, `token`, `demo` with `--format json`.
    Output,
    /// Each line of `--events`.
    Event,
    /// `logout` and `revoke` with `--format json`.
    Logout,
    /// `status --format json`.
    Status,
}

pub(super) const ALL: [Contract; 4] = [
    Contract::Output,
    Contract::Event,
    Contract::Logout,
    Contract::Status,
];

impl Contract {
    pub(super) fn text(self) -> &'static str {
        match self {
            Contract::Output => include_str!("../../../docs/schema/output.schema.json"),
            Contract::Event => include_str!("../../../docs/schema/event.schema.json"),
            Contract::Logout => include_str!("../../../docs/schema/logout.schema.json"),
            Contract::Status => include_str!("../../../docs/schema/status.schema.json"),
        }
    }

    pub(super) fn document(self) -> Value {
        serde_json::from_str(self.text())
            .unwrap_or_else(|e| panic!("{self:?}: the schema is not JSON: {e}"))
    }

    pub(super) fn id(self) -> String {
        self.document()["$id"]
            .as_str()
            .unwrap_or_else(|| panic!("{self:?}: the schema has no $id"))
            .to_owned()
    }
}

/// The kinds of `--events` lines, each a branch of the event schema's `oneOf`.
pub(super) const EVENTS: [&str; 6] = [
    "authorize",
    "waiting",
    "retrying",
    "callback",
    "success",
    "error",
];

/// The schemas compiled once, format assertions on (`uri`, `date-time`), and each branch of
/// the event schema on its own, to say which field of an event fails.
pub(super) struct Compiled {
    schemas: Schemas,
    pub(super) index: Vec<(String, SchemaIndex)>,
}

pub(super) fn compiled() -> &'static Compiled {
    static COMPILED: OnceLock<Compiled> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let mut compiler = Compiler::new();
        compiler.set_default_draft(Draft::V2020_12);
        compiler.enable_format_assertions();
        let mut schemas = Schemas::new();
        for contract in ALL {
            compiler
                .add_resource(&contract.id(), contract.document())
                .unwrap();
        }
        let branches = EVENTS
            .iter()
            .map(|kind| format!("{}#/$defs/{kind}", Contract::Event.id()));
        let index = ALL
            .iter()
            .map(|contract| contract.id())
            .chain(branches)
            .map(|location| {
                let index = compiler
                    .compile(&location, &mut schemas)
                    .unwrap_or_else(|e| panic!("{location} does not compile: {e:#}"));
                (location, index)
            })
            .collect();
        Compiled { schemas, index }
    })
}

/// Why `value` fails the schema at `location`, or `None` when it is valid.
fn problems_at(location: &str, value: &Value) -> Option<String> {
    let compiled = compiled();
    let (_, index) = compiled
        .index
        .iter()
        .find(|(l, _)| l == location)
        .unwrap_or_else(|| panic!("no schema compiled at {location}"));
    compiled
        .schemas
        .validate(value, *index)
        .err()
        .map(|e| format!("{e:#}"))
}

/// Why `value` fails `contract`, or `None` when it is valid. For an event of a known kind,
/// what its own branch says too: a `oneOf` alone only says that no branch matched.
fn problems(contract: Contract, value: &Value) -> Option<String> {
    let problems = problems_at(&contract.id(), value)?;
    let kind = value["event"].as_str().filter(|k| EVENTS.contains(k));
    match kind {
        Some(kind) if contract == Contract::Event => {
            let branch = format!("{}#/$defs/{kind}", contract.id());
            let detail = problems_at(&branch, value).unwrap_or_default();
            Some(format!("{problems}\nas {kind}: {detail}"))
        }
        _ => Some(problems),
    }
}

#[track_caller]
pub(super) fn assert_valid(contract: Contract, value: &Value) {
    if let Some(problems) = problems(contract, value) {
        panic!("{contract:?} schema rejects {value}:\n{problems}");
    }
}

#[track_caller]
pub(super) fn assert_invalid(contract: Contract, value: &Value, what: &str) {
    assert!(
        problems(contract, value).is_some(),
        "{contract:?} schema accepts {what}: {value}"
    );
}

/// stdout as one JSON object and a newline, valid under `contract`.
#[track_caller]
pub(super) fn one_object(contract: Contract, done: &Finished) -> Value {
    assert!(
        done.stdout.ends_with('\n') && done.stdout.matches('\n').count() == 1,
        "not one line: {:?}\nstderr:\n{}",
        done.stdout,
        done.stderr
    );
    let value: Value = serde_json::from_str(&done.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}\n{}", done.stdout, done.stderr));
    assert_valid(contract, &value);
    value
}

/// The `--events` lines on stdout, each valid, each with `event` as its first key, and exactly
/// one final event, the last line.
#[track_caller]
pub(super) fn event_lines(done: &Finished) -> Vec<Value> {
    let events: Vec<Value> = done
        .stdout
        .lines()
        .map(|line| {
            assert!(line.starts_with("{\"event\":"), "event not first: {line}");
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}\n{}", done.stderr));
            assert_valid(Contract::Event, &value);
            value
        })
        .collect();
    let finals: Vec<usize> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| e["event"] == "success" || e["event"] == "error")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        finals,
        [events.len().saturating_sub(1)],
        "one final event, last:\n{}\nstderr:\n{}",
        done.stdout,
        done.stderr
    );
    events
}

pub(super) fn kinds(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["event"].as_str().unwrap_or_default())
        .collect()
}

/// A configuration directory with the file store, shared by the runs of one test.
pub(super) struct Home(tempfile::TempDir);

impl Home {
    pub(super) fn new() -> Home {
        Home(tempfile::tempdir().unwrap())
    }

    pub(super) fn env(&self) -> Vec<(&str, &str)> {
        vec![
            ("MIAUTH_CONFIG_DIR", self.0.path().to_str().unwrap()),
            ("MIAUTH_STORE", "file"),
        ]
    }

    pub(super) async fn run(&self, args: &[&str], extra: &[(&str, &str)]) -> Finished {
        let mut env = self.env();
        env.extend_from_slice(extra);
        spawn_miauth_with(args, &env).finish().await
    }

    /// `login BASE --save`, accepted in the scripted browser; the token.
    pub(super) async fn login_save(&self, server: &MockServer) -> String {
        let args = ["login", server.base_url(), "--save", "--no-browser"];
        let (done, _) = accept_in_browser(&args, &self.env()).await;
        assert_eq!(done.code, Some(0), "{}", done.stderr);
        done.stdout.trim_end().to_owned()
    }
}

/// `miauth ARGS` run to its end, nothing kept.
pub(super) async fn run(args: &[&str]) -> Finished {
    spawn_miauth_with(args, &[]).finish().await
}

/// `login BASE --no-browser ARGS`, accepted in the scripted browser.
pub(super) async fn login_accepted(server: &MockServer, args: &[&str]) -> Finished {
    let mut all = vec![
        "login",
        server.base_url(),
        "--no-browser",
        "--timeout",
        "20s",
    ];
    all.extend_from_slice(args);
    accept_in_browser(&all, &[]).await.0
}
