#!/usr/bin/env bats
# gpt2: the numerical core of train-step (libcommon/model/gpt2.c) against a
# float64 PyTorch model built from the same flat parameters
# (tests/helpers/gpt2_torch.py): loss, every gradient, AdamW steps; the
# initialisation; determinism across runs and thread counts; bad tokens;
# ignored targets; logits; a parity model (L2 H4 C64 V1000) within 1e-4;
# a finite-difference check; the gradient norm.

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

@test "ignored targets: right padding is left out of the loss and its gradient" {
	check -j 2 -i 5 grads . > loss.txt
	run oracle grads . $TINY "$(cut -d' ' -f2 loss.txt)"
	echo "$output"
	assert_success
	assert_line "counted positions 18 of 48"
}

@test "ignored targets: none counted gives loss 0 and a zero gradient" {
	check -i 16 grads . > loss.txt
	assert_equal "$(cat loss.txt)" "loss 0 0x0p+0"
	run oracle grads . $TINY 0
	echo "$output"
	assert_success
	assert_line "counted positions 0 of 48"
}

@test "ignored targets: AdamW on a padded batch gives PyTorch's losses" {
	check -j 2 -i 3 -n 5 train . > losses.txt
	run oracle train . $TINY 5 < losses.txt
	echo "$output"
	assert_success
}

@test "logits: a forward without targets leaves them for gpt2_logits" {
	check -j 2 logits .
	run oracle logits . $TINY
	echo "$output"
	assert_success
}

# The parity model of the issue: L=2 NH=4 C=64 V=1000 (Vp=1024), maxT=32,
# batch 4 x 32; everything within 1e-4 relative of float64 PyTorch.
PARITY="-L 2 -H 4 -C 64 -S 32 -V 1000 -B 4 -T 32 -s 11 -j 2"
PARITY_SHAPE="2 4 64 32 1000 4 32"

@test "parity model: the logits" {
	check $PARITY logits .
	run oracle logits . $PARITY_SHAPE 1e-4
	echo "$output"
	assert_success
}

@test "parity model: the loss and every parameter's gradient" {
	check $PARITY grads . > loss.txt
	run oracle grads . $PARITY_SHAPE "$(cut -d' ' -f2 loss.txt)" 1e-4
	echo "$output"
	assert_success
	# all sixteen tensors were compared
	assert_equal "$(grep -c '^grad ' <<< "$output")" 16
}

@test "parity model: the parameters after five AdamW steps" {
	check $PARITY -n 5 train . > losses.txt
	run oracle train . $PARITY_SHAPE 5 1e-4 < losses.txt
	echo "$output"
	assert_success
	assert_equal "$(grep -c '^param [a-z0-9]* *rel=' <<< "$output")" 16
}

# The micro model of the finite-difference check: L=1 NH=2 C=8 V=11, 2 x 4.
MICRO="-L 1 -H 2 -C 8 -S 4 -V 11 -B 2 -T 4"

@test "finite differences: the backward pass is the loss's slope, every tensor" {
	for s in 1 2 3; do
		run check $MICRO -s $s fdcheck .
		echo "$output"
		assert_success
		assert_equal "$(grep -c '^fd ' <<< "$output")" 16
	done
	# and with ignored targets
	run check $MICRO -i 2 fdcheck .
	echo "$output"
	assert_success
}

@test "finite differences: a planted gradient error is caught" {
	run check $MICRO -x fdcheck .
	echo "$output"
	assert_failure 1
	assert_line --regexp '^fd qkvw .* worst [0-9.]+e-0[12]$'
}

@test "gradient norm: the same bits for any thread count, the plain sum's value" {
	check -j 1 -L 3 -C 64 -V 5000 norm . > one.txt
	check -j 2 -L 3 -C 64 -V 5000 norm . > two.txt
	check -j 3 -L 3 -C 64 -V 5000 norm . > three.txt
	assert_equal "$(cut -d' ' -f2 one.txt)" "$(cut -d' ' -f2 two.txt)"
	assert_equal "$(cut -d' ' -f2 one.txt)" "$(cut -d' ' -f2 three.txt)"
	run "$PY" -c 'import sys; a, b = (float.fromhex(x) for x in sys.argv[1:]); print(a, b); sys.exit(abs(a - b) > 1e-12 * b or a == 0)' \
		"$(cut -d' ' -f2 one.txt)" "$(cut -d' ' -f4 one.txt)"
	assert_success
}
