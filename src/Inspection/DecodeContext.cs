using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;

namespace Preconfig.Inspection;

/// <summary>
/// What the field table needs to know about one function before decoding: header type, the capability walk, the
/// PCI Express flags (port type, version, slot) and the MSI flags. Built once per function from its bytes.
/// </summary>
public sealed class DecodeContext
{
    public DecodeContext(byte[] config)
    {
        Config = config;
        HeaderKind = ConfigBytes.HeaderKind(config);
        Capabilities = CapabilityWalker.Walk(config);
        _capabilities = [.. Capabilities.Capabilities];
        ExpressOffset = FirstOffset(false, (ushort)CapabilityId.Express);
        if (ExpressOffset >= 0) ExpressFlags = ConfigBytes.U16(config, ExpressOffset + PciExpress.Flags);
        int msi = FirstOffset(false, (ushort)CapabilityId.Msi);
        if (msi >= 0) MsiFlags = ConfigBytes.U16(config, msi + Msi.Flags);
    }

    public byte[] Config { get; }
    public HeaderType HeaderKind { get; }
    public CapabilityWalker.Result Capabilities { get; }
    private readonly Capability[] _capabilities;   // an array: FirstOffset runs for every register, without an enumerator

    /// <summary>Offset of the PCI Express capability, -1 without one.</summary>
    public int ExpressOffset { get; }
    public ushort ExpressFlags { get; }
    public ushort MsiFlags { get; }

    public bool IsExpress => ExpressOffset >= 0;
    public int ExpressVersion => ExpressFlags & PciExpress.FlagsVersionMask;
    public PciExpressPortType PortType => (PciExpressPortType)((ExpressFlags & PciExpress.FlagsTypeMask) >> 4);
    public bool HasSlot => IsExpress && (ExpressFlags & PciExpress.FlagsSlot) != 0;

    /// <summary>Root ports and event collectors have the Root Control registers (lspci: cap_express_root).</summary>
    public bool HasRootRegisters => IsExpress && PortType is PciExpressPortType.RootPort or PciExpressPortType.RootComplexEventCollector;

    /// <summary>Root-complex integrated endpoints and event collectors have no link (lspci skips LnkCap..LnkSta).</summary>
    public bool HasLink => IsExpress && PortType is not (PciExpressPortType.RootIntegratedEndpoint or PciExpressPortType.RootComplexEventCollector);

    /// <summary>DevCap2 and later exist from capability version 2 on.</summary>
    public bool HasExpressV2 => IsExpress && ExpressVersion >= 2;

    public bool Msi64Bit => (MsiFlags & Msi.Flags64Bit) != 0;
    public bool MsiMaskBit => (MsiFlags & Msi.FlagsMaskBit) != 0;

    /// <summary>The first capability with this id (standard or extended), -1 if the walk did not find one.</summary>
    public int FirstOffset(bool extended, ushort id)
    {
        foreach (var c in _capabilities)
            if (c.Extended == extended && c.Id == id) return c.Offset;
        return -1;
    }

    /// <summary>The register's absolute offset on this function, or -1 when it does not exist or was not captured.</summary>
    public int Locate(RegisterDef register)
    {
        int at = register.Scope switch
        {
            FieldScope.Header => register.Offset,
            FieldScope.Type0 => HeaderKind == HeaderType.Normal ? register.Offset : -1,
            FieldScope.Type1 => HeaderKind == HeaderType.Bridge ? register.Offset : -1,
            FieldScope.Type2 => HeaderKind == HeaderType.CardBus ? register.Offset : -1,
            FieldScope.Capability => Relative(FirstOffset(false, register.CapabilityId), register.Offset),
            FieldScope.ExtendedCapability => Relative(FirstOffset(true, register.CapabilityId), register.Offset),
            _ => -1,
        };
        if (at < 0 || at + register.Width > Config.Length) return -1;
        if (register.Applies is not null && !register.Applies(this)) return -1;
        return at;
    }

    private static int Relative(int capability, int offset) => capability < 0 ? -1 : capability + offset;

    public uint Read(int offset, int width) => width switch
    {
        1 => ConfigBytes.U8(Config, offset),
        2 => ConfigBytes.U16(Config, offset),
        _ => ConfigBytes.U32(Config, offset),
    };
}
