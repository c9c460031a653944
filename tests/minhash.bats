#!/usr/bin/env bats
# rec-dedup's text normalisation (libcommon/dedup/normalize.h) and MinHash
# (libcommon/dedup/minhash.h), driven by tests/helpers/minhash-sign.  The
# oracle is tests/helpers/minhash_oracle.py, written from the headers with
# Python's unicodedata, xxhash and numpy: the two must print the same
# bytes for the normalised texts (every character Python knows, and hard
# mixed text), the shingle hashes, the signatures and band keys (several
# seeds, n-gram sizes and band shapes) and exact Jaccard similarities.
# Then results written out by hand, bad parameters, and the LSH S-curve:
# pairs of documents of known similarity share a band as often as
# 1 - (1 - s^rows)^bands says.

load test_helper

SLUICE_TEST_BIN=${SLUICE_TEST_BIN:-$TOP/build/tests}

setup() {
	MINHASH_SIGN=$SLUICE_TEST_BIN/minhash-sign
	[ -x "$MINHASH_SIGN" ] || fail "no minhash-sign in SLUICE_TEST_BIN=$SLUICE_TEST_BIN (run make test-helpers)"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
}

minhash-sign() { "$MINHASH_SIGN" "$@"; }
oracle() { "$PY" "$HELPERS/minhash_oracle.py" "$@"; }

# same_as_oracle FILE [OPTION...]: minhash-sign and the oracle print the
# same for FILE.
same_as_oracle() {
	local f=$1
	shift
	minhash-sign "$@" < "$f" > c.out || fail "minhash-sign $* failed"
	oracle "$@" < "$f" > py.out || fail "oracle $* failed"
	[ -s py.out ] || [ ! -s "$f" ] || fail "oracle $* printed nothing"
	cmp -s c.out py.out || fail "$*: C and Python differ: $(diff c.out py.out | head -n 6)"
}

# normalizes_to MODE TEXT EXPECTED (printf formats): one document's
# normalised bytes.
normalizes_to() {
	printf "$2" > in.txt
	printf "$3" > want.txt
	minhash-sign -z --normalize "$1" --print norm < in.txt |
		"$PY" -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read().strip()))' > got.txt
	cmp -s got.txt want.txt ||
		fail "$1 of '$2': got $(od -An -c got.txt | head -c 200), want $(od -An -c want.txt | head -c 200)"
}

# ASCII with every kind of byte the table sorts: letters of both cases,
# digits, each punctuation and symbol, the six white space bytes, other
# control bytes (not white space, though Python's str.isspace takes
# \x1c..\x1f), NUL; documents that are empty, all space, all punctuation.
ascii_corpus() {
	printf 'Hello,  World!\tThis is   a TEST.\n'
	printf '  The quick brown fox (jumps) over the lazy dog -- again & again...  \n'
	printf '\n \t \r\v\f \n'
	printf '!"#$%%&'"'"'()*+,-./:;<=>?@[\\]^_`{|}~\n'
	printf 'a\001b\x1cc\x1fd\x7fe \x1e f\0g\n'
	printf 'x.y,z  1.5e10  $100  e-mail: some.one@example.com  C++ R&D\n'
	printf 'ONE TWO THREE FOUR FIVE SIX SEVEN EIGHT NINE TEN ELEVEN TWELVE THIRTEEN FOURTEEN\n'
	printf 'short\n'
}

