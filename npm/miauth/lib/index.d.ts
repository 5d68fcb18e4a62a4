// Types of the miauth package (hand-written; checked with tsc against npm/types-check/).

/** The account a token belongs to. */
export interface User {
  readonly id: string;
  readonly username: string;
  /** null for an account of the instance itself. */
  readonly host: string | null;
  readonly name: string | null;
}

/**
 * What a login returns. The token is read only through `.token`: util.inspect, String() and
 * JSON.stringify leave it out.
 */
export declare class Credentials {
  private constructor();
  /** The access token. */
  readonly token: string;
  /** The instance's base URL, like https://misskey.io. */
  readonly instance: string;
  readonly user: User;
  /** The permissions asked for. */
  readonly permissions: readonly string[];
  /** The account as `@username@host`. */
  readonly handle: string;
  /** Everything but the token. */
  toJSON(): { instance: string; user: User; permissions: readonly string[] };
  toString(): string;
}

/** One line of `miauth login --events`; `success` and an error's `result` come without the token. */
export type MiauthEvent =
  | { event: "authorize"; url: string; callback: string | null; expires_at: string }
  | { event: "waiting"; remaining_secs: number }
  | { event: "retrying"; message: string; retry_in_secs: number }
  | { event: "callback" }
  | { event: "success"; instance: string; user: User; permissions: string[] }
  | {
      event: "error";
      code: number;
      kind: string;
      message: string;
      hint: string | null;
      result?: { instance: string; user: User; permissions: string[] };
    }
  | { event: string; [field: string]: unknown };

export interface LoginOptions {
  /** Permission names or patterns (default: read:account). */
  permissions?: string | readonly string[];
  /** The application name on the consent page (default: miauth). */
  name?: string;
  /** Also keep the token (`--save`); the account becomes the active one of its instance. */
  save?: boolean;
  /** No callback server: approve on any device; miauth finds the approval by polling. */
  noCallback?: boolean;
  /** Open the browser (default true; false prints the URL on stderr only). */
  openBrowser?: boolean;
  /** How long to wait for approval, in milliseconds (default 5 minutes). */
  timeoutMs?: number;
  /** Interrupts the login as Ctrl-C would: miauth checks once more, then stops. */
  signal?: AbortSignal;
  /** Called with every event as it comes. */
  onEvent?: (event: MiauthEvent) => void;
}

export interface TokenOptions {
  /** The account's username (default: the active account of the instance). */
  user?: string;
  /** Ask the instance first whether the token still works; a revoked one counts as missing. */
  check?: boolean;
  /** Log in (in the browser) when no usable token is kept, instead of NotLoggedInError. */
  login?: boolean;
  /** The deadline in milliseconds (default 60 s; with `login`, the wait for approval). */
  timeoutMs?: number;
}

export interface EnvOptions {
  user?: string;
  timeoutMs?: number;
}

export interface LogoutOptions {
  /** The account's username (default: the active account of the instance). */
  user?: string;
  /** Only forget the token here, without asking the instance to revoke it ("not_asked"). */
  local?: boolean;
  /** Forget the account even when the system keyring cannot be reached; its token stays there. */
  force?: boolean;
  /** How long each answer of the instance may take, in milliseconds (default 15 s). */
  timeoutMs?: number;
  /** Interrupts miauth as Ctrl-C would. */
  signal?: AbortSignal;
}

export interface RevokeOptions {
  /** The instance that issued the token (default: MISSKEY_URL of the environment). */
  instance?: string;
  /** How long each answer of the instance may take, in milliseconds (default 15 s). */
  timeoutMs?: number;
  /** Interrupts miauth as Ctrl-C would. */
  signal?: AbortSignal;
}

