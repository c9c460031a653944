/* tests/fuzz/modelfile.c - libFuzzer target for model files (lm.h):
 * arbitrary bytes to lm_load, llm.c's GPT-2 format in float32 and
 * bfloat16 and the LSTM's, so that no header can make it allocate absurd
 * sizes or read past the file; a model it accepts is written back with
 * lm_image, which must give the same bytes for a float32 file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/lm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct lm *m = lm_load(data, size, err, sizeof err);
	if (!m)
		return 0;
	int32_t version;
	memcpy(&version, data + 4, 4);
	size_t len;
	void *img = lm_image(m, version == LM_GPT2_BF16, &len);
	if (!img || len != size)
		abort();
	/* float32 parameters come back as they were, header and all but the
	 * unused header words, which lm_image writes as zeros */
	if (memcmp((const uint8_t *)img + LM_FILE_HEADER_BYTES, data + LM_FILE_HEADER_BYTES,
	           size - LM_FILE_HEADER_BYTES) != 0 && version != LM_GPT2_BF16)
		abort();
	free(img);
	lm_free(m);
	return 0;
}
