using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Lspci;
using Preconfig.ConfigSpace.Registers;
using Preconfig.ConfigSpace.Simulation;
using Preconfig.Handoff.Model;
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

    public SimulatedCrash Dirty(int seed = 1)
    {
        KernelRun.Dirty(Machine, seed);
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
        var matches = DeviceMatcher.Match(Snapshot, Machine, policy);
        Plan = ReplayPlanner.Build(matches, policy);
        beforeApply?.Invoke();
        Results = ReplayApplier.Apply(Plan, Machine, options ?? new ApplyOptions { Retries = policy.Retries, RetryDelay = TimeSpan.Zero });
        Report = PreinitReport.Build(Plan, Results, TimeSpan.FromMilliseconds(1));
        return Report;
    }

    public DeviceOutcome Outcome(PciAddress a) => Report!.Devices.Single(d => d.Address == a.ToString());

    /// <summary>
    /// Every writable, non-write-1-to-clear bit equals firmware, except: an endpoint's Bus Master off and INTx Disable
    /// on (policy defaults), MSI and MSI-X Enable off; Status, Secondary Status, DevSta and AER status error bits
    /// clear; and what preinit leaves to the kernel whatever it finds (<see cref="LeftAlone"/>, its unconditional
    /// entries). Returns the differences found (empty when the function is back in firmware state).
    /// </summary>
    public List<string> Differences(PciAddress address, IntxPolicy intx = IntxPolicy.Disabled, ReplayPolicy? policy = null)
    {
        var fn = Machine[address];
        var now = fn.Space.Snapshot();
        var fw = Firmware[address];
        policy ??= new ReplayPolicy { Intx = intx };
        var skip = new byte[now.Length];     // bits preinit does not restore under this policy
        foreach (var e in LeftAlone.For(fw, policy).Where(e => !e.Conditional))
            for (int i = 0; i < e.Length && e.Offset + i < skip.Length; i++)
                skip[e.Offset + i] |= e.Length <= 4 ? (byte)(e.Mask >> (8 * i)) : (byte)0xff;
        var exempt = new byte[now.Length];   // bits whose expected value is fixed below, not firmware's
        var expected = (byte[])fw.Clone();
        bool endpoint = ConfigBytes.HeaderKind(fw) == HeaderType.Normal;
        void Fix(int offset, uint bits, bool on)
        {
            for (int i = 0; i < 4 && offset + i < now.Length; i++)
            {
                byte b = (byte)(bits >> (8 * i));
                exempt[offset + i] |= b;
                expected[offset + i] = on ? (byte)(expected[offset + i] | b) : (byte)(expected[offset + i] & ~b);
            }
        }
        if (endpoint)
        {
            Fix(Header.Command, (uint)Command.BusMaster, false);
            if (intx == IntxPolicy.Disabled) Fix(Header.Command, (uint)Command.IntxDisable, true);
        }
        var walk = CapabilityWalker.Walk(fw);
        if (walk.Find(CapabilityId.Msi) is { } msi) Fix(msi.Offset + Msi.Flags, Msi.FlagsEnable, false);
        if (walk.Find(CapabilityId.MsiX) is { } msix) Fix(msix.Offset + MsiX.Flags, MsiX.FlagsEnable, false);

        var problems = new List<string>();
        for (int i = 0; i < now.Length; i++)
        {
            byte w = fn.Space.Masks.Writable[i];
            byte check = (byte)((w & ~skip[i]) | exempt[i]);
            if ((now[i] & check) != (expected[i] & check))
                problems.Add($"{address} 0x{i:x3}: now 0x{now[i]:x2}, want 0x{expected[i]:x2} (bits 0x{check:x2})");
        }
        void MustBeClear(int offset, int width, uint bits, string name)
        {
            if (offset + width > now.Length) return;
            uint v = 0;
            for (int i = 0; i < width; i++) v |= (uint)now[offset + i] << (8 * i);
            if ((v & bits) != 0) problems.Add($"{address} {name}: error bits 0x{v & bits:x} still set");
        }
        MustBeClear(Header.Status, 2, (uint)Status.ErrorBits, "Status");
        if (ConfigBytes.HeaderKind(fw) == HeaderType.Bridge) MustBeClear(Type1.SecStatus, 2, (uint)Status.ErrorBits, "SecStatus");
        if (walk.Find(CapabilityId.Express) is { } exp) MustBeClear(exp.Offset + PciExpress.DevSta, 2, PciExpress.DevStaErrorBits, "DevSta");
        if (walk.Find(ExtendedCapabilityId.Aer) is { } aer)
        {
            MustBeClear(aer.Offset + Aer.UncorStatus, 4, 0xffffffff, "AER UncorStatus");
            MustBeClear(aer.Offset + Aer.CorStatus, 4, 0xffffffff, "AER CorStatus");
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
