/*
 * history.c: orask's conversations, the terminals that continue them, and
 * recording an exchange (history.h has the layout and the rules;
 * history_files.c the checked files, history_log.c the log).
 *
 * Updates take an flock on the state directory, so that two orask runs at
 * once (two terminals, or a script) do not lose each other's exchanges.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/util.h"
#include "orask/history_internal.h"

#define CONV_DIR HIST_CONV_DIR
#define CONV_SUFFIX HIST_CONV_SUFFIX
#define TERMINALS_FILE HIST_TERMINALS_FILE
#define STALE_TMP_S 3600 /* a temporary file this old was left by a crash */
#define PRUNE_TO (ORASK_HISTORY_MAX_CONVERSATIONS - ORASK_HISTORY_MAX_CONVERSATIONS / 10)

/* ---- where, and which terminal ----------------------------------------- */

char *
orask_history_default_dir(void)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	struct passwd *pw;

	/* The XDG specification: a relative path is to be ignored. */
	if (state != NULL && state[0] == '/')
		return ora_xasprintf("%s/ora", state);
	if ((home == NULL || home[0] != '/') && (pw = getpwuid(getuid())) != NULL)
		home = pw->pw_dir;
	if (home == NULL || home[0] != '/')
		return NULL;
	return ora_xasprintf("%s/.local/state/ora", home);
}

int
orask_history_terminal_key(char *key, size_t size)
{
	char path[64], stat[1024], *p;
	unsigned long long start = 0;
	pid_t sid = getsid(0);
	ssize_t n = -1;
	int fd, i;

	if (sid < 0)
		return -1;
	/* Field 22 of /proc/SID/stat, the leader's start time, counted after
	 * the command name, which may hold spaces and parentheses. */
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)sid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, stat, sizeof(stat) - 1);
		close(fd);
	}
	if (n > 0) {
		stat[n] = '\0';
		if ((p = strrchr(stat, ')')) != NULL) {
			for (i = 2; i < 22 && p != NULL; i++)
				p = strchr(p + 1, ' ');
			if (p != NULL)
				start = strtoull(p + 1, NULL, 10);
		}
	}
	snprintf(key, size, "%ld-%llu", (long)sid, start);
	return 0;
}

/* ---- conversations ---------------------------------------------------------- */

int
orask_history_valid_id(const char *id)
{
	size_t n = strlen(id);

	return n > 0 && n <= ORASK_CID_MAX && id[0] != '.' &&
	       strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n;
}

void
orask_conversation_free(struct orask_conversation *conv)
{
	size_t i;

	if (conv == NULL)
		return;
	for (i = 0; i < conv->n_messages; i++) {
		free(conv->messages[i].role);
		free(conv->messages[i].content);
	}
	free(conv->messages);
	free(conv->model);
	free(conv->system);
	free(conv);
}

static void
add_message(struct orask_conversation *conv, const char *role, const char *content)
{
	conv->messages =
	    ora_xrealloc(conv->messages, (conv->n_messages + 1) * sizeof(*conv->messages));
	conv->messages[conv->n_messages].role = ora_xstrdup(role);
	conv->messages[conv->n_messages].content = ora_xstrdup(content);
	conv->n_messages++;
}

static struct orask_conversation *
conversation_new(const char *id)
{
	struct orask_conversation *conv = ora_xcalloc(1, sizeof(*conv));

	snprintf(conv->id, sizeof(conv->id), "%s", id);
	conv->is_new = 1;
	return conv;
}

