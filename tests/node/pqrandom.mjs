// pqrandom.mjs OUTDIR SEED COUNT - the differential test's generator: COUNT
// random tables, each written by one of the three real writers (DuckDB,
// arrow-rs through parquet-wasm, hyparquet-writer) with random types,
// values (edges, nulls, NaN, nesting where the writer has it), codecs,
// page versions, encodings, dictionaries, row group and page sizes, to
// OUTDIR/r-SEED-I.parquet, with DuckDB's reading of it beside it in
// r-SEED-I.expected (tests/helpers/duckread.mjs).  Prints one line a file:
// its name and what made it, so a failure names the seed, the file and its
// recipe.  Everything is drawn from SEED alone: the same seed writes the
// same files.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, brotliCompressSync, constants as zc } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { duckRows } from '../helpers/duckread.mjs';

const [out, seedArg, countArg] = process.argv.slice(2);
const SEED = Number(seedArg), COUNT = Number(countArg);

// mulberry32: a small PRNG whose whole state is one 32-bit word
function prng(seed) {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}
let rnd;
const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1)); // lo..hi, numbers
const pick = (xs) => xs[int(0, xs.length - 1)];
const chance = (p) => rnd() < p;
// a BigInt in lo..hi (inclusive), uniform enough for tests
function big(lo, hi) {
	const span = hi - lo + 1n;
	let v = 0n;
	for (let i = 0; i < 8; i++) v = (v << 32n) | BigInt(Math.floor(rnd() * 4294967296));
	return lo + (v % span);
}
// a value near the edges of lo..hi half the time, else anywhere in it
function edgy(lo, hi) {
	const r = rnd();
	if (r < 0.15) return lo + big(0n, 2n);
	if (r < 0.3) return hi - big(0n, 2n);
	if (r < 0.45) { // around zero
		const v = big(-3n, 3n);
		return v < lo ? lo : v > hi ? hi : v;
	}
	return big(lo, hi);
}
function column(n, nullP, f) {
	return Array.from({ length: n }, (_, i) => (chance(nullP) ? null : f(i)));
}
const FLOATS = [0, -0, 1, -1, 0.1, 1e-300, 5e-324, 1.7976931348623157e308, NaN, Infinity, -Infinity, 3.4028234663852886e38, 1.401298464324817e-45];
const rfloat = () => (chance(0.3) ? pick(FLOATS) : (rnd() - 0.5) * 10 ** int(-30, 30));
const STR = ['', 'a', 'é', '"\\/\n\t', '\u0001', '日本語', '😀', 'x'.repeat(300), ' ', 'null'];
const rstr = () => (chance(0.4) ? pick(STR) : Array.from({ length: int(0, 12) }, () => String.fromCodePoint(pick([int(32, 126), int(0xa0, 0x2ff), int(0x4e00, 0x4e80), int(0x1f600, 0x1f64f)]))).join(''));
const rbytes = (n = int(0, 20)) => Uint8Array.from({ length: n }, () => int(0, 255));
// years that DuckDB holds (its dates end before the largest INT32 day, its
// timestamps within about 290000 years of 1970)
const DAY_US = 86400000000n;
const rdays = () => (chance(0.6) ? int(-25000, 50000) : int(-100000000, 100000000));
const rmicros = () => (chance(0.6) ? big(-2208988800000000n, 4102444800000000n) : big(-9000000000000000000n, 9000000000000000000n));
const rnanos = () => big(-9200000000000000000n, 9200000000000000000n);
// DECIMAL: an unscaled value of at most p digits, often at the limit
const rdec = (p) => (chance(0.3) ? (chance(0.5) ? 1n : -1n) * (10n ** BigInt(p) - 1n) : big(-(10n ** BigInt(p) - 1n), 10n ** BigInt(p) - 1n));
const decText = (u, s) => {
	const neg = u < 0n, m = (neg ? -u : u).toString().padStart(s + 1, '0');
	return (neg ? '-' : '') + (s ? m.slice(0, -s) + '.' + m.slice(-s) : m);
};

