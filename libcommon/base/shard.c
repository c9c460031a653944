/* shard.c - see shard.h */
#include "base/shard.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cli.h"

/* A variable's value as a number; -1 when it is unset or empty, and a
 * usage error when it is set to something else. */
static int64_t env_number(const char *name)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return -1;
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (*end || errno || n < 0 || n > UINT32_MAX)
		cli_usage_error("--shard auto: %s='%s' is not a task number", name, v);
	return n;
}

static struct shard from_job_array(void)
{
	int64_t id = env_number("SLURM_ARRAY_TASK_ID");
	if (id >= 0) {
		int64_t count = env_number("SLURM_ARRAY_TASK_COUNT");
		int64_t min = env_number("SLURM_ARRAY_TASK_MIN");
		int64_t step = env_number("SLURM_ARRAY_TASK_STEP");
		if (count < 1)
			cli_usage_error("--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not "
			                "(Slurm sets both in an array job)");
		if (min < 0)
			min = 0;
		if (step < 1)
			step = 1;
		/* Task IDs with gaps (--array=1,5,9 or 0-9:3) number their
		 * tasks only through the step; a list with other gaps would
		 * leave parts unread, so it is refused rather than guessed. */
		if (id < min || (id - min) % step || (id - min) / step >= count)
			cli_usage_error("--shard auto: SLURM_ARRAY_TASK_ID=%" PRId64 " is not task min + k * step of %" PRId64
			                " tasks (min %" PRId64 ", step %" PRId64 "); give --array as A-B or A-B:S, "
			                "or --shard I/N",
			                id, count, min, step);
		return (struct shard){(uint32_t)((id - min) / step), (uint32_t)count};
	}
	int64_t index = env_number("JOB_COMPLETION_INDEX");
	if (index >= 0) {
		int64_t count = env_number("SLUICE_SHARD_COUNT");
		if (count < 1)
			cli_usage_error("--shard auto: JOB_COMPLETION_INDEX is set but SLUICE_SHARD_COUNT is not "
			                "(set it to the Job's completions)");
		if (index >= count)
			cli_usage_error("--shard auto: JOB_COMPLETION_INDEX=%" PRId64 " is not below SLUICE_SHARD_COUNT=%" PRId64,
			                index, count);
		return (struct shard){(uint32_t)index, (uint32_t)count};
	}
	cli_usage_error("--shard auto: not in a job array: none of SLURM_ARRAY_TASK_ID (with "
	                "SLURM_ARRAY_TASK_COUNT, SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_STEP) or "
	                "JOB_COMPLETION_INDEX (with SLUICE_SHARD_COUNT) is set; give --shard I/N");
}

struct shard shard_resolve(const char *arg)
{
	const char *origin = "--shard";
	if (!arg) {
		arg = getenv("SLUICE_SHARD");
		if (!arg || !*arg)
			return (struct shard){0, 1};
		origin = "SLUICE_SHARD";
	}
	if (!strcmp(arg, "auto"))
		return from_job_array();
	struct shard s;
	cli_parse_shard(arg, origin, &s.index, &s.count);
	return s;
}

enum shard_cut shard_plan(struct shard s, size_t nfiles)
{
	if (shard_is_whole(s))
		return SHARD_WHOLE;
	return nfiles >= s.count ? SHARD_BY_FILE : SHARD_BY_RECORD;
}

const char *shard_name(struct shard s, char *buf, size_t n)
{
	snprintf(buf, n, "%" PRIu32 "/%" PRIu32, s.index, s.count);
	return buf;
}
