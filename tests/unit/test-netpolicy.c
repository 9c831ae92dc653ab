/* test-netpolicy.c - the network policy: modes and entries, host names
 * from the sandbox, address classes, matching, the CONNECT header and the
 * TLS ClientHello (netpolicy.h), and the event loop's timers (evloop.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "evloop.h"
#include "netpolicy.h"
#include "pip.h"
#include "tap.h"

static struct strbuf err = STRBUF_INIT;

/* ---- modes and entries ---- */

static const char *entry_str(const struct net_policy *p, size_t i)
{
	static struct strbuf sb = STRBUF_INIT;

	strbuf_reset(&sb);
	netpolicy_format_entry(&p->entries[i], &sb);
	return sb.buf;
}

static void test_modes(void)
{
	struct net_policy p;

	netpolicy_init(&p);
	ok(netpolicy_parse("host", &p, &err) == 0 && p.mode == NET_MODE_HOST, "host");
	ok(netpolicy_parse("none", &p, &err) == 0 && p.mode == NET_MODE_NONE && p.nr == 0, "none");
	ok(netpolicy_parse("allow=example.com", &p, &err) == 0 && p.mode == NET_MODE_ALLOW &&
	   p.nr == 1, "allow= one entry");
	is_str(entry_str(&p, 0), "example.com:443", "the port is 443 unless given");
	strbuf_reset(&err);
	ok(netpolicy_parse("off", &p, &err) < 0 && strstr(err.buf, "host, none or allow="),
	   "an unknown mode is refused, saying what exists");
	ok(p.mode == NET_MODE_ALLOW && p.nr == 1, "... and the policy is left as it was");
	ok(netpolicy_parse("allow=", &p, &err) < 0, "allow= with no entry is refused");
	ok(netpolicy_parse("allow=a.com,,b.com", &p, &err) < 0, "an empty entry is refused");
	ok(netpolicy_parse("allow=a.com,", &p, &err) < 0, "a trailing comma is refused");
	ok(netpolicy_parse("Host", &p, &err) < 0, "modes are lowercase");
	{
		struct strbuf big = STRBUF_INIT;
		size_t i;

		strbuf_addstr(&big, "allow=");
		for (i = 0; i < NET_MAX_ENTRIES + 1; i++)
			strbuf_addf(&big, "%sh%zu.com", i ? "," : "", i);
		strbuf_reset(&err);
		ok(netpolicy_parse(big.buf, &p, &err) < 0 && strstr(err.buf, "more than"),
		   "more than %d entries are refused", NET_MAX_ENTRIES);
		strbuf_release(&big);
	}
	netpolicy_release(&p);
}

struct entry_case {
	const char *in;
	const char *out;    /* as formatted; NULL: refused */
};

