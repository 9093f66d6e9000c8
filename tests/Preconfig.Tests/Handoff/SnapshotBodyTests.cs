using System.Buffers;
using MessagePack;

namespace Preconfig.Tests.Handoff;

public class SnapshotBodyTests
{
    [Fact]
    public void Round_trips_every_field_in_both_layouts()
    {
        var s = HandoffTestData.Sample(64, seed: 3);
        HandoffTestData.AssertSame(s, SnapshotBody.Decode(SnapshotBody.Encode(s)));
        HandoffTestData.AssertSame(s, SnapshotBody.Decode(SnapshotBody.EncodeDeviceMaps(s)), version: 1);
    }

    [Fact]
    public void Every_real_dump_round_trips_exactly_in_one_snapshot()
    {
        var s = HandoffTestData.EveryRealDump();
        Assert.True(s.Devices.Count > 400);
        HandoffTestData.AssertSame(s, SnapshotBody.Decode(SnapshotBody.Encode(s)));
        HandoffTestData.AssertSame(s, HandoffBlob.Read(HandoffBlob.Write(s)).Snapshot);
    }

    /// <summary>Resource lines round-trip whatever they hold: predicted exactly, predicted wrong, zero lines listed
    /// after the first gap, lines past a gap in the indexes, values that wrap.</summary>
    [Fact]
    public void Resource_lines_round_trip_whatever_the_registers_say()
    {
        var rng = new Random(4);
        var bridge = HandoffTestData.Config(rng, 4096);
        bridge[0x0e] = 1;
        var endpoint = HandoffTestData.Config(rng, 256);
        endpoint[0x0e] = 0;
        endpoint.AsSpan(0x10, 8).Clear();
        endpoint[0x10] = 0x0c; endpoint[0x12] = 0x80; endpoint[0x13] = 0xfe;   // BAR0: 64-bit memory at 0xfe800000
        ulong bar0 = 0xfe800000;
        var lines = new List<BarResource>
        {
            new(0, bar0, bar0 + 0xfffff, 0x14220c),            // as the register says
            new(1, 0, 0, 0),
            new(2, 0x1000, 0xfff, 0x101),                     // end below start
            new(3, 0, 0, 0),
            new(6, ulong.MaxValue, 5, 0x46200),                // wraps
            new(7, 0, 0, 0),                                   // a zero line after the gap is kept as given
            new(200, 1, 2, 3),
        };
        var s = new Snapshot
        {
            Devices =
            [
                new DeviceRecord { Address = new(0, 0, 1, 0), Config = bridge, Resources = [new(13, 0x1000, 0x1fff, 0x101), new(14, 0xfe000000, 0xfe1fffff, 0x200), new(15, 0, 0, 0), new(16, 0, 0, 0)] },
                new DeviceRecord { Address = new(0, 0, 2, 0), Config = bridge, Resources = [.. Enumerable.Range(0, 17).Select(i => new BarResource(i, (ulong)i << 20, ((ulong)i << 20) + 0xffff, (ulong)i))] },
                new DeviceRecord { Address = new(0, 1, 0, 0), Config = endpoint, Resources = lines },
                new DeviceRecord { Address = new(0, 1, 0, 1), Config = endpoint, Resources = [new(0, 0, 0, 0)] },
            ],
        };
        HandoffTestData.AssertSame(s, SnapshotBody.Decode(SnapshotBody.Encode(s)));
    }

