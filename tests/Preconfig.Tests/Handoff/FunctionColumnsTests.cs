using System.Buffers;
using System.IO.Compression;
using MessagePack;

namespace Preconfig.Tests.Handoff;

/// <summary>
/// The version 2 body ("functions", column by column, docs/handoff-format.md): every malformed column is one
/// <see cref="BodyFormatException"/> naming its offset, every limit is enforced at the offending value before
/// anything is allocated for it, and blobs of the previous version (1) stay readable.
/// </summary>
public class FunctionColumnsTests
{
    private delegate void Columns(ref MessagePackWriter w);

    /// <summary>A version 2 body: the metadata, then "functions" with <paramref name="entries"/> columns written by <paramref name="columns"/>.</summary>
    private static byte[] Body(int entries, Columns columns, int version = 2, string layout = "functions")
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        w.WriteMapHeader(2);
        w.Write("version"); w.Write(version);
        w.Write(layout);
        w.WriteMapHeader(entries);
        columns(ref w);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>"address", "mask" and "config" for <paramref name="n"/> functions of 64 bytes, every dword stored and 0x11.</summary>
    private static void Minimal(ref MessagePackWriter w, int n = 1)
    {
        w.Write("address"); w.WriteArrayHeader(n);
        for (int i = 0; i < n; i++) w.Write(i == 0 ? 8 : 1);
        w.Write("mask"); w.WriteArrayHeader(n);
        for (int i = 0; i < n; i++) w.Write((ReadOnlySpan<byte>)[0xff, 0xff]);
        w.Write("config"); w.Write(Enumerable.Repeat((byte)0x11, 64 * n).ToArray());
    }

    [Fact]
    public void The_smallest_body_decodes_and_unknown_columns_are_skipped()
    {
        var body = Body(4, (ref MessagePackWriter w) =>
        {
            w.Write("later-column"); w.WriteArrayHeader(2); w.Write(1.5); w.WriteMapHeader(1); w.Write("x"); w.WriteNil();
            Minimal(ref w, 2);
        });
        var s = SnapshotBody.Decode(body);
        Assert.Equal(2, s.FormatVersion);
        Assert.Equal(["0000:00:01.0", "0000:00:01.1"], s.Devices.Select(d => d.Address.ToString()));
        Assert.All(s.Devices, d => Assert.Equal(Enumerable.Repeat((byte)0x11, 64), d.Config));
        Assert.All(s.Devices, d => Assert.Empty(d.Resources));
    }

    public static TheoryData<string, string> BadColumns() => new()
    {
        { "not-a-map", "\"functions\" is not a map" },
        { "no-address", "\"functions\" has no \"address\"" },
        { "no-mask", "\"functions\" has no \"mask\"" },
        { "no-config", "\"functions\" has no \"config\"" },
        { "counts-differ", "\"mask\" has 1 entries, the columns before it 2" },
        { "address-repeats", "an address is 0, outside 1.." },
        { "address-negative", "an address is -8, outside 0.." },
        { "address-past-largest", "past the largest" },
        { "mask-length", "mask 0 is 3 bytes, not 2, 8 or 128" },
        { "config-short", "\"config\" holds 60 bytes, the masks store 64" },
        { "config-long", "\"config\" holds 68 bytes, the masks store 64" },
        { "fill", "a fill must be 0 or 255" },
        { "string-index", "a driver: string 0, but \"strings\" before it holds 0" },
        { "driver-too-long", "a driver: string 0 is longer than the 256 bytes accepted" },
        { "resources-groups", "a function's resources has 3 values, not a count and groups of 4" },
        { "resources-order", "resource lines are not in ascending index order" },
        { "origin-groups", "a function's origins has 3 values, not groups of 4" },
        { "pristineness", "an origin's pristineness is 4, outside 0..3" },
        { "truncated-type", "a truncated flag: expected a boolean, found an integer" },
        { "column-twice", "key \"mask\" appears twice" },
        { "both-layouts", "the body has both \"devices\" and \"functions\"" },
        { "version-1-columns", "a version 1 body holds \"functions\"" },
        { "version-2-devices", "a version 2 body holds \"devices\"" },
    };