# Unicode that the rules must get right: mixed scripts, combining marks,
# the non-ASCII white space, spaces that are not White_Space (U+200B,
# U+180E), symbols and emoji, letters whose lowercase is another length
# (U+023A, U+0130, U+212A) or context-dependent in str.lower() (final
# sigma), titlecase digraphs, bytes that are not UTF-8 (stray, truncated,
# surrogates, overlong), and documents holding newlines (-z).
unicode_corpus() {
	printf 'İstanbul ΣΑΣ σας ΌΣΟΣ Ⱥ Ⱦ K Å ẞ ǅ ǈ Ω Ünïcödé\0'
	printf 'café cafe\xcc\x81 ñ n\xcc\x83 Ǆ ǆ ﬁ Ⅻ ⅻ Ⓐ ⓐ 𝐀 𐐀 Ꭰ ꭰ Ა\0'
	printf 'a\xc2\xa0b\xc2\x85c\xe1\x9a\x80d\xe2\x80\x80e\xe2\x80\x8af\xe2\x80\xa8g\xe2\x80\xa9h\xe2\x80\xafi\xe2\x81\x9fj\xe3\x80\x80k\0'
	printf 'zero\xe2\x80\x8bwidth mongolian\xe1\xa0\x8evowel \xe2\x80\x8c\xe2\x80\x8d joiners\0'
	printf '中文，标点。「引号」 日本語の、テキスト！ 한국어 문장입니다. العربية، نص؟ עברית: טקסט\0'
	printf 'Emoji 😀👍🏽 👨‍👩‍👧 ©®™ €£¥ ±×÷ ∑∫ ← → ★ ♥ — – … « » ‘ ’ “ ” ¿¡ § ¶ • ·\0'
	printf 'bad \xff\xfe bytes \xe4\xb8 cut \xf0\x9f\x98 \xed\xa0\x80 surrogate \xc0\xaf overlong \xe2!\x80\x83 joined\0'
	printf 'Line one.\nLine TWO!\r\nline\tthree\0'
	printf 'ไทย ภาษา देवनागरी हिन्दी ქართული Ελληνικά Русский ТЕКСТ\0'
	printf '\0'
	printf '\xc2\xa0\xe3\x80\x80 \t\0'
}

@test "normalize: ASCII in all three modes, as the oracle" {
	ascii_corpus > ascii.txt
	for mode in none ws lower-punct; do
		same_as_oracle ascii.txt --normalize "$mode" --print norm
	done
	# One document a line: the corpus's nine.
	[ "$(wc -l < c.out)" -eq 9 ]
}

@test "normalize: hard Unicode and bytes that are not UTF-8 in all three modes, as the oracle" {
	unicode_corpus > unicode.txt
	for mode in none ws lower-punct; do
		same_as_oracle unicode.txt -z --normalize "$mode" --print norm
	done
	[ "$(wc -l < c.out)" -eq 11 ]
}

@test "normalize: every character in Python's Unicode database, between letters, as the oracle" {
	# One document per code point (NUL and the surrogates aside), between
	# two letters so that a deleted character or a space shows.  Code
	# points unassigned in Python's database (Unicode 14 in Python 3.11)
	# are left out: utf8proc may know them from a later version.
	"$PY" - > every.txt <<-'EOF'
		import sys, unicodedata
		docs = [("A" + chr(c) + "b").encode() for c in range(1, 0x110000)
		        if not 0xD800 <= c <= 0xDFFF and unicodedata.category(chr(c)) != "Cn"]
		sys.stdout.buffer.write(b"\0".join(docs) + b"\0")
	EOF
	same_as_oracle every.txt -z --normalize ws --print norm
	same_as_oracle every.txt -z --normalize lower-punct --print norm
	[ "$(wc -l < c.out)" -gt 280000 ]
}

