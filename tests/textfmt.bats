#!/usr/bin/env bats
# The readers under hf-stream's local formats: decompression (decomp.h),
# CSV/TSV (csv.h), JSON lines and JSON documents (jsonrows.h) and text
# (textrows.h), driven by tests/helpers/rows-dump, which prints each row
# as a JSON object line.  Compressed fixtures come from the real gzip,
# zstd, bzip2, xz and lz4 tools; CSV output is compared with Python's csv
# module.

load test_helper

SLUICE_TEST_BIN=${SLUICE_TEST_BIN:-$TOP/build/tests}

setup() {
	ROWS_DUMP=$SLUICE_TEST_BIN/rows-dump
	[ -x "$ROWS_DUMP" ] || fail "no rows-dump in SLUICE_TEST_BIN=$SLUICE_TEST_BIN (run make test-helpers)"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
}

rows-dump() { "$ROWS_DUMP" "$@"; }

# py_csv FILE [DELIM]: the rows Python's csv module reads from FILE, as
# rows-dump prints them (blank lines skipped, BOM dropped).
py_csv() {
	"$PY" - "$@" <<-'EOF'
		import csv, json, sys
		delim = sys.argv[2] if len(sys.argv) > 2 else ","
		csv.field_size_limit(1 << 30)
		with open(sys.argv[1], newline="", encoding="utf-8-sig") as f:
		    rows = [r for r in csv.reader(f, delimiter=delim) if r]
		for r in rows[1:]:
		    print(json.dumps(dict(zip(rows[0], r)), ensure_ascii=False, separators=(",", ":")))
	EOF
}

# ---- decompression --------------------------------------------------------

seq_rows() { # seq_rows A B: rows-dump output for the lines A..B
	local i
	for ((i = $1; i <= $2; i++)); do printf '{"text":"%d"}\n' "$i"; done
}

@test "gzip, zstd, bzip2, xz and lz4 files made by their tools read as the text inside" {
	for tool in gzip zstd bzip2 xz lz4; do
		seq 1 1000 | $tool -c > "in.$tool"
		run --separate-stderr rows-dump -f txt "in.$tool"
		assert_success
		assert_output "$(seq_rows 1 1000)"
	done
}

@test "concatenated members and frames are all read: cat a.gz b.gz, and the same for every codec" {
	for tool in gzip zstd bzip2 xz lz4; do
		seq 1 3 | $tool -c > a
		seq 4 5 | $tool -c > b
		cat a b > "ab.$tool"
		run --separate-stderr rows-dump -f txt "ab.$tool"
		assert_success
		assert_output "$(seq_rows 1 5)"
	done
}

@test "compression is found by magic bytes when the name has no compression extension" {
	printf 'a,b\n1,2\n' | zstd -q -c > data.csv
	run --separate-stderr rows-dump data.csv
	assert_success
	assert_output '{"a":"1","b":"2"}'
}

@test "a large file through gzip streams whole (many decoder calls)" {
	seq 1 300000 > big.txt
	gzip -c big.txt > big.txt.gz
	rows-dump big.txt.gz > out
	assert_equal "$(wc -l < out)" 300000
	assert_equal "$(tail -1 out)" '{"text":"300000"}'
}

@test "truncated gzip: the rows before the damage, then one error line with the input byte" {
	seq 1 2000 | gzip -c > full.gz
	head -c 1000 full.gz > cut.txt.gz
	run --separate-stderr rows-dump cut.txt.gz
	assert_failure 1
	assert_regex "$stderr" '^rows-dump: cut\.txt\.gz:[0-9]+: line [0-9]+: gzip: compressed data truncated at input byte 1000$'
	assert_equal "${#stderr_lines[@]}" 1
	assert_equal "${lines[0]}" '{"text":"1"}'
}

