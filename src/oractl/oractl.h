/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * oractl.h: shared pieces of oractl, the administrator's tool.
 *
 * Each command is a function of (context, argc, argv) with argv[0] naming
 * the command, returning an exit status. Commands print what they did on
 * standard output and problems on standard error; never a key.
 */
#ifndef ORACTL_H
#define ORACTL_H

#include <stddef.h>

#include "common/util.h"

struct ora_conf;
struct ora_secret;

/* Exit statuses, as documented in oractl(8). */
#define ORACTL_EXIT_OK 0
#define ORACTL_EXIT_ERROR 1
#define ORACTL_EXIT_USAGE 2
/* Refused to do what was asked because it would destroy something (init
 * over a master key, prune of unsettled rows); --force or a fix is needed. */
#define ORACTL_EXIT_REFUSED 3

struct oractl {
	const char *conf_path;  /* -c, $ORA_CONF or the default */
	struct ora_conf *conf;  /* loaded on demand by oractl_conf() */
	char *orad_socket;      /* where orad listens, and its admin group: */
	char *orad_admin_group; /*   found on demand by oractl_orad() */
};

/* Load the configuration once; print its errors and warnings. */
int oractl_conf(struct oractl *ctl);

/* "oractl: ..." on standard error. */
void oractl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void oractl_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print the usage of one command (or all when NULL) to standard output
 * (help) or standard error (a usage mistake) and return the exit status. */
int oractl_usage(const char *command, int help);

/* Parse a command's options; each letter maps to a flag in flags[]. Returns
 * the index of the first operand, or -1 after printing usage (with *status
 * set: 0 for -h, 2 for a mistake). */
struct oractl_option {
	const char *name; /* long name, e.g. "force" */
	int *flag;
};
int oractl_parse_options(
    const char *command, int argc, char **argv, const struct oractl_option *opts, int *status);

/* Commands. */
int oractl_cmd_init(struct oractl *ctl, int argc, char **argv);
int oractl_cmd_backup(struct oractl *ctl, int argc, char **argv);
int oractl_cmd_prune(struct oractl *ctl, int argc, char **argv);
int oractl_cmd_key(struct oractl *ctl, int argc, char **argv);
int oractl_cmd_report(struct oractl *ctl, int argc, char **argv);
int oractl_cmd_check(struct oractl *ctl, int argc, char **argv);
int oractl_cmd_explain(struct oractl *ctl, int argc, char **argv);
int oractl_cmd_reload(struct oractl *ctl, int argc, char **argv);
int oractl_cmd_status(struct oractl *ctl, int argc, char **argv);
int oractl_cmd_metrics(struct oractl *ctl, int argc, char **argv);
int oractl_cmd_audit(struct oractl *ctl, int argc, char **argv);

/* key rotate, rm and check (cmd_key_more.c), called by `key` with argv[0]
 * naming the subcommand. */
int oractl_key_rotate(struct oractl *ctl, int argc, char **argv);
int oractl_key_rm(struct oractl *ctl, int argc, char **argv);
int oractl_key_check(struct oractl *ctl, int argc, char **argv);

/* Management keys and provisioned keys (cmd_key_provision.c): key add
 * --management, key provision, key rotate --provision. */
int oractl_key_add_management(struct oractl *ctl, const char *name, int force, int prompt);
int oractl_key_provision(struct oractl *ctl, int argc, char **argv);
int oractl_key_rotate_provision(struct oractl *ctl, const char *name);

/* The cost centres of conf that pay with key name, as "a, b", or NULL. */
char *oractl_key_users(const struct ora_conf *conf, const char *name);

/* Read a key for name from standard input (as oractl_read_key), check its
 * shape and seal it under master, replacing a stored one atomically;
 * fingerprint (ORA_KEY_FINGERPRINT_HEX + 1 bytes) receives its fingerprint.
 * Problems are printed. */
int oractl_key_store(const struct ora_conf *conf, const struct ora_secret *master, const char *name,
    int prompt, char *fingerprint);

/* The names of the keys stored in state_dir/keys, sorted (names may be
 * NULL to count them only; free with oractl_names_free). A missing keys/
 * directory holds no keys. */
int oractl_key_names(const char *state_dir, char ***names, size_t *n);
void oractl_names_free(char **names, size_t n);

/* Read an upstream key from standard input into locked memory: refused
 * when standard input is a terminal, unless prompt is set, in which case it
 * asks on the terminal with echo off. */
int oractl_read_key(const char *name, int prompt, struct ora_secret **out, struct ora_error *err);

#endif
