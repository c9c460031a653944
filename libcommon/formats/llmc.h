/* llmc.h - llm.c's token shards: a header of 256 little-endian int32
 * (magic, version, token count, then zeros) and the tokens, u16 for magic
 * 20240520 version 1 and u32 for magic 20240801 version 7; and nanoGPT's
 * raw .bin files, bare u16 (or u32) tokens with no header. */
#ifndef SLUICE_LLMC_H
#define SLUICE_LLMC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LLMC_HEADER_INTS 256
#define LLMC_HEADER_BYTES (LLMC_HEADER_INTS * 4)
#define LLMC_MAGIC_U16 20240520
#define LLMC_VERSION_U16 1
#define LLMC_MAGIC_U32 20240801
#define LLMC_VERSION_U32 7

struct llmc_shard {
	int fd;
	char *path;
	unsigned width;     /* 2 or 4 bytes a token */
	uint64_t ntokens;
	uint64_t data_off;  /* where the tokens start: 1024, or 0 for raw files */
	uint64_t next;      /* tokens read so far */
};

/* Opens a shard: an llm.c header decides the width; a file without one is
 * raw tokens of raw_width bytes.  -1 with a message in err when the header
 * is inconsistent with the file's size, or a raw file is not a whole
 * number of tokens. */
int llmc_open(struct llmc_shard *s, const char *path, unsigned raw_width, char *err, size_t errn);
/* The same for a descriptor open at the file's start, which s takes (it
 * is closed on failure too); messages call the file name. */
int llmc_fdopen(struct llmc_shard *s, int fd, const char *name, unsigned raw_width, char *err, size_t errn);
/* Reads up to n tokens into out (as u32); returns how many, 0 at the end,
 * -1 on a read error (errno set). */
long llmc_read(struct llmc_shard *s, uint32_t *out, size_t n);
/* Sets the next token to read (token <= ntokens).  -1 with errno set. */
int llmc_seek(struct llmc_shard *s, uint64_t token);
void llmc_close(struct llmc_shard *s);

/* The width (2 or 4) of the tokens of the shard at path, as llmc_open
 * finds it; -1 with a message in err. */
int llmc_width(const char *path, unsigned raw_width, char *err, size_t errn);

/* Appends the paths matching a glob pattern to (*paths)[*n], in the order
 * llm.c's loader reads shards.  -1 with "PATTERN: why" in err when nothing
 * matches or the directories cannot be read. */
int llmc_glob(const char *pattern, char ***paths, size_t *n, char *err, size_t errn);

/* The header of a shard of ntokens tokens of the given width. */
void llmc_header(int32_t header[LLMC_HEADER_INTS], unsigned width, uint64_t ntokens);

#endif
