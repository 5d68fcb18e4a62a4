"""The blocking API: `login`, `get_token`, `environ`, `logout`, `revoke`.

Each runs the `miauth` program once. `login`, `get_token` and `environ` read its `--events`
JSON lines as they come (a thread reads the pipe, so the deadline holds even when miauth prints
nothing), and return what the final `success` event carries or raise what the final `error`
event (or the exit code) says. `logout` and `revoke` read the one object of `--format json`.
"""

from __future__ import annotations

import contextlib
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from typing import IO, Any, Callable

from . import _binary
from ._credentials import Credentials
from ._results import (
    LOGIN_ALLOWANCE_SECS,
    Environment,
    Event,
    Run,
    login_args,
    logout_args,
    parse_event,
    revoke_args,
    revoke_deadline,
    token_args,
    token_deadline,
    token_environ,
    wait_limit,
)
from ._revocation import Revocation

OnEvent = Callable[[Event], Any]


def login(
    instance: str,
    *,
    permissions: str | Iterable[str] | None = None,
    name: str | None = None,
    save: bool = False,
    no_callback: bool = False,
    open_browser: bool = True,
    timeout: float = 300,
    on_event: OnEvent | None = None,
) -> Credentials:
    """Log in to a Misskey instance in the browser, as `miauth login --events` does.

    The URL to open (and, without a browser, a QR code) goes to this process's stderr, for the
    person; miauth's progress events go to `on_event`.

    Args:
        instance: the instance (`misskey.io`, `https://misskey.io`) or an account handle
            (`@alice@misskey.io`).
        permissions: permission names or patterns, as one comma-separated string or a list
            (miauth's default: `read:account`).
        name: the application name the consent page shows.
        save: also keep the token (then `get_token()` finds it).
        no_callback: no callback server; miauth finds the approval by polling (approve on
            any device).
        open_browser: `False` opens nothing; the person opens the URL (or use `on_event`).
        timeout: seconds to wait for approval. The call itself may take up to 90 s more (the
            instance's answers, the last check, the browser's final page, a keyring's unlock
            prompt); past that, miauth is interrupted and `MiAuthTimeout` raised.
        on_event: called with every event as it comes (a dict: `authorize` with `url`,
            `waiting`, `retrying`, `callback`, then `success` or `error`).

    Returns:
        The token, the instance, the account and the permissions.

    Raises:
        UsageError, NotApproved, InstanceError, LocalError, MiAuthError: as miauth's exit code
        says. KeyboardInterrupt: on Ctrl-C, unless miauth's last check then finds the approval.
    """
    args = login_args(
        instance,
        permissions=permissions,
        name=name,
        save=save,
        no_callback=no_callback,
        open_browser=open_browser,
        timeout=timeout,
    )
    return _run(args, timeout + LOGIN_ALLOWANCE_SECS, on_event=on_event, quiet=False)


def get_token(
    instance: str | None = None,
    *,
    user: str | None = None,
    check: bool = False,
    login: bool = False,
    timeout: float | None = None,
) -> str:
    """Return the kept token of an instance, as `miauth token` does.

    Args:
        instance: the instance; `None` when exactly one is kept.
        user: the account's username (default: the instance's active account).
        check: first ask the instance whether the token still works; a revoked one counts as
            missing.
        login: when no usable token is kept, log in (in the browser) and keep the new token;
            otherwise raise `NotLoggedIn`.
        timeout: seconds the call may take (default 90: a keyring's unlock prompt may take
            60); with `login=True`, seconds to wait for approval as in `login()` (default 300).

    Raises:
        NotLoggedIn: nothing usable is kept (and `login` is false).
        MiAuthError and its subclasses: as miauth's exit code says; `MiAuthTimeout`.
    """
    args = token_args(instance, user=user, check=check, login=login, timeout=timeout)
    deadline = token_deadline(login, timeout)
    return _run(args, deadline, on_event=None, quiet=not login).token


def environ(instance: str | None = None, *, user: str | None = None) -> dict[str, str]:
    """Return `MISSKEY_URL` and `MISSKEY_TOKEN` of a kept account, for a child's environment.

    Like `miauth exec` without the command: `subprocess.run(cmd, env={**os.environ,
    **environ("misskey.io")})`. Never logs in: raises `NotLoggedIn` when nothing is kept.
    """
    args = token_args(instance, user=user, check=False, login=False, timeout=None)
    credentials = _run(args, token_deadline(False, None), on_event=None, quiet=True)
    return {"MISSKEY_URL": credentials.instance, "MISSKEY_TOKEN": credentials.token}


