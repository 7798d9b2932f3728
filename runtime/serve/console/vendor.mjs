// Copies the console's front-end libraries from node_modules into static/vendor (committed, so
// asl serve ships them and fetches nothing at run time). Run `npm ci && npm run vendor` after
// changing package.json; package-lock.json pins every version and its integrity hash.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";

const files = {
  "elkjs/lib/elk.bundled.js": "elk.bundled.js",
  "elkjs/LICENSE.md": "elkjs.LICENSE.md",
  "svg-pan-zoom/dist/svg-pan-zoom.min.js": "svg-pan-zoom.min.js",
  "svg-pan-zoom/LICENSE": "svg-pan-zoom.LICENSE",
  "aws4fetch/dist/aws4fetch.esm.mjs": "aws4fetch.esm.mjs",
  "aws4fetch/LICENSE": "aws4fetch.LICENSE",
};
mkdirSync("static/vendor", { recursive: true });
for (const [from, to] of Object.entries(files)) {
  copyFileSync(`node_modules/${from}`, `static/vendor/${to}`);
}
const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
const versions = Object.entries(lock.packages)
  .filter(([path]) => path.startsWith("node_modules/"))
  .map(([path, info]) => `${path.slice("node_modules/".length)} ${info.version}`);
console.log(`vendored: ${versions.join(", ")}`);
