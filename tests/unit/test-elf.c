/* test-elf.c - the bounded ELF reader on real binaries, on hand-built
 * malformed images, and under a fixed-seed byte-flipping fuzz loop. */
/* Tests build with -Isrc, where <elf.h> is src/elf.h: take the ELF
 * structures from the kernel's header instead. */
#include <linux/elf.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "elf.h"
#include "strbuf.h"
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
#endif
#define HOST_CLASS (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32)

/* ---- an ELF image builder ---- */

#define F_OFF(is64, S, f) ((is64) ? offsetof(Elf64_##S, f) : offsetof(Elf32_##S, f))
#define F_SIZE(is64, S, f) ((is64) ? sizeof(((Elf64_##S *)0)->f) : sizeof(((Elf32_##S *)0)->f))
#define S_SIZE(is64, S) ((is64) ? sizeof(Elf64_##S) : sizeof(Elf32_##S))
#define PUT(im, at, S, f, v) put_field((im), (at) + F_OFF((im)->is64, S, f), \
				       F_SIZE((im)->is64, S, f), (v))

struct spec {
	bool is64, msb;
	uint16_t machine;
	const char *interp;          /* NULL: no PT_INTERP */
	const char *needed[4];       /* NULL-terminated */
	const char *runpath, *rpath;
	bool no_dynamic;
};

struct img {
	unsigned char *data;
	size_t len;
	bool is64, msb;
	size_t ph_load, ph_interp, ph_dyn;   /* offsets of the phdrs, 0: none */
	size_t dyn_off, dyn_strtab, dyn_strsz; /* dynamic and two entries in it */
	size_t dyn_needed0;
	size_t str_off, str_len;
	uint64_t base;
};

static void put_field(struct img *im, size_t at, size_t size, uint64_t v)
{
	size_t i;

	for (i = 0; i < size; i++) {
		size_t k = im->msb ? size - 1 - i : i;

		im->data[at + k] = (unsigned char)(v >> (8 * i));
	}
}

/* Layout: ehdr, phdrs (LOAD, INTERP, DYNAMIC), interp, dynamic, strtab;
 * the string table is last and ends the file with its final NUL. */
