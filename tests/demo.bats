#!/usr/bin/env bats
# make demo's job (examples/demo.sh), run once at the small scale
# (DEMO_SMALL=1) on the programs under test, and what it leaves behind:
# every artefact it lists is there and sound, the loss fell, the vector
# store finds a paragraph from its own text, the filter holds.  Then the
# Makefile's demo target and scripts/install-deps, which make demo calls,
# without running apt-get: no network and no sudo here.

load test_helper

setup_file() {
	export OUT=$BATS_FILE_TMPDIR/out
	# The run's output and status, for the tests to read.
	set +e
	DEMO_SMALL=1 DEMO_OUT="$OUT" SLUICE_BIN="$SLUICE_BIN" bash "$TOP/examples/demo.sh" \
		> "$BATS_FILE_TMPDIR/stdout" 2> "$BATS_FILE_TMPDIR/stderr"
	echo $? > "$BATS_FILE_TMPDIR/status"
	set -e
}

setup() {
	export PATH="$SLUICE_BIN:$PATH"
	cd "$OUT" 2>/dev/null || cd "$BATS_TEST_TMPDIR"
}

demo_ran() {
	[ "$(cat "$BATS_FILE_TMPDIR/status")" = 0 ] ||
		fail "the demo failed (status $(cat "$BATS_FILE_TMPDIR/status")): $(tail -5 "$BATS_FILE_TMPDIR/stderr")"
}

@test "demo: exits 0, shows every step with its time, and the table of artefacts" {
	demo_ran
	run cat "$BATS_FILE_TMPDIR/stdout"
	for s in 'corpus:' 'hf-stream:' 'tok-bpe train:' 'tok-bpe encode:' 'batchify:' 'train-step:' \
		'train-plot:' 'lm-run generate:' 'lm-embed:' 'vs-upsert:' 'vs-query:'; do
		assert_output --partial "] $s"
	done
	[ "$(grep -c '^\[[0-9]*/11\] ' <<<"$output")" = 11 ] || fail "not 11 numbered steps"
	[ "$(grep -c '^       -> .*([0-9.]* s)$' <<<"$output")" = 11 ] || fail "not 11 timed results"
	assert_output --partial "Artefacts, in $OUT:"
	assert_output --regexp 'The demo took [0-9.]+ s\.'
	# every artefact in the table, by its path
	while IFS=$'\t' read -r path _ _; do
		grep -q "^  $path/\{0,1\} " <<<"$output" || fail "$path not in the table"
	done <"$OUT/artefacts.tsv"
}

@test "demo: every artefact it lists exists and is sound" {
	demo_ran
	n=0
	while IFS=$'\t' read -r path kind what; do
		n=$((n + 1))
		[ -e "$path" ] || fail "$path ($what) is missing"
		case $kind in
		rec) rec-cat --validate "$path" >/dev/null || fail "$path does not validate" ;;
		jsonl) [ -s "$path" ] && jq -e . "$path" >/dev/null || fail "$path is not JSON lines" ;;
		tsv) [ -s "$path" ] && awk -F'\t' 'NF != 3 { exit 1 }' "$path" || fail "$path: not 3 fields a line" ;;
		text) [ -s "$path" ] || fail "$path is empty" ;;
		tokenizer) tok-bpe info -t "$path" >/dev/null || fail "$path is not a tokenizer" ;;
		png) [ "$(head -c 8 "$path" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
			fail "$path is not a PNG" ;;
		checkpoint)
			run --separate-stderr lm-run score -m "$path" -t tokenizer.json <<<'This License applies to any program.'
			assert_success
			jq -e '.loss > 0 and .loss < 20' <<<"$output" >/dev/null || fail "score: $output" ;;
		store) vs-query -s "$path" --verify >/dev/null || fail "$path does not verify" ;;
		*) fail "$path: unknown kind $kind" ;;
		esac
	done <artefacts.tsv
	[ "$n" -ge 15 ] || fail "only $n artefacts listed"
}

