/* netpolicy.c - the network policy: entries, hosts, addresses, and the
 * CONNECT header and TLS ClientHello the proxy reads (rules: netpolicy.h). */
#include "netpolicy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "util.h"

#define DIGITS "0123456789"
#define HEXDIGITS "0123456789abcdef"

void netpolicy_init(struct net_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->mode = NET_MODE_HOST;
}

void netpolicy_release(struct net_policy *p)
{
	size_t i;

	for (i = 0; i < p->nr; i++)
		free(p->entries[i].name);
	free(p->entries);
	netpolicy_init(p);
}

/* ---- host names and addresses (rule 1) ---- */

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* s (len bytes) as a DNS name: labels of letters, digits and inner
 * hyphens, 1 to 63 bytes each, 253 in all, no empty label. out (at least
 * NET_HOST_MAX + 1 bytes) gets it lowercased. */
static int check_name(const char *s, size_t len, char *out)
{
	size_t i, label = 0;

	if (len == 0 || len > NET_HOST_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return -1;
			label = 0;
		} else if (is_alnum(c) || (c == '-' && label > 0)) {
			if (++label > 63)
				return -1;
		} else {
			return -1;
		}
		out[i] = lower(c);
	}
	if (label == 0 || s[len - 1] == '-')
		return -1;
	out[len] = '\0';
	return 0;
}

/* Is the last label of a (checked, lowercase) name a number, as a URL
 * parser or the C library would take it: decimal, or 0x and hex digits? */
static bool numeric_name(const char *name)
{
	const char *l = strrchr(name, '.');

	l = l ? l + 1 : name;
	if (l[0] == '0' && l[1] == 'x')
		return strspn(l + 2, HEXDIGITS) == strlen(l + 2);
	return strspn(l, DIGITS) == strlen(l);
}

void netpolicy_addr_normalize(struct net_addr *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (a->family == AF_INET6 && !memcmp(a->a, mapped, sizeof(mapped))) {
		memmove(a->a, a->a + 12, 4);
		memset(a->a + 4, 0, 12);
		a->family = AF_INET;
	}
}

void netpolicy_addr_format(const struct net_addr *a, char *out, size_t size)
{
	if (!inet_ntop(a->family, a->a, out, (socklen_t)size))
		snprintf(out, size, "?");
}

static void set_addr_host(struct net_host *out, const struct net_addr *a)
{
	out->is_addr = true;
	out->addr = *a;
	netpolicy_addr_normalize(&out->addr);
	netpolicy_addr_format(&out->addr, out->name, sizeof(out->name));
}

int netpolicy_host_parse(const char *s, size_t len, bool brackets, struct net_host *out)
{
	char buf[NET_HOST_MAX + 1];
	struct net_addr a;

	memset(out, 0, sizeof(*out));
	memset(&a, 0, sizeof(a));
	if (len >= 2 && s[0] == '[') {
		size_t n = len - 2, i;

		if (!brackets || s[len - 1] != ']' || n == 0 || n >= INET6_ADDRSTRLEN)
			return -1;
		for (i = 0; i < n; i++) {
			char c = lower(s[1 + i]);

			if (!strchr(HEXDIGITS ":.", c) || c == '\0')
				return -1;
			buf[i] = c;
		}
		buf[n] = '\0';
		if (inet_pton(AF_INET6, buf, a.a) != 1)
			return -1;
		a.family = AF_INET6;
		set_addr_host(out, &a);
		return 0;
	}
	if (check_name(s, len, buf) < 0)
		return -1;
	if (numeric_name(buf)) {
		struct in_addr in;

		if (!inet_aton(buf, &in))
			return -1;
		a.family = AF_INET;
		memcpy(a.a, &in, 4);
		set_addr_host(out, &a);
		return 0;
	}
	memcpy(out->name, buf, len + 1);
	return 0;
}

/* ---- address classes (rule 3) ---- */

