/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
/*
 * orask: ask a model from the shell, through the ora broker.
 *
 *   orask "question"            echo text | orask "instruction"
 *   orask -c "and then?"        orask models | me | usage | log
 *
 * No API key: the broker knows who you are from the socket.
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "orask/orask.h"

#define MAX_TOKENS_LIMIT 10000000UL
#define TIMEOUT_LIMIT 86400.0 /* seconds */

volatile sig_atomic_t orask_interrupted;
enum orask_color orask_color_choice;

enum {
	OPT_MAX_TOKENS = 256,
	OPT_NO_STREAM,
	OPT_JSON,
	OPT_TIMEOUT,
	OPT_CID,
	OPT_RAW,
};

static const struct option long_options[] = {
    {"model", required_argument, NULL, 'm'},
    {"system", required_argument, NULL, 's'},
    {"temperature", required_argument, NULL, 't'},
    {"max-tokens", required_argument, NULL, OPT_MAX_TOKENS},
    {"no-stream", no_argument, NULL, OPT_NO_STREAM},
    {"raw", no_argument, NULL, OPT_RAW},
    {"json", no_argument, NULL, OPT_JSON},
    {"cost-centre", required_argument, NULL, 'e'},
    {"usage", no_argument, NULL, 'u'},
    {"continue", no_argument, NULL, 'c'},
    {"cid", required_argument, NULL, OPT_CID},
    {"query", required_argument, NULL, 'q'},
    {"template", required_argument, NULL, 'T'},
    {"file", required_argument, NULL, 'f'},
    {"socket", required_argument, NULL, 'S'},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static void
help(void)
{
	printf("Usage: orask [OPTION]... QUESTION...\n"
	       "       COMMAND | orask [OPTION]... [INSTRUCTION...]\n"
	       "       orask [-S SOCKET] [-e COSTCENTRE] [--json] models|me|usage\n"
	       "       orask [--json] log [N] [-q TEXT] [--cid ID]\n"
	       "       orask [--json] show ID\n"
	       "       orask rm ID\n"
	       "       orask [--json] templates\n"
	       "       orask [OPTION]... chat    (or a bare orask on a terminal)\n"
	       "Ask a language model through the ora broker; the answer streams to standard\n"
	       "output. Standard input, when it is not a terminal, is added after the\n"
	       "arguments, separated by a blank line. Each question starts a new\n"
	       "conversation unless -c or --cid says which one it continues.\n"
	       "\n"
	       "  -m, --model=MODEL         model slug (default: your role's default model)\n"
	       "  -s, --system=TEXT         system prompt\n"
	       "  -t, --temperature=T       sampling temperature, 0 to 2\n"
	       "      --max-tokens=N        longest answer, in tokens\n"
	       "      --no-stream           print the answer when it is complete\n"
	       "      --json                print one JSON object: text, model, usage, cost\n"
	       "      --raw                 on a terminal too, the answer exactly as received\n"
	       "                            (else Markdown is rendered there)\n"
	       "  -e, --cost-centre=NAME    charge one of your other cost centres\n"
	       "  -c, --continue            continue this terminal's last conversation\n"
	       "      --cid=ID              continue conversation ID (or start it)\n"
	       "  -u, --usage               print tokens, cost and budgets left on standard error\n"
	       "  -S, --socket=PATH         broker socket (default: $ORA_SOCKET, else %s)\n"
	       "      --timeout=SECONDS     give up after this long (0.5 is half a second)\n"
	       "  -q, --query=TEXT          with log: only exchanges holding every word of TEXT\n"
	       "  -f, --file=FILE           add FILE (text) to the question, labelled with its\n"
	       "                            name; repeatable; - is standard input\n"
	       "  -T, --template=NAME       a template of orask.conf: its system prompt, model\n"
	       "                            and options (the command line still wins)\n"
	       "  -h, --help                show this help\n"
	       "  -V, --version             show the version\n"
	       "\n"
	       "Commands: models (the models you may use, with prices per million tokens),\n"
	       "me (who the broker thinks you are), usage (your budgets), log [N] (your last\n"
	       "N exchanges, 20 by default; -q searches them, --cid picks a conversation),\n"
	       "show ID (a whole conversation), rm ID (remove one), templates (those of\n"
	       "~/.config/ora/orask.conf), chat (a conversation at a prompt; -c and --cid\n"
	       "continue one). These words are never sent as questions; to ask one,\n"
	       "write: orask -- models\n"
	       "\n"
	       "Exit status: 0 answered, 2 usage error, 3 broker unreachable, 4 not permitted\n"
	       "or model not allowed, 5 budget exhausted, 6 rate limited, 7 upstream error,\n"
	       "8 input too large, 130 interrupted, 1 any other failure.\n",
	    ORA_DEFAULT_SOCKET);
}

void
orask_warn(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("orask: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("orask: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'orask --help'.\n", stderr);
	return ORASK_EXIT_USAGE;
}

int
orask_use_color(int fd)
{
	const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");

	if ((no_color != NULL && *no_color != '\0') || orask_color_choice == ORASK_COLOR_NEVER)
		return 0;
	if (orask_color_choice == ORASK_COLOR_ALWAYS)
		return 1;
	return isatty(fd) && (term == NULL || strcmp(term, "dumb") != 0);
}

void
orask_format_cost(char *buf, size_t size, double cost)
{
	char *end;

	snprintf(buf, size, "%.8f", cost);
	end = buf + strlen(buf) - 1;
	while (end > buf && *end == '0' && end[-1] != '.')
		*end-- = '\0';
}

/* A model's answer is untrusted text: on a terminal, control characters
 * other than tab, newline and carriage return are shown as '?', so an
 * answer cannot move the cursor, retitle the window or worse. Pipes and
 * files get the exact bytes. */
void
orask_write_text(FILE *f, int tty, const char *text, size_t len)
{
	size_t i;

	if (!tty) {
		fwrite(text, 1, len, f);
		return;
	}
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];

		if ((ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || ch == 0x7f)
			ch = '?';
		putc(ch, f);
	}
}

int
orask_exit_for(enum ora_status status)
{
	if (orask_interrupted)
		return ORASK_EXIT_SIGNAL_BASE + orask_interrupted;
	switch (status) {
	case ORA_OK:
		return ORASK_EXIT_OK;
	case ORA_E_UNREACHABLE:
	case ORA_E_UNAVAILABLE:
		return ORASK_EXIT_UNREACHABLE;
	case ORA_E_NOT_PERMITTED:
	case ORA_E_MODEL_NOT_ALLOWED:
	case ORA_E_COST_CENTRE_NOT_ALLOWED:
		return ORASK_EXIT_DENIED;
	case ORA_E_BUDGET:
		return ORASK_EXIT_BUDGET;
	case ORA_E_RATE_LIMITED:
		return ORASK_EXIT_RATE_LIMITED;
	case ORA_E_UPSTREAM:
	case ORA_E_UPSTREAM_MIDSTREAM:
		return ORASK_EXIT_UPSTREAM;
	case ORA_E_TOO_LARGE:
		return ORASK_EXIT_TOO_LARGE;
	default:
		return ORASK_EXIT_FAIL;
	}
}

int
orask_fail(struct ora_client *c, enum ora_status status)
{
	long retry = ora_client_last_retry_after(c);
	const char *msg;

	/* An interruption was asked for: "cancelled" would only repeat it. */
	if (orask_interrupted)
		return orask_exit_for(status);
	msg = *ora_client_last_error(c) != '\0' ? ora_client_last_error(c) : ora_status_str(status);
	/* One message per refusal: the broker's sentence, with when to try
	 * again only where it does not already say so. */
	if (status == ORA_E_RATE_LIMITED && retry >= 0 && strstr(msg, "try again") == NULL)
		orask_warn("%s; try again in %ld second%s", msg, retry, retry == 1 ? "" : "s");
	else if (status == ORA_E_TOO_LARGE)
		orask_warn("%s; nothing was answered: send less input", msg);
	else
		orask_warn("%s", msg);
	return orask_exit_for(status);
}

static void
on_signal(int sig)
{
	orask_interrupted = sig;
}

/* No SA_RESTART: a blocked read of standard input returns at once, and
 * the library's cancel check stops the request at once too. */
static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int
cancel_check(void *arg)
{
	return orask_interrupted != 0;
}

static int
parse_options(int argc, char **argv, struct orask_options *o)
{
	unsigned long n;
	double seconds;
	char *end;
	int ch;

	while ((ch = getopt_long(argc, argv, "m:s:t:e:ucS:q:T:f:hV", long_options, NULL)) != -1) {
		switch (ch) {
		case 'm':
			o->model = optarg;
			break;
		case 's':
			o->system = optarg;
			break;
		case 't':
			o->temperature = strtod(optarg, &end);
			if (end == optarg || *end != '\0' ||
			    !(o->temperature >= 0.0 && o->temperature <= 2.0))
				return usage_error("the temperature must be a number from 0 to 2, "
				                   "not '%s'",
				    optarg);
			o->has_temperature = 1;
			break;
		case OPT_MAX_TOKENS:
			if (ora_parse_ulong(optarg, MAX_TOKENS_LIMIT, &n) != 0 || n == 0)
				return usage_error(
				    "--max-tokens needs a positive number, not '%s'", optarg);
			o->max_tokens = (long)n;
			break;
		case OPT_NO_STREAM:
			o->stream = 0;
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_RAW:
			o->raw = 1;
			break;
		case 'e':
			o->cost_centre = optarg;
			break;
		case 'u':
			o->show_usage = 1;
			break;
		case 'c':
			o->cont = 1;
			break;
		case OPT_CID:
			if (!orask_history_valid_id(optarg))
				return usage_error("a conversation id has 1 to %d letters, digits, "
				                   "'-', '_' or '.', not '%s'",
				    ORASK_CID_MAX, optarg);
			o->cid = optarg;
			break;
		case 'S':
			o->socket = optarg;
			break;
		case OPT_TIMEOUT:
			seconds = strtod(optarg, &end);
			if (end == optarg || *end != '\0' ||
			    !(seconds >= 0 && seconds <= TIMEOUT_LIMIT))
				return usage_error(
				    "--timeout needs a number of seconds from 0 to %.0f "
				    "(0.5 is half a second), not '%s'",
				    TIMEOUT_LIMIT, optarg);
			/* Rounded up: --timeout 0.0001 is a timeout, not none. */
			o->timeout_ms = (long)(seconds * 1000.0 + 0.999);
			break;
		case 'q':
			o->query = optarg;
			break;
		case 'T':
			o->template_name = optarg;
			break;
		case 'f':
			if (o->n_files == ORASK_MAX_FILES)
				return usage_error(
				    "at most %d files (-f) go with one question", ORASK_MAX_FILES);
			o->files[o->n_files++] = optarg;
			break;
		case 'h':
			help();
			exit(ORASK_EXIT_OK);
		case 'V':
			printf("orask (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			exit(ORASK_EXIT_OK);
		default:
			fprintf(stderr, "Try 'orask --help'.\n");
			return ORASK_EXIT_USAGE;
		}
	}
	return 0;
}

static int
open_client(const struct orask_options *o, struct ora_client **c)
{
	enum ora_status r;

	if ((r = ora_client_open(o->socket, c)) != ORA_OK) {
		if (r == ORA_E_INVALID)
			return usage_error("the socket path is too long");
		orask_warn("cannot create a client: %s", ora_status_str(r));
		return ORASK_EXIT_FAIL;
	}
	ora_client_set_cancel_check(*c, cancel_check, NULL);
	if (o->cost_centre != NULL &&
	    (r = ora_client_set_cost_centre(*c, o->cost_centre)) != ORA_OK)
		return usage_error("%s", ora_client_last_error(*c));
	if (o->timeout_ms > 0)
		ora_client_set_timeout(*c, o->timeout_ms);
	return 0;
}

/* The command the words after the options name; an exit code when they
 * are a mistake rather than a question, or options do not go with it. */
static int
pick_command(int argc, char **argv, const struct orask_options *o, struct orask_command *cmd)
{
	int dashdash = optind > 0 && strcmp(argv[optind - 1], "--") == 0;
	char msg[2048];

	/* A person at a terminal who mistypes a command is asked; a script
	 * (standard input not a terminal) gets what it wrote. */
	if (orask_command_parse(argc - optind, argv + optind, dashdash, isatty(STDIN_FILENO), cmd,
	        msg, sizeof(msg)) != 0)
		return usage_error("%s", msg);
	if (cmd->cmd != ORASK_CMD_NONE && cmd->cmd != ORASK_CMD_LOG && cmd->cmd != ORASK_CMD_CHAT &&
	    (o->cont || o->cid != NULL))
		return usage_error("-c and --cid go with a question or log, not with '%s'",
		    orask_command_name(cmd->cmd));
	if (cmd->cmd == ORASK_CMD_LOG && o->cont)
		return usage_error(
		    "-c goes with a question; to list a conversation: orask log --cid ID");
	if (cmd->cmd != ORASK_CMD_NONE && o->n_files > 0)
		return usage_error(
		    "-f adds a file to a question, not to '%s'", orask_command_name(cmd->cmd));
	if (cmd->cmd != ORASK_CMD_LOG && o->query != NULL)
		return usage_error("-q searches the history: orask log -q TEXT");
	return 0;
}

/* orask.conf, then -T: what the command line left unset. Returns 0 or
 * an exit code after printing why. */
static int
apply_settings(struct orask_options *o, struct orask_settings *st)
{
	const struct orask_template *t = NULL;
	char msg[2048], *path;
	size_t i;
	int r;

	if ((path = orask_settings_path()) == NULL)
		r = 0, memset(st, 0, sizeof(*st));
	else
		r = orask_settings_load(path, st, msg, sizeof(msg));
	free(path);
	if (r != 0) {
		orask_warn("%s", msg);
		return ORASK_EXIT_USAGE;
	}
	orask_color_choice = st->color;
	if (o->template_name != NULL &&
	    (t = orask_settings_template(st, o->template_name)) == NULL) {
		fprintf(stderr, "orask: no template '%s'", o->template_name);
		for (i = 0; i < st->n_templates; i++)
			fprintf(
			    stderr, "%s%s", i == 0 ? "; there are: " : ", ", st->templates[i].name);
		fprintf(stderr, "%s\n", st->n_templates == 0 ? " (orask.conf has none)" : "");
		return ORASK_EXIT_USAGE;
	}
	if (t != NULL) {
		if (o->model == NULL)
			o->model = t->model;
		if (o->system == NULL)
			o->system = t->system;
		if (o->cost_centre == NULL)
			o->cost_centre = t->cost_centre;
		if (!o->has_temperature && t->has_temperature) {
			o->temperature = t->temperature;
			o->has_temperature = 1;
		}
		if (o->max_tokens == 0)
			o->max_tokens = t->max_tokens;
	}
	o->default_model = st->model;
	o->default_system = st->system;
	if (o->cost_centre == NULL)
		o->cost_centre = st->cost_centre;
	o->markdown_never = st->markdown_never;
	o->keep_days = st->keep_days;
	o->keep_conversations = st->keep_conversations;
	return 0;
}

static int
run_command(struct ora_client *c, const struct orask_options *o, const struct orask_command *cmd)
{
	switch (cmd->cmd) {
	case ORASK_CMD_MODELS:
		return orask_models(c, o->json);
	case ORASK_CMD_ME:
		return orask_me(c, o->json);
	case ORASK_CMD_USAGE:
		return orask_usage(c, o->json);
	default:
		return ORASK_EXIT_FAIL;
	}
}

int
main(int argc, char **argv)
{
	struct orask_options o = {.stream = 1};
	struct orask_memory mem = {0};
	struct orask_command cmd;
	struct orask_settings st = {0};
	struct ora_client *c = NULL;
	char *question = NULL;
	int code;

	catch_signals();
	if ((code = parse_options(argc, argv, &o)) != 0)
		return code;
	if ((code = pick_command(argc, argv, &o, &cmd)) != 0)
		return code;
	if ((code = apply_settings(&o, &st)) != 0)
		goto out;
	/* These need no broker. */
	if (cmd.cmd == ORASK_CMD_LOG || cmd.cmd == ORASK_CMD_SHOW || cmd.cmd == ORASK_CMD_RM ||
	    cmd.cmd == ORASK_CMD_TEMPLATES) {
		code = cmd.cmd == ORASK_CMD_LOG    ? orask_log(&o, &cmd)
		       : cmd.cmd == ORASK_CMD_SHOW ? orask_show(&o, cmd.id)
		       : cmd.cmd == ORASK_CMD_RM   ? orask_rm(&o, cmd.id)
		                                   : orask_templates(&st, o.json);
		goto out;
	}
	/* A bare orask at a terminal is a chat. */
	if (cmd.cmd == ORASK_CMD_NONE && argc == optind && o.n_files == 0 && isatty(STDIN_FILENO) &&
	    isatty(STDOUT_FILENO))
		cmd.cmd = ORASK_CMD_CHAT;
	if (cmd.cmd == ORASK_CMD_CHAT && !isatty(STDIN_FILENO)) {
		code = usage_error("chat reads from a terminal; to ask from a script: "
		                   "orask QUESTION, or COMMAND | orask");
		goto out;
	}
	o.chat = cmd.cmd == ORASK_CMD_CHAT;
	if (cmd.cmd == ORASK_CMD_NONE && (code = orask_read_question(argc - optind, argv + optind,
	                                      o.files, o.n_files, &question)) != 0)
		goto out;
	/* Before anything is sent: a history that may not be used stops here. */
	if ((cmd.cmd == ORASK_CMD_NONE || cmd.cmd == ORASK_CMD_CHAT) &&
	    (code = orask_memory_prepare(&o, &mem)) != 0)
		goto out;
	if ((code = open_client(&o, &c)) != 0)
		goto out;
	if (cmd.cmd == ORASK_CMD_NONE)
		code = orask_ask(c, &o, question, &mem);
	else if (cmd.cmd == ORASK_CMD_CHAT)
		code = orask_chat(c, &o, &mem);
	else
		code = run_command(c, &o, &cmd);
out:
	ora_client_close(c);
	orask_memory_close(&mem);
	orask_settings_free(&st);
	free(question);
	return code;
}
