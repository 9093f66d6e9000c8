using System.Buffers;
using System.Text;
using MessagePack;
using Preconfig.Handoff.Model;

namespace Preconfig.Handoff.Blob;

/// <summary>
/// The snapshot as a MessagePack map (the blob body; docs/handoff-format.md lists every key), written and read
/// through MessagePack-CSharp's primitives: <see cref="MessagePackWriter"/>, and <see cref="MessagePackReader"/> made
/// strict by <see cref="BodyReader"/>. Two layouts under the same metadata keys: version 2, what blobs carry, the
/// functions column by column with only their non-fill dwords stored (<see cref="FunctionColumns"/>); and version 1,
/// one map per device (<see cref="DeviceMaps"/>): what <c>export --format msgpack</c> writes, every config at its
/// full length, and what blobs of earlier releases carry. The reader takes both, skips keys it does not know, and
/// rejects everything else that is off. Every allocation it makes is bounded by the limits below, checked before
/// the allocation; the writer refuses a snapshot the reader would refuse.
/// </summary>
public static class SnapshotBody
{
    // Limits (docs/handoff-format.md, "Limits"). The kernel's own maxima are given where there is one.

    /// <summary>Functions per snapshot: more than any real machine has; bounds the decoded config to 32 MiB.</summary>
    public const int MaxDevices = 8192;
    /// <summary>Entries in "sources", and the bytes of each (a source spec carries a path: PATH_MAX).</summary>
    public const int MaxSources = 64, MaxSourceBytes = 4096;
    /// <summary>Bytes of "host", "kernel", "bootId", "tool", of a driver name and of a reset method.</summary>
    public const int MaxTextBytes = 256;
    /// <summary>Entries of the body map, of a device map and of the "functions" map, unknown keys included.</summary>
    public const int MaxMapEntries = 64;
    /// <summary>Lines of a function's sysfs <c>resource</c> file (the kernel prints at most 17).</summary>
    public const int MaxResources = 32;
    /// <summary>Byte ranges with their source, per function (merging every kind of source makes at most 4).</summary>
    public const int MaxOrigins = 16;
    /// <summary>Reset methods per function (the kernel knows 8).</summary>
    public const int MaxResetMethods = 16;
    /// <summary>
    /// Distinct strings among the driver names, reset methods and origin sources of all functions together: each is
    /// decoded once and shared, so thousands of functions bound to a few drivers cost a few strings.
    /// </summary>
    public const int MaxDistinctStrings = 1024;
    /// <summary>Values in a version 1 "holes" array (<see cref="DeviceMaps"/>).</summary>
    public const int MaxHoleValues = DeviceMaps.MaxHoleValues;

    /// <summary>The body version this tool writes into blobs (version 1 bodies are read too).</summary>
    public const int CurrentVersion = Snapshot.CurrentFormatVersion;

    // ---- Writing ----

