using System.IO.Abstractions;
using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Registers = Preconfig.ConfigSpace.Registers;
using Preconfig.ConfigSpace.Simulation;
using Preconfig.Handoff.Model;
using Preconfig.Preinit.Environment;
using Preconfig.Preinit.Loading;
using Preconfig.Preinit.Reporting;

namespace Preconfig.Preinit.Demo;

/// <summary>The registers a kernel engineer looks at first, read from one config space.</summary>
public readonly record struct DemoState(bool BusMaster, bool IntxDisabled, bool? Msi, bool? MsiX, ushort? DevCtl, byte InterruptLine, int ErrorBits)
{
    public static DemoState Read(ReadOnlySpan<byte> cfg)
    {
        var walk = CapabilityWalker.Walk(cfg);
        ushort command = ConfigBytes.U16(cfg, Header.Command);
        int errors = System.Numerics.BitOperations.PopCount((uint)(ConfigBytes.U16(cfg, Header.Status) & (ushort)Status.ErrorBits));
        if (ConfigBytes.HeaderKind(cfg) == HeaderType.Bridge)
            errors += System.Numerics.BitOperations.PopCount((uint)(ConfigBytes.U16(cfg, Type1.SecStatus) & (ushort)Status.ErrorBits));
        ushort? devCtl = null;
        if (walk.Find(CapabilityId.Express) is { } exp)
        {
            devCtl = ConfigBytes.U16(cfg, exp.Offset + PciExpress.DevCtl);
            errors += System.Numerics.BitOperations.PopCount((uint)(ConfigBytes.U16(cfg, exp.Offset + PciExpress.DevSta) & PciExpress.DevStaErrorBits));
        }
        if (walk.Find(ExtendedCapabilityId.Aer) is { } aer)
            errors += System.Numerics.BitOperations.PopCount(ConfigBytes.U32(cfg, aer.Offset + Aer.UncorStatus))
                + System.Numerics.BitOperations.PopCount(ConfigBytes.U32(cfg, aer.Offset + Aer.CorStatus));
        bool? msi = walk.Find(CapabilityId.Msi) is { } m ? (ConfigBytes.U16(cfg, m.Offset + Registers.Msi.Flags) & Registers.Msi.FlagsEnable) != 0 : null;
        bool? msix = walk.Find(CapabilityId.MsiX) is { } x ? (ConfigBytes.U16(cfg, x.Offset + Registers.MsiX.Flags) & Registers.MsiX.FlagsEnable) != 0 : null;
        return new DemoState((command & (ushort)Command.BusMaster) != 0, (command & (ushort)Command.IntxDisable) != 0, msi, msix, devCtl,
            ConfigBytes.U8(cfg, Header.InterruptLine), errors);
    }
}

/// <summary>One function through the story: firmware, after the kernel ran (the crash), after preinit.</summary>
public sealed record DemoRow(PciAddress Address, string Kind, DemoState Firmware, DemoState Crashed, DemoState After, DeviceOutcome Outcome);

/// <summary>What the demo did, step by step, and the table.</summary>
public sealed record DemoResult(IReadOnlyList<string> Story, IReadOnlyList<DemoRow> Rows, PreinitReport Report, string WorkDirectory);