    [Theory]
    [MemberData(nameof(BadColumns))]
    public void Rejects_bad_columns_with_a_reason_and_offset(string kind, string reason)
    {
        byte[] body;
        switch (kind)
        {
            case "not-a-map":
                body = Make((ref MessagePackWriter w) => { w.WriteMapHeader(2); w.Write("version"); w.Write(2); w.Write("functions"); w.WriteArrayHeader(0); });
                break;
            case "both-layouts":
                body = Make((ref MessagePackWriter w) =>
                {
                    w.WriteMapHeader(3); w.Write("version"); w.Write(2);
                    w.Write("functions"); w.WriteMapHeader(3); Minimal(ref w);
                    w.Write("devices"); w.WriteArrayHeader(0);
                });
                break;
            case "version-1-columns": body = Body(3, (ref MessagePackWriter w) => Minimal(ref w), version: 1); break;
            case "version-2-devices":
                body = Make((ref MessagePackWriter w) => { w.WriteMapHeader(2); w.Write("version"); w.Write(2); w.Write("devices"); w.WriteArrayHeader(0); });
                break;
            default:
                body = Body(Entries(kind), (ref MessagePackWriter w) => Write(ref w, kind));
                break;
        }
        var e = Assert.Throws<BodyFormatException>(() => SnapshotBody.Decode(body, baseOffset: 48));
        Assert.Contains(reason, e.Message);
        Assert.InRange(e.Offset, 48, 48 + body.Length - 1);
    }

    private static int Entries(string kind) => kind switch
    {
        "no-address" or "no-mask" or "no-config" => 2,
        "string-index" or "resources-groups" or "resources-order" or "origin-groups" or "truncated-type" or "fill" or "column-twice" => 4,
        "driver-too-long" or "pristineness" => 5,
        _ => 3,
    };

    private static void Write(ref MessagePackWriter w, string kind)
    {
        switch (kind)
        {
            case "no-address": w.Write("mask"); w.WriteArrayHeader(1); w.Write(new byte[2]); w.Write("config"); w.Write(Array.Empty<byte>()); return;
            case "no-mask": w.Write("address"); w.WriteArrayHeader(1); w.Write(0); w.Write("config"); w.Write(Array.Empty<byte>()); return;
            case "no-config": w.Write("address"); w.WriteArrayHeader(1); w.Write(0); w.Write("mask"); w.WriteArrayHeader(1); w.Write(new byte[2]); return;
            case "counts-differ":
                w.Write("address"); w.WriteArrayHeader(2); w.Write(0); w.Write(1);
                w.Write("mask"); w.WriteArrayHeader(1); w.Write(new byte[2]);
                w.Write("config"); w.Write(Array.Empty<byte>());
                return;
            case "address-repeats" or "address-negative" or "address-past-largest":
                w.Write("address"); w.WriteArrayHeader(2);
                w.Write(kind == "address-past-largest" ? FunctionColumns.MaxPackedAddress : kind == "address-negative" ? -8 : 8);
                w.Write(kind == "address-repeats" ? 0 : 1);
                w.Write("mask"); w.WriteArrayHeader(2); w.Write(new byte[2]); w.Write(new byte[2]);
                w.Write("config"); w.Write(Array.Empty<byte>());
                return;
            case "mask-length":
                w.Write("address"); w.WriteArrayHeader(1); w.Write(0);
                w.Write("mask"); w.WriteArrayHeader(1); w.Write(new byte[3]);
                w.Write("config"); w.Write(Array.Empty<byte>());
                return;
            case "config-short" or "config-long":
                w.Write("address"); w.WriteArrayHeader(1); w.Write(0);
                w.Write("mask"); w.WriteArrayHeader(1); w.Write((ReadOnlySpan<byte>)[0xff, 0xff]);
                w.Write("config"); w.Write(new byte[kind == "config-short" ? 60 : 68]);
                return;
        }
        Minimal(ref w);
        switch (kind)
        {
            case "fill": w.Write("fill"); w.WriteArrayHeader(1); w.Write(7); break;
            case "string-index": w.Write("driver"); w.WriteArrayHeader(1); w.Write(0); break;
            case "driver-too-long":
                w.Write("strings"); w.WriteArrayHeader(1); w.Write(new string('d', SnapshotBody.MaxTextBytes + 1));
                w.Write("driver"); w.WriteArrayHeader(1); w.Write(0);
                break;
            case "resources-groups": w.Write("resources"); w.WriteArrayHeader(1); w.WriteArrayHeader(3); w.Write(0); w.Write(0); w.Write(0); break;
            case "resources-order":
                w.Write("resources"); w.WriteArrayHeader(1); w.WriteArrayHeader(9); w.Write(0);
                w.Write(5); w.Write(0); w.Write(0); w.Write(1);
                w.Write(5); w.Write(0); w.Write(0); w.Write(1);
                break;
            case "origin-groups": w.Write("origins"); w.WriteArrayHeader(1); w.WriteArrayHeader(3); w.Write(0); w.Write(64); w.Write(0); break;
            case "pristineness":
                w.Write("strings"); w.WriteArrayHeader(1); w.Write("sysfs");
                w.Write("origins"); w.WriteArrayHeader(1); w.WriteArrayHeader(4); w.Write(0); w.Write(64); w.Write(0); w.Write(4);
                break;
            case "truncated-type": w.Write("truncated"); w.WriteArrayHeader(1); w.Write(1); break;
            case "column-twice": w.Write("mask"); w.WriteArrayHeader(1); w.Write(new byte[2]); break;
        }
    }

