#!/usr/bin/env bats
# Words and sentences as datatrove's quality filters see them: spaCy's
# blank English tokenizer and sentencizer (libcommon/text/wordtok.h),
# driven by tests/helpers/wordtok-dump.  The oracle is
# tests/helpers/spacy_en.py, an independent implementation of the same
# documented rules with regular expressions.  Each hand-written case
# states the split spaCy's rules give, and both must print it; then the
# two must agree token for token on real text.

load test_helper

SLUICE_TEST_BIN=${SLUICE_TEST_BIN:-$TOP/build/tests}

setup() {
	WORDTOK_DUMP=$SLUICE_TEST_BIN/wordtok-dump
	[ -x "$WORDTOK_DUMP" ] || fail "no wordtok-dump in SLUICE_TEST_BIN=$SLUICE_TEST_BIN (run make test-helpers)"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
}

wordtok-dump() { "$WORDTOK_DUMP" "$@"; }
oracle() { /usr/bin/python3 "$HELPERS/spacy_en.py" "$@"; }

# splits_as [-s] TEXT(printf format) ITEM...: the C split and the
# oracle's are ITEM... (one a line; then the blank line that ends a text).
splits_as() {
	local opt=()
	[ "$1" = -s ] && opt=(-s) && shift
	local text=$1
	shift
	local want
	want=$(printf '%s\n' "$@")
	run --separate-stderr wordtok-dump "${opt[@]}" < <(printf "$text")
	assert_success
	assert_output "$want"
	run --separate-stderr oracle "${opt[@]}" < <(printf "$text")
	assert_success
	assert_output "$want"
}

# first_docs BYTES: the whole NUL-ended documents among the first BYTES of
# standard input (so no character is cut in two).
first_docs() {
	head -c "$1" | /usr/bin/python3 -c 'import sys; d = sys.stdin.buffer.read(); sys.stdout.buffer.write(d[:d.rfind(b"\0") + 1])'
}

# same_split FILE: C and the oracle agree on FILE, words and sentences.
same_split() {
	wordtok-dump < "$1" > c.words || fail "wordtok-dump failed on $1"
	oracle < "$1" > py.words || fail "the oracle failed on $1"
	cmp -s c.words py.words || fail "words differ on $1: $(diff c.words py.words | head -n 8)"
	wordtok-dump -s < "$1" > c.sents || fail "wordtok-dump -s failed on $1"
	oracle -s < "$1" > py.sents || fail "the oracle -s failed on $1"
	cmp -s c.sents py.sents || fail "sentences differ on $1: $(diff c.sents py.sents | head -n 8)"
	[ "$(grep -c . c.words)" -gt 0 ] || fail "no words at all in $1"
}

@test "prefixes and suffixes peel off punctuation, quotes and brackets" {
	splits_as 'Hello, world!' Hello , world !
	splits_as '("quoted")' '(' '"' quoted '"' ')'
	splits_as '¿Qué? ¡Sí!' ¿ Qué ? ¡ Sí !
	splits_as '[a] {b} <c> #tag *x* &y' '[' a ']' '{' b '}' '<' c '>' '#' tag '*' x '*' '&' y
	splits_as '§5 %%x =y —z' § 5 % x = y — z
	splits_as '+x +5' + x +5
	splits_as '“Curly” ‘single’ «guillemets»' “ Curly ” ‘ single ’ « guillemets »
}

@test "a final period splits after lower case, digits and punctuation, not after one capital" {
	splits_as 'end. 42. x). A. AB. ab.' end . 42 . x ')' . A. AB . ab .
	splits_as 'U.S.A. done' U.S.A. done
}

@test "ellipses are prefixes, suffixes and infixes" {
	splits_as '...so wait... yes...no well…' ... so wait ... yes ... no well …
	splits_as 'a..b' a .. b
}

@test "infixes: hyphens between letters, arithmetic between digits, periods and commas" {
	splits_as 'well-known co-op a--b x—y' well - known co - op a -- b x — y
	splits_as '1-2 3+4 5*6 2^8 10-' 1 - 2 3 + 4 5 '*' 6 2 ^ 8 10-
	splits_as 'hello.World one,two' hello . World one , two
	splits_as 'a/b a:b 4/c x=y' a / b a : b 4 / c x = y
	splits_as 'e-mail 5-a' e - mail 5 - a
}

@test "numbers keep their decimals; units and currencies split off" {
	splits_as '$5.00 US$10 €3 5€' '$' 5.00 US$ 10 € 3 5 €
	splits_as '10km 5kg 3m/s 100%% 20°C.' 10 km 5 kg 3 m/s 100 % 20 ° C .
	splits_as '1,000 3.14 v2' 1,000 3.14 v2
}

@test "contractions split into their words, with either apostrophe" {
	splits_as "don't I'm you're it's can't won't" do "n't" I "'m" you "'re" it "'s" ca "n't" wo "n't"
	splits_as "y'all gonna cannot let's I'ma" "y'" all gon na can not let "'s" I "'m" a
	splits_as 'don’t they’ve' do n’t they ’ve
	splits_as "dont im hes" do nt i m he s
	splits_as "ill well its Its" ill well its Its
	splits_as "John's JOHN'S" John "'s" JOHN "'S"
	splits_as "'em ('em) 'cause o'clock ma'am" "'em" '(' "'em" ')' "'cause" "o'clock" "ma'am"
}

@test "abbreviations, times and single letters keep their periods" {
	splits_as 'Mr. Smith e.g. i.e. Dr. Ph.D. Calif. vs.' Mr. Smith e.g. i.e. Dr. Ph.D. Calif. vs.
	splits_as '(e.g., this) x-Mr. Jan.' '(' e.g. , this ')' x - Mr. Jan.
	splits_as '3pm 11a.m. 13pm' 3 pm 11 a.m. 13pm
	splits_as 'a. b. z.' a. b. z.
}

