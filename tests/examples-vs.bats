#!/usr/bin/env bats
# examples/vector-memory: the recipe users copy, run as CI runs it (SMALL=1):
# licence paragraphs, a BPE and a small GPT-2 learnt from them, each
# paragraph embedded by that model (lm-embed), stored by vs-upsert, asked by
# vs-query with filters, printed with their text.

load test_helper

LICENCES=/usr/share/common-licenses

# The recipe runs once for the file; each test works on a copy of what it
# made (cp -a keeps the times, so make finds it all up to date).
setup_file() {
	local made=$BATS_FILE_TMPDIR/made
	mkdir "$made"
	cp "$TOP/examples/vector-memory/Makefile" "$made/"
	make -C "$made" SMALL=1 SLUICE_BIN="$SLUICE_BIN" >"$BATS_FILE_TMPDIR/make.out" 2>&1 ||
		fail "make SMALL=1: $(cat "$BATS_FILE_TMPDIR/make.out")"
}

setup() {
	export PATH="$SLUICE_BIN:$PATH"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
	cp -a "$BATS_FILE_TMPDIR/made/." .
}

# paragraph FILE N : the Nth run of non-blank lines of FILE, its lines joined
# by one space, every run of blanks squeezed to one.
paragraph() {
	awk -v want="$2" 'NF { if (!inp) n++; inp = 1; if (n == want) print; next } { inp = 0 }' "$LICENCES/$1" |
		tr -s ' \t\n' '   ' | sed 's/^ //; s/ $//'
}

# paragraphs FILE : how many runs of non-blank lines FILE has.
paragraphs() { awk 'NF { if (!inp) n++; inp = 1; next } { inp = 0 } END { print n }' "$LICENCES/$1"; }

# paragraphs_of_at_least FILE N : how many of them are N characters or more.
paragraphs_of_at_least() {
	awk 'NF { t = inp ? t " " $0 : $0; inp = 1; next } inp { print t; inp = 0 } END { if (inp) print t }' "$LICENCES/$1" |
		tr -s ' \t' '  ' | sed 's/^ //; s/ $//' | awk -v n="$2" 'length >= n' | wc -l
}

# ask ARG... : make ask, quietly, on the copy.
ask() { make -s SMALL=1 SLUICE_BIN="$SLUICE_BIN" ask "$@"; }

@test "examples/vector-memory: SMALL=1 trains a GPT-2 on the paragraphs and stores one point a paragraph" {
	run cat "$BATS_FILE_TMPDIR/make.out"
	want=0
	for f in Apache-2.0 BSD GPL-3 MPL-2.0; do want=$((want + $(paragraphs $f))); done
	[ "$want" -gt 200 ] || fail "only $want paragraphs"
	assert_equal "$(wc -l <docs.jsonl)" "$want"
	# the toolkit made every step: a BPE of 512 tokens, 100 steps of a
	# GPT-2 of 64 channels that learnt something, vectors of its width
	assert_equal "$(tok-bpe info -t tokenizer.json | jq .vocab_size)" 512
	assert_equal "$(jq -s 'map(select(.loss)) | last | .step' log.jsonl)" 100
	jq -se 'map(select(.loss)) | .[-1].loss < .[0].loss - 1' log.jsonl >/dev/null ||
		fail "the loss did not fall: $(jq -c 'select(.loss)' log.jsonl | sed -n '1p;$p')"
	assert_equal "$(rec-cat --stats points.rec | jq .records)" "$want"
	assert_equal "$(vs-query --store memory --stats | jq .points)" "$want"
	assert_equal "$(vs-query --store memory --stats | jq .dim)" 64
	assert_equal "$(vs-query --store memory --stats | jq -r .metric)" cosine
	# The default question, within Apache-2.0: three answers, all from it,
	# best first, printed with their text.
	assert_equal "$(wc -l <answers.jsonl)" 3
	assert_equal "$(jq -r .metadata.source answers.jsonl | sort -u)" Apache-2.0
	assert_equal "$(jq -s '.[0].score >= .[1].score and .[1].score >= .[2].score' answers.jsonl)" true
	first=$(jq -r 'select(.rank == 1) | "1. Apache-2.0 paragraph \(.metadata.paragraph) (score "' answers.jsonl)
	assert_output --partial "$first"
	assert_output --partial "   $(jq -r 'select(.rank == 3) | .metadata.text' answers.jsonl)"
}

@test "examples/vector-memory: a point carries its source, paragraph number, length, text and the model's vector of it" {
	text=$(paragraph GPL-3 60)
	[ "${#text}" -gt 200 ] || fail "GPL-3 paragraph 60: '$text'"
	run vs-query --store memory --id GPL-3:60 --with-vector
	assert_success
	point=$output
	assert_equal "$(jq -r .metadata.source <<<"$point")" GPL-3
	assert_equal "$(jq -r .metadata.paragraph <<<"$point")" 60
	assert_equal "$(jq -r .metadata.text <<<"$point")" "$text"
	assert_equal "$(jq -r .metadata.length <<<"$point")" "${#text}"
	# The stored vector is what lm-embed makes of the text alone (up to
	# float rounding: the recipe embedded it in a batch of others).
	lm-embed -m ckpt -t tokenizer.json -q --format jsonl --text "$text" >alone.jsonl
	jq -se '(.[0].vector | length) == 64 and
		([.[0].vector, .[1].vector] | transpose | map(.[0] - .[1] | fabs) | max) < 1e-4' \
		<(echo "$point") alone.jsonl >/dev/null ||
		fail "stored and fresh vectors differ: $(jq -c '.vector[:4]' <(echo "$point") alone.jsonl)"
}

