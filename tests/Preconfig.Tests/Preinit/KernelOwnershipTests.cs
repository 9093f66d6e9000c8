using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.ConfigSpace.Simulation;
using Preconfig.Handoff.Model;
using Preconfig.Preinit.Planning;
using Preconfig.Preinit.Policy;
using Preconfig.Preinit.Reporting;

namespace Preconfig.Tests.Preinit;

/// <summary>
/// Issue 20 item 4 / Build 3: functions the kernel owns without a driver are never quiesced, put decode-off, reset or
/// restored. Which ones is the kernel's: an ISA/LPC bridge forwards the legacy serial console, TPM and IPMI
/// (drivers/pci/quirks.c quirk_ich*_lpc claim its decode ranges); the boot VGA is vgaarb's default device and the
/// console's framebuffer (drivers/pci/vgaarb.c, pci-sysfs.c boot_vga).
/// </summary>
public class KernelOwnershipTests
{
    private static readonly PciAddress Isa = PciAddress.Parse("0000:00:1f.0");      // 8086:27b9 ICH7-M LPC, class 0601
    private static readonly PciAddress Nic = PciAddress.Parse("0000:01:00.0");
    private static readonly PciAddress Vga = PciAddress.Parse("0000:06:00.0");      // tree-asus-p6t6: class 0300

    private static SimulatedCrash Demo() =>
        new SimulatedCrash(SimulatedMachine.Load(Path.Combine(RepoPaths.Fixtures, "machines", "demo.json"))).Dirty(seed: 3);

    [Fact]
    public void The_isa_bridge_is_left_to_the_kernel_untouched()
    {
        var crash = Demo();
        var report = crash.Preinit();
        var d = crash.Outcome(Isa);
        Assert.Equal(PreinitReport.LeftToKernel, d.Outcome);
        Assert.Contains("ISA/LPC bridge", d.Reason);
        Assert.Contains("quirks.c", d.Reason);
        Assert.Equal(0, d.Writes);
        Assert.Equal(crash.Crashed[Isa], crash.Machine[Isa].Space.Snapshot());
        Assert.Empty(crash.Plan!.StepsFor(Isa));
        Assert.Contains("1 left to the kernel", report.Summary);
    }

    [Fact]
    public void Without_a_snapshot_the_isa_bridge_is_not_quiesced()
    {
        var crash = Demo();
        var empty = new Snapshot { Devices = [] };
        crash.WithSnapshot(empty).Preinit();
        Assert.Equal(PreinitReport.LeftToKernel, crash.Outcome(Isa).Outcome);
        Assert.StartsWith("new", crash.Outcome(Isa).Reason);
        Assert.Equal(crash.Crashed[Isa], crash.Machine[Isa].Space.Snapshot());
        Assert.Equal(PreinitReport.Quiesced, crash.Outcome(Nic).Outcome); // an ordinary endpoint still is
    }

    [Fact]
    public void Policy_narrows_and_widens_what_the_kernel_owns()
    {
        var narrowed = Demo();
        narrowed.Preinit(ReplayPolicy.Parse("""{"notKernelOwned": ["class:0601"]}"""));
        Assert.Equal(PreinitReport.Restored, narrowed.Outcome(Isa).Outcome);
        Assert.Equal(0, narrowed.Machine[Isa].Space.Snapshot()[Header.Command] & (byte)Command.BusMaster);
        Assert.Empty(narrowed.Differences(Isa));

        var widened = Demo();
        widened.Preinit(ReplayPolicy.Parse("""{"kernelOwned": ["0000:01:00.0"]}"""));
        Assert.Equal(PreinitReport.LeftToKernel, widened.Outcome(Nic).Outcome);
        Assert.Contains("policy kernelOwned", widened.Outcome(Nic).Reason);
        Assert.Equal(widened.Crashed[Nic], widened.Machine[Nic].Space.Snapshot());
        Assert.Empty(widened.Differences(Nic));
    }

    [Fact]
    public void An_owned_function_is_never_reset()
    {
        var crash = Demo();
        crash.Machine[Isa].ResetMethods.AddRange(["flr", "bus"]);
        crash.Preinit(ReplayPolicy.Parse("""{"reset": "if-supported"}"""));
        Assert.Equal(0, crash.Machine[Isa].Space.ResetCount);
        Assert.Equal(PreinitReport.LeftToKernel, crash.Outcome(Isa).Outcome);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_boot_vga_keeps_bus_master_and_decode(bool bootVga)
    {
        var crash = SimulatedCrash.FromDump(Path.Combine(RepoPaths.RealDumps, "pciutils-tests/tree-asus-p6t6"));
        crash.Machine[Vga].BootVga = bootVga;
        crash.Dirty(seed: 5);
        crash.Preinit();
        ushort found = ConfigBytes.U16(crash.Crashed[Vga], Header.Command);
        ushort after = ConfigBytes.U16(crash.Machine[Vga].Space.Snapshot(), Header.Command);
        const ushort decode = (ushort)(Command.BusMaster | Command.Memory | Command.Io);
        Assert.Equal(PreinitReport.Restored, crash.Outcome(Vga).Outcome);
        if (bootVga)
        {
            // Never cleared by the quiesce, never written by Command's restore: as the capture kernel has them.
            Assert.Equal(found & decode, after & decode);
            Assert.All(crash.Plan!.StepsFor(Vga).Where(s => s.Offset == Header.Command), s => Assert.Equal(0u, s.Mask & decode));
        }
        else
            Assert.Equal(0, after & (ushort)Command.BusMaster); // a second VGA card is an ordinary endpoint
        Assert.Empty(crash.Differences(Vga));
    }

    [Fact]
    public void Docs_preinit_md_left_to_the_kernel_is_the_table()
    {
        const string Begin = "<!-- kernel-owned: generated from src/Preinit/Planning/KernelOwnership.cs (KernelOwnership.Markdown()); tests/Preconfig.Tests/Preinit/KernelOwnershipTests.cs checks it -->";
        const string End = "<!-- end kernel-owned -->";
        Assert.Equal(KernelOwnership.Markdown().TrimEnd('\n'), DocSection.Between("preinit.md", Begin, End));
    }
}
