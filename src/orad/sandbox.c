/* Copyright (c) 2026 The ora authors. ISC licence: see LICENSE. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#ifdef HAVE_LIBSECCOMP
#include <seccomp.h>
#endif

#include "common/log.h"
#include "orad/orad.h"
#include "orad/sandbox.h"

/* ----- seccomp ----- */

/* The system calls orad and its libraries may make once serving: written
 * from what they use, then checked against `strace -f -c` of a release
 * orad over six integration tests (api, stream, money_settle, users,
 * lifecycle, cost_centres) and a sustained load: 76 distinct calls, and
 * those not here (execve, chmod, setuid, setgroups, setresuid, setresgid,
 * seccomp, landlock_*) are all made before the sandbox; and run under the
 * whole suite with ASan/UBSan; plus what glibc tries before a fallback it
 * takes only on ENOSYS (clone3, statx, faccessat2, rseq...) and the usual
 * relatives of what was seen. Names unknown on this architecture are
 * skipped. Notably absent: execve and execveat, fork and
 * vfork, ptrace, mount, setuid and friends, chroot, module loading, bpf,
 * kexec, keyctl, process_vm_*, personality. */
static const char *const sandbox_allowed[] = {
	/* files and descriptors */
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "lseek",
	"close", "close_range", "dup", "dup2", "dup3", "open", "openat", "openat2", "stat", "fstat",
	"lstat", "newfstatat", "statx", "statfs", "fstatfs", "access", "faccessat", "faccessat2",
	"readlink", "readlinkat", "getdents", "getdents64", "getcwd", "fcntl", "flock", "fsync", "fdatasync",
	"ftruncate", "fallocate", "unlink", "unlinkat", "rename", "renameat", "renameat2", "fchmod",
	"fchown", "umask", "mkdir", "mkdirat", "rmdir", "utimensat", "fadvise64", "sendfile",
	"copy_file_range", "pipe", "pipe2", "eventfd2", "timerfd_create", "timerfd_settime",
	"timerfd_gettime", "memfd_create",
	/* whois: the account files watched again after a rename (the watch
	 * itself is made before the sandbox) */
	"inotify_add_watch",
	/* memory */
	"mmap", "munmap", "mremap", "mprotect", "madvise", "brk", "msync", "mlock", "mlock2",
	"munlock", "mlockall", "munlockall", "mincore", "membarrier",
	/* threads, signals, time */
	"futex", "futex_waitv", "set_robust_list", "get_robust_list", "rseq", "clone", "clone3",
	"exit", "exit_group", "gettid", "getpid", "getppid", "tgkill", "tkill", "rt_sigaction",
	"rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait", "rt_sigpending", "sigaltstack",
	"restart_syscall", "set_tid_address", "sched_yield", "sched_getaffinity",
	"sched_getparam", "sched_getscheduler", "clock_gettime", "clock_getres",
	"clock_nanosleep", "gettimeofday", "nanosleep", "time", "times", "alarm",
	"setitimer", "getitimer",
	/* the event loop and the network */
	"epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2",
	"poll", "ppoll", "select", "pselect6", "socket", "socketpair", "connect", "accept",
	"accept4", "bind", "listen", "getsockname", "getpeername", "getsockopt", "setsockopt",
	"sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown",
	/* who am I, limits, randomness */
	"getuid", "geteuid", "getgid", "getegid", "getgroups", "getresuid", "getresgid",
	"uname", "sysinfo", "getrlimit", "prlimit64", "setrlimit", "getrusage", "getrandom",
	"prctl", "arch_prctl", "getpriority", "capget",
};

/* LeakSanitizer checks for leaks at exit by stopping every thread from a
 * helper task that ptraces them: allowed in sanitizer builds only (tests),
 * never in a release build. */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif
#ifdef SANDBOX_SANITIZER
static const char *const sandbox_allowed_sanitizer[] = {
	"ptrace", "wait4", "waitid", "kill",
};
#endif

/* ioctl only for these requests: libc's isatty(), non-blocking sockets,
 * bytes waiting on a socket. */
#ifdef HAVE_LIBSECCOMP
#include <sys/ioctl.h>
#include <termios.h>
static const unsigned long sandbox_ioctls[] = { TCGETS, TIOCGWINSZ, FIONBIO, FIONREAD };
#endif

