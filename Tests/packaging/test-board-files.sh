#!/bin/sh
# The udev rule (parsed by udev itself) and the pin maps (valid YAML, chip named by label
# where the number is unstable, no line used twice).
set -u
. "$(dirname "$0")/lib.sh"

rule=$repo/board/udev/60-hailong-gpio.rules

check "the udev rule matches the GPIO chips only" grep -qE '^SUBSYSTEM=="gpio", KERNEL=="gpiochip\[0-9\]\*", GROUP="gpio", MODE="0660"$' "$rule"

# udevadm test reads every rules file and names the bad lines of each; /sys/class/net/lo is
# just some device to run the rules against.
if need_packages udev && [ -e /sys/class/net/lo ]; then
    mkdir -p /run/udev/rules.d
    under_test=/run/udev/rules.d/60-hailong-gpio-under-test.rules
    cp "$rule" "$under_test"
    complaints=$(udevadm test --action=add /sys/class/net/lo 2>&1 | grep -F "$under_test:" || true)
    rm -f "$under_test"
    # The group only exists once the package or install.sh created it.
    if ! getent group gpio >/dev/null; then
        complaints=$(printf '%s\n' "$complaints" | grep -v "Unknown group 'gpio'" || true)
    fi
    if [ -z "$complaints" ]; then
        pass "udev parses the rule without complaint"
    else
        fail "udev complains about the rule"
        printf '%s\n' "$complaints" | sed 's/^/    /'
    fi
else
    skip "udevadm test needs udev and /sys/class/net/lo"
fi

need_packages python3-yaml || fail "python3-yaml is not installable"
for map in "$repo"/board/pinmaps/*.yaml "$repo/board/agent.example.yaml"; do
    name=$(basename "$map")
    check "$name: a gpio section with buttons 1-3, three LEDs, each line once" python3 - "$map" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
gpio = doc["gpio"]
assert set(gpio) <= {"backend", "chip", "buttons", "leds", "active_low", "bias", "debounce_ms", "stuck_s"}, gpio.keys()
assert gpio["backend"] == "libgpiod", gpio["backend"]
assert sorted(gpio["buttons"]) == [1, 2, 3], gpio["buttons"]
assert sorted(gpio["leds"]) == ["fault", "ready", "thanks"], gpio["leds"]
lines = list(gpio["buttons"].values()) + list(gpio["leds"].values())
assert all(isinstance(n, int) and n >= 0 for n in lines), lines
assert len(set(lines)) == len(lines), f"a line is used twice: {lines}"
assert gpio["bias"] in {"pull-up", "pull-down", "disabled", "as-is"}, gpio["bias"]
PY
done

chip() {
    sed -n 's/^  chip: *\([^ #]*\).*/\1/p' "$repo/board/pinmaps/$1"
}
check "Raspberry Pi 5: chip named by the label pinctrl-rp1 (gpiochip4 or gpiochip0 by kernel)" test "$(chip raspberry-pi-5.yaml)" = pinctrl-rp1
check "Raspberry Pi 4: chip named by the label pinctrl-bcm2711" test "$(chip raspberry-pi-4.yaml)" = pinctrl-bcm2711
check "Orange Pi Zero 3: chip named by the label 300b000.pinctrl" test "$(chip orange-pi-zero-3.yaml)" = 300b000.pinctrl

finish
