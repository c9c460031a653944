#!/usr/bin/env bats
# wds-cat: WebDataset tar shards to sluice records.  The shards are made once
# per run by tests/helpers/wds-fixtures.py (GNU tar, bsdtar and Python's
# tarfile; its docstring lists every fixture and what is in it); shards over
# http:// come from tests/helpers/fileserver.py on loopback (Range, If-Range,
# ETag, injected drops and stalls).  Output is looked at through rec-cat,
# whose own behaviour tests/rec-cat.bats checks.
#
# Every test reads the fixtures through the relative path fx/..., so the
# __url__ part (the shard's name as the pattern gave it) is predictable.

load test_helper

setup_file() {
	export FX=$BATS_FILE_TMPDIR/fx
	/usr/bin/python3 "$BATS_TEST_DIRNAME/helpers/wds-fixtures.py" "$FX"
}

setup() {
	[ -x "$SLUICE_BIN/wds-cat" ] || fail "no wds-cat in SLUICE_BIN=$SLUICE_BIN (run make first)"
	[ -x "$REC_CAT" ] && [ -x "$REC_PACK" ] || fail "no rec-cat/rec-pack in SLUICE_BIN=$SLUICE_BIN"
	export PATH="$SLUICE_BIN:$PATH"
	export SLUICE_HTTP_BACKOFF_SCALE=0.01
	unset SLUICE_MAX_FRAME
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
	ln -s "$FX" fx
}

teardown() {
	[ -z "${SRVPID:-}" ] || kill "$SRVPID" 2>/dev/null || true
}

# serve: tests/helpers/fileserver.py on ./fx; sets URL and SRVPID.  Faults
# come from ./faults.json (see faults), the request log goes to requests.jsonl.
serve() {
	echo '[]' > faults.json
	"$PY" "$HELPERS/fileserver.py" --root fx --port-file port.json \
		--log requests.jsonl --faults faults.json 2> server.err 3>&- &
	SRVPID=$!
	for _ in $(seq 100); do [ -s port.json ] && break; sleep 0.05; done
	[ -s port.json ] || fail "the file server did not start: $(cat server.err)"
	URL=$(jq -r .url port.json)
}

faults() { printf '%s\n' "$1" > faults.json; }

# wdsc ARGS...: wds-cat with stdout to out.rec (for `run`, which would mangle
# binary output).
wdsc() { wds-cat "$@" > out.rec; }

# keys FILE: the key of every record, one a line.
keys() { rec-cat "$1" | jq -r .key; }

# texts FILE: the text payloads, one a line.
texts() { rec-cat --text "$1"; }

# summary_of TEXT: "N K S B" from wds-cat's summary line in TEXT, whose
# numbers are read with this regex (the words around them may vary):
#   N samples? from K shards? ... lost:? S samples? ... B bad shards?
summary_of() {
	"$PY" - "$1" <<-'EOF'
		import re, sys
		m = re.search(r"(\d+) samples? from (\d+) shards?\b.*?lost:? (\d+) samples?\b.*?(\d+) bad shards?", sys.argv[1])
		print(" ".join(m.groups()) if m else "no summary line")
	EOF
}

# usage_error ARGS...: wds-cat ARGS fails as misused: status 2, nothing on
# stdout, and the usual pointer to --help.
usage_error() {
	run --separate-stderr wds-cat "$@"
	assert_equal "$status" 2
	assert_equal "$output" ""
	[[ $stderr == *"Try 'wds-cat --help'"* ]] || fail "no pointer to --help: $stderr"
}

# ---- samples: grouping and the output's shape ----------------------------

@test "a shard's samples: key, parts in member order, then __url__ naming the shard" {
	wds-cat fx/basic/s-000000.tar > out.rec
	run rec-cat out.rec
	assert_output "$(printf '%s\n' \
		'{"type":"sample","key":"s0-a","parts":{"txt":"text of s0-a","json":"{\"id\": \"s0-a\", \"n\": 0}","cls":"0","__url__":"fx/basic/s-000000.tar"}}' \
		'{"type":"sample","key":"s0-b","parts":{"txt":"text of s0-b","json":"{\"id\": \"s0-b\", \"n\": 1}","cls":"1","__url__":"fx/basic/s-000000.tar"}}')"
}

@test "the header's kind follows the output: sample, text with one key, json with --format json" {
	wds-cat fx/basic/s-000000.tar > a.rec
	wds-cat -k txt fx/basic/s-000000.tar > b.rec
	wds-cat -f json fx/basic/s-000000.tar > c.rec
	for f in a b c; do rec-cat --header $f.rec > $f.json; done
	assert_equal "$(json_get a.json 'j["kind"]') $(json_get b.json 'j["kind"]') $(json_get c.json 'j["kind"]')" "sample text json"
	assert_equal "$(json_get a.json 'j["lineage"][-1]["prog"]')" "wds-cat"
}

@test "a clean run says nothing on stderr and ends the stream properly" {
	run --separate-stderr wdsc fx/basic/s-000000.tar fx/basic/s-000001.tar
	assert_success
	assert_no_stderr
	rec-cat --validate out.rec
	assert_equal "$(keys out.rec | tr '\n' ' ')" "s0-a s0-b s1-a s1-b "
}

# expect_grouping SHARD: the samples of a grouping/g-*.tar: directories in
# the key, the key's first dot in the base name, lower-cased extensions, a
# dotted directory; README (no dot), hidden files, __meta__/x.txt (a
# __*__ first component), a directory, a symlink and a hard link skipped.
expect_grouping() {
	wds-cat "$1" > out.rec
	run rec-cat out.rec
	assert_output "$(printf '%s\n' \
		'{"type":"sample","key":"a/b/c","parts":{"d.txt":"abc-d","json":"{\"n\":1}","__url__":"'"$1"'"}}' \
		'{"type":"sample","key":"X","parts":{"txt":"upper","cls":"7","__url__":"'"$1"'"}}' \
		'{"type":"sample","key":"v1.2/x","parts":{"txt":"dotted dir","__url__":"'"$1"'"}}' \
		'{"type":"sample","key":"k","parts":{"txt":"k","__url__":"'"$1"'"}}')"
}

