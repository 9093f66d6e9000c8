using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Policy;

namespace Preconfig.Preinit.Planning;

/// <summary>What a bit preinit does not restore holds after the replay.</summary>
public enum After
{
    /// <summary>As preinit found it (never written, or written back as read).</summary>
    AsFound,
    /// <summary>Cleared (an enable kept off, write-1-to-clear status cleared).</summary>
    Off,
    /// <summary>Set (INTx Disable).</summary>
    On,
    /// <summary>The kernel's value: kept as found, or lowered to the parent port's (Max Payload Size).</summary>
    KernelValue,
    /// <summary>Firmware's value when a condition holds, else as found (<see cref="LeftAloneBits.Unless"/> says which).</summary>
    FirmwareOrAsFound,
}

/// <summary>
/// Bits preinit deliberately does not put back to their captured value, for one function: the <paramref name="Mask"/>
/// bits (little-endian) of the <paramref name="Length"/>-byte register at <paramref name="Offset"/>, or, with a mask of
/// 0, every bit of those bytes (a capability preinit does not restore, a run of header registers). <paramref name="Why"/> is quoted word for word
/// by docs/preinit.md; <paramref name="Unless"/> names the policy field or the condition under which preinit does
/// restore them.
/// </summary>
public sealed record LeftAloneBits(int Offset, int Length, uint Mask, string Register, After After, string Why, string? Unless = null)
{
    /// <summary>The bits of byte <paramref name="i"/> of the range this entry covers.</summary>
    public byte BitsOf(int i) => Mask == 0 ? (byte)0xff : i < 4 ? (byte)(Mask >> (8 * i)) : (byte)0;
}

/// <summary>
/// The one list of what preinit does not restore, and why (docs/preinit.md "What is not restored" quotes it). The
/// planner takes its masks from the constants here, so what it writes and what this list says cannot drift apart; the
/// crash tests check every other bit against firmware's value (tests/Preconfig.Tests/Preinit/PolicyExceptions.cs).
/// Which capabilities are restored at all is <see cref="RestoreOrder"/>'s list.
/// </summary>
public static class LeftAlone
{
    /// <summary>DevCtl Initiate FLR (bit 15 outside PCIe-to-PCI bridges): an action, it would reset the function.</summary>
    public const uint DevCtlInitiateFlr = PciExpress.DevCtlFlReset;
    /// <summary>DevCtl Max Payload Size: the kernel sets it at enumeration from the parent port (pci_configure_mps);
    /// kept as the kernel has it, lowered to the parent port's when larger.</summary>
    public const uint DevCtlMaxPayload = PciExpress.DevCtlPayloadMask;
    /// <summary>LnkCtl Retrain Link (an action) and reserved bits 2 and 12; Link Disable is never written as 1.</summary>
    public const uint LnkCtlNever = PciExpress.LnkCtlRetrain | 0x0004 | 0x1000;
    /// <summary>DevCtl2 ARI Forwarding Enable: pci_configure_ari() sets it from the device below.</summary>
    public const uint DevCtl2AriForwarding = 0x0020;
    /// <summary>Bridge Control Secondary Bus Reset: an action on every device below.</summary>
    public const uint BridgeControlNever = (uint)BridgeControl.BusReset;
    /// <summary>DPC Control Software Trigger: takes the link down.</summary>
    public const uint DpcControlNever = 0x0040;
    /// <summary>PM Control power state and PME Enable: the kernel's pci_set_power_state()/pci_pme_active() own them.</summary>
    public const uint PmControlKernelOwned = PowerManagement.CtrlStateMask | PowerManagement.CtrlPmeEnable;
    /// <summary>PM Control Data_Select and Data_Scale: they select what the read-only Data register shows.</summary>
    public const uint PmControlData = 0x7e00;
    /// <summary>L1 PM Substates Control 1 L1.2 enables (PCI-PM and ASPM L1.2): written last, after the thresholds.</summary>
    public const uint L1ssL12Enables = 0x5;

