#!/usr/bin/env bats
# dedup/decontam: the index of evaluation spans, through
# tests/helpers/decontam-check, against tests/helpers/decontam_oracle.py (an
# independent reading of decontam.h that compares the joined words
# themselves, not their hashes).

load test_helper

setup() {
	CHECK=$SLUICE_TEST_BIN/decontam-check
	ORACLE=$HELPERS/decontam_oracle.py
	[ -x "$CHECK" ] || fail "no decontam-check in SLUICE_TEST_BIN=$SLUICE_TEST_BIN (make test-helpers)"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
}

# like_oracle NGRAM [ARGS...] : the matches of docs.txt against eval.txt
# are the oracle's, and so are the texts and spans counted.
like_oracle() {
	local ngram=$1
	shift
	"$PY" "$ORACLE" match eval.txt docs.txt "$ngram" > want.txt 2> want-counts.txt
	"$CHECK" --ngram "$ngram" --eval eval.txt --docs docs.txt "$@" > got.txt 2> got-counts.txt ||
		fail "decontam-check failed: $(cat got-counts.txt)"
	cmp want.txt got.txt || fail "matches differ from the oracle's"
	assert_equal "$(cat got-counts.txt)" "$(cat want-counts.txt)"
}

@test "random texts with planted spans match as the oracle says (n = 1, 2, 5, 13)" {
	for ngram in 1 2 5 13; do
		"$PY" "$ORACLE" gen eval.txt docs.txt "$ngram" "$ngram"
		like_oracle "$ngram" --mode ws
		# Both kinds of answer occur.
		grep -q -- '^-1$' got.txt || [ "$ngram" = 1 ]
		[ "$(grep -vc -- '^-1$' got.txt)" -ge 100 ]
	done
}

@test "separators never matter: runs of mixed white space, and some at the ends" {
	for ngram in 3 8; do
		"$PY" "$ORACLE" gen eval.txt docs.txt "$ngram" $((ngram + 100)) --ragged
		grep -q "$(printf '\t')" docs.txt
		like_oracle "$ngram" --mode none
	done
	# The same words with other spacing give the same answers.
	printf 'a b c d\nq r\n' > eval.txt
	printf 'x a\t b  c d\n\vq\fr \n' > docs.txt
	run --separate-stderr "$CHECK" --ngram 4 --eval eval.txt --docs docs.txt
	assert_output "$(printf '0\n1')"
}

@test "short evaluation texts match only as a whole run of their words" {
	# n = 4; "b c" has 2 words, so it is a span of 2; "z" of 1.
	printf 'b c\nz\nk l m n o\n' > eval.txt
	printf 'a b c d\na b x c\nc b\nzz z\nl m n o\nk l m x o\n' > docs.txt
	run --separate-stderr "$CHECK" --ngram 4 --eval eval.txt --docs docs.txt
	assert_output "$(printf '0\n-1\n-1\n1\n2\n-1')"
	like_oracle 4
}

@test "the first matching start decides, then the longest span, then the lowest record" {
	# By start: "b c" (record 1) starts before "d e f g" (record 0).
	printf 'd e f g\nb c\n' > eval.txt
	printf 'a b c d e f g\n' > docs.txt
	run --separate-stderr "$CHECK" --ngram 4 --eval eval.txt --docs docs.txt
	assert_output 1
	# At one start the longest: "x" (1 word) and "x y" (2) and "x y z" (3,
	# a full n-gram) all start at word 0.
	printf 'x\nx y\nx y z w\n' > eval.txt
	printf 'x y z\nx y q\nx q\n' > docs.txt
	run --separate-stderr "$CHECK" --ngram 3 --eval eval.txt --docs docs.txt
	assert_output "$(printf '2\n1\n0')"
	like_oracle 3
	# Of the records sharing a span, the lowest: "p q r" is in 1, 2 and 3.
	printf 'a b c\np q r s\nz p q r\np q r\n' > eval.txt
	printf 'p q r\nq r s\n' > docs.txt
	run --separate-stderr "$CHECK" --ngram 3 --eval eval.txt --docs docs.txt
	assert_output "$(printf '1\n1')"
	like_oracle 3
}