static void test_entries(void)
{
	static const struct entry_case cases[] = {
		{ "Example.COM", "example.com:443" },
		{ "example.com:8443", "example.com:8443" },
		{ "*.example.com", "*.example.com:443" },
		{ "*.example.com:80", "*.example.com:80" },
		{ "203.0.113.7", "203.0.113.7:443" },
		{ "203.0.113.7:8443", "203.0.113.7:8443" },
		{ "10.0.0.0/8", "10.0.0.0/8:443" },
		{ "10.0.0.0/8:5432", "10.0.0.0/8:5432" },
		{ "[2001:db8::1]:443", "[2001:db8::1]:443" },
		{ "[2001:db8::1]", "[2001:db8::1]:443" },
		{ "2001:db8::1", "[2001:db8::1]:443" },
		{ "[2001:db8::/32]:8443", "[2001:db8::/32]:8443" },
		{ "fd00::/8", "[fd00::/8]:443" },
		{ "[::ffff:127.0.0.1]:80", "127.0.0.1:80" },
		{ "[::ffff:10.0.0.0/104]", "10.0.0.0/8:443" },
		{ "xn--bcher-kva.example", "xn--bcher-kva.example:443" },
		{ "localhost", "localhost:443" },
		/* refused */
		{ "", NULL },
		{ "*.", NULL },
		{ "*", NULL },
		{ "*.*.example.com", NULL },
		{ "a*.example.com", NULL },
		{ "example.com:", NULL },
		{ "example.com:0", NULL },
		{ "example.com:65536", NULL },
		{ "example.com:0443", NULL },
		{ "example.com:+443", NULL },
		{ "example.com:443:1", NULL },
		{ "exa mple.com", NULL },
		{ "exa_mple.com", NULL },
		{ "example.com.", NULL },
		{ ".example.com", NULL },
		{ "a..com", NULL },
		{ "-a.com", NULL },
		{ "a-.com", NULL },
		{ "127.1", NULL },
		{ "0x7f000001", NULL },
		{ "2852039166", NULL },
		{ "1.2.3.04", NULL },
		{ "10.0.0.1/8", NULL },
		{ "10.0.0.0/33", NULL },
		{ "10.0.0.0/08", NULL },
		{ "10.0.0.0/", NULL },
		{ "[2001:db8::1", NULL },
		{ "[2001:db8::1]x", NULL },
		{ "[fe80::1%eth0]", NULL },
		{ "[example.com]", NULL },
		{ "example.com/8", NULL },
		{ "http://example.com", NULL },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct net_policy p;
		int r;

		netpolicy_init(&p);
		strbuf_reset(&err);
		r = netpolicy_add_entry(&p, cases[i].in, "test", &err);
		if (cases[i].out) {
			if (!ok(r == 0 && p.nr == 1, "entry '%s' is taken", cases[i].in))
				printf("#   error: %s\n", err.buf);
			else
				is_str(entry_str(&p, 0), cases[i].out, "... and reads back as written");
		} else {
			ok(r < 0 && p.nr == 0 && err.len, "entry '%s' is refused", cases[i].in);
		}
		netpolicy_release(&p);
	}
	{
		struct net_policy p;
		char label[70];

		memset(label, 'a', 64);
		label[64] = '\0';
		netpolicy_init(&p);
		ok(netpolicy_add_entry(&p, label, "test", &err) < 0, "a 64-byte label is refused");
		label[63] = '\0';
		ok(netpolicy_add_entry(&p, label, "test", &err) == 0, "a 63-byte label is taken");
		netpolicy_release(&p);
	}
}

static void test_urls(void)
{
	static const struct entry_case cases[] = {
		{ "https://pypi.example.org/simple", "pypi.example.org:443" },
		{ "https://user:token@Pypi.Example.org:8443/simple/", "pypi.example.org:8443" },
		{ "http://index.example.org/", "index.example.org:80" },
		{ "https://127.0.0.1:8444/simple", "127.0.0.1:8444" },
		{ "https://[::1]:8444/simple", "[::1]:8444" },
		{ "HTTPS://x.example?y", "x.example:443" },
		{ "https://a@b@c.example/", "c.example:443" },
	};
	struct net_policy p;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		netpolicy_init(&p);
		strbuf_reset(&err);
		if (ok(netpolicy_add_url(&p, cases[i].in, "pip", &err) == 0 && p.nr == 1,
		       "URL '%s' gives an entry", cases[i].in))
			is_str(entry_str(&p, 0), cases[i].out, "... its host and port");
		netpolicy_release(&p);
	}
	netpolicy_init(&p);
	ok(netpolicy_add_url(&p, "./wheels", "pip", &err) == 1 && p.nr == 0, "a path: nothing to reach");
	ok(netpolicy_add_url(&p, "file:///srv/wheels", "pip", &err) == 1 && p.nr == 0,
	   "file: nothing to reach");
	ok(netpolicy_add_url(&p, "https://exa mple.com/", "pip", &err) < 0, "a bad host is refused");
	ok(netpolicy_add_url(&p, "https://example.com:99999/", "pip", &err) < 0,
	   "a bad port is refused");
	ok(netpolicy_add_url(&p, "https://[::1/", "pip", &err) < 0, "an open bracket is refused");
	netpolicy_release(&p);
}

/* ---- hosts from the sandbox ---- */

struct host_case {
	const char *in;
	size_t len;        /* 0: strlen */
	const char *out;   /* canonical; NULL: refused */
	bool is_addr;
};