static const struct v4_range {
	uint32_t net;
	unsigned bits;
	enum net_class class;
} v4_ranges[] = {
	{ 0x00000000, 8, NET_CLASS_UNSPECIFIED },   /* "this network" */
	{ 0x0a000000, 8, NET_CLASS_PRIVATE },       /* RFC 1918 */
	{ 0x64400000, 10, NET_CLASS_SHARED },       /* RFC 6598, carrier-grade NAT */
	{ 0x7f000000, 8, NET_CLASS_LOOPBACK },
	{ 0xa9fe0000, 16, NET_CLASS_LINK_LOCAL },   /* cloud metadata lives here */
	{ 0xac100000, 12, NET_CLASS_PRIVATE },      /* RFC 1918 */
	{ 0xc0000000, 24, NET_CLASS_RESERVED },     /* IETF protocol assignments */
	{ 0xc0a80000, 16, NET_CLASS_PRIVATE },      /* RFC 1918 */
	{ 0xc6120000, 15, NET_CLASS_RESERVED },     /* benchmarking */
	{ 0xe0000000, 4, NET_CLASS_MULTICAST },
	{ 0xf0000000, 4, NET_CLASS_RESERVED },      /* and the broadcast address */
};

static enum net_class classify4(const uint8_t *b)
{
	uint32_t x = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(v4_ranges); i++)
		if ((x >> (32 - v4_ranges[i].bits)) == (v4_ranges[i].net >> (32 - v4_ranges[i].bits)))
			return v4_ranges[i].class;
	return NET_CLASS_PUBLIC;
}

static bool zero(const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static enum net_class classify6(const uint8_t *b)
{
	static const uint8_t nat64[12] = { 0, 0x64, 0xff, 0x9b };
	static const uint8_t nat64_local[6] = { 0, 0x64, 0xff, 0x9b, 0, 1 };
	static const uint8_t siit[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0 };

	if (zero(b, 16))
		return NET_CLASS_UNSPECIFIED;
	if (zero(b, 15) && b[15] == 1)
		return NET_CLASS_LOOPBACK;
	if (zero(b, 10) && b[10] == 0xff && b[11] == 0xff)
		return classify4(b + 12);                    /* IPv4-mapped */
	if (!memcmp(b, siit, sizeof(siit)))
		return classify4(b + 12);                    /* IPv4-translated */
	if (zero(b, 12)) {                                   /* IPv4-compatible, deprecated */
		enum net_class c = classify4(b + 12);

		return c == NET_CLASS_PUBLIC ? NET_CLASS_RESERVED : c;
	}
	if (!memcmp(b, nat64, sizeof(nat64)))
		return classify4(b + 12);                    /* NAT64, 64:ff9b::/96 */
	if (!memcmp(b, nat64_local, sizeof(nat64_local)))
		return NET_CLASS_PRIVATE;                    /* local NAT64, 64:ff9b:1::/48 */
	if (b[0] == 0x20 && b[1] == 0x02)
		return classify4(b + 2);                     /* 6to4, 2002::/16 */
	if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)
		return NET_CLASS_RESERVED;                   /* Teredo, 2001::/32 */
	if (b[0] == 0x01 && zero(b + 1, 7))
		return NET_CLASS_RESERVED;                   /* discard, 100::/64 */
	if ((b[0] & 0xfe) == 0xfc)
		return NET_CLASS_UNIQUE_LOCAL;
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return NET_CLASS_LINK_LOCAL;
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
		return NET_CLASS_PRIVATE;                    /* site-local, deprecated */
	if (b[0] == 0xff)
		return NET_CLASS_MULTICAST;
	return NET_CLASS_PUBLIC;
}

enum net_class netpolicy_classify(const struct net_addr *a)
{
	return a->family == AF_INET ? classify4(a->a) : classify6(a->a);
}

const char *netpolicy_class_name(enum net_class c)
{
	switch (c) {
	case NET_CLASS_PUBLIC: return "public";
	case NET_CLASS_LOOPBACK: return "loopback";
	case NET_CLASS_UNSPECIFIED: return "unspecified";
	case NET_CLASS_PRIVATE: return "private";
	case NET_CLASS_SHARED: return "shared (carrier-grade NAT)";
	case NET_CLASS_LINK_LOCAL: return "link-local";
	case NET_CLASS_MULTICAST: return "multicast";
	case NET_CLASS_UNIQUE_LOCAL: return "unique local";
	case NET_CLASS_RESERVED: return "reserved";
	}
	return "?";
}

static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static bool addr_eq(const struct net_addr *x, const struct net_addr *y)
{
	return x->family == y->family && !memcmp(x->a, y->a, addr_len(x->family));
}

/* Do the first bits of x and y agree? */
static bool prefix_eq(const uint8_t *x, const uint8_t *y, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));

	return !memcmp(x, y, whole) && (!rest || ((x[whole] ^ y[whole]) & mask) == 0);
}

static bool in_cidr(const struct net_entry *e, const struct net_addr *a)
{
	return e->addr.family == a->family && prefix_eq(e->addr.a, a->a, e->prefix);
}

