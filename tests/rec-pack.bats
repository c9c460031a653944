#!/usr/bin/env bats
# rec-pack: lines, JSON lines and whole files into record streams.  Output is
# read back with rec-cat, whose own behaviour tests/rec-cat.bats checks.

load test_helper

# ---- plain lines ----------------------------------------------------------

@test "each line becomes one text record, without its newline" {
	printf 'alpha\nbeta gamma\n' | rec-pack > s.rec
	run --separate-stderr rec-cat s.rec
	assert_success
	assert_output "$(printf '%s\n' '{"type":"text","text":"alpha"}' '{"type":"text","text":"beta gamma"}')"
}

@test "CR is data, not part of the line ending" {
	printf 'dos\r\nline\r\n' | rec-pack > s.rec
	run rec-cat s.rec
	assert_output "$(printf '%s\n' '{"type":"text","text":"dos\r"}' '{"type":"text","text":"line\r"}')"
}

@test "several input files make one stream, in order" {
	printf 'a1\na2\n' > a.txt
	printf 'b1' > b.txt
	rec-pack b.txt a.txt > s.rec
	rec-cat --stats s.rec > stats.json
	assert_equal "$(json_get stats.json '[j["streams"], j["records"]]')" "[1, 3]"
	run rec-cat --text s.rec
	assert_output "$(printf 'b1\na1\na2')"
}

@test "the stream ends with an end marker counting the records" {
	seq 3 | rec-pack > s.rec
	"$PY" "$HELPERS/mkframes.py" --list s.rec > frames.txt
	# header, three text frames, end marker with a count of 3
	assert_equal "$(cut -d' ' -f2 frames.txt | tr '\n' ' ')" "1 16 16 16 2 "
	end=$(tail -1 frames.txt | cut -d' ' -f1)
	assert_equal "$(od -An -tu8 -j $((end + 24)) -N8 s.rec | tr -d ' ')" 3
	assert_equal "$(filesize s.rec)" $((end + 32))
}

@test "the header says kind text and records rec-pack and its arguments in the lineage" {
	printf 'x\n' > in.txt
	rec-pack --quiet in.txt > s.rec
	rec-cat --header s.rec > header.json
	assert_equal "$(json_get header.json '[j["format"], j["version"], j["kind"]]')" '["sluice-rec", 1, "text"]'
	assert_equal "$(json_get header.json 'j["lineage"][-1]["prog"]')" "rec-pack"
	assert_equal "$(json_get header.json 'j["lineage"][-1]["args"]')" '["--quiet", "in.txt"]'
	assert_regex "$(json_get header.json 'j["lineage"][-1]["version"]')" '^[0-9]+\.[0-9]+\.[0-9]+$'
}

@test "a line over SLUICE_MAX_FRAME: status 7" {
	{ echo short; head -c 300 /dev/zero | tr '\0' x; printf '\nshort\n'; } > in.txt
	SLUICE_MAX_FRAME=250 run --separate-stderr rec-pack in.txt
	assert_error 7 "rec-pack: in.txt:6: line longer than the 250-byte frame limit (set SLUICE_MAX_FRAME)"
}

# ---- JSON lines -----------------------------------------------------------

@test "--jsonl: the text field of each object becomes a text record" {
	printf '%s\n' '{"text":"first","n":1}' '{"n":2,"text":"line\nbreak \u00e9"}' | rec-pack --jsonl > s.rec
	run rec-cat s.rec
	assert_output "$(printf '%s\n' '{"type":"text","text":"first"}' '{"type":"text","text":"line\nbreak é"}')"
}

@test "--jsonl: a \\u0000 in a string is kept as a NUL byte" {
	printf '%s\n' '{"text":"a\u0000b"}' | rec-pack --jsonl > s.rec
	rec-cat --text s.rec > out.bin
	printf 'a\0b\n' | cmp - out.bin
}

@test "--jsonl --field picks another field" {
	printf '%s\n' '{"text":"no","body":"yes"}' | rec-pack -J --field body > s.rec
	run rec-cat s.rec
	assert_output '{"type":"text","text":"yes"}'
}

@test "--key-field: a string key" {
	printf '%s\n' '{"id":"doc-7","text":"x"}' | rec-pack --jsonl --key-field id > s.rec
	run rec-cat s.rec
	assert_output '{"type":"text","key":"doc-7","text":"x"}'
}

