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

    private static void WriteDevice(ref MessagePackWriter w, DeviceRecord d, bool trimConfig)
    {
        ReadOnlySpan<byte> config = d.Config;
        byte fill = config.Length > 0 && config[^1] == 0xff ? (byte)0xff : (byte)0;
        int kept = trimConfig ? config.LastIndexOfAnyExcept(fill) + 1 : config.Length;
        bool trimmed = kept < config.Length;

        int fields = 2 + (trimmed ? 1 : 0) + (trimmed && fill != 0 ? 1 : 0) + (d.Driver is null ? 0 : 1)
            + (d.ResetMethods.Count > 0 ? 1 : 0) + (d.Resources.Count > 0 ? 1 : 0) + (d.Origins.Count > 0 ? 1 : 0)
            + (d.Truncated ? 1 : 0);
        w.WriteMapHeader(fields);
        w.Write("address"); w.Write(d.Address.ToString());
        w.Write("config"); w.Write(config[..kept]);
        if (trimmed) { w.Write("length"); w.Write(config.Length); }
        if (trimmed && fill != 0) { w.Write("fill"); w.Write((int)fill); }
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
        var seen = new HashSet<string>(StringComparer.Ordinal);

        int start = r.Position;
        if (r.PeekType() != MessagePackType.Map) throw r.Error(start, "the body is not a map");
        for (int n = r.ReadMapHeader(); n > 0; n--)
        {
            string key = ReadKey(ref r, seen);
            switch (key)
            {
                case "version":
                    int at = r.Position;
                    version = (int)r.ReadInt64(1, int.MaxValue);
                    if (version > Snapshot.CurrentFormatVersion)
                        throw r.Error(at, $"body version {version} is newer than this tool reads ({Snapshot.CurrentFormatVersion})");
                    break;
                case "capturedAt": capturedAt = r.ReadInt64(-62135596800000, 253402300799999); break;
                case "host": host = r.ReadString(); break;
                case "kernel": kernel = r.ReadString(); break;
                case "bootId": bootId = r.ReadString(); break;
                case "tool": tool = r.ReadString(); break;
                case "sources": sources = ReadStrings(ref r); break;
                case "devices": devices = ReadDevices(ref r); break;
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

    private static List<DeviceRecord> ReadDevices(ref MessagePackReader r)
    {
        int at = r.Position;
        int count = r.ReadArrayHeader();
        if (count > MaxDevices) throw r.Error(at, $"{count} devices is more than the {MaxDevices} accepted");
        var devices = new List<DeviceRecord>(count);
        var addresses = new HashSet<PciAddress>();
        for (int i = 0; i < count; i++)
        {
            int deviceAt = r.Position;
            var d = ReadDevice(ref r);
            if (!addresses.Add(d.Address)) throw r.Error(deviceAt, $"device {d.Address} is listed twice");
            if (i > 0 && devices[^1].Address.CompareTo(d.Address) > 0)
                throw r.Error(deviceAt, $"device {d.Address} is out of address order");
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
        int lengthAt = 0;
        byte fill = 0;
        string? driver = null;
        IReadOnlyList<string> resets = [];
        List<BarResource> resources = [];
        List<ConfigOrigin> origins = [];
        bool truncated = false;
        var seen = new HashSet<string>(StringComparer.Ordinal);

        for (int n = r.ReadMapHeader(); n > 0; n--)
        {
            string key = ReadKey(ref r, seen);
            int at = r.Position;
            switch (key)
            {
                case "address":
                    string text = r.ReadString();
                    address = PciAddress.TryParse(text, out var a) ? a : throw r.Error(at, $"\"{Clip(text)}\" is not a PCI address");
                    break;
                case "config": config = r.ReadBinary(); hasConfig = true; break;
                case "length": lengthAt = at; length = (int)r.ReadInt64(0, 4096); break;
                case "fill": fill = (byte)r.ReadInt64(0, 255); if (fill is not (0 or 0xff)) throw r.Error(at, "\"fill\" must be 0 or 255"); break;
                case "driver": driver = r.ReadString(); break;
                case "resets": resets = ReadStrings(ref r); break;
                case "resources":
                    for (int k = r.ReadArrayHeader(); k > 0; k--)
                    {
                        ExpectTuple(ref r, 4);
                        resources.Add(new BarResource((int)r.ReadInt64(0, 255), r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64()));
                    }
                    break;
                case "origins":
                    for (int k = r.ReadArrayHeader(); k > 0; k--)
                    {
                        ExpectTuple(ref r, 4);
                        int offset = (int)r.ReadInt64(0, 4096), len = (int)r.ReadInt64(0, 4096);
                        string source = r.ReadString();
                        int pristineAt = r.Position;
                        long p = r.ReadInt64();
                        if (p < (int)Pristineness.Firmware || p > (int)Pristineness.Unknown)
                            throw r.Error(pristineAt, $"unknown pristineness {p}");
                        origins.Add(new ConfigOrigin(offset, len, source, (Pristineness)p));
                    }
                    break;
                case "truncated": truncated = r.ReadBoolean(); break;
                default: r.Skip(); break;
            }
        }
        if (address is null) throw r.Error(start, "a device has no \"address\"");
        if (!hasConfig) throw r.Error(start, $"device {address} has no \"config\"");
        int captured = length ?? config.Length;
        if (!DeviceRecord.IsValidLength(captured))
            throw r.Error(length is null ? start : lengthAt, $"device {address}: captured length {captured} is not 64, 256 or 4096");
        if (config.Length > captured)
            throw r.Error(start, $"device {address}: {config.Length} config bytes exceed the captured length {captured}");
        var bytes = new byte[captured];
        config.CopyTo(bytes);
        if (fill != 0) bytes.AsSpan(config.Length).Fill(fill);
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

    private static string ReadKey(ref MessagePackReader r, HashSet<string> seen)
    {
        int at = r.Position;
        string key = r.ReadString();
        if (!seen.Add(key)) throw r.Error(at, $"key \"{Clip(key)}\" appears twice");
        return key;
    }

    private static List<string> ReadStrings(ref MessagePackReader r)
    {
        int count = r.ReadArrayHeader();
        var list = new List<string>(count);
        for (int i = 0; i < count; i++) list.Add(r.ReadString());
        return list;
    }

    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "...";
}
