#!/usr/bin/env bats
# examples/vector-memory: the recipe users copy, run as CI runs it (SMALL=1):
# licence paragraphs embedded (hashed bag of words), stored by vs-upsert,
# asked by vs-query with a filter, printed with their text.

load test_helper

LICENCES=/usr/share/common-licenses

setup() {
	export PATH="$SLUICE_BIN:$PATH"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
	cp "$TOP/examples/vector-memory/Makefile" "$TOP/examples/vector-memory/embed.py" .
}

# paragraph FILE N : the Nth run of non-blank lines of FILE, its lines joined
# by one space, every run of blanks squeezed to one.
paragraph() {
	awk -v want="$2" 'NF { if (!inp) n++; inp = 1; if (n == want) print; next } { inp = 0 }' "$LICENCES/$1" |
		tr -s ' \t\n' '   ' | sed 's/^ //; s/ $//'
}

# paragraphs FILE : how many runs of non-blank lines FILE has.
paragraphs() { awk 'NF { if (!inp) n++; inp = 1; next } { inp = 0 } END { print n }' "$LICENCES/$1"; }

@test "examples/vector-memory: SMALL=1 stores one point a paragraph and answers within the licence asked" {
	run make SMALL=1 SLUICE_BIN="$SLUICE_BIN"
	assert_success
	want=0
	for f in Apache-2.0 BSD GPL-3 MPL-2.0; do want=$((want + $(paragraphs $f))); done
	[ "$want" -gt 200 ] || fail "only $want paragraphs"
	assert_equal "$(vs-query --store memory --stats | jq .points)" "$want"
	assert_equal "$(vs-query --store memory --stats | jq .dim)" 256
	# The default question, within Apache-2.0: three answers, all from it,
	# printed with their text.
	assert_equal "$(wc -l <answers.jsonl)" 3
	assert_equal "$(jq -r .metadata.source answers.jsonl | sort -u)" Apache-2.0
	assert_output --partial '1. Apache-2.0 paragraph '
	assert_output --partial 'You must give any other recipients of the Work'
}

@test "examples/vector-memory: a point carries its source, paragraph number, length and text" {
	make -s SMALL=1 SLUICE_BIN="$SLUICE_BIN" memory/manifest.json >/dev/null 2>&1
	text=$(paragraph GPL-3 60)
	run vs-query --store memory --id GPL-3:60
	assert_success
	assert_equal "$(jq -r .metadata.source <<<"$output")" GPL-3
	assert_equal "$(jq -r .metadata.paragraph <<<"$output")" 60
	stored=$(jq -r .metadata.text <<<"$output" | tr -s ' ' ' ')
	assert_equal "$stored" "$text"
	assert_equal "$(jq -r '.metadata.length' <<<"$output")" "$(jq -r '.metadata.text | length' <<<"$output")"
}

@test "examples/vector-memory: a phrase from one paragraph brings that paragraph back first" {
	make -s SMALL=1 SLUICE_BIN="$SLUICE_BIN" memory/manifest.json >/dev/null 2>&1
	# Twelve words from the middle of GPL-3's 60th paragraph, over all licences.
	phrase=$(paragraph GPL-3 60 | cut -d' ' -f5-16)
	run make -s SMALL=1 SLUICE_BIN="$SLUICE_BIN" ask LICENCE= QUERY="$phrase"
	assert_success
	assert_equal "$(jq -r 'select(.rank == 1) | .id' answers.jsonl)" GPL-3:60
	assert_line --index 0 --regexp '^1\. GPL-3 paragraph 60 \(score 0\.[0-9]+\)$'
	# Further answers come from elsewhere, with lower scores.
	assert_equal "$(jq -s '.[0].score > .[1].score and .[1].score >= .[2].score' answers.jsonl)" true
}

@test "examples/vector-memory: the filter keeps the answers to the licence chosen" {
	make -s SMALL=1 SLUICE_BIN="$SLUICE_BIN" memory/manifest.json >/dev/null 2>&1
	phrase=$(paragraph GPL-3 60 | cut -d' ' -f5-16)
	# The phrase is GPL-3's, but only BSD's three paragraphs may answer.
	run make -s SMALL=1 SLUICE_BIN="$SLUICE_BIN" ask LICENCE=BSD K=5 QUERY="$phrase"
	assert_success
	assert_equal "$(wc -l <answers.jsonl)" "$(paragraphs BSD)"
	assert_equal "$(jq -r .metadata.source answers.jsonl | sort -u)" BSD
	refute_output --partial GPL-3
	# Without the filter, the same question is answered from elsewhere.
	make -s SMALL=1 SLUICE_BIN="$SLUICE_BIN" ask LICENCE= K=5 QUERY="$phrase" >/dev/null
	[ "$(jq -r .metadata.source answers.jsonl | grep -vcx BSD)" -ge 1 ]
}
