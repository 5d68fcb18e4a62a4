"""`python -m miauth_cli ARGS` is `miauth ARGS`: the same arguments, stdio and exit code.

On Unix this process becomes miauth (exec), so signals reach it directly. Windows has no exec:
miauth runs as a child in the same console, which sends Ctrl-C to both; this process waits
for miauth's last check and exits with its code.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from ._binary import find_miauth_bin
from ._errors import MiAuthNotFound


def main() -> int:
    """Run miauth with this process's arguments; return its exit code (Windows)."""
    try:
        binary = os.fsdecode(find_miauth_bin())
    except MiAuthNotFound as e:
        sys.stderr.write(f"miauth: error: {e}\n")
        return 127
    try:
        if sys.platform != "win32":
            os.execv(binary, [binary, *sys.argv[1:]])
        if sys.platform == "win32":
            # Ctrl-Break reaches miauth too, which makes its last check; this process waits.
            signal.signal(signal.SIGBREAK, signal.SIG_IGN)
        process = subprocess.Popen([binary, *sys.argv[1:]])
    except OSError as e:
        sys.stderr.write(
            f"miauth: error: cannot run {binary}: {e.strerror or e}; reinstall miauth-cli, "
            "or set MIAUTH_BINARY to a working miauth program\n"
        )
        return 126
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            continue  # miauth got the Ctrl-C too, and ends after its last check


if __name__ == "__main__":
    sys.exit(main())