static void build(const struct spec *sp, struct img *im)
{
	size_t ehsize = S_SIZE(sp->is64, Ehdr), phsize = S_SIZE(sp->is64, Phdr);
	size_t dynsize = S_SIZE(sp->is64, Dyn);
	size_t nph = 1 + (sp->interp ? 1 : 0) + (sp->no_dynamic ? 0 : 1);
	size_t nneeded = 0, ndyn, at, i, interp_off = 0, interp_len = 0;
	struct strbuf strtab = STRBUF_INIT;
	size_t needed_off[4], runpath_off = 0, rpath_off = 0;

	memset(im, 0, sizeof(*im));
	im->is64 = sp->is64;
	im->msb = sp->msb;
	im->base = 0x10000;
	strbuf_addch(&strtab, '\0');
	strbuf_add(&strtab, "", 1);
	while (nneeded < 4 && sp->needed[nneeded]) {
		needed_off[nneeded] = strtab.len;
		strbuf_add(&strtab, sp->needed[nneeded], strlen(sp->needed[nneeded]) + 1);
		nneeded++;
	}
	if (sp->rpath) {
		rpath_off = strtab.len;
		strbuf_add(&strtab, sp->rpath, strlen(sp->rpath) + 1);
	}
	if (sp->runpath) {
		runpath_off = strtab.len;
		strbuf_add(&strtab, sp->runpath, strlen(sp->runpath) + 1);
	}
	ndyn = sp->no_dynamic ? 0 : nneeded + !!sp->runpath + !!sp->rpath + 3;

	at = ehsize + nph * phsize;
	if (sp->interp) {
		interp_off = at;
		interp_len = strlen(sp->interp) + 1;
		at += interp_len;
	}
	im->dyn_off = at;
	at += ndyn * dynsize;
	im->str_off = at;
	im->str_len = sp->no_dynamic ? 0 : strtab.len;
	im->len = at + im->str_len;
	im->data = xcalloc(1, im->len);

	memcpy(im->data, ELFMAG, SELFMAG);
	im->data[EI_CLASS] = sp->is64 ? ELFCLASS64 : ELFCLASS32;
	im->data[EI_DATA] = sp->msb ? ELFDATA2MSB : ELFDATA2LSB;
	im->data[EI_VERSION] = EV_CURRENT;
	PUT(im, 0, Ehdr, e_type, ET_DYN);
	PUT(im, 0, Ehdr, e_machine, sp->machine);
	PUT(im, 0, Ehdr, e_version, EV_CURRENT);
	PUT(im, 0, Ehdr, e_phoff, ehsize);
	PUT(im, 0, Ehdr, e_ehsize, ehsize);
	PUT(im, 0, Ehdr, e_phentsize, phsize);
	PUT(im, 0, Ehdr, e_phnum, nph);

	at = ehsize;
	im->ph_load = at;
	PUT(im, at, Phdr, p_type, PT_LOAD);
	PUT(im, at, Phdr, p_offset, 0);
	PUT(im, at, Phdr, p_vaddr, im->base);
	PUT(im, at, Phdr, p_filesz, im->len);
	PUT(im, at, Phdr, p_memsz, im->len);
	at += phsize;
	if (sp->interp) {
		im->ph_interp = at;
		PUT(im, at, Phdr, p_type, PT_INTERP);
		PUT(im, at, Phdr, p_offset, interp_off);
		PUT(im, at, Phdr, p_filesz, interp_len);
		memcpy(im->data + interp_off, sp->interp, interp_len);
		at += phsize;
	}
	if (!sp->no_dynamic) {
		size_t d = im->dyn_off;

		im->ph_dyn = at;
		PUT(im, at, Phdr, p_type, PT_DYNAMIC);
		PUT(im, at, Phdr, p_offset, im->dyn_off);
		PUT(im, at, Phdr, p_vaddr, im->base + im->dyn_off);
		PUT(im, at, Phdr, p_filesz, ndyn * dynsize);
		im->dyn_needed0 = d;
		for (i = 0; i < nneeded; i++, d += dynsize) {
			PUT(im, d, Dyn, d_tag, DT_NEEDED);
			PUT(im, d, Dyn, d_un, needed_off[i]);
		}
		if (sp->rpath) {
			PUT(im, d, Dyn, d_tag, DT_RPATH);
			PUT(im, d, Dyn, d_un, rpath_off);
			d += dynsize;
		}
		if (sp->runpath) {
			PUT(im, d, Dyn, d_tag, DT_RUNPATH);
			PUT(im, d, Dyn, d_un, runpath_off);
			d += dynsize;
		}
		im->dyn_strtab = d;
		PUT(im, d, Dyn, d_tag, DT_STRTAB);
		PUT(im, d, Dyn, d_un, im->base + im->str_off);
		d += dynsize;
		im->dyn_strsz = d;
		PUT(im, d, Dyn, d_tag, DT_STRSZ);
		PUT(im, d, Dyn, d_un, strtab.len);
		/* d + dynsize: DT_NULL, already zero */
		memcpy(im->data + im->str_off, strtab.buf, strtab.len);
	}
	strbuf_release(&strtab);
}

static const struct spec full_spec = {
	.is64 = true, .msb = false, .machine = EM_X86_64,
	.interp = "/lib64/ld-linux-x86-64.so.2",
	.needed = { "libfoo.so.1", "libc.so.6", NULL },
	.runpath = "/opt/lib:$ORIGIN",
};

static struct img full_image(bool is64, bool msb)
{
	struct spec sp = full_spec;
	struct img im;

	sp.is64 = is64;
	sp.msb = msb;
	build(&sp, &im);
	return im;
}

static const char *variant_name(bool is64, bool msb)
{
	return is64 ? (msb ? "64-bit big-endian" : "64-bit little-endian")
		    : (msb ? "32-bit big-endian" : "32-bit little-endian");
}

/* Parse and check that the result follows the return convention: 0 with
 * no error text, 1 with nothing filled in, -1 with exactly one line. */
static int parse_checked(const unsigned char *data, size_t len,
			 struct elf_info *ei, bool *convention_ok)
{
	struct strbuf err = STRBUF_INIT;
	int ret = elf_parse(data, len, ei, &err);
	bool good;

	switch (ret) {
	case 0:
		good = err.len == 0;
		break;
	case 1:
		good = err.len == 0 && !ei->interp && !ei->needed.nr && !ei->runpath;
		break;
	case -1:
		good = err.len > 0 && !strchr(err.buf, '\n') && !ei->interp &&
		       !ei->needed.nr && !ei->runpath;
		break;
	default:
		good = false;
	}
	if (!good && convention_ok)
		*convention_ok = false;
	strbuf_release(&err);
	return ret;
}

