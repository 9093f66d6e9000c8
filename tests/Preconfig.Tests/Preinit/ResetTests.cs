using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Apply;
using Preconfig.Preinit.Policy;
using Preconfig.Preinit.Reporting;

namespace Preconfig.Tests.Preinit;

/// <summary>Issue 8's "resets that really reset", on the simulator: every reset is checked in config space.</summary>
public class ResetTests
{
    // The Realtek NIC (class 0200, MSI and MSI-X) alone on bus 7; the LSI SAS controller (class 0107) alone on bus 4.
    internal static readonly PciAddress Nic = PciAddress.Parse("0000:07:00.0");
    private static readonly PciAddress Sas = PciAddress.Parse("0000:04:00.0");
    internal static readonly PciAddress Vga = PciAddress.Parse("0000:06:00.0");
    internal static readonly PciAddress Audio = PciAddress.Parse("0000:06:00.1");

    internal static SimulatedCrash Crash(params (PciAddress Address, string[] Methods)[] offered)
    {
        var crash = SimulatedCrash.FromDump(Path.Combine(RepoPaths.RealDumps, "pciutils-tests/tree-asus-p6t6")).Dirty(seed: 5);
        foreach (var f in crash.Machine.Functions) f.ResetMethods.Clear();
        foreach (var (a, methods) in offered) crash.Machine[a].ResetMethods.AddRange(methods);
        return crash;
    }

    private static ApplyOptions Options(List<TimeSpan>? sleeps = null, Deadline? deadline = null) => new()
    {
        RetryDelay = TimeSpan.Zero,
        Sleep = t => sleeps?.Add(t),
        Deadline = deadline ?? Deadline.None,
    };

    private static ReplayPolicy Policy(string json) => ReplayPolicy.Parse(json);

    private const string NetworkAndStorage = """
        {"reset": [{"match": {"class": "0x02"}, "reset": "if-supported"}, {"match": {"class": "0x01"}, "reset": "if-supported"}]}
        """;

    [Fact]
    public void Flr_is_verified_and_the_device_restored()
    {
        var crash = Crash((Nic, ["flr", "pm", "bus"]));
        crash.Preinit(Policy(NetworkAndStorage), Options());
        var d = crash.Outcome(Nic);
        Assert.Equal(PreinitReport.Restored, d.Outcome);
        Assert.NotNull(d.Reset);
        Assert.Equal(("flr", true), (d.Reset!.Method, d.Reset.Verified));
        Assert.Single(d.Reset.Attempts);
        Assert.Contains("MSI address", d.Reset.Attempts[0].Evidence);
        Assert.Equal(1, crash.Machine[Nic].Space.ResetCount);
        Assert.Empty(crash.Differences(Nic));
        Assert.Matches(@", (\d+) of \1 reset\(s\) verified \(", crash.Report!.Summary);
    }

    [Fact]
    public void A_pm_reset_that_does_nothing_is_not_verified_and_the_next_method_is_tried()
    {
        var crash = Crash((Nic, ["pm", "bus"]));
        crash.Machine[Nic].ResetBehaviors["pm"] = ResetBehavior.Noop;
        crash.Preinit(Policy("""{"reset": [{"match": "class:02", "reset": "if-supported", "methods": ["pm", "bus"]}]}"""), Options());
        var r = crash.Outcome(Nic).Reset!;
        Assert.Equal(["pm", "bus"], r.Attempts.Select(a => a.Method));
        Assert.False(r.Attempts[0].Verified);
        Assert.Contains("ok", r.Attempts[0].Status);         // pm said it worked
        Assert.Contains("unchanged", r.Attempts[0].Evidence);  // config space says it did not
        Assert.True(r.Verified);
        Assert.Equal(1, crash.Machine[Nic].Space.ResetCount);
        Assert.Equal(PreinitReport.Restored, crash.Outcome(Nic).Outcome);
        Assert.Empty(crash.Differences(Nic));
    }

