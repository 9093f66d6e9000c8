using System.Buffers.Binary;
using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Lspci;
using Preconfig.ConfigSpace.Registers;
using Preconfig.ConfigSpace.Simulation;
using Preconfig.Preinit.Policy;

namespace Preconfig.Tests.Preinit;

/// <summary>Issue 20 item 7: DevSta's power status, the CardBus Latency Timer, a function left in D3hot.</summary>
public class SmallHardwareRulesTests
{
    private static string Dump(string name) => Path.Combine(RepoPaths.RealDumps, "pciutils-tests", name);

    [Fact]
    public void Clearing_devsta_errors_leaves_emergency_power_reduction_detected_as_found()
    {
        // PCIe r5.0 7.5.3.5: DevSta bit 6 (Emergency Power Reduction Detected) is RW1C where DevCap2 bits 25:24 say
        // the function supports it (7.5.3.15); bits 3:0 are the errors. The error clear must write 0 into bit 6:
        // a read-modify-write that writes it back as read clears it.
        var dump = LspciDumpReader.ReadFile(Dump("tree-asus-p6t6"));
        var fn = dump.Functions.First(f => ConfigBytes.HeaderKind(f.Config) == HeaderType.Normal
            && Preconfig.Preinit.Planning.KernelOwnership.Of(f.Address, f.Config, false, ReplayPolicy.Default) is null
            && CapabilityWalker.Walk(f.Config).Find(CapabilityId.Express) is { } e
            && (ConfigBytes.U16(f.Config, e.Offset + PciExpress.Flags) & PciExpress.FlagsVersionMask) >= 2);
        int exp = CapabilityWalker.Walk(fn.Config).Find(CapabilityId.Express)!.Value.Offset;
        BinaryPrimitives.WriteUInt32LittleEndian(fn.Config.AsSpan(exp + PciExpress.DevCap2),
            ConfigBytes.U32(fn.Config, exp + PciExpress.DevCap2) | 0x01000000);
        var crash = new SimulatedCrash(SimulatedMachine.FromDump(dump)).Dirty(seed: 5);
        crash.Machine[fn.Address].Space.Poke(exp + PciExpress.DevSta, [0x41, 0x00]); // Correctable Error and EPR Detected
        crash.Preinit();
        ushort devsta = ConfigBytes.U16(crash.Machine[fn.Address].Space.Snapshot(), exp + PciExpress.DevSta);
        Assert.Equal(0, devsta & 0x000f);
        Assert.Equal(0x0040, devsta & 0x0040);
        Assert.Contains(crash.Outcome(fn.Address).ClearedErrors!, c => c.Value == "0x0041");
    }

    [Fact]
    public void A_cardbus_bridge_gets_its_cardbus_latency_timer_back()
    {
        // pci_restore_config_space() (drivers/pci/pci.c) writes dwords 15..0 of every header, a CardBus bridge's
        // included: the CardBus Latency Timer (0x1b) is firmware's again (0xb0 in the dump of 1c:03.0).
        var cardbus = PciAddress.Parse("0000:1c:03.0");
        var crash = SimulatedCrash.FromDump(Dump("tree-fujitsu-p8010")).Dirty(seed: 5);
        Assert.Equal(0xb0, crash.Firmware[cardbus][Type2.LatencyTimer]);
        crash.Machine[cardbus].Space.Write(Type2.LatencyTimer, [0x40]);
        crash.Preinit();
        Assert.Equal(0xb0, crash.Machine[cardbus].Space.Snapshot()[Type2.LatencyTimer]);
        Assert.Empty(crash.Differences(cardbus));
    }

    [Fact]
    public void A_function_left_in_d3hot_without_no_soft_reset_is_said_not_restored_for_good()
    {
        // PCI PM 1.2 5.4.1 / the kernel: D3hot to D0 with No_Soft_Reset 0 resets the function; the kernel powers up
        // before it restores (pci_set_power_state(D0), then pci_restore_state()).
        var crash = SimulatedCrash.FromDump(Dump("tree-asus-p6t6")).Dirty(seed: 5);
        var (a, pm) = InD3hot(crash);
        crash.Preinit();
        Assert.Contains("not restored for good: left in D3hot with No_Soft_Reset 0", crash.Outcome(a).Reason);

        // Where the policy allows the power change it goes to firmware's D0 first; what is restored then stays when
        // a driver later asks for D0 (a write of D0 in D0 resets nothing). Left in D3hot, the same write loses it.
        var moved = SimulatedCrash.FromDump(Dump("tree-asus-p6t6")).Dirty(seed: 5);
        InD3hot(moved);
        moved.Machine[a].Space.Write(Header.CacheLineSize, [(byte)(moved.Firmware[a][Header.CacheLineSize] ^ 0x10)]);
        moved.Preinit(ReplayPolicy.Parse("""{"restorePowerState": true}"""));
        Assert.DoesNotContain("not restored for good", moved.Outcome(a).Reason);
        Assert.Equal(0, moved.Machine[a].Space.Snapshot()[pm + PowerManagement.Ctrl] & 0x3);
        moved.Machine[a].Space.Write(pm + PowerManagement.Ctrl, [0x00]);
        Assert.Equal(moved.Firmware[a][Header.CacheLineSize], moved.Machine[a].Space.Snapshot()[Header.CacheLineSize]);
    }

    /// <summary>Puts an endpoint whose captured state is D0 and whose No_Soft_Reset is 0 into D3hot.</summary>
    private static (PciAddress, int) InD3hot(SimulatedCrash crash)
    {
        foreach (var f in crash.Machine.Functions.OrderBy(f => f.Address))
        {
            var fw = crash.Firmware[f.Address];
            if (ConfigBytes.HeaderKind(fw) != HeaderType.Normal || CapabilityWalker.Walk(fw).Find(CapabilityId.PowerManagement) is not { } pm) continue;
            ushort ctrl = ConfigBytes.U16(fw, pm.Offset + PowerManagement.Ctrl);
            if ((ctrl & PowerManagement.CtrlNoSoftReset) != 0 || (ctrl & 0x3) != 0) continue;
            f.Space.Write(pm.Offset + PowerManagement.Ctrl, [(byte)((f.Space.Snapshot()[pm.Offset + PowerManagement.Ctrl] & ~0x3) | 0x3)]);
            if ((f.Space.Snapshot()[pm.Offset + PowerManagement.Ctrl] & 0x3) == 3) return (f.Address, pm.Offset);
        }
        throw new InvalidOperationException("no endpoint to put in D3hot");
    }
}
