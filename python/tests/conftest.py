"""Fixtures: an isolated store, the fake instance, and stand-in programs.

Every test runs with its own store directory (MIAUTH_CONFIG_DIR, file store), without
MISSKEY_URL and MISSKEY_TOKEN, so no test touches the user's keyring or configuration. The
fake instance is `miauth mock --auto-approve` of the installed wheel, also dressed as servers
that do and do not let a token revoke itself; a stand-in is a small Python script that
MIAUTH_BINARY points to, for what the real program cannot be made to do on demand (every exit
code, ignoring an interrupt).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Callable

import pytest

import miauth_cli


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store of the test's own; no token or binary from the environment."""
    config = tmp_path / "config"
    monkeypatch.setenv("MIAUTH_CONFIG_DIR", str(config))
    monkeypatch.setenv("MIAUTH_STORE", "file")
    for name in ("MISSKEY_URL", "MISSKEY_TOKEN", "MIAUTH_BINARY", "BROWSER"):
        monkeypatch.delenv(name, raising=False)
    return config


def _start_fake_instance(*args: str) -> tuple[str, Callable[[], None]]:
    """Start `miauth mock --auto-approve ARGS`; its base URL, and a function that stops it."""
    binary = miauth_cli.find_miauth_bin()
    process = subprocess.Popen(
        [binary, "mock", "--auto-approve", "-q", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
    )
    stdout = process.stdout
    assert stdout is not None
    url = stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), url

    def stop() -> None:
        if process.poll() is None:
            process.terminate()
        process.wait()
        stdout.close()

    return url, stop


def _fake_instance(*args: str) -> Iterator[str]:
    url, stop = _start_fake_instance(*args)
    yield url
    stop()


@pytest.fixture(scope="session")
def mock() -> Iterator[str]:
    """The base URL of `miauth mock --auto-approve`, which approves every page it serves."""
    yield from _fake_instance()


@pytest.fixture(scope="session")
def firefish() -> Iterator[str]:
    """The fake instance dressed as Firefish 20241205, which refuses a revoked token with 403."""
    yield from _fake_instance("--dressed-as", "firefish:20241205")


@pytest.fixture(scope="session")
def misskey_2026_9() -> Iterator[str]:
    """The fake instance dressed as Misskey 2026.9.0, where a token may revoke itself."""
    yield from _fake_instance("--dressed-as", "misskey:2026.9.0")


@pytest.fixture(scope="session")
def misskey_2025_11() -> Iterator[str]:
    """The fake instance dressed as Misskey 2025.11.1, which refuses an app's own revocation
    (400 ACCESS_DENIED) and leaves the token working."""
    yield from _fake_instance("--dressed-as", "misskey:2025.11.1")


@pytest.fixture
def short_lived() -> Iterator[tuple[str, Callable[[], None]]]:
    """A fake instance (dressed as Misskey 2026.9.0) of the test's own, and a function that
    stops it: an instance that goes away."""
    url, stop = _start_fake_instance("--dressed-as", "misskey:2026.9.0")
    yield url, stop
    stop()


def _approve(event: dict) -> None:
    if event["event"] == "authorize":
        urllib.request.urlopen(event["url"], timeout=30).read()


@pytest.fixture
def approve() -> Callable[[dict], None]:
    """An `on_event` that plays the browser: it opens the consent page, whose auto-approval
    sends it back to miauth."""
    return _approve


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """$BROWSER set to a script that opens the page as `approve` does."""
    script = tmp_path / "browser.py"
    script.write_text(
        "import sys, urllib.request\nurllib.request.urlopen(sys.argv[1], timeout=30).read()\n"
    )
    monkeypatch.setenv("BROWSER", f'"{sys.executable}" "{script}" %s')


StandIn = Callable[[str], Path]


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StandIn:
    """Make MIAUTH_BINARY a Python script with this body; returns its folder.

    The body sees `emit(**event)` (one JSON line on stdout), `here` (the folder, for marker
    files) and `argv`; it records its arguments in `here/argv` before anything else.
    """

    def make(body: str) -> Path:
        script = tmp_path / "miauth-stand-in"
        script.write_text(
            f"#!{sys.executable}\n"
            "import json, os, signal, sys, threading, time\n"
            "from pathlib import Path\n"
            f"here = Path({str(tmp_path)!r})\n"
            "argv = sys.argv[1:]\n"
            "(here / 'argv').write_text(json.dumps(argv))\n"
            "def emit(**event):\n"
            "    print(json.dumps(event), flush=True)\n"
            "def marker(name):\n"
            "    (here / name).write_text('')\n" + textwrap.dedent(body)
        )
        script.chmod(0o755)
        monkeypatch.setenv("MIAUTH_BINARY", str(script))
        return tmp_path

    return make


@pytest.fixture
def argv(tmp_path: Path) -> Callable[[], list[str]]:
    """The arguments the stand-in was last run with."""
    return lambda: json.loads((tmp_path / "argv").read_text())
