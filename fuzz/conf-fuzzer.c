/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * conf-fuzzer.c: the configuration loader (src/config) on arbitrary text:
 * libconfig's parser, then every section's reading and the cross-checks
 * (roles, rules, cost centres, budgets, aliases), through
 * ora_conf_load_string(). Whatever the text, the load either succeeds or
 * fails with diagnostics; a loaded configuration is then looked up the way
 * orad does.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "config/conf.h"
#include "fuzz/fuzz.h"

#define CONF_FUZZ_MAX (256u * 1024) /* larger texts only slow the search */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ora_diag diag = {0};
	struct ora_conf *conf = NULL;
	char *text;

	if (size > CONF_FUZZ_MAX || (text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (ora_conf_load_string("fuzz.conf", text, &conf, &diag) == 0) {
		for (size_t i = 0; i < conf->n_roles; i++)
			(void)ora_conf_find_role(conf, conf->roles[i].name);
		for (size_t i = 0; i < conf->n_centres; i++)
			(void)ora_conf_find_centre(conf, conf->centres[i].name);
		for (size_t i = 0; i < conf->n_aliases; i++)
			(void)ora_conf_alias(conf, conf->aliases[i].name);
		ora_conf_unref(conf);
	}
	ora_diag_clear(&diag);
	free(text);
	return 0;
}