/* The SIGSYS handler's table of names, made before the filter loads: the
 * handler may only read memory and write(2). */
#define SANDBOX_SYSCALL_NAMES 512
static char *sandbox_names[SANDBOX_SYSCALL_NAMES];
static volatile sig_atomic_t sandbox_denials;

static size_t
append(char *buf, size_t at, size_t size, const char *s)
{
	while (*s != '\0' && at + 1 < size)
		buf[at++] = *s++;
	return at;
}

static size_t
append_num(char *buf, size_t at, size_t size, long v)
{
	char digits[24];
	int n = 0;

	if (v < 0) {
		at = append(buf, at, size, "-");
		v = -v;
	}
	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0 && n < (int)sizeof(digits));
	while (n > 0 && at + 1 < size)
		buf[at++] = digits[--n];
	return at;
}

/* A call outside the allowlist: say which, and make it fail with EPERM. */
static void
on_sigsys(int sig, siginfo_t *info, void *ctx)
{
	ucontext_t *uc = ctx;
	int saved = errno, nr = info->si_syscall;
	char line[160];
	size_t n = 0;

	(void)sig;
	n = append(line, n, sizeof(line), "orad[error]: sandbox: denied system call ");
	if (nr >= 0 && nr < SANDBOX_SYSCALL_NAMES && sandbox_names[nr] != NULL)
		n = append(line, n, sizeof(line), sandbox_names[nr]);
	else
		n = append_num(line, n, sizeof(line), nr);
	n = append(line, n, sizeof(line), " (");
	n = append_num(line, n, sizeof(line), nr);
	n = append(line, n, sizeof(line), "): failed with EPERM\n");
	if (write(STDERR_FILENO, line, n) < 0) {
		/* Nowhere else to say it. */
	}
	sandbox_denials++;
#if defined(__x86_64__)
	uc->uc_mcontext.gregs[REG_RAX] = -EPERM;
#elif defined(__aarch64__)
	uc->uc_mcontext.regs[0] = (unsigned long long)-EPERM;
#else
	(void)uc;
#endif
	errno = saved;
}

#ifdef HAVE_LIBSECCOMP
/* Trap and emulate where the handler knows how to set the return value;
 * elsewhere, plain EPERM (not logged). */
#if (defined(__x86_64__) || defined(__aarch64__)) && defined(SANDBOX_SANITIZER)
/* LeakSanitizer's helper task blocks every signal, so a trapped call would
 * kill it (and hang orad's exit): in sanitizer builds the other calls
 * fail with EPERM unlogged, and only the exec family is trapped. */
#define SANDBOX_DEFAULT_ACTION SCMP_ACT_ERRNO(EPERM)
#define SANDBOX_LOGS_DENIALS 1
#define SANDBOX_TRAP_ONLY_EXEC 1
#elif defined(__x86_64__) || defined(__aarch64__)
#define SANDBOX_DEFAULT_ACTION SCMP_ACT_TRAP
#define SANDBOX_LOGS_DENIALS 1
#else
#define SANDBOX_DEFAULT_ACTION SCMP_ACT_ERRNO(EPERM)
#define SANDBOX_LOGS_DENIALS 0
#endif

static void
name_syscalls(void)
{
	for (int nr = 0; nr < SANDBOX_SYSCALL_NAMES; nr++) {
		if (sandbox_names[nr] == NULL)
			sandbox_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
	}
}

static int
apply_seccomp(char *said, size_t size, struct ora_error *err)
{
	struct sigaction sa;
	scmp_filter_ctx ctx;
	size_t allowed = 0;
	int r, nr;

	if ((ctx = seccomp_init(SANDBOX_DEFAULT_ACTION)) == NULL)
		return ora_error_set(err, "seccomp: cannot create a filter");
	for (size_t i = 0; i < sizeof(sandbox_allowed) / sizeof(sandbox_allowed[0]); i++) {
		if ((nr = seccomp_syscall_resolve_name(sandbox_allowed[i])) == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) != 0) {
			seccomp_release(ctx);
			return ora_error_set(err, "seccomp: cannot allow %s: %s", sandbox_allowed[i],
			    strerror(-r));
		}
		allowed++;
	}
