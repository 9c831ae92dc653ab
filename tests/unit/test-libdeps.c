/* test-libdeps.c - library closure: real binaries against the system
 * directories, hostile names and RUNPATHs, an ld.so.conf fixture tree, and
 * a tree scan with symlinks and malformed files. */
/* Tests build with -Isrc, where <elf.h> is src/elf.h: take the ELF
 * structures from the kernel's header instead. */
#include <linux/elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "elf.h"
#include "libdeps.h"
#include "strbuf.h"
#include "strvec.h"
#include "util.h"

#ifndef DT_RUNPATH
#define DT_RUNPATH 29
#endif

#if defined(__x86_64__)
#define HOST_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define HOST_MACHINE EM_AARCH64
#elif defined(__i386__)
#define HOST_MACHINE EM_386
#elif defined(__arm__)
#define HOST_MACHINE EM_ARM
#elif defined(__riscv)
#define HOST_MACHINE EM_RISCV
#elif defined(__powerpc64__)
#define HOST_MACHINE EM_PPC64
#elif defined(__s390x__)
#define HOST_MACHINE EM_S390
#else
#define HOST_MACHINE 0
#endif
#define HOST_IS64 (sizeof(void *) == 8)
#define OTHER_MACHINE (HOST_MACHINE == EM_S390 ? EM_ARM : EM_S390)

/* ---- a minimal ELF writer, host byte order ---- */

#define F_OFF(is64, S, f) ((is64) ? offsetof(Elf64_##S, f) : offsetof(Elf32_##S, f))
#define F_SIZE(is64, S, f) ((is64) ? sizeof(((Elf64_##S *)0)->f) : sizeof(((Elf32_##S *)0)->f))
#define S_SIZE(is64, S) ((is64) ? sizeof(Elf64_##S) : sizeof(Elf32_##S))
#define PUT(b, is64, at, S, f, v) put_field((b), (at) + F_OFF(is64, S, f), \
					    F_SIZE(is64, S, f), (v))

static const bool host_msb = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;

static void put_field(unsigned char *b, size_t at, size_t size, uint64_t v)
{
	size_t i;

	for (i = 0; i < size; i++)
		b[at + (host_msb ? size - 1 - i : i)] = (unsigned char)(v >> (8 * i));
}

struct spec {
	bool is64;
	uint16_t machine;
	const char *interp;
	const char *needed[6];   /* NULL-terminated */
	const char *runpath;
};

/* ehdr, LOAD, [INTERP], DYNAMIC, interp, dynamic, strtab */
static struct strbuf build(const struct spec *sp)
{
	bool w = sp->is64;
	size_t ehsize = S_SIZE(w, Ehdr), phsize = S_SIZE(w, Phdr), dynsize = S_SIZE(w, Dyn);
	size_t nph = sp->interp ? 3 : 2, n = 0, i, at, off[7], ndyn, interp_off, strtab_off, len;
	const uint64_t base = 0x10000;
	struct strbuf str = STRBUF_INIT, out = STRBUF_INIT;
	unsigned char *b;

	strbuf_addch(&str, '\0');
	strbuf_add(&str, "", 1);
	for (n = 0; n < 6 && sp->needed[n]; n++) {
		off[n] = str.len;
		strbuf_add(&str, sp->needed[n], strlen(sp->needed[n]) + 1);
	}
	if (sp->runpath) {
		off[n] = str.len;
		strbuf_add(&str, sp->runpath, strlen(sp->runpath) + 1);
	}
	ndyn = n + (sp->runpath ? 1 : 0) + 3;
	interp_off = ehsize + nph * phsize;
	at = interp_off + (sp->interp ? strlen(sp->interp) + 1 : 0);
	strtab_off = at + ndyn * dynsize;
	len = strtab_off + str.len;
	strbuf_grow(&out, len);
	memset(out.buf, 0, len);
	strbuf_setlen(&out, len);
	b = (unsigned char *)out.buf;