    private static byte[] Make(Columns body)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        body(ref w);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public static TheoryData<string, string> OverLimit() => new()
    {
        { "functions", $"\"address\" has {SnapshotBody.MaxDevices + 1} elements, more than the {SnapshotBody.MaxDevices} accepted" },
        { "column-keys", $"the \"functions\" map has {SnapshotBody.MaxMapEntries + 1} entries, more than the {SnapshotBody.MaxMapEntries} accepted" },
        { "strings", $"\"strings\" has {SnapshotBody.MaxDistinctStrings + 1} elements, more than the {SnapshotBody.MaxDistinctStrings} accepted" },
        { "string-bytes", $"a string is {SnapshotBody.MaxSourceBytes + 1} bytes long, more than the {SnapshotBody.MaxSourceBytes} accepted" },
        { "mask", "a mask is 129 bytes, more than the 128 accepted" },
        { "resets", $"a function's reset methods has {SnapshotBody.MaxResetMethods + 1} elements, more than the {SnapshotBody.MaxResetMethods} accepted" },
        { "resources", $"a function's resources has {1 + 4 * SnapshotBody.MaxResources + 4} elements, more than the {1 + 4 * SnapshotBody.MaxResources} accepted" },
        { "resource-lines", $"a function's resources has {SnapshotBody.MaxResources + 1} lines, more than the {SnapshotBody.MaxResources} accepted" },
        { "origins", $"a function's origins has {4 * SnapshotBody.MaxOrigins + 4} elements, more than the {4 * SnapshotBody.MaxOrigins} accepted" },
    };