#ifdef SANDBOX_SANITIZER
	for (size_t i = 0;
	     i < sizeof(sandbox_allowed_sanitizer) / sizeof(sandbox_allowed_sanitizer[0]); i++) {
		if ((nr = seccomp_syscall_resolve_name(sandbox_allowed_sanitizer[i])) != __NR_SCMP_ERROR &&
		    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) == 0)
			allowed++;
	}
#endif
	for (size_t i = 0; i < sizeof(sandbox_ioctls) / sizeof(sandbox_ioctls[0]); i++) {
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
		         SCMP_A1(SCMP_CMP_EQ, sandbox_ioctls[i], 0))) != 0) {
			seccomp_release(ctx);
			return ora_error_set(err, "seccomp: cannot allow ioctl: %s", strerror(-r));
		}
	}
#ifdef SANDBOX_TRAP_ONLY_EXEC
	seccomp_rule_add(ctx, SCMP_ACT_TRAP, SCMP_SYS(execve), 0);
	seccomp_rule_add(ctx, SCMP_ACT_TRAP, SCMP_SYS(execveat), 0);
#endif
	/* A binary tree of the allowed calls rather than a list: fewer
	 * comparisons for each system call (libseccomp 2.5; older ones keep
	 * the list). */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	/* Every thread, those running already (the checkpointer) included. */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) != 0) {
		seccomp_release(ctx);
		return ora_error_set(err, "seccomp: cannot apply to every thread: %s", strerror(-r));
	}
	name_syscalls();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (SANDBOX_LOGS_DENIALS && sigaction(SIGSYS, &sa, NULL) != 0) {
		seccomp_release(ctx);
		return ora_error_set(err, "seccomp: cannot catch SIGSYS: %s", strerror(errno));
	}
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r != 0)
		return ora_error_set(err, "seccomp: cannot load the filter: %s", strerror(-r));
	snprintf(said, size, "seccomp: %zu system calls allowed (ioctl for %zu requests), any "
	                     "other fails with EPERM%s",
	    allowed, sizeof(sandbox_ioctls) / sizeof(sandbox_ioctls[0]),
#ifdef SANDBOX_TRAP_ONLY_EXEC
	    " (logged: exec only, in this sanitizer build)"
#else
	    SANDBOX_LOGS_DENIALS ? " and is logged" : ""
#endif
	);
	return 0;
}
#else
static int
apply_seccomp(char *said, size_t size, struct ora_error *err)
{
	(void)err;
	(void)on_sigsys;
	snprintf(said, size, "seccomp: not built in (configure found no libseccomp)");
	return 0;
}
#endif

/* ----- Landlock ----- */

/* Rights newer than the headers this may be built with (the kernel's
 * numbering is fixed). */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif

#define LL_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define LL_FILE_RIGHTS                                                                             \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |   \
	    LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV)
#define LL_WRITE                                                                                   \
	(LL_READ | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |                       \
	    LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR | \
	    LANDLOCK_ACCESS_FS_REMOVE_DIR)
#define LL_SOCKET_DIR                                                                              \
	(LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_REMOVE_FILE)

/* What each ABI version can restrict (handled_access_fs). */
static __u64
landlock_rights(int abi)
{
	__u64 rights = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
	    LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
	    LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
	    LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
	    LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
	    LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
	    LANDLOCK_ACCESS_FS_MAKE_SYM;

	if (abi >= 2)
		rights |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		rights |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		rights |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return rights;
}

/* Read-only everywhere orad's libraries look: NSS (files and modules),
 * resolver, time zones, CA certificates (libcurl's HTTPS), the clients'
 * /proc/PID/comm, the CPU count. */
static const char *const landlock_read_paths[] = {
	"/etc", "/usr", "/lib", "/lib64", "/lib32", "/proc", "/sys/devices/system/cpu",
	"/var/lib/sss", "/dev/urandom", "/dev/random",
};

