using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using MessagePack;

namespace Preconfig.Tests.Handoff;

/// <summary>
/// Blobs that pass every integrity check (valid CRC32C, unsigned, Deflate body as our framing stores it) but ask the
/// reader to allocate without bound (issue 11): refused with an error naming the offset, within a fixed memory bound,
/// by the library code and by the <c>verify</c> and <c>preinit</c> verbs run as their own processes.
/// </summary>
public class HostileBlobTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>The issue's blob: one device whose "resources" holds 12,000,000 four-element entries (87 KB on disk).</summary>
    public const int IssueEntries = 12_000_000;
    /// <summary>Small enough for the body bound, far over the per-device limit.</summary>
    public const int OverLimitEntries = 1_000_000;
    public const long MemoryBound = 64L << 20;

    /// <summary>
    /// <c>{"version": 1, "devices": [{"address": "0000:00:00.0", "config": 64 bytes, "resources": [[0,0,0,0] x N]}]}</c>,
    /// Deflate-compressed as it streams (the raw body is never held whole), framed with a correct header and CRC.
    /// <paramref name="resourcesAt"/> is the offset of the array header in the decompressed body.
    /// </summary>
    internal static byte[] WithResources(int entries, out long rawLength, out long resourcesAt) =>
        Hostile(1, entries, out rawLength, out resourcesAt);

    /// <summary>
    /// The same in a version 2 body: <c>{"version": 2, "functions": {"address": [0], "mask": [2 bytes], "config":
    /// b"", "resources": [[0 x N]]}}</c>, one function whose resource values number <paramref name="values"/>.
    /// </summary>
    internal static byte[] WithColumnResources(int values, out long rawLength, out long resourcesAt) =>
        Hostile(2, values, out rawLength, out resourcesAt);

    private static byte[] Hostile(int version, int entries, out long rawLength, out long resourcesAt)
    {
        var prefix = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(prefix);
        w.WriteMapHeader(2);
        w.Write("version"); w.Write(version);
        if (version == 1)
        {
            w.Write("devices"); w.WriteArrayHeader(1);
            w.WriteMapHeader(3);
            w.Write("address"); w.Write("0000:00:00.0");
            w.Write("config"); w.Write(new byte[64]);
            w.Write("resources");
        }
        else
        {
            w.Write("functions"); w.WriteMapHeader(4);
            w.Write("address"); w.WriteArrayHeader(1); w.Write(0);
            w.Write("mask"); w.WriteArrayHeader(1); w.Write(new byte[2]);
            w.Write("config"); w.Write(Array.Empty<byte>());
            w.Write("resources"); w.WriteArrayHeader(1);
        }
        w.Flush();
        resourcesAt = prefix.WrittenCount;
        w.WriteArrayHeader(entries);
        w.Flush();
        int size = version == 1 ? 5 : 1; // [0, 0, 0, 0] or 0

        var compressed = new MemoryStream();
        using (var z = new DeflateStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            z.Write(prefix.WrittenSpan);
            var chunk = new byte[size * 4096];
            if (version == 1) for (int i = 0; i < chunk.Length; i += 5) chunk[i] = 0x94; // [0, 0, 0, 0]
            for (int left = entries; left > 0; left -= 4096) z.Write(chunk, 0, size * Math.Min(left, 4096));
        }
        rawLength = prefix.WrittenCount + (long)size * entries;

        var body = compressed.ToArray();
        var blob = new byte[HandoffBlob.FixedHeaderLength + body.Length];
        HandoffBlob.Magic.CopyTo(blob);
        BinaryPrimitives.WriteUInt16LittleEndian(blob.AsSpan(8), HandoffBlob.FormatVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(blob.AsSpan(10), HandoffBlob.FixedHeaderLength);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(12), (uint)BlobFlags.Deflate);
        BinaryPrimitives.WriteUInt64LittleEndian(blob.AsSpan(16), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(24), (uint)body.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(28), (uint)rawLength);
        body.CopyTo(blob, HandoffBlob.FixedHeaderLength);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(32), Crc32C.Compute(blob)); // the CRC field is zero while computed
        return blob;
    }

    [Fact]
    public void The_issue_blob_is_refused_at_its_decompressed_length_before_anything_is_allocated()
    {
        var blob = WithResources(IssueEntries, out long raw, out _);
        Assert.InRange(blob.Length, 40_000, 120_000);   // "87 KB" in the issue; the exact size depends on zlib's level
        Assert.True(raw > HandoffBlob.MaxBodyLength);    // 60 MB of MessagePack
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<HandoffFormatException>(() => HandoffBlob.Read(blob));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(28, e.Offset);
        Assert.Contains($"decompressed length {raw} exceeds the {HandoffBlob.MaxBodyLength} accepted", e.Message);
        Assert.True(allocated < 64 * 1024, $"refusing it allocated {allocated} bytes");
    }

    /// <summary>Over the limit in either body version: refused at the array's header, with no resource list
    /// allocated (only the decompressed body and the compressed copy the stream reads).</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_resources_array_over_the_limit_is_refused_at_its_header_before_it_is_allocated(int version)
    {
        var blob = version == 1 ? WithResources(OverLimitEntries, out long raw, out long at) : WithColumnResources(OverLimitEntries, out raw, out at);
        Assert.True(raw < HandoffBlob.MaxBodyLength);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<HandoffFormatException>(() => HandoffBlob.Read(blob));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(version == 1
            ? $"bad body: devices[0]: \"resources\" has {OverLimitEntries} elements, more than the {SnapshotBody.MaxResources} accepted (decompressed body offset {at})"
            : $"bad body: a function's resources has {OverLimitEntries} elements, more than the {1 + 4 * SnapshotBody.MaxResources} accepted (decompressed body offset {at})",
            e.Message);
        Assert.True(allocated < raw + blob.Length + 256 * 1024, $"refusing it allocated {allocated} bytes for a {raw}-byte body");
    }

    public static TheoryData<int, int, string> HostileBlobs() => new()
    {
        { 1, IssueEntries, "decompressed length" },
        { 1, OverLimitEntries, "more than the 32 accepted" },
        { 2, OverLimitEntries, "more than the 129 accepted" },
    };

    [Theory]
    [MemberData(nameof(HostileBlobs))]
    public void Verify_and_preinit_processes_refuse_it_naming_the_offset_with_peak_memory_under_64_MB(int version, int entries, string reason)
    {
        string dir = HandoffTestData.TempDir();
        string blob = Path.Combine(dir, "hostile.pcfg"), tree = Path.Combine(dir, "sys");
        File.WriteAllBytes(blob, Hostile(version, entries, out _, out _));
        Directory.CreateDirectory(Path.Combine(tree, "devices")); // an empty sysfs-shaped tree (ROOT/devices): nothing to write

        var verify = PeakMemory.RunCli("verify", blob);
        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("integrity: FAILED", verify.Output);
        Assert.Contains(reason, verify.Output);
        Assert.Matches(@"offset \d+", verify.Output);
        Assert.True(verify.MaxRssBytes < MemoryBound, $"verify peaked at {verify.MaxRssBytes >> 20} MiB");

        var preinit = PeakMemory.RunCli("preinit", "--from", blob, "--target", "sysfs:" + tree, "--kmsg", "/dev/null", "--deadline-ms", "60000");
        Assert.Equal(2, preinit.ExitCode); // no valid snapshot: nothing restored
        Assert.Contains(reason, preinit.Output);
        Assert.Matches(@"offset \d+", preinit.Output);
        Assert.True(preinit.MaxRssBytes < MemoryBound, $"preinit peaked at {preinit.MaxRssBytes >> 20} MiB");
        // The figures the docs quote (docs/handoff-format.md, Limits): shown with --logger "console;verbosity=detailed".
        output.WriteLine($"body version {version}, {entries} entries: verify peak {verify.MaxRssBytes / 1e6:F1} MB, preinit peak {preinit.MaxRssBytes / 1e6:F1} MB");
    }
}

/// <summary>
/// Runs the CLI (the built <c>preconfig.dll</c> beside the tests, under <c>dotnet</c>) as a child of a small Python
/// parent that reports the child's peak resident memory from the kernel's own accounting (getrusage of the reaped
/// child: ru_maxrss), which no sampling can miss and no other test's processes can mix into.
/// </summary>
internal static class PeakMemory
{
    public sealed record Result(int ExitCode, string Output, long MaxRssBytes);

    private const string Parent = """
        import resource, subprocess, sys
        r = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        sys.stdout.buffer.write(r.stdout)
        print("\nexit=%d maxrss_kib=%d" % (r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
        """;

    public static Result RunCli(params string[] args)
    {
        string output = PythonMsgpack.Run(Parent, TimeSpan.FromMinutes(2), ["dotnet", Path.Combine(AppContext.BaseDirectory, "preconfig.dll"), .. args]);
        var m = System.Text.RegularExpressions.Regex.Match(output, @"\nexit=(-?\d+) maxrss_kib=(\d+)\s*$");
        Assert.True(m.Success, $"no exit line in: {output}");
        return new Result(int.Parse(m.Groups[1].Value), output[..m.Index], long.Parse(m.Groups[2].Value) * 1024);
    }
}
