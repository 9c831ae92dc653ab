/* test-lookups.c - the host's paths a plan looked up, kept (lookups.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lookups.h"
#include "strbuf.h"
#include "tap.h"

static char dir[64];

static char *at(const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static bool sh(const char *script)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "cd '%s' && { %s; }", dir, script);
	return system(cmd) == 0;
}

/* What a launch keeps after looking up names (NULL-ended) in dir: a
 * fresh lookups, its clock set ahead so that nothing is too recent. */
static bool kept(const char *const *names, struct strbuf *out)
{
	struct lookups l;
	const char *target;
	mode_t type;
	bool r;

	lookups_init(&l, true);
	l.began.tv_sec += 60;
	for (; *names; names++)
		lookups_lstat(&l, at(*names), &type, &target);
	r = lookups_format(&l, out) == 0;
	lookups_release(&l);
	return r;
}

/* Does a launch take what was kept, now? */
static bool taken(const struct strbuf *text, struct strbuf *why)
{
	struct lookups l;
	bool r;

	lookups_init(&l, true);
	strbuf_reset(why);
	r = lookups_load(&l, text->buf, text->len, why) == 0;
	lookups_release(&l);
	return r;
}

static const char *const names[] = { "lib/libfoo.so.1", "lib/libfoo.so.1.2", "lib/absent",
				     "lib", "etc/conf", NULL };

static void setup(void)
{
	if (!sh("rm -rf lib etc && mkdir lib etc && touch lib/libfoo.so.1.2 etc/conf && "
		"ln -s libfoo.so.1.2 lib/libfoo.so.1"))
		printf("# setup failed\n");
}

static void test_answers(void)
{
	struct strbuf text = STRBUF_INIT, why = STRBUF_INIT;
	struct lookups l;
	const char *target = NULL;
	mode_t type = 0;

	setup();
	lookups_init(&l, false);
	ok(lookups_lstat(&l, at("lib/libfoo.so.1"), &type, &target) == 0 && type == S_IFLNK &&
	   target && !strcmp(target, "libfoo.so.1.2"), "a link: its type and where it points");
	ok(lookups_lstat(&l, at("lib/libfoo.so.1.2"), &type, &target) == 0 && type == S_IFREG &&
	   !target, "a file");
	ok(lookups_lstat(&l, at("lib"), &type, &target) == 0 && type == S_IFDIR, "a directory");
	ok(lookups_lstat(&l, at("lib/absent"), &type, &target) < 0 && type == 0, "absent");
	ok(l.nr_dirs == 0 && lookups_format(&l, &text) < 0,
	   "not to be kept: no directory stamped, nothing kept");
	lookups_release(&l);

	/* Kept, then taken by the next launch: the same answers, no host. */
	ok(kept(names, &text), "kept");
	lookups_init(&l, true);
	ok(lookups_load(&l, text.buf, text.len, &why) == 0, "taken while nothing changed");
	ok(lookups_lstat(&l, at("lib/libfoo.so.1"), &type, &target) == 0 && type == S_IFLNK &&
	   !strcmp(target, "libfoo.so.1.2") &&
	   lookups_lstat(&l, at("lib/absent"), &type, &target) < 0 && !l.changed,
	   "... with the same answers, absent ones too, none looked up again");
	ok(lookups_lstat(&l, at("etc"), &type, &target) == 0 && l.changed,
	   "a path not kept is looked up, and the lookups changed");
	lookups_release(&l);
	strbuf_release(&text);
	strbuf_release(&why);
}

/* Each change of an entry in a kept directory, however its times are set
 * back afterwards, makes the next launch look up again. */