static void test_hosts(void)
{
	static const struct host_case cases[] = {
		{ "Allowed.COM", 0, "allowed.com", false },
		{ "a-b.c-d.example", 0, "a-b.c-d.example", false },
		{ "127.0.0.1", 0, "127.0.0.1", true },
		{ "127.1", 0, "127.0.0.1", true },
		{ "2852039166", 0, "169.254.169.254", true },
		{ "0x7f000001", 0, "127.0.0.1", true },
		{ "0X7F000001", 0, "127.0.0.1", true },
		{ "0177.0.0.1", 0, "127.0.0.1", true },
		{ "0x7f.1", 0, "127.0.0.1", true },
		{ "[::1]", 0, "::1", true },
		{ "[::ffff:127.0.0.1]", 0, "127.0.0.1", true },
		{ "[::FFFF:7f00:1]", 0, "127.0.0.1", true },
		{ "[2001:DB8::1]", 0, "2001:db8::1", true },
		{ "foo.0x1g", 0, "foo.0x1g", false },    /* its last label is no number */
		/* refused */
		{ "evil.com\0.allowed.com", 21, NULL, false },
		{ "allowed.com\0", 12, NULL, false },
		{ "evil.com .allowed.com", 0, NULL, false },
		{ "evil%2ecom", 0, NULL, false },
		{ "evil.com%00", 0, NULL, false },
		{ "allowed.com.", 0, NULL, false },
		{ "1.2.3.04.5", 0, NULL, false },
		{ "1.2.3.4.5", 0, NULL, false },
		{ "256.1.1.1", 0, NULL, false },
		{ "0x", 0, NULL, false },
		{ "[fe80::1%25eth0]", 0, NULL, false },
		{ "[::1", 0, NULL, false },
		{ "::1", 0, NULL, false },
		{ "[]", 0, NULL, false },
		{ "[1.2.3.4]", 0, NULL, false },
		{ "", 0, NULL, false },
		{ "a\tb", 0, NULL, false },
		{ "caf\xc3\xa9.com", 0, NULL, false },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct host_case *c = &cases[i];
		size_t len = c->len ? c->len : strlen(c->in);
		char shown[NET_SHOWN_MAX];
		struct net_host h;
		int r = netpolicy_host_parse(c->in, len, true, &h);

		netpolicy_escape(c->in, len, shown, sizeof(shown));
		if (c->out) {
			ok(r == 0 && h.is_addr == c->is_addr && !strcmp(h.name, c->out),
			   "host '%s' is %s %s", shown, c->is_addr ? "the address" : "the name", c->out);
		} else {
			ok(r < 0, "host '%s' is refused", shown);
		}
	}
	{
		char name[300];
		struct net_host h;

		memset(name, 'a', sizeof(name));
		for (i = 63; i < sizeof(name); i += 64)
			name[i] = '.';
		ok(netpolicy_host_parse(name, 253, false, &h) == 0, "a 253-byte name is taken");
		ok(netpolicy_host_parse(name, 254, false, &h) < 0, "a 254-byte name is refused");
		ok(netpolicy_host_parse("[::1]", 5, false, &h) < 0, "brackets only where allowed");
	}
	{
		char out[12];

		netpolicy_escape("a\x1b[31m\\b", 9, out, sizeof(out));
		is_str(out, "a\\x1b[31m", "escape: control bytes as \\xHH, cut to fit");
	}
}

/* ---- addresses ---- */

static struct net_addr addr(const char *s)
{
	struct net_addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, a.a) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, s, a.a) == 1)
		a.family = AF_INET6;
	return a;
}

