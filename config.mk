# config.mk - what to build with and where to install; override on the
# command line (make PREFIX=/opt/sluice CC=clang CUDA=0).

VERSION = 0.1.0

PREFIX    = /usr/local
BINDIR    = $(PREFIX)/bin
MANDIR    = $(PREFIX)/share/man
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  = $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR = $(PREFIX)/share/fish/vendor_completions.d
# Where the CUDA plugin goes (LIBDIR/sluice/sluice-cuda.so).
LIBDIR    = $(PREFIX)/lib
# Where the Python package goes (PYDIR/sluice): Debian's python3 reads
# /usr/lib/python3/dist-packages; for PREFIX=/usr/local it reads
# /usr/local/lib/python3.X/dist-packages instead, so set PYDIR there.
PYDIR     = $(PREFIX)/lib/python3/dist-packages
# Where tok-bpe looks for tokenizers by name (after the tiktoken and Hub caches).
DATADIR   = $(PREFIX)/share/sluice

CC      ?= cc
OPT     ?= -O2
# -fno-math-errno (sqrtf inlines) and -fno-trapping-math (a comparison may
# select a value without a branch; clang's default) let the numerical loops
# of gpt2.c and adamw.c vectorise.  Neither changes a result: errno and the
# floating-point exception flags are all they give up, and nothing here
# reads them.  gcc's -O2 vectorises only loops of a known trip count unless
# given the dynamic cost model; clang's -O2 needs no flag for it, and
# rejects this one (asked once, := not per compile).  On GPT-2 124M:
# AdamW 220 -> 73 ms a step, GELU and softmax several times faster.
VECTORISE := $(if $(shell $(CC) --version 2>/dev/null | grep -i clang),,-fvect-cost-model=dynamic)
CFLAGS  ?= $(OPT) -g -fno-math-errno -fno-trapping-math $(VECTORISE)
WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CPPFLAGS_ALL = -std=c11 -D_POSIX_C_SOURCE=200809L -DSLUICE_VERSION=\"$(VERSION)\" -DSLUICE_DATADIR=\"$(DATADIR)\" -DSLUICE_LIBDIR=\"$(LIBDIR)\" -Ilibcommon
PKGS     = jansson libxxhash openblas yaml-0.1 zlib libzstd liblzma liblz4 libbrotlidec snappy expat \
           libpcre2-8 libutf8proc libarchive libcrypto
# Headers only: the programs open libcurl with dlopen when they first go to
# the network (libcommon/net/curlshim.c), not at every start.
PKGS_HEADERS = libcurl
LDLIBS_ALL = -lbz2 -lm -lpthread

# CUDA: auto (build the CUDA objects if nvcc and the CUDA libraries are
# found), 1 (require them), 0 (CPU only).
CUDA    ?= auto
ifeq ($(origin NVCC),undefined)
NVCC    := $(shell command -v nvcc 2>/dev/null || { test -x /usr/local/cuda/bin/nvcc && echo /usr/local/cuda/bin/nvcc; })
endif
# nvcc on PATH may be a wrapper script far from the toolkit, so its own
# directory says nothing: ask nvcc where its installation is.
ifeq ($(origin CUDA_HOME),undefined)
CUDA_HOME := $(if $(NVCC),$(shell $(NVCC) --dryrun -c -x cu /dev/null -o /dev/null 2>&1 | sed -n 's/^\#\$$ TOP=//p'))
endif
ifeq ($(origin CUDA_LIBDIR),undefined)
CUDA_LIBDIR := $(patsubst %/,%,$(dir $(firstword $(wildcard $(addsuffix /libcudart.so,\
               $(CUDA_HOME)/lib64 $(CUDA_HOME)/targets/x86_64-linux/lib $(CUDA_HOME)/lib)))))
endif
NVCCFLAGS ?= -O2 -std=c++17 -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90
# The host compiler's warnings for the .cu files (not -Werror: CUDA's own
# headers are not warning-free under every gcc).
NVCCWARN  = -Xcompiler -Wall,-Wextra

# Sanitized build: make SAN=1 O=build/san (the check target does this with clang).
SAN     ?= 0
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
