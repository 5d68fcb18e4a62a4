// Typed use of the ES module entry, checked by `tsc` in the project that installed the package.
import miauth, { type Credentials, getToken, login, MiauthError, NotLoggedInError } from "miauth";

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
