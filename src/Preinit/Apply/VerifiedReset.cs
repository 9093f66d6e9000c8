using System.Diagnostics;
using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Planning;

namespace Preconfig.Preinit.Apply;

/// <summary>One reset method tried on one function.</summary>
/// <param name="Status">What the request returned (sysfs write status, or the bridge's steps).</param>
/// <param name="Evidence">What config space showed afterwards: which marker registers went back to their reset value.</param>
public sealed record ResetAttempt(string Method, string Status, bool Verified, double Ms, string Evidence);

/// <summary>Every method tried on a function, in order; the last one is verified when the reset is.</summary>
/// <param name="StillRunning">A request had not returned at the deadline: the function must not be touched again.</param>
public sealed record ResetResult(IReadOnlyList<ResetAttempt> Attempts, bool Verifiable = true, bool StillRunning = false)
{
    public bool Verified => Attempts.Count > 0 && Attempts[^1].Verified;
    public string Method => Attempts.Count > 0 ? Attempts[^1].Method : "";
    public double Ms
    {
        get
        {
            double ms = 0;
            foreach (var a in Attempts) ms += a.Ms;
            return ms;
        }
    }
}

/// <summary>
/// Resets a function by each of the step's methods in turn until config space shows the reset took effect, whatever
/// the request returned: the kernel's "pm" reset often reports success and does nothing, and a "bus" reset can
/// report ENOTTY after the port's link-active timeout and still have worked.
///
/// What is checked ("markers": bits that are non-zero just before the reset and whose reset value is zero):
/// <list type="bullet">
/// <item>MSI Message Address (and MSI-X Function Mask). Writing <c>reset</c> in sysfs runs pci_reset_function(),
/// which saves the header and the PCI Express/LTR/AER/L1SS/DPC/PTM controls before the reset and writes them back
/// after it, so Command and the BARs read the same whether or not anything was reset. MSI and MSI-X are restored only
/// for a driver that enabled them (pci_restore_msi_state() returns early otherwise), and no driver is bound here. Both
/// are plain read-write fields whose reset value is 0 (FLR and conventional reset clear every non-sticky RW field but
/// a short list in DevCtl/LnkCtl), and writing them is harmless once quiesce has turned MSI and MSI-X off: the
/// address is set to the x86 interrupt window if it reads 0, Function Mask is set; the restore writes the snapshot's
/// values afterwards.</item>
/// <item>For the "bridge" method (our own Secondary Bus Reset, nothing restores behind us) also the Command bits that
/// read 1 (INTx Disable after quiesce) and every BAR's address bits: the reset clears them all. Interrupt Line and
/// Cache Line Size are not used: the kernel restores them with the header, and FLR is not required to clear the
/// former.</item>
/// </list>
/// A function with neither MSI nor MSI-X cannot be verified after a sysfs reset: the result says "not verifiable" and
/// no further method is tried (another reset would not be verifiable either).
/// </summary>
public sealed class VerifiedReset(IPciAccess access, ApplyOptions options)
{
    /// <summary>The x86 MSI window: where a marker address would point if anything ever used it.</summary>
    public const uint MarkerMsiAddress = 0xfee00000;

    private readonly record struct Marker(string Name, int Offset, int Width, uint Bits);

    // Bridges already reset in this run, and the markers their reset was checked against, per function below them.
    private readonly Dictionary<PciAddress, (string Status, Dictionary<PciAddress, List<Marker>> Markers)> _bridgesReset = [];

    private readonly ResetWaits _waits = new(access, options.Timings, options.Sleep);
    private Deadline _bound = Deadline.None;

