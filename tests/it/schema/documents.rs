//! The schema documents themselves: valid draft 2020-12, made of known keywords, every field
//! described, the success event alike with the JSON output, and the error event's enums those
//! miauth gives.

use std::time::Duration;

use boon::{Compiler, Schemas};
use serde_json::{Value, json};

use super::{ALL, Contract, DRAFT_2020_12, EVENTS, compiled};

#[test]
fn the_schemas_are_valid_draft_2020_12_and_compile() {
    let mut compiler = Compiler::new();
    let mut schemas = Schemas::new();
    // The metaschema is built into the validator: nothing is fetched.
    let meta = compiler.compile(DRAFT_2020_12, &mut schemas).unwrap();
    for contract in ALL {
        let document = contract.document();
        assert_eq!(document["$schema"], DRAFT_2020_12, "{contract:?}");
        assert!(
            contract.id().starts_with("urn:miauth:schema:"),
            "{contract:?}"
        );
        for key in ["title", "description"] {
            assert!(document[key].is_string(), "{contract:?} has no {key}");
        }
        if let Err(e) = schemas.validate(&document, meta) {
            panic!("{contract:?} is not a valid draft 2020-12 schema:\n{e:#}");
        }
        // A keyword the metaschema does not know is accepted (and ignored) there: only a
        // schema made of known keywords means what it says.
        assert_known_keywords(contract, &document, "#");
    }
    assert_eq!(compiled().index.len(), ALL.len() + EVENTS.len());
    let listed = &Contract::Event.document()["properties"]["event"]["enum"];
    assert_eq!(listed, &json!(EVENTS), "the kinds of events");
}

/// The keywords of draft 2020-12 used in these schemas; any other (a typo like `require`)
/// would be silently ignored by every validator.
const KEYWORDS: &[&str] = &[
    "$schema",
    "$id",
    "$ref",
    "$defs",
    "title",
    "description",
    "type",
    "enum",
    "const",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minLength",
    "pattern",
    "format",
    "minimum",
    "oneOf",
    "anyOf",
    "allOf",
    "not",
    "if",
    "then",
    "else",
];

fn assert_known_keywords(contract: Contract, schema: &Value, at: &str) {
    let Some(object) = schema.as_object() else {
        return;
    };
    for (key, value) in object {
        assert!(
            KEYWORDS.contains(&key.as_str()),
            "{contract:?}: unknown keyword {key:?} at {at}"
        );
        let here = format!("{at}/{key}");
        match key.as_str() {
            "properties" | "$defs" => {
                for (name, sub) in value.as_object().unwrap() {
                    assert_known_keywords(contract, sub, &format!("{here}/{name}"));
                }
            }
            "oneOf" | "anyOf" | "allOf" => {
                for (i, sub) in value.as_array().unwrap().iter().enumerate() {
                    assert_known_keywords(contract, sub, &format!("{here}/{i}"));
                }
            }
            "items" | "not" | "if" | "then" | "else" | "additionalProperties" => {
                assert_known_keywords(contract, value, &here);
            }
            _ => {}
        }
    }
}

#[test]
fn every_field_is_described_for_a_program_author() {
    fn walk(contract: Contract, schema: &Value, at: &str) {
        let Some(object) = schema.as_object() else {
            return;
        };
        if let Some(properties) = object.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                let here = format!("{at}/properties/{name}");
                // `event: {const}` only picks a branch; a `$ref` is described where it leads,
                // and a property narrowed inside if/then/else is described where it is declared.
                let described = property.get("description").is_some()
                    || property.get("$ref").is_some()
                    || property.get("const").is_some()
                    || at.contains("/if")
                    || at.contains("/then")
                    || at.contains("/else");
                assert!(described, "{contract:?}: {here} has no description");
                walk(contract, property, &here);
            }
        }
        if let Some(defs) = object.get("$defs").and_then(Value::as_object) {
            for (name, def) in defs {
                let here = format!("{at}/$defs/{name}");
                assert!(
                    def.get("title").is_some(),
                    "{contract:?}: {here} has no title"
                );
                walk(contract, def, &here);
            }
        }
        for key in ["items", "not", "if", "then", "else"] {
            if let Some(sub) = object.get(key) {
                walk(contract, sub, &format!("{at}/{key}"));
            }
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            for (i, sub) in object
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                walk(contract, sub, &format!("{at}/{key}/{i}"));
            }
        }
    }
    for contract in ALL {
        walk(contract, &contract.document(), "#");
    }
    let output = Contract::Output.document();
    let token = &output["$defs"]["token"];
    assert!(
        token["title"].as_str().unwrap().contains("secret")
            && token["description"].as_str().unwrap().contains("SECRET"),
        "the token is documented as a secret: {token}"
    );
}