static int parse_err(const unsigned char *data, size_t len, struct strbuf *err)
{
	struct elf_info ei;
	int ret;

	elf_info_init(&ei);
	strbuf_reset(err);
	ret = elf_parse(data, len, &ei, err);
	elf_info_release(&ei);
	return ret;
}

static bool has_needed(const struct elf_info *ei, const char *name)
{
	return strvec_find(&ei->needed, name) >= 0;
}

/* ---- real binaries ---- */

static char *find_python(void)
{
	glob_t gl;
	char *found = NULL;
	size_t i;

	if (access("/usr/bin/python3.11", R_OK) == 0)
		return xstrdup("/usr/bin/python3.11");
	if (glob("/usr/bin/python3.[0-9]*", 0, NULL, &gl) != 0)
		return NULL;
	for (i = 0; i < gl.gl_pathc && !found; i++)
		if (!strchr(gl.gl_pathv[i] + strlen("/usr/bin/"), '-'))
			found = xstrdup(gl.gl_pathv[i]);
	globfree(&gl);
	return found;
}

/* The first max bytes of path (all of it when smaller). */
static int read_whole(const char *path, size_t max, unsigned char **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char *buf;
	size_t have = 0;

	if (fd < 0)
		return -1;
	buf = xmalloc(max);
	while (have < max) {
		ssize_t n = read(fd, buf + have, max - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	close(fd);
	/* Exact size, so ASan sees a read past the end. */
	*data = xrealloc(buf, have ? have : 1);
	*len = have;
	return 0;
}

static void test_real_file(const char *path, bool want_interp, const char *want_needed)
{
	struct elf_info ei, em;
	struct strbuf err = STRBUF_INIT;
	unsigned char *data = NULL;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0) {
		skip(path);
		return;
	}
	elf_info_init(&ei);
	ret = elf_read_fd(fd, path, &ei, &err);
	close(fd);
	if (!is_int(ret, 0, path))
		printf("# %s\n", err.buf);
	is_int(ei.elf_class, HOST_CLASS, "class of the host");
#ifdef HOST_MACHINE
	is_int(ei.machine, HOST_MACHINE, "machine of the host");
#endif
	if (want_interp)
		ok(ei.interp && ei.interp[0] == '/', "%s has an absolute PT_INTERP (%s)",
		   path, ei.interp ? ei.interp : "none");
	if (want_needed)
		ok(has_needed(&ei, want_needed), "%s needs %s", path, want_needed);

	/* The same file parsed from memory gives the same answer. */
	elf_info_init(&em);
	if (read_whole(path, (size_t)256 << 20, &data, &len) == 0) {
		bool same;
		size_t i;

		ret = elf_parse(data, len, &em, &err);
		same = ret == 0 && em.elf_class == ei.elf_class &&
		       em.machine == ei.machine && em.type == ei.type &&
		       em.needed.nr == ei.needed.nr &&
		       !!em.interp == !!ei.interp &&
		       (!em.interp || !strcmp(em.interp, ei.interp)) &&
		       !!em.runpath == !!ei.runpath &&
		       (!em.runpath || !strcmp(em.runpath, ei.runpath));
		for (i = 0; same && i < em.needed.nr; i++)
			same = !strcmp(em.needed.v[i], ei.needed.v[i]);
		ok(same, "%s: elf_parse and elf_read_fd agree", path);
	} else {
		skip("cannot read the file into memory");
	}
	free(data);
	elf_info_release(&em);
	elf_info_release(&ei);
	strbuf_release(&err);
}

static void test_real(void)
{
	char *python = find_python();

	if (python) {
		test_real_file(python, true, "libc.so.6");
		free(python);
	} else {
		skip("no /usr/bin/python3.* on this machine");
	}
	test_real_file("/bin/sh", true, "libc.so.6");
	test_real_file("/lib/x86_64-linux-gnu/libc.so.6", false, NULL);
}

/* ---- hand-built images ---- */

static void test_builder_roundtrip(void)
{
	int v;

	for (v = 0; v < 4; v++) {
		bool is64 = v & 1, msb = v & 2;
		struct img im = full_image(is64, msb);
		struct elf_info ei;
		struct strbuf err = STRBUF_INIT;
		int ret;

		elf_info_init(&ei);
		ret = elf_parse(im.data, im.len, &ei, &err);
		if (!is_int(ret, 0, variant_name(is64, msb)))
			printf("# %s\n", err.buf);
		is_int(ei.elf_class, is64 ? ELFCLASS64 : ELFCLASS32, "  class");
		is_int(ei.machine, EM_X86_64, "  machine decoded in its byte order");
		is_int(ei.type, ET_DYN, "  type");
		is_str(ei.interp, full_spec.interp, "  PT_INTERP");
		is_int((long long)ei.needed.nr, 2, "  two DT_NEEDED");
		is_str(ei.needed.nr > 0 ? ei.needed.v[0] : NULL, "libfoo.so.1", "  first DT_NEEDED");
		is_str(ei.needed.nr > 1 ? ei.needed.v[1] : NULL, "libc.so.6", "  second DT_NEEDED");
		is_str(ei.runpath, "/opt/lib:$ORIGIN", "  DT_RUNPATH");
		elf_info_release(&ei);
		strbuf_release(&err);
		free(im.data);
	}
}

static void test_runpath_rpath(void)
{
	struct spec sp = full_spec;
	struct img im;
	struct elf_info ei;
	struct strbuf err = STRBUF_INIT;

	elf_info_init(&ei);
	sp.rpath = "/rpath/lib";
	build(&sp, &im);
	is_int(elf_parse(im.data, im.len, &ei, &err), 0, "RPATH and RUNPATH: parsed");
	is_str(ei.runpath, "/opt/lib:$ORIGIN", "DT_RUNPATH wins over DT_RPATH");
	free(im.data);

	sp.runpath = NULL;
	build(&sp, &im);
	is_int(elf_parse(im.data, im.len, &ei, &err), 0, "RPATH only: parsed");
	is_str(ei.runpath, "/rpath/lib", "DT_RPATH used without DT_RUNPATH");
	free(im.data);

	sp = full_spec;
	sp.no_dynamic = true;
	sp.interp = NULL;
	build(&sp, &im);
	is_int(elf_parse(im.data, im.len, &ei, &err), 0, "static file: parsed");
	ok(!ei.interp && ei.needed.nr == 0 && !ei.runpath, "static file: nothing needed");
	free(im.data);
	elf_info_release(&ei);
	strbuf_release(&err);
}

static void test_not_elf(void)
{
	static const unsigned char script[] = "#!/bin/sh\necho hi\n";
	static const unsigned char almost[] = "\x7f" "ELG" "\x02\x01\x01";
	struct strbuf err = STRBUF_INIT;

	is_int(parse_err(NULL, 0, &err), 1, "no data: not an ELF");
	is_int(parse_err(script, sizeof(script) - 1, &err), 1, "a shell script: not an ELF");
	is_int(parse_err(almost, sizeof(almost) - 1, &err), 1, "wrong magic: not an ELF");
	is_int(parse_err((const unsigned char *)"\x7f" "EL", 3, &err), 1,
	       "three bytes of magic: not an ELF");
	is_int((long long)err.len, 0, "not an ELF is not an error");
	strbuf_release(&err);
}

static void test_truncated(void)
{
	int v;

	for (v = 0; v < 4; v++) {
		bool is64 = v & 1, msb = v & 2;
		struct img im = full_image(is64, msb);
		bool all = true, conv = true;
		size_t len;

		for (len = 0; len < im.len; len++) {
			struct elf_info ei;
			unsigned char *copy = xmalloc(len ? len : 1);
			int want = len < SELFMAG ? 1 : -1, ret;

			/* An exact-size copy, so ASan sees any read past it. */
			memcpy(copy, im.data, len);
			elf_info_init(&ei);
			ret = parse_checked(copy, len, &ei, &conv);
			if (ret != want) {
				if (all)
					printf("# length %zu gave %d\n", len, ret);
				all = false;
			}
			elf_info_release(&ei);
			free(copy);
		}
		ok(all, "%s: every truncation (0..%zu bytes) rejected", variant_name(is64, msb),
		   im.len - 1);
		ok(conv, "%s: truncations follow the return convention", variant_name(is64, msb));
		free(im.data);
	}
}

/* Build the full image, apply one change, expect -1 with a message. */
typedef void (*mutator)(struct img *im);

static void expect_bad(mutator m, const char *what)
{
	int v;
	bool all = true;
	struct strbuf err = STRBUF_INIT;

	for (v = 0; v < 4; v++) {
		struct img im = full_image(v & 1, v & 2);
		int ret;

		m(&im);
		ret = parse_err(im.data, im.len, &err);
		if (ret != -1 || !err.len || strchr(err.buf, '\n')) {
			printf("# %s: got %d '%s'\n", variant_name(v & 1, v & 2), ret, err.buf);
			all = false;
		}
		free(im.data);
	}
	if (ok(all, "%s: rejected in all four variants", what))
		printf("#   (%s)\n", err.buf);
	strbuf_release(&err);
}

static uint64_t word_max(const struct img *im)
{
	return im->is64 ? UINT64_MAX : UINT32_MAX;
}

static void m_class(struct img *im) { im->data[EI_CLASS] = 7; }
static void m_data(struct img *im) { im->data[EI_DATA] = 0; }
static void m_phoff_end(struct img *im) { PUT(im, 0, Ehdr, e_phoff, im->len); }
static void m_phoff_wrap(struct img *im) { PUT(im, 0, Ehdr, e_phoff, word_max(im) - 8); }
static void m_phnum_overflow(struct img *im)
{
	PUT(im, 0, Ehdr, e_phnum, 0xffff);
	PUT(im, 0, Ehdr, e_phentsize, 0xffff);
}
static void m_phnum_big(struct img *im) { PUT(im, 0, Ehdr, e_phnum, ELF_MAX_PHDRS + 1); }
static void m_phentsize(struct img *im) { PUT(im, 0, Ehdr, e_phentsize, 8); }
static void m_phnum_past(struct img *im) { PUT(im, 0, Ehdr, e_phnum, 1000); }
static void m_dyn_outside(struct img *im)
{
	PUT(im, im->ph_dyn, Phdr, p_offset, im->len - 8);
}
static void m_dyn_wrap(struct img *im)
{
	PUT(im, im->ph_dyn, Phdr, p_offset, word_max(im) - 4);
}
static void m_dyn_size(struct img *im)
{
	PUT(im, im->ph_dyn, Phdr, p_filesz, word_max(im));
}
static void m_interp_outside(struct img *im)
{
	PUT(im, im->ph_interp, Phdr, p_offset, im->len - 2);
}
static void m_interp_wrap(struct img *im)
{
	PUT(im, im->ph_interp, Phdr, p_offset, word_max(im));
}
static void m_interp_nul(struct img *im)
{
	PUT(im, im->ph_interp, Phdr, p_filesz, 4);
}
static void m_interp_huge(struct img *im)
{
	PUT(im, im->ph_interp, Phdr, p_filesz, word_max(im));
}
static void m_strtab_unmapped(struct img *im)
{
	PUT(im, im->dyn_strtab, Dyn, d_un, 0x10);
}
static void m_strtab_past_load(struct img *im)
{
	PUT(im, im->dyn_strtab, Dyn, d_un, im->base + im->len);
}
static void m_load_short(struct img *im)
{
	/* The segment ends before the string table does. */
	PUT(im, im->ph_load, Phdr, p_filesz, im->str_off + 2);
}
static void m_load_outside(struct img *im)
{
	/* The segment claims more bytes than the file has. */
	PUT(im, im->ph_load, Phdr, p_filesz, im->len + 4096);
}
static void m_load_wrap(struct img *im)
{
	PUT(im, im->ph_load, Phdr, p_offset, word_max(im) - 16);
}
static void m_strsz_big(struct img *im)
{
	PUT(im, im->dyn_strsz, Dyn, d_un, im->str_len + 1);
}
static void m_strsz_wrap(struct img *im)
{
	PUT(im, im->dyn_strsz, Dyn, d_un, word_max(im));
}
static void m_str_past(struct img *im)
{
	PUT(im, im->dyn_needed0, Dyn, d_un, im->str_len + 5);
}
static void m_str_at_end(struct img *im)
{
	PUT(im, im->dyn_needed0, Dyn, d_un, im->str_len);
}
static void m_str_wrap(struct img *im)
{
	PUT(im, im->dyn_needed0, Dyn, d_un, word_max(im));
}
static void m_no_nul(struct img *im)
{
	/* The last string of the table loses its terminating NUL. */
	im->data[im->len - 1] = 'x';
}
static void m_no_nul_strsz(struct img *im)
{
	/* A NUL exists after the table, but DT_STRSZ stops before it. */
	PUT(im, im->dyn_strsz, Dyn, d_un, im->str_len - 1);
}
static void m_no_strtab(struct img *im)
{
	PUT(im, im->dyn_strtab, Dyn, d_tag, DT_DEBUG);
}
static void m_two_dyn(struct img *im)
{
	PUT(im, im->ph_interp, Phdr, p_type, PT_DYNAMIC);
}

static void test_malformed(void)
{
	expect_bad(m_class, "unknown EI_CLASS");
	expect_bad(m_data, "unknown EI_DATA");
	expect_bad(m_phoff_end, "e_phoff at the end of the file");
	expect_bad(m_phoff_wrap, "e_phoff + size wraps around");
	expect_bad(m_phnum_overflow, "e_phnum * e_phentsize overflow");
	expect_bad(m_phnum_big, "more than ELF_MAX_PHDRS program headers");
	expect_bad(m_phentsize, "e_phentsize smaller than a program header");
	expect_bad(m_phnum_past, "program headers past the end of the file");
	expect_bad(m_dyn_outside, "PT_DYNAMIC outside the file");
	expect_bad(m_dyn_wrap, "PT_DYNAMIC offset wraps around");
	expect_bad(m_dyn_size, "PT_DYNAMIC size wraps around");
	expect_bad(m_interp_outside, "PT_INTERP outside the file");
	expect_bad(m_interp_wrap, "PT_INTERP offset wraps around");
	expect_bad(m_interp_nul, "PT_INTERP without NUL");
	expect_bad(m_interp_huge, "PT_INTERP larger than the cap");
	expect_bad(m_strtab_unmapped, "DT_STRTAB not in any PT_LOAD");
	expect_bad(m_strtab_past_load, "DT_STRTAB just past the PT_LOAD");
	expect_bad(m_load_short, "string table runs past its PT_LOAD");
	expect_bad(m_load_outside, "PT_LOAD holding DT_STRTAB past the file end");
	expect_bad(m_load_wrap, "PT_LOAD offset wraps around");
	expect_bad(m_strsz_big, "DT_STRSZ past the segment");
	expect_bad(m_strsz_wrap, "DT_STRSZ huge");
	expect_bad(m_str_past, "DT_NEEDED offset past the table");
	expect_bad(m_str_at_end, "DT_NEEDED offset at the table end");
	expect_bad(m_str_wrap, "DT_NEEDED offset huge");
	expect_bad(m_no_nul, "string without terminating NUL");
	expect_bad(m_no_nul_strsz, "string whose NUL lies past DT_STRSZ");
	expect_bad(m_no_strtab, "DT_NEEDED without DT_STRTAB");
	expect_bad(m_two_dyn, "two PT_DYNAMIC");
}

static void test_long_name(void)
{
	char *name = xmalloc(ELF_MAX_NAME + 2);
	struct spec sp = full_spec;
	struct strbuf err = STRBUF_INIT;
	struct elf_info ei;
	struct img im;

	memset(name, 'a', ELF_MAX_NAME + 1);
	name[ELF_MAX_NAME + 1] = '\0';
	sp.needed[0] = name;
	build(&sp, &im);
	is_int(parse_err(im.data, im.len, &err), -1, "DT_NEEDED longer than ELF_MAX_NAME rejected");
	free(im.data);

	name[ELF_MAX_NAME] = '\0';
	build(&sp, &im);
	elf_info_init(&ei);
	is_int(elf_parse(im.data, im.len, &ei, &err), 0, "DT_NEEDED of exactly ELF_MAX_NAME accepted");
	ok(ei.needed.nr == 2 && strlen(ei.needed.v[0]) == ELF_MAX_NAME, "  and read whole");
	elf_info_release(&ei);
	free(im.data);
	free(name);
	strbuf_release(&err);
}

/* ---- elf_read_fd ---- */

static void test_read_fd(void)
{
	struct img im = full_image(true, false);
	char tmpl[] = "/tmp/test-elf.XXXXXX";
	struct strbuf err = STRBUF_INIT;
	struct elf_info ei;
	int fd = mkstemp(tmpl), pfd[2];

	elf_info_init(&ei);
	if (fd < 0) {
		skip("cannot create a temporary file");
		free(im.data);
		return;
	}
	unlink(tmpl);
	ok(write(fd, im.data, im.len) == (ssize_t)im.len, "wrote the image");
	is_int(elf_read_fd(fd, "image", &ei, &err), 0, "elf_read_fd on the image");
	is_int((long long)ei.needed.nr, 2, "  its DT_NEEDED");

	/* A huge sparse file: only the needed parts are read. */
	if (ftruncate(fd, (off_t)4 << 30) == 0) {
		is_int(elf_read_fd(fd, "sparse", &ei, &err), 0, "4 GiB sparse file parsed");
		is_str(ei.interp, full_spec.interp, "  its PT_INTERP");
	} else {
		skip("cannot make a sparse file");
	}
	ok(ftruncate(fd, 40) == 0, "truncated to 40 bytes");
	strbuf_reset(&err);
	is_int(elf_read_fd(fd, "short", &ei, &err), -1, "truncated file rejected");
	ok(strstr(err.buf, "'short'") != NULL, "error names the file: %s", err.buf);
	ok(!ei.interp && !ei.needed.nr, "nothing left behind on error");
	ok(ftruncate(fd, 0) == 0, "emptied");
	is_int(elf_read_fd(fd, "empty", &ei, &err), 1, "empty file: not an ELF");
	close(fd);

	if (pipe(pfd) == 0) {
		strbuf_reset(&err);
		is_int(elf_read_fd(pfd[0], "pipe", &ei, &err), -1, "a pipe is refused");
		ok(strstr(err.buf, "not a regular file") != NULL, "  %s", err.buf);
		close(pfd[0]);
		close(pfd[1]);
	}
	elf_info_release(&ei);
	strbuf_release(&err);
	free(im.data);
}

/* im with all that follows its program headers (from `first`) moved `by`
 * bytes on, zeros between, its offsets and addresses to match. */
static struct img shifted(const struct img *im, size_t first, size_t by)
{
	struct img s = *im;

	s.len = im->len + by;
	s.data = xcalloc(1, s.len);
	memcpy(s.data, im->data, first);
	memcpy(s.data + first + by, im->data + first, im->len - first);
	s.dyn_off += by;
	s.str_off += by;
	s.dyn_needed0 += by;
	s.dyn_strtab += by;
	s.dyn_strsz += by;
	PUT(&s, s.ph_load, Phdr, p_filesz, s.len);
	PUT(&s, s.ph_load, Phdr, p_memsz, s.len);
	PUT(&s, s.ph_interp, Phdr, p_offset, first + by);
	PUT(&s, s.ph_dyn, Phdr, p_offset, s.dyn_off);
	PUT(&s, s.ph_dyn, Phdr, p_vaddr, s.base + s.dyn_off);
	PUT(&s, s.dyn_strtab, Dyn, d_un, s.base + s.str_off);
	return s;
}

/* elf_read_fd() reads a file's first ELF_HEAD_BYTES at once and the rest
 * where it lies: each part (PT_INTERP, the dynamic section, the strings)
 * placed across that boundary, starting on it, and ending on it, reads
 * the same as from memory. */
static void test_read_fd_head(void)
{
	struct img im = full_image(true, false);
	size_t first = im.ph_dyn + S_SIZE(true, Phdr);
	const size_t start[] = { first, im.dyn_off, im.str_off };
	const size_t end[] = { im.dyn_off, im.str_off, im.len };
	static const char *const part[] = { "PT_INTERP", "the dynamic section", "the strings" };
	struct strbuf err = STRBUF_INIT;
	size_t k, j;

	for (k = 0; k < ARRAY_SIZE(start); k++)
		for (j = 0; j < 3; j++) {
			static const char *const where[] = { "across", "from", "up to" };
			size_t by = j == 0 ? ELF_HEAD_BYTES - start[k] - 1 :
				    j == 1 ? ELF_HEAD_BYTES - start[k] : ELF_HEAD_BYTES - end[k];
			struct img s = shifted(&im, first, by);
			char tmpl[] = "/tmp/test-elf.XXXXXX";
			int fd = mkstemp(tmpl);
			struct elf_info ei, em;

			elf_info_init(&ei);
			elf_info_init(&em);
			strbuf_reset(&err);
			if (fd >= 0)
				unlink(tmpl);
			if (fd < 0 || write(fd, s.data, s.len) != (ssize_t)s.len) {
				skip("cannot write a temporary file");
			} else {
				bool same;

				int r = elf_read_fd(fd, "moved", &ei, &err);

				ok(r == 0, "%s %s byte %d: elf_read_fd reads it%s%s", part[k],
				   where[j], ELF_HEAD_BYTES, err.len ? ": " : "", err.buf);
				is_int(elf_parse(s.data, s.len, &em, &err), 0, "  and elf_parse");
				same = ei.interp && em.interp && !strcmp(ei.interp, full_spec.interp) &&
				       !strcmp(em.interp, full_spec.interp) && ei.needed.nr == 2 &&
				       em.needed.nr == 2 && !strcmp(ei.needed.v[0], "libfoo.so.1") &&
				       !strcmp(ei.needed.v[1], "libc.so.6") &&
				       !strcmp(em.needed.v[1], "libc.so.6") && ei.runpath &&
				       !strcmp(ei.runpath, full_spec.runpath);
				ok(same, "  both find its interpreter, needed libraries and RUNPATH");
			}
			if (fd >= 0)
				close(fd);
			elf_info_release(&ei);
			elf_info_release(&em);
			free(s.data);
		}
	strbuf_release(&err);
	free(im.data);
}

/* ---- fuzz ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

/* Flip random bytes of seed, biased towards the headers, and parse;
 * count the results. Returns false when the convention broke. */
static bool fuzz(const unsigned char *seed, size_t len, int rounds, int counts[3])
{
	unsigned char *buf = xmalloc(len ? len : 1);
	bool conv = true;
	int r;

	for (r = 0; r < rounds; r++) {
		struct elf_info ei;
		size_t n = len, flips = 1 + rng() % 8, i;
		int ret;

		memcpy(buf, seed, len);
		for (i = 0; i < flips; i++) {
			size_t at = (rng() & 1) && len > 1024 ? rng() % 1024 : rng() % len;

			buf[at] ^= (unsigned char)(1 + rng() % 255);
		}
		if (rng() % 16 == 0)
			n = rng() % (len + 1);
		elf_info_init(&ei);
		ret = parse_checked(buf, n, &ei, &conv);
		if (ret >= -1 && ret <= 1)
			counts[ret + 1]++;
		else
			conv = false;
		elf_info_release(&ei);
	}
	free(buf);
	return conv;
}

static void fuzz_file(const char *path, int rounds)
{
	unsigned char *data = NULL;
	size_t len = 0;
	int counts[3] = { 0, 0, 0 };
	struct elf_info ei;
	bool conv;

	if (read_whole(path, 64 << 10, &data, &len) < 0 || len < SELFMAG) {
		skip("cannot read a seed file");
		free(data);
		return;
	}
	elf_info_init(&ei);
	printf("# seed %s (first %zu bytes) parses to %d\n", path, len,
	       parse_checked(data, len, &ei, NULL));
	elf_info_release(&ei);
	conv = fuzz(data, len, rounds, counts);
	ok(conv, "fuzz %s x%d: every result is 0, 1 or -1 per convention "
	   "(%d ok, %d not ELF, %d malformed)", path, rounds, counts[1], counts[2], counts[0]);
	free(data);
}

static void test_fuzz(void)
{
	static const char *const small[] = {
		"/lib/x86_64-linux-gnu/libdl.so.2", "/lib/aarch64-linux-gnu/libdl.so.2",
		"/usr/bin/true", "/bin/true",
	};
	char *python = find_python();
	int v, counts[3] = { 0, 0, 0 };
	bool conv = true;
	size_t i;

	/* A whole real ELF that fits in 64 KiB reaches the dynamic section. */
	for (i = 0; i < ARRAY_SIZE(small); i++) {
		struct stat st;

		if (stat(small[i], &st) == 0 && st.st_size <= 64 << 10) {
			fuzz_file(small[i], 20000);
			break;
		}
	}
	if (i == ARRAY_SIZE(small))
		skip("no small real ELF to fuzz");
	/* The first 64 KiB of a large one: headers, PT_INTERP, strings. */
	if (python) {
		fuzz_file(python, 20000);
		free(python);
	} else {
		fuzz_file("/bin/sh", 20000);
	}
	for (v = 0; v < 4; v++) {
		struct img im = full_image(v & 1, v & 2);

		conv &= fuzz(im.data, im.len, 5000, counts);
		free(im.data);
	}
	ok(conv, "fuzz built images 4x5000 (%d ok, %d not ELF, %d malformed)",
	   counts[1], counts[2], counts[0]);
}

int main(void)
{
	test_real();
	test_builder_roundtrip();
	test_runpath_rpath();
	test_not_elf();
	test_truncated();
	test_malformed();
	test_long_name();
	test_read_fd();
	test_read_fd_head();
	test_fuzz();
	return done_testing();
}
