// The library through require('miauth'), against the installed binary and its fake instance:
// a login that keeps the token, the kept token read back, and the errors a program meets.
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const http = require("node:http");
const path = require("node:path");
const util = require("node:util");
const { startMock } = require("./support/env.cjs");
const miauth = require("miauth");

let mock;
before(async () => {
  mock = await startMock(miauth.findMiauthBin());
});
after(() => mock?.stop());

test("findMiauthBin finds the binary of the platform package", () => {
  assert.match(miauth.findMiauthBin(), new RegExp(`miauth-${process.platform}-${process.arch}`));
});

test("login keeps the token, and getToken and env read it back", async () => {
  const events = [];
  const credentials = await miauth.login(mock.url, {
    save: true,
    permissions: ["read:account"],
    name: "npm test",
    onEvent: (e) => events.push(e),
  });
  assert.match(credentials.token, /\S{8,}/);
  assert.equal(credentials.instance, mock.url);
  assert.ok(credentials.user.username);
  assert.deepEqual(credentials.permissions, ["read:account"]);
  assert.equal(events[0].event, "authorize");
  assert.equal(events.at(-1).event, "success");
  assert.equal(events.at(-1).instance, mock.url);

  const host = new URL(mock.url).host;
  assert.equal(await miauth.getToken(host), credentials.token);
  assert.equal(await miauth.getToken(host, { user: credentials.user.username, check: true }), credentials.token);
  assert.deepEqual(await miauth.env(host), { MISSKEY_URL: mock.url, MISSKEY_TOKEN: credentials.token });

  // The token shows only through .token: not in events, logs, JSON or strings.
  for (const shown of [
    JSON.stringify(events),
    util.inspect(credentials),
    JSON.stringify(credentials),
    String(credentials),
    JSON.stringify({ ...credentials }),
  ]) {
    assert.ok(!shown.includes(credentials.token), shown);
  }
  assert.match(util.inspect(credentials), /token: '\[hidden: read \.token\]'/);
});

test("getToken with check rejects a revoked token with NotLoggedInError (6), on Misskey and on Firefish", async () => {
  const firefish = await startMock(miauth.findMiauthBin(), ["--dressed-as", "firefish:20241205"]);
  try {
    for (const server of [mock, firefish]) {
      const credentials = await miauth.login(server.url, { save: true });
      const revoked = await new Promise((resolve, reject) => {
        const request = http.request(`${server.url}/mock/revoke`, { method: "POST" }, (response) => {
          response.resume();
          resolve(response.statusCode);
        });
        request.once("error", reject);
        request.end(JSON.stringify({ token: credentials.token }));
      });
      assert.equal(revoked, 204);
      const host = new URL(server.url).host;
      assert.equal(await miauth.getToken(host), credentials.token, "no request without check");
      const error = await miauth.getToken(host, { check: true }).catch((e) => e);
      assert.ok(error instanceof miauth.NotLoggedInError, `${server.url}: ${error}`);
      assert.equal(error.code, 6);
      assert.equal(error.kind, "token_revoked");
    }
  } finally {
    await firefish.stop();
  }
});

test("an unquoted $BROWSER of a program and its script opens the login through the script", async (t) => {
  // A Windows path and an argument (Z:\...\node.exe Z:\...\browser.cjs under Wine): split by
  // Windows rules there, shell rules elsewhere, the backslashes kept.
  const script = path.join(__dirname, "support", "browser.cjs");
  const browser = `${process.execPath} ${script}`;
  if (/\s/.test(process.execPath) || /\s/.test(script)) {
    t.skip("a path with white space needs quotes");
    return;
  }
  const before = process.env.BROWSER;
  process.env.BROWSER = browser;
  try {
    const credentials = await miauth.login(mock.url, { timeoutMs: 60_000 });
    assert.match(credentials.token, /\S{8,}/);
  } finally {
    process.env.BROWSER = before;
  }
});

test("getToken of an instance with nothing kept rejects with NotLoggedInError (6)", async () => {
  const error = await miauth.getToken("nothing-kept.example").catch((e) => e);
  assert.ok(error instanceof miauth.NotLoggedInError, error);
  assert.ok(error instanceof miauth.MiauthError);
  assert.equal(error.code, 6);
  assert.equal(error.kind, "not_logged_in");
  assert.match(error.message, /nothing-kept\.example/);
  assert.match(error.hint, /miauth login nothing-kept\.example --save/);
});

test("a URL with a path rejects with UsageError (2)", async () => {
  const error = await miauth.login("https://misskey.example/notes").catch((e) => e);
  assert.ok(error instanceof miauth.UsageError, error);
  assert.equal(error.code, 2);
  assert.equal(error.kind, "invalid_instance");
  assert.match(error.message, /misskey\.example\/notes.*; give the web address/);
});

test("input of the wrong type rejects with UsageError before anything runs", async () => {
  await assert.rejects(miauth.login(undefined), { name: "UsageError", code: 2, message: /the instance is undefined/ });
  await assert.rejects(miauth.login(mock.url, { permissions: [42] }), { name: "UsageError" });
  await assert.rejects(miauth.getToken("x", { timeoutMs: -1 }), { name: "UsageError", message: /timeoutMs/ });
});

test("a login nobody approves rejects with NotApprovedError (3) after its timeout", async () => {
  const error = await miauth.login(mock.url, { openBrowser: false, timeoutMs: 1000 }).catch((e) => e);
  assert.ok(error instanceof miauth.NotApprovedError, error);
  assert.equal(error.code, 3);
  assert.equal(error.kind, "deadline");
});