	memcpy(b, ELFMAG, SELFMAG);
	b[EI_CLASS] = w ? ELFCLASS64 : ELFCLASS32;
	b[EI_DATA] = host_msb ? ELFDATA2MSB : ELFDATA2LSB;
	b[EI_VERSION] = EV_CURRENT;
	PUT(b, w, 0, Ehdr, e_type, ET_DYN);
	PUT(b, w, 0, Ehdr, e_machine, sp->machine);
	PUT(b, w, 0, Ehdr, e_phoff, ehsize);
	PUT(b, w, 0, Ehdr, e_ehsize, ehsize);
	PUT(b, w, 0, Ehdr, e_phentsize, phsize);
	PUT(b, w, 0, Ehdr, e_phnum, nph);
	i = ehsize;
	PUT(b, w, i, Phdr, p_type, PT_LOAD);
	PUT(b, w, i, Phdr, p_vaddr, base);
	PUT(b, w, i, Phdr, p_filesz, len);
	PUT(b, w, i, Phdr, p_memsz, len);
	i += phsize;
	if (sp->interp) {
		PUT(b, w, i, Phdr, p_type, PT_INTERP);
		PUT(b, w, i, Phdr, p_offset, interp_off);
		PUT(b, w, i, Phdr, p_filesz, strlen(sp->interp) + 1);
		memcpy(b + interp_off, sp->interp, strlen(sp->interp) + 1);
		i += phsize;
	}
	PUT(b, w, i, Phdr, p_type, PT_DYNAMIC);
	PUT(b, w, i, Phdr, p_offset, at);
	PUT(b, w, i, Phdr, p_filesz, ndyn * dynsize);
	for (i = 0; i < n; i++, at += dynsize) {
		PUT(b, w, at, Dyn, d_tag, DT_NEEDED);
		PUT(b, w, at, Dyn, d_un, off[i]);
	}
	if (sp->runpath) {
		PUT(b, w, at, Dyn, d_tag, DT_RUNPATH);
		PUT(b, w, at, Dyn, d_un, off[n]);
		at += dynsize;
	}
	PUT(b, w, at, Dyn, d_tag, DT_STRTAB);
	PUT(b, w, at, Dyn, d_un, base + strtab_off);
	at += dynsize;
	PUT(b, w, at, Dyn, d_tag, DT_STRSZ);
	PUT(b, w, at, Dyn, d_un, str.len);
	memcpy(b + strtab_off, str.buf, str.len);
	strbuf_release(&str);
	return out;
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		die("cannot write '%s': %s", path, strerror(errno));
	close(fd);
	chmod(path, mode);
}

/* Write an ELF for the host (class and machine) needing the given names. */
static void write_elf(const char *path, const char *runpath, const char *interp,
		      const char *n0, const char *n1, const char *n2)
{
	struct spec sp = { HOST_IS64, HOST_MACHINE, interp, { n0, n1, n2, NULL }, runpath };
	struct strbuf b = build(&sp);

	write_file(path, b.buf, b.len, 0644);
	strbuf_release(&b);
}

/* An executable ELF for the host needing one name, padded to size bytes. */
static void write_program(const char *path, const char *n0, size_t size)
{
	struct spec sp = { HOST_IS64, HOST_MACHINE, NULL, { n0, NULL }, NULL };
	struct strbuf b = build(&sp);
	size_t len = b.len;

	if (len < size) {
		strbuf_grow(&b, size - len);
		memset(b.buf + len, 0, size - len);
		strbuf_setlen(&b, size);
	}
	write_file(path, b.buf, b.len, 0755);
	strbuf_release(&b);
}

static void write_elf_as(const char *path, bool is64, uint16_t machine, const char *n0)
{
	struct spec sp = { is64, machine, NULL, { n0, NULL }, NULL };
	struct strbuf b = build(&sp);

	write_file(path, b.buf, b.len, 0644);
	strbuf_release(&b);
}

static void mkdirs(const char *path)
{
	char *p = xstrdup(path), *s;

	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		die("cannot create '%s': %s", p, strerror(errno));
	free(p);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	if (flag == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

static void rm_tree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *copy_file(const char *from, const char *to, size_t max)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	ssize_t n;

	if (in < 0)
		return NULL;
	while (sb.len < max && (n = read(in, buf, sizeof(buf))) > 0)
		strbuf_add(&sb, buf, (size_t)n);
	close(in);
	if (sb.len > max)
		strbuf_setlen(&sb, max);
	write_file(to, sb.buf, sb.len, 0644);
	strbuf_release(&sb);
	return xstrdup(to);
}

/* ---- checks ---- */

static bool sorted_unique(const struct strvec *sv)
{
	size_t i;

	for (i = 1; i < sv->nr; i++)
		if (strcmp(sv->v[i - 1], sv->v[i]) >= 0)
			return false;
	return true;
}

static bool has(const struct strvec *sv, const char *s)
{
	return strvec_find(sv, s) >= 0;
}

/* An entry of found whose last component is name, or NULL. */
static const char *found_named(const struct libdeps *ld, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < ld->found.nr; i++) {
		const char *p = ld->found.v[i];
		size_t l = strlen(p);

		if (l > n && p[l - n - 1] == '/' && !strcmp(p + l - n, name))
			return p;
	}
	return NULL;
}

static bool all_in_dirs(const struct libdeps *ld, const char *except)
{
	size_t i;

	for (i = 0; i < ld->found.nr; i++) {
		const char *p = ld->found.v[i];
		const char *slash = strrchr(p, '/');
		char *dir;
		bool in;

		if (except && !strcmp(p, except))
			continue;
		dir = xstrndup(p, (size_t)(slash - p));
		in = has(&ld->dirs, dir);
		if (!in)
			printf("# %s is outside the trusted directories\n", p);
		free(dir);
		if (!in)
			return false;
	}
	return true;
}

