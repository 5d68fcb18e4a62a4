// logout() and revoke() through require('miauth'), against the installed binary and its fake
// instance dressed as Misskey 2026.9.0 (a token may revoke itself) and 2025.11.1 (it may not):
// what each resolves with, whether the token still works afterwards, and the errors.
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const http = require("node:http");
const util = require("node:util");
const { startMock } = require("./support/env.cjs");
const miauth = require("miauth");

let revoking;
let refusing;
before(async () => {
  revoking = await startMock(miauth.findMiauthBin(), ["--dressed-as", "misskey:2026.9.0"]);
  refusing = await startMock(miauth.findMiauthBin(), ["--dressed-as", "misskey:2025.11.1"]);
});
after(() => Promise.all([revoking?.stop(), refusing?.stop()]));

/**
 * The status of `POST /api/i` with the token: 200 while it works, 401 once revoked. node:http,
 * not fetch, which Wine's sockets refuse (see support/browser.cjs).
 */
function statusOf(server, token) {
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${server.url}/api/i`,
      { method: "POST", headers: { "content-type": "application/json" } },
      (response) => {
        response.resume();
        resolve(response.statusCode);
      },
    );
    request.once("error", reject);
    request.end(JSON.stringify({ i: token }));
  });
}

function hostOf(server) {
  return new URL(server.url).host;
}

/** Everything an error shows when printed, logged or serialised. */
function shown(error) {
  return [error.message, error.stack, util.inspect(error), JSON.stringify(error), String(error)].join("\n");
}

test('logout on Misskey 2026.9.0 revokes the kept token ("yes"), which then gets 401', async () => {
  const credentials = await miauth.login(revoking.url, { save: true });
  assert.equal(await statusOf(revoking, credentials.token), 200);
  const revocation = await miauth.logout(hostOf(revoking));
  assert.deepEqual(revocation, {
    instance: revoking.url,
    account: credentials.handle,
    forgotten: true,
    revoked: "yes",
  });
  assert.ok(Object.isFrozen(revocation));
  assert.equal(await statusOf(revoking, credentials.token), 401);
  await assert.rejects(miauth.getToken(hostOf(revoking)), miauth.NotLoggedInError);
});

test('logout on Misskey 2025.11.1 is "unsupported": forgotten here, the token works until deleted', async () => {
  const credentials = await miauth.login(refusing.url, { save: true });
  const revocation = await miauth.logout(hostOf(refusing), { user: credentials.user.username, timeoutMs: 10_000 });
  assert.equal(revocation.revoked, "unsupported");
  assert.equal(revocation.instance, refusing.url);
  assert.equal(revocation.account, credentials.handle);
  assert.equal(revocation.forgotten, true);
  assert.equal(revocation.settingsUrl, `${refusing.url}/settings/apps`);
  assert.match(revocation.detail, /ACCESS_DENIED/);
  assert.equal(await statusOf(refusing, credentials.token), 200);
  await assert.rejects(miauth.getToken(hostOf(refusing)), miauth.NotLoggedInError);
});

test('logout with local forgets the token without asking the instance ("not_asked")', async () => {
  const credentials = await miauth.login(revoking.url, { save: true });
  const revocation = await miauth.logout(revoking.url, { local: true });
  assert.deepEqual(revocation, {
    instance: revoking.url,
    account: credentials.handle,
    forgotten: true,
    revoked: "not_asked",
    settingsUrl: `${revoking.url}/settings/apps`,
  });
  // Not asked: on a server that would have revoked it, the token still works.
  assert.equal(await statusOf(revoking, credentials.token), 200);
  await assert.rejects(miauth.getToken(hostOf(revoking)), miauth.NotLoggedInError);
});

test("logout of an instance with nothing kept rejects with NotLoggedInError (6)", async () => {
  const error = await miauth.logout("nothing-kept.example").catch((e) => e);
  assert.ok(error instanceof miauth.NotLoggedInError, error);
  assert.ok(error instanceof miauth.MiauthError);
  assert.equal(error.code, 6);
  assert.match(error.message, /nothing-kept\.example/);
});

test('logout when the instance is gone resolves with "unreachable", the account forgotten all the same', async () => {
  const gone = await startMock(miauth.findMiauthBin(), ["--dressed-as", "misskey:2026.9.0"]);
  let credentials;
  try {
    credentials = await miauth.login(gone.url, { save: true });
  } finally {
    await gone.stop();
  }
  const revocation = await miauth.logout(hostOf(gone), { timeoutMs: 5000 });
  assert.equal(revocation.revoked, "unreachable");
  assert.equal(revocation.instance, gone.url);
  assert.equal(revocation.account, credentials.handle);
  assert.equal(revocation.forgotten, true);
  assert.equal(revocation.settingsUrl, `${gone.url}/settings/apps`);
  assert.equal(typeof revocation.detail, "string");
  await assert.rejects(miauth.getToken(hostOf(gone)), miauth.NotLoggedInError);
});

test('revoke on Misskey 2026.9.0 revokes a token that is not kept ("yes"); a second time it is "already"', async (t) => {
  const { token } = await miauth.login(revoking.url);
  assert.equal(await statusOf(revoking, token), 200);
  assert.deepEqual(await miauth.revoke(token, { instance: revoking.url }), {
    instance: revoking.url,
    account: null,
    forgotten: false,
    revoked: "yes",
  });
  assert.equal(await statusOf(revoking, token), 401);
  // Without an instance, MISSKEY_URL names it, as for the command.
  const before = process.env.MISSKEY_URL;
  process.env.MISSKEY_URL = revoking.url;
  t.after(() => {
    if (before === undefined) {
      delete process.env.MISSKEY_URL;
    } else {
      process.env.MISSKEY_URL = before;
    }
  });
  const again = await miauth.revoke(token, { timeoutMs: 10_000 });
  assert.equal(again.revoked, "already");
  assert.equal(again.instance, revoking.url);
  assert.equal(again.settingsUrl, undefined);
});

test('revoke on Misskey 2025.11.1 is "unsupported", and the token still works', async () => {
  const { token } = await miauth.login(refusing.url);
  const revocation = await miauth.revoke(token, { instance: refusing.url });
  assert.equal(revocation.revoked, "unsupported");
  assert.equal(revocation.account, null);
  assert.equal(revocation.forgotten, false);
  assert.equal(revocation.settingsUrl, `${refusing.url}/settings/apps`);
  assert.match(revocation.detail, /ACCESS_DENIED/);
  assert.equal(await statusOf(refusing, token), 200);
});

test("revoke's failures reject with UsageError, and no message shows the token", async () => {
  const { token } = await miauth.login(refusing.url);
  const bad = await miauth.revoke(token, { instance: "https://misskey.example/notes" }).catch((e) => e);
  assert.ok(bad instanceof miauth.UsageError, bad);
  assert.equal(bad.code, 2);
  assert.match(bad.message, /misskey\.example\/notes/);
  assert.ok(!shown(bad).includes(token), shown(bad));
  // Input that cannot be a token is refused before anything runs, without being quoted.
  const secret = "SECRET-not-a-token";
  for (const input of [undefined, 42, "", "  ", `${secret}\0`]) {
    const error = await miauth.revoke(input, { instance: refusing.url }).catch((e) => e);
    assert.ok(error instanceof miauth.UsageError, `${error}`);
    assert.match(error.message, /^the token /);
    assert.ok(!shown(error).includes(secret), shown(error));
  }
  await assert.rejects(miauth.logout(undefined), { name: "UsageError", message: /the instance is undefined/ });
  await assert.rejects(miauth.logout(refusing.url, { timeoutMs: 0 }), { name: "UsageError", message: /timeoutMs/ });
  // The token is still alive: none of these reached the instance with it.
  assert.equal(await statusOf(refusing, token), 200);
});
