/* tests/fuzz/s3answers.c - libFuzzer target for what the S3 client reads
 * from outside (net/s3.h): the first byte picks a ListObjectsV2 page, an
 * error answer (with the status from the second byte), or an AWS
 * credentials/config file read through the credential chain.  No input
 * may crash a reader, read out of bounds, leak, or make it fail without
 * saying why; a page's objects must have keys. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/s3.h"
#include "tempfile.h"

static void read_page(const uint8_t *data, size_t size)
{
	struct s3_list_page pg;
	if (s3_parse_list_page((const char *)data, size, &pg) != 0)
		return;
	for (size_t i = 0; i < pg.n; i++)
		if (!pg.objects[i].key)
			abort();
	s3_objects_free(pg.objects, pg.n);
	free(pg.next_token);
}

static void read_error(struct s3 *s, const uint8_t *data, size_t size)
{
	if (size < 1)
		return;
	long status = 300 + data[0] % 250;
	struct buf body = {.data = (char *)data + 1, .len = size - 1};
	char err[512] = "";
	s3_error_message(s, "bucket", "key/of/an object", status, &body, NULL, err, sizeof err);
	if (!err[0] || strncmp(err, "s3://bucket/key/of/an object: ", 30) != 0)
		abort(); /* a message always, naming the object */
}

static void read_profile(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz-s3profile-XXXXXX";
	if (fuzz_temp_file(path, data, size) != 0)
		return;
	/* the same bytes as the credentials file and as the config file */
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	setenv("AWS_CONFIG_FILE", path, 1);
	setenv("AWS_PROFILE", size && (data[0] & 1) ? "fuzz" : "default", 1);
	char err[512] = "";
	struct s3 *s = s3_new(NULL, err, sizeof err);
	if (!s && !err[0])
		abort();
	s3_free(s);
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct s3 *errors_client;
	if (size < 1)
		return 0;
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_S3");
	switch (data[0] % 3) {
	case 0: read_page(data + 1, size - 1); break;
	case 1:
		if (!errors_client) {
			char err[512];
			setenv("AWS_CONFIG_FILE", "/dev/null", 1);
			setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
			unsetenv("AWS_PROFILE");
			errors_client = s3_new(NULL, err, sizeof err);
			if (!errors_client)
				abort();
		}
		read_error(errors_client, data + 1, size - 1);
		break;
	default: read_profile(data + 1, size - 1); break;
	}
	return 0;
}
