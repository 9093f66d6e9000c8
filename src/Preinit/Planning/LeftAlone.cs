using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Policy;

namespace Preconfig.Preinit.Planning;

/// <summary>
/// Bits preinit deliberately does not put back to their captured value, for one function.
/// <paramref name="Length"/> 1, 2 or 4 with <paramref name="Mask"/> the register's bits (little-endian); a longer
/// range means every bit of it (a capability preinit does not restore, device-specific space).
/// <paramref name="Unless"/> names the policy field or the condition under which preinit does restore them;
/// <see cref="Conditional"/> entries depend on the state found, not only on the policy (a BAR is restored when it
/// equals the present assignment, L1 PM substates when both ends of the link are restored, ...).
/// </summary>
public sealed record LeftAloneBits(int Offset, int Length, uint Mask, string Register, string Why, string? Unless = null, bool Conditional = false);

/// <summary>
/// The one list of what preinit does not restore, and why (docs/preinit.md "What is not restored" is this list in
/// prose). The planner takes its masks from the constants here, so what it writes and what this list says cannot
/// drift apart; tests use <see cref="For"/> to know which bits may differ from firmware after a replay.
/// </summary>
public static class LeftAlone
{
    /// <summary>DevCtl Initiate FLR (bit 15 outside PCIe-to-PCI bridges): an action, it would reset the function.</summary>
    public const uint DevCtlInitiateFlr = PciExpress.DevCtlFlReset;
    /// <summary>DevCtl Max Payload Size: the kernel sets it at enumeration from the parent port (pci_configure_mps);
    /// kept as the kernel has it, lowered to the parent port's when larger.</summary>
    public const uint DevCtlMaxPayload = PciExpress.DevCtlPayloadMask;
    /// <summary>LnkCtl Retrain Link (an action) and reserved bit 2; Link Disable is never written as 1.</summary>
    public const uint LnkCtlNever = PciExpress.LnkCtlRetrain | 0x0004;
    /// <summary>DevCtl2 ARI Forwarding Enable: pci_configure_ari() sets it from the device below.</summary>
    public const uint DevCtl2AriForwarding = 0x0020;
    /// <summary>Bridge Control Secondary Bus Reset: an action on every device below.</summary>
    public const uint BridgeControlNever = (uint)BridgeControl.BusReset;
    /// <summary>DPC Control Software Trigger: takes the link down.</summary>
    public const uint DpcControlNever = 0x0040;
    /// <summary>PM Control power state and PME Enable: the kernel's pci_set_power_state()/pci_pme_active() own them.</summary>
    public const uint PmControlKernelOwned = PowerManagement.CtrlStateMask | PowerManagement.CtrlPmeEnable;
    /// <summary>L1 PM Substates Control 1 L1.2 enables (PCI-PM and ASPM L1.2): written last, after the thresholds.</summary>
    public const uint L1ssL12Enables = 0x5;

    /// <summary>Capabilities whose registers preinit restores (some of them only by policy); every other one is left alone.</summary>
    public static readonly IReadOnlySet<CapabilityId> RestoredCapabilities = new HashSet<CapabilityId>
        { CapabilityId.PowerManagement, CapabilityId.Msi, CapabilityId.MsiX, CapabilityId.Express };

    public static readonly IReadOnlySet<ExtendedCapabilityId> RestoredExtendedCapabilities = new HashSet<ExtendedCapabilityId>
        { ExtendedCapabilityId.Aer, ExtendedCapabilityId.Ltr, ExtendedCapabilityId.L1PmSubstates, ExtendedCapabilityId.Dpc,
          ExtendedCapabilityId.Ptm, ExtendedCapabilityId.Acs, ExtendedCapabilityId.Ari };