@test "truncated zstd, bzip2, xz and lz4 fail with a truncation error, never hang" {
	for tool in zstd bzip2 xz lz4; do
		seq 1 20000 | $tool -c > full
		size=$(filesize full)
		head -c $((size - 7)) full > "cut.$tool"
		run --separate-stderr timeout 20 "$ROWS_DUMP" -f txt "cut.$tool"
		assert_failure 1
		assert_regex "$stderr" "^rows-dump: cut\\.$tool:[0-9]+: line [0-9]+: [a-z0-9]+: compressed data truncated at input byte [0-9]+\$"
	done
}

@test "corrupt gzip data: invalid compressed data at an input byte" {
	seq 1 5000 | gzip -c > g.gz
	flip_byte g.gz 200
	run --separate-stderr rows-dump -f txt g.gz
	assert_failure 1
	assert_regex "$stderr" '^rows-dump: g\.gz:[0-9]+: line [0-9]+: gzip: invalid compressed data at input byte [0-9]+ \(.+\)$'
	assert_equal "${#stderr_lines[@]}" 1
}

@test "corrupt zstd, bzip2 and xz data fail with invalid compressed data" {
	for tool in zstd bzip2 xz; do
		seq 1 20000 | $tool -c > "c.$tool"
		flip_byte "c.$tool" 100
		run --separate-stderr rows-dump -f txt "c.$tool"
		assert_failure 1
		assert_regex "$stderr" "^rows-dump: c\\.$tool:[0-9]+: line [0-9]+: [a-z0-9]+: invalid compressed data at input byte [0-9]+ \\(.+\\)\$"
	done
}

@test "bytes after a complete gzip member that are not another member are an error" {
	{ seq 1 3 | gzip -c; printf 'garbage'; } > t.txt.gz
	run --separate-stderr rows-dump t.txt.gz
	assert_failure 1
	assert_regex "$stderr" '^rows-dump: t\.txt\.gz:6: line 4: gzip: trailing garbage after the compressed data at input byte [0-9]+$'
}

@test "a .gz name over zstd data is a mismatch error" {
	seq 1 3 | zstd -q -c > d.jsonl.gz
	run --separate-stderr rows-dump d.jsonl.gz
	assert_error 1 "rows-dump: d.jsonl.gz: the name says gzip, but the data is zstd-compressed"
}

@test "a .zst name over plain text is an error, not rows of text" {
	printf '{"a":1}\n' > d.jsonl.zst
	run --separate-stderr rows-dump d.jsonl.zst
	assert_error 1 "rows-dump: d.jsonl.zst: not zstd data (the name says zstd, but the data lacks its magic bytes)"
}

@test "an empty .gz file is not gzip data; an empty plain file has no rows" {
	: > e.txt.gz
	run --separate-stderr rows-dump e.txt.gz
	assert_error 1 "rows-dump: e.txt.gz: not gzip data (the name says gzip, but the data lacks its magic bytes)"
	: > e.txt
	run --separate-stderr rows-dump e.txt
	assert_success
	assert_output ""
}

@test "compressed input from a pipe is detected too" {
	printf 'x\ny\n' | xz -c | rows-dump -f txt - > out
	assert_equal "$(cat out)" "$(printf '%s\n' '{"text":"x"}' '{"text":"y"}')"
}

# ---- CSV ------------------------------------------------------------------

@test "csv: quoted fields with delimiters, doubled quotes and newlines, as Python reads them" {
	printf 'id,text,n\n1,"a, b","q ""x"""\n2,"line1\nline2",z\n3,,""\n' > q.csv
	run --separate-stderr rows-dump q.csv
	assert_success
	assert_output "$(py_csv q.csv)"
	assert_line --index 1 '{"id":"2","text":"line1\nline2","n":"z"}'
}