static int get_info(const char *path, struct elf_info *ei)
{
	struct strbuf err = STRBUF_INIT;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	elf_info_init(ei);
	if (fd < 0)
		return -1;
	ret = elf_read_fd(fd, path, ei, &err);
	close(fd);
	strbuf_release(&err);
	return ret;
}

static char *libc_path;   /* as found for python3, for later tests */

static void test_system_dirs(void)
{
	struct libdeps ld;
	struct strbuf err = STRBUF_INIT;
	const char *triplet = libdeps_multiarch_triplet();
	bool exist = true;
	size_t i;

	libdeps_init(&ld);
	is_int(libdeps_add_system_dirs(&ld, "/", &err), 0, "system dirs from /");
	ok(ld.dirs.nr > 0, "some system directories (%zu)", ld.dirs.nr);
	for (i = 0; i < ld.dirs.nr; i++) {
		struct stat st;

		if (stat(ld.dirs.v[i], &st) < 0 || !S_ISDIR(st.st_mode))
			exist = false;
		printf("#   %s\n", ld.dirs.v[i]);
	}
	ok(exist, "every directory exists");
	if (triplet) {
		char *multi = xasprintf("/usr/lib/%s", triplet);
		struct stat st;

		if (stat(multi, &st) == 0)
			ok(has(&ld.dirs, multi), "multiarch %s present", multi);
		else
			skip("no multiarch directory on this machine");
		free(multi);
	} else {
		skip("no multiarch triplet for this machine");
	}
	for (i = 1; i < ld.dirs.nr; i++)
		if (strvec_find(&ld.dirs, ld.dirs.v[i]) != (long)i)
			break;
	ok(i >= ld.dirs.nr, "no directory twice");
	libdeps_release(&ld);
	strbuf_release(&err);
}

static void test_python(void)
{
	const char *py = "/usr/bin/python3";
	struct libdeps ld;
	struct strbuf err = STRBUF_INIT;
	struct elf_info ei;
	const char *libc;

	if (get_info(py, &ei) != 0) {
		skip("no ELF /usr/bin/python3");
		elf_info_release(&ei);
		return;
	}
	libdeps_init(&ld);
	libdeps_add_system_dirs(&ld, "/", &err);
	if (!is_int(libdeps_add_file(&ld, py, true, &err), 0, "closure of /usr/bin/python3"))
		printf("# %s\n", err.buf);
	ok(has(&ld.found, py), "python3 itself recorded as given");
	libc = found_named(&ld, "libc.so.6");
	ok(libc != NULL, "libc.so.6 in the closure (%s)", libc ? libc : "none");
	if (libc)
		libc_path = xstrdup(libc);
	if (ei.interp)
		ok(has(&ld.found, ei.interp), "PT_INTERP %s in the closure", ei.interp);
	else
		skip("python3 has no PT_INTERP");
	ok(sorted_unique(&ld.found), "found is sorted and unique (%zu entries)", ld.found.nr);
	ok(all_in_dirs(&ld, py), "every library lies in a trusted directory");

	/* Again: nothing changes, nothing is parsed twice into duplicates. */
	{
		size_t before = ld.found.nr;

		is_int(libdeps_add_file(&ld, py, true, &err), 0, "closure again");
		is_int((long long)ld.found.nr, (long long)before, "  no new entries");
	}
	libdeps_release(&ld);
	elf_info_release(&ei);
	strbuf_release(&err);
}

static void test_git(void)
{
	const char *git = "/usr/bin/git";
	struct libdeps ld;
	struct strbuf err = STRBUF_INIT;
	struct elf_info ei;
	size_t i, checked = 0;

	if (get_info(git, &ei) != 0) {
		skip("no ELF /usr/bin/git");
		elf_info_release(&ei);
		return;
	}
	libdeps_init(&ld);
	libdeps_add_system_dirs(&ld, "/", &err);
	is_int(libdeps_add_file(&ld, git, false, &err), 0, "closure of /usr/bin/git");
	ok(!has(&ld.found, git), "git itself not recorded without add_self");
	for (i = 0; i < ei.needed.nr; i++) {
		const char *n = ei.needed.v[i];

		if (str_has_prefix(n, "libz.") || str_has_prefix(n, "libpcre2")) {
			ok(found_named(&ld, n) != NULL, "git's %s found (%s)", n,
			   found_named(&ld, n) ? found_named(&ld, n) : "none");
			checked++;
		}
	}
	if (!checked)
		skip("git needs neither libz nor libpcre2 here");
	ok(all_in_dirs(&ld, NULL), "git's libraries lie in trusted directories");
	libdeps_release(&ld);
	elf_info_release(&ei);
	strbuf_release(&err);
}

