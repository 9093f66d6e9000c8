"""What the matrix checkers (mxcheck.py, lsicheck.py) share: check.py's command line, the guest's E2E records, the
problems found and the one verdict line "e2e: PASS|FAIL <scenario> (figures)"."""
import argparse
import sys


class Verdict:
    def __init__(self):
        ap = argparse.ArgumentParser()
        ap.add_argument("scenario")
        ap.add_argument("log")
        ap.add_argument("--wall", default="?")
        ap.add_argument("--qemu-rc", type=int, default=0)
        ap.add_argument("--qemu-out", default=None)
        self.args = ap.parse_args()
        self.scenario = self.args.scenario
        self.problems = []
        self.figures = {"wall_s": self.args.wall}
        try:
            self.text = open(self.args.log, "rb").read().decode("latin-1")
        except OSError:
            self.text = ""
        if self.args.qemu_rc == 124:
            self.problems.append("QEMU timed out")
        elif self.args.qemu_rc != 0:
            self.problems.append(f"QEMU exit {self.args.qemu_rc}")

    def records(self):
        """(words, rest of the line) of every "E2E:" record (one may follow a kernel message on the same line)."""
        for line in self.text.split("\n"):
            i = line.find("E2E:")
            if i >= 0:
                rest = line[i + 4:].rstrip("\r")
                yield rest.split(" "), rest

    def need(self, cond, msg):
        if not cond:
            self.problems.append(msg)
        return cond

    def finish(self, limit=None):
        """Exit 0 on PASS, 1 on FAIL; with `limit` (what the scenario asserts and what it cannot fix), a scenario
        whose checks held prints LIMIT and exits 3: kdump.sh counts it apart, never as passed."""
        fig = " ".join(f"{k}={v}" for k, v in self.figures.items() if v is not None)
        if self.problems:
            print(f"e2e: FAIL {self.scenario}: " + "; ".join(dict.fromkeys(self.problems)) + f" ({fig})")
            sys.exit(1)
        if limit:
            print(f"e2e: LIMIT {self.scenario}: {limit} ({fig})")
            sys.exit(3)
        print(f"e2e: PASS {self.scenario} ({fig})")
