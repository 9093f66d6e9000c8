using System.Text;
using MessagePack;
using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Handoff.Model;
using static Preconfig.Handoff.Blob.SnapshotBody;

namespace Preconfig.Handoff.Blob;

/// <summary>
/// Body version 2: <c>"functions"</c>, a map of columns, each an array with one entry per function in address order
/// (docs/handoff-format.md, "Version 2: columns"). Column by column the compressor sees like next to like: addresses
/// as small differences, the dword masks (<see cref="DwordMask"/>) together, and the stored config dwords of every
/// function in one bin, without a key or a length per function; driver names, reset methods and origin sources are
/// indexes into one list of strings. Against version 1 (one map per device, zero runs of 64 bytes and more left out)
/// a blob of real dumps is a fifth smaller, and decoding reads a tenth of the values.
/// </summary>
internal static class FunctionColumns
{
    public const int Version = Snapshot.CurrentFormatVersion;

    private const int Strings = 0, Address = 1, Mask = 2, Fill = 3, Driver = 4, Resets = 5, Resources = 6, Origins = 7,
        Truncated = 8, Config = 9;
    private static readonly byte[][] Keys = Utf8Keys("strings", "address", "mask", "fill", "driver", "resets", "resources", "origins", "truncated", "config");

    /// <summary>The largest packed address: domain (31 bits) &lt;&lt; 16 | bus &lt;&lt; 8 | devfn.</summary>
    public const long MaxPackedAddress = ((long)int.MaxValue << 16) | 0xffff;

    public static long Pack(PciAddress a) => ((long)a.Domain << 16) | ((long)a.Bus << 8) | a.DevFn;

    public static PciAddress Unpack(long packed) => new((int)(packed >> 16), (byte)(packed >> 8), (byte)((packed >> 3) & 31), (byte)(packed & 7));

    // ---- Writing ----