    [Fact]
    public void Pm_alone_is_reported_unverified_and_pm_is_never_used_unless_the_policy_lists_it()
    {
        var crash = Crash((Nic, ["pm"]));
        crash.Preinit(Policy("""{"reset": "if-supported", "resetMethods": ["flr", "pm"]}"""), Options());
        var d = crash.Outcome(Nic);
        Assert.Equal(PreinitReport.Failed, d.Outcome);
        Assert.False(d.Reset!.Verified);
        Assert.Contains("reset not verified", d.Reason);
        Assert.Empty(crash.Differences(Nic)); // restored all the same

        var again = Crash((Nic, ["pm"]));
        again.Preinit(Policy(NetworkAndStorage), Options());
        Assert.Null(again.Outcome(Nic).Reset);
        Assert.Contains("no allowed reset method offered (offered: pm; allowed: flr bus bridge", again.Outcome(Nic).Reason);
    }

    [Fact]
    public void A_bus_reset_that_reports_an_error_but_worked_is_verified()
    {
        var crash = Crash((Nic, ["bus"]));
        crash.Machine[Nic].ResetBehaviors["bus"] = ResetBehavior.ErrorButWorks;
        crash.Preinit(Policy(NetworkAndStorage), Options());
        var r = crash.Outcome(Nic).Reset!;
        Assert.Equal(("bus", true), (r.Method, r.Verified));
        Assert.Contains("Inappropriate ioctl", r.Status);
        Assert.Equal(PreinitReport.Restored, crash.Outcome(Nic).Outcome);
        Assert.Empty(crash.Differences(Nic));
    }

    [Fact]
    public void A_failing_reset_is_reported_failed_and_the_device_is_still_restored()
    {
        var crash = Crash((Sas, ["flr"]));
        crash.Machine[Sas].ResetBehaviors["flr"] = ResetBehavior.Fails;
        crash.Preinit(Policy("""{"reset": [{"match": "class:01", "reset": "if-supported", "methods": ["flr"]}]}"""), Options());
        var d = crash.Outcome(Sas);
        Assert.Equal(PreinitReport.Failed, d.Outcome);
        Assert.Contains("EIO", d.Reset!.Status);
        Assert.False(d.Reset.Verified);
        Assert.Equal(0, crash.Machine[Sas].Space.ResetCount);
        Assert.Empty(crash.Differences(Sas));
        Assert.False(crash.Machine[Sas].Space.DmaAllowed);
    }

    [Fact]
    public void The_vga_console_and_never_devices_are_not_reset()
    {
        var crash = Crash((Vga, ["flr"]), (Audio, ["flr"]), (Nic, ["flr"]), (Sas, ["flr"]));
        crash.Preinit(Policy("""
            {"reset": [{"match": {"device": "1000:*"}, "reset": "never"},
                       {"match": {"address": "0000:07:00.0"}, "reset": "never"},
                       {"match": "class:01", "reset": "if-supported"}, {"match": {"class": "03"}, "reset": "if-supported"},
                       {"match": {"class": "0x0403"}, "reset": "if-supported"}, {"match": {"class": "02"}, "reset": "if-supported"}]}
            """), Options());
        Assert.Equal(0, crash.Machine[Vga].Space.ResetCount);
        Assert.Contains("VGA console", crash.Outcome(Vga).Reason);
        Assert.Equal(0, crash.Machine[Sas].Space.ResetCount);   // "never" wins over the class rule
        Assert.Contains("reset never", crash.Outcome(Sas).Reason);
        Assert.Equal(0, crash.Machine[Nic].Space.ResetCount);
        Assert.Equal(1, crash.Machine[Audio].Space.ResetCount);
        Assert.All(new[] { Vga, Sas, Nic, Audio }, a => Assert.Empty(crash.Differences(a)));
    }

    [Fact]
    public void Boot_vga_decides_which_device_is_the_console()
    {
        var crash = Crash((Vga, ["flr"]), (Audio, ["flr"]));
        crash.Machine[Vga].BootVga = false; // a second VGA card: may be reset
        crash.Machine[Audio].BootVga = true;
        crash.Preinit(Policy("""{"reset": "if-supported"}"""), Options());
        Assert.Equal(1, crash.Machine[Vga].Space.ResetCount);
        Assert.Equal(0, crash.Machine[Audio].Space.ResetCount);
    }

