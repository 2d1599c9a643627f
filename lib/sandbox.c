/*
 * sandbox: seccomp filters for a candidate's process; see sandbox.h.
 *
 * A list of refusals on a default of "allowed", rather than a list of
 * what is allowed: a kernel may use any library (OpenMP, a BLAS, a
 * sanitizer's runtime), and what those call differs from one libc to
 * the next, while the ways to leave a mark outside the process are few
 * and named here.  A system call libseccomp does not know yet is refused
 * by its number where the number is the same on every architecture.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "sandbox.h"

/* si_code of a SIGSYS from a seccomp filter; older C libraries lack it. */
#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif

/* How a refusal is conditioned on the call's arguments. */
enum when {
	ALWAYS,
	WRITES,		/* open flags (argument ARG) that write or create */
	NEW_PROCESS,	/* clone without CLONE_THREAD */
	NOT_SELF,	/* argument 0 is another process */
	NOT_ZERO,	/* argument 0 is not 0 (prlimit64: another process) */
	TTY_INPUT	/* ioctl that puts input into a terminal */
};

struct rule {
	const char *name;
	enum when when;
	int arg;	/* WRITES: which argument holds the flags */
	int nr;		/* its number where libseccomp may not know it, or 0 */
};

static const struct rule rules[] = {
	/* Files and directories: made, written, moved, removed, marked. */
	{ "open", WRITES, 1, 0 },
	{ "openat", WRITES, 2, 0 },
	{ "openat2", ALWAYS, 0, 0 },
	{ "creat", ALWAYS, 0, 0 },
	{ "open_by_handle_at", ALWAYS, 0, 0 },
	{ "mkdir", ALWAYS, 0, 0 },
	{ "mkdirat", ALWAYS, 0, 0 },
	{ "mknod", ALWAYS, 0, 0 },
	{ "mknodat", ALWAYS, 0, 0 },
	{ "rmdir", ALWAYS, 0, 0 },
	{ "unlink", ALWAYS, 0, 0 },
	{ "unlinkat", ALWAYS, 0, 0 },
	{ "rename", ALWAYS, 0, 0 },
	{ "renameat", ALWAYS, 0, 0 },
	{ "renameat2", ALWAYS, 0, 0 },
	{ "link", ALWAYS, 0, 0 },
	{ "linkat", ALWAYS, 0, 0 },
	{ "symlink", ALWAYS, 0, 0 },
	{ "symlinkat", ALWAYS, 0, 0 },
	{ "truncate", ALWAYS, 0, 0 },
	{ "chmod", ALWAYS, 0, 0 },
	{ "fchmod", ALWAYS, 0, 0 },
	{ "fchmodat", ALWAYS, 0, 0 },
	{ "fchmodat2", ALWAYS, 0, 452 },
	{ "chown", ALWAYS, 0, 0 },
	{ "fchown", ALWAYS, 0, 0 },
	{ "lchown", ALWAYS, 0, 0 },
	{ "fchownat", ALWAYS, 0, 0 },
	{ "utime", ALWAYS, 0, 0 },
	{ "utimes", ALWAYS, 0, 0 },
	{ "utimensat", ALWAYS, 0, 0 },
	{ "futimesat", ALWAYS, 0, 0 },
	{ "setxattr", ALWAYS, 0, 0 },
	{ "lsetxattr", ALWAYS, 0, 0 },
	{ "fsetxattr", ALWAYS, 0, 0 },
	{ "setxattrat", ALWAYS, 0, 463 },
	{ "removexattr", ALWAYS, 0, 0 },
	{ "lremovexattr", ALWAYS, 0, 0 },
	{ "fremovexattr", ALWAYS, 0, 0 },
	{ "removexattrat", ALWAYS, 0, 466 },
	{ "file_setattr", ALWAYS, 0, 469 },
	/* Objects that outlive the process, or reach other processes. */
	{ "shmget", ALWAYS, 0, 0 },
	{ "shmat", ALWAYS, 0, 0 },
	{ "shmctl", ALWAYS, 0, 0 },
	{ "msgget", ALWAYS, 0, 0 },
	{ "msgsnd", ALWAYS, 0, 0 },
	{ "msgrcv", ALWAYS, 0, 0 },
	{ "msgctl", ALWAYS, 0, 0 },
	{ "semget", ALWAYS, 0, 0 },
	{ "semop", ALWAYS, 0, 0 },
	{ "semtimedop", ALWAYS, 0, 0 },
	{ "semctl", ALWAYS, 0, 0 },
	{ "mq_open", ALWAYS, 0, 0 },
	{ "mq_unlink", ALWAYS, 0, 0 },
	{ "socket", ALWAYS, 0, 0 },
	{ "add_key", ALWAYS, 0, 0 },
	{ "request_key", ALWAYS, 0, 0 },
	{ "keyctl", ALWAYS, 0, 0 },
	{ "io_uring_setup", ALWAYS, 0, 0 },
	{ "io_uring_enter", ALWAYS, 0, 0 },
	{ "io_uring_register", ALWAYS, 0, 0 },
	{ "bpf", ALWAYS, 0, 0 },
	{ "ioctl", TTY_INPUT, 0, 0 },
	/* What only a privileged process may do (the capabilities are
	 * dropped too): marks on the whole machine. */
	{ "mount", ALWAYS, 0, 0 },
	{ "umount2", ALWAYS, 0, 0 },
	{ "fsopen", ALWAYS, 0, 0 },
	{ "fsmount", ALWAYS, 0, 0 },
	{ "move_mount", ALWAYS, 0, 0 },
	{ "open_tree", ALWAYS, 0, 0 },
	{ "mount_setattr", ALWAYS, 0, 0 },
	{ "pivot_root", ALWAYS, 0, 0 },
	{ "chroot", ALWAYS, 0, 0 },
	{ "sethostname", ALWAYS, 0, 0 },
	{ "setdomainname", ALWAYS, 0, 0 },
	{ "settimeofday", ALWAYS, 0, 0 },
	{ "clock_settime", ALWAYS, 0, 0 },
	{ "init_module", ALWAYS, 0, 0 },
	{ "finit_module", ALWAYS, 0, 0 },
	{ "delete_module", ALWAYS, 0, 0 },
	{ "kexec_load", ALWAYS, 0, 0 },
	{ "kexec_file_load", ALWAYS, 0, 0 },
	{ "reboot", ALWAYS, 0, 0 },
	{ "swapon", ALWAYS, 0, 0 },
	{ "swapoff", ALWAYS, 0, 0 },
	{ "acct", ALWAYS, 0, 0 },
	{ "quotactl", ALWAYS, 0, 0 },
	{ "iopl", ALWAYS, 0, 0 },
	{ "ioperm", ALWAYS, 0, 0 },
	{ "fanotify_init", ALWAYS, 0, 0 },
	{ "perf_event_open", ALWAYS, 0, 0 },
	/* Other processes: made, replaced, reached. */
	{ "fork", ALWAYS, 0, 0 },
	{ "vfork", ALWAYS, 0, 0 },
	{ "clone", NEW_PROCESS, 0, 0 },
	{ "execve", ALWAYS, 0, 0 },
	{ "execveat", ALWAYS, 0, 0 },
	{ "unshare", ALWAYS, 0, 0 },
	{ "setns", ALWAYS, 0, 0 },
	{ "ptrace", ALWAYS, 0, 0 },
	{ "process_vm_readv", ALWAYS, 0, 0 },
	{ "process_vm_writev", ALWAYS, 0, 0 },
	{ "pidfd_open", ALWAYS, 0, 0 },
	{ "pidfd_getfd", ALWAYS, 0, 0 },
	{ "pidfd_send_signal", ALWAYS, 0, 0 },
	{ "kill", NOT_SELF, 0, 0 },
	{ "tgkill", NOT_SELF, 0, 0 },
	{ "tkill", ALWAYS, 0, 0 },
	{ "rt_sigqueueinfo", NOT_SELF, 0, 0 },
	{ "rt_tgsigqueueinfo", NOT_SELF, 0, 0 },
	{ "prlimit64", NOT_ZERO, 0, 0 },
};