    // The reasons, quoted word for word by docs/preinit.md's table.
    public const string WhyBusMaster = "a driver enables DMA when it probes";
    public const string WhyIntx = "pci_enable_device() clears it for a driver that uses INTx";
    public const string WhyErrorStatus = "write-1-to-clear error status: cleared (logged first), never restored";
    public const string WhyBist = "writing Start BIST runs a self-test";
    public const string WhyResources = "the running kernel's resources describe the present assignment";
    public const string WhySecondaryBusReset = "an action on every function below the bridge";
    public const string WhyDiscardTimerStatus = "write-1-to-clear status, written as 0";
    public const string WhyCardBus = "the kernel's yenta_socket programs CardBus windows, bus numbers and Bridge Control";
    public const string WhyCapability = "a capability preinit does not restore: the kernel, its IOMMU driver or the function's driver owns it";
    public const string WhyPowerState = "the kernel owns D-states (pci_set_power_state(), pci_pme_active()); D3hot to D0 can reset the function";
    public const string WhyPmData = "they select what the read-only Data register shows";
    public const string WhyPmeStatus = "write-1-to-clear status, never restored";
    public const string WhyMsiEnable = "a driver enables its vectors (the MSI-X table and PBA live in BAR memory)";
    public const string WhyInitiateFlr = "an action: it would reset the function";
    public const string WhyMaxPayload = "the kernel's (pci_configure_mps()): kept, lowered to the parent port's when larger";
    public const string WhyRetrain = "Retrain Link is an action; bits 2 and 12 are reserved";
    public const string WhyLinkDisable = "Link Disable is never written as 1: the link stays up";
    public const string WhyAriForwarding = "pci_configure_ari() sets ARI Forwarding Enable from the device below";
    public const string WhyL1ss = "restored only with the link partner, in pci_restore_aspm_l1ss_state()'s order";
    public const string WhyDpcTrigger = "DPC Software Trigger takes the link down";
    public const string WhyDpcStatus = "DPC status, error source and RP PIO registers: the kernel saves only DPC Control too";
    public const string WhyAcs = "the kernel sets ACS by its IOMMU policy (pci_enable_acs())";
    public const string WhyAri = "the kernel's (pci_configure_ari())";
    public const string WhyKernelDecode = "the boot VGA's: vgaarb and the console's framebuffer (an integrated GPU scans out by DMA)";

    /// <summary>Everything preinit leaves alone (or sets to another value than captured) in this function under this
    /// policy, from its config bytes (a capture or the present function: the layout is the same). Write-1-to-clear
    /// bits not named here are status preinit never writes as 1 either: they stay as found. The header's are listed
    /// here; a restored capability's by its entry in <see cref="RestoreOrder"/>; any other capability whole.</summary>
    public static IReadOnlyList<LeftAloneBits> For(ReadOnlySpan<byte> cfg, ReplayPolicy policy) => For(cfg, policy, 0);

    /// <summary>As <see cref="For(ReadOnlySpan{byte}, ReplayPolicy)"/> for the function at <paramref name="address"/>,
    /// with what the kernel owns of it (<see cref="KernelOwnership"/>): a function it owns whole is left as found
    /// whole; the boot VGA keeps Bus Master and decode as found. <paramref name="bootVga"/> is sysfs <c>boot_vga</c>.</summary>
    public static IReadOnlyList<LeftAloneBits> For(PciAddress address, ReadOnlySpan<byte> cfg, ReplayPolicy policy, bool? bootVga) =>
        KernelOwnership.Of(address, cfg, bootVga, policy) switch
        {
            { Part: OwnedPart.Function } e => [new LeftAloneBits(0, cfg.Length, 0, "every register", After.AsFound, e.Reason)],
            { Part: OwnedPart.Decode } => For(cfg, policy, KernelOwnership.DecodeBits),
            _ => For(cfg, policy, 0),
        };

    private static IReadOnlyList<LeftAloneBits> For(ReadOnlySpan<byte> cfg, ReplayPolicy policy, uint kernelCommand)
    {
        var walk = CapabilityWalker.Walk(cfg);
        var list = new LeftAloneList(cfg.Length, policy, walk);
        AddHeader(list, cfg, policy, kernelCommand);
        foreach (var cap in walk.Capabilities)
        {
            if (RestoreOrder.For(cap) is { } restore)
            {
                restore.NotRestored(list, cfg, cap);
                continue;
            }
            // Its registers after the header (the list's own id and next pointer are read-only).
            int header = cap.Extended ? 4 : 2;
            list.Add(cap.Offset + header, list.NextStart(cap) - cap.Offset - header, 0, cap.Name, After.AsFound, WhyCapability);
        }
        return list.Items;
    }

