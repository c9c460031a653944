#!/usr/bin/env bats
# examples/corpus: the sharded recipe, run as users run it (SMALL=1) on the
# loopback Hub of tests/helpers/hubserver.py: by make -j1 (the reference),
# make -j3 and GNU parallel, which must give the same bytes, and with a
# task killed mid-run, after which running again redoes only its part.

load test_helper

setup() {
	export PATH="$SLUICE_BIN:$PATH"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
	export HF_HUB_CACHE=$PWD/cache HF_HOME=$PWD/hf-home
	unset HF_TOKEN HUGGING_FACE_HUB_TOKEN HF_HUB_OFFLINE HF_ENDPOINT SLUICE_SHARD
	make_repo
	serve
}

teardown() {
	local p=$BATS_TEST_TMPDIR/work/ports.json
	[ -f "$p" ] && kill "$(json_get "$p" 'j["pid"]')" 2>/dev/null || true
}

serve() {
	"$PY" "$HELPERS/hubserver.py" --root hub --port-file ports.json --log requests.jsonl \
		2> server.err 3>&- &
	for _ in $(seq 100); do [ -s ports.json ] && break; sleep 0.1; done
	[ -s ports.json ] || fail "the hub server did not start: $(cat server.err)"
	export HF_ENDPOINT=$(json_get ports.json 'j["hub"]')
}

