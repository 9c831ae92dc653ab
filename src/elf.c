/* elf.c - bounded ELF reader.
 *
 * What MUST hold (see elf.h): every value read from the file is checked
 * before use; every read goes through src_read(), which checks the range
 * against the file size with overflow-safe arithmetic and charges the
 * ELF_MAX_READ budget; no string is read past its table or without its NUL.
 * The file is only ever read: never mapped executable, never run.
 */
#include "elf.h"

#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where the bytes come from: a memory image or a file descriptor. */
struct elf_src {
	const unsigned char *mem;  /* memory image, or NULL to pread fd */
	int fd;
	const unsigned char *head; /* the file's first head_len bytes */
	uint64_t head_len;
	uint64_t size;             /* bytes in the image / file */
	uint64_t budget;           /* bytes that may still be read */
	const char *what;
};

/* How to decode: class and byte order from e_ident. */
struct elf_dec {
	bool is64;
	bool msb;
};

/* A PT_LOAD segment, to translate virtual addresses to file offsets. */
struct elf_seg {
	uint64_t vaddr;
	uint64_t offset;
	uint64_t filesz;
};

/* Offset and size of a field in the 32- or 64-bit structure of <elf.h>. */
#define F_OFF(d, S, f) ((d)->is64 ? offsetof(Elf64_##S, f) : offsetof(Elf32_##S, f))
#define F_SIZE(d, S, f) ((d)->is64 ? sizeof(((Elf64_##S *)0)->f) : sizeof(((Elf32_##S *)0)->f))
#define S_SIZE(d, S) ((d)->is64 ? sizeof(Elf64_##S) : sizeof(Elf32_##S))
#define GET(d, p, S, f) get_field((d), (p), F_OFF(d, S, f), F_SIZE(d, S, f))

static uint64_t get_field(const struct elf_dec *d, const unsigned char *p,
			  size_t off, size_t size)
{
	uint64_t v = 0;
	size_t i;

	p += off;
	for (i = 0; i < size; i++) {
		size_t k = d->msb ? i : size - 1 - i;

		v = (v << 8) | p[k];
	}
	return v;
}

void elf_info_init(struct elf_info *ei)
{
	ei->elf_class = ELFCLASSNONE;
	ei->machine = EM_NONE;
	ei->type = ET_NONE;
	ei->interp = NULL;
	strvec_init(&ei->needed);
	ei->runpath = NULL;
}

void elf_info_release(struct elf_info *ei)
{
	free(ei->interp);
	free(ei->runpath);
	strvec_clear(&ei->needed);
	elf_info_init(ei);
}

static int bad(const struct elf_src *s, struct strbuf *err, const char *why)
{
	strbuf_addf(err, "invalid ELF file '%s': %s", s->what, why);
	return -1;
}

/* Copy n bytes at off into buf. Fails (one line in err) when the range is
 * not inside the file, the budget is spent, or the read fails. */
static int src_read(struct elf_src *s, uint64_t off, size_t n, void *buf,
		    const char *part, struct strbuf *err)
{
	unsigned char *out = buf;
	uint64_t end;

	if (__builtin_add_overflow(off, (uint64_t)n, &end) || end > s->size) {
		strbuf_addf(err, "invalid ELF file '%s': %s outside the file",
			    s->what, part);
		return -1;
	}
	if (n > s->budget) {
		strbuf_addf(err, "invalid ELF file '%s': more than %llu bytes to read",
			    s->what, (unsigned long long)ELF_MAX_READ);
		return -1;
	}
	s->budget -= n;
	if (s->mem || (s->head && end <= s->head_len)) {
		memcpy(out, (s->mem ? s->mem : s->head) + off, n);
		return 0;
	}
	while (n) {
		ssize_t r = pread(s->fd, out, n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			strbuf_addf(err, "cannot read '%s': %s", s->what,
				    strerror(errno));
			return -1;
		}
		if (r == 0) {
			strbuf_addf(err, "cannot read '%s': file shrank while reading",
				    s->what);
			return -1;
		}
		out += r;
		off += (uint64_t)r;
		n -= (size_t)r;
	}
	return 0;
}

/* Read the NUL-terminated string at byte `off` of the table [tab, tab+tablen)
 * into *out. The NUL must lie inside the table and the string may not be
 * longer than max. Reads grow geometrically so that short names in a large
 * table stay cheap. */