/* ---- matching (rules 2 and 3) ---- */

static bool name_below(const char *name, const char *domain)
{
	size_t n = strlen(name), d = strlen(domain);

	return n > d + 1 && name[n - d - 1] == '.' && !strcmp(name + n - d, domain);
}

const struct net_entry *netpolicy_match(const struct net_policy *p, const struct net_host *h,
					uint16_t port)
{
	size_t i;

	for (i = 0; i < p->nr; i++) {
		const struct net_entry *e = &p->entries[i];
		bool hit = false;

		if (e->port != port)
			continue;
		switch (e->kind) {
		case NET_ENTRY_NAME:
			hit = !h->is_addr && !strcmp(h->name, e->name);
			break;
		case NET_ENTRY_DOMAIN:
			hit = !h->is_addr && name_below(h->name, e->name);
			break;
		case NET_ENTRY_ADDR:
			hit = h->is_addr && addr_eq(&h->addr, &e->addr);
			break;
		case NET_ENTRY_CIDR:
			hit = h->is_addr && in_cidr(e, &h->addr);
			break;
		}
		if (hit)
			return e;
	}
	return NULL;
}

bool netpolicy_addr_allowed(const struct net_policy *p, const struct net_addr *addr,
			    uint16_t port)
{
	struct net_addr a = *addr;
	enum net_class c;
	size_t i;

	netpolicy_addr_normalize(&a);
	c = netpolicy_classify(&a);
	if (c == NET_CLASS_UNSPECIFIED)
		return false;	/* connects to the host itself */
	if (c == NET_CLASS_PUBLIC)
		return true;
	for (i = 0; i < p->nr; i++) {
		const struct net_entry *e = &p->entries[i];

		if (e->port != port)
			continue;
		if (e->kind == NET_ENTRY_ADDR && addr_eq(&e->addr, &a))
			return true;
		if (e->kind == NET_ENTRY_CIDR && in_cidr(e, &a) && netpolicy_classify(&e->addr) == c)
			return true;
	}
	return false;
}

/* ---- entries ---- */

/* A port: 1 to 65535 in decimal, no sign, no leading zero. */
static int parse_port(const char *s, size_t len, uint16_t *out)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > 5 || s[0] == '0')
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* "ADDR" or "ADDR/LEN" of family (0: either) into e. */
static int parse_addr_entry(const char *text, int family, struct net_entry *e,
			    struct strbuf *err)
{
	cleanup_free char *s = xstrdup(text);
	char *slash = strchr(s, '/');
	unsigned max, len;

	if (slash)
		*slash = '\0';
	memset(&e->addr, 0, sizeof(e->addr));
	if (family != AF_INET6 && inet_pton(AF_INET, s, e->addr.a) == 1)
		e->addr.family = AF_INET;
	else if (family != AF_INET && strlen(s) < INET6_ADDRSTRLEN && !strchr(s, '%') &&
		 inet_pton(AF_INET6, s, e->addr.a) == 1)
		e->addr.family = AF_INET6;
	else
		goto bad;
	max = (unsigned)addr_len(e->addr.family) * 8;
	e->kind = slash ? NET_ENTRY_CIDR : NET_ENTRY_ADDR;
	e->prefix = max;
	if (slash) {
		const char *l = slash + 1;

		if (!*l || strspn(l, DIGITS) != strlen(l) || strlen(l) > 3 ||
		    (l[0] == '0' && l[1]))
			goto bad;
		len = (unsigned)atoi(l);
		if (len > max)
			goto bad;
		e->prefix = len;
		{
			struct net_addr masked = e->addr;
			unsigned i;

			for (i = len; i < max; i++)
				masked.a[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
			if (!addr_eq(&masked, &e->addr)) {
				strbuf_addf(err, "'%s': the network has bits set after its first %u", text, len);
				return -1;
			}
		}
	}
	/* ::ffff:a.b.c.d is a.b.c.d (rule 1), and so is its network. */
	if (e->addr.family == AF_INET6 && e->prefix >= 96) {
		struct net_addr v4 = e->addr;

		netpolicy_addr_normalize(&v4);
		if (v4.family == AF_INET) {
			e->addr = v4;
			e->prefix -= 96;
		}
	}
	return 0;
bad:
	strbuf_addf(err, "'%s' is not an IP address or network", text);
	return -1;
}

/* A name or *.domain entry's host part into e. */
static int parse_name_entry(const char *s, size_t len, struct net_entry *e, struct strbuf *err)
{
	char buf[NET_HOST_MAX + 1];
	bool wild = len >= 2 && s[0] == '*' && s[1] == '.';

	if (wild) {
		s += 2;
		len -= 2;
	}
	if (check_name(s, len, buf) < 0) {
		strbuf_addf(err, "'%.*s' is not a host name (letters, digits, hyphens and dots)",
			    (int)len, s);
		return -1;
	}
	if (numeric_name(buf)) {
		strbuf_addf(err, "'%.*s' is neither a host name nor an IPv4 address written as "
			    "four decimal numbers", (int)len, s);
		return -1;
	}
	e->kind = wild ? NET_ENTRY_DOMAIN : NET_ENTRY_NAME;
	e->name = xstrdup(buf);
	return 0;
}

static void push_entry(struct net_policy *p, const struct net_entry *e)
{
	p->entries = xrealloc(p->entries, (p->nr + 1) * sizeof(*p->entries));
	p->entries[p->nr++] = *e;
}

int netpolicy_add_entry(struct net_policy *p, const char *entry, const char *origin,
			struct strbuf *err)
{
	struct net_entry e;
	const char *port = NULL, *end;
	cleanup_free char *host = NULL;
	int r;