static void test_classes(void)
{
	static const struct {
		const char *a;
		enum net_class c;
	} cases[] = {
		{ "8.8.8.8", NET_CLASS_PUBLIC },
		{ "203.0.113.7", NET_CLASS_PUBLIC },
		{ "0.0.0.0", NET_CLASS_UNSPECIFIED },
		{ "0.1.2.3", NET_CLASS_UNSPECIFIED },
		{ "127.0.0.1", NET_CLASS_LOOPBACK },
		{ "127.255.255.254", NET_CLASS_LOOPBACK },
		{ "10.1.2.3", NET_CLASS_PRIVATE },
		{ "172.16.0.1", NET_CLASS_PRIVATE },
		{ "172.31.255.255", NET_CLASS_PRIVATE },
		{ "172.32.0.1", NET_CLASS_PUBLIC },
		{ "192.168.1.1", NET_CLASS_PRIVATE },
		{ "100.64.0.1", NET_CLASS_SHARED },
		{ "100.127.255.255", NET_CLASS_SHARED },
		{ "100.128.0.1", NET_CLASS_PUBLIC },
		{ "169.254.169.254", NET_CLASS_LINK_LOCAL },
		{ "224.0.0.1", NET_CLASS_MULTICAST },
		{ "255.255.255.255", NET_CLASS_RESERVED },
		{ "240.0.0.1", NET_CLASS_RESERVED },
		{ "192.0.0.8", NET_CLASS_RESERVED },
		{ "198.18.0.1", NET_CLASS_RESERVED },
		{ "2606:4700::1111", NET_CLASS_PUBLIC },
		{ "::", NET_CLASS_UNSPECIFIED },
		{ "::1", NET_CLASS_LOOPBACK },
		{ "::ffff:127.0.0.1", NET_CLASS_LOOPBACK },
		{ "::ffff:10.0.0.1", NET_CLASS_PRIVATE },
		{ "::ffff:8.8.8.8", NET_CLASS_PUBLIC },
		{ "::ffff:0:127.0.0.1", NET_CLASS_LOOPBACK },
		{ "::127.0.0.1", NET_CLASS_LOOPBACK },
		{ "::8.8.8.8", NET_CLASS_RESERVED },
		{ "64:ff9b::7f00:1", NET_CLASS_LOOPBACK },
		{ "64:ff9b::a9fe:a9fe", NET_CLASS_LINK_LOCAL },
		{ "64:ff9b::808:808", NET_CLASS_PUBLIC },
		{ "64:ff9b:1::1", NET_CLASS_PRIVATE },
		{ "2002:7f00:1::1", NET_CLASS_LOOPBACK },
		{ "2002:c0a8:101::1", NET_CLASS_PRIVATE },
		{ "2002:808:808::1", NET_CLASS_PUBLIC },
		{ "2001::1", NET_CLASS_RESERVED },
		{ "100::1", NET_CLASS_RESERVED },
		{ "fc00::1", NET_CLASS_UNIQUE_LOCAL },
		{ "fd12:3456::1", NET_CLASS_UNIQUE_LOCAL },
		{ "fe80::1", NET_CLASS_LINK_LOCAL },
		{ "febf::1", NET_CLASS_LINK_LOCAL },
		{ "fec0::1", NET_CLASS_PRIVATE },
		{ "ff02::1", NET_CLASS_MULTICAST },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct net_addr a = addr(cases[i].a);

		ok(netpolicy_classify(&a) == cases[i].c, "%s is %s", cases[i].a,
		   netpolicy_class_name(cases[i].c));
	}
}

/* ---- matching ---- */

static bool allows(const struct net_policy *p, const char *host, uint16_t port)
{
	struct net_host h;

	return netpolicy_host_parse(host, strlen(host), true, &h) == 0 &&
	       netpolicy_match(p, &h, port) != NULL;
}

static bool reaches(const struct net_policy *p, const char *a, uint16_t port)
{
	struct net_addr x = addr(a);

	return netpolicy_addr_allowed(p, &x, port);
}

static void test_matching(void)
{
	struct net_policy p;

	netpolicy_init(&p);
	if (netpolicy_parse("allow=allowed.com,api.example.org:8443,*.cdn.example,203.0.113.7,"
			    "127.0.0.1:5432,10.0.0.0/8:443,0.0.0.0/0:9000,[::1]:8080", &p, &err) < 0) {
		ok(0, "the matching policy parses: %s", err.buf);
		return;
	}
	ok(allows(&p, "allowed.com", 443), "a named host, port 443");
	ok(allows(&p, "ALLOWED.com", 443), "... in any case");
	ok(!allows(&p, "allowed.com", 80), "... not another port");
	ok(!allows(&p, "www.allowed.com", 443), "... not a subdomain of it");
	ok(!allows(&p, "allowed.com.evil.com", 443), "... not a name that starts with it");
	ok(!allows(&p, "evilallowed.com", 443), "... not a name that ends with it");
	ok(allows(&p, "api.example.org", 8443), "HOST:PORT");
	ok(!allows(&p, "api.example.org", 443), "... only that port");
	ok(allows(&p, "a.cdn.example", 443), "*.DOMAIN: a subdomain");
	ok(allows(&p, "a.b.cdn.example", 443), "*.DOMAIN: a deeper one");
	ok(!allows(&p, "cdn.example", 443), "*.DOMAIN: not DOMAIN itself");
	ok(!allows(&p, "xcdn.example", 443), "*.DOMAIN: not a name ending in DOMAIN's text");
	ok(allows(&p, "203.0.113.7", 443), "an address entry");
	ok(!allows(&p, "203.0.113.8", 443), "... not its neighbour");
	ok(allows(&p, "[::ffff:203.0.113.7]", 443), "... the same address IPv4-mapped");
	ok(allows(&p, "127.0.0.1", 5432), "an explicit loopback address and port");
	ok(allows(&p, "127.1", 5432), "... however written (127.1)");
	ok(allows(&p, "0x7f000001", 5432), "... (0x7f000001)");
	ok(!allows(&p, "127.0.0.1", 443), "... not another port");
	ok(!allows(&p, "localhost", 5432), "a name never matches an address entry");
	ok(allows(&p, "10.9.8.7", 443), "CIDR");
	ok(!allows(&p, "11.0.0.1", 443), "... not outside it");
	ok(allows(&p, "[::1]", 8080), "an IPv6 entry");
	ok(!allows(&p, "[::2]", 8080), "... not another address");

	ok(reaches(&p, "8.8.8.8", 443), "a public address is reachable");
	ok(!reaches(&p, "127.0.0.1", 443), "loopback is not, unless named");
	ok(reaches(&p, "127.0.0.1", 5432), "... named with its port");
	ok(reaches(&p, "::ffff:127.0.0.1", 5432), "... also IPv4-mapped");
	ok(!reaches(&p, "64:ff9b::7f00:1", 5432), "... but not its NAT64 form");
	ok(reaches(&p, "10.1.1.1", 443), "private inside a private CIDR entry");
	ok(!reaches(&p, "10.1.1.1", 8443), "... on its port only");
	ok(!reaches(&p, "192.168.1.1", 443), "another private address is not");
	ok(!reaches(&p, "127.0.0.1", 9000), "0.0.0.0/0 does not open loopback");
	ok(!reaches(&p, "169.254.169.254", 9000), "... nor link-local (cloud metadata)");
	ok(reaches(&p, "8.8.8.8", 9000), "... a public address it covers is reachable anyway");
	ok(!reaches(&p, "0.0.0.0", 9000), "unspecified never");
	ok(!reaches(&p, "::", 443), "unspecified IPv6 never");
	ok(!reaches(&p, "fd00::1", 443), "unique local is not");
	ok(!reaches(&p, "2002:7f00:1::1", 443), "6to4 of loopback is not");
	ok(reaches(&p, "::1", 8080), "IPv6 loopback named with its port");
	netpolicy_release(&p);
}