static int read_string(struct elf_src *s, uint64_t tab, uint64_t tablen,
		       uint64_t off, size_t max, const char *part, char **out,
		       struct strbuf *err)
{
	cleanup_free unsigned char *buf = NULL;
	uint64_t avail;
	size_t have = 0, want = 256;

	if (off >= tablen) {
		strbuf_addf(err, "invalid ELF file '%s': %s offset outside the string table",
			    s->what, part);
		return -1;
	}
	avail = tablen - off;
	for (;;) {
		size_t n = want;
		unsigned char *nul;

		if (n > max + 1)
			n = max + 1;
		if (n > avail)
			n = (size_t)avail;
		buf = xrealloc(buf, n);
		if (src_read(s, tab + off + have, n - have, buf + have, part, err) < 0)
			return -1;
		nul = memchr(buf + have, '\0', n - have);
		if (nul) {
			*out = xstrndup((char *)buf, (size_t)(nul - buf));
			return 0;
		}
		have = n;
		if (have == avail) {
			strbuf_addf(err, "invalid ELF file '%s': %s not terminated inside the string table",
				    s->what, part);
			return -1;
		}
		if (have > max) {
			strbuf_addf(err, "invalid ELF file '%s': %s longer than %zu bytes",
				    s->what, part, max);
			return -1;
		}
		want = have * 2;
	}
}

/* The file offset and remaining length in its segment of virtual address
 * addr, through the PT_LOAD segments. */
static int vaddr_to_offset(const struct elf_src *s, const struct elf_seg *segs,
			   size_t nsegs, uint64_t addr, uint64_t *off,
			   uint64_t *room)
{
	size_t i;

	for (i = 0; i < nsegs; i++) {
		const struct elf_seg *g = &segs[i];
		uint64_t end, delta;

		if (addr < g->vaddr)
			continue;
		delta = addr - g->vaddr;
		if (delta >= g->filesz)
			continue;
		if (__builtin_add_overflow(g->offset, g->filesz, &end) || end > s->size)
			continue;
		*off = g->offset + delta;
		*room = g->filesz - delta;
		return 0;
	}
	return -1;
}

struct dyn_refs {
	uint64_t needed[ELF_MAX_NEEDED];
	size_t nneeded;
	bool has_strtab, has_strsz, has_runpath, has_rpath;
	uint64_t strtab, strsz, runpath, rpath;
};

static int read_dynamic(struct elf_src *s, const struct elf_dec *d,
			uint64_t off, uint64_t filesz, struct dyn_refs *r,
			struct strbuf *err)
{
	cleanup_free unsigned char *buf = NULL;
	size_t entsize = S_SIZE(d, Dyn);
	uint64_t count = filesz / entsize, end;
	size_t i;

	if (__builtin_add_overflow(off, filesz, &end) || end > s->size)
		return bad(s, err, "PT_DYNAMIC outside the file");
	if (count > ELF_MAX_DYN)
		count = ELF_MAX_DYN;
	buf = xmalloc(count ? count * entsize : 1);
	if (src_read(s, off, (size_t)count * entsize, buf, "PT_DYNAMIC", err) < 0)
		return -1;
	for (i = 0; i < count; i++) {
		const unsigned char *p = buf + i * entsize;
		uint64_t tag = GET(d, p, Dyn, d_tag);
		uint64_t val = GET(d, p, Dyn, d_un);

		switch (tag) {
		case DT_NULL:
			return 0;
		case DT_NEEDED:
			if (r->nneeded == ELF_MAX_NEEDED)
				return bad(s, err, "too many DT_NEEDED entries");
			r->needed[r->nneeded++] = val;
			break;
		case DT_STRTAB:
			if (!r->has_strtab)
				r->strtab = val;
			r->has_strtab = true;
			break;
		case DT_STRSZ:
			if (!r->has_strsz)
				r->strsz = val;
			r->has_strsz = true;
			break;
		case DT_RUNPATH:
			if (!r->has_runpath)
				r->runpath = val;
			r->has_runpath = true;
			break;
		case DT_RPATH:
			if (!r->has_rpath)
				r->rpath = val;
			r->has_rpath = true;
			break;
		default:
			break;
		}
	}
	if (filesz / entsize > ELF_MAX_DYN)
		return bad(s, err, "too many dynamic entries");
	/* No DT_NULL: the section ends where PT_DYNAMIC ends. */
	return 0;
}