/* Names with '/', a foreign PT_INTERP and RUNPATHs into untrusted places. */
static void test_hostile(const char *tmp)
{
	char *fake = xasprintf("%s/fake", tmp);
	char *f_lib = xasprintf("%s/libfake.so", fake);
	char *f_libc = xasprintf("%s/libc.so.6", fake);
	char *f_ld = xasprintf("%s/ld.so", fake);
	char *abs = xasprintf("%s/abs.so", tmp);
	char *plain = xasprintf("%s/plain.so", tmp);
	char *hostile = xasprintf("%s/hostile", tmp);
	char *evil = xasprintf("%s/hostile/evil.so", tmp);
	char *rp = xasprintf("%s:%s/:$ORIGIN/../fake:${ORIGIN}/../fake:%s/fake/../fake", fake, fake, tmp);
	char *libc_abs = NULL;
	struct libdeps ld;
	struct strbuf err = STRBUF_INIT;

	if (!libc_path) {
		skip("libc.so.6 was not found; hostile-name tests need it");
		goto out;
	}
	libc_abs = xstrdup(libc_path);
	mkdirs(fake);
	mkdirs(hostile);
	write_elf(f_lib, NULL, NULL, NULL, NULL, NULL);
	write_elf(f_libc, NULL, NULL, NULL, NULL, NULL);
	write_elf(f_ld, NULL, NULL, NULL, NULL, NULL);
	write_elf(abs, NULL, NULL, libc_abs, "../libc.so.6", "./libc.so.6");
	write_elf(plain, NULL, NULL, "libc.so.6", NULL, NULL);
	write_elf(evil, rp, f_ld, "libfake.so", "libc.so.6", "..");

	libdeps_init(&ld);
	libdeps_add_system_dirs(&ld, "/", &err);
	is_int(libdeps_add_file(&ld, abs, false, &err), 0, "NEEDED with '/': parsed");
	is_int((long long)ld.found.nr, 0, "NEEDED names with '/' are ignored");

	is_int(libdeps_add_file(&ld, plain, false, &err), 0, "plain NEEDED libc.so.6");
	ok(has(&ld.found, libc_abs), "  resolved into the system (%s)", libc_abs);
	libdeps_release(&ld);

	/* Found by a scan of the venv: not trusted, its RUNPATH only reorders. */
	libdeps_init(&ld);
	libdeps_add_system_dirs(&ld, "/", &err);
	is_int(libdeps_scan_tree(&ld, hostile, false, NULL, &err), 0,
	       "hostile RUNPATH and PT_INTERP, in a scanned tree: parsed");
	ok(!has(&ld.found, f_ld), "PT_INTERP outside the trusted dirs not followed");
	ok(!has(&ld.found, f_lib), "RUNPATH into an untrusted dir not followed");
	ok(!has(&ld.found, f_libc), "RUNPATH cannot shadow libc.so.6");
	ok(has(&ld.found, libc_abs), "libc.so.6 still from the system");
	ok(all_in_dirs(&ld, evil), "nothing outside the trusted dirs but the file itself");
	libdeps_release(&ld);

	/* Named by the caller (the interpreter): its RUNPATH is the builder's
	 * word, and the loader's choice is what the sandbox must show. */
	libdeps_init(&ld);
	libdeps_add_system_dirs(&ld, "/", &err);
	is_int(libdeps_add_file(&ld, evil, true, &err), 0, "a trusted file: parsed");
	ok(has(&ld.found, f_lib) && has(&ld.found, f_libc),
	   "  its RUNPATH is followed, as the loader follows it");
	libdeps_release(&ld);
out:
	free(fake); free(f_lib); free(f_libc); free(f_ld); free(abs); free(hostile);
	free(plain); free(evil); free(rp); free(libc_abs);
	strbuf_release(&err);
}

