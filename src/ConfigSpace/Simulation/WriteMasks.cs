using Preconfig.ConfigSpace.Registers;

namespace Preconfig.ConfigSpace.Simulation;

/// <summary>
/// Which bits of a function's config space software can change, modelled as QEMU models devices (hw/pci/pci.c
/// pci_init_wmask, pci_init_w1cmask, pcie.c): a per-byte writable mask, a per-byte write-1-to-clear mask, and
/// everything else read-only (identity, capability structure, capability registers). Derived from the config bytes
/// and the BAR sizes, so a machine file only has to store the bytes.
/// </summary>
public sealed class WriteMasks
{
    public byte[] Writable { get; }
    public byte[] WriteOneToClear { get; }

    /// <summary>Bits a function-level or hot reset leaves alone (RWS/RW1CS "sticky" bits: the AER registers).</summary>
    public byte[] Sticky { get; }

    private readonly List<(int Offset, ushort Value)> _resetDefaults = [];

    private WriteMasks(int length)
    {
        Writable = new byte[length];
        WriteOneToClear = new byte[length];
        Sticky = new byte[length];
    }

    public static WriteMasks Build(ReadOnlySpan<byte> cfg, IReadOnlyList<BarModel> bars)
    {
        var m = new WriteMasks(cfg.Length);
        var kind = ConfigBytes.HeaderKind(cfg);

        // Common header (pci_init_wmask / pci_init_w1cmask).
        // QEMU's set, plus any bit firmware did set (MWI, VGA snoop, fast back-to-back on conventional devices): a bit
        // the dump shows set can be written on that device, and a replay must be able to put it back.
        ushort firmwareCommand = (ushort)(ConfigBytes.U16(cfg, Header.Command) & 0x07ff);
        m.Rw16(Header.Command, (ushort)((ushort)(Command.Io | Command.Memory | Command.BusMaster | Command.Parity | Command.Serr | Command.IntxDisable) | firmwareCommand));
        m.W1c16(Header.Status, (ushort)Status.ErrorBits);
        m.Rw8(Header.CacheLineSize, 0xff);
        m.Rw8(Header.LatencyTimer, 0xff);
        m.Rw8(Header.InterruptLine, 0xff);

        foreach (var bar in bars)
        {
            m.Rw32(bar.Offset, bar.LowWriteMask);
            if (bar.Kind == BarKind.Memory64) m.Rw32(bar.Offset + 4, bar.HighWriteMask);
        }

        if (kind == HeaderType.Bridge)
        {
            // pci_init_mask_bridge: bus numbers, windows and bridge control are writable; window type nibbles are not.
            m.Rw8(Type1.PrimaryBus, 0xff);
            m.Rw8(Type1.SecondaryBus, 0xff);
            m.Rw8(Type1.SubordinateBus, 0xff);
            m.Rw8(Type1.SecLatencyTimer, 0xff);
            m.Rw8(Type1.IoBase, 0xf0);
            m.Rw8(Type1.IoLimit, 0xf0);
            m.Rw16(Type1.MemoryBase, 0xfff0);
            m.Rw16(Type1.MemoryLimit, 0xfff0);
            m.Rw16(Type1.PrefMemoryBase, 0xfff0);
            m.Rw16(Type1.PrefMemoryLimit, 0xfff0);
            if ((ConfigBytes.U16(cfg, Type1.PrefMemoryBase) & 0xf) == 1)
            {
                m.Rw32(Type1.PrefBaseUpper32, 0xffffffff);
                m.Rw32(Type1.PrefLimitUpper32, 0xffffffff);
            }
            if ((ConfigBytes.U8(cfg, Type1.IoBase) & 0xf) == 1)
            {
                m.Rw16(Type1.IoBaseUpper16, 0xffff);
                m.Rw16(Type1.IoLimitUpper16, 0xffff);
            }
            m.W1c16(Type1.SecStatus, (ushort)Status.ErrorBits);
            m.Rw16(Type1.BridgeControl, 0x0bff & ~(ushort)BridgeControl.DiscardTimerStatus);
            m.W1c16(Type1.BridgeControl, (ushort)BridgeControl.DiscardTimerStatus);
        }
        else if (kind == HeaderType.CardBus)
        {
            m.Rw8(Type2.PrimaryBus, 0xff);
            m.Rw8(Type2.CardBus, 0xff);
            m.Rw8(Type2.SubordinateBus, 0xff);
            m.Rw8(Type2.LatencyTimer, 0xff);
            for (int off = Type2.MemoryBase0; off <= Type2.IoLimit1; off += 4)
                m.Rw32(off, off >= Type2.IoBase0 ? 0xfffffffc : 0xfffff000);
            m.W1c16(Type2.SecStatus, (ushort)Status.ErrorBits);
            m.Rw16(Type2.BridgeControl, 0x07ff);
        }

        var walk = CapabilityWalker.Walk(cfg);
        bool rootPort = walk.Find(CapabilityId.Express) is { } express
            && (PciExpressPortType)((ConfigBytes.U16(cfg, express.Offset + PciExpress.Flags) & PciExpress.FlagsTypeMask) >> 4)
                is PciExpressPortType.RootPort or PciExpressPortType.RootComplexEventCollector;
        foreach (var cap in walk.Capabilities)
        {
            if (cap.Extended) m.AddExtended(cfg, cap, rootPort);
            else m.AddStandard(cfg, cap, kind);
        }
        return m;
    }

