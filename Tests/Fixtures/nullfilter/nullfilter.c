/*
 * nullfilter: the smallest libmilter filter that does what Breakwater's MilterWire client
 * must cope with. Used by Tests/MilterWireTests to drive the client against real libmilter.
 *
 *   nullfilter [-n] SOCKET        e.g. nullfilter unix:/tmp/x/null.sock
 *
 * Default: libmilter's own negotiation, every step answered.
 * -n: negotiate NR_MAIL|NR_RCPT|NR_HDR|NR_EOH plus NOCONNECT/NOHELO/NOBODY/NODATA/NOUNKNOWN,
 *     so only end of message is answered, and ask for only "i {mail_addr}" at MAIL.
 *
 * At end of message it adds "X-Null: seen", "X-Null-Rcpts: <recipients seen>" and
 * "X-Null-Macros: i=<i> auth=<{auth_type} or ->". Triggers for the tests (default mode only,
 * since -n gives no earlier replies):
 *   sender containing "reject-at-mail"   -> reject at MAIL
 *   recipient containing "refuse"        -> reject that recipient
 *   header "X-Early: accept" / "discard" -> accept / discard at that header
 * and in both modes at end of message:
 *   header "X-Test-Reply"                -> 550 5.7.1 blocked by test
 *   header "X-Test-Quarantine"           -> quarantine "held by test" (and accept)
 *   header "X-Test-Rcpt"                 -> add <added@test>, delete the first recipient
 */
#include <libmilter/mfapi.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int noreply_mode = 0;

struct message {
    int rcpts;
    int want_reply, want_quarantine, want_rcpt;
    char first_rcpt[256];
    char macro_i[64];
    char macro_auth[64];
};

static struct message *msg(SMFICTX *ctx) {
    struct message *m = smfi_getpriv(ctx);
    if (m == NULL) {
        m = calloc(1, sizeof *m);
        smfi_setpriv(ctx, m);
    }
    return m;
}

/* In -n mode every callback before end of message must answer NOREPLY. */
static sfsistat go_on(void) { return noreply_mode ? SMFIS_NOREPLY : SMFIS_CONTINUE; }

static sfsistat nf_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
                             unsigned long f2, unsigned long f3, unsigned long *pf0,
                             unsigned long *pf1, unsigned long *pf2, unsigned long *pf3) {
    (void)f2; (void)f3;
    unsigned long want = SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_HDR | SMFIP_NR_EOH
        | SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOBODY | SMFIP_NODATA | SMFIP_NOUNKNOWN;
    *pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_ADDRCPT | SMFIF_DELRCPT | SMFIF_QUARANTINE | SMFIF_SETSYMLIST);
    *pf1 = f1 & want;  /* only what the MTA offered */
    *pf2 = 0;
    *pf3 = 0;
    if (smfi_setsymlist(ctx, SMFIM_ENVFROM, "i {mail_addr}") != MI_SUCCESS)
        return SMFIS_REJECT;
    return SMFIS_CONTINUE;
}

static sfsistat nf_envfrom(SMFICTX *ctx, char **argv) {
    struct message *m = msg(ctx);
    const char *i = smfi_getsymval(ctx, "i");
    const char *auth = smfi_getsymval(ctx, "{auth_type}");
    memset(m, 0, sizeof *m);
    snprintf(m->macro_i, sizeof m->macro_i, "%s", i ? i : "-");
    snprintf(m->macro_auth, sizeof m->macro_auth, "%s", auth ? auth : "-");
    if (!noreply_mode && argv[0] != NULL && strstr(argv[0], "reject-at-mail") != NULL)
        return SMFIS_REJECT;
    return go_on();
}

static sfsistat nf_envrcpt(SMFICTX *ctx, char **argv) {
    struct message *m = msg(ctx);
    if (!noreply_mode && argv[0] != NULL && strstr(argv[0], "refuse") != NULL)
        return SMFIS_REJECT;
    if (m->rcpts == 0 && argv[0] != NULL)
        snprintf(m->first_rcpt, sizeof m->first_rcpt, "%s", argv[0]);
    m->rcpts++;
    return go_on();
}

static sfsistat nf_header(SMFICTX *ctx, char *name, char *value) {
    struct message *m = msg(ctx);
    if (strcasecmp(name, "X-Test-Reply") == 0) m->want_reply = 1;
    if (strcasecmp(name, "X-Test-Quarantine") == 0) m->want_quarantine = 1;
    if (strcasecmp(name, "X-Test-Rcpt") == 0) m->want_rcpt = 1;
    if (!noreply_mode && strcasecmp(name, "X-Early") == 0) {
        if (strcmp(value, "accept") == 0) return SMFIS_ACCEPT;
        if (strcmp(value, "discard") == 0) return SMFIS_DISCARD;
    }
    return go_on();
}

static sfsistat nf_eoh(SMFICTX *ctx) { (void)ctx; return go_on(); }

static sfsistat nf_eom(SMFICTX *ctx) {
    struct message *m = msg(ctx);
    char buf[64], macros[160];
    snprintf(buf, sizeof buf, "%d", m->rcpts);
    snprintf(macros, sizeof macros, "i=%s auth=%s", m->macro_i, m->macro_auth);
    smfi_addheader(ctx, "X-Null", "seen");
    smfi_addheader(ctx, "X-Null-Rcpts", buf);
    smfi_addheader(ctx, "X-Null-Macros", macros);
    if (m->want_rcpt) {
        smfi_addrcpt(ctx, "<added@test>");
        smfi_delrcpt(ctx, m->first_rcpt);
    }
    if (m->want_quarantine) smfi_quarantine(ctx, "held by test");
    if (m->want_reply) {
        smfi_setreply(ctx, "550", "5.7.1", "blocked by test");
        return SMFIS_REJECT;
    }
    return SMFIS_ACCEPT;
}

static sfsistat nf_abort(SMFICTX *ctx) {
    struct message *m = smfi_getpriv(ctx);
    if (m != NULL) memset(m, 0, sizeof *m);
    return SMFIS_CONTINUE;
}

static sfsistat nf_close(SMFICTX *ctx) {
    free(smfi_getpriv(ctx));
    smfi_setpriv(ctx, NULL);
    return SMFIS_CONTINUE;
}

int main(int argc, char **argv) {
    /* smfi_main's signal thread uses sigwait: these must be blocked in every thread. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    int arg = 1;
    if (argc > 1 && strcmp(argv[1], "-n") == 0) { noreply_mode = 1; arg = 2; }
    if (arg >= argc) {
        fprintf(stderr, "usage: %s [-n] unix:/path | inet:port@host\n", argv[0]);
        return 2;
    }
    struct smfiDesc desc = {
        "nullfilter", SMFI_VERSION,
        SMFIF_ADDHDRS | SMFIF_ADDRCPT | SMFIF_DELRCPT | SMFIF_QUARANTINE | SMFIF_SETSYMLIST,
        NULL, NULL, nf_envfrom, nf_envrcpt, nf_header, nf_eoh, NULL, nf_eom, nf_abort, nf_close,
        NULL, NULL, noreply_mode ? nf_negotiate : NULL,
    };
    if (smfi_setconn(argv[arg]) == MI_FAILURE || smfi_register(desc) == MI_FAILURE) {
        fprintf(stderr, "nullfilter: cannot set up %s\n", argv[arg]);
        return 1;
    }
    if (smfi_opensocket(1) == MI_FAILURE) {
        fprintf(stderr, "nullfilter: cannot open %s\n", argv[arg]);
        return 1;
    }
    return smfi_main() == MI_SUCCESS ? 0 : 1;
}