/* Search order, RUNPATH reordering among trusted dirs, class and machine. */
static void test_order(const char *tmp)
{
	char *a = xasprintf("%s/order/a", tmp), *b = xasprintf("%s/order/b", tmp);
	struct libdeps ld;
	struct strbuf err = STRBUF_INIT;
	char *p, *q, *rp_b, *rp_b_slash;

	mkdirs(a);
	mkdirs(b);
#define AT(dir, name) (free(p), p = xasprintf("%s/%s", (dir), (name)))
	p = NULL;
	AT(a, "libx.so"); write_elf(p, NULL, NULL, "libz2.so", NULL, NULL);
	AT(b, "libx.so"); write_elf(p, NULL, NULL, "libz2.so", NULL, NULL);
	AT(a, "libz2.so"); write_elf(p, NULL, NULL, NULL, NULL, NULL);
	AT(a, "liby.so"); write_elf_as(p, !HOST_IS64, HOST_MACHINE, NULL);
	AT(b, "liby.so"); write_elf(p, NULL, NULL, NULL, NULL, NULL);
	AT(a, "libw.so"); write_elf_as(p, HOST_IS64, OTHER_MACHINE, NULL);
	AT(b, "libw.so"); write_elf(p, NULL, NULL, NULL, NULL, NULL);
	AT(a, "libm1.so"); write_file(p, "\x7f" "ELF\x02\x01junk", 10, 0644);
	AT(b, "libm1.so"); write_elf(p, NULL, NULL, NULL, NULL, NULL);
	AT(b, "libt.so"); write_file(p, "not an elf\n", 11, 0644);

	rp_b = xstrdup(b);
	rp_b_slash = xasprintf("/nonexistent:$ORIGIN:%s/", b);
	AT(tmp, "order/p1"); write_elf(p, NULL, NULL, "libx.so", "liby.so", "libw.so");
	q = xasprintf("%s/order/p2", tmp);
	write_elf(q, rp_b, NULL, "libx.so", NULL, NULL);

	libdeps_init(&ld);
	libdeps_add_dir(&ld, a);
	libdeps_add_dir(&ld, b);
	libdeps_add_dir(&ld, "relative/dir");
	libdeps_add_dir(&ld, "/nonexistent/dir");
	{
		char *a_slash = xasprintf("%s//", a);

		libdeps_add_dir(&ld, a_slash);
		free(a_slash);
	}
	is_int((long long)ld.dirs.nr, 2, "add_dir: relative, missing and duplicate dropped");
	is_int(libdeps_add_file(&ld, p, false, &err), 0, "closure of p1");
	AT(a, "libx.so");
	ok(has(&ld.found, p), "first directory wins: %s", p);
	AT(a, "libz2.so");
	ok(has(&ld.found, p), "dependencies of dependencies: %s", p);
	AT(b, "liby.so");
	ok(has(&ld.found, p), "other ELF class skipped: %s", p);
	AT(b, "libw.so");
	ok(has(&ld.found, p), "other machine skipped: %s", p);
	is_int((long long)ld.found.nr, 4, "exactly those four");
	libdeps_release(&ld);

	libdeps_init(&ld);
	libdeps_add_dir(&ld, a);
	libdeps_add_dir(&ld, b);
	is_int(libdeps_add_file(&ld, q, false, &err), 0, "closure of p2 (RUNPATH = b)");
	AT(b, "libx.so");
	ok(has(&ld.found, p), "RUNPATH naming a trusted dir puts it first");
	AT(a, "libx.so");
	ok(!has(&ld.found, p), "  and the other copy is not used");
	libdeps_release(&ld);

	AT(tmp, "order/p3");
	write_elf(p, rp_b_slash, NULL, "libx.so", "libm1.so", "libt.so");
	libdeps_init(&ld);
	libdeps_add_dir(&ld, a);
	libdeps_add_dir(&ld, b);
	is_int(libdeps_add_file(&ld, p, false, &err), 0, "closure of p3 (RUNPATH b/ among junk)");
	AT(b, "libx.so");
	ok(has(&ld.found, p), "trailing slash in RUNPATH still matches");
	AT(b, "libm1.so");
	ok(has(&ld.found, p), "malformed library in a trusted dir skipped for the next");
	AT(b, "libt.so");
	ok(!has(&ld.found, p), "a non-ELF library is not taken");
	libdeps_release(&ld);
#undef AT
	free(p); free(q); free(a); free(b); free(rp_b); free(rp_b_slash);
	strbuf_release(&err);
}