    private void AddStandard(ReadOnlySpan<byte> cfg, Capability cap, HeaderType kind)
    {
        int at = cap.Offset;
        switch (cap.StandardId)
        {
            case CapabilityId.PowerManagement:
                Rw16(at + PowerManagement.Ctrl, PowerManagement.CtrlStateMask | PowerManagement.CtrlPmeEnable);
                W1c16(at + PowerManagement.Ctrl, PowerManagement.CtrlPmeStatus);
                break;
            case CapabilityId.Msi:
            {
                ushort flags = ConfigBytes.U16(cfg, at + Msi.Flags);
                bool is64 = (flags & Msi.Flags64Bit) != 0;
                Rw16(at + Msi.Flags, Msi.FlagsEnable | Msi.FlagsQsize);
                Rw32(at + Msi.AddressLo, 0xfffffffc);
                if (is64) Rw32(at + Msi.AddressHi, 0xffffffff);
                Rw16(at + (is64 ? Msi.Data64 : Msi.Data32), 0xffff);
                if ((flags & Msi.FlagsMaskBit) != 0) Rw32(at + (is64 ? Msi.Mask64 : Msi.Mask32), 0xffffffff);
                break;
            }
            case CapabilityId.MsiX:
                Rw16(at + MsiX.Flags, MsiX.FlagsEnable | MsiX.FlagsMaskAll);
                break;
            case CapabilityId.Express:
                AddExpress(cfg, at, kind);
                break;
        }
    }

    private void AddExpress(ReadOnlySpan<byte> cfg, int at, HeaderType kind)
    {
        ushort flags = ConfigBytes.U16(cfg, at + PciExpress.Flags);
        int version = flags & PciExpress.FlagsVersionMask;
        var type = (PciExpressPortType)((flags & PciExpress.FlagsTypeMask) >> 4);
        bool hasFlr = (ConfigBytes.U32(cfg, at + PciExpress.DevCap) & PciExpress.DevCapFlr) != 0;
        // DevCtl: all control fields; bit 15 is Initiate FLR (an action that reads 0) on endpoints with FLR, and
        // Bridge Configuration Retry Enable (a plain RW bit) on PCIe-to-PCI bridges.
        ushort devCtl = 0x7fff;
        if (type == PciExpressPortType.PciBridge) devCtl |= PciExpress.DevCtlBcre;
        Rw16(at + PciExpress.DevCtl, devCtl);
        // The spec's reset value: Max_Read_Request_Size 512 bytes, Enable No Snoop and Enable Relaxed Ordering set.
        _resetDefaults.Add((at + PciExpress.DevCtl, 0x2810));
        if (hasFlr && kind == HeaderType.Normal) InitiateFlrOffset = at + PciExpress.DevCtl;
        W1c16(at + PciExpress.DevSta, PciExpress.DevStaErrorBits);
        Rw16(at + PciExpress.LnkCtl, 0x0fdb);   // everything but Retrain (an action) and reserved bit 2
        W1c16(at + PciExpress.LnkSta, PciExpress.LnkStaRw1cBits);
        if ((flags & PciExpress.FlagsSlot) != 0)
        {
            Rw16(at + PciExpress.SltCtl, 0x1fff);
            W1c16(at + PciExpress.SltSta, PciExpress.SltStaRw1cBits);
        }
        if (type is PciExpressPortType.RootPort or PciExpressPortType.RootComplexEventCollector)
        {
            Rw16(at + PciExpress.RootCtl, 0x001f);
            W1c32(at + PciExpress.RootSta, PciExpress.RootStaRw1cBits);
        }
        if (version >= 2)
        {
            Rw16(at + PciExpress.DevCtl2, 0xffff);
            Rw16(at + PciExpress.LnkCtl2, 0xffff);
            if ((flags & PciExpress.FlagsSlot) != 0) Rw16(at + PciExpress.SltCtl2, 0xffff);
        }
    }

