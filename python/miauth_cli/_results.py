"""What goes into the `miauth` program and what comes out: its arguments (and, for `revoke`,
its environment), its JSON events and objects, the credentials, the revocations, and the
exception its exit code calls for.

Nothing here runs a process; `_sync` and `_async` do, each in its own way, and share all of
this. No value that holds the token shows it in its `repr`.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ._binary import interrupt
from ._credentials import Credentials
from ._errors import BY_CODE, MiAuthError, MiAuthTimeout, UsageError
from ._revocation import Revocation

#: Time allowed on top of a login's `timeout`: the instance's answers before the wait starts
#: and after it, the last check (5 s), the browser's final page (up to 10 s), and a keyring
#: that asks the person to unlock it (up to 60 s on a terminal).
LOGIN_ALLOWANCE_SECS = 90.0
#: The deadline of a call that logs in nowhere (reading the kept token, where a keyring may ask
#: to be unlocked for up to 60 s, and asking the instance).
DEFAULT_DEADLINE_SECS = 90.0
#: miauth's own default time to wait for approval.
DEFAULT_LOGIN_SECS = 300.0
#: miauth's own default time for one request of a revocation (`--timeout` of `logout` and
#: `revoke`).
DEFAULT_REVOKE_SECS = 15.0


class Event(dict):  # type: ignore[type-arg]
    """One JSON line of `miauth --events`, as a dict; its `repr` leaves the token out."""

    @property
    def name(self) -> str:
        """The event's name: `authorize`, `waiting`, `retrying`, `callback`, `success`,
        `error`."""
        return str(self.get("event", ""))

    def __repr__(self) -> str:
        return repr(_redacted(dict(self)))

    __str__ = __repr__


def _redacted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("<hidden>" if k == "token" else _redacted(v)) for k, v in value.items()}
    return value


def parse_event(line: bytes | str) -> Event | None:
    """The event on one line of miauth's stdout, or `None` for a line that is not one."""
    try:
        value = json.loads(line)
    except ValueError:
        return None
    if not isinstance(value, dict) or "event" not in value:
        return None
    return Event(value)


def duration(seconds: float) -> str:
    """A number of seconds as miauth's `--timeout` reads it (miauth itself judges the value)."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"timeout must be a number of seconds, not {type(seconds).__name__}")
    if not math.isfinite(seconds):
        return str(seconds)  # miauth refuses it as a usage error, naming the value
    return f"{round(seconds * 1000)}ms"


def login_args(
    instance: str,
    *,
    permissions: str | Iterable[str] | None,
    name: str | None,
    save: bool,
    no_callback: bool,
    open_browser: bool,
    timeout: float,
) -> list[str]:
    """The arguments of `miauth login` for `login()` and `alogin()`."""
    args = ["login", "--events", f"--timeout={duration(timeout)}"]
    if isinstance(permissions, str):
        permissions = [permissions]
    for names in permissions or ():
        args.append(f"--permission={names}")
    if name is not None:
        args.append(f"--name={name}")
    if save:
        args.append("--save")
    if no_callback:
        args.append("--no-callback")
    if not open_browser:
        args.append("--no-browser")
    # After `--`, an instance that starts with `-` is still an instance.
    return [*args, "--", instance]


def token_args(
    instance: str | None,
    *,
    user: str | None,
    check: bool,
    login: bool,
    timeout: float | None,
) -> list[str]:
    """The arguments of `miauth token` for `get_token()`, `aget_token()` and `environ()`."""
    args = ["token", "--events", "--login" if login else "--no-login"]
    if user is not None:
        args.append(f"--user={user}")
    if check:
        args.append("--check")
    if login and timeout is not None:
        args.append(f"--timeout={duration(timeout)}")
    return [*args, "--", instance] if instance is not None else args


def token_deadline(login: bool, timeout: float | None) -> float:
    """How long a `miauth token` call may take in all, in seconds."""
    if login:
        return (DEFAULT_LOGIN_SECS if timeout is None else timeout) + LOGIN_ALLOWANCE_SECS
    return DEFAULT_DEADLINE_SECS if timeout is None else timeout


def logout_args(
    instance: str, *, user: str | None, local: bool, force: bool, timeout: float | None
) -> list[str]:
    """The arguments of `miauth logout` for `logout()` and `alogout()`.

    `--quiet`: what the object says is not said again on stderr; warnings still are.
    """
    args = ["logout", "--format=json", "--quiet"]
    if user is not None:
        args.append(f"--user={user}")
    if local:
        args.append("--local")
    if force:
        args.append("--force")
    if timeout is not None:
        args.append(f"--timeout={duration(timeout)}")
    return [*args, "--", instance]


def revoke_args(instance: str | None, *, timeout: float | None) -> list[str]:
    """The arguments of `miauth revoke` for `revoke()` and `arevoke()`: never the token."""
    args = ["revoke", "--format=json", "--quiet"]
    if timeout is not None:
        args.append(f"--timeout={duration(timeout)}")
    return [*args, "--", instance] if instance is not None else args


def revoke_deadline(timeout: float | None) -> float:
    """How long a `miauth logout` or `miauth revoke` call may take in all, in seconds.

    Two requests of up to `timeout` each (the revocation, then the one that shows the token
    no longer works), and 90 s for the rest: a keyring that asks to be unlocked (up to 60 s)
    before the token is read and again before the account is forgotten.
    """
    per_request = DEFAULT_REVOKE_SECS if timeout is None else timeout
    return DEFAULT_DEADLINE_SECS + 2 * max(0.0, per_request)


def wait_limit(deadline: float) -> float | None:
    """A deadline as a wait's timeout: `None` (no limit) for an infinite one."""
    return deadline if math.isfinite(deadline) else None