    // Policy for the SAS controller alone on bus 4 (its parent 00:07.0 has no hot-plug slot; 07:00.0's parent 00:1c.2 has
    // one, so the bridge method never applies there) that prefers preinit's own Secondary Bus Reset through the parent bridge.
    private const string SasBridgeFirst = """
        {"resetMethods": ["bridge", "bus", "flr"], "reset": [{"match": {"class": "0x01"}, "reset": "if-supported"}]}
        """;

    [Fact]
    public void The_parent_bridge_reset_is_planned_for_a_function_alone_on_its_bus_that_offers_bus()
    {
        // The kernel offers "bus" (pci_parent_bus_reset()) only for a function alone on its bus and not marked
        // PCI_DEV_FLAGS_NO_BUS_RESET: exactly when a Secondary Bus Reset through the parent reaches nothing else.
        var crash = Crash((Sas, ["bus"]));
        var parent = crash.Machine.Functions.Single(f => ConfigBytes.HeaderKind(f.Space.Snapshot()) == HeaderType.Bridge && f.Space.Snapshot()[Type1.SecondaryBus] == 4);
        crash.Preinit(Policy(SasBridgeFirst), Options());
        var step = crash.Plan!.StepsFor(Sas).Single(s => s.Kind == Preconfig.Preinit.Planning.StepKind.Reset);
        Assert.Equal(["bridge", "bus"], step.ResetMethods);
        Assert.Equal(parent.Address, step.ResetBridge);
        Assert.NotNull(crash.Outcome(Sas).Reset);
        Assert.Empty(crash.Differences(Sas));
        Assert.False(parent.Space.SecondaryBusResetAsserted);
    }

    [Fact]
    public void A_function_that_offers_flr_alone_never_gets_its_parent_bridge_reset()
    {
        // Issue 20 item 1: the capture kernel left "bus" out of reset_method (a no-bus-reset quirk, or another
        // function on the bus): preinit's Secondary Bus Reset would do what the kernel refuses to.
        var crash = Crash((Sas, ["flr"]));
        var parent = crash.Machine.Functions.Single(f => ConfigBytes.HeaderKind(f.Space.Snapshot()) == HeaderType.Bridge && f.Space.Snapshot()[Type1.SecondaryBus] == 4);
        crash.Preinit(Policy(SasBridgeFirst), Options());
        Assert.Equal("flr", crash.Outcome(Sas).Reset!.Method);
        Assert.Equal(1, crash.Machine[Sas].Space.ResetCount);
        Assert.False(parent.Space.SecondaryBusResetAsserted);

        // A multi-function device: the kernel offers "bus" for neither function, so no bridge reset reaches them.
        var shared = Crash((Vga, []), (Audio, []));
        shared.Machine[Vga].BootVga = false;
        shared.Preinit(Policy("""{"resetMethods": ["bridge"], "reset": [{"match": "class:03", "reset": "if-supported"}, {"match": "class:0403", "reset": "if-supported"}]}"""), Options());
        Assert.Null(shared.Outcome(Audio).Reset);
        Assert.Contains("0000:06:00.0 below", shared.Outcome(Audio).Reason);
        Assert.Contains("does not offer bus", shared.Outcome(Audio).Reason);
        Assert.Equal(0, shared.Machine[Vga].Space.ResetCount);
        Assert.Equal(0, shared.Machine[Audio].Space.ResetCount);

        // Every function below offers "bus" (a hand-written tree), but one may not be reset: the bus reset would hit it.
        var denied = Crash((Vga, ["bus"]), (Audio, ["bus"]));
        denied.Machine[Vga].BootVga = false;
        denied.Preinit(Policy("""{"resetMethods": ["bridge"], "resetDeny": ["0000:06:00.0"], "reset": [{"match": "class:03", "reset": "if-supported"}, {"match": "class:0403", "reset": "if-supported"}]}"""), Options());
        Assert.Null(denied.Outcome(Audio).Reset);
        Assert.Contains("0000:06:00.0 below", denied.Outcome(Audio).Reason);
        Assert.Equal(0, denied.Machine[Audio].Space.ResetCount);
    }