    /// <summary>Everything preinit leaves alone (or sets to another value than captured) in this function under this
    /// policy, from its config bytes (a capture or the present function: the layout is the same).</summary>
    public static IReadOnlyList<LeftAloneBits> For(ReadOnlySpan<byte> cfg, ReplayPolicy policy)
    {
        var list = new List<LeftAloneBits>();
        int size = cfg.Length;
        void Add(int offset, int length, uint mask, string register, string why, string? unless = null, bool conditional = false)
        {
            if (offset + Math.Min(length, 4) <= size) list.Add(new LeftAloneBits(offset, length, mask, register, why, unless, conditional));
        }
        // Resources are restored when they equal the present assignment (always, with moveResources).
        void Resource(int offset, int length, uint mask, string register, string why)
        {
            if (!policy.MoveResources) Add(offset, length, mask, register, why, "moveResources: true, or equal to the present assignment", conditional: true);
        }
        var kind = ConfigBytes.HeaderKind(cfg);
        bool endpoint = kind == HeaderType.Normal;

        // Header.
        if (endpoint && policy.BusMaster == BusMasterPolicy.Off)
            Add(Header.Command, 2, (uint)Command.BusMaster, "COMMAND", "Bus Master kept off on endpoints until a driver enables it", "busMaster: as-captured");
        if (endpoint && policy.Intx == IntxPolicy.Disabled)
            Add(Header.Command, 2, (uint)Command.IntxDisable, "COMMAND", "INTx Disable kept on (set by the quiesce) until pci_enable_device() clears it", "intx: as-captured");
        Add(Header.Status, 2, (uint)Status.ErrorBits, "STATUS", "write-1-to-clear error bits: cleared, never restored", "clearErrorStatus: false leaves them as found");
        Add(Header.Bist, 1, 0xff, "BIST", "writing Start BIST runs a self-test");
        if (kind == HeaderType.Normal)
        {
            for (int i = 0; i < Type0.BarCount; i++)
                Resource(Type0.BaseAddress0 + 4 * i, 4, 0xffffffff, $"BASE_ADDRESS_{i}", "restored only when it equals the present assignment");
            Resource(Type0.RomAddress, 4, 0xffffffff, "ROM_ADDRESS", "restored only when it equals the present assignment");
        }
        else if (kind == HeaderType.Bridge)
        {
            Add(Type1.SecStatus, 2, (uint)Status.ErrorBits, "SEC_STATUS", "write-1-to-clear error bits: cleared, never restored", "clearErrorStatus: false leaves them as found");
            Add(Type1.BridgeControl, 2, BridgeControlNever, "BRIDGE_CONTROL", "Secondary Bus Reset: an action, never written as 1");
            Add(Type1.BridgeControl, 2, (uint)BridgeControl.DiscardTimerStatus, "BRIDGE_CONTROL", "Discard Timer Status: write-1-to-clear, written as 0");
            Resource(Type1.BaseAddress0, 8, 0, "BASE_ADDRESS_0/1", "restored only when they equal the present assignment");
            Resource(Type1.PrimaryBus, 3, 0, "PRIMARY/SECONDARY/SUBORDINATE_BUS", "bus numbers: restored only when they equal the present ones");
            Resource(Type1.IoBase, 2, 0, "IO_BASE/IO_LIMIT", "windows: restored only when they equal the present ones");
            Resource(Type1.MemoryBase, 16, 0, "MEMORY_BASE ... PREF_LIMIT_UPPER32", "windows: restored only when they equal the present ones");
            Resource(Type1.IoBaseUpper16, 4, 0, "IO_BASE_UPPER16/IO_LIMIT_UPPER16", "windows: restored only when they equal the present ones");
            Resource(Type1.RomAddress, 4, 0xffffffff, "BRIDGE_ROM_ADDRESS", "restored only when it equals the present assignment");
        }
        else
        {
            // CardBus: Command, Cache Line Size, Latency Timer and Interrupt Line only; yenta_socket owns the rest.
            Add(Header.CacheLineSize + 2, Header.InterruptLine - Header.CacheLineSize - 2, 0, "CardBus header",
                "CardBus windows, bus numbers and Bridge Control are left to the kernel's yenta_socket driver");
            Add(Header.InterruptLine + 1, Header.Size - Header.InterruptLine - 1, 0, "CardBus header", "left to yenta_socket");
        }

        // Capabilities: what preinit writes, minus these bits; every other capability and the device-specific space.
        var walk = CapabilityWalker.Walk(cfg);
        foreach (var cap in walk.Capabilities)
        {
            int at = cap.Offset;
            if (!cap.Extended && !RestoredCapabilities.Contains(cap.StandardId) || cap.Extended && !RestoredExtendedCapabilities.Contains(cap.ExtendedId))
            {
                int end = NextStart(walk, cap, cap.Extended ? cfg.Length : Header.StdConfigSize);
                Add(at, end - at, 0, cap.Name, "a capability preinit does not restore (the kernel and drivers own it)");
                continue;
            }
            switch (cap.Extended ? (int)cap.ExtendedId + 0x100 : (int)cap.StandardId)
            {
                case (int)CapabilityId.PowerManagement:
                    if (!policy.RestorePowerState)
                        Add(at + PowerManagement.Ctrl, 2, PmControlKernelOwned, "CAP_PM+4.w", "power state and PME Enable: no D-state change (the kernel owns them)", "restorePowerState: true");
                    Add(at + PowerManagement.Ctrl, 2, 0x7e00, "CAP_PM+4.w", "Data Select/Data Scale: not restored");
                    Add(at + PowerManagement.Ctrl, 2, PowerManagement.CtrlPmeStatus, "CAP_PM+4.w", "PME Status: write-1-to-clear");
                    break;
                case (int)CapabilityId.Msi:
                    Add(at + Msi.Flags, 2, Msi.FlagsEnable, "CAP_MSI+2.w", "MSI Enable kept off until its driver enables it");
                    break;
                case (int)CapabilityId.MsiX:
                    Add(at + MsiX.Flags, 2, MsiX.FlagsEnable, "CAP_MSIX+2.w", "MSI-X Enable kept off until its driver enables it; the table and PBA live in BAR memory");
                    break;
                case (int)CapabilityId.Express:
                {
                    var type = (PciExpressPortType)((ConfigBytes.U16(cfg, at + PciExpress.Flags) & PciExpress.FlagsTypeMask) >> 4);
                    if (type != PciExpressPortType.PciBridge)
                        Add(at + PciExpress.DevCtl, 2, DevCtlInitiateFlr, "CAP_EXP+8.w", "Initiate FLR: an action, never written as 1");
                    Add(at + PciExpress.DevCtl, 2, DevCtlMaxPayload, "CAP_EXP+8.w", "Max Payload Size: the kernel's (pci_configure_mps), never larger than the parent port's");
                    Add(at + PciExpress.DevSta, 2, PciExpress.DevStaErrorBits, "CAP_EXP+a.w", "write-1-to-clear error bits: cleared, never restored");
                    Add(at + PciExpress.LnkCtl, 2, LnkCtlNever, "CAP_EXP+10.w", "Retrain Link: an action");
                    Add(at + PciExpress.LnkCtl, 2, PciExpress.LnkCtlDisable, "CAP_EXP+10.w", "Link Disable: never written as 1", "captured as 0", conditional: true);
                    if (!policy.RestoreAri)
                        Add(at + PciExpress.DevCtl2, 2, DevCtl2AriForwarding, "CAP_EXP+28.w", "ARI Forwarding Enable: set by the kernel (pci_configure_ari)", "restoreAri: true");
                    break;
                }
                case 0x100 + (int)ExtendedCapabilityId.Aer:
                    Add(at + Aer.UncorStatus, 4, 0xffffffff, "ECAP_AER+4.l", "write-1-to-clear error status: cleared, never restored");
                    Add(at + Aer.CorStatus, 4, 0xffffffff, "ECAP_AER+10.l", "write-1-to-clear error status: cleared, never restored");
                    break;
                case 0x100 + (int)ExtendedCapabilityId.L1PmSubstates:
                    Add(at + L1PmSubstates.Ctl1, 8, 0, "ECAP_L1PM+8.l/+c.l", "L1 PM substates: restored only together with the link partner, in pci_restore_aspm_l1ss_state()'s order",
                        "both ends of the link are restored", conditional: true);
                    break;
                case 0x100 + (int)ExtendedCapabilityId.Dpc:
                    Add(at + Dpc.Ctrl, 2, DpcControlNever, "ECAP_DPC+6.w", "Software Trigger: takes the link down");
                    Add(at + Dpc.Status, 0x0c, 0, "ECAP_DPC+8", "DPC status, error source and RP PIO registers: not saved by the kernel either");
                    break;
                case 0x100 + (int)ExtendedCapabilityId.Acs:
                    if (!policy.RestoreAcs) Add(at + Acs.Ctrl, 2, 0xffff, "ECAP_ACS+6.w", "ACS control: the kernel sets it by its IOMMU policy (pci_enable_acs)", "restoreAcs: true");
                    break;
                case 0x100 + (int)ExtendedCapabilityId.Ari:
                    if (!policy.RestoreAri) Add(at + Ari.Ctrl, 2, 0xffff, "ECAP_ARI+6.w", "ARI control: the kernel's (pci_configure_ari)", "restoreAri: true");
                    break;
            }
        }
        return list;
    }

    /// <summary>The per-byte mask of <see cref="For"/>: bits that may differ from the capture after a replay.</summary>
    public static byte[] Mask(ReadOnlySpan<byte> cfg, ReplayPolicy policy)
    {
        var mask = new byte[cfg.Length];
        foreach (var e in For(cfg, policy))
            for (int i = 0; i < e.Length && e.Offset + i < mask.Length; i++)
                mask[e.Offset + i] |= e.Length <= 4 ? (byte)(e.Mask >> (8 * i)) : (byte)0xff;
        return mask;
    }

    /// <summary>Where the capability after <paramref name="cap"/> (by offset, same list) starts, else <paramref name="end"/>.</summary>
    private static int NextStart(CapabilityWalker.Result walk, Capability cap, int end)
    {
        int next = end;
        foreach (var c in walk.Capabilities)
            if (c.Extended == cap.Extended && c.Offset > cap.Offset && c.Offset < next) next = c.Offset;
        return next;
    }
}
