// fixtures-more.mjs OUTDIR - writes more parquet test fixtures with a third
// real writer, hyparquet-writer (pure JavaScript), and prints their names, one
// a line, as fixtures.mjs does.  They cover what DuckDB and arrow-rs never
// write: bare `repeated` groups without a LIST annotation and legacy
// two-level lists, DECIMAL in all four physical types (a zero in a
// BYTE_ARRAY decimal is zero bytes long), FLOAT16, row groups of 0 rows
// (first and between others, their column chunks holding no page at all),
// GZIP pages of several gzip members each, and every physical type, codec
// and encoding the writer has, in its v2 data pages.
//
// What no writer here makes, and how the tests get by:
//  * INT96: hyparquet-writer refuses the type ("parquet unsupported type"),
//    DuckDB and arrow-rs never write it, and @dsnp/parquetjs 1.9.3, which
//    has it, was published without its code (its npm tarball holds only
//    the READMEs, package.json and parquet.thrift, no dist/), so it cannot
//    be imported.  hyp-int96-src.parquet holds the INT96 bytes in 12-byte
//    FIXED_LEN_BYTE_ARRAY columns, and the tests relabel those INT96.
//  * a file whose only row group has 0 rows, or ends with one:
//    hyparquet-writer starts a row group only while rows are left, and
//    DuckDB and arrow-rs write no row group at all for no rows.
//  * data page v1 and PLAIN_DICTIONARY: hyparquet-writer writes only v2
//    pages (DuckDB's fixtures have v1 pages in PLAIN_DICTIONARY).
//  * a bare repeated primitive (`repeated int32 x`, or one inside a LIST):
//    hyparquet-writer refuses it ("repeated types not supported"); the
//    nearest it writes is a repeated group of one field (hyp-onefield).
//    And it hands each leaf of a repeated group the whole element, so its
//    groups of several leaves hold one value in all of them (see below).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants as zc, gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';

const out = process.argv[2];
mkdirSync(out, { recursive: true });
const made = [];

// listed: false for a file the tests only derive another from
function hyp(name, opts, listed = true) {
	writeFileSync(join(out, name), new Uint8Array(parquetWriteBuffer(opts)));
	if (listed)
		made.push(name);
}
const gzip = (b) => new Uint8Array(gzipSync(b));
const brotli = (b) => new Uint8Array(brotliCompressSync(b, { params: { [zc.BROTLI_PARAM_QUALITY]: 5 } }));
// A GZIP page may be several gzip members back to back (files written
// through Hadoop's gzip codec have them); hyparquet-writer takes the codec
// as a function, so this one makes every page three members: the first
// third, an empty member (a header and trailer around nothing), the rest.
function gzipMembers(b) {
	const cuts = [0, Math.floor(b.length / 3), Math.floor(b.length / 3), b.length];
	const parts = [];
	for (let i = 0; i + 1 < cuts.length; i++) parts.push(gzipSync(b.subarray(cuts[i], cuts[i + 1]), { level: 1 + i * 4 }));
	return new Uint8Array(Buffer.concat(parts));
}

