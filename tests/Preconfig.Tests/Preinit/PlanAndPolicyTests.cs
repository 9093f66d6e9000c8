using System.Buffers.Binary;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Apply;
using Preconfig.Preinit.Matching;
using Preconfig.Preinit.Planning;
using Preconfig.Preinit.Policy;
using Preconfig.Preinit.Reporting;

namespace Preconfig.Tests.Preinit;

public class PlanAndPolicyTests
{
    private static SimulatedCrash Crash(string dump = "pciutils-tests/tree-asus-p6t6") =>
        SimulatedCrash.FromDump(Path.Combine(RepoPaths.RealDumps, dump)).Dirty(seed: 11);

    /// <summary>An ordinary endpoint: header type 0 and nothing of it the kernel's (not a host or ISA bridge, a
    /// system peripheral or the boot VGA: KernelOwnershipTests).</summary>
    private static bool IsEndpoint(SimulatedCrash c, PciAddress a) => ConfigBytes.HeaderKind(c.Firmware[a]) == HeaderType.Normal && Owned.None(c.Machine, a);

    /// <summary>A copy of the snapshot with one device's config changed by <paramref name="edit"/>.</summary>
    private static Snapshot Edited(Snapshot s, PciAddress address, Action<byte[]> edit) => new()
    {
        CapturedAt = s.CapturedAt,
        Devices = [.. s.Devices.Select(d =>
        {
            if (d.Address != address) return d;
            var cfg = (byte[])d.Config.Clone();
            edit(cfg);
            return new DeviceRecord { Address = d.Address, Config = cfg, Resources = d.Resources, ResetMethods = d.ResetMethods };
        })],
    };

    [Fact]
    public void ThePlanFollowsTheKernelsOrder()
    {
        var crash = Crash("pciutils-tests/cap-aer-root");
        crash.Preinit();
        var steps = crash.Plan!.Steps.ToList();
        Assert.NotEmpty(steps);
        // Quiesce first, on endpoints only; bridges and root ports keep theirs.
        int firstRestore = steps.FindIndex(s => s.Phase != StepPhase.Quiesce);
        Assert.All(steps.Take(firstRestore), s => Assert.True(IsEndpoint(crash, s.Address)));
        Assert.All(steps.Skip(firstRestore), s => Assert.NotEqual(StepPhase.Quiesce, s.Phase));
        foreach (var group in steps.Skip(firstRestore).GroupBy(s => s.Address))
        {
            var list = group.ToList();
            // Command is the device's last step; the header goes from high offsets to low, BARs before Command.
            // (A bridge whose Command already holds firmware's value has no Command step.)
            if (IsEndpoint(crash, group.Key) || list.Any(s => s.Phase == StepPhase.Command))
                Assert.Equal(StepPhase.Command, list[^1].Phase);
            var header = list.Where(s => s.Phase == StepPhase.Header).Select(s => s.Offset).ToList();
            Assert.Equal(header.OrderDescending(), header);
            Assert.True(list.Count(s => s.Phase == StepPhase.Command) <= 1);
            // Phases never go backwards within a device.
            Assert.Equal(list.Select(s => s.Phase).Order(), list.Select(s => s.Phase));
        }
        // Bridges are restored before endpoints.
        var order = steps.Skip(firstRestore).Select(s => IsEndpoint(crash, s.Address)).ToList();
        Assert.Equal(order.Order(), order);
    }

    [Fact]
    public void LtrLatenciesComeBeforeDevCtl2()
    {
        // A device with LTR: DevCtl2 changed by "the kernel" and LTR latencies too.
        var crash = SimulatedCrash.FromDump(Path.Combine(RepoPaths.RealDumps, "pciutils-tests/cap-l1-pm"));
        var f = crash.Machine.Functions.FirstOrDefault(x => CapabilityWalker.Walk(crash.Firmware[x.Address]).Find(ExtendedCapabilityId.Ltr) is not null
            && CapabilityWalker.Walk(crash.Firmware[x.Address]).Find(CapabilityId.Express) is not null);
        Assert.NotNull(f);
        var walk = CapabilityWalker.Walk(crash.Firmware[f.Address]);
        int ltr = walk.Find(ExtendedCapabilityId.Ltr)!.Value.Offset, exp = walk.Find(CapabilityId.Express)!.Value.Offset;
        f.Space.Poke(ltr + Ltr.MaxSnoopLatency, [0x55, 0x10]);
        ushort devCtl2 = f.Space.ReadWord(exp + PciExpress.DevCtl2);
        f.Space.Poke(exp + PciExpress.DevCtl2, BitConverter.GetBytes((ushort)(devCtl2 ^ PciExpress.DevCtl2LtrEnable)));
        crash.Preinit();
        var steps = crash.Plan!.StepsFor(f.Address).ToList();
        int ltrAt = steps.FindIndex(s => s.Register == "ECAP_LTR+4.l"), devCtl2At = steps.FindIndex(s => s.Register == "CAP_EXP+28.w");
        Assert.True(ltrAt >= 0 && devCtl2At > ltrAt, string.Join("\n", steps));
        Assert.Empty(crash.Differences(f.Address));
    }

