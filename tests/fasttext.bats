#!/usr/bin/env bats
# fastText language identification (libcommon/text/fasttext.h), driven by
# tests/helpers/ft-predict.  The oracle is fastText itself (Debian's
# `fasttext` program, 0.9.2): models trained here in seconds on fortune
# cookies in eight languages, then `fasttext predict-prob` and ft-predict
# on held-out lines must give the same labels in the same order with the
# same probabilities (within 1e-5), for every loss, subwords and word
# n-grams, each quantization, k of 1, 3 and all, and thresholds.  Then the
# reading of a line, and damaged or wrong files.

load test_helper

SLUICE_TEST_BIN=${SLUICE_TEST_BIN:-$TOP/build/tests}

setup_file() {
	command -v fasttext > /dev/null || return 0 # each test says so
	export D=$BATS_FILE_TMPDIR
	# 300 training lines and 40 held-out ones per language
	"$PY" "$HELPERS/ft_corpus.py" 300 40 "$D/train.txt" "$D/test.txt"
	# the same lines under 320 labels (language x 40), for -qout, which
	# wants 256 output rows at least
	awk '{ sp = index($0, " "); printf "%s%d%s\n", substr($0, 1, sp - 1), NR % 40, substr($0, sp) }' \
		"$D/train.txt" > "$D/train320.txt"
}

setup() {
	command -v fasttext > /dev/null || fail "no fasttext program (apt-get install fasttext)"
	FT_PREDICT=$SLUICE_TEST_BIN/ft-predict
	[ -x "$FT_PREDICT" ] || fail "no ft-predict in SLUICE_TEST_BIN=$SLUICE_TEST_BIN (run make test-helpers)"
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
}

ft-predict() { "$FT_PREDICT" "$@"; }

# train NAME LOSS [OPTION...]: NAME.bin, a small model of the fortunes
# (words seen 3 times at least: fewer rows make quantizing quick).
train() {
	local name=$1 loss=$2
	shift 2
	fasttext supervised -input "$D/train.txt" -output "$name" -loss "$loss" -dim 8 -epoch 10 -lr 0.5 \
		-minCount 3 -thread 1 -seed 1 -verbose 0 "$@" || fail "fasttext supervised $loss $* failed"
}

# quantize BIN FTZ [OPTION...]: FTZ, the quantized BIN.
quantize() {
	local bin=$1 ftz=$2
	shift 2
	cp "$bin" "${ftz%.ftz}.bin"
	fasttext quantize -input "$D/train.txt" -output "${ftz%.ftz}" -thread 1 -verbose 0 "$@" > /dev/null ||
		fail "fasttext quantize $* failed"
}

