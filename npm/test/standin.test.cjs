// The library against a stand-in binary (MIAUTH_BINARY) that gives it every outcome: each exit
// code, an event-less failure, a token that could not be kept, a process that lingers after
// its result, an AbortSignal (the child must get SIGINT and may still deliver), a hang.
const { test, beforeEach } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const util = require("node:util");
const { standin, markers } = require("./support/env.cjs");
const miauth = require("miauth");

const SECRET = "SECRET-standin-token";
const skip = process.platform === "win32";

let dir;
function mode(name) {
  process.env.STANDIN = name;
}
beforeEach(() => {
  dir = markers();
  process.env.MIAUTH_BINARY = standin;
  process.env.STANDIN_DIR = dir;
});

/** Everything an error shows when printed, logged or serialised. */
function shown(error) {
  return [error.message, error.stack, util.inspect(error), JSON.stringify(error), String(error)].join("\n");
}

const classes = {
  2: miauth.UsageError,
  3: miauth.NotApprovedError,
  4: miauth.InstanceError,
  5: miauth.LocalError,
  6: miauth.NotLoggedInError,
  130: miauth.InterruptedError,
  1: miauth.MiauthError,
};

test("each exit code's error event becomes its error class, with code, kind and hint", { skip }, async () => {
  for (const [code, Class] of Object.entries(classes)) {
    mode(`event-${code}`);
    for (const call of [() => miauth.login("misskey.example"), () => miauth.getToken("misskey.example")]) {
      const error = await call().catch((e) => e);
      assert.equal(error.constructor, Class, `exit ${code}: ${error}`);
      assert.equal(error.code, Number(code));
      assert.equal(error.kind, `kind${code}`);
      assert.equal(error.hint, `do ${code}`);
      assert.equal(error.message, `failure ${code}; do ${code}`);
    }
  }
  assert.equal(new miauth.InterruptedError("x").name, "AbortError");
});

test("an exit code without an event is mapped too, with miauth's last stderr line", { skip }, async () => {
  mode("exit-6");
  const error = await miauth.getToken().catch((e) => e);
  assert.ok(error instanceof miauth.NotLoggedInError, error);
  assert.equal(error.message, "it broke without an event; report it");
  mode("exit-0");
  await assert.rejects(miauth.getToken(), { name: "MiauthError", kind: "no_result" });
});

test("the options become miauth's flags, the instance after --", { skip }, async () => {
  mode("echo-args");
  const login = await miauth.login("-host", {
    permissions: ["read:account", "write:notes"],
    name: "bot",
    save: true,
    noCallback: true,
    openBrowser: false,
    timeoutMs: 1500,
  });
  assert.deepEqual(login.permissions, [
    "login",
    "--events",
    "--permission",
    "read:account,write:notes",
    "--name",
    "bot",
    "--save",
    "--no-callback",
    "--no-browser",
    "--timeout",
    "1500ms",
    "--",
    "-host",
  ]);
  const plain = await miauth.login("h");
  assert.deepEqual(plain.permissions, ["login", "--events", "--timeout", "300000ms", "--", "h"]);
  assert.equal(
    await miauth.getToken("h", { user: "bob", check: true }),
    "token --events --no-login --check --user bob -- h",
  );
  assert.equal(await miauth.getToken(), "token --events --no-login");
  assert.equal(
    await miauth.getToken("h", { login: true, timeoutMs: 2000 }),
    "token --events --login --timeout 2000ms -- h",
  );
});

test("a token that could not be kept rejects with LocalError carrying the credentials", { skip }, async () => {
  mode("unkept");
  const error = await miauth.login("misskey.example", { save: true }).catch((e) => e);
  assert.ok(error instanceof miauth.LocalError, error);
  assert.equal(error.credentials.token, SECRET);
  assert.ok(!shown(error).includes(SECRET), shown(error));
});

