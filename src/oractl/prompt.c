/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * prompt.c: reading an upstream key from standard input.
 *
 * From a pipe or file: everything up to end of file. From a terminal: only
 * with --prompt, one line with echo off, so the key never shows on screen or
 * in a terminal's scrollback. The key goes straight into locked memory.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "common/util.h"
#include "keys/keystore.h"
#include "oractl/oractl.h"

static struct termios prompt_saved;
static volatile sig_atomic_t prompt_echo_off;
static const int prompt_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define PROMPT_N_SIGNALS (sizeof(prompt_signals) / sizeof(prompt_signals[0]))

/* Ctrl-C at the prompt must not leave the admin's terminal without echo:
 * restore it, then die of the signal as if there were no handler. */
static void
prompt_on_signal(int sig)
{
	if (prompt_echo_off)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &prompt_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int
prompt_hidden(const char *name, struct ora_secret **out, struct ora_error *err)
{
	struct sigaction sa, old[PROMPT_N_SIGNALS];
	struct termios quiet;
	size_t i;
	int ret;

	if (tcgetattr(STDIN_FILENO, &prompt_saved) != 0)
		return ora_error_set(err, "cannot read the terminal settings: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = prompt_on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < PROMPT_N_SIGNALS; i++)
		sigaction(prompt_signals[i], &sa, &old[i]);

	quiet = prompt_saved;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL | ICANON;
	fprintf(stderr, "Key for '%s' (typing is not shown): ", name);
	fflush(stderr);
	prompt_echo_off = 1;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0) {
		ret =
		    ora_error_set(err, "cannot turn off echo on the terminal: %s", strerror(errno));
	} else {
		ret = ora_secret_read(STDIN_FILENO, ORA_UPSTREAM_KEY_MAX, 1, out, err);
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &prompt_saved);
	}
	prompt_echo_off = 0;

	for (i = 0; i < PROMPT_N_SIGNALS; i++)
		sigaction(prompt_signals[i], &old[i], NULL);
	return ret;
}

int
oractl_read_key(const char *name, int prompt, struct ora_secret **out, struct ora_error *err)
{
	*out = NULL;
	if (!isatty(STDIN_FILENO))
		return ora_secret_read(STDIN_FILENO, ORA_UPSTREAM_KEY_MAX, 0, out, err);
	if (!prompt)
		return ora_error_set(err,
		    "standard input is a terminal, where the key would be echoed: pipe it in "
		    "(`oractl key add %s < FILE`) or use --prompt to type it with echo off",
		    name);
	return prompt_hidden(name, out, err);
}
