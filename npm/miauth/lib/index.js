// miauth from JavaScript: the login, the kept token and its environment, the logout and the
// revocation of a token, by running the miauth binary and reading its JSON (`--events` lines,
// or the one object of `--format json`) and exit code. Nothing here logs in, stores, reads or
// revokes a token itself, so the keyring, the file store, revocation, deadlines and the browser
// behave exactly as the command does.

const { findMiauthBin } = require("./binary.js");
const { Credentials } = require("./credentials.js");
const errors = require("./errors.js");
const { runEvents, runJson } = require("./run.js");

const { UsageError } = errors;

/** How long the login may take to reach the instance before the URL is known. */
const START_MS = 120_000;
/**
 * From the approval to the result: the last check (5 s), confirming the token (a 30 s request)
 * and keeping it (a keyring may wait 60 s for its unlock prompt). Generous, since ending miauth
 * then would lose a token the instance has handed out.
 */
const AFTER_APPROVAL_MS = 120_000;
/** `miauth token` without a login: the store, the keyring (5 s), a `--check` request (15 s). */
const TOKEN_MS = 60_000;
/** miauth's default wait for approval. */
const APPROVAL_MS = 300_000;
/** miauth's default wait for each answer of the instance when revoking (`--timeout`). */
const REVOKE_MS = 15_000;
/**
 * Revoking asks the instance at most twice (the request, then whether the token still works);
 * around that, `logout` reads and forgets the kept token: the store and the keyring (5 s a call).
 */
const AROUND_REVOKE_MS = 60_000;

function refuse(what, value, expected) {
  return new UsageError(`${what} is ${describe(value)}, not ${expected}`, {
    code: 2,
    kind: "usage",
    hint: "see the miauth package's README",
  });
}

function describe(value) {
  if (typeof value === "string") {
    return JSON.stringify(value);
  }
  return value === null ? "null" : typeof value;
}

function checkString(what, value, { optional = false } = {}) {
  if (value === undefined && optional) {
    return;
  }
  if (typeof value !== "string" || value.trim() === "") {
    throw refuse(what, value, "a non-empty string");
  }
}

function checkMs(value) {
  if (value !== undefined && !(Number.isFinite(value) && value >= 1)) {
    throw refuse("timeoutMs", value, "a number of milliseconds of at least 1");
  }
}

/**
 * A token to hand to miauth, checked without ever showing it: a message that quoted it (as
 * `refuse` quotes other input) would leak it into logs.
 */
function checkToken(token) {
  let problem = null;
  if (typeof token !== "string") {
    problem = `is ${token === null ? "null" : typeof token}, not a string`;
  } else if (token.trim() === "") {
    problem = "is empty";
  } else if (token.includes("\0")) {
    problem = "holds a NUL character, which no token has";
  }
  if (problem) {
    throw new UsageError(`the token ${problem}`, { code: 2, kind: "usage", hint: "see the miauth package's README" });
  }
}

/** The arguments that pick a kept token. */
function targetArgs(instance, user) {
  checkString("the instance", instance, { optional: true });
  checkString("user", user, { optional: true });
  const args = [];
  if (user !== undefined) {
    args.push("--user", user);
  }
  if (instance !== undefined) {
    args.push("--", instance);
  }
  return args;
}

/** The deadlines of a run that may log in, whose approval may take `approvalMs`. */
function loginDeadlines(approvalMs) {
  return {
    startMs: START_MS,
    phases: { authorize: approvalMs + AFTER_APPROVAL_MS, callback: AFTER_APPROVAL_MS },
  };
}

/**
 * Logs in in the browser (`miauth login --events`) and resolves with the credentials.
 * stderr is the person's: the URL to open and, where no browser opens, a QR code.
 */
async function login(instance, options = {}) {
  const { permissions, name, save, noCallback, openBrowser = true, timeoutMs, signal, onEvent } = options;
  checkString("the instance", instance);
  checkMs(timeoutMs);
  const args = ["login", "--events"];
  if (permissions !== undefined) {
    const list = typeof permissions === "string" ? [permissions] : permissions;
    if (!Array.isArray(list) || list.length === 0 || list.some((p) => typeof p !== "string" || p === "")) {
      throw refuse("permissions", permissions, "a list of permission names like ['read:account', 'write:notes']");
    }
    args.push("--permission", list.join(","));
  }
  if (name !== undefined) {
    checkString("name", name);
    args.push("--name", name);
  }
  if (save) {
    args.push("--save");
  }
  if (noCallback) {
    args.push("--no-callback");
  }
  if (!openBrowser) {
    args.push("--no-browser");
  }
  const approvalMs = timeoutMs ?? APPROVAL_MS;
  args.push("--timeout", `${Math.ceil(approvalMs)}ms`, "--", instance);
  const success = await runEvents(args, {
    showStderr: true,
    ...loginDeadlines(approvalMs),
    signal,
    onEvent,
  });
  return new Credentials(success);
}