// ---- every type the writer has ---------------------------------------------
const N = 1200;
const col = (f) => Array.from({ length: N }, (_, i) => f(i));
const opt = (name, type, extra = {}) => ({ name, type, repetition_type: 'OPTIONAL', ...extra });
const typesSchema = [
	{ name: 'root' },
	{ name: 'id', type: 'INT32', repetition_type: 'REQUIRED' },
	opt('b', 'BOOLEAN'),
	opt('i32', 'INT32'),
	opt('i64', 'INT64'),
	opt('u32', 'INT32', { converted_type: 'UINT_32' }),
	{ name: 'i16', type: 'INT32', converted_type: 'INT_16', repetition_type: 'REQUIRED' },
	opt('i8', 'INT32', { converted_type: 'INT_8' }),
	opt('u64', 'INT64', { converted_type: 'UINT_64' }),
	opt('nul', 'INT32'),
	opt('f32', 'FLOAT'),
	opt('f64', 'DOUBLE'),
	opt('s', 'BYTE_ARRAY', { converted_type: 'UTF8' }),
	opt('bin', 'BYTE_ARRAY'),
	opt('fsb', 'FIXED_LEN_BYTE_ARRAY', { type_length: 3 }),
	opt('js', 'BYTE_ARRAY', { converted_type: 'JSON' }),
	opt('dt', 'INT32', { converted_type: 'DATE' }),
	opt('ts_ms', 'INT64', { converted_type: 'TIMESTAMP_MILLIS' }),
	opt('ts_us', 'INT64', { converted_type: 'TIMESTAMP_MICROS' }),
	opt('ts_ns', 'INT64', { logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'NANOS' } }),
	opt('ts_utc', 'INT64', { logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' } }),
	opt('tm', 'INT64', { logical_type: { type: 'TIME', isAdjustedToUTC: false, unit: 'MICROS' } }),
	opt('uid', 'FIXED_LEN_BYTE_ARRAY', { type_length: 16, logical_type: { type: 'UUID' } }),
	opt('f16', 'FIXED_LEN_BYTE_ARRAY', { type_length: 2, logical_type: { type: 'FLOAT16' } }),
	opt('dec_i32', 'INT32', { converted_type: 'DECIMAL', precision: 9, scale: 2 }),
	opt('dec_i64', 'INT64', { converted_type: 'DECIMAL', precision: 18, scale: 4 }),
	opt('dec_fixed', 'FIXED_LEN_BYTE_ARRAY', { type_length: 11, converted_type: 'DECIMAL', precision: 25, scale: 3 }),
	opt('dec_bytes', 'BYTE_ARRAY', { converted_type: 'DECIMAL', precision: 38, scale: 6 }),
];
typesSchema[0].num_children = typesSchema.length - 1;
const big = (i) => (BigInt(i) * 6364136223846793005n) % 9223372036854775807n;
const typesData = {
	id: col((i) => i),
	b: col((i) => (i % 3 === 1 ? null : i % 2 === 0)),
	i32: col((i) => (i % 7 === 3 ? null : ((i * 2654435761) % 4294967296) - 2147483648)),
	i64: col((i) => (i % 4 === 1 ? null : big(i) - 4611686018427387904n)),
	u32: col((i) => (i % 5 === 0 ? null : (i * 2654435761) % 4294967296)),
	i16: col((i) => ((i * 7) % 65536) - 32768),
	i8: col((i) => (i % 5 === 1 ? null : (i % 256) - 128)),
	u64: col((i) => (i % 8 === 2 ? null : (big(i) * 2n + BigInt(i % 2)))),
	nul: col(() => null),
	f32: col((i) => (i % 6 === 0 ? null : Math.fround(i / 7))),
	f64: col((i) => (i % 9 === 0 ? null : i % 9 === 1 ? 1e300 * i : i / 3 - 1000.25)),
	s: col((i) => (i % 8 === 7 ? null : i % 17 === 0 ? '' : `hyp ${i} ` + 'ü'.repeat(i % 5) + '"\\/\n\u0001')),
	bin: col((i) => (i % 10 === 9 ? null : new Uint8Array([0, 255, i % 256, i >> 8]))),
	fsb: col((i) => (i % 11 === 5 ? null : new Uint8Array([i % 256, 1, 2]))),
	js: col((i) => (i % 12 === 0 ? null : { n: i, tags: ['a', i % 3], ok: i % 2 === 0, nest: { x: null } })),
	dt: col((i) => (i % 13 === 0 ? null : (i - 600) * 37)),
	ts_ms: col((i) => (i % 5 === 3 ? null : 1700000000000n + BigInt(i) * 1234567n)),
	ts_us: col((i) => -86400000000n * 365n * 5n + BigInt(i) * 98765432101n),
	ts_ns: col((i) => (i % 7 === 0 ? null : 1706704496000000000n + BigInt(i) * 1001001n)),
	ts_utc: col((i) => (i % 3 === 2 ? null : 1706704496500000n + BigInt(i) * 3600000000n)),
	tm: col((i) => (i % 4 === 3 ? null : BigInt((i * 1234567891) % 86400000000))),
	uid: col((i) => (i % 9 === 4 ? null : `12345678-1234-5678-9abc-${String(i).padStart(12, '0')}`)),
	f16: col((i) => (i % 4 === 2 ? null : [0, -0, 1.5, -2.25, 65504, 0.000061035156, 1 / 3, i][i % 8])),
	dec_i32: col((i) => (i % 6 === 1 ? null : BigInt((i * 104729) % 999999999) - 500000000n)),
	dec_i64: col((i) => (i % 6 === 2 ? null : big(i) % 999999999999999999n - 400000000000000000n)),
	dec_fixed: col((i) => (i % 6 === 3 ? null : (BigInt(i) - 600n) * 12345678901234567891n)),
	// values around zero on purpose: 0 is written as a zero-length array,
	// -1 and 127/128 are the one/two byte boundaries of the two's complement
	dec_bytes: col((i) => (i % 7 === 6 ? null : [0n, -1n, 127n, 128n, -128n, -129n][i % 6] * (i < 600 ? 1n : 10n ** BigInt(i % 32)))),
};
const typesColumns = (encodings = {}) =>
	typesSchema.slice(1).map((e) => ({ name: e.name, data: typesData[e.name], ...(encodings[e.name] ? { encoding: encodings[e.name] } : {}) }));
for (const [n, codec, compressors] of [
	['uncompressed', 'UNCOMPRESSED', {}],
	['snappy', 'SNAPPY', {}],
	['gzip', 'GZIP', { GZIP: gzip }],
	['brotli', 'BROTLI', { BROTLI: brotli }],
])
	hyp(`hyp-${n}.parquet`, { schema: typesSchema, columnData: typesColumns(), codec, compressors, rowGroupSize: 500, pageSize: 4096 });
// the same with every non-dictionary encoding the writer has (DuckDB reads
// BYTE_STREAM_SPLIT only for FLOAT and DOUBLE, so not for the FIXED_LEN ones)
hyp('hyp-delta.parquet', {
	schema: typesSchema,
	columnData: typesColumns({
		id: 'DELTA_BINARY_PACKED', i32: 'DELTA_BINARY_PACKED', i64: 'DELTA_BINARY_PACKED', ts_us: 'DELTA_BINARY_PACKED',
		u64: 'DELTA_BINARY_PACKED', i8: 'DELTA_BINARY_PACKED', tm: 'DELTA_BINARY_PACKED', nul: 'DELTA_BINARY_PACKED',
		dec_i32: 'DELTA_BINARY_PACKED', dec_i64: 'DELTA_BINARY_PACKED', dt: 'DELTA_BINARY_PACKED',
		s: 'DELTA_BYTE_ARRAY', js: 'DELTA_LENGTH_BYTE_ARRAY', bin: 'DELTA_LENGTH_BYTE_ARRAY', dec_bytes: 'DELTA_BYTE_ARRAY',
		f32: 'BYTE_STREAM_SPLIT', f64: 'BYTE_STREAM_SPLIT',
		b: 'RLE',
	}),
	codec: 'SNAPPY', rowGroupSize: 700, pageSize: 2048,
});
// every column dictionary-encoded, whatever its cardinality
hyp('hyp-dict.parquet', {
	schema: typesSchema,
	columnData: typesColumns(Object.fromEntries(typesSchema.slice(1).filter((e) => e.type !== 'BOOLEAN').map((e) => [e.name, 'RLE_DICTIONARY']))),
	codec: 'GZIP', compressors: { GZIP: gzip }, rowGroupSize: 1000,
});
// GZIP pages of several gzip members each, dictionary pages included
hyp('hyp-gzip-members.parquet', {
	schema: typesSchema, columnData: typesColumns({ s: 'RLE_DICTIONARY' }), codec: 'GZIP', compressors: { GZIP: gzipMembers },
	rowGroupSize: 400, pageSize: 1024,
});

// ---- repeated fields without a LIST annotation, legacy lists -----------------
// hyparquet-writer hands every child of a repeated group the element itself
// (not element[child]): a leaf straight under a repeated group gets the
// element, a group there picks its own fields out of it.  So a repeated
// group of leaves holds the same value in each leaf (still a valid file, and
// the shape parquetjs writes for `repeated: true` groups), and a repeated
// group of groups holds what the element's fields say.
const M = 900;
const rcol = (f) => Array.from({ length: M }, (_, i) => f(i));
const str = (name, rep = 'OPTIONAL') => ({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: rep });
const chat = (i) => (i % 11 === 4 ? [] : [{ role: 'system', content: 'be brief' },
	...Array.from({ length: i % 4 }, (_, k) => (k === 1 && i % 5 === 0 ? null : {
		role: k % 2 ? 'assistant' : 'user', content: k === 2 && i % 3 === 0 ? null : `turn ${k} of ${i}` }))]);
// Read by DuckDB as the format defines them: repeated groups of several
// fields, bare and inside a LIST.
hyp('hyp-repeated.parquet', {
	schema: [
		{ name: 'root', num_children: 5 },
		{ name: 'id', type: 'INT64', repetition_type: 'REQUIRED' },
		// repeated group messages { optional group who { role }; optional
		// group said { content; tokens } }: a chat column as a bare repeated
		// group of structs (no LIST: a required list of required elements)
		{ name: 'messages', repetition_type: 'REPEATED', num_children: 2 },
		{ name: 'who', repetition_type: 'OPTIONAL', num_children: 1 },
		str('role'),
		{ name: 'said', repetition_type: 'OPTIONAL', num_children: 2 },
		str('content'),
		{ name: 'tokens', type: 'INT32', repetition_type: 'OPTIONAL' },
		// repeated group pairs { required binary a (UTF8); optional binary b (UTF8) }:
		// the parquetjs shape, a bare repeated group of two leaves
		{ name: 'pairs', repetition_type: 'REPEATED', num_children: 2 },
		str('a', 'REQUIRED'),
		str('b'),
		// optional group points (LIST) { repeated group array { required
		// int32 x; optional int32 y } }: a legacy two-level list whose
		// repeated group of two fields is the element
		{ name: 'points', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
		{ name: 'array', repetition_type: 'REPEATED', num_children: 2 },
		{ name: 'x', type: 'INT32', repetition_type: 'REQUIRED' },
		{ name: 'y', type: 'INT32', repetition_type: 'OPTIONAL' },
		// required group scores (LIST) { repeated group bag { optional double v } }:
		// one field, not named array or _tuple: Hive's three-level list of doubles
		{ name: 'scores', repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
		{ name: 'bag', repetition_type: 'REPEATED', num_children: 1 },
		{ name: 'v', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
	],
	columnData: [
		{ name: 'id', data: rcol((i) => BigInt(i) * 1000003n) },
		{ name: 'messages', data: rcol((i) => chat(i).map((m, k) => m && { ...m, tokens: k === 3 ? null : k * 7 + i })) },
		{ name: 'pairs', data: rcol((i) => Array.from({ length: i % 4 }, (_, k) => `p${k}.${i}`)) },
		// not a LIST to the writer (two fields): a struct holding `array`
		{ name: 'points', data: rcol((i) => (i % 7 === 0 ? null : { array: Array.from({ length: i % 3 }, (_, k) => i * 3 + k) })) },
		{ name: 'scores', data: rcol((i) => Array.from({ length: i % 5 }, (_, k) => (k === 2 ? null : i / (k + 1)))) },
	],
	codec: 'SNAPPY', rowGroupSize: 300, pageSize: 2048,
});
// The one-field forms, where the format's rules and DuckDB part: a bare
// repeated group of one field is a list of one-field structs, and so is a
// LIST of a repeated group of one field named "array" or "<list>_tuple"
// (List<OneTuple<...>> in the format's own examples).  DuckDB unwraps the
// one field in all three; arrow-rs keeps it, as we do, so the tests compare
// this file with arrow-rs's reading (tests/helpers/arrowjson.mjs).
hyp('hyp-onefield.parquet', {
	schema: [
		{ name: 'root', num_children: 5 },
		{ name: 'id', type: 'INT64', repetition_type: 'REQUIRED' },
		// repeated group nums { required int32 n }
		{ name: 'nums', repetition_type: 'REPEATED', num_children: 1 },
		{ name: 'n', type: 'INT32', repetition_type: 'REQUIRED' },
		// repeated group messages { optional group m { role; content } }
		{ name: 'messages', repetition_type: 'REPEATED', num_children: 1 },
		{ name: 'm', repetition_type: 'OPTIONAL', num_children: 2 },
		str('role'),
		str('content'),
		// optional group tags (LIST) { repeated group array { required binary str } }
		{ name: 'tags', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
		{ name: 'array', repetition_type: 'REPEATED', num_children: 1 },
		str('str', 'REQUIRED'),
		// optional group words (LIST) { repeated group words_tuple { optional binary w } }
		{ name: 'words', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
		{ name: 'words_tuple', repetition_type: 'REPEATED', num_children: 1 },
		str('w'),
	],
	columnData: [
		{ name: 'id', data: rcol((i) => BigInt(i) * 1000003n) },
		{ name: 'nums', data: rcol((i) => Array.from({ length: i % 4 }, (_, k) => i * 10 + k)) },
		{ name: 'messages', data: rcol(chat) },
		{ name: 'tags', data: rcol((i) => (i % 7 === 0 ? null : Array.from({ length: i % 3 }, (_, k) => `t${k}-${i % 5}`))) },
		{ name: 'words', data: rcol((i) => (i % 9 === 0 ? null : Array.from({ length: (i + 1) % 4 }, (_, k) => (k === 1 ? null : `w${k}`)))) },
	],
	codec: 'UNCOMPRESSED', rowGroupSize: 250, pageSize: 1024,
});

// ---- INT96 ------------------------------------------------------------------
// No writer here writes INT96 (see the top), so this is hyparquet-writer's
// file with 12-byte FIXED_LEN_BYTE_ARRAY columns holding INT96 timestamps
// (nanoseconds of the day, then the Julian day, little-endian), which the
// tests relabel INT96 in the footer (tests/helpers/pqthrift.py int96): PLAIN
// and dictionary values of the two types are the same bytes.  Whole
// microseconds, as Spark writes them: DuckDB reads INT96 to microseconds.
const US_DAY = 86400000000n;
function int96(us) {
	if (us === null) return null;
	const days = us >= 0n ? us / US_DAY : -((-us + US_DAY - 1n) / US_DAY);
	const b = new Uint8Array(12);
	const v = new DataView(b.buffer);
	v.setBigUint64(0, (us - days * US_DAY) * 1000n, true);
	v.setInt32(8, Number(days) + 2440588, true);
	return b;
}
const us = (iso) => BigInt(Date.parse(iso)) * 1000n;
const edges = ['0001-01-01T00:00:00Z', '1000-06-15T12:00:00Z', '1582-10-15T00:00:00Z', '1677-09-21T00:12:43.145Z',
	'1899-12-31T23:59:59Z', '1969-12-31T23:59:59.999Z', '1970-01-01T00:00:00Z', '2000-02-29T12:34:56.789Z',
	'2262-04-11T23:47:16.854Z', '9999-12-31T23:59:59.999Z'].map(us);
const T = 700;
const tcol = (f) => Array.from({ length: T }, (_, i) => f(i));
const stamp = (i) => (i < edges.length ? edges[i] + BigInt(i % 3) * 999n : 1706704496000000n + BigInt(i) * 98765432101n * (i % 2 ? -1n : 1n) + BigInt(i % 1000));
const fl12 = (name, rep = 'OPTIONAL') => ({ name, type: 'FIXED_LEN_BYTE_ARRAY', type_length: 12, repetition_type: rep });
hyp('hyp-int96-src.parquet', {
	schema: [
		{ name: 'root', num_children: 4 },
		{ name: 'id', type: 'INT32', repetition_type: 'REQUIRED' },
		fl12('ts'),
		fl12('ts_dict'),
		{ name: 'evts', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
		{ name: 'list', repetition_type: 'REPEATED', num_children: 1 },
		fl12('element'),
	],
	columnData: [
		{ name: 'id', data: tcol((i) => i) },
		{ name: 'ts', data: tcol((i) => (i % 7 === 6 ? null : int96(stamp(i)))), encoding: 'PLAIN' },
		{ name: 'ts_dict', data: tcol((i) => (i % 5 === 4 ? null : int96(edges[i % edges.length]))), encoding: 'RLE_DICTIONARY' },
		{ name: 'evts', data: tcol((i) => (i % 9 === 0 ? null : Array.from({ length: i % 4 }, (_, k) => (k === 1 ? null : int96(stamp(i + k)))))) },
	],
	statistics: false, codec: 'SNAPPY', rowGroupSize: 300, pageSize: 1024,
}, false);

// ---- row groups of 0 rows ---------------------------------------------------
// rowGroupSize [0, 3, 0, 0, 4, 0, 5]: the writer starts a row group of 0 rows
// for each 0, first and between full ones; each of its column chunks has no
// page at all (0 values, 0 bytes).
const R = 20;
hyp('hyp-empty-rg.parquet', {
	columnData: [
		{ name: 'id', data: Array.from({ length: R }, (_, i) => i), type: 'INT32' },
		{ name: 's', data: Array.from({ length: R }, (_, i) => (i % 3 ? `row ${i}` : null)), type: 'STRING' },
		{ name: 'l', data: Array.from({ length: R }, (_, i) => (i % 4 ? [i, i + 1] : null)), type: 'JSON' },
	],
	rowGroupSize: [0, 3, 0, 0, 4, 0, 5],
});

console.log(made.join('\n'));
