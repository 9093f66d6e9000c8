using System.CommandLine;
using Preconfig.Cli;
using Preconfig.FullEdition;
using Preconfig.Preinit.Reporting;

namespace Preconfig.Tests.Preinit;

/// <summary>The verbs as a user runs them: sim dirty, preinit (apply, dry-run, boot mode, bad input).</summary>
public sealed class PreinitVerbTests() : TempDirectoryTest("preinit-verb-")
{
    /// <summary>The <c>preconfig</c> command line, in process.</summary>
    internal static int Run(params string[] args)
    {
        var root = new RootCommand("test");
        foreach (var verb in FullVerbs.All()) root.Subcommands.Add(verb);
        return CliRunner.Run(root, args);
    }

    private (string Firmware, string Run) Machines()
    {
        string fw = Path.Combine(Dir, "fw.json"), run = Path.Combine(Dir, "run.json");
        File.Copy(Path.Combine(RepoPaths.Fixtures, "machines", "demo.json"), fw);
        File.Copy(fw, run);
        return (fw, run);
    }

    [Fact]
    public void SimDirtyThenPreinitOnTheMachineFileRestoresIt()
    {
        var (fw, run) = Machines();
        Assert.Equal(0, Run("sim", "dirty", run, "--seed", "5"));
        var dirty = SimulatedMachine.Load(run);
        Assert.All(dirty.Functions, f => Assert.True(f.Space.DmaAllowed));
        string report = Path.Combine(Dir, "report.json");
        Assert.Equal(0, Run("preinit", "--from", $"sim:{fw}", "--target", $"sim:{run}", "--report", report, "--kmsg", Path.Combine(Dir, "kmsg"), "--strict"));
        var r = ReportReader.Read(File.ReadAllText(report));
        Assert.Equal(dirty.Count, r.Devices.Count);
        Assert.All(r.Devices, d => Assert.Equal(Owned.Outcome(dirty, d.Address), d.Outcome));
        var after = SimulatedMachine.Load(run);
        var firmware = SimulatedMachine.Load(fw);
        foreach (var f in after.Functions.Where(f => !Owned.Whole(after, f.Address)))
            Assert.Equal(firmware[f.Address].Space.Snapshot()[0x3c], f.Space.Snapshot()[0x3c]);
    }

    [Fact]
    public void BootModeOnANormalBootDoesNothing()
    {
        var (fw, run) = Machines();
        Run("sim", "dirty", run);
        string before = File.ReadAllText(run);
        string cmdline = Path.Combine(Dir, "cmdline");
        File.WriteAllText(cmdline, "root=/dev/vda1 quiet\n");
        Assert.Equal(0, Run("preinit", "--boot", "--from", $"sim:{fw}", "--target", $"sim:{run}", "--cmdline", cmdline,
            "--vmcore", Path.Combine(Dir, "no-vmcore"), "--kmsg", Path.Combine(Dir, "kmsg")));
        Assert.Equal(before, File.ReadAllText(run));
        // In boot mode even an unreadable store and target end in exit 0.
        File.WriteAllText(cmdline, "reset_devices\n");
        Assert.Equal(0, Run("preinit", "--boot", "--from", Path.Combine(Dir, "missing.pcfg"), "--target", "sysfs:" + Path.Combine(Dir, "nothing"),
            "--cmdline", cmdline, "--kmsg", Path.Combine(Dir, "kmsg")));
        Assert.Contains("<3>preconfig:", File.ReadAllText(Path.Combine(Dir, "kmsg")));
    }

    [Fact]
    public void BadInputExitsTwo()
    {
        var (fw, run) = Machines();
        string policy = Path.Combine(Dir, "policy.json");
        File.WriteAllText(policy, "{ \"reset\": \"always\" }");
        Assert.Equal(2, Run("preinit", "--from", $"sim:{fw}", "--target", $"sim:{run}", "--policy", policy));
        Assert.Equal(2, Run("preinit", "--from", $"sim:{fw}", "--target", "floppy:/dev/fd0"));
        Assert.Equal(2, Run("preinit", "--from", Path.Combine(Dir, "missing.pcfg"), "--target", $"sim:{run}"));
        Assert.Equal(2, Run("sim", "dirty", Path.Combine(Dir, "missing.json")));
    }
}

/// <summary>--from with real blob stores: a corrupt or forged blob falls back to another store, the reason logged.</summary>
public sealed class PreinitStoreTests() : TempDirectoryTest("preinit-store-")
{
    [Fact]
    public void ACorruptOrForgedBlobFallsBackToAValidOneAndTheReasonIsLogged()
    {
        string fw = Path.Combine(Dir, "fw.json"), run = Path.Combine(Dir, "run.json"), kmsg = Path.Combine(Dir, "kmsg");
        File.Copy(Path.Combine(RepoPaths.Fixtures, "machines", "demo.json"), fw);
        File.Copy(fw, run);
        var fs = new System.IO.Abstractions.FileSystem();
        var snapshot = Preconfig.Preinit.Loading.AccessSnapshot.Capture(SimulatedMachine.Load(fw), "firmware");
        string key = Path.Combine(Dir, "key"), otherKey = Path.Combine(Dir, "other-key");
        File.WriteAllBytes(key, Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
        File.WriteAllBytes(otherKey, Enumerable.Range(2, 32).Select(i => (byte)i).ToArray());
        string corrupt = Path.Combine(Dir, "corrupt.pcfg"), forged = Path.Combine(Dir, "forged.pcfg"), good = Path.Combine(Dir, "good.pcfg");
        HandoffStore.Parse(corrupt, fs).Save(snapshot, HandoffKey.Load(fs, key));
        var bytes = File.ReadAllBytes(corrupt);
        bytes[^5] ^= 0x40;
        File.WriteAllBytes(corrupt, bytes);
        HandoffStore.Parse(forged, fs).Save(snapshot, HandoffKey.Load(fs, otherKey));
        HandoffStore.Parse(good, fs).Save(snapshot, HandoffKey.Load(fs, key));

        var root = new System.CommandLine.RootCommand("test");
        foreach (var verb in FullVerbs.All()) root.Subcommands.Add(verb);
        Assert.Equal(0, CliRunner.Run(root, ["sim", "dirty", run]));
        string report = Path.Combine(Dir, "report.json");
        Assert.Equal(0, CliRunner.Run(root, ["preinit", "--from", corrupt, "--from", $"file:{forged}", "--from", good, "--key", key,
            "--target", $"sim:{run}", "--kmsg", kmsg, "--report", report, "--strict"]));
        var machine = SimulatedMachine.Load(run);
        Assert.All(ReportReader.Read(File.ReadAllText(report)).Devices, d => Assert.Equal(Owned.Outcome(machine, d.Address), d.Outcome));
        var log = File.ReadAllLines(kmsg);
        Assert.Contains(log, l => l.StartsWith($"<4>preconfig: store {corrupt}:", StringComparison.Ordinal));
        Assert.Contains(log, l => l.StartsWith($"<4>preconfig: store file:{forged}:", StringComparison.Ordinal));
        Assert.Contains(log, l => l.StartsWith("<6>preconfig: snapshot from", StringComparison.Ordinal) && l.Contains("good.pcfg"));
        // Only bad stores: nothing is touched, and outside boot mode that is exit 2.
        string before = File.ReadAllText(run);
        Assert.Equal(2, CliRunner.Run(root, ["preinit", "--from", corrupt, "--key", key, "--target", $"sim:{run}", "--kmsg", kmsg]));
        Assert.Equal(before, File.ReadAllText(run));
    }
}