/** The kept token's success event: `miauth token --events`. */
async function kept(instance, options) {
  const { user, check, login: mayLogIn, timeoutMs } = options;
  checkMs(timeoutMs);
  const args = ["token", "--events", mayLogIn ? "--login" : "--no-login"];
  if (check) {
    args.push("--check");
  }
  if (mayLogIn) {
    const approvalMs = timeoutMs ?? APPROVAL_MS;
    args.push("--timeout", `${Math.ceil(approvalMs)}ms`, ...targetArgs(instance, user));
    return runEvents(args, { showStderr: true, ...loginDeadlines(approvalMs) });
  }
  args.push(...targetArgs(instance, user));
  return runEvents(args, { showStderr: false, startMs: timeoutMs ?? TOKEN_MS });
}

/**
 * The kept token of an instance (`miauth token`): MISSKEY_URL/MISSKEY_TOKEN when they stand for
 * it, else the kept one. Rejects with NotLoggedInError when none is usable, unless `login`.
 */
async function getToken(instance, options = {}) {
  return (await kept(instance, options)).token;
}

/** MISSKEY_URL and MISSKEY_TOKEN of the kept token, for a child process's environment. */
async function env(instance, options = {}) {
  const success = await kept(instance, options);
  return { MISSKEY_URL: success.instance, MISSKEY_TOKEN: success.token };
}

/**
 * The arguments that `logout` and `revoke` share, and the deadline of their run, which may ask
 * the instance twice, `timeoutMs` each.
 */
function revokeArgs(timeoutMs) {
  checkMs(timeoutMs);
  const answerMs = Math.ceil(timeoutMs ?? REVOKE_MS);
  return { args: ["--format", "json", "--timeout", `${answerMs}ms`], deadlineMs: 2 * answerMs + AROUND_REVOKE_MS };
}

/** miauth's object (`--format json` of logout and revoke) as the library returns it. */
function revocationOf(object) {
  const revocation = {
    instance: object.instance,
    account: object.account ?? null,
    forgotten: object.forgotten === true,
    revoked: object.revoked,
  };
  if (typeof object.settings_url === "string") {
    revocation.settingsUrl = object.settings_url;
  }
  if (typeof object.detail === "string") {
    revocation.detail = object.detail;
  }
  return Object.freeze(revocation);
}

/**
 * Ends a kept token's life (`miauth logout --format json`): revokes it on the instance where the
 * instance allows it (Misskey 2026.9.0 and later), then forgets it here. Resolves with what
 * happened, also when the instance could not be asked (exit 4: `revoked` is "unreachable", and
 * the account is forgotten all the same); rejects with NotLoggedInError when nothing is kept.
 */
async function logout(instance, options = {}) {
  const { user, local, force, timeoutMs, signal } = options;
  checkString("the instance", instance);
  const { args, deadlineMs } = revokeArgs(timeoutMs);
  args.unshift("logout");
  if (local) {
    args.push("--local");
  }
  if (force) {
    args.push("--force");
  }
  args.push(...targetArgs(instance, user));
  return revocationOf(await runJson(args, { what: "the logout", deadlineMs, results: [0, 4], signal }));
}

/**
 * Revokes a token that is not kept (`miauth revoke --format json`) at `instance`, else at
 * MISSKEY_URL. The token reaches miauth only through its environment (MISSKEY_TOKEN), never its
 * arguments, which other users of the machine can read; no error message holds it.
 */
async function revoke(token, options = {}) {
  const { instance, timeoutMs, signal } = options;
  checkToken(token);
  checkString("the instance", instance, { optional: true });
  const { args, deadlineMs } = revokeArgs(timeoutMs);
  args.unshift("revoke");
  if (instance !== undefined) {
    args.push("--", instance);
  }
  const object = await runJson(args, {
    what: "the revocation",
    deadlineMs,
    results: [0, 4],
    env: { MISSKEY_TOKEN: token },
    // miauth trims the token: that is what it could show.
    secret: token.trim(),
    signal,
  });
  return revocationOf(object);
}

module.exports = {
  findMiauthBin,
  login,
  getToken,
  env,
  logout,
  revoke,
  Credentials,
  MiauthError: errors.MiauthError,
  UsageError: errors.UsageError,
  NotApprovedError: errors.NotApprovedError,
  InstanceError: errors.InstanceError,
  LocalError: errors.LocalError,
  NotLoggedInError: errors.NotLoggedInError,
  InterruptedError: errors.InterruptedError,
  TimeoutError: errors.TimeoutError,
  NotFoundError: errors.NotFoundError,
};
