using Preconfig.Capture.Merge;

namespace Preconfig.Tests.Capture;

public class SourceMergerTests
{
    private static readonly PciAddress A = PciAddress.Parse("0000:03:00.0");

    private static byte[] Config(int length, byte fill, ushort vendor = 0x8086, ushort device = 0x1533)
    {
        var b = new byte[length];
        b.AsSpan().Fill(fill);
        b[0] = (byte)vendor; b[1] = (byte)(vendor >> 8); b[2] = (byte)device; b[3] = (byte)(device >> 8);
        b[0x0e] = 0; // type 0 header
        return b;
    }

    private static DeviceRecord Record(byte[] config, string source, Pristineness p, string? driver = null, bool truncated = false,
        PciAddress? address = null) => new()
    {
        Address = address ?? A,
        Config = config,
        Driver = driver,
        Truncated = truncated,
        Origins = [new ConfigOrigin(0, config.Length, source, p)],
    };

    private static SourceCapture Source(string name, params DeviceRecord[] records) => new(records, []);

    [Fact]
    public void Earlydump_header_is_completed_by_the_extended_bytes_of_sysfs_and_origins_say_so()
    {
        var early = Record(Config(256, 0x11), "earlydump:kmsg", Pristineness.Firmware);
        var sysfs = Record(Config(4096, 0x22), "sysfs", Pristineness.DriverBound, driver: "e1000e");
        var result = SourceMerger.Merge([Source("sysfs", sysfs), Source("earlydump:kmsg", early)]);

        var d = Assert.Single(result.Devices);
        Assert.Equal(4096, d.Config.Length);
        Assert.Equal(early.Config, d.Config[..256]);
        Assert.Equal(sysfs.Config[256..], d.Config[256..]);
        Assert.Equal(
            [new ConfigOrigin(0, 256, "earlydump:kmsg", Pristineness.Firmware), new ConfigOrigin(256, 3840, "sysfs", Pristineness.DriverBound)],
            d.Origins);
        Assert.Equal("e1000e", d.Driver); // the live source describes the function as it is now
        Assert.Equal(Pristineness.DriverBound, d.Pristineness);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void Early_capture_beats_undriven_sysfs_which_beats_driver_bound_sysfs()
    {
        var bound = Record(Config(4096, 0x33), "sysfs:b", Pristineness.DriverBound, "drv");
        var undriven = Record(Config(4096, 0x22), "sysfs:u", Pristineness.Undriven);
        var early = Record(Config(4096, 0x11), "early:x", Pristineness.Firmware);

        Assert.Equal(undriven.Config, SourceMerger.Merge([Source("b", bound), Source("u", undriven)]).Devices[0].Config);
        var all = SourceMerger.Merge([Source("b", bound), Source("u", undriven), Source("e", early)]).Devices[0];
        Assert.Equal(early.Config, all.Config);
        Assert.Equal([new ConfigOrigin(0, 4096, "early:x", Pristineness.Firmware)], all.Origins);
    }

    [Fact]
    public void A_64_byte_header_is_completed_step_by_step_most_pristine_first()
    {
        var cut = Record(Config(64, 0x11), "earlydump:log", Pristineness.Firmware, truncated: true);
        var undriven256 = Record(Config(256, 0x22), "sysfs:a", Pristineness.Undriven);
        var bound4k = Record(Config(4096, 0x33), "sysfs:b", Pristineness.DriverBound);
        var d = SourceMerger.Merge([Source("b", bound4k), Source("a", undriven256), Source("e", cut)]).Devices[0];
        Assert.Equal(0x11, d.Config[63]);
        Assert.Equal(0x22, d.Config[64]);
        Assert.Equal(0x22, d.Config[255]);
        Assert.Equal(0x33, d.Config[256]);
        Assert.Equal([64, 192, 3840], d.Origins.Select(o => o.Length));
        Assert.False(d.Truncated);
    }

    [Fact]
    public void A_different_device_at_the_same_address_is_never_mixed_in_and_without_a_live_source_the_most_pristine_stays()
    {
        var early = Record(Config(256, 0x11, device: 0x1533), "earlydump:kmsg", Pristineness.Firmware);
        var dump = Record(Config(4096, 0x22, device: 0x10d3), "lspci:dump", Pristineness.Unknown);
        var result = SourceMerger.Merge([Source("d", dump), Source("e", early)]);
        var d = Assert.Single(result.Devices);
        Assert.Equal(early.Config, d.Config);
        var w = Assert.Single(result.Warnings);
        Assert.Contains("0000:03:00.0: [8086:10d3] from lspci:dump is not the device [8086:1533] from earlydump:kmsg", w);
    }

    // issue 24 item 6, the reproduction: the early snapshot saw 8086:27d8, the card was swapped for 8086:1234.
    [Fact]
    public void A_hot_swapped_card_takes_the_live_device_and_is_reported_as_changed()
    {
        var early = Record(Config(4096, 0x11, device: 0x27d8), "early:/run/preconfig/early.pcfg", Pristineness.Firmware);
        var live = Record(Config(4096, 0x22, device: 0x1234), "sysfs", Pristineness.Undriven);
        var result = SourceMerger.Merge([Source("early", early), new SourceCapture([live], [], Live: true)]);
        var d = Assert.Single(result.Devices);
        Assert.Equal(0x1234, d.DeviceId);
        Assert.Equal(live.Config, d.Config);
        Assert.Equal([new ConfigOrigin(0, 4096, "sysfs", Pristineness.Undriven)], d.Origins);
        var w = Assert.Single(result.Warnings);
        Assert.Contains("0000:03:00.0: changed: [8086:27d8] from early:/run/preconfig/early.pcfg is now [8086:1234] in sysfs", w);

        // The same card, still there, keeps its early bytes (the swap rule does not touch the pristine rule).
        var same = Record(Config(4096, 0x33, device: 0x27d8), "sysfs", Pristineness.DriverBound, "e1000e");
        Assert.Equal(early.Config, SourceMerger.Merge([Source("early", early), new SourceCapture([same], [], Live: true)]).Devices[0].Config);
    }

    [Fact]
    public void A_function_removed_since_the_early_capture_drops_out_when_a_live_source_lists_the_machine()
    {
        var gone = PciAddress.Parse("0000:05:00.0");
        var early = new[] { Record(Config(4096, 0x11), "early:e", Pristineness.Firmware), Record(Config(4096, 0x11), "early:e", Pristineness.Firmware, address: gone) };
        var live = Record(Config(4096, 0x22), "sysfs", Pristineness.Undriven);
        var result = SourceMerger.Merge([Source("early", early), new SourceCapture([live], [], Live: true)]);
        Assert.Equal([A], result.Devices.Select(d => d.Address));
        Assert.Contains(result.Warnings, w => w.Contains("0000:05:00.0: [8086:1533] from early:e is no longer present in sysfs: removed, dropped"));
    }

    [Fact]
    public void Devices_known_to_one_source_only_pass_through_in_address_order()
    {
        var b = PciAddress.Parse("0000:00:1f.0");
        var r1 = Record(Config(256, 1), "s1", Pristineness.Undriven);
        var r2 = Record(Config(256, 2), "s2", Pristineness.Firmware, address: b);
        var result = SourceMerger.Merge([Source("s1", r1), Source("s2", r2)]);
        Assert.Equal([b, A], result.Devices.Select(d => d.Address));
        Assert.Same(r1, result.Devices[1]);
    }

    [Fact]
    public void Early_snapshot_from_another_boot_is_refused()
    {
        var system = new CaptureSystem("host", "6.1.0", "aaaa", DateTimeOffset.UtcNow);
        var capture = new SourceCapture([Record(Config(256, 1), "sysfs", Pristineness.Undriven)], [], system);
        var refused = EarlySource.Relabel(capture, "early:early.pcfg", "bbbb\n");
        Assert.Empty(refused.Devices);
        Assert.Contains("another boot", Assert.Single(refused.Warnings));

        var used = EarlySource.Relabel(capture, "early:early.pcfg", "AAAA\n");
        var d = Assert.Single(used.Devices);
        Assert.Equal(Pristineness.Firmware, d.Pristineness);
        Assert.Equal("early:early.pcfg", d.Origins[0].Source);
    }
}
