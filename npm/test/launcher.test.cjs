// The `miauth` command of the installed package: the binary's version, its arguments, stdio,
// exit codes and signals passed through, and what it says when the binary is missing.
const { test } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { spawn, spawnSync } = require("node:child_process");
const readline = require("node:readline");
const { scratch, standin, launcher, markers } = require("./support/env.cjs");

const version = require("miauth/package.json").version;
const unix = process.platform !== "win32";

function run(args, env = {}) {
  return spawnSync(launcher.command, [...launcher.args, ...args], {
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
}

test("miauth --version prints the version of the installed package", () => {
  const r = run(["--version"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), `miauth ${version}`);
});

test("miauth token of nothing kept exits 6 with one line saying what to do", () => {
  const r = run(["token", "misskey.example"]);
  assert.equal(r.status, 6);
  assert.equal(r.stdout, "");
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^miauth: error: not logged in .*misskey\.example.*miauth login/);
});

test("a URL with a path is refused with exit 2", () => {
  const r = run(["login", "https://misskey.example/notes", "--no-browser"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /misskey\.example\/notes/);
});

test("arguments reach the binary exactly, spaces and all", { skip: !unix }, () => {
  const args = ["login", "two words", "--name=ünïcödé", "", "-p", "read:*"];
  const r = run(args, { MIAUTH_BINARY: standin, STANDIN: "args" });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.split("\n").slice(0, -1), args);
});

test("every exit code of the binary is the launcher's", { skip: !unix }, () => {
  for (const code of [0, 1, 2, 3, 4, 5, 6, 130, 143]) {
    const r = run([], { MIAUTH_BINARY: standin, STANDIN: `exit-${code}` });
    assert.equal(r.status, code, `exit ${code}`);
  }
});

test("a binary killed by a signal kills the launcher with the same signal", { skip: !unix }, () => {
  const r = run([], { MIAUTH_BINARY: standin, STANDIN: "selfkill" });
  assert.equal(r.status, null);
  assert.equal(r.signal, "SIGKILL");
});

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  test(`${signal} reaches the binary, and the launcher waits for its exit code`, { skip: !unix }, async (t) => {
    const dir = markers();
    const child = spawn(launcher.command, launcher.args, {
      env: { ...process.env, MIAUTH_BINARY: standin, STANDIN: "signals", STANDIN_DIR: dir },
      stdio: ["ignore", "pipe", "ignore"],
    });
    t.after(() => {
      // Whatever happened, nothing of this test outlives it.
      for (const marker of ["sleeper", "pid"]) {
        try {
          process.kill(Number(fs.readFileSync(path.join(dir, marker), "utf8")), "SIGKILL");
        } catch {}
      }
      child.kill("SIGKILL");
    });
    const exited = new Promise((resolve) => child.once("exit", (code, sig) => resolve({ code, sig })));
    const { value: first } = await readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
    assert.equal(first, "ready");
    child.kill(signal);
    // The stand-in exits 7 once it has the signal: the launcher neither died first nor lost it.
    assert.deepEqual(await exited, { code: 7, sig: null });
    assert.equal(fs.readFileSync(path.join(dir, "signal"), "utf8").trim(), signal.slice(3));
  });
}

/** A copy of the installed miauth package alone in a node_modules, as an install without it leaves. */
function installedWithout(others = []) {
  const project = fs.mkdtempSync(path.join(scratch, "project-"));
  const modules = path.join(project, "node_modules");
  fs.cpSync(path.dirname(require.resolve("miauth/package.json")), path.join(modules, "miauth"), { recursive: true });
  for (const other of others) {
    fs.mkdirSync(path.join(modules, other), { recursive: true });
    fs.writeFileSync(path.join(modules, other, "package.json"), JSON.stringify({ name: other, version }));
  }
  return path.join(modules, "miauth", "bin", "miauth");
}

const here = `miauth-${process.platform}-${process.arch}`;

test("without the platform package the launcher names it and --omit=optional, with exit 127", () => {
  const r = spawnSync(process.execPath, [installedWithout(), "--version"], { encoding: "utf8" });
  assert.equal(r.status, 127);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], new RegExp(`^miauth: error: ${here}, .* not installed.*--omit=optional.*npm install miauth`));
});

test("a node_modules copied from another system is named as such", () => {
  const other = here === "miauth-darwin-arm64" ? "miauth-linux-x64" : "miauth-darwin-arm64";
  const r = spawnSync(process.execPath, [installedWithout([other]), "--version"], { encoding: "utf8" });
  assert.equal(r.status, 127);
  assert.match(
    r.stderr,
    new RegExp(`holds ${other}: it was installed on another system.*install.* again on this machine`),
  );
});

test("on a platform without a package the launcher says so and how to build one", () => {
  const bin = require.resolve("miauth/package.json").replace(/package\.json$/, "bin/miauth");
  const elsewhere = `Object.defineProperty(process, "arch", { value: "mips" }); require(${JSON.stringify(bin)});`;
  const r = spawnSync(process.execPath, ["-e", elsewhere], { encoding: "utf8" });
  assert.equal(r.status, 127);
  assert.match(
    r.stderr,
    new RegExp(
      `^miauth: error: there is no prebuilt miauth for ${process.platform}-mips .*cargo install --locked miauth.*MIAUTH_BINARY`,
    ),
  );
});

test("a MIAUTH_BINARY that does not exist is named, with exit 127", () => {
  const missing = path.join(scratch, "no-such-miauth");
  const r = run(["--version"], { MIAUTH_BINARY: missing });
  assert.equal(r.status, 127);
  assert.equal(
    r.stderr,
    `miauth: error: MIAUTH_BINARY is set to ${missing}, which does not exist; point it at a miauth binary, or unset it to use the one installed with this package\n`,
  );
});
