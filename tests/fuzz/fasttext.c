/* tests/fuzz/fasttext.c - libFuzzer target for fastText model files
 * (text/fasttext.h): arbitrary bytes to ft_load_mem, so that no count or
 * size in a file can make it allocate absurdly or read past the end; a
 * model it accepts must then predict without fault, its predictions
 * no more than asked for, most probable first, their labels in range. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text/fasttext.h"

static const char *const texts[] = {
	"hello world foo",
	"bonjour le monde\nhallo welt",
	"",
	"__label__a caf\xc3\xa9 \xff\xfe </s> after",
};

static void check(const struct ft_model *m, struct ft_scratch *s, const char *text, int k, float threshold)
{
	int nlabels = ft_nlabels(m);
	struct ft_prediction *out = malloc((size_t)nlabels * sizeof *out);
	if (!out)
		return;
	int n = ft_predict(m, s, text, strlen(text), k, threshold, out);
	if (n > (k == -1 ? nlabels : k))
		abort();
	for (int i = 0; i < n; i++) {
		if (out[i].label < 0 || out[i].label >= nlabels)
			abort();
		if (i && out[i].prob > out[i - 1].prob)
			abort();
		if (ft_label(m, out[i].label) == NULL)
			abort();
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct ft_model *m = ft_load_mem(data, size, "fuzz", err, sizeof err);
	if (!m)
		return 0;
	struct ft_scratch *s = ft_scratch_new();
	if (s) {
		for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
			check(m, s, texts[i], -1, 0.0f);
			check(m, s, texts[i], 1, 0.0f);
			check(m, s, texts[i], 2, 0.2f);
		}
		ft_scratch_free(s);
	}
	ft_free(m);
	return 0;
}
