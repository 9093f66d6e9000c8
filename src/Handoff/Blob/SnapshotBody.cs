using System.Buffers;
using Preconfig.ConfigSpace;
using Preconfig.Handoff.MessagePack;
using Preconfig.Handoff.Model;

namespace Preconfig.Handoff.Blob;

/// <summary>
/// The snapshot as a MessagePack map (the blob body; docs/handoff-format.md lists every key). Config bytes are
/// stored with their trailing run of 0x00 or 0xff cut off, with the captured length beside them, unless
/// <c>trimConfig</c> is false (what <c>export --format msgpack</c> writes: "config" is then the full 64/256/4096
/// bytes). The reader takes both forms, skips keys it does not know, and rejects everything else that is off.
/// </summary>
public static class SnapshotBody
{
    /// <summary>More functions than any real machine has; bounds what a hostile body can make the reader allocate (64 MiB of config).</summary>
    public const int MaxDevices = 16384;

    public static byte[] Encode(Snapshot snapshot, bool trimConfig = true)
    {
        var buffer = new ArrayBufferWriter<byte>(4096 + snapshot.Devices.Count * (trimConfig ? 512 : 4200));
        Encode(snapshot, buffer, trimConfig);
        return buffer.WrittenSpan.ToArray();
    }

    public static void Encode(Snapshot snapshot, IBufferWriter<byte> output, bool trimConfig = true)
    {
        var w = new MessagePackWriter(output);
        w.WriteMapHeader(8);
        w.Write("version"); w.Write(snapshot.FormatVersion);
        w.Write("capturedAt"); w.Write(snapshot.CapturedAt.ToUnixTimeMilliseconds());
        w.Write("host"); w.Write(snapshot.HostName);
        w.Write("kernel"); w.Write(snapshot.KernelRelease);
        w.Write("bootId"); w.Write(snapshot.BootId);
        w.Write("tool"); w.Write(snapshot.ToolVersion);
        w.Write("sources"); WriteStrings(ref w, snapshot.Sources);
        w.Write("devices");
        w.WriteArrayHeader(snapshot.Devices.Count);
        foreach (var d in snapshot.Devices) WriteDevice(ref w, d, trimConfig);
    }

    /// <summary>Zero runs at least this long inside the config are left out of the body and listed in "holes".</summary>
    public const int MinHole = 64;

