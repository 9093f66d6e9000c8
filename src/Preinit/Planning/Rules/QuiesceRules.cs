using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Matching;
using Preconfig.Preinit.Policy;

namespace Preconfig.Preinit.Planning.Rules;

/// <summary>What becomes of a function found now: restored from its capture, quiesced only, or left as it is.</summary>
internal enum Treatment
{
    /// <summary>Matched with a capture: quiesced (endpoints), maybe reset, restored.</summary>
    Restore,
    /// <summary>Not restored, but its DMA and interrupts are stopped.</summary>
    QuiesceOnly,
    /// <summary>Neither (the report says why when it is new, mismatched or without a snapshot).</summary>
    LeaveAlone,
    /// <summary>Owned by the kernel (<see cref="KernelOwnership"/>): not touched at all, reported "left-to-kernel".</summary>
    LeftToKernel,
}

/// <summary>
/// Which functions are restored, which are quiesced only and which are left alone, one rule each. An endpoint present
/// now that no record is replayed onto, with no driver and not denied, has its DMA and interrupts stopped all the same;
/// bridges keep forwarding for what is below them.
/// </summary>
internal static class QuiesceRules
{
    public static Treatment Of(DeviceMatch m, ReplayPolicy policy)
    {
        if (KernelOwner(m, policy) is not null) return Treatment.LeftToKernel;
        if (m.Kind == MatchKind.Matched && m.Record is not null && m.Present is not null) return Treatment.Restore;
        if (policy.QuiesceUnmatched && QuiesceCandidate(m, policy)) return Treatment.QuiesceOnly;
        return Treatment.LeaveAlone;
    }

    /// <summary>Not restored, answering, an endpoint, no driver, not denied.</summary>
    private static bool QuiesceCandidate(DeviceMatch m, ReplayPolicy policy) =>
        IsUnrestored(m)
        && m.Present is { Length: >= Header.Size } cfg
        && ConfigBytes.VendorId(cfg) != 0xffff
        && ConfigBytes.HeaderKind(cfg) == HeaderType.Normal
        && m.Info?.Driver is not { Length: > 0 }
        && !policy.IsDenied(DeviceIdentity.Of(m.Address, cfg), out _);

    /// <summary>The ownership row of a function the kernel owns whole and preinit would otherwise restore or quiesce
    /// (matched, or unrestored and answering, with no driver and not denied), else null.</summary>
    public static KernelOwnedEntry? KernelOwner(DeviceMatch m, ReplayPolicy policy)
    {
        if (m.Kind != MatchKind.Matched && !IsUnrestored(m)) return null;
        if (m.Present is not { Length: >= Header.Size } cfg || ConfigBytes.VendorId(cfg) == 0xffff) return null;
        if (m.Info?.Driver is { Length: > 0 } || policy.IsDenied(DeviceIdentity.Of(m.Address, cfg), out _)) return null;
        return KernelOwnership.Of(m.Address, cfg, m.Info?.BootVga, policy) is { Part: OwnedPart.Function } e ? e : null;
    }

    /// <summary>New, mismatched or without a valid snapshot: present, and no record is replayed onto it.</summary>
    public static bool IsUnrestored(DeviceMatch m) => m.Kind is MatchKind.New or MatchKind.Mismatch or MatchKind.NoSnapshot;

    /// <summary>Why an unrestored function is not quiesced (for the report), or null when it is.</summary>
    public static string? WhyNotQuiesced(DeviceMatch m, ReplayPolicy policy)
    {
        if (m.Present is not { Length: >= Header.Size } cfg) return null;
        if (ConfigBytes.VendorId(cfg) == 0xffff) return "reads all ones: not quiesced";
        if (m.Info?.Driver is { Length: > 0 } driver) return $"driver bound: {driver}";
        if (ConfigBytes.HeaderKind(cfg) != HeaderType.Normal) return "a bridge: not quiesced (it forwards for the functions below it)";
        if (policy.IsDenied(DeviceIdentity.Of(m.Address, cfg), out string why)) return why;
        if (!policy.QuiesceUnmatched) return "not quiesced (policy quiesceUnmatched)";
        return null;
    }
}
