"""The asyncio API: `alogin`, `aget_token`, `alogout`, `arevoke`.

The same runs of the `miauth` program as the blocking API, with asyncio subprocesses. When the
awaiting task is cancelled, miauth is interrupted as Ctrl-C would (so its last check still
runs, and `on_event` still sees the final event), and the cancellation is raised again.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import subprocess
import sys
from collections.abc import Iterable

from . import _binary
from ._credentials import Credentials
from ._results import (
    LOGIN_ALLOWANCE_SECS,
    Environment,
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
from ._sync import OnEvent, _not_runnable


async def alogin(
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
    """`login()` for asyncio; `on_event` may also be a coroutine function.

    Cancelling the task interrupts miauth as Ctrl-C would: it checks one last time (with
    `save=True` a late approval is still kept, and `on_event` gets the final event), then the
    cancellation goes on.
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
    return await _run(args, timeout + LOGIN_ALLOWANCE_SECS, on_event=on_event, quiet=False)


async def aget_token(
    instance: str | None = None,
    *,
    user: str | None = None,
    check: bool = False,
    login: bool = False,
    timeout: float | None = None,
) -> str:
    """`get_token()` for asyncio; cancelling the task interrupts miauth as Ctrl-C would."""
    args = token_args(instance, user=user, check=check, login=login, timeout=timeout)
    deadline = token_deadline(login, timeout)
    credentials = await _run(args, deadline, on_event=None, quiet=not login)
    return credentials.token


async def alogout(
    instance: str,
    *,
    user: str | None = None,
    local: bool = False,
    force: bool = False,
    timeout: float | None = None,
) -> Revocation:
    """`logout()` for asyncio; cancelling the task interrupts miauth as Ctrl-C would."""
    args = logout_args(instance, user=user, local=local, force=force, timeout=timeout)
    return await _run_once(args, revoke_deadline(timeout))


async def arevoke(
    token: str, instance: str | None = None, *, timeout: float | None = None
) -> Revocation:
    """`revoke()` for asyncio; cancelling the task interrupts miauth as Ctrl-C would."""
    try:
        env = token_environ(token, instance)
    except BaseException:
        del instance  # it may be the token itself, given in the wrong place
        raise
    finally:
        del token  # from here on, no frame of a traceback holds it
    args = revoke_args(instance, timeout=timeout)
    return await _run_once(args, revoke_deadline(timeout), env=env)