static void test_conf_tree(const char *tmp)
{
	const char *triplet = libdeps_multiarch_triplet();
	char *root = xasprintf("%s/root", tmp), *p = NULL, *root_slash;
	struct strvec want = STRVEC_INIT;
	struct libdeps ld;
	struct strbuf err = STRBUF_INIT;
	bool same;
	size_t i;

#define AT(rel) (free(p), p = xasprintf("%s%s", root, (rel)))
	AT("/etc/ld.so.conf.d/sub"); mkdirs(p);
	AT("/etc/ld.so.conf");
	write_file(p, "# the main file\n"
		   "include /etc/ld.so.conf.d/*.conf\n"
		   "/opt/one/lib\n"
		   "  /opt/missing  # does not exist\n"
		   "/opt/two/lib/\t\n"
		   "relative/dir\n"
		   "hwcap 0 nosegneg\n"
		   "/opt/typed=libc6\n"
		   "/lib\n"
		   "/opt/one/lib\n", strlen("# the main file\n"
		   "include /etc/ld.so.conf.d/*.conf\n"
		   "/opt/one/lib\n"
		   "  /opt/missing  # does not exist\n"
		   "/opt/two/lib/\t\n"
		   "relative/dir\n"
		   "hwcap 0 nosegneg\n"
		   "/opt/typed=libc6\n"
		   "/lib\n"
		   "/opt/one/lib\n"), 0644);
	AT("/etc/ld.so.conf.d/a.conf"); write_file(p, "/opt/a\n", 7, 0644);
	AT("/etc/ld.so.conf.d/b.conf"); write_file(p, "include sub/*.conf\n/opt/b", 25, 0644);
	AT("/etc/ld.so.conf.d/sub/c.conf"); write_file(p, "/opt/c\n", 7, 0644);
	AT("/etc/ld.so.conf.d/ignored.txt"); write_file(p, "/opt/ignored\n", 13, 0644);

	strvec_pushf(&want, "%s/opt/a", root);
	strvec_pushf(&want, "%s/opt/c", root);
	strvec_pushf(&want, "%s/opt/b", root);
	strvec_pushf(&want, "%s/opt/one/lib", root);
	strvec_pushf(&want, "%s/opt/two/lib", root);
	strvec_pushf(&want, "%s/opt/typed", root);
	strvec_pushf(&want, "%s/lib", root);
	strvec_pushf(&want, "%s/usr/lib", root);
	if (triplet)
		strvec_pushf(&want, "%s/usr/lib/%s", root, triplet);
	for (i = 0; i < want.nr; i++)
		mkdirs(want.v[i]);
	AT("/opt/ignored"); mkdirs(p);
	AT("/relative/dir"); mkdirs(p);

	libdeps_init(&ld);
	if (!is_int(libdeps_add_system_dirs(&ld, root, &err), 0, "fixture ld.so.conf parsed"))
		printf("# %s\n", err.buf);
	same = ld.dirs.nr == want.nr;
	for (i = 0; same && i < want.nr; i++)
		same = !strcmp(ld.dirs.v[i], want.v[i]);
	if (!ok(same, "fixture: directories in loader order, includes in place")) {
		for (i = 0; i < ld.dirs.nr; i++)
			printf("#   got  %s\n", ld.dirs.v[i]);
		for (i = 0; i < want.nr; i++)
			printf("#   want %s\n", want.v[i]);
	}
	libdeps_release(&ld);

	root_slash = xasprintf("%s/", root);
	libdeps_init(&ld);
	is_int(libdeps_add_system_dirs(&ld, root_slash, &err), 0, "root with a trailing slash");
	ok(ld.dirs.nr == want.nr && !strcmp(ld.dirs.v[0], want.v[0]), "  same directories");
	libdeps_release(&ld);
	free(root_slash);

	/* An include loop hits the depth cap. */
	AT("/etc/ld.so.conf.d/loop.conf");
	write_file(p, "include /etc/ld.so.conf.d/loop.conf\n", 36, 0644);
	libdeps_init(&ld);
	strbuf_reset(&err);
	is_int(libdeps_add_system_dirs(&ld, root, &err), -1, "include loop refused");
	ok(strstr(err.buf, "nested") != NULL && !strchr(err.buf, '\n'), "  %s", err.buf);
	libdeps_release(&ld);
	unlink(p);

	/* No ld.so.conf at all: only the defaults. */
	AT("/etc/ld.so.conf");
	unlink(p);
	libdeps_init(&ld);
	is_int(libdeps_add_system_dirs(&ld, root, &err), 0, "missing ld.so.conf is fine");
	AT("/lib");
	ok(ld.dirs.nr >= 1 && !strcmp(ld.dirs.v[0], p), "  defaults only, %s first", p);
	libdeps_release(&ld);
#undef AT
	strvec_clear(&want);
	free(p);
	free(root);
	strbuf_release(&err);
}