/* ---- the CONNECT header ---- */

static enum net_parse connect_n(const char *s, size_t len, struct net_request *r)
{
	return netpolicy_parse_connect(s, len, r);
}

static enum net_parse connect_s(const char *s, struct net_request *r)
{
	return connect_n(s, strlen(s), r);
}

static void test_connect(void)
{
	struct net_request r;
	static const char smuggle[] = "CONNECT evil.com\0.allowed.com:443 HTTP/1.1\r\n\r\n";
	char big[NET_HEADER_MAX + 64];

	ok(connect_s("CONNECT allowed.com:443 HTTP/1.1\r\nHost: allowed.com:443\r\n\r\nrest", &r) ==
	   NET_PARSE_OK && !strcmp(r.host.name, "allowed.com") && r.port == 443 && !r.host.is_addr,
	   "a CONNECT with a Host header");
	is_int((long long)r.header_len, 59, "... its length ends at the blank line");
	ok(connect_s("CONNECT Allowed.Com:8443 HTTP/1.0\r\n\r\n", &r) == NET_PARSE_OK &&
	   !strcmp(r.host.name, "allowed.com") && r.port == 8443, "HTTP/1.0, a name lowercased");
	ok(connect_s("CONNECT [::1]:443 HTTP/1.1\r\n\r\n", &r) == NET_PARSE_OK && r.host.is_addr &&
	   !strcmp(r.host.name, "::1"), "an IPv6 address");
	ok(connect_s("CONNECT [::ffff:127.0.0.1]:443 HTTP/1.1\r\n\r\n", &r) == NET_PARSE_OK &&
	   r.host.is_addr && !strcmp(r.host.name, "127.0.0.1"), "an IPv4-mapped one is its IPv4");
	ok(connect_s("CONNECT 0x7f000001:443 HTTP/1.1\r\n\r\n", &r) == NET_PARSE_OK &&
	   r.host.is_addr && !strcmp(r.host.name, "127.0.0.1") && !strcmp(r.shown, "0x7f000001:443"),
	   "0x7f000001 is 127.0.0.1, shown as asked");
	ok(connect_s("CONNECT 127.1:443 HTTP/1.1\r\n\r\n", &r) == NET_PARSE_OK && r.host.is_addr,
	   "127.1 is an address");
	ok(connect_s("CONNECT allowed.com:443 HTTP/1.1\r\n", &r) == NET_PARSE_MORE, "no blank line yet");
	ok(connect_s("CONN", &r) == NET_PARSE_MORE, "a start of CONNECT");
	ok(connect_s("", &r) == NET_PARSE_MORE, "nothing yet");
	ok(connect_s("GET http://allowed.com/ HTTP/1.1\r\n\r\n", &r) == NET_PARSE_BAD, "GET");
	ok(connect_s("GET", &r) == NET_PARSE_BAD, "GET, at its first bytes");
	ok(connect_s("connect allowed.com:443 HTTP/1.1\r\n\r\n", &r) == NET_PARSE_BAD,
	   "the method in lowercase");
	ok(connect_n(smuggle, sizeof(smuggle) - 1, &r) == NET_PARSE_BAD_HOST &&
	   !strcmp(r.shown, "evil.com\\x00.allowed.com:443"), "evil.com\\0.allowed.com: refused, "
	   "shown escaped");
	ok(connect_s("CONNECT evil.com .allowed.com:443 HTTP/1.1\r\n\r\n", &r) == NET_PARSE_BAD,
	   "a space in the host");
	ok(connect_s("CONNECT evil.com%00.allowed.com:443 HTTP/1.1\r\n\r\n", &r) == NET_PARSE_BAD_HOST,
	   "a %% in the host");
	ok(connect_s("CONNECT allowed.com HTTP/1.1\r\n\r\n", &r) == NET_PARSE_BAD, "no port");
	ok(connect_s("CONNECT allowed.com:0 HTTP/1.1\r\n\r\n", &r) == NET_PARSE_BAD, "port 0");
	ok(connect_s("CONNECT allowed.com:443x HTTP/1.1\r\n\r\n", &r) == NET_PARSE_BAD, "a bad port");
	ok(connect_s("CONNECT allowed.com:443 HTTP/2\r\n\r\n", &r) == NET_PARSE_BAD, "HTTP/2");
	ok(connect_s("CONNECT allowed.com:443  HTTP/1.1\r\n\r\n", &r) == NET_PARSE_BAD, "two spaces");
	ok(connect_s("CONNECT  allowed.com:443 HTTP/1.1\r\n\r\n", &r) == NET_PARSE_BAD,
	   "an empty authority");
	ok(connect_s("CONNECT ::1:443 HTTP/1.1\r\n\r\n", &r) == NET_PARSE_BAD_HOST,
	   "IPv6 without brackets");
	ok(connect_s("CONNECT [::1]443 HTTP/1.1\r\n\r\n", &r) == NET_PARSE_BAD, "[::1]443");
	ok(connect_s("CONNECT a.com:443 HTTP/1.1\r\nX: a\nb\r\n\r\n", &r) == NET_PARSE_BAD,
	   "a bare LF in a header line");
	ok(connect_s("CONNECT a.com:443 HTTP/1.1\r\nX: a\x01\r\n\r\n", &r) == NET_PARSE_BAD,
	   "a control byte in a header line");
	ok(connect_s("CONNECT a.com:443 HTTP/1.1\r\nX: \ta\r\n\r\n", &r) == NET_PARSE_OK,
	   "a tab in a header line");
	memset(big, 'x', sizeof(big));
	memcpy(big, "CONNECT a.com:443 HTTP/1.1\r\nX: ", 31);
	ok(connect_n(big, NET_HEADER_MAX - 1, &r) == NET_PARSE_MORE, "just under the limit: more");
	ok(connect_n(big, NET_HEADER_MAX, &r) == NET_PARSE_BAD, "the limit without an end: refused");
	memcpy(big + NET_HEADER_MAX - 2, "\r\n\r\n", 4);
	ok(connect_n(big, sizeof(big), &r) == NET_PARSE_BAD, "an end after the limit: refused");
	memcpy(big + NET_HEADER_MAX - 4, "\r\n\r\n", 4);
	ok(connect_n(big, sizeof(big), &r) == NET_PARSE_OK && r.header_len == NET_HEADER_MAX,
	   "an end right at the limit: taken");
}

