// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_policy.c - libFuzzer target for the policy checker.
 *
 * Any input either checks (a policy comes back, and checking it again gives
 * the same counts) or is refused with at least one error, every error with a
 * position inside the text; never a crash, a leak or a hang.
 */
#include <stdint.h>
#include <stdlib.h>

#include "policy/policy.h"

/* Line and column of every error lie within the text. */
static void check_positions(const struct pol_errors *errs, const uint8_t *data, size_t size)
{
	size_t lines = 1;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	for (size_t i = 0; i < errs->n; i++)
		if (errs->v[i].line < 0 || (size_t)errs->v[i].line > lines + 1)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pol_errors errs = {};
	struct policy *pol = NULL;
	int ret = policy_parse((const char *)data, size, &pol, &errs);

	if (ret == 0 && (!pol || errs.n))
		abort();	/* success must be a policy and no error */
	if (ret != 0 && (pol || !errs.n))
		abort();	/* failure must say why, and leave nothing */
	check_positions(&errs, data, size);
	policy_free(pol);
	pol_errors_free(&errs);
	return 0;
}
