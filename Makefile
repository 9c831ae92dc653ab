# sandbox-venv - run every entry point of a Python venv in a bubblewrap sandbox.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
# The sandbox's init, a program of its own (src/init-main.c). The launcher
# looks for it next to itself, then in ../libexec/sandbox-venv: keep BINDIR
# and LIBEXECDIR siblings under one prefix, or it runs its own binary as
# the init (slower to start, as safe).
LIBEXECDIR ?= $(PREFIX)/libexec/sandbox-venv
DESTDIR ?=

CC ?= cc
PKG_CONFIG ?= pkg-config
SECCOMP_CFLAGS := $(shell $(PKG_CONFIG) --cflags libseccomp 2>/dev/null)
SECCOMP_LIBS := $(shell $(PKG_CONFIG) --libs libseccomp 2>/dev/null || echo -lseccomp)

WARNINGS = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wvla -Wwrite-strings -Wswitch-enum \
	-Wno-format-nonliteral
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE -fstack-protector-strong \
	-D_FORTIFY_SOURCE=2 $(WARNINGS) $(SECCOMP_CFLAGS) $(CFLAGS) $(EXTRA_CFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(EXTRA_LDFLAGS)
LIBS = $(SECCOMP_LIBS)
# The init is linked statically: no loader, no libseccomp, no libc to map
# (init.h). A warning is an error there: glibc warns of what a static
# program cannot do cleanly (the user database, name resolution). The
# sanitizer build cannot link statically, and links it as the rest.
INIT_LDFLAGS ?= -static-pie -Wl,--fatal-warnings

# The C library the init is linked with: musl where musl-tools is
# installed, else glibc; INIT_LIBC=glibc chooses glibc. A static program of
# musl starts without glibc's start-up work (its probes of the processor,
# a score of page faults): on a virtual machine, where each costs tens of
# microseconds, that is most of a millisecond in every launch
# (bench/RESULTS.md). musl has no _FORTIFY_SOURCE: the init's array
# indexes are checked instead (-fsanitize=bounds, a trap, no run-time
# library). The sanitizer build links the init with glibc.
MUSL_CC ?= musl-gcc
MUSL_LIBDIR ?= /usr/lib/$(patsubst %-gnu,%-musl,$(shell $(CC) -print-multiarch 2>/dev/null))
ifeq ($(origin INIT_LIBC),undefined)
INIT_LIBC := $(if $(and $(wildcard $(MUSL_LIBDIR)/rcrt1.o),$(shell command -v $(MUSL_CC))),musl,glibc)
endif

# Build directory: 'make' uses build/, the sanitizer build build-san/.
B ?= build

LIB_SRC := $(filter-out src/main.c src/init-main.c src/leanalloc.c,$(wildcard src/*.c))
LIB_OBJ := $(LIB_SRC:src/%.c=$(B)/%.o)
UNIT_SRC := $(wildcard tests/unit/test-*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
HELPER_SRC := $(wildcard tests/helpers/*.c)
HELPER_BIN := $(HELPER_SRC:tests/helpers/%.c=$(B)/tests/%)

all: sandbox-venv sandbox-venv-init sandbox-venv-launch $(B)/init-libc

# Mode 0755 whatever the umask: the launcher runs no init that its group
# or others could have changed (run.c).
sandbox-venv sandbox-venv-init sandbox-venv-launch: %: $(B)/%
	install -m 0755 $< $@

$(B)/sandbox-venv: $(B)/main.o $(LIB_OBJ)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
	chmod 0755 $@

# From the library, only what the init uses: none of it may ask the user
# database or resolve names, which a static program cannot do cleanly.
ifeq ($(INIT_LIBC),musl)
# The sources the init is made of: the rest of the library needs what
# musl's headers do not have (libseccomp's). A source the init comes to
# need is an undefined symbol at the link.
INIT_SRC := $(addprefix src/,init-main.c init.c dbus.c evloop.c fsutil.c landlock.c links.c \
	listeners.c strbuf.c strvec.c util.c)
INIT_OBJ := $(INIT_SRC:src/%.c=$(B)/musl/%.o)
MUSL_CFLAGS = $(filter-out $(SECCOMP_CFLAGS),$(ALL_CFLAGS)) -fPIE \
	-fsanitize=bounds -fsanitize-undefined-trap-on-error -isystem $(B)/khdr
# musl-gcc looks in musl's headers only: the kernel's, as Alpine ships
# them, from the system's.
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
$(B)/khdr: | $(B)
	mkdir -p $@.tmp
	ln -sfn /usr/include/linux $@.tmp/linux
	ln -sfn /usr/include/asm-generic $@.tmp/asm-generic
	ln -sfn /usr/include/$(MULTIARCH)/asm $@.tmp/asm
	rm -rf $@ && mv $@.tmp $@
# musl-gcc's own link makes a dynamic program: the static PIE is linked
# here, from musl's start files and libc.a, with gcc's.
MUSL_LINK = -static-pie -nostdlib -Wl,--fatal-warnings -Wl,-z,relro,-z,now \
	$(MUSL_LIBDIR)/rcrt1.o $(MUSL_LIBDIR)/crti.o $$($(CC) -print-file-name=crtbeginS.o)
MUSL_LINK_END = $(MUSL_LIBDIR)/libc.a $$($(CC) -print-libgcc-file-name) \
	$$($(CC) -print-file-name=crtendS.o) $(MUSL_LIBDIR)/crtn.o
$(B)/sandbox-venv-init: $(INIT_OBJ) $(B)/init-libc
	$(CC) $(ALL_LDFLAGS) $(MUSL_LINK) -o $@ $(INIT_OBJ) $(MUSL_LINK_END)
	chmod 0755 $@

$(B)/musl/%.o: src/%.c $(wildcard src/*.h) | $(B)/musl $(B)/khdr
	$(MUSL_CC) $(MUSL_CFLAGS) -c -o $@ $<
$(B)/musl/init.o: $(wildcard src/*.c)
$(B)/musl/init.o: MUSL_CFLAGS += $(BUILD_ID_FLAG)
else
$(B)/sandbox-venv-init: $(B)/init-main.o $(B)/libsv.a $(B)/init-libc
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(INIT_LDFLAGS) -o $@ $(B)/init-main.o $(B)/libsv.a
	chmod 0755 $@
endif
# The launcher the gates name: the same program, built with SV_LEAN, and
# with musl where the init is. It starts in a tenth of the time glibc
# takes (bench/RESULTS.md), and does the launches it can: any other
# command, and a launch that needs libseccomp or the user database beyond
# /etc/passwd, it hands to sandbox-venv by exec (lean.h).
LEAN_SRC := src/main.c $(LIB_SRC)
ifeq ($(INIT_LIBC),musl)
LEAN_OBJ := $(LEAN_SRC:src/%.c=$(B)/lean/%.o) $(B)/lean/leanalloc.o
$(B)/sandbox-venv-launch: $(LEAN_OBJ)
	$(CC) $(ALL_LDFLAGS) $(MUSL_LINK) -o $@ $(LEAN_OBJ) $(MUSL_LINK_END)
	chmod 0755 $@
$(B)/lean/%.o: src/%.c $(wildcard src/*.h) | $(B)/lean $(B)/khdr
	$(MUSL_CC) $(MUSL_CFLAGS) -DSV_LEAN $(BUILD_ID_FLAG) -c -o $@ $<
# The lean launcher with the fdprobe's stand-in for bwrap (below).
$(B)/tests/sandbox-venv-launch-fdprobe: $(wildcard src/*.c src/*.h) | $(B)/tests $(B)/khdr
	rm -rf $@.o && mkdir $@.o
	for f in $(LEAN_SRC) src/leanalloc.c; do \
		$(MUSL_CC) $(MUSL_CFLAGS) -DSV_LEAN $(BUILD_ID_FLAG) -DBWRAP_PATH='"$(FDPROBE_BWRAP)"' \
			-c -o $@.o/$$(basename $$f .c).o $$f || exit 1; \
	done
	$(CC) $(ALL_LDFLAGS) $(MUSL_LINK) -o $@ $@.o/*.o $(MUSL_LINK_END)
	rm -rf $@.o
else
LEAN_OBJ := $(LEAN_SRC:src/%.c=$(B)/lean/%.o)
$(B)/sandbox-venv-launch: $(LEAN_OBJ)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^
	chmod 0755 $@
$(B)/lean/%.o: src/%.c $(wildcard src/*.h) | $(B)/lean
	$(CC) $(ALL_CFLAGS) -DSV_LEAN $(BUILD_ID_FLAG) -c -o $@ $<
$(B)/tests/sandbox-venv-launch-fdprobe: $(wildcard src/*.c src/*.h) | $(B)/tests
	$(CC) $(ALL_CFLAGS) -DSV_LEAN $(BUILD_ID_FLAG) -DBWRAP_PATH='"$(FDPROBE_BWRAP)"' \
		$(ALL_LDFLAGS) -o $@ $(LEAN_SRC)
endif
# The sources that say which build they are.
$(B)/lean/run.o $(B)/lean/init.o $(B)/lean/scfilter.o: $(wildcard src/*.c)

# Which one it is, for the package's Built-Using (debian/rules).
$(B)/init-libc: FORCE | $(B)
	@echo $(INIT_LIBC) | cmp -s - $@ || echo $(INIT_LIBC) > $@

$(B)/libsv.a: $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

# The launcher and the init say which sources they were built from: an
# init from another build refuses to start (init.h).
BUILD_ID := $(shell cat $(sort $(wildcard src/*.c src/*.h)) | cksum | cut -d' ' -f1)
$(B)/run.o $(B)/init.o $(B)/scfilter.o: $(wildcard src/*.c)
BUILD_ID_FLAG = -DSV_BUILD_ID='"$(BUILD_ID)"'
$(B)/run.o $(B)/init.o $(B)/scfilter.o: ALL_CFLAGS += $(BUILD_ID_FLAG)

$(B)/%.o: src/%.c $(wildcard src/*.h) | $(B)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/tests/%: tests/unit/%.c $(LIB_OBJ) $(wildcard src/*.h) tests/unit/tap.h | $(B)/tests
	$(CC) $(ALL_CFLAGS) -iquote src $(ALL_LDFLAGS) -o $@ $< $(LIB_OBJ) $(LIBS)

# The allocator the lean launcher is linked with, tested under other names.
$(B)/tests/test-leanalloc: src/leanalloc.c

$(B)/tests/%: tests/helpers/%.c | $(B)/tests
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBS)

$(B) $(B)/tests $(B)/musl $(B)/lean:
	mkdir -p $@

# The same program with a bwrap path that does not exist, for the
# "bwrap missing" test.
$(B)/tests/sandbox-venv-nobwrap: $(wildcard src/*.c src/*.h) | $(B)/tests
	$(CC) $(ALL_CFLAGS) $(BUILD_ID_FLAG) -DBWRAP_PATH='"/nonexistent/bwrap"' $(ALL_LDFLAGS) -o $@ \
		src/main.c $(LIB_SRC) $(LIBS)

# The same program with a stand-in for bwrap at a fixed path, which lists
# the descriptors it was given: what the launcher lets through to bwrap.
FDPROBE_BWRAP = /tmp/sandbox-venv-fdprobe-bwrap
$(B)/tests/sandbox-venv-fdprobe: $(wildcard src/*.c src/*.h) | $(B)/tests
	$(CC) $(ALL_CFLAGS) $(BUILD_ID_FLAG) -DBWRAP_PATH='"$(FDPROBE_BWRAP)"' $(ALL_LDFLAGS) -o $@ \
		src/main.c $(LIB_SRC) $(LIBS)

tests: $(UNIT_BIN) $(HELPER_BIN) $(B)/sandbox-venv $(B)/sandbox-venv-init $(B)/sandbox-venv-launch \
	$(B)/tests/sandbox-venv-nobwrap \
	$(B)/tests/sandbox-venv-fdprobe $(B)/tests/sandbox-venv-launch-fdprobe

# The whole suite: unit tests, the filter under bwrap, the integration and
# attack tests (as root and as an unprivileged user), then the unit and
# integration tests again with a build under ASan and UBSan.
check: all tests san-tests
	B=$(B) SAN_B=build-san tests/run-all

check-unit: tests
	B=$(B) tests/run-all unit

SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
san-tests:
	$(MAKE) B=build-san CFLAGS="$(SAN_FLAGS)" EXTRA_LDFLAGS="-fsanitize=address,undefined" \
		INIT_LDFLAGS= INIT_LIBC=glibc tests

check-san: san-tests
	B=build-san ASAN_OPTIONS=detect_leaks=1 tests/run-all unit
	B=build-san SV_SHELL_CURRENT_USER_ONLY=1 tests/run-all shell

# The quick start's demo: wrap a venv in a fresh project and probe it.
demo: all
	scripts/demo

MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/vendor-completions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d

# The binary, its init, the man page and the bash, zsh and fish completions.
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 0755 sandbox-venv $(DESTDIR)$(BINDIR)/sandbox-venv
	install -m 0755 sandbox-venv-init $(DESTDIR)$(LIBEXECDIR)/sandbox-venv-init
	install -m 0755 sandbox-venv-launch $(DESTDIR)$(LIBEXECDIR)/sandbox-venv-launch
	install -m 0644 doc/sandbox-venv.1 $(DESTDIR)$(MANDIR)/man1/sandbox-venv.1
	install -m 0644 completions/sandbox-venv.bash $(DESTDIR)$(BASHCOMPDIR)/sandbox-venv
	install -m 0644 completions/_sandbox-venv $(DESTDIR)$(ZSHCOMPDIR)/_sandbox-venv
	install -m 0644 completions/sandbox-venv.fish $(DESTDIR)$(FISHCOMPDIR)/sandbox-venv.fish

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/sandbox-venv $(DESTDIR)$(LIBEXECDIR)/sandbox-venv-init \
		$(DESTDIR)$(LIBEXECDIR)/sandbox-venv-launch \
		$(DESTDIR)$(MANDIR)/man1/sandbox-venv.1 \
		$(DESTDIR)$(BASHCOMPDIR)/sandbox-venv \
		$(DESTDIR)$(ZSHCOMPDIR)/_sandbox-venv \
		$(DESTDIR)$(FISHCOMPDIR)/sandbox-venv.fish
	rmdir $(DESTDIR)$(LIBEXECDIR) 2>/dev/null || true

clean:
	rm -rf build build-san build-fuzz sandbox-venv sandbox-venv-init sandbox-venv-launch

FORCE:
.PHONY: FORCE demo san-tests all check check-unit check-san install uninstall clean tests

include tests/fuzz/fuzz.mk