    [Fact]
    public void NoWriteEverSetsAWriteOneToClearBitExceptTheClearStepNorInitiateFlr()
    {
        foreach (var dump in SimulatedCrash.AllDumps().Take(40))
        {
            var crash = SimulatedCrash.FromDump(Path.Combine(RepoPaths.Root, dump)).Dirty(seed: 2);
            crash.Preinit();
            foreach (var f in crash.Machine.Functions)
            {
                var clearSteps = crash.Plan!.StepsFor(f.Address).Where(s => s.Kind == StepKind.ClearStatus).ToList();
                foreach (var w in f.Space.Writes)
                {
                    for (int i = 0; i < w.Width; i++)
                    {
                        byte written = (byte)(w.Value >> (8 * i));
                        byte rw1c = f.Space.Masks.WriteOneToClear[w.Offset + i];
                        if ((written & rw1c) == 0) continue;
                        Assert.True(clearSteps.Any(s => s.Offset == w.Offset), $"{dump} {f.Address}: write 0x{w.Value:x} at 0x{w.Offset:x} sets RW1C bits outside the clear step");
                    }
                }
                if (f.Space.Masks.InitiateFlrOffset >= 0)
                    Assert.DoesNotContain(f.Space.Writes, w => w.Offset <= f.Space.Masks.InitiateFlrOffset + 1 && w.Offset + w.Width > f.Space.Masks.InitiateFlrOffset + 1
                        && ((w.Value >> (8 * (f.Space.Masks.InitiateFlrOffset + 1 - w.Offset))) & 0x80) != 0);
                Assert.Equal(0, f.Space.ResetCount);
            }
        }
    }

    [Fact]
    public void AHostileBlobAskingForBusMasterABarMoveAndInitiateFlrIsRefused()
    {
        var crash = Crash("pciutils-tests/cap-aer-root");
        var victim = crash.Machine.Functions.First(f => IsEndpoint(crash, f.Address) && f.Space.Masks.InitiateFlrOffset >= 0
            && f.Space.Bars.Any(b => b.Kind != BarKind.Rom)).Address;
        var space = crash.Machine[victim].Space;
        var bar = space.Bars.First(b => b.Kind != BarKind.Rom);
        int flrOffset = space.Masks.InitiateFlrOffset;
        byte[] before = space.Snapshot();
        var hostile = Edited(crash.Snapshot, victim, cfg =>
        {
            cfg[Header.Command] |= (byte)Command.BusMaster;
            uint moved = BinaryPrimitives.ReadUInt32LittleEndian(cfg.AsSpan(bar.Offset)) ^ (uint)(bar.Size << 1);
            BinaryPrimitives.WriteUInt32LittleEndian(cfg.AsSpan(bar.Offset), moved);
            cfg[flrOffset + 1] |= 0x80;
        });
        crash.WithSnapshot(hostile).Preinit();

        var outcome = crash.Outcome(victim);
        Assert.Contains("refused: Bus Master", outcome.Reason);
        Assert.Contains($"refused: {(bar.Index == 6 ? "ROM_ADDRESS" : $"BASE_ADDRESS_{bar.Index}")}", outcome.Reason);
        Assert.Contains("Initiate FLR", outcome.Reason);
        Assert.False(space.DmaAllowed);
        Assert.Equal(0, space.ResetCount);
        Assert.Equal(before.AsSpan(bar.Offset, 4).ToArray(), space.Snapshot().AsSpan(bar.Offset, 4).ToArray());
        Assert.DoesNotContain(space.Writes, w => w.Offset == bar.Offset);
        // Even "as-captured" Bus Master does not let the BAR move or the FLR through.
        var crash2 = Crash("pciutils-tests/cap-aer-root");
        crash2.WithSnapshot(hostile).Preinit(new ReplayPolicy { BusMaster = BusMasterPolicy.AsCaptured });
        Assert.True(crash2.Machine[victim].Space.DmaAllowed);
        Assert.Equal(0, crash2.Machine[victim].Space.ResetCount);
        Assert.DoesNotContain(crash2.Machine[victim].Space.Writes, w => w.Offset == bar.Offset);
    }