static void test_scan(const char *tmp)
{
	char *t = xasprintf("%s/scan", tmp), *u = xasprintf("%s/outside", tmp);
	char *m = xasprintf("%s/markers", tmp), *p = NULL, *copy = NULL;
	const char *libz = NULL;
	struct libdeps ld;
	struct strbuf err = STRBUF_INIT;
	size_t skipped = 99, i;
	bool under_t = false;

#define AT(dir, rel) (free(p), p = xasprintf("%s/%s", (dir), (rel)))
	AT(t, "sub/deep"); mkdirs(p);
	mkdirs(u);
	mkdirs(m);
	AT(m, "libmarker.so"); write_elf(p, NULL, NULL, NULL, NULL, NULL);
	AT(m, "libmarker2.so"); write_elf(p, NULL, NULL, NULL, NULL, NULL);
	AT(m, "libmarker3.so"); write_elf(p, NULL, NULL, NULL, NULL, NULL);
	AT(m, "libmarker4.so"); write_elf(p, NULL, NULL, NULL, NULL, NULL);
	AT(m, "libmarker5.so"); write_elf(p, NULL, NULL, NULL, NULL, NULL);
	AT(u, "marker.so"); write_elf(p, NULL, NULL, "libmarker.so", NULL, NULL);
	AT(u, "marker2.so"); write_elf(p, NULL, NULL, "libmarker2.so", NULL, NULL);
	AT(t, "usrlib"); ok(symlink("/usr/lib", p) == 0, "symlink to /usr/lib");
	AT(t, "outside"); ok(symlink(u, p) == 0, "symlink to a directory outside");
	AT(u, "marker2.so");
	copy = xstrdup(p);
	AT(t, "link.so"); ok(symlink(copy, p) == 0, "symlink to an ELF outside");
	free(copy);
	copy = NULL;
	AT(t, "bad.so"); write_file(p, "\x7f" "ELF\x02\x01\x01garbage", 15, 0644);
	AT(t, "tool"); write_file(p, "\x7f" "ELF\x09", 5, 0755);
	/* Programs by their size, libraries by their name. */
	AT(t, "program"); write_program(p, "libmarker3.so", LIBDEPS_SCAN_MIN_PROGRAM);
	AT(t, "script-sized"); write_program(p, "libmarker4.so", LIBDEPS_SCAN_MIN_PROGRAM - 1);
	AT(t, "small.so"); write_elf(p, NULL, NULL, "libmarker5.so", NULL, NULL);
	AT(t, "data.bin"); write_file(p, "\x7f" "ELF\x09", 5, 0644);
	AT(t, "script"); write_file(p, "#!/bin/sh\n", 10, 0755);
	AT(t, "readme.sox"); write_file(p, "\x7f" "ELF\x09", 5, 0644);
	AT(t, "pipe.so"); ok(mkfifo(p, 0644) == 0, "a FIFO named .so");

	if (libc_path) {
		char *dir = xstrndup(libc_path, (size_t)(strrchr(libc_path, '/') - libc_path));
		char *z = xasprintf("%s/libz.so.1", dir);

		if (access(z, R_OK) == 0) {
			AT(t, "sub/deep/libcopy.so.1");
			copy = copy_file(z, p, SIZE_MAX);
			AT(t, "sub/trunc.so");
			free(copy_file(z, p, 200));
			libz = "libc.so.6";
		}
		free(z);
		free(dir);
	}

	libdeps_init(&ld);
	libdeps_add_system_dirs(&ld, "/", &err);
	libdeps_add_dir(&ld, m);
	strbuf_reset(&err);
	if (!is_int(libdeps_scan_tree(&ld, t, false, &skipped, &err), 0, "scan_tree over the fixture"))
		printf("# %s\n", err.buf);
	is_int((long long)skipped, libz ? 2 : 1,
	       "malformed ELF skipped and counted (bad.so, trunc.so; not tool, too small to read)");
	AT(m, "libmarker3.so");
	ok(has(&ld.found, p), "a program of LIBDEPS_SCAN_MIN_PROGRAM bytes is read: its library found");
	AT(m, "libmarker4.so");
	ok(!has(&ld.found, p), "an executable file a byte smaller is not read (a script's size)");
	AT(m, "libmarker5.so");
	ok(has(&ld.found, p), "a small file named .so is read: its library found");
	AT(m, "libmarker.so");
	ok(!has(&ld.found, p), "directory symlink not followed");
	AT(m, "libmarker2.so");
	ok(!has(&ld.found, p), "file symlink not followed");
	ok(ld.found.nr < 100, "/usr/lib not walked through the symlink (%zu found)", ld.found.nr);
	for (i = 0; i < ld.found.nr; i++)
		if (str_has_prefix(ld.found.v[i], t))
			under_t = true;
	ok(!under_t, "scanned files themselves are not added");
	if (libz)
		ok(has(&ld.found, libc_path), "copied real library: its libc.so.6 found");
	else
		skip("no libz.so.1 next to libc to copy");
	ok(sorted_unique(&ld.found), "found sorted and unique after the scan");
	ok(all_in_dirs(&ld, NULL), "everything found lies in trusted directories");

	/* The scanned libraries' own closure was added under the scan. */
	AT(u, "marker.so");
	is_int(libdeps_add_file(&ld, p, false, &err), 0, "explicit add_file of marker.so");
	AT(m, "libmarker.so");
	ok(has(&ld.found, p), "  finds libmarker.so in the added trusted dir");
	libdeps_release(&ld);

	/* The top of the scan may not be a symlink either. */
	libdeps_init(&ld);
	strbuf_reset(&err);
	AT(t, "outside");
	is_int(libdeps_scan_tree(&ld, p, false, NULL, &err), -1, "scan_tree refuses a symlink at the top");
	ok(err.len && !strchr(err.buf, '\n'), "  %s", err.buf);
	libdeps_release(&ld);
#undef AT
	free(p); free(t); free(u); free(m); free(copy);
	strbuf_release(&err);
}

