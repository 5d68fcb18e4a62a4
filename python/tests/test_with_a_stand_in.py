"""The wrapper against a stand-in program (MIAUTH_BINARY): every exit code, the arguments it
passes (and, for `revoke`, the environment that alone carries the token), an interrupt on
cancellation, its own deadline, and the token kept out of every message, repr and
traceback."""

from __future__ import annotations

import asyncio
import os
import traceback

import pytest

import miauth_cli
from miauth_cli import (
    InstanceError,
    LocalError,
    MiAuthError,
    MiAuthTimeout,
    NotApproved,
    NotLoggedIn,
    UsageError,
)

TOKEN = "Tok3nThatMustNeverShowUp0123456"
SUCCESS = (
    f"emit(event='success', token='{TOKEN}', instance='https://misskey.example', "
    "user={'id': '9x', 'username': 'alice', 'host': None, 'name': 'Alice'}, "
    "permissions=['read:account'])\n"
)

unix_only = pytest.mark.skipif(os.name == "nt", reason="the stand-in waits for SIGINT")


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (1, MiAuthError),
        (2, UsageError),
        (3, NotApproved),
        (4, InstanceError),
        (5, LocalError),
        (6, NotLoggedIn),
    ],
)
def test_each_exit_code_raises_its_error_with_kind_and_hint(stand_in, code, cls):
    stand_in(
        f"emit(event='error', code={code}, kind='kind{code}', message='failed {code}', "
        f"hint='do {code}')\nsys.exit({code})\n"
    )

    for call in (lambda: miauth_cli.get_token("x"), lambda: miauth_cli.login("x")):
        with pytest.raises(cls) as caught:
            call()
        assert type(caught.value) is cls
        assert caught.value.code == code
        assert caught.value.kind == f"kind{code}"
        assert caught.value.message == f"failed {code}"
        assert caught.value.hint == f"do {code}"
        assert str(caught.value) == f"failed {code}; do {code}"


def test_exit_130_is_a_keyboard_interrupt(stand_in):
    stand_in(
        "emit(event='error', code=130, kind='interrupted', message='m', hint=None)\nsys.exit(130)\n"
    )

    with pytest.raises(KeyboardInterrupt):
        miauth_cli.get_token("x")
    with pytest.raises(KeyboardInterrupt):
        asyncio.run(miauth_cli.aget_token("x"))


def test_without_an_error_event_the_message_comes_from_stderr(stand_in):
    stand_in("print('miauth: error: the store is broken; fix it', file=sys.stderr)\nsys.exit(5)\n")

    with pytest.raises(LocalError) as caught:
        miauth_cli.get_token("x")

    assert caught.value.code == 5
    assert "the store is broken" in caught.value.message


def test_the_exit_codes_map_the_same_way_for_asyncio(stand_in):
    stand_in(
        "emit(event='error', code=6, kind='not_logged_in', message='m', hint='h')\nsys.exit(6)\n"
    )

    with pytest.raises(NotLoggedIn):
        asyncio.run(miauth_cli.aget_token("x"))
    with pytest.raises(NotLoggedIn):
        asyncio.run(miauth_cli.alogin("x"))


def test_login_passes_every_option_as_miauth_reads_it(stand_in, argv):
    stand_in(SUCCESS)

    miauth_cli.login(
        "-misskey.example",
        permissions=["read:account", "write:notes"],
        name="my bot",
        save=True,
        no_callback=True,
        open_browser=False,
        timeout=90,
    )

    assert argv() == [
        "login",
        "--events",
        "--timeout=90000ms",
        "--permission=read:account",
        "--permission=write:notes",
        "--name=my bot",
        "--save",
        "--no-callback",
        "--no-browser",
        "--",
        "-misskey.example",
    ]
    miauth_cli.login("misskey.example", permissions="read:account,write:notes")
    assert argv() == [
        "login",
        "--events",
        "--timeout=300000ms",
        "--permission=read:account,write:notes",
        "--",
        "misskey.example",
    ]


def test_get_token_never_logs_in_unless_asked(stand_in, argv):
    stand_in(SUCCESS)

    assert miauth_cli.get_token() == TOKEN
    assert argv() == ["token", "--events", "--no-login"]
    miauth_cli.get_token("misskey.example", user="bob", check=True, login=True, timeout=30)
    assert argv() == [
        "token",
        "--events",
        "--login",
        "--user=bob",
        "--check",
        "--timeout=30000ms",
        "--",
        "misskey.example",
    ]
    assert miauth_cli.environ("misskey.example") == {
        "MISSKEY_URL": "https://misskey.example",
        "MISSKEY_TOKEN": TOKEN,
    }
    assert argv() == ["token", "--events", "--no-login", "--", "misskey.example"]


