/* test-links.c - the link check, the D-Bus codec, the desktop's parsers. */
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "dbus.h"
#include "desktop.h"
#include "links.h"
#include "tap.h"

/* ---- links_check_url ---- */

/* want: the link opened, or NULL when it must be refused for reason. */
static void check(const char *url, size_t len, const char *want, const char *reason,
		  const char *what)
{
	struct strbuf out = STRBUF_INIT, why = STRBUF_INIT;
	int r = links_check_url(url, len, &out, &why);
	bool good = want ? r == 0 && !strcmp(out.buf, want) : r < 0 && strstr(why.buf, reason);

	if (!ok(good, "%s", what))
		printf("#   got %d '%s' (%s), want '%s'\n", r, out.buf, why.buf, want ? want : reason);
	strbuf_release(&out);
	strbuf_release(&why);
}

static void check_ok(const char *url, const char *want, const char *what)
{
	check(url, strlen(url), want, NULL, what);
}

static void check_refused(const char *url, size_t len, const char *reason, const char *what)
{
	check(url, len, NULL, reason, what);
}

static void test_check_url(void)
{
	char *big = malloc(LINKS_MAX_URL + 2);
	size_t n;

	check_ok("https://example.org/a?b=1&c=%20#frag", "https://example.org/a?b=1&c=%20#frag",
		 "https with a query, an escape and a fragment");
	check_ok("HTTP://Example.org/", "http://Example.org/", "the scheme in any case, kept lowercase");
	check_ok("http://user:pw@[::1]:8080/x", "http://user:pw@[::1]:8080/x", "credentials, IPv6, port");
	check_ok("mailto:a@example.org", "mailto:a@example.org", "mailto");
	check_ok("mailto:a@example.org?Subject=x&body=y&cc=b@example.org",
		 "mailto:a@example.org?Subject=x&body=y&cc=b@example.org", "mailto with its mail fields");
	check_ok("https://example.org/K\xc3\xb6ln", "https://example.org/K%C3%B6ln",
		 "non-ASCII bytes %-encoded");
	check_ok("https://e.org/\"<x>{|}\\^`", "https://e.org/%22%3Cx%3E%7B%7C%7D%5C%5E%60",
		 "characters outside RFC 3986 %-encoded");
	check_refused("file:///etc/passwd", 18, "only http, https and mailto", "file:");
	check_refused("javascript:alert(1)", 19, "only http, https and mailto", "javascript:");
	check_refused("data:text/html,x", 16, "only http, https and mailto", "data:");
	check_refused("ftp://example.org", 17, "only http, https and mailto", "ftp:");
	check_refused("/etc/passwd", 11, "only http, https and mailto", "a path");
	check_refused("https", 5, "only http, https and mailto", "no colon");
	check_refused("http:/etc/passwd", 16, "no host", "http: with a path, not a host");
	check_refused("http:///etc/passwd", 18, "no host", "http:/// (an empty host)");
	check_refused("https://", 8, "no host", "https:// alone");
	check_refused("mailto:", 7, "without an address", "mailto: alone");
	check_refused("mailto:a@b.org?attach=/etc/passwd", 33, "mailto field 'attach'", "mailto attach=");
	check_refused("mailto:a@b.org?subject=x&Attachment=/x", 38, "mailto field 'Attachment'",
		      "mailto Attachment= after a field");
	check_refused("mailto:a@b.org?%61ttach=/x", 26, "mailto field '%61ttach'", "mailto %-escaped field");
	check_refused("https://e.org/\x1b[2J", 18, "control characters", "an escape sequence");
	check_refused("https://e.org/\x7f", 15, "control characters", "DEL");
	check_refused("https://e.org/a\nb", 17, "control characters", "a newline");
	check_refused("https://e.org/a b", 17, "spaces", "a space");
	check_refused("", 0, "empty", "an empty link");
	memcpy(big, "https://e.org/", 14);
	for (n = 14; n < LINKS_MAX_URL + 1; n++)
		big[n] = 'a';
	big[n] = '\0';
	check_refused(big, n, "longer than 4096", "4097 bytes");
	big[LINKS_MAX_URL] = '\0';
	check_ok(big, big, "4096 bytes");
	free(big);
	ok(links_is_client("/run/sandbox-venv/bin/xdg-open") && links_is_client("xdg-open") &&
	   links_is_client("x-www-browser") && links_is_client("sensible-browser") &&
	   !links_is_client("sandbox-venv") && !links_is_client("/usr/bin/xdg-open-x"),
	   "the helper's names, by the last component of argv[0]");
}

