#!/usr/bin/env bats
# make install and make uninstall honour PREFIX and DESTDIR.

# Each test runs make in the one source tree: never two at once.
export BATS_NO_PARALLELIZE_WITHIN_FILE=true

setup() {
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
	TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	PROGS=$(cd "$TOP/cmd" && ls *.c | sed 's/\.c$//')
	ROOT=$BATS_TEST_TMPDIR/root
	unset MAKEFLAGS MFLAGS MAKELEVEL # not the jobserver of a `make -j check`
}

@test "make install puts programs, man pages and completions under DESTDIR/PREFIX" {
	run make -s -C "$TOP" install DESTDIR="$ROOT" PREFIX=/opt/sl
	assert_success
	for p in $PROGS; do
		[ -x "$ROOT/opt/sl/bin/$p" ] || fail "no bin/$p"
		[ -f "$ROOT/opt/sl/share/man/man1/$p.1" ] || fail "no man1/$p.1"
		[ -f "$ROOT/opt/sl/share/bash-completion/completions/$p" ] || fail "no bash completion for $p"
		[ -f "$ROOT/opt/sl/share/zsh/site-functions/_$p" ] || fail "no zsh completion for $p"
		[ -f "$ROOT/opt/sl/share/fish/vendor_completions.d/$p.fish" ] || fail "no fish completion for $p"
	done
	[ -f "$ROOT/opt/sl/share/man/man5/sluice-rec.5" ]
	# a CUDA build's plugin, where the installed programs look for it
	if [ -f "$TOP/lib/sluice/sluice-cuda.so" ]; then
		[ -f "$ROOT/opt/sl/lib/sluice/sluice-cuda.so" ] || fail "no lib/sluice/sluice-cuda.so"
	else
		[ ! -e "$ROOT/opt/sl/lib/sluice" ] || fail "a CPU-only build installed lib/sluice/"
	fi
	# the Python package, where Debian's python3 looks for it under PREFIX=/usr
	for m in "$TOP"/python/sluice/*.py; do
		cmp "$m" "$ROOT/opt/sl/lib/python3/dist-packages/sluice/${m##*/}" || fail "python: no ${m##*/}"
	done
	run env PYTHONPATH="$ROOT/opt/sl/lib/python3/dist-packages" /usr/bin/python3 -c 'import sluice; print(sluice.__file__)'
	assert_output "$ROOT/opt/sl/lib/python3/dist-packages/sluice/__init__.py"
	run "$ROOT/opt/sl/bin/rec-cat" --version
	assert_output --regexp '^rec-cat \(sluice\) '
	run mandoc -T utf8 "$ROOT/opt/sl/share/man/man5/sluice-rec.5"
	assert_success
	assert_output --partial 'SLR'
}

@test "make uninstall removes what make install put there" {
	make -s -C "$TOP" install DESTDIR="$ROOT" PREFIX=/usr
	# an import leaves __pycache__ behind, which uninstall removes too
	PYTHONPATH="$ROOT/usr/lib/python3/dist-packages" /usr/bin/python3 -c 'import sluice'
	run make -s -C "$TOP" uninstall DESTDIR="$ROOT" PREFIX=/usr
	assert_success
	run find "$ROOT" -type f
	assert_output ''
	[ ! -e "$ROOT/usr/lib/python3" ] || fail "uninstall left lib/python3"
}

@test "after make install, man finds every program's page and sluice-rec(5) under the PREFIX" {
	command -v man >/dev/null || skip "no man (man-db)"
	make -s -C "$TOP" install DESTDIR="$ROOT" PREFIX=/opt/sl
	export MANPATH=$ROOT/opt/sl/share/man MANPAGER=cat PAGER=cat MANWIDTH=80
	for p in $PROGS; do
		run man "$p"
		assert_success
		assert_output --partial "$p"
		assert_output --regexp 'SYNOPSIS'
		[ "$(man -w "$p")" = "$ROOT/opt/sl/share/man/man1/$p.1" ] || fail "man -w $p: $(man -w "$p")"
	done
	run man 5 sluice-rec
	assert_success
	assert_output --partial 'SLR'
}
