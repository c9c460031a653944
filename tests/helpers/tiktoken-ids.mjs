// tiktoken-ids.mjs ENCODING [all|ordinary]: the oracle for tok-bpe encode.
// Reads JSON lines {"text": ...} on stdin and prints each document's ids as
// one line, as the npm package tiktoken (the Rust core, compiled to wasm)
// encodes them; "all" allows every special token in the text, "ordinary"
// encodes special-token text as ordinary text.
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "node", "package.json"));
const { get_encoding } = require("tiktoken");

const enc = get_encoding(process.argv[2]);
const allowed = process.argv[3] === "all" ? "all" : [];
const out = [];
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
	if (line === "") continue;
	const text = JSON.parse(line).text;
	const ids = process.argv[3] === "ordinary" ? enc.encode_ordinary(text) : enc.encode(text, allowed);
	out.push(Array.from(ids).join(" "));
}
process.stdout.write(out.join("\n") + (out.length ? "\n" : ""));
enc.free();
