"""The time `miauth_cli.get_token()` adds over running `miauth token` directly.

Run with a Python that has the wheel installed (scripts/test-python leaves one):

    target/python-test-venv/bin/python scripts/benchmarks/python_wrapper.py [RUNS]

It starts `miauth mock --auto-approve`, logs in once with `save=True` into a store of its own
(a temporary MIAUTH_CONFIG_DIR, the file store), then times RUNS calls of each, alternating:
`subprocess.run([miauth, "token", URL])` as any program would run the command, and
`miauth_cli.get_token(URL)`. Both read the same kept token and ask no instance. It prints the
medians and their difference, and the one-off cost of `import miauth_cli` in a fresh Python.
Loopback only.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import miauth_cli


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    os.environ["MIAUTH_CONFIG_DIR"] = tempfile.mkdtemp(prefix="miauth-bench-")
    os.environ["MIAUTH_STORE"] = "file"
    for name in ("MISSKEY_URL", "MISSKEY_TOKEN"):
        os.environ.pop(name, None)
    binary = miauth_cli.find_miauth_bin()
    mock = subprocess.Popen(
        [binary, "mock", "--auto-approve", "-q"], stdout=subprocess.PIPE, text=True
    )
    try:
        url = mock.stdout.readline().strip()  # type: ignore[union-attr]

        def approve(event: dict) -> None:
            if event["event"] == "authorize":
                urllib.request.urlopen(event["url"], timeout=30).read()  # noqa: S310

        token = miauth_cli.login(url, save=True, open_browser=False, on_event=approve).token
        command, wrapper = [], []
        for _ in range(3):  # warm the page cache for both
            subprocess.run([binary, "token", url], capture_output=True, check=True)
            miauth_cli.get_token(url)
        for _ in range(runs):
            start = time.perf_counter()
            done = subprocess.run([binary, "token", url], capture_output=True, check=True)
            command.append(time.perf_counter() - start)
            assert done.stdout.strip().decode() == token  # noqa: S101
            start = time.perf_counter()
            got = miauth_cli.get_token(url)
            wrapper.append(time.perf_counter() - start)
            assert got == token  # noqa: S101
    finally:
        mock.terminate()
        mock.wait()
    imports = []
    for _ in range(min(runs, 10)):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import miauth_cli"], check=True)
        bare = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        imports.append(bare - (time.perf_counter() - start))

    def ms(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:6.1f} ms"

    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, {binary}")
    print(f"miauth token (subprocess.run)       {ms(command)}  median of {runs}")
    print(f"miauth_cli.get_token()              {ms(wrapper)}  median of {runs}")
    added = statistics.median(wrapper) - statistics.median(command)
    print(f"added by the wrapper                {added * 1000:6.1f} ms")
    print(f"import miauth_cli (once a process)  {ms(imports)}  median of {len(imports)}")


if __name__ == "__main__":
    main()
