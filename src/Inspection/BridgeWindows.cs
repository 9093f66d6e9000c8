using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;

namespace Preconfig.Inspection;

/// <summary>A type 1 header's forwarding windows, decoded as lspci's show_bridge() does.</summary>
public static class BridgeWindows
{
    private const int RangeTypeMask = 0x0f;   // PCI_IO_RANGE_TYPE_MASK, PCI_MEMORY_RANGE_TYPE_MASK
    private const int IoRangeType32 = 0x01;   // PCI_IO_RANGE_TYPE_32
    private const int PrefRangeType64 = 0x01; // PCI_PREF_RANGE_TYPE_64

    /// <summary>(base, limit) of the I/O window; limit below base means the window is closed.</summary>
    public static (ulong Base, ulong Limit) Io(ReadOnlySpan<byte> cfg)
    {
        uint b = ConfigBytes.U8(cfg, Type1.IoBase), l = ConfigBytes.U8(cfg, Type1.IoLimit);
        ulong io = (ulong)(b & ~RangeTypeMask & 0xff) << 8, limit = (ulong)(l & ~RangeTypeMask & 0xff) << 8;
        if ((b & RangeTypeMask) == IoRangeType32)
        {
            io |= (ulong)ConfigBytes.U16(cfg, Type1.IoBaseUpper16) << 16;
            limit |= (ulong)ConfigBytes.U16(cfg, Type1.IoLimitUpper16) << 16;
        }
        return (io, limit + 0xfff);
    }

    public static (ulong Base, ulong Limit) Memory(ReadOnlySpan<byte> cfg)
    {
        ulong b = (ulong)(ConfigBytes.U16(cfg, Type1.MemoryBase) & ~RangeTypeMask & 0xffff) << 16;
        ulong l = (ulong)(ConfigBytes.U16(cfg, Type1.MemoryLimit) & ~RangeTypeMask & 0xffff) << 16;
        return (b, l + 0xfffff);
    }

    public static (ulong Base, ulong Limit) Prefetchable(ReadOnlySpan<byte> cfg)
    {
        ushort rb = ConfigBytes.U16(cfg, Type1.PrefMemoryBase);
        ulong b = (ulong)(rb & ~RangeTypeMask & 0xffff) << 16;
        ulong l = (ulong)(ConfigBytes.U16(cfg, Type1.PrefMemoryLimit) & ~RangeTypeMask & 0xffff) << 16;
        if ((rb & RangeTypeMask) == PrefRangeType64)
        {
            b |= (ulong)ConfigBytes.U32(cfg, Type1.PrefBaseUpper32) << 32;
            l |= (ulong)ConfigBytes.U32(cfg, Type1.PrefLimitUpper32) << 32;
        }
        return (b, l + 0xfffff);
    }

    public static IEnumerable<string> Describe(byte[] cfg)
    {
        yield return Line("I/O behind bridge", Io(cfg));
        yield return Line("Memory behind bridge", Memory(cfg));
        yield return Line("Prefetchable memory behind bridge", Prefetchable(cfg));
    }

    private static string Line(string label, (ulong Base, ulong Limit) w) =>
        w.Base > w.Limit ? $"{label}: [disabled] [{w.Base:x}-{w.Limit:x}]" : $"{label}: {w.Base:x}-{w.Limit:x} [size={BarInfo.FormatSize(w.Limit - w.Base + 1)}]";
}
