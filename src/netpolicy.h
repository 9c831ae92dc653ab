/* netpolicy.h - the network policy: its modes and entries, the host names
 * and addresses a sandbox asks for, and what it may reach.
 *
 *   host                   the host's network, shared (the default)
 *   none                   a network namespace of its own, loopback only
 *   allow=ENTRY[,ENTRY...] the same, plus an HTTP CONNECT proxy (proxy.h)
 *                          that reaches only what the entries name
 *
 * An entry is HOST, *.DOMAIN (its subdomains, not DOMAIN itself),
 * HOST:PORT, IP, IP:PORT, [IPv6]:PORT, CIDR or CIDR:PORT ([IPv6/LEN]:PORT);
 * the port is 443 when not given.
 *
 * Everything here is pure (no I/O), so that the unit tests and the fuzz
 * target drive exactly what the proxy runs. What MUST hold:
 *  1. A host name from the sandbox is checked before anything uses it:
 *     letters, digits, hyphens and dots, labels of 1 to 63 bytes, at most
 *     253 in all; lowercased. No %, NUL, space or any other byte gets
 *     through. A name whose last label is numeric (127.1, 2852039166,
 *     0x7f000001, 1.2.3.04) is an IPv4 address, read as the C library
 *     reads it, or refused: the resolver can never read as an address
 *     what the policy took for a name. An IPv6 address is in brackets;
 *     an IPv4-mapped one (::ffff:127.0.0.1) is its IPv4 address.
 *  2. A name matches only a name entry (equal) or a *.DOMAIN entry (a
 *     longer name ending in .DOMAIN); an address matches only an address
 *     or CIDR entry; the port always matches exactly.
 *  3. An address the proxy would connect to is public, or named by an
 *     address entry, or inside a CIDR entry whose own network is of the
 *     same kind (10.0.0.0/8 opens private addresses, 0.0.0.0/0 does not):
 *     loopback, unspecified (never allowed), RFC 1918, shared (CGNAT,
 *     100.64/10), link-local, multicast, unique local (fc00::/7),
 *     reserved, and the IPv4-mapped, NAT64 (64:ff9b::/96) and 6to4
 *     (2002::/16) forms of those are not public.
 *  4. A CONNECT header is at most NET_HEADER_MAX bytes, CRLF-terminated
 *     lines, "CONNECT host:port HTTP/1.x" exactly; anything else is
 *     refused whole.
 *  5. A TLS ClientHello is read within its first record only; its
 *     server name, when there is one, passes rule 1.
 */
#ifndef SV_NETPOLICY_H
#define SV_NETPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "strbuf.h"

#define NET_PROXY_PORT 3128          /* the proxy inside the sandbox */
#define NET_DEFAULT_PORT 443
#define NET_MAX_ENTRIES 256
#define NET_MODE_MAX 8192            /* bytes of a mode's text */
#define NET_HOST_MAX 253             /* a DNS name's length */
#define NET_HEADER_MAX 8192          /* a CONNECT header */
#define NET_SHOWN_MAX 160            /* a host as messages show it */

enum net_mode {
	NET_MODE_HOST,
	NET_MODE_NONE,
	NET_MODE_ALLOW,
};

/* An IPv4 (first 4 bytes of a) or IPv6 address. */
struct net_addr {
	int family;                  /* AF_INET or AF_INET6 */
	uint8_t a[16];
};

enum net_entry_kind {
	NET_ENTRY_NAME,              /* one host name */
	NET_ENTRY_DOMAIN,            /* *.DOMAIN: the names below DOMAIN */
	NET_ENTRY_ADDR,              /* one address */
	NET_ENTRY_CIDR,              /* a network */
};

struct net_entry {
	enum net_entry_kind kind;
	char *name;                  /* NAME, DOMAIN (without "*."): lowercase */
	struct net_addr addr;        /* ADDR, CIDR (host bits zero) */
	unsigned prefix;             /* CIDR: the network's length */
	uint16_t port;
	const char *origin;          /* where it comes from, for VERBOSE */
};

struct net_policy {
	enum net_mode mode;
	struct net_entry *entries;
	size_t nr;
};