    private static void WriteDevice(ref MessagePackWriter w, DeviceRecord d, bool trimConfig)
    {
        ReadOnlySpan<byte> config = d.Config;
        byte fill = config.Length > 0 && config[^1] == 0xff ? (byte)0xff : (byte)0;
        int end = trimConfig ? config.LastIndexOfAnyExcept(fill) + 1 : config.Length;
        Span<int> holes = stackalloc int[2 * (4096 / MinHole + 1)];
        int holeCount = trimConfig ? FindHoles(config[..end], holes) : 0;
        int kept = end;
        for (int i = 0; i < holeCount; i++) kept -= holes[2 * i + 1];
        bool shortened = kept < config.Length;

        int fields = 2 + (shortened ? 1 : 0) + (holeCount > 0 ? 1 : 0) + (end < config.Length && fill != 0 ? 1 : 0)
            + (d.Driver is null ? 0 : 1) + (d.ResetMethods.Count > 0 ? 1 : 0) + (d.Resources.Count > 0 ? 1 : 0)
            + (d.Origins.Count > 0 ? 1 : 0) + (d.Truncated ? 1 : 0);
        w.WriteMapHeader(fields);
        w.Write("address"); w.Write(d.Address.ToString());
        w.Write("config");
        if (holeCount == 0) w.Write(config[..end]);
        else
        {
            var packed = kept <= 4096 ? stackalloc byte[kept] : new byte[kept];
            int at = 0, pos = 0;
            for (int i = 0; i < holeCount; i++)
            {
                config[pos..holes[2 * i]].CopyTo(packed[at..]);
                at += holes[2 * i] - pos;
                pos = holes[2 * i] + holes[2 * i + 1];
            }
            config[pos..end].CopyTo(packed[at..]);
            w.Write(packed);
        }
        if (shortened) { w.Write("length"); w.Write(config.Length); }
        if (holeCount > 0)
        {
            w.Write("holes");
            w.WriteArrayHeader(2 * holeCount);
            foreach (int v in holes[..(2 * holeCount)]) w.Write(v);
        }
        if (end < config.Length && fill != 0) { w.Write("fill"); w.Write((int)fill); }
        if (d.Driver is not null) { w.Write("driver"); w.Write(d.Driver); }
        if (d.ResetMethods.Count > 0) { w.Write("resets"); WriteStrings(ref w, d.ResetMethods); }
        if (d.Resources.Count > 0)
        {
            w.Write("resources");
            w.WriteArrayHeader(d.Resources.Count);
            foreach (var r in d.Resources)
            {
                w.WriteArrayHeader(4);
                w.Write(r.Index); w.Write(r.Start); w.Write(r.End); w.Write(r.Flags);
            }
        }
        if (d.Origins.Count > 0)
        {
            w.Write("origins");
            w.WriteArrayHeader(d.Origins.Count);
            foreach (var o in d.Origins)
            {
                w.WriteArrayHeader(4);
                w.Write(o.Offset); w.Write(o.Length); w.Write(o.Source); w.Write((int)o.Pristineness);
            }
        }
        if (d.Truncated) { w.Write("truncated"); w.Write(true); }
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

    private static void WriteStrings(ref MessagePackWriter w, IReadOnlyList<string> values)
    {
        w.WriteArrayHeader(values.Count);
        foreach (var v in values) w.Write(v);
    }

    /// <summary>Decodes a body. Throws <see cref="MessagePackFormatException"/> (offsets from <paramref name="baseOffset"/>).</summary>
    public static Snapshot Decode(ReadOnlySpan<byte> body, long baseOffset = 0)
    {
        var r = new MessagePackReader(body, baseOffset);
        int? version = null;
        long capturedAt = 0;
        string host = "", kernel = "", bootId = "", tool = "";
        IReadOnlyList<string> sources = [];
        List<DeviceRecord>? devices = null;
        uint seen = 0;

        int start = r.Position;
        if (r.PeekType() != MessagePackType.Map) throw r.Error(start, "the body is not a map");
        for (int n = r.ReadMapHeader(); n > 0; n--)
        {
            switch (ReadKey(ref r, BodyKeys, ref seen))
            {
                case 0:
                    int at = r.Position;
                    version = (int)r.ReadInt64(1, int.MaxValue);
                    if (version > Snapshot.CurrentFormatVersion)
                        throw r.Error(at, $"body version {version} is newer than this tool reads ({Snapshot.CurrentFormatVersion})");
                    break;
                case 1: capturedAt = r.ReadInt64(-62135596800000, 253402300799999); break;
                case 2: host = r.ReadString(); break;
                case 3: kernel = r.ReadString(); break;
                case 4: bootId = r.ReadString(); break;
                case 5: tool = r.ReadString(); break;
                case 6: sources = ReadStrings(ref r); break;
                case 7: devices = ReadDevices(ref r); break;
                default: r.Skip(); break;
            }
        }
        if (!r.End) throw r.Error(r.Position, $"{r.Remaining} bytes after the body map");
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

    private static readonly byte[][] BodyKeys = Utf8Keys("version", "capturedAt", "host", "kernel", "bootId", "tool", "sources", "devices");
    private static readonly byte[][] DeviceKeys = Utf8Keys("address", "config", "length", "holes", "fill", "driver", "resets", "resources", "origins", "truncated");

    private static byte[][] Utf8Keys(params string[] keys) => [.. keys.Select(System.Text.Encoding.UTF8.GetBytes)];

    /// <summary>
    /// Reads a map key: its index in <paramref name="keys"/>, or -1 for a key this reader does not know (the caller
    /// skips its value, for bodies from later writers). A known key given twice is an error.
    /// </summary>
    private static int ReadKey(ref MessagePackReader r, byte[][] keys, ref uint seen)
    {
        int keyAt = r.Position;
        var key = r.ReadStringSpan();
        for (int id = 0; id < keys.Length; id++)
        {
            if (!key.SequenceEqual(keys[id])) continue;
            if ((seen & (1u << id)) != 0) throw r.Error(keyAt, $"key \"{System.Text.Encoding.UTF8.GetString(key)}\" appears twice");
            seen |= 1u << id;
            return id;
        }
        return -1;
    }

    private static List<DeviceRecord> ReadDevices(ref MessagePackReader r)
    {
        int at = r.Position;
        int count = r.ReadArrayHeader();
        if (count > MaxDevices) throw r.Error(at, $"{count} devices is more than the {MaxDevices} accepted");
        var devices = new List<DeviceRecord>(count);
        for (int i = 0; i < count; i++)
        {
            int deviceAt = r.Position;
            var d = ReadDevice(ref r);
            // Strictly ascending addresses: no duplicates, and lookups can binary-search.
            if (i > 0 && devices[^1].Address.CompareTo(d.Address) >= 0)
                throw r.Error(deviceAt, devices[^1].Address == d.Address ? $"device {d.Address} is listed twice" : $"device {d.Address} is out of address order");
            devices.Add(d);
        }
        return devices;
    }

    private static DeviceRecord ReadDevice(ref MessagePackReader r)
    {
        int start = r.Position;
        if (r.PeekType() != MessagePackType.Map) throw r.Error(start, "a device is not a map");
        PciAddress? address = null;
        ReadOnlySpan<byte> config = default;
        bool hasConfig = false;
        int? length = null;
        int lengthAt = 0, holesAt = 0;
        byte fill = 0;
        string? driver = null;
        IReadOnlyList<string> resets = [];
        List<BarResource> resources = [];
        List<ConfigOrigin> origins = [];
        Span<int> holes = stackalloc int[2 * (4096 / MinHole + 1)];
        int holeValues = 0;
        bool truncated = false;
        uint seen = 0;
        Span<char> chars = stackalloc char[32];

        for (int n = r.ReadMapHeader(); n > 0; n--)
        {
            int id = ReadKey(ref r, DeviceKeys, ref seen);
            int at = r.Position;
            switch (id)
            {
                case 0:
                    var text = r.ReadStringSpan();
                    if (text.Length > chars.Length || System.Text.Encoding.UTF8.GetChars(text, chars) != text.Length
                        || !PciAddress.TryParse(chars[..text.Length], out var a))
                        throw r.Error(at, "\"address\" is not a PCI address (dddd:bb:dd.f)");
                    address = a;
                    break;
                case 1: config = r.ReadBinary(); hasConfig = true; break;
                case 2: lengthAt = at; length = (int)r.ReadInt64(0, 4096); break;
                case 3:
                    holesAt = at;
                    holeValues = r.ReadArrayHeader();
                    if (holeValues > holes.Length || holeValues % 2 != 0)
                        throw r.Error(at, $"\"holes\" has {holeValues} values (an even count up to {holes.Length})");
                    for (int k = 0; k < holeValues; k++) holes[k] = (int)r.ReadInt64(0, 4096);
                    break;
                case 4: fill = (byte)r.ReadInt64(0, 255); if (fill is not (0 or 0xff)) throw r.Error(at, "\"fill\" must be 0 or 255"); break;
                case 5: driver = r.ReadString(); break;
                case 6: resets = ReadStrings(ref r); break;
                case 7:
                    for (int k = r.ReadArrayHeader(); k > 0; k--)
                    {
                        ExpectTuple(ref r, 4);
                        resources.Add(new BarResource((int)r.ReadInt64(0, 255), r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64()));
                    }
                    break;
                case 8:
                    for (int k = r.ReadArrayHeader(); k > 0; k--)
                    {
                        ExpectTuple(ref r, 4);
                        int offset = (int)r.ReadInt64(0, 4096), len = (int)r.ReadInt64(0, 4096);
                        string source = r.ReadString();
                        var p = (Pristineness)r.ReadInt64((int)Pristineness.Firmware, (int)Pristineness.Unknown);
                        origins.Add(new ConfigOrigin(offset, len, source, p));
                    }
                    break;
                case 9: truncated = r.ReadBoolean(); break;
                default: r.Skip(); break;
            }
        }
        if (address is null) throw r.Error(start, "a device has no \"address\"");
        if (!hasConfig) throw r.Error(start, $"device {address} has no \"config\"");
        int captured = length ?? config.Length;
        if (!DeviceRecord.IsValidLength(captured))
            throw r.Error(length is null ? start : lengthAt, $"device {address}: captured length {captured} is not 64, 256 or 4096");
        var bytes = new byte[captured];
        int src = 0, pos = 0;
        for (int k = 0; k < holeValues; k += 2)
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
            throw r.Error(start, $"device {address}: {config.Length} config bytes exceed the captured length {captured}");
        config[src..].CopyTo(bytes.AsSpan(pos));
        if (fill != 0) bytes.AsSpan(pos + config.Length - src).Fill(fill);
        return new DeviceRecord
        {
            Address = address.Value,
            Config = bytes,
            Driver = driver,
            ResetMethods = resets,
            Resources = resources,
            Origins = origins,
            Truncated = truncated,
        };
    }

    private static void ExpectTuple(ref MessagePackReader r, int count)
    {
        int at = r.Position;
        if (r.ReadArrayHeader() != count) throw r.Error(at, $"expected an array of {count}");
    }

    private static List<string> ReadStrings(ref MessagePackReader r)
    {
        int count = r.ReadArrayHeader();
        var list = new List<string>(count);
        for (int i = 0; i < count; i++) list.Add(r.ReadString());
        return list;
    }

}
