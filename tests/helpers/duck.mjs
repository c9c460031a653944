// duck.mjs SQL... : run each SQL statement in one in-memory DuckDB, in
// order, and print the rows of the last one as JSON lines (DuckDB's own
// JSON rendering of each value).  The tests use it both to write fixtures
// (COPY ... TO 'x.parquet') and as the oracle hf-stream is compared with.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'node', 'package.json'));
const { DuckDBInstance } = require('@duckdb/node-api');

const statements = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
await con.run('SET threads=1');
for (let i = 0; i < statements.length - 1; i++) await con.run(statements[i]);
if (statements.length) {
	const last = statements[statements.length - 1];
	if (/^\s*(select|from|with|describe|summarize)\b/i.test(last)) {
		const reader = await con.runAndReadAll(last);
		for (const row of reader.getRowObjectsJson()) process.stdout.write(JSON.stringify(row) + '\n');
	} else {
		await con.run(last);
	}
}
