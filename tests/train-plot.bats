#!/usr/bin/env bats
# train-plot: real PNGs of the asked size from gnuplot, the script's data
# equal to the log's, --smooth against a moving average computed here in
# Python, NaN losses left out with one warning, and bad input, a missing
# or failing gnuplot, which leave no output behind and an old one as it was.

load test_helper

# A small log: steps 1-5, eval records after steps 2 and 4, as train-step
# writes them (%.9g numbers).
small_log() {
	cat > "$1" <<-'EOF'
		{"step":1,"loss":4.5,"lr":0.0006,"grad_norm":1.25,"tokens_per_s":1000.0,"ms":12.5}
		{"step":2,"loss":4.25,"lr":0.0006,"grad_norm":1.5,"tokens_per_s":1001.0,"ms":12.4}
		{"step":2,"val_loss":4.375,"val_ppl":79.43,"val_batches":4}
		{"step":3,"loss":3.90000001,"lr":0.0006,"grad_norm":1,"tokens_per_s":999.5,"ms":12.6}
		{"step":4,"loss":3.5,"lr":0.0006,"grad_norm":0.75,"tokens_per_s":1000.0,"ms":12.5}
		{"step":4,"val_loss":3.75,"val_ppl":42.52,"val_batches":4}
		{"step":5,"loss":3.125,"lr":0.0006,"grad_norm":0.5,"tokens_per_s":1000.0,"ms":12.5}
	EOF
}

# rand_log FILE N SEED: N step records with random losses (and an eval
# record every 10 steps).
rand_log() {
	"$PY" - "$@" <<-'EOF'
		import json, random, sys
		path, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
		rng = random.Random(seed)
		with open(path, "w") as f:
		    for s in range(1, n + 1):
		        loss = 10 / (1 + s / 50) + rng.uniform(-0.5, 0.5)
		        f.write(json.dumps({"step": s, "loss": loss, "lr": 6e-4, "grad_norm": 1.0,
		                            "tokens_per_s": 1000.0, "ms": 10.0}) + "\n")
		        if s % 10 == 0:
		            f.write(json.dumps({"step": s, "val_loss": loss + 0.1, "val_ppl": 1.0,
		                                "val_batches": 2}) + "\n")
	EOF
}