	memset(&e, 0, sizeof(e));
	e.port = NET_DEFAULT_PORT;
	e.origin = origin;
	if (p->nr >= NET_MAX_ENTRIES) {
		strbuf_addf(err, "more than %d entries", NET_MAX_ENTRIES);
		return -1;
	}
	if (entry[0] == '[') {
		/* [IPv6], [IPv6]:PORT, [IPv6/LEN], [IPv6/LEN]:PORT */
		end = strchr(entry, ']');
		if (!end || (end[1] && end[1] != ':')) {
			strbuf_addf(err, "'%s' is not [IPv6] or [IPv6]:PORT", entry);
			return -1;
		}
		host = xstrndup(entry + 1, (size_t)(end - entry - 1));
		port = end[1] ? end + 2 : NULL;
		r = parse_addr_entry(host, AF_INET6, &e, err);
	} else if (strchr(entry, ':') != strrchr(entry, ':')) {
		r = parse_addr_entry(entry, AF_INET6, &e, err);	/* bare IPv6: no port */
	} else {
		end = strchrnul(entry, ':');
		host = xstrndup(entry, (size_t)(end - entry));
		port = *end ? end + 1 : NULL;
		if (strchr(host, '/') || (host[0] && strspn(host, DIGITS ".") == strlen(host) &&
					  inet_pton(AF_INET, host, e.addr.a) == 1))
			r = parse_addr_entry(host, AF_INET, &e, err);
		else
			r = parse_name_entry(host, strlen(host), &e, err);
	}
	if (r < 0)
		return -1;
	if (port && parse_port(port, strlen(port), &e.port) < 0) {
		strbuf_addf(err, "'%s': the port is a number from 1 to 65535", entry);
		free(e.name);
		return -1;
	}
	push_entry(p, &e);
	return 0;
}

int netpolicy_parse(const char *mode, struct net_policy *p, struct strbuf *err)
{
	struct net_policy np;
	const char *s;

	netpolicy_init(&np);
	if (strlen(mode) > NET_MODE_MAX) {
		strbuf_addf(err, "the mode is longer than %d bytes", NET_MODE_MAX);
		return -1;
	}
	if (!strcmp(mode, "host")) {
		np.mode = NET_MODE_HOST;
	} else if (!strcmp(mode, "none")) {
		np.mode = NET_MODE_NONE;
	} else if (str_has_prefix(mode, "allow=")) {
		np.mode = NET_MODE_ALLOW;
		for (s = mode + 6;; s++) {
			const char *end = strchrnul(s, ',');
			cleanup_free char *one = xstrndup(s, (size_t)(end - s));

			if (!one[0]) {
				strbuf_addstr(err, "an empty entry in allow=");
				netpolicy_release(&np);
				return -1;
			}
			if (netpolicy_add_entry(&np, one, "--network", err) < 0) {
				netpolicy_release(&np);
				return -1;
			}
			s = end;
			if (!*s)
				break;
		}
	} else {
		strbuf_addstr(err, "the mode is host, none or allow=ENTRY[,ENTRY...]");
		return -1;
	}
	netpolicy_release(p);
	*p = np;
	return 0;
}

int netpolicy_add_url(struct net_policy *p, const char *url, const char *origin,
		      struct strbuf *err)
{
	const char *sep = strstr(url, "://"), *auth, *end, *at, *colon;
	struct net_host h;
	struct net_entry e;
	size_t scheme_len;

