# Sourced by board/sim/run: builds hailong-agent for the guest, once per libgpiod generation.
# Sets AGENT1 (libgpiod 1.6) and AGENT2 (libgpiod 2.x).
#
# v1 is the package's one release variant, in the default .build folder that everyone
# shares. v2 is that build's link step replayed against the v2 prefix (relink-v2.py);
# HL_SIM_V2_BUILD=scratch builds the whole package a second time instead, in
# .build-gpiod2 with PKG_CONFIG_PATH pointing at the prefix (slow: minutes, not seconds).

RELEASE_FLAGS=(-c release --static-swift-stdlib)
mkdir -p "$CACHE/logs"

t_build=$SECONDS
if [ "${HL_SIM_NO_BUILD:-0}" = 1 ]; then
    log "HL_SIM_NO_BUILD=1: using the last release build as it is (the sources may be newer)"
elif log "swift build ${RELEASE_FLAGS[*]} --product hailong-agent" && ! (cd "$ROOT" && swift build "${RELEASE_FLAGS[@]}" --product hailong-agent) >"$CACHE/logs/swift-build-v1.log" 2>&1; then
    grep -E 'error:' "$CACHE/logs/swift-build-v1.log" | head -n 20 >&2 || tail -n 20 "$CACHE/logs/swift-build-v1.log" >&2
    die "hailong-agent does not build (log: ${CACHE#"$ROOT"/}/logs/swift-build-v1.log)"
fi
AGENT1=$(cd "$ROOT" && swift build "${RELEASE_FLAGS[@]}" --show-bin-path)/hailong-agent
log "v1 agent built in $((SECONDS - t_build)) s: $AGENT1"
[[ "$(ldd "$AGENT1")" == *"libgpiod.so.2 "* ]] || die "$AGENT1 is not linked against libgpiod 1.x (libgpiod.so.2)"

verify_v2() { # binary (captured first: grep -q on a pipe trips pipefail)
    local libs symbols
    libs=$(LD_LIBRARY_PATH=$GPIOD2_PREFIX/usr/lib/x86_64-linux-gnu ldd "$1")
    symbols=$(nm -D "$1")
    [[ "$libs" == *"libgpiod.so.3 "* && "$libs" != *"libgpiod.so.2 "* &&
        "$symbols" == *" U gpiod_line_settings_set_debounce_period_us"* ]]
}

if [[ " $GENERATIONS " == *" 2 "* ]]; then
    t_build=$SECONDS
    if [ "${HL_SIM_V2_BUILD:-relink}" = scratch ]; then
        log "v2: swift build in .build-gpiod2 with PKG_CONFIG_PATH=$GPIOD2_PC"
        (cd "$ROOT" && PKG_CONFIG_PATH=$GPIOD2_PC swift build "${RELEASE_FLAGS[@]}" --scratch-path .build-gpiod2 \
            --product hailong-agent) >"$CACHE/logs/swift-build-v2.log" 2>&1 ||
            { tail -n 20 "$CACHE/logs/swift-build-v2.log" >&2; die "the v2 build failed"; }
        AGENT2=$(cd "$ROOT" && swift build "${RELEASE_FLAGS[@]}" --scratch-path .build-gpiod2 --show-bin-path)/hailong-agent
    else
        AGENT2=$(python3 "$HERE/relink-v2.py" "$ROOT/.build/release.yaml" hailong-agent "$GPIOD2_PREFIX" \
            "$ROOT/Sources/GPIO/CHailongGPIO" "$CACHE/agent-v2" 2>"$CACHE/logs/relink-v2.log") ||
            { cat "$CACHE/logs/relink-v2.log" >&2; die "relinking the agent against libgpiod 2 failed (try HL_SIM_V2_BUILD=scratch)"; }
    fi
    verify_v2 "$AGENT2" || die "$AGENT2 is not linked against libgpiod 2.x"
    log "v2 agent (${HL_SIM_V2_BUILD:-relink}) in $((SECONDS - t_build)) s: $AGENT2"
fi
