using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.ConfigSpace.Sysfs;
using Preconfig.Preinit.Matching;
using Preconfig.Preinit.Policy;

namespace Preconfig.Preinit.Planning.Rules;

/// <summary>
/// Who may be reset, one rule each: which functions may get a reset step of their own, which bridges' Secondary Bus
/// Reset may be used at all, and which method a function can use. <see cref="ResetTopology"/> combines them over the
/// bus (a bridge reset needs every function below it reset too).
/// </summary>
internal static class ResetRules
{
    /// <summary>The method that resets through the parent bridge's Bridge Control (every function below it).</summary>
    public const string BridgeMethod = "bridge";

    /// <summary>
    /// Whether the function may get a reset step of its own, and the methods the policy prefers for it. Only matched
    /// functions with a capture and present bytes are restored; bridges are never reset (their reset takes down every
    /// link below them); then the policy decides (<see cref="ReplayPolicy.MayReset(DeviceIdentity, bool?, out string, out IReadOnlyList{string})"/>).
    /// <paramref name="why"/> is set when the policy refuses (a reason for the report), null when the function is not a
    /// candidate at all.
    /// </summary>
    public static bool MayReset(DeviceMatch m, ReplayPolicy policy, out string? why, out IReadOnlyList<string> preferred)
    {
        why = null;
        preferred = [];
        if (m.Kind != MatchKind.Matched || m.Record is null || m.Present is null) return false;
        if (ConfigBytes.HeaderKind(m.Present) != HeaderType.Normal) return false;
        // The boot VGA's part (its decode) is the VGA console rule's business: policy resetVgaConsole.
        if (KernelOwnership.Of(m.Address, m.Present, m.Info?.BootVga, policy) is { Part: OwnedPart.Function } owner)
        {
            why = owner.Reason;
            return false;
        }
        if (policy.MayReset(DeviceIdentity.Of(m.Address, m.Present), m.Info?.BootVga, out string refused, out preferred)) return true;
        why = refused;
        return false;
    }

    /// <summary>Why a bridge's Secondary Bus Reset may not be used whatever is below it, or null: a hot-plug capable
    /// slot (pciehp would take the link going down for a removal), or a bridge the kernel marks
    /// <c>PCI_DEV_FLAGS_NO_BUS_RESET</c> (pci_bus_resettable() refuses the bus below it).</summary>
    public static string? WhyBridgeNeverResets(PciAddress bridge, byte[]? config)
    {
        if (config is null) return null;
        if (HotPlugSlot(config)) return $"{bridge} has a hot-plug slot";
        return KernelResetQuirks.WhyNot(config, "bus") is { } quirk ? $"{bridge}: {quirk}" : null;
    }

    /// <summary>Why a function below <paramref name="bridge"/> keeps the bridge's Secondary Bus Reset from being used,
    /// or null: the capture kernel does not offer "bus" for it (its own verdict on a bus reset of that function), a
    /// no-bus-reset quirk lists it, or it offers a device-specific reset (the kernel's reset must run).</summary>
    public static string? WhyNotBelowBridgeReset(PciAddress a, PciAddress bridge, IReadOnlyList<string> offered, byte[]? config)
    {
        if (config is not null && KernelResetQuirks.WhyNot(config, "bus") is { } quirk) return $"{a} below {bridge}: {quirk}";
        // The kernel resets such a function by its own reset first (pci_reset_fn_methods[1]); our Secondary Bus
        // Reset would bypass it (nvme_disable_and_flr(): the NVMe controller is disabled before the reset).
        if (Contains(offered, SysfsPciAccess.DeviceSpecificReset))
            return $"{a} below {bridge} offers device_specific: the kernel's own reset runs first (sysfs), never our bus reset";
        return Contains(offered, "bus") ? null : $"{a} below {bridge} does not offer bus in reset_method (the kernel would not reset its bus)";
    }

    /// <summary>Whether a function can use <paramref name="method"/>: "bridge" while its parent bridge's reset is
    /// allowed, any other method when the function offers it (sysfs <c>reset_method</c>).</summary>
    public static bool CanUse(string method, IReadOnlyList<string> offered, bool parentBridgeAllowed) =>
        method == BridgeMethod ? parentBridgeAllowed : Contains(offered, method);

    public static bool Contains(IReadOnlyList<string> list, string item)
    {
        foreach (string s in list)
            if (s == item) return true;
        return false;
    }

    private static bool HotPlugSlot(byte[] cfg)
    {
        if (CapabilityWalker.Walk(cfg).Find(CapabilityId.Express) is not { } exp) return false;
        if ((ConfigBytes.U16(cfg, exp.Offset + PciExpress.Flags) & PciExpress.FlagsSlot) == 0) return false;
        return exp.Offset + PciExpress.SltCap + 4 <= cfg.Length && (ConfigBytes.U32(cfg, exp.Offset + PciExpress.SltCap) & 0x40) != 0; // Hot-Plug Capable
    }
}