	if (!sep)
		return 1;	/* a path */
	scheme_len = (size_t)(sep - url);
	memset(&e, 0, sizeof(e));
	e.origin = origin;
	if (scheme_len == 5 && !strncasecmp(url, "https", 5))
		e.port = 443;
	else if (scheme_len == 4 && !strncasecmp(url, "http", 4))
		e.port = 80;
	else
		return 1;	/* file:, or nothing pip fetches over the network */
	auth = sep + 3;
	end = auth + strcspn(auth, "/?#");
	/* user:password@ (a token, say) is not part of the host. */
	for (at = end; at > auth && at[-1] != '@'; at--)
		;
	if (at > auth)
		auth = at;
	if (*auth == '[') {
		const char *close = memchr(auth, ']', (size_t)(end - auth));

		colon = close && close + 1 < end && close[1] == ':' ? close + 1 : NULL;
		if (!close || (close + 1 < end && !colon))
			goto bad;
	} else {
		colon = memchr(auth, ':', (size_t)(end - auth));
	}
	if (netpolicy_host_parse(auth, (size_t)((colon ? colon : end) - auth), true, &h) < 0 ||
	    (colon && parse_port(colon + 1, (size_t)(end - colon - 1), &e.port) < 0))
		goto bad;
	if (p->nr >= NET_MAX_ENTRIES) {
		strbuf_addf(err, "more than %d entries", NET_MAX_ENTRIES);
		return -1;
	}
	if (h.is_addr) {
		e.kind = NET_ENTRY_ADDR;
		e.addr = h.addr;
		e.prefix = (unsigned)addr_len(h.addr.family) * 8;
	} else {
		e.kind = NET_ENTRY_NAME;
		e.name = xstrdup(h.name);
	}
	push_entry(p, &e);
	return 0;
bad:
	strbuf_addstr(err, "the URL's host or port is not usable");
	return -1;
}

void netpolicy_format_entry(const struct net_entry *e, struct strbuf *out)
{
	char a[INET6_ADDRSTRLEN];
	bool v6 = e->addr.family == AF_INET6;

	switch (e->kind) {
	case NET_ENTRY_NAME:
		strbuf_addf(out, "%s:%u", e->name, e->port);
		break;
	case NET_ENTRY_DOMAIN:
		strbuf_addf(out, "*.%s:%u", e->name, e->port);
		break;
	case NET_ENTRY_ADDR:
		netpolicy_addr_format(&e->addr, a, sizeof(a));
		strbuf_addf(out, v6 ? "[%s]:%u" : "%s:%u", a, e->port);
		break;
	case NET_ENTRY_CIDR:
		netpolicy_addr_format(&e->addr, a, sizeof(a));
		strbuf_addf(out, v6 ? "[%s/%u]:%u" : "%s/%u:%u", a, e->prefix, e->port);
		break;
	}
}

/* ---- the CONNECT header (rule 4) ---- */

void netpolicy_escape(const char *s, size_t len, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if (!size)
		return;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t need = c > 0x20 && c < 0x7f && c != '\\' ? 1 : 4;

		if (o + need + 1 > size)
			break;
		if (need == 1) {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

/* Header lines: CRLF only, and no control byte but tab. */
static bool clean_lines(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r') {
			if (i + 1 >= len || s[i + 1] != '\n')
				return false;
			i++;
		} else if ((c < 0x20 && c != '\t') || c == 0x7f) {
			return false;
		}
	}
	return true;
}

enum net_parse netpolicy_parse_connect(const char *buf, size_t len, struct net_request *req)
{
	static const char method[] = "CONNECT ";
	const char *end, *eol, *auth, *sp, *colon, *host_end;
	size_t n = len < NET_HEADER_MAX ? len : NET_HEADER_MAX;

