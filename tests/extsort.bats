#!/usr/bin/env bats
# base/extsort: the external sort, through tests/helpers/extsort-check (text
# in, sorted text out, the runs spilled on stderr).  GNU sort -n, which
# compares numbers of any length exactly, is the oracle.

load test_helper

setup() {
	CHECK=$SLUICE_TEST_BIN/extsort-check
	[ -x "$CHECK" ] || fail "no extsort-check in SLUICE_TEST_BIN=$SLUICE_TEST_BIN (make test-helpers)"
	mkdir "$BATS_TEST_TMPDIR/work" "$BATS_TEST_TMPDIR/spill"
	cd "$BATS_TEST_TMPDIR/work"
	SPILL=$BATS_TEST_TMPDIR/spill
}

# records N WORDS SEED [BITS] : N random records of WORDS words, each word
# below 2^BITS (64 unless given), so small BITS makes many ties.
records() {
	"$PY" - "$@" <<-'EOF'
		import random, sys
		n, words, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
		bits = int(sys.argv[4]) if len(sys.argv) > 4 else 64
		r = random.Random(seed)
		out = sys.stdout
		for _ in range(n):
		    out.write(" ".join(str(r.getrandbits(bits)) for _ in range(words)) + "\n")
	EOF
}

# oracle WORDS < in : the records in order, by every word as a number.
oracle() {
	local keys=() w
	for ((w = 1; w <= $1; w++)); do keys+=(-k"$w,$w"); done
	LC_ALL=C sort -n "${keys[@]}"
}

# sorts_like_oracle WORDS ARGS... < in : the driver's output is the oracle's.
sorts_like_oracle() {
	local words=$1
	shift
	cat > sortin.txt
	oracle "$words" < sortin.txt > want.txt
	"$CHECK" --words "$words" --tmpdir "$SPILL" "$@" < sortin.txt > got.txt 2> runs.txt ||
		fail "extsort-check failed: $(cat runs.txt)"
	cmp want.txt got.txt || fail "output differs from sort -n"
}

# runs : the number of runs the last sort spilled.
runs() { sed -n 's/^runs //p' runs.txt; }

@test "small inputs sort in memory as sort -n does" {
	for n in 1 2 47 48 49 1000 20000; do
		records "$n" 2 "$n" | sorts_like_oracle 2
		assert_equal "$(runs)" 0
	done
}

@test "with a small memory it spills dozens of runs and gives the same output" {
	# 1 MiB (the least) holds 32768 two-word records a run.
	records 1000000 2 7 | sorts_like_oracle 2 --mem 1
	[ "$(runs)" -ge 25 ] || fail "only $(runs) runs"
	records 1000000 2 7 | "$CHECK" --words 2 --mem 1000000000 2> runs.txt | cmp - got.txt
	assert_equal "$(runs)" 0
}

@test "hundreds of runs merged in several passes (fan-in 2, 3, 7 and 256)" {
	# 64-word records: 1024 a run in 1 MiB; small words make long ties.
	records 262144 64 3 2 > in64.txt
	for fanin in 2 3 7 256; do
		sorts_like_oracle 64 --mem 1 --fanin "$fanin" < in64.txt
		[ "$(runs)" -ge 250 ] || fail "only $(runs) runs"
	done
	"$CHECK" --words 64 --mem 1000000000 < in64.txt 2> runs.txt | cmp - want.txt
	assert_equal "$(runs)" 0
}

@test "extsort_reserve: fewer, as many or more records than come, or than the memory holds, sort as without it" {
	records 100000 2 11 > in.txt
	for reserve in 1000 100000 5000000; do
		sorts_like_oracle 2 --reserve "$reserve" < in.txt
		assert_equal "$(runs)" 0
		# 1 MiB holds 32768 two-word records a run: spilled, with the
		# reservation capped at what a run may hold.
		sorts_like_oracle 2 --mem 1 --reserve "$reserve" < in.txt
		assert_equal "$(runs)" 3
	done
}

@test "duplicates all come back, in order" {
	records 200000 2 11 3 | sorts_like_oracle 2 --mem 1 --fanin 4
	[ "$(runs)" -ge 5 ]
	assert_equal "$(wc -l < got.txt)" 200000
	assert_equal "$(uniq got.txt | wc -l)" 64
}

@test "values near 2^64-1 order as unsigned numbers" {
	"$PY" - > in.txt <<-'EOF'
		import random
		r = random.Random(5)
		top = 2**64 - 1
		near = [0, 1, 2**63 - 1, 2**63, 2**63 + 1, top - 256, top - 255, top - 1, top]
		for _ in range(100000):
		    print(r.choice(near), r.choice(near))
	EOF
	grep -q 18446744073709551615 in.txt
	sorts_like_oracle 2 --mem 1 --fanin 3 < in.txt
	[ "$(runs)" -ge 3 ]
	assert_equal "$(tail -1 got.txt)" "18446744073709551615 18446744073709551615"
	assert_equal "$(head -1 got.txt)" "0 0"
}

@test "one word a record, and 64" {
	records 100000 1 21 | sorts_like_oracle 1 --mem 1
	[ "$(runs)" -ge 1 ]
	records 3000 64 22 | sorts_like_oracle 64 --mem 1
	[ "$(runs)" -ge 2 ]
}

