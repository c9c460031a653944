#!/usr/bin/env bats
# hf-stream on local datasets: files, directories laid out like Hub
# repositories, globs; every format; selection, sharding, shuffling and
# filters.  Parquet and CSV fixtures are written by DuckDB, which is also
# the oracle for what the rows hold.

load test_helper

HF_STREAM=$SLUICE_BIN/hf-stream

duck() { node "$TOP/tests/helpers/duck.mjs" "$@"; }

# texts FILE: the text payloads of a record stream, one JSON string per line
# (so texts with newlines compare exactly).
texts() {
	rec-cat "$1" | "$PY" -c '
import json, sys
for line in sys.stdin:
    print(json.dumps(json.loads(line)["text"]))'
}

# duck_texts SQL: the same for the first column of a DuckDB query.
duck_texts() {
	duck "$1" | "$PY" -c '
import json, sys
for line in sys.stdin:
    print(json.dumps(next(iter(json.loads(line).values()))))'
}

# A corpus of real prose: the licence texts every Debian system ships, one
# paragraph a row (six times over, about 6000 rows), with an id and a length.
# DuckDB makes row groups of at least 2048 rows.
make_corpus_parquet() { # FILE CODEC ROW_GROUP_SIZE
	duck "CREATE TABLE p AS SELECT row_number() OVER () - 1 AS id, para AS text, length(para) AS n
	      FROM (SELECT unnest(string_split(content, chr(10) || chr(10))) AS para
	            FROM read_text('/usr/share/common-licenses/*')), range(6) WHERE length(para) > 0" \
		"COPY p TO '$1' (FORMAT parquet, COMPRESSION $2, ROW_GROUP_SIZE $3)"
}

setup() {
	[ -x "$HF_STREAM" ] || fail "no hf-stream in $SLUICE_BIN"
	export PATH="$SLUICE_BIN:$PATH"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
}

# ---- parquet ---------------------------------------------------------------

@test "parquet: the text column, every row group, equals DuckDB's (snappy and zstd)" {
	for codec in snappy zstd; do
		make_corpus_parquet c.parquet "$codec" 2048
		hf-stream --info c.parquet > info.json
		[ "$(json_get info.json 'j["row_groups"]')" -ge 3 ]
		hf-stream c.parquet > s.rec
		texts s.rec > got
		duck_texts "SELECT text FROM 'c.parquet'" > want
		[ "$(wc -l < want)" -gt 200 ]
		cmp got want
	done
}

@test "parquet --format json: whole rows as DuckDB sees them, nulls included" {
	duck "COPY (SELECT i AS id, CASE WHEN i % 3 = 0 THEN NULL ELSE 'r' || i END AS text,
	             i * 0.25 AS score, i % 2 = 0 AS even FROM range(50) t(i))
	      TO 'r.parquet' (FORMAT parquet, ROW_GROUP_SIZE 7)"
	hf-stream --format json r.parquet > s.rec
	rec-cat s.rec | "$PY" -c 'import json,sys; [print(json.dumps(json.loads(l)["json"], sort_keys=True)) for l in sys.stdin]' > got
	duck "COPY (SELECT * FROM 'r.parquet') TO 'want.jsonl' (FORMAT json)"
	"$PY" -c 'import json,sys; [print(json.dumps(json.loads(l), sort_keys=True)) for l in sys.stdin]' < want.jsonl > want
	cmp got want
}

@test "parquet: rows whose text is null are left out, with one warning" {
	duck "COPY (SELECT CASE WHEN i = 1 THEN NULL ELSE 't' || i END AS text FROM range(3) t(i)) TO 'n.parquet' (FORMAT parquet)"
	run --separate-stderr hf-stream n.parquet -o s.rec
	assert_success
	assert_equal "$stderr" 'hf-stream: left out 1 rows whose "text" is null'
	run rec-cat --text s.rec
	assert_output "$(printf 't0\nt2')"
}

@test "--field picks the column; without it text, then content, then the first string column" {
	duck "COPY (SELECT 1 AS n, 'c' AS content, 'b' AS body) TO 'a.parquet' (FORMAT parquet)" \
	     "COPY (SELECT 1 AS n, 'b' AS body) TO 'b.parquet' (FORMAT parquet)"
	run rec-cat --text <(hf-stream a.parquet)
	assert_output c
	run rec-cat --text <(hf-stream b.parquet)
	assert_output b
	run rec-cat --text <(hf-stream --field body a.parquet)
	assert_output b
}

@test "--field a,b gives JSON rows with just those fields, in that order" {
	duck "COPY (SELECT 1 AS n, 'x' AS text, 'y' AS other) TO 'a.parquet' (FORMAT parquet)"
	run rec-cat <(hf-stream --field other,n a.parquet)
	assert_output '{"type":"json","json":{"other":"y","n":1}}'
}

