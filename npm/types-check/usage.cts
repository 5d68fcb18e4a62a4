// Typed use of the CommonJS entry, checked by `tsc` in the project that installed the package.
import miauth = require("miauth");

export async function main(): Promise<string | undefined> {
  const bin: string = miauth.findMiauthBin();
  try {
    const token: string = await miauth.getToken(undefined, { login: false });
    return `${bin} ${token.length}`;
  } catch (e) {
    if (e instanceof miauth.UsageError || e instanceof miauth.InterruptedError) {
      const kind: string = e.kind;
      const code: number | null = e.code;
      return `${kind} ${code}`;
    }
    if (e instanceof miauth.LocalError && e.credentials) {
      return e.credentials.token;
    }
    return undefined;
  }
}

export async function bye(): Promise<boolean> {
  try {
    const out: miauth.Revocation = await miauth.logout("misskey.io", { local: true });
    return out.revoked === "not_asked" && out.forgotten;
  } catch (e) {
    return e instanceof miauth.NotLoggedInError;
  }
}
