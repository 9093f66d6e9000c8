using System.Text.Json;

namespace Preconfig.Tests.Preinit;

/// <summary>
/// issue 24 item 5: a key rotation (packaging/lib/preconfig-key rotate: old key kept as handoff.key.old, new key,
/// daemon re-signs, kdump image rebuilt with both keys, then without the old one) while the daemon keeps capturing
/// into reserved memory (two slots), with a crash at every step: the capture kernel always finds a key and a blob that
/// match. Which states can meet is the script's order: the image loaded at a crash holds [K1], [K2 + K1.old] or, once a
/// handoff signed with K2 is loaded, [K2]; the store holds K1 only, K1 and a torn K2 write, or K1 and K2.
/// </summary>
public sealed class KeyRotationTests() : TempDirectoryTest("preinit-rotation-")
{
    private readonly FileSystem _fs = new();
    private static readonly byte[] K1 = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
    private static readonly byte[] K2 = [.. Enumerable.Range(101, 32).Select(i => (byte)i)];
    private const long Size = 256 << 10;

    private string Firmware => Path.Combine(Dir, "fw.json");

    /// <summary>The reserved memory (a regular file here) as the daemon leaves it: K1 written, then K2 torn or whole.</summary>
    private string Store(string state)
    {
        string path = Path.Combine(Dir, $"mem-{state}.bin");
        var store = new DevMemStore(_fs, path, 0, Size);
        var snapshot = SnapshotSources.Take([SnapshotSources.Open("sim:" + Firmware, _fs)], out _);
        store.Save(snapshot, new HandoffKey(K1, "k1"));
        if (state != "k1")
        {
            // The daemon restarted with K2 while K1 is kept as handoff.key.old (DaemonPipelines gives it to the store).
            store.PreviousKeys = [new HandoffKey(K1, "k1")];
            var plan = store.PlanWrite(snapshot, new HandoffKey(K2, "k2"));
            Assert.Equal(1, plan.Slot);   // never over the only blob the loaded capture kernel can verify
            store.Apply(plan, state == "k1+torn-k2" ? plan.Blob.Length / 2 : plan.Blob.Length);
        }
        return $"devmem:{path}@0+{Size}";
    }

    /// <summary>The kdump image's /etc/preconfig as the rebuild left it.</summary>
    private string Image(string state)
    {
        string etc = Path.Combine(Dir, "image-" + state, "etc", "preconfig");
        Directory.CreateDirectory(etc);
        string key = Path.Combine(etc, "handoff.key");
        File.WriteAllBytes(key, state == "k1" ? K1 : K2);
        if (state == "k2+k1.old") File.WriteAllBytes(HandoffKey.PreviousPath(key), K1);
        return key;
    }

    public static TheoryData<string, string> Reachable => new()
    {
        { "k1", "k1" }, { "k1", "k1+torn-k2" }, { "k1", "k1+k2" },
        { "k2+k1.old", "k1" }, { "k2+k1.old", "k1+torn-k2" }, { "k2+k1.old", "k1+k2" },
        { "k2", "k1+k2" },
    };

    [Theory]
    [MemberData(nameof(Reachable))]
    public void A_crash_at_any_step_of_a_rotation_finds_a_matching_key_and_blob(string image, string store)
    {
        File.Copy(Path.Combine(RepoPaths.Fixtures, "machines", "demo.json"), Firmware);
        string run = Path.Combine(Dir, "run.json");
        File.Copy(Firmware, run);
        string from = Store(store), key = Image(image);
        Assert.Equal(0, PreinitVerbTests.Run("sim", "dirty", run, "--seed", "2"));
        string cmdline = Path.Combine(Dir, "cmdline"), report = Path.Combine(Dir, "report.json"), kmsg = Path.Combine(Dir, "kmsg");
        File.WriteAllText(cmdline, "elfcorehdr=0x1000 reset_devices\n");

        Assert.Equal(0, PreinitVerbTests.Run("preinit", "--boot", "--from", from, "--target", $"sim:{run}", "--cmdline", cmdline,
            "--vmcore", Path.Combine(Dir, "no-vmcore"), "--kmsg", kmsg, "--report", report, "--key", key));

        using var doc = JsonDocument.Parse(File.ReadAllText(report));
        var outcomes = doc.RootElement.GetProperty("devices").EnumerateArray().Select(d => d.GetProperty("outcome").GetString()).ToList();
        Assert.Contains("restored", outcomes);
        string log = File.ReadAllText(kmsg);
        // The blob used is the newest one a key of the image verifies: the old key only while no K2 blob is whole.
        string expected = key + (image == "k2+k1.old" && store != "k1+k2" ? ".old" : "");
        Assert.Contains($"signature checked with {expected})", log);
    }

    [Fact]
    public void The_daemon_gives_a_devmem_store_the_previous_key_while_a_rotation_keeps_it()
    {
        string key = Path.Combine(Dir, "handoff.key");
        File.WriteAllBytes(key, K2);
        File.WriteAllBytes(HandoffKey.PreviousPath(key), K1);
        var settings = new Preconfig.Daemon.DaemonSettings { Stores = [$"devmem:{Path.Combine(Dir, "mem.bin")}@0+{Size}"], KeyFile = key };
        var pipeline = Preconfig.Daemon.DaemonPipelines.Create(settings, _fs);
        Assert.Single(pipeline.Stores);
        Assert.Equal(HandoffKey.PreviousPath(key), Assert.IsType<DevMemStore>(HandoffStoreOf(pipeline.Stores[0])).PreviousKeys.Single().Source);
    }

    private static HandoffStore HandoffStoreOf(Preconfig.Daemon.IStoreTarget target) =>
        Assert.IsType<Preconfig.Daemon.HandoffStoreTarget>(target).Store;

    [Fact]
    public void The_old_key_alone_never_replaces_the_current_one_and_a_forged_blob_is_still_refused()
    {
        File.Copy(Path.Combine(RepoPaths.Fixtures, "machines", "demo.json"), Firmware);
        string run = Path.Combine(Dir, "run.json");
        File.Copy(Firmware, run);
        string from = Store("k1");
        string key = Image("k2"); // K2 only: the K1 blob has no key here
        string cmdline = Path.Combine(Dir, "cmdline"), kmsg = Path.Combine(Dir, "kmsg"), report = Path.Combine(Dir, "report.json");
        File.WriteAllText(cmdline, "elfcorehdr=0x1000\n");
        Assert.Equal(0, PreinitVerbTests.Run("preinit", "--boot", "--from", from, "--target", $"sim:{run}", "--cmdline", cmdline,
            "--vmcore", Path.Combine(Dir, "no-vmcore"), "--kmsg", kmsg, "--report", report, "--key", key));
        using var doc = JsonDocument.Parse(File.ReadAllText(report));
        Assert.DoesNotContain("restored", doc.RootElement.GetProperty("devices").EnumerateArray().Select(d => d.GetProperty("outcome").GetString()));
    }
}
