// fixtures.mjs OUTDIR [--small] - writes the parquet test fixtures with two real
// writers, DuckDB (@duckdb/node-api) and arrow-rs (parquet-wasm), and prints
// their names, one a line.  Together they cover every codec, v1 and v2 data
// pages, dictionary fallback, nulls, nested lists/structs/maps, every
// physical type the writers produce, empty files and many small row groups.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';

const out = process.argv[2];
// --small: the same fixtures with a fifteenth of the rows, for fuzz seeds
const small = process.argv[3] === '--small';
const S = (n) => (small ? Math.ceil(n / 15) : n);
mkdirSync(out, { recursive: true });
const made = [];

// ---- DuckDB ---------------------------------------------------------------
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
await con.run(`SET threads=1`);
// Every scalar type DuckDB writes, a third of each column null in a
// different pattern, and values at the edges of their ranges.
await con.run(`CREATE TABLE scalars AS SELECT
	i AS id,
	CASE WHEN i % 3 = 1 THEN NULL ELSE i % 2 = 0 END AS b,
	CASE WHEN i % 5 = 2 THEN NULL ELSE (i % 256 - 128)::TINYINT END AS i8,
	(i * 7 % 65536 - 32768)::SMALLINT AS i16,
	CASE WHEN i % 7 = 3 THEN NULL ELSE ((i::BIGINT * 2654435761) % 4294967296 - 2147483648)::INTEGER END AS i32,
	((i::HUGEINT * 6364136223846793005) % 9223372036854775807 - 4611686018427387904)::BIGINT AS i64,
	(i % 256)::UTINYINT AS u8, (i * 7 % 65536)::USMALLINT AS u16,
	((i::BIGINT * 2654435761) % 4294967296)::UINTEGER AS u32, ((i::HUGEINT * 11400714819323198485) % 18446744073709551615)::UBIGINT AS u64,
	CASE WHEN i % 4 = 0 THEN NULL ELSE (i / 7.0)::FLOAT END AS f32,
	CASE WHEN i % 9 = 0 THEN NULL WHEN i % 9 = 1 THEN 1e300 * i ELSE i / 3.0 - 1000.25 END AS f64,
	(i % 10000 / 100.0 - 50)::DECIMAL(4,2) AS dec4,
	(i * 1234567.891 - 1e9)::DECIMAL(18,3) AS dec18,
	CASE WHEN i % 6 = 5 THEN NULL ELSE ((i - 1500)::HUGEINT * 12345678901234567890123::HUGEINT)::DECIMAL(38,10) END AS dec38,
	CASE WHEN i % 8 = 7 THEN NULL ELSE 'text ' || i || ' ' || repeat(chr((945 + i % 20)::INTEGER), i % 13) || '"\\/' || chr(10) END AS s,
	CASE WHEN i % 10 = 9 THEN NULL ELSE ('\\x00\\xff' || i)::BLOB END AS bin,
	DATE '1969-12-25' + (i * 37)::INTEGER AS dt,
	TIME '00:00:00' + INTERVAL (i * 1234567) MILLISECOND AS tm,
	TIMESTAMP '1965-03-01 00:00:00' + INTERVAL (i * 98765432101) MICROSECOND AS ts,
	(TIMESTAMP '2001-09-09 01:46:40' + INTERVAL (i * 1234) MILLISECOND)::TIMESTAMP_MS AS ts_ms,
	make_timestamp_ns(1706704496000000000 + i * 1001001) AS ts_ns,
	TIMESTAMPTZ '2024-01-31 12:34:56.5+00' + INTERVAL (i) HOUR AS tstz,
	('12345678-1234-5678-9abc-' || lpad(i::VARCHAR, 12, '0'))::UUID AS uid
	FROM range(${S(3000)}) r(i)`);
const codecs = ['uncompressed', 'snappy', 'gzip', 'zstd', 'lz4', 'brotli'];
async function duck(name, sql, opts) {
	await con.run(`COPY (${sql}) TO '${join(out, name)}' (FORMAT parquet, ${opts})`);
	made.push(name);
}
for (const c of codecs)
	await duck(`duck-${c}.parquet`, 'SELECT * FROM scalars', `COMPRESSION ${c}, ROW_GROUP_SIZE 1024`);