    /// <summary>The "functions" map (the snapshot's limits were checked by the caller).</summary>
    public static void Write(ref MessagePackWriter w, IReadOnlyList<DeviceRecord> devices)
    {
        int n = devices.Count;
        var strings = new List<string>();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        int maskBytes = 0;
        foreach (var d in devices) maskBytes += DwordMask.MaskLength(d.Config.Length);
        var masks = new byte[maskBytes];
        var fills = new byte[n];
        int storedBytes = 0;
        bool anyFill = false, anyDriver = false, anyResets = false, anyResources = false, anyOrigins = false, anyTruncated = false;
        for (int i = 0, m = 0; i < n; i++)
        {
            var d = devices[i];
            int length = DwordMask.MaskLength(d.Config.Length);
            storedBytes += 4 * DwordMask.Build(d.Config, masks.AsSpan(m, length), out fills[i]);
            m += length;
            anyFill |= fills[i] != 0;
            if (d.Driver is not null) { anyDriver = true; Id(d.Driver); }
            foreach (var method in d.ResetMethods) Id(method);
            foreach (var o in d.Origins) Id(o.Source);
            anyResets |= d.ResetMethods.Count > 0;
            anyResources |= d.Resources.Count > 0;
            anyOrigins |= d.Origins.Count > 0;
            anyTruncated |= d.Truncated;
        }

        w.WriteMapHeader(3 + (strings.Count > 0 ? 1 : 0) + (anyFill ? 1 : 0) + (anyDriver ? 1 : 0) + (anyResets ? 1 : 0)
            + (anyResources ? 1 : 0) + (anyOrigins ? 1 : 0) + (anyTruncated ? 1 : 0));
        if (strings.Count > 0)
        {
            w.WriteString("strings"u8);
            w.WriteArrayHeader(strings.Count);
            foreach (var s in strings) w.Write(s);
        }
        w.WriteString("address"u8);
        w.WriteArrayHeader(n);
        long previous = 0;
        foreach (var d in devices)
        {
            long packed = Pack(d.Address);
            w.Write(packed - previous);
            previous = packed;
        }
        w.WriteString("mask"u8);
        w.WriteArrayHeader(n);
        for (int i = 0, m = 0; i < n; i++)
        {
            int length = DwordMask.MaskLength(devices[i].Config.Length);
            w.Write(masks.AsSpan(m, length));
            m += length;
        }
        if (anyFill)
        {
            w.WriteString("fill"u8);
            w.WriteArrayHeader(n);
            foreach (byte f in fills) w.Write(f);
        }
        if (anyDriver)
        {
            w.WriteString("driver"u8);
            w.WriteArrayHeader(n);
            foreach (var d in devices)
            {
                if (d.Driver is null) w.WriteNil();
                else w.Write(ids[d.Driver]);
            }
        }
        if (anyResets)
        {
            w.WriteString("resets"u8);
            w.WriteArrayHeader(n);
            foreach (var d in devices)
            {
                w.WriteArrayHeader(d.ResetMethods.Count);
                foreach (var method in d.ResetMethods) w.Write(ids[method]);
            }
        }
        if (anyResources)
        {
            w.WriteString("resources"u8);
            w.WriteArrayHeader(n);
            foreach (var d in devices) ResourceLines.Write(ref w, d.Config, d.Resources);
        }
        if (anyOrigins)
        {
            w.WriteString("origins"u8);
            w.WriteArrayHeader(n);
            foreach (var d in devices)
            {
                w.WriteArrayHeader(4 * d.Origins.Count);
                foreach (var o in d.Origins)
                {
                    w.Write(o.Offset); w.Write(o.Length); w.Write(ids[o.Source]); w.Write((int)o.Pristineness);
                }
            }
        }
        if (anyTruncated)
        {
            w.WriteString("truncated"u8);
            w.WriteArrayHeader(n);
            foreach (var d in devices) w.Write(d.Truncated);
        }
        // Last: the stored dwords of every function, straight from the configs into the output.
        w.WriteString("config"u8);
        w.WriteBinHeader(storedBytes);
        for (int i = 0, m = 0; i < n; i++)
        {
            var config = devices[i].Config;
            int length = DwordMask.MaskLength(config.Length);
            var mask = masks.AsSpan(m, length);
            m += length;
            int bytes = 4 * DwordMask.StoredDwords(mask);
            if (bytes == 0) continue;
            DwordMask.CopyStored(config, mask, w.GetSpan(bytes));
            w.Advance(bytes);
        }

        void Id(string s)
        {
            if (ids.TryAdd(s, strings.Count)) strings.Add(s);
        }
    }

    // ---- Reading ----