static void test_changes(void)
{
	static const struct {
		const char *what, *script;
	} changes[] = {
		{ "a link pointed elsewhere (rm, ln)",
		  "rm lib/libfoo.so.1 && ln -s /etc/shadow lib/libfoo.so.1" },
		{ "a link pointed elsewhere, the directory's mtime set back",
		  "touch -r lib /tmp/sv-lookups-ref && rm lib/libfoo.so.1 && "
		  "ln -s /etc/shadow lib/libfoo.so.1 && touch -m -r /tmp/sv-lookups-ref lib" },
		{ "a file renamed over the link", "touch lib/x && mv lib/x lib/libfoo.so.1" },
		{ "an absent name made", "touch lib/absent" },
		{ "a directory replaced by a link", "mv lib lib.old && ln -s /etc lib" },
		{ "a directory on the way made a link, its parent's mtime set back",
		  "touch -r . /tmp/sv-lookups-ref && mv etc /tmp/sv-lookups-etc && ln -s /root etc && "
		  "touch -m -r /tmp/sv-lookups-ref ." },
	};
	struct strbuf text = STRBUF_INIT, why = STRBUF_INIT;
	size_t i;
	bool r;

	for (i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		setup();
		sh("rm -rf lib.old /tmp/sv-lookups-etc /tmp/sv-lookups-ref");
		if (!kept(names, &text)) {
			ok(0, "kept before: %s", changes[i].what);
			continue;
		}
		sh(changes[i].script);
		r = taken(&text, &why);
		ok(!r && strstr(why.buf, "changed"), "not taken after %s (%s)", changes[i].what,
		   why.buf);
		strbuf_reset(&text);
	}
	sh("rm -rf lib.old /tmp/sv-lookups-etc /tmp/sv-lookups-ref");

	/* What the plan does not read changes no directory: still taken. */
	setup();
	kept(names, &text);
	sh("chmod 600 lib/libfoo.so.1.2 && echo data >> lib/libfoo.so.1.2");
	r = taken(&text, &why);
	ok(r, "taken after a file's mode and content change %s", why.buf);
	strbuf_release(&text);
	strbuf_release(&why);
}

static void test_not_kept(void)
{
	struct strbuf text = STRBUF_INIT, why = STRBUF_INIT;
	struct lookups l;
	const char *target;
	mode_t type;

	/* A directory changed moments ago: its times could stay as they
	 * are through one more change. */
	setup();
	lookups_init(&l, true);
	lookups_lstat(&l, at("lib/libfoo.so.1"), &type, &target);
	ok(lookups_format(&l, &text) < 0, "nothing kept when a directory changed just now");
	lookups_release(&l);

	/* The kernel's own file systems. */
	lookups_init(&l, true);
	l.began.tv_sec += 60;
	lookups_lstat(&l, "/proc/self/exe", &type, &target);
	lookups_lstat(&l, "/sys/kernel", &type, &target);
	ok(lookups_format(&l, &text) < 0, "nothing to keep from /proc and /sys");
	lookups_lstat(&l, at("etc/conf"), &type, &target);
	strbuf_reset(&text);
	ok(lookups_format(&l, &text) == 0 && !strstr(text.buf, "/proc") &&
	   !strstr(text.buf, "/sys"), "kept without what lies in /proc and /sys");
	lookups_release(&l);

	/* Another user's, another mount namespace's, or malformed. */
	{
		static const struct {
			const char *what, *from, *to;
		} edits[] = {
			{ "another user's", "\nuid ", "\nuid 9" },
			{ "another mount namespace's", "\nmntns ", "\nmntns 9" },
			{ "a link without its target", "\nto ", "\nxx " },
			{ "a path whose directory is not recorded", "/lib\n", "/lib.x\n" },
		};
		size_t i;

		setup();
		strbuf_reset(&text);
		kept(names, &text);
		for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
			struct strbuf edited = STRBUF_INIT;
			const char *p = strstr(text.buf, edits[i].from);
			bool r;

			if (!p) {
				ok(0, "not taken: %s (no '%s')", edits[i].what, edits[i].from + 1);
				continue;
			}
			strbuf_add(&edited, text.buf, (size_t)(p - text.buf));
			strbuf_addstr(&edited, edits[i].to);
			strbuf_addstr(&edited, p + strlen(edits[i].from));
			r = taken(&edited, &why);
			ok(!r, "not taken: %s (%s)", edits[i].what, why.buf);
			strbuf_release(&edited);
		}
		ok(taken(&text, &why), "... and taken unedited");
	}
	strbuf_release(&text);
	strbuf_release(&why);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/sv-lookups-XXXXXX");
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_answers();
	test_changes();
	test_not_kept();
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return done_testing();
}
