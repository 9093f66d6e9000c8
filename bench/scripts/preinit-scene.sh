#!/usr/bin/env bash
# Sourced by the preinit benches: builds the scene in $work with the full binary $full. 128 functions (the bundled
# 16-function machine repeated in 8 PCI domains, 0000..0007): the firmware snapshot as a blob ($work/handoff.pcfg),
# the crashed state as a sysfs-shaped tree ($work/dirty, copy it fresh for every run) and a policy without retries
# ($work/policy.json: a plain file cannot model write-1-to-clear bits, so every run does exactly the same writes).
/usr/bin/python3 - "$here/fixtures/machines/demo.json" "$work/fw.json" <<'PY'
import json, sys
src = json.load(open(sys.argv[1]))
funcs = []
for domain in range(8):
    for f in src["functions"]:
        g = dict(f)
        g["address"] = "%04x" % domain + f["address"][4:]
        funcs.append(g)
src["functions"] = funcs
src["description"] = "128 functions (demo machine x 8 domains)"
json.dump(src, open(sys.argv[2], "w"))
PY
cp "$work/fw.json" "$work/run.json"
"$full" capture --source "sim:$work/fw.json" --out "file:$work/handoff.pcfg" >/dev/null
"$full" sim dirty "$work/run.json" --seed 1 >/dev/null
"$full" sim sysfs "$work/run.json" "$work/dirty" >/dev/null
echo '{ "retries": 0 }' > "$work/policy.json"
