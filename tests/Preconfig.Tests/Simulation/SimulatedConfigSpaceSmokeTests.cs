using Preconfig.ConfigSpace.Registers;

namespace Preconfig.Tests.Simulation;

public class SimulatedConfigSpaceSmokeTests
{
    private static string RealDump(string name) => Path.Combine(RepoPaths.Fixtures, "real-dumps", name);

    [Fact]
    public void MachineFromRealDumpRoundTripsThroughItsJsonFile()
    {
        var dump = LspciDumpReader.ReadFile(RealDump("pciutils-tests/tree-asus-p6t6"));
        var machine = SimulatedMachine.FromDump(dump);
        Assert.Equal(dump.Functions.Count, machine.Count);
        string path = Path.Combine(Path.GetTempPath(), $"sim-{Guid.NewGuid():n}.json");
        try
        {
            machine.Save(path);
            var loaded = SimulatedMachine.Load(path);
            foreach (var fn in dump.Functions)
                Assert.Equal(fn.Config, loaded.Open(fn.Address).ReadAll());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void CommandBusMasterIsWritableAndStatusErrorBitsClearOnlyWhereOnesAreWritten()
    {
        var cfg = new byte[256];
        cfg[0] = 0x86; cfg[1] = 0x80; cfg[2] = 0x34; cfg[3] = 0x12;
        cfg[Header.Status + 1] = 0xf9; // every error bit set
        var space = new SimulatedConfigSpace(new PciAddress(0, 1, 0, 0), cfg);
        space.WriteWord(Header.Command, (ushort)Command.BusMaster);
        Assert.True(space.DmaAllowed);
        space.WriteWord(Header.Status, (ushort)Status.RecMasterAbort);
        Assert.Equal((ushort)(Status.ErrorBits & ~Status.RecMasterAbort), space.ReadWord(Header.Status));
        space.WriteDword(0, 0xffffffff); // identity is read-only
        Assert.Equal(0x12348086u, space.ReadDword(0));
    }
}