class Environment(dict):  # type: ignore[type-arg]
    """The environment of a `miauth revoke` child: this process's, and `MISSKEY_TOKEN`, the
    only way the token reaches miauth. Its `repr` shows neither."""

    def __repr__(self) -> str:
        return f"<the environment of miauth: {len(self)} variables, MISSKEY_TOKEN hidden>"

    __str__ = __repr__


def token_environ(token: str, instance: str | None) -> Environment:
    """The environment that hands `token` to `miauth revoke`.

    Raises (before miauth runs, and with no frame of the traceback holding the token):
        TypeError: the token is not a `str`.
        UsageError: the token cannot be an environment variable's value, or `instance` is
            the token, or looks like one (it would be in miauth's arguments, which every user
            of the machine can read).
    """
    problem = _token_problem(token, instance)
    if problem is not None:
        del token, instance
        raise problem
    return Environment(os.environ, MISSKEY_TOKEN=token)


def _token_problem(token: object, instance: str | None) -> Exception | None:
    """What is wrong with the token or the instance given with it (never showing either)."""
    if not isinstance(token, str):
        return TypeError(f"token must be a str, not {type(token).__name__}")
    encodable = True
    try:
        os.fsencode(token)
    except UnicodeError:
        encodable = False  # (raised outside this block: the error would hold the token)
    if "\0" in token or not encodable:
        return UsageError(
            "the token cannot be handed to miauth: it holds a character that no environment "
            "variable can carry",
            code=2,
            kind="invalid_token",
            hint="pass the token as the instance gave it",
        )
    if instance is not None and (
        instance.strip() == token.strip() or _looks_like_a_token(instance.strip())
    ):
        return UsageError(
            "the instance looks like a token, and a token is never passed as an argument: "
            "other users of this machine can read the arguments of a running command",
            code=2,
            kind="token_argument",
            hint="call revoke(token, instance), the token first",
        )
    return None


def _looks_like_a_token(text: str) -> bool:
    """A Misskey token, as `miauth revoke` tells one from an instance (which it can refuse
    only once it is in its arguments): letters and digits, too long for a host name."""
    return len(text) >= 16 and text.isascii() and text.isalnum()