static void test_scan_depth(const char *tmp)
{
	char *top = xasprintf("%s/deep", tmp);
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;
	struct libdeps ld;
	int i;

	strbuf_addstr(&path, top);
	mkdirs(top);
	for (i = 0; i < LIBDEPS_SCAN_MAX_DEPTH + 2; i++) {
		strbuf_addstr(&path, "/d");
		mkdir(path.buf, 0755);
	}
	libdeps_init(&ld);
	is_int(libdeps_scan_tree(&ld, top, false, NULL, &err), -1, "scan deeper than the cap refused");
	ok(strstr(err.buf, "deep") != NULL, "  %s", err.buf);
	libdeps_release(&ld);
	strbuf_release(&path);
	strbuf_release(&err);
	free(top);
}

static void test_add_file_errors(const char *tmp)
{
	char *text = xasprintf("%s/text", tmp), *bad = xasprintf("%s/bad-elf", tmp);
	struct libdeps ld;
	struct strbuf err = STRBUF_INIT;

	write_file(text, "hello\n", 6, 0644);
	write_file(bad, "\x7f" "ELF\x02\x01\x01", 7, 0644);
	libdeps_init(&ld);
	is_int(libdeps_add_file(&ld, text, true, &err), 0, "not an ELF: 0");
	is_int((long long)ld.found.nr, 0, "  and nothing added, not even itself");
	is_int(libdeps_add_file(&ld, bad, true, &err), -1, "malformed ELF: -1");
	ok(strstr(err.buf, bad) && !strchr(err.buf, '\n'), "  %s", err.buf);
	strbuf_reset(&err);
	is_int(libdeps_add_file(&ld, bad, true, &err), -1, "malformed ELF again: -1");
	ok(err.len > 0, "  with a message again: %s", err.buf);
	strbuf_reset(&err);
	is_int(libdeps_add_file(&ld, "/nonexistent/x.so", false, &err), -1, "missing file: -1");
	ok(str_has_prefix(err.buf, "cannot open '/nonexistent/x.so'"), "  %s", err.buf);
	libdeps_release(&ld);
	free(text);
	free(bad);
	strbuf_release(&err);
}

/* uv's Pythons: bin/python3.11 with RUNPATH $ORIGIN/../lib, reached
 * through a version-directory symlink; libpython of the same name in an
 * earlier trusted directory must not stand in. */
static void test_origin(const char *tmp)
{
	char *real = xasprintf("%s/origin/cpython-3.11.7", tmp);
	char *link = xasprintf("%s/origin/cpython-3.11", tmp);
	char *bin = xasprintf("%s/bin", real);
	char *lib = xasprintf("%s/lib", real);
	char *sys = xasprintf("%s/origin/system", tmp);
	char *py = xasprintf("%s/bin/python3.11", link);
	char *mine = xasprintf("%s/libpy.so", lib);
	char *other = xasprintf("%s/libpy.so", sys);
	char *path = NULL;
	struct libdeps ld;
	struct strbuf err = STRBUF_INIT;

	mkdirs(bin);
	mkdirs(lib);
	mkdirs(sys);
	if (symlink("cpython-3.11.7", link) < 0) {
		skip("cannot make a symlink");
		goto out;
	}
	path = xasprintf("%s/python3.11", bin);
	write_elf(path, "$ORIGIN/../lib", NULL, "libpy.so", NULL, NULL);
	write_elf(mine, NULL, NULL, NULL, NULL, NULL);
	write_elf(other, NULL, NULL, NULL, NULL, NULL);

	libdeps_init(&ld);
	libdeps_add_dir(&ld, sys);
	libdeps_add_dir(&ld, lib);
	is_int(libdeps_add_file(&ld, py, false, &err), 0, "closure of python through the symlink");
	ok(has(&ld.found, mine), "$ORIGIN/../lib, from the real path, comes first");
	ok(!has(&ld.found, other), "  and the same name in an earlier directory does not stand in");
	libdeps_release(&ld);

	libdeps_init(&ld);
	libdeps_add_dir(&ld, sys);
	is_int(libdeps_add_file(&ld, py, false, &err), 0, "again, its lib dir not added by the caller");
	ok(has(&ld.found, mine) && !has(&ld.found, other),
	   "  its RUNPATH still decides, not the caller's directories");
	libdeps_release(&ld);
out:
	free(real); free(link); free(bin); free(lib); free(sys); free(py); free(mine);
	free(other); free(path);
	strbuf_release(&err);
}

int main(void)
{
	char tmpl[] = "/tmp/test-libdeps.XXXXXX";
	char *tmp = mkdtemp(tmpl);

	if (!tmp) {
		perror("mkdtemp");
		return 1;
	}
	test_system_dirs();
	test_python();
	test_git();
	test_hostile(tmp);
	test_order(tmp);
	test_origin(tmp);
	test_conf_tree(tmp);
	test_scan(tmp);
	test_scan_depth(tmp);
	test_add_file_errors(tmp);
	rm_tree(tmp);
	free(libc_path);
	return done_testing();
}
