using System.Buffers;
using Preconfig.Handoff.Blob;
using MessagePack;
using Preconfig.Handoff.Model;

namespace Preconfig.Tests.Handoff;

public class SnapshotBodyTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Round_trips_every_field(bool trim)
    {
        var s = HandoffTestData.Sample(64, seed: 3);
        var body = SnapshotBody.Encode(s, trim);
        HandoffTestData.AssertSame(s, SnapshotBody.Decode(body));
    }

    [Fact]
    public void Compact_form_cuts_zero_runs_and_tails_but_keeps_every_byte()
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
        var s = new Snapshot
        {
            Devices = [.. configs.Select((c, i) => new DeviceRecord { Address = new(0, 0, (byte)i, 0), Config = c })],
        };
        var compact = SnapshotBody.Encode(s, trimConfig: true);
        var full = SnapshotBody.Encode(s, trimConfig: false);
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
            if (kind != "no-version") { w.Write("version"); w.Write(kind == "newer" ? 2 : 1); }
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
}
