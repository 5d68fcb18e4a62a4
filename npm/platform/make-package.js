#!/usr/bin/env node

// Lays out the npm package of one platform: miauth-PLATFORM, holding only the binary, with
// `os` and `cpu` so package managers install just the one that fits (esbuild's scheme), and
// `preferUnplugged` so Yarn's Plug'n'Play keeps it on disk, where it can be run.
// The version is the main package's, which scripts/check-versions holds equal to Cargo.toml's.
//
// Usage: node npm/platform/make-package.js PLATFORM BINARY OUT_DIR
//   PLATFORM  linux-x64, linux-arm64, darwin-x64, darwin-arm64 or win32-x64
//   BINARY    the miauth binary built for it (static musl on Linux, so it runs on any libc)
//   OUT_DIR   an empty or missing directory, ready for `npm pack`

const fs = require("node:fs");
const path = require("node:path");
const { PLATFORMS, executableName } = require("../miauth/lib/binary.js");

const [platform, binary, outDir] = process.argv.slice(2);
if (!PLATFORMS.includes(platform) || !binary || !outDir) {
  process.stderr.write(
    `usage: make-package.js PLATFORM BINARY OUT_DIR (PLATFORM: ${PLATFORMS.join(", ")}); got ${JSON.stringify(process.argv.slice(2))}\n`,
  );
  process.exit(2);
}
if (!fs.existsSync(binary)) {
  process.stderr.write(`make-package.js: error: the binary ${binary} does not exist; build it first\n`);
  process.exit(2);
}
const [os, cpu] = platform.split("-");
const main = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "miauth", "package.json"), "utf8"));
const exe = executableName(os);
const manifest = {
  name: `miauth-${platform}`,
  version: main.version,
  description: `The miauth binary for ${platform}, installed by the miauth package`,
  license: main.license,
  os: [os],
  cpu: [cpu],
  files: [`bin/${exe}`, "LICENSE-MIT", "LICENSE-APACHE"],
  preferUnplugged: true,
};
fs.mkdirSync(path.join(outDir, "bin"), { recursive: true });
fs.writeFileSync(path.join(outDir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
fs.writeFileSync(
  path.join(outDir, "README.md"),
  `# ${manifest.name}\n\nThe \`miauth\` binary for ${platform}. Install \`miauth\` instead: it depends on this package\nwhere it fits, and runs the binary.\n`,
);
fs.copyFileSync(binary, path.join(outDir, "bin", exe));
fs.chmodSync(path.join(outDir, "bin", exe), 0o755);
