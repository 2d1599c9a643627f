/*
 * sandbox: what a candidate's own code may do in the process that
 * measures it (seccomp, through libseccomp).
 *
 * A kernel that keeps its answers somewhere that outlives its process
 * (a file, a shared memory segment, a key in the kernel's keyrings, a
 * process of its own) finds them again in the next variant, or the next
 * ar-bench, measured on the same inputs, and wins without doing the
 * work.  The sandbox refuses every way out of the process that such a
 * memory needs, and every way into another process (the harness's above
 * all: signals, ptrace, its memory):
 *
 *   SANDBOX_LOAD, before the kernel is loaded (its constructors run
 *   then): no file or directory is created, written, renamed, removed
 *   or has its attributes changed; no System V or POSIX IPC object, no
 *   socket, no io_uring (which would do all that past the filter); no
 *   new process (threads are fine), no exec; no signal, ptrace or
 *   memory access to another process; no keyring; no terminal input;
 *   nothing only a privileged process may do (mount, the host's name
 *   and clock, modules), and no capability, for a process run by root.
 *
 *   SANDBOX_RUN, after the kernel is loaded and before its first call:
 *   also no file is opened at all, so that no run reads answers that
 *   an earlier, unsandboxed program left behind.
 *
 * A refused call fails with EPERM (clone3 with ENOSYS, so that threads
 * are made with clone), and its first refusal is reported, so that the
 * harness can say what the kernel tried; the process goes on.  Calls
 * that cannot be refused without refusing harmless ones (reading files
 * while the kernel loads) are let through; ar-bench(1) CAVEATS says what
 * is left.
 *
 * Filters only add up: a stage cannot be undone, by the kernel either.
 */
#ifndef AR_SANDBOX_H
#define AR_SANDBOX_H

#include <stddef.h>

#include "util.h"

enum sandbox_stage { SANDBOX_LOAD, SANDBOX_RUN };

/*
 * Enters the stage; 0, or -1 with err set (no seccomp in this kernel,
 * say).  SANDBOX_LOAD comes first, in a process of its own, and names
 * the descriptor on which each refused call is reported, once, as a line
 * "refused NAME" (-1: not reported).
 */
int sandbox_enter(enum sandbox_stage stage, int fd, struct ar_err *err);

#endif