    /// <summary>The body a blob carries (version 2).</summary>
    public static byte[] Encode(Snapshot snapshot)
    {
        var buffer = new ArrayBufferWriter<byte>(4096 + snapshot.Devices.Count * 256);
        Encode(snapshot, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes the body a blob carries. Throws <see cref="ArgumentException"/> when the snapshot is over a limit.</summary>
    public static void Encode(Snapshot snapshot, IBufferWriter<byte> output)
    {
        CheckLimits(snapshot);
        var w = new MessagePackWriter(output);
        WriteMetadata(ref w, snapshot, FunctionColumns.Version);
        w.WriteString("functions"u8);
        FunctionColumns.Write(ref w, snapshot.Devices);
        w.Flush();
    }

    /// <summary>
    /// The version 1 body with every config at its full captured length (what <c>export --format msgpack</c>
    /// writes: a map with "version" and "devices", each device with "address" and "config", docs/cli.md).
    /// </summary>
    public static byte[] EncodeDeviceMaps(Snapshot snapshot)
    {
        CheckLimits(snapshot);
        var buffer = new ArrayBufferWriter<byte>(4096 + snapshot.Devices.Count * 4200);
        var w = new MessagePackWriter(buffer);
        WriteMetadata(ref w, snapshot, DeviceMaps.Version);
        w.WriteString("devices"u8);
        DeviceMaps.Write(ref w, snapshot.Devices);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The body map's header and every key but the functions (the last entry, written by the caller).</summary>
    private static void WriteMetadata(ref MessagePackWriter w, Snapshot snapshot, int version)
    {
        w.WriteMapHeader(8);
        w.WriteString("version"u8); w.Write(version);
        w.WriteString("capturedAt"u8); w.Write(snapshot.CapturedAt.ToUnixTimeMilliseconds());
        w.WriteString("host"u8); w.Write(snapshot.HostName);
        w.WriteString("kernel"u8); w.Write(snapshot.KernelRelease);
        w.WriteString("bootId"u8); w.Write(snapshot.BootId);
        w.WriteString("tool"u8); w.Write(snapshot.ToolVersion);
        w.WriteString("sources"u8);
        w.WriteArrayHeader(snapshot.Sources.Count);
        foreach (var source in snapshot.Sources) w.Write(source);
    }

    /// <summary>
    /// The reader's limits, checked before writing: a blob the reader would refuse is never written. Messages are
    /// only made for a snapshot that fails (a capture checks thousands of values).
    /// </summary>
    private static void CheckLimits(Snapshot s)
    {
        if (s.Devices.Count > MaxDevices) throw Refused($"{s.Devices.Count} functions, more than the {MaxDevices} a snapshot holds");
        if (s.Sources.Count > MaxSources) throw Refused($"{s.Sources.Count} sources, more than {MaxSources}");
        RequireBytes(s.HostName, MaxTextBytes, "the host name");
        RequireBytes(s.KernelRelease, MaxTextBytes, "the kernel release");
        RequireBytes(s.BootId, MaxTextBytes, "the boot id");
        RequireBytes(s.ToolVersion, MaxTextBytes, "the tool version");
        foreach (var source in s.Sources) RequireBytes(source, MaxSourceBytes, "a source");
        var distinct = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < s.Devices.Count; i++)
        {
            var d = s.Devices[i];
            if (i > 0 && s.Devices[i - 1].Address.CompareTo(d.Address) >= 0) throw Refused($"{d.Address}: functions are not in ascending address order, once each");
            if (!DeviceRecord.IsValidLength(d.Config.Length)) throw Refused($"{d.Address}: captured length {d.Config.Length} is not 64, 256 or 4096");
            if (d.ResetMethods.Count > MaxResetMethods) throw Refused($"{d.Address}: {d.ResetMethods.Count} reset methods, more than {MaxResetMethods}");
            if (d.Resources.Count > MaxResources) throw Refused($"{d.Address}: {d.Resources.Count} resources, more than {MaxResources}");
            for (int k = 0; k < d.Resources.Count; k++)
            {
                int index = d.Resources[k].Index;
                if (index is < 0 or > 255 || (k > 0 && d.Resources[k - 1].Index >= index))
                    throw Refused($"{d.Address}: resource lines are not in ascending index order (0-255), once each");
            }
            if (d.Origins.Count > MaxOrigins) throw Refused($"{d.Address}: {d.Origins.Count} origins, more than {MaxOrigins}");
            if (d.Driver is not null) { RequireBytes(d.Driver, MaxTextBytes, "the driver name", d); distinct.Add(d.Driver); }
            foreach (var m in d.ResetMethods) { RequireBytes(m, MaxTextBytes, "a reset method", d); distinct.Add(m); }
            foreach (var o in d.Origins)
            {
                if (o.Offset is < 0 or > 4096 || o.Length is < 0 or > 4096 || o.Pristineness is < Pristineness.Firmware or > Pristineness.Unknown)
                    throw Refused($"{d.Address}: an origin ({o.Offset}+{o.Length}, {o.Pristineness}) is outside the config");
                RequireBytes(o.Source, MaxSourceBytes, "an origin's source", d);
                distinct.Add(o.Source);
            }
        }
        if (distinct.Count > MaxDistinctStrings)
            throw Refused($"{distinct.Count} distinct driver, reset method and origin source strings, more than {MaxDistinctStrings}");
    }

    private static ArgumentException Refused(string problem) => new($"the snapshot cannot be written: {problem}");

    private static void RequireBytes(string text, int max, string what, DeviceRecord? d = null)
    {
        // UTF-8 takes at most 3 bytes per UTF-16 char: short strings need no count.
        if (text.Length * 3 > max && Encoding.UTF8.GetByteCount(text) > max)
            throw Refused($"{(d is null ? "" : $"{d.Address}: ")}{what} is longer than {max} bytes");
    }

    // ---- Reading ----

    // Key ids are indexes into this list.
    private const int VersionKey = 0, DevicesKey = 7, FunctionsKey = 8;
    private static readonly byte[][] BodyKeys = Utf8Keys("version", "capturedAt", "host", "kernel", "bootId", "tool", "sources", "devices", "functions");

    internal static byte[][] Utf8Keys(params string[] keys)
    {
        var utf8 = new byte[keys.Length][];
        for (int i = 0; i < keys.Length; i++) utf8[i] = Encoding.UTF8.GetBytes(keys[i]);
        return utf8;
    }

    /// <summary>Decodes a body of either version. Throws <see cref="BodyFormatException"/> (offsets from <paramref name="baseOffset"/>).</summary>
    public static Snapshot Decode(ReadOnlyMemory<byte> body, long baseOffset = 0)
    {
        var r = new BodyReader(body, baseOffset);
        int? version = null;
        long capturedAt = 0, layoutAt = 0;
        string host = "", kernel = "", bootId = "", tool = "";
        IReadOnlyList<string> sources = [];
        List<DeviceRecord>? devices = null;
        uint seen = 0;

        long start = r.Offset;
        if (r.PeekType() != MessagePackType.Map) throw r.Error(start, "the body is not a map");
        for (int n = r.ReadMapHeader(MaxMapEntries, "the body map"); n > 0; n--)
        {
            int key = ReadKey(ref r, BodyKeys, ref seen);
            long at = r.Offset;
            switch (key)
            {
                case VersionKey:
                    version = r.ReadInt32(1, int.MaxValue, "\"version\"");
                    if (version > CurrentVersion)
                        throw r.Error(at, $"body version {version} is newer than this tool reads ({CurrentVersion})");
                    break;
                case 1: capturedAt = r.ReadInt64(-62135596800000, 253402300799999, "\"capturedAt\""); break;
                case 2: host = r.ReadString(MaxTextBytes, "\"host\""); break;
                case 3: kernel = r.ReadString(MaxTextBytes, "\"kernel\""); break;
                case 4: bootId = r.ReadString(MaxTextBytes, "\"bootId\""); break;
                case 5: tool = r.ReadString(MaxTextBytes, "\"tool\""); break;
                case 6: sources = ReadSources(ref r); break;
                case DevicesKey:
                case FunctionsKey:
                    // One layout per body: "devices" (version 1) or "functions" (version 2), never both.
                    if ((seen & (1u << DevicesKey | 1u << FunctionsKey)) == (1u << DevicesKey | 1u << FunctionsKey))
                        throw r.Error(at, "the body has both \"devices\" and \"functions\"");
                    layoutAt = at;
                    devices = key == DevicesKey ? DeviceMaps.Read(ref r) : FunctionColumns.Read(ref r);
                    break;
                default: r.Skip("the value of an unknown key"); break;
            }
        }
        if (!r.End) throw r.Error(r.Offset, $"{r.Remaining} bytes after the body map");
        if (version is null) throw r.Error(start, "the body has no \"version\"");
        bool columns = (seen & (1u << FunctionsKey)) != 0;
        if (devices is null) throw r.Error(start, version == DeviceMaps.Version ? "the body has no \"devices\"" : "the body has no \"functions\"");
        if (columns != (version == FunctionColumns.Version))
            throw r.Error(layoutAt, $"a version {version} body holds {(columns ? "\"functions\"" : "\"devices\"")}");
        return new Snapshot
        {
            FormatVersion = version.Value,
            CapturedAt = DateTimeOffset.FromUnixTimeMilliseconds(capturedAt),
            HostName = host,
            KernelRelease = kernel,
            BootId = bootId,
            ToolVersion = tool,
            Sources = sources,
            Devices = devices,
        };
    }

    /// <summary>
    /// Reads a map key: its index in <paramref name="keys"/>, or -1 for a key this reader does not know (the caller
    /// skips its value, for bodies from later writers). A known key given twice is an error.
    /// </summary>
    internal static int ReadKey(ref BodyReader r, byte[][] keys, ref uint seen)
    {
        long keyAt = r.Offset;
        var key = r.ReadStringBytes(int.MaxValue, "a key"); // a slice of the body: nothing to bound
        for (int id = 0; id < keys.Length; id++)
        {
            if (!key.SequenceEqual(keys[id])) continue;
            if ((seen & (1u << id)) != 0) throw r.Error(keyAt, $"key \"{Encoding.UTF8.GetString(key)}\" appears twice");
            seen |= 1u << id;
            return id;
        }
        return -1;
    }

    private static string[] ReadSources(ref BodyReader r)
    {
        var sources = new string[r.ReadArrayHeader(MaxSources, "\"sources\"")];
        for (int i = 0; i < sources.Length; i++) sources[i] = r.ReadString(MaxSourceBytes, "a source");
        return sources;
    }
}
