// The library through `import`: the same objects as require('miauth'), and a whole login.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { after, before, test } from "node:test";
import miauthDefault, {
  env,
  findMiauthBin,
  getToken,
  login,
  logout,
  MiauthError,
  NotLoggedInError,
  revoke,
} from "miauth";

const require = createRequire(import.meta.url);
const { startMock } = require("./support/env.cjs");

let mock;
before(async () => {
  mock = await startMock(findMiauthBin());
});
after(() => mock?.stop());

test("import and require give the very same classes and functions", () => {
  const cjs = require("miauth");
  assert.equal(NotLoggedInError, cjs.NotLoggedInError);
  assert.equal(getToken, cjs.getToken);
  assert.equal(miauthDefault, cjs);
});

test("a login through import keeps the token, and getToken reads it back", async () => {
  const credentials = await login(mock.url, { save: true });
  const host = new URL(mock.url).host;
  assert.equal(await getToken(host), credentials.token);
  assert.equal((await env(host)).MISSKEY_TOKEN, credentials.token);
});

test("nothing kept rejects with NotLoggedInError through import too", async () => {
  await assert.rejects(
    getToken("nothing-kept.example"),
    (e) => e instanceof NotLoggedInError && e instanceof MiauthError && e.code === 6,
  );
});

test("logout and revoke through import are require's, and a logout resolves with its outcome", async () => {
  const cjs = require("miauth");
  assert.equal(logout, cjs.logout);
  assert.equal(revoke, cjs.revoke);
  const credentials = await login(mock.url, { save: true });
  const revocation = await logout(new URL(mock.url).host, { user: credentials.user.username });
  assert.equal(revocation.instance, mock.url);
  assert.equal(revocation.account, credentials.handle);
  assert.equal(revocation.forgotten, true);
  assert.ok(["yes", "unsupported"].includes(revocation.revoked), revocation.revoked);
  await assert.rejects(getToken(new URL(mock.url).host), NotLoggedInError);
});
