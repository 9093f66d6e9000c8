using Preconfig.ConfigSpace;
using Preconfig.Preinit.Matching;

namespace Preconfig.Preinit.Planning;

/// <summary>The replay as an explicit list of steps, plus what matching decided and what the planner refused.</summary>
public sealed class ReplayPlan
{
    public required IReadOnlyList<PlanStep> Steps { get; init; }
    public required IReadOnlyList<DeviceMatch> Matches { get; init; }
    /// <summary>Per matched device: what was refused or deliberately left off ("BASE_ADDRESS_0 differs: not moved").</summary>
    public required IReadOnlyDictionary<PciAddress, IReadOnlyList<string>> Notes { get; init; }
    /// <summary>Functions that are not restored but quiesced (new, mismatched, no valid snapshot): Bus Master off,
    /// INTx disabled, MSI and MSI-X off. Their steps are quiesce steps only.</summary>
    public IReadOnlySet<PciAddress> QuiesceOnly { get; init; } = new HashSet<PciAddress>();
    /// <summary>Unmatched functions that were not quiesced either, and why (driver bound, a bridge, denied, policy).</summary>
    public IReadOnlyDictionary<PciAddress, string> NotQuiesced { get; init; } = new Dictionary<PciAddress, string>();
    /// <summary>Functions the kernel owns (<see cref="KernelOwnership"/>), not touched at all, and why.</summary>
    public IReadOnlyDictionary<PciAddress, string> KernelOwned { get; init; } = new Dictionary<PciAddress, string>();
    /// <summary>Per restored device: registers not written because the capture does not hold all their bytes.</summary>
    public IReadOnlyDictionary<PciAddress, IReadOnlyList<string>> LeftOut { get; init; } = new Dictionary<PciAddress, IReadOnlyList<string>>();

    /// <summary>The resets with their restores, each a run of <see cref="Steps"/>: see <see cref="ResetUnit"/>.</summary>
    public IReadOnlyList<ResetUnit> Units { get; init; } = [];

    public IEnumerable<PlanStep> StepsFor(PciAddress address)
    {
        foreach (var s in Steps)
            if (s.Address == address) yield return s;
    }
}

/// <summary>
/// One reset domain as one unit: <see cref="ReplayPlan.Steps"/>[<see cref="First"/>..<see cref="End"/>) holds the
/// reset steps of every function the reset reaches (all functions below <see cref="Bridge"/> for its Secondary Bus
/// Reset, else the function alone), then their restore steps. The apply starts a unit only when the time left covers
/// its worst wait and its restore, and once started runs it to its end (under the hard deadline): a function is never
/// reset and left unrestored.
/// </summary>
public sealed record ResetUnit(int First, int End, PciAddress? Bridge, IReadOnlyList<PciAddress> Domain);
