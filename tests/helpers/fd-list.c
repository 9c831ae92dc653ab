/* fd-list - print the open descriptors of a process, one per line.
 *
 *   fd-list          this process: "FD TARGET" for every open descriptor
 *                    except the one used to list them
 *   fd-list DIR      the descriptors listed in DIR (/proc/1/fd, say)
 *
 * TARGET is readlink of DIR/FD ("?" when it cannot be read). Exits 0, or
 * 1 when DIR cannot be listed. Standalone on purpose: it links nothing of
 * sandbox-venv and opens nothing but the directory it lists, so what it
 * prints inside a sandbox is what the program started with.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/proc/self/fd";
	int self = argc <= 1;
	DIR *d = opendir(dir);
	struct dirent *e;
	int own;

	if (!d) {
		fprintf(stderr, "fd-list: cannot list %s: %s\n", dir, strerror(errno));
		return 1;
	}
	own = dirfd(d);
	while ((e = readdir(d))) {
		char path[PATH_MAX], target[PATH_MAX];
		char *end;
		long fd;
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		errno = 0;
		fd = strtol(e->d_name, &end, 10);
		if (errno || *end || fd < 0)
			continue;
		if (self && fd == own)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			strcpy(target, "?");
		else
			target[n] = '\0';
		printf("%ld %s\n", fd, target);
	}
	closedir(d);
	return fflush(stdout) == 0 ? 0 : 1;
}
