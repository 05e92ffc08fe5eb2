#ifndef BREAKWATER_CHIREDIS_SHIM_H
#define BREAKWATER_CHIREDIS_SHIM_H
// hiredis 0.14 (Debian libhiredis-dev): the blocking client. Only SharedState's
// RedisConnection.swift imports this module.
#include <stddef.h>
#include <sys/time.h>
#include <hiredis/hiredis.h>

// why: redisContext.errstr is a char[128], which Swift imports as a 128-element tuple.
static inline const char *breakwater_redis_errstr(const redisContext *c) {
    return c->errstr;
}

#endif