    [Fact]
    public void A_function_offering_device_specific_is_reset_by_the_kernel_with_its_own_reset_first()
    {
        // drivers/pci/pci.c pci_reset_fn_methods[]: device_specific ranks first; the SAS controller offers it with
        // bus (a hand-made tree): the policy's "bridge" would bypass it, so the reset goes through sysfs, and what is
        // written to reset_method keeps device_specific first (the dry-run shows the same line).
        var crash = Crash((Sas, ["device_specific", "bus"]));
        var parent = crash.Machine.Functions.Single(f => ConfigBytes.HeaderKind(f.Space.Snapshot()) == HeaderType.Bridge && f.Space.Snapshot()[Type1.SecondaryBus] == 4);
        crash.Preinit(Policy(SasBridgeFirst), Options());
        var step = crash.Plan!.StepsFor(Sas).Single(s => s.Kind == Preconfig.Preinit.Planning.StepKind.Reset);
        Assert.Equal(["bus"], step.ResetMethods);
        Assert.Null(step.ResetBridge);
        Assert.False(parent.Space.SecondaryBusResetAsserted);
        Assert.Contains("after the kernel's device_specific reset", step.Description);
        string script = Preconfig.Preinit.Planning.SetpciScript.Render(crash.Plan!, "/sys/bus/pci");
        Assert.Contains($"echo device_specific bus > /sys/bus/pci/devices/{Sas}/reset_method", script);
    }

    [Theory]
    [InlineData("bus", "0000:05:00.0")]     // Qualcomm Atheros QCA988x [168c:003c] below the Freescale P2020E bridge
    [InlineData("bridge", "0000:05:00.0")]
    public void A_quirks_c_no_bus_reset_device_is_never_bus_reset_even_when_a_tree_offers_it(string method, string address)
    {
        // drivers/pci/quirks.c quirk_no_bus_reset lists 168c:003c: after a bus reset its config space is never
        // accessible again. A sysfs tree that still offers "bus" for it (hand-written, or an older kernel) does not
        // get it reset that way, nor through its parent bridge.
        var atheros = PciAddress.Parse(address);
        var crash = SimulatedCrash.FromDump(Path.Combine(RepoPaths.RealDumps, "pciutils-tests/tree-fsl-p2020")).Dirty(seed: 5);
        foreach (var f in crash.Machine.Functions) f.ResetMethods.Clear();
        crash.Machine[atheros].ResetMethods.AddRange(["bus"]);
        var parent = crash.Machine.Functions.Single(f => f.Address.Domain == 0 && ConfigBytes.HeaderKind(f.Space.Snapshot()) == HeaderType.Bridge && f.Space.Snapshot()[Type1.SecondaryBus] == 5);
        crash.Preinit(Policy($$"""{"resetMethods": ["{{method}}"], "reset": [{"match": "class:0280", "reset": "if-supported"}]}"""), Options());
        Assert.Equal(0, crash.Machine[atheros].Space.ResetCount);
        Assert.False(parent.Space.SecondaryBusResetAsserted);
        Assert.Null(crash.Outcome(atheros).Reset);
        Assert.Contains("quirk_no_bus_reset", crash.Outcome(atheros).Reason);
    }

    internal sealed class ManualClock : TimeProvider
    {
        public long Ticks { get; set; }
        public override long GetTimestamp() => Ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public void Advance(TimeSpan t) => Ticks += t.Ticks;
    }

    [Fact]
    public void A_reset_starts_only_when_the_time_left_covers_its_worst_wait_and_its_restore()
    {
        var crash = Crash((Nic, ["bus"]), (Sas, ["bus"]), (PciAddress.Parse("0000:08:00.0"), ["bus"]));
        var clock = new ManualClock();
        // Each bus reset takes 1.5 s, as on real hardware after the port's link-active timeout.
        crash.Machine.ResetRequested = (_, _) => clock.Advance(TimeSpan.FromMilliseconds(1500));
        var options = Options(deadline: new Deadline(TimeSpan.FromSeconds(5), clock)) with { Sleep = clock.Advance };
        crash.Preinit(Policy(NetworkAndStorage), options);
        var resets = crash.Plan!.Steps.Where(s => s.Kind == Preconfig.Preinit.Planning.StepKind.Reset).Select(s => s.Address).ToList();
        Assert.Equal(3, resets.Count);
        // A kernel bus reset may wait ChildStart + 2 + 20 + 1000 + 100 + ReadyPoll (1000) = 2322 ms: at 0 and 1.5 s that
        // fits the 5 s; at 3 s it does not, so the third is not started, and its function is still restored.
        Assert.Equal(2322, ResetTimings.Kernel.Worst("bus").TotalMilliseconds);
        Assert.Equal([1, 1, 0], resets.Select(a => crash.Machine[a].Space.ResetCount));
        var refused = crash.Results.Single(r => r.Outcome == StepOutcome.NotDone);
        Assert.Equal(resets[2], refused.Step.Address);
        Assert.StartsWith("reset not started: 2000 ms left before the deadline", refused.Error);
        Assert.All(resets, a => Assert.Empty(crash.Differences(a)));
    }