static int parse_strings(struct elf_src *s, const struct elf_seg *segs,
			 size_t nsegs, const struct dyn_refs *r,
			 struct elf_info *ei, struct strbuf *err)
{
	uint64_t tab, tablen;
	size_t i;

	if (!r->nneeded && !r->has_runpath && !r->has_rpath)
		return 0;
	if (!r->has_strtab)
		return bad(s, err, "DT_NEEDED or DT_RUNPATH without DT_STRTAB");
	if (vaddr_to_offset(s, segs, nsegs, r->strtab, &tab, &tablen) < 0)
		return bad(s, err, "DT_STRTAB not inside a PT_LOAD segment");
	if (r->has_strsz) {
		if (r->strsz > tablen)
			return bad(s, err, "DT_STRSZ extends past its PT_LOAD segment");
		tablen = r->strsz;
	}
	for (i = 0; i < r->nneeded; i++) {
		char *name;

		if (read_string(s, tab, tablen, r->needed[i], ELF_MAX_NAME,
				"DT_NEEDED", &name, err) < 0)
			return -1;
		strvec_push_nodup(&ei->needed, name);
	}
	if (r->has_runpath)
		return read_string(s, tab, tablen, r->runpath, ELF_MAX_RUNPATH,
				   "DT_RUNPATH", &ei->runpath, err);
	if (r->has_rpath)
		return read_string(s, tab, tablen, r->rpath, ELF_MAX_RUNPATH,
				   "DT_RPATH", &ei->runpath, err);
	return 0;
}

static int parse_interp(struct elf_src *s, uint64_t off, uint64_t filesz,
			struct elf_info *ei, struct strbuf *err)
{
	cleanup_free unsigned char *buf = NULL;
	unsigned char *nul;

	if (ei->interp)
		return bad(s, err, "more than one PT_INTERP");
	if (filesz == 0 || filesz > ELF_MAX_NAME + 1)
		return bad(s, err, "PT_INTERP size out of range");
	buf = xmalloc((size_t)filesz);
	if (src_read(s, off, (size_t)filesz, buf, "PT_INTERP", err) < 0)
		return -1;
	nul = memchr(buf, '\0', (size_t)filesz);
	if (!nul)
		return bad(s, err, "PT_INTERP not terminated");
	if (nul == buf)
		return bad(s, err, "PT_INTERP empty");
	ei->interp = xstrndup((char *)buf, (size_t)(nul - buf));
	return 0;
}