@test "a text field that is not a string: status 8 naming it" {
	duck "COPY (SELECT 1 AS n) TO 'a.parquet' (FORMAT parquet)"
	run --separate-stderr hf-stream --field n a.parquet -o s.rec
	assert_equal "$status" 8
	assert_equal "$stderr" 'hf-stream: a.parquet: field "n" is not a string column (use --format json)'
}

@test "--key-field: strings and integers become keys" {
	duck "COPY (SELECT i AS id, 'doc' || i AS name, 't' || i AS text FROM range(2) t(i)) TO 'k.parquet' (FORMAT parquet)"
	run rec-cat <(hf-stream --key-field id k.parquet)
	assert_output "$(printf '%s\n' '{"type":"text","key":"0","text":"t0"}' '{"type":"text","key":"1","text":"t1"}')"
	run rec-cat <(hf-stream -k name k.parquet)
	assert_line --index 1 '{"type":"text","key":"doc1","text":"t1"}'
}

# ---- JSON lines, CSV, text ---------------------------------------------------

@test "jsonl.gz: the text field of each line" {
	printf '%s\n' '{"text":"a","id":1}' '{"text":"b\nc","id":2}' | gzip > d.jsonl.gz
	hf-stream d.jsonl.gz > s.rec
	run texts s.rec
	assert_output "$(printf '"a"\n"b\\nc"')"
}

@test "csv written by DuckDB: the text column, quoted newlines kept" {
	duck "COPY (SELECT 'line1' || chr(10) || 'line2, with comma' AS text, 1 AS n UNION ALL SELECT 'x\"q', 2) TO 'd.csv' (HEADER)"
	hf-stream d.csv > s.rec
	texts s.rec > got
	duck_texts "SELECT text FROM 'd.csv'" > want
	cmp got want
}

@test "txt: a record per line, or per paragraph with --paragraphs" {
	printf 'one\ntwo\n\nthree\nfour\n' > d.txt
	run rec-cat --text <(hf-stream d.txt)
	assert_output "$(printf 'one\ntwo\n\nthree\nfour')"
	hf-stream --paragraphs d.txt > p.rec
	run texts p.rec
	assert_output "$(printf '"one\\ntwo"\n"three\\nfour"')"
}

@test "stdin is read as JSON lines unless --type says otherwise" {
	run rec-cat --text <(printf '{"text":"from stdin"}\n' | hf-stream -)
	assert_output 'from stdin'
	run rec-cat --text <(printf 'plain\n' | hf-stream --type txt -)
	assert_output 'plain'
}

# ---- directories like Hub repositories ---------------------------------------

@test "parquet on standard input, a file or a pipe, reads as the file does; errors name -" {
	duck "COPY (SELECT 'row ' || i AS text FROM range(5000) t(i)) TO 'a.parquet' (FORMAT parquet, ROW_GROUP_SIZE 1000)"
	hf-stream a.parquet > want.rec
	hf-stream --type parquet - < a.parquet > file.rec
	cat a.parquet | hf-stream --type parquet - > pipe.rec
	cmp <(rec-cat --text want.rec) <(rec-cat --text file.rec)
	cmp <(rec-cat --text want.rec) <(rec-cat --text pipe.rec)
	# sharding by row group opens it again: the copy serves every reading
	cat a.parquet | hf-stream --type parquet --shard 1/2 - > shard.rec
	cmp <(hf-stream --shard 1/2 a.parquet | rec-cat --text) <(rec-cat --text shard.rec)
	cat a.parquet | hf-stream --type parquet --shard 0/2 - > shard0.rec
	[ "$(rec-cat --text shard.rec | wc -l)" -lt 5000 ]
	[ "$(cat <(rec-cat --text shard0.rec) <(rec-cat --text shard.rec) | sort -u | wc -l)" -eq 5000 ]
	head -c 100 a.parquet > cut.parquet
	run --separate-stderr bash -c "cat cut.parquet | hf-stream --type parquet - > /dev/null"
	assert_error 8 "hf-stream: -: truncated parquet file (no PAR1 magic at the end)"
}

@test "a directory: splits from file names, --list-splits, --split" {
	mkdir -p repo/data
	printf '{"text":"tr"}\n' > repo/data/train-00000-of-00001.jsonl
	printf '{"text":"te"}\n' > repo/data/test-00000-of-00001.jsonl
	run hf-stream --list-splits repo
	assert_output "$(printf 'train\ntest')"
	run rec-cat --text <(hf-stream repo --split test)
	assert_output te
	run rec-cat --text <(hf-stream repo)
	assert_output tr
}

