# config.mk - what to build with and where to install; override on the
# command line (make PREFIX=/opt/sluice CC=clang CUDA=0).

VERSION = 0.1.0

PREFIX    = /usr/local
BINDIR    = $(PREFIX)/bin
MANDIR    = $(PREFIX)/share/man
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  = $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR = $(PREFIX)/share/fish/vendor_completions.d
# Where tok-bpe looks for tokenizers by name (after the tiktoken and Hub caches).
DATADIR   = $(PREFIX)/share/sluice

CC      ?= cc
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CPPFLAGS_ALL = -std=c11 -D_POSIX_C_SOURCE=200809L -DSLUICE_VERSION=\"$(VERSION)\" -DSLUICE_DATADIR=\"$(DATADIR)\" -Ilibcommon
PKGS     = jansson libxxhash openblas yaml-0.1 zlib libzstd liblzma liblz4 libbrotlidec snappy \
           libpcre2-8 libutf8proc
LDLIBS_ALL = -lbz2 -lm -lpthread

# CUDA: auto (build the CUDA objects if nvcc is found), 1 (require it), 0 (CPU only).
CUDA    ?= auto
NVCC    ?= $(shell command -v nvcc 2>/dev/null || { test -x /usr/local/cuda/bin/nvcc && echo /usr/local/cuda/bin/nvcc; })
NVCCFLAGS ?= -O2 -std=c++17 -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90

# Sanitized build: make SAN=1 O=build/san (the check target does this with clang).
SAN     ?= 0
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
