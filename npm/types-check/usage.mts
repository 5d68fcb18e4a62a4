// Typed use of the ES module entry, checked by `tsc` in the project that installed the package.
import miauth, {
  type Credentials,
  getToken,
  login,
  logout,
  MiauthError,
  NotLoggedInError,
  type Revocation,
  type Revoked,
  revoke,
} from "miauth";

export async function main(signal: AbortSignal): Promise<string> {
  const credentials: Credentials = await login("misskey.io", {
    permissions: ["read:account", "write:notes"],
    name: "my-bot",
    save: true,
    openBrowser: false,
    timeoutMs: 60_000,
    signal,
    onEvent: (event) => {
      if (event.event === "authorize") {
        console.error(event.url);
      }
    },
  });
  const user: string | null = credentials.user.host;
  const env: { MISSKEY_URL: string; MISSKEY_TOKEN: string } = await miauth.env("misskey.io", { user: "alice" });
  try {
    return await getToken("misskey.io", { user: credentials.user.username, check: true, timeoutMs: 5000 });
  } catch (e) {
    if (e instanceof NotLoggedInError || (e instanceof MiauthError && e.code === 6)) {
      return `${user ?? ""}${env.MISSKEY_URL}${e.hint ?? ""}`;
    }
    throw e;
  }
}

/** What a program does with a logout's or a revocation's outcome. */
export async function end(token: string, signal: AbortSignal): Promise<string> {
  const out: Revocation = await logout("misskey.io", {
    user: "alice",
    local: false,
    force: true,
    timeoutMs: 5000,
    signal,
  });
  const word: Revoked = out.revoked;
  const account: string | null = out.account;
  const forgotten: boolean = out.forgotten;
  if (out.revoked === "unsupported" || out.revoked === "unreachable") {
    // Narrowed: the page where the person deletes the app, and why.
    const page: string = out.settingsUrl;
    const detail: string = out.detail;
    return `${page} ${detail}`;
  }
  const revoked = await revoke(token, { instance: "misskey.io", timeoutMs: 5000, signal });
  const page: string | undefined = revoked.settingsUrl;
  await miauth.revoke(token);
  return `${word} ${account} ${forgotten} ${page}`;
}
