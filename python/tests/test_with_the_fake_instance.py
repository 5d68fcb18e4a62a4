"""The installed wheel's miauth against `miauth mock --auto-approve`: what a Python program
sees when it logs in, keeps the token and reads it back, and when each of that goes wrong."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import pytest

import miauth_cli
from miauth_cli import (
    Credentials,
    InstanceError,
    MiAuthError,
    NotApproved,
    NotLoggedIn,
    UsageError,
)


def test_login_delivers_the_token_and_the_account_and_calls_on_event_in_order(mock, approve):
    seen = []

    def on_event(event):
        seen.append(event["event"])
        approve(event)

    credentials = miauth_cli.login(
        mock,
        permissions=["read:account", "write:notes"],
        name="py-test",
        open_browser=False,
        on_event=on_event,
    )

    assert isinstance(credentials, Credentials)
    assert len(credentials.token) == 32
    assert credentials.instance == mock
    assert credentials.user.username == "alice"
    assert credentials.user.host is None
    assert credentials.handle == "@alice@" + mock.split("://")[1]
    assert credentials.permissions == ("read:account", "write:notes")
    assert seen[0] == "authorize"
    assert seen[-1] == "success"
    assert credentials.token not in repr(credentials)
    assert credentials.token not in str(credentials)


def test_a_saved_login_is_read_back_by_get_token_and_environ(mock, approve):
    credentials = miauth_cli.login(mock, save=True, open_browser=False, on_event=approve)

    assert miauth_cli.get_token(mock) == credentials.token
    assert miauth_cli.get_token() == credentials.token  # the only instance kept
    assert miauth_cli.get_token(mock, user="alice", check=True) == credentials.token
    assert miauth_cli.environ(mock) == {
        "MISSKEY_URL": mock,
        "MISSKEY_TOKEN": credentials.token,
    }


def test_a_login_without_save_keeps_nothing(mock, approve):
    miauth_cli.login(mock, open_browser=False, on_event=approve)

    with pytest.raises(NotLoggedIn):
        miauth_cli.get_token(mock)


def test_a_login_without_callback_is_found_by_polling(mock, approve):
    events = []

    def on_event(event):
        events.append(event)
        approve(event)

    credentials = miauth_cli.login(mock, no_callback=True, open_browser=False, on_event=on_event)

    assert events[0]["callback"] is None
    assert credentials.user.username == "alice"


def test_nothing_kept_is_not_logged_in_with_code_6_and_a_hint(mock):
    with pytest.raises(NotLoggedIn) as caught:
        miauth_cli.get_token(mock)

    assert caught.value.code == 6
    assert caught.value.kind == "not_logged_in"
    assert "miauth login" in caught.value.hint
    with pytest.raises(NotLoggedIn):
        miauth_cli.environ(mock)


def test_a_url_with_a_path_is_a_usage_error_with_code_2(mock):
    with pytest.raises(UsageError) as caught:
        miauth_cli.login(mock + "/path", open_browser=False)

    assert isinstance(caught.value, ValueError)
    assert caught.value.code == 2
    assert "/path" in caught.value.message
    assert caught.value.hint


def test_an_unknown_permission_is_a_usage_error(mock):
    with pytest.raises(UsageError) as caught:
        miauth_cli.login(mock, permissions="read:acount", open_browser=False)

    assert caught.value.kind == "invalid_permission"


def test_an_instance_that_does_not_answer_is_an_instance_error():
    # Port 1 on loopback: nothing listens there.
    with pytest.raises(InstanceError) as caught:
        miauth_cli.login("http://127.0.0.1:1", open_browser=False, timeout=5)

    assert caught.value.code == 4


def test_nobody_approving_within_a_short_timeout_is_not_approved_with_code_3(mock):
    with pytest.raises(NotApproved) as caught:
        miauth_cli.login(mock, open_browser=False, timeout=1)

    assert isinstance(caught.value, TimeoutError)
    assert caught.value.code == 3
    assert caught.value.kind == "deadline"


def test_get_token_with_login_logs_in_in_the_browser_and_keeps_the_token(mock, browser):
    token = miauth_cli.get_token(mock, login=True, timeout=60)

    assert miauth_cli.get_token(mock) == token


@pytest.mark.parametrize("server", ["mock", "firefish"])
def test_check_treats_a_revoked_token_as_not_logged_in(server, approve, request):
    mock = request.getfixturevalue(server)
    credentials = miauth_cli.login(mock, save=True, open_browser=False, on_event=approve)
    request = urllib.request.Request(
        mock + "/mock/revoke",
        data=json.dumps({"token": credentials.token}).encode(),
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=30).read()

    assert miauth_cli.get_token(mock) == credentials.token  # no request without check
    with pytest.raises(NotLoggedIn) as caught:
        miauth_cli.get_token(mock, check=True)
    assert caught.value.kind == "token_revoked"


def test_the_asyncio_api_logs_in_keeps_and_fails_the_same_way(mock, approve):
    async def main():
        async def on_event(event):
            await asyncio.get_running_loop().run_in_executor(None, approve, event)

        credentials = await miauth_cli.alogin(
            mock, save=True, open_browser=False, on_event=on_event
        )
        assert await miauth_cli.aget_token(mock) == credentials.token
        with pytest.raises(NotLoggedIn):
            await miauth_cli.aget_token("http://127.0.0.1:1")
        with pytest.raises(UsageError):
            await miauth_cli.alogin(mock + "/path", open_browser=False)
        with pytest.raises(NotApproved):
            await miauth_cli.alogin(mock, open_browser=False, timeout=1)

    asyncio.run(main())


def test_errors_are_one_line_naming_the_input_and_the_next_step(mock):
    with pytest.raises(MiAuthError) as caught:
        miauth_cli.get_token("http://127.0.0.1:1")

    text = str(caught.value)
    assert "\n" not in text
    assert "127.0.0.1:1" in text
    assert text.endswith(caught.value.hint)


def test_get_token_of_a_url_with_a_path_is_a_usage_error(isolated):
    with pytest.raises(UsageError) as caught:
        miauth_cli.get_token("https://misskey.io/path")

    assert caught.value.code == 2
    assert caught.value.kind == "invalid_instance"