    private void AddExtended(ReadOnlySpan<byte> cfg, Capability cap, bool rootPort)
    {
        int at = cap.Offset;
        switch (cap.ExtendedId)
        {
            case ExtendedCapabilityId.Aer:
                W1c32(at + Aer.UncorStatus, 0xffffffff);
                Rw32(at + Aer.UncorMask, 0xffffffff);
                Rw32(at + Aer.UncorSeverity, 0xffffffff);
                W1c32(at + Aer.CorStatus, 0xffffffff);
                Rw32(at + Aer.CorMask, 0xffffffff);
                Rw32(at + Aer.Cap, Aer.CapEcrcGenEnable | Aer.CapEcrcCheckEnable | 0x400 /* multiple header recording enable */);
                // Status, masks, severity, control and header log are sticky (RWS/RW1CS/ROS): they survive FLR.
                MarkSticky(at + Aer.UncorStatus, Aer.RootCommand - Aer.UncorStatus);
                // The root registers exist on root ports and event collectors only; elsewhere the bytes may be another capability's.
                if (rootPort)
                {
                    Rw32(at + Aer.RootCommand, 0x7);
                    W1c32(at + Aer.RootStatus, 0x7f);
                    MarkSticky(at + Aer.RootStatus, 8);
                }
                break;
            case ExtendedCapabilityId.Acs:
                // A control bit is writable only where the capability advertises it (bits 0..6).
                Rw16(at + Acs.Ctrl, (ushort)(ConfigBytes.U16(cfg, at + Acs.Cap) & 0x7f));
                break;
            case ExtendedCapabilityId.Ltr:
                Rw16(at + Ltr.MaxSnoopLatency, 0x1fff);
                Rw16(at + Ltr.MaxNoSnoopLatency, 0x1fff);
                break;
            case ExtendedCapabilityId.L1PmSubstates:
                Rw32(at + L1PmSubstates.Ctl1, 0xffff030f);
                Rw32(at + L1PmSubstates.Ctl2, 0x000000fb);
                break;
            case ExtendedCapabilityId.Ari:
                Rw16(at + Ari.Ctrl, 0x0073);
                break;
            case ExtendedCapabilityId.Ptm:
                Rw32(at + Ptm.Ctrl, 0x0000ff03);
                break;
            case ExtendedCapabilityId.Dpc:
                Rw16(at + Dpc.Ctrl, 0x00ff);
                W1c16(at + Dpc.Status, 0x0001);
                break;
        }
    }

    /// <summary>DevCtl's offset on an endpoint that offers FLR: writing Initiate FLR there resets the function.</summary>
    public int InitiateFlrOffset { get; private set; } = -1;

    private void Rw8(int offset, byte mask) { if (offset < Writable.Length) Writable[offset] |= mask; }

    private void Rw16(int offset, ushort mask)
    {
        Rw8(offset, (byte)mask);
        Rw8(offset + 1, (byte)(mask >> 8));
    }

    private void Rw32(int offset, uint mask)
    {
        Rw16(offset, (ushort)mask);
        Rw16(offset + 2, (ushort)(mask >> 16));
    }

    private void W1c16(int offset, ushort mask) => W1c32(offset, mask, 2);

    private void W1c32(int offset, uint mask, int width = 4)
    {
        for (int i = 0; i < width; i++)
        {
            if (offset + i >= WriteOneToClear.Length) return;
            byte b = (byte)(mask >> (8 * i));
            WriteOneToClear[offset + i] |= b;
            Writable[offset + i] &= (byte)~b; // a bit is either RW or RW1C, never both
        }
    }

    private void MarkSticky(int offset, int length)
    {
        for (int i = offset; i < offset + length && i < Sticky.Length; i++) Sticky[i] = 0xff;
    }

    /// <summary>
    /// The value the bits hold after a reset: every writable and write-1-to-clear bit zero, except the registers whose
    /// reset value the spec gives (Device Control). Sticky bits are taken from the current state by the caller.
    /// </summary>
    public byte[] PowerOnValues(ReadOnlySpan<byte> cfg)
    {
        var p = cfg.ToArray();
        for (int i = 0; i < p.Length; i++) p[i] &= (byte)~(Writable[i] | WriteOneToClear[i]);
        foreach (var (offset, value) in _resetDefaults)
            for (int i = 0; i < 2 && offset + i < p.Length; i++)
                p[offset + i] |= (byte)((value >> (8 * i)) & Writable[offset + i]);
        return p;
    }
}
