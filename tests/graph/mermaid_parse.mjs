// Parses Mermaid files with mermaid's own parser: node mermaid_parse.mjs NODE_MODULES FILE...
// NODE_MODULES holds the mermaid and jsdom npm packages (mermaid needs a DOM to load).
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [modules, ...files] = process.argv.slice(2);
const require = createRequire(`${modules}/`);
const load = (name) => import(pathToFileURL(require.resolve(name)).href);
const { JSDOM } = await load("jsdom");
const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const mermaid = (await load("mermaid")).default;
mermaid.initialize({ startOnLoad: false });
let bad = 0;
for (const file of files) {
  try {
    await mermaid.parse(readFileSync(file, "utf8"));
  } catch (error) {
    bad += 1;
    console.log(`${file}: ${String(error.message || error).slice(0, 400)}`);
  }
}
process.exit(bad ? 1 : 0);
