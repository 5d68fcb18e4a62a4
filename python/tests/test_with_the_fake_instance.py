"""The installed wheel's miauth against `miauth mock --auto-approve`: what a Python program
sees when it logs in, keeps the token, reads it back and ends it (on a server that lets a
token revoke itself and on one that does not), and when each of that goes wrong."""

from __future__ import annotations

import asyncio
import json
import traceback
import urllib.error
import urllib.request

import pytest

import miauth_cli
from miauth_cli import (
    Credentials,
    InstanceError,
    MiAuthError,
    NotApproved,
    NotLoggedIn,
    Revocation,
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


def _status_of(instance: str, token: str) -> int:
    """The HTTP status of `POST /api/i` with the token: 200 while it works, 401 once revoked."""
    request = urllib.request.Request(
        instance + "/api/i",
        data=json.dumps({"i": token}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as e:
        e.close()
        return e.code


def _host(instance: str) -> str:
    return instance.split("://")[1]


# Where the token can revoke itself, and where it cannot: (server, revoked, /api/i afterwards).
ENDINGS = [("misskey_2026_9", "yes", 401), ("misskey_2025_11", "unsupported", 200)]


@pytest.mark.parametrize(("server", "revoked", "status"), ENDINGS)
def test_logout_revokes_the_kept_token_where_the_instance_allows_it_and_forgets_it(
    server, revoked, status, approve, request
):
    instance = request.getfixturevalue(server)
    credentials = miauth_cli.login(instance, save=True, open_browser=False, on_event=approve)

    revocation = miauth_cli.logout(instance)

    assert isinstance(revocation, Revocation)
    assert revocation.instance == instance
    assert revocation.account == "@alice@" + _host(instance)
    assert revocation.forgotten is True
    assert revocation.revoked == revoked
    assert _status_of(instance, credentials.token) == status
    if revoked == "yes":
        assert revocation.token_ended
        assert revocation.settings_url is None
        assert revocation.detail is None
    else:
        assert not revocation.token_ended
        assert revocation.settings_url == instance + "/settings/apps"
        assert "ACCESS_DENIED" in revocation.detail
    with pytest.raises(NotLoggedIn):
        miauth_cli.get_token(instance)


def test_logout_local_forgets_the_account_without_asking_the_instance(misskey_2026_9, approve):
    credentials = miauth_cli.login(misskey_2026_9, save=True, open_browser=False, on_event=approve)

    revocation = miauth_cli.logout(misskey_2026_9, user="alice", local=True)

    assert revocation.revoked == "not_asked"
    assert revocation.forgotten is True
    assert not revocation.token_ended
    assert revocation.settings_url == misskey_2026_9 + "/settings/apps"
    assert _status_of(misskey_2026_9, credentials.token) == 200
    with pytest.raises(NotLoggedIn):
        miauth_cli.get_token(misskey_2026_9)


def test_logout_of_nothing_kept_is_not_logged_in_with_code_6(misskey_2026_9):
    with pytest.raises(NotLoggedIn) as caught:
        miauth_cli.logout(misskey_2026_9)

    assert caught.value.code == 6
    assert "not logged in" in caught.value.message


@pytest.mark.parametrize(("server", "revoked", "status"), ENDINGS)
def test_revoke_ends_a_token_that_is_not_kept(server, revoked, status, approve, request):
    instance = request.getfixturevalue(server)
    credentials = miauth_cli.login(instance, open_browser=False, on_event=approve)

    revocation = miauth_cli.revoke(credentials.token, instance, timeout=10)

    assert revocation.instance == instance
    assert revocation.account is None
    assert revocation.forgotten is False
    assert revocation.revoked == revoked
    assert _status_of(instance, credentials.token) == status
    again = miauth_cli.revoke(credentials.token, instance)
    if revoked == "yes":
        assert again.revoked == "already"
        assert again.token_ended
        assert again.settings_url is None
    else:
        assert again.revoked == "unsupported"
        assert again.settings_url == instance + "/settings/apps"


def test_revoke_without_an_instance_uses_misskey_url(misskey_2026_9, approve, monkeypatch):
    credentials = miauth_cli.login(misskey_2026_9, open_browser=False, on_event=approve)
    monkeypatch.setenv("MISSKEY_URL", misskey_2026_9)
    # Another token in this process's environment does not reach miauth: the one given does.
    monkeypatch.setenv("MISSKEY_TOKEN", "NotTheTokenToRevoke0123")

    assert miauth_cli.revoke(credentials.token).revoked == "yes"
    assert _status_of(misskey_2026_9, credentials.token) == 401


def test_logout_when_the_instance_is_gone_forgets_the_account_and_says_unreachable(
    short_lived, approve
):
    instance, stop = short_lived
    credentials = miauth_cli.login(instance, save=True, open_browser=False, on_event=approve)
    stop()

    revocation = miauth_cli.logout(instance, timeout=5)

    assert revocation.revoked == "unreachable"
    assert revocation.forgotten is True
    assert not revocation.token_ended
    assert revocation.settings_url == instance + "/settings/apps"
    assert revocation.detail
    assert credentials.token not in repr(revocation)
    with pytest.raises(NotLoggedIn):
        miauth_cli.get_token(instance)
    assert miauth_cli.revoke(credentials.token, instance, timeout=5).revoked == "unreachable"


def _rendered(error: BaseException) -> str:
    return "".join(traceback.TracebackException.from_exception(error, capture_locals=True).format())


def test_revoke_shows_the_token_in_no_error_message_repr_or_traceback(misskey_2026_9, approve):
    # Held only in `credentials`, whose repr hides it: this frame is in the tracebacks too.
    credentials = miauth_cli.login(misskey_2026_9, open_browser=False, on_event=approve)

    with pytest.raises(UsageError) as caught:
        miauth_cli.revoke(credentials.token, misskey_2026_9 + "/path")
    assert "/path" in caught.value.message
    # The token given where the instance goes is refused before miauth runs.
    with pytest.raises(UsageError) as swapped:
        miauth_cli.revoke(misskey_2026_9, credentials.token)
    assert swapped.value.kind == "token_argument"
    with pytest.raises(UsageError) as unnamed:
        miauth_cli.revoke(credentials.token)  # no instance, and no MISSKEY_URL

    # Rendered outside any assert: pytest's rewriting keeps an assert's operands in locals.
    errors = (caught.value, swapped.value, unnamed.value)
    shown = [text for e in errors for text in (str(e), repr(e), _rendered(e))]
    assert len(shown) == 9
    assert not [text for text in shown if credentials.token in text]
    assert _status_of(misskey_2026_9, credentials.token) == 200  # none of them revoked it


def test_the_asyncio_api_logs_out_and_revokes_the_same_way(misskey_2026_9, approve):
    kept = miauth_cli.login(misskey_2026_9, save=True, open_browser=False, on_event=approve)
    loose = miauth_cli.login(misskey_2026_9, open_browser=False, on_event=approve)

    async def main():
        assert (await miauth_cli.alogout(misskey_2026_9)).revoked == "yes"
        assert (await miauth_cli.arevoke(loose.token, misskey_2026_9)).revoked == "yes"
        assert (await miauth_cli.arevoke(loose.token, misskey_2026_9)).revoked == "already"
        with pytest.raises(NotLoggedIn):
            await miauth_cli.alogout(misskey_2026_9)

    asyncio.run(main())

    assert _status_of(misskey_2026_9, kept.token) == 401
    assert _status_of(misskey_2026_9, loose.token) == 401