@test "empty input: no records, no runs" {
	run --separate-stderr "$CHECK" --words 2 --tmpdir "$SPILL" < /dev/null
	assert_success
	assert_output ""
	assert_equal "$stderr" "$(printf 'runs 0\nrecords 0')"
}

@test "a missing temporary directory is an error, once it must spill" {
	records 100000 2 1 > in.txt
	run --separate-stderr "$CHECK" --mem 1 --tmpdir "$BATS_TEST_TMPDIR/none" < in.txt
	assert_failure 1
	assert_output ""
	assert_equal "$stderr" "extsort-check: extsort: cannot make a run file in $BATS_TEST_TMPDIR/none: No such file or directory"
	# Without a spill the directory is never needed.
	run "$CHECK" --tmpdir "$BATS_TEST_TMPDIR/none" < in.txt
	assert_success
}

@test "an unwritable temporary directory is an error" {
	[ "$(id -u)" != 0 ] || skip "root writes into any directory"
	chmod 555 "$SPILL"
	records 100000 2 1 > in.txt
	run --separate-stderr "$CHECK" --mem 1 --tmpdir "$SPILL" < in.txt
	chmod 755 "$SPILL"
	assert_failure 1
	assert_equal "$stderr" "extsort-check: extsort: cannot make a run file in $SPILL: Permission denied"
}

@test "a full disk (a file size limit) is an error, not a short sort" {
	records 300000 2 2 > in.txt
	# 200 KiB of file: the first run (512 KiB) cannot be written whole.
	run --separate-stderr bash -c 'ulimit -f 200; exec "$0" --mem 1 --tmpdir "$1" < in.txt > /dev/null' "$CHECK" "$SPILL"
	assert_failure 1
	assert_equal "$stderr" "extsort-check: extsort: writing a run file in $SPILL: File too large"
	# A limit the runs fit but a merge pass's output does not: each run is
	# 512 KiB, the first pass of fan-in 2 writes 1 MiB.
	run --separate-stderr bash -c 'ulimit -f 800; exec "$0" --mem 1 --fanin 2 --tmpdir "$1" < in.txt > /dev/null' "$CHECK" "$SPILL"
	assert_failure 1
	assert_equal "$stderr" "extsort-check: extsort: writing a run file in $SPILL: File too large"
	assert_equal "$(ls -A "$SPILL")" ""
}

@test "no file is left in the directory, after a sort or a kill mid-sort" {
	records 100000 2 4 | sorts_like_oracle 2 --mem 1
	[ "$(runs)" -ge 3 ]
	assert_equal "$(ls -A "$SPILL")" ""
	# A sort whose input never ends: it holds its runs open, nameless, until
	# it is killed.
	mkfifo feed
	"$CHECK" --mem 1 --tmpdir "$SPILL" < feed > /dev/null 2>&1 &
	pid=$!
	exec 5> feed
	records 200000 2 5 >&5
	open=0
	for _ in $(seq 100); do
		open=$(ls -l /proc/$pid/fd 2>/dev/null | grep -c "$SPILL" || true)
		[ "$open" -ge 3 ] && break
		sleep 0.1
	done
	[ "$open" -ge 3 ] || fail "the sort holds $open run files"
	assert_equal "$(ls -A "$SPILL")" ""
	kill -9 $pid
	wait $pid || true
	exec 5>&-
	assert_equal "$(ls -A "$SPILL")" ""
}

@test "--ordered-tail: records added in the order of their last word sort as sort -n sorts them, spilled or not" {
	# (key, number) pairs with many equal keys, numbered in the order they come.
	records 60000 1 5 10 | awk '{ print $1, NR }' > in.txt
	sorts_like_oracle 2 --ordered-tail 1 < in.txt
	sorts_like_oracle 2 --ordered-tail 1 --mem 1 < in.txt
	[ "$(runs)" -gt 0 ] || fail "nothing spilled"
	# The promise is what makes it right: broken, the order is wrong.
	records 60000 1 6 10 | awk '{ print $1, 60000 - NR }' > broken.txt
	oracle 2 < broken.txt > want.txt
	"$CHECK" --words 2 --ordered-tail 1 < broken.txt > got.txt 2> /dev/null
	! cmp -s want.txt got.txt || fail "an unkept promise still sorted right: the tail was sorted after all"
}

@test "in memory past 65536 records (split by the first varying byte, then each part sorted) as sort -n sorts" {
	# Full 64-bit words; 20-bit words, whose top bytes all agree, with
	# ties; one word; and keys numbered in order (--ordered-tail).
	records 150000 2 21 | sorts_like_oracle 2
	records 150000 2 22 20 | sorts_like_oracle 2
	records 100000 1 23 | sorts_like_oracle 1
	records 150000 1 24 12 | awk '{ print $1, NR }' > tail.txt
	sorts_like_oracle 2 --ordered-tail 1 < tail.txt
	# The same keys, every record equal in its first word but the last.
	records 100000 1 25 | awk '{ print 7, $1 }' | sorts_like_oracle 2
	assert_equal "$(runs)" 0
}
