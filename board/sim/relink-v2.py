#!/usr/bin/env python3
"""Relinks the release hailong-agent against libgpiod 2.x without rebuilding the package.

Only the C target CHailongGPIO and the library differ between the libgpiod generations:
Swift sees hl_gpio.h alone, which both implement. So the v2 agent is the v1 build's link
step replayed with CHailongGPIO's objects compiled against the v2 headers and the v2
prefix's library directory searched first. That takes seconds, where a second package
build in its own scratch folder takes many minutes on two cores.

usage: relink-v2.py BUILD_YAML PRODUCT PREFIX GPIO_SRC OUT_DIR
Prints the path of the relinked binary.
"""
import json
import os
import re
import subprocess
import sys


def link_args(yaml_path, product):
    """The args of the llbuild command that links PRODUCT (a JSON list on one line)."""
    name = re.compile(r'^  "C\.%s-[^"]*\.exe":$' % re.escape(product))
    with open(yaml_path) as f:
        lines = f.read().splitlines()
    for i, line in enumerate(lines):
        if name.match(line):
            for follow in lines[i + 1 : i + 12]:
                stripped = follow.strip()
                if stripped.startswith("args: "):
                    return json.loads(stripped[len("args: ") :])
    sys.exit("relink-v2: no link command for %s in %s" % (product, yaml_path))


def main():
    yaml_path, product, prefix, gpio_src, out_dir = (os.path.abspath(a) if i != 1 else a for i, a in enumerate(sys.argv[1:6]))
    args = link_args(yaml_path, product)
    os.makedirs(out_dir, exist_ok=True)
    libdir = os.path.join(prefix, "usr/lib/x86_64-linux-gnu")
    include = os.path.join(prefix, "usr/include")

    file_lists = [a for a in args if a.startswith("@")]
    if len(file_lists) != 1:
        sys.exit("relink-v2: expected one @file list in the link command, found %d" % len(file_lists))
    with open(file_lists[0][1:]) as f:
        entries = f.read().splitlines()

    # Lines are kept verbatim (SwiftPM quotes paths with spaces); only CHailongGPIO's change.
    replaced = 0
    new_entries = []
    for entry in entries:
        m = re.search(r"/CHailongGPIO\.build/([^/'\"]+\.c)\.o['\"]?$", entry)
        if m:
            source = os.path.join(gpio_src, m.group(1))
            target = os.path.join(out_dir, "CHailongGPIO-v2-" + m.group(1) + ".o")
            subprocess.run(
                ["cc", "-O2", "-fPIC", "-I", os.path.join(gpio_src, "include"), "-I", include, "-c", source, "-o", target],
                check=True,
            )
            new_entries.append(target)
            replaced += 1
        else:
            new_entries.append(entry)
    if replaced == 0:
        sys.exit("relink-v2: no CHailongGPIO objects in the link file list")
    file_list = os.path.join(out_dir, "Objects.LinkFileList")
    with open(file_list, "w") as f:
        f.write("".join(e + "\n" for e in new_entries))

    out = os.path.join(out_dir, product)
    new_args = [args[0], "-L" + libdir]
    skip_next = False
    for i, a in enumerate(args[1:], start=1):
        if skip_next:
            skip_next = False
            continue
        if a == "-o":
            new_args += ["-o", out]
            skip_next = True
        elif a.startswith("@"):
            new_args.append("@" + file_list)
        else:
            new_args.append(a)
    subprocess.run(new_args, check=True)
    print(out)


if __name__ == "__main__":
    main()