/* ---- the D-Bus codec ---- */

static struct strbuf unhex(const char *hex)
{
	struct strbuf b = STRBUF_INIT;
	size_t i;

	for (i = 0; hex[i] && hex[i + 1]; i += 2) {
		char byte[3] = { hex[i], hex[i + 1], 0 };

		strbuf_addch(&b, (char)strtol(byte, NULL, 16));
	}
	return b;
}

static void test_dbus(void)
{
	/* Made by GLib's GDBusMessage: an error reply (little-endian), a
	 * method return (little- and big-endian). */
	struct strbuf err_le = unhex(
		"6c03010120000000070000004800000004017300290000006f72672e667265656465736b746f702e"
		"444275732e4572726f722e53657276696365556e6b6e6f776e000000000000000801670001730000"
		"05017500020000001b000000546865206e616d65206973206e6f74206163746976617461626c6500");
	struct strbuf ret_le = unhex(
		"6c02010132000000080000001000000008016700016f000005017500020000002d0000002f6f7267"
		"2f667265656465736b746f702f706f7274616c2f6465736b746f702f726571756573742f315f312f"
		"7400");
	struct strbuf ret_be = unhex(
		"4202010100000032000000080000001008016700016f000005017500000000020000002d2f6f7267"
		"2f667265656465736b746f702f706f7274616c2f6465736b746f702f726571756573742f315f312f"
		"7400");
	struct strbuf body = STRBUF_INIT, msg = STRBUF_INIT, err = STRBUF_INIT;
	struct dbus_header h;
	struct sockaddr_un sa;
	socklen_t len;
	size_t size = 0;
	int r;

	r = dbus_parse_message((unsigned char *)err_le.buf, err_le.len, &h, &size, &err);
	ok(r == 1 && size == err_le.len && h.type == DBUS_ERROR && h.serial == 7 &&
	   h.reply_serial == 2 && !strcmp(h.error_name, "org.freedesktop.DBus.Error.ServiceUnknown"),
	   "an error reply: its type, serials and error name");
	r = dbus_parse_message((unsigned char *)ret_le.buf, ret_le.len, &h, &size, &err);
	ok(r == 1 && size == ret_le.len && h.type == DBUS_METHOD_RETURN && h.reply_serial == 2 &&
	   !h.error_name[0], "a method return, little-endian");
	r = dbus_parse_message((unsigned char *)ret_be.buf, ret_be.len, &h, &size, &err);
	ok(r == 1 && size == ret_be.len && h.type == DBUS_METHOD_RETURN && h.reply_serial == 2 &&
	   h.serial == 8, "a method return, big-endian");
	ok(dbus_parse_message((unsigned char *)ret_le.buf, ret_le.len - 1, &h, &size, &err) == 0 &&
	   dbus_parse_message((unsigned char *)ret_le.buf, 10, &h, &size, &err) == 0,
	   "part of a message: wait for more");
	ret_le.buf[12] = (char)0xff;	/* the fields' length: huge */
	ret_le.buf[15] = (char)0x7f;
	ok(dbus_parse_message((unsigned char *)ret_le.buf, ret_le.len, &h, &size, &err) < 0,
	   "a header larger than we take is refused");
	err_le.buf[0] = 'x';
	ok(dbus_parse_message((unsigned char *)err_le.buf, err_le.len, &h, &size, &err) < 0,
	   "an unknown byte order is refused");
	err_le.buf[0] = 'l';
	err_le.buf[0x4c] = 0x40;	/* the error name's length past the header */
	ok(dbus_parse_message((unsigned char *)err_le.buf, err_le.len, &h, &size, &err) < 0,
	   "a field running past the header is refused");

	dbus_put_string(&body, "");
	dbus_put_string(&body, "https://example.org/");
	dbus_put_empty_dict(&body);
	ok(body.len == 40 && body.buf[0] == 0 && body.buf[8] == 20,
	   "the body ssa{sv}: two strings, an empty array padded to 8");
	dbus_method_call(&msg, 2, "org.freedesktop.portal.Desktop", "/org/freedesktop/portal/desktop",
			 "org.freedesktop.portal.OpenURI", "OpenURI", "ssa{sv}", &body);
	r = dbus_parse_message((unsigned char *)msg.buf, msg.len, &h, &size, &err);
	ok(r == 1 && size == msg.len && h.type == DBUS_METHOD_CALL && h.serial == 2 &&
	   msg.len % 8 == 0 && !memcmp(msg.buf + msg.len - 40, body.buf, 40),
	   "a method call we write parses back, its body last");

	ok(dbus_address_parse("unix:path=/run/user/1000/bus", &sa, &len, &err) == 0 &&
	   !strcmp(sa.sun_path, "/run/user/1000/bus"), "unix:path=");
	ok(dbus_address_parse("unix:abstract=/tmp/dbus-Ab%2c,guid=123", &sa, &len, &err) == 0 &&
	   sa.sun_path[0] == 0 && !strcmp(sa.sun_path + 1, "/tmp/dbus-Ab,") &&
	   len == offsetof(struct sockaddr_un, sun_path) + 14, "unix:abstract= with an escape and a guid");
	ok(dbus_address_parse("tcp:host=x,port=1;unix:guid=1,path=/b", &sa, &len, &err) == 0 &&
	   !strcmp(sa.sun_path, "/b"), "the first unix entry of several");
	strbuf_reset(&err);
	ok(dbus_address_parse("tcp:host=x,port=1", &sa, &len, &err) < 0 && err.len,
	   "no unix entry: refused");
	ok(dbus_address_parse("unix:path=/a%zz", &sa, &len, &err) < 0 &&
	   dbus_address_parse("unix:path=/a%2", &sa, &len, &err) < 0 &&
	   dbus_address_parse("unix:path=", &sa, &len, &err) < 0, "broken escapes, an empty path");
	strbuf_release(&err_le);
	strbuf_release(&ret_le);
	strbuf_release(&ret_be);
	strbuf_release(&body);
	strbuf_release(&msg);
	strbuf_release(&err);
}