/* ---- the ClientHello ---- */

/* A ClientHello record with the given extensions block (NULL: none). */
static size_t hello(uint8_t *out, const uint8_t *ext, size_t ext_len, bool with_ext)
{
	uint8_t body[4096];
	size_t n = 0, i;

	body[n++] = 3;
	body[n++] = 3;                  /* TLS 1.2 */
	for (i = 0; i < 32; i++)
		body[n++] = (uint8_t)i; /* random */
	body[n++] = 0;                  /* session id */
	body[n++] = 0;
	body[n++] = 2;
	body[n++] = 0x13;
	body[n++] = 0x01;               /* TLS_AES_128_GCM_SHA256 */
	body[n++] = 1;
	body[n++] = 0;                  /* null compression */
	if (with_ext) {
		body[n++] = (uint8_t)(ext_len >> 8);
		body[n++] = (uint8_t)ext_len;
		memcpy(body + n, ext, ext_len);
		n += ext_len;
	}
	out[0] = 22;
	out[1] = 3;
	out[2] = 1;
	out[3] = (uint8_t)((n + 4) >> 8);
	out[4] = (uint8_t)(n + 4);
	out[5] = 1;
	out[6] = 0;
	out[7] = (uint8_t)(n >> 8);
	out[8] = (uint8_t)n;
	memcpy(out + 9, body, n);
	return n + 9;
}