	memset(req, 0, sizeof(*req));
	if (memcmp(buf, method, n < 8 ? n : 8))
		return NET_PARSE_BAD;	/* not even the start of a CONNECT */
	end = memmem(buf, n, "\r\n\r\n", 4);
	if (!end)
		return len >= NET_HEADER_MAX ? NET_PARSE_BAD : NET_PARSE_MORE;
	req->header_len = (size_t)(end - buf) + 4;
	eol = memmem(buf, req->header_len, "\r\n", 2);
	auth = buf + 8;
	sp = memchr(auth, ' ', (size_t)(eol - auth));
	if (!sp || sp == auth)
		return NET_PARSE_BAD;
	netpolicy_escape(auth, (size_t)(sp - auth), req->shown, sizeof(req->shown));
	if ((size_t)(eol - sp) != 9 || (memcmp(sp, " HTTP/1.1", 9) && memcmp(sp, " HTTP/1.0", 9)))
		return NET_PARSE_BAD;
	/* host:port, [IPv6]:port */
	if (*auth == '[') {
		host_end = memchr(auth, ']', (size_t)(sp - auth));
		host_end = host_end ? host_end + 1 : sp;
		colon = host_end < sp && *host_end == ':' ? host_end : NULL;
	} else {
		for (colon = sp - 1; colon > auth && *colon != ':'; colon--)
			;
		colon = *colon == ':' ? colon : NULL;
		host_end = colon;
	}
	if (!colon || parse_port(colon + 1, (size_t)(sp - colon - 1), &req->port) < 0)
		return NET_PARSE_BAD;
	if (netpolicy_host_parse(auth, (size_t)(host_end - auth), true, &req->host) < 0)
		return NET_PARSE_BAD_HOST;
	if (!clean_lines(eol + 2, (size_t)(end + 2 - (eol + 2))))
		return NET_PARSE_BAD;
	return NET_PARSE_OK;
}

/* ---- the TLS ClientHello (rule 5) ---- */

struct reader {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static const uint8_t *take(struct reader *r, size_t n)
{
	const uint8_t *p = r->p;

	if (r->bad || n > r->left) {
		r->bad = true;
		return NULL;
	}
	r->p += n;
	r->left -= n;
	return p;
}

static size_t take_int(struct reader *r, size_t bytes)
{
	const uint8_t *p = take(r, bytes);
	size_t v = 0, i;

	for (i = 0; p && i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

/* A vector with a length of `bytes` bytes before it. */
static struct reader take_vector(struct reader *r, size_t bytes)
{
	size_t n = take_int(r, bytes);
	const uint8_t *p = take(r, n);
	struct reader v = { p, n, r->bad };

	return v;
}

/* The server_name extension: one host_name, a name by rule 1. */
static bool read_sni(struct reader ext, char *sni)
{
	struct reader list = take_vector(&ext, 2), name;
	struct net_host h;

	if (list.bad || ext.left || take_int(&list, 1) != 0)
		return false;
	name = take_vector(&list, 2);
	if (name.bad || list.left ||
	    netpolicy_host_parse((const char *)name.p, name.left, false, &h) < 0 || h.is_addr)
		return false;
	memcpy(sni, h.name, strlen(h.name) + 1);
	return true;
}

enum net_hello netpolicy_parse_hello(const uint8_t *buf, size_t len, char sni[NET_HOST_MAX + 1])
{
	struct reader rec, hello, exts;
	size_t rec_len;
	bool seen = false;

	sni[0] = '\0';
	/* A handshake record (22) of TLS 1.x, at most 2^14 bytes. */
	if ((len >= 1 && buf[0] != 22) || (len >= 2 && buf[1] != 3))
		return NET_HELLO_BAD;
	if (len < 5)
		return NET_HELLO_MORE;
	rec_len = (size_t)buf[3] << 8 | buf[4];
	if (rec_len == 0 || rec_len > 16384)
		return NET_HELLO_BAD;
	if (len < 5 + rec_len)
		return NET_HELLO_MORE;
	rec = (struct reader){ buf + 5, rec_len, false };
	if (take_int(&rec, 1) != 1)
		return NET_HELLO_BAD;	/* not a ClientHello */
	hello = take_vector(&rec, 3);	/* the whole hello in this record */
	take(&hello, 2 + 32);		/* version, random */
	take_vector(&hello, 1);		/* session id */
	take_vector(&hello, 2);		/* cipher suites */
	take_vector(&hello, 1);		/* compression methods */
	if (hello.bad)
		return NET_HELLO_BAD;
	if (!hello.left)
		return NET_HELLO_OK;	/* no extensions, no name */
	exts = take_vector(&hello, 2);
	if (exts.bad || hello.left)
		return NET_HELLO_BAD;
	while (exts.left) {
		size_t type = take_int(&exts, 2);
		struct reader data = take_vector(&exts, 2);

		if (exts.bad)
			return NET_HELLO_BAD;
		if (type != 0)
			continue;
		if (seen || !read_sni(data, sni))
			return NET_HELLO_BAD;
		seen = true;
	}
	return NET_HELLO_OK;
}
