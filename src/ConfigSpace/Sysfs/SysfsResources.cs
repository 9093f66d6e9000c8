using Preconfig.ConfigSpace.Registers;
using Preconfig.ConfigSpace.Simulation;

namespace Preconfig.ConfigSpace.Sysfs;

/// <summary>
/// The lines of a sysfs <c>resource</c> file for a function, computed as the kernel does (drivers/pci/probe.c
/// decode_bar, pci_read_bridge_windows; pci-sysfs.c resource_show): BARs 0-5, ROM 6, SR-IOV VF BARs 7-12 (empty
/// here), and for a bridge its I/O, memory and prefetchable windows at 13-15 (and an empty 16).
/// </summary>
public static class SysfsResources
{
    // include/linux/ioport.h
    public const ulong IoresourceIo = 0x100, IoresourceMem = 0x200, IoresourcePrefetch = 0x2000, IoresourceReadOnly = 0x4000,
        IoresourceSizeAlign = 0x40000, IoresourceMem64 = 0x100000, IoresourceRomEnable = 0x1;

    /// <summary>Lines of a type 0 function (PCI_BRIDGE_RESOURCES with CONFIG_PCI_IOV) and of a bridge (DEVICE_COUNT_RESOURCE).</summary>
    public const int EndpointLines = 13, BridgeLines = 17;

    /// <summary>
    /// Whether any BAR or the expansion ROM register of the header reads non-zero: only then can the function's
    /// <c>resource</c> tell what config space does not (a size, the kernel's flags). An unimplemented BAR is hardwired
    /// to zero; an implemented one reads its type bits even unassigned (I/O: bit 0; 64-bit or prefetchable memory),
    /// so only a 32-bit non-prefetchable memory BAR left at 0 passes for unimplemented. A bridge's windows are its
    /// base and limit registers, in config space already. An unknown header type: true (nothing to judge by).
    /// </summary>
    public static bool HasBarOrRom(ReadOnlySpan<byte> cfg)
    {
        if (cfg.Length <= Header.HeaderType) return true;
        var kind = ConfigBytes.HeaderKind(cfg);
        (int bars, int rom) = kind switch
        {
            HeaderType.Normal => (Type0.BarCount, Type0.RomAddress),
            HeaderType.Bridge => (Type1.BarCount, Type1.RomAddress),
            HeaderType.CardBus => (1, -1),
            _ => (-1, -1),
        };
        if (bars < 0) return true;
        for (int i = 0; i < bars; i++)
            if (Type0.BaseAddress0 + 4 * i + 4 <= cfg.Length && ConfigBytes.U32(cfg, Type0.BaseAddress0 + 4 * i) != 0) return true;
        return rom > 0 && rom + 4 <= cfg.Length && ConfigBytes.U32(cfg, rom) != 0;
    }

    public static IReadOnlyList<BarResource> FromConfig(ReadOnlySpan<byte> cfg, IReadOnlyList<BarModel> bars)
    {
        var kind = ConfigBytes.HeaderKind(cfg);
        int count = kind == HeaderType.Bridge ? BridgeLines : EndpointLines;
        var lines = new BarResource[count];
        for (int i = 0; i < count; i++) lines[i] = new BarResource(i, 0, 0, 0);
        foreach (var bar in bars)
            if (bar.Size > 0) lines[bar.Index] = ForBar(cfg, bar);
        if (kind == HeaderType.Bridge) BridgeWindows(cfg, lines);
        return lines;
    }

    /// <summary>A BAR's resource: its assigned address, size and the kernel's flags (the BAR's low bits included).</summary>
    public static BarResource ForBar(ReadOnlySpan<byte> cfg, BarModel bar)
    {
        uint low = ConfigBytes.U32(cfg, bar.Offset);
        ulong start;
        ulong flags = IoresourceSizeAlign;
        switch (bar.Kind)
        {
            case BarKind.Io:
                start = low & BaseAddress.IoMask;
                flags |= IoresourceIo | (low & ~BaseAddress.IoMask);
                break;
            case BarKind.Rom:
                start = low & BaseAddress.RomMask;
                flags |= IoresourceMem | IoresourcePrefetch | IoresourceReadOnly | ((low & BaseAddress.RomEnable) != 0 ? IoresourceRomEnable : 0);
                break;
            default:
                start = low & BaseAddress.MemMask;
                if (bar.Kind == BarKind.Memory64) start |= (ulong)ConfigBytes.U32(cfg, bar.Offset + 4) << 32;
                flags |= IoresourceMem | (low & ~BaseAddress.MemMask);
                if (bar.Prefetchable) flags |= IoresourcePrefetch;
                if (bar.Kind == BarKind.Memory64) flags |= IoresourceMem64;
                break;
        }
        // An unassigned BAR (address 0) shows its size from 0, as the kernel shows an unassigned resource.
        return new BarResource(bar.Index, start, start + bar.Size - 1, flags);
    }

    private static void BridgeWindows(ReadOnlySpan<byte> cfg, BarResource[] lines)
    {
        const int first = EndpointLines; // PCI_BRIDGE_RESOURCES
        byte ioBase = ConfigBytes.U8(cfg, Type1.IoBase), ioLimit = ConfigBytes.U8(cfg, Type1.IoLimit);
        ulong io = (ulong)(ioBase & 0xf0) << 8, ioEnd = (ulong)(ioLimit & 0xf0) << 8 | 0xfff;
        if ((ioBase & 0xf) == 1)
        {
            io |= (ulong)ConfigBytes.U16(cfg, Type1.IoBaseUpper16) << 16;
            ioEnd |= (ulong)ConfigBytes.U16(cfg, Type1.IoLimitUpper16) << 16;
        }
        if (ioEnd > io) lines[first] = new BarResource(first, io, ioEnd, IoresourceIo | (ulong)(ioBase & 0xf));

        ulong mem = (ulong)(ConfigBytes.U16(cfg, Type1.MemoryBase) & 0xfff0) << 16;
        ulong memEnd = (ulong)(ConfigBytes.U16(cfg, Type1.MemoryLimit) & 0xfff0) << 16 | 0xfffff;
        if (memEnd > mem) lines[first + 1] = new BarResource(first + 1, mem, memEnd, IoresourceMem);

        ushort prefBase = ConfigBytes.U16(cfg, Type1.PrefMemoryBase);
        ulong pref = (ulong)(prefBase & 0xfff0) << 16;
        ulong prefEnd = (ulong)(ConfigBytes.U16(cfg, Type1.PrefMemoryLimit) & 0xfff0) << 16 | 0xfffff;
        ulong prefFlags = IoresourceMem | IoresourcePrefetch | (ulong)(prefBase & 0xf);
        if ((prefBase & 0xf) == 1)
        {
            pref |= (ulong)ConfigBytes.U32(cfg, Type1.PrefBaseUpper32) << 32;
            prefEnd |= (ulong)ConfigBytes.U32(cfg, Type1.PrefLimitUpper32) << 32;
            prefFlags |= IoresourceMem64;
        }
        if (prefEnd > pref) lines[first + 2] = new BarResource(first + 2, pref, prefEnd, prefFlags);
    }
}
