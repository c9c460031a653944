#!/usr/bin/env bats
# The parquet reader (libcommon/parquet.c), through its test driver pq-dump:
# files written by two real writers, DuckDB and arrow-rs (tests/node,
# generated here and never committed), must read back exactly as DuckDB
# reads them; damaged files must fail with one line and never crash.

load test_helper

setup_file() {
	TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	if [ ! -d "$TOP/tests/node/node_modules/@duckdb/node-api" ] ||
		[ ! -d "$TOP/tests/node/node_modules/parquet-wasm" ]; then
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
