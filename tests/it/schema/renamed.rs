//! The proof that the schema tests catch a renamed field: real output, valid as printed, fails
//! once any one of its fields is renamed.

use serde_json::{Value, json};

use super::{Contract, assert_invalid, event_lines, kinds, one_object, run};

/// Renames the field at `path` (object keys) of `value` to `to`.
fn renamed(value: &Value, path: &[&str], to: &str) -> Value {
    let mut value = value.clone();
    let (last, parents) = path.split_last().unwrap();
    let mut object = &mut value;
    for key in parents {
        object = &mut object[*key];
    }
    let object = object.as_object_mut().unwrap();
    let field = object
        .remove(*last)
        .unwrap_or_else(|| panic!("no {path:?} to rename"));
    object.insert(to.to_owned(), field);
    value
}

/// The demo's `--format json` object, with each field renamed in turn (and one retyped).
#[tokio::test]
async fn a_renamed_field_of_the_json_output_fails_validation() {
    let done = run(&["demo", "--format", "json", "--timeout", "30s"]).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let real = one_object(Contract::Output, &done);
    for (path, to) in [
        (&["token"][..], "tokens"),
        (&["instance"][..], "url"),
        (&["user"][..], "account"),
        (&["permissions"][..], "scopes"),
        (&["user", "username"][..], "user_name"),
        (&["user", "host"][..], "domain"),
    ] {
        assert_invalid(
            Contract::Output,
            &renamed(&real, path, to),
            &format!("{path:?} renamed {to:?}"),
        );
    }
    let mut retyped = real.clone();
    retyped["permissions"] = json!("read:account");
    assert_invalid(Contract::Output, &retyped, "permissions as one string");
}

/// The demo's events and a usage error's, with `event`, its value and every other field
/// renamed in turn.
#[tokio::test]
async fn a_renamed_field_of_an_event_fails_validation() {
    let done = run(&["demo", "--events", "--timeout", "30s"]).await;
    assert_eq!(done.code, Some(0), "{}", done.stderr);
    let mut real = event_lines(&done);
    let usage = run(&["login", "misskey.io", "--events", "--timeout", "soon"]).await;
    real.extend(event_lines(&usage));
    assert_eq!(
        kinds(&real)
            .iter()
            .filter(|k| ["authorize", "success", "error"].contains(k))
            .count(),
        3,
        "{}{}",
        done.stdout,
        usage.stdout
    );
    for event in &real {
        let kind = event["event"].as_str().unwrap();
        assert_invalid(
            Contract::Event,
            &renamed(event, &["event"], "type"),
            "`event` renamed `type`",
        );
        let mut unknown = event.clone();
        unknown["event"] = json!(format!("{kind}d"));
        assert_invalid(Contract::Event, &unknown, "an unknown kind of event");
        // Every other field of the event, renamed in turn.
        for field in event.as_object().unwrap().keys().filter(|k| *k != "event") {
            let to = format!("{field}_");
            assert_invalid(
                Contract::Event,
                &renamed(event, &[field.as_str()], &to),
                &format!("{kind}: {field:?} renamed {to:?}"),
            );
        }
    }
    let success = real.iter().find(|e| e["event"] == "success").unwrap();
    assert_invalid(
        Contract::Event,
        &renamed(success, &["token"], "tokens"),
        "`token` renamed `tokens`",
    );
    assert_invalid(
        Contract::Event,
        &renamed(success, &["user", "id"], "uid"),
        "`user.id` renamed `uid`",
    );
    let error = real.iter().find(|e| e["event"] == "error").unwrap();
    let mut unknown_kind = error.clone();
    unknown_kind["kind"] = json!("usage_error");
    assert_invalid(
        Contract::Event,
        &unknown_kind,
        "a kind miauth does not give",
    );
}
