# nslab - a Linux network lab driven from Lua.
#
#   make          build bin/nslab and lib/nslab/core.so
#   make deps     install the missing Debian packages listed in vendor/
#   make run      deps + build + the main lab
#   make test     deps + build + every spec and lab; last line "N passed, N failed"
#   make unit     C unit tests (no kernel, no root); make test runs them
#   make lint     luacheck and clang-format; make test runs it
#   make fuzz     each libFuzzer harness for FUZZ_SECONDS (default 60)
#   make check    the same tests against an AddressSanitizer/UBSan build
#   make valgrind [LAB="labs/veth.lua ..."]   the labs (all by default) under memcheck
#   make bench [N="10 100"] [REPS=3] [TOOLS="raw docker ..."]  nslab against the
#                 alternatives on docker-bridge-N (bench/run.py)
#   make install PREFIX=/usr/local

SHELL   := /bin/bash
PREFIX  ?= /usr/local
CC      ?= cc
PKGS    := lua5.4 libmnl libnftnl libpcap
CFLAGS  ?= -O2 -g
# What the code needs, kept apart from CFLAGS so `make CFLAGS=...` (and
# make check) cannot drop it.
NSLAB_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -fPIC -D_GNU_SOURCE -pthread \
                $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
MNL_LIBS := $(shell pkg-config --libs libmnl libnftnl libpcap 2>/dev/null)

MAIN_LAB := labs/bridge.lua

