// Each test file runs miauth with a store of its own (a plain file in a temporary directory),
// no MISSKEY_URL/MISSKEY_TOKEN from the environment, and a scripted browser, so no real one
// opens and no real keyring or configuration is touched.
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { spawn } = require("node:child_process");
const readline = require("node:readline");

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "miauth-npm-test-"));
process.env.MIAUTH_CONFIG_DIR = path.join(scratch, "config");
process.env.MIAUTH_STORE = "file";
// Quoted, so that a path with spaces or backslashes (Windows) stays one word.
process.env.BROWSER = `"${process.execPath}" "${path.join(__dirname, "browser.cjs")}"`;
process.env.NO_COLOR = "1";
for (const name of ["MISSKEY_URL", "MISSKEY_TOKEN", "MIAUTH_BINARY", "STANDIN", "STANDIN_DIR"]) {
  delete process.env[name];
}

const standin = path.join(__dirname, "standin.sh");
/**
 * The installed package's launcher, as `npx miauth` runs it: `command` with `args` first. On Unix
 * that is the `.bin/miauth` link; on Windows `.bin` holds a shell script and a `.cmd` shim, and
 * the launcher's script is run through node, as the shim does.
 */
const launcher =
  process.platform === "win32"
    ? {
        command: process.execPath,
        args: [path.join(__dirname, "..", "..", "node_modules", "miauth", "bin", "miauth")],
      }
    : { command: path.join(__dirname, "..", "..", "node_modules", ".bin", "miauth"), args: [] };

/**
 * Starts `miauth mock --auto-approve` (with `args`, like `--dressed-as firefish:20241205`) and
 * resolves with its base URL and a stop function.
 */
function startMock(bin, args = []) {
  const child = spawn(bin, ["mock", "--auto-approve", ...args], { stdio: ["ignore", "pipe", "ignore"] });
  const lines = readline.createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`miauth mock exited with ${code} before its URL`)));
    lines.once("line", (url) => {
      child.removeAllListeners("exit");
      resolve({
        url,
        stop: () =>
          new Promise((done) => {
            child.once("exit", done);
            child.kill("SIGTERM");
          }),
      });
    });
  });
}

/** A directory for one test's markers. */
function markers() {
  return fs.mkdtempSync(path.join(scratch, "markers-"));
}

module.exports = { scratch, standin, launcher, startMock, markers };
