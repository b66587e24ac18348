# sluice - build everything with `make`, test with `make test`.
#
#   make V=1         show every command
#   make SAN=1       ASan + UBSan build of all user code and tests
#   make VMLINUX_H=/path/vmlinux.h   use a given vmlinux.h instead of this kernel's BTF
#
# BPF objects: bpf/<name>.bpf.c -> build/bpf/<name>.bpf.o -> build/<name>.skel.h
# User code:   one static library per layer, user/<layer>/*.c except the mains
#              -> build/lib/libsl_<layer>.a, built and linked in layer order
#              (see user/README.md); each main links its layer and those below.
# Tests:       tests/unit/test_*.c and tests/bpf/test_*.c -> build/tests/...

.DELETE_ON_ERROR:
.SUFFIXES:

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

ifeq ($(SAN),1)
BUILD    ?= build-san
else
BUILD    ?= build
endif
CC       ?= cc
CLANG    ?= clang
BPFTOOL  ?= bpftool
ARCH     := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

# BPF side: -mcpu=v3 for atomics (fetch-add, cmpxchg) used by the buckets.
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) \
	-Wall -Werror -I$(BUILD) -Iheaders -Ibpf

# User side.
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -Wno-missing-field-initializers \
	-D_GNU_SOURCE -MMD -MP -I$(BUILD) -Iheaders $(USER_INC) -Itests/lib
LDLIBS   += -lbpf -lelf -lz -lcjson -lcjose -lpg_query -lhttp_parser -lcrypto -lpcre2-8 -lsqlite3 \
	-lsystemd -lpthread -lm

ifeq ($(SAN),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
else ifneq ($(SAN),)
$(error SAN must be 1 or empty, not '$(SAN)')
endif

# Layers, lowest first: a layer may use only itself and the layers before it
# (tests/layout.sh checks the includes).  demo/ sits on base/ and proto/ only.
LAYERS     := base proto policy kern sluiced sluicectl demo
USER_INC   := -Iuser
MAINS      := sluiced/sluiced sluicectl/sluicectl demo/sluice-demo-backend
BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS      := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
BPF_HDRS   := $(wildcard bpf/*.h) $(wildcard headers/*.h)
# The BPF objects are kept: they are what the skeletons embed, and deleting
# them as intermediates would make the next `make` rebuild the chain.
.SECONDARY: $(BPF_OBJS)

MAIN_SRCS  := $(addprefix user/,$(addsuffix .c,$(MAINS)))
lib_of      = $(BUILD)/lib/libsl_$(1).a
objs_of     = $(patsubst user/%.c,$(BUILD)/obj/%.o,$(filter-out $(MAIN_SRCS),$(wildcard user/$(1)/*.c)))
LIB_OBJS   := $(foreach l,$(LAYERS),$(call objs_of,$(l)))
LIBS       := $(foreach l,$(LAYERS),$(call lib_of,$(l)))
# What each program links, highest layer first (the order static linking needs).
SLUICED_LIBS   := $(foreach l,sluiced kern policy proto base,$(call lib_of,$(l)))
SLUICECTL_LIBS := $(foreach l,sluicectl kern policy proto base,$(call lib_of,$(l)))
DEMO_LIBS      := $(foreach l,demo proto base,$(call lib_of,$(l)))
# Tests and benchmarks may reach every layer.
ALL_LIBS       := $(foreach l,demo sluicectl sluiced kern policy proto base,$(call lib_of,$(l)))
BINS       := $(addprefix $(BUILD)/,$(notdir $(MAINS)))

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
BPFT_SRCS  := $(wildcard tests/bpf/test_*.c)
TEST_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS)) \
	      $(patsubst tests/bpf/%.c,$(BUILD)/tests/%,$(BPFT_SRCS))
BENCH_SRCS := $(wildcard scripts/bench/*.c)
BENCH_BINS := $(patsubst scripts/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))

.PHONY: all test tests bench demo deps clean install
all: $(BINS) $(TEST_BINS) $(BENCH_BINS)

deps:
	$(Q)scripts/deps.sh

# --- BPF -------------------------------------------------------------------
ifdef VMLINUX_H
$(BUILD)/vmlinux.h: $(VMLINUX_H) | $(BUILD)
	$(Q)cp $< $@
else
$(BUILD)/vmlinux.h: | $(BUILD)
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@
endif

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(BUILD)/vmlinux.h | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# --- user code -------------------------------------------------------------
# Only kern/ (and the BPF tests and benchmarks) include a skeleton: it must
# exist before their first compile; after that -MMD tracks it like any header.
$(BUILD)/obj/%.o: user/%.c | $(BUILD)/obj
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(call objs_of,kern): | $(SKELS)

define layer_lib
$(call lib_of,$(1)): $(call objs_of,$(1)) | $(BUILD)/lib
	$$(call msg,AR,$$@)
	$$(Q)rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach l,$(LAYERS),$(eval $(call layer_lib,$(l))))

# The admin port's dashboard, one self-contained page, embedded in sluiced as
# a byte array (od and sed only: nothing to install).
$(BUILD)/gen/dashboard_html.c: user/sluiced/dashboard.html | $(BUILD)/gen
	$(call msg,GEN,$@)
	$(Q){ echo '/* Generated from $< by the Makefile. */'; \
	  echo 'const unsigned char admin_dashboard_html[] = {'; \
	  od -An -v -tx1 $< | sed -e 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '0x00 };'; \
	  echo 'extern const unsigned long admin_dashboard_html_len;'; \
	  echo 'const unsigned long admin_dashboard_html_len = sizeof(admin_dashboard_html) - 1;'; \
	} > $@
$(BUILD)/obj/gen/dashboard_html.o: $(BUILD)/gen/dashboard_html.c | $(BUILD)/obj
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@
$(call lib_of,sluiced): $(BUILD)/obj/gen/dashboard_html.o

$(BUILD)/sluiced: $(BUILD)/obj/sluiced/sluiced.o $(SLUICED_LIBS)
$(BUILD)/sluicectl: $(BUILD)/obj/sluicectl/sluicectl.o $(SLUICECTL_LIBS)
$(BUILD)/sluice-demo-backend: $(BUILD)/obj/demo/sluice-demo-backend.o $(DEMO_LIBS)
$(BINS):
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(ALL_LIBS) | $(BUILD)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(ALL_LIBS) $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/bpf/%.c $(ALL_LIBS) | $(SKELS) $(BUILD)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(ALL_LIBS) $(LDLIBS) -o $@

$(BUILD)/bench/%: scripts/bench/%.c $(ALL_LIBS) | $(SKELS) $(BUILD)/bench
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(ALL_LIBS) $(LDLIBS) -o $@

$(BUILD) $(BUILD)/bpf $(BUILD)/obj $(BUILD)/lib $(BUILD)/tests $(BUILD)/bench $(BUILD)/gen:
	$(Q)mkdir -p $@

# --- running ---------------------------------------------------------------
# `make test` and `make demo` install what they need first (idempotent).
test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) tests/run.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) scripts/demo.sh