    /// <summary>Resets by the step's methods in turn, every wait cut at <paramref name="bound"/> (the hard deadline:
    /// a started reset's unit was allowed its worst wait before the soft one).</summary>
    /// <param name="restore">What the restore after it is allowed: a method starts only when the time left before
    /// the soft deadline covers its worst wait and this.</param>
    public ResetResult Run(PlanStep step, Deadline bound, TimeSpan restore)
    {
        _bound = _waits.Bound = bound;
        var attempts = new List<ResetAttempt>();
        foreach (string method in step.ResetMethods)
        {
            if (bound.Expired)
            {
                attempts.Add(new ResetAttempt(method, "not tried: deadline reached", false, 0, ""));
                break;
            }
            bool done = method == "bridge" && step.ResetBridge is { } b && _bridgesReset.ContainsKey(b);
            var need = options.Timings.Worst(method) + restore;
            if (!done && options.Deadline.Remaining < need)
            {
                attempts.Add(new ResetAttempt(method, $"not tried: {UnitGate.Ms(options.Deadline.Remaining)} left before the deadline, a reset by {method} and the restore need up to {UnitGate.Ms(need)}", false, 0, ""));
                break;
            }
            var clock = Stopwatch.StartNew();
            string status;
            List<Marker> markers;
            if (method == "bridge")
            {
                if (step.ResetBridge is not { } bridge) continue;
                (status, markers) = BridgeReset(bridge, step);
            }
            else
            {
                markers = Prepare(step.Address, ourReset: false);
                var outcome = Request(step.Address, method);
                if (outcome.Abandoned)
                {
                    // The kernel may wait up to 60 s for a device that answers with retries; we do not. It restores
                    // the header itself when its wait ends (pci_reset_function(): pci_dev_restore()).
                    attempts.Add(new ResetAttempt(method, $"{outcome.Detail}: abandoned, the kernel is still resetting (it restores the header itself when done)", false, Ms(clock), ""));
                    return new ResetResult(attempts, StillRunning: true);
                }
                if (markers.Count == 0)
                {
                    attempts.Add(new ResetAttempt(method, outcome.Detail, false, Ms(clock),
                        "not verifiable: no MSI or MSI-X (the kernel restores everything else it resets)"));
                    return new ResetResult(attempts, Verifiable: false);
                }
                status = outcome.Detail;
            }
            var (verified, evidence) = Check(step.Address, markers);
            attempts.Add(new ResetAttempt(method, status, verified, Ms(clock), evidence));
            if (verified) break;
        }
        return new ResetResult(attempts);
    }

