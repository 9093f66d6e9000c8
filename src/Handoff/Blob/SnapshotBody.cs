using System.Buffers;
using System.Text;
using MessagePack;
using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Handoff.Model;

namespace Preconfig.Handoff.Blob;

/// <summary>
/// The snapshot as a MessagePack map (the blob body; docs/handoff-format.md lists every key), written and read
/// through MessagePack-CSharp's primitives: <see cref="MessagePackWriter"/>, and <see cref="MessagePackReader"/> made
/// strict by <see cref="BodyReader"/>. Config bytes are stored with their trailing run of 0x00 or 0xff and their
/// long zero runs ("holes") left out, with the captured length beside them, unless <c>trimConfig</c> is false (what
/// <c>export --format msgpack</c> writes: "config" is then the full 64/256/4096 bytes). The reader takes both forms,
/// skips keys it does not know, and rejects everything else that is off. Every allocation it makes is bounded by the
/// limits below, checked before the allocation; the writer refuses a snapshot the reader would refuse.
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
    /// <summary>Entries of the body map and of a device map, unknown keys included.</summary>
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
    /// <summary>Zero runs at least this long inside the config are left out of the body and listed in "holes".</summary>
    public const int MinHole = 64;
    /// <summary>Values in "holes": an offset and a length per run, at most one run per <see cref="MinHole"/> bytes.</summary>
    public const int MaxHoleValues = 2 * (Header.ExtConfigSize / MinHole + 1);

    private const int MaxAddressBytes = 32;

    // ---- Writing ----

    public static byte[] Encode(Snapshot snapshot, bool trimConfig = true)
    {
        var buffer = new ArrayBufferWriter<byte>(4096 + snapshot.Devices.Count * (trimConfig ? 512 : 4200));
        Encode(snapshot, buffer, trimConfig);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes the body. Throws <see cref="ArgumentException"/> when the snapshot is over a limit.</summary>
    public static void Encode(Snapshot snapshot, IBufferWriter<byte> output, bool trimConfig = true)
    {
        CheckLimits(snapshot);
        var w = new MessagePackWriter(output);
        w.WriteMapHeader(8);
        w.WriteString("version"u8); w.Write(snapshot.FormatVersion);
        w.WriteString("capturedAt"u8); w.Write(snapshot.CapturedAt.ToUnixTimeMilliseconds());
        w.WriteString("host"u8); w.Write(snapshot.HostName);
        w.WriteString("kernel"u8); w.Write(snapshot.KernelRelease);
        w.WriteString("bootId"u8); w.Write(snapshot.BootId);
        w.WriteString("tool"u8); w.Write(snapshot.ToolVersion);
        w.WriteString("sources"u8); WriteStrings(ref w, snapshot.Sources);
        w.WriteString("devices"u8);
        w.WriteArrayHeader(snapshot.Devices.Count);
        var scratch = new byte[Header.ExtConfigSize]; // a config without its holes, one device at a time
        foreach (var d in snapshot.Devices) WriteDevice(ref w, d, trimConfig, scratch);
        w.Flush();
    }

    private static void WriteDevice(ref MessagePackWriter w, DeviceRecord d, bool trimConfig, byte[] scratch)
    {
        ReadOnlySpan<byte> config = d.Config;
        byte fill = config.Length > 0 && config[^1] == 0xff ? (byte)0xff : (byte)0;
        int end = trimConfig ? config.LastIndexOfAnyExcept(fill) + 1 : config.Length;
        Span<int> holes = stackalloc int[MaxHoleValues];
        int holeCount = trimConfig ? FindHoles(config[..end], holes) : 0;
        int kept = end;
        for (int i = 0; i < holeCount; i++) kept -= holes[2 * i + 1];
        bool shortened = kept < config.Length;

        int fields = 2 + (shortened ? 1 : 0) + (holeCount > 0 ? 1 : 0) + (end < config.Length && fill != 0 ? 1 : 0)
            + (d.Driver is null ? 0 : 1) + (d.ResetMethods.Count > 0 ? 1 : 0) + (d.Resources.Count > 0 ? 1 : 0)
            + (d.Origins.Count > 0 ? 1 : 0) + (d.Truncated ? 1 : 0);
        w.WriteMapHeader(fields);
        w.WriteString("address"u8); w.Write(d.Address.ToString());
        w.WriteString("config"u8);
        if (holeCount == 0) w.Write(config[..end]);
        else w.Write(scratch.AsSpan(0, LeaveOutHoles(config[..end], holes[..(2 * holeCount)], scratch)));
        if (shortened) { w.WriteString("length"u8); w.Write(config.Length); }
        if (holeCount > 0)
        {
            w.WriteString("holes"u8);
            w.WriteArrayHeader(2 * holeCount);
            foreach (int v in holes[..(2 * holeCount)]) w.Write(v);
        }
        if (end < config.Length && fill != 0) { w.WriteString("fill"u8); w.Write(fill); }
        if (d.Driver is not null) { w.WriteString("driver"u8); w.Write(d.Driver); }
        if (d.ResetMethods.Count > 0) { w.WriteString("resets"u8); WriteStrings(ref w, d.ResetMethods); }
        if (d.Resources.Count > 0)
        {
            w.WriteString("resources"u8);
            w.WriteArrayHeader(d.Resources.Count);
            foreach (var r in d.Resources)
            {
                w.WriteArrayHeader(4);
                w.Write(r.Index); w.Write(r.Start); w.Write(r.End); w.Write(r.Flags);
            }
        }
        if (d.Origins.Count > 0)
        {
            w.WriteString("origins"u8);
            w.WriteArrayHeader(d.Origins.Count);
            foreach (var o in d.Origins)
            {
                w.WriteArrayHeader(4);
                w.Write(o.Offset); w.Write(o.Length); w.Write(o.Source); w.Write((int)o.Pristineness);
            }
        }
        if (d.Truncated) { w.WriteString("truncated"u8); w.Write(true); }
    }

    /// <summary>Zero runs of at least <see cref="MinHole"/> bytes, as (offset, length) pairs; returns how many.</summary>
    private static int FindHoles(ReadOnlySpan<byte> config, Span<int> holes)
    {
        int count = 0, pos = 0;
        while (pos < config.Length)
        {
            int zero = config[pos..].IndexOf((byte)0);
            if (zero < 0) break;
            int start = pos + zero;
            int run = config[start..].IndexOfAnyExcept((byte)0);
            int length = run < 0 ? config.Length - start : run;
            if (length >= MinHole)
            {
                holes[2 * count] = start;
                holes[2 * count + 1] = length;
                count++;
            }
            pos = start + length;
        }
        return count;
    }

    /// <summary>The config without its holes, into <paramref name="packed"/>; returns the bytes written.</summary>
    private static int LeaveOutHoles(ReadOnlySpan<byte> config, ReadOnlySpan<int> holes, Span<byte> packed)
    {
        int at = 0, pos = 0;
        for (int i = 0; i < holes.Length; i += 2)
        {
            config[pos..holes[i]].CopyTo(packed[at..]);
            at += holes[i] - pos;
            pos = holes[i] + holes[i + 1];
        }
        config[pos..].CopyTo(packed[at..]);
        return at + config.Length - pos;
    }

    private static void WriteStrings(ref MessagePackWriter w, IReadOnlyList<string> values)
    {
        w.WriteArrayHeader(values.Count);
        foreach (var v in values) w.Write(v);
    }

    /// <summary>The reader's limits, checked before writing: a blob the reader would refuse is never written.</summary>
    private static void CheckLimits(Snapshot s)
    {
        Require(s.Devices.Count <= MaxDevices, $"{s.Devices.Count} functions, more than the {MaxDevices} a snapshot holds");
        Require(s.Sources.Count <= MaxSources, $"{s.Sources.Count} sources, more than {MaxSources}");
        foreach (var text in new[] { s.HostName, s.KernelRelease, s.BootId, s.ToolVersion }) RequireBytes(text, MaxTextBytes, "a metadata string");
        foreach (var source in s.Sources) RequireBytes(source, MaxSourceBytes, "a source");
        var distinct = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in s.Devices)
        {
            Require(DeviceRecord.IsValidLength(d.Config.Length), $"{d.Address}: captured length {d.Config.Length} is not 64, 256 or 4096");
            Require(d.ResetMethods.Count <= MaxResetMethods, $"{d.Address}: {d.ResetMethods.Count} reset methods, more than {MaxResetMethods}");
            Require(d.Resources.Count <= MaxResources, $"{d.Address}: {d.Resources.Count} resources, more than {MaxResources}");
            Require(d.Origins.Count <= MaxOrigins, $"{d.Address}: {d.Origins.Count} origins, more than {MaxOrigins}");
            if (d.Driver is not null) { RequireBytes(d.Driver, MaxTextBytes, $"{d.Address}: the driver name"); distinct.Add(d.Driver); }
            foreach (var m in d.ResetMethods) { RequireBytes(m, MaxTextBytes, $"{d.Address}: a reset method"); distinct.Add(m); }
            foreach (var o in d.Origins) { RequireBytes(o.Source, MaxSourceBytes, $"{d.Address}: an origin's source"); distinct.Add(o.Source); }
        }
        Require(distinct.Count <= MaxDistinctStrings, $"{distinct.Count} distinct driver, reset method and origin source strings, more than {MaxDistinctStrings}");
    }

    private static void Require(bool ok, string problem)
    {
        if (!ok) throw new ArgumentException($"the snapshot cannot be written: {problem}");
    }

    private static void RequireBytes(string text, int max, string what) =>
        Require(Encoding.UTF8.GetByteCount(text) <= max, $"{what} is longer than {max} bytes");

    // ---- Reading ----

    // Key ids are indexes into these lists (the order the writer puts the keys in).
    private static readonly byte[][] BodyKeys = Utf8Keys("version", "capturedAt", "host", "kernel", "bootId", "tool", "sources", "devices");
    private static readonly byte[][] DeviceKeys = Utf8Keys("address", "config", "length", "holes", "fill", "driver", "resets", "resources", "origins", "truncated");

    private static byte[][] Utf8Keys(params string[] keys) => [.. keys.Select(Encoding.UTF8.GetBytes)];

    /// <summary>Decodes a body. Throws <see cref="BodyFormatException"/> (offsets from <paramref name="baseOffset"/>).</summary>
    public static Snapshot Decode(ReadOnlyMemory<byte> body, long baseOffset = 0)
    {
        var r = new BodyReader(body, baseOffset);
        int? version = null;
        long capturedAt = 0;
        string host = "", kernel = "", bootId = "", tool = "";
        IReadOnlyList<string> sources = [];
        List<DeviceRecord>? devices = null;
        uint seen = 0;

        long start = r.Offset;
        if (r.PeekType() != MessagePackType.Map) throw r.Error(start, "the body is not a map");
        for (int n = r.ReadMapHeader(MaxMapEntries, "the body map"); n > 0; n--)
        {
            switch (ReadKey(ref r, BodyKeys, ref seen))
            {
                case 0:
                    long at = r.Offset;
                    version = r.ReadInt32(1, int.MaxValue, "\"version\"");
                    if (version > Snapshot.CurrentFormatVersion)
                        throw r.Error(at, $"body version {version} is newer than this tool reads ({Snapshot.CurrentFormatVersion})");
                    break;
                case 1: capturedAt = r.ReadInt64(-62135596800000, 253402300799999, "\"capturedAt\""); break;
                case 2: host = r.ReadString(MaxTextBytes, "\"host\""); break;
                case 3: kernel = r.ReadString(MaxTextBytes, "\"kernel\""); break;
                case 4: bootId = r.ReadString(MaxTextBytes, "\"bootId\""); break;
                case 5: tool = r.ReadString(MaxTextBytes, "\"tool\""); break;
                case 6: sources = ReadSources(ref r); break;
                case 7: devices = ReadDevices(ref r); break;
                default: r.Skip("the value of an unknown key"); break;
            }
        }
        if (!r.End) throw r.Error(r.Offset, $"{r.Remaining} bytes after the body map");
        if (version is null) throw r.Error(start, "the body has no \"version\"");
        if (devices is null) throw r.Error(start, "the body has no \"devices\"");
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
    private static int ReadKey(ref BodyReader r, byte[][] keys, ref uint seen)
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

    private static List<DeviceRecord> ReadDevices(ref BodyReader r)
    {
        int count = r.ReadArrayHeader(MaxDevices, "\"devices\"");
        var devices = new List<DeviceRecord>(count);
        var strings = new SharedStrings();
        for (int i = 0; i < count; i++)
        {
            long deviceAt = r.Offset;
            DeviceRecord d;
            try { d = ReadDevice(ref r, strings); }
            catch (BodyFormatException e)
            {
                throw new BodyFormatException(e.Offset, $"devices[{i}]: {e.Reason}", e);
            }
            // Strictly ascending addresses: no duplicates, and lookups can binary-search.
            if (i > 0 && devices[^1].Address.CompareTo(d.Address) >= 0)
                throw r.Error(deviceAt, devices[^1].Address == d.Address ? $"device {d.Address} is listed twice" : $"device {d.Address} is out of address order");
            devices.Add(d);
        }
        return devices;
    }

    private static DeviceRecord ReadDevice(ref BodyReader r, SharedStrings strings)
    {
        long start = r.Offset;
        if (r.PeekType() != MessagePackType.Map) throw r.Error(start, "a device is not a map");
        PciAddress? address = null;
        ReadOnlySpan<byte> config = default;
        bool hasConfig = false;
        int? length = null;
        long lengthAt = 0, holesAt = 0;
        byte fill = 0;
        string? driver = null;
        string[] resets = [];
        BarResource[] resources = [];
        ConfigOrigin[] origins = [];
        Span<int> holes = stackalloc int[MaxHoleValues];
        int holeValues = 0;
        bool truncated = false;
        uint seen = 0;

        for (int n = r.ReadMapHeader(MaxMapEntries, "a device map"); n > 0; n--)
        {
            int id = ReadKey(ref r, DeviceKeys, ref seen);
            long at = r.Offset;
            switch (id)
            {
                case 0: address = ReadAddress(ref r); break;
                case 1: config = r.ReadBinary(Header.ExtConfigSize, "\"config\""); hasConfig = true; break;
                case 2: lengthAt = at; length = r.ReadInt32(0, Header.ExtConfigSize, "\"length\""); break;
                case 3:
                    holesAt = at;
                    holeValues = r.ReadArrayHeader(MaxHoleValues, "\"holes\"");
                    if (holeValues % 2 != 0) throw r.Error(at, $"\"holes\" has {holeValues} values, not offset and length pairs");
                    for (int k = 0; k < holeValues; k++) holes[k] = r.ReadInt32(0, Header.ExtConfigSize, "a hole");
                    break;
                case 4:
                    fill = (byte)r.ReadInt32(0, 255, "\"fill\"");
                    if (fill is not (0 or 0xff)) throw r.Error(at, "\"fill\" must be 0 or 255");
                    break;
                case 5: driver = strings.Read(ref r, MaxTextBytes, "\"driver\""); break;
                case 6:
                    resets = new string[r.ReadArrayHeader(MaxResetMethods, "\"resets\"")];
                    for (int k = 0; k < resets.Length; k++) resets[k] = strings.Read(ref r, MaxTextBytes, "a reset method");
                    break;
                case 7:
                    resources = new BarResource[r.ReadArrayHeader(MaxResources, "\"resources\"")];
                    for (int k = 0; k < resources.Length; k++)
                    {
                        r.ReadTuple(4, "a resource");
                        resources[k] = new BarResource(r.ReadInt32(0, 255, "a resource index"), r.ReadUInt64("a resource start"),
                            r.ReadUInt64("a resource end"), r.ReadUInt64("resource flags"));
                    }
                    break;
                case 8:
                    origins = new ConfigOrigin[r.ReadArrayHeader(MaxOrigins, "\"origins\"")];
                    for (int k = 0; k < origins.Length; k++)
                    {
                        r.ReadTuple(4, "an origin");
                        int offset = r.ReadInt32(0, Header.ExtConfigSize, "an origin's offset");
                        int len = r.ReadInt32(0, Header.ExtConfigSize, "an origin's length");
                        string source = strings.Read(ref r, MaxSourceBytes, "an origin's source");
                        var p = (Pristineness)r.ReadInt32((int)Pristineness.Firmware, (int)Pristineness.Unknown, "an origin's pristineness");
                        origins[k] = new ConfigOrigin(offset, len, source, p);
                    }
                    break;
                case 9: truncated = r.ReadBoolean("\"truncated\""); break;
                default: r.Skip("the value of an unknown key"); break;
            }
        }
        if (address is null) throw r.Error(start, "a device has no \"address\"");
        if (!hasConfig) throw r.Error(start, $"device {address} has no \"config\"");
        int captured = length ?? config.Length;
        if (!DeviceRecord.IsValidLength(captured))
            throw r.Error(length is null ? start : lengthAt, $"device {address}: captured length {captured} is not 64, 256 or 4096");
        return new DeviceRecord
        {
            Address = address.Value,
            Config = Rebuild(ref r, address.Value, config, captured, holes[..holeValues], fill, start, holesAt),
            Driver = driver,
            ResetMethods = resets,
            Resources = resources,
            Origins = origins,
            Truncated = truncated,
        };
    }

    private static PciAddress ReadAddress(ref BodyReader r)
    {
        long at = r.Offset;
        var text = r.ReadStringBytes(MaxAddressBytes, "\"address\"");
        Span<char> chars = stackalloc char[MaxAddressBytes];
        int n = Encoding.UTF8.GetChars(text, chars);
        return PciAddress.TryParse(chars[..n], out var a) ? a : throw r.Error(at, "\"address\" is not a PCI address (dddd:bb:dd.f)");
    }

    /// <summary>
    /// The full captured config from the stored bytes, the holes and the fill (docs/handoff-format.md, "Rebuilding
    /// a config"): the bytes between holes in order, zeros for each hole, then <paramref name="fill"/> to the end.
    /// </summary>
    private static byte[] Rebuild(ref BodyReader r, PciAddress address, scoped ReadOnlySpan<byte> config, int captured,
        scoped ReadOnlySpan<int> holes, byte fill, long deviceAt, long holesAt)
    {
        var bytes = new byte[captured];
        int src = 0, pos = 0;
        for (int k = 0; k < holes.Length; k += 2)
        {
            int off = holes[k], len = holes[k + 1];
            // Holes ascend, do not touch, and leave room for the bytes between them.
            if (off < pos || len == 0 || off + len > captured || off - pos > config.Length - src)
                throw r.Error(holesAt, $"device {address}: hole {k / 2} ({off}+{len}) does not fit the config");
            config.Slice(src, off - pos).CopyTo(bytes.AsSpan(pos));
            src += off - pos;
            pos = off + len;
        }
        if (config.Length - src > captured - pos)
            throw r.Error(deviceAt, $"device {address}: {config.Length} config bytes exceed the captured length {captured}");
        config[src..].CopyTo(bytes.AsSpan(pos));
        if (fill != 0) bytes.AsSpan(pos + config.Length - src).Fill(fill);
        return bytes;
    }

    /// <summary>
    /// The strings functions share (driver names, reset methods, origin sources), decoded once each: at most
    /// <see cref="MaxDistinctStrings"/> of them, so their memory is bounded whatever the number of functions.
    /// </summary>
    private sealed class SharedStrings
    {
        private readonly Dictionary<string, string> _strings;
        private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup; // finds a string by its chars

        public SharedStrings()
        {
            _strings = new(StringComparer.Ordinal);
            _lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        public string Read(ref BodyReader r, int maxBytes, string what)
        {
            long at = r.Offset;
            var utf8 = r.ReadStringBytes(maxBytes, what);
            Span<char> chars = stackalloc char[utf8.Length];
            chars = chars[..Encoding.UTF8.GetChars(utf8, chars)];
            if (_lookup.TryGetValue(chars, out var known)) return known;
            if (_strings.Count >= MaxDistinctStrings)
                throw r.Error(at, $"{what}: more than {MaxDistinctStrings} distinct driver, reset method and origin source strings");
            string s = new(chars);
            _strings.Add(s, s);
            return s;
        }
    }
}