@test "grouping rules on a GNU tar (--format=gnu)" {
	expect_grouping fx/grouping/g-gnu.tar
}

@test "grouping rules on a GNU tar (--format=posix, pax headers)" {
	expect_grouping fx/grouping/g-posix.tar
}

@test "grouping rules on a GNU tar (--format=ustar)" {
	expect_grouping fx/grouping/g-ustar.tar
}

@test "grouping rules on a bsdtar pax archive" {
	expect_grouping fx/grouping/g-bsd-pax.tar
}

@test "grouping rules on a bsdtar ustar archive" {
	expect_grouping fx/grouping/g-bsd-ustar.tar
}

@test "a skipped member between two parts of a sample does not split it" {
	wds-cat -k txt,json fx/grouping/inside.tar > out.rec
	run rec-cat out.rec
	assert_output '{"type":"sample","key":"i","parts":{"txt":"i-txt","json":"{}"}}'
}

@test "only consecutive members group: a.txt, b.txt, a.json are three samples" {
	wds-cat fx/order.tar > out.rec
	assert_equal "$(keys out.rec | tr '\n' ' ')" "a b a "
	run rec-cat out.rec
	assert_line --index 2 '{"type":"sample","key":"a","parts":{"json":"{\"a\":2}","__url__":"fx/order.tar"}}'
}

@test "a base name over 100 bytes keeps its full key (GNU longname, pax path from GNU tar and bsdtar)" {
	want="long/$(printf 'n%.0s' $(seq 120))"
	for f in long-gnu long-posix long-bsd-pax; do
		wds-cat -k x.txt -d bytes fx/long/$f.tar > $f.rec
		assert_equal "$(rec-cat $f.rec)" '{"type":"sample","key":"'"$want"'","parts":{"x.txt":"long one"}}'
	done
}

@test "a path stored in the ustar prefix field keeps its full key (GNU tar and bsdtar)" {
	want="$(printf 'p%.0s' $(seq 80))/$(printf 'q%.0s' $(seq 60))"
	for f in prefix-ustar prefix-bsd-ustar; do
		wds-cat -k txt fx/long/$f.tar > $f.rec
		assert_equal "$(rec-cat $f.rec)" '{"type":"text","key":"'"$want"'","text":"prefixed"}'
	done
}

@test "an empty tar gives zero samples and no error" {
	run --separate-stderr wdsc fx/empty.tar
	assert_success
	assert_no_stderr
	rec-cat --validate out.rec
	assert_equal "$(rec-cat out.rec | wc -l)" 0
}

@test "a duplicate extension in a sample: status 1, one line naming the shard, offset and member" {
	run --separate-stderr wdsc fx/dup.tar
	assert_equal "$status" 1
	assert_equal "${#stderr_lines[@]}" 1
	# the second a.txt: its header is at 1024 (header, data block, header)
	assert_regex "$stderr" '^wds-cat: fx/dup\.tar:1024: member a\.txt: '
}

@test "a duplicate extension under --on-error warn: that sample is dropped, the shard goes on" {
	run --separate-stderr wdsc --on-error warn fx/dup.tar
	assert_success
	assert_equal "$(keys out.rec)" "b"
	rec-cat --validate out.rec
	assert_equal "$(grep -c '^wds-cat: warning: .*fx/dup\.tar.*a\.txt' <<< "$stderr")" 1
	assert_equal "$(summary_of "$stderr")" "1 1 1 0"
}

# ---- selecting parts and decoding ------------------------------------------

@test "--key with one extension gives text records keyed by the sample key" {
	wds-cat --key txt fx/basic/s-000000.tar > out.rec
	run rec-cat out.rec
	assert_output "$(printf '%s\n' '{"type":"text","key":"s0-a","text":"text of s0-a"}' \
		'{"type":"text","key":"s0-b","text":"text of s0-b"}')"
}

@test "--key with several extensions keeps those parts in the order asked, without __url__" {
	wds-cat -k cls,txt fx/basic/s-000000.tar > out.rec
	run rec-cat out.rec
	assert_output "$(printf '%s\n' '{"type":"sample","key":"s0-a","parts":{"cls":"0","txt":"text of s0-a"}}' \
		'{"type":"sample","key":"s0-b","parts":{"cls":"1","txt":"text of s0-b"}}')"
}

@test "--decode bytes gives sample records even for one key" {
	wds-cat -k txt --decode bytes fx/basic/s-000000.tar > out.rec
	run rec-cat out.rec
	assert_line --index 0 '{"type":"sample","key":"s0-a","parts":{"txt":"text of s0-a"}}'
	assert_equal "${#lines[@]}" 2
}

@test "a;b alternatives: the first of the list present wins and names the part" {
	wds-cat -k 'txt;text,cls' fx/sel/ks.tar > out.rec
	run rec-cat out.rec
	assert_output "$(printf '%s\n' '{"type":"sample","key":"k0","parts":{"txt":"zero","cls":"0"}}' \
		'{"type":"sample","key":"k1","parts":{"text":"one","cls":"1"}}' \
		'{"type":"sample","key":"k2","parts":{"txt":"two-txt","cls":"2"}}')"
}

@test "a;b alternatives as the only key give text records, by the list's order not the members'" {
	wds-cat -k 'text;txt' fx/sel/ks.tar > out.rec
	run texts out.rec
	assert_output "$(printf 'zero\none\ntwo-text')"
}