@test "examples/vector-memory: a paragraph's own text, asked, brings that paragraph back first" {
	# Over all licences, by the index and by a scan of every point.  Two
	# have quotes of both kinds, which reach lm-embed as they are; one is a
	# heading of a few words.
	for id in GPL-3:60 GPL-3:86 Apache-2.0:29 MPL-2.0:12 BSD:2; do
		text=$(paragraph "${id%:*}" "${id#*:}")
		for exact in '' 1; do
			run ask LICENCE= EXACT=$exact QUERY="$text"
			assert_success
			assert_equal "$(jq -r 'select(.rank == 1) | .id' answers.jsonl)" "$id"
			# the same text, the same vector (up to float rounding)
			jq -se '.[0].score > 0.99999' answers.jsonl >/dev/null ||
				fail "$id: scores $(jq -r .score answers.jsonl | tr '\n' ' ')"
			assert_line --index 0 "1. ${id%:*} paragraph ${id#*:} (score 1.000)"
			assert_line --index 1 "   $text"
			# the others come after, scoring less
			jq -se 'length == 3 and .[0].score > .[1].score and .[1].score >= .[2].score' answers.jsonl >/dev/null ||
				fail "$id: $(jq -c '[.id, .score]' answers.jsonl)"
		done
	done
}

@test "examples/vector-memory: the filters keep the answers to the licence and the length chosen" {
	text=$(paragraph GPL-3 60)
	# The text is GPL-3's, but only BSD's three paragraphs may answer.
	run ask LICENCE=BSD K=5 QUERY="$text"
	assert_success
	assert_equal "$(wc -l <answers.jsonl)" "$(paragraphs BSD)"
	assert_equal "$(jq -r .metadata.source answers.jsonl | sort -u)" BSD
	refute_output --partial GPL-3
	# Within GPL-3 and at least 600 characters: every such paragraph, and
	# no other (counted here from the licence itself), the one asked first.
	long=$(paragraphs_of_at_least GPL-3 600)
	[ "$long" -ge 5 ] || fail "only $long long paragraphs"
	text=$(paragraph GPL-3 90)
	[ "${#text}" -ge 600 ] || fail "GPL-3 paragraph 90: '$text'"
	run ask LICENCE=GPL-3 MIN_LENGTH=600 K=1000 QUERY="$text"
	assert_success
	assert_equal "$(wc -l <answers.jsonl)" "$long"
	assert_equal "$(jq -r .metadata.source answers.jsonl | sort -u)" GPL-3
	assert_equal "$(jq -s 'map(.metadata.length) | min >= 600' answers.jsonl)" true
	assert_equal "$(jq -r 'select(.rank == 1) | .id' answers.jsonl)" GPL-3:90
	# Length alone, over all licences: all the long paragraphs of each.
	run ask LICENCE= MIN_LENGTH=600 K=1000 QUERY="$text"
	assert_success
	assert_equal "$(jq -s 'map(.metadata.length) | min >= 600' answers.jsonl)" true
	for f in Apache-2.0 BSD GPL-3 MPL-2.0; do
		assert_equal "$(jq -r .metadata.source answers.jsonl | grep -cx "$f")" "$(paragraphs_of_at_least $f 600)"
	done
	# A licence that is not in the store: no answers, not others'.
	run ask LICENCE=GPL-2 QUERY="$text"
	assert_success
	assert_equal "$(wc -c <answers.jsonl)" 0
}

@test "examples/vector-memory: an empty question, a bad filter or a missing text fails, leaving nothing half made" {
	cp answers.jsonl before.jsonl
	run ask QUERY=
	assert_failure
	assert_output --partial 'lm-embed: --text:0: an empty document'
	cmp answers.jsonl before.jsonl
	# A filter vs-query refuses: no answers.jsonl, rather than an empty one.
	run ask MIN_LENGTH=long QUERY='any question'
	assert_failure
	assert_output --partial 'vs-query: '
	[ ! -e answers.jsonl ] || fail "answers.jsonl left: $(wc -c <answers.jsonl) bytes"
	# A text that is not there stops the recipe at its first step.
	mkdir fresh
	cp Makefile fresh/
	run make -C fresh SMALL=1 SLUICE_BIN="$SLUICE_BIN" TEXTS="$LICENCES/BSD $BATS_TEST_TMPDIR/no-such-text"
	assert_failure
	assert_output --partial "no-such-text"
	assert_equal "$(ls fresh)" Makefile
}