# main.c and what only the program links (the prompt's libedit, the
# terminal handoff: lineedit.h) stay out of nslab/core.so.
PROG_SRC := core/main.c core/lineedit.c core/tty.c core/world_join.c
CORE_SRC := $(filter-out $(PROG_SRC),$(wildcard core/*.c))
EDIT_LIBS := $(shell pkg-config --libs libedit 2>/dev/null)
CORE_HDR := $(wildcard core/*.h)

BUILD ?= build
BIN   ?= bin
LIB   ?= lib
CORE_OBJ := $(CORE_SRC:core/%.c=$(BUILD)/%.o) $(BUILD)/idle_elf.o

all: $(BIN)/nslab $(LIB)/nslab/core.so

$(BUILD)/%.o: core/%.c $(CORE_HDR) | $(BUILD)
	$(CC) $(NSLAB_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/container.o: core/idle/sys.h

$(BUILD)/lineedit.o: NSLAB_CFLAGS += $(shell pkg-config --cflags libedit 2>/dev/null)

$(BIN)/nslab: $(PROG_SRC:core/%.c=$(BUILD)/%.o) $(CORE_OBJ) | $(BIN)
	$(CC) $(NSLAB_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(EDIT_LIBS)

# The Lua module: symbols of Lua itself come from the interpreter that loads it.
$(LIB)/nslab/core.so: $(CORE_OBJ) | $(LIB)/nslab
	$(CC) $(NSLAB_CFLAGS) $(CFLAGS) $(LDFLAGS) -shared -o $@ $^ $(MNL_LIBS)

# The program a container process runs (core/idle/idle.c): static, no
# libc, a few hundred bytes; carried inside the core (idle_elf.S), so it
# is built with flags of its own, never a sanitizer's.
IDLE_FLAGS := -std=gnu11 -Wall -Wextra -Werror -Os -static -nostdlib -fno-pie -no-pie \
              -fno-stack-protector -fno-asynchronous-unwind-tables -Wl,--build-id=none \
              -Wl,-n -Wl,-z,norelro -Wl,-z,noseparate-code -s

$(BUILD)/idle: core/idle/idle.c core/idle/sys.h | $(BUILD)
	$(CC) $(IDLE_FLAGS) -o $@ $<

$(BUILD)/idle_elf.o: core/idle/idle_elf.S $(BUILD)/idle | $(BUILD)
	$(CC) -c -DIDLE_PATH='"$(BUILD)/idle"' -o $@ $<

# Where a container start's time goes (not part of make test):
#   make build/container_start && bin/nslab sandbox -- build/container_start
$(BUILD)/container_start: bench/container_start.c $(BUILD)/idle | $(BUILD)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -o $@ $<

$(BUILD) $(BIN) $(LIB)/nslab:
	mkdir -p $@

deps:
	@tools/deps vendor/debian-packages

run: deps
	$(MAKE) --no-print-directory all
	$(BIN)/nslab run $(MAIN_LAB)

test: deps
	$(MAKE) --no-print-directory all
	@tools/test $(BIN)/nslab

# C unit tests: no kernel, no root, no Lua (tests/unit/*_test.c, each a
# program printing "N passed, N failed"). tools/test runs them too.
UNIT_SRC := $(wildcard tests/unit/*_test.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)
KERNEL_OBJ := $(filter-out $(BUILD)/lua_%.o,$(CORE_OBJ))

$(BUILD)/unit/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(KERNEL_OBJ) | $(BUILD)/unit
	$(CC) $(NSLAB_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(KERNEL_OBJ) $(MNL_LIBS)

$(BUILD)/unit:
	mkdir -p $@

# Each program's own summary is added up; one that crashes counts as a failure.
unit: $(UNIT_BIN)
	@p=0; f=0; for t in $(UNIT_BIN); do echo "== $$t =="; $$t > $(BUILD)/unit/out 2>&1; st=$$?; \
	  cat $(BUILD)/unit/out; set -- $$(tail -n 1 $(BUILD)/unit/out | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$$/\1 \2/p'); \
	  if [ -n "$$1" ]; then p=$$((p + $$1)); f=$$((f + $$2)); fi; \
	  if [ -z "$$1" ] || { [ $$st -ne 0 ] && [ "$$2" = 0 ]; }; then echo "$$t ended badly ($$st)"; f=$$((f + 1)); fi; \
	done; echo "$$p passed, $$f failed"; [ $$f -eq 0 ]

# luacheck on the Lua files, clang-format on the C files (tools/lint).
lint:
	@tools/lint

# libFuzzer harnesses (fuzz/*_fuzz.c) against the core's C sources, built
# with clang under ASan and UBSan; each runs FUZZ_SECONDS from its corpus
# in fuzz/corpus/NAME (new inputs go to a scratch directory, not the tree).
FUZZ_SECONDS ?= 60
FUZZ_SRC := $(wildcard fuzz/*_fuzz.c)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_CORE := $(filter-out core/lua_% core/main.c,$(CORE_SRC))
FUZZ_FLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
              -fno-sanitize-recover=all $(shell pkg-config --cflags libmnl libnftnl 2>/dev/null)

# Harnesses that drive the Lua layer also link the bindings and liblua5.4,
# and find the tree's lua/ (FUZZ_EXTRA, per harness).
FUZZ_LUA := nft_text
$(FUZZ_LUA:%=$(BUILD)/fuzz/%_fuzz): FUZZ_EXTRA = $(filter core/lua_%,$(CORE_SRC)) \
  $(shell pkg-config --cflags --libs lua5.4 2>/dev/null) -DNSLAB_LUA_DIR='"$(CURDIR)/lua"'
$(FUZZ_LUA:%=$(BUILD)/fuzz/%_fuzz): $(filter core/lua_%,$(CORE_SRC))

$(BUILD)/fuzz/%: fuzz/%.c $(FUZZ_CORE) $(CORE_HDR) $(BUILD)/idle_elf.o | $(BUILD)/fuzz
	clang $(FUZZ_FLAGS) -o $@ $< $(FUZZ_CORE) $(FUZZ_EXTRA) $(BUILD)/idle_elf.o $(MNL_LIBS)

$(BUILD)/fuzz:
	mkdir -p $@

fuzz: dev-deps
	$(MAKE) --no-print-directory fuzz-run

# clang and valgrind: only the developer targets need them.
dev-deps:
	@tools/deps vendor/debian-packages-dev

fuzz-run: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do name=$${f##*/}; name=$${name%_fuzz}; \
	  scratch=$$(mktemp -d); mkdir -p fuzz/corpus/$$name; \
	  echo "== $$name: $(FUZZ_SECONDS) s =="; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $$scratch fuzz/corpus/$$name \
	    2>&1 | grep -E 'stat::number_of_executed_units|ERROR|SUMMARY|Done' ; \
	  st=$${PIPESTATUS[0]}; rm -rf $$scratch; [ $$st -eq 0 ] || exit $$st; done

# A second build under AddressSanitizer + UndefinedBehaviorSanitizer (with
# LeakSanitizer), running the same specs and labs.
# The specs of stock lua5.4 load the tree's plain lib/nslab/core.so (lua5.4
# cannot load a sanitized module): it is built too, so a clean clone passes.
check: deps all
	$(MAKE) --no-print-directory all BUILD=build/check BIN=build/check/bin LIB=build/check/lib \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined"
	@ln -sfn ../../lua build/check/lua # bin/../lua, as in the tree
	@ln -sfn ../../labs build/check/labs # bin/../labs: the shipped labs by name
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tools/test build/check/bin/nslab

# Memcheck on labs: full leak check, the known false positives in
# tools/valgrind.supp (each says why). The same check by hand:
#   valgrind --error-exitcode=1 --leak-check=full \
#     --suppressions=tools/valgrind.supp bin/nslab run labs/veth.lua
# Without --trace-children: what nslab forks (the world's init, the lab's
# process, a container's holder) is checked, the programs they exec (ip,
# ping) are not. A lab fails on the exit status or on any process's
# "ERROR SUMMARY" above 0 (a child killed by a signal has no status).
LAB ?= $(sort $(wildcard labs/*.lua))
VALGRIND := valgrind --error-exitcode=1 --leak-check=full --suppressions=tools/valgrind.supp

valgrind: dev-deps all | $(BUILD)
	@f=0; for lab in $(LAB); do log=$(BUILD)/valgrind-$$(basename $$lab .lua).log; \
	  echo "== valgrind $$lab (log: $$log) =="; \
	  NO_COLOR=1 $(VALGRIND) $(BIN)/nslab run $$lab </dev/null >$$log 2>&1; st=$$?; \
	  grep -E '^[0-9]+ passed, [0-9]+ failed$$|ERROR SUMMARY' $$log; \
	  if [ $$st -ne 0 ] || grep -q 'ERROR SUMMARY: [1-9]' $$log; then echo "$$lab: FAILED ($$st)"; f=1; fi; \
	done; [ $$f -eq 0 ]

# make bench [N="10 100 1000 2000"] [REPS=3] [TOOLS="raw friendly docker ip
# batch pyroute2 mininet"]: docker-bridge-N by every tool, each in a fresh
# private world (bench/run.py; a benchmark, not part of make test). Prints
# the table and writes build/bench/results.json and results.md.
BENCH_N     ?= 10 100 1000 2000
BENCH_REPS  ?= 3
BENCH_TOOLS ?= raw rawc friendly docker ip batch pyroute2 mininet
bench: all
	@tools/deps vendor/debian-packages-bench
	/usr/bin/python3 bench/run.py --n "$(or $(N),$(BENCH_N))" --reps $(or $(REPS),$(BENCH_REPS)) \
	  --tools "$(or $(TOOLS),$(BENCH_TOOLS))"

# make install [PREFIX=/usr/local] [DESTDIR=]: bin/nslab; the Lua files and
# the C module where the stock lua5.4 looks under PREFIX (share/lua/5.4,
# lib/lua/5.4: require "nslab" works with no environment variables for
# /usr/local and /usr); the shipped labs in share/nslab/labs, where
# PREFIX/bin/nslab finds them (nslab list, nslab run NAME).
LUA_DIR  = $(PREFIX)/share/lua/5.4
LUA_CDIR = $(PREFIX)/lib/lua/5.4
LAB_DIR  = $(PREFIX)/share/nslab/labs

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LUA_CDIR)/nslab $(DESTDIR)$(LUA_DIR) \
	  $(DESTDIR)$(LAB_DIR)
	install -m 755 $(BIN)/nslab $(DESTDIR)$(PREFIX)/bin/nslab
	install -m 644 $(LIB)/nslab/core.so $(DESTDIR)$(LUA_CDIR)/nslab/core.so
	cd lua && for f in $$(find nslab -name '*.lua' | sort); do \
	  install -D -m 644 $$f $(DESTDIR)$(LUA_DIR)/$$f || exit 1; done
	install -m 644 labs/*.lua $(DESTDIR)$(LAB_DIR)/

clean:
	rm -rf build bin lib

.PHONY: all deps dev-deps run test unit fuzz fuzz-run lint check valgrind bench install clean