@test "csv: CRLF line ends, CRLF inside quotes kept, and a BOM before the header" {
	printf '\xef\xbb\xbfa,b\r\n1,"x\r\ny"\r\n2,3\r\n' > crlf.csv
	run --separate-stderr rows-dump crlf.csv
	assert_success
	assert_output "$(py_csv crlf.csv)"
	assert_line --index 0 '{"a":"1","b":"x\r\ny"}'
}

@test "csv: quotes inside unquoted fields and text after a closing quote, as Python reads them" {
	printf 'a,b\nx"y,"p"q\n"",""""\n' > lax.csv
	run --separate-stderr rows-dump lax.csv
	assert_success
	assert_output "$(py_csv lax.csv)"
	assert_output "$(printf '%s\n' '{"a":"x\"y","b":"pq"}' '{"a":"","b":"\""}')"
}

@test "csv: an empty last line and blank lines between rows are not rows" {
	printf 'a,b\n1,2\n\n3,4\n\n' > e.csv
	run --separate-stderr rows-dump e.csv
	assert_success
	assert_output "$(printf '%s\n' '{"a":"1","b":"2"}' '{"a":"3","b":"4"}')"
}

@test "csv: no newline after the last row, and a trailing empty field" {
	printf 'a,b\n1,' > t.csv
	run --separate-stderr rows-dump t.csv
	assert_success
	assert_output '{"a":"1","b":""}'
}

@test "csv: a row with too few fields names its physical line and offset" {
	printf 'a,b,c\n1,"two\nlines",3\n4,5\n' > r.csv
	run --separate-stderr rows-dump r.csv
	assert_error 1 "rows-dump: r.csv:22: line 4: expected 3 fields (as in the header), found 2"
}

@test "csv: a row with too many fields is an error too" {
	printf 'a,b\n1,2\n3,4,5\n' > r.csv
	run --separate-stderr rows-dump r.csv
	assert_error 1 "rows-dump: r.csv:8: line 3: expected 2 fields (as in the header), found 3"
}

@test "csv: invalid UTF-8 is reported with its line; -u lets it through" {
	printf 'a,b\n1,"x\ny\xff"\n' > u.csv
	run --separate-stderr rows-dump u.csv
	assert_error 1 "rows-dump: u.csv:10: line 3: invalid UTF-8"
	run --separate-stderr rows-dump -u u.csv
	assert_success
	assert_output '{"a":"1","b":"x\ny\ufffd"}'
}

@test "csv: a quoted field still open at the end of input is an error at its start" {
	printf 'a,b\n1,2\n3,"open\nmore\n' > o.csv
	run --separate-stderr rows-dump o.csv
	assert_error 1 "rows-dump: o.csv:10: line 3: quoted field not closed before the end of input"
}

@test "tsv: chosen by the .tsv extension, quotes work as in CSV" {
	printf 'a\tb\n1,2\t"x\ty"\n' > t.tsv
	run --separate-stderr rows-dump t.tsv
	assert_success
	assert_output '{"a":"1,2","b":"x\ty"}'
	assert_output "$(py_csv t.tsv "$(printf '\t')")"
}

@test "csv: a lone CR ends a row, as in Python" {
	printf 'a,b\r1,2\r3,4' > cr.csv
	run --separate-stderr rows-dump cr.csv
	assert_success
	assert_output "$(py_csv cr.csv)"
}

@test "csv: a header with no rows gives no rows; an empty file neither" {
	printf 'a,b\n' > h.csv
	run --separate-stderr rows-dump h.csv
	assert_success
	assert_output ""
	: > z.csv
	run --separate-stderr rows-dump z.csv
	assert_success
	assert_output ""
}