# org/licences: every paragraph of the licence texts Debian ships, a JSON
# line each, in three files.
make_repo() {
	local d=hub/datasets/org/licences
	mkdir -p $d/data
	for f in /usr/share/common-licenses/*; do
		[ -f "$f" ] && tr -d '\000-\010\013-\037' < "$f" && echo
	done | awk -v RS= '{ gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); gsub(/\t/, " "); gsub(/\n/, " "); printf "{\"text\":\"%s\"}\n", $0 }' \
		> rows.jsonl
	split -n l/3 -d --additional-suffix=.jsonl rows.jsonl $d/data/train-0000
	printf -- '---\nlicense: other\n---\n# Licences\n' > $d/README.md
}

VARS=(SMALL=1 PARTS=4 BUCKETS=3 DATASET=org/licences)

# recipe DIR: a copy of the example to run in DIR.
recipe() {
	mkdir "$1"
	cp "$TOP/examples/corpus/Makefile" "$TOP/examples/corpus/run-parallel" "$TOP/examples/corpus/submit-slurm" "$1/"
}

# same A B: the final shards and tokenizer, and every part's output, are
# the same bytes in A and B.
same() {
	local f n=0
	for f in tokenizer.json bin/* raw/* filtered/* sig/* bkt/* drop/*.drop dedup/* counts/* tokens/*; do
		[ -e "$1/$f" ] || fail "$1/$f is missing"
		cmp -s "$1/$f" "$2/$f" || fail "$1/$f and $2/$f differ"
		n=$((n + 1))
	done
	[ -z "$(cd "$2" && ls -d raw/* bin/* | grep -vxFf <(cd "$1" && ls -d raw/* bin/*))" ] || fail "$2 has files $1 has not"
	[ "$n" -gt 30 ] || fail "only $n files compared"
}

@test "examples/corpus: make -j1, make -j3 and run-parallel give the same shards and tokenizer; each stage did its part" {
	recipe j1
	run make -C j1 -j1 SLUICE_BIN="$SLUICE_BIN" "${VARS[@]}"
	echo "$output"
	assert_success
	cd j1
	# Every row was read once, by one of the four parts.
	assert_equal "$(rec-cat --stats raw/*.rec | jq .records)" "$(wc -l < ../rows.jsonl)"
	for i in 0 1 2 3; do rec-cat --header raw/$i.rec | grep -q "\"shard\":\"$i/4\"" || fail "raw/$i.rec: no shard $i/4"; done
	# The filter dropped some, dedup removed copies across the parts (the
	# GPL's paragraphs come in several versions), and the accounts add up.
	rec-cat --stats filtered/*.rec > f.json
	rec-cat --stats dedup/*.rec > d.json
	[ "$(jq .trailer.dropped f.json)" -gt 0 ] || fail "the filter dropped nothing"
	assert_equal "$(jq .trailer.read d.json)" "$(jq .trailer.kept f.json)"
	[ "$(jq .trailer.duplicates d.json)" -gt 0 ] || fail "dedup removed nothing"
	assert_equal "$(jq .records d.json)" "$(jq .trailer.kept d.json)"
	# The tokenizer has the vocabulary asked for; the shards hold every
	# token of every part, with an end-of-text after each document.
	assert_equal "$(tok-bpe info -t tokenizer.json | jq .vocab_size)" 512
	tokens=$(rec-cat --stats tokens/*.rec | jq .tokens)
	[ "$tokens" -gt 1000 ] || fail "only $tokens tokens"
	"$PY" - "$tokens" bin/*.bin <<-'PY'
		import struct, sys
		want, total = int(sys.argv[1]), 0
		for path in sys.argv[2:]:
		    data = open(path, "rb").read()
		    magic, version, n = struct.unpack("<3i", data[:12])
		    assert magic == 20240520 and version == 1, (path, magic, version)
		    assert len(data) == 1024 + 2 * n, (path, len(data), n)
		    total += n
		assert total == want, (total, want)
	PY
	cd ..

	recipe j3
	run make -C j3 -j3 SLUICE_BIN="$SLUICE_BIN" "${VARS[@]}"
	assert_success
	same j1 j3

	recipe par
	(cd par && ./run-parallel -j 3 -- SLUICE_BIN="$SLUICE_BIN" "${VARS[@]}") || fail "run-parallel failed"
	same j1 par

	# Done is done: a second run streams nothing and makes nothing.
	nreq=$(wc -l < requests.jsonl)
	run make -C par -q SLUICE_BIN="$SLUICE_BIN" "${VARS[@]}" bin/.done tokenizer.json
	assert_success
	assert_equal "$(wc -l < requests.jsonl)" "$nreq"
}

@test "examples/corpus: a task killed mid-run leaves no output of its part; running again redoes that part only" {
	recipe ref
	make -C ref -j2 SLUICE_BIN="$SLUICE_BIN" "${VARS[@]}" > /dev/null 2>&1 || fail "the reference run failed"
	# rec-filter of part 2 is killed (SIGKILL) once its output is being
	# written; the other programs are the real ones.
	mkdir shim
	for p in "$SLUICE_BIN"/*; do ln -s "$p" shim/; done
	rm shim/rec-filter
	cat > shim/rec-filter <<-EOF
		#!/usr/bin/env bash
		case "\$*" in
		*raw/2.rec*)
		    "$SLUICE_BIN/rec-filter" "\$@" &
		    for _ in \$(seq 200); do compgen -G 'filtered/2.rec.tmp*' > /dev/null && break; sleep 0.01; done
		    kill -STOP \$! # caught in the middle, its output half written
		    touch killed
		    kill -KILL \$!
		    exit 137 ;;
		esac
		exec "$SLUICE_BIN/rec-filter" "\$@"
	EOF
	chmod +x shim/rec-filter
	recipe run
	run make -C run -j2 SLUICE_BIN="$PWD/shim" "${VARS[@]}" stage-filtered
	assert_failure
	[ -e run/killed ] || fail "the task was not killed"
	[ ! -e run/filtered/2.rec ] || fail "a killed task left its output"
	for i in 0 1 3; do [ -e run/filtered/$i.rec ] || fail "part $i was not made"; done
	touch -d '2000-01-01' run/filtered/0.rec run/filtered/1.rec run/filtered/3.rec run/raw/*.rec
	before=$(stat -c '%n %Y' run/filtered/0.rec run/filtered/1.rec run/filtered/3.rec run/raw/*.rec)
	run make -C run -j2 SLUICE_BIN="$SLUICE_BIN" "${VARS[@]}"
	assert_success
	assert_equal "$(stat -c '%n %Y' run/filtered/0.rec run/filtered/1.rec run/filtered/3.rec run/raw/*.rec)" "$before"
	same ref run
}
