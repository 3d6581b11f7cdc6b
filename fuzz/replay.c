/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * replay.c: main() for a fuzz target built without libFuzzer.
 *
 * Runs the target once on each file named on the command line, and on each
 * file of each directory named (in name order), the way a libFuzzer binary
 * does with -runs=0; options (arguments starting with '-') are accepted and
 * ignored, so fuzz/corpus.sh runs either build the same way. Each input is
 * copied into a buffer of exactly its size, so that AddressSanitizer sees a
 * read past its end.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz/fuzz.h"

#define REPLAY_MAX_INPUT (16u * 1024 * 1024) /* larger than any seed */

static int
run_file(const char *path)
{
	struct stat st;
	unsigned char *data;
	size_t n;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		return -1;
	}
	if ((size_t)st.st_size > REPLAY_MAX_INPUT) {
		fprintf(stderr, "replay: %s: larger than %u bytes\n", path, REPLAY_MAX_INPUT);
		fclose(f);
		return -1;
	}
	/* Exactly the input's size (one byte for an empty one, which the
	 * target is told is empty), so that an over-read is caught. */
	if ((data = malloc(st.st_size > 0 ? (size_t)st.st_size : 1)) == NULL) {
		fclose(f);
		return -1;
	}
	n = fread(data, 1, (size_t)st.st_size, f);
	fclose(f);
	if (n != (size_t)st.st_size) {
		fprintf(stderr, "replay: %s: short read\n", path);
		free(data);
		return -1;
	}
	LLVMFuzzerTestOneInput(data, n);
	free(data);
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Returns the number of inputs run, or -1. */
static int
run_dir(const char *path)
{
	char **names = NULL, *full;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	int count = 0;
	DIR *d;

	if ((d = opendir(path)) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			if ((names = realloc(names, cap * sizeof(*names))) == NULL)
				abort();
		}
		if ((names[n++] = strdup(de->d_name)) == NULL)
			abort();
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		if ((full = malloc(strlen(path) + strlen(names[i]) + 2)) == NULL)
			abort();
		sprintf(full, "%s/%s", path, names[i]);
		if (run_file(full) != 0)
			count = -1;
		else if (count >= 0)
			count++;
		free(full);
		free(names[i]);
	}
	free(names);
	return count;
}

int
main(int argc, char **argv)
{
	struct stat st;
	int total = 0, failed = 0, r;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			r = run_dir(argv[i]);
		else
			r = run_file(argv[i]) == 0 ? 1 : -1;
		if (r < 0)
			failed = 1;
		else
			total += r;
	}
	printf("replay: %d inputs run\n", total);
	return failed;
}