    [Fact]
    public void MoveResourcesPolicyWritesTheCapturedBar()
    {
        var crash = Crash("pciutils-tests/cap-aer-root");
        var victim = crash.Machine.Functions.First(f => IsEndpoint(crash, f.Address) && f.Space.Bars.Any(b => b.Kind == BarKind.Memory32 || b.Kind == BarKind.Memory64));
        var bar = victim.Space.Bars.First(b => b.Kind is BarKind.Memory32 or BarKind.Memory64);
        // The capture kernel assigned the BAR elsewhere.
        uint fw = victim.Space.ReadDword(bar.Offset);
        victim.Space.WriteDword(bar.Offset, fw ^ (uint)(bar.Size << 2));
        crash.Preinit(new ReplayPolicy { MoveResources = true });
        Assert.Equal(fw, victim.Space.ReadDword(bar.Offset));
    }

    [Fact]
    public void IdentityMismatchedFunctionsAreOnlyQuiescedAndDriverBoundOnesUntouched()
    {
        var crash = Crash();
        var endpoints = crash.Machine.Functions.Where(f => IsEndpoint(crash, f.Address)).Select(f => f.Address).ToList();
        PciAddress mismatched = endpoints[0], bound = endpoints[1];
        crash.Machine[bound].Driver = "e1000e";
        var snapshot = Edited(crash.Snapshot, mismatched, cfg => cfg[Header.RevisionId] ^= 0x01);
        crash.WithSnapshot(snapshot).Preinit();
        Assert.Empty(crash.Machine[bound].Space.Writes);
        Assert.Equal(PreinitReport.Skipped, crash.Outcome(bound).Outcome);
        // The mismatched function is not restored from another function's bytes, but its DMA and interrupts are stopped.
        Assert.Equal("quiesced", crash.Outcome(mismatched).Outcome);
        Assert.All(crash.Machine[mismatched].Space.Writes, w => Assert.True(w.Offset == Header.Command || w.Offset >= Header.Size, $"write at 0x{w.Offset:x}"));
        Assert.False(crash.Machine[mismatched].Space.DmaAllowed);
        Assert.StartsWith("identity mismatch: revision", crash.Outcome(mismatched).Reason);
        Assert.Equal("driver bound: e1000e", crash.Outcome(bound).Reason);
        foreach (var f in crash.Machine.Functions.Where(f => f.Address != mismatched && f.Address != bound))
            Assert.Empty(crash.Differences(f.Address));
    }

    [Fact]
    public void CapabilityLayoutDifferenceIsAMismatch()
    {
        var crash = Crash("pciutils-tests/cap-aer-root");
        var victim = crash.Machine.Functions.First(f => CapabilityWalker.Walk(crash.Firmware[f.Address]).Capabilities.Count > 1).Address;
        var first = CapabilityWalker.Walk(crash.Firmware[victim]).Capabilities[0];
        var snapshot = Edited(crash.Snapshot, victim, cfg => cfg[first.Offset] ^= 0x20);
        crash.WithSnapshot(snapshot).Preinit();
        Assert.StartsWith("identity mismatch: capability layout", crash.Outcome(victim).Reason);
        Assert.Empty(crash.Machine[victim].Space.Writes);
    }

