# sluice - one plain Makefile.  Targets: all (default), check, check-fast,
# check-san, bench, demo, install, uninstall, clean.
include config.mk

O   ?= build
BIN ?= bin

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) $(PKGS_HEADERS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# The libraries are checked before anything is built, except for goals that
# need none: make demo and make check install them first
# (scripts/install-deps) and then build in a sub-make, where the checks run.
NO_LIB_GOALS = demo check clean uninstall
ifneq ($(if $(MAKECMDGOALS),$(filter-out $(NO_LIB_GOALS),$(MAKECMDGOALS)),all),)
ifeq ($(shell pkg-config --exists openblas && echo yes),)
$(error OpenBLAS not found by pkg-config: install libopenblas-dev (scripts/install-deps installs every package))
endif
ifeq ($(shell pkg-config --exists $(PKGS) && echo yes),)
$(error some of $(PKGS) not found by pkg-config: scripts/install-deps installs the Debian packages)
endif
endif

ifeq ($(SAN),1)
EXTRA_CFLAGS = $(SANFLAGS)
EXTRA_LDFLAGS = $(SANFLAGS)
endif

ALL_CFLAGS  = $(CPPFLAGS_ALL) $(PKG_CFLAGS) $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(EXTRA_LDFLAGS)
LIBS        = $(PKG_LIBS) $(LDLIBS_ALL)

# With nvcc and the CUDA libraries there (or CUDA=1 demanding them), the
# CUDA code becomes a plugin, sluice-cuda.so, that the programs open with
# dlopen only when they look for a GPU (libcommon/model/cudaplug.h): nothing
# CUDA is linked into a program.  It lies at ../lib/sluice/ from the
# programs, in the build tree as in an installed prefix.
CU_SRC := $(wildcard libcommon/*/*.cu)
ifeq ($(CUDA),0)
HAVE_CUDA =
else ifeq ($(CUDA),1)
HAVE_CUDA = 1
else
HAVE_CUDA = $(if $(NVCC),$(if $(CUDA_LIBDIR),1,),)
endif
ifneq ($(HAVE_CUDA),)
ifeq ($(NVCC),)
$(error CUDA=1 but nvcc was not found; set NVCC=/path/to/nvcc)
endif
ifeq ($(CUDA_LIBDIR),)
$(error CUDA=1 but libcudart.so was not found under '$(CUDA_HOME)'; set CUDA_LIBDIR)
endif
CU_OBJ = $(CU_SRC:%.cu=$(O)/%.o)
CUDA_PLUGIN = $(dir $(BIN))lib/sluice/sluice-cuda.so
# ddp-tool drives NCCL with device memory of its own.
HELPER_CUDA_LIBS = -L$(CUDA_LIBDIR) -Wl,-rpath,$(CUDA_LIBDIR) -lcudart
ALL_CFLAGS += -DSLUICE_CUDA=1
endif

LIB_SRC  := $(wildcard libcommon/*/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(O)/%.o)
LIB      := $(O)/libsluice.a
PROGS    := $(patsubst cmd/%.c,%,$(wildcard cmd/*.c))
PROG_BIN := $(PROGS:%=$(BIN)/%)

all: $(PROG_BIN) $(CUDA_PLUGIN)

# Test-only programs (tests/helpers/*.c) linked against the library; the
# suites find them through $$SLUICE_TEST_BIN.
TEST_HELPER_SRC := $(wildcard tests/helpers/*.c)
TEST_HELPERS    := $(TEST_HELPER_SRC:tests/helpers/%.c=$(O)/tests/%)
test-helpers: $(TEST_HELPERS)

# The real writers the tests compare against (DuckDB, arrow-rs), from npm.
NODE_DEPS = tests/node/node_modules/.package-lock.json
# npm install, not npm ci: npm ci refuses a lock file that records only the
# platform packages of the machine that wrote it (DuckDB's optional native
# bindings), while install still takes every version from the lock.
$(NODE_DEPS): tests/node/package.json tests/node/package-lock.json
	npm install --prefix tests/node --no-audit --no-fund --no-save
test-deps: $(NODE_DEPS)

$(O)/tests/%: tests/helpers/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(LIBS) $(HELPER_CUDA_LIBS)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The plugin shows one symbol (GPT2CUDA_ENTRY); everything else in it,
# its own copy of die.c included, is hidden, so nothing in it binds to a
# program's symbols or theirs to its.
$(O)/%.o: %.cu
	@mkdir -p $(dir $@)
	$(NVCC) $(NVCCFLAGS) $(NVCCWARN) -Xcompiler -fPIC,-fvisibility=hidden -Ilibcommon -MMD -MP -c -o $@ $<

$(O)/plugin/die.o: libcommon/base/die.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(WARN) -O2 -fPIC -fvisibility=hidden -MMD -MP -c -o $@ $<

$(CUDA_PLUGIN): $(CU_OBJ) $(O)/plugin/die.o
	@mkdir -p $(dir $@)
	$(NVCC) -shared -cudart shared -o $@ $^ -L$(CUDA_LIBDIR) -Xlinker -rpath=$(CUDA_LIBDIR) -lcublas -lcublasLt

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN)/%: $(O)/cmd/%.o $(LIB)
	@mkdir -p $(BIN)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(LIBS)

-include $(LIB_OBJ:.o=.d) $(CU_OBJ:.o=.d) $(O)/plugin/die.d $(PROGS:%=$(O)/cmd/%.d)

# The README's two commands install what they lack (DEPS=0 skips it):
# scripts/install-deps is the one list of Debian packages, --tests adds what
# the suites need (bats, clang, the Python oracles, GNU parallel for
# bats --jobs, Node.js for the npm writers of test-deps).  It does nothing
# when all is there and goes through sudo when not root.
DEPS ?= 1

# The test suite runs twice: on the normal build, and on a clang build with
# AddressSanitizer and UBSan (which also proves the code is clang -Werror clean);
# then the reader is fuzzed for FUZZ_SECONDS.  The packages come first, so
# the sub-make's library checks see them.
check:
	@if [ "$(DEPS)" != 0 ]; then sh scripts/install-deps --tests; fi
	$(MAKE) check-fast check-san fuzz

# Tests at once.  Many wait (on loopback servers, timeouts, child processes
# killed and restarted), so with 2 on 2 cores one core sat idle half the
# time; with 4 the plain pass took 4.7 min instead of 7.5, the sanitized
# 5.7 instead of 8.0.
TEST_JOBS ?= 4

check-fast: all test-helpers test-deps
	SLUICE_BIN=$(abspath $(BIN)) SLUICE_TEST_BIN=$(abspath $(O)/tests) bats --jobs $(TEST_JOBS) tests

check-san: test-deps
	$(MAKE) SAN=1 CC=clang O=build/san BIN=build/san/bin all test-helpers
	SLUICE_BIN=$(abspath build/san/bin) SLUICE_TEST_BIN=$(abspath build/san/tests) SLUICE_SANITIZED=1 \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	bats --jobs $(TEST_JOBS) tests

# The fault-injection suite's long form: tests/faults.bats with the disk
# filling at FAULT_POINTS points of every output, each system call
# failing FAULT_IO_RUNS times and each program killed FAULT_KILLS times
# (make check: two, three and four), then what it counted.
FAULT_POINTS ?= 10
FAULT_IO_RUNS ?= 20
FAULT_KILLS ?= 20
faults: all test-helpers test-deps
	rm -f $(O)/faults.tally
	SLUICE_FAULTS_POINTS=$(FAULT_POINTS) SLUICE_FAULTS_IO_RUNS=$(FAULT_IO_RUNS) SLUICE_FAULTS_KILLS=$(FAULT_KILLS) \
	SLUICE_FAULTS_TALLY=$(abspath $(O))/faults.tally \
	SLUICE_BIN=$(abspath $(BIN)) SLUICE_TEST_BIN=$(abspath $(O)/tests) bats tests/faults.bats
	@awk '{ n[$$1] += $$2 } END { printf "runs under a fault %d (a full disk, calls failing at random, SIGKILL; a random failure or kill may miss a short run), came through as promised %d, acknowledged points checked in the stores after a fault %d (the suite fails on any one missing)\n", n["injected"], n["survived"], n["acknowledged"] }' $(O)/faults.tally

bench: all
	bash bench/run

# The README's first command: the packages (unless DEPS=0; DEMO_DEPS=0, its
# older name, still works), the build, then the main job (examples/demo.sh;
# DEMO_OUT, DEMO_SMALL=1).
DEMO_DEPS ?= $(DEPS)
demo:
	@if [ "$(DEMO_DEPS)" != 0 ]; then sh scripts/install-deps; fi
	$(MAKE) all
	SLUICE_BIN=$(abspath $(BIN)) bash examples/demo.sh

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	cp -f $(PROG_BIN) $(DESTDIR)$(BINDIR)/
	cp -f man/man1/*.1 $(DESTDIR)$(MANDIR)/man1/
	cp -f man/man5/*.5 $(DESTDIR)$(MANDIR)/man5/
	cp -f man/man7/*.7 $(DESTDIR)$(MANDIR)/man7/
	cp -f completions/bash/* $(DESTDIR)$(BASHCOMPDIR)/
	cp -f completions/zsh/_* $(DESTDIR)$(ZSHCOMPDIR)/
	cp -f completions/fish/*.fish $(DESTDIR)$(FISHCOMPDIR)/
	$(if $(CUDA_PLUGIN),mkdir -p $(DESTDIR)$(LIBDIR)/sluice && cp -f $(CUDA_PLUGIN) $(DESTDIR)$(LIBDIR)/sluice/,)
	mkdir -p $(DESTDIR)$(PYDIR)/sluice
	cp -f python/sluice/*.py $(DESTDIR)$(PYDIR)/sluice/

uninstall:
	cd $(DESTDIR)$(BINDIR) && rm -f $(PROGS)
	for p in $(PROGS); do \
		rm -f $(DESTDIR)$(MANDIR)/man1/$$p.1 $(DESTDIR)$(BASHCOMPDIR)/$$p \
			$(DESTDIR)$(ZSHCOMPDIR)/_$$p $(DESTDIR)$(FISHCOMPDIR)/$$p.fish; done
	rm -f $(DESTDIR)$(MANDIR)/man5/sluice-rec.5 $(DESTDIR)$(MANDIR)/man7/sluice-s3.7 $(DESTDIR)$(LIBDIR)/sluice/sluice-cuda.so
	rm -f $(DESTDIR)$(PYDIR)/sluice/*.py
	rm -rf $(DESTDIR)$(PYDIR)/sluice/__pycache__
	-rmdir $(DESTDIR)$(PYDIR)/sluice $(DESTDIR)$(PYDIR) $(DESTDIR)$(PREFIX)/lib/python3 2>/dev/null
	-rmdir $(DESTDIR)$(LIBDIR)/sluice 2>/dev/null

clean:
	rm -rf $(O) build $(BIN) $(CUDA_PLUGIN)
	-rmdir $(dir $(BIN))lib/sluice $(dir $(BIN))lib 2>/dev/null

.PHONY: all check check-fast check-san faults bench demo install uninstall clean
.SECONDARY:

# Fuzz targets (tests/fuzz/*.c, libFuzzer + ASan + UBSan) from corpora of
# real inputs, FUZZ_SECONDS each; make check runs a short round of each.
FUZZ_SECONDS ?= 12
FUZZ_SRC := $(wildcard tests/fuzz/*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_FLAGS = $(CPPFLAGS_ALL) $(PKG_CFLAGS) $(WARN) -O1 -g -MMD -MP \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -DBRACES_MAX=20000
# The library is compiled once for all fuzz targets.
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o)
build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<
build/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_OBJ)
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB_OBJ) $(PKG_LIBS) $(LDLIBS_ALL)
-include $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_BIN:%=%.d)

# Two at a time (FUZZ_JOBS): each fuzzer keeps one core busy.
FUZZ_JOBS ?= 2
fuzz: $(FUZZ_BIN) all
	printf '%s\n' $(FUZZ_BIN) | xargs -P $(FUZZ_JOBS) -I{} bash tests/fuzz/run {} $(FUZZ_SECONDS)

.PHONY: fuzz test-helpers test-deps
