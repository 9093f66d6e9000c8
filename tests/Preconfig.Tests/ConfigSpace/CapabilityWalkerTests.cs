using Preconfig.ConfigSpace.Registers;

namespace Preconfig.Tests.ConfigSpace;

public sealed class CapabilityWalkerTests
{
    /// <summary>A PCIe function: status says there is a list; Express at 0x40 pointing to <paramref name="next"/>.</summary>
    private static byte[] Express(byte next, uint firstExtended)
    {
        var c = new byte[4096];
        c[Header.Status] = (byte)Status.CapList;
        c[Header.CapabilityList] = 0x40;
        c[0x40] = (byte)CapabilityId.Express; c[0x41] = next;
        BitConverter.TryWriteBytes(c.AsSpan(0x100), firstExtended);
        return c;
    }

    [Fact]
    public void A_standard_loop_stops_and_is_reported()
    {
        var c = Express(0x50, 0);
        c[0x50] = (byte)CapabilityId.Msi; c[0x51] = 0x40;
        var r = CapabilityWalker.Walk(c);
        Assert.Equal(CapabilityChainProblem.Looped, r.StandardProblem);
        Assert.Equal(2, r.Capabilities.Count);
    }

    [Theory]
    [InlineData(0x10, CapabilityChainProblem.PointerOutOfRange)] // into the header
    [InlineData(0xff, CapabilityChainProblem.BrokenId)]          // 0xfc: an all-ones entry follows
    public void Bad_standard_pointers_end_the_walk(byte next, CapabilityChainProblem problem)
    {
        var c = Express(next, 0);
        c.AsSpan(0xfc, 4).Fill(0xff);
        Assert.Equal(problem, CapabilityWalker.Walk(c).StandardProblem);
    }

    [Fact]
    public void Extended_loops_zero_and_all_ones_end_the_walk()
    {
        var loop = Express(0, 0x10010001u);   // AER at 0x100, next 0x100
        Assert.Equal(CapabilityChainProblem.Looped, CapabilityWalker.Walk(loop).ExtendedProblem);
        var below = Express(0, 0x08010001u);  // next 0x080: below the extended space
        Assert.Equal(CapabilityChainProblem.PointerOutOfRange, CapabilityWalker.Walk(below).ExtendedProblem);
        Assert.Single(CapabilityWalker.Walk(Express(0, 0)).Capabilities);
        Assert.Single(CapabilityWalker.Walk(Express(0, 0xffffffff)).Capabilities);
        var only256 = Express(0, 0x00010001u).AsSpan(0, 256).ToArray(); // no extended space captured: not walked
        Assert.Equal(CapabilityChainProblem.None, CapabilityWalker.Walk(only256).ExtendedProblem);
    }

    [Fact]
    public void Pciutils_broken_ecaps_machine_walks_without_error()
    {
        var dump = LspciDumpReader.ReadFile(Path.Combine(RepoPaths.Fixtures, "real-dumps", "pciutils-tests", "broken-ecaps"));
        foreach (var fn in dump.Functions)
        {
            var r = CapabilityWalker.Walk(fn.Config);
            Assert.All(r.Capabilities, c => Assert.InRange(c.Offset, Header.Size, fn.Config.Length - 4));
        }
    }

    [Fact]
    public void Random_spaces_never_hang_or_throw()
    {
        var random = new Random(7);
        var c = new byte[4096];
        for (int i = 0; i < 2000; i++)
        {
            random.NextBytes(c);
            c[Header.Status] |= (byte)Status.CapList;
            c[0x40] = (byte)CapabilityId.Express;
            var r = CapabilityWalker.Walk(c);
            Assert.True(r.Capabilities.Count <= 48 + 1024);
            Assert.All(r.Capabilities, cap => Assert.InRange(cap.Offset, Header.Size, 4092));
        }
    }
}