@test "normalize: results written out by hand" {
	normalizes_to lower-punct "  Hello,\tWORLD!!  It's   5 o'clock.  " "hello world its 5 oclock"
	normalizes_to ws "  Hello,\tWORLD!! \xc2\xa0\xe3\x80\x80 x \n" "Hello, WORLD!! x"
	normalizes_to none "  A\tB  " "  A\tB  "
	# Unicode's simple lowercase: U+0130 is 'i' (str.lower() gives two
	# characters), sigma stays sigma at a word's end, U+023A grows from
	# two bytes to three (U+2C65), U+212A KELVIN SIGN is ASCII 'k'.
	normalizes_to lower-punct "\xc4\xb0STANBUL \xce\xa3\xce\x91\xce\xa3" "istanbul \xcf\x83\xce\xb1\xcf\x83"
	normalizes_to lower-punct "\xc8\xba\xc8\xba" "\xe2\xb1\xa5\xe2\xb1\xa5"
	normalizes_to lower-punct "\xe2\x84\xaa" "k"
	# Combining marks (Mn) and U+200B (Cf, not white space) stay; emoji,
	# (c) and the euro sign (S*) and the em dash (Pd) go.
	normalizes_to lower-punct "Cafe\xcc\x81 a\xe2\x80\x8bb" "cafe\xcc\x81 a\xe2\x80\x8bb"
	normalizes_to lower-punct "\xf0\x9f\x98\x80 ok \xc2\xa9 \xe2\x82\xac5\xe2\x80\x94six" "ok 5six"
	# Bytes that are not UTF-8 stay as they are; control bytes are no space.
	normalizes_to lower-punct "A\xffB \xe4\xb8 X" "a\xffb \xe4\xb8 x"
	normalizes_to ws "a\x1cb \x1f" "a\x1cb \x1f"
	normalizes_to lower-punct "... !!! ---" ""
	normalizes_to ws "" ""
}

@test "shingles: n-grams of 1, 3, 5 and 13 words, and texts of fewer words, as the oracle" {
	ascii_corpus > ascii.txt
	unicode_corpus > unicode.txt
	for n in 1 3 5 13; do
		for mode in none lower-punct; do
			same_as_oracle ascii.txt --normalize "$mode" --ngram "$n" --print shingles
			same_as_oracle unicode.txt -z --normalize "$mode" --ngram "$n" --print shingles
		done
	done
	# Written out: a text of fewer words than the n-gram is one shingle,
	# the bytes from its first word to its last, separators as they are;
	# a text of white space alone has none.
	printf '  just\t two  \n \t \n' > few.txt
	run minhash-sign --normalize none --ngram 5 --print shingles < few.txt
	assert_success
	want=$("$PY" -c 'import xxhash; print("%016x" % xxhash.xxh3_64_intdigest(b"just\t two"))')
	assert_output "$want"
	# ... and the second document's line is there, empty.
	[ "$(minhash-sign --normalize none --ngram 5 --print shingles < few.txt | wc -l)" -eq 2 ]
	printf 'one two three\n' > three.txt
	run minhash-sign --ngram 2 --print shingles < three.txt
	want=$("$PY" -c 'import xxhash; print(" ".join("%016x" % xxhash.xxh3_64_intdigest(s) for s in (b"one two", b"two three")))')
	assert_output "$want"
}

# A corpus of documents of random words, some with punctuation, capitals,
# Unicode and odd spacing, from 0 to 80 words.
random_corpus() {
	"$PY" - <<-'EOF'
		import random
		rng = random.Random(20)
		vocab = ["the", "a", "of", "Data", "set", "model", "TRAIN", "token,", "text.", "(web)",
		         "Café", "naïve", "ΣΟΦΙΑ", "中文", "日本", "😀", "—", "x-y", "don't", "42", "3.14"]
		for _ in range(200):
		    words = [rng.choice(vocab) for _ in range(rng.randrange(0, 81))]
		    print("".join(w + rng.choice([" ", " ", " ", "  ", "\t", " \u00a0 "]) for w in words))
	EOF
}

@test "signatures: several seeds and n-gram sizes at 14x8, as numpy" {
	random_corpus > docs.txt
	unicode_corpus > unicode.txt
	for seed in 0 1 42 18446744073709551615; do
		for n in 1 3 5 13; do
			same_as_oracle docs.txt --seed "$seed" --ngram "$n" --print sig
		done
		same_as_oracle unicode.txt -z --seed "$seed" --print sig
	done
	# The empty document's signature: every value UINT64_MAX.
	printf '\n' > empty.txt
	run minhash-sign --bands 2 --rows 2 --print sig < empty.txt
	assert_output "ffffffffffffffff ffffffffffffffff ffffffffffffffff ffffffffffffffff"
}