@test "a directory with README.md configs: --list-configs and --config" {
	mkdir -p repo/en repo/fr
	printf '{"text":"hello"}\n' > repo/en/a.jsonl
	printf '{"text":"bonjour"}\n' > repo/fr/a.jsonl
	cat > repo/README.md <<-'EOF'
	---
	configs:
	- config_name: en
	  data_files: en/*.jsonl
	  default: true
	- config_name: fr
	  data_files:
	  - split: train
	    path: fr/*.jsonl
	---
	# A dataset
	EOF
	run hf-stream --list-configs repo
	assert_output "$(printf 'en (default)\nfr')"
	run rec-cat --text <(hf-stream repo)
	assert_output hello
	run rec-cat --text <(hf-stream repo --config fr)
	assert_output bonjour
}

@test "an unknown split is a usage error that lists the splits" {
	mkdir -p repo/data
	printf '{"text":"tr"}\n' > repo/data/train.jsonl
	run --separate-stderr hf-stream repo --split validaton -o s.rec
	assert_equal "$status" 2
	assert_regex "$stderr" "validaton.*train"
}

@test "a glob: the matching files in order" {
	mkdir d
	for i in 2 1 3; do printf '{"text":"f%s"}\n' "$i" > "d/part-$i.jsonl"; done
	run rec-cat --text <(hf-stream 'd/part-*.jsonl')
	assert_output "$(printf 'f1\nf2\nf3')"
}

@test "--list-files names each file, its format and size" {
	printf '{"text":"a"}\n' > a.jsonl
	run hf-stream --list-files a.jsonl
	assert_output "$(printf 'a.jsonl\tjsonl\t13')"
}

@test "--info: columns, types, rows and row groups from the parquet footer" {
	duck "COPY (SELECT i::BIGINT AS id, 't' AS text FROM range(5000) t(i)) TO 'i.parquet' (FORMAT parquet, ROW_GROUP_SIZE 2048)"
	run hf-stream --info i.parquet
	assert_success
	run "$PY" -c 'import json,sys; j=json.loads(sys.argv[1]); print(j["rows"], j["row_groups"], [c["name"] for c in j["columns"]], j["columns"][0]["type"])' "$output"
	assert_output "5000 3 ['id', 'text'] int64"
}

# ---- selection ---------------------------------------------------------------

@test "--skip and --take select a window of the records" {
	seq 100 | sed 's/.*/{"text":"&"}/' > d.jsonl
	run rec-cat --text <(hf-stream --skip 10 --take 3 d.jsonl)
	assert_output "$(printf '11\n12\n13')"
}

@test "--shard I/N: shards are disjoint and together are everything (by file, by row group, by row)" {
	seq 1000 | sed 's/.*/{"text":"&"}/' > one.jsonl
	duck "COPY (SELECT i::VARCHAR AS text FROM range(10000) t(i)) TO 'rg.parquet' (FORMAT parquet, ROW_GROUP_SIZE 2048)"
	mkdir many
	for i in 0 1 2 3 4; do seq $((i * 10)) $((i * 10 + 9)) | sed 's/.*/{"text":"&"}/' > "many/$i.jsonl"; done
	for src in one.jsonl rg.parquet 'many/*.jsonl'; do
		for i in 0 1 2; do rec-cat --text <(hf-stream --shard "$i/3" "$src"); done | sort > union
		rec-cat --text <(hf-stream "$src") | sort > all
		cmp union all
		[ "$(rec-cat --text <(hf-stream --shard 0/3 "$src") | wc -l)" -lt "$(wc -l < all)" ]
	done
}

@test "--shard auto from a Slurm array task or an Indexed Job, SLUICE_SHARD without --shard, --shard over the variable" {
	mkdir many
	for i in 0 1 2 3 4; do seq $((i * 10)) $((i * 10 + 9)) | sed 's/.*/{"text":"&"}/' > "many/$i.jsonl"; done
	rec-cat --text <(hf-stream --shard 2/3 'many/*.jsonl') > want
	[ -s want ] || fail "part 2/3 is empty"
	rec-cat --text <(SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_COUNT=3 hf-stream --shard auto 'many/*.jsonl') > got
	cmp want got
	rec-cat --text <(JOB_COMPLETION_INDEX=2 SLUICE_SHARD_COUNT=3 hf-stream --shard auto 'many/*.jsonl') > got
	cmp want got
	rec-cat --text <(SLUICE_SHARD=2/3 hf-stream 'many/*.jsonl') > got
	cmp want got
	rec-cat --text <(SLUICE_SHARD=0/3 hf-stream --shard 2/3 'many/*.jsonl') > got
	cmp want got
	run env -u SLURM_ARRAY_TASK_ID -u JOB_COMPLETION_INDEX hf-stream --shard auto 'many/*.jsonl'
	assert_failure 2
	assert_output --partial "JOB_COMPLETION_INDEX"
	run env JOB_COMPLETION_INDEX=1 hf-stream --shard auto 'many/*.jsonl'
	assert_failure 2
	assert_output --partial "SLUICE_SHARD_COUNT"
}