def _within(seconds: float, action):
    """Run `action` (which may block on a FIFO) in a thread; fail if it has not ended in time."""
    import threading

    result = []
    thread = threading.Thread(target=lambda: result.append(action()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still blocked after {seconds} s"
    return result[0]


# After `success`, miauth may go on for a few seconds, showing a late browser how the login
# ended. The stand-in plays that: it waits for a "browser" (a FIFO the test writes to), answers
# it through another FIFO, and on an interrupt records it and ends, as miauth does.
LATE_BROWSER = (
    "signal.signal(signal.SIGINT, lambda *_: (marker('interrupted'), os._exit(0)))\n"
    + SUCCESS
    + "(here / 'browser').read_bytes()\n"
    "(here / 'served').write_bytes(b'served')\n"
    "sys.exit(0)\n"
)


@unix_only
def test_login_returns_the_token_while_miauth_still_serves_a_late_browser(stand_in):
    folder = stand_in(LATE_BROWSER)
    os.mkfifo(folder / "browser")
    os.mkfifo(folder / "served")
    assert miauth_cli.login("x").token == TOKEN
    # miauth is still running, neither interrupted nor stopped: it takes the browser's request.
    _within(30, lambda: (folder / "browser").write_bytes(b"GET /cb"))
    assert _within(30, lambda: (folder / "served").read_bytes()) == b"served"
    assert not (folder / "interrupted").exists()


@unix_only
def test_alogin_returns_the_token_without_interrupting_miauth_after_success(stand_in):
    folder = stand_in(LATE_BROWSER)
    os.mkfifo(folder / "browser")
    os.mkfifo(folder / "served")

    async def main():
        credentials = await miauth_cli.alogin("x")
        # Returned while miauth still waits for its browser, and a cancellation from now on
        # cannot take the token back.
        assert not (folder / "interrupted").exists()
        return credentials

    assert asyncio.run(main()).token == TOKEN


def test_a_token_that_arrived_but_could_not_be_kept_is_on_the_error(stand_in):
    stand_in(
        "emit(event='error', code=5, kind='store', message='the keyring is locked', "
        f"hint='unlock it', result=dict(token='{TOKEN}', instance='https://misskey.example', "
        "user=dict(id='9x', username='alice', host=None, name=None), permissions=[]))\n"
        "sys.exit(5)\n"
    )

    with pytest.raises(LocalError) as caught:
        miauth_cli.login("x", save=True)

    assert caught.value.credentials is not None
    assert caught.value.credentials.token == TOKEN
    rendered = "".join(
        traceback.TracebackException.from_exception(caught.value, capture_locals=True).format()
    )
    assert "the keyring is locked" in rendered
    assert TOKEN not in rendered
    assert TOKEN not in repr(caught.value)
    assert TOKEN not in repr(caught.value.credentials)


def test_events_show_no_token_when_printed(stand_in):
    stand_in(SUCCESS)
    seen = []

    miauth_cli.login("x", on_event=seen.append)

    assert seen[-1]["token"] == TOKEN
    assert TOKEN not in repr(seen[-1])
    assert TOKEN not in str(seen)


@unix_only
def test_cancelling_alogin_interrupts_miauth_which_makes_its_last_check(stand_in):
    folder = stand_in(
        "def on_int(signum, frame):\n"
        "    marker('interrupted')\n"
        "    emit(event='error', code=130, kind='interrupted', message='m', hint=None)\n"
        "    sys.exit(130)\n"
        "signal.signal(signal.SIGINT, on_int)\n"
        "emit(event='authorize', url='https://misskey.example/miauth/s', callback=None)\n"
        "while True:\n"
        "    signal.pause()\n"
    )
    seen = []

    async def main():
        authorized = asyncio.Event()

        def on_event(event):
            seen.append(event["event"])
            if event["event"] == "authorize":
                authorized.set()

        task = asyncio.ensure_future(miauth_cli.alogin("x", on_event=on_event))
        await authorized.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())

    assert (folder / "interrupted").exists()
    assert seen == ["authorize", "error"]


@unix_only
def test_a_late_approval_found_by_the_last_check_reaches_on_event_after_cancelling(stand_in):
    stand_in(
        "def on_int(signum, frame):\n"
        f"    {SUCCESS}"
        "    sys.exit(0)\n"
        "signal.signal(signal.SIGINT, on_int)\n"
        "emit(event='authorize', url='https://misskey.example/miauth/s', callback=None)\n"
        "while True:\n"
        "    signal.pause()\n"
    )
    tokens = []

    async def main():
        authorized = asyncio.Event()

        def on_event(event):
            if event["event"] == "authorize":
                authorized.set()
            tokens.append(event.get("token"))

        task = asyncio.ensure_future(miauth_cli.alogin("x", on_event=on_event))
        await authorized.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())

    assert tokens[-1] == TOKEN