@test "--key-field: an integer key is written in decimal" {
	printf '%s\n' '{"id":42,"text":"x"}' '{"id":-3,"text":"y"}' | rec-pack --jsonl --key-field id > s.rec
	run rec-cat s.rec
	assert_output "$(printf '%s\n' '{"type":"text","key":"42","text":"x"}' '{"type":"text","key":"-3","text":"y"}')"
}

@test "--key-field: a key that is neither string nor integer: status 8" {
	printf '%s\n' '{"id":1.5,"text":"x"}' > in.jsonl
	run --separate-stderr rec-pack --jsonl --key-field id in.jsonl
	assert_error 8 'rec-pack: in.jsonl:0: line 1: key field "id" is neither a string nor an integer'
}

@test "--json keeps whole objects as json records, numbers as written" {
	printf '%s\n' '{"b":0.1,"a":[1,2.5,1e-7,1.0],"s":"\u00e9\n","t":true,"n":null}' |
		rec-pack --jsonl --json --key-field s > s.rec
	run rec-cat s.rec
	assert_output '{"type":"json","key":"é\n","json":{"b":0.1,"a":[1,2.5,1e-07,1.0],"s":"é\n","t":true,"n":null}}'
	rec-cat --header s.rec > header.json
	assert_equal "$(json_get header.json 'j["kind"]')" "json"
}

@test "--vector-field with --metadata-field: vector records, the header has dim" {
	printf '%s\n' '{"id":"a","emb":[0.1,-2,3.5],"meta":{"lang":"en","p":0.1}}' \
		'{"id":"b","emb":[1,0,0]}' |
		rec-pack --jsonl --key-field id --vector-field emb --metadata-field meta > s.rec
	run rec-cat s.rec
	assert_output "$(printf '%s\n' '{"type":"vector","key":"a","vector":[0.1,-2,3.5],"metadata":{"lang":"en","p":0.1}}' \
		'{"type":"vector","key":"b","vector":[1,0,0]}')"
	rec-cat --header s.rec > header.json
	assert_equal "$(json_get header.json '[j["kind"], j["dtype"], j["dim"]]')" '["vector", "f32", 3]'
}

@test "--vector-field: a vector of another dimension: status 8 with its line" {
	printf '%s\n' '{"v":[1,2,3]}' '{"v":[4,5,6]}' '{"v":[7,8]}' > in.jsonl
	run --separate-stderr rec-pack --jsonl --vector-field v in.jsonl
	assert_error 8 "rec-pack: in.jsonl:28: line 3: vector has 2 dimensions, earlier ones have 3"
}

@test "--vector-field: an element that is not a number: status 8" {
	printf '%s\n' '{"v":[1,"2"]}' > in.jsonl
	run --separate-stderr rec-pack --jsonl --vector-field v in.jsonl
	assert_error 8 'rec-pack: in.jsonl:0: line 1: vector element 1 is not a number'
}

@test "--jsonl: an invalid JSON line: status 8 with its line number and offset" {
	printf '%s\n' '{"text":"ok"}' '{"text":"ok"}' '{"text": nope}' > in.jsonl
	run --separate-stderr rec-pack --jsonl in.jsonl
	assert_equal "$status" 8
	assert_regex "$stderr" '^rec-pack: in\.jsonl:28: line 3: invalid JSON: .+'
	assert_equal "${#stderr_lines[@]}" 1
}

@test "--jsonl: a line that is JSON but not an object: status 8" {
	printf '%s\n' '["text"]' > in.jsonl
	run --separate-stderr rec-pack --jsonl in.jsonl
	assert_error 8 "rec-pack: in.jsonl:0: line 1: not a JSON object"
}

@test "--jsonl: a missing text field: status 8 naming it" {
	printf '%s\n' '{"text":"ok"}' '{"body":"x"}' > in.jsonl
	run --separate-stderr rec-pack --jsonl in.jsonl
	assert_error 8 'rec-pack: in.jsonl:14: line 2: no field "text" (choose one with --field)'
}

@test "--jsonl: a text field that is not a string: status 8" {
	printf '%s\n' '{"text":7}' > in.jsonl
	run --separate-stderr rec-pack --jsonl in.jsonl
	assert_error 8 'rec-pack: in.jsonl:0: line 1: field "text" is not a string'
}

@test "--jsonl: blank lines are skipped but still counted in line numbers" {
	printf '\n{"text":"a"}\n  \t\r\n\n{"text":"b"}\n\n{"oops":1}\n' > in.jsonl
	run --separate-stderr rec-pack --jsonl in.jsonl
	assert_error 8 'rec-pack: in.jsonl:34: line 7: no field "text" (choose one with --field)'
	head -n 6 in.jsonl | rec-pack --jsonl > s.rec
	run rec-cat --text s.rec
	assert_output "$(printf 'a\nb')"
}

