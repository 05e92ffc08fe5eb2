#ifndef BREAKWATER_CMILTERGUARD_H
#define BREAKWATER_CMILTERGUARD_H

#include <stdbool.h>
#include <stddef.h>

// A wrapper around libmilter's internal command reader (mi_rd_cmd), which libmilter calls
// through its PLT, so this definition in the executable is the one it binds to. It passes
// every command through except a macro command ('D': the stage byte, then name/value strings)
// with an odd number of strings: libmilter makes one string per NUL and smfi_getsymval steps
// two at a time until it meets NULL, so an odd count makes it step over the terminator and
// read (and crash) past the array. Such a command is refused as libmilter refuses an
// unreadable one: that connection is closed, and the MTA applies its milter_default_action.
// (Other string commands need nothing: libmilter checks their final NUL itself, and drops an
// unterminated tail of a string list.)

// True when libmilter's calls reach this wrapper (the executable's definition is the one the
// dynamic linker resolves) and the real reader was found behind it.
bool breakwater_guard_active(void);

// Commands refused since the process started.
unsigned long breakwater_guard_refused(void);

// The check itself, for tests: true if libmilter may be given this command.
bool breakwater_guard_accepts(char command, const char *payload, size_t length);

// A wrapper around accept(2), which libmilter's listener calls through its PLT: when accept
// fails for want of a descriptor or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM), it waits
// BREAKWATER_ACCEPT_PAUSE_MS before returning the same error. libmilter's loop treats these as
// "try again" with no pause of its own, and its poll reports the connections waiting in the
// backlog at once, so at the fd limit it spun a whole core until descriptors were freed. Every
// other result passes through untouched; the waiting connections stay in the backlog and are
// served as soon as a descriptor is free (the MTA's command timeout still bounds their wait).
#define BREAKWATER_ACCEPT_PAUSE_MS 50

// True when calls to accept reach this wrapper and the real accept was found behind it.
bool breakwater_accept_pause_active(void);

// Failed accepts that paused since the process started.
unsigned long breakwater_accept_pauses(void);

// The reload signal without sigwait (reload_signal.c). Installs a handler for `signum` that
// writes one byte to a pipe (non-blocking: a full pipe means a reload is already pending) and
// returns the pipe's read end, or -1 with errno set. The thread that reads the pipe unblocks
// `signum` for itself alone; every other thread keeps it blocked.
//
// Why not sigwait: while a thread waits in sigwait, the kernel shows the awaited signal as
// unblocked in /proc/self/task/TID/status. Swift's crash handler reads that mask to choose
// the signal that pauses each thread before it prints the backtrace, so it sent SIGUSR1 to
// the reload thread. sigwait took the signal as a reload, the thread never paused, and the
// handler waited 2 s, 16 times over: a crash took 33 s to end the process, with 16 reloads.
// With a handler, the crash handler's own SIGUSR1 action replaces ours and the thread pauses.
int breakwater_reload_signal_install(int signum);

#endif