@unix_only
def test_ctrl_c_during_login_lets_the_last_check_deliver_a_late_approval(stand_in):
    folder = stand_in(
        "def on_int(signum, frame):\n"
        "    marker('interrupted')\n"
        f"    {SUCCESS}"
        "    sys.exit(0)\n"
        "signal.signal(signal.SIGINT, on_int)\n"
        "emit(event='authorize', url='https://misskey.example/miauth/s', callback=None)\n"
        "while True:\n"
        "    signal.pause()\n"
    )

    def press_ctrl_c(event):
        if event["event"] == "authorize":
            raise KeyboardInterrupt

    credentials = miauth_cli.login("x", on_event=press_ctrl_c)

    assert (folder / "interrupted").exists()
    assert credentials.token == TOKEN


@unix_only
def test_ctrl_c_during_login_is_a_keyboard_interrupt_when_nothing_was_approved(stand_in):
    folder = stand_in(
        "def on_int(signum, frame):\n"
        "    marker('interrupted')\n"
        "    sys.exit(130)\n"
        "signal.signal(signal.SIGINT, on_int)\n"
        "emit(event='authorize', url='https://misskey.example/miauth/s', callback=None)\n"
        "while True:\n"
        "    signal.pause()\n"
    )

    def press_ctrl_c(event):
        if event["event"] == "authorize":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        miauth_cli.login("x", on_event=press_ctrl_c)
    assert (folder / "interrupted").exists()


@unix_only
def test_the_wrappers_deadline_interrupts_miauth_and_raises_miauth_timeout(stand_in):
    folder = stand_in(
        "def on_int(signum, frame):\n"
        "    marker('interrupted')\n"
        "    sys.exit(130)\n"
        "signal.signal(signal.SIGINT, on_int)\n"
        "while True:\n"
        "    signal.pause()\n"
    )

    with pytest.raises(MiAuthTimeout) as caught:
        miauth_cli.get_token("x", timeout=1)
    assert (folder / "interrupted").exists()
    assert isinstance(caught.value, TimeoutError)
    assert caught.value.code is None
    assert "miauth token" in caught.value.message

    (folder / "interrupted").unlink()
    with pytest.raises(MiAuthTimeout):
        asyncio.run(miauth_cli.aget_token("x", timeout=1))
    assert (folder / "interrupted").exists()


@unix_only
def test_a_token_delivered_when_the_deadline_interrupts_is_returned(stand_in):
    stand_in(
        "def on_int(signum, frame):\n"
        f"    {SUCCESS}"
        "    sys.exit(0)\n"
        "signal.signal(signal.SIGINT, on_int)\n"
        "while True:\n"
        "    signal.pause()\n"
    )

    assert miauth_cli.get_token("x", timeout=1) == TOKEN


@unix_only
def test_a_miauth_that_ignores_the_interrupt_is_stopped_after_the_last_check(stand_in, monkeypatch):
    stand_in("signal.signal(signal.SIGINT, signal.SIG_IGN)\nthreading.Event().wait()\n")
    # Not the 75 s a real miauth is allowed for its last check and a keyring prompt.
    monkeypatch.setattr(miauth_cli._binary, "LAST_CHECK_SECS", 2.0)

    with pytest.raises(MiAuthTimeout):
        miauth_cli.get_token("x", timeout=1)


def test_a_missing_binary_is_miauth_not_found_naming_it(monkeypatch, tmp_path):
    missing = str(tmp_path / "no-such-miauth")
    monkeypatch.setenv("MIAUTH_BINARY", missing)

    with pytest.raises(miauth_cli.MiAuthNotFound) as caught:
        miauth_cli.get_token("x")

    assert isinstance(caught.value, FileNotFoundError)
    assert caught.value.code == 127
    assert missing in str(caught.value)
    assert "MIAUTH_BINARY" in str(caught.value)


