// tiktoken-encode.mjs JSONL ENCODING: the peer of tok-bpe encode in
// bench/tok-bpe.sh: tiktoken-rs (npm tiktoken-rs-node) encodes the text of
// every JSON line, one document at a time, and prints the number of tokens.
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { createReadStream } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "tests", "node", "package.json"));
const { getEncoding } = require("tiktoken-rs-node-linux-x64-gnu");
const enc = getEncoding(process.argv[3]);
let tokens = 0;
for await (const line of createInterface({ input: createReadStream(process.argv[2]), crlfDelay: Infinity }))
	if (line) tokens += enc.encode(JSON.parse(line).text).length;
console.log(tokens);