def logout(
    instance: str,
    *,
    user: str | None = None,
    local: bool = False,
    force: bool = False,
    timeout: float | None = None,
) -> Revocation:
    """End a kept token's life, as `miauth logout` does: revoke it on its instance where the
    instance allows it (Misskey 2026.9.0 and later), then forget the account here.

    Args:
        instance: the instance whose account to forget.
        user: the account's username (default: the instance's active account).
        local: only forget the account here, without asking the instance (`revoked` is then
            `"not_asked"`: the token works until the app is deleted at `settings_url`).
        force: forget the account even when the system keyring cannot be reached (its token
            then stays in the keyring, and miauth says on stderr how to remove it).
        timeout: seconds the instance may take to answer each request (miauth's default:
            15). The call may take up to twice that and 90 s more (a keyring's unlock prompt);
            past that, miauth is interrupted and `MiAuthTimeout` raised.

    Returns:
        What happened. When the instance could not be asked, the account is forgotten all the
        same and `revoked` is `"unreachable"` (miauth's exit code 4): the token may still work
        until the person deletes the app at `settings_url`.

    Raises:
        NotLoggedIn: nothing is kept for that instance or account.
        LocalError: the kept tokens or the keyring cannot be read or written (see `force`).
        UsageError, MiAuthError: as miauth's exit code says; `MiAuthTimeout`.
    """
    args = logout_args(instance, user=user, local=local, force=force, timeout=timeout)
    return _run_once(args, revoke_deadline(timeout))


def revoke(token: str, instance: str | None = None, *, timeout: float | None = None) -> Revocation:
    """Revoke a token that is not kept, as `miauth revoke` does (the last step of a job that
    logged in without keeping the token).

    The token reaches miauth only through its environment (`MISSKEY_TOKEN`), never its
    arguments, which other users of the machine can read; no message, `repr` or traceback
    holds it.

    Args:
        token: the token to revoke.
        instance: its instance (default: `MISSKEY_URL` of this process's environment).
        timeout: as for `logout()`.

    Returns:
        What happened (`account` is `None` and `forgotten` is `False`); `revoked` is
        `"unreachable"` when the instance could not be asked.

    Raises:
        UsageError: no instance, an invalid one, or an instance that looks like a token.
        MiAuthError and its subclasses: as miauth's exit code says; `MiAuthTimeout`.
    """
    try:
        env = token_environ(token, instance)
    except BaseException:
        del instance  # it may be the token itself, given in the wrong place
        raise
    finally:
        del token  # from here on, no frame of a traceback holds it
    return _run_once(revoke_args(instance, timeout=timeout), revoke_deadline(timeout), env=env)


def _run_once(args: list[str], deadline: float, *, env: Environment | None = None) -> Revocation:
    """Run miauth with `args` to its end and return what its `--format json` object says.

    `env`: the child's environment (`revoke`'s token); its stdin is then empty, so the token
    comes from the environment alone. Otherwise it has this process's stdin, for a keyring's
    unlock prompt.
    """
    binary = _binary.find_miauth_bin()
    run = Run(command=args[0], deadline=deadline)
    try:
        process = subprocess.Popen(
            [binary, *args],
            stdin=subprocess.DEVNULL if env is not None else None,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            **_binary.popen_options(),
        )
    except FileNotFoundError as e:
        raise _not_runnable(binary, e, 127) from None
    except OSError as e:
        raise _not_runnable(binary, e, 126) from None
    stdout = b""
    with process:
        try:
            try:
                stdout, run.stderr = process.communicate(timeout=wait_limit(deadline))
            except subprocess.TimeoutExpired:
                run.timed_out = True
                run.interrupt(process)
                stdout, run.stderr = _last_words(process)
            except KeyboardInterrupt:
                # Ctrl-C: miauth ends what it is doing (a keyring's prompt, a request) first.
                run.interrupt(process)
                _last_words(process)
                raise
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    revocation = run.revocation(process.returncode, stdout)
    if run.stderr:
        # Warnings (the token may still work, a keyring fallback) still reach the person.
        sys.stderr.write(run.stderr.decode("utf-8", "replace"))
    return revocation