test("success resolves at once, while the process still serves a late browser's page", { skip }, async () => {
  mode("success-linger");
  const credentials = await miauth.login("misskey.example");
  assert.equal(credentials.token, SECRET);
  assert.equal(credentials.handle, "@alice@misskey.example");
  const pid = Number(fs.readFileSync(path.join(dir, "pid"), "utf8"));
  assert.doesNotThrow(() => process.kill(pid, 0), "the stand-in should still be running");
  process.kill(pid, "SIGKILL");
});

test("onEvent never sees the token, and no message or log of the credentials shows it", { skip }, async () => {
  mode("success");
  const events = [];
  const credentials = await miauth.login("misskey.example", { onEvent: (e) => events.push(e) });
  assert.deepEqual(events, [
    {
      event: "success",
      instance: "https://misskey.example",
      user: { id: "9x", username: "alice", host: null, name: "Alice" },
      permissions: ["read:account"],
    },
  ]);
  for (const text of [util.inspect(credentials), JSON.stringify(credentials), `${credentials}`]) {
    assert.ok(!text.includes(SECRET), text);
  }
  assert.equal((await miauth.env()).MISSKEY_TOKEN, SECRET);
});

test("an AbortSignal sends the child SIGINT and rejects with an AbortError", { skip }, async () => {
  mode("interrupt");
  const controller = new AbortController();
  const error = await miauth
    .login("misskey.example", {
      signal: controller.signal,
      onEvent: (e) => e.event === "authorize" && controller.abort(),
    })
    .catch((e) => e);
  // The stand-in wrote the marker when SIGINT reached it, before its final event.
  assert.equal(fs.readFileSync(path.join(dir, "signal"), "utf8").trim(), "INT");
  assert.ok(error instanceof miauth.InterruptedError, error);
  assert.equal(error.name, "AbortError");
  assert.equal(error.code, 130);
  assert.equal(error.cause, controller.signal.reason);
});

test("an approval found by the last check after an abort still delivers the token", { skip }, async () => {
  mode("interrupt-approved");
  const controller = new AbortController();
  const credentials = await miauth.login("misskey.example", {
    signal: controller.signal,
    onEvent: (e) => e.event === "authorize" && controller.abort(),
  });
  assert.equal(fs.readFileSync(path.join(dir, "signal"), "utf8").trim(), "INT");
  assert.equal(credentials.token, SECRET);
});

test("an already aborted signal rejects without running miauth", async () => {
  mode("success");
  await assert.rejects(miauth.login("misskey.example", { signal: AbortSignal.abort() }), { name: "AbortError" });
  assert.ok(!fs.existsSync(path.join(dir, "pid")));
});

test("a failing onEvent interrupts the child, and its error is the rejection", { skip }, async () => {
  mode("interrupt");
  const mine = new Error("my handler failed");
  const error = await miauth
    .login("misskey.example", {
      onEvent: () => {
        throw mine;
      },
    })
    .catch((e) => e);
  assert.equal(error, mine);
  assert.equal(fs.readFileSync(path.join(dir, "signal"), "utf8").trim(), "INT");
});

test("getToken past its timeoutMs kills the child and rejects with TimeoutError", { skip }, async () => {
  mode("hang");
  const error = await miauth.getToken("misskey.example", { timeoutMs: 300 }).catch((e) => e);
  assert.ok(error instanceof miauth.TimeoutError, error);
  assert.equal(error.code, null);
  assert.equal(error.kind, "timeout");
  assert.match(error.message, /within 300 ms/);
  // The stand-in itself was ended, not left behind: wait for it to die (Linux: /proc).
  if (process.platform === "linux") {
    const pid = Number(fs.readFileSync(path.join(dir, "pid"), "utf8"));
    while (!gone(pid)) {
      await new Promise(setImmediate);
    }
  }
});

/** Whether a process has ended: no longer there, or a zombie waiting to be reaped. */
function gone(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].startsWith("Z");
  } catch {
    return true;
  }
}

test("a missing MIAUTH_BINARY rejects with NotFoundError naming it", async () => {
  process.env.MIAUTH_BINARY = path.join(dir, "nowhere");
  const error = await miauth.getToken().catch((e) => e);
  assert.ok(error instanceof miauth.NotFoundError, error);
  assert.equal(error.code, 127);
  assert.match(error.message, /nowhere, which does not exist; point it at a miauth binary/);
});

