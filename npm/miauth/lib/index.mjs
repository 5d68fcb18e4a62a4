// The ES module entry: the very objects of the CommonJS entry, so `instanceof` holds whichever
// way a program (or two of its dependencies) loads miauth.
import miauth from "./index.js";

export const {
  findMiauthBin,
  login,
  getToken,
  env,
  logout,
  revoke,
  Credentials,
  MiauthError,
  UsageError,
  NotApprovedError,
  InstanceError,
  LocalError,
  NotLoggedInError,
  InterruptedError,
  TimeoutError,
  NotFoundError,
} = miauth;
export default miauth;