/* A server_name extension for name (len bytes), preceded by another one. */
static size_t sni_ext(uint8_t *out, const char *name, size_t len)
{
	size_t n = 0;

	out[n++] = 0;
	out[n++] = 10;                  /* supported_groups, first */
	out[n++] = 0;
	out[n++] = 4;
	out[n++] = 0;
	out[n++] = 2;
	out[n++] = 0;
	out[n++] = 29;
	out[n++] = 0;
	out[n++] = 0;                   /* server_name */
	out[n++] = (uint8_t)((len + 5) >> 8);
	out[n++] = (uint8_t)(len + 5);
	out[n++] = (uint8_t)((len + 3) >> 8);
	out[n++] = (uint8_t)(len + 3);
	out[n++] = 0;                   /* host_name */
	out[n++] = (uint8_t)(len >> 8);
	out[n++] = (uint8_t)len;
	memcpy(out + n, name, len);
	return n + len;
}

static void test_hello(void)
{
	uint8_t rec[8192], ext[4096];
	char sni[NET_HOST_MAX + 1];
	size_t n, e, k;
	enum net_hello r;

	e = sni_ext(ext, "Allowed.COM", 11);
	n = hello(rec, ext, e, true);
	ok(netpolicy_parse_hello(rec, n, sni) == NET_HELLO_OK && !strcmp(sni, "allowed.com"),
	   "a ClientHello's server name, lowercased");
	for (k = 0, r = NET_HELLO_MORE; k < n && r == NET_HELLO_MORE; k++)
		r = netpolicy_parse_hello(rec, k, sni);
	ok(k == n && r == NET_HELLO_MORE, "every shorter prefix asks for more");
	n = hello(rec, NULL, 0, false);
	ok(netpolicy_parse_hello(rec, n, sni) == NET_HELLO_OK && !sni[0], "no extensions: no name");
	n = hello(rec, ext, 8, true);
	ok(netpolicy_parse_hello(rec, n, sni) == NET_HELLO_OK && !sni[0],
	   "extensions without server_name: no name");
	e = sni_ext(ext, "evil.com\0.allowed.com", 21);
	n = hello(rec, ext, e, true);
	ok(netpolicy_parse_hello(rec, n, sni) == NET_HELLO_BAD, "a NUL in the server name: refused");
	e = sni_ext(ext, "127.0.0.1", 9);
	n = hello(rec, ext, e, true);
	ok(netpolicy_parse_hello(rec, n, sni) == NET_HELLO_BAD, "an address as server name: refused");
	e = sni_ext(ext, "a.com", 5);
	memcpy(ext + e, ext + 8, e - 8);	/* server_name twice */
	n = hello(rec, ext, e + e - 8, true);
	ok(netpolicy_parse_hello(rec, n, sni) == NET_HELLO_BAD, "server_name twice: refused");
	e = sni_ext(ext, "a.com", 5);
	n = hello(rec, ext, e, true);
	rec[9 + 38 + 1 + 4 + 2 + 1] = 0xff;	/* the extensions' length, wrong */
	ok(netpolicy_parse_hello(rec, n, sni) == NET_HELLO_BAD, "a length past the end: refused");
	ok(netpolicy_parse_hello((const uint8_t *)"G", 1, sni) == NET_HELLO_BAD,
	   "a non-TLS first byte: refused at once");
	ok(netpolicy_parse_hello((const uint8_t *)"\x16\x02", 2, sni) == NET_HELLO_BAD, "SSL 2: refused");
	ok(netpolicy_parse_hello((const uint8_t *)"\x16\x03\x01\x00\x00", 5, sni) == NET_HELLO_BAD,
	   "an empty record: refused");
	ok(netpolicy_parse_hello((const uint8_t *)"\x16\x03\x01\x40\x01", 5, sni) == NET_HELLO_BAD,
	   "a record over 2^14 bytes: refused");
	n = hello(rec, ext, e, true);
	rec[5] = 2;	/* ServerHello */
	ok(netpolicy_parse_hello(rec, n, sni) == NET_HELLO_BAD, "not a ClientHello: refused");
	n = hello(rec, ext, e, true);
	rec[8] = (uint8_t)(rec[8] + 1);	/* the hello longer than its record */
	ok(netpolicy_parse_hello(rec, n, sni) == NET_HELLO_BAD, "a hello split over records: refused");
}

