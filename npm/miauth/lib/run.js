// Runs miauth with `--events` and settles on its one final event: `success` or `error`.
//
// Every line miauth writes on stdout is a JSON event; the final one decides, whatever the exit
// code, so a token the instance handed out is never lost (not even when the run was aborted and
// the last check found an approval). The promise settles on that event: a process that keeps
// serving a late browser's page for a few seconds after `success` is left to end by itself and
// does not hold the caller. Without a final event the exit code decides.
//
// Deadlines: each phase of the run has an allowance, and the clock starts again when a phase
// begins (`authorize`: the wait for approval, then the last check, confirming and keeping the
// token; `callback`: the same once the browser came back). Past it the child is killed and the
// promise rejects with TimeoutError.
// An AbortSignal sends SIGINT, as Ctrl-C would, so the child still checks once more.
//
// runJson runs a command that prints one object with `--format json` (`logout`, `revoke`) and
// settles when the child exits: on the object for the exit codes that come with one, else on
// the error of the exit code.

const { spawn } = require("node:child_process");
const readline = require("node:readline");
const { findMiauthBin } = require("./binary.js");
const { Credentials } = require("./credentials.js");
const { InterruptedError, MiauthError, TimeoutError, errorFor } = require("./errors.js");

/** How much of a child's stderr is kept when it is not shown, for an error without an event. */
const STDERR_KEPT = 4096;

/** The event as the caller's onEvent sees it: without the token, which only Credentials holds. */
function withoutToken(event) {
  const copy = { ...event };
  if ("token" in copy) {
    delete copy.token;
  }
  if (copy.result && typeof copy.result === "object") {
    copy.result = withoutToken(copy.result);
  }
  return copy;
}

function describe(ms) {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/**
 * @param {string[]} args miauth's arguments, `--events` included
 * @param {object} how
 * @param {boolean} how.showStderr a person is there: stdin and stderr are theirs (the URL, the
 *   QR code); else stderr is kept for an error without an event
 * @param {number} how.startMs allowance from the start until the first phase event
 * @param {{[event: string]: number}} [how.phases] allowance from each such event on
 * @param {AbortSignal} [how.signal]
 * @param {(event: object) => void} [how.onEvent]
 * @returns {Promise<object>} the success event
 */
function runEvents(args, { showStderr, startMs, phases = {}, signal, onEvent }) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(interrupted(signal.reason));
      return;
    }
    let bin;
    try {
      bin = findMiauthBin();
    } catch (e) {
      reject(e);
      return;
    }
    const child = spawn(bin, args, {
      // With a person there, stdin too: miauth then gives a keyring's unlock prompt time.
      stdio: showStderr ? ["inherit", "pipe", "inherit"] : ["ignore", "pipe", "pipe"],
      windowsHide: true,
    });
    let settled = false;
    let finalEvent = null;
    let timer = null;
    let abortReason;
    let aborted = false;
    let callbackFailed = false;
    let stderrText = "";

    const cleanUp = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const settle = (fn, value) => {
      if (settled) {
        return;
      }
      settled = true;
      cleanUp();
      // A child still running (serving a late browser's page) must not keep Node alive.
      child.unref();
      child.stdout.destroy();
      child.stderr?.destroy();
      fn(value);
    };
    const arm = (ms, what) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        child.kill("SIGKILL");
        settle(
          reject,
          new TimeoutError(`miauth did not finish within ${describe(ms)} ${what}`, {
            kind: "timeout",
            hint: "give it more time with timeoutMs, or run the same command in a terminal to see where it stops",
          }),
        );
      }, ms);
    };
    const interrupt = (reason, fromCallback) => {
      if (aborted || finalEvent) {
        return;
      }
      aborted = true;
      abortReason = reason;
      callbackFailed = fromCallback;
      // On Windows this ends the child at once (Node cannot send it Ctrl-C): no last check.
      child.kill("SIGINT");
    };
    function onAbort() {
      interrupt(signal.reason, false);
    }
    /** An interruption ends in the callback's own error, or in an AbortError. */
    const abortedError = (error) => (callbackFailed ? abortReason : error);

    arm(startMs, "of its start");
    signal?.addEventListener("abort", onAbort, { once: true });

    if (!showStderr) {
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (chunk) => {
        stderrText = (stderrText + chunk).slice(-STDERR_KEPT);
      });
    }

    const lines = readline.createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY });
    lines.on("line", (line) => {
      let event;
      try {
        event = JSON.parse(line);
      } catch {
        return; // Not an event; miauth writes none such with --events.
      }
      if (!event || typeof event.event !== "string" || finalEvent) {
        return;
      }
      if (event.event === "success" || event.event === "error") {
        finalEvent = event;
      } else if (event.event in phases) {
        arm(phases[event.event], `after its \`${event.event}\` event`);
      }
      if (onEvent) {
        try {
          onEvent(withoutToken(event));
        } catch (e) {
          // A failing callback stops the run as an abort would; the final event still decides.
          interrupt(e, true);
        }
      }
      if (event.event === "success") {
        settle(resolve, event);
      } else if (event.event === "error") {
        const error = errorFor(event.code, event.message, event.kind, event.hint, abortReason);
        if (event.result?.token) {
          // The token arrived but could not be kept: it is the caller's all the same.
          error.credentials = new Credentials(event.result);
        }
        settle(reject, aborted && error instanceof InterruptedError ? abortedError(error) : error);
      }
    });

    child.on("error", (e) => settle(reject, spawnError(bin, e)));
    child.on("close", (code, sig) => {
      if (settled) {
        return;
      }
      if (aborted && (sig || code === 130 || code === 143)) {
        settle(reject, abortedError(interrupted(abortReason)));
      } else if (sig) {
        settle(reject, new MiauthError(`miauth was ended by ${sig}`, { kind: "signal" }));
      } else {
        const said = stderrText
          .trim()
          .split("\n")
          .pop()
          ?.replace(/^miauth: error: /, "");
        settle(
          reject,
          errorFor(
            code,
            said || `miauth exited with code ${code} without a result`,
            code === 0 ? "no_result" : "unknown",
          ),
        );
      }
    });
  });
}

