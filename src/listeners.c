/* listeners.c - the proxy's listeners, made inside the sandbox by the init
 * (proxy.h, init.h).
 *
 * Apart from the proxy itself, so that the init, a static program
 * (Makefile), links none of the launcher's name resolution.
 */
#include "proxy.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fsutil.h"
#include "netpolicy.h"
#include "util.h"

static int listen_on(int family, struct strbuf *err)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;
	cleanup_fd int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(NET_PROXY_PORT);
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(NET_PROXY_PORT);
		in6->sin6_addr = in6addr_loopback;
		len = sizeof(*in6);
	}
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, SOMAXCONN) < 0) {
		strbuf_addf(err, "cannot listen on %s:%d: %s", family == AF_INET ? "127.0.0.1" :
			    "[::1]", NET_PROXY_PORT, strerror(errno));
		return -1;
	}
	return steal_fd(&fd);
}

int proxy_hand_listeners(int sock, struct strbuf *err)
{
	cleanup_strbuf struct strbuf ignored = STRBUF_INIT;
	int fds[2], n = 0, e;

	fds[n] = listen_on(AF_INET, err);
	if (fds[n] < 0) {
		strbuf_addstr(err, "\nhint: with SANDBOX_SECCOMP_ALLOW, --network=allow= needs "
			      "socket, setsockopt, bind, listen and sendmsg");
		return -1;
	}
	n++;
	/* No IPv6 in this kernel or namespace: IPv4 alone. */
	fds[n] = listen_on(AF_INET6, &ignored);
	if (fds[n] >= 0)
		n++;
	e = fs_send_fds(sock, 'L', fds, (size_t)n) < 0 ? errno : 0;
	while (n > 0)
		close(fds[--n]);
	if (e) {
		strbuf_addf(err, "cannot hand the proxy's listeners to the launcher: %s", strerror(e));
		return -1;
	}
	return 0;
}