@test "csv: a generated file of hard cases (Python csv.writer) reads back as Python reads it" {
	"$PY" - <<-'EOF'
		import csv, random
		rng = random.Random(7)
		alphabet = ['a', 'b', ',', '"', '\n', '\r\n', ' ', 'é', '漢', '😀', '\t', "'", 'x' * 40]
		with open("gen.csv", "w", newline="", encoding="utf-8") as f:
		    w = csv.writer(f, quoting=csv.QUOTE_MINIMAL)
		    w.writerow(["c0", "c1", "c2", "c3"])
		    for i in range(3000):
		        w.writerow(["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))
		                    for _ in range(4)])
	EOF
	py_csv gen.csv > want
	rows-dump gen.csv > got
	assert_equal "$(wc -l < got)" "$(wc -l < want)"
	run diff want got
	assert_success
}

@test "csv: a large gzip-compressed file with long quoted fields reads the same as plain" {
	"$PY" - <<-'EOF'
		import csv
		with open("long.csv", "w", newline="") as f:
		    w = csv.writer(f)
		    w.writerow(["k", "v"])
		    for i in range(200):
		        w.writerow([i, ('line "%d"\n' % i) * (i * 200)])
	EOF
	gzip -c long.csv > long.csv.gz
	rows-dump long.csv > plain
	rows-dump long.csv.gz > packed
	py_csv long.csv > want
	run diff want plain
	assert_success
	run diff plain packed
	assert_success
}

# ---- JSON lines -----------------------------------------------------------

@test "jsonl: BOM, CRLF and blank lines" {
	printf '\xef\xbb\xbf{"a":1}\r\n\r\n   \n{"a":"x\\ny","b":[1,{"c":null}]}\n\n' > d.jsonl
	run --separate-stderr rows-dump d.jsonl
	assert_success
	assert_output "$(printf '%s\n' '{"a":1}' '{"a":"x\ny","b":[1,{"c":null}]}')"
}

@test "jsonl: invalid JSON is reported with its line number and byte offset" {
	printf '{"a":1}\n\n{"a":2,}\n{"a":3}\n' > d.jsonl
	run --separate-stderr rows-dump d.jsonl
	assert_error 1 "rows-dump: d.jsonl:16: line 3: invalid JSON: string or '}' expected near '}'"
	assert_output '{"a":1}'
}

@test "jsonl: invalid UTF-8 is reported with its line number" {
	printf '{"a":1}\n{"a":2}\n{"a":"\xc3("}\n' > d.jsonl
	run --separate-stderr rows-dump d.jsonl
	assert_error 1 "rows-dump: d.jsonl:22: line 3: invalid UTF-8"
}

@test "jsonl: a line that is valid JSON but not an object is an error" {
	printf '{"a":1}\n[1,2]\n' > d.ndjson
	run --separate-stderr rows-dump d.ndjson
	assert_error 1 "rows-dump: d.ndjson:8: line 2: not a JSON object (each line must hold one object)"
}

@test "jsonl: zstd-compressed and NUL inside strings" {
	printf '{"t":"a\\u0000b"}\n' | zstd -q -c > d.jsonl.zst
	run --separate-stderr rows-dump d.jsonl.zst
	assert_success
	assert_output '{"t":"a\u0000b"}'
}

@test "jsonl: escapes, \\u and surrogate pairs, numbers and nesting read as Python reads them" {
	"$PY" - <<-'EOF'
		import json, random
		rng = random.Random(11)
		def value(d):
		    k = rng.randrange(9 if d < 4 else 6)
		    if k == 0: return rng.randrange(-10**18, 10**18)
		    if k == 1: return rng.choice([0.1, -2.5e-300, 1e300, 123.456, -0.0, 2**63 - 1, -2**63])
		    if k == 2: return "".join(rng.choice(['a', '"', '\\', '\n', '\t', '\x01', 'é', '😀', '/', '\u2028']) for _ in range(rng.randrange(8)))
		    if k == 3: return rng.choice([True, False, None])
		    if k in (4, 5): return rng.randrange(100)
		    if k in (6, 7): return [value(d + 1) for _ in range(rng.randrange(4))]
		    return {"k%d" % i: value(d + 1) for i in range(rng.randrange(4))}
		with open("d.jsonl", "w", encoding="utf-8") as f:
		    for i in range(2000):
		        row = {"i": i, "v": value(0), "w": value(1)}
		        f.write(json.dumps(row, ensure_ascii=bool(i % 2)) + "\n")
	EOF
	rows-dump d.jsonl > got
	"$PY" - <<-'EOF'
		import json
		want = [json.loads(l) for l in open("d.jsonl", encoding="utf-8")]
		got = [json.loads(l) for l in open("got", encoding="utf-8")]
		assert len(want) == len(got), (len(want), len(got))
		for i, (a, b) in enumerate(zip(want, got)):
		    assert a == b, (i, a, b)
	EOF
}

