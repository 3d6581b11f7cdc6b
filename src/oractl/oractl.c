/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * oractl.c: the administrator's tool for ora.
 *
 *   oractl [-c FILE] COMMAND [ARGS]
 *
 * main() reads as the table of contents: harden the process, parse the
 * global options, find the command, run it, release. Each command lives in
 * its own file (cmd_*.c).
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "config/conf.h"
#include "keys/keystore.h"
#include "oractl/oractl.h"

#define ORACTL_OPTIONS_MAX 8

struct oractl_command {
	const char *name;
	int (*run)(struct oractl *ctl, int argc, char **argv);
	const char *synopsis; /* one or more lines, without "oractl " */
	const char *summary;
};

static const struct oractl_command oractl_commands[] = {
    {"init", oractl_cmd_init, "init [--force] [--ledger-password [--prompt]]",
        "create the state directory, the master key and a PostgreSQL ledger's schema"},
    {"key", oractl_cmd_key,
        "key add [--force] [--prompt] [--management] NAME\nkey list [--local]\n"
        "key rotate [--prompt] NAME\nkey rotate --provision NAME\n"
        "key provision NAME --limit USD [--reset daily|weekly|monthly] [--label TEXT] "
        "[--management MGMT]\n"
        "key rm NAME\nkey check NAME",
        "store, list, replace, remove upstream keys; ask upstream about one"},
    {"report", oractl_cmd_report,
        "report [--by DIM]... [--from DATE] [--to DATE] [--period PERIOD] [--user USER] "
        "[--cost-centre CENTRE] [--format table|csv|json]",
        "spend, requests and tokens from the ledger, for billing"},
    {"check", oractl_cmd_check, "check",
        "validate a configuration: errors, warnings, keys, catalog"},
    {"explain", oractl_cmd_explain, "explain USER [MODEL]",
        "why orad treats USER as it does: rule, role, cost centres, budgets"},
    {"reload", oractl_cmd_reload, "reload", "make orad reload its configuration and keys"},
    {"status", oractl_cmd_status, "status [--json]", "what orad is doing now"},
    {"metrics", oractl_cmd_metrics, "metrics", "orad's metrics, in Prometheus text format"},
    {"audit", oractl_cmd_audit, "audit [--since DATE] [--host NAME]", "who did what to ora, and when"},
    {"backup", oractl_cmd_backup, "backup FILE",
        "a consistent copy of the ledger, while orad runs"},
    {"prune", oractl_cmd_prune, "prune --before DATE [--dry-run]",
        "remove settled ledger rows older than DATE (a summary stays)"},
};

#define ORACTL_N_COMMANDS (sizeof(oractl_commands) / sizeof(oractl_commands[0]))

static void oractl_vmessage(const char *prefix, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
oractl_vmessage(const char *prefix, const char *fmt, va_list ap)
{
	fflush(stdout); /* keep stdout and stderr in order on a terminal */
	fprintf(stderr, "oractl: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
oractl_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	oractl_vmessage("", fmt, ap);
	va_end(ap);
}

void
oractl_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	oractl_vmessage("warning: ", fmt, ap);
	va_end(ap);
}

static void
oractl_print_synopsis(FILE *f, const struct oractl_command *cmd)
{
	const char *line = cmd->synopsis, *nl;

	while (line != NULL && *line != '\0') {
		nl = strchr(line, '\n');
		fprintf(f, "       oractl [-c FILE] %.*s\n",
		    nl ? (int)(nl - line) : (int)strlen(line), line);
		line = nl ? nl + 1 : NULL;
	}
}

int
oractl_usage(const char *command, int help)
{
	FILE *f = help ? stdout : stderr;
	size_t i;

	fprintf(f, "usage: oractl [-c FILE] COMMAND [ARGS]\n");
	for (i = 0; i < ORACTL_N_COMMANDS; i++)
		if (command == NULL || strcmp(command, oractl_commands[i].name) == 0)
			oractl_print_synopsis(f, &oractl_commands[i]);
	if (command == NULL && help) {
		fprintf(f, "\nCommands:\n");
		for (i = 0; i < ORACTL_N_COMMANDS; i++)
			fprintf(
			    f, "  %-8s %s\n", oractl_commands[i].name, oractl_commands[i].summary);
		fprintf(f,
		    "\nOptions:\n"
		    "  -c FILE  configuration file (default: $ORA_CONF, else %s)\n"
		    "  -h, --help     show this help (oractl help COMMAND: one command's)\n"
		    "  -V, --version  print the version\n"
		    "\nExit status: 0 done, 1 error, 2 usage, 3 refused (see oractl(8)).\n"
		    "\nKeys are read from standard input, never from the command line.\n"
		    "See oractl(8).\n",
		    ORA_DEFAULT_CONF_PATH);
	}
	return help ? ORACTL_EXIT_OK : ORACTL_EXIT_USAGE;
}

int
oractl_parse_options(
    const char *command, int argc, char **argv, const struct oractl_option *opts, int *status)
{
	struct option longopts[ORACTL_OPTIONS_MAX + 2];
	size_t n = 0;
	int c;

	for (; opts != NULL && opts[n].name != NULL && n < ORACTL_OPTIONS_MAX; n++)
		longopts[n] = (struct option){opts[n].name, no_argument, NULL, 256 + (int)n};
	longopts[n] = (struct option){"help", no_argument, NULL, 'h'};
	longopts[n + 1] = (struct option){NULL, 0, NULL, 0};

	optind = 0; /* glibc: start afresh on this argv */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			*status = oractl_usage(command, 1);
			return -1;
		}
		if (c >= 256 && c < 256 + (int)n) {
			*opts[c - 256].flag = 1;
			continue;
		}
		if (optopt != 0)
			oractl_error("%s: unknown option '-%c'", argv[0], optopt);
		else
			oractl_error("%s: unknown option '%s'", argv[0], argv[optind - 1]);
		*status = oractl_usage(command, 0);
		return -1;
	}
	return optind;
}

