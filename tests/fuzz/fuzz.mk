# tests/fuzz/fuzz.mk - libFuzzer targets for the parsers of hostile input,
# included by the Makefile.
#
#   make fuzz          build every target, run each for FUZZ_SECONDS (600);
#                      make -k fuzz goes on past a finding, -j2 runs two
#   make fuzz-smoke    the regression inputs once, then each target for
#                      FUZZ_SMOKE_SECONDS (15): the CI job
#   make fuzz-build    only build them (build-fuzz/fuzz-TARGET)
#   make fuzz-run-elf  one target; fuzz-regress-elf: its regression inputs
#   make fuzz-clean    remove build-fuzz/
#
# Targets and their inputs:
#   tests/fuzz/fuzz-T.c          LLVMFuzzerTestOneInput for target T
#   tests/fuzz/corpus/T/         seed inputs (read only: never written to)
#   tests/fuzz/T.dict            tokens of T's grammar (libFuzzer -dict)
#   tests/fuzz/regressions/T/    every input that once failed; each must
#                                now pass (fuzz-regress-T)
# A run grows its own corpus in build-fuzz/corpus/T/, writes what it
# finds to build-fuzz/artifacts/T/ and its output to build-fuzz/logs/T.log,
# and prints one summary line. To turn a finding into a regression test:
#   build-fuzz/fuzz-T -minimize_crash=1 -runs=100000 build-fuzz/artifacts/T/crash-...
#   cp build-fuzz/artifacts/T/minimized-from-... tests/fuzz/regressions/T/NAME
#
# Needs clang with its sanitizer and libFuzzer runtimes (Debian and Ubuntu:
# clang and libclang-rt-N-dev for clang-N).

FUZZ_CC ?= clang
FUZZ_B ?= build-fuzz
FUZZ_TARGETS ?= dotenv pyvenv bwrapargs state elf netpolicy
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 15
FUZZ_RSS_MB ?= 2048
# Seconds one input may take before it counts as a hang.
FUZZ_TIMEOUT ?= 10
# Prefix for each run, e.g. FUZZ_NICE="nice -n 19".
FUZZ_NICE ?=
# More libFuzzer options for every run, e.g. FUZZ_FLAGS=-jobs=2.
FUZZ_FLAGS ?=

# Largest input per target: big enough to reach every cap that text of
# that size can reach, small enough to keep runs fast.
#   dotenv, pyvenv: many short lines; the 1000-line cap of pyvenv.cfg.
#   bwrapargs: 4097 one-byte arguments ("a a a ...") take 8194 bytes.
#   state: records of escaped values.
#   elf: headers, tables and ELF_MAX_NAME (4095) byte names.
#   netpolicy: a CONNECT header's NET_HEADER_MAX (8192), a whole TLS
#   record (16389), a mode's NET_MODE_MAX (8192).
FUZZ_MAXLEN_dotenv ?= 8192
FUZZ_MAXLEN_pyvenv ?= 8192
FUZZ_MAXLEN_bwrapargs ?= 12288
FUZZ_MAXLEN_state ?= 8192
FUZZ_MAXLEN_elf ?= 16384
FUZZ_MAXLEN_netpolicy ?= 16640

# The project's flags for clang: warnings as errors, ASan and UBSan with
# every finding fatal. No _FORTIFY_SOURCE or stack protector: ASan checks
# more, and fortified calls would hide overflows from it.
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_CFLAGS = -std=gnu11 -D_GNU_SOURCE -O1 -g $(WARNINGS) $(SECCOMP_CFLAGS) \
	$(FUZZ_SAN)
FUZZ_LIB_SRC := $(LIB_SRC)
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:src/%.c=$(FUZZ_B)/lib/%.o)
FUZZ_BIN := $(FUZZ_TARGETS:%=$(FUZZ_B)/fuzz-%)

FUZZ_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

fuzz-build: $(FUZZ_BIN)

$(FUZZ_B)/lib $(FUZZ_B)/obj:
	mkdir -p $@

