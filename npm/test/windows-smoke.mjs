// The library on Windows, as a program uses it (scripts/test-npm-windows runs this under Wine
// against a fake instance on this machine, MIAUTH_SMOKE_INSTANCE): a login whose token is kept
// in the Credential Manager, getToken and env reading it back, an AbortSignal ending a login,
// and NotLoggedInError (6) for an instance with nothing kept. Prints one line a step.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import http from "node:http";
import { env, findMiauthBin, getToken, InterruptedError, login, NotLoggedInError } from "miauth";

const instance = process.env.MIAUTH_SMOKE_INSTANCE;
assert.ok(instance, "MIAUTH_SMOKE_INSTANCE names the fake instance");
const host = new URL(instance).host;
// The default store: the Credential Manager on Windows.
delete process.env.MIAUTH_STORE;
delete process.env.MIAUTH_CONFIG_DIR;

/** Plays the browser at `url`: follows the fake's redirects to miauth's callback. */
function visit(url, left = 10) {
  http.get(url, (res) => {
    res.resume();
    const next = res.headers.location;
    if (res.statusCode >= 300 && res.statusCode < 400 && next && left > 0) {
      visit(new URL(next, url).href, left - 1);
    }
  });
}

const credentials = await login(instance, {
  save: true,
  openBrowser: false,
  onEvent: (e) => e.event === "authorize" && visit(e.url),
});
console.log(`login: ${credentials.user.username} at ${credentials.instance}, the token kept`);
try {
  assert.equal(await getToken(host), credentials.token);
  assert.equal(await getToken(host, { check: true }), credentials.token);
  console.log("getToken: reads back the kept token, checked with the instance");
  assert.deepEqual(await env(host), { MISSKEY_URL: instance, MISSKEY_TOKEN: credentials.token });
  console.log("env: MISSKEY_URL and MISSKEY_TOKEN");
} finally {
  const out = spawnSync(findMiauthBin(), ["logout", host], { encoding: "utf8" });
  assert.equal(out.status, 0, out.stderr);
}

// An AbortSignal ends a login nobody approves; on Windows miauth is ended at once.
const controller = new AbortController();
const aborted = await login(instance, {
  openBrowser: false,
  signal: controller.signal,
  onEvent: (e) => e.event === "authorize" && controller.abort(),
}).catch((e) => e);
assert.ok(aborted instanceof InterruptedError, String(aborted));
assert.equal(aborted.name, "AbortError");
console.log("AbortSignal: the login rejects with an AbortError");

const missing = await getToken(host).catch((e) => e);
assert.ok(missing instanceof NotLoggedInError, String(missing));
assert.equal(missing.code, 6);
console.log("after logout: NotLoggedInError, exit code 6");
console.log("windows-smoke: 4 passed, 0 failed");