// The binary could not be started at all.
function spawnError(bin, e) {
  return new MiauthError(`cannot run ${bin}: ${e.message}`, {
    kind: "spawn",
    hint: "check that it is a miauth binary for this system and executable, or set MIAUTH_BINARY to one",
    cause: e,
  });
}

function interrupted(reason, what = "the login") {
  return new InterruptedError(`${what} was interrupted`, { code: 130, kind: "interrupted", cause: reason });
}

/** The one JSON object miauth printed on stdout (`--format json`), or null. */
function lastObject(text) {
  for (const line of text.trim().split("\n").reverse()) {
    try {
      const value = JSON.parse(line);
      if (value && typeof value === "object" && !Array.isArray(value)) {
        return value;
      }
    } catch {
      // Not the object; miauth writes nothing else on stdout with --format json.
    }
  }
  return null;
}

/**
 * Runs miauth with `--format json`, which prints one object on stdout, and resolves with that
 * object when miauth exits with one of the codes of `results`; any other ending rejects with the
 * error of its exit code, the message being miauth's last stderr line. Nobody is expected to be
 * there: stdin is empty and stderr is kept, not shown.
 *
 * The `secret` (a token handed to miauth through `env`, never in `args`) is cut out of every
 * message and of the object's strings, should miauth ever echo it.
 *
 * @param {string[]} args miauth's arguments, `--format json` included
 * @param {object} how
 * @param {string} how.what what runs, for the messages: "the logout"
 * @param {number} how.deadlineMs past it the child is killed and the promise rejects with TimeoutError
 * @param {number[]} how.results the exit codes whose object is the result
 * @param {{[name: string]: string}} [how.env] added to the child's environment
 * @param {string} [how.secret]
 * @param {AbortSignal} [how.signal] sends the child SIGINT, as Ctrl-C would
 * @returns {Promise<object>} the object
 */
function runJson(args, { what, deadlineMs, results, env, secret, signal }) {
  const scrub = (text) => (secret && typeof text === "string" ? text.split(secret).join("[token]") : text);
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(interrupted(signal.reason, what));
      return;
    }
    let bin;
    try {
      bin = findMiauthBin();
    } catch (e) {
      reject(e);
      return;
    }
    const child = spawn(bin, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: env ? { ...process.env, ...env } : process.env,
      windowsHide: true,
    });
    let settled = false;
    let aborted = false;
    let stdoutText = "";
    let stderrText = "";

    const settle = (fn, value) => {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      fn(value);
    };
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      settle(
        reject,
        new TimeoutError(`miauth did not finish ${what} within ${describe(deadlineMs)}`, {
          kind: "timeout",
          hint: "give it more time with timeoutMs, or run the same command in a terminal to see where it stops",
        }),
      );
    }, deadlineMs);
    function onAbort() {
      if (!aborted) {
        aborted = true;
        child.kill("SIGINT");
      }
    }
    signal?.addEventListener("abort", onAbort, { once: true });

    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      stdoutText += chunk;
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => {
      stderrText = (stderrText + chunk).slice(-STDERR_KEPT);
    });

    child.on("error", (e) => settle(reject, spawnError(bin, e)));
    child.on("close", (code, sig) => {
      if (settled) {
        return;
      }
      const object = lastObject(stdoutText);
      if (results.includes(code) && object) {
        // What miauth did is done, even when an abort came too late to stop it.
        for (const [key, value] of Object.entries(object)) {
          object[key] = scrub(value);
        }
        settle(resolve, object);
      } else if (aborted && (sig || code === 130 || code === 143)) {
        settle(reject, interrupted(signal.reason, what));
      } else if (sig) {
        settle(reject, new MiauthError(`miauth was ended by ${sig}`, { kind: "signal" }));
      } else {
        const said = stderrText
          .trim()
          .split("\n")
          .pop()
          ?.replace(/^miauth: error: /, "");
        settle(
          reject,
          errorFor(
            code,
            scrub(said) || `miauth exited with code ${code} without a result`,
            code === 0 ? "no_result" : "unknown",
          ),
        );
      }
    });
  });
}

module.exports = { runEvents, runJson };
