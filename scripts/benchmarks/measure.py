"""Whole-process measurements of miauth and of the baseline, against one fake instance.

Usage: measure.py MIAUTH_BINARY INSTANCE_URL BASELINE_PYTHON RUNS
Prints one line per figure; every timing is a median over RUNS runs, ours and the baseline's
alternating so that both see the same machine. Both logins run under GNU time (for their peak
memory), which adds the same small cost to each."""

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

MIAUTH, INSTANCE, BASELINE_PYTHON, RUNS = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
HERE = os.path.dirname(os.path.abspath(__file__))
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def browse(url):
    """The scripted browser: load the URL and follow every redirect. Returns its own time."""
    started = time.perf_counter()
    with NO_PROXY.open(url, timeout=30) as page:
        page.read()
    return time.perf_counter() - started


def timed(args):
    """`args` run under GNU time, which writes the peak resident memory to a file. (The
    rusage of a child of Python itself would count the forked Python's pages too.)"""
    fd, path = tempfile.mkstemp(prefix="miauth-rss-")
    os.close(fd)
    return ["/usr/bin/time", "-f", "%M", "-o", path, *args], path


def wait_rss(proc, path):
    """Waits for the process; returns its peak resident memory in KiB."""
    proc.wait()
    with open(path) as f:
        kib = int(f.read().split()[-1])
    os.unlink(path)
    return kib


def startup_to_url(extra):
    started = time.perf_counter()
    proc = subprocess.Popen(
        [MIAUTH, "login", INSTANCE, "--no-browser", "--events", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    first = proc.stdout.readline()
    took = time.perf_counter() - started
    proc.kill()
    proc.wait()
    assert json.loads(first)["event"] == "authorize", first
    return took


def ours_login(flood=False):
    args, rss_file = timed([MIAUTH, "login", INSTANCE, "--no-browser", "--events"])
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    event = json.loads(proc.stdout.readline())
    stop = threading.Event()
    sent = junk(event["callback"], stop) if flood else None
    browser = browse(event["url"])
    for line in proc.stdout:
        last = json.loads(line)
        if last["event"] in ("success", "error"):
            break
    took = time.perf_counter() - started
    stop.set()
    if flood:
        return took, browser, wait_rss(proc, rss_file), sent[0]
    assert last["event"] == "success" and len(last["token"]) == 32, last
    return took, browser, wait_rss(proc, rss_file)


def baseline_login():
    args, rss_file = timed([BASELINE_PYTHON, os.path.join(HERE, "baseline.py"), INSTANCE])
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = proc.stderr.readline().strip()
    browser = browse(url)
    token = proc.stdout.readline().strip()
    took = time.perf_counter() - started
    assert len(token) == 32, token
    return took, browser, wait_rss(proc, rss_file)


def junk(callback, stop):
    """Sends junk requests to the callback server from 16 threads until `stop` is set; the
    flood runs 0.3 s before the browser starts. Returns a one-item list counting them."""
    host, port = callback.split("/")[2].split(":")
    requests = [
        b"GET /favicon.ico HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n\r\n",
        b"GET /cb/x?session=forged HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n\r\n",
        b"OPTIONS / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
    ]

    sent = [0]

    def send():
        i = 0
        while not stop.is_set():
            i += 1
            sent[0] += 1
            try:
                with socket.create_connection((host, int(port)), timeout=5) as s:
                    req = requests[i % len(requests)]
                    s.sendall(req % (host.encode(), port.encode()) if b"%s" in req else req)
                    s.recv(512)
            except OSError:
                pass

    for _ in range(16):
        threading.Thread(target=send, daemon=True).start()
    time.sleep(0.3)
    return sent


def median_ms(values):
    return statistics.median(values) * 1000


def main():
    # Warm up caches (binary pages, Python imports) once each.
    ours_login()
    baseline_login()

    url_default = [startup_to_url([]) for _ in range(RUNS)]
    url_skip = [startup_to_url(["--skip-detect"]) for _ in range(RUNS)]
    ours, theirs = [], []
    for _ in range(RUNS):
        ours.append(ours_login())
        theirs.append(baseline_login())
    flood = ours_login(flood=True)

    o_total = median_ms([t for t, _, _ in ours])
    o_beyond = median_ms([t - b for t, b, _ in ours])
    o_rss = max(r for _, _, r in ours) / 1024
    b_total = median_ms([t for t, _, _ in theirs])
    b_beyond = median_ms([t - b for t, b, _ in theirs])
    b_rss = max(r for _, _, r in theirs) / 1024

    print(f"start-up to URL (detection on)      {median_ms(url_default):8.1f} ms median of {RUNS}")
    print(f"start-up to URL (--skip-detect)     {median_ms(url_skip):8.1f} ms median of {RUNS}")
    print(f"complete login, miauth              {o_total:8.1f} ms median ({o_beyond:.1f} ms beyond the scripted browser)")
    print(f"complete login, baseline            {b_total:8.1f} ms median ({b_beyond:.1f} ms beyond the scripted browser)")
    print(f"  ratio miauth / baseline           {o_total / b_total:8.2f} (beyond the browser: {o_beyond / b_beyond:.2f})")
    print(f"peak RSS of a login, miauth         {o_rss:8.1f} MiB (max of {RUNS})")
    print(f"peak RSS of a login, baseline       {b_rss:8.1f} MiB (max of {RUNS})")
    print(f"  ratio miauth / baseline           {o_rss / b_rss:8.2f}")
    print(f"complete login under a flood        {(flood[0] - flood[1]) * 1000:8.1f} ms beyond the browser (0.3 s of flood first; {flood[3]} junk requests in all)")
    print(f"peak RSS of a login under a flood   {flood[2] / 1024:8.1f} MiB")


main()