/// <summary>
/// <c>preconfig demo</c>: the whole job on the bundled machine, in a temp directory. Copy the machine (firmware state),
/// capture a snapshot into a store, let "the kernel run" (dirty) and save the machine (the crash resets nothing), then
/// preinit as the capture kernel's initramfs runs it (boot mode, kmsg to a file), and compare.
/// </summary>
public static class DemoScenario
{
    /// <param name="saveStore">Writes the snapshot to a store in the work directory; returns its --from spec and a note
    /// for the story (size, sequence).</param>
    /// <param name="readStore">Reads it back (the same reader preinit uses).</param>
    public static DemoResult Run(IFileSystem fs, string machinePath, string workDirectory, Func<Snapshot, string, (string Spec, string Note)> saveStore,
        SnapshotReader readStore, int seed = 1)
    {
        var story = new List<string>();
        string machineFile = fs.Path.Combine(workDirectory, "machine.json");
        fs.File.Copy(machinePath, machineFile, overwrite: true);
        var machine = SimulatedMachine.Load(machineFile);
        var firmware = machine.Functions.ToDictionary(f => f.Address, f => f.Space.Snapshot());
        story.Add($"firmware boot: {machine.Count} PCI functions as firmware left them ({machinePath} copied to {machineFile})");

        var snapshot = AccessSnapshot.Capture(machine, $"sim:{machineFile}");
        var (spec, note) = saveStore(snapshot, workDirectory);
        story.Add($"capture: snapshot of {snapshot.Devices.Count} functions written to {spec} {note}");

        int dirtied = KernelRun.Dirty(machine, seed);
        machine.Save(machineFile);
        var crashed = machine.Functions.ToDictionary(f => f.Address, f => f.Space.Snapshot());
        story.Add($"the kernel runs: drivers turn on Bus Master and MSI/MSI-X, change DevCtl and IRQ lines; errors latch ({dirtied} functions changed)");
        story.Add("crash: kexec into the capture kernel; nothing is reset, devices keep DMA and interrupts going");

        string cmdline = fs.Path.Combine(workDirectory, "cmdline"), kmsg = fs.Path.Combine(workDirectory, "kmsg");
        fs.File.WriteAllText(cmdline, "BOOT_IMAGE=/vmlinuz-kdump irqpoll nr_cpus=1 reset_devices elfcorehdr=0x7f000000\n");
        var target = SimulatedMachine.Load(machineFile);
        PreinitResult result;
        using (var log = new PreinitLog(fs, kmsg, null))
        {
            result = new PreinitRunner(fs, log, readStore).Run(new PreinitOptions
            {
                From = [spec],
                Target = () => target,
                Boot = true,
                ReportPath = fs.Path.Combine(workDirectory, "report.json"),
                Paths = new EnvironmentPaths { Cmdline = cmdline, Vmcore = fs.Path.Combine(workDirectory, "vmcore"), Kmsg = kmsg },
            });
        }
        target.Save(machineFile);
        int steps = result.Plan?.Steps.Count ?? 0;
        story.Add($"preinit --boot (capture kernel, before any driver): {steps} planned steps, quiesce first, Command last; kernel log in {kmsg}");
        story.Add(result.Report.Summary);

        var rows = new List<DemoRow>();
        foreach (var f in target.Functions)
        {
            var outcome = result.Report.Devices.FirstOrDefault(d => d.Address == f.Address.ToString())
                ?? new DeviceOutcome { Address = f.Address.ToString(), Outcome = PreinitReport.Skipped };
            rows.Add(new DemoRow(f.Address, KindOf(firmware[f.Address]), DemoState.Read(firmware[f.Address]),
                DemoState.Read(crashed[f.Address]), DemoState.Read(f.Space.Snapshot()), outcome));
        }
        return new DemoResult(story, rows, result.Report, workDirectory);
    }

    /// <summary>A short name for the function's class, as lspci's first word would say it.</summary>
    public static string KindOf(ReadOnlySpan<byte> cfg)
    {
        uint cls = ConfigBytes.ClassCode(cfg) >> 8;
        return cls switch
        {
            0x0101 => "IDE", 0x0104 => "RAID", 0x0106 => "SATA", 0x0108 => "NVMe", 0x0100 or 0x0107 => "SCSI/SAS",
            0x0200 => "Ethernet", 0x0280 => "network", 0x0300 => "VGA", 0x0403 => "audio", 0x0600 => "host bridge",
            0x0601 => "ISA bridge", 0x0604 => ConfigBytes.HeaderKind(cfg) == HeaderType.Bridge && IsRootPort(cfg) ? "root port" : "PCI bridge",
            0x0c03 => "USB", 0x0c05 => "SMBus",
            _ => (cls >> 8) switch { 0x01 => "storage", 0x02 => "network", 0x03 => "display", 0x06 => "bridge", 0x08 => "system", 0x0c => "serial bus", _ => $"class {cls:x4}" },
        };
    }

    private static bool IsRootPort(ReadOnlySpan<byte> cfg) =>
        CapabilityWalker.Walk(cfg).Find(CapabilityId.Express) is { } exp
        && (ConfigBytes.U16(cfg, exp.Offset + PciExpress.Flags) & PciExpress.FlagsTypeMask) >> 4 == (int)PciExpressPortType.RootPort;
}
