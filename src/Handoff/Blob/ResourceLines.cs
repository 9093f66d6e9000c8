using MessagePack;
using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using static Preconfig.Handoff.Blob.SnapshotBody;

namespace Preconfig.Handoff.Blob;

/// <summary>
/// One function's sysfs <c>resource</c> lines in body version 2's <c>"resources"</c> column (docs/handoff-format.md):
/// stored as what the function's own registers do not say. The registers predict most of each line
/// (<see cref="Predict"/>: a BAR's address, a bridge window's base and limit), so a line is written as its difference
/// from the prediction, and an all-zero line inside the leading run of lines is left out. <see cref="FunctionColumns"/>
/// writes and reads the column; this is the encoding of one entry.
/// </summary>
internal static class ResourceLines
{
    /// <summary>
    /// One function's resource lines: the count n of lines 0..n-1 the record has in order, then for each line among
    /// them that is not all zero, and for every line after them: index, start less the predicted start, length
    /// (end less start) less the predicted length, flags (see <see cref="Predict"/>).
    /// </summary>
    public static void Write(ref MessagePackWriter w, ReadOnlySpan<byte> config, IReadOnlyList<BarResource> lines)
    {
        if (lines.Count == 0) { w.WriteArrayHeader(0); return; }
        int dense = 0;
        while (dense < lines.Count && lines[dense].Index == dense) dense++;
        int listed = lines.Count - dense;
        for (int k = 0; k < dense; k++) if (!IsZero(lines[k])) listed++;
        w.WriteArrayHeader(1 + 4 * listed);
        w.Write(dense);
        for (int k = 0; k < lines.Count; k++)
        {
            var line = lines[k];
            if (k < dense && IsZero(line)) continue;
            var (start, end) = Predict(config, line.Index);
            w.Write(line.Index);
            w.Write(unchecked(line.Start - start));
            w.Write(unchecked(line.End - line.Start - (end - start)));
            w.Write(line.Flags);
        }
    }

    private static bool IsZero(BarResource r) => r.Start == 0 && r.End == 0 && r.Flags == 0;

    /// <summary>
    /// One function's resource lines as read, before the config is rebuilt: those given in the body (bit k of
    /// <see cref="Listed"/> for line k) still hold their start relative to the register and their end relative to the
    /// start (<see cref="Resolve"/> makes them whole).
    /// </summary>
    public readonly record struct Stored(BarResource[] Lines, uint Listed);

    public static Stored Read(ref BodyReader r)
    {
        long at = r.Offset;
        int values = r.ReadArrayHeader(1 + 4 * MaxResources, "a function's resources");
        if (values == 0) return new Stored([], 0);
        if (values % 4 != 1) throw r.Error(at, $"a function's resources has {values} values, not a count and groups of 4");
        int dense = r.ReadInt32(0, MaxResources, "a resource line count");
        int listed = values / 4, beyond = 0;
        var given = new BarResource[listed];
        for (int k = 0; k < listed; k++)
        {
            long lineAt = r.Offset;
            int index = r.ReadInt32(0, 255, "a resource index");
            if (k > 0 && index <= given[k - 1].Index) throw r.Error(lineAt, "resource lines are not in ascending index order");
            if (index >= dense) beyond++;
            given[k] = new BarResource(index, r.ReadUInt64("a resource start"), r.ReadUInt64("a resource length"), r.ReadUInt64("resource flags"));
        }
        if (dense + beyond > MaxResources) throw r.Error(at, $"a function's resources has {dense + beyond} lines, more than the {MaxResources} accepted");
        var lines = new BarResource[dense + beyond];
        uint listedLines = 0;
        int next = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            if (i < dense && (next == listed || given[next].Index != i)) { lines[i] = new BarResource(i, 0, 0, 0); continue; }
            lines[i] = given[next++];
            listedLines |= 1u << i;
        }
        return new Stored(lines, listedLines);
    }

    /// <summary>The lines whole: each given line's start and end resolved against what <paramref name="config"/> predicts.</summary>
    public static BarResource[] Resolve(Stored stored, ReadOnlySpan<byte> config)
    {
        var (lines, listed) = stored;
        for (int k = 0; k < lines.Length; k++)
        {
            if ((listed & (1u << k)) == 0) continue; // a line left out: all zero
            var line = lines[k];
            var (start, end) = Predict(config, line.Index);
            ulong begin = unchecked(line.Start + start);
            lines[k] = new BarResource(line.Index, begin, unchecked(begin + line.End + (end - start)), line.Flags);
        }
        return lines;
    }

    /// <summary>
    /// The range a resource line's registers hold in config space, which the kernel's resource (sysfs
    /// <c>resource</c> line) usually equals: BARs 0-5 (0-1 of a bridge; a 64-bit memory BAR with the next register as
    /// its upper half) and the expansion ROM (line 6) give their address as start and end (their size is not in config
    /// space); a bridge's I/O, memory and prefetchable memory windows (lines 13, 14, 15, where the kernel puts them
    /// when it has SR-IOV) give base and limit; every other line (0, 0). Only a prediction: the difference is stored.
    /// </summary>
    public static (ulong Start, ulong End) Predict(ReadOnlySpan<byte> config, int index)
    {
        int type = config[Header.HeaderType] & Header.HeaderTypeMask;
        int bars = type == 0 ? 6 : type == 1 ? 2 : 0;
        if (index < bars)
        {
            uint low = ConfigBytes.U32(config, Type0.BaseAddress0 + 4 * index);
            ulong address = (low & 1) != 0 ? low & ~3u : low & ~0xfu;
            if ((low & 7) == 4 && index + 1 < bars) address |= (ulong)ConfigBytes.U32(config, Type0.BaseAddress0 + 4 * index + 4) << 32;
            return (address, address);
        }
        if (index == 6 && type is 0 or 1)
        {
            ulong rom = ConfigBytes.U32(config, type == 0 ? Type0.RomAddress : Type1.RomAddress) & ~0x7ffu;
            return (rom, rom);
        }
        if (type != 1) return (0, 0);
        switch (index)
        {
            case 13:
                byte ioBase = config[Type1.IoBase], ioLimit = config[Type1.IoLimit];
                ulong upper = (ioBase & 0xf) == 1 ? ConfigBytes.U16(config, Type1.IoBaseUpper16) : 0u;
                ulong upperLimit = (ioBase & 0xf) == 1 ? ConfigBytes.U16(config, Type1.IoLimitUpper16) : 0u;
                return ((ulong)(ioBase & 0xf0) << 8 | upper << 16, (ulong)(ioLimit & 0xf0) << 8 | 0xfff | upperLimit << 16);
            case 14:
                return ((ulong)(ConfigBytes.U16(config, Type1.MemoryBase) & 0xfff0) << 16,
                    (ulong)(ConfigBytes.U16(config, Type1.MemoryLimit) & 0xfff0) << 16 | 0xfffff);
            case 15:
                ushort prefBase = ConfigBytes.U16(config, Type1.PrefMemoryBase);
                bool wide = (prefBase & 0xf) == 1;
                return ((ulong)(prefBase & 0xfff0) << 16 | (wide ? (ulong)ConfigBytes.U32(config, Type1.PrefBaseUpper32) << 32 : 0),
                    (ulong)(ConfigBytes.U16(config, Type1.PrefMemoryLimit) & 0xfff0) << 16 | 0xfffff | (wide ? (ulong)ConfigBytes.U32(config, Type1.PrefLimitUpper32) << 32 : 0));
            default:
                return (0, 0);
        }
    }
}