# ---- --files --------------------------------------------------------------

@test "--files: a directory tree, in sorted order, keyed by path, content byte for byte" {
	mkdir -p tree/b tree/a/sub
	printf 'first file\n' > tree/a/one.txt
	printf 'no newline' > tree/a/sub/deep.txt
	"$PY" -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 3)' > tree/b/bin.dat
	printf 'B' > tree/B.txt
	: > tree/empty
	rec-pack --files tree > s.rec
	rec-cat s.rec > out.jsonl
	run "$PY" -c 'import json,sys; print(" ".join(json.loads(l)["key"] for l in open(sys.argv[1])))' out.jsonl
	assert_output "tree/B.txt tree/a/one.txt tree/a/sub/deep.txt tree/b/bin.dat tree/empty"
	# --text gives each content followed by one newline, in that order
	for f in tree/B.txt tree/a/one.txt tree/a/sub/deep.txt tree/b/bin.dat tree/empty; do
		cat "$f"
		echo
	done > want.bin
	rec-cat --text s.rec | cmp - want.bin
}

@test "--files: a named file and a directory with a trailing slash" {
	mkdir d
	printf 'x' > d/x
	printf 'y' > y.txt
	rec-pack -f y.txt d/ > s.rec
	run rec-cat s.rec
	assert_output "$(printf '%s\n' '{"type":"text","key":"y.txt","text":"y"}' '{"type":"text","key":"d/x","text":"x"}')"
}

@test "--files: a walk skips symlinked directories (no loop), FIFOs (no hang) and dangling links" {
	mkdir -p tree/sub
	printf 'a' > tree/a.txt
	printf 'b' > tree/sub/b.txt
	ln -s .. tree/sub/loop
	ln -s a.txt tree/link.txt
	ln -s nowhere tree/dangling
	mkfifo tree/fifo
	run --separate-stderr timeout 10 rec-pack --files tree -o s.rec
	assert_success
	assert_no_stderr
	run rec-cat s.rec
	assert_output "$(printf '%s\n' '{"type":"text","key":"tree/a.txt","text":"a"}' \
		'{"type":"text","key":"tree/link.txt","text":"a"}' '{"type":"text","key":"tree/sub/b.txt","text":"b"}')"
}

@test "--files -o inside the walked directory leaves out its own output, old and new" {
	printf 'a' > a.txt
	rec-pack --files . -o out.rec
	rec-pack --files . -o out.rec
	run rec-cat out.rec
	assert_output '{"type":"text","key":"./a.txt","text":"a"}'
}

@test "--files: a file over SLUICE_MAX_FRAME is refused (status 7), never written for readers to reject" {
	head -c 3000 /dev/zero > big
	SLUICE_MAX_FRAME=1k run --separate-stderr rec-pack --files big -o s.rec
	assert_error 7 "rec-pack: record of 3000 bytes is over the 1024-byte frame limit (set SLUICE_MAX_FRAME to raise it)"
	assert_equal "$(ls)" "big"
}

@test "a SLUICE_MAX_FRAME that is not a size is a usage error, not silently ignored" {
	SLUICE_MAX_FRAME=lots run --separate-stderr rec-pack < /dev/null
	assert_equal "$status" 2
	assert_equal "${stderr_lines[0]}" "rec-pack: SLUICE_MAX_FRAME: 'lots' is not a non-negative number"
}

@test "--jsonl: a UTF-8 byte-order mark before the first object is not part of it" {
	printf '\xef\xbb\xbf{"text":"bom"}\n{"text":"two"}\n' | rec-pack --jsonl > s.rec
	run rec-cat --text s.rec
	assert_output "$(printf 'bom\ntwo')"
}

@test "an interrupted -o run leaves neither FILE nor its temp file" {
	mkfifo slow
	rec-pack -o out.rec slow &
	pid=$!
	exec 5>slow # rec-pack is now blocked reading the FIFO
	for _ in $(seq 50); do ls out.rec.tmp.* >/dev/null 2>&1 && break; sleep 0.1; done
	ls out.rec.tmp.* >/dev/null
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	exec 5>&-
	assert_equal "$st" 143
	assert_equal "$(ls)" "slow"
}

# ---- -o FILE --------------------------------------------------------------

@test "-o FILE writes the whole stream there and nothing to stdout, no temp file left" {
	seq 1000 > in.txt
	run --separate-stderr rec-pack -o out.rec in.txt
	assert_success
	assert_output ""
	assert_no_stderr
	run -0 rec-cat --validate out.rec
	run rec-cat --text out.rec
	assert_output "$(seq 1000)"
	assert_equal "$(ls)" "$(printf 'in.txt\nout.rec')"
}

