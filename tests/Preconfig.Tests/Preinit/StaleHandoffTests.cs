using System.Text.Json;

namespace Preconfig.Tests.Preinit;

/// <summary>
/// issue 24 item 7: when the daemon fails at boot, the kdump image can still carry the previous boot's handoff. With
/// the production boot's id on the capture kernel's command line (<c>preconfig.boot_id=</c>) preinit recognises it:
/// refused, the unbound endpoints quiesced only.
/// </summary>
public sealed class StaleHandoffTests() : TempDirectoryTest("preinit-stale-")
{
    private const string ThisBoot = "6c1a4b6e-0d7f-4f57-9a43-0f1e2d3c4b5a", LastBoot = "0b8e6d7c-1234-4abc-8def-00112233aabb";

    [Theory]
    [InlineData(ThisBoot, "restored")]
    [InlineData(LastBoot, "quiesced")]
    [InlineData(null, "restored")]     // a command line without the parameter: nothing to compare, as before
    public void A_handoff_from_another_boot_is_recognised_and_refused(string? cmdlineBoot, string outcome)
    {
        var fs = new FileSystem();
        string fw = Path.Combine(Dir, "fw.json"), run = Path.Combine(Dir, "run.json"), blob = Path.Combine(Dir, "handoff.pcfg");
        File.Copy(Path.Combine(RepoPaths.Fixtures, "machines", "demo.json"), fw);
        File.Copy(fw, run);
        var taken = SnapshotSources.Take([SnapshotSources.Open("sim:" + fw, fs)], out _);
        var snapshot = new Preconfig.Handoff.Model.Snapshot
        {
            CapturedAt = taken.CapturedAt, HostName = "host", BootId = ThisBoot, Sources = taken.Sources, Devices = taken.Devices,
        };
        HandoffStore.Parse("file:" + blob, fs).Save(snapshot);
        Assert.Equal(0, PreinitVerbTests.Run("sim", "dirty", run, "--seed", "2"));
        string cmdline = Path.Combine(Dir, "cmdline"), report = Path.Combine(Dir, "report.json"), kmsg = Path.Combine(Dir, "kmsg");
        File.WriteAllText(cmdline, "elfcorehdr=0x1000 reset_devices" + (cmdlineBoot is null ? "" : " preconfig.boot_id=" + cmdlineBoot) + "\n");

        Assert.Equal(0, PreinitVerbTests.Run("preinit", "--boot", "--from", "file:" + blob, "--target", $"sim:{run}", "--cmdline", cmdline,
            "--vmcore", Path.Combine(Dir, "no-vmcore"), "--kmsg", kmsg, "--report", report, "--boot-key", Path.Combine(Dir, "no-key")));

        using var doc = JsonDocument.Parse(File.ReadAllText(report));
        var outcomes = doc.RootElement.GetProperty("devices").EnumerateArray().Select(d => d.GetProperty("outcome").GetString()).ToList();
        Assert.Contains(outcome, outcomes);
        if (outcome == "quiesced")
        {
            Assert.DoesNotContain("restored", outcomes);
            Assert.Contains($"captured in boot {ThisBoot}", File.ReadAllText(kmsg));
            Assert.Contains($"not in the crashed boot {LastBoot}", File.ReadAllText(kmsg));
        }
    }
}