await duck('duck-v2.parquet', 'SELECT * FROM scalars', `COMPRESSION zstd, PARQUET_VERSION v2`);
await duck('duck-small-rg.parquet', 'SELECT id, s, f64 FROM scalars WHERE id < 500', `COMPRESSION snappy, ROW_GROUP_SIZE 10`);
await duck('duck-empty.parquet', 'SELECT * FROM scalars WHERE false', `COMPRESSION snappy`);
// Nested: chat messages, maps keyed by strings and by integers, structs
// holding lists, lists of lists, with nulls and empty lists at every level.
await con.run(`CREATE TABLE nested AS SELECT
	i AS id,
	CASE WHEN i % 11 = 3 THEN NULL WHEN i % 11 = 4 THEN [] ELSE
		[{'role': 'system', 'content': 'be brief'}] ||
		list_transform(range(i % 4), k -> {'role': CASE WHEN k % 2 = 0 THEN 'user' ELSE 'assistant' END,
		                                   'content': CASE WHEN k = 2 AND i % 5 = 0 THEN NULL ELSE 'turn ' || k || ' of ' || i END})
	END AS messages,
	CASE WHEN i % 7 = 0 THEN NULL ELSE MAP(list_transform(range(i % 3), k -> 'k' || k), list_transform(range(i % 3), k -> CASE WHEN k = 1 THEN NULL ELSE i * k END)) END AS smap,
	MAP(list_transform(range(i % 3), k -> k + i), list_transform(range(i % 3), k -> 'v' || k)) AS imap,
	CASE WHEN i % 9 = 0 THEN NULL ELSE {'name': 'n' || i, 'tags': CASE WHEN i % 4 = 0 THEN NULL ELSE list_transform(range(i % 3), k -> 't' || k) END,
	                                 'inner': {'x': i, 'y': CASE WHEN i % 2 = 0 THEN NULL ELSE i / 2 END}} END AS st,
	list_transform(range(i % 3), k -> CASE WHEN k = 1 THEN NULL ELSE list_transform(range(k + i % 2), j -> j * k) END) AS lol,
	[NULL, i, NULL]::INTEGER[] AS nulls_in_list
	FROM range(${S(2000)}) r(i)`);
for (const c of ['snappy', 'zstd'])
	await duck(`duck-nested-${c}.parquet`, 'SELECT * FROM nested', `COMPRESSION ${c}, ROW_GROUP_SIZE 700`);
await duck('duck-nested-v2.parquet', 'SELECT * FROM nested', `COMPRESSION gzip, PARQUET_VERSION v2`);

// ---- arrow-rs (parquet-wasm) -------------------------------------------------
const N = S(1500);
const col = (f) => Array.from({ length: N }, (_, i) => f(i));
const msgType = new arrow.List(new arrow.Field('item', new arrow.Struct([
	new arrow.Field('role', new arrow.Utf8(), true), new arrow.Field('content', new arrow.Utf8(), true)]), true));
const mapType = new arrow.Map_(new arrow.Field('entries', new arrow.Struct([
	new arrow.Field('key', new arrow.Utf8(), false), new arrow.Field('value', new arrow.Int32(), true)]), false));
