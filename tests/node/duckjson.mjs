// duckjson.mjs FILE [COL,COL...] - what DuckDB reads from a parquet file, as
// one JSON object per row (to_json of the selected columns, in file order),
// the reference the parquet tests compare pq-dump with.  Top-level BLOB
// columns are shown as base64, as pq-dump shows binary; times zone is UTC.
import { DuckDBInstance } from '@duckdb/node-api';

const [file, cols] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
await con.run(`SET threads=1`);
await con.run(`SET TimeZone='UTC'`);
const q = (s) => `"${s.replaceAll('"', '""')}"`;
const src = `read_parquet('${file.replaceAll("'", "''")}')`;
const desc = await con.runAndReadAll(`DESCRIBE SELECT * FROM ${src}`);
const types = new Map(desc.getRows().map((r) => [r[0], r[1]]));
const names = cols ? cols.split(',') : [...types.keys()];
const sel = names.map((n) => (types.get(n) === 'BLOB' ? `base64(${q(n)}) AS ${q(n)}` : q(n))).join(', ');
const r = await con.runAndReadAll(`SELECT to_json(t)::VARCHAR FROM (SELECT ${sel || '1 AS x'} FROM ${src}) t`);
const lines = r.getRows().map((row) => row[0] + '\n');
process.stdout.write(lines.join(''));
