/* cli.h - the command-line conventions every program shares: -h/--help,
 * --version, --progress/--quiet, usage errors with exit status 2, and
 * number parsing that rejects garbage instead of reading it as 0. */
#ifndef SLUICE_CLI_H
#define SLUICE_CLI_H

#include <getopt.h>
#include <stdint.h>

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "0.0.0"
#endif

enum {
	CLI_OPT_VERSION = 0x1000,
	CLI_OPT_PROGRESS,
	CLI_OPT_FIRST_PROGRAM_OPT /* programs number their long-only options from here */
};

/* Long options common to all programs; put at the end of each table,
 * before the terminating zero entry. */
#define CLI_COMMON_OPTIONS                                        \
	{"help", no_argument, 0, 'h'},                            \
	{"version", no_argument, 0, CLI_OPT_VERSION},             \
	{"progress", no_argument, 0, CLI_OPT_PROGRESS},           \
	{"quiet", no_argument, 0, 'q'}
#define CLI_COMMON_SHORT "hq"

enum cli_progress { CLI_PROGRESS_AUTO, CLI_PROGRESS_ON, CLI_PROGRESS_OFF };

/* First thing in every main: getopt's own messages name the program as
 * "prog:" rather than by the path it was run as, a closed downstream pipe
 * ends the program silently, and jansson's allocations die as xmalloc's
 * (exit 1, "out of memory") rather than fail the parse they are part of. */
void cli_init(int argc, char **argv);

/* The FILE operands, or when there are none the one operand "-" (standard
 * input); *n is their count before and after. */
char **cli_inputs(char **files, int *n);

/* Handles the common options; returns 1 if opt was one of them.  -h prints
 * usage to stdout and exits 0; an unknown option exits 2. */
int cli_common(int opt, const char *usage, enum cli_progress *progress);
/* Prints "Try 'prog --help'" and exits 2 after "prog: message". */
void cli_usage_error(const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 1, 2), noreturn))
#endif
	;
/* Parses a non-negative integer (decimal, with optional k/M/G binary
 * suffix when allow_suffix); a usage error names the option on failure. */
uint64_t cli_parse_u64(const char *arg, const char *option, int allow_suffix);

/* Parses --shard's I/N (0 <= I < N, both integers); a usage error names
 * the option on failure. */
void cli_parse_shard(const char *arg, const char *option, uint32_t *index, uint32_t *count);

/* The non-empty items of a comma-separated option value, each a new
 * string; a usage error "OPTION: no WHAT in 'ARG'" when there is none. */
char **cli_split_list(const char *arg, const char *option, const char *what, int *n);

/* --timeout's seconds (over 0, up to a day) and --retries' count (up to
 * 100), as every program that speaks HTTP takes them. */
double cli_parse_seconds(const char *arg, const char *option);
int cli_parse_retries(const char *arg, const char *option);

/* The default of -j/--threads everywhere: the cores online (1 if unknown,
 * 1024 at most). */
int cli_cpu_count(void);
/* -j/--threads N: from 1 to 1024; a usage error otherwise. */
int cli_parse_threads(const char *arg);

/* Parses a fraction from 0 up to (not including) 1; a usage error names the
 * option on failure. */
double cli_parse_fraction(const char *arg, const char *option);

#endif
