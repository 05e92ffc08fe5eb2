#define _GNU_SOURCE
#include "CMilterGuard.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

// Write end of the reload pipe; set once, before the handler is installed.
static volatile int reload_write_fd = -1;

static void on_reload_signal(int signum) {
    (void)signum;
    int saved = errno;
    char byte = 'R';
    // A full pipe (EAGAIN) means a reload is already pending: nothing is lost.
    ssize_t ignored = write(reload_write_fd, &byte, 1);
    (void)ignored;
    errno = saved;
}

int breakwater_reload_signal_install(int signum) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return -1;
    int flags = fcntl(fds[1], F_GETFL);
    if (flags < 0 || fcntl(fds[1], F_SETFL, flags | O_NONBLOCK) != 0) {
        int saved = errno;
        close(fds[0]);
        close(fds[1]);
        errno = saved;
        return -1;
    }
    reload_write_fd = fds[1];
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_reload_signal;
    sigfillset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (sigaction(signum, &sa, NULL) != 0) {
        int saved = errno;
        close(fds[0]);
        close(fds[1]);
        reload_write_fd = -1;
        errno = saved;
        return -1;
    }
    return fds[0];
}
