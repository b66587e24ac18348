# sluice - build everything with `make`, test with `make test`.
#
#   make V=1         show every command
#   make SAN=1       ASan + UBSan build of all user code and tests
#   make VMLINUX_H=/path/vmlinux.h   use a given vmlinux.h instead of this kernel's BTF
#
# BPF objects: bpf/<name>.bpf.c -> build/bpf/<name>.bpf.o -> build/<name>.skel.h
# User code:   user/*.c except the mains -> build/libsluice.a; mains link with it.
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
	-D_GNU_SOURCE -MMD -MP -I$(BUILD) -Iheaders -Iuser -Itests/lib
LDLIBS   += -lbpf -lelf -lz -lcjson -lhttp_parser -lcrypto -lpthread -lm

ifeq ($(SAN),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
else ifneq ($(SAN),)
$(error SAN must be 1 or empty, not '$(SAN)')
endif

MAINS      := sluiced sluicectl sluice-demo-backend
BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS      := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
BPF_HDRS   := $(wildcard bpf/*.h) $(wildcard headers/*.h)

LIB_SRCS   := $(filter-out $(addprefix user/,$(addsuffix .c,$(MAINS))),$(wildcard user/*.c))
LIB_OBJS   := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
MAIN_OBJS  := $(patsubst %,$(BUILD)/obj/%.o,$(MAINS))
BINS       := $(addprefix $(BUILD)/,$(MAINS))

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
BPFT_SRCS  := $(wildcard tests/bpf/test_*.c)
TEST_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS)) \
	      $(patsubst tests/bpf/%.c,$(BUILD)/tests/%,$(BPFT_SRCS))
BENCH_SRCS := $(wildcard scripts/bench/*.c)
BENCH_BINS := $(patsubst scripts/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))

.PHONY: all test tests bench demo deps clean
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
# Every user object may include a skeleton, so skeletons come first.
$(BUILD)/obj/%.o: user/%.c $(SKELS) | $(BUILD)/obj
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libsluice.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BINS): $(BUILD)/%: $(BUILD)/obj/%.o $(BUILD)/libsluice.a
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libsluice.a | $(BUILD)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(BUILD)/libsluice.a $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/bpf/%.c $(SKELS) $(BUILD)/libsluice.a | $(BUILD)/tests
	$(call msg,TEST,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(BUILD)/libsluice.a $(LDLIBS) -o $@

$(BUILD)/bench/%: scripts/bench/%.c $(SKELS) $(BUILD)/libsluice.a | $(BUILD)/bench
	$(call msg,BENCH,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(BUILD)/libsluice.a $(LDLIBS) -o $@

$(BUILD) $(BUILD)/bpf $(BUILD)/obj $(BUILD)/tests $(BUILD)/bench:
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

clean:
	$(Q)rm -rf $(BUILD)

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/tests/*.d $(BUILD)/bench/*.d)
