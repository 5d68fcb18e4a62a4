"""Finding the `miauth` program and starting and interrupting it on each system.

The wheel installs the program as its script, beside the `miauth_cli` package; this module
finds it where pip puts scripts (the environment, a `--user` install, a `--target` folder), or
on `PATH`. Interrupting the program is what Ctrl-C does, so it still makes its last check: on
Unix SIGINT, on Windows CTRL_BREAK_EVENT to the program's own process group (Ctrl-C cannot be
sent to one child alone there).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
from typing import Any

from ._errors import MiAuthNotFound

#: How long miauth may take to end once interrupted: its last check has 5 s, then keeping a
#: token it found may wait for a keyring's unlock prompt (60 s on a terminal). Killing it
#: sooner could lose a token the instance has handed out; miauth ends by itself before this.
LAST_CHECK_SECS = 75.0


def _exe_name() -> str:
    return "miauth" + (sysconfig.get_config_var("EXE") or "")


def _candidates() -> list[str]:
    exe = _exe_name()
    # `pip install --target DIR` puts scripts in DIR/bin (DIR/Scripts on Windows), beside the
    # package's own folder; a site-packages folder has neither.
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    places = [os.path.join(root, "bin"), os.path.join(root, "Scripts")]
    places.append(sysconfig.get_path("scripts"))
    if sys.version_info >= (3, 10):
        user_scheme = sysconfig.get_preferred_scheme("user")
    elif os.name == "nt":
        user_scheme = "nt_user"
    elif sys.platform == "darwin" and getattr(sys, "_framework", None):
        user_scheme = "osx_framework_user"
    else:
        user_scheme = "posix_user"
    places.append(sysconfig.get_path("scripts", scheme=user_scheme))
    return [os.path.join(place, exe) for place in places if place]


def find_miauth_bin() -> str:
    """Return the path of the `miauth` program this package runs.

    In order: the `MIAUTH_BINARY` environment variable; the program installed with this
    package (a `--target` folder's `bin`, the environment's scripts folder, a `--user`
    install's); then `PATH`.

    Raises:
        MiAuthNotFound: `MIAUTH_BINARY` names no file, or the program is nowhere.
    """
    named = os.environ.get("MIAUTH_BINARY")
    if named:
        if os.path.isfile(named):
            return named
        raise MiAuthNotFound(
            f"MIAUTH_BINARY is set to {named!r}, which is not a file",
            code=127,
            kind="not_found",
            hint="point it at the miauth program, or unset it to use the installed one",
        )
    for path in _candidates():
        if os.path.isfile(path):
            return path
    on_path = shutil.which("miauth")
    if on_path:
        return on_path
    raise MiAuthNotFound(
        f"the miauth program is not installed for this Python ({sys.executable}) nor on PATH",
        code=127,
        kind="not_found",
        hint="run `python -m pip install miauth-cli` with this Python, or set MIAUTH_BINARY "
        "to the miauth program",
    )


def popen_options() -> dict[str, Any]:
    """Keyword arguments for starting miauth so that `interrupt` can reach it."""
    if sys.platform == "win32":
        # Its own group, so CTRL_BREAK_EVENT reaches miauth and not this process.
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {}


def interrupt(process: Any) -> None:
    """Interrupt a running miauth as Ctrl-C would: it checks one last time, then ends.

    `process` is a `subprocess.Popen` or an `asyncio.subprocess.Process`.
    """
    if process.returncode is not None:
        return
    try:
        if sys.platform == "win32":
            process.send_signal(signal.CTRL_BREAK_EVENT)
        else:
            process.send_signal(signal.SIGINT)
    except (ProcessLookupError, OSError):
        pass  # it has just ended by itself
