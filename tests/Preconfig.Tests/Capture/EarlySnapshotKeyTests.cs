using Preconfig.Cli.Capture;

namespace Preconfig.Tests.Capture;

/// <summary>
/// Signed by default must not cost the early snapshot: the production initramfs takes it without the key (the key
/// goes into the kdump initramfs only), and the daemon, which signs with the key, still uses it as its first source.
/// Found on the distro e2e: the daemon refused it ("not signed, but a key is required") and fell back to live sysfs.
/// </summary>
public sealed class EarlySnapshotKeyTests : IDisposable
{
    private readonly CaptureMachine _m = new();
    private static readonly FileSystem Fs = new();

    public void Dispose() => _m.Dispose();

    [Fact]
    public void A_keyed_capture_takes_the_unsigned_early_snapshot_of_this_boot_and_signs_the_handoff()
    {
        string early = Path.Combine(_m.Dir.Path, "early.pcfg");
        Assert.Equal(0, CaptureCommand.Run(["sysfs:" + _m.Root], [early], null, Fs)); // the production initramfs: no key
        var a = _m.Functions[5].Address;
        var firmware = _m.DriverRan(a, "xhci_hcd");

        string key = Path.Combine(_m.Dir.Path, "handoff.key");
        File.WriteAllBytes(key, Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
        string blob = Path.Combine(_m.Dir.Path, "h.pcfg");
        Assert.Equal(0, CaptureCommand.Run(["early:" + early, "sysfs:" + _m.Root], [blob], key, Fs));

        // Read back with the key: it is signed (an unsigned blob would be refused here).
        var loaded = InputLoader.Load(blob, Fs, HandoffKey.Load(Fs, key));
        var d = loaded.Snapshot.Find(a)!;
        Assert.Equal(firmware, d.Config);
        Assert.Equal("early:" + early, d.Origins[0].Source);
    }
}