#define NRULES (sizeof(rules) / sizeof(rules[0]))

/*
 * What the SIGSYS handler needs, all set before any filter: each rule's
 * call number, whether it was reported, and where to report it.
 */
static int nrs[NRULES];
static int told[NRULES];
static int report_fd = -1;

/* Whether this process entered the sandbox (shm_open below). */
static int sandboxed;

/*
 * shm_open(3) for the kernel's libraries, exported by ar-bench (the
 * Makefile's --dynamic-list) so that it comes before the C library's.
 * In the sandbox a segment the caller creates is a memory file of its
 * own, which no other process sees and which goes with the process:
 * LLVM's OpenMP runtime up to version 16 registers itself in a segment
 * named after its process and stops the program when it cannot, and a
 * kernel that uses a segment for itself is left to do so.  Opening an
 * existing segment is refused as before.  Outside the sandbox it is the
 * C library's.
 */
int
shm_open(const char *name, int oflag, mode_t mode)
{
	int (*libc)(const char *, int, mode_t);

	if (sandboxed && (oflag & O_CREAT))
		return memfd_create("ar-shm", oflag & O_CLOEXEC ?
		    MFD_CLOEXEC : 0);
	*(void **)&libc = dlsym(RTLD_NEXT, "shm_open");
	if (libc == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return libc(name, oflag, mode);
}

/* Where the handler can set the refused call's return value; elsewhere a
 * refused call fails without being reported. */
#if defined(__x86_64__)
#define SET_RETURN(uc, v) ((uc)->uc_mcontext.gregs[REG_RAX] = (v))
#elif defined(__aarch64__)
#define SET_RETURN(uc, v) ((uc)->uc_mcontext.regs[0] = (unsigned long)(v))
#endif

#ifdef SET_RETURN
/* A refused call fails with EPERM; the first refusal of each call is
 * reported, in one write, so that threads do not mix their lines. */
static void
refused(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	char line[64];
	size_t i, n;

	if (si->si_code == SYS_SECCOMP)
		for (i = 0; i < NRULES; i++) {
			if (nrs[i] != si->si_syscall)
				continue;
			SET_RETURN(uc, -EPERM);
			if (__atomic_exchange_n(&told[i], 1,
			    __ATOMIC_RELAXED) == 0 && report_fd >= 0) {
				n = strlen(rules[i].name);
				memcpy(line, "refused ", 8);
				memcpy(line + 8, rules[i].name, n);
				line[8 + n] = '\n';
				(void)!write(report_fd, line, 9 + n);
			}
			return;
		}
	/* Not ours: what SIGSYS does by default. */
	signal(sig, SIG_DFL);
	raise(sig);
}
#define REFUSE SCMP_ACT_TRAP
#else
#define REFUSE SCMP_ACT_ERRNO(EPERM)
#endif

/*
 * No capability left, effective, permitted, inheritable or ambient: a
 * kernel run by root could otherwise lift the limits it was given
 * (bench.cpu_s, memory_mb, file_mb), and do what the rules above refuse
 * by other means.  Without execve nothing can bring them back.
 */
static int
drop_capabilities(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return (int)syscall(SYS_capset, &h, d);
}

/* A comparison with every field given (libseccomp's macros leave out
 * the second datum where it does not matter, which clang warns of). */
static struct scmp_arg_cmp
cmp(unsigned arg, enum scmp_compare op, scmp_datum_t a, scmp_datum_t b)
{
	struct scmp_arg_cmp c = { arg, op, a, b };

	return c;
}

static int
add(scmp_filter_ctx f, const struct rule *r, int nr)
{
	pid_t self = getpid();

	switch (r->when) {
	case ALWAYS:
		return seccomp_rule_add(f, REFUSE, nr, 0);
	case WRITES: {
		static const int bits[] = { O_WRONLY, O_RDWR, O_CREAT,
		    O_TRUNC };
		size_t i;
		int rc = 0;

		for (i = 0; rc == 0 && i < sizeof(bits) / sizeof(bits[0]);
		    i++)
			rc = seccomp_rule_add(f, REFUSE, nr, 1,
			    cmp((unsigned)r->arg, SCMP_CMP_MASKED_EQ,
			    (scmp_datum_t)bits[i], (scmp_datum_t)bits[i]));
		return rc;
	}
	case NEW_PROCESS:
		return seccomp_rule_add(f, REFUSE, nr, 1,
		    cmp(0, SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
	case NOT_SELF:
		return seccomp_rule_add(f, REFUSE, nr, 1,
		    cmp(0, SCMP_CMP_NE, (scmp_datum_t)self, 0));
	case NOT_ZERO:
		return seccomp_rule_add(f, REFUSE, nr, 1,
		    cmp(0, SCMP_CMP_NE, 0, 0));
	case TTY_INPUT: {
		/* The request is an unsigned int to Linux, whatever the
		 * upper half of the register holds. */
		int rc = seccomp_rule_add(f, REFUSE, nr, 1,
		    cmp(1, SCMP_CMP_MASKED_EQ, 0xffffffffU, TIOCSTI));

		return rc != 0 ? rc : seccomp_rule_add(f, REFUSE, nr, 1,
		    cmp(1, SCMP_CMP_MASKED_EQ, 0xffffffffU, TIOCLINUX));
	}
	}
	return -EINVAL;
}

int
sandbox_enter(int fd, struct ar_err *err)
{
#ifdef SET_RETURN
	struct sigaction sa;
#endif
	scmp_filter_ctx f;
	size_t i;
	int rc = 0, nr;

	report_fd = fd;
#ifdef SET_RETURN
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = refused;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSYS, &sa, NULL);
#endif
	/* Not readable or traceable by other processes of the user,
	 * another candidate among them. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (drop_capabilities() != 0) {
		ar_errf(err, "cannot set up the sandbox: cannot drop the "
		    "capabilities: %s", strerror(errno));
		return -1;
	}
	if ((f = seccomp_init(SCMP_ACT_ALLOW)) == NULL) {
		ar_errf(err, "cannot set up the sandbox (seccomp)");
		return -1;
	}
	/*
	 * Without it, Linux turns on its Spectre mitigations for a process
	 * in seccomp where they are on demand (speculative store bypass,
	 * indirect branches), and the kernel would be timed slower than it
	 * runs anywhere else.  They guard secrets the child does not have.
	 * A kernel too old for the flag has the mitigations.
	 */
	(void)seccomp_attr_set(f, SCMP_FLTATR_CTL_SSB, 1);
	/* Threads through clone, which the filter can look into. */
	if ((nr = seccomp_syscall_resolve_name("clone3")) >= 0)
		rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
	for (i = 0; rc == 0 && i < NRULES; i++) {
		nr = seccomp_syscall_resolve_name(rules[i].name);
		if (nr < 0)	/* unknown to libseccomp, or not here */
			nr = rules[i].nr;
		if (nr <= 0)
			continue;
		nrs[i] = nr;
		rc = add(f, &rules[i], nr);
	}
	if (rc == 0 && (rc = seccomp_load(f)) == 0)
		sandboxed = 1;
	seccomp_release(f);
	if (rc != 0) {
		ar_errf(err, "cannot set up the sandbox (seccomp): %s",
		    strerror(-rc));
		return -1;
	}
	return 0;
}

void
sandbox_guard_parent(void)
{
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