@test "demo: one paragraph a record, one vector a paragraph, with its metadata" {
	demo_ran
	docs=$(rec-cat --stats docs.rec | jq .records)
	[ "$docs" -gt 400 ] || fail "only $docs paragraphs"
	assert_equal "$(rec-cat --stats rows.rec | jq .records)" "$docs"
	assert_equal "$(vs-query -s store --stats | jq .points)" "$docs"
	assert_equal "$(vs-query -s store --stats | jq .dim)" 64
	# A point's metadata: the source file, the paragraph number and the text.
	run vs-query -s store --id GPL-3:40
	assert_success
	assert_equal "$(jq -r .metadata.source <<<"$output")" GPL-3
	assert_equal "$(jq -r .metadata.paragraph <<<"$output")" 40
	assert_equal "$(jq -r .metadata.text <<<"$output")" \
		"$(jq -r 'select(.id == "GPL-3:40") | .text' corpus.jsonl)"
}

@test "demo: the loss went down, in training and on the held-out paragraphs" {
	demo_ran
	first=$(jq -s 'map(select(.loss))[0].loss' log.jsonl)
	last=$(jq -s 'map(select(.loss))[-5:] | map(.loss) | add / length' log.jsonl)
	vfirst=$(jq -s 'map(select(.val_loss))[0].val_loss' log.jsonl)
	vlast=$(jq -s 'map(select(.val_loss))[-1].val_loss' log.jsonl)
	assert_equal "$(jq -s 'map(select(.loss)) | length' log.jsonl)" 30
	awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a - 0.5) }' ||
		fail "training loss $first -> $last (mean of the last 5)"
	awk -v a="$vfirst" -v b="$vlast" 'BEGIN { exit !(b < a) }' ||
		fail "validation loss $vfirst -> $vlast"
}

@test "demo: a paragraph's own text, embedded as a query, finds that paragraph first" {
	demo_ran
	# Every 50th paragraph of the store: ten queries, one lm-embed run.
	jq -s -c '[.[] | select(.text | length >= 40)] | to_entries | map(select(.key % 50 == 0) | .value)' \
		corpus.jsonl >picked.json
	n=$(jq length picked.json)
	[ "$n" -ge 10 ] || fail "only $n paragraphs picked"
	args=()
	while IFS= read -r t; do args+=(--text "$t"); done < <(jq -r '.[].text' picked.json)
	lm-embed -m ckpt -t tokenizer.json -q -o q.rec "${args[@]}"
	vs-query -s store -k 1 -q q.rec >hits.jsonl
	assert_equal "$(wc -l <hits.jsonl)" "$n"
	for i in $(seq 0 $((n - 1))); do
		want=$(jq -r ".[$i].id" picked.json)
		got=$(jq -r --arg q "$i" 'select(.query == $q) | .id' hits.jsonl)
		assert_equal "$got" "$want"
	done
}

@test "demo: the question's answers, and the filtered ones all from the file asked for" {
	demo_ran
	assert_equal "$(wc -l <answers.jsonl)" 3
	assert_equal "$(jq -r .rank answers.jsonl | tr '\n' ' ')" '1 2 3 '
	assert_equal "$(wc -l <answers-filtered.jsonl)" 3
	assert_equal "$(jq -r .metadata.source answers-filtered.jsonl | sort -u)" Apache-2.0
	# and they are printed with their text
	top=$(jq -r 'select(.rank == 1) | .id' answers-filtered.jsonl)
	grep -q "1\. $top  (score " "$BATS_FILE_TMPDIR/stdout" || fail "$top not printed"
}

@test "demo: a second run in the same DEMO_OUT gives the same answers" {
	demo_ran
	# on a copy of the first run's DEMO_OUT: the other tests, which may run
	# at the same time (bats --jobs), read the first run's files
	cp -a "$OUT" "$BATS_TEST_TMPDIR/again"
	cd "$BATS_TEST_TMPDIR/again"
	DEMO_SMALL=1 DEMO_OUT="$PWD" run bash "$TOP/examples/demo.sh"
	assert_success
	cmp answers.jsonl "$OUT/answers.jsonl"
	# the store was made anew, not added to
	assert_equal "$(vs-query -s store --stats | jq .points)" "$(rec-cat --stats rows.rec | jq .records)"
}

