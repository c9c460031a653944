#!/usr/bin/env bats
# The parquet reader (libcommon/formats/parquet.c), through its test driver pq-dump:
# files written by real writers, DuckDB and arrow-rs (tests/node, generated
# here and never committed; hyparquet-writer's are the last section), must
# read back exactly as DuckDB reads them; damaged files must fail with one
# line and never crash.

load test_helper

setup_file() {
	TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	if [ ! -d "$TOP/tests/node/node_modules/@duckdb/node-api" ] ||
		[ ! -d "$TOP/tests/node/node_modules/parquet-wasm" ] ||
		[ ! -d "$TOP/tests/node/node_modules/hyparquet-writer" ]; then
		npm ci --prefix "$TOP/tests/node" --no-audit --no-fund >&2
	fi
	export FX=$BATS_FILE_TMPDIR/fx
	mkdir -p "$FX"
	(cd "$TOP/tests/node" && node fixtures.mjs "$FX") > "$FX/list"
	# DuckDB's own reading of every fixture it can read, once for all tests.
	# arrow-lz4 uses the Hadoop LZ4 framing, which DuckDB cannot read: it is
	# the same table as arrow-uncompressed, so that is its reference.
	while read -r f; do
		[ "$f" = arrow-lz4.parquet ] && continue
		node "$TOP/tests/node/duckjson.mjs" "$FX/$f" > "$FX/${f%.parquet}.expected"
	done < "$FX/list"
	cp "$FX/arrow-uncompressed.expected" "$FX/arrow-lz4.expected"
	# hyparquet-writer's files (tests/node/fixtures-more.mjs; their tests
	# are the last section), hyp-int96 relabelled from one of them, and
	# DuckDB's reading of each, through duckjson-more.mjs.
	(cd "$TOP/tests/node" && node fixtures-more.mjs "$FX") > "$FX/list-more"
	"$PY" "$HELPERS/pqthrift.py" int96 "$FX/hyp-int96-src.parquet" "$FX/hyp-int96.parquet" ts ts_dict evts.list.element
	echo hyp-int96.parquet >> "$FX/list-more"
	while read -r f; do
		node "$HELPERS/duckjson-more.mjs" "$FX/$f" > "$FX/${f%.parquet}.expected"
	done < "$FX/list-more"
}

setup() {
	PQ_DUMP=${SLUICE_TEST_BIN:-$TOP/build/tests}/pq-dump
	[ -x "$PQ_DUMP" ] || fail "no pq-dump in ${SLUICE_TEST_BIN:-$TOP/build/tests} (run make test-helpers)"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
}

pq_dump() { "$PQ_DUMP" "$@"; }
duckdb_json() { node "$TOP/tests/node/duckjson.mjs" "$@"; }

# same_as_duckdb NAME : pq-dump of fixture NAME equals DuckDB's reading.
same_as_duckdb() {
	pq_dump "$FX/$1.parquet" > got.jsonl
	run "$PY" "$HELPERS/pqcompare.py" "$FX/$1.expected" got.jsonl
	assert_success
	[ "$(wc -l < got.jsonl)" -eq "$(wc -l < "$FX/$1.expected")" ]
}

