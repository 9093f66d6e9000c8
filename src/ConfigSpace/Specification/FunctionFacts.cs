using Preconfig.ConfigSpace.Registers;
using Preconfig.ConfigSpace.Simulation;

namespace Preconfig.ConfigSpace.Specification;

/// <summary>
/// What the table's rules may read of a function: its read-only identity and capability registers (header type,
/// PCI Express port type and version, DevCap, LnkCap ...), its function number and the sizes of its BARs. Only
/// hardware-initialized registers are read, so the attributes of a function do not change as software writes it.
/// </summary>
public sealed class FunctionFacts
{
    private readonly byte[] _cfg;

    public FunctionFacts(ReadOnlySpan<byte> config, PciAddress? address = null, IReadOnlyList<BarModel>? bars = null)
    {
        _cfg = config.ToArray();
        Address = address;
        Bars = bars ?? BarModel.FromConfig(config);
        Header = ConfigBytes.HeaderKind(config);
        MultiFunction = config.Length > Registers.Header.HeaderType && (config[Registers.Header.HeaderType] & Registers.Header.HeaderTypeMultiFunction) != 0;
        Capabilities = CapabilityWalker.Walk(config);
        if (Capabilities.Find(CapabilityId.Express) is { } exp)
        {
            ExpressOffset = exp.Offset;
            uint flags = U16(exp.Offset + PciExpress.Flags);
            ExpressVersion = (int)(flags & PciExpress.FlagsVersionMask);
            PortType = (PciExpressPortType)((flags & PciExpress.FlagsTypeMask) >> 4);
        }
    }

    public int Length => _cfg.Length;
    public PciAddress? Address { get; }
    public IReadOnlyList<BarModel> Bars { get; }
    public HeaderType Header { get; }
    public bool MultiFunction { get; }
    public CapabilityWalker.Result Capabilities { get; }
    /// <summary>Offset of the PCI Express capability, -1 without one (a conventional PCI function).</summary>
    public int ExpressOffset { get; } = -1;
    public bool IsExpress => ExpressOffset >= 0;
    public int ExpressVersion { get; }
    public PciExpressPortType? PortType { get; }

    public uint U8(int offset) => offset >= 0 && offset < _cfg.Length ? _cfg[offset] : 0u;
    public uint U16(int offset) => U8(offset) | U8(offset + 1) << 8;
    public uint U32(int offset) => U16(offset) | U16(offset + 2) << 16;

    /// <summary>A register of the PCI Express capability (0 without one).</summary>
    public uint Express(int relative, int width = 4) => !IsExpress ? 0 : width == 2 ? U16(ExpressOffset + relative) : U32(ExpressOffset + relative);
}

/// <summary>A rule's view: the function and where the structure being resolved starts.</summary>
public readonly record struct RegisterContext(FunctionFacts Function, int StructureOffset)
{
    /// <summary>A register of the structure itself (the capability's own Capability register, say).</summary>
    public uint Own(int relative, int width = 4) => width switch
    {
        1 => Function.U8(StructureOffset + relative),
        2 => Function.U16(StructureOffset + relative),
        _ => Function.U32(StructureOffset + relative),
    };
}