# ---- JSON documents -------------------------------------------------------

@test "json: a top-level array of objects, across lines, brackets inside strings" {
	printf '\xef\xbb\xbf[\n  {"a": "]},{["},\n  {"a": "\\"", "n": [1, [2]]}\n]\n' > d.json
	run --separate-stderr rows-dump d.json
	assert_success
	assert_output "$(printf '%s\n' '{"a":"]},{["}' '{"a":"\"","n":[1,[2]]}')"
}

@test "json: an empty array has no rows" {
	printf ' [ ] \n' > d.json
	run --separate-stderr rows-dump d.json
	assert_success
	assert_output ""
}

@test "json: an array element that is not an object names the row and its line" {
	printf '[{"a":1},\n 5]' > d.json
	run --separate-stderr rows-dump d.json
	assert_error 1 "rows-dump: d.json:11: line 2: row 2 of the array is not a JSON object"
}

@test "json: an array that is never closed is an error" {
	printf '[{"a":1},\n{"a":2}\n' > d.json
	run --separate-stderr rows-dump d.json
	assert_error 1 "rows-dump: d.json:18: line 3: invalid JSON: the array is not closed"
}

@test "json: invalid JSON inside an element gives the line of the fault" {
	printf '[{"a":1},\n{"a":\n tru}]\n' > d.json
	run --separate-stderr rows-dump d.json
	assert_failure 1
	assert_regex "$stderr" '^rows-dump: d\.json:[0-9]+: line 3: invalid JSON: .+$'
}

@test "json: one object: rows from its only list field" {
	printf '{"version": "1.0", "data": [{"q": "a"}, {"q": "b"}], "meta": {"n": 2}}' > d.json
	run --separate-stderr rows-dump d.json
	assert_success
	assert_output "$(printf '%s\n' '{"q":"a"}' '{"q":"b"}')"
}

@test "json: one object with several list fields needs the field named" {
	printf '{"train": [{"q": 1}], "test": [{"q": 2}]}' > d.json
	run --separate-stderr rows-dump d.json
	assert_error 1 'rows-dump: d.json:0: line 1: the JSON object has 2 list fields ("train", "test"): name the one that holds the rows'
	run --separate-stderr rows-dump -F test d.json
	assert_success
	assert_output '{"q":2}'
	run --separate-stderr rows-dump -F nope d.json
	assert_error 1 'rows-dump: d.json:0: line 1: the JSON object has no field "nope"'
}

@test "json: one object without a list field is an error" {
	printf '{"a": 1}\n' > d.json
	run --separate-stderr rows-dump d.json
	assert_error 1 "rows-dump: d.json:0: line 1: the JSON object has no list field to take rows from"
}

@test "json: a .json file holding JSON lines is read as JSON lines" {
	printf '{"a":1}\n{"a":2}\n' > d.json
	run --separate-stderr rows-dump d.json
	assert_success
	assert_output "$(printf '%s\n' '{"a":1}' '{"a":2}')"
}

@test "json: a file that is neither array nor object" {
	printf '"just a string"' > d.json
	run --separate-stderr rows-dump d.json
	assert_error 1 "rows-dump: d.json:0: line 1: invalid JSON: a JSON file must hold an array or an object"
}

# ---- text -----------------------------------------------------------------

