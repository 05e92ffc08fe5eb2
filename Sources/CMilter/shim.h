#ifndef BREAKWATER_CMILTER_SHIM_H
#define BREAKWATER_CMILTER_SHIM_H
// stdbool first: mfapi.h then uses _Bool instead of `typedef int bool`.
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

// smfi_setmlreply is variadic, which Swift cannot call. This fixed-arity
// wrapper takes up to eight lines; the first NULL ends the list, exactly as
// the variadic call's terminating NULL would.
static inline int breakwater_setmlreply8(SMFICTX *ctx, const char *rcode, const char *xcode,
                                         const char *l0, const char *l1, const char *l2,
                                         const char *l3, const char *l4, const char *l5,
                                         const char *l6, const char *l7) {
    return smfi_setmlreply(ctx, rcode, xcode, l0, l1, l2, l3, l4, l5, l6, l7, (char *)NULL);
}

#endif
