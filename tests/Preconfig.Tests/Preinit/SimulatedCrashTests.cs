using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Policy;
using Preconfig.Preinit.Reporting;

namespace Preconfig.Tests.Preinit;

public class SimulatedCrashTests
{
    public static TheoryData<string> Dumps()
    {
        var data = new TheoryData<string>();
        foreach (var d in SimulatedCrash.AllDumps()) data.Add(d);
        return data;
    }

    [Theory]
    [MemberData(nameof(Dumps))]
    public void EveryFunctionIsBackInFirmwareStateExceptBusMasterAndErrorBits(string dump)
    {
        var crash = SimulatedCrash.FromDump(Path.Combine(RepoPaths.Root, dump)).Dirty(seed: 7);
        // The dirty run really changed something to undo.
        Assert.Contains(crash.Machine.Functions, f => !f.Space.Snapshot().AsSpan().SequenceEqual(crash.Firmware[f.Address]));
        var report = crash.Preinit();

        Assert.All(report.Devices, d => Assert.Equal(Owned.Outcome(crash.Machine, d.Address), d.Outcome));
        var problems = crash.Machine.Functions.SelectMany(f => crash.Differences(f.Address)).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(20)));
        foreach (var f in crash.Machine.Functions)
        {
            bool endpoint = ConfigBytes.HeaderKind(crash.Firmware[f.Address]) == HeaderType.Normal;
            if (!Owned.None(crash.Machine, f.Address)) Assert.Equal((crash.Crashed[f.Address][Header.Command] & (byte)Command.BusMaster) != 0, f.Space.DmaAllowed);
            else if (endpoint) Assert.False(f.Space.DmaAllowed, $"{f.Address}: Bus Master left on");
            else Assert.Equal((crash.Firmware[f.Address][Header.Command] & (byte)Command.BusMaster) != 0, f.Space.DmaAllowed);
        }
    }

    [Theory]
    [MemberData(nameof(Dumps))]
    public void IntxAsCapturedRestoresTheCommandRegisterExactlyButBusMaster(string dump)
    {
        var crash = SimulatedCrash.FromDump(Path.Combine(RepoPaths.Root, dump)).Dirty(seed: 3);
        crash.Preinit(new ReplayPolicy { Intx = IntxPolicy.AsCaptured });
        var problems = crash.Machine.Functions.SelectMany(f => crash.Differences(f.Address, IntxPolicy.AsCaptured)).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(20)));
    }
}