const big = (i) => BigInt(i) * 6364136223846793005n % 9223372036854775807n;
const table = new arrow.Table({
	id: arrow.vectorFromArray(col((i) => i), new arrow.Int32()),
	b: arrow.vectorFromArray(col((i) => (i % 3 === 1 ? null : i % 2 === 0)), new arrow.Bool()),
	i8: arrow.vectorFromArray(col((i) => (i % 256) - 128), new arrow.Int8()),
	i16: arrow.vectorFromArray(col((i) => (i % 5 === 2 ? null : ((i * 7) % 65536) - 32768)), new arrow.Int16()),
	i64: arrow.vectorFromArray(col((i) => (i % 4 === 1 ? null : big(i) - 4611686018427387904n)), new arrow.Int64()),
	u8: arrow.vectorFromArray(col((i) => i % 256), new arrow.Uint8()),
	u16: arrow.vectorFromArray(col((i) => (i * 7) % 65536), new arrow.Uint16()),
	u32: arrow.vectorFromArray(col((i) => (i * 2654435761) % 4294967296), new arrow.Uint32()),
	u64: arrow.vectorFromArray(col((i) => big(i) * 2n), new arrow.Uint64()),
	f32: arrow.vectorFromArray(col((i) => (i % 6 === 0 ? null : i / 7)), new arrow.Float32()),
	f64: arrow.vectorFromArray(col((i) => (i % 6 === 1 ? null : i * 1e-3 - 0.5)), new arrow.Float64()),
	s: arrow.vectorFromArray(col((i) => (i % 8 === 7 ? null : `arrow ${i} ` + 'é'.repeat(i % 9))), new arrow.Utf8()),
	bin: arrow.vectorFromArray(col((i) => (i % 10 === 9 ? null : new Uint8Array([0, 255, i % 256, 10]))), new arrow.Binary()),
	fsb: arrow.vectorFromArray(col((i) => new Uint8Array([i % 256, 1, 2, 3, 4])), new arrow.FixedSizeBinary(5)),
	dt: arrow.vectorFromArray(col((i) => new Date(Date.UTC(1970, 0, 1) + (i - 700) * 86400000 * 13)), new arrow.DateDay()),
	ts_ms: arrow.vectorFromArray(col((i) => 1700000000000 + i * 1234567), new arrow.TimestampMillisecond()),
	ts_us: arrow.vectorFromArray(col((i) => (i % 5 === 0 ? null : 1700000000000 + i * 1001)), new arrow.TimestampMicrosecond('UTC')),
	messages: arrow.vectorFromArray(col((i) => (i % 11 === 3 ? null : i % 11 === 4 ? [] :
		Array.from({ length: i % 4 }, (_, k) => ({ role: k % 2 ? 'assistant' : 'user', content: k === 2 ? null : `m${k} ${i}` })))), msgType),
	m: arrow.vectorFromArray(col((i) => (i % 7 === 0 ? null : new Map(Array.from({ length: i % 3 }, (_, k) => [`k${k}`, k === 1 ? null : i * k])))), mapType),
	ints: arrow.vectorFromArray(col((i) => (i % 9 === 0 ? null : Array.from({ length: i % 5 }, (_, k) => (k === 3 ? null : BigInt(i + k))))),
		new arrow.List(new arrow.Field('item', new arrow.Int64(), true))),
});
const ipc = arrow.tableToIPC(table, 'stream');
function wasm(name, build, t = ipc) {
	let b = new pw.WriterPropertiesBuilder();
	b = build(b);
	const bytes = pw.writeParquet(pw.Table.fromIPCStream(t), b.build());
	writeFileSync(join(out, name), bytes);
	made.push(name);
}
const C = pw.Compression;
for (const [n, c] of [['uncompressed', C.UNCOMPRESSED], ['snappy', C.SNAPPY], ['gzip', C.GZIP], ['brotli', C.BROTLI],
	['lz4', C.LZ4], ['zstd', C.ZSTD], ['lz4raw', C.LZ4_RAW]])
	wasm(`arrow-${n}.parquet`, (b) => b.setCompression(c).setMaxRowGroupSize(600));
// v2 pages with every non-dictionary encoding arrow-rs writes
const E = pw.Encoding;
wasm('arrow-v2-delta.parquet', (b) => {
	b = b.setWriterVersion(pw.WriterVersion.V2).setCompression(C.ZSTD).setDictionaryEnabled(false).setDataPageSizeLimit(2048);
	for (const c of ['id', 'i8', 'i16', 'u32', 'i64', 'u64', 'ts_ms', 'dt'])
		b = b.setColumnEncoding(c, E.DELTA_BINARY_PACKED);
	b = b.setColumnEncoding('s', E.DELTA_BYTE_ARRAY).setColumnEncoding('bin', E.DELTA_LENGTH_BYTE_ARRAY)
		.setColumnEncoding('fsb', E.DELTA_BYTE_ARRAY).setColumnEncoding('b', E.RLE)
		.setColumnEncoding('f32', E.BYTE_STREAM_SPLIT).setColumnEncoding('f64', E.BYTE_STREAM_SPLIT);
	return b;
});
wasm('arrow-v2-dict.parquet', (b) => b.setWriterVersion(pw.WriterVersion.V2).setCompression(C.SNAPPY).setMaxRowGroupSize(1000));
// A dictionary that fills up mid-chunk: high-cardinality strings, a tiny
// dictionary page limit, small data pages; the chunk switches to PLAIN.
const hc = new arrow.Table({
	id: arrow.vectorFromArray(Array.from({ length: S(5000) }, (_, i) => i), new arrow.Int32()),
	text: arrow.vectorFromArray(Array.from({ length: S(5000) }, (_, i) => (i % 13 === 0 ? null : `value number ${i * 7919 % 5000} ` + 'x'.repeat(i % 17))), new arrow.Utf8()),
});
const hcipc = arrow.tableToIPC(hc, 'stream');
wasm('arrow-fallback.parquet', (b) => b.setCompression(C.SNAPPY).setDictionaryPageSizeLimit(1024).setDataPageSizeLimit(1024), hcipc);
wasm('arrow-fallback-v2.parquet', (b) => b.setWriterVersion(pw.WriterVersion.V2).setCompression(C.ZSTD)
	.setDictionaryPageSizeLimit(2048).setDataPageSizeLimit(512), hcipc);
wasm('arrow-small-rg.parquet', (b) => b.setCompression(C.SNAPPY).setMaxRowGroupSize(7), hcipc);
wasm('arrow-empty.parquet', (b) => b, arrow.tableToIPC(hc.slice(0, 0), 'stream'));

console.log(made.join('\n'));
