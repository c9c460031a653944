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

/* The part of a Slurm array task.  Slurm says which task this is and how
 * the array was given, never how many parts the work was cut into, so
 * both come from the array only when it is one range A-B or A-B:S (task k
 * from 0 is part k of COUNT); a list, or a one-task array (as a rerun of
 * one part is submitted), would name a part of the wrong count, and is
 * refused unless SLUICE_SHARD_COUNT says the count, when the task ID is
 * the part. */
static struct shard from_slurm(int64_t id)
{
	int64_t parts = env_number("SLUICE_SHARD_COUNT");
	if (parts >= 1) {
		if (id >= parts)
			cli_usage_error("--shard auto: SLURM_ARRAY_TASK_ID=%" PRId64 " is not below SLUICE_SHARD_COUNT=%" PRId64
			                " (with SLUICE_SHARD_COUNT set, the task ID is the part)",
			                id, parts);
		return (struct shard){(uint32_t)id, (uint32_t)parts};
	}
	int64_t count = env_number("SLURM_ARRAY_TASK_COUNT");
	int64_t min = env_number("SLURM_ARRAY_TASK_MIN");
	int64_t max = env_number("SLURM_ARRAY_TASK_MAX");
	int64_t step = env_number("SLURM_ARRAY_TASK_STEP");
	if (count < 1)
		cli_usage_error("--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not "
		                "(Slurm sets both in an array job)");
	if (min < 0)
		min = 0;
	if (step < 1)
		step = 1;
	if (count == 1)
		cli_usage_error("--shard auto: a one-task array (SLURM_ARRAY_TASK_ID=%" PRId64 ") does not say which part "
		                "of how many; set SLUICE_SHARD_COUNT (the task ID is then the part) or give --shard I/N",
		                id);
	if (id < min || (id - min) % step || (id - min) / step >= count ||
	    (max >= 0 && max != min + (count - 1) * step))
		cli_usage_error("--shard auto: the array of SLURM_ARRAY_TASK_ID=%" PRId64 " is not one range A-B or A-B:S "
		                "(%" PRId64 " tasks from %" PRId64 " to %" PRId64 " in steps of %" PRId64 "); "
		                "set SLUICE_SHARD_COUNT (the task ID is then the part) or give --shard I/N",
		                id, count, min, max, step);
	return (struct shard){(uint32_t)((id - min) / step), (uint32_t)count};
}

static struct shard from_job_array(void)
{
	int64_t id = env_number("SLURM_ARRAY_TASK_ID");
	if (id >= 0)
		return from_slurm(id);
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
