/*
 * history.c: orask's conversations and log, private files under the XDG
 * state directory (history.h has the layout and the rules).
 *
 * Every file is reached through the descriptor of a directory that was
 * checked (owned by the caller, no group or other bits), opened with
 * O_NOFOLLOW and checked again on its own descriptor: a history readable by
 * others is never written to, whatever its path looks like. Updates take
 * an flock on the directory, so that two orask runs at once (two
 * terminals, or a script) do not lose each other's exchanges.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
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
#include "orask/history.h"

#define CONV_DIR "conversations"
#define CONV_SUFFIX ".json"
#define TERMINALS_FILE "terminals.json"
#define LOG_FILE "log.jsonl"
/* The largest history file read back: a conversation at its cap plus one
 * exchange of the largest question and a long answer. Larger is damage. */
#define FILE_READ_MAX (32u * 1024 * 1024)
#define STALE_TMP_S 3600 /* a temporary file this old was left by a crash */
#define PRUNE_TO (ORASK_HISTORY_MAX_CONVERSATIONS - ORASK_HISTORY_MAX_CONVERSATIONS / 10)

struct orask_history {
	char *dir;    /* for messages */
	int dfd;      /* the state directory */
	int conv_dfd; /* its conversations/ */
};

static enum orask_history_status
say(char *msg, size_t size, enum orask_history_status status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum orask_history_status
say(char *msg, size_t size, enum orask_history_status status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, size, fmt, ap);
	va_end(ap);
	return status;
}

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

/* ---- checked directories and files -------------------------------------- */

static enum orask_history_status
check_fd(int fd, const char *path, int want_dir, char *msg, size_t size)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return say(msg, size, ORASK_HISTORY_UNAVAILABLE, "cannot check %s: %s", path,
		    strerror(errno));
	if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return say(msg, size, ORASK_HISTORY_UNSAFE,
		    "%s is not a %s; orask keeps its history there: move it away", path,
		    want_dir ? "directory" : "regular file");
	if (st.st_uid != getuid())
		return say(msg, size, ORASK_HISTORY_UNSAFE,
		    "%s belongs to uid %ld, not to you (uid %ld): orask keeps its history only "
		    "in files of yours; remove it, or set XDG_STATE_HOME to a directory of yours",
		    path, (long)st.st_uid, (long)getuid());
	if ((st.st_mode & 077) != 0)
		return say(msg, size, ORASK_HISTORY_UNSAFE,
		    "%s is open to other users (mode %04o) and the history is private; run: "
		    "chmod %s '%s'",
		    path, (unsigned)(st.st_mode & 07777), want_dir ? "700" : "600", path);
	return ORASK_HISTORY_OK;
}

/* Create (if missing) and open directory name under dfd, then check it. */
static enum orask_history_status
open_dir(int dfd, const char *name, const char *path, int *out, char *msg, size_t size)
{
	enum orask_history_status r;
	int fd;

	*out = -1;
	if (mkdirat(dfd, name, 0700) != 0 && errno != EEXIST)
		return say(msg, size, ORASK_HISTORY_UNAVAILABLE, "cannot create %s: %s", path,
		    strerror(errno));
	/* The state directory itself may be a symbolic link (to another
	 * disk): its target is what gets checked. Inside it, none is
	 * followed. */
	fd = openat(dfd, name,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC | (dfd == AT_FDCWD ? 0 : O_NOFOLLOW));
	if (fd < 0)
		return say(msg, size, errno == ELOOP ? ORASK_HISTORY_UNSAFE : ORASK_HISTORY_UNAVAILABLE,
		    "cannot open %s: %s", path, strerror(errno));
	if ((r = check_fd(fd, path, 1, msg, size)) != ORASK_HISTORY_OK) {
		close(fd);
		return r;
	}
	*out = fd;
	return ORASK_HISTORY_OK;
}

/* mkdir -p of the parents of path, mode 0700 for those it creates, as the
 * XDG specification asks. */