// ---- DuckDB: SQL literals into a table, then COPY with random options -------
const sqlStr = (s) => `'${s.replaceAll("'", "''")}'`;
const DUCK_TYPES = {
	b: ['BOOLEAN', () => (chance(0.5) ? 'true' : 'false')],
	i8: ['TINYINT', () => edgy(-128n, 127n)],
	i16: ['SMALLINT', () => edgy(-32768n, 32767n)],
	i32: ['INTEGER', () => edgy(-2147483648n, 2147483647n)],
	i64: ['BIGINT', () => edgy(-9223372036854775808n, 9223372036854775807n)],
	u8: ['UTINYINT', () => edgy(0n, 255n)],
	u16: ['USMALLINT', () => edgy(0n, 65535n)],
	u32: ['UINTEGER', () => edgy(0n, 4294967295n)],
	u64: ['UBIGINT', () => edgy(0n, 18446744073709551615n)],
	f32: ['FLOAT', () => { const x = Math.fround(rfloat()); return Number.isNaN(x) ? "'nan'" : Number.isFinite(x) ? (Object.is(x, -0) ? '-0.0' : String(x)) : x > 0 ? "'inf'" : "'-inf'"; }],
	f64: ['DOUBLE', () => { const x = rfloat(); return Number.isNaN(x) ? "'nan'" : Number.isFinite(x) ? (Object.is(x, -0) ? '-0.0' : String(x)) : x > 0 ? "'inf'" : "'-inf'"; }],
	d4: ['DECIMAL(4,2)', () => sqlStr(decText(rdec(4), 2))],
	d9: ['DECIMAL(9,0)', () => sqlStr(decText(rdec(9), 0))],
	d18: ['DECIMAL(18,6)', () => sqlStr(decText(rdec(18), 6))],
	d38: ['DECIMAL(38,10)', () => sqlStr(decText(rdec(38), 10))],
	s: ['VARCHAR', () => sqlStr(rstr())],
	bin: ['BLOB', () => `'${Array.from(rbytes(), (x) => '\\x' + x.toString(16).padStart(2, '0')).join('')}'`],
	dt: ['DATE', () => `DATE '1970-01-01' + (${rdays()})::INTEGER`],
	tm: ['TIME', () => `TIME '00:00:00' + INTERVAL (${big(0n, DAY_US - 1n)}) MICROSECOND`],
	ts: ['TIMESTAMP', () => `make_timestamp(${rmicros()}::BIGINT)`],
	ts_ms: ['TIMESTAMP_MS', () => `make_timestamp(${rmicros() / 1000n * 1000n}::BIGINT)`],
	ts_ns: ['TIMESTAMP_NS', () => `make_timestamp_ns(${rnanos()}::BIGINT)`],
	tstz: ['TIMESTAMPTZ', () => `make_timestamp(${rmicros()}::BIGINT)`],
	uid: ['UUID', () => sqlStr(Array.from({ length: 16 }, () => int(0, 255).toString(16).padStart(2, '0')).join('').replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-'))],
	li: ['INTEGER[]', () => `[${Array.from({ length: int(0, 4) }, () => (chance(0.2) ? 'NULL' : edgy(-2147483648n, 2147483647n))).join(',')}]`],
	ls: ['VARCHAR[]', () => `[${Array.from({ length: int(0, 3) }, () => (chance(0.2) ? 'NULL' : sqlStr(rstr()))).join(',')}]`],
	st: ['STRUCT(a BIGINT, b VARCHAR, c DOUBLE[])', () => `{'a': ${chance(0.2) ? 'NULL' : edgy(-9223372036854775808n, 9223372036854775807n)}, 'b': ${chance(0.2) ? 'NULL' : sqlStr(rstr())}, 'c': ${chance(0.2) ? 'NULL' : '[' + Array.from({ length: int(0, 3) }, () => (chance(0.3) ? 'NULL' : String(Math.round(rnd() * 1e6) / 64))).join(',') + ']'}}`],
	mp: ['MAP(VARCHAR, INTEGER)', () => `MAP {${Array.from({ length: int(0, 3) }, (_, k) => `${sqlStr('k' + k + rstr())}: ${chance(0.2) ? 'NULL' : int(-1000, 1000)}`).join(', ')}}`],
	lst: ['STRUCT(role VARCHAR, n INTEGER)[]', () => `[${Array.from({ length: int(0, 3) }, () => (chance(0.15) ? 'NULL' : `{'role': ${chance(0.2) ? 'NULL' : sqlStr(rstr())}, 'n': ${chance(0.2) ? 'NULL' : int(-5, 5)}}`)).join(',')}]`],
	lli: ['BIGINT[][]', () => `[${Array.from({ length: int(0, 3) }, () => (chance(0.2) ? 'NULL' : '[' + Array.from({ length: int(0, 3) }, () => (chance(0.2) ? 'NULL' : edgy(-9223372036854775808n, 9223372036854775807n))).join(',') + ']')).join(',')}]`],
};
async function duckFile(con, file) {
	const names = Object.keys(DUCK_TYPES).filter(() => chance(0.3));
	if (!names.length) names.push(pick(Object.keys(DUCK_TYPES)));
	const n = pick([0, 1, int(2, 50), int(50, 700), int(200, 1500)]);
	const nullP = pick([0, 0, 0.05, 0.2, 0.5, 1]);
	const rows = Array.from({ length: n }, () => `(${names.map((c) => (chance(nullP) ? 'NULL' : `(${DUCK_TYPES[c][1]()})::${DUCK_TYPES[c][0]}`)).join(', ')})`);
	const codec = pick(['uncompressed', 'snappy', 'gzip', 'zstd', 'lz4', 'brotli']);
	const version = pick(['v1', 'v2']);
	const rg = int(1, 800);
	await con.run(`CREATE OR REPLACE TABLE t (${names.map((c) => `"${c}" ${DUCK_TYPES[c][0]}`).join(', ')})`);
	for (let i = 0; i < rows.length; i += 200)
		await con.run(`INSERT INTO t VALUES ${rows.slice(i, i + 200).join(', ')}`);
	await con.run(`COPY t TO '${file}' (FORMAT parquet, COMPRESSION ${codec}, PARQUET_VERSION ${version}, ROW_GROUP_SIZE ${rg})`);
	return `duckdb ${codec} ${version} rg=${rg} rows=${n} nulls=${nullP} cols=${names.join(',')}`;
}

// ---- arrow-rs: raw arrow buffers (no JS Date in the way), random writer properties
function arrowPrim(type, Arr, n, nullP, f) {
	const vals = new Arr(n), valid = new Uint8Array((n + 7) >> 3);
	let nulls = 0;
	for (let i = 0; i < n; i++) {
		if (chance(nullP)) {
			nulls++;
			continue;
		}
		valid[i >> 3] |= 1 << (i & 7);
		vals[i] = f();
	}
	return arrow.makeVector(arrow.makeData({ type, length: n, nullCount: nulls, nullBitmap: valid, data: vals }));
}
const ARROW_TYPES = {
	b: (n, p) => arrow.vectorFromArray(column(n, p, () => chance(0.5)), new arrow.Bool()),
	i8: (n, p) => arrowPrim(new arrow.Int8(), Int8Array, n, p, () => Number(edgy(-128n, 127n))),
	i16: (n, p) => arrowPrim(new arrow.Int16(), Int16Array, n, p, () => Number(edgy(-32768n, 32767n))),
	i32: (n, p) => arrowPrim(new arrow.Int32(), Int32Array, n, p, () => Number(edgy(-2147483648n, 2147483647n))),
	i64: (n, p) => arrowPrim(new arrow.Int64(), BigInt64Array, n, p, () => edgy(-9223372036854775808n, 9223372036854775807n)),
	u8: (n, p) => arrowPrim(new arrow.Uint8(), Uint8Array, n, p, () => Number(edgy(0n, 255n))),
	u16: (n, p) => arrowPrim(new arrow.Uint16(), Uint16Array, n, p, () => Number(edgy(0n, 65535n))),
	u32: (n, p) => arrowPrim(new arrow.Uint32(), Uint32Array, n, p, () => Number(edgy(0n, 4294967295n))),
	u64: (n, p) => arrowPrim(new arrow.Uint64(), BigUint64Array, n, p, () => edgy(0n, 18446744073709551615n)),
	f32: (n, p) => arrowPrim(new arrow.Float32(), Float32Array, n, p, rfloat),
	f64: (n, p) => arrowPrim(new arrow.Float64(), Float64Array, n, p, rfloat),
	s: (n, p) => arrow.vectorFromArray(column(n, p, rstr), new arrow.Utf8()),
	bin: (n, p) => arrow.vectorFromArray(column(n, p, () => rbytes()), new arrow.Binary()),
	fsb: (n, p) => arrow.vectorFromArray(column(n, p, () => rbytes(5)), new arrow.FixedSizeBinary(5)),
	dt: (n, p) => arrowPrim(new arrow.DateDay(), Int32Array, n, p, rdays),
	ts_ms: (n, p) => arrowPrim(new arrow.TimestampMillisecond(), BigInt64Array, n, p, () => rmicros() / 1000n),
	ts_us: (n, p) => arrowPrim(new arrow.TimestampMicrosecond(), BigInt64Array, n, p, rmicros),
	ts_us_utc: (n, p) => arrowPrim(new arrow.TimestampMicrosecond('UTC'), BigInt64Array, n, p, rmicros),
	ts_ns: (n, p) => arrowPrim(new arrow.TimestampNanosecond(), BigInt64Array, n, p, rnanos),
	// DuckDB keeps only microseconds of a UTC-adjusted timestamp
	ts_ns_utc: (n, p) => arrowPrim(new arrow.TimestampNanosecond('UTC'), BigInt64Array, n, p, () => rnanos() / 1000n * 1000n),
	tm_us: (n, p) => arrowPrim(new arrow.TimeMicrosecond(), BigInt64Array, n, p, () => big(0n, DAY_US - 1n)),
	tm_ms: (n, p) => arrowPrim(new arrow.TimeMillisecond(), Int32Array, n, p, () => int(0, 86399999)),
	li: (n, p) => arrow.vectorFromArray(column(n, p, () => Array.from({ length: int(0, 4) }, () => (chance(0.2) ? null : edgy(-9223372036854775808n, 9223372036854775807n)))),
		new arrow.List(new arrow.Field('item', new arrow.Int64(), true))),
	st: (n, p) => arrow.vectorFromArray(column(n, p, () => ({ a: chance(0.2) ? null : int(-1e6, 1e6), b: chance(0.2) ? null : rstr() })),
		new arrow.Struct([new arrow.Field('a', new arrow.Int32(), true), new arrow.Field('b', new arrow.Utf8(), true)])),
	mp: (n, p) => arrow.vectorFromArray(column(n, p, () => new Map(Array.from({ length: int(0, 3) }, (_, k) => [`k${k}`, chance(0.2) ? null : int(-99, 99)]))),
		new arrow.Map_(new arrow.Field('entries', new arrow.Struct([new arrow.Field('key', new arrow.Utf8(), false), new arrow.Field('value', new arrow.Int32(), true)]), false))),
};
// the encodings arrow-rs may be asked for, by column
const ARROW_ENC = {
	DELTA_BINARY_PACKED: ['i8', 'i16', 'i32', 'i64', 'u8', 'u16', 'u32', 'u64', 'dt', 'ts_ms', 'ts_us', 'ts_us_utc', 'ts_ns', 'ts_ns_utc', 'tm_us', 'tm_ms'],
	DELTA_LENGTH_BYTE_ARRAY: ['s', 'bin'],
	DELTA_BYTE_ARRAY: ['s', 'bin', 'fsb'],
	BYTE_STREAM_SPLIT: ['f32', 'f64'],
	RLE: ['b'],
};
function arrowFile(file) {
	const names = Object.keys(ARROW_TYPES).filter(() => chance(0.3));
	if (!names.length) names.push(pick(Object.keys(ARROW_TYPES)));
	const n = pick([0, 1, int(2, 50), int(50, 900), int(200, 2000)]);
	const nullP = pick([0, 0, 0.05, 0.2, 0.5, 1]);
	const table = new arrow.Table(Object.fromEntries(names.map((c) => [c, ARROW_TYPES[c](n, nullP)])));
	const C = pw.Compression;
	const codec = pick(['UNCOMPRESSED', 'SNAPPY', 'GZIP', 'BROTLI', 'ZSTD', 'LZ4_RAW']);
	const v2 = chance(0.5), dict = chance(0.5), page = pick([64, 512, 4096, 1 << 20]), rg = int(1, 1000);
	let b = new pw.WriterPropertiesBuilder().setCompression(C[codec]).setWriterVersion(v2 ? pw.WriterVersion.V2 : pw.WriterVersion.V1)
		.setDictionaryEnabled(dict).setDataPageSizeLimit(page).setDictionaryPageSizeLimit(pick([64, 1024, 1 << 20]))
		.setMaxRowGroupSize(rg).setWriteBatchSize(pick([1, 7, 1024]));
	const encs = [];
	for (const c of names) {
		const ok = Object.keys(ARROW_ENC).filter((e) => ARROW_ENC[e].includes(c));
		if (ok.length && chance(0.5)) {
			const e = pick(ok);
			b = b.setColumnEncoding(c, pw.Encoding[e]);
			encs.push(`${c}:${e}`);
		}
	}
	writeFileSync(file, pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream')), b.build()));
	return `arrow-rs ${codec} ${v2 ? 'v2' : 'v1'} dict=${dict} page=${page} rg=${rg} rows=${n} nulls=${nullP} cols=${names.join(',')} enc=${encs.join(',')}`;
}

// ---- hyparquet-writer: its schema elements, every encoding it has -------------
const el = (name, type, extra = {}) => ({ name, type, repetition_type: 'OPTIONAL', ...extra });
const HYP_TYPES = {
	b: [el('b', 'BOOLEAN'), () => chance(0.5), ['PLAIN', 'RLE']],
	// (no BYTE_STREAM_SPLIT for integers: DuckDB, the oracle, reads it only for FLOAT and DOUBLE)
	i32: [el('i32', 'INT32'), () => Number(edgy(-2147483648n, 2147483647n)), ['PLAIN', 'DELTA_BINARY_PACKED', 'RLE_DICTIONARY']],
	i64: [el('i64', 'INT64'), () => edgy(-9223372036854775808n, 9223372036854775807n), ['PLAIN', 'DELTA_BINARY_PACKED', 'RLE_DICTIONARY']],
	i8: [el('i8', 'INT32', { converted_type: 'INT_8' }), () => Number(edgy(-128n, 127n)), ['PLAIN', 'DELTA_BINARY_PACKED']],
	u32: [el('u32', 'INT32', { converted_type: 'UINT_32' }), () => Number(edgy(0n, 4294967295n)), ['PLAIN', 'DELTA_BINARY_PACKED']],
	f32: [el('f32', 'FLOAT'), () => Math.fround(rfloat()), ['PLAIN', 'BYTE_STREAM_SPLIT', 'RLE_DICTIONARY']],
	f64: [el('f64', 'DOUBLE'), rfloat, ['PLAIN', 'BYTE_STREAM_SPLIT', 'RLE_DICTIONARY']],
	s: [el('s', 'BYTE_ARRAY', { converted_type: 'UTF8' }), rstr, ['PLAIN', 'DELTA_BYTE_ARRAY', 'DELTA_LENGTH_BYTE_ARRAY', 'RLE_DICTIONARY']],
	bin: [el('bin', 'BYTE_ARRAY'), () => rbytes(), ['PLAIN', 'DELTA_LENGTH_BYTE_ARRAY', 'DELTA_BYTE_ARRAY']],
	fsb: [el('fsb', 'FIXED_LEN_BYTE_ARRAY', { type_length: 3 }), () => rbytes(3), ['PLAIN', 'RLE_DICTIONARY']],
	dt: [el('dt', 'INT32', { converted_type: 'DATE' }), rdays, ['PLAIN', 'DELTA_BINARY_PACKED', 'RLE_DICTIONARY']],
	ts_ms: [el('ts_ms', 'INT64', { converted_type: 'TIMESTAMP_MILLIS' }), () => rmicros() / 1000n, ['PLAIN', 'DELTA_BINARY_PACKED']],
	ts_us: [el('ts_us', 'INT64', { converted_type: 'TIMESTAMP_MICROS' }), rmicros, ['PLAIN', 'DELTA_BINARY_PACKED']],
	ts_ns: [el('ts_ns', 'INT64', { logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'NANOS' } }), rnanos, ['PLAIN', 'DELTA_BINARY_PACKED']],
	tm: [el('tm', 'INT64', { logical_type: { type: 'TIME', isAdjustedToUTC: false, unit: 'MICROS' } }), () => big(0n, DAY_US - 1n), ['PLAIN', 'DELTA_BINARY_PACKED']],
	uid: [el('uid', 'FIXED_LEN_BYTE_ARRAY', { type_length: 16, logical_type: { type: 'UUID' } }), () => rbytes(16), ['PLAIN']],
	f16: [el('f16', 'FIXED_LEN_BYTE_ARRAY', { type_length: 2, logical_type: { type: 'FLOAT16' } }), () => pick([0, -0, 1.5, 65504, -65504, 0.000061035156, 1 / 3, Math.round(rnd() * 2000) / 8]), ['PLAIN']],
	dec_i32: [el('dec_i32', 'INT32', { converted_type: 'DECIMAL', precision: 9, scale: 3 }), () => rdec(9), ['PLAIN', 'DELTA_BINARY_PACKED']],
	dec_i64: [el('dec_i64', 'INT64', { converted_type: 'DECIMAL', precision: 18, scale: 18 }), () => rdec(18), ['PLAIN', 'DELTA_BINARY_PACKED']],
	dec_fixed: [el('dec_fixed', 'FIXED_LEN_BYTE_ARRAY', { type_length: 16, converted_type: 'DECIMAL', precision: 38, scale: 5 }), () => rdec(38), ['PLAIN']],
	dec_bytes: [el('dec_bytes', 'BYTE_ARRAY', { converted_type: 'DECIMAL', precision: 38, scale: 0 }), () => rdec(38), ['PLAIN', 'DELTA_BYTE_ARRAY']],
	js: [el('js', 'BYTE_ARRAY', { converted_type: 'JSON' }), () => ({ n: int(-9, 9), s: rstr(), l: [null, 1.5] }), ['PLAIN', 'DELTA_LENGTH_BYTE_ARRAY']],
};
const gzip = (b) => new Uint8Array(gzipSync(b));
const brotli = (b) => new Uint8Array(brotliCompressSync(b, { params: { [zc.BROTLI_PARAM_QUALITY]: 4 } }));
function hypFile(file) {
	const names = Object.keys(HYP_TYPES).filter(() => chance(0.35));
	if (!names.length) names.push(pick(Object.keys(HYP_TYPES)));
	const n = pick([1, int(2, 50), int(50, 900), int(200, 2000)]);
	const nullP = pick([0, 0, 0.05, 0.2, 0.5, 1]);
	const codec = pick(['UNCOMPRESSED', 'SNAPPY', 'GZIP', 'BROTLI']);
	const rg = int(1, 1000), page = pick([128, 1024, 65536]);
	const encs = [];
	const columnData = names.map((c) => {
		const [, f, es] = HYP_TYPES[c];
		const e = pick(es);
		encs.push(`${c}:${e}`);
		return { name: c, data: column(n, nullP, f), encoding: e };
	});
	const schema = [{ name: 'root', num_children: names.length }, ...names.map((c) => HYP_TYPES[c][0])];
	writeFileSync(file, new Uint8Array(parquetWriteBuffer({ schema, columnData, codec, compressors: { GZIP: gzip, BROTLI: brotli }, rowGroupSize: rg, pageSize: page, statistics: chance(0.5) })));
	return `hyparquet-writer ${codec} v2 rg=${rg} page=${page} rows=${n} nulls=${nullP} enc=${encs.join(',')}`;
}

const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
await con.run(`SET threads=1`);
await con.run(`SET TimeZone='UTC'`);
for (let i = 0; i < COUNT; i++) {
	// each file from its own seed, so one can be remade alone
	rnd = prng(SEED * 100003 + i);
	const name = `r-${SEED}-${i}`;
	const file = join(out, `${name}.parquet`);
	const writer = pick(['duckdb', 'arrow', 'hyparquet']);
	const recipe = writer === 'duckdb' ? await duckFile(con, file) : writer === 'arrow' ? arrowFile(file) : hypFile(file);
	writeFileSync(join(out, `${name}.expected`), await duckRows(con, file));
	console.log(`${name}.parquet\t${recipe}`);
}
