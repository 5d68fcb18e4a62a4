// The errors of the library, one class for each exit code of miauth (docs/program.md: "Exit codes").
// `code` is the exit code, `kind` miauth's machine-readable name of the failure, `hint` what to
// do next. The message is miauth's own one line, which never holds the token.

class MiauthError extends Error {
  /**
   * @param {string} message what failed, with which input
   * @param {{code?: number|null, kind?: string, hint?: string|null, cause?: unknown}} [details]
   */
  constructor(message, { code = null, kind = "unknown", hint = null, cause } = {}) {
    super(hint ? `${message}; ${hint}` : message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.kind = kind;
    this.hint = hint;
  }
}

/** Exit 2: invalid input (instance, permission, name, timeout) or options. */
class UsageError extends MiauthError {}
/** Exit 3: nobody approved before the deadline (a denial looks the same). */
class NotApprovedError extends MiauthError {}
/** Exit 4: the instance cannot be reached, does not offer MiAuth, or answered wrongly. */
class InstanceError extends MiauthError {}
/** Exit 5: a local failure: the callback port, the kept tokens, the keyring. */
class LocalError extends MiauthError {}
/** Exit 6: nothing usable is kept for that instance or account, or its token was revoked. */
class NotLoggedInError extends MiauthError {}
/** Exit 130 (143 for SIGTERM): interrupted, by an AbortSignal or a signal. Named AbortError. */
class InterruptedError extends MiauthError {}
/** miauth did not finish within the wrapper's deadline and was ended. */
class TimeoutError extends MiauthError {}
/** No miauth binary to run (the launcher exits with 127). */
class NotFoundError extends MiauthError {
  constructor(message, hint) {
    super(message, { code: 127, kind: "binary_not_found", hint });
  }
}

for (const [cls, name] of [
  [MiauthError, "MiauthError"],
  [UsageError, "UsageError"],
  [NotApprovedError, "NotApprovedError"],
  [InstanceError, "InstanceError"],
  [LocalError, "LocalError"],
  [NotLoggedInError, "NotLoggedInError"],
  [InterruptedError, "AbortError"],
  [TimeoutError, "TimeoutError"],
  [NotFoundError, "NotFoundError"],
]) {
  Object.defineProperty(cls.prototype, "name", { value: name, writable: true, configurable: true });
}

const BY_CODE = new Map([
  [2, UsageError],
  [3, NotApprovedError],
  [4, InstanceError],
  [5, LocalError],
  [6, NotLoggedInError],
  [130, InterruptedError],
  [143, InterruptedError],
]);

/** The error of an exit code, with miauth's message, kind and hint. */
function errorFor(code, message, kind, hint, cause) {
  const Class = BY_CODE.get(code) ?? MiauthError;
  return new Class(message, { code, kind: kind ?? "unknown", hint: hint ?? null, cause });
}

module.exports = {
  MiauthError,
  UsageError,
  NotApprovedError,
  InstanceError,
  LocalError,
  NotLoggedInError,
  InterruptedError,
  TimeoutError,
  NotFoundError,
  errorFor,
};