    private static void AddHeader(LeftAloneList list, ReadOnlySpan<byte> cfg, ReplayPolicy policy, uint kernelCommand)
    {
        var kind = ConfigBytes.HeaderKind(cfg);
        bool endpoint = kind == HeaderType.Normal;
        if (kernelCommand != 0)
            list.Add(Header.Command, 2, kernelCommand, "COMMAND", After.AsFound, WhyKernelDecode, "notKernelOwned");
        else if (endpoint && policy.BusMaster == BusMasterPolicy.Off)
            list.Add(Header.Command, 2, (uint)Command.BusMaster, "COMMAND", After.Off, WhyBusMaster, "busMaster: as-captured");
        if (endpoint && policy.Intx == IntxPolicy.Disabled)
            list.Add(Header.Command, 2, (uint)Command.IntxDisable, "COMMAND", After.On, WhyIntx, "intx: as-captured");
        list.ErrorStatus(Header.Status, 2, (uint)Status.ErrorBits, "STATUS");
        list.Add(Header.Bist, 1, 0xff, "BIST", After.AsFound, WhyBist);
        if (kind == HeaderType.Normal)
        {
            for (int i = 0; i < Type0.BarCount; i++) list.Resource(Type0.BaseAddress0 + 4 * i, 4, 0xffffffff, $"BASE_ADDRESS_{i}");
            list.Resource(Type0.RomAddress, 4, 0xffffffff, "ROM_ADDRESS");
        }
        else if (kind == HeaderType.Bridge)
        {
            list.ErrorStatus(Type1.SecStatus, 2, (uint)Status.ErrorBits, "SEC_STATUS");
            list.Add(Type1.BridgeControl, 2, BridgeControlNever, "BRIDGE_CONTROL", After.AsFound, WhySecondaryBusReset);
            list.Add(Type1.BridgeControl, 2, (uint)BridgeControl.DiscardTimerStatus, "BRIDGE_CONTROL", After.AsFound, WhyDiscardTimerStatus);
            list.Resource(Type1.BaseAddress0, 8, 0, "BASE_ADDRESS_0/1");
            list.Resource(Type1.PrimaryBus, 3, 0, "PRIMARY/SECONDARY/SUBORDINATE_BUS");
            list.Resource(Type1.IoBase, 2, 0, "IO_BASE/IO_LIMIT");
            list.Resource(Type1.MemoryBase, 16, 0, "MEMORY_BASE ... PREF_LIMIT_UPPER32");
            list.Resource(Type1.IoBaseUpper16, 4, 0, "IO_BASE_UPPER16/IO_LIMIT_UPPER16");
            list.Resource(Type1.RomAddress, 4, 0xffffffff, "BRIDGE_ROM_ADDRESS");
        }
        else
        {
            // CardBus: Command, Cache Line Size, the two Latency Timers and Interrupt Line only (Secondary Status is not cleared).
            list.Add(Header.HeaderType, Type2.SecStatus - Header.HeaderType, 0, "CardBus header", After.AsFound, WhyCardBus);
            list.Add(Type2.SecStatus + 2, Type2.LatencyTimer - Type2.SecStatus - 2, 0, "CardBus header", After.AsFound, WhyCardBus);
            list.Add(Type2.LatencyTimer + 1, Header.InterruptLine - Type2.LatencyTimer - 1, 0, "CardBus header", After.AsFound, WhyCardBus);
            list.Add(Header.InterruptLine + 1, Header.Size - Header.InterruptLine - 1, 0, "CardBus header", After.AsFound, WhyCardBus);
        }
    }
}

/// <summary>
/// <see cref="LeftAlone.For"/>'s list while it is being made, for one function under one policy: entries past the end
/// of the function's bytes are dropped; error status is cleared or left as found by the policy; resources are left
/// alone unless moveResources.
/// </summary>
internal sealed class LeftAloneList(int size, ReplayPolicy policy, CapabilityWalker.Result walk)
{
    public List<LeftAloneBits> Items { get; } = [];
    public ReplayPolicy Policy => policy;
    public CapabilityWalker.Result Walk => walk;

    public void Add(int offset, int length, uint mask, string register, After after, string why, string? unless = null)
    {
        if (length > 0 && offset + Math.Min(length, 4) <= size) Items.Add(new LeftAloneBits(offset, length, mask, register, after, why, unless));
    }

    /// <summary>A register <paramref name="relative"/> bytes into <paramref name="cap"/>, named as setpci does (<c>CAP_PM+4.w</c>).</summary>
    public void Add(Capability cap, int relative, int width, uint mask, After after, string why, string? unless = null) =>
        Add(cap.Offset + relative, width, mask, Name(cap, relative, width), after, why, unless);

    public string Name(Capability cap, int relative, int width) => SetpciNames.CapabilityRegister(cap.Extended, cap.Id, relative, width);

    public void ErrorStatus(int offset, int width, uint bits, string register) =>
        Add(offset, width, bits, register, policy.ClearErrorStatus ? After.Off : After.AsFound, LeftAlone.WhyErrorStatus, "clearErrorStatus: false leaves them as found");

    public void ErrorStatus(Capability cap, int relative, int width, uint bits) =>
        ErrorStatus(cap.Offset + relative, width, bits, Name(cap, relative, width));

    /// <summary>Resources are restored when they equal the present assignment (always with moveResources).</summary>
    public void Resource(int offset, int length, uint mask, string register)
    {
        if (!policy.MoveResources) Add(offset, length, mask, register, After.FirmwareOrAsFound, LeftAlone.WhyResources, "moveResources: true, or equal to the present assignment");
    }

    /// <summary>Where the capability after <paramref name="cap"/> (by offset, same list) starts, else the end of its list's space.</summary>
    public int NextStart(Capability cap)
    {
        int next = cap.Extended ? size : Header.StdConfigSize;
        foreach (var c in walk.Capabilities)
            if (c.Extended == cap.Extended && c.Offset > cap.Offset && c.Offset < next) next = c.Offset;
        return next;
    }
}