    [Fact]
    public void Column_form_stores_only_non_fill_dwords_but_keeps_every_byte()
    {
        var rng = new Random(9);
        var configs = new List<byte[]>
        {
            new byte[4096],                                            // all zero
            Enumerable.Repeat((byte)0xff, 4096).ToArray(),             // all ones
            HandoffTestData.Config(rng, 4096),
            HandoffTestData.Config(rng, 256),
            HandoffTestData.Config(rng, 64),
        };
        var odd = new byte[4096];
        odd[0] = 1; odd[4095] = 2; odd[100] = 3;                          // a hole up to the last byte
        configs.Add(odd);
        var tail = new byte[4096];
        tail.AsSpan(0x200).Fill(0xff); tail[0] = 0x86;                 // zeros, then an 0xff tail
        configs.Add(tail);
        var ones = Enumerable.Repeat((byte)0xff, 4096).ToArray();
        ones.AsSpan(0x100, 4).Clear(); ones[0x203] = 0; ones[4095] = 0;  // mostly ones: zero dwords and bytes stored
        configs.Add(ones);
        var unaligned = new byte[256];
        unaligned[3] = 1; unaligned[253] = 0xff;                          // a byte in an otherwise zero dword
        configs.Add(unaligned);
        var s = new Snapshot
        {
            Devices = [.. configs.Select((c, i) => new DeviceRecord { Address = new(0, 0, (byte)i, 0), Config = c })],
        };
        var compact = SnapshotBody.Encode(s);
        var full = SnapshotBody.EncodeDeviceMaps(s);
        Assert.True(compact.Length < full.Length / 3, $"compact {compact.Length} vs full {full.Length}");
        HandoffTestData.AssertSame(s, SnapshotBody.Decode(compact));
    }

    private delegate void Body(ref MessagePackWriter w);

    private static byte[] Make(Body body)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        body(ref w);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static void Device(ref MessagePackWriter w, string address, int length)
    {
        w.WriteMapHeader(2);
        w.Write("address"); w.Write(address);
        w.Write("config"); w.Write((ReadOnlySpan<byte>)new byte[length]);
    }