@test "no words, no match: empty texts and documents" {
	printf '\n  \t\na b\n' > eval.txt
	printf '\n \na b\n' > docs.txt
	run --separate-stderr "$CHECK" --ngram 5 --eval eval.txt --docs docs.txt
	assert_output "$(printf -- '-1\n-1\n2')"
	assert_equal "$stderr" "texts 3 spans 1"
	like_oracle 5
}

@test "saved and loaded, the index gives the same answers" {
	"$PY" "$ORACLE" gen eval.txt docs.txt 8 42
	like_oracle 8 --mode lower-punct --save index.dc
	"$CHECK" --ngram 8 --mode lower-punct --index index.dc --docs docs.txt > loaded.txt 2> counts.txt
	cmp want.txt loaded.txt
	assert_equal "$(cat counts.txt)" "$(cat want-counts.txt)"
	run --separate-stderr "$CHECK" --is-index index.dc
	assert_output 1
	run --separate-stderr "$CHECK" --is-index eval.txt
	assert_output 0
	run --separate-stderr "$CHECK" --is-index missing
	assert_output 0
}

@test "1 and 4 threads write the same index file" {
	"$PY" "$ORACLE" gen eval.txt docs.txt 5 9
	"$CHECK" --ngram 5 --eval eval.txt --threads 1 --save one.dc 2> /dev/null
	"$CHECK" --ngram 5 --eval eval.txt --threads 4 --save four.dc 2> /dev/null
	"$CHECK" --ngram 5 --eval eval.txt --threads 7 --save seven.dc 2> /dev/null
	cmp one.dc four.dc
	cmp one.dc seven.dc
}

@test "a damaged, truncated or foreign file, or another ngram or mode, is one clear error" {
	"$PY" "$ORACLE" gen eval.txt docs.txt 5 3
	"$CHECK" --ngram 5 --mode ws --eval eval.txt --save good.dc 2> /dev/null
	size=$(filesize good.dc)

	cp good.dc flipped.dc
	flip_byte flipped.dc $((size - 5))
	run --separate-stderr "$CHECK" --ngram 5 --mode ws --index flipped.dc
	assert_failure 1
	assert_equal "$stderr" "decontam-check: flipped.dc: damaged decontamination index (checksum)"

	head -c $((size - 24)) good.dc > short.dc
	run --separate-stderr "$CHECK" --ngram 5 --mode ws --index short.dc
	assert_failure 1
	assert_equal "$stderr" "decontam-check: short.dc: damaged decontamination index (truncated)"

	head -c 20 good.dc > header.dc
	run --separate-stderr "$CHECK" --ngram 5 --mode ws --index header.dc
	assert_equal "$stderr" "decontam-check: header.dc: damaged decontamination index (truncated)"

	{ cat good.dc; printf 'x'; } > long.dc
	run --separate-stderr "$CHECK" --ngram 5 --mode ws --index long.dc
	assert_equal "$stderr" "decontam-check: long.dc: damaged decontamination index (bytes after its end)"

	run --separate-stderr "$CHECK" --ngram 5 --mode ws --index eval.txt
	assert_failure 1
	assert_equal "$stderr" "decontam-check: eval.txt: not a decontamination index"

	run --separate-stderr "$CHECK" --ngram 13 --mode ws --index good.dc
	assert_failure 1
	assert_equal "$stderr" "decontam-check: good.dc: the index was made with --decontam-ngram 5 and --normalize ws, not --decontam-ngram 13 and --normalize ws"
	run --separate-stderr "$CHECK" --ngram 5 --mode lower-punct --index good.dc
	assert_failure 1
	assert_equal "$stderr" "decontam-check: good.dc: the index was made with --decontam-ngram 5 and --normalize ws, not --decontam-ngram 5 and --normalize lower-punct"

	run --separate-stderr "$CHECK" --ngram 5 --mode ws --index missing.dc
	assert_failure 1
	assert_equal "$stderr" "decontam-check: missing.dc: No such file or directory"
}

@test "saving into a missing directory or onto a full device is an error" {
	printf 'a b c\n' > eval.txt
	run --separate-stderr "$CHECK" --ngram 2 --eval eval.txt --save nodir/x.dc
	assert_failure 1
	assert_equal "$stderr" "decontam-check: nodir/x.dc: No such file or directory"
	run --separate-stderr "$CHECK" --ngram 2 --eval eval.txt --save /dev/full
	assert_failure 1
	assert_equal "$stderr" "decontam-check: /dev/full: write error: No space left on device"
}
