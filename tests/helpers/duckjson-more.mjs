// duckjson-more.mjs FILE [COL,COL...] - duckjson.mjs for the files of
// tests/node/fixtures-more.mjs: what DuckDB reads, one JSON object per row,
// with JSON columns and legacy-annotated timestamps asked for in the form
// the Parquet format defines them (see duckread.mjs).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { duckRows } from './duckread.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'node', 'package.json'));
const { DuckDBInstance } = require('@duckdb/node-api');

const [file, cols] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
await con.run(`SET threads=1`);
await con.run(`SET TimeZone='UTC'`);
process.stdout.write(await duckRows(con, file, cols));