static void
make_parents(const char *path)
{
	char *p = ora_xstrdup(path), *slash;

	for (slash = strchr(p + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		(void)mkdir(p, 0700);
		*slash = '/';
	}
	free(p);
}

enum orask_history_status
orask_history_open(const char *dir, struct orask_history **out, char *msg, size_t size)
{
	struct orask_history *h;
	enum orask_history_status r;
	char *conv_path;

	*out = NULL;
	h = ora_xcalloc(1, sizeof(*h));
	h->dir = ora_xstrdup(dir);
	h->dfd = h->conv_dfd = -1;
	make_parents(dir);
	if ((r = open_dir(AT_FDCWD, dir, dir, &h->dfd, msg, size)) == ORASK_HISTORY_OK) {
		conv_path = ora_xasprintf("%s/%s", dir, CONV_DIR);
		r = open_dir(h->dfd, CONV_DIR, conv_path, &h->conv_dfd, msg, size);
		free(conv_path);
	}
	if (r != ORASK_HISTORY_OK) {
		orask_history_close(h);
		return r;
	}
	*out = h;
	return ORASK_HISTORY_OK;
}

void
orask_history_close(struct orask_history *h)
{
	if (h == NULL)
		return;
	if (h->conv_dfd >= 0)
		close(h->conv_dfd);
	if (h->dfd >= 0)
		close(h->dfd);
	free(h->dir);
	free(h);
}

/* Read file name in dfd (path for messages) whole, after checking it.
 * ORASK_HISTORY_NOT_FOUND when it does not exist. */
static enum orask_history_status
read_file(int dfd, const char *name, const char *path, char **out, size_t *len, char *msg,
    size_t size)
{
	enum orask_history_status r;
	size_t cap = 4096, n = 0;
	char *buf;
	ssize_t got;
	int fd;

	*out = NULL;
	*len = 0;
	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return ORASK_HISTORY_NOT_FOUND;
		return say(msg, size, errno == ELOOP ? ORASK_HISTORY_UNSAFE : ORASK_HISTORY_UNAVAILABLE,
		    "cannot open %s: %s", path, strerror(errno));
	}
	if ((r = check_fd(fd, path, 0, msg, size)) != ORASK_HISTORY_OK) {
		close(fd);
		return r;
	}
	buf = ora_xmalloc(cap + 1);
	for (;;) {
		if (n == cap) {
			if (cap >= FILE_READ_MAX) {
				r = say(msg, size, ORASK_HISTORY_UNAVAILABLE,
				    "%s is larger than %u MiB, which orask never writes: remove it", path,
				    FILE_READ_MAX >> 20);
				break;
			}
			cap *= 2;
			buf = ora_xrealloc(buf, cap + 1);
		}
		if ((got = read(fd, buf + n, cap - n)) == 0)
			break;
		if (got < 0) {
			if (errno == EINTR)
				continue;
			r = say(msg, size, ORASK_HISTORY_UNAVAILABLE, "cannot read %s: %s", path,
			    strerror(errno));
			break;
		}
		n += (size_t)got;
	}
	close(fd);
	if (r != ORASK_HISTORY_OK) {
		free(buf);
		return r;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return ORASK_HISTORY_OK;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Write data to file name in dfd, which must be the caller's alone if it
 * exists. Replacing: to a temporary file created with mode 0600, then
 * renamed over it, so a reader sees the old file or the new one, never
 * half of one. In place (a new file, or one read only under the lock):
 * one file creation less, which is most of what the history costs a
 * short question on ext4. */
static enum orask_history_status
write_file(int dfd, const char *name, const char *path, const char *data, size_t len,
    int in_place, char *msg, size_t size)
{
	enum orask_history_status r;
	char tmp[ORASK_CID_MAX + 64];
	struct stat st;
	int fd, e = 0;

	snprintf(tmp, sizeof(tmp), ".%s.%ld.tmp", name, (long)getpid());
	fd = openat(dfd, in_place ? name : tmp,
	    O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (in_place ? 0 : O_TRUNC), 0600);
	if (fd < 0)
		return say(msg, size, errno == ELOOP ? ORASK_HISTORY_UNSAFE : ORASK_HISTORY_UNAVAILABLE,
		    "cannot write %s: %s", path, strerror(errno));
	if (in_place && ((r = check_fd(fd, path, 0, msg, size)) != ORASK_HISTORY_OK ||
	                    (fstat(fd, &st) == 0 && st.st_size > 0 && ftruncate(fd, 0) != 0 &&
	                        (e = errno) != 0))) {
		close(fd);
		return e != 0 ? say(msg, size, ORASK_HISTORY_UNAVAILABLE, "cannot write %s: %s",
		                    path, strerror(e))
		              : r;
	}
	if (write_all(fd, data, len) != 0)
		e = errno;
	if (close(fd) != 0 && e == 0)
		e = errno;
	if (!in_place && e == 0 && renameat(dfd, tmp, dfd, name) != 0)
		e = errno;
	if (e != 0) {
		if (!in_place)
			unlinkat(dfd, tmp, 0);
		return say(msg, size, ORASK_HISTORY_UNAVAILABLE, "cannot write %s: %s", path,
		    strerror(e));
	}
	return ORASK_HISTORY_OK;
}

/* ---- JSON helpers --------------------------------------------------------- */

static const char *
json_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int64_t
json_int(struct json_object *o, const char *key, int64_t def)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return def;
	return json_object_get_int64(v);
}

static struct json_object *
json_string_or_null(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

static const char *
to_text(struct json_object *o)
{
	return json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
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
	if ((r = read_file(h->conv_dfd, name, path, &text, &len, msg, size)) != ORASK_HISTORY_OK)
		goto out;
	root = json_tokener_parse(text);
	free(text);
	if (root == NULL || !json_object_object_get_ex(root, "messages", &messages) ||
	    !json_object_is_type(messages, json_type_array)) {
		r = say(msg, size, ORASK_HISTORY_UNAVAILABLE,
		    "%s is damaged (not a conversation orask wrote); remove it", path);
		goto out;
	}
	conv = conversation_new(id);
	conv->is_new = 0;
	if (json_str(root, "model") != NULL)
		conv->model = ora_xstrdup(json_str(root, "model"));
	if (json_str(root, "system") != NULL)
		conv->system = ora_xstrdup(json_str(root, "system"));
	for (i = 0; i < json_object_array_length(messages); i++) {
		m = json_object_array_get_idx(messages, i);
		role = json_str(m, "role");
		content = json_str(m, "content");
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

	while (conv->n_messages > 2 &&
	       (conv->n_messages > 2 * ORASK_HISTORY_MAX_EXCHANGES ||
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
conversation_save(struct orask_history *h, const struct orask_conversation *conv, char *msg,
    size_t size)
{
	struct json_object *root = json_object_new_object(), *messages = json_object_new_array(), *m;
	enum orask_history_status r;
	char name[ORASK_CID_MAX + 8], *path;
	const char *text;
	size_t i;

	json_object_object_add(root, "id", json_object_new_string(conv->id));
	json_object_object_add(root, "model", json_string_or_null(conv->model));
	json_object_object_add(root, "system", json_string_or_null(conv->system));
	json_object_object_add(root, "updated", json_object_new_int64((int64_t)time(NULL)));
	for (i = 0; i < conv->n_messages; i++) {
		m = json_object_new_object();
		json_object_object_add(m, "role", json_object_new_string(conv->messages[i].role));
		json_object_object_add(
		    m, "content", json_object_new_string(conv->messages[i].content));
		json_object_array_add(messages, m);
	}
	json_object_object_add(root, "messages", messages);
	text = to_text(root);
	snprintf(name, sizeof(name), "%s%s", conv->id, CONV_SUFFIX);
	path = ora_xasprintf("%s/%s/%s", h->dir, CONV_DIR, name);
	/* A new conversation is nobody's yet: written where it belongs. */
	r = write_file(h->conv_dfd, name, path, text, strlen(text), conv->is_new, msg, size);
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
			unsigned long x = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16) ^
			                  (unsigned long)tries;
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
	r = read_file(h->dfd, TERMINALS_FILE, path, &text, &len, msg, size);
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
			t = json_int(v, "time", 0);
			if (oldest_key == NULL || t < oldest) {
				oldest = t;
				oldest_key = k;
			}
		}
		json_object_object_del(all, oldest_key);
	}
	text = to_text(all);
	path = ora_xasprintf("%s/%s", h->dir, TERMINALS_FILE);
	/* Read only under the lock (terminals_load()), so written in place. */
	r = write_file(h->dfd, TERMINALS_FILE, path, text, strlen(text), 1, msg, size);
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
		return say(msg, size, ORASK_HISTORY_INVALID,
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
				return say(msg, size, ORASK_HISTORY_UNAVAILABLE, "cannot lock %s: %s",
				    h->dir, strerror(errno));
		r = terminals_load(h, &all, msg, size);
		flock(h->dfd, LOCK_UN);
		if (r != ORASK_HISTORY_OK)
			return r;
		if (json_object_object_get_ex(all, key, &entry))
			last = json_str(entry, "cid");
		if (last != NULL && orask_history_valid_id(last)) {
			snprintf(fresh, sizeof(fresh), "%s", last);
			r = conversation_load(h, fresh, out, msg, size);
		} else {
			r = ORASK_HISTORY_NOT_FOUND;
		}
		json_object_put(all);
		if (r != ORASK_HISTORY_NOT_FOUND)
			return r;
		say(msg, size, ORASK_HISTORY_NOT_FOUND,
		    "no earlier conversation in this terminal: this one starts afresh");
	} else {
		r = ORASK_HISTORY_OK;
	}
	fresh_id(h, fresh, sizeof(fresh));
	*out = conversation_new(fresh);
	return r;
}

/* ---- the log ------------------------------------------------------------- */

/* The question's first line, at most ORASK_LOG_QUESTION_MAX bytes, not cut
 * inside a UTF-8 character. */
static void
first_line(const char *question, char *out, size_t size)
{
	size_t n = strcspn(question, "\n"), i;

	if (n >= size)
		n = size - 1;
	while (n > 0 && n < strlen(question) && ((unsigned char)question[n] & 0xc0) == 0x80)
		n--;
	memcpy(out, question, n);
	out[n] = '\0';
	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = ' ';
}

/* Keep the newer half of the log once it has grown past its cap. */
static enum orask_history_status
log_rotate(struct orask_history *h, const char *path, char *msg, size_t size)
{
	enum orask_history_status r;
	char *text, *keep;
	size_t len;

	if ((r = read_file(h->dfd, LOG_FILE, path, &text, &len, msg, size)) != ORASK_HISTORY_OK)
		return r == ORASK_HISTORY_NOT_FOUND ? ORASK_HISTORY_OK : r;
	keep = memchr(text + len / 2, '\n', len - len / 2);
	keep = keep != NULL ? keep + 1 : text + len;
	r = write_file(h->dfd, LOG_FILE, path, keep, len - (size_t)(keep - text), 0, msg, size);
	free(text);
	return r;
}

static enum orask_history_status
log_append(struct orask_history *h, const struct orask_conversation *conv, const char *question,
    const struct ora_reply *reply, char *msg, size_t size)
{
	struct json_object *o = json_object_new_object();
	char first[ORASK_LOG_QUESTION_MAX + 1], *path, *line, cost[64];
	enum orask_history_status r;
	struct stat st;
	int fd;

	first_line(question, first, sizeof(first));
	json_object_object_add(o, "time", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(o, "cid", json_object_new_string(conv->id));
	json_object_object_add(o, "model", json_string_or_null(reply->model));
	json_object_object_add(o, "prompt_tokens", json_object_new_int64(reply->usage.prompt_tokens));
	json_object_object_add(
	    o, "completion_tokens", json_object_new_int64(reply->usage.completion_tokens));
	snprintf(cost, sizeof(cost), "%.12g", reply->usage.cost);
	json_object_object_add(o, "cost",
	    reply->usage.has_cost ? json_object_new_double_s(reply->usage.cost, cost) : NULL);
	json_object_object_add(o, "question", json_object_new_string(first));
	line = ora_xasprintf("%s\n", to_text(o));
	json_object_put(o);

	path = ora_xasprintf("%s/%s", h->dir, LOG_FILE);
	fd = openat(h->dfd, LOG_FILE, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = say(msg, size, errno == ELOOP ? ORASK_HISTORY_UNSAFE : ORASK_HISTORY_UNAVAILABLE,
		    "cannot open %s: %s", path, strerror(errno));
	} else if ((r = check_fd(fd, path, 0, msg, size)) == ORASK_HISTORY_OK) {
		if (write_all(fd, line, strlen(line)) != 0)
			r = say(msg, size, ORASK_HISTORY_UNAVAILABLE, "cannot write %s: %s", path,
			    strerror(errno));
		else if (fstat(fd, &st) == 0 && (size_t)st.st_size > ORASK_LOG_MAX_BYTES)
			r = log_rotate(h, path, msg, size);
	}
	if (fd >= 0)
		close(fd);
	free(path);
	free(line);
	return r;
}

static int
parse_log_line(const char *line, struct orask_log_entry *e)
{
	struct json_object *o = json_tokener_parse(line), *v;
	const char *s;

	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -1;
	}
	memset(e, 0, sizeof(*e));
	e->time = json_int(o, "time", 0);
	snprintf(e->cid, sizeof(e->cid), "%s", (s = json_str(o, "cid")) != NULL ? s : "-");
	snprintf(e->model, sizeof(e->model), "%s", (s = json_str(o, "model")) != NULL ? s : "-");
	e->prompt_tokens = (long)json_int(o, "prompt_tokens", -1);
	e->completion_tokens = (long)json_int(o, "completion_tokens", -1);
	if (json_object_object_get_ex(o, "cost", &v) &&
	    (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int))) {
		e->cost = json_object_get_double(v);
		e->has_cost = 1;
	}
	snprintf(e->question, sizeof(e->question), "%s",
	    (s = json_str(o, "question")) != NULL ? s : "");
	json_object_put(o);
	return 0;
}

enum orask_history_status
orask_history_log(struct orask_history *h, size_t max, struct orask_log_entry **out, size_t *n,
    char *msg, size_t size)
{
	enum orask_history_status r;
	char *path = ora_xasprintf("%s/%s", h->dir, LOG_FILE), *text, *p, *start;
	size_t len, lines = 0, i = 0;

	*out = NULL;
	*n = 0;
	r = read_file(h->dfd, LOG_FILE, path, &text, &len, msg, size);
	free(path);
	if (r == ORASK_HISTORY_NOT_FOUND)
		return ORASK_HISTORY_OK;
	if (r != ORASK_HISTORY_OK || max == 0) {
		free(text);
		return r;
	}
	/* Back from the end to the start of the max-th last line. */
	p = text + len;
	if (p > text && p[-1] == '\n')
		p--;
	for (; p > text; p--)
		if (p[-1] == '\n' && ++lines == max)
			break;
	*out = ora_xcalloc(lines + 1, sizeof(**out));
	for (start = p; *start != '\0' && i <= lines; start = p) {
		p = strchr(start, '\n');
		if (p != NULL)
			*p++ = '\0';
		else
			p = start + strlen(start);
		if (*start != '\0' && parse_log_line(start, &(*out)[i]) == 0)
			i++;
	}
	*n = i;
	free(text);
	return ORASK_HISTORY_OK;
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
    const char *question, const char *answer, const struct ora_reply *reply, char *msg,
    size_t size)
{
	struct orask_conversation *now = NULL;
	enum orask_history_status r;
	size_t i;

	while (flock(h->dfd, LOCK_EX) != 0)
		if (errno != EINTR)
			return say(msg, size, ORASK_HISTORY_UNAVAILABLE, "cannot lock %s: %s", h->dir,
			    strerror(errno));
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
		r = log_append(h, conv, question, reply, msg, size);
	if (r == ORASK_HISTORY_OK)
		prune(h);
	flock(h->dfd, LOCK_UN);
	return r;
}