    public static TheoryData<string, string> BadBodies() => new()
    {
        { "nil", "not a map" },
        { "no-version", "no \"version\"" },
        { "newer", "newer than this tool" },
        { "dup-key", "appears twice" },
        { "bad-address", "not a PCI address" },
        { "bad-length", "not 64, 256 or 4096" },
        { "dup-device", "listed twice" },
        { "unordered", "out of address order" },
        { "bad-hole", "does not fit" },
        { "trailing", "after the body map" },
        { "no-config", "has no \"config\"" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public void Rejects_bad_bodies_with_a_reason_and_offset(string kind, string reason)
    {
        var body = Make((ref MessagePackWriter w) =>
        {
            if (kind == "nil") { w.WriteNil(); return; }
            w.WriteMapHeader(kind switch { "no-version" => 1, "dup-key" => 3, _ => 2 });
            if (kind != "no-version") { w.Write("version"); w.Write(kind == "newer" ? 3 : 1); }
            if (kind == "dup-key") { w.Write("version"); w.Write(1); }
            w.Write("devices");
            switch (kind)
            {
                case "bad-address": w.WriteArrayHeader(1); Device(ref w, "00:zz.0", 64); break;
                case "bad-length": w.WriteArrayHeader(1); Device(ref w, "0000:00:01.0", 100); break;
                case "dup-device": w.WriteArrayHeader(2); Device(ref w, "0000:00:01.0", 64); Device(ref w, "0000:00:01.0", 64); break;
                case "unordered": w.WriteArrayHeader(2); Device(ref w, "0000:00:02.0", 64); Device(ref w, "0000:00:01.0", 64); break;
                case "no-config": w.WriteArrayHeader(1); w.WriteMapHeader(1); w.Write("address"); w.Write("0000:00:01.0"); break;
                case "bad-hole":
                    w.WriteArrayHeader(1);
                    w.WriteMapHeader(4);
                    w.Write("address"); w.Write("0000:00:01.0");
                    w.Write("config"); w.Write((ReadOnlySpan<byte>)new byte[10]);
                    w.Write("length"); w.Write(256);
                    w.Write("holes"); w.WriteArrayHeader(2); w.Write(250); w.Write(100);
                    break;
                default: w.WriteArrayHeader(0); break;
            }
            if (kind == "trailing") w.WriteNil();
        });
        var e = Assert.Throws<BodyFormatException>(() => SnapshotBody.Decode(body, baseOffset: 48));
        Assert.Contains(reason, e.Message);
        Assert.InRange(e.Offset, 48, 48 + body.Length);
    }

    public static TheoryData<string, string> OverLimit() => new()
    {
        { "devices", $"\"devices\" has {SnapshotBody.MaxDevices + 1} elements, more than the {SnapshotBody.MaxDevices} accepted" },
        { "sources", $"\"sources\" has {SnapshotBody.MaxSources + 1} elements, more than the {SnapshotBody.MaxSources} accepted" },
        { "host", $"\"host\" is {SnapshotBody.MaxTextBytes + 1} bytes long, more than the {SnapshotBody.MaxTextBytes} accepted" },
        { "body-keys", $"the body map has {SnapshotBody.MaxMapEntries + 1} entries, more than the {SnapshotBody.MaxMapEntries} accepted" },
        { "device-keys", $"devices[0]: a device map has {SnapshotBody.MaxMapEntries + 1} entries" },
        { "config", $"devices[0]: \"config\" is 4097 bytes, more than the 4096 accepted" },
        { "holes", $"devices[0]: \"holes\" has {SnapshotBody.MaxHoleValues + 2} elements" },
        { "driver", $"devices[0]: \"driver\" is {SnapshotBody.MaxTextBytes + 1} bytes long" },
        { "resets", $"devices[0]: \"resets\" has {SnapshotBody.MaxResetMethods + 1} elements, more than the {SnapshotBody.MaxResetMethods} accepted" },
        { "resources", $"devices[0]: \"resources\" has {SnapshotBody.MaxResources + 1} elements, more than the {SnapshotBody.MaxResources} accepted" },
        { "origins", $"devices[0]: \"origins\" has {SnapshotBody.MaxOrigins + 1} elements, more than the {SnapshotBody.MaxOrigins} accepted" },
        { "origin-source", $"devices[0]: an origin's source is {SnapshotBody.MaxSourceBytes + 1} bytes long" },
        { "distinct", $"devices[{SnapshotBody.MaxDistinctStrings}]: \"driver\": more than {SnapshotBody.MaxDistinctStrings} distinct" },
    };

    /// <summary>One value over each limit of docs/handoff-format.md ("Limits"): refused at that value, before it is allocated.</summary>
    [Theory]
    [MemberData(nameof(OverLimit))]
    public void Every_limit_is_enforced_at_the_offending_value(string kind, string reason)
    {
        var body = Make((ref MessagePackWriter w) =>
        {
            int keys = kind == "body-keys" ? SnapshotBody.MaxMapEntries + 1 : 4;
            w.WriteMapHeader(keys);
            w.Write("version"); w.Write(1);
            w.Write("host"); w.Write(new string('h', kind == "host" ? SnapshotBody.MaxTextBytes + 1 : 8));
            w.Write("sources"); w.WriteArrayHeader(kind == "sources" ? SnapshotBody.MaxSources + 1 : 1);
            for (int i = 0; i < (kind == "sources" ? SnapshotBody.MaxSources + 1 : 1); i++) w.Write("sysfs");
            for (int i = 4; i < keys; i++) { w.Write("later-key-" + i); w.WriteNil(); }
            w.Write("devices");
            int devices = kind switch { "devices" => SnapshotBody.MaxDevices + 1, "distinct" => SnapshotBody.MaxDistinctStrings + 1, _ => 1 };
            w.WriteArrayHeader(devices);
            for (int i = 0; i < devices; i++)
            {
                bool extra = kind is "device-keys" or "config" or "holes" or "driver" or "resets" or "resources" or "origins" or "origin-source" or "distinct";
                int fields = kind == "device-keys" ? SnapshotBody.MaxMapEntries + 1 : extra ? 3 : 2;
                w.WriteMapHeader(fields);
                w.Write("address"); w.Write(new Preconfig.ConfigSpace.PciAddress(0, (byte)(i >> 5), (byte)(i & 31), 0).ToString());
                w.Write("config"); w.Write(new byte[kind == "config" ? 4097 : 64]);
                for (int f = 3; f < fields && kind == "device-keys"; f++) { w.Write("later-" + f); w.WriteNil(); }
                switch (kind)
                {
                    case "device-keys": w.Write("later-2"); w.WriteNil(); break;
                    case "config": w.Write("truncated"); w.Write(false); break;
                    case "holes":
                        w.Write("holes"); w.WriteArrayHeader(SnapshotBody.MaxHoleValues + 2);
                        for (int k = 0; k < SnapshotBody.MaxHoleValues + 2; k++) w.Write(0);
                        break;
                    case "driver": w.Write("driver"); w.Write(new string('d', SnapshotBody.MaxTextBytes + 1)); break;
                    case "distinct": w.Write("driver"); w.Write("driver-" + i); break;
                    case "resets":
                        w.Write("resets"); w.WriteArrayHeader(SnapshotBody.MaxResetMethods + 1);
                        for (int k = 0; k <= SnapshotBody.MaxResetMethods; k++) w.Write("flr");
                        break;
                    case "resources":
                        w.Write("resources"); w.WriteArrayHeader(SnapshotBody.MaxResources + 1);
                        for (int k = 0; k <= SnapshotBody.MaxResources; k++) { w.WriteArrayHeader(4); w.Write(k); w.Write(0); w.Write(0); w.Write(0); }
                        break;
                    case "origins" or "origin-source":
                        int n = kind == "origins" ? SnapshotBody.MaxOrigins + 1 : 1;
                        w.Write("origins"); w.WriteArrayHeader(n);
                        for (int k = 0; k < n; k++)
                        {
                            w.WriteArrayHeader(4); w.Write(0); w.Write(64);
                            w.Write(kind == "origins" ? "sysfs" : new string('s', SnapshotBody.MaxSourceBytes + 1)); w.Write(1);
                        }
                        break;
                }
            }
        });
        var e = Assert.Throws<BodyFormatException>(() => SnapshotBody.Decode(body));
        Assert.Contains(reason, e.Message);
        Assert.InRange(e.Offset, kind == "body-keys" ? 0 : 1, body.Length - 1); // the body map itself starts at 0
    }

    [Fact]
    public void At_each_limit_the_body_decodes_and_the_writer_refuses_one_more()
    {
        var device = new DeviceRecord
        {
            Address = new(0, 0, 1, 0),
            Config = new byte[4096],
            Driver = new string('d', SnapshotBody.MaxTextBytes),
            ResetMethods = [.. Enumerable.Repeat("flr", SnapshotBody.MaxResetMethods)],
            Resources = [.. Enumerable.Range(0, SnapshotBody.MaxResources).Select(i => new Preconfig.ConfigSpace.BarResource(i, 0, 0, 0))],
            Origins = [.. Enumerable.Range(0, SnapshotBody.MaxOrigins).Select(i => new ConfigOrigin(i * 64, 64, new string('s', SnapshotBody.MaxSourceBytes), Pristineness.Undriven))],
        };
        var full = new Snapshot { Sources = [.. Enumerable.Repeat("sysfs", SnapshotBody.MaxSources)], Devices = [device] };
        HandoffTestData.AssertSame(full, SnapshotBody.Decode(SnapshotBody.Encode(full)));

        Snapshot With(Func<DeviceRecord, DeviceRecord> change) => new() { Devices = [change(device)] };
        DeviceRecord Copy(DeviceRecord d, string? driver = null, IReadOnlyList<string>? resets = null,
            IReadOnlyList<Preconfig.ConfigSpace.BarResource>? resources = null, IReadOnlyList<ConfigOrigin>? origins = null) => new()
        {
            Address = d.Address, Config = d.Config, Driver = driver ?? d.Driver, ResetMethods = resets ?? d.ResetMethods,
            Resources = resources ?? d.Resources, Origins = origins ?? d.Origins,
        };
        var over = new[]
        {
            new Snapshot { Sources = [.. Enumerable.Repeat("sysfs", SnapshotBody.MaxSources + 1)] },
            new Snapshot { HostName = new string('h', SnapshotBody.MaxTextBytes + 1) },
            With(d => Copy(d, driver: d.Driver + "x")),
            With(d => Copy(d, resets: [.. d.ResetMethods, "bus"])),
            With(d => Copy(d, resources: [.. d.Resources, new(9, 0, 0, 0)])),
            With(d => Copy(d, origins: [.. d.Origins, d.Origins[0]])),
            new Snapshot { Devices = [.. Enumerable.Range(0, SnapshotBody.MaxDevices + 1).Select(i => new DeviceRecord { Address = new(i >> 8, (byte)i, 0, 0), Config = new byte[64] })] },
        };
        foreach (var s in over)
            Assert.Contains("the snapshot cannot be written", Assert.Throws<ArgumentException>(() => SnapshotBody.Encode(s)).Message);
    }
}
