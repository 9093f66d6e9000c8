using System.Diagnostics;
using Preconfig.ConfigSpace.Simulation;
using Preconfig.ConfigSpace.Sysfs;
using Preconfig.Tests.Lspci;
using static Preconfig.Tests.Preinit.ResetTests;

namespace Preconfig.Tests.Preinit;

/// <summary>
/// Issue 20 item 4, in process: a sysfs <c>reset</c> write the kernel sleeps in (pci_dev_wait(): up to 60 s) is made
/// by a child process preinit abandons at its bound, so preinit itself ends within its hard deadline. The blocking
/// write is a FIFO in a sysfs-shaped temp tree: opening it for writing blocks until a reader comes, as the kernel's
/// reset blocks until the device answers.
/// </summary>
public sealed class ResetChildTests() : TempDirectoryTest("reset-child-")
{
    [Fact]
    public void The_child_writes_the_attribute_and_says_the_errno_when_it_cannot()
    {
        string file = Path.Combine(Dir, "reset");
        File.WriteAllText(file, "0\n");
        var error = new StringWriter();
        Assert.Equal(0, ResetChild.WriteAttribute(file, "1", error));
        Assert.Equal("1", File.ReadAllText(file));
        Assert.Equal(1, ResetChild.WriteAttribute(Path.Combine(Dir, "none", "reset"), "1", error));
        Assert.Contains("No such file or directory (ENOENT)", error.ToString());

        // The same through the built binary's internal verb.
        var child = new ResetChild(ExternalTool.Preconfig, [ResetChild.Verb]);
        File.WriteAllText(file, "0\n");
        Assert.Equal(new ResetChild.Outcome(false, null, null), child.Write(file, "1", TimeSpan.FromSeconds(30)));
        Assert.Equal("1", File.ReadAllText(file));
        Assert.Contains("ENOENT", child.Write(Path.Combine(Dir, "none"), "1", TimeSpan.FromSeconds(30)).Error);
    }

    [Fact]
    public void A_program_that_cannot_start_or_a_child_that_fails_is_an_error_not_an_abandoned_child()
    {
        // posix_spawn reports the failed exec (ENOENT) itself; a child that exits 3 without a word, or is killed by
        // SIGTERM (15), is reported with its status as sh(1) and waitpid(2) define them.
        var missing = new ResetChild(Path.Combine(Dir, "no-such-program"), []).Write(Path.Combine(Dir, "reset"), "1", TimeSpan.FromSeconds(5));
        Assert.False(missing.Abandoned);
        Assert.Contains("cannot start", missing.Error);
        Assert.Contains("ENOENT", missing.Error);
        var exit3 = new ResetChild("/bin/sh", ["-c", "exit 3", "sh"]).Write(Path.Combine(Dir, "reset"), "1", TimeSpan.FromSeconds(5));
        Assert.Equal(new ResetChild.Outcome(false, "child exited 3", null), exit3);
        var killed = new ResetChild("/bin/sh", ["-c", "echo writing; echo gone >&2; kill -TERM $$", "sh"]).Write(Path.Combine(Dir, "reset"), "1", TimeSpan.FromSeconds(5));
        Assert.Equal(new ResetChild.Outcome(false, "gone", null), killed);
        var silentKill = new ResetChild("/bin/sh", ["-c", "echo writing; kill -TERM $$", "sh"]).Write(Path.Combine(Dir, "reset"), "1", TimeSpan.FromSeconds(5));
        Assert.Equal(new ResetChild.Outcome(false, "child exited 143", null), silentKill);
    }

    [Fact]
    public void A_child_that_never_says_it_started_is_abandoned_at_the_start_bound()
    {
        // The write's bound counts from the child's "writing" line (process start under emulation took about 1 s);
        // a child that never gets there is still abandoned, at StartBound.
        var silent = new ResetChild("/bin/sh", ["-c", "exec sleep 30", "sh"]);
        var watch = Stopwatch.StartNew();
        var outcome = silent.Write(Path.Combine(Dir, "reset"), "1", TimeSpan.FromMilliseconds(100));
        Assert.True(outcome.Abandoned);
        Assert.Contains($"did not start within {ResetChild.StartBound.TotalMilliseconds} ms", outcome.Error);
        Assert.InRange(watch.Elapsed, ResetChild.StartBound, ResetChild.StartBound + TimeSpan.FromSeconds(5));
        if (outcome.ProcessId is int pid) System.Diagnostics.Process.GetProcessById(pid).Kill();
    }

    [Fact]
    public void Preinit_exits_within_the_hard_bound_while_the_reset_write_still_blocks()
    {
        var crash = Crash((Nic, ["flr"]));
        string root = Path.Combine(Dir, "sys");
        SysfsTreeWriter.Write(crash.Machine, new System.IO.Abstractions.FileSystem(), root);
        string fifo = Path.Combine(root, "devices", Nic.ToString(), "reset");
        File.Delete(fifo);
        Assert.Equal(0, ExternalTool.Run("mkfifo", fifo).ExitCode);
        string firmware = Path.Combine(Dir, "fw.json");
        SimulatedMachine.FromDump(Preconfig.ConfigSpace.Lspci.LspciDumpReader.ReadFile(Path.Combine(RepoPaths.RealDumps, "pciutils-tests/tree-asus-p6t6"))).Save(firmware);
        string policy = Path.Combine(Dir, "policy.json"), report = Path.Combine(Dir, "report.json");
        File.WriteAllText(policy, $$"""{"reset": [{"match": {"address": "{{Nic}}"}, "reset": "if-supported", "methods": ["flr"]}]}""");

        var watch = Stopwatch.StartNew();
        var run = ExternalTool.Run(ExternalTool.Preconfig, "preinit", "--from", $"sim:{firmware}", "--target", $"sysfs:{root}",
            "--policy", policy, "--report", report, "--kmsg", Path.Combine(Dir, "kmsg"),
            "--deadline-ms", "5000", "--hard-deadline-ms", "8000", "--reset-ready-ms", "300");
        var elapsed = watch.Elapsed;
        string drained = "";
        try
        {
            Assert.True(run.ExitCode == 0, run.Stderr);
            // The whole process, startup included, within the hard bound (8 s; the child is abandoned after the FLR's
            // worst wait, 200 + 100 + 300 ms, so well before), while the write it started still blocks.
            Assert.True(elapsed < TimeSpan.FromSeconds(8), $"preinit took {elapsed}");
            var nic = ReportReader.Read(File.ReadAllText(report)).Devices.Single(d => d.Address == Nic.ToString());
            Assert.True(nic.Reset is not null, nic.Reason);
            Assert.Equal("failed", nic.Outcome);
            Assert.Contains("abandoned", nic.Reset!.Status);
            Assert.Contains("reset_method left as flr", nic.Reset.Status);
        }
        finally
        {
            // The child is still there, blocked in its write: a reader lets it finish (and proves it was waiting).
            drained = ExternalTool.Run("timeout", "10", "cat", fifo).Stdout;
        }
        Assert.Equal("1", drained);
    }
}
