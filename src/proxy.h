/* proxy.h - the HTTP CONNECT proxy of --network=allow=, run by the
 * launcher in its one event loop.
 *
 *   the sandbox (a network of its own)          the launcher (the host's)
 *   init: listens on 127.0.0.1:3128, [::1]:3128
 *         hands the listeners over  ---SCM_RIGHTS--->  proxy_start()
 *   program: CONNECT host:443  ---> listener ....... accept, check, resolve,
 *                                                    connect, relay
 *
 * The sandbox has no route out: its network namespace holds only a
 * loopback interface. Its one way out is a listening socket that lives in
 * its namespace but is served by the launcher, on the host's side. No
 * socket file, no host TCP port, no extra process but a short-lived
 * resolver per name.
 *
 * What MUST hold:
 *  1. Nothing passes that the policy does not allow (netpolicy.h): the
 *     host is checked before anything else uses it, matched against the
 *     entries, resolved on the host, and each address vetted; the proxy
 *     connects to a vetted address, never resolving twice (no DNS
 *     rebinding between check and connect).
 *  2. For port 443, nothing of the client's reaches the server before a
 *     TLS ClientHello whose server name is the CONNECT host (no name for
 *     an address); anything else is reset.
 *  3. Every refusal is said: one line on stderr, "sandbox-venv: network:
 *     blocked HOST:PORT (...)", at most PROXY_LOG_PER_SEC a second, and
 *     the client gets an HTTP error whose body is that line. Hosts are
 *     shown escaped: nothing from the sandbox reaches the terminal raw.
 *  4. Bounded: at most max_conns connections (over that, 503), two
 *     buffers of PROXY_BUF bytes each and, relaying, two pipes of
 *     PROXY_PIPE bytes each, PROXY_MAX_RESOLVERS resolvers;
 *     a side that does not read stops the reading of the other
 *     (backpressure), and every phase before the relay has a deadline.
 *  5. No handler blocks: every socket is non-blocking; name resolution
 *     (getaddrinfo blocks) runs in a child per request, which holds only
 *     its pipe, dies with the launcher, is killed at its deadline and
 *     reaped through a pidfd in the loop.
 *  6. The proxy lives as long as the sandbox: run.c frees it when bwrap
 *     has ended, closing every connection and killing every resolver.
 */
#ifndef SV_PROXY_H
#define SV_PROXY_H

#include <stdbool.h>
#include "evloop.h"
#include "netpolicy.h"
#include "strbuf.h"

#define PROXY_MAX_CONNS 256
#define PROXY_MAX_RESOLVERS 16
#define PROXY_BUF (32 * 1024)        /* each direction, before RELAY; > a TLS record */
#define PROXY_PIPE (256 * 1024)      /* each direction, in RELAY: a pipe */
#define PROXY_HEADER_MS 10000        /* the CONNECT header */
#define PROXY_CONNECT_MS 15000       /* resolving and connecting */
#define PROXY_HELLO_MS 10000         /* the ClientHello, port 443 */
#define PROXY_LINGER_MS 2000         /* after an error reply */
#define PROXY_LOG_PER_SEC 20

struct proxy_config {
	const struct net_policy *policy;
	bool verbose;                /* say what is allowed, too */
};

struct proxy;

/* Inside, in the init, before the program starts: make the listeners in
 * the sandbox's network and send them over sock. */
int proxy_hand_listeners(int sock, struct strbuf *err);

/* In the launcher: a proxy whose listeners arrive on sock (the launcher's
 * end of the socketpair, owned by the proxy from here on). cfg must
 * outlive it. */
struct proxy *proxy_start(struct evloop *l, const struct proxy_config *cfg, int sock,
			  struct strbuf *err);
/* Close every connection, kill and reap every resolver. */
void proxy_free(struct proxy *px);

#endif