static int parse_src(struct elf_src *s, struct elf_info *ei, struct strbuf *err)
{
	unsigned char ehdr[sizeof(Elf64_Ehdr)];
	cleanup_free unsigned char *phdrs = NULL;
	cleanup_free struct elf_seg *segs = NULL;
	cleanup_free struct dyn_refs *refs = NULL;
	struct elf_dec dec, *d = &dec;
	uint64_t phoff, phentsize, phnum, phsize;
	uint64_t dyn_off = 0, dyn_size = 0;
	bool has_dyn = false;
	size_t i, nsegs = 0;

	if (s->size < SELFMAG)
		return 1;
	if (src_read(s, 0, SELFMAG, ehdr, "ELF header", err) < 0)
		return -1;
	if (memcmp(ehdr, ELFMAG, SELFMAG) != 0)
		return 1;
	if (s->size < EI_NIDENT)
		return bad(s, err, "truncated ELF header");
	if (src_read(s, SELFMAG, EI_NIDENT - SELFMAG, ehdr + SELFMAG,
		     "ELF header", err) < 0)
		return -1;
	switch (ehdr[EI_CLASS]) {
	case ELFCLASS32: d->is64 = false; break;
	case ELFCLASS64: d->is64 = true; break;
	default: return bad(s, err, "unknown ELF class");
	}
	switch (ehdr[EI_DATA]) {
	case ELFDATA2LSB: d->msb = false; break;
	case ELFDATA2MSB: d->msb = true; break;
	default: return bad(s, err, "unknown byte order");
	}
	if (s->size < S_SIZE(d, Ehdr))
		return bad(s, err, "truncated ELF header");
	if (src_read(s, EI_NIDENT, S_SIZE(d, Ehdr) - EI_NIDENT, ehdr + EI_NIDENT,
		     "ELF header", err) < 0)
		return -1;

	ei->elf_class = ehdr[EI_CLASS];
	ei->type = (uint16_t)GET(d, ehdr, Ehdr, e_type);
	ei->machine = (uint16_t)GET(d, ehdr, Ehdr, e_machine);
	phoff = GET(d, ehdr, Ehdr, e_phoff);
	phentsize = GET(d, ehdr, Ehdr, e_phentsize);
	phnum = GET(d, ehdr, Ehdr, e_phnum);

	if (phnum == 0)
		return 0;
	if (phnum > ELF_MAX_PHDRS)
		return bad(s, err, "too many program headers");
	if (phentsize != S_SIZE(d, Phdr))
		return bad(s, err, "unexpected program header size");
	if (__builtin_mul_overflow(phnum, phentsize, &phsize))
		return bad(s, err, "program header table size overflows");
	phdrs = xmalloc((size_t)phsize);
	if (src_read(s, phoff, (size_t)phsize, phdrs, "program headers", err) < 0)
		return -1;
	segs = xcalloc((size_t)phnum, sizeof(*segs));

	for (i = 0; i < phnum; i++) {
		const unsigned char *p = phdrs + i * phentsize;
		uint64_t off = GET(d, p, Phdr, p_offset);
		uint64_t filesz = GET(d, p, Phdr, p_filesz);

		switch (GET(d, p, Phdr, p_type)) {
		case PT_LOAD:
			segs[nsegs].vaddr = GET(d, p, Phdr, p_vaddr);
			segs[nsegs].offset = off;
			segs[nsegs].filesz = filesz;
			nsegs++;
			break;
		case PT_INTERP:
			if (parse_interp(s, off, filesz, ei, err) < 0)
				return -1;
			break;
		case PT_DYNAMIC:
			if (has_dyn)
				return bad(s, err, "more than one PT_DYNAMIC");
			has_dyn = true;
			dyn_off = off;
			dyn_size = filesz;
			break;
		default:
			break;
		}
	}
	if (!has_dyn)
		return 0;
	refs = xcalloc(1, sizeof(*refs));
	if (read_dynamic(s, d, dyn_off, dyn_size, refs, err) < 0)
		return -1;
	return parse_strings(s, segs, nsegs, refs, ei, err);
}

static int parse_and_settle(struct elf_src *s, struct elf_info *ei,
			    struct strbuf *err)
{
	int ret;

	elf_info_release(ei);
	ret = parse_src(s, ei, err);
	if (ret != 0)
		elf_info_release(ei);
	return ret;
}

int elf_parse(const unsigned char *data, size_t len, struct elf_info *ei,
	      struct strbuf *err)
{
	struct elf_src s = {
		.mem = data, .fd = -1, .size = len, .budget = ELF_MAX_READ,
		.what = "<memory>",
	};

	if (!data)
		s.size = 0;
	return parse_and_settle(&s, ei, err);
}

int elf_read_fd(int fd, const char *what, struct elf_info *ei,
		struct strbuf *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		strbuf_addf(err, "cannot stat '%s': %s", what, strerror(errno));
		elf_info_release(ei);
		return -1;
	}
	return elf_read_fd_stat(fd, &st, what, ei, err);
}

int elf_read_fd_stat(int fd, const struct stat *st, const char *what,
		     struct elf_info *ei, struct strbuf *err)
{
	struct elf_src s = {
		.mem = NULL, .fd = fd, .budget = ELF_MAX_READ, .what = what,
	};
	unsigned char head[ELF_HEAD_BYTES];
	ssize_t n;

	elf_info_release(ei);
	if (!S_ISREG(st->st_mode)) {
		strbuf_addf(err, "cannot read '%s': not a regular file", what);
		return -1;
	}
	s.size = st->st_size < 0 ? 0 : (uint64_t)st->st_size;
	/* One read for what most files need; src_read() reads the rest.
	 * Short (the file shrank) is fine: what is missing is read there,
	 * and found missing. */
	n = pread(fd, head, s.size < sizeof(head) ? (size_t)s.size : sizeof(head), 0);
	if (n > 0) {
		s.head = head;
		s.head_len = (uint64_t)n;
	}
	return parse_and_settle(&s, ei, err);
}

bool elf_magic_fd(int fd)
{
	char magic[SELFMAG];

	return pread(fd, magic, SELFMAG, 0) == SELFMAG && !memcmp(magic, ELFMAG, SELFMAG);
}