static int
add_path(int ruleset, const char *path, __u64 want, __u64 handled, size_t *added)
{
	struct landlock_path_beneath_attr pb = { 0 };
	struct stat st;
	int fd = open(path, O_PATH | O_CLOEXEC);

	if (fd < 0)
		return 0; /* not on this system: nothing to allow */
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		want &= LL_FILE_RIGHTS; /* a file takes only file rights */
	pb.parent_fd = fd;
	pb.allowed_access = want & handled;
	if (pb.allowed_access != 0 &&
	    syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	(*added)++;
	return 0;
}

/* The directory of path, in buf. */
static const char *
dir_of(const char *path, char *buf, size_t size)
{
	char *slash;

	snprintf(buf, size, "%s", path);
	if ((slash = strrchr(buf, '/')) == NULL)
		return ".";
	if (slash == buf)
		slash[1] = '\0';
	else
		*slash = '\0';
	return buf;
}

static int
apply_landlock(struct orad *d, char *said, size_t size, struct ora_error *err)
{
	const struct ora_daemon_conf *dc = &d->conf->daemon;
	struct landlock_ruleset_attr attr = { 0 };
	char conf_dir[4096], socket_dir[4096];
	size_t added = 0;
	int abi, ruleset, r = 0;

	abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0) {
		snprintf(said, size, "Landlock: not offered by this kernel (%s); skipped",
		    strerror(errno));
		return 0;
	}
	attr.handled_access_fs = landlock_rights(abi);
	if ((ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0)) < 0)
		return ora_error_set(err, "Landlock: cannot create a ruleset: %s", strerror(errno));
	for (size_t i = 0; r == 0 && i < sizeof(landlock_read_paths) / sizeof(landlock_read_paths[0]);
	     i++)
		r = add_path(ruleset, landlock_read_paths[i], LL_READ, attr.handled_access_fs, &added);
	if (r == 0)
		r = add_path(ruleset, "/dev/null", LL_READ | LANDLOCK_ACCESS_FS_WRITE_FILE,
		    attr.handled_access_fs, &added);
	if (r == 0)
		r = add_path(ruleset, dir_of(d->conf_path, conf_dir, sizeof(conf_dir)), LL_READ,
		    attr.handled_access_fs, &added);
	if (r == 0)
		r = add_path(ruleset, dc->master_key, LL_READ, attr.handled_access_fs, &added);
	if (r == 0)
		r = add_path(ruleset, dc->state_dir, LL_WRITE, attr.handled_access_fs, &added);
	if (r == 0)
		r = add_path(ruleset, dir_of(dc->socket_path, socket_dir, sizeof(socket_dir)),
		    LL_SOCKET_DIR, attr.handled_access_fs, &added);
	if (r != 0) {
		r = ora_error_set(err, "Landlock: cannot add a rule: %s", strerror(errno));
	} else if (syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) {
		r = ora_error_set(err, "Landlock: cannot restrict orad: %s", strerror(errno));
	} else {
		/* (Paths are printed cut, for the compiler's sake: the log
		 * line is bounded anyway.) */
		snprintf(said, size, "Landlock ABI %d: %zu paths; writes only under %.200s and %.200s, "
		                     "nothing executed",
		    abi, added, dc->state_dir, socket_dir);
	}
	close(ruleset);
	return r;
}

/* ----- both ----- */

static void
selftest(const char *path)
{
	char *const argv[] = { "/bin/true", NULL };
	int fd;

	if (execve(argv[0], argv, NULL) != 0)
		ora_log_info("sandbox self-test: execve %s: %s", argv[0], strerror(errno));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		ora_log_info("sandbox self-test: open %s: %s", path, strerror(errno));
	} else {
		ora_log_info("sandbox self-test: open %s: allowed", path);
		close(fd);
	}
}

int
sandbox_apply(struct orad *d, struct ora_error *err)
{
	char landlock[512], seccomp[256];
	const char *test = getenv(SANDBOX_SELFTEST_ENV);

	if (!d->conf->daemon.sandbox) {
		ora_log_warning("sandbox: off (daemon.sandbox = false)");
		return 0;
	}
	/* Both need it from an unprivileged process; it also means that
	 * nothing orad could run would gain privileges. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return ora_error_set(err, "sandbox: cannot set no_new_privs: %s", strerror(errno));
	/* Landlock first: its set-up calls are not on seccomp's list. */
	if (apply_landlock(d, landlock, sizeof(landlock), err) != 0 ||
	    apply_seccomp(seccomp, sizeof(seccomp), err) != 0)
		return -1;
	ora_log_info("sandbox: %s; %s", seccomp, landlock);
	if (test != NULL && test[0] != '\0')
		selftest(test);
	return 0;
}
