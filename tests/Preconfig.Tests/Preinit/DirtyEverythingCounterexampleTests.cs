using Preconfig.ConfigSpace.Registers;

namespace Preconfig.Tests.Preinit;

/// <summary>
/// The counterexamples <see cref="DirtyEverythingPropertyTests"/> found and shrunk, kept as plain tests: one register
/// of one function of one dump, the crash flipping the named bits away from firmware's value.
/// </summary>
public class DirtyEverythingCounterexampleTests
{
    private static Dirt Flip(string dump, string address, int offset, int width, uint bits)
    {
        var a = PciAddress.Parse(address);
        var fn = DirtyEverythingPropertyTests.Dump(dump).Functions.Single(f => f.Address == a);
        uint firmware = width == 2 ? ConfigBytes.U16(fn.Config, offset) : ConfigBytes.U32(fn.Config, offset);
        return new Dirt(a, offset, width, firmware ^ bits, bits, DirtKind.Write, "counterexample");
    }

    // Found with the planner of 2026-11-30: its SltCtl mask was 0x1fff, its LnkCtl mask 0x0fdb, and it restored the
    // 16-bit MSI data only. The kernel restores LnkCtl and SltCtl whole (pci_restore_pcie_state).
    [Theory]
    [InlineData("fixtures/real-dumps/pciutils-tests/cap-exp-dev2", "0000:00:1c.0", 0x58, 2, 0x2000u)]   // SltCtl Auto Slot Power Limit Disable (PCIe 5.0 §7.5.3.10)
    [InlineData("fixtures/real-dumps/pciutils-tests/cap-vc-pat", "0000:12:08.0", 0x80, 2, 0x2000u)]     // the same on another root port
    [InlineData("fixtures/real-dumps/pciutils-tests/cap-flitmode", "0000:01:00.0", 0x80, 2, 0x2000u)]   // LnkCtl Flit Mode Disable, set by firmware (PCIe 6.0 §7.5.3.7)
    [InlineData("fixtures/real-dumps/pciutils-tests/cap-dvsec-cxl", "0000:6b:00.0", 0x8e, 2, 0x0001u)]  // MSI Extended Message Data (PCIe 4.0 §7.7.1.6)
    [InlineData("fixtures/real-dumps/pciutils-tests/cap-dvsec-cxl", "0000:6b:00.0", 0x82, 2, 0x0400u)]  // MSI Extended Message Data Enable (§7.7.1.2)
    public void A_shrunk_counterexample_is_back_to_firmware(string dump, string address, int offset, int width, uint bits)
    {
        var dirt = Flip(dump, address, offset, width, bits);
        var problems = DirtyEverythingPropertyTests.Run(dump, [dirt]);
        Assert.True(problems.Count == 0, $"{dirt}:\n{string.Join("\n", problems)}");
    }

    /// <summary>
    /// Finding F1, fixed by issue 11: a function the crash left in D3hot whose PMCSR has No_Soft_Reset clear used to be
    /// soft-reset by the PM control restore (D3hot to D0, PM 1.2 §3.2.4) after the plan was made against the crash's
    /// values, so a root port lost its bus numbers and windows while the report said "restored". preinit no longer
    /// changes D-states (the kernel owns them): the port keeps its bus numbers and stays in D3hot as the crash left it.
    /// </summary>
    [Fact]
    public void Finding_a_bridge_left_in_D3hot_keeps_its_bus_numbers_and_its_D_state()
    {
        const string dump = "fixtures/real-dumps/pciutils-tests/cap-exp-dev2";
        var a = PciAddress.Parse("0000:00:1c.0");
        var fw = DirtyEverythingPropertyTests.Dump(dump).Functions.Single(f => f.Address == a).Config;
        int pmcsr = CapabilityWalker.Walk(fw).Find(CapabilityId.PowerManagement)!.Value.Offset + PowerManagement.Ctrl;
        Assert.Equal(0, ConfigBytes.U16(fw, pmcsr) & PowerManagement.CtrlNoSoftReset);
        var crash = new SimulatedCrash(SimulatedMachine.FromDump(DirtyEverythingPropertyTests.Dump(dump)));
        KernelRun.Apply(crash.Machine, [new Dirt(a, pmcsr, 2, 3, PowerManagement.CtrlStateMask, DirtKind.Write, "PMCSR D3hot")]);
        crash.Preinit();

        var now = crash.Machine[a].Space.Snapshot();
        Assert.Equal(0, crash.Machine[a].Space.ResetCount);
        Assert.Equal(fw[Type1.SecondaryBus], now[Type1.SecondaryBus]);
        Assert.Equal(fw[Type1.SubordinateBus], now[Type1.SubordinateBus]);
        Assert.Equal(3, ConfigBytes.U16(now, pmcsr) & PowerManagement.CtrlStateMask);
        Assert.Equal("restored", crash.Outcome(a).Outcome);
        Assert.Contains("power state D3 now, D0 captured", crash.Outcome(a).Reason);
        Assert.Empty(crash.Differences(a));
    }
}