@test "-o FILE: a run that fails on bad input leaves the old FILE untouched, no temp file" {
	printf 'old\n' | rec-pack -o out.rec
	cp out.rec before.rec
	printf '%s\n' '{"text":"fine"}' 'not json' > bad.jsonl
	run --separate-stderr rec-pack --jsonl -o out.rec bad.jsonl
	assert_equal "$status" 8
	cmp before.rec out.rec
	assert_equal "$(ls)" "$(printf 'bad.jsonl\nbefore.rec\nout.rec')"
}

@test "-o FILE: a missing input file leaves no FILE and no temp file" {
	run --separate-stderr rec-pack -o out.rec missing.txt
	assert_error 1 "rec-pack: missing.txt: No such file or directory"
	assert_equal "$(ls)" ""
}

@test "-o FILE in a directory that does not exist: status 1" {
	run --separate-stderr rec-pack -o no/such/dir/out.rec < /dev/null
	assert_equal "$status" 1
	assert_regex "$stderr" '^rec-pack: no/such/dir/out.rec: No such file or directory$'
}

# ---- usage and errors -----------------------------------------------------

@test "usage: --field without --jsonl exits 2" {
	run --separate-stderr rec-pack --field body < /dev/null
	assert_equal "$status" 2
	assert_equal "${stderr_lines[0]}" "rec-pack: --field, --key-field, --json, --vector-field and --metadata-field need --jsonl"
	assert_equal "${stderr_lines[1]}" "Try 'rec-pack --help' for more information."
	assert_output ""
}

@test "usage: --metadata-field without --vector-field exits 2" {
	run --separate-stderr rec-pack --jsonl --metadata-field m < /dev/null
	assert_equal "$status" 2
	assert_equal "${stderr_lines[0]}" "rec-pack: --metadata-field goes with --vector-field"
}

@test "usage: --json with --vector-field exits 2" {
	run --separate-stderr rec-pack --jsonl --json --vector-field v < /dev/null
	assert_equal "$status" 2
	assert_equal "${stderr_lines[0]}" "rec-pack: --json and --vector-field exclude each other"
	run --separate-stderr rec-pack --jsonl --vector-field v --json < /dev/null
	assert_equal "$status" 2
	assert_equal "${stderr_lines[0]}" "rec-pack: --json and --vector-field exclude each other"
}

@test "usage: --files without a FILE exits 2" {
	run --separate-stderr rec-pack --files < /dev/null
	assert_equal "$status" 2
	assert_equal "${stderr_lines[0]}" "rec-pack: --files needs at least one FILE"
}

@test "getopt's messages name the program, not the path it was run by" {
	run --separate-stderr "$REC_PACK" --bogus
	assert_equal "$status" 2
	assert_equal "${stderr_lines[0]}" "rec-pack: unrecognized option '--bogus'"
}

@test "usage: an unknown option exits 2" {
	run --separate-stderr rec-pack --frobnicate < /dev/null
	assert_equal "$status" 2
	assert_equal "${stderr_lines[0]}" "rec-pack: unrecognized option '--frobnicate'"
}

@test "a missing input file: status 1 naming it" {
	run --separate-stderr rec-pack nope.txt
	assert_error 1 "rec-pack: nope.txt: No such file or directory"
}

@test "--version prints the name, the suite and the version" {
	run --separate-stderr rec-pack --version
	assert_success
	assert_regex "$output" '^rec-pack \(sluice\) [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "-h prints usage to stdout and exits 0" {
	run --separate-stderr rec-pack -h
	assert_success
	assert_no_stderr
	assert_line --index 0 'Usage: rec-pack [OPTION]... [FILE]...'
	assert_output --partial '--vector-field NAME'
}

@test "-o onto a device, a FIFO or a symlink writes through and leaves it what it was" {
	printf 'a\nb\n' > in.txt
	rec-pack -o /dev/null in.txt
	[ -c /dev/null ]
	mkfifo fifo
	cat fifo > from-fifo &
	rec-pack -o fifo in.txt
	wait
	[ -p fifo ]
	run rec-cat --text from-fifo
	assert_output $'a\nb'
	rec-pack -o target.rec <<<"old"
	ln -s target.rec link.rec
	rec-pack -o link.rec in.txt
	[ -L link.rec ]
	run rec-cat --text target.rec
	assert_output $'a\nb'
}
