using Preconfig.ConfigSpace.Registers;

namespace Preconfig.ConfigSpace.Simulation;

/// <summary>What kind of decoder a base address register is.</summary>
public enum BarKind { Io, Memory32, Memory64, Rom }

/// <summary>
/// One BAR of a simulated function: where it sits in the header and its size (a power of two). Writes keep only
/// the address bits above the size, so writing all ones reads back <c>~(size-1)</c> plus the read-only type bits:
/// the sizing handshake the kernel does.
/// </summary>
public sealed record BarModel(int Index, int Offset, BarKind Kind, ulong Size, bool Prefetchable = false)
{
    /// <summary>Writable bits of the low dword.</summary>
    public uint LowWriteMask => Kind switch
    {
        BarKind.Io => (uint)~(Size - 1) & BaseAddress.IoMask,
        BarKind.Rom => ((uint)~(Size - 1) & BaseAddress.RomMask) | BaseAddress.RomEnable,
        _ => (uint)~(Size - 1) & BaseAddress.MemMask,
    };

    /// <summary>Writable bits of the high dword of a 64-bit BAR.</summary>
    public uint HighWriteMask => Kind == BarKind.Memory64 ? (uint)(~(Size - 1) >> 32) : 0;

    /// <summary>
    /// The rule for sizes a dump does not carry: the largest power of two that divides the assigned address (a BAR
    /// is naturally aligned to its size, so the true size is at most that), capped at 1 MiB for memory, 64 KiB for a
    /// ROM and 256 bytes for I/O; an unassigned (zero) address gets the minimum: 4 KiB, 2 KiB, 16 bytes.
    /// </summary>
    public static ulong InferSize(BarKind kind, ulong address)
    {
        (ulong min, ulong cap) = kind switch
        {
            BarKind.Io => (16ul, 256ul),
            BarKind.Rom => (2048ul, 64 * 1024ul),
            _ => (4096ul, 1024 * 1024ul),
        };
        if (address == 0) return min;
        ulong alignment = address & (~address + 1);
        return Math.Clamp(alignment, kind == BarKind.Io ? 4ul : 16ul, cap);
    }

    /// <summary>
    /// Reads the BARs a header declares. A BAR register that reads zero is taken as unimplemented (firmware assigns
    /// every implemented one, and an unimplemented one is hardwired to zero). <paramref name="knownSizes"/> (from sysfs
    /// <c>resource</c>, index 6 = ROM) wins over inference.
    /// </summary>
    public static List<BarModel> FromConfig(ReadOnlySpan<byte> cfg, IReadOnlyDictionary<int, ulong>? knownSizes = null)
    {
        var bars = new List<BarModel>();
        var kind = ConfigBytes.HeaderKind(cfg);
        int count = kind switch { HeaderType.Normal => Type0.BarCount, HeaderType.Bridge => Type1.BarCount, HeaderType.CardBus => 1, _ => 0 };
        for (int i = 0; i < count; i++)
        {
            int offset = Type0.BaseAddress0 + 4 * i;
            if (offset + 4 > cfg.Length) break;
            uint low = ConfigBytes.U32(cfg, offset);
            if (low == 0) continue;
            ulong? known = knownSizes is not null && knownSizes.TryGetValue(i, out var s) && s != 0 ? s : null;
            if ((low & BaseAddress.SpaceIo) != 0)
            {
                ulong addr = low & BaseAddress.IoMask;
                bars.Add(new BarModel(i, offset, BarKind.Io, known ?? InferSize(BarKind.Io, addr)));
                continue;
            }
            bool prefetch = (low & BaseAddress.MemPrefetch) != 0;
            if ((low & BaseAddress.MemTypeMask) == BaseAddress.MemType64 && i + 1 < count)
            {
                ulong addr = (ulong)ConfigBytes.U32(cfg, offset + 4) << 32 | (low & BaseAddress.MemMask);
                bars.Add(new BarModel(i, offset, BarKind.Memory64, known ?? InferSize(BarKind.Memory64, addr), prefetch));
                i++; // the upper half is part of this BAR
                continue;
            }
            bars.Add(new BarModel(i, offset, BarKind.Memory32, known ?? InferSize(BarKind.Memory32, low & BaseAddress.MemMask), prefetch));
        }
        int romOffset = kind switch { HeaderType.Normal => Type0.RomAddress, HeaderType.Bridge => Type1.RomAddress, _ => -1 };
        if (romOffset > 0 && romOffset + 4 <= cfg.Length)
        {
            uint rom = ConfigBytes.U32(cfg, romOffset);
            if (rom != 0)
            {
                ulong? known = knownSizes is not null && knownSizes.TryGetValue(6, out var s) && s != 0 ? s : null;
                bars.Add(new BarModel(6, romOffset, BarKind.Rom, known ?? InferSize(BarKind.Rom, rom & BaseAddress.RomMask)));
            }
        }
        return bars;
    }
}