async def _run_once(
    args: list[str], deadline: float, *, env: Environment | None = None
) -> Revocation:
    """`_sync._run_once` with an asyncio subprocess."""
    binary = _binary.find_miauth_bin()
    run = Run(command=args[0], deadline=deadline)
    try:
        process = await asyncio.create_subprocess_exec(
            binary,
            *args,
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
    # Shielded: an interrupted miauth's output is still read to its end.
    output = asyncio.ensure_future(process.communicate())
    try:
        try:
            stdout, run.stderr = await asyncio.wait_for(
                asyncio.shield(output), wait_limit(deadline)
            )
        except asyncio.TimeoutError:
            run.timed_out = True
            run.interrupt(process)
            stdout, run.stderr = await _last_words(process, output)
        except asyncio.CancelledError:
            run.interrupt(process)
            await _last_words(process, output)
            raise
    finally:
        if process.returncode is None:
            process.kill()
        if not output.done():
            with contextlib.suppress(BaseException):
                await output
    revocation = run.revocation(
        process.returncode if process.returncode is not None else -9, stdout
    )
    if run.stderr:
        sys.stderr.write(run.stderr.decode("utf-8", "replace"))
    return revocation


async def _last_words(
    process: asyncio.subprocess.Process, output: asyncio.Future[tuple[bytes, bytes]]
) -> tuple[bytes, bytes]:
    """The output of an interrupted miauth, which ends by itself; stopped if it does not."""
    try:
        return await asyncio.wait_for(asyncio.shield(output), _binary.LAST_CHECK_SECS)
    except asyncio.TimeoutError:
        process.kill()
        return await output


async def _run(
    args: list[str], deadline: float, *, on_event: OnEvent | None, quiet: bool
) -> Credentials:
    binary = _binary.find_miauth_bin()
    run = Run(command=args[0], deadline=deadline)
    try:
        process = await asyncio.create_subprocess_exec(
            binary,
            *args,
            stdin=None,  # this process's: on a terminal, a keyring unlock prompt gets 60 s
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if quiet else None,
            **_binary.popen_options(),
        )
    except FileNotFoundError as e:
        raise _not_runnable(binary, e, 127) from None
    except OSError as e:
        raise _not_runnable(binary, e, 126) from None
    stderr = asyncio.ensure_future(_read_all(process.stderr))
    try:
        try:
            await asyncio.wait_for(_follow(process, run, on_event), deadline)
        except asyncio.TimeoutError:
            run.timed_out = True
            await _last_check(process, run, on_event)
        except asyncio.CancelledError:
            await _last_check(process, run, on_event)
            raise
    except BaseException:
        stderr.cancel()
        raise
    finally:
        # As when on_event raised: interrupted first, so a token being fetched is not lost.
        # Once the token is in hand, miauth is left to end by itself (below).
        if process.returncode is None and not run.interrupted and not run.delivered:
            run.interrupt(process)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(process.wait(), _binary.LAST_CHECK_SECS)
        if process.returncode is None and run.delivered:
            # miauth may still be showing a late browser its page for a few seconds; the token
            # is in hand, so it is reaped in the background (a cancellation now cannot lose it).
            passed_on = stderr if quiet and not stderr.cancelled() else None
            _reaping.add(asyncio.ensure_future(_reap(process, run, passed_on)))
        elif process.returncode is None:
            process.kill()
            await process.wait()
    if run.delivered and process.returncode is None:
        return run.outcome(0)
    # The pipe closes with the process (a grandchild holding it cannot stall this).
    try:
        run.stderr = await asyncio.wait_for(stderr, _binary.LAST_CHECK_SECS)
    except asyncio.TimeoutError:
        run.stderr = b""
    credentials = run.outcome(process.returncode if process.returncode is not None else -9)
    if quiet and run.stderr:
        sys.stderr.write(run.stderr.decode("utf-8", "replace"))
    return credentials


#: Background waits for a miauth that has delivered its token, kept until they end.
_reaping: set[asyncio.Future[None]] = set()


async def _reap(
    process: asyncio.subprocess.Process, run: Run, stderr: asyncio.Future[bytes] | None
) -> None:
    """Wait for a miauth that has delivered its token to end, and pass on its warnings.

    When the event loop ends first (the end of `asyncio.run`), miauth is interrupted, which
    ends its wait for a late browser at once, and reaped while the loop still runs.
    """
    try:
        try:
            await process.wait()
        except asyncio.CancelledError:
            run.interrupt(process)
            try:
                await asyncio.wait_for(process.wait(), _binary.LAST_CHECK_SECS)
            except asyncio.TimeoutError:
                process.kill()
                await process.wait()
            raise
        if stderr is not None:
            text = await stderr
            if text:
                sys.stderr.write(text.decode("utf-8", "replace"))
    finally:
        for future in [f for f in _reaping if f.done()]:
            _reaping.discard(future)


async def _last_check(
    process: asyncio.subprocess.Process, run: Run, on_event: OnEvent | None
) -> None:
    """Interrupt miauth and follow it to its end, for as long as its last check may take."""
    run.interrupt(process)
    # Past that, the caller stops it.
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(_follow(process, run, on_event), _binary.LAST_CHECK_SECS)


async def _follow(process: asyncio.subprocess.Process, run: Run, on_event: OnEvent | None) -> None:
    """Read events until miauth's stdout ends, then wait for it to exit."""
    stdout = process.stdout
    assert stdout is not None  # noqa: S101 (stdout is a pipe, as asked)
    while not stdout.at_eof():
        # The line itself is never kept: only the event, whose repr hides the token.
        event = parse_event(await stdout.readline())
        if event is None:
            continue
        run.take(event)
        if on_event is not None:
            result = on_event(event)
            if inspect.isawaitable(result):
                await result
        if run.delivered:
            return  # the result is in hand; what miauth does after it is not waited for
    await process.wait()


async def _read_all(stream: asyncio.StreamReader | None) -> bytes:
    return await stream.read() if stream is not None else b""