def parse_revocation(stdout: bytes) -> Revocation | None:
    """The object `miauth logout` or `miauth revoke --format json` printed, if it did."""
    for line in reversed(stdout.splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        revocation = Revocation.from_json(value)
        if revocation is not None:
            return revocation
    return None


@dataclass
class Run:
    """What one run of miauth left behind, gathered while it runs."""

    command: str
    deadline: float
    final: Event | None = None
    timed_out: bool = False
    interrupted: bool = False
    stderr: bytes = field(default=b"", repr=False)

    def interrupt(self, process: Any) -> None:
        """Interrupt miauth as Ctrl-C would, and remember that it was."""
        self.interrupted = True
        interrupt(process)

    def take(self, event: Event) -> None:
        """Keep the final event; the first `success` or `error` is the only one."""
        if self.final is None and event.name in ("success", "error"):
            self.final = event

    @property
    def delivered(self) -> bool:
        """Whether miauth has handed over the token (its `success` event).

        It may go on for a few seconds after that, showing a late browser how the login ended;
        the caller has its result and need not wait for that.
        """
        return self.final is not None and self.final.name == "success"

    def outcome(self, returncode: int) -> Credentials:
        """The credentials of a successful run, or the exception its end calls for.

        A `success` event wins over everything else, so a token miauth delivered is never lost,
        even when it was interrupted or stopped afterwards.
        """
        final = self.final
        if final is not None and final.name == "success":
            return Credentials.from_event(final)
        if self.timed_out:
            raise self._timeout()
        if returncode == 130:
            raise KeyboardInterrupt
        if final is not None:
            code = _int(final.get("code"), returncode)
            raise _error_class(code)(
                str(final.get("message") or f"miauth failed with exit code {code}"),
                code=code,
                kind=str(final.get("kind") or "unknown"),
                hint=final.get("hint"),
                credentials=_delivered(final),
            )
        message, kind = self._stderr_error(returncode)
        raise _error_class(returncode)(message, code=returncode, kind=kind)

    def revocation(self, returncode: int, stdout: bytes) -> Revocation:
        """What a run of `miauth logout` or `miauth revoke --format json` did, or the
        exception its end calls for.

        Its object is the result when the instance answered (exit 0) and when it could not
        be asked (exit 4: `revoked` is `"unreachable"`, and `logout` forgot the account all
        the same); any other end raises, even one that printed an object (exit 5: the account
        could not be forgotten).
        """
        if returncode in (0, 4):
            revocation = parse_revocation(stdout)
            if revocation is not None:
                return revocation
        if self.timed_out:
            raise self._timeout()
        if returncode == 130:
            raise KeyboardInterrupt
        message, kind = self._stderr_error(returncode)
        raise _error_class(returncode)(message, code=returncode, kind=kind)

    def _timeout(self) -> MiAuthTimeout:
        return MiAuthTimeout(
            f"`miauth {self.command}` did not finish within {self.deadline:g} s, "
            "so it was interrupted and stopped",
            code=None,
            kind="timeout",
            hint="give it more time with timeout=, or read what miauth printed on stderr",
        )

    def _stderr_error(self, returncode: int) -> tuple[str, str]:
        prefix = "miauth: error: "
        lines = self.stderr.decode("utf-8", "replace").splitlines()
        said = [line[len(prefix) :] for line in lines if line.startswith(prefix)]
        if said:
            return said[-1], "unknown"
        if returncode < 0:
            return f"`miauth {self.command}` was ended by signal {-returncode}", "signal"
        if returncode == 0:
            return f"`miauth {self.command}` ended without a result", "internal"
        return f"`miauth {self.command}` failed with exit code {returncode}", "unknown"


def _delivered(error: Event) -> Credentials | None:
    """The token an `error` event carries when it arrived but could not be kept or written.

    (A function of its own, so that no frame of a traceback holds the plain dict.)
    """
    result = error.get("result")
    if isinstance(result, dict) and result.get("token"):
        return Credentials.from_event(result)
    return None


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _error_class(code: int) -> type[MiAuthError]:
    return BY_CODE.get(code, MiAuthError)