/* ---- pip's index URLs ---- */

static void test_pip_urls(void)
{
	static const char *const args[] = { "download", "-i", "https://a.example/simple",
					    "--extra-index-url=https://b.example/", "-fhttps://c.example",
					    NULL };
	static const char *const none[] = { NULL };
	struct pip_config c;
	struct strvec urls = STRVEC_INIT;

	pip_config_init(&c);
	ok(!pip_index_urls(&c, none, &urls) && urls.nr == 0, "no configuration: no index");
	ok(pip_index_urls(&c, args, &urls) && urls.nr == 3 &&
	   !strcmp(urls.v[0], "https://a.example/simple") && !strcmp(urls.v[1], "https://b.example/") &&
	   !strcmp(urls.v[2], "https://c.example"), "pip's command line");
	strvec_clear(&urls);
	strvec_push(&c.env, "PIP_EXTRA_INDEX_URL=https://d.example/ https://e.example/");
	strvec_push(&c.env, "PIP_NO_INDEX=1");
	ok(!pip_index_urls(&c, none, &urls) && urls.nr == 2 && !strcmp(urls.v[1], "https://e.example/"),
	   "PIP_EXTRA_INDEX_URL, two words; no index set");
	strvec_clear(&urls);
	c.files = xcalloc(1, sizeof(*c.files));
	c.nr_files = 1;
	c.files[0].dest = xstrdup("/etc/pip.conf");
	strbuf_init(&c.files[0].content, 0);
	strbuf_addstr(&c.files[0].content, "[global]\n# index-url = https://no.example\n"
		      "Index_URL = https://f.example/simple\n[install]\nfind-links:\n"
		      "    https://g.example/\n    https://h.example/\ntimeout = 5\n"
		      "  https://not.example/\n");
	ok(pip_index_urls(&c, none, &urls) && urls.nr == 5 && !strcmp(urls.v[2], "https://f.example/simple") &&
	   !strcmp(urls.v[3], "https://g.example/") && !strcmp(urls.v[4], "https://h.example/"),
	   "pip.conf: index_url in any case, continuation lines, comments");
	strvec_clear(&urls);
	pip_config_release(&c);
}

/* ---- the event loop's timers ---- */

static int fired[8], order_n;

static int on_timer(struct evloop *l, struct evloop_timer *t, void *data, struct strbuf *e)
{
	(void)l;
	(void)t;
	(void)e;
	fired[order_n++] = (int)(long)data;
	return order_n == 3 ? 1 : 0;
}

static void test_timers(void)
{
	struct evloop l;
	struct evloop_timer t[4];
	uint64_t start;
	int i;

	if (evloop_init(&l, &err) < 0) {
		ok(0, "evloop_init: %s", err.buf);
		return;
	}
	for (i = 0; i < 4; i++)
		evloop_timer_init(&t[i], on_timer, (void *)(long)i);
	/* Before the first deadline is set: both count whole milliseconds, and
	 * one read later could fall a millisecond on. */
	start = evloop_now_ms();
	evloop_timer_arm(&l, &t[0], 60, &err);
	evloop_timer_arm(&l, &t[1], 20, &err);
	evloop_timer_arm(&l, &t[2], 40, &err);
	evloop_timer_arm(&l, &t[3], 10, &err);
	evloop_timer_stop(&l, &t[3]);
	evloop_timer_arm(&l, &t[2], 30, &err);	/* re-armed */
	ok(evloop_run(&l, &err) == 0, "the loop ends when a timer says so");
	ok(fired[0] == 1 && fired[1] == 2 && fired[2] == 0 && order_n == 3,
	   "timers fire in order of their deadlines; a stopped one never");
	ok(evloop_now_ms() - start >= 60, "... not before the last one is due");
	ok(t[3].pos == EVLOOP_TIMER_IDLE && l.nr_timers == 0, "none is left armed");
	evloop_release(&l);
}

int main(void)
{
	test_modes();
	test_entries();
	test_urls();
	test_hosts();
	test_classes();
	test_matching();
	test_connect();
	test_hello();
	test_pip_urls();
	test_timers();
	strbuf_release(&err);
	return done_testing();
}
