// arrowjson.mjs FILE - what arrow-rs (parquet-wasm's reader) reads from a
// parquet file, one JSON object per row, for the files where the Parquet
// format's rules and DuckDB part (see hyp-onefield in
// tests/node/fixtures-more.mjs).  Enough for the types those files hold:
// integers (64-bit ones exact), floats, strings, booleans, binary (base64),
// lists and structs.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'node', 'package.json'));
const arrow = require('apache-arrow');
const pw = require('parquet-wasm');

function enc(v) {
	if (v === null || v === undefined) return 'null';
	switch (typeof v) {
	case 'bigint': return v.toString();
	case 'number': return Number.isFinite(v) ? JSON.stringify(v) : 'null';
	case 'string':
	case 'boolean': return JSON.stringify(v);
	}
	if (v instanceof Uint8Array) return JSON.stringify(Buffer.from(v).toString('base64'));
	if (Array.isArray(v) || v instanceof arrow.Vector || ArrayBuffer.isView(v)) return `[${Array.from(v, enc).join(',')}]`;
	const o = typeof v.toJSON === 'function' ? v.toJSON() : v; // a struct row
	return `{${Object.entries(o).map(([k, x]) => `${JSON.stringify(k)}:${enc(x)}`).join(',')}}`;
}

const t = arrow.tableFromIPC(pw.readParquet(readFileSync(process.argv[2])).intoIPCStream());
const names = t.schema.fields.map((f) => f.name);
const lines = [];
for (const row of t) lines.push(`{${names.map((n) => `${JSON.stringify(n)}:${enc(row[n])}`).join(',')}}\n`);
process.stdout.write(lines.join(''));