@test "--shuffle with a seed: a permutation, the same for the same seed, another for another" {
	seq 500 | sed 's/.*/{"text":"&"}/' > d.jsonl
	rec-cat --text <(hf-stream --shuffle 100 --seed 7 d.jsonl) > a
	rec-cat --text <(hf-stream --shuffle 100 --seed 7 d.jsonl) > b
	rec-cat --text <(hf-stream --shuffle 100 --seed 8 d.jsonl) > c
	cmp a b
	! cmp -s a c
	! cmp -s a <(seq 500)
	cmp <(sort -n a) <(seq 500)
}

@test "filters: --ascii-only, --min-chars, --max-chars, --where" {
	printf '%s\n' '{"text":"short","lang":"en"}' '{"text":"a longer text","lang":"en"}' \
		'{"text":"café au lait","lang":"fr"}' '{"text":"ok","lang":"fr"}' > d.jsonl
	run rec-cat --text <(hf-stream --ascii-only d.jsonl)
	assert_output "$(printf 'short\na longer text\nok')"
	run rec-cat --text <(hf-stream --min-chars 6 --max-chars 12 d.jsonl)
	assert_output 'café au lait'
	run rec-cat --text <(hf-stream --where lang=fr d.jsonl)
	assert_output "$(printf 'café au lait\nok')"
}

@test "the header names the dataset, split, files with size and xxh3, field and filters" {
	printf '{"text":"a"}\n' > d.jsonl
	hf-stream --min-chars 1 d.jsonl > s.rec
	rec-cat --header s.rec > h.json
	run json_get h.json 'j["kind"], j["split"], j["field"], j["filters"], j["files"][0]["path"], j["files"][0]["size"], j["columns"]'
	assert_output '["text", "train", "text", {"min_chars": 1}, "d.jsonl", 13, [{"name": "text", "type": "string"}]]'
	want=$("$PY" -c 'import sys, xxhash; print(xxhash.xxh3_64(open(sys.argv[1], "rb").read()).hexdigest())' d.jsonl)
	run json_get h.json 'j["files"][0]["xxh3"]'
	assert_output "$want"
}

# ---- manners -------------------------------------------------------------------

@test "| head -1: the first record, nothing on stderr" {
	make_corpus_parquet c.parquet snappy 2048
	hf-stream c.parquet 2>err1 | rec-cat --text 2>err2 | head -1 > first
	[ -s first ]
	[ ! -s err1 ]
	[ ! -s err2 ]
}

@test "a missing file: status 1 naming it" {
	run --separate-stderr hf-stream nope.parquet -o s.rec
	assert_error 1 "hf-stream: nope.parquet: No such file or directory"
}

@test "a file of unknown format: usage error asking for --type" {
	printf 'x' > d.weird
	run --separate-stderr hf-stream d.weird -o s.rec
	assert_error 2 "hf-stream: d.weird: cannot tell the format from the name; give --type"
}

@test "a corrupt parquet file: status 8, one line naming the file" {
	make_corpus_parquet c.parquet snappy 2048
	head -c 5000 c.parquet > bad.parquet
	run --separate-stderr hf-stream bad.parquet -o s.rec
	assert_equal "$status" 8
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" '^hf-stream: bad.parquet'
	[ ! -e s.rec ]
}

@test "usage errors exit 2: no source, bad --shard, bad --format" {
	run hf-stream
	assert_equal "$status" 2
	run hf-stream --shard 3/3 x.jsonl
	assert_equal "$status" 2
	run hf-stream --format yaml x.jsonl
	assert_equal "$status" 2
}

# ---- the example recipe ---------------------------------------------------------

@test "examples/local-dataset: splits, filter, shuffle, and shards that add up to the split" {
	cp "$TOP/examples/local-dataset/Makefile" .
	run make -s SLUICE_BIN="$SLUICE_BIN"
	assert_success
	rec-cat --validate train.rec
	rec-cat --validate test.rec
	[ "$(json_get <(rec-cat --stats train.rec) 'j["records"]')" -gt 500 ]
	make -s -j4 shards SLUICE_BIN="$SLUICE_BIN"
	for i in 0 1 2 3; do rec-cat train.shard-$i.rec; done | sort > union
	rec-cat <(hf-stream data --split train) | sort > all
	cmp union all
}
