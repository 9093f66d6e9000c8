using Preconfig.ConfigSpace.Registers;
using Preconfig.Tests.Lspci;

namespace Preconfig.Tests.Inspection;

/// <summary>The real dumps the inspection checks run over, and helpers to read them and run pciutils.</summary>
internal static class InspectionTestData
{
    /// <summary>Every text dump in the shared real-dumps folder (raw <c>*.config.bin</c> files are not lspci input).</summary>
    public static IEnumerable<string> DumpFiles() =>
        Directory.EnumerateFiles(RepoPaths.RealDumps, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".md", StringComparison.Ordinal) && !f.EndsWith(".bin", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(RepoPaths.RealDumps, f))
            .Order(StringComparer.Ordinal);

    public static TheoryData<string> Dumps()
    {
        var data = new TheoryData<string>();
        foreach (var f in DumpFiles()) data.Add(f);
        return data;
    }

    public static string PathOf(string relative) => Path.Combine(RepoPaths.RealDumps, relative);

    /// <summary>A real dump through the same loader the verbs use.</summary>
    public static Snapshot Load(string relative)
    {
        var snapshot = InputLoader.Load("lspci:" + PathOf(relative), new FileSystem()).Snapshot;
        Assert.True(snapshot.Devices.Count > 0, $"{relative}: no function read");
        return snapshot;
    }

    /// <summary>A snapshot of a machine as it is now (the simulator, a sysfs tree).</summary>
    public static Snapshot Take(IPciAccess machine, string description) =>
        SnapshotSources.Take([new PciAccessSource(machine, description)], out _);

    /// <summary>pciutils' lspci output; a missing lspci or a failing run fails the test.</summary>
    public static string Lspci(params string[] args)
    {
        var r = ExternalTool.Run(ExternalTool.Lspci, args);
        Assert.True(r.ExitCode == 0, $"lspci {string.Join(' ', args)} exited {r.ExitCode}: {r.Stderr}");
        return r.Stdout;
    }

    /// <summary>
    /// "The kernel ran", through the simulator's write rules: Bus Master on, Interrupt Line changed, Received Master
    /// Abort set (poked, as hardware sets it), MSI and MSI-X enabled, DevCtl Max Read Request raised.
    /// </summary>
    public static void DirtyLikeAKernel(SimulatedMachine machine)
    {
        foreach (var fn in machine.Functions)
        {
            var space = fn.Space;
            byte[] old = space.Snapshot();
            var walk = CapabilityWalker.Walk(old);
            space.WriteWord(Header.Command, (ushort)(space.ReadWord(Header.Command) | (ushort)Command.BusMaster));
            space.WriteByte(Header.InterruptLine, (byte)(old[Header.InterruptLine] ^ 0x0a));
            space.Poke(Header.Status + 1, [(byte)(old[Header.Status + 1] | 0x20)]);
            if (walk.Find(CapabilityId.Msi) is { } msi)
                space.WriteWord(msi.Offset + Msi.Flags, (ushort)(space.ReadWord(msi.Offset + Msi.Flags) | Msi.FlagsEnable));
            if (walk.Find(CapabilityId.MsiX) is { } msix)
                space.WriteWord(msix.Offset + MsiX.Flags, (ushort)(space.ReadWord(msix.Offset + MsiX.Flags) | MsiX.FlagsEnable));
            if (walk.Find(CapabilityId.Express) is { } exp)
                space.WriteWord(exp.Offset + PciExpress.DevCtl, (ushort)(space.ReadWord(exp.Offset + PciExpress.DevCtl) | 0x5000));
        }
    }
}