def _last_words(process: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
    """The output of an interrupted miauth, which ends by itself; stopped if it does not."""
    try:
        return process.communicate(timeout=_binary.LAST_CHECK_SECS)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()


def _run(args: list[str], deadline: float, *, on_event: OnEvent | None, quiet: bool) -> Credentials:
    """Run miauth with `args` and return its result; `quiet` keeps its stderr for errors."""
    binary = _binary.find_miauth_bin()
    run = Run(command=args[0], deadline=deadline)
    try:
        process = subprocess.Popen(
            [binary, *args],
            stdin=None,  # this process's: on a terminal, a keyring unlock prompt gets 60 s
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if quiet else None,
            **_binary.popen_options(),
        )
    except FileNotFoundError as e:
        raise _not_runnable(binary, e, 127) from None
    except OSError as e:
        raise _not_runnable(binary, e, 126) from None
    events: queue.Queue[Event | None] = queue.Queue()
    threading.Thread(target=_read_events, args=(process.stdout, events), daemon=True).start()
    stderr_chunks: list[bytes] = []
    stderr_reader = None
    if quiet:
        stderr_reader = threading.Thread(
            target=lambda: stderr_chunks.append(process.stderr.read()),  # type: ignore[union-attr]
            daemon=True,
        )
        stderr_reader.start()
    ends_at = time.monotonic() + deadline
    try:
        try:
            _follow(process, events, run, ends_at, on_event)
        except KeyboardInterrupt:
            # Ctrl-C: miauth makes its last check; a late approval is still delivered.
            run.interrupt(process)
            ends_at = time.monotonic() + _binary.LAST_CHECK_SECS
            _follow(process, events, run, ends_at, on_event, stopping=True)
            if run.final is None or run.final.name != "success":
                raise
    finally:
        if run.delivered and process.poll() is None:
            # The token is in hand; miauth may still be showing a late browser its page (a
            # few seconds) and ends by itself: reaped in the background, never interrupted.
            threading.Thread(
                target=_reap, args=(process, stderr_reader, stderr_chunks), daemon=True
            ).start()
        else:
            _end(process, run)
    if run.delivered and process.returncode is None:
        return run.outcome(0)
    if stderr_reader is not None:
        stderr_reader.join(_binary.LAST_CHECK_SECS)
        run.stderr = b"".join(stderr_chunks)
    credentials = run.outcome(process.returncode)
    if quiet and run.stderr:
        # Warnings (where the token is kept, a keyring fallback) still reach the person.
        sys.stderr.write(run.stderr.decode("utf-8", "replace"))
    return credentials


def _reap(
    process: subprocess.Popen[bytes],
    stderr_reader: threading.Thread | None,
    stderr_chunks: list[bytes],
) -> None:
    """Wait for a miauth that has delivered its token to end, and pass on its warnings."""
    process.wait()
    if process.stdout is not None:
        process.stdout.close()
    if stderr_reader is not None:
        stderr_reader.join()
        if stderr_chunks and stderr_chunks[0]:
            sys.stderr.write(stderr_chunks[0].decode("utf-8", "replace"))


def _follow(
    process: subprocess.Popen[bytes],
    events: queue.Queue[Event | None],
    run: Run,
    ends_at: float,
    on_event: OnEvent | None,
    *,
    stopping: bool = False,
) -> None:
    """Read events until miauth ends; past `ends_at`, interrupt it, then stop it.

    `stopping`: it was interrupted already; follow it until `ends_at`, then stop it.
    """
    stopping_at = ends_at if stopping else None
    while True:
        limit = stopping_at if stopping_at is not None else ends_at
        try:
            event = _next_event(events, limit)
        except queue.Empty:
            if stopping_at is not None:
                return  # it did not end in time; `_end` stops it
            run.timed_out = True
            run.interrupt(process)
            stopping_at = time.monotonic() + _binary.LAST_CHECK_SECS
            continue
        if event is None:
            break
        run.take(event)
        if on_event is not None:
            on_event(event)
        if run.delivered:
            return  # the result is in hand; what miauth does after it is not waited for
    limit = stopping_at if stopping_at is not None else ends_at
    try:
        process.wait(max(0.0, limit - time.monotonic()))
    except subprocess.TimeoutExpired:
        if stopping_at is None:
            run.timed_out = True
            run.interrupt(process)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(_binary.LAST_CHECK_SECS)


def _next_event(events: queue.Queue[Event | None], limit: float) -> Event | None:
    """The next event, or `queue.Empty` once the clock passes `limit`.

    Waited for in short slices: a long wait on a queue cannot be interrupted by Ctrl-C on
    Windows (before Python 3.14), and a limit however far (an infinite timeout) stays valid.
    """
    while True:
        left = limit - time.monotonic()
        if left <= 0:
            return events.get_nowait()
        try:
            return events.get(timeout=min(left, 0.25))
        except queue.Empty:
            continue


def _read_events(stdout: IO[bytes], events: queue.Queue[Event | None]) -> None:
    try:
        for line in stdout:
            event = parse_event(line)
            if event is not None:
                events.put(event)
    finally:
        events.put(None)


def _end(process: subprocess.Popen[bytes], run: Run) -> None:
    """Stop miauth if it is still running (as when `on_event` raised), and reap it.

    Unless it was interrupted already, it is interrupted first and given its last check, so a
    token it is fetching at that moment is not lost.
    """
    if process.poll() is None and not run.interrupted:
        run.interrupt(process)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(_binary.LAST_CHECK_SECS)
    if process.poll() is None:
        process.kill()
    process.wait()
    if process.stdout is not None:
        process.stdout.close()


def _not_runnable(binary: str, error: OSError, code: int) -> Exception:
    from ._errors import MiAuthError, MiAuthNotFound

    cls = MiAuthNotFound if code == 127 else MiAuthError
    return cls(
        f"cannot run the miauth program {binary}: {error.strerror or error}",
        code=code,
        kind="not_found" if code == 127 else "not_runnable",
        hint="reinstall miauth-cli, or set MIAUTH_BINARY to a working miauth program",
    )
