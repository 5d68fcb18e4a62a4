// The time getToken() of the npm package adds over running `miauth token` itself.
//
// Usage: node scripts/benchmarks/npm-get-token.mjs PROJECT [RUNS]
//   PROJECT  a project with the miauth tarballs installed (scripts/bench-npm makes one)
//   RUNS     runs of each, alternating [default: 30]
//
// Against a fake instance (`miauth mock --auto-approve`) and a store of its own in a temporary
// directory, it logs in once with `save`, then times, in this Node process, RUNS calls of
// `await getToken(host)` and RUNS runs of the same binary as `miauth token host` with
// child_process.spawnSync (what a shell or any other program pays for the command), alternating
// so both see the same machine. Prints both medians and their difference.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import readline from "node:readline";

const [project, runsArg = "30"] = process.argv.slice(2);
if (!project) {
  console.error("usage: node scripts/benchmarks/npm-get-token.mjs PROJECT [RUNS]");
  process.exit(2);
}
const runs = Number(runsArg);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "miauth-npm-bench-"));
process.env.MIAUTH_CONFIG_DIR = scratch;
process.env.MIAUTH_STORE = "file";
const browser = path.join(
  path.dirname(new URL(import.meta.url).pathname),
  "..",
  "..",
  "npm",
  "test",
  "support",
  "browser.cjs",
);
process.env.BROWSER = `${process.execPath} ${browser}`;
for (const name of ["MISSKEY_URL", "MISSKEY_TOKEN", "MIAUTH_BINARY"]) {
  delete process.env[name];
}

const loadStart = performance.now();
const miauth = createRequire(path.resolve(project, "package.json"))("miauth");
const loadMs = performance.now() - loadStart;
const bin = miauth.findMiauthBin();

const mock = spawn(bin, ["mock", "--auto-approve", "-q"], { stdio: ["ignore", "pipe", "inherit"] });
const { value: url } = await readline.createInterface({ input: mock.stdout })[Symbol.asyncIterator]().next();
try {
  await miauth.login(url, { save: true, name: "npm benchmark" });
  const host = new URL(url).host;
  const wrapper = [];
  const direct = [];
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    const token = await miauth.getToken(host);
    wrapper.push(performance.now() - t);
    t = performance.now();
    const r = spawnSync(bin, ["token", host], { encoding: "utf8" });
    direct.push(performance.now() - t);
    if (r.status !== 0 || r.stdout.trim() !== token) {
      throw new Error(`miauth token ${host} exited ${r.status}; the benchmark needs the kept token`);
    }
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const [w, d] = [median(wrapper), median(direct)];
  console.log(`node ${process.version}, ${os.cpus().length} cores, ${runs} runs each, medians:`);
  console.log(`  miauth token (spawnSync):  ${d.toFixed(1)} ms`);
  console.log(`  await getToken():          ${w.toFixed(1)} ms`);
  console.log(`  added by getToken():       ${(w - d).toFixed(1)} ms`);
  console.log(`  require("miauth"), once:   ${loadMs.toFixed(1)} ms`);
} finally {
  mock.kill("SIGTERM");
  fs.rmSync(scratch, { recursive: true, force: true });
}
