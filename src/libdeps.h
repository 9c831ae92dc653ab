/* libdeps.h - shared-library closure, resolved only into trusted directories.
 *
 * What MUST hold (DESIGN.md, invariant 6):
 *
 * 1. A library is found only as dir + "/" + name with dir one of ld->dirs:
 *    the system library directories and those the caller adds, or a
 *    directory the RUNPATH of a trusted file names (rule 3). Nothing a
 *    scanned file of the venv says can add a directory.
 * 2. A DT_NEEDED name containing '/' (or empty, "." or "..") is ignored.
 * 3. A trusted file (the caller's, or one found through rule 1) is
 *    resolved as the loader would: its DT_RUNPATH / DT_RPATH first, with
 *    $ORIGIN expanded against its real directory (uv's Pythons:
 *    $ORIGIN/../lib), so that a library of the same name from another
 *    directory never stands in for the one it names. For a file found in
 *    a scan of the venv, RUNPATH entries only reorder the search: an entry
 *    is used when it equals a directory already in ld->dirs; '$' entries
 *    and all others are ignored.
 * 4. PT_INTERP is used only when its directory is in ld->dirs.
 * 5. No file is executed (the ELF reader in elf.h only reads), and a tree
 *    scan never follows a symlink.
 * 6. Every walk is capped (LIBDEPS_MAX_*); a malformed ELF met while
 *    scanning is skipped, not fatal.
 */
#ifndef SV_LIBDEPS_H
#define SV_LIBDEPS_H

#include <stdbool.h>
#include <stddef.h>
#include "strbuf.h"
#include "strmap.h"
#include "strvec.h"

/* ld.so.conf: include nesting, files read, bytes per file. */
#define LIBDEPS_MAX_CONF_DEPTH 8
#define LIBDEPS_MAX_CONF_FILES 256
#define LIBDEPS_MAX_CONF_SIZE ((size_t)1 << 20)
/* Trusted directories. */
#define LIBDEPS_MAX_DIRS 1024
/* Distinct files parsed over the life of one struct libdeps. */
#define LIBDEPS_MAX_FILES 200000
/* libdeps_scan_tree(): directory depth and entries visited. */
#define LIBDEPS_SCAN_MAX_DEPTH 64
#define LIBDEPS_SCAN_MAX_ENTRIES 1000000
/* The smallest executable file a scan reads. A console script is smaller;
 * a dynamic program is not unless cut to that size on purpose (the
 * smallest on a Debian system are about 6 KiB; gcc and ld make 14 KiB by
 * default, and 720 bytes with every trick and the section headers cut
 * off). Such a program lacks its libraries in the sandbox. */
#define LIBDEPS_SCAN_MIN_PROGRAM 1024


struct libdeps {
	struct strvec dirs;    /* trusted search directories, in order */
	struct strvec found;   /* absolute paths to expose, sorted, unique */
	/* private bookkeeping */
	struct strmap seen;      /* "dev:ino" -> parsed file */
	struct strmap found_set; /* paths in found */
	struct strmap resolved;  /* "class:machine:name" looked up in dirs order */
};

void libdeps_init(struct libdeps *ld);
void libdeps_release(struct libdeps *ld);

/* The Debian-style multiarch triplet of the machine this is built for
 * ("x86_64-linux-gnu", "aarch64-linux-gnu", ...), or NULL if unknown. */
const char *libdeps_multiarch_triplet(void);

/* Add the system library directories: those of <root>/etc/ld.so.conf (with
 * its "include" globs, nested at most LIBDEPS_MAX_CONF_DEPTH deep), then
 * /lib, /usr/lib, /lib64, /usr/lib64, /lib/<triplet>, /usr/lib/<triplet>.
 * root (normally "/", NULL means "/") prefixes every path read and every
 * directory added. Directories that do not exist, relative entries and
 * duplicates are dropped. A missing ld.so.conf is not an error. */
int libdeps_add_system_dirs(struct libdeps *ld, const char *root,
			    struct strbuf *err);

/* Add one more trusted directory (the base interpreter's own lib dir).
 * Trailing slashes are dropped; a duplicate, a relative path or one that is
 * not a directory is ignored. */
void libdeps_add_dir(struct libdeps *ld, const char *dir);

/* Add the closure of the ELF file at path (symlinks followed: the caller
 * trusts the path): its PT_INTERP, then every DT_NEEDED resolved in
 * ld->dirs (first match with the same ELF class and machine), recursively,
 * each file parsed once. Libraries are recorded as dir + "/" + name, the
 * path the loader would use. path itself goes into found only when
 * add_self. Not an ELF: returns 0 and adds nothing. A malformed or
 * unreadable path: -1 with one line in err. Names that resolve nowhere are
 * skipped. */
int libdeps_add_file(struct libdeps *ld, const char *path, bool add_self,
		     struct strbuf *err);

/* Walk the tree at dir without following symlinks and add the closure (not
 * the files themselves) of every regular file named *.so or *.so.*, or with
 * an execute bit and at least LIBDEPS_SCAN_MIN_PROGRAM bytes, that is an
 * ELF file. Entries that cannot be opened or are
 * malformed ELF are skipped and counted in *skipped (when not NULL). With
 * trusted, the files found are trusted (rule 3): a host directory from the
 * table, never the venv. More
 * than LIBDEPS_SCAN_MAX_ENTRIES entries or LIBDEPS_SCAN_MAX_DEPTH levels is
 * an error. */
int libdeps_scan_tree(struct libdeps *ld, const char *dir, bool trusted, size_t *skipped,
		      struct strbuf *err);

#endif
