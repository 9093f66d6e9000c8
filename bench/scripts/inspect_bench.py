#!/usr/bin/python3
"""inspect and diff of a 1,024-function input with the AOT binary: medians, and ratios against lspci in the same run.

Usage: bench/scripts/inspect_bench.py [--runs N] [--binary dist/preconfig]
Builds a 1,024-function lspci dump from the real pciutils test dumps (each function copied with a new address), a
"kernel ran" copy of it (Bus Master on, Interrupt Line changed, Received Master Abort set on every function), and,
when `preconfig capture` exists, blobs of both. Then times each command (wall clock, output to /dev/null).
"""
import argparse, os, re, resource, statistics, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.normpath(os.path.join(here, "..", ".."))
dumps = os.path.join(root, "fixtures", "real-dumps", "pciutils-tests")

def read_functions():
    funcs = []
    addr = re.compile(r"^([0-9a-f]{4,6}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7] ")
    for name in sorted(os.listdir(dumps)):
        cur = None
        for line in open(os.path.join(dumps, name), errors="replace"):
            line = line.rstrip("\n")
            if addr.match(line):
                cur = [line.split(" ", 1)[1] if " " in line else "", []]
                funcs.append(cur)
            elif cur is not None and re.match(r"^[0-9a-f]{2,3}: ", line):
                cur[1].append(line)
            elif not line:
                cur = None
    return [f for f in funcs if f[1]]

def write_dump(path, funcs, dirty):
    with open(path, "w") as out:
        for i in range(1024):
            desc, rows = funcs[i % len(funcs)]
            bus, dev = 1 + i // 32, i % 32
            out.write(f"0000:{bus:02x}:{dev:02x}.0 {desc[:80]}\n")
            for row in rows:
                if dirty and row.startswith("00: "):
                    b = row[4:].split(" ")
                    b[4] = f"{int(b[4], 16) | 0x04:02x}"       # Command: Bus Master
                    b[7] = f"{int(b[7], 16) | 0x20:02x}"       # Status: Received Master Abort
                    row = "00: " + " ".join(b)
                if dirty and row.startswith("30: "):
                    b = row[4:].split(" ")
                    b[12] = f"{int(b[12], 16) ^ 0x0a:02x}"     # Interrupt Line
                    row = "30: " + " ".join(b)
                out.write(row + "\n")
            out.write("\n")

def median_ms(cmd, runs, ok=(0,)):
    """(wall, cpu) medians in ms; cpu is the child's user+system time, which a busy shared machine distorts less."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        walls.append((time.perf_counter() - t) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)
        if r.returncode not in ok:
            sys.exit(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr.decode()[:300]}")
    return statistics.median(walls), statistics.median(cpus)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--binary", default=os.path.join(root, "dist", "preconfig"))
    args = ap.parse_args()
    if not os.path.exists(args.binary):
        sys.exit(f"{args.binary} is missing: run ./build.sh first")
    tmp = tempfile.mkdtemp(prefix="inspect-bench-")
    funcs = read_functions()
    a, b = os.path.join(tmp, "a.lspci"), os.path.join(tmp, "b.lspci")
    write_dump(a, funcs, False)
    write_dump(b, funcs, True)
    inputs = {"lspci": (f"lspci:{a}", f"lspci:{b}")}
    # Blobs when the capture verb exists (the handoff's format).
    cap = subprocess.run([args.binary, "capture", "--source", f"lspci:{a}", "--out", os.path.join(tmp, "a.pcfg")], capture_output=True)
    if cap.returncode == 0:
        subprocess.run([args.binary, "capture", "--source", f"lspci:{b}", "--out", os.path.join(tmp, "b.pcfg")], check=True, capture_output=True)
        inputs["blob"] = (os.path.join(tmp, "a.pcfg"), os.path.join(tmp, "b.pcfg"))
    else:
        print("(no blob: `preconfig capture` is not available in this build; measuring lspci dumps only)")

    n = args.runs
    lspci_vvv = median_ms(["lspci", "-F", a, "-vvv"], n)
    lspci_diff = median_ms(["bash", "-c", f"diff <(lspci -F {a} -vvv) <(lspci -F {b} -vvv)"], n, ok=(0, 1))
    print(f"1,024 functions, {n} runs each, medians in ms (binary {args.binary}; load average {os.getloadavg()[0]:.1f})")
    print(f"{'command':48} {'wall ms':>9} {'cpu ms':>9} {'wall vs peer':>13}")
    print(f"{'peer: lspci -F A -vvv':48} {lspci_vvv[0]:9.1f} {lspci_vvv[1]:9.1f}")
    print(f"{'peer: diff of two lspci -F -vvv outputs':48} {lspci_diff[0]:9.1f} {lspci_diff[1]:9.1f}")
    for kind, (x, y) in inputs.items():
        for label, cmd, peer, ok in [
            (f"inspect {kind}", [args.binary, "inspect", x], lspci_vvv, (0,)),
            (f"inspect {kind} --json", [args.binary, "inspect", x, "--json"], lspci_vvv, (0,)),
            (f"diff {kind} (every function changed)", [args.binary, "diff", x, y], lspci_diff, (1,)),
            (f"diff {kind} --json", [args.binary, "diff", x, y, "--json"], lspci_diff, (1,)),
            (f"diff {kind} against itself", [args.binary, "diff", x, x], lspci_diff, (0,)),
        ]:
            wall, cpu = median_ms(cmd, n, ok)
            print(f"{label:48} {wall:9.1f} {cpu:9.1f} {wall / peer[0]:12.2f}x")
    for f in os.listdir(tmp):
        os.remove(os.path.join(tmp, f))
    os.rmdir(tmp)

main()