    /// <summary>One value over each limit of docs/handoff-format.md ("Limits"): refused at that value, before it is allocated.</summary>
    [Theory]
    [MemberData(nameof(OverLimit))]
    public void Every_limit_is_enforced_at_the_offending_value(string kind, string reason)
    {
        int entries = kind switch { "column-keys" => SnapshotBody.MaxMapEntries + 1, "functions" => 1, "strings" or "string-bytes" => 4, _ => 4 };
        var body = Body(entries, (ref MessagePackWriter w) =>
        {
            switch (kind)
            {
                case "functions":
                    w.Write("address"); w.WriteArrayHeader(SnapshotBody.MaxDevices + 1);
                    for (int i = 0; i <= SnapshotBody.MaxDevices; i++) w.Write(i == 0 ? 0 : 1);
                    return;
                case "column-keys":
                    Minimal(ref w);
                    for (int i = 3; i < entries; i++) { w.Write("later-" + i); w.WriteNil(); }
                    return;
                case "strings" or "string-bytes":
                    int n = kind == "strings" ? SnapshotBody.MaxDistinctStrings + 1 : 1;
                    w.Write("strings"); w.WriteArrayHeader(n);
                    for (int i = 0; i < n; i++) w.Write(kind == "strings" ? "s" + i : new string('s', SnapshotBody.MaxSourceBytes + 1));
                    Minimal(ref w);
                    return;
                case "mask":
                    w.Write("address"); w.WriteArrayHeader(1); w.Write(0);
                    w.Write("mask"); w.WriteArrayHeader(1); w.Write(new byte[129]);
                    w.Write("config"); w.Write(Array.Empty<byte>());
                    w.Write("later"); w.WriteNil();
                    return;
            }
            Minimal(ref w);
            switch (kind)
            {
                case "resets":
                    w.Write("resets"); w.WriteArrayHeader(1); w.WriteArrayHeader(SnapshotBody.MaxResetMethods + 1);
                    for (int i = 0; i <= SnapshotBody.MaxResetMethods; i++) w.Write(0);
                    break;
                case "resources":
                    w.Write("resources"); w.WriteArrayHeader(1); w.WriteArrayHeader(1 + 4 * SnapshotBody.MaxResources + 4); w.Write(0);
                    for (int i = 0; i <= SnapshotBody.MaxResources; i++) { w.Write(i); w.Write(1); w.Write(0); w.Write(0); }
                    break;
                case "resource-lines":
                    // 32 lines by count and one more listed after them
                    w.Write("resources"); w.WriteArrayHeader(1); w.WriteArrayHeader(5); w.Write(SnapshotBody.MaxResources);
                    w.Write(SnapshotBody.MaxResources); w.Write(1); w.Write(0); w.Write(0);
                    break;
                case "origins":
                    w.Write("origins"); w.WriteArrayHeader(1); w.WriteArrayHeader(4 * SnapshotBody.MaxOrigins + 4);
                    for (int i = 0; i <= SnapshotBody.MaxOrigins; i++) { w.Write(0); w.Write(64); w.Write(0); w.Write(1); }
                    break;
            }
        });
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<BodyFormatException>(() => SnapshotBody.Decode(body));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains(reason, e.Message);
        Assert.InRange(e.Offset, 1, body.Length - 1);
        Assert.True(allocated < 256 * 1024, $"refusing it allocated {allocated} bytes");
    }

    /// <summary>
    /// Blobs written by the previous release (body version 1, one map per device, zero runs as "holes"; made with
    /// the commands in fixtures/SOURCES.md) read to exactly what that release exported from them: a kdump initramfs
    /// built before an upgrade holds such a blob.
    /// </summary>
    [Theory]
    [InlineData("v1-demo-sysfs", "v1.key")]
    [InlineData("v1-tree-fujitsu", null)]
    public void Blobs_of_the_previous_version_stay_readable(string name, string? keyFile)
    {
        string dir = Path.Combine(RepoPaths.Fixtures, "blobs");
        var key = keyFile is null ? null : HandoffKey.Load(new System.IO.Abstractions.FileSystem(), Path.Combine(dir, keyFile));
        var read = HandoffBlob.Read(File.ReadAllBytes(Path.Combine(dir, name + ".pcfg")), key);
        using var gz = new GZipStream(File.OpenRead(Path.Combine(dir, name + ".msgpack.gz")), CompressionMode.Decompress);
        var exported = new MemoryStream();
        gz.CopyTo(exported);
        var expected = SnapshotBody.Decode(exported.ToArray());
        Assert.Equal(1, read.Snapshot.FormatVersion);
        Assert.Equal(1, read.Info.FormatVersion);
        HandoffTestData.AssertSame(expected, read.Snapshot);
        Assert.Contains(read.Snapshot.Devices, d => d.Config.Length == 4096 && d.Config.AsSpan(0x100).IndexOfAnyExcept((byte)0) >= 0);
        if (key is not null)
        {
            Assert.True(read.SignatureChecked);
            Assert.Contains(read.Snapshot.Devices, d => d.Driver == "pcieport" && d.Resources.Count == 17 && d.ResetMethods.Count > 0);
        }
        // Written again, it is a version 2 blob of the same functions.
        var again = HandoffBlob.Read(HandoffBlob.Write(read.Snapshot, new BlobWriteOptions { Key = key }), key).Snapshot;
        Assert.Equal(2, again.FormatVersion);
        HandoffTestData.AssertSame(read.Snapshot, again, version: 2);
    }
}