@test "a sample lacking a --key part: status 1, one line naming the shard and the sample" {
	run --separate-stderr wdsc -k txt,cls fx/sel/nocls.tar
	assert_equal "$status" 1
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" '^wds-cat: fx/sel/nocls\.tar[: ].*n1'
}

@test "a sample lacking a --key part under --on-error warn is dropped, the others kept" {
	run --separate-stderr wdsc --on-error warn -k txt,cls fx/sel/nocls.tar
	assert_success
	assert_equal "$(keys out.rec | tr '\n' ' ')" "n0 n2 "
	assert_equal "$(grep -c '^wds-cat: warning: .*fx/sel/nocls\.tar' <<< "$stderr")" 1
	assert_equal "$(summary_of "$stderr")" "2 1 1 0"
}

@test "--decode text: a part that is not UTF-8 fails, naming shard, offset and member" {
	run --separate-stderr wdsc -k txt --decode text fx/sel/utf8.tar
	assert_equal "$status" 1
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" '^wds-cat: fx/sel/utf8\.tar:1024: member u1\.txt: '
}

@test "--decode auto passes a part's bytes untouched, UTF-8 or not" {
	wds-cat -k txt fx/sel/utf8.tar > out.rec
	rec-cat --text out.rec > got.bin
	printf 'ok\n\377\376\nfine\n' | cmp - got.bin
}

@test "--decode text under --on-error skip: the bad sample dropped, only the summary on stderr" {
	run --separate-stderr wdsc -k txt -d text --on-error skip fx/sel/utf8.tar
	assert_success
	assert_equal "$(texts out.rec | tr '\n' ' ')" "ok fine "
	assert_equal "${#stderr_lines[@]}" 1
	assert_equal "$(summary_of "$stderr")" "2 1 1 0"
}

# ---- --format json -----------------------------------------------------------

@test "--format json: __key__, __url__, the .json part's members, other parts as text or base64" {
	wds-cat --format json fx/sel/fmt.tar > out.rec
	rec-cat out.rec > rows.jsonl
	"$PY" - <<-'EOF'
		import json
		rows = [json.loads(l) for l in open("rows.jsonl")]
		assert len(rows) == 1, rows
		assert rows[0]["type"] == "json", rows
		want = {"__key__": "f0", "__url__": "fx/sel/fmt.tar", "n": 1, "tag": "x",
		        "txt": "hello", "bin": {"base64": "AAH/"}}
		assert rows[0]["json"] == want, rows[0]["json"]
	EOF
}

@test "--format json: an invalid .json part fails naming the shard and the member" {
	run --separate-stderr wdsc -f json fx/sel/jsonbad.tar
	assert_equal "$status" 1
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" '^wds-cat: fx/sel/jsonbad\.tar:[0-9]+: member j1\.json: '
}

@test "--format json: an invalid .json part under --on-error warn drops that row only" {
	run --separate-stderr wdsc -f json --on-error warn fx/sel/jsonbad.tar
	assert_success
	assert_equal "$(rec-cat out.rec | jq -c '[.json.__key__, .json.a]' | tr '\n' ' ')" '["j0",1] ["j2",2] '
	assert_equal "$(summary_of "$stderr")" "2 1 1 0"
}

# ---- sources and compression -------------------------------------------------

@test "gzip, zstd, bzip2 and xz shards read as the plain tar does" {
	wds-cat -k txt,json,cls fx/comp/c.tar > plain.rec
	rec-cat plain.rec > want
	[ -s want ]
	for f in c.tar.gz c.tgz c.tar.zst c.tar.bz2 c.tar.xz; do
		wds-cat -k txt,json,cls fx/comp/$f > $f.rec || fail "$f: status $?"
		rec-cat $f.rec | diff want - || fail "$f differs"
	done
}

@test "compression is known by content: a plain tar named .tar.gz is read" {
	wds-cat -k txt fx/comp/c.tar > want.rec
	wds-cat -k txt fx/comp/plain-named.tar.gz > got.rec
	assert_equal "$(texts got.rec)" "$(texts want.rec)"
}

@test "a zstd shard named .tar.gz is read as zstd, or refused in one line naming it" {
	wds-cat -k txt fx/comp/c.tar > want.rec
	run --separate-stderr wdsc -k txt fx/comp/zst-named.tar.gz
	if [ "$status" -eq 0 ]; then
		assert_equal "$(texts out.rec)" "$(texts want.rec)"
	else
		assert_equal "$status" 1
		assert_equal "${#stderr_lines[@]}" 1
		assert_regex "$stderr" '^wds-cat: fx/comp/zst-named\.tar\.gz'
	fi
}

@test "- reads a shard from stdin" {
	wds-cat -k txt - < fx/basic/s-000001.tar > out.rec
	assert_equal "$(texts out.rec | tr '\n' ' ')" "text of s1-a text of s1-b "
}

@test "pipe:COMMAND reads the command's output; __url__ is the pattern" {
	wds-cat 'pipe:cat fx/basic/s-000001.tar' > out.rec
	assert_equal "$(keys out.rec | tr '\n' ' ')" "s1-a s1-b "
	assert_equal "$(rec-cat out.rec | jq -r '.parts.__url__' | sort -u)" "pipe:cat fx/basic/s-000001.tar"
}

@test "a pipe: command that fails is a bad shard: status 1, one line naming it" {
	run --separate-stderr wdsc 'pipe:false'
	assert_equal "$status" 1
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" '^wds-cat: pipe:false'
	# the command's own complaint may come first; wds-cat's line names it
	run --separate-stderr wdsc 'pipe:cat fx/nonexistent.tar'
	assert_equal "$status" 1
	assert_regex "${stderr_lines[-1]}" '^wds-cat: pipe:cat fx/nonexistent\.tar'
}