def test_miauth_binary_wins_over_the_installed_program(stand_in):
    folder = stand_in(SUCCESS)

    assert miauth_cli.find_miauth_bin() == str(folder / "miauth-stand-in")


@unix_only
def test_an_error_in_on_event_interrupts_miauth_before_it_is_stopped(stand_in):
    folder = stand_in(
        "def on_int(signum, frame):\n"
        "    marker('interrupted')\n"
        "    sys.exit(130)\n"
        "signal.signal(signal.SIGINT, on_int)\n"
        "emit(event='authorize', url='https://misskey.example/miauth/s', callback=None)\n"
        "while True:\n"
        "    signal.pause()\n"
    )

    def broken(event):
        raise RuntimeError("the program's own bug")

    with pytest.raises(RuntimeError):
        miauth_cli.login("x", on_event=broken)
    assert (folder / "interrupted").exists()

    (folder / "interrupted").unlink()
    with pytest.raises(RuntimeError):
        asyncio.run(miauth_cli.alogin("x", on_event=broken))
    assert (folder / "interrupted").exists()


def test_an_infinite_timeout_is_left_for_miauth_to_judge(stand_in):
    # miauth refuses `--timeout=inf` as a usage error; the wrapper's own deadline copes with it.
    stand_in("emit(event='error', code=2, kind='usage', message='m', hint=None)\nsys.exit(2)\n")

    with pytest.raises(UsageError):
        miauth_cli.login("x", timeout=float("inf"))


# What `miauth logout --format json` prints when the instance could not be asked (exit 4).
UNREACHABLE = (
    "emit(instance='https://misskey.example', account='@alice@misskey.example', "
    "forgotten=True, revoked='unreachable', settings_url='https://misskey.example/settings/apps', "
    "detail='cannot reach https://misskey.example: Connection refused')\n"
)
# Records what reached the stand-in: MISSKEY_TOKEN and standard input.
RECORD_TOKEN = (
    "(here / 'env').write_text(os.environ.get('MISSKEY_TOKEN', '<unset>'))\n"
    "(here / 'stdin').write_text(sys.stdin.read())\n"
)


def test_revoke_hands_the_token_over_in_the_environment_never_in_the_arguments(
    stand_in, argv, monkeypatch
):
    folder = stand_in(
        RECORD_TOKEN + "emit(instance='https://misskey.example', account=None, "
        "forgotten=False, revoked='yes')\n"
    )
    monkeypatch.setenv("MISSKEY_TOKEN", "AnotherTokenOfThisProcess")

    revocation = miauth_cli.revoke(TOKEN, "misskey.example", timeout=5)

    assert revocation == miauth_cli.Revocation(
        instance="https://misskey.example", account=None, forgotten=False, revoked="yes"
    )
    assert revocation.token_ended
    assert argv() == [
        "revoke",
        "--format=json",
        "--quiet",
        "--timeout=5000ms",
        "--",
        "misskey.example",
    ]
    assert (folder / "env").read_text() == TOKEN
    assert (folder / "stdin").read_text() == ""
    miauth_cli.revoke(TOKEN)
    assert argv() == ["revoke", "--format=json", "--quiet"]
    assert asyncio.run(miauth_cli.arevoke(TOKEN, "misskey.example")).revoked == "yes"
    assert TOKEN not in " ".join(argv())
    assert (folder / "env").read_text() == TOKEN


def test_logout_passes_every_option_as_miauth_reads_it(stand_in, argv):
    stand_in(
        "emit(instance='https://misskey.example', account='@bob@misskey.example', "
        "forgotten=True, revoked='not_asked', settings_url='https://misskey.example/settings/apps')\n"
    )

    revocation = miauth_cli.logout(
        "-misskey.example", user="bob", local=True, force=True, timeout=3
    )

    assert argv() == [
        "logout",
        "--format=json",
        "--quiet",
        "--user=bob",
        "--local",
        "--force",
        "--timeout=3000ms",
        "--",
        "-misskey.example",
    ]
    assert revocation.account == "@bob@misskey.example"
    assert revocation.revoked == "not_asked"
    assert revocation.settings_url == "https://misskey.example/settings/apps"
    assert revocation.detail is None
    miauth_cli.logout("misskey.example")
    assert argv() == ["logout", "--format=json", "--quiet", "--", "misskey.example"]