    [Fact]
    public void MissingAndNewFunctionsAreReported()
    {
        var crash = Crash();
        var gone = crash.Machine.Functions.Last().Address;
        crash.Machine.Remove(gone);
        var added = crash.Snapshot.Devices[0].Address;
        var snapshot = new Snapshot { Devices = [.. crash.Snapshot.Devices.Skip(1)] };
        crash.WithSnapshot(snapshot).Preinit();
        Assert.Equal(PreinitReport.Skipped, crash.Outcome(gone).Outcome);
        Assert.StartsWith("missing", crash.Outcome(gone).Reason);
        Assert.StartsWith("new", crash.Outcome(added).Reason);
        Assert.Contains("(1 missing, 1 new)", crash.Report!.Summary);
    }

    [Fact]
    public void PolicyDenyAndAllowListsSkipFunctions()
    {
        var crash = Crash();
        var first = crash.Snapshot.Devices[0];
        var policy = ReplayPolicy.Parse($$"""{ "deny": ["{{first.Address}}"], "busMaster": "off" }""");
        crash.Preinit(policy);
        Assert.Equal(PreinitReport.Skipped, crash.Outcome(first.Address).Outcome);
        Assert.Empty(crash.Machine[first.Address].Space.Writes);

        var crash2 = Crash();
        var vendor = crash2.Snapshot.Devices[0].VendorId;
        crash2.Preinit(ReplayPolicy.Parse($$"""{ "allow": ["{{vendor:x4}}:*"] }"""));
        foreach (var d in crash2.Snapshot.Devices)
            Assert.Equal(d.VendorId == vendor ? Owned.Outcome(crash2.Machine, d.Address) : PreinitReport.Skipped, crash2.Outcome(d.Address).Outcome);
    }

    [Theory]
    [InlineData("""{ "reset": "sometimes" }""", "\"reset\"")]
    [InlineData("""{ "deny": ["zz:yy"] }""", "\"deny\"[0]")]
    [InlineData("""{ "busMaster": "on" }""", "\"busMaster\"")]
    [InlineData("""{ "bogus": 1 }""", "bogus")]
    [InlineData("{\n  \"reset\": ", "policy:2")]
    public void BadPolicyFilesAreRejectedNamingWhere(string json, string mention)
    {
        var e = Assert.Throws<InvalidDataException>(() => ReplayPolicy.Parse(json));
        Assert.Contains(mention, e.Message);
    }

    [Fact]
    public void SelectorsMatchAddressVendorDeviceAndClass()
    {
        var id = new DeviceIdentity(PciAddress.Parse("0000:03:00.0"), 0x8086, 0x1533, 0x020000);
        Assert.True(DeviceSelector.Parse("0000:03:00.0").Matches(id));
        Assert.True(DeviceSelector.Parse("8086:1533").Matches(id));
        Assert.True(DeviceSelector.Parse("8086:*").Matches(id));
        Assert.False(DeviceSelector.Parse("8086:1534").Matches(id));
        Assert.True(DeviceSelector.Parse("class:02").Matches(id));
        Assert.True(DeviceSelector.Parse("class:0200").Matches(id));
        Assert.False(DeviceSelector.Parse("class:0c03").Matches(id));
    }

    [Fact]
    public void ResetPolicyResetsWhereOfferedButNotTheVgaConsoleAndTheReplayStillRestores()
    {
        var crash = Crash();
        var endpoints = crash.Machine.Functions.Where(f => IsEndpoint(crash, f.Address)).ToList();
        foreach (var f in endpoints) { f.ResetMethods.Clear(); f.ResetMethods.Add("flr"); }
        var policy = new ReplayPolicy { Reset = ResetPolicy.IfSupported };
        crash.Preinit(policy);
        foreach (var f in endpoints)
        {
            bool vga = ConfigBytes.ClassCode(crash.Firmware[f.Address]) >> 8 == 0x0300;
            Assert.Equal(vga ? 0 : 1, f.Space.ResetCount);
            Assert.Empty(crash.Differences(f.Address));
        }
        // Every quiesce comes before any reset; each reset is followed by its own function's restore, not by the other
        // resets (pci_reset_function(): pci_dev_save_and_disable(), the reset, pci_dev_restore(), one function at a time).
        var steps = crash.Plan!.Steps;
        var phases = steps.Select(s => s.Phase).ToList();
        Assert.True(phases.LastIndexOf(StepPhase.Quiesce) < phases.IndexOf(StepPhase.Reset));
        foreach (var unit in crash.Plan.Units)
        {
            var reset = Enumerable.Range(unit.First, unit.End - unit.First).Where(i => steps[i].Kind == StepKind.Reset).ToList();
            Assert.NotEmpty(reset);
            Assert.All(Enumerable.Range(reset[^1] + 1, unit.End - reset[^1] - 1), i => Assert.Contains(steps[i].Address, unit.Domain));
            Assert.Contains(steps.Skip(reset[^1] + 1).Take(unit.End - reset[^1] - 1), s => s.Phase == StepPhase.Command);
        }
        Assert.Equal(steps.Count(s => s.Kind == StepKind.Reset), crash.Plan.Units.Count);
    }