/// The `success` event carries the `--format json` object: both files describe its fields
/// alike, so the two cannot drift apart.
#[test]
fn the_success_event_describes_the_output_object_alike() {
    let output = Contract::Output.document();
    let event = Contract::Event.document();
    for name in ["token", "instance", "user", "permissions"] {
        assert_eq!(
            output["$defs"][name], event["$defs"][name],
            "$defs/{name} differs between output.schema.json and event.schema.json"
        );
        assert_eq!(
            output["properties"][name],
            event["$defs"]["success"]["properties"][name]
        );
    }
    assert_eq!(
        output["required"],
        json!(["token", "instance", "user", "permissions"])
    );
}

/// The `kind` and `code` enums of the error event are those miauth gives: every error's
/// `kind()` and `exit_code()`, the command line's own `usage`, and the signals' 130 and 143.
#[test]
fn every_error_kind_and_exit_code_is_in_the_event_schema() {
    use miauth::Error;
    use std::path::PathBuf;
    let s = String::new;
    let every = [
        Error::InvalidInstance {
            input: s(),
            reason: s(),
        },
        Error::InvalidPermission {
            input: s(),
            reason: s(),
        },
        Error::InvalidOption {
            option: "--timeout",
            input: s(),
            reason: s(),
        },
        Error::Deadline {
            waited: Duration::from_secs(1),
            answer_lost: false,
        },
        Error::Interrupted {
            answer_lost: false,
            approved: false,
        },
        Error::AccountNotFound {
            handle: s(),
            reason: s(),
        },
        Error::Unreachable {
            instance: s(),
            reason: s(),
        },
        Error::Tls {
            instance: s(),
            reason: s(),
        },
        Error::UnexpectedAnswer {
            instance: s(),
            request: "the token check",
            detail: s(),
        },
        Error::CheckUnanswered {
            instance: s(),
            waited: Duration::from_secs(1),
        },
        Error::CheckAnswerLost {
            instance: s(),
            reason: s(),
        },
        Error::Unsupported {
            instance: s(),
            reason: s(),
        },
        Error::TokenRejected {
            instance: s(),
            detail: s(),
        },
        Error::ApprovedWithoutToken { instance: s() },
        Error::Bind {
            addr: s(),
            reason: s(),
        },
        Error::WriteOutput {
            path: PathBuf::new(),
            reason: s(),
        },
        Error::Store {
            what: s(),
            reason: s(),
        },
        Error::StoreUnreadable {
            path: PathBuf::new(),
            reason: s(),
        },
        Error::ChooseInstance { kept: s() },
        Error::NotLoggedIn {
            instance: None,
            user: None,
            reason: s(),
        },
        Error::PermissionMissing {
            account: s(),
            instance: s(),
            lacking: s(),
            wanted: s(),
        },
        Error::TokenRevoked {
            account: s(),
            instance: s(),
        },
        Error::TokenInArguments,
        Error::NoToken { reason: s() },
        Error::Internal(s()),
    ];
    let error = &Contract::Event.document()["$defs"]["error"]["properties"];
    let listed = |field: &str| -> Vec<Value> { error[field]["enum"].as_array().unwrap().clone() };

    let mut kinds: Vec<Value> = every.iter().map(|e| json!(e.kind())).collect();
    kinds.push(json!("usage"));
    let mut schema_kinds = listed("kind");
    kinds.sort_by_key(Value::to_string);
    schema_kinds.sort_by_key(Value::to_string);
    assert_eq!(schema_kinds, kinds, "the error kinds of the event schema");

    let mut codes: Vec<u64> = every.iter().map(|e| u64::from(e.exit_code())).collect();
    codes.extend([
        u64::from(miauth::exit::INTERRUPTED),
        u64::from(miauth::exit::TERMINATED),
    ]);
    codes.sort_unstable();
    codes.dedup();
    let schema_codes: Vec<u64> = listed("code").iter().filter_map(Value::as_u64).collect();
    assert_eq!(schema_codes, codes, "the exit codes of the error event");
}
