#!/usr/bin/env bats
# gpt2: the numerical core of train-step (libcommon/gpt2.c) against a
# float64 PyTorch model built from the same flat parameters
# (tests/helpers/gpt2_torch.py): loss, every gradient, AdamW steps; the
# initialisation; determinism across runs and thread counts; bad tokens.

load test_helper

# The tiny model: L=2 NH=2 C=32 maxT=16 V=101 (Vp=128), batch 3 x 16.
TINY="2 2 32 16 101 3 16"

check() { "$SLUICE_TEST_BIN/gpt2-check" "$@"; }
oracle() { "$PY" "$HELPERS/gpt2_torch.py" "$@"; }

@test "the parameters are one flat array in the documented order" {
	run check layout .
	assert_success
	assert_output "wte 0 4096 1 128 32 0
wpe 4096 512 1 16 32 0
ln1w 4608 64 0 2 32 0
ln1b 4672 64 0 2 32 0
qkvw 4736 6144 1 2 96 32
qkvb 10880 192 0 2 96 0
attprojw 11072 2048 1 2 32 32
attprojb 13120 64 0 2 32 0
ln2w 13184 64 0 2 32 0
ln2b 13248 64 0 2 32 0
fcw 13312 8192 1 2 128 32
fcb 21504 256 0 2 128 0
fcprojw 21760 8192 1 2 32 128
fcprojb 29952 64 0 2 32 0
lnfw 30016 32 0 32 0 0
lnfb 30048 32 0 32 0 0"
}

@test "init: GPT-2's scales from the seed, LayerNorm 1, biases and padding 0" {
	check -L 4 -H 4 -C 64 -S 32 -V 1000 -s 7 grads . > /dev/null
	run oracle init . 4 4 64 32 1000 3 16
	assert_success
	# the same seed, the same parameters
	mv params.bin first.bin
	check -L 4 -H 4 -C 64 -S 32 -V 1000 -s 7 grads . > /dev/null
	cmp first.bin params.bin
	check -L 4 -H 4 -C 64 -S 32 -V 1000 -s 8 grads . > /dev/null
	! cmp -s first.bin params.bin
}

@test "forward and backward: loss and every gradient equal PyTorch's" {
	check -j 2 grads . > loss.txt
	run oracle grads . $TINY "$(cut -d' ' -f2 loss.txt)"
	echo "$output"
	assert_success
}

@test "forward and backward: another shape, T below max_seq, wider vocab padding" {
	check -j 2 -L 3 -H 4 -C 48 -S 16 -V 300 -B 2 -T 7 -s 3 grads . > loss.txt
	run oracle grads . 3 4 48 16 300 2 7 "$(cut -d' ' -f2 loss.txt)"
	echo "$output"
	assert_success
}

@test "AdamW: ten steps give PyTorch's losses, with its decay groups" {
	check -j 2 -n 10 train . > losses.txt
	run oracle train . $TINY 10 < losses.txt
	echo "$output"
	assert_success
}

@test "determinism: the same seed, data and threads give the same loss bits" {
	for j in 1 2; do
		check -j $j -n 5 train . > a.txt
		check -j $j -n 5 train . > b.txt
		cmp a.txt b.txt
	done
	# across thread counts only OpenBLAS's blocking may differ
	check -j 1 -n 5 train . > one.txt
	check -j 2 -n 5 train . > two.txt
	paste one.txt two.txt | awk '{ d = $3 - $7; if (d < 0) d = -d; if (d / $3 >= 1e-5) { print; bad = 1 } } END { exit bad }'
}

@test "a token id at or beyond the vocab is refused, not read" {
	run --separate-stderr check badtoken .
	assert_error 1 "gpt2-check: gpt2: input token 101 at 47 is not below the vocab size 101"
}
