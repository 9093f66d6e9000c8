using System.Diagnostics;
using Preconfig.Tests.Lspci;
using Preconfig.Preinit.Apply;
using Preconfig.Preinit.Loading;
using Preconfig.Preinit.Matching;
using Preconfig.Preinit.Planning;
using Preconfig.Preinit.Policy;

namespace Preconfig.Tests.Preinit;

/// <summary>
/// The dry-run's setpci commands, run by the real setpci (pciutils) on a sysfs-shaped tree, leave the same bytes as
/// preinit applying the plan to an identical tree: the demo machine and every real dump in fixtures/real-dumps.
/// </summary>
public sealed class SetpciInteropTests() : TempDirectoryTest("preinit-setpci-")
{
    /// <summary>The default policy with nothing left to the kernel: what setpci must reproduce is every restore, on
    /// every dump (several are a lone host bridge or system peripheral the default leaves alone).</summary>
    private static readonly ReplayPolicy EveryFunction = ReplayPolicy.Parse("""{"notKernelOwned": ["class:03", "class:06", "class:08"]}""");

    public static TheoryData<string> Inputs()
    {
        var data = new TheoryData<string> { "fixtures/machines/demo.json" };
        foreach (var f in RealDumps.All()) data.Add(Path.GetRelativePath(RepoPaths.Root, f));
        return data;
    }

    [Fact]
    public void EveryRealDumpIsCovered() => Assert.True(RealDumps.All().Count() >= 50, $"{RealDumps.All().Count()} real dumps");

    [Theory]
    [MemberData(nameof(Inputs))]
    public void SetpciRunningTheDryRunLeavesTheSameBytesAsPreinit(string input)
    {
        string path = Path.Combine(RepoPaths.Root, input);
        var machine = path.EndsWith(".json", StringComparison.Ordinal) ? SimulatedMachine.Load(path) : SimulatedMachine.FromDump(LspciDumpReader.ReadFile(path));
        var snapshot = AccessSnapshot.Capture(machine, "firmware");
        KernelRun.Dirty(machine, seed: 9);
        var fs = new FileSystem();
        string a = Path.Combine(Dir, "a"), b = Path.Combine(Dir, "b");
        SysfsTreeWriter.Write(machine, fs, a);
        SysfsTreeWriter.Write(machine, fs, b);
        var before = ReadTree(b);

        string script;
        using (var treeA = new SysfsPciAccess(fs, a, writable: false))
        {
            var plan = ReplayPlanner.Build(DeviceMatcher.Match(snapshot, treeA, EveryFunction), EveryFunction);
            Assert.NotEmpty(plan.Steps);
            script = SetpciScript.Render(plan, a, $"-A linux-sysfs -O sysfs.path={a}");
        }
        File.WriteAllText(Path.Combine(Dir, "plan.sh"), script);
        var sh = Process.Start(new ProcessStartInfo("sh", ["-e", Path.Combine(Dir, "plan.sh")]) { RedirectStandardError = true })!;
        string errors = sh.StandardError.ReadToEnd();
        sh.WaitForExit();
        Assert.True(sh.ExitCode == 0, $"setpci script failed: {errors}");

        using (var treeB = new SysfsPciAccess(fs, b))
        {
            // A plain file cannot model write-1-to-clear, so the clear steps read back unchanged: no retries here.
            var plan = ReplayPlanner.Build(DeviceMatcher.Match(snapshot, treeB, EveryFunction), EveryFunction);
            ReplayApplier.Apply(plan, treeB, new ApplyOptions { Retries = 0, RetryDelay = TimeSpan.Zero });
        }

        var afterSetpci = ReadTree(a);
        var afterPreinit = ReadTree(b);
        Assert.Equal(afterSetpci.Keys, afterPreinit.Keys);
        foreach (var (address, bytes) in afterSetpci)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(afterPreinit[address]), $"{address}: setpci and preinit left different bytes");
        }
        Assert.Contains(afterPreinit, kv => !kv.Value.AsSpan().SequenceEqual(before[kv.Key]));
    }

    private static SortedDictionary<string, byte[]> ReadTree(string root)
    {
        var map = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var dir in Directory.EnumerateDirectories(Path.Combine(root, "devices")))
            map[Path.GetFileName(dir)] = File.ReadAllBytes(Path.Combine(dir, "config"));
        return map;
    }
}
