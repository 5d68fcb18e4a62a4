// The `miauth` command of the npm package: runs the binary with the same arguments, stdio and
// environment, and ends the way it ended (its exit code, or the signal that ended it).
//
// SIGINT, SIGTERM and SIGHUP are passed on to the child, which decides what they mean (a login
// checks one last time before it stops), and this process waits for it instead of dying first.
// On Windows the console sends Ctrl-C to both processes itself, and Node could only kill the
// child, so nothing is passed on there; this process just waits.

const { spawn } = require("node:child_process");
const os = require("node:os");
const { findMiauthBin } = require("./binary.js");

// On Windows, Ctrl-Break (SIGBREAK) reaches both processes too; without a handler Node would
// end at once and lose the child's exit code, so it is listened for (and left to the child).
const PASSED_ON = ["SIGINT", "SIGTERM", "SIGHUP", ...(process.platform === "win32" ? ["SIGBREAK"] : [])];

function fail(message, code) {
  process.stderr.write(`miauth: error: ${message}\n`);
  process.exit(code);
}

function main() {
  let bin;
  try {
    bin = findMiauthBin();
  } catch (e) {
    fail(e.message, 127);
    return;
  }
  // The handlers come first: a signal that arrives while the child starts is passed on too.
  let child = null;
  const early = [];
  const handlers = PASSED_ON.map((sig) => {
    const handler = () => {
      if (process.platform === "win32") {
        return;
      }
      if (child) {
        child.kill(sig);
      } else {
        early.push(sig);
      }
    };
    process.on(sig, handler);
    return [sig, handler];
  });
  child = spawn(bin, process.argv.slice(2), { stdio: "inherit" });
  for (const sig of early) {
    child.kill(sig);
  }
  child.on("error", (e) => {
    const cannot = e.code === "ENOENT" ? "does not exist" : `cannot be run (${e.code ?? e.message})`;
    fail(
      `${bin} ${cannot}; reinstall miauth, or set MIAUTH_BINARY to a miauth binary for this system`,
      e.code === "ENOENT" ? 127 : 126,
    );
  });
  child.on("exit", (code, signal) => {
    if (signal) {
      // Die of the same signal, so a shell sees what the child's own death would show.
      for (const [sig, handler] of handlers) {
        process.removeListener(sig, handler);
      }
      process.kill(process.pid, signal);
      process.exit(128 + (os.constants.signals[signal] ?? 0));
    }
    process.exit(code ?? 1);
  });
}

module.exports = { main };
