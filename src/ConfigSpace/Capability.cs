using Preconfig.ConfigSpace.Registers;

namespace Preconfig.ConfigSpace;

/// <summary>One entry of the capability list (standard, 8-bit id) or the extended list (16-bit id, a version).</summary>
public readonly record struct Capability(int Offset, ushort Id, bool Extended, byte Version = 0)
{
    public CapabilityId StandardId => (CapabilityId)Id;
    public ExtendedCapabilityId ExtendedId => (ExtendedCapabilityId)Id;

    public string Name => Extended
        ? (Enum.IsDefined(ExtendedId) ? ExtendedId.ToString() : $"ExtCap{Id:x4}")
        : (Enum.IsDefined(StandardId) ? StandardId.ToString() : $"Cap{Id:x2}");
}

/// <summary>What the walk ran into; the walk stops at the first of these, as lspci does.</summary>
public enum CapabilityChainProblem
{
    None,
    Looped,             // a pointer came back to an entry already seen
    PointerOutOfRange,  // below the header or past the captured length
    BrokenId,           // standard id 0xff: the function stopped answering
    NotCaptured,        // the list points past what the capture holds (64-byte dumps)
}

/// <summary>
/// Walks the capability lists defensively, as pciutils' lspci does: a visited set stops loops, pointers are masked
/// to dword alignment and checked against the header and the captured length, 0 and all-ones end the extended list.
/// The extended list is walked only for PCI Express functions with more than 256 captured bytes.
/// </summary>
public static class CapabilityWalker
{
    public sealed record Result(IReadOnlyList<Capability> Capabilities, CapabilityChainProblem StandardProblem, int StandardProblemOffset,
        CapabilityChainProblem ExtendedProblem, int ExtendedProblemOffset)
    {
        public Capability? Find(CapabilityId id)
        {
            foreach (var c in Capabilities) if (!c.Extended && c.Id == (ushort)id) return c;
            return null;
        }

        public Capability? Find(ExtendedCapabilityId id)
        {
            foreach (var c in Capabilities) if (c.Extended && c.Id == (ushort)id) return c;
            return null;
        }
    }

    /// <param name="known">When the capture has holes (a dump's missing rows): the walk stops with
    /// <see cref="CapabilityChainProblem.NotCaptured"/> where it would read a byte that was not captured.</param>
    public static Result Walk(ReadOnlySpan<byte> cfg, KnownBytes? known = null)
    {
        var caps = new List<Capability>();
        var (stdProblem, stdAt) = WalkStandard(cfg, caps, known);
        var ext = (CapabilityChainProblem.None, 0);
        bool express = caps.Exists(c => !c.Extended && c.Id == (ushort)CapabilityId.Express);
        if (express && cfg.Length > Header.StdConfigSize)
            ext = WalkExtended(cfg, caps, known);
        return new Result(caps, stdProblem, stdAt, ext.Item1, ext.Item2);
    }

    private static (CapabilityChainProblem, int) WalkStandard(ReadOnlySpan<byte> cfg, List<Capability> caps, KnownBytes? known)
    {
        if (cfg.Length < Header.Size) return (CapabilityChainProblem.None, 0);
        if (known is not null && !known.Covers(Header.Status, 2)) return (CapabilityChainProblem.NotCaptured, Header.Status);
        if ((ConfigBytes.U16(cfg, Header.Status) & (ushort)Status.CapList) == 0) return (CapabilityChainProblem.None, 0);
        int listPointer = ConfigBytes.HeaderKind(cfg) == HeaderType.CardBus ? Type2.CapabilityList : Header.CapabilityList;
        if (known is not null && !known.Covers(listPointer, 1)) return (CapabilityChainProblem.NotCaptured, listPointer);
        int where = cfg[listPointer] & ~3;
        Span<bool> seen = stackalloc bool[256];
        while (where != 0)
        {
            if (where < Header.Size) return (CapabilityChainProblem.PointerOutOfRange, where);
            if (where + 4 > cfg.Length || (known is not null && !known.Covers(where, 2))) return (CapabilityChainProblem.NotCaptured, where);
            if (seen[where]) return (CapabilityChainProblem.Looped, where);
            seen[where] = true;
            byte id = cfg[where];
            if (id == 0xff) return (CapabilityChainProblem.BrokenId, where);
            caps.Add(new Capability(where, id, Extended: false));
            where = cfg[where + 1] & ~3;
        }
        return (CapabilityChainProblem.None, 0);
    }

    private static (CapabilityChainProblem, int) WalkExtended(ReadOnlySpan<byte> cfg, List<Capability> caps, KnownBytes? known)
    {
        int where = Header.StdConfigSize;
        // One flag per dword (every offset here is dword-aligned), on the stack: preinit walks each 4 KiB space
        // several times, and a 4 KiB array per walk was a tenth of its page faults.
        Span<bool> seen = stackalloc bool[Header.ExtConfigSize / 4];
        do
        {
            if (where < Header.StdConfigSize) return (CapabilityChainProblem.PointerOutOfRange, where);
            if (where + 4 > cfg.Length || (known is not null && !known.Covers(where, 4))) return (CapabilityChainProblem.NotCaptured, where);
            uint header = ConfigBytes.U32(cfg, where);
            if (header == 0 || header == 0xffffffff) break;
            if (seen[where / 4]) return (CapabilityChainProblem.Looped, where);
            seen[where / 4] = true;
            caps.Add(new Capability(where, (ushort)(header & 0xffff), Extended: true, Version: (byte)((header >> 16) & 0xf)));
            where = (int)((header >> 20) & ~3u);
        } while (where != 0);
        return (CapabilityChainProblem.None, 0);
    }

    /// <summary>Walks a live space: reads what the walk needs (the whole space, bounded by its length).</summary>
    public static Result Walk(IConfigSpace space) => Walk(space.ReadAll());
}