    private sealed class StuckReset(ManualResetEventSlim release) : IResetStep
    {
        public ResetOutcome Reset(IPciAccess access, PciAddress address, string method, TimeSpan bound)
        {
            release.Wait(TimeSpan.FromSeconds(30)); // the kernel waiting for a device that keeps answering with retries
            return new ResetOutcome(true, "late");
        }
    }

    [Fact]
    public void A_sysfs_reset_that_blocks_past_the_deadline_is_abandoned_and_the_function_left_alone()
    {
        var crash = Crash((Nic, ["flr"]));
        using var release = new ManualResetEventSlim();
        try
        {
            // Worst wait of an FLR here: ChildStart 50 + Settle 100 + ReadyPoll 100 = 250 ms: abandoned then.
            var timings = ResetTimings.Kernel with { ChildStart = TimeSpan.FromMilliseconds(50), ReadyPoll = TimeSpan.FromMilliseconds(100) };
            var options = Options(deadline: new Deadline(TimeSpan.FromMilliseconds(400))) with
            {
                ResetStep = new StuckReset(release), Timings = timings, HardDeadline = new Deadline(TimeSpan.FromMilliseconds(600)),
            };
            var report = crash.Preinit(Policy(NetworkAndStorage), options);
            var d = crash.Outcome(Nic);
            Assert.Equal(PreinitReport.Failed, d.Outcome);
            Assert.Contains("still resetting", d.Reset!.Status);
            Assert.All(crash.Results.Where(r => r.Step.Address == Nic && r.Step.Kind != Preconfig.Preinit.Planning.StepKind.Reset && r.Step.Phase != Preconfig.Preinit.Planning.StepPhase.Quiesce),
                r => Assert.Equal(StepOutcome.NotDone, r.Outcome));
        }
        finally { release.Set(); }
    }

    [Fact]
    public void A_bridge_reset_waits_no_longer_than_the_deadline()
    {
        var crash = Crash((Sas, ["bus"]));
        var clock = new ManualClock();
        var sleeps = new List<TimeSpan>();
        var options = Options(deadline: new Deadline(TimeSpan.FromMilliseconds(50), clock)) with { Sleep = t => { sleeps.Add(t); clock.Advance(t); } };
        crash.Preinit(Policy(SasBridgeFirst), options);
        Assert.Equal("bridge", crash.Plan!.StepsFor(Sas).Single(s => s.Kind == Preconfig.Preinit.Planning.StepKind.Reset).ResetMethods[0]);
        Assert.True(sleeps.Sum(s => s.TotalMilliseconds) <= 50, string.Join(", ", sleeps));
    }

    public static TheoryData<string> Dumps() => SimulatedCrashTests.Dumps();

