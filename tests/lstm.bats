#!/usr/bin/env bats
# lstm: the character-level LSTM language model (libcommon/model/lstm.c) against
# a float64 PyTorch nn.Embedding + nn.LSTM + nn.Linear built from the same
# flat parameters (tests/helpers/lstm_torch.py): logits, loss and every
# gradient; the one-token step against the batch forward; finite
# differences; the initialisation; determinism; bad ids and configurations.

load test_helper

check() { "$SLUICE_TEST_BIN/lstm-check" "$@"; }
oracle() { "$PY" "$HELPERS/lstm_torch.py" "$@"; }

# The micro model of the finite-difference check: 383 parameters.
MICRO="-L 2 -H 4 -V 7 -B 2 -T 5"

@test "the parameters are one flat array in the documented order" {
	run check layout .
	assert_success
	assert_output "emb 0 8192 1 2 256 32 0
wih 8192 8192 1 3 2 128 32
whh 16384 8192 1 3 2 128 32
bih 24576 256 0 2 2 128 0
bhh 24832 256 0 2 2 128 0
wout 25088 8192 1 2 256 32 0
bout 33280 256 0 1 256 0 0"
}

@test "forward and backward: logits, loss and every gradient equal PyTorch's" {
	check -j 2 grads . > loss.txt
	run oracle grads . 2 32 256 3 16 "$(cut -d' ' -f2 loss.txt)"
	echo "$output"
	assert_success
}

@test "forward and backward: another shape, one layer, with ignored targets" {
	check -j 2 -L 1 -H 24 -V 50 -B 2 -T 7 -s 3 -I 5 grads . > loss.txt
	run oracle grads . 1 24 50 2 7 "$(cut -d' ' -f2 loss.txt)"
	echo "$output"
	assert_success
	assert_line "targets counted 9 of 14"
}

@test "forward and backward: a deeper model, H not a multiple of the chunk, ignored targets" {
	check -j 2 -L 3 -H 40 -V 256 -B 4 -T 9 -s 5 -I 20 grads . > loss.txt
	run oracle grads . 3 40 256 4 9 "$(cut -d' ' -f2 loss.txt)"
	echo "$output"
	assert_success
	assert_line "targets counted 16 of 36"
}

@test "forward and backward: wide enough (8 chunks of units) for the time steps to be split between threads" {
	check -j 2 -L 2 -H 256 -V 256 -B 16 -T 8 -I 30 grads . > loss.txt
	run oracle grads . 2 256 256 16 8 "$(cut -d' ' -f2 loss.txt)"
	echo "$output"
	assert_success
}

@test "every target ignored: the loss is 0 and so is every gradient" {
	run check -L 1 -H 8 -V 20 -B 2 -T 3 -I 6 grads .
	assert_success
	assert_output "loss 0 0x0p+0"
	run oracle grads . 1 8 20 2 3 0
	echo "$output"
	assert_success
	assert_line "targets counted 0 of 6"
}

@test "lstm_step token by token gives lstm_forward's logits, row by row" {
	run check -j 2 step .
	echo "$output"
	assert_success
	assert_output --partial "reset repeats"
	run check -j 2 -L 3 -H 40 -V 50 -B 2 -T 20 -s 4 step .
	echo "$output"
	assert_success
}

@test "finite differences agree with the gradient of every tensor" {
	run check $MICRO gradcheck .
	echo "$output"
	assert_success
	assert_equal "$(grep -c '^gradcheck' <<< "$output")" 7
	refute_output --partial MISMATCH
	run check $MICRO -s 2 -I 3 gradcheck .
	echo "$output"
	assert_success
}

@test "finite differences catch a gradient 10% off, in any tensor" {
	for t in emb wih whh bih bhh wout bout; do
		run check $MICRO -P $t gradcheck .
		echo "$output"
		assert_failure 1
		assert_line --regexp "^gradcheck $t +.* MISMATCH$"
		assert_equal "$(grep -c 'MISMATCH' <<< "$output")" 1
	done
}

@test "init: PyTorch's ranges from the seed; another seed, other parameters" {
	check -L 3 -H 64 -V 256 -B 2 -T 4 -s 7 grads . > /dev/null
	run oracle init . 3 64 256
	echo "$output"
	assert_success
	mv params.bin first.bin
	check -L 3 -H 64 -V 256 -B 2 -T 4 -s 7 grads . > /dev/null
	cmp first.bin params.bin
	check -L 3 -H 64 -V 256 -B 2 -T 4 -s 8 grads . > /dev/null
	! cmp -s first.bin params.bin
}

@test "determinism: the same seed and threads give the same bits; 1 and 2 threads agree" {
	# wide enough for every kernel to be split between threads
	args="-L 2 -H 256 -V 256 -B 16 -T 12 -I 10"
	for j in 1 2; do
		mkdir a$j b$j
		check -j $j $args grads a$j > a$j/loss.txt
		check -j $j $args grads b$j > b$j/loss.txt
		for f in loss.txt logits.bin grads.bin; do cmp a$j/$f b$j/$f; done
	done
	run oracle close a1 a2 2 256 256
	echo "$output"
	assert_success
}

@test "a token id at the vocab size is refused, not read" {
	run --separate-stderr check badtoken .
	assert_error 1 "lstm-check: lstm: input token 256 at 47 is not below the vocab size 256"
	run --separate-stderr check badtarget .
	assert_error 1 "lstm-check: lstm: target token 256 at 47 is not below the vocab size 256"
	run --separate-stderr check badstep .
	assert_error 1 "lstm-check: lstm: step token 256 is not below the vocab size 256"
}

@test "a bad configuration is refused" {
	run --separate-stderr check -L 0 layout .
	assert_error 1 "lstm-check: lstm: bad configuration (layers 0, hidden 32, vocab 256)"
	run --separate-stderr check -H 0 layout .
	assert_error 1 "lstm-check: lstm: bad configuration (layers 2, hidden 0, vocab 256)"
	run --separate-stderr check -V 0 layout .
	assert_error 1 "lstm-check: lstm: bad configuration (layers 2, hidden 32, vocab 0)"
	run --separate-stderr check -H 1000000 layout .
	assert_error 1 "lstm-check: lstm: bad configuration (layers 2, hidden 1000000, vocab 256)"
}