test("logout and revoke become miauth's flags; revoke's token goes through MISSKEY_TOKEN only", { skip }, async () => {
  mode("revocation");
  const marker = (name) => fs.readFileSync(path.join(dir, name), "utf8").trim();
  const revocation = await miauth.logout("-host", { user: "bob", local: true, force: true, timeoutMs: 1500 });
  assert.deepEqual(revocation, {
    instance: "https://misskey.example",
    account: "@alice@misskey.example",
    forgotten: true,
    revoked: "yes",
  });
  assert.equal(marker("args"), "logout --format json --timeout 1500ms --local --force --user bob -- -host");
  assert.equal(marker("token"), "unset");
  await miauth.logout("h");
  assert.equal(marker("args"), "logout --format json --timeout 15000ms -- h");
  await miauth.revoke(SECRET, { instance: "-h", timeoutMs: 2000 });
  assert.equal(marker("args"), "revoke --format json --timeout 2000ms -- -h");
  assert.equal(marker("token"), SECRET);
  await miauth.revoke(SECRET);
  assert.equal(marker("args"), "revoke --format json --timeout 15000ms");
  assert.equal(marker("token"), SECRET);
});

test('exit 4 with its object resolves ("unreachable"), an exit without one rejects by its code', { skip }, async () => {
  const calls = [() => miauth.logout("misskey.example"), () => miauth.revoke(SECRET, { instance: "misskey.example" })];
  mode("unreachable");
  for (const call of calls) {
    const revocation = await call();
    assert.equal(revocation.revoked, "unreachable");
    assert.equal(revocation.forgotten, true);
    assert.equal(revocation.settingsUrl, "https://misskey.example/settings/apps");
    assert.equal(revocation.detail, "cannot reach https://misskey.example");
  }
  for (const [code, Class] of Object.entries(classes)) {
    mode(`exit-${code}`);
    for (const call of calls) {
      const error = await call().catch((e) => e);
      assert.equal(error.constructor, Class, `exit ${code}: ${error}`);
      assert.equal(error.code, Number(code));
      assert.equal(error.message, "it broke without an event; report it");
    }
  }
  mode("exit-0");
  for (const call of calls) {
    await assert.rejects(call(), { name: "MiauthError", kind: "no_result" });
  }
});

test("a token miauth would show is cut out of revoke's result and errors", { skip }, async () => {
  mode("echo-token-0");
  const revocation = await miauth.revoke(SECRET, { instance: "misskey.example" });
  assert.equal(revocation.detail, "refused [token]");
  mode("echo-token-5");
  const error = await miauth.revoke(SECRET, { instance: "misskey.example" }).catch((e) => e);
  assert.ok(error instanceof miauth.LocalError, error);
  assert.equal(error.message, "the token [token] broke it; do something");
  assert.ok(!shown(error).includes(SECRET), shown(error));
});

test("an AbortSignal interrupts logout and revoke with an AbortError", { skip }, async () => {
  mode("interrupt");
  for (const call of [(signal) => miauth.logout("h", { signal }), (signal) => miauth.revoke(SECRET, { signal })]) {
    const controller = new AbortController();
    const pending = call(controller.signal).catch((e) => e);
    while (!fs.existsSync(path.join(dir, "pid"))) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    controller.abort();
    const error = await pending;
    assert.ok(error instanceof miauth.InterruptedError, error);
    assert.equal(error.name, "AbortError");
    assert.equal(error.cause, controller.signal.reason);
    fs.rmSync(path.join(dir, "pid"));
  }
});

test("an already aborted signal rejects logout and revoke without running miauth", async () => {
  mode("revocation");
  const signal = AbortSignal.abort();
  await assert.rejects(miauth.logout("h", { signal }), { name: "AbortError" });
  await assert.rejects(miauth.revoke(SECRET, { signal }), { name: "AbortError" });
  assert.ok(!fs.existsSync(path.join(dir, "pid")));
});
