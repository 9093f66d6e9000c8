using System.Text;
using MessagePack;
using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Handoff.Model;
using static Preconfig.Handoff.Blob.SnapshotBody;

namespace Preconfig.Handoff.Blob;

/// <summary>
/// Body version 1: <c>"devices"</c>, one map per function (docs/handoff-format.md, "Version 1: one map per device").
/// What <c>export --format msgpack</c> writes, with every config at its full captured length (the form for other
/// tools), and what blobs of earlier releases carry, with zero runs left out as <c>"holes"</c>: a kdump initramfs
/// built before an upgrade still holds one, so it stays readable.
/// </summary>
internal static class DeviceMaps
{
    public const int Version = 1;

    private static readonly byte[][] Keys = Utf8Keys("address", "config", "length", "holes", "fill", "driver", "resets", "resources", "origins", "truncated");

    /// <summary>Zero runs at least this long were left out of a version 1 config and listed in "holes".</summary>
    public const int MinHole = 64;
    /// <summary>Values in "holes": an offset and a length per run, at most one run per <see cref="MinHole"/> bytes.</summary>
    public const int MaxHoleValues = 2 * (Header.ExtConfigSize / MinHole + 1);

    private const int MaxAddressBytes = 32;

    /// <summary>The "devices" array, every config whole.</summary>
    public static void Write(ref MessagePackWriter w, IReadOnlyList<DeviceRecord> devices)
    {
        w.WriteArrayHeader(devices.Count);
        foreach (var d in devices)
        {
            int fields = 2 + (d.Driver is null ? 0 : 1) + (d.ResetMethods.Count > 0 ? 1 : 0) + (d.Resources.Count > 0 ? 1 : 0)
                + (d.Origins.Count > 0 ? 1 : 0) + (d.Truncated ? 1 : 0);
            w.WriteMapHeader(fields);
            w.WriteString("address"u8); w.Write(d.Address.ToString());
            w.WriteString("config"u8); w.Write(d.Config);
            if (d.Driver is not null) { w.WriteString("driver"u8); w.Write(d.Driver); }
            if (d.ResetMethods.Count > 0)
            {
                w.WriteString("resets"u8);
                w.WriteArrayHeader(d.ResetMethods.Count);
                foreach (var m in d.ResetMethods) w.Write(m);
            }
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
    }

    /// <summary>Reads the "devices" array.</summary>
    public static List<DeviceRecord> Read(ref BodyReader r)
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
            int id = ReadKey(ref r, Keys, ref seen);
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
    /// a version 1 config"): the bytes between holes in order, zeros for each hole, then <paramref name="fill"/> to the end.
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