    [Theory]
    [MemberData(nameof(Dumps))]
    public void A_crash_with_resets_everywhere_still_ends_in_firmware_state(string dump)
    {
        var crash = SimulatedCrash.FromDump(Path.Combine(RepoPaths.Root, dump)).Dirty(seed: 9);
        var report = crash.Preinit(Policy("""{"reset": "if-supported"}"""), Options());
        Assert.All(report.Devices, d => Assert.Equal(Owned.Outcome(crash.Machine, d.Address), d.Outcome));
        var problems = crash.Machine.Functions.SelectMany(f => crash.Differences(f.Address)).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(20)));
        Assert.All(report.Devices.Where(d => d.Reset is { Verified: false }), d => Assert.Contains("not verifiable", d.Reason));
        Assert.All(crash.Machine.Functions.Where(f => ConfigBytes.HeaderKind(crash.Firmware[f.Address]) == HeaderType.Normal && Owned.None(crash.Machine, f.Address)),
            f => Assert.False(f.Space.DmaAllowed));
    }

    [Fact]
    public void The_report_carries_the_reset_per_device()
    {
        var crash = Crash((Nic, ["flr"]));
        var report = crash.Preinit(Policy(NetworkAndStorage), Options());
        using var doc = System.Text.Json.JsonDocument.Parse(report.ToJson());
        var nic = doc.RootElement.GetProperty("devices").EnumerateArray().Single(d => d.GetProperty("address").GetString() == Nic.ToString());
        var reset = nic.GetProperty("reset");
        Assert.Equal("flr", reset.GetProperty("method").GetString());
        Assert.True(reset.GetProperty("verified").GetBoolean());
        Assert.True(reset.GetProperty("ms").GetDouble() >= 0);
        Assert.Equal("flr", reset.GetProperty("attempts")[0].GetProperty("method").GetString());
        // Devices without a reset have no "reset" key: the contract's keys, and the error status they had cleared.
        var other = doc.RootElement.GetProperty("devices").EnumerateArray().First(d => d.GetProperty("address").GetString() != Nic.ToString());
        Assert.Equal(["address", "outcome", "reason", "writes", "verified"], other.EnumerateObject().Select(p => p.Name).Where(n => n != "clearedErrors"));
    }

    [Theory]
    [InlineData("""{"reset": [{"match": {"klass": "02"}, "reset": "if-supported"}]}""", "\"reset\"[0].match: unknown key \"klass\"")]
    [InlineData("""{"reset": [{"match": {"class": "0x2"}, "reset": "if-supported"}]}""", "\"reset\"[0].match")]
    [InlineData("""{"reset": [{"match": {"class": "02"}}]}""", "\"reset\"[0]: \"reset\" is required")]
    [InlineData("""{"reset": [{"match": {"class": "02"}, "reset": "always"}]}""", "\"reset\"[0].reset")]
    [InlineData("""{"reset": [{"match": {"device": "8086"}, "reset": "never"}]}""", "vendor:device")]
    [InlineData("""{"resetMethods": ["flr", "warm"]}""", "unknown reset method \"warm\"")]
    [InlineData("""{"reset": [{"match": "class:02", "reset": "never", "methods": ["hot"]}]}""", "\"reset\"[0].methods")]
    [InlineData("""{"reset": 3}""", "\"reset\" is \"never\", \"if-supported\" or a list")]
    public void Bad_reset_rules_are_named(string json, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => ReplayPolicy.Parse(json, "p.json"));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("p.json", e.Message);
    }

    [Fact]
    public void Sysfs_resets_write_the_temp_trees_reset_files_and_a_plain_file_is_not_verified()
    {
        using var tree = new SysfsTree();
        var crash = Crash((Nic, ["flr", "bus"]));
        SysfsTreeWriter.Write(crash.Machine, tree.FileSystem, tree.Root);
        using var access = new SysfsPciAccess(tree.FileSystem, tree.Root);
        var policy = Policy("""{"reset": [{"match": {"address": "0000:07:00.0"}, "reset": "if-supported", "methods": ["flr", "bus"]}]}""");
        var matches = Preconfig.Preinit.Matching.DeviceMatcher.Match(crash.Snapshot, access, policy);
        var plan = Preconfig.Preinit.Planning.ReplayPlanner.Build(matches, policy);
        var results = ReplayApplier.Apply(plan, access, Options() with { Retries = 0 });
        var reset = results.Single(r => r.Step.Kind == Preconfig.Preinit.Planning.StepKind.Reset);
        Assert.Equal(Nic, reset.Step.Address);
        // A plain file resets nothing: both methods were tried, each write landed in the tree, neither verified.
        Assert.Equal(["flr", "bus"], reset.Reset!.Attempts.Select(a => a.Method));
        Assert.All(reset.Reset.Attempts, a => Assert.Contains("reset=1: ok", a.Status));
        Assert.Equal(StepOutcome.Failed, reset.Outcome);
        Assert.Equal("1", tree.ReadAttribute(Nic, "reset"));
        Assert.Equal("flr bus", tree.ReadAttribute(Nic, "reset_method").Trim()); // the list is put back
        Assert.DoesNotContain("/sys/bus/pci", tree.Root);
    }
}
