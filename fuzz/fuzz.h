/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * fuzz.h: what every fuzz target defines (fuzz/README.md).
 *
 * libFuzzer calls LLVMFuzzerTestOneInput() with each input; without
 * --enable-fuzzing, fuzz/replay.c calls it with each file of the seed
 * corpus. LLVMFuzzerInitialize() is optional: a target that needs state
 * kept between inputs (an open database) defines it.
 */
#ifndef ORA_FUZZ_H
#define ORA_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#endif