/* Load conversation id; NOT_FOUND when there is none by that name. */
static enum orask_history_status
conversation_load(struct orask_history *h, const char *id, struct orask_conversation **out,
    char *msg, size_t size)
{
	struct json_object *root = NULL, *messages, *m;
	struct orask_conversation *conv;
	enum orask_history_status r;
	char name[ORASK_CID_MAX + 8], *path, *text;
	const char *role, *content;
	size_t len, i;

	*out = NULL;
	snprintf(name, sizeof(name), "%s%s", id, CONV_SUFFIX);
	path = ora_xasprintf("%s/%s/%s", h->dir, CONV_DIR, name);
	if ((r = hist_read_file(h->conv_dfd, name, path, &text, &len, msg, size)) !=
	    ORASK_HISTORY_OK)
		goto out;
	root = json_tokener_parse(text);
	free(text);
	if (root == NULL || !json_object_object_get_ex(root, "messages", &messages) ||
	    !json_object_is_type(messages, json_type_array)) {
		r = hist_say(msg, size, ORASK_HISTORY_UNAVAILABLE,
		    "%s is damaged (not a conversation orask wrote); remove it", path);
		goto out;
	}
	conv = conversation_new(id);
	conv->is_new = 0;
	if (hist_json_str(root, "model") != NULL)
		conv->model = ora_xstrdup(hist_json_str(root, "model"));
	if (hist_json_str(root, "system") != NULL)
		conv->system = ora_xstrdup(hist_json_str(root, "system"));
	for (i = 0; i < json_object_array_length(messages); i++) {
		m = json_object_array_get_idx(messages, i);
		role = hist_json_str(m, "role");
		content = hist_json_str(m, "content");
		if (role != NULL && content != NULL &&
		    (strcmp(role, "user") == 0 || strcmp(role, "assistant") == 0))
			add_message(conv, role, content);
	}
	*out = conv;
out:
	json_object_put(root);
	free(path);
	return r;
}

static size_t
conversation_bytes(const struct orask_conversation *conv)
{
	size_t i, n = 0;

	for (i = 0; i < conv->n_messages; i++)
		n += strlen(conv->messages[i].content);
	return n;
}

/* Drop the oldest exchanges past the limits; the newest always stays. */
static void
conversation_trim(struct orask_conversation *conv)
{
	size_t drop;

	while (conv->n_messages > 2 && (conv->n_messages > 2 * ORASK_HISTORY_MAX_EXCHANGES ||
	                                   conversation_bytes(conv) > ORASK_HISTORY_MAX_BYTES)) {
		drop = conv->n_messages % 2 == 1 ? 1 : 2;
		while (drop-- > 0) {
			free(conv->messages[0].role);
			free(conv->messages[0].content);
			memmove(conv->messages, conv->messages + 1,
			    (conv->n_messages - 1) * sizeof(*conv->messages));
			conv->n_messages--;
		}
	}
}

static enum orask_history_status
conversation_save(
    struct orask_history *h, const struct orask_conversation *conv, char *msg, size_t size)
{
	struct json_object *root = json_object_new_object(), *messages = json_object_new_array(),
	                   *m;
	enum orask_history_status r;
	char name[ORASK_CID_MAX + 8], *path;
	const char *text;
	size_t i;

	json_object_object_add(root, "id", json_object_new_string(conv->id));
	json_object_object_add(root, "model", hist_json_string_or_null(conv->model));
	json_object_object_add(root, "system", hist_json_string_or_null(conv->system));
	json_object_object_add(root, "updated", json_object_new_int64((int64_t)time(NULL)));
	for (i = 0; i < conv->n_messages; i++) {
		m = json_object_new_object();
		json_object_object_add(m, "role", json_object_new_string(conv->messages[i].role));
		json_object_object_add(
		    m, "content", json_object_new_string(conv->messages[i].content));
		json_object_array_add(messages, m);
	}
	json_object_object_add(root, "messages", messages);
	text = hist_json_text(root);
	snprintf(name, sizeof(name), "%s%s", conv->id, CONV_SUFFIX);
	path = ora_xasprintf("%s/%s/%s", h->dir, CONV_DIR, name);
	/* A new conversation is nobody's yet: written where it belongs. */
	r = hist_write_file(h->conv_dfd, name, path, text, strlen(text), conv->is_new, msg, size);
	free(path);
	json_object_put(root);
	return r;
}

/* A fresh conversation id: 8 hexadecimal digits, not in use. */
static void
fresh_id(struct orask_history *h, char *id, size_t size)
{
	char name[ORASK_CID_MAX + 8];
	unsigned char b[4];
	int tries;

	for (tries = 0; tries < 100; tries++) {
		if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
			/* Not secret, only unlikely to repeat. */
			unsigned long x = (unsigned long)time(NULL) ^
			                  ((unsigned long)getpid() << 16) ^ (unsigned long)tries;
			memcpy(b, &x, sizeof(b));
		}
		snprintf(id, size, "%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
		snprintf(name, sizeof(name), "%s%s", id, CONV_SUFFIX);
		if (faccessat(h->conv_dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) != 0)
			return;
	}
}

/* ---- terminals ------------------------------------------------------------- */