/* ---- the desktop's parsers ---- */

static void xauth_entry(struct strbuf *b, unsigned family, const char *addr, const char *num,
			const char *name, const char *data)
{
	const char *f[] = { addr, num, name, data };
	size_t i;

	strbuf_addch(b, (char)(family >> 8));
	strbuf_addch(b, (char)family);
	for (i = 0; i < 4; i++) {
		strbuf_addch(b, (char)(strlen(f[i]) >> 8));
		strbuf_addch(b, (char)strlen(f[i]));
		strbuf_addstr(b, f[i]);
	}
}

static void test_desktop(void)
{
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT, want = STRBUF_INIT;
	const char *net =
		"Num       RefCount Protocol Flags    Type St Inode Path\n"
		"0000: 00000002 00000000 00010000 0001 01 11 @/tmp/.X11-unix/X99\n"
		"0000: 00000002 00000000 00010000 0001 01 12 /tmp/.X11-unix/X0\n"
		"0000: 00000002 00000000 00010000 0001 01 13 @/tmp/.X11-unix/X1000\n";

	is_int(desktop_x11_display(":0"), 0, "DISPLAY :0");
	is_int(desktop_x11_display(":12.0"), 12, "DISPLAY :12.0");
	is_int(desktop_x11_display("unix:3"), 3, "DISPLAY unix:3");
	ok(desktop_x11_display("localhost:10.0") < 0 && desktop_x11_display("host:0") < 0 &&
	   desktop_x11_display(":") < 0 && desktop_x11_display(":0.") < 0 &&
	   desktop_x11_display(":1x") < 0 && desktop_x11_display(":123456") < 0 &&
	   desktop_x11_display("/tmp/.X11-unix/X0") < 0, "remote or malformed displays are not local ones");
	ok(desktop_x11_abstract(net, 99) && !desktop_x11_abstract(net, 0) &&
	   !desktop_x11_abstract(net, 100) && !desktop_x11_abstract(net, 9) &&
	   desktop_x11_abstract(net, 1000), "abstract X sockets in /proc/net/unix, by number");

	xauth_entry(&in, 256, "myhost", "7", "MIT-MAGIC-COOKIE-1", "seven");
	xauth_entry(&in, 256, "myhost", "0", "MIT-MAGIC-COOKIE-1", "zero");
	xauth_entry(&in, 256, "otherhost", "0", "MIT-MAGIC-COOKIE-1", "other");
	xauth_entry(&in, 0, "\x7f\0\0\1", "0", "MIT-MAGIC-COOKIE-1", "tcp");
	xauth_entry(&in, 65535, "", "0", "XDM-AUTHORIZATION-1", "wild");
	xauth_entry(&want, 65535, "", "99", "MIT-MAGIC-COOKIE-1", "zero");
	xauth_entry(&want, 65535, "", "99", "XDM-AUTHORIZATION-1", "wild");
	is_int(desktop_xauth_filter((unsigned char *)in.buf, in.len, "myhost", 0, 99, &out), 2,
	       "Xauthority: this host's and the wildcard entries for display 0");
	ok(out.len == want.len && !memcmp(out.buf, want.buf, out.len),
	   "... rewritten for display 99, for any host; :7, other hosts and TCP left out");
	strbuf_reset(&out);
	is_int(desktop_xauth_filter((unsigned char *)in.buf, in.len - 3, "myhost", 0, 99, &out), -1,
	       "a cut Xauthority file is malformed");
	strbuf_reset(&out);
	is_int(desktop_xauth_filter((unsigned char *)in.buf, in.len, "nohost", 5, 99, &out), 0,
	       "no entry for the display: none");
	strbuf_release(&in);
	strbuf_release(&out);
	strbuf_release(&want);
}