# duck_sql SQL : one DuckDB query's rows, tab-separated (for metadata checks).
duck_sql() {
	(cd "$TOP/tests/node" && node --input-type=module -e '
import { DuckDBInstance } from "@duckdb/node-api";
const con = await (await DuckDBInstance.create(":memory:")).connect();
const r = await con.runAndReadAll(process.argv[1]);
for (const row of r.getRows()) console.log(row.map(String).join("\t"));' "$1")
}

# ---- every fixture reads as DuckDB reads it ---------------------------------

@test "DuckDB, uncompressed: every type, with nulls, equals DuckDB" { same_as_duckdb duck-uncompressed; }
@test "DuckDB, snappy: every type equals DuckDB" { same_as_duckdb duck-snappy; }
@test "DuckDB, gzip: every type equals DuckDB" { same_as_duckdb duck-gzip; }
@test "DuckDB, zstd: every type equals DuckDB" { same_as_duckdb duck-zstd; }
@test "DuckDB, lz4 (LZ4_RAW): every type equals DuckDB" { same_as_duckdb duck-lz4; }
@test "DuckDB, brotli: every type equals DuckDB" { same_as_duckdb duck-brotli; }
@test "DuckDB, v2 data pages with delta encodings equal DuckDB" { same_as_duckdb duck-v2; }
@test "DuckDB, nested lists of structs, maps, structs of lists (snappy)" { same_as_duckdb duck-nested-snappy; }
@test "DuckDB, nested values (zstd, several row groups)" { same_as_duckdb duck-nested-zstd; }
@test "DuckDB, nested values in v2 pages (gzip)" { same_as_duckdb duck-nested-v2; }
@test "DuckDB, an empty file reads as no rows" {
	same_as_duckdb duck-empty
	[ ! -s got.jsonl ]
}
@test "DuckDB, a small file selected by columns" { same_as_duckdb duck-small-rg; }
@test "arrow-rs, uncompressed: every type, lists, maps" { same_as_duckdb arrow-uncompressed; }
@test "arrow-rs, snappy" { same_as_duckdb arrow-snappy; }
@test "arrow-rs, gzip" { same_as_duckdb arrow-gzip; }
@test "arrow-rs, brotli" { same_as_duckdb arrow-brotli; }
@test "arrow-rs, zstd" { same_as_duckdb arrow-zstd; }
@test "arrow-rs, LZ4_RAW" { same_as_duckdb arrow-lz4raw; }
@test "arrow-rs, legacy LZ4 (Hadoop framing) reads as the uncompressed file does" { same_as_duckdb arrow-lz4; }
@test "arrow-rs, v2 pages: DELTA_BINARY_PACKED, DELTA_BYTE_ARRAY, DELTA_LENGTH_BYTE_ARRAY, BYTE_STREAM_SPLIT, RLE booleans" {
	same_as_duckdb arrow-v2-delta
	run duck_sql "SELECT DISTINCT unnest(string_split(encodings, ', ')) AS e FROM parquet_metadata('$FX/arrow-v2-delta.parquet') ORDER BY e"
	for e in DELTA_BINARY_PACKED DELTA_BYTE_ARRAY DELTA_LENGTH_BYTE_ARRAY BYTE_STREAM_SPLIT; do
		assert_line "$e"
	done
}
@test "arrow-rs, v2 pages with dictionaries" { same_as_duckdb arrow-v2-dict; }
@test "arrow-rs, a dictionary that falls back to plain in mid-chunk" {
	same_as_duckdb arrow-fallback
	run duck_sql "SELECT encodings FROM parquet_metadata('$FX/arrow-fallback.parquet') WHERE path_in_schema = 'text'"
	assert_output --partial PLAIN
	assert_output --regexp 'DICTIONARY'
}
@test "arrow-rs, dictionary fallback in v2 pages" { same_as_duckdb arrow-fallback-v2; }
@test "arrow-rs, hundreds of 7-row row groups" {
	same_as_duckdb arrow-small-rg
	run pq_dump --info "$FX/arrow-small-rg.parquet"
	assert_line 'row_groups 715'
	assert_line 'row_group 714: 2 rows'
}
@test "arrow-rs, an empty table: no row groups, no rows, the schema still there" {
	same_as_duckdb arrow-empty
	run pq_dump --info "$FX/arrow-empty.parquet"
	assert_output "$(printf '%s\n' 'rows 0' 'row_groups 0' 'field id: int32' 'field text: string')"
}

# ---- selection, metadata, sources -------------------------------------------

@test "selected columns come out in the order asked, and equal DuckDB's selection" {
	pq_dump "$FX/duck-nested-zstd.parquet" messages,id > got.jsonl
	duckdb_json "$FX/duck-nested-zstd.parquet" messages,id > want.jsonl
	run "$PY" "$HELPERS/pqcompare.py" want.jsonl got.jsonl
	assert_success
	head -1 got.jsonl | grep -q '^{"messages":\[{"role":"system","content":"be brief"}\],"id":0}$'
}

@test "an unknown column is one error line" {
	run --separate-stderr pq_dump "$FX/duck-snappy.parquet" nope
	assert_error 1 "pq-dump: $FX/duck-snappy.parquet: no field nope"
}

@test "--info: fields and their types, row groups and rows" {
	run pq_dump --info "$FX/duck-snappy.parquet"
	assert_success
	assert_line 'rows 3000'
	assert_line 'row_groups 2'
	assert_line 'row_group 1: 952 rows'
	assert_line 'field dec38: decimal(38,10)'
	assert_line 'field ts_ns: timestamp[ns]'
	assert_line 'field tstz: timestamp[us, UTC]'
	assert_line 'field u16: uint16'
	assert_line 'field uid: uuid'
	run pq_dump --info "$FX/duck-nested-snappy.parquet"
	assert_line 'field messages: list<struct<role: string, content: string>>'
	assert_line 'field smap: map<string, int64>'
	assert_line 'field lol: list<list<int64>>'
	assert_line 'field st: struct<name: string, tags: list<string>, inner: struct<x: int64, y: double>>'
}

@test "column chunk byte ranges lie inside the file, one per leaf column" {
	f=$FX/duck-nested-snappy.parquet
	run pq_dump --ranges "$f"
	assert_success
	size=$(filesize "$f")
	while read -r rg field off len; do
		[ "$off" -ge 4 ] && [ $((off + len)) -le "$size" ] || fail "range $off+$len of $field"
	done <<< "$output"
	# messages has two leaves (role, content), so two ranges per row group
	[ "$(grep -c '^0 messages ' <<< "$output")" -eq 2 ]
}

@test "--text: a string column's raw bytes, one cell a line, as DuckDB has them" {
	pq_dump --text "$FX/arrow-fallback.parquet" text > got.txt
	"$PY" -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    v = json.loads(line)["text"]
    sys.stdout.write((v or "") + "\n")' "$FX/arrow-fallback.expected" > want.txt
	cmp want.txt got.txt
}

@test "an in-memory source reads the same as a file" {
	pq_dump "$FX/arrow-zstd.parquet" > a.jsonl
	pq_dump --memory "$FX/arrow-zstd.parquet" > b.jsonl
	cmp a.jsonl b.jsonl
}

@test "values print as documented: dates, timestamps, decimals, floats, binary" {
	pq_dump "$FX/duck-snappy.parquet" dt,ts_ms,ts_ns,tstz,dec4,dec38,f32,bin | sed -n 2p > got
	assert_equal "$(cat got)" '{"dt":"1970-01-31","ts_ms":"2001-09-09 01:46:41.234","ts_ns":"2024-01-31 12:34:56.001001001","tstz":"2024-01-31 13:34:56.5+00","dec4":-49.99,"dec38":-18506172672950617267294377.0000000000,"f32":0.14285715,"bin":"AP8x"}'
}

# ---- damage -----------------------------------------------------------------

@test "not parquet: bad magic is one error line" {
	cp "$FX/duck-snappy.parquet" f.parquet
	flip_byte f.parquet 0
	flip_byte f.parquet $(($(filesize f.parquet) - 1))
	run --separate-stderr pq_dump f.parquet
	assert_error 1 "pq-dump: f.parquet: not a parquet file (no PAR1 magic at the end)"
}

@test "a file too short to be parquet is one error line" {
	printf 'PAR1' > f.parquet
	run --separate-stderr pq_dump f.parquet
	assert_error 1 "pq-dump: f.parquet: not a parquet file (4 bytes, too short)"
}

@test "truncated file: the footer cut off is one error line saying so" {
	head -c $(($(filesize "$FX/duck-snappy.parquet") - 100)) "$FX/duck-snappy.parquet" > f.parquet
	run --separate-stderr pq_dump f.parquet
	assert_error 1 "pq-dump: f.parquet: truncated parquet file (no PAR1 magic at the end)"
}

@test "an impossible footer length is one error line" {
	cp "$FX/duck-snappy.parquet" f.parquet
	size=$(filesize f.parquet)
	printf '\xff\xff\xff\x7f' | dd of=f.parquet bs=1 seek=$((size - 8)) conv=notrunc status=none
	run --separate-stderr pq_dump f.parquet
	assert_error 1 "pq-dump: f.parquet: footer length 2147483647 does not fit in a file of $size bytes"
}

@test "bad Thrift in the footer is one error line naming the footer" {
	cp "$FX/duck-snappy.parquet" f.parquet
	size=$(filesize f.parquet)
	mlen=$("$PY" -c 'import sys,struct; d=open(sys.argv[1],"rb").read(); print(struct.unpack("<I", d[-8:-4])[0])' f.parquet)
	# cut the metadata in half but say so in the length: the Thrift ends early
	"$PY" - f.parquet "$mlen" <<-'EOF'
		import sys, struct
		path, mlen = sys.argv[1], int(sys.argv[2])
		d = open(path, "rb").read()
		meta = d[-8 - mlen:-8][: mlen // 2]
		open(path, "wb").write(d[:-8 - mlen] + meta + struct.pack("<I", len(meta)) + b"PAR1")
	EOF
	run --separate-stderr pq_dump f.parquet
	assert_equal "$status" 1
	assert_equal "${#stderr_lines[@]}" 1
	[[ $stderr == "pq-dump: f.parquet: footer: Thrift"* ]] || fail "$stderr"
}

@test "a column chunk outside the file (an impossible size) is one error line naming the column" {
	f=$FX/duck-snappy.parquet
	read -r _ _ off len < <(pq_dump --ranges "$f" | grep '^0 s ')
	# keep the footer, drop everything from the middle of column s onwards
	size=$(filesize "$f")
	mlen=$("$PY" -c 'import sys,struct; d=open(sys.argv[1],"rb").read(); print(struct.unpack("<I", d[-8:-4])[0])' "$f")
	{ head -c $((off + len / 2)) "$f"; tail -c $((mlen + 8)) "$f"; } > g.parquet
	run --separate-stderr pq_dump g.parquet s
	assert_equal "$status" 1
	assert_equal "${#stderr_lines[@]}" 1
	[[ $stderr == "pq-dump: g.parquet: column s: page at byte $off: column chunk of $len bytes at byte $off lies outside the file"* ]] || fail "$stderr"
}

@test "a flipped byte inside a gzip page is one error line naming column and page" {
	f=$FX/duck-gzip.parquet
	read -r _ _ off len < <(pq_dump --ranges "$f" | grep '^0 s ')
	cp "$f" g.parquet
	flip_byte g.parquet $((off + len / 2))
	run --separate-stderr pq_dump g.parquet s
	assert_equal "$status" 1
	assert_equal "${#stderr_lines[@]}" 1
	[[ $stderr =~ ^pq-dump:\ g.parquet:\ column\ s:\ page\ at\ byte\ [0-9]+:\ (gzip|dictionary|plain|value|page|definition) ]] || fail "$stderr"
}

@test "flipped bytes anywhere in a file never crash the reader" {
	# 120 bytes spread over a nested file, each flipped in turn (headers,
	# levels, values, footer): each run either reads or fails with one line
	# (the sanitized build catches the rest)
	f=$FX/duck-nested-v2.parquet
	size=$(filesize "$f")
	for ((at = 0; at < size; at += size / 120 + 1)); do
		cp "$f" g.parquet
		flip_byte g.parquet "$at"
		set +e
		pq_dump g.parquet > /dev/null 2> err
		rc=$?
		set -e
		[ "$rc" -eq 0 ] || { [ "$rc" -eq 1 ] && [ "$(wc -l < err)" -eq 1 ]; } || fail "byte $at: status $rc: $(cat err)"
	done
}

# ---- a third writer: hyparquet-writer (tests/node/fixtures-more.mjs) ----------
# Its files hold what DuckDB and arrow-rs never write: bare repeated groups
# and legacy two-level lists, DECIMAL in all four physical types, INT96 (by
# relabelling, see fixtures-more.mjs), row groups of 0 rows, GZIP pages of
# several gzip members.  Their .expected files are DuckDB's reading through
# tests/helpers/duckjson-more.mjs (JSON columns as their stored text, the
# legacy TIMESTAMP_MILLIS/MICROS converted types as UTC, as the format
# defines them); hyp-onefield, where the format and DuckDB part, is compared
# with arrow-rs's reading instead.

# pages FIXTURE : tests/helpers/pqthrift.py's list of every page of the file
# (OFFSET TYPE ENCODING COMPRESSED UNCOMPRESSED GZIP_MEMBERS).
pages() {
	# shellcheck disable=SC2046 # one argument per number
	"$PY" "$HELPERS/pqthrift.py" pages "$FX/$1.parquet" $(pq_dump --ranges "$FX/$1.parquet" | cut -d' ' -f3,4)
}

@test "hyparquet-writer, uncompressed: every physical type it writes, nulls, logical types, all v2 pages" {
	same_as_duckdb hyp-uncompressed
	run duck_sql "SELECT DISTINCT type FROM parquet_schema('$FX/hyp-uncompressed.parquet') WHERE type IS NOT NULL ORDER BY type"
	assert_output "$(printf '%s\n' BOOLEAN BYTE_ARRAY DOUBLE FIXED_LEN_BYTE_ARRAY FLOAT INT32 INT64)"
	# data pages v2 (3) only, besides dictionary pages (2)
	run pages hyp-uncompressed
	assert_success
	[ -z "$(cut -d' ' -f2 <<< "$output" | grep -v '^[23]$')" ] || fail "not only v2 pages"
	assert_line --regexp '^[0-9]+ 3 '
}
@test "hyparquet-writer, snappy" { same_as_duckdb hyp-snappy; }
@test "hyparquet-writer, gzip" { same_as_duckdb hyp-gzip; }
@test "hyparquet-writer, brotli" {
	same_as_duckdb hyp-brotli
	run duck_sql "SELECT DISTINCT compression FROM parquet_metadata('$FX/hyp-brotli.parquet')"
	assert_output BROTLI
}
@test "hyparquet-writer, every encoding it has: DELTA_BINARY_PACKED, DELTA_BYTE_ARRAY, DELTA_LENGTH_BYTE_ARRAY, BYTE_STREAM_SPLIT, RLE booleans" {
	same_as_duckdb hyp-delta
	run duck_sql "SELECT DISTINCT unnest(string_split(encodings, ', ')) AS e FROM parquet_metadata('$FX/hyp-delta.parquet') ORDER BY e"
	for e in DELTA_BINARY_PACKED DELTA_BYTE_ARRAY DELTA_LENGTH_BYTE_ARRAY BYTE_STREAM_SPLIT RLE; do
		assert_line "$e"
	done
}
@test "hyparquet-writer, every column dictionary-encoded (RLE_DICTIONARY in v2 pages, gzip)" {
	same_as_duckdb hyp-dict
	run pages hyp-dict
	assert_line --regexp '^[0-9]+ 2 0 '  # PLAIN dictionary pages
	assert_line --regexp '^[0-9]+ 3 8 '  # RLE_DICTIONARY v2 data pages
	run duck_sql "SELECT count(*) FROM parquet_metadata('$FX/hyp-dict.parquet') WHERE encodings NOT LIKE '%RLE_DICTIONARY%' AND path_in_schema <> 'b'"
	assert_output 0
}
@test "DECIMAL in INT32, INT64, FIXED_LEN_BYTE_ARRAY and BYTE_ARRAY (zero as zero bytes) equals DuckDB" {
	run duck_sql "SELECT name, type, precision, scale FROM parquet_schema('$FX/hyp-snappy.parquet') WHERE converted_type = 'DECIMAL' ORDER BY name"
	assert_output "$(printf '%s\t%s\t%s\t%s\n' dec_bytes BYTE_ARRAY 38 6 dec_fixed FIXED_LEN_BYTE_ARRAY 25 3 \
		dec_i32 INT32 9 2 dec_i64 INT64 18 4)"
	run pq_dump --info "$FX/hyp-snappy.parquet"
	assert_line 'field dec_i32: decimal(9,2)'
	assert_line 'field dec_i64: decimal(18,4)'
	assert_line 'field dec_fixed: decimal(25,3)'
	assert_line 'field dec_bytes: decimal(38,6)'
	pq_dump "$FX/hyp-snappy.parquet" dec_bytes,dec_fixed,dec_i64,dec_i32 > got.jsonl
	duckdb_json "$FX/hyp-snappy.parquet" dec_bytes,dec_fixed,dec_i64,dec_i32 > want.jsonl
	run "$PY" "$HELPERS/pqcompare.py" want.jsonl got.jsonl
	assert_success
	# the one- and two-byte edges of the BYTE_ARRAY decimal, exactly
	assert_equal "$(head -6 got.jsonl | cut -d, -f1 | tr '\n' ' ')" \
		'{"dec_bytes":0.000000 {"dec_bytes":-0.000001 {"dec_bytes":0.000127 {"dec_bytes":0.000128 {"dec_bytes":-0.000128 {"dec_bytes":-0.000129 '
}
@test "GZIP pages of three gzip members each (one of them empty) read as DuckDB reads them" {
	run pages hyp-gzip-members
	assert_success
	[ "${#lines[@]}" -gt 100 ]
	# every page, dictionary pages too, is three members; the plain gzip
	# file's pages are one each
	[ -z "$(cut -d' ' -f6 <<< "$output" | grep -v '^3$')" ] || fail "a page is not 3 members"
	run pages hyp-gzip
	[ -z "$(cut -d' ' -f6 <<< "$output" | grep -v '^1$')" ] || fail "a page is not 1 member"
	same_as_duckdb hyp-gzip-members
	# the same rows as the single-member file
	pq_dump "$FX/hyp-gzip.parquet" > one.jsonl
	cmp one.jsonl got.jsonl
}
@test "a damaged trailer of the last member of a multi-member GZIP page is one error line saying so" {
	# the first page of column s (its dictionary page) ends where the next
	# page starts, with the last member's trailer: CRC-32, then the length
	read -r _ _ off len < <(pq_dump --ranges "$FX/hyp-gzip-members.parquet" | grep '^0 s ')
	read -r first _ < <("$PY" "$HELPERS/pqthrift.py" pages "$FX/hyp-gzip-members.parquet" "$off" "$len")
	next=$("$PY" "$HELPERS/pqthrift.py" pages "$FX/hyp-gzip-members.parquet" "$off" "$len" | sed -n 2p | cut -d' ' -f1)
	[ -n "$next" ]
	cp "$FX/hyp-gzip-members.parquet" g.parquet
	flip_byte g.parquet $((next - 8))
	run --separate-stderr pq_dump g.parquet s
	assert_error 1 "pq-dump: g.parquet: column s: page at byte $first: gzip: incorrect data check"
	cp "$FX/hyp-gzip-members.parquet" g.parquet
	flip_byte g.parquet $((next - 3))
	run --separate-stderr pq_dump g.parquet s
	assert_error 1 "pq-dump: g.parquet: column s: page at byte $first: gzip: incorrect length check"
}
@test "bare repeated groups of several fields, and a legacy two-level list of a group, equal DuckDB" {
	same_as_duckdb hyp-repeated
	run pq_dump --info "$FX/hyp-repeated.parquet"
	assert_line 'field messages: list<struct<who: struct<role: string>, said: struct<content: string, tokens: int32>>>'
	assert_line 'field pairs: list<struct<a: string, b: string>>'
	assert_line 'field points: list<struct<x: int32, y: int32>>'
	assert_line 'field scores: list<double>'
	# a null element of a bare repeated group, an empty list, a null list
	assert_equal "$(sed -n 11p got.jsonl)" '{"id":10000030,"messages":[{"who":{"role":"system"},"said":{"content":"be brief","tokens":10}},{"who":{"role":"user"},"said":{"content":"turn 0 of 10","tokens":17}},{"who":null,"said":null}],"pairs":[{"a":"p0.10","b":"p0.10"},{"a":"p1.10","b":"p1.10"}],"points":[{"x":30,"y":30}],"scores":[]}'
	assert_equal "$(sed -n 5p got.jsonl)" '{"id":4000012,"messages":[],"pairs":[],"points":[{"x":12,"y":12}],"scores":[4.0,2.0,null,1.0]}'
	assert_equal "$(sed -n 8p got.jsonl | cut -d, -f1-2)" '{"id":7000021,"messages":[{"who":{"role":"system"}'
	grep -q '"points":null' got.jsonl
}
@test "one-field repeated groups (bare, \"array\", \"_tuple\") are lists of one-field structs, as arrow-rs reads them" {
	pq_dump "$FX/hyp-onefield.parquet" > got.jsonl
	node "$HELPERS/arrowjson.mjs" "$FX/hyp-onefield.parquet" > want.jsonl
	run "$PY" "$HELPERS/pqcompare.py" want.jsonl got.jsonl
	assert_success
	[ "$(wc -l < got.jsonl)" -eq 900 ]
	assert_equal "$(sed -n 2p got.jsonl)" '{"id":1000003,"nums":[{"n":10}],"messages":[{"m":{"role":"system","content":"be brief"}},{"m":{"role":"user","content":"turn 0 of 1"}}],"tags":[{"str":"t0-1"}],"words":[{"w":"w0"},{"w":null}]}'
	# DuckDB unwraps the one field; otherwise it reads the same values
	"$PY" - got.jsonl > unwrapped.jsonl <<-'EOF'
		import json, sys
		for line in open(sys.argv[1], encoding="utf-8"):
		    row = json.loads(line)
		    for k, v in row.items():
		        if isinstance(v, list):
		            row[k] = [next(iter(x.values())) if isinstance(x, dict) and len(x) == 1 else x for x in v]
		    print(json.dumps(row))
	EOF
	run "$PY" "$HELPERS/pqcompare.py" "$FX/hyp-onefield.expected" unwrapped.jsonl
	assert_success
}
@test "INT96 timestamps, plain, dictionary-encoded and in a list, read as DuckDB reads them" {
	run duck_sql "SELECT name, type FROM parquet_schema('$FX/hyp-int96.parquet') WHERE type = 'INT96' ORDER BY name"
	assert_output "$(printf '%s\tINT96\n' element ts ts_dict)"
	same_as_duckdb hyp-int96
	run pq_dump --info "$FX/hyp-int96.parquet"
	assert_line 'field ts: timestamp[ns]'
	assert_line 'field evts: list<timestamp[ns]>'
	# the edges: year 1, before 1970, past the 64-bit nanosecond range, 9999
	assert_equal "$(pq_dump "$FX/hyp-int96.parquet" ts | head -10 | cut -d: -f2- | tr '\n' ' ')" \
		'"0001-01-01 00:00:00"} "1000-06-15 12:00:00.000999"} "1582-10-15 00:00:00.001998"} "1677-09-21 00:12:43.145"} "1899-12-31 23:59:59.000999"} "1970-01-01 00:00:00.000998"} null} "2000-02-29 12:34:56.789999"} "2262-04-11 23:47:16.855998"} "9999-12-31 23:59:59.999"} '
}
@test "row groups of 0 rows, first and between others, with column chunks of no pages" {
	same_as_duckdb hyp-empty-rg
	run pq_dump --info "$FX/hyp-empty-rg.parquet"
	assert_line 'rows 20'
	assert_line 'row_groups 9'
	for rg in 0 2 3 5; do
		assert_line "row_group $rg: 0 rows"
	done
	assert_line 'row_group 1: 3 rows'
	run pq_dump --ranges "$FX/hyp-empty-rg.parquet"
	assert_line --regexp '^0 id [0-9]+ 0$'
	assert_line --regexp '^2 l [0-9]+ 0$'
	assert_equal "$(head -1 got.jsonl)" '{"id":0,"s":null,"l":null}'
	pq_dump "$FX/hyp-empty-rg.parquet" l,id > got.jsonl
	node "$HELPERS/duckjson-more.mjs" "$FX/hyp-empty-rg.parquet" l,id > want.jsonl
	run "$PY" "$HELPERS/pqcompare.py" want.jsonl got.jsonl
	assert_success
}
@test "DuckDB's v1 data pages in PLAIN_DICTIONARY (encoding 2) read as DuckDB reads them" {
	run pages duck-snappy
	assert_line --regexp '^[0-9]+ 0 2 '
	same_as_duckdb duck-snappy
}
@test "flipped bytes in hyparquet-writer's files never crash the reader" {
	for name in hyp-repeated hyp-gzip-members hyp-int96 hyp-empty-rg hyp-delta; do
		f=$FX/$name.parquet
		size=$(filesize "$f")
		for ((at = 0; at < size; at += size / 40 + 1)); do
			cp "$f" g.parquet
			flip_byte g.parquet "$at"
			set +e
			pq_dump g.parquet > /dev/null 2> err
			rc=$?
			set -e
			[ "$rc" -eq 0 ] || { [ "$rc" -eq 1 ] && [ "$(wc -l < err)" -eq 1 ]; } || fail "$name byte $at: status $rc: $(cat err)"
		done
	done
}
@test "hf-stream --format json reads hyparquet-writer's files as DuckDB does, and shards 0-row row groups" {
	# (every column of the types files but u64: rec-cat's JSON parser,
	# jansson, refuses integers past 2^63 - 1, which a UINT_64 column holds)
	cols=$(pq_dump --info "$FX/hyp-dict.parquet" | sed -n 's/^field \([^:]*\):.*/\1/p' | grep -vx u64 | paste -sd,)
	for name in hyp-repeated hyp-int96 hyp-empty-rg hyp-gzip-members:"$cols" hyp-dict:"$cols"; do
		file=${name%%:*}
		if [ "$name" = "$file" ]; then
			"$SLUICE_BIN/hf-stream" --format json "$FX/$file.parquet" > s.rec
			cp "$FX/$file.expected" want.jsonl
		else
			"$SLUICE_BIN/hf-stream" --field "${name#*:}" "$FX/$file.parquet" > s.rec
			node "$HELPERS/duckjson-more.mjs" "$FX/$file.parquet" "${name#*:}" > want.jsonl
		fi
		# the row, with top-level binary's {"base64": "..."} as pq-dump has it
		"$SLUICE_BIN/rec-cat" s.rec | sed 's/^{"type":"json","json"://; s/}$//; s/{"base64":\("[^"]*"\)}/\1/g' > got.jsonl
		run "$PY" "$HELPERS/pqcompare.py" want.jsonl got.jsonl
		assert_success
	done
	# one file of 9 row groups, 4 of them empty: sharded by row group, the
	# shards hold every row once
	: > all.jsonl
	for i in 0 1 2; do
		"$SLUICE_BIN/hf-stream" --shard "$i/3" --format json "$FX/hyp-empty-rg.parquet" > s.rec
		"$SLUICE_BIN/rec-cat" s.rec >> all.jsonl
	done
	assert_equal "$("$PY" -c 'import json,sys; print(sorted(json.loads(l)["json"]["id"] for l in open(sys.argv[1])))' all.jsonl)" \
		"$(seq -s ', ' 0 19 | sed 's/.*/[&]/')"
}

# ---- pages no writer makes on demand, edge values, refusals ------------------
# tests/helpers/pqbuild.py writes these page by page; the edge values'
# expected readings are worked out there with Python's datetime (shifted by
# whole 400-year cycles past its years 1..9999) and decimal, never taken from
# a reader.

@test "v2 pages with an empty data section (all null), empty v1 pages and is_compressed = false read under every codec" {
	"$PY" "$HELPERS/pqbuild.py" pages .
	want='null null 1 null 2 3 4 null null 5 '
	for codec in uncompressed snappy gzip brotli lz4 zstd lz4_raw; do
		run --separate-stderr pq_dump "pages-$codec.parquet"
		assert_success
		assert_equal "$(printf '%s\n' "${lines[@]}" | sed 's/{"x":\(.*\)}/\1/' | tr '\n' ' ')" "$want"
		# and DuckDB reads each the same (all but Hadoop-framed LZ4, which it lacks)
		[ "$codec" = lz4 ] && continue
		duckdb_json "pages-$codec.parquet" > want.jsonl
		assert_equal "$(sed 's/{"x":\(.*\)}/\1/' want.jsonl | tr '\n' ' ')" "$want"
	done
}

@test "the issue's page: a snappy v2 page of one null and a zero-byte data section reads as one null" {
	"$PY" "$HELPERS/pqbuild.py" pages .
	# its page: v2 (type 3), the data section empty once the levels are off
	off=$(pq_dump --ranges pages-snappy.parquet | cut -d' ' -f3,4)
	# shellcheck disable=SC2086 # OFFSET LENGTH
	run "$PY" "$HELPERS/pqthrift.py" pages pages-snappy.parquet $off
	assert_line --regexp '^[0-9]+ 3 0 [0-9]+ 2 0$'
	run pq_dump pages-snappy.parquet
	assert_line --index 8 '{"x":null}'
}

# same_as_worked NAME : pq-dump of edges-NAME.parquet equals the worked
# rows byte for byte.
same_as_worked() {
	pq_dump "edges-$1.parquet" > "got-$1.jsonl"
	cmp "edges-$1.jsonl" "got-$1.jsonl" || diff "edges-$1.jsonl" "got-$1.jsonl" | head -5 >&2
	cmp -s "edges-$1.jsonl" "got-$1.jsonl"
}

@test "edge values of every type read as worked out independently: integers, dates, timestamps, INT96, times, decimals, intervals" {
	"$PY" "$HELPERS/pqbuild.py" edges .
	for g in ints dates timestamps int96 times decimals intervals; do
		same_as_worked "$g" || fail "edges-$g"
	done
	# the issue's value, and dates past 9999 and before year 1 as ISO 8601
	run pq_dump edges-int96.parquet
	assert_line --index 5 '{"int96":"+290000-12-30 23:00:00"}'
	assert_line --index 0 '{"int96":"-5884323-05-15 00:00:00"}'
	# a time of day past a day is carried into the day, as DuckDB and arrow-rs do
	assert_line --index 10 '{"int96":"1970-01-02 00:00:00"}'
	assert_line --index 11 '{"int96":"1970-01-01 23:59:59.999999999"}'
	run pq_dump edges-dates.parquet d
	assert_line --index 2 '{"d":"0000-12-31"}'
	assert_line --index 3 '{"d":"0001-01-01"}'
	assert_line --index 7 '{"d":"+10000-01-01"}'
	run pq_dump --info edges-decimals.parquet
	assert_line 'field dec_ba76: decimal(76,5)'
	run pq_dump --info edges-times.parquet
	assert_line 'field time_us_utc: time[us, UTC]'
	run pq_dump --info edges-intervals.parquet
	assert_line 'field iv: interval'
}

@test "edge floats: extremes and subnormals by value, infinities and NaN as null" {
	"$PY" "$HELPERS/pqbuild.py" edges .
	pq_dump edges-floats.parquet > got.jsonl
	# FLOAT and FLOAT16 are printed in float32's shortest form, so they
	# compare as float32; DOUBLE exactly
	run "$PY" - edges-floats.jsonl got.jsonl <<-'EOF'
		import json, struct, sys
		bits = lambda x, f: None if x is None else struct.pack(f, x)
		n = 0
		for w, g in zip(open(sys.argv[1]), open(sys.argv[2])):
		    w, g = json.loads(w), json.loads(g)
		    for k, f in (('f16', '<f'), ('f32', '<f'), ('f64', '<d')):
		        assert bits(w[k], f) == bits(g[k], f), (n, k, w[k], g[k])
		    n += 1
		print('ok' if n == 7 else n)
	EOF
	assert_output ok
}

@test "edge values agree with DuckDB wherever DuckDB holds them" {
	"$PY" "$HELPERS/pqbuild.py" edges .
	# Where DuckDB parts from the worked values, and why (each checked above
	# against the worked value instead):
	#   d, d_legacy               the largest INT32 day is DuckDB's "infinity"
	#   ts_ms*, ts_us, ts_*legacy past DuckDB's microsecond range: it refuses the column
	#   ts_us_utc                 INT64_MIN + 1 us is DuckDB's "-infinity"
	#   ts_ns, ts_ns_utc          DuckDB refuses, or cuts nanoseconds to microseconds
	#   time_ns_utc               DuckDB's TIMETZ cuts nanoseconds to microseconds
	#   int96                     DuckDB wraps days past its range (INT32_MIN's Julian day reads as year 29357)
	#   dec38, dec38_s38          DuckDB fails on -2^127, and prints 38-digit fractions oddly
	#   dec_ba76                  DuckDB reads precision past 38 as a double
	#   iv                        DuckDB prints an INTERVAL as "1 year 2 months..."
	agree='ints:i32 ints:i64 ints:i8 ints:i16 ints:u8 ints:u16 ints:u32 ints:u64
		times:time_ms times:time_us_utc times:time_ns times:time_ms_legacy times:time_us_legacy
		decimals:dec_i32 decimals:dec_i32_s0 decimals:dec_i32_s20 decimals:dec_i64 decimals:dec_flba1
		decimals:dec_ba decimals:dec_legacy floats:f16 floats:f32 floats:f64'
	for gc in $agree; do
		g=${gc%%:*} c=${gc#*:}
		duckdb_json "edges-$g.parquet" "$c" > want.jsonl
		pq_dump "edges-$g.parquet" "$c" > got.jsonl
		run "$PY" "$HELPERS/pqcompare.py" --duckdb-forms want.jsonl got.jsonl
		[ "$status" -eq 0 ] || fail "$gc: $output"
	done
	# dates before year 1 in DuckDB's "(BC)" form agree too, once rewritten
	pq_dump edges-dates.parquet d | head -8 > got.jsonl
	duckdb_json edges-dates.parquet d | head -8 > want.jsonl
	grep -q '(BC)' want.jsonl
	run "$PY" "$HELPERS/pqcompare.py" --duckdb-forms want.jsonl got.jsonl
	assert_success
}

@test "a value its type cannot hold, or an annotation the reader cannot honour, is one error line naming file, column and row" {
	"$PY" "$HELPERS/pqbuild.py" bad .
	n=0
	while IFS=$'\t' read -r name why; do
		run --separate-stderr pq_dump "bad-$name.parquet"
		assert_equal "$status" 1
		assert_equal "${#stderr_lines[@]}" 1
		[[ $stderr == "pq-dump: bad-$name.parquet: "*"$why" ]] || fail "$name: $stderr"
		n=$((n + 1))
	done < bad.list
	[ "$n" -ge 24 ]
	# the list of structs whose leaves disagree, with levels that agree:
	# read, as DuckDB reads it (a null b in the second element)
	pq_dump good-rep.parquet > got.jsonl
	duckdb_json good-rep.parquet > want.jsonl
	run "$PY" "$HELPERS/pqcompare.py" want.jsonl got.jsonl
	assert_success
	assert_equal "$(head -1 got.jsonl)" '{"l":[{"a":1,"b":2},{"a":3,"b":null}]}'
	# hf-stream: the same line, and the status of malformed input
	run --separate-stderr "$SLUICE_BIN/hf-stream" --format json bad-time-negative.parquet -o s.rec
	assert_error 8 "hf-stream: bad-time-negative.parquet: column c, row 2: TIME of -1 us is not within a day"
	run --separate-stderr "$SLUICE_BIN/hf-stream" --format json bad-timestamp-on-int32.parquet -o s.rec
	assert_error 8 "hf-stream: bad-timestamp-on-int32.parquet: column c: TIMESTAMP on INT32"
	# --info still lists such a column, as unsupported, and the file's
	# other columns read
	run pq_dump --info bad-timestamp-on-int32.parquet
	assert_line 'field c: unsupported'
	run pq_dump beside-bad.parquet ok
	assert_success
	assert_output '{"ok":1}'
	run --separate-stderr pq_dump beside-bad.parquet
	assert_error 1 "pq-dump: beside-bad.parquet: column c: TIMESTAMP on INT32"
}

# ---- differential: random tables from the three writers ----------------------
# tests/node/pqrandom.mjs draws tables (types, values at their edges, nulls,
# NaN, nesting, codecs, v1/v2 pages, encodings, dictionaries, row group and
# page sizes) from a seed, has DuckDB, arrow-rs or hyparquet-writer write
# each, and DuckDB read each back; the reader and hf-stream must read every
# one as DuckDB does.  A short run here; PQ_RANDOM_COUNT=500 (and another
# PQ_RANDOM_SEED) for a long one.  A failure names the seed and the file's
# recipe: `node tests/node/pqrandom.mjs DIR SEED COUNT` remakes it.

@test "differential: random tables written by DuckDB, arrow-rs and hyparquet-writer read as DuckDB reads them, through pq-dump and hf-stream" {
	seed=${PQ_RANDOM_SEED:-1} count=${PQ_RANDOM_COUNT:-12}
	(cd "$TOP/tests/node" && node pqrandom.mjs "$BATS_TEST_TMPDIR/work" "$seed" "$count") > list
	[ "$(wc -l < list)" -eq "$count" ]
	pairs=() rec=()
	while IFS=$'\t' read -r f recipe; do
		b=${f%.parquet}
		pq_dump "$f" > "$b.got" || fail "seed $seed, $f ($recipe): pq-dump failed"
		"$SLUICE_BIN/hf-stream" -q --format json "$f" -o "$b.rec" || fail "seed $seed, $f ($recipe): hf-stream failed"
		pairs+=("$b.expected" "$b.got") rec+=("$b.rec" "$b.hf0")
	done < list
	# hf-stream's JSON rows, top-level binary unwrapped from {"base64": ...}
	"$PY" "$HELPERS/mkframes.py" --payloads "${rec[@]}"
	for f in ./*.hf0; do
		sed 's/{"base64":\("[^"]*"\)}/\1/g' "$f" > "${f%0}"
		pairs+=("${f%.hf0}.expected" "${f%0}")
	done
	run "$PY" "$HELPERS/pqcompare.py" --duckdb-forms "${pairs[@]}"
	[ "$status" -eq 0 ] || fail "seed $seed: $output; the recipes: $(cat list)"
	# the run covered all three writers and some rows
	for w in duckdb arrow-rs hyparquet-writer; do
		grep -q "	$w " list || fail "seed $seed made no file by $w"
	done
	[ "$(cat ./*.got | wc -l)" -gt 500 ]
}
