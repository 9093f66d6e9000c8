using Preconfig.ConfigSpace.Specification;
using Preconfig.Tests.Lspci;

namespace Preconfig.Tests.Simulation;

/// <summary><c>preconfig sim dirty</c> as a user runs it: every writable bit, the same crash for the same seed in any process.</summary>
public sealed class SimDirtyVerbTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sim-dirty-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Copy(string name)
    {
        string path = Path.Combine(_dir, name);
        File.Copy(Path.Combine(RepoPaths.Fixtures, "machines", "demo.json"), path);
        return path;
    }

    [Fact]
    public void The_same_seed_leaves_the_same_crash_in_two_processes_and_every_register_can_be_touched()
    {
        string a = Copy("a.json"), b = Copy("b.json"), c = Copy("c.json");
        foreach (var (file, seed) in new[] { (a, "7"), (b, "7"), (c, "8") })
        {
            var r = ExternalTool.Run(ExternalTool.Preconfig, "sim", "dirty", file, "--seed", seed);
            Assert.True(r.ExitCode == 0, r.Stderr);
        }
        Assert.Equal(File.ReadAllText(a), File.ReadAllText(b));
        Assert.NotEqual(File.ReadAllText(a), File.ReadAllText(c));

        var firmware = SimulatedMachine.Load(Path.Combine(RepoPaths.Fixtures, "machines", "demo.json"));
        var dirty = SimulatedMachine.Load(a);
        // Registers the old fixed subset never touched are dirtied somewhere; resources never move.
        var changed = new HashSet<string>();
        foreach (var f in firmware.Functions)
        {
            var before = f.Space.Snapshot();
            var after = dirty[f.Address].Space.Snapshot();
            foreach (var r in f.Space.Masks.Attributes.Registers)
            {
                bool differs = false;
                for (int i = 0; i < r.Width; i++) differs |= before[r.Offset + i] != after[r.Offset + i];
                if (differs) changed.Add(r.Spec.Name);
                for (int i = 0; i < Math.Min(4, r.Width); i++)
                {
                    byte resource = (byte)(r.ResourceBits >> (8 * i));
                    Assert.Equal(before[r.Offset + i] & resource, after[r.Offset + i] & resource);
                }
            }
        }
        Assert.Superset(new HashSet<string> { "Command", "LnkCtl", "DevCtl2", "Uncorrectable Error Mask", "Cache Line Size" }, changed);
    }
}
