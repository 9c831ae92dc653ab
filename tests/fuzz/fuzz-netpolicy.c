/* fuzz-netpolicy.c - libFuzzer target for what the network proxy reads
 * from a sandbox: the CONNECT header, the TLS ClientHello, a host name,
 * and the --network modes (netpolicy.h). Every input goes to all four.
 *
 * What MUST hold for any input:
 *  1. netpolicy_parse_connect() returns one of its four results; on OK the
 *     header ends with a blank line within the first NET_HEADER_MAX bytes
 *     and within the input, the port is not 0, and the host is canonical
 *     (checked again, it reads the same) and holds only lowercase letters,
 *     digits, '-', '.' and, for an address, ':'. `shown` is printable.
 *  2. netpolicy_parse_hello() on OK gives no server name or a canonical
 *     one that is not an address.
 *  3. netpolicy_host_parse() on success gives a canonical host, and the
 *     same host again from its own name.
 *  4. netpolicy_parse() of the input as a mode either fails with an error
 *     or gives entries whose written form parses back to the same entries.
 * Any violation aborts, so libFuzzer records the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netpolicy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: invariant broken: %s\n",    \
				__FILE__, __LINE__, #cond);                 \
			abort();                                            \
		}                                                           \
	} while (0)

static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e)
			return false;
	return true;
}

/* Rule 3, and the characters a canonical host may hold. */
static void check_host(const struct net_host *h)
{
	struct net_host again;
	size_t n = strlen(h->name);
	char buf[NET_HOST_MAX + 3];

	CHECK(n > 0 && n <= NET_HOST_MAX);
	CHECK(strspn(h->name, "abcdefghijklmnopqrstuvwxyz0123456789-.:") == n);
	CHECK(h->is_addr || !strchr(h->name, ':'));
	if (h->is_addr && strchr(h->name, ':'))
		snprintf(buf, sizeof(buf), "[%s]", h->name);
	else
		snprintf(buf, sizeof(buf), "%s", h->name);
	CHECK(netpolicy_host_parse(buf, strlen(buf), true, &again) == 0);
	CHECK(again.is_addr == h->is_addr && !strcmp(again.name, h->name));
	if (h->is_addr)
		CHECK(!memcmp(&again.addr, &h->addr, sizeof(h->addr)));
}

static void check_connect(const uint8_t *data, size_t size)
{
	struct net_request r;
	enum net_parse p = netpolicy_parse_connect((const char *)data, size, &r);

	CHECK(p == NET_PARSE_MORE || p == NET_PARSE_OK || p == NET_PARSE_BAD ||
	      p == NET_PARSE_BAD_HOST);
	CHECK(memchr(r.shown, '\0', sizeof(r.shown)) && printable(r.shown));
	if (p == NET_PARSE_MORE)
		CHECK(size < NET_HEADER_MAX);
	if (p != NET_PARSE_OK)
		return;
	CHECK(r.header_len >= 4 && r.header_len <= size && r.header_len <= NET_HEADER_MAX);
	CHECK(!memcmp(data + r.header_len - 4, "\r\n\r\n", 4));
	CHECK(!memcmp(data, "CONNECT ", 8));
	CHECK(r.port != 0);
	check_host(&r.host);
}

static void check_hello(const uint8_t *data, size_t size)
{
	char sni[NET_HOST_MAX + 1];
	struct net_host h;
	enum net_hello r = netpolicy_parse_hello(data, size, sni);

	CHECK(r == NET_HELLO_MORE || r == NET_HELLO_OK || r == NET_HELLO_BAD);
	if (r != NET_HELLO_OK || !sni[0])
		return;
	CHECK(netpolicy_host_parse(sni, strlen(sni), false, &h) == 0 && !h.is_addr &&
	      !strcmp(h.name, sni));
}

static void check_mode(const uint8_t *data, size_t size)
{
	struct net_policy p, back;
	struct strbuf err = STRBUF_INIT, text = STRBUF_INIT, again = STRBUF_INIT;
	char *mode = xstrndup((const char *)data, size);
	size_t i;

	netpolicy_init(&p);
	netpolicy_init(&back);
	if (netpolicy_parse(mode, &p, &err) < 0) {
		CHECK(err.len > 0 && p.mode == NET_MODE_HOST && p.nr == 0);
		goto out;
	}
	CHECK(err.len == 0);
	if (p.mode != NET_MODE_ALLOW) {
		CHECK(p.nr == 0);
		goto out;
	}
	CHECK(p.nr > 0 && p.nr <= NET_MAX_ENTRIES);
	strbuf_addstr(&text, "allow=");
	for (i = 0; i < p.nr; i++) {
		if (i)
			strbuf_addch(&text, ',');
		netpolicy_format_entry(&p.entries[i], &text);
	}
	if (netpolicy_parse(text.buf, &back, &err) < 0) {
		fprintf(stderr, "written back as '%s': %s\n", text.buf, err.buf);
		CHECK(!"accepted entries parse back");
	}
	CHECK(back.nr == p.nr);
	strbuf_addstr(&again, "allow=");
	for (i = 0; i < back.nr; i++) {
		if (i)
			strbuf_addch(&again, ',');
		netpolicy_format_entry(&back.entries[i], &again);
	}
	CHECK(!strcmp(text.buf, again.buf));
out:
	netpolicy_release(&p);
	netpolicy_release(&back);
	strbuf_release(&err);
	strbuf_release(&text);
	strbuf_release(&again);
	free(mode);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_host h;

	check_connect(data, size);
	check_hello(data, size);
	if (netpolicy_host_parse((const char *)data, size, true, &h) == 0)
		check_host(&h);
	if (size <= NET_MODE_MAX)
		check_mode(data, size);
	return 0;
}