/* The caller holds the directory's lock: the index is written in place. */
static enum orask_history_status
terminals_load(struct orask_history *h, struct json_object **out, char *msg, size_t size)
{
	enum orask_history_status r;
	char *path = ora_xasprintf("%s/%s", h->dir, TERMINALS_FILE), *text;
	size_t len;

	*out = NULL;
	r = hist_read_file(h->dfd, TERMINALS_FILE, path, &text, &len, msg, size);
	free(path);
	if (r == ORASK_HISTORY_OK) {
		*out = json_tokener_parse(text);
		free(text);
	} else if (r != ORASK_HISTORY_NOT_FOUND) {
		return r;
	}
	r = ORASK_HISTORY_OK;
	/* A damaged index only forgets which terminal had which conversation. */
	if (*out == NULL || !json_object_is_type(*out, json_type_object)) {
		json_object_put(*out);
		*out = json_object_new_object();
	}
	return r;
}

static enum orask_history_status
terminals_set(struct orask_history *h, const char *key, const char *id, char *msg, size_t size)
{
	struct json_object *all, *entry;
	enum orask_history_status r;
	const char *oldest_key;
	int64_t oldest, t;
	char *path;
	const char *text;

	if ((r = terminals_load(h, &all, msg, size)) != ORASK_HISTORY_OK)
		return r;
	entry = json_object_new_object();
	json_object_object_add(entry, "cid", json_object_new_string(id));
	json_object_object_add(entry, "time", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(all, key, entry);
	while (json_object_object_length(all) > ORASK_HISTORY_MAX_TERMINALS) {
		oldest_key = NULL;
		oldest = INT64_MAX;
		json_object_object_foreach(all, k, v)
		{
			t = hist_json_int(v, "time", 0);
			if (oldest_key == NULL || t < oldest) {
				oldest = t;
				oldest_key = k;
			}
		}
		json_object_object_del(all, oldest_key);
	}
	text = hist_json_text(all);
	path = ora_xasprintf("%s/%s", h->dir, TERMINALS_FILE);
	/* Read only under the lock (terminals_load()), so written in place. */
	r = hist_write_file(h->dfd, TERMINALS_FILE, path, text, strlen(text), 1, msg, size);
	free(path);
	json_object_put(all);
	return r;
}

enum orask_history_status
orask_history_start(struct orask_history *h, const char *id, const char *key,
    struct orask_conversation **out, char *msg, size_t size)
{
	struct json_object *all, *entry;
	enum orask_history_status r;
	char fresh[ORASK_CID_MAX + 1];
	const char *last = NULL;

	*out = NULL;
	if (id != NULL && !orask_history_valid_id(id))
		return hist_say(msg, size, ORASK_HISTORY_INVALID,
		    "a conversation id has 1 to %d letters, digits, '-', '_' or '.', and does not "
		    "start with '.'",
		    ORASK_CID_MAX);
	if (id != NULL) {
		r = conversation_load(h, id, out, msg, size);
		if (r == ORASK_HISTORY_NOT_FOUND) {
			*out = conversation_new(id);
			r = ORASK_HISTORY_OK;
		}
		return r;
	}
	if (key != NULL) {
		while (flock(h->dfd, LOCK_SH) != 0)
			if (errno != EINTR)
				return hist_say(msg, size, ORASK_HISTORY_UNAVAILABLE,
				    "cannot lock %s: %s", h->dir, strerror(errno));
		r = terminals_load(h, &all, msg, size);
		flock(h->dfd, LOCK_UN);
		if (r != ORASK_HISTORY_OK)
			return r;
		if (json_object_object_get_ex(all, key, &entry))
			last = hist_json_str(entry, "cid");
		if (last != NULL && orask_history_valid_id(last)) {
			snprintf(fresh, sizeof(fresh), "%s", last);
			r = conversation_load(h, fresh, out, msg, size);
		} else {
			r = ORASK_HISTORY_NOT_FOUND;
		}
		json_object_put(all);
		if (r != ORASK_HISTORY_NOT_FOUND)
			return r;
		hist_say(msg, size, ORASK_HISTORY_NOT_FOUND,
		    "no earlier conversation in this terminal: this one starts afresh");
	} else {
		r = ORASK_HISTORY_OK;
	}
	fresh_id(h, fresh, sizeof(fresh));
	*out = conversation_new(fresh);
	return r;
}

/* ---- recording ------------------------------------------------------------- */

struct aged {
	char name[ORASK_CID_MAX + 8];
	time_t mtime;
};

static int
by_age(const void *a, const void *b)
{
	const struct aged *x = a, *y = b;

	return x->mtime < y->mtime ? -1 : x->mtime > y->mtime;
}

static int
is_conversation(const char *name)
{
	size_t len = strlen(name), suffix = strlen(CONV_SUFFIX);

	return name[0] != '.' && len > suffix && len < ORASK_CID_MAX + 8 &&
	       strcmp(name + len - suffix, CONV_SUFFIX) == 0;
}

/* A listing of conversations/ from its start (a duplicate descriptor
 * shares the position a previous listing left at the end). */
static DIR *
list_conversations(struct orask_history *h)
{
	DIR *dir;
	int fd;

	if ((fd = dup(h->conv_dfd)) < 0)
		return NULL;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return NULL;
	}
	rewinddir(dir);
	return dir;
}

