using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;

namespace Preconfig.Preinit.Apply;

/// <summary>
/// The kernel's waits after a Secondary Bus Reset, as pci_bridge_wait_for_secondary_bus() and pci_dev_wait() do them
/// (drivers/pci/pci.c), with <see cref="ResetTimings"/>'s figures and every wait cut at <see cref="Bound"/>:
/// <list type="bullet">
/// <item>below a conventional PCI bridge (no PCI Express capability): 1000 + 100 ms in one go, then one look;</item>
/// <item>a port whose link can run above 5 GT/s: 20 ms, then Data Link Layer Link Active polled up to 1 s where the
/// port reports it (LnkCap DLLLARC; otherwise 1 s slept), 100 ms, then the functions polled;</item>
/// <item>5 GT/s or less: 100 ms, the functions polled until PCI_RESET_WAIT (1 s from the reset); past that only while
/// the port reports the link active, up to <see cref="ResetTimings.ReadyPoll"/>.</item>
/// </list>
/// A function is ready when its Vendor ID dword is neither a Configuration RRS completion (Vendor ID 0x0001, what a
/// root port with RRS Software Visibility returns) nor all ones; polls are 1, 2, 4 … ms apart as pci_dev_wait()'s.
/// Time is counted from what was slept (the sleeps are the only long parts; a fake clock moves the same way).
/// </summary>
internal sealed class ResetWaits(IPciAccess access, ResetTimings timings, Action<TimeSpan> sleep)
{
    /// <summary>The deadline every wait is cut at (the hard one once a reset has started).</summary>
    public Deadline Bound { get; set; } = Deadline.None;

    private TimeSpan _waited;

    /// <summary>After Secondary Bus Reset was deasserted on <paramref name="bridge"/>: waits for
    /// <paramref name="functions"/>, and returns the ones that did not come back, each with why.</summary>
    public Dictionary<PciAddress, string> AfterBusReset(PciAddress bridge, IReadOnlyList<PciAddress> functions)
    {
        _waited = TimeSpan.Zero;
        var cfg = access.Open(bridge).ReadAll();
        var pending = new List<PciAddress>(functions);
        var lost = new Dictionary<PciAddress, string>();
        if (CapabilityWalker.Walk(cfg).Find(CapabilityId.Express) is not { } exp)
        {
            Wait(timings.ConventionalWait + timings.Settle);
            Poll(pending, TimeSpan.Zero);
            return Lost(pending, lost, $"no answer {Ms(_waited)} after the reset (conventional PCI: Tpvrh + Trhfa, then one look)");
        }
        int lnkCap = exp.Offset + PciExpress.LnkCap;
        bool reportsLink = lnkCap + 4 <= cfg.Length && (ConfigBytes.U32(cfg, lnkCap) & PciExpress.LnkCapDllActiveReporting) != 0;
        if (AboveFiveGt(cfg, exp.Offset))
        {
            if (reportsLink)
            {
                Wait(timings.LinkDetect);
                if (!LinkComesUp(bridge, exp.Offset))
                    return Lost(pending, lost, $"{bridge} link not active {Ms(timings.LinkActiveTimeout)} after the reset (Data Link Layer Link Active)");
            }
            else Wait(timings.LinkActiveTimeout);
            Wait(timings.Settle);
            Poll(pending, timings.ReadyPoll);
            return Lost(pending, lost, $"still Configuration RRS or all ones {Ms(timings.ReadyPoll)} after the link came up");
        }
        Wait(timings.Settle);
        var first = timings.ResetWait - timings.Settle;
        Poll(pending, first);
        if (pending.Count == 0) return lost;
        if (!reportsLink) return Lost(pending, lost, $"no answer {Ms(timings.ResetWait)} after the reset (the port cannot report link active)");
        if (!LinkActive(bridge, exp.Offset)) return Lost(pending, lost, $"{bridge} link down {Ms(timings.ResetWait)} after the reset");
        Poll(pending, timings.ReadyPoll > first ? timings.ReadyPoll - first : TimeSpan.Zero);
        return Lost(pending, lost, $"still Configuration RRS or all ones {Ms(timings.Settle + timings.ReadyPoll)} after the reset");
    }

    /// <summary>Whether a function answers: not a Configuration RRS completion, not all ones (pci_dev_wait()).</summary>
    public static bool Ready(uint vendorDword) => (vendorDword & 0xffff) != 0x0001 && vendorDword != 0xffffffff;

    private static Dictionary<PciAddress, string> Lost(List<PciAddress> pending, Dictionary<PciAddress, string> lost, string why)
    {
        foreach (var a in pending) lost[a] = why;
        return lost;
    }

    /// <summary>pcie_get_speed_cap() above 5 GT/s: the Supported Link Speeds vector (LnkCap2) where present, else LnkCap.</summary>
    private static bool AboveFiveGt(byte[] cfg, int exp)
    {
        int cap2 = exp + PciExpress.LnkCap2;
        uint speeds = cap2 + 4 <= cfg.Length ? ConfigBytes.U32(cfg, cap2) & PciExpress.LnkCap2SpeedsMask : 0;
        if (speeds != 0) return (speeds & ~0x6u) != 0; // any speed bit above 5 GT/s (bit 2)
        int cap = exp + PciExpress.LnkCap;
        return cap + 4 <= cfg.Length && (ConfigBytes.U32(cfg, cap) & PciExpress.LnkCapSpeedMask) > 2;
    }

    private bool LinkActive(PciAddress bridge, int exp) =>
        (access.Open(bridge).ReadWord(exp + PciExpress.LnkSta) & PciExpress.LnkStaDllActive) != 0;

    private bool LinkComesUp(PciAddress bridge, int exp)
    {
        var start = _waited;
        while (true)
        {
            if (LinkActive(bridge, exp)) return true;
            if (_waited - start >= timings.LinkActiveTimeout || Bound.Expired) return false;
            Wait(timings.LinkPoll);
        }
    }

    /// <summary>Polls <paramref name="pending"/> (removing each that answers) for up to <paramref name="span"/>.</summary>
    private void Poll(List<PciAddress> pending, TimeSpan span)
    {
        var start = _waited;
        var delay = timings.FirstPoll;
        while (true)
        {
            pending.RemoveAll(a => Ready(ReadVendor(a)));
            var spent = _waited - start;
            if (pending.Count == 0 || spent >= span || Bound.Expired) return;
            Wait(delay < span - spent ? delay : span - spent);
            delay *= 2;
        }
    }

    private uint ReadVendor(PciAddress a)
    {
        try { return access.Open(a).ReadDword(Header.VendorId); }
        catch (DeviceRemovedException) { return 0xffffffff; }
        catch (IOException) { return 0xffffffff; }
    }

    private void Wait(TimeSpan wanted)
    {
        var left = Bound.Remaining;
        var span = wanted < left ? wanted : left;
        if (span <= TimeSpan.Zero) return;
        sleep(span);
        _waited += span;
    }

    private static string Ms(TimeSpan t) => $"{t.TotalMilliseconds:0} ms";
}
