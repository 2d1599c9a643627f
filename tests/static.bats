#!/usr/bin/env bats
# make static: programs for GPU nodes that lack the Debian libraries and
# any network.  They need glibc and nothing else; CUDA comes from the node
# at run time, through dlopen.

load helper

# The static libraries the build links, each found by the compiler.
static_libs() {
	local l
	for l in jansson csv crypto ffi lapacke lapack blas gfortran quadmath z; do
		[ "$(${CC:-cc} -print-file-name="lib$l.a")" != "lib$l.a" ] ||
			return 1
	done
}

# Built once for the file, in its own folder; each test checks the build.
setup_file() {
	export STATIC_DIR=$BATS_FILE_TMPDIR/static
	static_libs || return 0
	# Not the flags of a make that runs the tests (make check passes
	# sanitizer CFLAGS down through MAKEFLAGS).
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u CFLAGS -u LDFLAGS -u O \
	    make -s -C "$ROOT" static \
	    STATIC_O="$STATIC_DIR" >"$BATS_FILE_TMPDIR/make.log" 2>&1
	echo $? >"$BATS_FILE_TMPDIR/make.status"
}

built() {
	static_libs || skip "a static library is missing (libjansson.a, libcsv.a, libcrypto.a, libffi.a, liblapacke.a, liblapack.a, libblas.a, libgfortran.a, libquadmath.a or libz.a)"
	[ "$(cat "$BATS_FILE_TMPDIR/make.status")" = 0 ] ||
		fail "make static failed: $(cat "$BATS_FILE_TMPDIR/make.log")"
}

@test "make static builds programs that need only glibc" {
	command -v ldd >/dev/null || skip "no ldd"
	built
	local o=$STATIC_DIR t lib
	for t in ar-propose ar-compile ar-bench ar-score ar-learn ar-report; do
		[ -x "$o/bin/$t" ] || fail "no $o/bin/$t"
		# What the loader would bring in, the direct needs included.
		run ldd "$o/bin/$t"
		assert_success
		while read -r lib _; do
			case $lib in
			linux-vdso.so.* | libc.so.6 | libm.so.6 | libdl.so.2 | \
			    libpthread.so.0 | librt.so.1 | /lib*/ld-linux*.so.*) ;;
			*) fail "$t needs $lib: $(ldd "$o/bin/$t")" ;;
			esac
		done <<<"$output"
		run "$o/bin/$t" --version
		assert_success
	done
}

@test "the static programs run a study, and load NVRTC where there is one" {
	built
	local o=$STATIC_DIR s=$FIX/compile/study.json
	run --separate-stderr bash -c 'set -o pipefail
	    "$1/ar-propose" -s "$2" -n 2 --seed 1 |
	    "$1/ar-compile" -s "$2" --cache "$3"' _ "$o/bin" "$s" "$BATS_TEST_TMPDIR/c"
	assert_success
	[ "$(jq -r .compile.status <<<"$output" | sort -u)" = ok ]
	[ -e "${CUDA_HOME:-/usr/local/cuda}/include/nvrtc.h" ] || return 0
	s=$FIX/compile/cuda-k.json
	run --separate-stderr "$o/bin/ar-compile" -s "$s" --arch sm_90 \
	    --cache "$BATS_TEST_TMPDIR/c" <<<'{"params":{"BLOCK":64,"UNROLL":1,"BREAK":0}}'
	# Built where the CUDA headers were missing, it says so instead.
	[[ $stderr != *"built without CUDA support"* ]] || return 0
	assert_success
	[ "$(jq -r '"\(.compile.status) \(.compile.compiler)"' <<<"$output")" = "ok nvrtc" ]
}
