#define _GNU_SOURCE
#include "CMilterGuard.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

// libmilter's internal "unknown error" command code (libmilter.h, SMFIC_UNKNERR): mi_engine
// treats a NULL buffer with a code below ' ' as a failed read and closes the connection.
#define GUARD_SMFIC_UNKNERR ((char)6)

typedef char *(*reader_fn)(int, struct timeval *, char *, size_t *, char *);

static _Atomic(reader_fn) real_reader;
static atomic_ulong refused;

// Defined in libmilter.so; declared here so the wrapper below has the same signature.
char *mi_rd_cmd(int sd, struct timeval *timeout, char *cmd, size_t *rlen, char *name);

static reader_fn reader(void) {
    reader_fn f = atomic_load_explicit(&real_reader, memory_order_acquire);
    if (f == NULL) {
        f = (reader_fn)dlsym(RTLD_NEXT, "mi_rd_cmd");
        atomic_store_explicit(&real_reader, f, memory_order_release);
    }
    return f;
}

bool breakwater_guard_accepts(char command, const char *payload, size_t length) {
    if (command != 'D' || payload == NULL || length == 0) return true;
    // The stage byte, then strings: dec_argv makes one per NUL (an unterminated tail is
    // dropped), and smfi_getsymval needs them in pairs. No NUL at all is fine: dec_argv returns
    // NULL and libmilter ignores the frame (Postfix sends that for a stage with no macros).
    size_t nuls = 0;
    for (size_t i = 1; i < length; i++) nuls += payload[i] == '\0';
    return nuls % 2 == 0;
}

char *mi_rd_cmd(int sd, struct timeval *timeout, char *cmd, size_t *rlen, char *name) {
    reader_fn real = reader();
    if (real == NULL) {
        *cmd = GUARD_SMFIC_UNKNERR;
        return NULL;
    }
    char *buf = real(sd, timeout, cmd, rlen, name);
    if (buf != NULL && !breakwater_guard_accepts(*cmd, buf, *rlen)) {
        free(buf);
        atomic_fetch_add_explicit(&refused, 1, memory_order_relaxed);
        *cmd = GUARD_SMFIC_UNKNERR;
        return NULL;
    }
    return buf;
}

bool breakwater_guard_active(void) {
    void *bound = dlsym(RTLD_DEFAULT, "mi_rd_cmd");
    return bound == (void *)&mi_rd_cmd && reader() != NULL && reader() != &mi_rd_cmd;
}

unsigned long breakwater_guard_refused(void) {
    return atomic_load_explicit(&refused, memory_order_relaxed);
}