int
oractl_conf(struct oractl *ctl)
{
	struct ora_diag diag = {NULL, 0, NULL, 0};
	size_t i;
	int ret = -1;

	if (ctl->conf != NULL)
		return 0;
	if (ora_conf_load(ctl->conf_path, &ctl->conf, &diag) != 0) {
		for (i = 0; i < diag.n_errors; i++)
			oractl_error("%s", diag.errors[i]);
		if (diag.n_errors == 0)
			oractl_error("cannot load the configuration %s", ctl->conf_path);
		if (access(ctl->conf_path, F_OK) != 0)
			oractl_error(
			    "(choose another configuration file with -c FILE or ORA_CONF)");
		goto out;
	}
	for (i = 0; i < diag.n_warnings; i++)
		oractl_warning("%s", diag.warnings[i]);
	ret = 0;
out:
	ora_diag_clear(&diag);
	return ret;
}

/*
 * Deny core dumps and ptrace by other processes of the same user: oractl
 * holds a plaintext upstream key and the master key for a moment. A private
 * umask means nothing it creates is ever readable by others, even briefly.
 * Fatal if it fails, since continuing could leak a key into a core file.
 */
static void
oractl_harden(void)
{
	struct rlimit no_core = {0, 0};

	umask(077);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 || setrlimit(RLIMIT_CORE, &no_core) != 0) {
		perror("oractl: cannot disable core dumps");
		exit(ORACTL_EXIT_ERROR);
	}
}

/* -c FILE, else $ORA_CONF, else the default. Returns the index of the
 * command, or -1 with *status set. */
static int
oractl_parse_global(struct oractl *ctl, int argc, char **argv, int *status)
{
	const char *env = getenv("ORA_CONF");
	int c;

	ctl->conf_path = env != NULL && *env != '\0' ? env : ORA_DEFAULT_CONF_PATH;
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};

	opterr = 0;
	/* '+': stop at the command, whose options are its own. */
	while ((c = getopt_long(argc, argv, "+c:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			ctl->conf_path = optarg;
			break;
		case 'h':
			*status = oractl_usage(NULL, 1);
			return -1;
		case 'V':
			printf("oractl (ora) %s\n", PACKAGE_VERSION);
			*status = ORACTL_EXIT_OK;
			return -1;
		default:
			if (optopt == 'c')
				oractl_error("-c needs a configuration file");
			else if (optopt == 0)
				oractl_error("unknown option '%s'", argv[optind - 1]);
			else
				oractl_error("unknown option '-%c'", optopt);
			*status = oractl_usage(NULL, 0);
			return -1;
		}
	}
	if (optind >= argc) {
		oractl_error("no command given");
		*status = oractl_usage(NULL, 0);
		return -1;
	}
	return optind;
}

static const struct oractl_command *
oractl_find(const char *name)
{
	size_t i;

	for (i = 0; i < ORACTL_N_COMMANDS; i++)
		if (strcmp(name, oractl_commands[i].name) == 0)
			return &oractl_commands[i];
	return NULL;
}

/* `oractl help [COMMAND]`: the same text as -h and COMMAND -h. */
static int
oractl_help(int argc, char **argv)
{
	if (argc == 1)
		return oractl_usage(NULL, 1);
	if (argc > 2 || oractl_find(argv[1]) == NULL) {
		oractl_error("help: no command '%s'", argv[1]);
		return oractl_usage(NULL, 0);
	}
	return oractl_usage(argv[1], 1);
}

int
main(int argc, char **argv)
{
	struct oractl ctl = {NULL, NULL, NULL, NULL};
	const struct oractl_command *cmd;
	struct ora_error err;
	int first, status = ORACTL_EXIT_USAGE;

	oractl_harden();
	ora_log_init("oractl", 1, ORA_LOG_WARNING);

	if ((first = oractl_parse_global(&ctl, argc, argv, &status)) < 0)
		return status;
	if (strcmp(argv[first], "help") == 0)
		return oractl_help(argc - first, argv + first);
	if ((cmd = oractl_find(argv[first])) == NULL) {
		oractl_error("unknown command '%s'", argv[first]);
		return oractl_usage(NULL, 0);
	}
	if (ora_keystore_init(&err) != 0) {
		oractl_error("%s", err.msg);
		return ORACTL_EXIT_ERROR;
	}

	status = cmd->run(&ctl, argc - first, argv + first);

	if (ctl.conf != NULL)
		ora_conf_unref(ctl.conf);
	free(ctl.orad_socket);
	free(ctl.orad_admin_group);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("oractl: writing to standard output");
		status = ORACTL_EXIT_ERROR;
	}
	return status;
}
