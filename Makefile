# nslab - a Linux network lab driven from Lua.
#
#   make          build bin/nslab and lib/nslab/core.so
#   make deps     install the missing Debian packages listed in vendor/
#   make run      deps + build + the main lab
#   make test     deps + build + every spec and lab; last line "N passed, N failed"
#   make check    the same tests against an AddressSanitizer/UBSan build
#   make bench    setup and probe timings (bench/*.lua)
#   make install PREFIX=/usr/local

PREFIX  ?= /usr/local
CC      ?= cc
PKGS    := lua5.4 libmnl libnftnl
CFLAGS  ?= -O2 -g
# What the code needs, kept apart from CFLAGS so `make CFLAGS=...` (and
# make check) cannot drop it.
NSLAB_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -fPIC -D_GNU_SOURCE \
                $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
MNL_LIBS := $(shell pkg-config --libs libmnl libnftnl 2>/dev/null)

MAIN_LAB := labs/bridge.lua

CORE_SRC := $(filter-out core/main.c,$(wildcard core/*.c))
CORE_HDR := $(wildcard core/*.h)

BUILD ?= build
BIN   ?= bin
LIB   ?= lib
CORE_OBJ := $(CORE_SRC:core/%.c=$(BUILD)/%.o)

all: $(BIN)/nslab $(LIB)/nslab/core.so

$(BUILD)/%.o: core/%.c $(CORE_HDR) | $(BUILD)
	$(CC) $(NSLAB_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BIN)/nslab: $(BUILD)/main.o $(CORE_OBJ) | $(BIN)
	$(CC) $(NSLAB_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The Lua module: symbols of Lua itself come from the interpreter that loads it.
$(LIB)/nslab/core.so: $(CORE_OBJ) | $(LIB)/nslab
	$(CC) $(NSLAB_CFLAGS) $(CFLAGS) $(LDFLAGS) -shared -o $@ $^ $(MNL_LIBS)

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

# A second build under AddressSanitizer + UndefinedBehaviorSanitizer (with
# LeakSanitizer), running the same specs and labs.
check: deps
	$(MAKE) --no-print-directory all BUILD=build/check BIN=build/check/bin LIB=build/check/lib \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined"
	@ln -sfn ../../lua build/check/lua # bin/../lua, as in the tree
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tools/test build/check/bin/nslab

# Each run in a world of its own; the pause lets the kernel finish tearing
# down the previous world (asynchronous, PERFORMANCE.md) before timing.
bench: all
	$(BIN)/nslab lua bench/star.lua 400
	@sleep 2
	$(BIN)/nslab lua bench/docker_bridge.lua 200
	@sleep 2
	$(BIN)/nslab lua bench/docker_bridge.lua 1000 static

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/lua/5.4/nslab \
	  $(DESTDIR)$(PREFIX)/share/lua/5.4/nslab
	install -m 755 $(BIN)/nslab $(DESTDIR)$(PREFIX)/bin/nslab
	install -m 644 $(LIB)/nslab/core.so $(DESTDIR)$(PREFIX)/lib/lua/5.4/nslab/core.so
	install -m 644 lua/nslab/*.lua $(DESTDIR)$(PREFIX)/share/lua/5.4/nslab/

clean:
	rm -rf build bin lib

.PHONY: all deps run test check bench install clean
