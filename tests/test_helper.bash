# test_helper.bash - common setup for the rec-cat and rec-pack suites.
#
# The programs come from $SLUICE_BIN (an absolute bin directory; `make check`
# runs the suite once on bin/ and once on the sanitized build/san/bin), or
# the repository's bin/ when it is unset.  It goes first on PATH, so tests
# call rec-cat and rec-pack by name and error messages read as users see them.

bats_require_minimum_version 1.5.0 # run --separate-stderr, run -N

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
HELPERS=$TOP/tests/helpers
PY=/usr/bin/python3
SLUICE_BIN=${SLUICE_BIN:-$TOP/bin}
case $SLUICE_BIN in
/*) ;;
*) SLUICE_BIN=$(cd "$SLUICE_BIN" 2>/dev/null && pwd || echo "$TOP/$SLUICE_BIN") ;;
esac
REC_CAT=$SLUICE_BIN/rec-cat
# `make -j check` hands the suite its jobserver; a make that a test runs must
# not inherit it (the pipe is closed by then).
unset MAKEFLAGS MFLAGS MAKELEVEL
# A part set for a whole recipe (base/shard.h) would cut every test's input.
unset SLUICE_SHARD
# The suites check results against CPU oracles: any GPU is hidden, or
# --device auto would train on it.  tests/train-step-cuda.bats, the one
# suite for GPUs, sets SLUICE_TEST_GPU=1 before loading this file.
[ "${SLUICE_TEST_GPU:-}" = 1 ] || export CUDA_VISIBLE_DEVICES=
REC_PACK=$SLUICE_BIN/rec-pack

setup() {
	[ -x "$REC_CAT" ] && [ -x "$REC_PACK" ] ||
		fail "no rec-cat/rec-pack in SLUICE_BIN=$SLUICE_BIN (run make first)"
	export PATH="$SLUICE_BIN:$PATH"
	unset SLUICE_MAX_FRAME
	# A directory of the test's own: bats keeps its scratch files (run
	# --separate-stderr) beside it, in BATS_TEST_TMPDIR, out of `ls`.
	mkdir "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
}

# mkframes SPEC... : raw frames from the independent Python writer (see
# tests/helpers/mkframes.py for the SPEC language) on stdout.
mkframes() { "$PY" "$HELPERS/mkframes.py" "$@"; }

# frame_offset FILE N : byte offset of the Nth frame (0 = the header) of FILE.
frame_offset() {
	"$PY" "$HELPERS/mkframes.py" --list "$1" | sed -n "$(($2 + 1))p" | cut -d' ' -f1
}

# flip_byte FILE OFFSET : invert every bit of one byte of FILE, in place.
flip_byte() {
	"$PY" - "$1" "$2" <<-'EOF'
		import sys
		path, at = sys.argv[1], int(sys.argv[2])
		data = bytearray(open(path, "rb").read())
		data[at] ^= 0xFF
		open(path, "wb").write(data)
	EOF
}

# filesize FILE
filesize() { stat -c %s "$1"; }

# After `run --separate-stderr`: the exit status is $1 and stderr is exactly
# the one line $2 (so it is one line, and nothing else was said).
assert_error() {
	assert_equal "$status" "$1"
	assert_equal "$stderr" "$2"
	assert_equal "${#stderr_lines[@]}" 1
}

# After `run --separate-stderr`: nothing at all on stderr.
assert_no_stderr() {
	assert_equal "$stderr" ""
}

# json_get FILE EXPR : evaluate a Python expression over the JSON document
# `j` read from FILE and print the result (json-encoded if not a string).
json_get() {
	"$PY" -c '
import json, sys
j = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$2"
}

# shard_cut I N FILE... : the lines that part I of N must read of these
# text files (base/shard.h's rule, written here from its documentation):
# files I, I+N, ... when there are at least N files, else every Nth line
# across the files in order, from line I.
shard_cut() {
	local i=$1 n=$2
	shift 2
	if [ $# -ge "$n" ]; then
		local k=0 f
		for f in "$@"; do
			[ $((k % n)) = "$i" ] && cat "$f"
			k=$((k + 1))
		done
		return 0
	fi
	cat "$@" | awk -v i="$i" -v n="$n" '(NR - 1) % n == i'
}

# shard_texts_files N : three text files of N distinct lines between them
# (uneven: 1/6, 2/6 and 3/6 of the lines), a.txt b.txt c.txt.
shard_texts_files() {
	local n=$1
	seq 1 "$n" | awk -v n="$n" '{ f = NR <= n / 6 ? "a" : NR <= n / 2 ? "b" : "c"; print "line " $1 " of the corpus, number " $1 " " > (f ".txt") }'
}