@test "band keys: 14x8, 20x5 and 1x1 bands, as the oracle" {
	random_corpus > docs.txt
	for shape in "14 8" "20 5" "1 1"; do
		set -- $shape
		for seed in 1 7; do
			same_as_oracle docs.txt --seed "$seed" --bands "$1" --rows "$2" --print keys
			same_as_oracle docs.txt --seed "$seed" --bands "$1" --rows "$2" --print sig
		done
	done
	# One band of one row: its key is XXH3-64, seed 0, of the one value's
	# eight little-endian bytes.
	printf 'some words here\n' > one.txt
	sig=$(minhash-sign --bands 1 --rows 1 --print sig < one.txt)
	run minhash-sign --bands 1 --rows 1 --print keys < one.txt
	assert_output "$("$PY" -c 'import sys, xxhash; print("%016x" % xxhash.xxh3_64_intdigest(int(sys.argv[1], 16).to_bytes(8, "little"), seed=0))' "$sig")"
	# --quiet: the number of documents alone, from both.
	run minhash-sign --quiet < docs.txt
	assert_output 200
	run oracle --quiet < docs.txt
	assert_output 200
}

@test "minhash_set and minhash_jaccard: the exact Jaccard similarity of shingle sets, as Python's sets" {
	random_corpus > docs.txt
	for n in 1 2 5; do
		same_as_oracle docs.txt --ngram "$n" --print jaccard
	done
	# Written out: {a b c d} and {a b c e}: 3/5; two empty texts: 1; a
	# text with a repeated word counts it once.
	printf 'a b c d\na b c e\n\n\nx x y\nx y\n' > pairs.txt
	run minhash-sign --ngram 1 --print jaccard < pairs.txt
	assert_output "4 4 0.59999999999999998
0 0 1
2 2 1"
}

@test "parameters out of range are refused with the reason" {
	printf 'text\n' > t.txt
	for bad in "--ngram 0" "--ngram 1001" "--bands 0" "--bands 1025" "--rows 0" "--rows 1025"; do
		run -2 minhash-sign $bad < t.txt
		assert_output --partial "out of range"
	done
	run minhash-sign --ngram 1000 --bands 1024 --rows 1 --print keys < t.txt
	assert_success
}

@test "LSH S-curve: pairs of Jaccard s share a band with probability 1-(1-s^r)^b (14x8, 20x5)" {
	# 400 pairs at each s, 200 distinct words per pair; one word a
	# shingle.  Also checks that each signature value agrees with
	# probability s, i.e. that the affine permutations mod 2^64 behave
	# as min-wise independent ones.
	sims=0.3,0.4,0.5,0.6,0.7,0.8,0.85,0.9
	"$PY" "$HELPERS/minhash_pairs.py" make --pairs 400 --sims $sims > pairs.txt
	minhash-sign --ngram 1 --seed 3 --print sig < pairs.txt > sig14.txt
	run "$PY" "$HELPERS/minhash_pairs.py" check --pairs 400 --sims $sims --bands 14 --rows 8 < sig14.txt
	[ "$status" -eq 0 ] || fail "14x8: $output"
	minhash-sign --ngram 1 --seed 4 --bands 20 --rows 5 --print sig < pairs.txt > sig.txt
	run "$PY" "$HELPERS/minhash_pairs.py" check --pairs 400 --sims $sims --bands 20 --rows 5 < sig.txt
	[ "$status" -eq 0 ] || fail "20x5: $output"
	# The check can fail: signatures of unrelated pairs (the documents
	# shifted by one) are far from the curve.
	{ tail -n +2 sig14.txt; head -n 1 sig14.txt; } > shifted.txt
	run "$PY" "$HELPERS/minhash_pairs.py" check --pairs 400 --sims $sims --bands 14 --rows 8 < shifted.txt
	[ "$status" -eq 1 ]
	assert_output --partial OFF
}
