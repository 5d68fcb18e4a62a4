// Finds the miauth binary: MIAUTH_BINARY when set, else the one in the platform package
// (miauth-linux-x64, ...) that the package manager installed beside this one as an optional
// dependency. When none is there, the error says which of the usual causes it is and what to
// do: a platform without a package, optional dependencies left out, or a node_modules folder
// copied from another system.

const fs = require("node:fs");
const { NotFoundError } = require("./errors.js");

/** The platforms with a package of their own, as `${process.platform}-${process.arch}`. */
const PLATFORMS = Object.freeze(["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "win32-x64"]);

function executableName(platform) {
  return platform === "win32" ? "miauth.exe" : "miauth";
}

function installed(request) {
  try {
    return require.resolve(request);
  } catch {
    return null;
  }
}

/** The path of the miauth binary to run; throws NotFoundError, saying why, when there is none. */
function findMiauthBin() {
  const fromEnv = process.env.MIAUTH_BINARY;
  if (fromEnv) {
    if (!fs.existsSync(fromEnv)) {
      throw new NotFoundError(
        `MIAUTH_BINARY is set to ${fromEnv}, which does not exist`,
        "point it at a miauth binary, or unset it to use the one installed with this package",
      );
    }
    return fromEnv;
  }
  const here = `${process.platform}-${process.arch}`;
  if (!PLATFORMS.includes(here)) {
    throw new NotFoundError(
      `there is no prebuilt miauth for ${here} (only for ${PLATFORMS.join(", ")})`,
      "build it with `cargo install --locked miauth` and set MIAUTH_BINARY to its path",
    );
  }
  const pkg = `miauth-${here}`;
  const found = installed(`${pkg}/bin/${executableName(process.platform)}`);
  if (found) {
    return found;
  }
  const other = PLATFORMS.find((p) => p !== here && installed(`miauth-${p}/package.json`));
  if (other) {
    throw new NotFoundError(
      `this is ${here}, but node_modules holds miauth-${other}: it was installed on another system and copied here`,
      "run the install (`npm install`, `pnpm install`, ...) again on this machine instead of copying node_modules",
    );
  }
  throw new NotFoundError(
    `${pkg}, the package with the miauth binary for ${here}, is not installed: optional dependencies were left out (--omit=optional, --no-optional) or failed to install`,
    "install again with optional dependencies (`npm install miauth`), or set MIAUTH_BINARY to a miauth binary",
  );
}

module.exports = { findMiauthBin, PLATFORMS, executableName };