@test "emoticons stay whole, also glued to a word" {
	splits_as ':) :-( ;) :D <3 ^_^ o.O ¯\\(ツ)/¯' ':)' ':-(' ';)' ':D' '<3' '^_^' 'o.O' '¯\(ツ)/¯'
	splits_as 'Hi:)' Hi ':)'
	# but ":-" is no suffix and no infix before the end, so "ok:-)" is
	# "ok:-" ")", which is not the emoticon's own split ":" "-" ")"
	splits_as 'ok:-)' 'ok:-' ')'
	splits_as "''quoted'' C++" "''" quoted "''" C++
}

@test "URLs, e-mail addresses and public IP addresses are single tokens" {
	splits_as 'see https://example.com/a-b?c=d. or www.foo.org, ok' see https://example.com/a-b?c=d . or www.foo.org , ok
	splits_as 'user@example.com 8.8.8.8:80/x-y' user@example.com 8.8.8.8:80/x-y
	# a URL before any infix: "hello.World.com" is a host name
	splits_as 'hello.World.com sub-x.example.co.uk' hello.World.com sub-x.example.co.uk
	# no lower-case TLD: not a URL, and the period between lower and upper
	# case is an infix
	splits_as 'hello.World and.Com' hello . World and . Com
	# a private address is no URL: "/" between a digit and a letter splits
	splits_as '10.0.0.1/a-b' 10.0.0.1 / a - b
}

@test "non-ASCII letters are letters" {
	splits_as 'naïve Über-cool Москва-река façade.' naïve Über - cool Москва - река façade .
	splits_as '中文。' 中文 。
}

@test "white space: runs, tabs and newlines separate and vanish; empty text has no words" {
	splits_as 'a  b\t\tc\n\nd \u00a0e' a b c d e
	splits_as '' ''
	splits_as '   \n\t ' ''
}

@test "documents are NUL-separated and split on their own" {
	splits_as 'one two\0three.\0\0' one two '' three . '' ''
}

@test "sentences end after . ! ? and the punctuation that follows them" {
	splits_as -s 'Hello there. How are you? Fine!' 'Hello there.' 'How are you?' 'Fine!'
	# after "?" the next token that is not punctuation opens a sentence;
	# '"' is punctuation and stays behind
	splits_as -s 'Wait... what?! "Yes." Then no.' 'Wait... what?! "' 'Yes."' 'Then no.'
	splits_as -s 'Mr. Smith came. e.g. this' 'Mr. Smith came.' 'e.g. this'
	splits_as -s 'One.Two. Three' 'One.' 'Two.' 'Three'
	splits_as -s 'v1.2. next' 'v1.2.' 'next'
	splits_as -s 'Line one.\nLine two\n\nthree.' 'Line one.' 'Line two\n\nthree.'
	splits_as -s '  \n ' ''
}

@test "a whitespace token after the period starts the next sentence" {
	# "\n" is a token of its own and not punctuation, so it opens the
	# sentence and the ")" after it stays there.
	splits_as -s 'Hi. \n) there' 'Hi.' ') there'
	splits_as -s 'Hi. ) there' 'Hi. )' 'there'
}

@test "bytes that are not UTF-8 and NUL inside words are characters of no class" {
	# (C only: the oracle reads such bytes as U+FFFD, a symbol)
	run --separate-stderr wordtok-dump < <(printf 'x\xff y \xc3(z (\xff) a\0b\0')
	assert_success
	assert_output "$(printf 'x\xff\ny\n\xc3(z\n(\n\xff\n)\na\n\nb\n\n')"
	run --separate-stderr wordtok-dump < <(head -c 200000 /dev/urandom)
	assert_success
	run --separate-stderr wordtok-dump -s < <(head -c 200000 /dev/urandom)
	assert_success
}

@test "C and the oracle agree on the licence texts" {
	for f in /usr/share/common-licenses/*; do
		[ -f "$f" ] && cat "$f" && printf '\0'
	done > licences.txt
	same_split licences.txt
}

@test "C and the oracle agree on man pages" {
	local pages=(/usr/share/man/man1/*.gz)
	for f in "${pages[@]:0:400}"; do
		zcat "$f" 2>/dev/null && printf '\0'
	done | first_docs 1500000 > man.txt
	[ -s man.txt ] || skip "no man pages here"
	same_split man.txt
}

@test "C and the oracle agree on fortunes" {
	[ -d /usr/share/games/fortunes ] || skip "no fortunes installed (Debian: fortunes)"
	find /usr/share/games/fortunes -type f ! -name '*.dat' ! -name '*.u8' -exec cat {} + |
		tr '%' '\0' | first_docs 2000000 > fortunes.txt
	same_split fortunes.txt
}

@test "pathological chunks: long runs of one affix or infix" {
	{
		printf '%s\n' "$(printf '(%.0s' {1..3000})x$(printf ')%.0s' {1..3000})"
		printf '%s\n' "$(printf 'a-%.0s' {1..3000})" "$(printf '.%.0s' {1..5000})"
		printf '%s\n' "$(printf "'%.0s" {1..3000})" "$(printf ':)%.0s' {1..2000})"
		printf '%s\n' "$(printf 'e.g.%.0s' {1..1000})" "$(printf 'x@%.0s' {1..1000})y.com"
	} > long.txt
	same_split long.txt
}

@test "C and the oracle agree on random mixes of what the rules look at" {
	/usr/bin/python3 "$HELPERS/wordtok_random.py" 19 4000 > random.txt
	same_split random.txt
}
