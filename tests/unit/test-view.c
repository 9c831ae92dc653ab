/* test-view.c - the directories of links that the host keeps (view.h). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "view.h"
#include "tap.h"

static const struct seal_key key = { "0123456789abcdef" };
static const char passwd[] = "u:x:1000:1000::/p/.venv/home:/bin/bash\n";

static const struct plan_view_entry etc[] = {
	{ PLAN_VIEW_LINK, "hosts", "/run/sandbox-venv/host/etc/hosts", 32 },
	{ PLAN_VIEW_MOUNT_DIR, "mnt", NULL, 0 },
	{ PLAN_VIEW_MOUNT_FILE, "mounted", NULL, 0 },
	{ PLAN_VIEW_FILE, "passwd", passwd, sizeof(passwd) - 1 },
};

/* How many views the state directory at dir holds. */
static int count_views(const char *dir)
{
	char cmd[600];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls %s/views | wc -l", dir);
	p = popen(cmd, "r");
	if (p && fscanf(p, "%d", &n) != 1)
		n = -1;
	if (p)
		pclose(p);
	return n;
}

/* Run script in sh on the views of the state directory dir, made
 * writable first; $V names the views directory. */
static bool on_views(const char *dir, const char *script)
{
	char cmd[1400];

	snprintf(cmd, sizeof(cmd), "V='%s/views'; chmod -R u+w \"$V\" && { %s; }", dir, script);
	return system(cmd) == 0;
}

/* Some view of the state at dir holds the mark on_views put there. */
static bool marked(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "ls %s/views/*/root/mark >/dev/null 2>&1", dir);
	return system(cmd) == 0;
}

/* The view at fd holds what etc[] says. */
static bool holds_etc(int fd)
{
	cleanup_strbuf struct strbuf text = STRBUF_INIT;
	cleanup_strbuf struct strbuf err = STRBUF_INIT;
	cleanup_fd int dir = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char link[128];
	struct stat st;
	ssize_t n;

	if (dir < 0)
		return false;
	n = readlinkat(dir, "hosts", link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	return !strcmp(link, etc[0].data) &&
	       fstatat(dir, "mnt", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
	       fstatat(dir, "mounted", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
	       st.st_size == 0 &&
	       fs_read_file_at(dir, "passwd", 4096, &text, &err) == 0 && !strcmp(text.buf, passwd);
}

int main(void)
{
	char tmpl[] = "/tmp/test-view.XXXXXX";
	char *dir = mkdtemp(tmpl);
	int state, fd, again, other;
	char path[512];

	if (!dir) {
		perror("mkdtemp");
		return 1;
	}
	state = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	fd = view_open(state, &key, etc, 4);
	ok(fd >= 0 && holds_etc(fd), "a view is made with every kind of entry");
	again = view_open(state, &key, etc, 4);
	ok(again >= 0 && holds_etc(again) && count_views(dir) == 1,
	   "the same entries again: the same view, nothing new made");
	close(again);

	/* A crash left passwd empty: the view is made again. */
	ok(on_views(dir, "for f in \"$V\"/*/root/passwd; do : > \"$f\"; done"),
	   "(a view's file cut short)");
	again = view_open(state, &key, etc, 4);
	ok(again >= 0 && holds_etc(again) && count_views(dir) == 1,
	   "a view whose file is cut short is made again, not used");
	close(again);

	/* A view whose manifest is not sealed with this key is not used: a
	 * sandbox could have made it, or changed it, while the venv was not
	 * wrapped (seal.h). It is made again (the mark put in it goes). */
	{
		static const struct seal_key other_key = { "fedcba9876543210" };

		ok(on_views(dir, "for d in \"$V\"/*/root; do touch \"$d/mark\"; done"), "(a mark in the view)");
		again = view_open(state, &other_key, etc, 4);
		ok(again >= 0 && holds_etc(again) && count_views(dir) == 1 && !marked(dir),
		   "a view sealed with another key is not used: made again under this one");
		close(again);
		ok(on_views(dir, "for f in \"$V\"/*/manifest; do head -c -38 \"$f\" >\"$f.x\" && "
			    "mv \"$f.x\" \"$f\"; done; for d in \"$V\"/*/root; do touch \"$d/mark\"; done"),
		   "(the manifest's seal taken off, a mark in the view)");
		again = view_open(state, &other_key, etc, 4);
		ok(again >= 0 && holds_etc(again) && count_views(dir) == 1 && !marked(dir),
		   "a view whose manifest has no seal is not used: made again");
		close(again);
		ok(on_views(dir, "for d in \"$V\"/*/root; do touch \"$d/mark\"; done"), "(a mark in the view)");
		again = view_open(state, &other_key, etc, 4);
		ok(again >= 0 && marked(dir), "(a view under its own seal is used as it is: "
		   "the test can fail)");
		close(again);
		ok(view_open(state, NULL, etc, 4) < 0, "no key: no view");
	}

	/* Another list (passwd of another user): another view. The first,
	 * unused for years, goes when the new one is made. */
	{
		char cmd[1200];

		snprintf(cmd, sizeof(cmd), "touch -d 2001-01-01 %s/views/*", dir);
		ok(system(cmd) == 0, "(the first view last used long ago)");
	}
	{
		struct plan_view_entry two[4];

		memcpy(two, etc, sizeof(two));
		two[3].data = "v:x:1001:1001::/p/.venv/home:/bin/bash\n";
		two[3].len = strlen(two[3].data);
		other = view_open(state, &key, two, 4);
		ok(other >= 0 && count_views(dir) == 1,
		   "another list makes another view, and one unused for %d days goes",
		   VIEW_KEEP_DAYS);
		close(other);
		/* Used now: the new one stays when a third is made. */
		other = view_open(state, &key, etc, 4);
		ok(other >= 0 && holds_etc(other) && count_views(dir) == 2,
		   "a view used within %d days stays when another is made", VIEW_KEEP_DAYS);
		close(other);
	}

	/* A state directory that cannot be written: no view, no error. */
	if (geteuid() != 0) {
		int ro;

		snprintf(path, sizeof(path), "%s/ro", dir);
		mkdir(path, 0555);
		ro = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ok(view_open(ro, &key, etc, 4) < 0, "a state directory that cannot be written: no view");
		close(ro);
	} else {
		skip("root writes any directory");
	}
	close(fd);
	close(state);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "chmod -R u+w %s; rm -rf %s", dir, dir);
		if (system(cmd) != 0)
			printf("# cannot remove %s\n", dir);
	}
	return done_testing();
}