/**
 * What became of the token at its instance:
 * - "yes": revoked there (Misskey 2026.9.0 and later);
 * - "already": the instance no longer knew it (revoked before, or its account deleted);
 * - "unsupported": the instance does not let an app revoke its own token (older Misskey, the
 *   forks): it works until the person deletes the app at `settingsUrl`;
 * - "unreachable": the instance could not be asked (or said nothing of the token): it may still
 *   work;
 * - "not_asked": the instance was not asked (`local`, or the kept token could not be read).
 */
export type Revoked = "yes" | "already" | "unsupported" | "unreachable" | "not_asked";

interface RevocationBase {
  /** The instance's origin, like https://misskey.io. */
  readonly instance: string;
  /** The account forgotten here, as `@username@host`; null for `revoke`. */
  readonly account: string | null;
  /** Whether the account was forgotten here (`logout`); false for `revoke`. */
  readonly forgotten: boolean;
}

/** What `logout` and `revoke` did; `settingsUrl` is there when the token may still work. */
export type Revocation = RevocationBase &
  (
    | { readonly revoked: "yes" | "already"; readonly settingsUrl?: undefined; readonly detail?: undefined }
    | {
        readonly revoked: "unsupported" | "unreachable";
        /** Where the person deletes the app, and with it the token: INSTANCE/settings/apps. */
        readonly settingsUrl: string;
        /** What the instance answered, or why it could not be asked. */
        readonly detail: string;
      }
    | {
        readonly revoked: "not_asked";
        /** Left out only when no token was kept, so there was nothing to revoke. */
        readonly settingsUrl?: string;
        readonly detail?: undefined;
      }
  );

/** The path of the miauth binary: MIAUTH_BINARY, else the platform package's. */
export declare function findMiauthBin(): string;
/** Logs in in the browser and resolves with the credentials. */
export declare function login(instance: string, options?: LoginOptions): Promise<Credentials>;
/** The kept token of an instance (the only kept instance when left out). */
export declare function getToken(instance?: string, options?: TokenOptions): Promise<string>;
/** MISSKEY_URL and MISSKEY_TOKEN of the kept token. */
export declare function env(
  instance?: string,
  options?: EnvOptions,
): Promise<{ MISSKEY_URL: string; MISSKEY_TOKEN: string }>;

/**
 * Revokes the kept token on the instance where it allows it, then forgets it here. Resolves
 * also when the instance could not be asked ("unreachable": forgotten all the same); rejects
 * with NotLoggedInError when nothing is kept.
 */
export declare function logout(instance: string, options?: LogoutOptions): Promise<Revocation>;
/**
 * Revokes a token that is not kept, at `instance` (default MISSKEY_URL). The token reaches
 * miauth through its environment only, never its arguments.
 */
export declare function revoke(token: string, options?: RevokeOptions): Promise<Revocation>;

export declare class MiauthError extends Error {
  /** miauth's exit code; null when it did not exit (a timeout, a signal). */
  readonly code: number | null;
  /** miauth's name of the failure, like "not_logged_in" or "deadline". */
  readonly kind: string;
  /** What to do next, when there is something to say. */
  readonly hint: string | null;
  /** Set when the token arrived but could not be kept (`save`): it is yours all the same. */
  credentials?: Credentials;
}
/** Exit 2: invalid input or options. */
export declare class UsageError extends MiauthError {}
/** Exit 3: nobody approved before the deadline. */
export declare class NotApprovedError extends MiauthError {}
/** Exit 4: the instance failed or does not offer MiAuth. */
export declare class InstanceError extends MiauthError {}
/** Exit 5: the callback port, the kept tokens or the keyring failed. */
export declare class LocalError extends MiauthError {}
/** Exit 6: nothing usable is kept for that instance or account. */
export declare class NotLoggedInError extends MiauthError {}
/** Exit 130: interrupted (an AbortSignal); its name is "AbortError". */
export declare class InterruptedError extends MiauthError {}
/** miauth did not finish within the wrapper's deadline and was ended. */
export declare class TimeoutError extends MiauthError {}
/** No miauth binary for this system was found. */
export declare class NotFoundError extends MiauthError {}
