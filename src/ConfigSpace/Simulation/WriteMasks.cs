using Preconfig.ConfigSpace.Registers;
using Preconfig.ConfigSpace.Specification;

namespace Preconfig.ConfigSpace.Simulation;

/// <summary>
/// Which bits of a function's config space software can change, taken from the specification table
/// (<see cref="SpecTable"/>), resolved against the function's own capability registers and BAR sizes: a per-byte
/// writable mask, a per-byte write-1-to-clear mask, the sticky bits, and everything else read-only. The replay
/// planner does not read that table, so the simulator is an oracle it did not write.
/// </summary>
public sealed class WriteMasks
{
    private readonly List<(ResolvedRegister Register, FieldSpec Field)> _filtered = [];

    private WriteMasks(FunctionAttributes attributes)
    {
        Attributes = attributes;
        foreach (var r in attributes.Registers)
        {
            foreach (var f in r.Spec.Fields)
                if (f.DiscardsIllegal && f.Legal is not null && (f.Mask & r.Writable) != 0) _filtered.Add((r, f));
            if (r.Structure.Key == StructureKey.Capability((int)CapabilityId.Express) && r.Spec.Offset == PciExpress.DevCtl
                && (r.Actions & PciExpress.DevCtlFlReset) != 0)
                InitiateFlrOffset = r.Offset;
            if (r.Structure.Key == StructureKey.Capability((int)CapabilityId.PowerManagement) && r.Spec.Offset == PowerManagement.Ctrl)
                PowerControlOffset = r.Offset;
            if (r.Structure.Key == StructureKey.Capability((int)CapabilityId.Express) && r.Spec.Offset == PciExpress.LnkSta)
                LinkStatusOffset = r.Offset;
        }
    }

    public static WriteMasks Build(ReadOnlySpan<byte> cfg, IReadOnlyList<BarModel> bars, PciAddress? address = null) =>
        new(SpecTable.Resolve(cfg, address, bars));

    /// <summary>The table's attributes for this function (every register, every bit).</summary>
    public FunctionAttributes Attributes { get; }

    public byte[] Writable => Attributes.Writable;
    public byte[] WriteOneToClear => Attributes.WriteOneToClear;

    /// <summary>Bits a function-level or hot reset leaves alone (RWS, RW1CS, ROS: AER, LnkCtl2, sticky PME bits).</summary>
    public byte[] Sticky => Attributes.Sticky;

    /// <summary>DevCtl's offset on an endpoint that offers FLR: writing Initiate FLR there resets the function.</summary>
    public int InitiateFlrOffset { get; } = -1;

    /// <summary>The PM capability's control register (PMCSR), -1 without one.</summary>
    public int PowerControlOffset { get; } = -1;

    /// <summary>The PCI Express Link Status register, null without one.</summary>
    public int? LinkStatusOffset { get; }

    /// <summary>
    /// Fields whose hardware discards a value the specification does not allow (PM PowerState: a write of a D-state
    /// the function does not support completes and changes nothing, PM 1.2 §3.2.4). After a write of
    /// <paramref name="old"/>.Length bytes at <paramref name="offset"/> (<paramref name="old"/>: what they held),
    /// puts such fields of <paramref name="config"/> back.
    /// </summary>
    public void DiscardIllegalFields(ReadOnlySpan<byte> old, int offset, Span<byte> config)
    {
        foreach (var (r, f) in _filtered)
        {
            if (r.Offset >= offset + old.Length || r.Offset + r.Width <= offset) continue;
            uint value = Read(config, r.Offset, r.Width);
            if (f.Legal!.Allows(r.Context, (value & f.Mask) >> f.Low)) continue;
            uint restored = (value & ~f.Mask) | (Before(old, offset, config, r.Offset, r.Width) & f.Mask);
            for (int i = 0; i < r.Width; i++) config[r.Offset + i] = (byte)(restored >> (8 * i));
        }
    }

    /// <summary>
    /// True when the write (see <see cref="DiscardIllegalFields"/>) took the function from D3hot to D0 and PMCSR's
    /// No_Soft_Reset is clear: the function performs an internal reset (PM 1.2 §3.2.4, No_Soft_Reset).
    /// </summary>
    public bool SoftResetOnD0(ReadOnlySpan<byte> old, int offset, ReadOnlySpan<byte> config)
    {
        if (PowerControlOffset < 0 || PowerControlOffset >= offset + old.Length || PowerControlOffset + 2 <= offset) return false;
        uint was = Before(old, offset, config, PowerControlOffset, 2), now = Read(config, PowerControlOffset, 2);
        return (was & PowerManagement.CtrlStateMask) == 3 && (now & PowerManagement.CtrlStateMask) == 0
            && (now & PowerManagement.CtrlNoSoftReset) == 0;
    }

    /// <summary>A register's value before a write: the written bytes from <paramref name="old"/>, the rest unchanged.</summary>
    private static uint Before(ReadOnlySpan<byte> old, int offset, ReadOnlySpan<byte> config, int at, int width)
    {
        uint v = 0;
        for (int i = 0; i < width && i < 4; i++)
        {
            int b = at + i;
            v |= (uint)(b >= offset && b < offset + old.Length ? old[b - offset] : config[b]) << (8 * i);
        }
        return v;
    }

    /// <summary>
    /// The value the bits hold after a reset: every writable and write-1-to-clear bit takes the field's default (0
    /// unless the specification gives another: DevCtl 0x2810, AER severity). Sticky bits are taken from the current
    /// state by the caller.
    /// </summary>
    public byte[] PowerOnValues(ReadOnlySpan<byte> cfg)
    {
        var p = cfg.ToArray();
        for (int i = 0; i < p.Length; i++) p[i] &= (byte)~(Writable[i] | WriteOneToClear[i]);
        foreach (var r in Attributes.Registers)
        {
            uint reset = r.ResetValue;
            for (int i = 0; i < r.Width && i < 4; i++) p[r.Offset + i] |= (byte)(reset >> (8 * i));
        }
        return p;
    }

    private static uint Read(ReadOnlySpan<byte> cfg, int offset, int width)
    {
        uint v = 0;
        for (int i = 0; i < width && i < 4; i++) v |= (uint)cfg[offset + i] << (8 * i);
        return v;
    }
}
