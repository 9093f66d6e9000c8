namespace Preconfig.Preinit.Apply;

/// <summary>
/// Every wait around a reset, in one place: the kernel's own figures (drivers/pci/pci.c), each named after the code it
/// comes from, and the bounds that are ours. docs/preinit.md "Reset waits" lists them; <see cref="Rows"/> is that
/// table, so code, docs and tests read the same numbers.
/// </summary>
public sealed record ResetTimings
{
    /// <summary>The kernel's figures with our default bounds.</summary>
    public static readonly ResetTimings Kernel = new();

    /// <summary>Secondary Bus Reset held asserted: pci_reset_secondary_bus() msleep(2) (Trst 1 ms, doubled).</summary>
    public TimeSpan BusResetHold { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Before the first look at Data Link Layer Link Active: pcie_wait_for_link_delay() msleep(20) (a
    /// component enters LTSSM Detect within 20 ms, PCIe r4.0 sec 6.6.1).</summary>
    public TimeSpan LinkDetect { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>How long the link may take to come back: PCIE_LINK_RETRAIN_TIMEOUT_MS. On a port that cannot report
    /// link active the kernel sleeps this long instead (pcie_wait_for_link_delay()).</summary>
    public TimeSpan LinkActiveTimeout { get; init; } = TimeSpan.FromMilliseconds(1000);

    /// <summary>Between looks at the link: pcie_wait_for_link_status() polls every 10 ms or so.</summary>
    public TimeSpan LinkPoll { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>After the reset (or after link active) before the first config request: pci_bus_max_d3cold_delay()'s
    /// default PCI_PM_D3COLD_WAIT, and pcie_flr()'s msleep(100).</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>PCI_RESET_WAIT: the time after a reset before software may call a silent function broken; on a link of
    /// 5 GT/s or less whose port cannot report link active, the kernel polls no longer than this in all
    /// (pci_bridge_wait_for_secondary_bus()).</summary>
    public TimeSpan ResetWait { get; init; } = TimeSpan.FromMilliseconds(1000);

    /// <summary>Below a conventional PCI bridge: Tpvrh + Trhfa (2^25 clocks at 33 MHz), slept in one go before any
    /// config request: msleep(1000 + delay) in pci_bridge_wait_for_secondary_bus().</summary>
    public TimeSpan ConventionalWait { get; init; } = TimeSpan.FromMilliseconds(1000);

    /// <summary>Ours: how long a function may answer Configuration RRS (or all ones) after <see cref="Settle"/>
    /// before it is reported "did not come back". The kernel allows PCIE_RESET_READY_POLL_MS (60 s); ours is bounded
    /// by the hard deadline (<c>--reset-ready-ms</c>).</summary>
    public TimeSpan ReadyPoll { get; init; } = TimeSpan.FromMilliseconds(1000);

    /// <summary>The first interval between ready polls, doubled after each (pci_dev_wait(): delay = 1, delay *= 2).</summary>
    public TimeSpan FirstPoll { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Ours: starting the child process that writes sysfs <c>reset</c> (the AOT binary starts in tens of
    /// milliseconds; this leaves room on a slow capture kernel).</summary>
    public TimeSpan ChildStart { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Ours: what one restore write (a config write and its read-back) is allowed when deciding whether a
    /// reset may start (sysfs config writes take microseconds; a retried one up to <see cref="ApplyOptions.Retries"/>
    /// times as long).</summary>
    public TimeSpan PerRestoreStep { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>The longest a Secondary Bus Reset through a bridge can wait before its functions answer (or are given
    /// up): <paramref name="conventional"/> for a bridge without a PCI Express capability.</summary>
    public TimeSpan BusWorst(bool conventional) => conventional
        ? BusResetHold + ConventionalWait + Settle
        : BusResetHold + LinkDetect + LinkActiveTimeout + Settle + ReadyPoll;

    /// <summary>The longest a reset by <paramref name="method"/> is waited for: ours through a bridge, or the kernel's
    /// (a sysfs write in a child process, abandoned past this). "bus" is the kernel's Secondary Bus Reset.</summary>
    public TimeSpan Worst(string method, bool conventional = false) => method switch
    {
        "bridge" => BusWorst(conventional),
        "bus" or "cxl_bus" => ChildStart + BusWorst(conventional),
        _ => ChildStart + Settle + ReadyPoll,
    };

    /// <summary>docs/preinit.md's "Reset waits" table, as generated from <see cref="Rows"/> (a test holds the file to it).</summary>
    public string Markdown()
    {
        var sb = new System.Text.StringBuilder("| wait | ms | from |\n|---|---|---|\n");
        foreach (var (name, value, source) in Rows) sb.Append("| `").Append(name).Append("` | ").Append(value.TotalMilliseconds).Append(" | ").Append(source).Append(" |\n");
        return sb.ToString();
    }

    /// <summary>The table docs/preinit.md shows: name, value, where it comes from.</summary>
    public IReadOnlyList<(string Name, TimeSpan Value, string Source)> Rows =>
    [
        (nameof(BusResetHold), BusResetHold, "pci_reset_secondary_bus(): msleep(2)"),
        (nameof(LinkDetect), LinkDetect, "pcie_wait_for_link_delay(): msleep(20)"),
        (nameof(LinkActiveTimeout), LinkActiveTimeout, "PCIE_LINK_RETRAIN_TIMEOUT_MS"),
        (nameof(LinkPoll), LinkPoll, "pcie_wait_for_link_status()"),
        (nameof(Settle), Settle, "PCI_PM_D3COLD_WAIT (pci_bus_max_d3cold_delay()), pcie_flr() msleep(100)"),
        (nameof(ResetWait), ResetWait, "PCI_RESET_WAIT"),
        (nameof(ConventionalWait), ConventionalWait, "pci_bridge_wait_for_secondary_bus(): msleep(1000 + delay)"),
        (nameof(ReadyPoll), ReadyPoll, "ours, --reset-ready-ms (the kernel: PCIE_RESET_READY_POLL_MS, 60 s)"),
        (nameof(FirstPoll), FirstPoll, "pci_dev_wait(): delay = 1, doubled"),
        (nameof(ChildStart), ChildStart, "ours: starting the reset child"),
        (nameof(PerRestoreStep), PerRestoreStep, "ours: one restore write, in the start decision"),
    ];
}