bench: all
	$(Q)scripts/bench/xdp-cost.sh
	$(Q)scripts/bench/l7-overhead.sh
	$(Q)BUILD=$(BUILD) scripts/bench/policy-cost
	$(Q)BUILD=$(BUILD) scripts/bench/flood.sh

clean:
	$(Q)rm -rf $(BUILD)

# --- installing ------------------------------------------------------------
# make install [DESTDIR=/staging] [PREFIX=/usr/local] [SYSCONFDIR=/etc]
# Programs, the systemd unit (paths filled in), the example policies and the
# READMEs.  The policy the unit runs, $(SYSCONFDIR)/sluice/policy.json, is
# never written: an operator chooses it (see README.md, "Running sluice on a
# gateway host").
PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
SBINDIR    ?= $(PREFIX)/sbin
BINDIR     ?= $(PREFIX)/bin
DATADIR    ?= $(PREFIX)/share
UNITDIR    ?= $(PREFIX)/lib/systemd/system
install: $(BINS)
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -d -m 0755 $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(DATADIR)/sluice/policies $(DESTDIR)$(DATADIR)/doc/sluice
	$(Q)install -d -m 0700 $(DESTDIR)$(SYSCONFDIR)/sluice
	$(Q)install -m 0755 $(BUILD)/sluiced $(DESTDIR)$(SBINDIR)/sluiced
	$(Q)install -m 0755 $(BUILD)/sluicectl $(DESTDIR)$(SBINDIR)/sluicectl
	$(Q)install -m 0755 $(BUILD)/sluice-demo-backend $(DESTDIR)$(BINDIR)/sluice-demo-backend
	$(Q)sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		-e 's|@DATADIR@|$(DATADIR)|g' scripts/systemd/sluiced.service.in \
		> $(DESTDIR)$(UNITDIR)/sluiced.service
	$(Q)chmod 0644 $(DESTDIR)$(UNITDIR)/sluiced.service
	$(Q)install -m 0644 policies/*.json policies/README.md $(DESTDIR)$(DATADIR)/sluice/policies/
	$(Q)install -m 0644 README.md $(DESTDIR)$(DATADIR)/doc/sluice/README.md

-include $(wildcard $(BUILD)/obj/*/*.d $(BUILD)/tests/*.d $(BUILD)/bench/*.d)
