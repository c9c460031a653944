# sshd.bash - the sshd on localhost (tests/helpers/sshd-local) that GNU
# parallel --sshlogin reaches, for bats files.  Load after test_helper; then
#
#   setup_file()    { sshd_setup_file; }
#   teardown_file() { sshd_teardown_file; }
#   ... in a test:  sshd_need   # skips where sshd cannot run
#                   parallel -S "2/$SSHD_LOCAL_SSH" --workdir "$PWD" ...
#
# SSHD_LOCAL_SSH is the ssh command line that logs into it as this user.

load "$HELPERS/engines.bash"

sshd_setup_file() {
	export SSHD_DIR=$BATS_FILE_TMPDIR/sshd
	engine_up sshd "$HELPERS/sshd-local" "$SSHD_DIR"
}

sshd_teardown_file() {
	"$HELPERS/sshd-local" down "$SSHD_DIR" 3>&-
}

sshd_need() { engine_need; }