    /// <summary>Reads the "functions" map. Throws <see cref="BodyFormatException"/>.</summary>
    public static List<DeviceRecord> Read(ref BodyReader r)
    {
        long start = r.Offset;
        if (r.PeekType() != MessagePackType.Map) throw r.Error(start, "\"functions\" is not a map");
        var c = new Columns();
        uint seen = 0;
        for (int entries = r.ReadMapHeader(MaxMapEntries, "the \"functions\" map"); entries > 0; entries--)
        {
            int id = ReadKey(ref r, Keys, ref seen);
            long at = r.Offset;
            switch (id)
            {
                case Strings:
                    c.Strings = new string[r.ReadArrayHeader(MaxDistinctStrings, "\"strings\"")];
                    for (int k = 0; k < c.Strings.Length; k++) c.Strings[k] = r.ReadString(MaxSourceBytes, "a string");
                    break;
                case Address:
                    c.Addresses = new PciAddress[c.Count(ref r, "\"address\"")];
                    ReadAddresses(ref r, c.Addresses);
                    break;
                case Mask:
                    c.Masks = new ReadOnlyMemory<byte>[c.Count(ref r, "\"mask\"")];
                    for (int i = 0; i < c.Masks.Length; i++)
                    {
                        long maskAt = r.Offset;
                        var mask = r.ReadBinaryMemory(DwordMask.MaskLength(Header.ExtConfigSize), "a mask");
                        if (!DeviceRecord.IsValidLength(mask.Length * DwordMask.BytesPerMaskByte))
                            throw r.Error(maskAt, $"mask {i} is {mask.Length} bytes, not 2, 8 or 128 (a config of 64, 256 or 4096 bytes)");
                        c.Masks[i] = mask;
                    }
                    break;
                case Fill:
                    c.Fills = new byte[c.Count(ref r, "\"fill\"")];
                    for (int i = 0; i < c.Fills.Length; i++)
                    {
                        long fillAt = r.Offset;
                        c.Fills[i] = (byte)r.ReadInt32(0, 255, "a fill");
                        if (c.Fills[i] is not (0 or 0xff)) throw r.Error(fillAt, "a fill must be 0 or 255");
                    }
                    break;
                case Driver:
                    c.Drivers = new string?[c.Count(ref r, "\"driver\"")];
                    for (int i = 0; i < c.Drivers.Length; i++)
                        c.Drivers[i] = r.TryReadNil() ? null : c.String(ref r, MaxTextBytes, "a driver");
                    break;
                case Resets:
                    c.Resets = new string[c.Count(ref r, "\"resets\"")][];
                    for (int i = 0; i < c.Resets.Length; i++)
                    {
                        var methods = new string[r.ReadArrayHeader(MaxResetMethods, "a function's reset methods")];
                        for (int k = 0; k < methods.Length; k++) methods[k] = c.String(ref r, MaxTextBytes, "a reset method");
                        c.Resets[i] = methods;
                    }
                    break;
                case Resources:
                    c.Resources = new ResourceLines.Stored[c.Count(ref r, "\"resources\"")];
                    for (int i = 0; i < c.Resources.Length; i++) c.Resources[i] = ResourceLines.Read(ref r);
                    break;
                case Origins:
                    c.Origins = new ConfigOrigin[c.Count(ref r, "\"origins\"")][];
                    for (int i = 0; i < c.Origins.Length; i++) c.Origins[i] = ReadOrigins(ref r, c);
                    break;
                case Truncated:
                    c.Truncated = new bool[c.Count(ref r, "\"truncated\"")];
                    for (int i = 0; i < c.Truncated.Length; i++) c.Truncated[i] = r.ReadBoolean("a truncated flag");
                    break;
                case Config:
                    c.ConfigAt = at;
                    c.Stored = r.ReadBinaryMemory(MaxDevices * Header.ExtConfigSize, "\"config\"");
                    break;
                default: r.Skip("the value of an unknown key"); break;
            }
        }
        if (c.Addresses is null) throw r.Error(start, "\"functions\" has no \"address\"");
        if (c.Masks is null) throw r.Error(start, "\"functions\" has no \"mask\"");
        if ((seen & (1u << Config)) == 0) throw r.Error(start, "\"functions\" has no \"config\"");
        return Build(ref r, c);
    }

    /// <summary>The columns as read, before the functions are put together.</summary>
    private sealed class Columns
    {
        public int Functions = -1;
        public string[]? Strings;
        public PciAddress[]? Addresses;
        public ReadOnlyMemory<byte>[]? Masks;
        public byte[]? Fills;
        public string?[]? Drivers;
        public string[][]? Resets;
        public ResourceLines.Stored[]? Resources;
        public ConfigOrigin[][]? Origins;
        public bool[]? Truncated;
        public ReadOnlyMemory<byte> Stored;
        public long ConfigAt;

        /// <summary>A column's array header: the first sets the number of functions, every other must match it.</summary>
        public int Count(ref BodyReader r, string what)
        {
            long at = r.Offset;
            int n = r.ReadArrayHeader(MaxDevices, what);
            if (Functions < 0) Functions = n;
            else if (n != Functions) throw r.Error(at, $"{what} has {n} entries, the columns before it {Functions}");
            return n;
        }