# png_size FILE: "W H" from the IHDR chunk, after checking the signature.
png_size() {
	"$PY" - "$1" <<-'EOF'
		import struct, sys
		d = open(sys.argv[1], "rb").read()
		assert d[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
		assert d[12:16] == b"IHDR", "no IHDR chunk first"
		print("%d %d" % struct.unpack(">II", d[16:24]))
	EOF
}

# block NAME < script: the lines of datablock $NAME.
block() { sed -n "/^\\\$$1 << EOD\$/,/^EOD\$/p" | sed '1d;$d'; }

# ---- the PNG ----------------------------------------------------------------

@test "a PNG of the default size, 900x540, in loss.png; nothing else left in the directory" {
	small_log run.jsonl
	run --separate-stderr train-plot run.jsonl
	assert_success
	assert_output ''
	assert_no_stderr
	assert_equal "$(png_size loss.png)" "900 540"
	assert_equal "$(ls)" "$(printf 'loss.png\nrun.jsonl')"
}

@test "--size W,H gives a PNG of W by H pixels; -o names it; file(1) agrees" {
	small_log run.jsonl
	train-plot --size 640,360 -o a.png run.jsonl
	assert_equal "$(png_size a.png)" "640 360"
	run file a.png
	assert_output --partial 'PNG image data, 640 x 360'
	train-plot --size 1234,567 --smooth 2 --logy --title 'a title' -o b.png run.jsonl
	assert_equal "$(png_size b.png)" "1234 567"
}

@test "a different log gives a different PNG; the same log the same one" {
	small_log one.jsonl
	rand_log two.jsonl 100 1
	train-plot -o one.png one.jsonl
	train-plot -o one-again.png one.jsonl
	train-plot -o two.png two.jsonl
	cmp one.png one-again.png
	! cmp -s one.png two.png
}

@test "-o - writes the PNG to standard output" {
	small_log run.jsonl
	train-plot --size 300,200 -o - run.jsonl > out.png
	assert_equal "$(png_size out.png)" "300 200"
	[ ! -e loss.png ]
}

@test "several logs are several runs on one plot, named by file or --label" {
	small_log a.jsonl
	rand_log b.jsonl 30 2
	rand_log c.jsonl 20 3
	train-plot -o abc.png a.jsonl b.jsonl c.jsonl
	png_size abc.png
	run --separate-stderr train-plot --script --label 'lr 6e-4' a.jsonl b.jsonl c.jsonl
	assert_success
	assert_output --regexp "\\\$train1 using 1:2 .* title 'lr 6e-4'"
	assert_output --regexp "\\\$val1 using 1:2 .* title 'lr 6e-4 \\(val\\)'"
	assert_output --regexp "\\\$train2 using 1:2 .* title 'b.jsonl'"
	assert_output --regexp "\\\$train3 using 1:2 .* title 'c.jsonl'"
	assert_output --regexp "\\\$val3 using 1:2 .* title 'c.jsonl \\(val\\)'"
	assert_equal "$(block train2 <<<"$output" | wc -l)" 30
	assert_equal "$(block val2 <<<"$output" | wc -l)" 3
}

# ---- the script -------------------------------------------------------------

@test "--script: the log's points exactly, the title, the labels and the output name" {
	small_log run.jsonl
	run --separate-stderr train-plot --script --title "Bob's run" -o out.png run.jsonl
	assert_success
	assert_no_stderr
	assert_equal "$(block train1 <<<"$output")" "$(printf '1 4.5\n2 4.25\n3 3.90000001\n4 3.5\n5 3.125')"
	assert_equal "$(block val1 <<<"$output")" "$(printf '2 4.375\n4 3.75')"
	assert_line "set title 'Bob''s run'"
	assert_line "set output 'out.png'"
	assert_line "set xlabel 'step'"
	assert_output --partial "title 'run.jsonl'"
	assert_output --partial "title 'run.jsonl (val)'"
	refute_output --partial 'logscale'
	refute_output --partial '$smooth1'
	[ ! -e out.png ]
	run train-plot --script --logy --size 400,300 run.jsonl
	assert_line 'set logscale y'
	assert_line "set output 'loss.png'"
	assert_output --partial 'size 400,300'
}

@test "--script piped to gnuplot draws the same PNG as train-plot does" {
	small_log run.jsonl
	train-plot --smooth 2 -o direct.png run.jsonl
	train-plot --script --smooth 2 -o piped.png run.jsonl | gnuplot
	cmp direct.png piped.png
}

@test "a log without eval records draws no validation curve" {
	grep -v val_loss <(small_log /dev/stdout) > run.jsonl
	run train-plot --script run.jsonl
	assert_success
	refute_output --partial '$val1'
	refute_output --partial '(val)'
}

@test "--smooth N: the trailing mean of the last N losses, as Python computes it" {
	rand_log run.jsonl 200 7
	for n in 1 2 3 7 50 199 200 1000; do
		train-plot --script --smooth $n run.jsonl > s.gp
		block smooth1 < s.gp > got
		block train1 < s.gp > raw
		"$PY" - run.jsonl $n got <<-'EOF' || fail "--smooth $n"
			import json, sys
			recs = [json.loads(l) for l in open(sys.argv[1])]
			steps = [(r["step"], r["loss"]) for r in recs if "loss" in r]
			n = int(sys.argv[2])
			got = [tuple(map(float, l.split())) for l in open(sys.argv[3])]
			assert len(got) == len(steps), (len(got), len(steps))
			for i, ((s, _), (gs, gv)) in enumerate(zip(steps, got)):
			    w = [l for _, l in steps[max(0, i + 1 - n):i + 1]]
			    want = sum(w) / len(w)
			    assert gs == s, (i, gs, s)
			    assert abs(gv - want) <= 1e-12 * abs(want), (i, gv, want)
		EOF
		# the raw curve is still there, in full, faint and untitled
		assert_equal "$(wc -l < raw)" 200
		grep -q "^ *\$train1 using 1:2 with lines lc rgb '#B0[0-9a-f]*' lw 1 notitle" s.gp
	done
}

@test "--smooth 1 is the raw curve itself" {
	rand_log run.jsonl 50 9
	train-plot --script --smooth 1 run.jsonl > s.gp
	assert_equal "$(block smooth1 < s.gp)" "$(block train1 < s.gp)"
}

# ---- NaN and infinity -------------------------------------------------------

@test "NaN and infinite losses (as C and Python write them) are left out with one warning" {
	cat > d.jsonl <<-'EOF'
		{"step":1,"loss":4.5,"lr":0.0006,"grad_norm":1,"tokens_per_s":1000.0,"ms":12.5}
		{"step":2,"loss":nan,"lr":0.0006,"grad_norm":nan,"tokens_per_s":1000.0,"ms":12.5}
		{"step":3,"loss":-nan,"lr":0.0006,"grad_norm":-nan,"tokens_per_s":1000.0,"ms":12.5}
		{"step":3,"val_loss":inf,"val_ppl":inf,"val_batches":4}
		{"step":4,"loss": NaN, "lr": 0.0006}
		{"step":5,"loss": -Infinity, "lr": 0.0006}
		{"step":6,"loss":"NaN","note":"nan inf, in a string"}
		{"step":7,"loss":3.25,"lr":0.0006,"grad_norm":1,"tokens_per_s":1000.0,"ms":12.5}
		{"step":7,"val_loss":3.5,"val_ppl":33.1,"val_batches":4}
	EOF
	run --separate-stderr train-plot --script d.jsonl
	assert_success
	assert_error 0 "train-plot: d.jsonl:2: loss is NaN: points with a NaN or infinite loss are left out"
	assert_equal "$(block train1 <<<"$output")" "$(printf '1 4.5\n7 3.25')"
	assert_equal "$(block val1 <<<"$output")" "7 3.5"
	# once per file: two logs, two warnings
	cp d.jsonl e.jsonl
	run --separate-stderr train-plot -o two.png d.jsonl e.jsonl
	assert_success
	assert_equal "${#stderr_lines[@]}" 2
	assert_equal "${stderr_lines[1]}" "train-plot: e.jsonl:2: loss is NaN: points with a NaN or infinite loss are left out"
	png_size two.png
}

@test "a log whose every loss is NaN is an error (status 8)" {
	printf '{"step":1,"loss":nan}\n{"step":2,"loss":inf}\n' > d.jsonl
	run --separate-stderr train-plot d.jsonl
	assert_equal "$status" 8
	assert_equal "${stderr_lines[-1]}" "train-plot: d.jsonl: every training loss is NaN or infinite: nothing to plot"
	[ ! -e loss.png ]
}

# ---- bad input --------------------------------------------------------------

@test "a line that is not JSON: status 8 naming the file and line; no output" {
	small_log bad.jsonl
	sed -i '3s/.*/step 3 loss 4.0/' bad.jsonl
	run --separate-stderr train-plot bad.jsonl
	assert_error 8 "train-plot: bad.jsonl:3: not a JSON object"
	[ ! -e loss.png ]
	# (nan and inf are read as values only, not as keys or parts of words)
	for line in '[1, 2]' '"a string"' '42' '{"step":1,"loss":1} trailing' '{"step":1,' \
		'{"step":2,"loss":4, nan: 3}' '{"step":2,"loss":nanx}' '{"step":2,"loss":[nan]}'; do
		printf '{"step":1,"loss":4}\n%s\n{"step":3,"loss":3}\n' "$line" > bad.jsonl
		run --separate-stderr train-plot --script bad.jsonl
		assert_error 8 "train-plot: bad.jsonl:2: not a JSON object"
	done
}

@test "a record without a numeric step, or with a loss that is not a number: status 8" {
	printf '{"step":1,"loss":4}\n{"loss":3.5}\n' > a.jsonl
	run --separate-stderr train-plot a.jsonl
	assert_error 8 'train-plot: a.jsonl:2: a record without "step"'
	printf '{"step":"1","loss":4}\n' > b.jsonl
	run --separate-stderr train-plot b.jsonl
	assert_error 8 'train-plot: b.jsonl:1: "step" is not a number'
	for v in '"4.5"' null true '[4]' '{}'; do
		printf '{"step":1,"loss":4}\n{"step":2,"loss":%s}\n' "$v" > c.jsonl
		run --separate-stderr train-plot c.jsonl
		assert_error 8 'train-plot: c.jsonl:2: "loss" is not a number'
	done
	printf '{"step":1,"loss":4}\n{"step":2,"val_loss":"x"}\n' > d.jsonl
	run --separate-stderr train-plot d.jsonl
	assert_error 8 'train-plot: d.jsonl:2: "val_loss" is not a number'
	[ ! -e loss.png ]
}

@test "a log without step records: status 8 (eval records only, or empty)" {
	printf '{"step":2,"val_loss":4.375,"val_ppl":79.43,"val_batches":4}\n' > evals.jsonl
	run --separate-stderr train-plot evals.jsonl
	assert_error 8 'train-plot: evals.jsonl: no step records (a "step" with a "loss"): nothing to plot'
	: > empty.jsonl
	run --separate-stderr train-plot empty.jsonl
	assert_error 8 'train-plot: empty.jsonl: no step records (a "step" with a "loss"): nothing to plot'
	# the good log first does not save the bad one after it
	small_log good.jsonl
	run --separate-stderr train-plot good.jsonl empty.jsonl
	assert_equal "$status" 8
	[ ! -e loss.png ]
}

@test "blank lines are skipped; records of other kinds with a step are skipped" {
	printf '\n{"step":1,"loss":4}\n   \n{"step":1,"event":"ckpt"}\n{"step":2,"loss":3}\n\n' > a.jsonl
	run --separate-stderr train-plot --script a.jsonl
	assert_success
	assert_no_stderr
	assert_equal "$(block train1 <<<"$output")" "$(printf '1 4\n2 3')"
}

@test "an incomplete last line (a run still writing) is left out with a warning" {
	printf '{"step":1,"loss":4}\n{"step":2,"loss":3}\n{"step":3,"lo' > a.jsonl
	run --separate-stderr train-plot --script a.jsonl
	assert_success
	assert_error 0 'train-plot: a.jsonl:3: an incomplete last line, left out'
	assert_equal "$(block train1 <<<"$output")" "$(printf '1 4\n2 3')"
}

@test "a missing log: status 1, and nothing written" {
	small_log good.jsonl
	run --separate-stderr train-plot good.jsonl nope.jsonl
	assert_error 1 'train-plot: nope.jsonl: No such file or directory'
	[ ! -e loss.png ]
}

@test "usage errors: status 2 with a hint to --help" {
	small_log run.jsonl
	for args in '--no-such-option run.jsonl' '' '--smooth 0 run.jsonl' '--smooth x run.jsonl' \
		'--size 900 run.jsonl' '--size 900,x run.jsonl' '--size 8,8 run.jsonl' \
		'--label a --label b run.jsonl' '- -'; do
		run --separate-stderr train-plot $args
		assert_equal "$status" 2
		assert_equal "${stderr_lines[-1]}" "Try 'train-plot --help' for more information."
	done
	[ ! -e loss.png ]
}

# ---- gnuplot missing or failing ---------------------------------------------

@test "gnuplot not on PATH: status 1, a clear message, the old output untouched" {
	small_log run.jsonl
	echo old > loss.png
	run --separate-stderr env PATH="$SLUICE_BIN" "$SLUICE_BIN/train-plot" run.jsonl
	assert_error 1 'train-plot: gnuplot not found: install gnuplot-nox'
	assert_equal "$(cat loss.png)" old
	assert_equal "$(ls)" "$(printf 'loss.png\nrun.jsonl')"
	# --script needs no gnuplot
	run --separate-stderr env PATH="$SLUICE_BIN" "$SLUICE_BIN/train-plot" --script run.jsonl
	assert_success
	assert_output --partial '$train1 << EOD'
}

# fake_gnuplot STATUS [WRITE]: a gnuplot on PATH that writes WRITE into the
# file of the script's `set output`, then exits with STATUS.
fake_gnuplot() {
	mkdir -p fake
	cat > fake/gnuplot <<-EOF
		#!/bin/bash
		while IFS= read -r line; do
		    case \$line in
		    "set output '"*) out=\${line#"set output '"}; out=\${out%"'"} ;;
		    esac
		done
		[ -n "$2" ] && printf '%s' "$2" > "\$out"
		exit $1
	EOF
	chmod +x fake/gnuplot
}

@test "gnuplot failing: status 1, no partial output, the old output untouched" {
	small_log run.jsonl
	fake_gnuplot 1 'half a PNG'
	echo old > out.png
	run --separate-stderr env PATH="$PWD/fake:$PATH" train-plot -o out.png run.jsonl
	assert_equal "$status" 1
	assert_equal "${stderr_lines[-1]}" 'train-plot: gnuplot failed (exit status 1): no PNG written'
	assert_equal "$(cat out.png)" old
	assert_equal "$(ls)" "$(printf 'fake\nout.png\nrun.jsonl')"
	# and with no old output: none at all
	rm out.png
	run --separate-stderr env PATH="$PWD/fake:$PATH" train-plot -o out.png run.jsonl
	assert_equal "$status" 1
	assert_equal "$(ls)" "$(printf 'fake\nrun.jsonl')"
}

@test "gnuplot succeeding without writing a PNG: status 1, the old output untouched" {
	small_log run.jsonl
	fake_gnuplot 0 'not a png'
	echo old > loss.png
	run --separate-stderr env PATH="$PWD/fake:$PATH" train-plot run.jsonl
	assert_error 1 'train-plot: loss.png: gnuplot wrote no whole PNG: nothing written'
	assert_equal "$(cat loss.png)" old
	assert_equal "$(ls)" "$(printf 'fake\nloss.png\nrun.jsonl')"
	# a PNG cut short (its signature, no IEND chunk), as a full disk leaves one
	fake_gnuplot 0 $'\x89PNG\r\n\x1a\n\0\0\0\rIHDR and then nothing more'
	run --separate-stderr env PATH="$PWD/fake:$PATH" train-plot run.jsonl
	assert_error 1 'train-plot: loss.png: gnuplot wrote no whole PNG: nothing written'
	assert_equal "$(cat loss.png)" old
}

@test "control characters in labels and titles become spaces, not broken scripts" {
	small_log run.jsonl
	run --separate-stderr train-plot --script --label $'two\nlines' --title $'a\nb' run.jsonl
	assert_line "set title 'a b'"
	assert_output --partial "title 'two lines'"
	train-plot --label $'two\nlines' --title $'a\nb' run.jsonl
	png_size loss.png
}

@test "an output in a directory that does not exist: status 1, nothing written" {
	small_log run.jsonl
	run --separate-stderr train-plot -o no/such/dir/x.png run.jsonl
	assert_error 1 'train-plot: no/such/dir/x.png: No such file or directory'
}

# ---- pipes ------------------------------------------------------------------

@test "--script | head: ends quietly on the closed pipe" {
	rand_log big.jsonl 100000 5
	run --separate-stderr bash -c 'train-plot --script big.jsonl | head -3; echo "${PIPESTATUS[0]}" > status'
	assert_success
	assert_no_stderr
	assert_equal "${#lines[@]}" 3
	# killed by SIGPIPE, as cat is, or done before head closed the pipe
	run cat status
	assert_output --regexp '^(0|141)$'
}

@test "a log on standard input (-)" {
	small_log run.jsonl
	run --separate-stderr bash -c 'train-plot --script - < run.jsonl'
	assert_success
	assert_output --partial "title 'stdin'"
	assert_equal "$(block train1 <<<"$output" | wc -l)" 5
}
