/*
 * sandbox: what a candidate's own code may do in the process that
 * measures it (seccomp, through libseccomp).
 *
 * A kernel that keeps its answers somewhere that outlives its process
 * (a file, a shared memory segment, a key in the kernel's keyrings, a
 * process of its own) finds them again in the next variant, or the next
 * ar-bench, measured on the same inputs, and wins without doing the
 * work.  The sandbox, entered before the kernel is loaded (its
 * constructors run then), refuses every way out of the process that
 * such a memory needs, and every way into another process (the
 * harness's above all: signals, ptrace, its memory): no file or
 * directory is created, written, renamed, removed or has its attributes
 * changed; no System V or POSIX IPC object, no socket, no io_uring
 * (which would do all that past the filter); no new process (threads
 * are fine), no exec; no signal, ptrace or memory access to another
 * process; no keyring; no terminal input; nothing only a privileged
 * process may do (mount, the host's name and clock, modules), and no
 * capability, for a process run by root.  Files are read as ever, so
 * that libraries find what they look up (the processor's topology).
 *
 * A refused call fails with EPERM (clone3 with ENOSYS, so that threads
 * are made with clone), and its first refusal is reported, so that the
 * harness can say what the kernel tried; the process goes on.
 * ar-bench(1) CAVEATS says what is left.  A filter cannot be undone, by
 * the kernel either.
 */
#ifndef AR_SANDBOX_H
#define AR_SANDBOX_H

#include "util.h"

/*
 * Enters the sandbox; 0, or -1 with err set (no seccomp in this kernel,
 * say).  Only in a process of its own.  Each refused call is reported
 * once on fd, as a line "refused NAME" (-1: not reported).
 */
int sandbox_enter(int fd, struct ar_err *err);

/*
 * For the harness, whose memory holds the answers: no longer readable
 * through /proc/PID/mem by processes of the same user without
 * capabilities (the sandboxed children); it cannot dump core either.
 */
void sandbox_guard_parent(void);

#endif
