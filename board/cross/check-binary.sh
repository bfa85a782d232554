#!/usr/bin/env bash
# board/cross/check-binary.sh BINARY [SYSROOT]
#
# What an arm64 hailong-agent needs of the board, read from the ELF file (binutils for aarch64):
# an aarch64 executable; the Swift runtime linked in statically; libgpiod 2.x (libgpiod.so.3);
# no glibc symbol version newer than GLIBC_2.41 (Debian 13 / Raspberry Pi OS trixie); every
# version it needs (GLIBC_*, GLIBCXX_*, GCC_*) defined by the sysroot's libraries; and the
# amd64 agent's release link (packed relative relocations, no exported symbols).
# Prints PASS:/FAIL: lines and INFO: lines (size, the versions needed); exits 1 on a failure.
set -uo pipefail
bin=$1
sysroot=${2:-}
max_glibc=${HL_GLIBC_MAX:-2.41}
failures=0
pass() { echo "PASS: $*"; }
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}
readelf=aarch64-linux-gnu-readelf
command -v $readelf >/dev/null || readelf=readelf

header=$($readelf -h "$bin" 2>&1)
if [[ "$header" == *"Machine:"*"AArch64"* && "$header" == *"Type:"*"DYN"* || "$header" == *"Machine:"*"AArch64"* && "$header" == *"Type:"*"EXEC"* ]]; then
    pass "$(basename "$bin") is an aarch64 ELF executable"
else
    fail "$(basename "$bin") is not an aarch64 executable: $(echo "$header" | grep -E 'Machine|Type')"
fi

dynamic=$($readelf -d "$bin")
needed=$(echo "$dynamic" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
echo "INFO: NEEDED: $needed"
if [[ " $needed " == *" libgpiod.so.3 "* && " $needed " != *" libgpiod.so.2 "* ]]; then
    pass "linked against libgpiod 2.x (libgpiod.so.3), not 1.x"
else
    fail "not linked against libgpiod.so.3 alone: $needed"
fi
if [[ "$needed" == *libswift* || "$needed" == *libFoundation* || "$needed" == *libdispatch* ]]; then
    fail "the Swift runtime is linked dynamically: $needed"
else
    pass "the Swift runtime and Foundation are linked statically (no libswift*/libFoundation* needed)"
fi
[[ "$dynamic" == *"(RELR)"* ]] && pass "relative relocations packed (DT_RELR, -z pack-relative-relocs)" ||
    fail "no DT_RELR: the release link did not pack relative relocations"
exported=$($readelf --dyn-syms -W "$bin" | awk '$1 ~ /^[0-9]+:$/ && $7 != "UND" && $5 != "LOCAL" && $4 != "SECTION" && $4 != "FILE"' | grep -c . || true)
[ "$exported" -lt 50 ] && pass "the executable exports almost nothing ($exported defined dynamic symbols; --no-export-dynamic)" ||
    fail "$exported dynamic symbols exported: --no-export-dynamic did not apply"

# Versions needed, per library: "libc.so.6 GLIBC_2.38" lines.
versions=$($readelf -V -W "$bin" | awk '/File: / { lib = $0; sub(/.*File: /, "", lib); sub(/ .*/, "", lib) }
    /Name: / && lib != "" { for (i = 1; i <= NF; i++) if ($i == "Name:") print lib, $(i + 1) }' | sort -u)
glibc=$(echo "$versions" | awk '{ print $2 }' | sed -n 's/^GLIBC_\([0-9.]*\)$/\1/p' | sort -V | tail -n 1)
glibcxx=$(echo "$versions" | awk '{ print $2 }' | sed -n 's/^GLIBCXX_\([0-9.]*\)$/\1/p' | sort -V | tail -n 1)
echo "INFO: newest versions needed: GLIBC_${glibc:-none}, GLIBCXX_${glibcxx:-none}"
# objdump -T, as a technician would read it: the versions of the symbols imported.
objdump=aarch64-linux-gnu-objdump
command -v $objdump >/dev/null || objdump=objdump
newest=$($objdump -T "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)
if [ -n "$newest" ] && [ "$(printf '%s\n%s\n' "$newest" "$max_glibc" | sort -V | tail -n 1)" = "$max_glibc" ]; then
    pass "objdump -T: no symbol newer than GLIBC_$max_glibc (newest GLIBC_$newest): runs on Debian 13 / Raspberry Pi OS trixie"
else
    fail "objdump -T: needs GLIBC_$newest, newer than $max_glibc: $($objdump -T "$bin" | grep "GLIBC_$newest" | head -n 5 | tr -s ' ')"
fi

if [ -n "$sysroot" ]; then
    missing=""
    while read -r lib version; do
        [ -n "$lib" ] || continue
        file=$(find "$sysroot/usr/lib/aarch64-linux-gnu" -maxdepth 1 -name "$lib" | head -n 1)
        if [ -z "$file" ]; then
            missing="$missing $lib(absent)"
        elif ! $readelf -V -W "$file" | grep -E "Name: $version( |\$)" >/dev/null; then # not -q: pipefail
            missing="$missing $lib:$version"
        fi
    done <<<"$versions"
    [ -z "$missing" ] && pass "every symbol version it needs is defined by the trixie sysroot's libraries" ||
        fail "versions the trixie libraries do not define:$missing"
fi

echo "INFO: size $(du -k "$bin" | cut -f1) KiB as built"
[ $failures = 0 ]
