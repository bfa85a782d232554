# Shared by the real-kernel GPIO harnesses, board/sim/run (amd64) and board/cross/sim-arm64:
# the gpio-sim module's sources and the reading of the guest's console. Sourced, not run;
# the caller defines log and die.

# gpio_sim_sources SOURCE_TARBALL DIR: gpio-sim as an out-of-tree module, ready for
# `make -C <headers> M=DIR modules`. Debian builds neither GPIO_SIM nor IRQ_SIM, so the
# module carries irq_sim.c too, with the one call a module cannot make (irq_to_desc is not
# exported) replaced by its exported equivalent.
gpio_sim_sources() {
    local tarball=$1 dir=$2 src
    src=$(mktemp -d)
    rm -rf "$dir" && mkdir -p "$dir"
    tar -xJf "$tarball" -C "$src" --strip-components=1 --wildcards \
        '*/drivers/gpio/gpio-sim.c' '*/drivers/gpio/gpiolib.h' '*/kernel/irq/irq_sim.c'
    cp "$src/drivers/gpio/gpio-sim.c" "$dir/gpio-sim-main.c"
    cp "$src/drivers/gpio/gpiolib.h" "$dir/"
    sed 's/handle_simple_irq(irq_to_desc(irqnum))/generic_handle_irq(irqnum)/' \
        "$src/kernel/irq/irq_sim.c" >"$dir/irq_sim.c"
    rm -rf "$src"
    grep -q 'generic_handle_irq(irqnum)' "$dir/irq_sim.c" || die "irq_sim.c changed: the irq_to_desc patch no longer applies"
    printf 'obj-m := gpio-sim.o\ngpio-sim-y := gpio-sim-main.o irq_sim.o\n' >"$dir/Kbuild"
}

# scenario_result CONSOLE SCENARIO: the guest's "HLSIM PASS|FAIL SCENARIO ..." line for it,
# or a FAIL line saying why there is none. A failure of the agent's start is reported
# against each scenario it blocked.
scenario_result() {
    local console=$1 s=$2 line
    line=$(grep -E "^HLSIM (PASS|FAIL) $s( |$)" "$console" | tail -n 1 || true)
    if [ -z "$line" ]; then
        line="HLSIM FAIL $s no result on the console (guest crashed or timed out; see the console log)"
    fi
    if grep -q "^HLSIM FAIL check " "$console" && [ "$s" != kernel ]; then
        line="HLSIM FAIL $s $(grep '^HLSIM FAIL check ' "$console" | head -n 1 | cut -d' ' -f4-)"
    fi
    echo "$line"
}