@test "txt: one row per line without its line ending; empty lines are rows; a lone CR is data" {
	printf 'one\r\ntwo\n\nthree\rfour\nlast' > t.txt
	run --separate-stderr rows-dump t.txt
	assert_success
	assert_output "$(printf '%s\n' '{"text":"one"}' '{"text":"two"}' '{"text":""}' '{"text":"three\rfour"}' '{"text":"last"}')"
}

@test "txt: the newline at the end of the file does not make an extra row; a BOM is dropped" {
	printf '\xef\xbb\xbfa\nb\n' > t.txt
	run --separate-stderr rows-dump t.txt
	assert_success
	assert_output "$(printf '%s\n' '{"text":"a"}' '{"text":"b"}')"
}

@test "txt paragraphs: blocks between blank lines, joined by their newlines" {
	printf '\n\np1 l1\r\np1 l2\n\n\n\np2\n  \np2 after spaces\n' > p.txt
	run --separate-stderr rows-dump -p p.txt
	assert_success
	assert_output "$(printf '%s\n' '{"text":"p1 l1\np1 l2"}' '{"text":"p2\n  \np2 after spaces"}')"
}

@test "txt: invalid UTF-8 names its line; -u allows it" {
	printf 'ok\nstill ok\nbad \xe2\x82 here\n' > t.txt
	run --separate-stderr rows-dump t.txt
	assert_error 1 "rows-dump: t.txt:16: line 3: invalid UTF-8"
	run --separate-stderr rows-dump -u t.txt
	assert_success
	assert_line --index 2 '{"text":"bad \ufffd\ufffd here"}'
}

@test "txt: bzip2-compressed paragraphs" {
	printf 'a\nb\n\nc\n' | bzip2 -c > p.txt.bz2
	run --separate-stderr rows-dump -p p.txt.bz2
	assert_success
	assert_output "$(printf '%s\n' '{"text":"a\nb"}' '{"text":"c"}')"
}

# ---- bounded memory ---------------------------------------------------------

@test "a row over the size limit is an error naming it, in every reader" {
	{ echo 'a,b'; echo '1,2'; printf '3,"'; head -c 5000 /dev/zero | tr '\0' x; printf '"\n'; } > big.csv
	run --separate-stderr rows-dump -m 1000 big.csv
	assert_error 1 "rows-dump: big.csv:8: line 3: row longer than 1000 bytes"
	{ echo short; head -c 5000 /dev/zero | tr '\0' x; echo; } > big.txt
	run --separate-stderr rows-dump -m 1000 big.txt
	assert_error 1 "rows-dump: big.txt:6: line 2: line longer than 1000 bytes"
	{ printf '{"a":"x"}\n{"a":"'; head -c 5000 /dev/zero | tr '\0' x; printf '"}\n'; } > big.jsonl
	run --separate-stderr rows-dump -m 1000 big.jsonl
	assert_error 1 "rows-dump: big.jsonl:10: line 2: line longer than 1000 bytes"
	{ printf '[{"a":1},\n{"a":"'; head -c 5000 /dev/zero | tr '\0' x; printf '"}]'; } > big.json
	run --separate-stderr rows-dump -m 1000 big.json
	assert_error 1 "rows-dump: big.json:10: line 2: array element longer than 1000 bytes"
}

@test "a highly compressed input streams in bounded memory" {
	[ -z "${SLUICE_SANITIZED:-}" ] || skip "RSS is not meaningful under ASan"
	yes | head -c 100000000 | zstd -q -c > many.txt.zst
	/usr/bin/time -f %M -o rss "$ROWS_DUMP" -c many.txt.zst > count
	assert_equal "$(cat count)" 50000000
	# KiB: the readers' buffers and the zstd window, not the 100 MB of text
	[ "$(cat rss)" -lt 40000 ] || fail "peak RSS $(cat rss) KiB"
}
