# kedge: thin front door over meson + ninja.
#   make          build build/kedge (installs missing build dependencies)
#   make test     install what is missing, build, run every test suite
#   make test-vm  boot a Debian 12 guest (systemd, cgroup v2) under qemu and run tests/vm/checks
#   make run      build and start a daemon on /run/kedge/docker.sock
#   make bench    run the benchmarks (bench/run)
# SANITIZE=1 builds and tests with AddressSanitizer + UBSan in build-sanitize/.
# SUITE=unit|e2e limits `make test` to one suite.
# make fuzz builds the libFuzzer targets with clang in build-fuzz/ and runs
# each for FUZZ_SECONDS (tests/fuzz/run, docs/internals/fuzzing.md).

BUILDDIR := build
MESON_OPTS :=
ifeq ($(SANITIZE),1)
BUILDDIR := build-sanitize
MESON_OPTS += -Db_sanitize=address,undefined -Db_lundef=false
endif

.PHONY: all deps build test test-vm run bench clean format

all: build

deps:
	@scripts/install-deps

$(BUILDDIR)/build.ninja:
	meson setup $(BUILDDIR) $(MESON_OPTS)

build: deps $(BUILDDIR)/build.ninja
	ninja -C $(BUILDDIR)

test: build
	meson test -C $(BUILDDIR) --print-errorlogs $(if $(SUITE),--suite $(SUITE))

test-vm: build
	tests/vm/run $(BUILDDIR)/kedge

run: build
	@scripts/run-daemon $(BUILDDIR)/kedge

bench: build
	bench/run $(BUILDDIR)

.PHONY: fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := reference filters manifest unpack shim-proto http request-line
build-fuzz/build.ninja:
	CC=clang CFLAGS=-fsanitize=fuzzer-no-link meson setup build-fuzz \
	  -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=false

fuzz: deps build-fuzz/build.ninja
	ninja -C build-fuzz $(addprefix tests/fuzz/fuzz-,$(FUZZ_TARGETS))
	tests/fuzz/run build-fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

format:
	find src tests bench -name '*.[ch]' | xargs clang-format -i

clean:
	rm -rf build build-sanitize