@test "a failing pipe: under --on-error warn: the next shard is still read" {
	run --separate-stderr wdsc --on-error warn 'pipe:false' fx/basic/s-000001.tar
	assert_success
	assert_equal "$(keys out.rec | tr '\n' ' ')" "s1-a s1-b "
	assert_equal "$(grep -c '^wds-cat: warning: .*pipe:false' <<< "$stderr")" 1
	assert_equal "$(summary_of "$stderr")" "2 2 0 1"
}

@test "a missing shard: status 1, one line naming it" {
	run --separate-stderr wdsc fx/basic/s-000000.tar fx/missing.tar
	assert_equal "$status" 1
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" '^wds-cat: fx/missing\.tar'
}

@test "a missing shard under --on-error warn: a warning, and the other shards are read" {
	run --separate-stderr wdsc --on-error warn fx/basic/s-000000.tar fx/missing.tar fx/basic/s-000002.tar
	assert_success
	rec-cat --validate out.rec
	assert_equal "$(keys out.rec | tr '\n' ' ')" "s0-a s0-b s2-a s2-b "
	assert_equal "$(grep -c '^wds-cat: warning: .*fx/missing\.tar' <<< "$stderr")" 1
	assert_equal "$(summary_of "$stderr")" "4 3 0 1"
}

@test "the stream's trailer counts what was read and lost, as the summary does" {
	wdsc --on-error skip fx/basic/s-000000.tar fx/bad/trunc-data.tar fx/missing.tar 2> /dev/null
	rec-cat --validate out.rec
	run rec-cat --stats out.rec
	assert_success
	assert_equal "$(jq -c '.trailer | [.samples, .shards, .lost.samples, .lost.bad_shards]' <<< "$output")" \
		"[$(jq .records <<< "$output"),3,1,2]"
	wdsc fx/basic/s-000000.tar
	assert_equal "$(rec-cat --stats out.rec | jq -c '.trailer.lost')" '{"samples":0,"bad_samples":0,"bad_shards":0}'
}

@test "-q silences progress only: the summary of losses is still printed" {
	run --separate-stderr wdsc -q --on-error warn fx/missing.tar fx/basic/s-000001.tar
	assert_success
	assert_equal "$(summary_of "$stderr")" "2 2 0 1"
}

@test "-v: a summary at the end with samples, shards, bytes and HTTP requests" {
	serve
	run --separate-stderr wdsc -v "$URL/basic/s-000000.tar" fx/basic/s-000001.tar
	assert_success
	assert_regex "$stderr" '(^|[^0-9])4 samples'
	assert_regex "$stderr" '(^|[^0-9])2 shards'
	assert_regex "$stderr" '[0-9.]+ ?(bytes|[KMG]i?B|B)([^A-Za-z]|$)'
	assert_regex "$stderr" "(^|[^0-9])$(grep -c . requests.jsonl) (HTTP )?requests?"
}

# ---- corrupt and truncated shards ----------------------------------------
# bad/four.tar holds q0..q3 (q.txt then q.json); each damaged copy breaks
# q1.json, so q0 is whole and q1 is the sample in progress.