        /// <summary>An index into "strings", which must come before the columns that use it.</summary>
        public string String(ref BodyReader r, int maxBytes, string what)
        {
            long at = r.Offset;
            int count = Strings?.Length ?? 0;
            int k = (int)r.ReadInt64(0, MaxDistinctStrings - 1, what);
            if (k >= count) throw r.Error(at, $"{what}: string {k}, but \"strings\" before it holds {count}");
            string s = Strings![k];
            if (Encoding.UTF8.GetByteCount(s) > maxBytes) throw r.Error(at, $"{what}: string {k} is longer than the {maxBytes} bytes accepted");
            return s;
        }
    }

    private static void ReadAddresses(ref BodyReader r, PciAddress[] addresses)
    {
        long packed = 0;
        for (int i = 0; i < addresses.Length; i++)
        {
            long at = r.Offset;
            // The first is the address itself, every later one the step from the one before: ascending, no duplicates.
            long step = r.ReadInt64(i == 0 ? 0 : 1, MaxPackedAddress, "an address");
            if (step > MaxPackedAddress - packed) throw r.Error(at, $"address {i} is past the largest (domain 0x7fffffff)");
            packed += step;
            addresses[i] = Unpack(packed);
        }
    }

    private static ConfigOrigin[] ReadOrigins(ref BodyReader r, Columns c)
    {
        long at = r.Offset;
        int values = r.ReadArrayHeader(4 * MaxOrigins, "a function's origins");
        if (values % 4 != 0) throw r.Error(at, $"a function's origins has {values} values, not groups of 4");
        var origins = new ConfigOrigin[values / 4];
        for (int k = 0; k < origins.Length; k++)
        {
            int offset = r.ReadInt32(0, Header.ExtConfigSize, "an origin's offset");
            int length = r.ReadInt32(0, Header.ExtConfigSize, "an origin's length");
            string source = c.String(ref r, MaxSourceBytes, "an origin's source");
            var p = (Pristineness)r.ReadInt32((int)Pristineness.Firmware, (int)Pristineness.Unknown, "an origin's pristineness");
            origins[k] = new ConfigOrigin(offset, length, source, p);
        }
        return origins;
    }

    /// <summary>Every function from its columns: configs rebuilt from masks and stored dwords, resource lines resolved against them.</summary>
    private static List<DeviceRecord> Build(ref BodyReader r, Columns c)
    {
        int n = c.Functions;
        var masks = c.Masks!;
        long wanted = 0;
        foreach (var mask in masks) wanted += 4L * DwordMask.StoredDwords(mask.Span);
        if (wanted != c.Stored.Length)
            throw r.Error(c.ConfigAt, $"\"config\" holds {c.Stored.Length} bytes, the masks store {wanted}");
        var stored = c.Stored.Span;
        var devices = new List<DeviceRecord>(n);
        for (int i = 0, at = 0; i < n; i++)
        {
            var mask = masks[i].Span;
            // Every byte is written by Rebuild, so the config needs no clearing.
            var config = GC.AllocateUninitializedArray<byte>(mask.Length * DwordMask.BytesPerMaskByte);
            int bytes = 4 * DwordMask.StoredDwords(mask);
            DwordMask.Rebuild(stored.Slice(at, bytes), mask, c.Fills?[i] ?? 0, config);
            at += bytes;
            IReadOnlyList<BarResource> resources = c.Resources?[i] is { } lines ? ResourceLines.Resolve(lines, config) : [];
            devices.Add(new DeviceRecord
            {
                Address = c.Addresses![i],
                Config = config,
                Driver = c.Drivers?[i],
                ResetMethods = c.Resets?[i] ?? [],
                Resources = resources,
                Origins = c.Origins?[i] ?? [],
                Truncated = c.Truncated?[i] ?? false,
            });
        }
        return devices;
    }
}