/* Remove the least recently updated conversations past the cap, and
 * temporary files a crash left behind. Every run records an exchange, so
 * the common case (under the cap) costs one listing, without a stat. */
static void
prune(struct orask_history *h)
{
	struct aged *all = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *d;
	struct stat st;
	DIR *dir;

	if ((dir = list_conversations(h)) == NULL)
		return;
	while ((d = readdir(dir)) != NULL)
		n += is_conversation(d->d_name);
	closedir(dir);
	if (n <= ORASK_HISTORY_MAX_CONVERSATIONS || (dir = list_conversations(h)) == NULL)
		return;
	n = 0;
	while ((d = readdir(dir)) != NULL) {
		if (fstatat(h->conv_dfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (d->d_name[0] == '.') {
			if (strlen(d->d_name) > 4 &&
			    strcmp(d->d_name + strlen(d->d_name) - 4, ".tmp") == 0 &&
			    st.st_mtime < time(NULL) - STALE_TMP_S)
				unlinkat(h->conv_dfd, d->d_name, 0);
			continue;
		}
		if (!is_conversation(d->d_name))
			continue;
		if (n == cap) {
			cap = cap == 0 ? 128 : cap * 2;
			all = ora_xrealloc(all, cap * sizeof(*all));
		}
		memcpy(all[n].name, d->d_name, strlen(d->d_name) + 1); /* is_conversation(): fits */
		all[n].mtime = st.st_mtime;
		n++;
	}
	closedir(dir);
	/* Down to a tenth below the cap, so that the next few new
	 * conversations need no stat of every file. */
	if (n > PRUNE_TO) {
		qsort(all, n, sizeof(*all), by_age);
		for (i = 0; i < n - PRUNE_TO; i++)
			unlinkat(h->conv_dfd, all[i].name, 0);
	}
	free(all);
}

enum orask_history_status
orask_history_record(struct orask_history *h, struct orask_conversation *conv, const char *key,
    const char *question, const char *answer, const struct ora_reply *reply, char *msg, size_t size)
{
	struct orask_conversation *now = NULL;
	enum orask_history_status r;
	size_t i;

	while (flock(h->dfd, LOCK_EX) != 0)
		if (errno != EINTR)
			return hist_say(msg, size, ORASK_HISTORY_UNAVAILABLE, "cannot lock %s: %s",
			    h->dir, strerror(errno));
	/* Another orask may have added to this conversation since it was
	 * read: add to what is there now. */
	r = conversation_load(h, conv->id, &now, msg, size);
	if (r == ORASK_HISTORY_OK) {
		for (i = 0; i < conv->n_messages; i++) {
			free(conv->messages[i].role);
			free(conv->messages[i].content);
		}
		free(conv->messages);
		conv->messages = now->messages;
		conv->n_messages = now->n_messages;
		conv->is_new = 0; /* another orask started it meanwhile */
		now->messages = NULL;
		now->n_messages = 0;
		orask_conversation_free(now);
	} else if (r != ORASK_HISTORY_NOT_FOUND) {
		flock(h->dfd, LOCK_UN);
		return r;
	}
	add_message(conv, "user", question);
	add_message(conv, "assistant", answer);
	conversation_trim(conv);
	if ((r = conversation_save(h, conv, msg, size)) == ORASK_HISTORY_OK) {
		conv->is_new = 0;
		if (key != NULL)
			r = terminals_set(h, key, conv->id, msg, size);
	}
	if (r == ORASK_HISTORY_OK)
		r = hist_log_append(h, conv, question, reply, msg, size);
	if (r == ORASK_HISTORY_OK)
		prune(h);
	flock(h->dfd, LOCK_UN);
	return r;
}
