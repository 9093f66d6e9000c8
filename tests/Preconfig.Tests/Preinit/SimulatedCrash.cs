using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Apply;
using Preconfig.Preinit.Loading;
using Preconfig.Preinit.Matching;
using Preconfig.Preinit.Planning;
using Preconfig.Preinit.Policy;
using Preconfig.Preinit.Reporting;

namespace Preconfig.Tests.Preinit;

/// <summary>
/// The scenario of architecture.md "Simulated crash": firmware state (a dump) -> capture -> the kernel runs (dirty) ->
/// crash (no reset) -> preinit -> check. Shared by the tests of this folder.
/// </summary>
internal sealed class SimulatedCrash
{
    public SimulatedMachine Machine { get; }
    public Dictionary<PciAddress, byte[]> Firmware { get; } = [];
    /// <summary>Every function as the crash left it: the state preinit started from.</summary>
    public Dictionary<PciAddress, byte[]> Crashed { get; } = [];
    public ReplayPolicy Policy { get; private set; } = ReplayPolicy.Default;
    public Snapshot Snapshot { get; private set; }
    public ReplayPlan? Plan { get; private set; }
    public IReadOnlyList<StepResult> Results { get; private set; } = [];
    public PreinitReport? Report { get; private set; }

    public SimulatedCrash(SimulatedMachine machine)
    {
        Machine = machine;
        foreach (var f in machine.Functions) Firmware[f.Address] = f.Space.Snapshot();
        Snapshot = AccessSnapshot.Capture(machine, "sim:test");
    }

    public static SimulatedCrash FromDump(string path) => new(SimulatedMachine.FromDump(LspciDumpReader.ReadFile(path)));

    /// <summary>"The kernel ran" (<see cref="KernelRun"/>): every writable bit random, status latched (less what
    /// <see cref="PolicyExceptions.NotDirtied"/> leaves out while a finding waits: nothing now).</summary>
    public SimulatedCrash Dirty(int seed = 1) => Dirty(KernelRun.Plan(Machine, seed));

    public SimulatedCrash Dirty(IEnumerable<Dirt> dirt)
    {
        KernelRun.Apply(Machine, PolicyExceptions.Dirtiable(Machine, Firmware, dirt).ToList());
        return this;
    }

    public SimulatedCrash WithSnapshot(Snapshot snapshot)
    {
        Snapshot = snapshot;
        return this;
    }

    /// <param name="beforeApply">Runs between planning and applying (a fault that appears after matching).</param>
    public PreinitReport Preinit(ReplayPolicy? policy = null, ApplyOptions? options = null, Action? beforeApply = null)
    {
        policy ??= ReplayPolicy.Default;
        Policy = policy;
        foreach (var f in Machine.Functions) Crashed[f.Address] = f.Space.Snapshot();
        var matches = DeviceMatcher.Match(Snapshot, Machine, policy);
        Plan = ReplayPlanner.Build(matches, policy);
        beforeApply?.Invoke();
        Results = ReplayApplier.Apply(Plan, Machine, options ?? new ApplyOptions { Retries = policy.Retries, RetryDelay = TimeSpan.Zero });
        Report = PreinitReport.Build(Plan, Results, TimeSpan.FromMilliseconds(1));
        return Report;
    }

    public DeviceOutcome Outcome(PciAddress a) => Report!.Devices.Single(d => d.Address == a.ToString());

    /// <summary>
    /// Every bit of the function equals firmware's, except what preinit leaves alone under the policy it ran with
    /// (<see cref="PolicyExceptions.Expectation"/>: Bus Master off and INTx Disable on for endpoints, MSI/MSI-X enables
    /// off, error status cleared, what the kernel owns as found, ...). Returns the differences found (empty when the
    /// function is back in firmware state).
    /// </summary>
    public List<string> Differences(PciAddress address, IntxPolicy? intx = null)
    {
        var fn = Machine[address];
        var now = fn.Space.Snapshot();
        var policy = intx is { } i ? new ReplayPolicy { Intx = i, BusMaster = Policy.BusMaster, ClearErrorStatus = Policy.ClearErrorStatus,
            KernelOwned = Policy.KernelOwned, NotKernelOwned = Policy.NotKernelOwned } : Policy;
        var crashed = Crashed.TryGetValue(address, out var c) ? c : now;
        var (expected, check, why, orCrashed) = PolicyExceptions.Expectation(address, fn.BootVga, fn.Space.Masks.Attributes, Firmware[address], crashed, policy, fn.Space.ResetCount > 0);
        var problems = new List<string>();
        for (int b = 0; b < now.Length; b++)
        {
            // Bits restored only under a condition hold firmware's value or the crashed one, nothing else.
            byte either = (byte)(orCrashed[b] & check[b]);
            bool eitherOk = (now[b] & either) == (expected[b] & either) || (now[b] & either) == (crashed[b] & either);
            if (((now[b] ^ expected[b]) & check[b] & ~either) == 0 && eitherOk) continue;
            var reg = fn.Space.Masks.Attributes.RegisterAt(b);
            string where = reg is null ? "" : $" {KernelRun.Name(reg)}";
            problems.Add($"{address} 0x{b:x3}{where}: now 0x{now[b]:x2}, want 0x{expected[b]:x2} (bits 0x{check[b] & (now[b] ^ expected[b]):x2}; firmware 0x{Firmware[address][b]:x2}, crashed 0x{crashed[b]:x2}{(why[b] is null ? "" : $"; rule: {why[b]}")})");
        }
        return problems;
    }

    /// <summary>Every dump the tests run the crash on: each lspci-text file under fixtures/ (the real dumps included), once.</summary>
    public static IEnumerable<string> AllDumps()
    {
        foreach (var file in Directory.EnumerateFiles(RepoPaths.Fixtures, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (file.EndsWith(".md", StringComparison.Ordinal) || file.EndsWith(".bin", StringComparison.Ordinal)
                || file.EndsWith(".json", StringComparison.Ordinal)) continue;
            LspciDump dump;
            try { dump = LspciDumpReader.ReadFile(file); }
            catch (FormatException) { continue; }
            if (dump.Functions.Count > 0) yield return Path.GetRelativePath(RepoPaths.Root, file);
        }
    }
}

/// <summary>
/// What the kernel owns of a function under the default policy (src/Preinit/Planning/KernelOwnership.cs, a table of
/// the kernel's own code: host and ISA bridges, system peripherals, the boot VGA's decode). Tests about something else
/// (restores, faults, resets) expect such a function "left-to-kernel" and as found; KernelOwnershipTests tests the
/// table itself.
/// </summary>
internal static class Owned
{
    public static bool Whole(SimulatedMachine machine, PciAddress a) =>
        KernelOwnership.Of(a, machine[a].Space.Snapshot(), machine[a].BootVga, ReplayPolicy.Default) is { Part: OwnedPart.Function };

    /// <summary>No part of it is the kernel's: an ordinary function (an endpoint ends with Bus Master off).</summary>
    public static bool None(SimulatedMachine machine, PciAddress a) =>
        KernelOwnership.Of(a, machine[a].Space.Snapshot(), machine[a].BootVga, ReplayPolicy.Default) is null;

    public static string Outcome(SimulatedMachine machine, PciAddress a) => Whole(machine, a) ? PreinitReport.LeftToKernel : PreinitReport.Restored;

    public static string Outcome(SimulatedMachine machine, string address) => Outcome(machine, PciAddress.Parse(address));
}