# The library, instrumented for coverage; an archive so that each target
# links only the objects it uses.
$(FUZZ_B)/lib/%.o: src/%.c $(wildcard src/*.h) | $(FUZZ_B)/lib
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_B)/libsv.a: $(FUZZ_LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(FUZZ_B)/obj/fuzz-%.o: tests/fuzz/fuzz-%.c $(wildcard src/*.h) | $(FUZZ_B)/obj
	$(FUZZ_CC) $(FUZZ_CFLAGS) -iquote src -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_B)/fuzz-%: $(FUZZ_B)/obj/fuzz-%.o $(FUZZ_B)/libsv.a
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $(LDFLAGS) -o $@ $^ $(SECCOMP_LIBS)

# Run one target for FUZZ_SECONDS; the summary line gives the seconds run,
# the executions, the final coverage (cov: edges, ft: features) and the
# outcome. On a finding the end of the log is shown and the run fails.
fuzz-run-%: $(FUZZ_B)/fuzz-%
	@mkdir -p $(FUZZ_B)/corpus/$* $(FUZZ_B)/artifacts/$* $(FUZZ_B)/logs
	@echo "fuzz-$*: running for $(FUZZ_SECONDS) s (log: $(FUZZ_B)/logs/$*.log)"
	@start=$$(date +%s); \
	$(FUZZ_ENV) $(FUZZ_NICE) $< -max_total_time=$(FUZZ_SECONDS) \
		-max_len=$(FUZZ_MAXLEN_$*) -rss_limit_mb=$(FUZZ_RSS_MB) \
		-timeout=$(FUZZ_TIMEOUT) -print_final_stats=1 \
		$(if $(wildcard tests/fuzz/$*.dict),-dict=tests/fuzz/$*.dict) \
		-artifact_prefix=$(FUZZ_B)/artifacts/$*/ $(FUZZ_FLAGS) \
		$(FUZZ_B)/corpus/$* tests/fuzz/corpus/$* \
		>$(FUZZ_B)/logs/$*.log 2>&1; \
	rc=$$?; secs=$$(( $$(date +%s) - start )); \
	runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $(FUZZ_B)/logs/$*.log); \
	cov=$$(grep -E '^#[0-9]+' $(FUZZ_B)/logs/$*.log | grep 'cov:' | tail -n 1 | \
		sed -E 's/.*(cov: [0-9]+ ft: [0-9]+ corp: [0-9]+).*/\1/'); \
	if [ $$rc -eq 0 ]; then outcome="no findings"; \
	else outcome="FINDING (exit $$rc): see $(FUZZ_B)/logs/$*.log and $(FUZZ_B)/artifacts/$*/"; \
		tail -n 60 $(FUZZ_B)/logs/$*.log; fi; \
	echo "fuzz-$*: $$secs s, $${runs:-?} runs, $${cov:-no coverage line}, $$outcome"; \
	exit $$rc

# Every saved regression input, run once (libFuzzer runs the files it is
# given and exits).
fuzz-regress-%: $(FUZZ_B)/fuzz-%
	@set -- $(wildcard tests/fuzz/regressions/$*/*); \
	if [ $$# -eq 0 ]; then echo "fuzz-$*: no regression inputs"; exit 0; fi; \
	if $(FUZZ_ENV) $< -timeout=$(FUZZ_TIMEOUT) -rss_limit_mb=$(FUZZ_RSS_MB) "$$@" \
		>$(FUZZ_B)/regress-$*.log 2>&1; then \
		echo "fuzz-$*: $$# regression inputs pass"; \
	else \
		tail -n 60 $(FUZZ_B)/regress-$*.log; \
		echo "fuzz-$*: a regression input FAILS (log: $(FUZZ_B)/regress-$*.log)"; \
		exit 1; \
	fi

fuzz: $(FUZZ_TARGETS:%=fuzz-run-%)

fuzz-regress: $(FUZZ_TARGETS:%=fuzz-regress-%)

# For CI: the regressions, then a short run of each target.
fuzz-smoke: FUZZ_SECONDS = $(FUZZ_SMOKE_SECONDS)
fuzz-smoke: fuzz-regress fuzz

fuzz-clean:
	rm -rf $(FUZZ_B)

# Keep the objects and programs between runs.
.SECONDARY: $(FUZZ_LIB_OBJ) $(FUZZ_BIN) $(FUZZ_TARGETS:%=$(FUZZ_B)/obj/fuzz-%.o)

# fuzz-run-T and fuzz-regress-T are not listed: make applies no pattern
# rule to a .PHONY target. They never exist as files, so they always run.
.PHONY: fuzz fuzz-build fuzz-regress fuzz-smoke fuzz-clean