@test "demo: missing programs, or a corpus that is not a directory, stop it with one line" {
	run --separate-stderr env SLUICE_BIN="$BATS_TEST_TMPDIR" DEMO_OUT="$BATS_TEST_TMPDIR/o" bash "$TOP/examples/demo.sh"
	assert_failure 1
	assert_equal "$stderr" "demo: $BATS_TEST_TMPDIR/hf-stream not found: build first (make), or set SLUICE_BIN"
	run --separate-stderr env DEMO_CORPUS=/nonexistent DEMO_OUT="$BATS_TEST_TMPDIR/o" bash "$TOP/examples/demo.sh"
	assert_failure 1
	assert_equal "$stderr" "demo: /nonexistent: not a directory (DEMO_CORPUS)"
	mkdir "$BATS_TEST_TMPDIR/empty"
	run --separate-stderr env DEMO_CORPUS="$BATS_TEST_TMPDIR/empty" DEMO_OUT="$BATS_TEST_TMPDIR/o" bash "$TOP/examples/demo.sh"
	assert_failure 1
	assert_equal "$stderr" "demo: $BATS_TEST_TMPDIR/empty holds no text files"
}

@test "make demo: the library checks wait for install-deps; other goals still stop at once" {
	cd "$TOP"
	# MAKE=true: make -n would run the recursive $(MAKE) all for real.
	run make -n demo PKGS=sluice-no-such-library MAKE=true
	assert_success
	assert_line --index 0 --partial 'scripts/install-deps'
	assert_output --partial 'examples/demo.sh'
	run make -n demo DEMO_DEPS=0 PKGS=sluice-no-such-library MAKE=true
	assert_success
	assert_line --index 0 --partial '[ "0" != 0 ]'
	run make -n all PKGS=sluice-no-such-library
	assert_failure
	assert_output --partial 'not found by pkg-config: scripts/install-deps installs the Debian packages'
	run make -n PKGS=sluice-no-such-library
	assert_failure
}

@test "make check: installs the test packages first (DEPS=0 skips it), then checks the libraries in the sub-make" {
	cd "$TOP"
	run make -n check PKGS=sluice-no-such-library MAKE=true
	assert_success
	assert_line --index 0 --partial 'scripts/install-deps --tests'
	assert_line --index 1 --partial 'check-fast check-san fuzz'
	run make -n check DEPS=0 PKGS=sluice-no-such-library MAKE=true
	assert_success
	assert_line --index 0 --partial '[ "0" != 0 ]'
	# the sub-make, which runs the suites, stops at once without the libraries
	run make -n check-fast PKGS=sluice-no-such-library
	assert_failure
	assert_output --partial 'not found by pkg-config: scripts/install-deps installs the Debian packages'
	# DEPS=0 reaches make demo too, and DEMO_DEPS=0 still works
	run make -n demo DEPS=0 PKGS=sluice-no-such-library MAKE=true
	assert_line --index 0 --partial '[ "0" != 0 ]'
}

@test "install-deps: lists the packages; with all of them installed, does nothing" {
	run "$TOP/scripts/install-deps" --list
	assert_success
	for p in build-essential libopenblas-dev libjansson-dev jq gnuplot-nox; do assert_line "$p"; done
	refute_line bats
	run "$TOP/scripts/install-deps" --list --tests
	assert_line bats
	assert_line python3-torch
	run "$TOP/scripts/install-deps" --bogus
	assert_failure 2
	command -v dpkg-query >/dev/null || skip "not a Debian system"
	for p in $("$TOP/scripts/install-deps" --list); do
		dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' ||
			skip "$p is not installed: install-deps would run apt-get"
	done
	# no apt-get, no sudo: a PATH where they would fail loudly
	mkdir "$BATS_TEST_TMPDIR/fake"
	printf '#!/bin/sh\necho "$0 ran" >&2\nexit 99\n' >"$BATS_TEST_TMPDIR/fake/apt-get"
	cp "$BATS_TEST_TMPDIR/fake/apt-get" "$BATS_TEST_TMPDIR/fake/sudo"
	chmod +x "$BATS_TEST_TMPDIR/fake/"*
	PATH="$BATS_TEST_TMPDIR/fake:$PATH" run --separate-stderr "$TOP/scripts/install-deps"
	assert_success
	assert_equal "$stderr" 'install-deps: every package is installed'
}