    /// <summary>
    /// The sysfs-style request, bounded: writing <c>reset</c> blocks in the kernel (pci_dev_wait() allows a device up
    /// to 60 s, asleep uninterruptibly). An access that bounds the write itself (sysfs: a child process abandoned at the
    /// bound, <see cref="IPciAccess.BoundsResets"/>) is called with the bound; any other runs on its own thread, joined
    /// up to the bound; <see cref="ResetOutcome.Abandoned"/> when it had not returned by then.
    /// </summary>
    private ResetOutcome Request(PciAddress address, string method)
    {
        var left = _bound.Remaining;
        var worst = options.Timings.Worst(method);
        var bound = worst < left ? worst : left;
        if (left == TimeSpan.MaxValue && !access.BoundsResets) return options.ResetStep.Reset(access, address, method, bound);
        if (access.BoundsResets) return options.ResetStep.Reset(access, address, method, bound);
        ResetOutcome? outcome = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try { outcome = options.ResetStep.Reset(access, address, method, bound); }
            catch (Exception e) { failure = e; }
        }) { IsBackground = true, Name = $"reset {address}" };
        thread.Start();
        if (!thread.Join(bound)) return new ResetOutcome(false, $"reset by {method}: no return within {bound.TotalMilliseconds:0} ms", Abandoned: true);
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        return outcome!;
    }

    private static double Ms(Stopwatch clock) => Math.Round(clock.Elapsed.TotalMilliseconds, 3);

    /// <summary>
    /// Secondary Bus Reset through the parent's Bridge Control, as pci_reset_secondary_bus() does: assert, hold 2 ms
    /// (the spec's Trst is 1 ms), deassert, then the kernel's waits (<see cref="ResetWaits"/>) for every function below.
    /// Done once per bridge in a run.
    /// </summary>
    private (string Status, List<Marker> Markers) BridgeReset(PciAddress bridge, PlanStep step)
    {
        if (_bridgesReset.TryGetValue(bridge, out var done))
            return ($"{bridge} secondary bus reset already done in this run ({done.Status})",
                done.Markers.TryGetValue(step.Address, out var m) ? m : []);
        var markers = new Dictionary<PciAddress, List<Marker>>();
        foreach (var a in step.ResetGroup.Count > 0 ? step.ResetGroup : [step.Address])
            markers[a] = Prepare(a, ourReset: true);
        var space = access.Open(bridge);
        if ((space.ReadByte(Header.HeaderType) & 0x7f) != (int)HeaderType.Bridge)
            return ($"{bridge} is not a bridge", markers.GetValueOrDefault(step.Address) ?? []);
        // Discard Timer Status is write-1-to-clear: written as 0 so the reset does not clear it.
        ushort control = (ushort)(space.ReadWord(Type1.BridgeControl) & ~(ushort)BridgeControl.DiscardTimerStatus);
        space.WriteWord(Type1.BridgeControl, (ushort)(control | (ushort)BridgeControl.BusReset));
        options.Sleep(options.Timings.BusResetHold);
        space.WriteWord(Type1.BridgeControl, (ushort)(control & ~(ushort)BridgeControl.BusReset));
        string status = $"{bridge} Bridge Control Secondary Bus Reset asserted {options.Timings.BusResetHold.TotalMilliseconds:0} ms";
        foreach (var (a, why) in _waits.AfterBusReset(bridge, [.. markers.Keys]))
            status += $"; {a} did not come back: {why}";
        _bridgesReset[bridge] = (status, markers);
        return (status, markers[step.Address]);
    }

    /// <summary>Makes the function's state observably not-reset, and returns the bits that must read 0 after a reset.</summary>
    private List<Marker> Prepare(PciAddress address, bool ourReset)
    {
        var space = access.Open(address);
        var cfg = space.ReadAll();
        var markers = new List<Marker>();
        var walk = CapabilityWalker.Walk(cfg);
        if (walk.Find(CapabilityId.Msi) is { } msi)
        {
            int at = msi.Offset + Msi.AddressLo;
            if ((space.ReadDword(at) & 0xfffffffc) == 0) space.WriteDword(at, MarkerMsiAddress);
            if ((space.ReadDword(at) & 0xfffffffc) != 0) markers.Add(new Marker("MSI address", at, 4, 0xfffffffc));
        }
        if (walk.Find(CapabilityId.MsiX) is { } msix)
        {
            int at = msix.Offset + MsiX.Flags;
            ushort flags = space.ReadWord(at);
            if ((flags & MsiX.FlagsMaskAll) == 0) space.WriteWord(at, (ushort)(flags | MsiX.FlagsMaskAll));
            if ((space.ReadWord(at) & MsiX.FlagsMaskAll) != 0) markers.Add(new Marker("MSI-X Function Mask", at, 2, MsiX.FlagsMaskAll));
        }
        if (!ourReset) return markers;
        const uint commandBits = (uint)(Command.Io | Command.Memory | Command.BusMaster | Command.Parity | Command.Serr | Command.IntxDisable);
        uint command = space.ReadWord(Header.Command) & commandBits;
        if (command != 0) markers.Add(new Marker("Command", Header.Command, 2, command));
        if (ConfigBytes.HeaderKind(cfg) == HeaderType.Normal)
        {
            for (int i = 0; i < Type0.BarCount; i++)
            {
                int at = Type0.BaseAddress0 + 4 * i;
                uint low = ConfigBytes.U32(cfg, at);
                bool io = (low & BaseAddress.SpaceIo) != 0;
                uint bits = low & (io ? BaseAddress.IoMask : BaseAddress.MemMask);
                if (bits != 0) markers.Add(new Marker($"BAR{i}", at, 4, bits));
                if (!io && (low & BaseAddress.MemTypeMask) == BaseAddress.MemType64 && i + 1 < Type0.BarCount)
                {
                    i++;
                    uint high = ConfigBytes.U32(cfg, at + 4);
                    if (high != 0) markers.Add(new Marker($"BAR{i}", at + 4, 4, high));
                }
            }
        }
        return markers;
    }

    /// <summary>Verified when the function answers and every marker reads its reset value.</summary>
    private (bool Verified, string Evidence) Check(PciAddress address, List<Marker> markers)
    {
        var space = access.Open(address);
        if (space.ReadWord(Header.VendorId) == 0xffff) return (false, "the function does not answer (reads all ones)");
        if (markers.Count == 0) return (false, "nothing to check");
        var kept = new List<string>();
        foreach (var m in markers)
        {
            uint v = m.Width == 2 ? space.ReadWord(m.Offset) : space.ReadDword(m.Offset);
            if ((v & m.Bits) != 0) kept.Add($"{m.Name} 0x{v & m.Bits:x}");
        }
        var markerNames = new List<string>(markers.Count);
        foreach (var m in markers) markerNames.Add(m.Name);
        string names = string.Join(", ", markerNames);
        return kept.Count == 0
            ? (true, $"back to reset values: {names}")
            : (false, $"not reset: {string.Join(", ", kept)} unchanged" + (kept.Count < markers.Count ? " (others cleared)" : ""));
    }
}
