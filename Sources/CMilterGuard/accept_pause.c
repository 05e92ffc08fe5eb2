#define _GNU_SOURCE
#include "CMilterGuard.h"

#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/socket.h>

typedef int (*accept_fn)(int, struct sockaddr *, socklen_t *);

static _Atomic(accept_fn) real_accept;
static atomic_ulong paused;

static accept_fn accepter(void) {
    accept_fn f = atomic_load_explicit(&real_accept, memory_order_acquire);
    if (f == NULL) {
        f = (accept_fn)dlsym(RTLD_NEXT, "accept");
        atomic_store_explicit(&real_accept, f, memory_order_release);
    }
    return f;
}

int accept(int fd, struct sockaddr *address, socklen_t *length) {
    accept_fn real = accepter();
    if (real == NULL) {
        errno = ENOSYS;
        return -1;
    }
    int connection = real(fd, address, length);
    if (connection < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)) {
        int saved = errno;
        atomic_fetch_add_explicit(&paused, 1, memory_order_relaxed);
        // why here: libmilter retries at once, and its poll reports the waiting connection at
        // once; with this pause it tries 20 times a second, soon enough to notice a freed fd.
        (void)poll(NULL, 0, BREAKWATER_ACCEPT_PAUSE_MS);
        errno = saved;
    }
    return connection;
}

bool breakwater_accept_pause_active(void) {
    void *bound = dlsym(RTLD_DEFAULT, "accept");
    return bound == (void *)&accept && accepter() != NULL && accepter() != &accept;
}

unsigned long breakwater_accept_pauses(void) {
    return atomic_load_explicit(&paused, memory_order_relaxed);
}
