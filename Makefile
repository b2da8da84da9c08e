# Thin wrapper over CMake. The two commands a newcomer needs:
#   make demo   install deps, build, run the pipeline on the bundled samples
#   make test   install deps, build, run every test, then again under ASan+UBSan
#   make fuzz   build the libFuzzer targets (clang) and run each FUZZ_TIME seconds
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=
FUZZ_TIME  ?= 60
FUZZ_TARGETS ?=

.PHONY: all deps configure build test test-asan fuzz demo bench clean format

all: build

deps:
	scripts/install-deps.sh

configure:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=ON $(CMAKE_ARGS)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: deps build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	$(MAKE) test-asan

test-asan:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DVOC_SANITIZE=ON $(CMAKE_ARGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

# Each fuzz target for FUZZ_TIME seconds (FUZZ_TARGETS="item wire" for some);
# new inputs and merged corpora go to build-fuzz/out. docs/fuzzing.md.
fuzz: deps
	FUZZ_TIME=$(FUZZ_TIME) FUZZ_TARGETS="$(FUZZ_TARGETS)" FUZZ_BUILD=build-fuzz JOBS=$(JOBS) \
	  scripts/fuzz.sh

demo: deps build
	scripts/demo.sh

bench: deps build
	scripts/bench.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) demo bench/out