void netpolicy_init(struct net_policy *p);
void netpolicy_release(struct net_policy *p);
/* Parse a mode ("host", "none", "allow=...") into p (replacing what it
 * held). Errors name the entry at fault. */
int netpolicy_parse(const char *mode, struct net_policy *p, struct strbuf *err);
/* Add one entry to p; origin (a static string) says where it comes from. */
int netpolicy_add_entry(struct net_policy *p, const char *entry, const char *origin,
			struct strbuf *err);
/* Add the host and port of an http or https URL (a package index, say).
 * Returns 0 when added, 1 when url names nothing to reach over the
 * network (a path, file:), -1 with err when it is not usable. */
int netpolicy_add_url(struct net_policy *p, const char *url, const char *origin,
		      struct strbuf *err);
/* The entry as it is written, for VERBOSE and --show. */
void netpolicy_format_entry(const struct net_entry *e, struct strbuf *out);

/* A host as the sandbox names it, checked (rule 1). */
struct net_host {
	char name[NET_HOST_MAX + 1]; /* a lowercase name, or the address as inet_ntop writes it */
	bool is_addr;
	struct net_addr addr;        /* when is_addr */
};

/* Check s (len bytes, any of them) as a host; brackets: an IPv6 address
 * in brackets is allowed. Returns 0, or -1 when it is not a host. */
int netpolicy_host_parse(const char *s, size_t len, bool brackets, struct net_host *out);

enum net_class {
	NET_CLASS_PUBLIC,
	NET_CLASS_LOOPBACK,
	NET_CLASS_UNSPECIFIED,
	NET_CLASS_PRIVATE,           /* RFC 1918, fec0::/10, local NAT64 */
	NET_CLASS_SHARED,            /* 100.64.0.0/10, carrier-grade NAT */
	NET_CLASS_LINK_LOCAL,
	NET_CLASS_MULTICAST,
	NET_CLASS_UNIQUE_LOCAL,      /* fc00::/7 */
	NET_CLASS_RESERVED,          /* 240/4, broadcast, 192.0.0/24, 198.18/15, ... */
};

enum net_class netpolicy_classify(const struct net_addr *a);
const char *netpolicy_class_name(enum net_class c);
/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) becomes a.b.c.d. */
void netpolicy_addr_normalize(struct net_addr *a);
/* The address as inet_ntop writes it; out has at least 46 bytes. */
void netpolicy_addr_format(const struct net_addr *a, char *out, size_t size);

/* The entry that lets the sandbox ask for host:port (rule 2), or NULL. */
const struct net_entry *netpolicy_match(const struct net_policy *p, const struct net_host *h,
					uint16_t port);
/* May the proxy connect to a, for a request to port (rule 3)? */
bool netpolicy_addr_allowed(const struct net_policy *p, const struct net_addr *a, uint16_t port);

/* A CONNECT request (rule 4). */
enum net_parse {
	NET_PARSE_MORE,              /* no end of header yet */
	NET_PARSE_OK,
	NET_PARSE_BAD,               /* not a CONNECT request we take */
	NET_PARSE_BAD_HOST,          /* a CONNECT whose host is not a host (rule 1) */
};

struct net_request {
	struct net_host host;
	uint16_t port;
	size_t header_len;           /* bytes up to and with the blank line */
	char shown[NET_SHOWN_MAX];   /* host:port as asked, escaped, for messages */
};

enum net_parse netpolicy_parse_connect(const char *buf, size_t len, struct net_request *req);

/* The start of a TLS connection (rule 5). */
enum net_hello {
	NET_HELLO_MORE,              /* not all of the first record yet */
	NET_HELLO_OK,
	NET_HELLO_BAD,               /* not a ClientHello, or a bad server name */
};

/* sni gets the server name (lowercase), or "" when the hello has none. */
enum net_hello netpolicy_parse_hello(const uint8_t *buf, size_t len,
				     char sni[NET_HOST_MAX + 1]);

/* s (len bytes) for a message: printable ASCII as is, other bytes as \xHH,
 * cut to fit out (size bytes with the NUL). */
void netpolicy_escape(const char *s, size_t len, char *out, size_t size);

#endif