# same_predictions MODEL [K THRESHOLD]...: for each K and THRESHOLD (by
# default k 1, 3 and all, and all over a threshold), ft-predict agrees
# with predict-prob on the held-out lines.
same_predictions() {
	local model=$1 k t
	shift
	[ $# -gt 0 ] || set -- 1 0 3 0 -1 0 -1 0.05
	while [ $# -gt 0 ]; do
		k=$1 t=$2
		shift 2
		fasttext predict-prob "$model" "$D/test.txt" "$k" "$t" > expected || fail "predict-prob $model failed"
		ft-predict "$model" "$k" "$t" < "$D/test.txt" > got || fail "ft-predict $model $k $t failed"
		"$PY" "$HELPERS/ft_compare.py" expected got > /dev/null 2> diff ||
			fail "$model, k $k, threshold $t: $(cat diff)"
	done
}

# every_quantization BIN: BIN and its .ftz forms agree with fastText: plain;
# with norms and sub-vectors of 3 (the last one shorter); pruned to 1000
# rows and retrained.
every_quantization() {
	same_predictions "$1"
	quantize "$1" q.ftz
	same_predictions q.ftz
	quantize "$1" qn.ftz -qnorm -dsub 3
	same_predictions qn.ftz
	quantize "$1" qc.ftz -cutoff 1000 -retrain -epoch 1 -lr 0.1
	same_predictions qc.ftz
}

@test "softmax with subwords and word bigrams, and quantized, predicts as fastText" {
	train m softmax -minn 2 -maxn 4 -wordNgrams 2 -bucket 3000
	every_quantization m.bin
}

@test "hierarchical softmax with subwords and word bigrams, and quantized, predicts as fastText" {
	train m hs -minn 2 -maxn 4 -wordNgrams 2 -bucket 3000
	every_quantization m.bin
	# k beyond the label count
	same_predictions m.bin 100 0
}

@test "one-vs-all with subwords and word bigrams, and quantized, predicts as fastText" {
	train m ova -minn 2 -maxn 4 -wordNgrams 2 -bucket 3000
	every_quantization m.bin
}

@test "negative sampling with subwords and word bigrams, and quantized, predicts as fastText" {
	train m ns -minn 2 -maxn 4 -wordNgrams 2 -bucket 3000
	# fastText spends a second on each load of an ns model (its table of
	# negatives, 10M entries): a shorter round than the other losses'
	same_predictions m.bin
	quantize m.bin q.ftz -qnorm -cutoff 1000 -retrain -epoch 1 -lr 0.1
	same_predictions q.ftz 3 0 -1 0.05
}

@test "quantized output matrices (-qout) predict as fastText, with and without norms" {
	# 320 labels barely trained: probabilities close together, so the
	# order of near-equal scores is tested too; dimension 7, so the last
	# sub-vector of the output's quantizer is shorter
	for loss in softmax hs ova; do
		fasttext supervised -input "$D/train320.txt" -output m -loss $loss -dim 7 -epoch 3 -lr 0.5 \
			-minn 2 -maxn 4 -bucket 3000 -minCount 3 -thread 1 -verbose 0
		quantize m.bin q.ftz -qout
		same_predictions q.ftz 3 0 -1 0 5 0.003
		quantize m.bin qn.ftz -qout -qnorm
		same_predictions qn.ftz 3 0 -1 0 5 0.003
	done
}

@test "models without subwords, with longer word n-grams, of one label, predict as fastText" {
	train plain softmax -maxn 0
	same_predictions plain.bin
	train tri hs -maxn 0 -wordNgrams 3 -bucket 5000
	same_predictions tri.bin
	train sub ova -minn 1 -maxn 6 -bucket 3000
	same_predictions sub.bin
	grep '^__label__ru ' "$D/train.txt" > ru.txt
	for loss in softmax hs; do
		fasttext supervised -input ru.txt -output one -loss $loss -dim 4 -epoch 2 -thread 1 -verbose 0
		same_predictions one.bin 1 0 -1 0
	done
}

@test "labels come without the __label__ prefix, and whole" {
	train m softmax -epoch 1
	run --separate-stderr ft-predict -i m.bin
	assert_success
	assert_line --index 0 "dim 8"
	assert_line --index 1 "labels 8"
	assert_line "en __label__en"
	assert_line "ru __label__ru"
	[ "${#lines[@]}" -eq 10 ]
}

@test "a newline inside a text reads as a space; a word </s> ends the text as fastText's line end" {
	train m softmax -minn 2 -maxn 4 -wordNgrams 2 -bucket 3000
	head -n 200 "$D/test.txt" > lines.txt
	# each text with every space made a newline, NUL-terminated
	tr ' \n' '\n\0' < lines.txt > texts
	fasttext predict-prob m.bin lines.txt 3 > expected
	ft-predict -z m.bin 3 < texts > got
	"$PY" "$HELPERS/ft_compare.py" expected got
	# predict-prob takes a word </s> for the end of a line: the rest of the
	# line is predicted as the next
	printf 'Das ist ein Test </s> questo non conta niente\n' > eos.txt
	fasttext predict-prob m.bin eos.txt 2 | head -n 1 > expected
	ft-predict m.bin 2 < eos.txt > got
	"$PY" "$HELPERS/ft_compare.py" expected got
	printf 'Das ist ein Test\n' | fasttext predict-prob m.bin - 2 > expected
	"$PY" "$HELPERS/ft_compare.py" expected got
}

# refused FILE PATTERN: ft-predict refuses FILE with one line on stderr
# that names it and matches PATTERN (grep -E), status 1.
refused() {
	run --separate-stderr ft-predict "$1" < /dev/null
	[ "$status" -eq 1 ] || fail "$1: status $status (want 1), stderr: $stderr"
	[ -z "$output" ] || fail "$1: printed $output"
	[ "${#stderr_lines[@]}" -eq 1 ] || fail "$1: not one line: $stderr"
	[[ $stderr == "ft-predict: $1: "* ]] || fail "$1: message does not name the file: $stderr"
	grep -Eq -- "$2" <<< "$stderr" || fail "$1: '$stderr' does not say '$2'"
}

@test "damaged, wrong and unsupervised files are refused with one line" {
	train m hs -minn 2 -maxn 4 -wordNgrams 2 -bucket 3000
	quantize m.bin q.ftz -qnorm -cutoff 500
	size=$(stat -c %s q.ftz)
	for cut in 3 8 40 64 70 100 $((size / 3)) $((size / 2)) $((size - 1030)) $((size - 1)); do
		head -c $cut q.ftz > cut$cut.ftz
		refused cut$cut.ftz "^ft-predict: cut$cut.ftz: offset [0-9]+: truncated"
	done
	size=$(stat -c %s m.bin)
	for cut in 90 $((size / 2)) $((size - 1)); do
		head -c $cut m.bin > cut$cut.bin
		refused cut$cut.bin "offset [0-9]+: truncated"
	done
	{ printf 'XXXX'; tail -c +5 m.bin; } > magic.bin
	refused magic.bin "offset 0: not a fastText model"
	{ head -c 4 m.bin; printf '\015\000\000\000'; tail -c +9 m.bin; } > version.bin
	refused version.bin "offset 4: fastText file version 13"
	# the dictionary's size (offset 64) one more than its words and labels
	"$PY" -c 'import sys; d = bytearray(open("m.bin", "rb").read()); d[64] += 1; sys.stdout.buffer.write(d)' > size.bin
	refused size.bin "offset 64: dictionary sizes do not add up"
	tr '\n' ' ' < "$D/train.txt" | head -c 100000 > words.txt
	fasttext skipgram -input words.txt -output sg -dim 4 -epoch 1 -minCount 1 -bucket 1000 -thread 1 -verbose 0
	refused sg.bin "offset 36: an unsupervised model \(skipgram\)"
	mkdir dir.bin
	refused dir.bin "a directory"
	: > empty.bin
	refused empty.bin "empty file"
	refused missing.bin "No such file"
}

@test "ft-predict's timing loop predicts the top labels fastText does, and reports a rate" {
	train m hs -minn 2 -maxn 4 -bucket 3000
	run --separate-stderr ft-predict -t m.bin 2 < "$D/test.txt"
	assert_success
	# the loop sums the top labels' indexes (ft-predict -i's order), twice over
	ft-predict -i m.bin | tail -n +3 | cut -d' ' -f2 > labels
	want=$(fasttext predict-prob m.bin "$D/test.txt" 1 |
		awk 'NR == FNR { index_of[$1] = NR - 1; next } { sum += index_of[$1] } END { print 2 * sum }' labels -)
	assert_output --regexp "^[0-9.]+ MB/s [0-9]+ lines/s \(654 lines, label sum $want\)\$"
}