def test_exit_4_with_an_object_is_a_revocation_that_says_unreachable(stand_in, capsys):
    stand_in(
        UNREACHABLE + "print('miauth: warning: could not ask', file=sys.stderr)\nsys.exit(4)\n"
    )

    for call in (
        lambda: miauth_cli.logout("misskey.example"),
        lambda: asyncio.run(miauth_cli.alogout("misskey.example")),
    ):
        revocation = call()
        assert revocation.revoked == "unreachable"
        assert revocation.forgotten is True
        assert not revocation.token_ended
        assert revocation.detail == "cannot reach https://misskey.example: Connection refused"
        # miauth's warning still reaches the person.
        assert "miauth: warning: could not ask" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("code", "cls", "prints"),
    [
        (1, MiAuthError, ""),
        (2, UsageError, ""),
        (4, InstanceError, ""),  # an instance failure with no object: not a revocation
        (5, LocalError, UNREACHABLE),  # the account could not be forgotten
        (6, NotLoggedIn, ""),
    ],
)
def test_logout_and_revoke_raise_the_error_of_each_exit_code(stand_in, code, cls, prints):
    stand_in(prints + f"print('miauth: error: failed {code}', file=sys.stderr)\nsys.exit({code})\n")

    for call in (
        lambda: miauth_cli.logout("x"),
        lambda: miauth_cli.revoke(TOKEN, "x"),
        lambda: asyncio.run(miauth_cli.alogout("x")),
        lambda: asyncio.run(miauth_cli.arevoke(TOKEN, "x")),
    ):
        with pytest.raises(cls) as caught:
            call()
        assert type(caught.value) is cls
        assert caught.value.code == code
        assert caught.value.message == f"failed {code}"
        rendered = "".join(
            traceback.TracebackException.from_exception(caught.value, capture_locals=True).format()
        )
        assert TOKEN not in rendered


def test_a_token_that_no_environment_can_carry_is_refused_before_miauth_runs(stand_in, tmp_path):
    stand_in("emit(instance='x', account=None, forgotten=False, revoked='yes')\n")

    with pytest.raises(UsageError) as caught:
        miauth_cli.revoke(TOKEN + "\0", "misskey.example")
    assert caught.value.kind == "invalid_token"
    with pytest.raises(TypeError):
        miauth_cli.revoke(TOKEN.encode(), "misskey.example")  # type: ignore[arg-type]
    with pytest.raises(UsageError) as swapped:
        miauth_cli.revoke("misskey.example", TOKEN)
    assert swapped.value.kind == "token_argument"
    assert not (tmp_path / "argv").exists()
    for error in (caught.value, swapped.value):
        rendered = "".join(
            traceback.TracebackException.from_exception(error, capture_locals=True).format()
        )
        assert TOKEN not in rendered


@unix_only
def test_the_wrappers_deadline_interrupts_logout_and_revoke(stand_in, monkeypatch):
    folder = stand_in(
        "def on_int(signum, frame):\n"
        "    marker('interrupted')\n"
        "    sys.exit(130)\n"
        "signal.signal(signal.SIGINT, on_int)\n"
        "while True:\n"
        "    signal.pause()\n"
    )
    # Not the 90 s given to a keyring's unlock prompt: 1 s, and twice the timeout (0).
    monkeypatch.setattr(miauth_cli._results, "DEFAULT_DEADLINE_SECS", 1.0)

    for command, call in (
        ("logout", lambda: miauth_cli.logout("x", timeout=0)),
        ("revoke", lambda: miauth_cli.revoke(TOKEN, "x", timeout=0)),
        ("logout", lambda: asyncio.run(miauth_cli.alogout("x", timeout=0))),
        ("revoke", lambda: asyncio.run(miauth_cli.arevoke(TOKEN, "x", timeout=0))),
    ):
        with pytest.raises(MiAuthTimeout) as caught:
            call()
        assert (folder / "interrupted").exists()
        (folder / "interrupted").unlink()
        assert f"miauth {command}" in caught.value.message
        assert "1 s" in caught.value.message


@unix_only
def test_a_result_printed_when_the_deadline_interrupts_is_returned(stand_in, monkeypatch):
    stand_in(
        "def on_int(signum, frame):\n"
        "    emit(instance='https://x', account=None, forgotten=False, revoked='already')\n"
        "    sys.exit(0)\n"
        "signal.signal(signal.SIGINT, on_int)\n"
        "while True:\n"
        "    signal.pause()\n"
    )
    monkeypatch.setattr(miauth_cli._results, "DEFAULT_DEADLINE_SECS", 1.0)

    assert miauth_cli.revoke(TOKEN, "x", timeout=0).revoked == "already"
