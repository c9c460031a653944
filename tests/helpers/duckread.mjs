// duckread.mjs - DuckDB's reading of a parquet file as JSON lines, the
// oracle of tests/helpers/duckjson-more.mjs and tests/node/pqrandom.mjs:
// one JSON object per row (to_json of the selected columns), with the
// column kinds DuckDB reads otherwise than the Parquet format defines them
// asked for in the format's form:
//  * a JSON column (BYTE_ARRAY + JSON) comes out as the text stored, which
//    is what pq-dump prints (DuckDB's to_json would splice the parsed value
//    in);
//  * a top-level INT64 with only the legacy converted type TIMESTAMP_MILLIS
//    or TIMESTAMP_MICROS is UTC-adjusted by the format's backward
//    compatibility rules (arrow-rs reads it so, and so do we); DuckDB reads
//    it as a local TIMESTAMP, so it is asked for as TIMESTAMPTZ (in UTC).
// Top-level BLOB columns are base64, as pq-dump prints binary.  The
// connection must have TimeZone set to UTC.
export async function duckRows(con, file, cols) {
	const q = (s) => `"${s.replaceAll('"', '""')}"`;
	const lit = `'${file.replaceAll("'", "''")}'`;
	const src = `read_parquet(${lit})`;
	const desc = await con.runAndReadAll(`DESCRIBE SELECT * FROM ${src}`);
	const types = new Map(desc.getRows().map((r) => [r[0], r[1]]));
	const legacy = new Set((await con.runAndReadAll(`SELECT name FROM parquet_schema(${lit})
		WHERE converted_type IN ('TIMESTAMP_MILLIS', 'TIMESTAMP_MICROS') AND logical_type IS NULL`)).getRows().map((r) => r[0]));
	const names = cols ? cols.split(',') : [...types.keys()];
	const pick = (n) => {
		const t = types.get(n);
		if (t === 'BLOB') return `base64(${q(n)}) AS ${q(n)}`;
		if (t === 'JSON') return `${q(n)}::VARCHAR AS ${q(n)}`;
		if (legacy.has(n) && /^TIMESTAMP(_MS)?$/.test(t)) return `${q(n)}::TIMESTAMPTZ AS ${q(n)}`;
		return q(n);
	};
	const r = await con.runAndReadAll(`SELECT to_json(t)::VARCHAR FROM (SELECT ${names.map(pick).join(', ') || '1 AS x'} FROM ${src}) t`);
	return r.getRows().map((row) => row[0] + '\n').join('');
}