static void test_host_paths(void)
{
	struct perms none, x11, dri, pulse;
	struct strvec a = STRVEC_INIT, b = STRVEC_INIT, c = STRVEC_INIT, d = STRVEC_INIT;
	size_t i;
	bool tcl = false, dri_dir = false, fonts_in_dri = false, pulse_conf = false, code_only = true;

	perms_init(&none);
	perms_init(&x11);
	perms_init(&dri);
	perms_init(&pulse);
	x11.sockets = PERM_SOCKET_X11;
	dri.devices = PERM_DEVICE_DRI;
	pulse.sockets = PERM_SOCKET_PULSEAUDIO;
	desktop_host_paths(&none, &a, NULL, false);
	desktop_host_paths(&x11, &b, NULL, false);
	desktop_host_paths(&dri, &c, NULL, false);
	desktop_host_paths(&pulse, &d, NULL, false);
	for (i = 0; i < b.nr; i++) {
		tcl |= !strcmp(b.v[i], "/usr/share/tcltk");
		dri_dir |= str_has_suffix(b.v[i], "/dri");
	}
	for (i = 0; i < c.nr; i++)
		fonts_in_dri |= !strcmp(c.v[i], "/usr/share/fonts");
	for (i = 0; i < d.nr; i++)
		pulse_conf |= !strcmp(d.v[i], "/etc/pulse");
	ok(a.nr == 0, "no permission: no toolkit data");
	ok(tcl && dri_dir, "--socket=x11: Tcl/Tk's library and the GL drivers");
	ok(c.nr && !fonts_in_dri, "--device=dri: GL, but no fonts");
	ok(pulse_conf, "--socket=pulseaudio: PulseAudio's configuration");
	strvec_clear(&a);
	desktop_host_paths(&x11, &a, NULL, true);
	for (i = 0; i < a.nr; i++)
		code_only &= strcmp(a.v[i], "/usr/share/fonts") != 0;
	ok(a.nr && a.nr < b.nr && code_only, "code only: the libraries, not the data");
	strvec_clear(&a);
	strvec_clear(&b);
	strvec_clear(&c);
	strvec_clear(&d);
}

int main(void)
{
	test_check_url();
	test_dbus();
	test_desktop();
	test_host_paths();
	return done_testing();
}