# bad_fail SHARD: status 1 and one line naming the shard.
bad_fail() {
	run --separate-stderr wdsc "$1"
	assert_equal "$status" 1
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" "^wds-cat: ${1//./\\.}[: ]"
}

# bad_between MODE SHARD: SHARD between two good shards under --on-error MODE:
# status 0, a valid stream with both good shards whole, around what came out
# of SHARD (keys in KEPT); one bad shard in the summary.
bad_between() {
	run --separate-stderr wdsc --on-error "$1" fx/basic/s-000000.tar "$2" fx/basic/s-000002.tar
	assert_success
	rec-cat --validate out.rec
	local k
	k=$(keys out.rec | tr '\n' ' ')
	[[ $k == "s0-a s0-b "*"s2-a s2-b " ]] || fail "keys: $k"
	KEPT=${k#s0-a s0-b }
	KEPT=${KEPT%s2-a s2-b }
	SUMMARY=$(summary_of "$stderr")
	[[ $SUMMARY == *" 3 "[01]" 1" ]] || fail "summary: $SUMMARY (stderr: $stderr)"
}

# warned SHARD: exactly one warning line, naming SHARD.
warned() {
	assert_equal "$(grep -c '^wds-cat: warning:' <<< "$stderr")" 1
	assert_equal "$(grep -c "^wds-cat: warning: .*${1//./\\.}" <<< "$stderr")" 1
}

@test "a tar cut in a member's data: status 1, naming shard, the member's header offset and the member" {
	bad_fail fx/bad/trunc-data.tar
	assert_regex "$stderr" "^wds-cat: fx/bad/trunc-data\.tar:$(cut -d' ' -f2 fx/bad/offsets): member q1\.json: "
}

@test "a tar cut in a member's data: the samples before it stay written" {
	run wdsc fx/bad/trunc-data.tar
	assert_equal "$status" 1
	assert_equal "$(rec-cat out.rec 2>/dev/null | jq -r .key)" "q0"
}

@test "a tar cut in a member's data under --on-error warn: a warning, the later shard read" {
	bad_between warn fx/bad/trunc-data.tar
	assert_equal "$KEPT" "q0 "
	assert_equal "$SUMMARY" "5 3 1 1"
	warned fx/bad/trunc-data.tar
}

@test "a tar cut in a member's data under --on-error skip: no warning, the summary" {
	bad_between skip fx/bad/trunc-data.tar
	assert_equal "$KEPT" "q0 "
	assert_equal "${#stderr_lines[@]}" 1
	assert_equal "$SUMMARY" "5 3 1 1"
}

@test "a tar cut in a header: status 1, one line naming the shard" {
	bad_fail fx/bad/trunc-hdr.tar
}

@test "a tar cut in a header under --on-error warn: a warning, the later shard read" {
	bad_between warn fx/bad/trunc-hdr.tar
	assert_equal "$KEPT" "q0 "
	assert_equal "$SUMMARY" "5 3 1 1"
	warned fx/bad/trunc-hdr.tar
}

@test "a tar cut in a header under --on-error skip: no warning, the summary" {
	bad_between skip fx/bad/trunc-hdr.tar
	assert_equal "$KEPT" "q0 "
	assert_equal "${#stderr_lines[@]}" 1
}

@test "a header with a wrong checksum: status 1, one line naming the shard" {
	bad_fail fx/bad/bad-sum.tar
}

@test "a header with a wrong checksum under --on-error warn: the rest of that shard is dropped, the later shard read" {
	bad_between warn fx/bad/bad-sum.tar
	assert_equal "$KEPT" "q0 "
	assert_equal "$SUMMARY" "5 3 1 1"
	warned fx/bad/bad-sum.tar
}

@test "a header with a wrong checksum under --on-error skip: no warning, the summary" {
	bad_between skip fx/bad/bad-sum.tar
	assert_equal "$KEPT" "q0 "
	assert_equal "${#stderr_lines[@]}" 1
}

@test "a truncated .tar.gz: status 1, one line naming the shard" {
	bad_fail fx/bad/trunc.tar.gz
}

@test "a truncated .tar.gz under --on-error warn: a warning, the later shard read" {
	bad_between warn fx/bad/trunc.tar.gz
	[[ "q0 q1 q2 q3 " == "$KEPT"* && $KEPT != "q0 q1 q2 q3 " ]] || fail "kept: $KEPT"
	warned fx/bad/trunc.tar.gz
}

@test "a truncated .tar.gz under --on-error skip: no warning, the summary" {
	bad_between skip fx/bad/trunc.tar.gz
	assert_equal "${#stderr_lines[@]}" 1
}

@test "a truncated .tar.zst: status 1, one line naming the shard" {
	bad_fail fx/bad/trunc.tar.zst
}

@test "a truncated .tar.zst under --on-error warn: a warning, the later shard read" {
	bad_between warn fx/bad/trunc.tar.zst
	[[ "q0 q1 q2 q3 " == "$KEPT"* && $KEPT != "q0 q1 q2 q3 " ]] || fail "kept: $KEPT"
	warned fx/bad/trunc.tar.zst
}

@test "a truncated .tar.zst under --on-error skip: no warning, the summary" {
	bad_between skip fx/bad/trunc.tar.zst
	assert_equal "${#stderr_lines[@]}" 1
}

# ---- shard lists, sharding, shuffling ------------------------------------

@test "--list prints the shards of brace patterns and :: lists, in order, and exits 0" {
	run --separate-stderr wds-cat --list 'fx/basic/s-{000000..000002}.tar' 'fx/ten/t-{8,9}.tar::fx/empty.tar'
	assert_success
	assert_output "$(printf '%s\n' fx/basic/s-000000.tar fx/basic/s-000001.tar fx/basic/s-000002.tar \
		fx/ten/t-8.tar fx/ten/t-9.tar fx/empty.tar)"
}

@test "--list opens no shard: names that do not exist are listed too" {
	run --separate-stderr wds-cat --list 'fx/none-{0..1}.tar'
	assert_success
	assert_output "$(printf 'fx/none-0.tar\nfx/none-1.tar')"
}

@test "several patterns are read in the order given" {
	wds-cat -k txt fx/ten/t-3.tar 'fx/ten/t-{1,2}.tar' > out.rec
	assert_equal "$(texts out.rec | tr '\n' ' ')" "t3 t1 t2 "
}

@test "--shard I/N reads shards I, I+N, I+2N..." {
	wds-cat -k txt --shard 1/3 'fx/ten/t-{0..9}.tar' > out.rec
	assert_equal "$(texts out.rec | tr '\n' ' ')" "t1 t4 t7 "
	run wds-cat --list --shard 1/3 'fx/ten/t-{0..9}.tar'
	assert_output "$(printf 'fx/ten/t-1.tar\nfx/ten/t-4.tar\nfx/ten/t-7.tar')"
}

@test "--shard ranks with --shard-shuffle are disjoint and together cover every shard" {
	for i in 0 1 2; do
		wds-cat -k txt --shard $i/3 --shard-shuffle --seed 5 'fx/ten/t-{0..9}.tar' > r$i.rec
		texts r$i.rec > r$i.txt
		[ -s r$i.txt ] || fail "rank $i got nothing"
	done
	assert_equal "$(cat r0.txt r1.txt r2.txt | sort | tr '\n' ' ')" "t0 t1 t2 t3 t4 t5 t6 t7 t8 t9 "
}

@test "--shard with fewer shards than parts: every Nth sample, each sample in one part" {
	files=(fx/ten/t-{0..4}.tar fx/basic/s-000000.tar fx/basic/s-000001.tar)
	wds-cat -k txt "${files[@]}" > all.rec
	texts all.rec > all.txt
	[ "$(wc -l < all.txt)" -gt 8 ] || fail "the fixture has too few samples: $(cat all.txt)"
	for n in 8 9 13; do
		: > parts.txt
		for ((i = 0; i < n; i++)); do
			wds-cat -k txt --shard $i/$n "${files[@]}" > p$i.rec
			rec-cat --header p$i.rec | grep -q "\"shard\":\"$i/$n\"" || fail "part $i/$n: no shard in the header"
			# Part i holds samples i, i+n, i+2n... of the whole stream.
			assert_equal "$(texts p$i.rec)" "$(awk -v i=$i -v n=$n '(NR - 1) % n == i' all.txt)"
			texts p$i.rec >> parts.txt
		done
		assert_equal "$(sort parts.txt)" "$(sort all.txt)"
	done
}

@test "--shard with --resampled and fewer shards than parts is a usage error" {
	usage_error --shard 2/3 --resampled -n 5 fx/ten/t-0.tar fx/ten/t-1.tar
}

@test "--shard auto and SLUICE_SHARD: the part from a Slurm array task, an Indexed Job, or the variable" {
	wds-cat -k txt --shard 1/3 'fx/ten/t-{0..9}.tar' > want.rec
	SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_MIN=4 SLURM_ARRAY_TASK_COUNT=3 wds-cat -k txt --shard auto 'fx/ten/t-{0..9}.tar' > slurm.rec
	assert_equal "$(texts slurm.rec)" "$(texts want.rec)"
	SLURM_ARRAY_TASK_ID=7 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_STEP=6 SLURM_ARRAY_TASK_COUNT=3 wds-cat -k txt --shard auto 'fx/ten/t-{0..9}.tar' > step.rec
	assert_equal "$(texts step.rec)" "$(texts want.rec)"
	JOB_COMPLETION_INDEX=1 SLUICE_SHARD_COUNT=3 wds-cat -k txt --shard auto 'fx/ten/t-{0..9}.tar' > k8s.rec
	assert_equal "$(texts k8s.rec)" "$(texts want.rec)"
	SLUICE_SHARD=1/3 wds-cat -k txt 'fx/ten/t-{0..9}.tar' > env.rec
	assert_equal "$(texts env.rec)" "$(texts want.rec)"
	# --shard wins over the variable.
	SLUICE_SHARD=2/3 wds-cat -k txt --shard 1/3 'fx/ten/t-{0..9}.tar' > both.rec
	assert_equal "$(texts both.rec)" "$(texts want.rec)"
}

@test "--shard auto outside a job array names the variables it looked for" {
	run env -u SLURM_ARRAY_TASK_ID -u JOB_COMPLETION_INDEX wds-cat --shard auto fx/ten/t-0.tar
	assert_failure 2
	assert_output --partial "SLURM_ARRAY_TASK_ID"
	assert_output --partial "JOB_COMPLETION_INDEX"
	run env SLURM_ARRAY_TASK_ID=9 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_STEP=2 SLURM_ARRAY_TASK_COUNT=5 wds-cat --shard auto fx/ten/t-0.tar
	assert_failure 2
	assert_output --partial "SLURM_ARRAY_TASK_ID=9"
	run env SLUICE_SHARD=3/3 wds-cat fx/ten/t-0.tar
	assert_failure 2
	assert_output --partial "SLUICE_SHARD"
	# Slurm does not say the count: a one-task array (a rerun of one part)
	# and a list are refused, unless SLUICE_SHARD_COUNT gives it.
	run env SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=1 SLURM_ARRAY_TASK_COUNT=1 wds-cat --shard auto fx/ten/t-0.tar
	assert_failure 2
	assert_output --partial "SLUICE_SHARD_COUNT"
	run env SLURM_ARRAY_TASK_ID=4 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=6 SLURM_ARRAY_TASK_COUNT=3 wds-cat --shard auto fx/ten/t-0.tar
	assert_failure 2
	assert_output --partial "not one range"
	SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=1 SLURM_ARRAY_TASK_COUNT=1 SLUICE_SHARD_COUNT=3 \
		wds-cat -k txt --shard auto 'fx/ten/t-{0..9}.tar' > rerun.rec
	assert_equal "$(texts rerun.rec)" "$(texts <(wds-cat -k txt --shard 1/3 'fx/ten/t-{0..9}.tar'))"
}

@test "--shard-shuffle: a permutation, the same for a seed, another for other seeds" {
	for s in 1 2 3 4 5 1; do
		wds-cat -k txt --shard-shuffle --seed $s 'fx/ten/t-{0..9}.tar' | rec-cat --text | tr '\n' ' '
		echo
	done > orders
	while read -r o; do
		assert_equal "$(tr ' ' '\n' <<< "$o" | grep . | sort | tr '\n' ' ')" "t0 t1 t2 t3 t4 t5 t6 t7 t8 t9 "
	done < orders
	assert_equal "$(sed -n 1p orders)" "$(sed -n 6p orders)"
	[ "$(head -5 orders | sort -u | wc -l)" -ge 4 ] || fail "seeds 1..5 gave: $(cat orders)"
	! grep -qx 't0 t1 t2 t3 t4 t5 t6 t7 t8 t9 ' orders || fail "an order was not shuffled: $(cat orders)"
}

@test "--shard-shuffle shuffles anew in each epoch" {
	wds-cat -k txt --shard-shuffle --epochs 2 --seed 3 'fx/ten/t-{0..9}.tar' > out.rec
	texts out.rec > all
	assert_equal "$(wc -l < all)" 20
	assert_equal "$(head -10 all | sort | tr '\n' ' ')" "t0 t1 t2 t3 t4 t5 t6 t7 t8 t9 "
	assert_equal "$(tail -10 all | sort | tr '\n' ' ')" "t0 t1 t2 t3 t4 t5 t6 t7 t8 t9 "
	[ "$(head -10 all)" != "$(tail -10 all)" ] || fail "both epochs in one order: $(cat all)"
}

@test "--shard-shuffle with a seed gives the same bytes twice" {
	wds-cat --shard-shuffle --seed 9 'fx/ten/t-{0..9}.tar' 'fx/basic/s-{000000..000002}.tar' > a.rec
	wds-cat --shard-shuffle --seed 9 'fx/ten/t-{0..9}.tar' 'fx/basic/s-{000000..000002}.tar' > b.rec
	cmp a.rec b.rec
}

@test "--shuffle: the same samples in another order" {
	wds-cat -k txt 'fx/many/m-{0..3}.tar' > plain.rec
	wds-cat -k txt --shuffle 20 --seed 1 'fx/many/m-{0..3}.tar' > shuf.rec
	texts plain.rec > plain.txt
	texts shuf.rec > shuf.txt
	assert_equal "$(wc -l < shuf.txt)" 100
	assert_equal "$(sort shuf.txt)" "$(sort plain.txt)"
	! cmp -s plain.txt shuf.txt || fail "--shuffle 20 kept the order"
}

@test "--shuffle with a seed gives the same bytes twice" {
	wds-cat --shuffle 20 --seed 4 'fx/many/m-{0..3}.tar' > a.rec
	wds-cat --shuffle 20 --seed 4 'fx/many/m-{0..3}.tar' > b.rec
	cmp a.rec b.rec
}

@test "--shuffle with another seed gives another order" {
	wds-cat -k txt --shuffle 20 --seed 4 'fx/many/m-{0..3}.tar' > a.rec
	wds-cat -k txt --shuffle 20 --seed 5 'fx/many/m-{0..3}.tar' > b.rec
	[ "$(texts a.rec)" != "$(texts b.rec)" ]
}

@test "--shuffle 1 keeps the order" {
	wds-cat -k txt 'fx/many/m-{0..3}.tar' > plain.rec
	wds-cat -k txt --shuffle 1 --seed 4 'fx/many/m-{0..3}.tar' > one.rec
	assert_equal "$(texts one.rec)" "$(texts plain.rec)"
}

@test "--resampled --take N: N samples, shards drawn with replacement" {
	wds-cat --resampled --take 60 --seed 2 -k txt 'fx/basic/s-{000000..000002}.tar' > out.rec
	rec-cat --validate out.rec
	texts out.rec > got
	assert_equal "$(wc -l < got)" 60
	# 30 draws of 3 shards: each shard drawn, samples whole and in shard order
	assert_equal "$(sort -u got | tr '\n' ,)" "text of s0-a,text of s0-b,text of s1-a,text of s1-b,text of s2-a,text of s2-b,"
	assert_equal "$(paste -d' ' - - < got | sed 's/text of s\([0-9]\)-a text of s\1-b/ok/' | sort -u)" "ok"
}

@test "--resampled with a seed gives the same bytes twice" {
	wds-cat --resampled --take 30 --seed 7 'fx/basic/s-{000000..000002}.tar' > a.rec
	wds-cat --resampled --take 30 --seed 7 'fx/basic/s-{000000..000002}.tar' > b.rec
	cmp a.rec b.rec
}

@test "--resampled with another seed draws another sequence" {
	wds-cat --resampled --take 30 --seed 7 -k txt 'fx/ten/t-{0..9}.tar' > a.rec
	wds-cat --resampled --take 30 --seed 8 -k txt 'fx/ten/t-{0..9}.tar' > b.rec
	[ "$(texts a.rec)" != "$(texts b.rec)" ]
}

@test "--list with --resampled prints --take draws" {
	run --separate-stderr wds-cat --list --resampled --take 7 --seed 2 'fx/basic/s-{000000..000002}.tar'
	assert_success
	assert_equal "${#lines[@]}" 7
	for l in "${lines[@]}"; do
		[[ $l =~ ^fx/basic/s-00000[012]\.tar$ ]] || fail "not a shard of the list: $l"
	done
}

@test "--epochs 2 reads every sample twice, epoch after epoch" {
	wds-cat -k txt 'fx/basic/s-{000000..000002}.tar' > one.rec
	wds-cat -k txt --epochs 2 'fx/basic/s-{000000..000002}.tar' > two.rec
	assert_equal "$(texts two.rec)" "$(texts one.rec; texts one.rec)"
}

@test "--take N stops after N samples, across shards" {
	run --separate-stderr wdsc --take 3 -k txt 'fx/basic/s-{000000..000002}.tar'
	assert_success
	rec-cat --validate out.rec
	assert_equal "$(keys out.rec | tr '\n' ' ')" "s0-a s0-b s1-a "
}

@test "--take more than there are gives them all" {
	wds-cat -n 100 -k txt 'fx/basic/s-{000000..000002}.tar' > out.rec
	assert_equal "$(keys out.rec | wc -l)" 6
}

@test "--take counts the samples of all epochs together" {
	wds-cat --epochs 3 --take 8 -k txt 'fx/basic/s-{000000..000002}.tar' > out.rec
	assert_equal "$(keys out.rec | tr '\n' ' ')" "s0-a s0-b s1-a s1-b s2-a s2-b s0-a s0-b "
}

@test "a reader that stops early (| head -c) ends wds-cat quietly" {
	set +e
	wds-cat fx/big/big.tar fx/big/big.tar 2> err | head -c 100 > /dev/null
	st=${PIPESTATUS[0]}
	set -e
	[[ $st == 0 || $st == 141 ]] || fail "status $st: $(cat err)"
	assert_equal "$(cat err)" ""
}

# ---- http ------------------------------------------------------------------

@test "an http:// shard gives the same samples as the local file" {
	serve
	wds-cat -k bin,txt "$URL/big/big.tar" > remote.rec
	wds-cat -k bin,txt fx/big/big.tar > local.rec
	rec-cat local.rec > want
	[ "$(wc -l < want)" -eq 16 ]
	rec-cat remote.rec | diff want - > /dev/null || fail "remote and local differ"
}

@test "an http:// shard's __url__ is its URL, brace patterns expanded" {
	serve
	wds-cat "$URL/basic/s-{000000..000001}.tar" > out.rec
	assert_equal "$(rec-cat out.rec | jq -r '.parts.__url__' | uniq | tr '\n' ' ')" \
		"$URL/basic/s-000000.tar $URL/basic/s-000001.tar "
}

@test "a connection dropped mid-shard is resumed: the output is byte-identical" {
	serve
	faults '[{"match":"big.tar","kind":"drop","after":100000,"times":1}]'
	wds-cat -k bin,txt "$URL/big/big.tar" > remote.rec
	wds-cat -k bin,txt fx/big/big.tar > local.rec
	rec-cat remote.rec > got
	rec-cat local.rec | cmp - got
	assert_equal "$(jq -r 'select(.fault == "drop") | .path' requests.jsonl)" "/big/big.tar"
}

@test "a dropped body is resumed with Range from where it stopped and If-Range with the ETag" {
	serve
	faults '[{"match":"big.tar","kind":"drop","after":100000,"times":1}]'
	etag=$(curl -sI "$URL/big/big.tar" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
	wds-cat -k txt "$URL/big/big.tar" > out.rec
	jq -c 'select(.method == "GET")' requests.jsonl > gets
	assert_equal "$(wc -l < gets)" 2
	from=$(sed -n 2p gets | jq -r .range | sed -n 's/^bytes=\([0-9]*\)-$/\1/p')
	[ -n "$from" ] && [ "$from" -gt 0 ] && [ "$from" -le 100000 ] || fail "resumed with: $(sed -n 2p gets)"
	assert_equal "$(sed -n 2p gets | jq -r .if_range)" "$etag"
	assert_equal "$(sed -n 2p gets | jq -r .status)" 206
}

@test "a resume that the server answers with the whole body (Range ignored) still gives identical output" {
	serve
	faults '[{"match":"big.tar","kind":"drop","after":100000,"times":1},
		{"match":"big.tar","kind":"no_range","times":1}]'
	wds-cat -k bin,txt "$URL/big/big.tar" > remote.rec
	wds-cat -k bin,txt fx/big/big.tar > local.rec
	rec-cat local.rec | cmp - <(rec-cat remote.rec)
	assert_equal "$(jq -r 'select(.method == "GET") | .fault' requests.jsonl | tr '\n' ' ')" "drop no_range "
}

@test "a server that always drops, --retries 1: status 1, one line naming the URL" {
	serve
	faults '[{"match":"big.tar","kind":"drop","after":100000,"times":1},
		{"match":"big.tar","kind":"drop","after":0,"times":-1}]'
	run --separate-stderr wdsc --retries 1 -k txt "$URL/big/big.tar"
	assert_equal "$status" 1
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" "^wds-cat: $URL/big/big\.tar"
}

@test "a server that always drops under --on-error warn: the samples before it are kept, the next shard read" {
	serve
	# s-000000.tar: s0-a's members end at 3072, s0-b.txt's data at 3596.
	# Four times, each with fresh fault counters: the bytes that came before
	# the drop must count however the drop's timing falls.
	for n in 1 2 3 4; do
		faults '[{"match":"s-000000","kind":"drop","after":4000,"times":1,"n":'$n'},
			{"match":"s-000000","kind":"drop","after":0,"times":-1,"n":'$n'}]'
		run --separate-stderr wdsc --on-error warn --retries 1 -k txt "$URL/basic/s-000000.tar" fx/basic/s-000001.tar
		assert_success
		rec-cat --validate out.rec
		assert_equal "$(keys out.rec | tr '\n' ' ')" "s0-a s1-a s1-b "
		assert_equal "$(grep -c "^wds-cat: warning: .*$URL/basic/s-000000\.tar" <<< "$stderr")" 1
		assert_equal "$(summary_of "$stderr")" "3 2 1 1"
	done
}

@test "a 404 is a bad shard: status 1, one line naming the URL and 404" {
	serve
	run --separate-stderr wdsc "$URL/basic/nothing.tar"
	assert_equal "$status" 1
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "$stderr" "^wds-cat: $URL/basic/nothing\.tar.*404"
}

@test "--timeout: a body that stalls is asked again, and the output is the same" {
	serve
	faults '[{"match":"big.tar","kind":"stall","after":100000,"delay":8,"times":1}]'
	SECONDS=0
	wds-cat --timeout 1 -k bin,txt "$URL/big/big.tar" > remote.rec
	[ "$SECONDS" -lt 7 ] || fail "took ${SECONDS}s: the stall was waited out"
	wds-cat -k bin,txt fx/big/big.tar > local.rec
	rec-cat local.rec | cmp - <(rec-cat remote.rec)
	[ "$(jq -r 'select(.method == "GET") | .path' requests.jsonl | wc -l)" -ge 2 ]
}

# ---- usage -------------------------------------------------------------------

@test "--help prints the usage on stdout and exits 0" {
	run --separate-stderr wds-cat --help
	assert_success
	assert_line --index 0 "Usage: wds-cat [OPTION]... PATTERN..."
	assert_no_stderr
}

@test "usage: no pattern" {
	usage_error
}

@test "usage: --shard 3/3" {
	usage_error --shard 3/3 fx/basic/s-000000.tar
}

@test "usage: --shard x" {
	usage_error --shard x fx/basic/s-000000.tar
}

@test "usage: --on-error maybe" {
	usage_error --on-error maybe fx/basic/s-000000.tar
}

@test "usage: --decode nope" {
	usage_error --decode nope fx/basic/s-000000.tar
}

@test "usage: --format csv" {
	usage_error --format csv fx/basic/s-000000.tar
}

@test "usage: an unbalanced brace in a pattern" {
	usage_error 'fx/basic/s-{000000..000002.tar'
}

@test "usage: --take -1" {
	usage_error --take -1 fx/basic/s-000000.tar
}

# ---- with wds-write ---------------------------------------------------------

@test "round trip: rec-pack lines, wds-write shards, wds-cat --key txt gives the lines back" {
	[ -x "$SLUICE_BIN/wds-write" ] || skip "no wds-write in SLUICE_BIN yet"
	seq 1 25 | sed 's/^/line number /' > lines.txt
	rec-pack lines.txt > in.rec
	mkdir shards
	wds-write -c 10 shards/part in.rec
	assert_equal "$(cd shards && echo *.tar)" "part-000000.tar part-000001.tar part-000002.tar"
	wds-cat -k txt 'shards/part-{000000..000002}.tar' > out.rec
	assert_equal "$(texts out.rec)" "$(cat lines.txt)"
}