    [Fact]
    public void TheResetStepIsPluggable()
    {
        var crash = Crash();
        var endpoint = crash.Machine.Functions.First(f => IsEndpoint(crash, f.Address) && CapabilityWalker.Walk(crash.Firmware[f.Address]).Find(CapabilityId.Msi) is not null);
        endpoint.ResetMethods.Clear();
        endpoint.ResetMethods.Add("bus");
        var hook = new RecordingReset();
        crash.Preinit(new ReplayPolicy { Reset = ResetPolicy.IfSupported, ResetOnly = [DeviceSelector.Parse(endpoint.Address.ToString())] },
            new ApplyOptions { RetryDelay = TimeSpan.Zero, ResetStep = hook });
        Assert.Equal([(endpoint.Address, "bus")], hook.Calls);
        Assert.Equal(0, endpoint.Space.ResetCount); // the hook did not reset; the default step was not used
        Assert.Equal(PreinitReport.Failed, crash.Outcome(endpoint.Address).Outcome);
        Assert.Contains("hook says no", crash.Outcome(endpoint.Address).Reason);
    }

    private sealed class RecordingReset : IResetStep
    {
        public List<(PciAddress, string)> Calls { get; } = [];
        public ResetOutcome Reset(IPciAccess access, PciAddress address, string method, TimeSpan bound)
        {
            Calls.Add((address, method));
            return new ResetOutcome(false, "hook says no");
        }
    }

    [Fact]
    public void TheReportHasExactlyTheContractShape()
    {
        var crash = Crash();
        var report = crash.Preinit();
        using var doc = System.Text.Json.JsonDocument.Parse(report.ToJson());
        Assert.Equal(["devices", "elapsedMs"], doc.RootElement.EnumerateObject().Select(p => p.Name));
        foreach (var d in doc.RootElement.GetProperty("devices").EnumerateArray())
        {
            // The contract's keys first; the others only where they say something (docs/cli.md).
            var names = d.EnumerateObject().Select(p => p.Name).ToList();
            Assert.Equal(["address", "outcome", "reason", "writes", "verified"], names.Take(5));
            Assert.All(names.Skip(5), n => Assert.Contains(n, new[] { "reset", "leftOut", "clearedErrors" }));
            Assert.Contains(d.GetProperty("outcome").GetString(), new[] { "restored", "quiesced", "skipped", "failed", "left-to-kernel" });
        }
        Assert.Equal(report.Devices.Count, ReportReader.Read(report.ToJson()).Devices.Count);
    }

    [Fact]
    public void DryRunScriptListsSetpciCommandsInPlanOrder()
    {
        var crash = Crash();
        var matches = DeviceMatcher.Match(crash.Snapshot, crash.Machine, ReplayPolicy.Default);
        var plan = ReplayPlanner.Build(matches, ReplayPolicy.Default);
        var lines = SetpciScript.Render(plan).Split('\n').Where(l => l.StartsWith("setpci", StringComparison.Ordinal)).ToList();
        Assert.Equal(plan.Steps.Count, lines.Count);
        for (int i = 0; i < lines.Count; i++)
            Assert.Equal($"setpci -s {plan.Steps[i].Address} {plan.Steps[i].SetpciArgument}", lines[i]);
        Assert.Matches(@"^setpci -s [0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7] COMMAND=0x0400:0x0407$", lines[0]);
        Assert.All(lines, l => Assert.Matches(@"^setpci -s \S+ [A-Z0-9_]+(\+[0-9a-f]+\.[bwl])?=0x[0-9a-f]+:0x[0-9a-f]+$", l));
        // Planning does not write.
        Assert.All(crash.Machine.Functions, f => Assert.Empty(f.Space.Writes));
    }
}
