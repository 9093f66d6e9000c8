using System.Buffers.Binary;
using Preconfig.ConfigSpace.Registers;

namespace Preconfig.Tests.Simulation;

/// <summary>The simulator register by register: what a real device does with each kind of write.</summary>
public sealed class SimulatorSemanticsTests
{
    private static readonly PciAddress Ep = new(0, 2, 0, 0), Root = new(0, 0, 0x1c, 0), Sibling = new(0, 2, 0, 1), Far = new(0, 5, 0, 0);

    /// <summary>A PCIe endpoint (FLR capable) with a 32-bit, a 64-bit prefetchable, an I/O BAR and a ROM; MSI at 0x50,
    /// Express at 0x70, AER at 0x100.</summary>
    private static byte[] Endpoint()
    {
        var c = new byte[4096];
        Put32(c, 0, 0x10d38086);
        Put16(c, Header.Command, 0x0006);
        Put16(c, Header.Status, 0x0010);
        Put32(c, Header.ClassRevision, 0x02000003);
        Put32(c, Type0.BaseAddress0, 0xfe000000);               // 32-bit memory
        Put32(c, Type0.BaseAddress1, 0x0000000c);               // 64-bit prefetchable, low
        Put32(c, Type0.BaseAddress2, 0x00000040);               // ... high: 0x40_00000000
        Put32(c, Type0.BaseAddress3, 0x0000e021);               // I/O
        Put32(c, Type0.SubsystemVendorId, 0xa01f8086);
        Put32(c, Type0.RomAddress, 0xfe100000);                 // ROM, decode off
        c[Header.CapabilityList] = 0x50;
        c[Header.InterruptPin] = 1;
        c[0x50] = (byte)CapabilityId.Msi; c[0x51] = 0x70; Put16(c, 0x52, Msi.Flags64Bit);
        c[0x70] = (byte)CapabilityId.Express; c[0x71] = 0; Put16(c, 0x72, 0x0002);
        Put32(c, 0x70 + PciExpress.DevCap, PciExpress.DevCapFlr);
        Put16(c, 0x70 + PciExpress.DevCtl, 0x2837);
        Put32(c, 0x100, 0x00010001);                            // AER v1, last
        return c;
    }

    private static readonly IReadOnlyList<BarModel> EndpointBars =
    [
        new(0, Type0.BaseAddress0, BarKind.Memory32, 0x4000),
        new(1, Type0.BaseAddress1, BarKind.Memory64, 0x2_0000_0000, Prefetchable: true),
        new(3, Type0.BaseAddress3, BarKind.Io, 0x20),
        new(6, Type0.RomAddress, BarKind.Rom, 0x10000),
    ];

    /// <summary>A PCIe root port (type 1) forwarding buses 2..4, with 64-bit prefetchable and 16-bit I/O windows.</summary>
    private static byte[] RootPort()
    {
        var c = new byte[4096];
        Put32(c, 0, 0x27d08086);
        Put32(c, Header.ClassRevision, 0x06040002);
        c[Header.HeaderType] = 0x81;
        c[Type1.PrimaryBus] = 0; c[Type1.SecondaryBus] = 2; c[Type1.SubordinateBus] = 4;
        c[Type1.IoBase] = 0xd0; c[Type1.IoLimit] = 0xd0;
        Put16(c, Type1.MemoryBase, 0xfe00); Put16(c, Type1.MemoryLimit, 0xfe10);
        Put16(c, Type1.PrefMemoryBase, 0x0001); Put16(c, Type1.PrefMemoryLimit, 0x0011);
        Put32(c, Type1.PrefBaseUpper32, 0x40); Put32(c, Type1.PrefLimitUpper32, 0x40);
        c[Header.CapabilityList] = 0x40;
        c[0x40] = (byte)CapabilityId.Express; Put16(c, 0x42, 0x0042); // v2 root port
        Put32(c, 0x100, 0x00010001);
        return c;
    }

    private static void Put16(byte[] c, int at, ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(c.AsSpan(at), v);
    private static void Put32(byte[] c, int at, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(at), v);

    private static SimulatedConfigSpace NewEndpoint(SimulatedFaults? faults = null) => new(Ep, Endpoint(), EndpointBars, faults);

    [Fact]
    public void Bar32_sizing_reads_back_the_size_mask_and_the_address_is_restored()
    {
        var s = NewEndpoint();
        s.WriteDword(Type0.BaseAddress0, 0xffffffff);
        Assert.Equal(0xffffc000u, s.ReadDword(Type0.BaseAddress0));
        s.WriteDword(Type0.BaseAddress0, 0xfe000000);
        Assert.Equal(0xfe000000u, s.ReadDword(Type0.BaseAddress0));
        s.WriteDword(Type0.BaseAddress0, 0xfe001234); // bits below the size do not stick
        Assert.Equal(0xfe000000u, s.ReadDword(Type0.BaseAddress0));
    }

    [Fact]
    public void Bar64_sizing_covers_the_upper_half_and_keeps_the_type_bits()
    {
        var s = NewEndpoint();
        s.WriteDword(Type0.BaseAddress1, 0xffffffff);
        s.WriteDword(Type0.BaseAddress2, 0xffffffff);
        Assert.Equal(0x0000000cu, s.ReadDword(Type0.BaseAddress1)); // 8 GiB: no low address bits are writable
        Assert.Equal(0xfffffffeu, s.ReadDword(Type0.BaseAddress2));
        s.WriteDword(Type0.BaseAddress1, 0);
        s.WriteDword(Type0.BaseAddress2, 0x40);
        Assert.Equal(0x40_0000000cul, (ulong)s.ReadDword(Type0.BaseAddress2) << 32 | s.ReadDword(Type0.BaseAddress1));

        var small = new SimulatedConfigSpace(Ep, Endpoint(), [new BarModel(1, Type0.BaseAddress1, BarKind.Memory64, 0x200000, true)]);
        small.WriteDword(Type0.BaseAddress1, 0xffffffff);
        small.WriteDword(Type0.BaseAddress2, 0xffffffff);
        Assert.Equal(0xffe0000cu, small.ReadDword(Type0.BaseAddress1));
        Assert.Equal(0xffffffffu, small.ReadDword(Type0.BaseAddress2));
    }

    [Theory]
    [InlineData(Type0.BaseAddress3, 0xffffffffu, 0xffffffe1u)] // I/O: the space bit stays
    [InlineData(Type0.RomAddress, 0xfffff800u, 0xffff0000u)]   // ROM sized with decode off, as the kernel does
    [InlineData(Type0.RomAddress, 0xfe100001u, 0xfe100001u)]   // ROM enable bit is writable
    [InlineData(Type0.BaseAddress4, 0xffffffffu, 0u)]          // unimplemented BAR reads zero
    public void Bar_write_reads_back(int offset, uint written, uint expected)
    {
        var s = NewEndpoint();
        s.WriteDword(offset, written);
        Assert.Equal(expected, s.ReadDword(offset));
    }

    [Theory]
    [InlineData(BarKind.Memory32, 0xfe100000ul, 0x100000ul)]   // 1 MiB aligned: the cap
    [InlineData(BarKind.Memory32, 0xfe0f0000ul, 0x10000ul)]    // 64 KiB aligned
    [InlineData(BarKind.Memory64, 0x40_00000000ul, 0x100000ul)]
    [InlineData(BarKind.Memory32, 0ul, 0x1000ul)]              // unassigned: the minimum
    [InlineData(BarKind.Io, 0xe000ul, 0x100ul)]
    [InlineData(BarKind.Io, 0xe020ul, 0x20ul)]
    [InlineData(BarKind.Rom, 0xfe100000ul, 0x10000ul)]
    public void Bar_sizes_a_dump_does_not_carry_follow_the_alignment_rule(BarKind kind, ulong address, ulong size) =>
        Assert.Equal(size, BarModel.InferSize(kind, address));

    [Fact]
    public void Bars_from_a_dump_are_the_implemented_ones_with_inferred_sizes()
    {
        var bars = BarModel.FromConfig(Endpoint());
        Assert.Equal([(0, BarKind.Memory32, 0x100000ul), (1, BarKind.Memory64, 0x100000ul), (3, BarKind.Io, 0x20ul), (6, BarKind.Rom, 0x10000ul)],
            bars.Select(b => (b.Index, b.Kind, b.Size)));
        Assert.True(bars[1].Prefetchable);
    }

    [Fact]
    public void Rw1c_bits_clear_only_where_ones_are_written()
    {
        var c = Endpoint();
        Put16(c, Header.Status, 0xf910);
        Put32(c, 0x100 + Aer.UncorStatus, 0x00104010);
        Put16(c, 0x70 + PciExpress.DevSta, 0x000f);
        var s = new SimulatedConfigSpace(Ep, c, EndpointBars);
        s.WriteWord(Header.Status, 0);
        Assert.Equal(0xf910, s.ReadWord(Header.Status));
        s.WriteWord(Header.Status, (ushort)(Status.RecMasterAbort | Status.CapList));
        Assert.Equal(0xd910, s.ReadWord(Header.Status)); // CapList is read-only and stays
        s.WriteDword(0x100 + Aer.UncorStatus, 0x00004000);
        Assert.Equal(0x00100010u, s.ReadDword(0x100 + Aer.UncorStatus));
        s.WriteWord(0x70 + PciExpress.DevSta, 0x0005);
        Assert.Equal(0x000a, s.ReadWord(0x70 + PciExpress.DevSta));
    }

    [Fact]
    public void Identity_and_capability_structure_are_unchanged_by_any_write()
    {
        var dump = LspciDumpReader.ReadFile(Path.Combine(RepoPaths.Fixtures, "real-dumps", "pciutils-tests", "cap-aer-root"));
        foreach (var fn in dump.Functions)
        {
            var s = new SimulatedConfigSpace(fn.Address, fn.Config);
            var capsBefore = CapabilityWalker.Walk(fn.Config).Capabilities;
            foreach (uint pattern in new[] { 0xffffffffu, 0u, 0xa5a5a5a5u })
                for (int off = 0; off < s.Length; off += 4)
                    s.WriteDword(off, pattern);
            var after = s.Snapshot();
            foreach (int off in new[] { 0, 1, 2, 3, 8, 9, 10, 11, Header.HeaderType, Header.CapabilityList, Header.InterruptPin })
                Assert.Equal(fn.Config[off], after[off]);
            if (ConfigBytes.HeaderKind(fn.Config) == HeaderType.Normal)
                Assert.Equal(fn.Config.AsSpan(Type0.SubsystemVendorId, 4).ToArray(), after.AsSpan(Type0.SubsystemVendorId, 4).ToArray());
            Assert.Equal(capsBefore, CapabilityWalker.Walk(after).Capabilities);
            foreach (var cap in capsBefore) // the ID and next pointer of every capability
                Assert.Equal(fn.Config.AsSpan(cap.Offset, cap.Extended ? 4 : 2).ToArray(), after.AsSpan(cap.Offset, cap.Extended ? 4 : 2).ToArray());
        }
    }

    [Fact]
    public void Bridge_bus_numbers_and_windows_take_writes_within_their_granularity()
    {
        var s = new SimulatedConfigSpace(Root, RootPort());
        s.WriteDword(Type1.PrimaryBus, 0x00090805);
        Assert.Equal(0x00090805u, s.ReadDword(Type1.PrimaryBus));
        s.WriteByte(Type1.IoBase, 0xff);
        Assert.Equal(0xf0, s.ReadByte(Type1.IoBase)); // 16-bit I/O: the type nibble is read-only
        s.WriteWord(Type1.MemoryBase, 0xffff);
        Assert.Equal(0xfff0, s.ReadWord(Type1.MemoryBase));
        s.WriteWord(Type1.PrefMemoryBase, 0xffff);
        Assert.Equal(0xfff1, s.ReadWord(Type1.PrefMemoryBase)); // 64-bit prefetchable window
        s.WriteDword(Type1.PrefBaseUpper32, 0x12345678);
        Assert.Equal(0x12345678u, s.ReadDword(Type1.PrefBaseUpper32));
        s.WriteWord(Type1.IoBaseUpper16, 0xffff); // 16-bit I/O: no upper half
        Assert.Equal(0, s.ReadWord(Type1.IoBaseUpper16));
        Assert.Equal(0u, s.ReadDword(Type1.BaseAddress0)); // no BARs on this port
    }

    [Fact]
    public void Secondary_bus_reset_resets_every_function_below_the_bridge_and_nothing_else()
    {
        var machine = new SimulatedMachine();
        var root = machine.Add(new SimulatedConfigSpace(Root, RootPort())).Space;
        var ep = machine.Add(new SimulatedConfigSpace(Ep, Endpoint(), EndpointBars)).Space;
        var far = machine.Add(new SimulatedConfigSpace(Far, Endpoint(), EndpointBars)).Space;
        ep.WriteWord(Header.Command, 0x0006);
        root.WriteWord(Type1.BridgeControl, (ushort)BridgeControl.BusReset);
        Assert.Equal(1, ep.ResetCount);
        Assert.Equal(0, ep.ReadWord(Header.Command));
        Assert.Equal(0, far.ResetCount);   // bus 5 is not below 2..4
        Assert.Equal(0, root.ResetCount);
        root.WriteWord(Type1.BridgeControl, (ushort)BridgeControl.BusReset); // still asserted: no new edge
        Assert.Equal(1, ep.ResetCount);
    }

    [Fact]
    public void Command_side_effects_follow_the_register()
    {
        var s = NewEndpoint();
        Assert.True(s.MemoryDecode);
        Assert.True(s.DmaAllowed);
        Assert.False(s.IoDecode);
        s.WriteWord(Header.Command, (ushort)(Command.Io | Command.IntxDisable));
        Assert.True(s.IoDecode);
        Assert.False(s.MemoryDecode);
        Assert.False(s.DmaAllowed);
        Assert.True(s.IntxDisabled);
        s.WriteWord(Header.Command, (ushort)Command.Invalidate); // MWI: not set by firmware here, so not implemented
        Assert.Equal(0, s.ReadWord(Header.Command));

        var c = Endpoint();
        Put16(c, Header.Command, (ushort)(Command.Memory | Command.Invalidate));
        var mwi = new SimulatedConfigSpace(Ep, c, EndpointBars);
        mwi.WriteWord(Header.Command, 0);
        mwi.WriteWord(Header.Command, (ushort)Command.Invalidate);
        Assert.Equal((ushort)Command.Invalidate, mwi.ReadWord(Header.Command));
    }

    [Fact]
    public void Flr_resets_the_function_but_not_identity_or_sticky_aer_bits()
    {
        var c = Endpoint();
        Put32(c, 0x100 + Aer.UncorMask, 0x00400000);
        var s = new SimulatedConfigSpace(Ep, c, EndpointBars);
        s.WriteWord(0x50 + Msi.Flags, Msi.FlagsEnable);
        s.WriteDword(0x100 + Aer.CorMask, 0x00002000);
        s.WriteWord(0x70 + PciExpress.DevCtl, 0x5f3f);
        s.WriteWord(0x70 + PciExpress.DevCtl, (ushort)(0x5f3f | PciExpress.DevCtlFlReset));
        Assert.Equal(1, s.ResetCount);
        Assert.Equal(0, s.ReadWord(Header.Command));
        Assert.Equal(0u, s.ReadDword(Type0.BaseAddress0));
        Assert.Equal(0, s.ReadWord(0x50 + Msi.Flags) & Msi.FlagsEnable);
        // The spec's reset value (PCIe 4.0 §7.5.3.4), Aux Power PM Enable aside: it is sticky (RWS). Initiate FLR reads 0.
        Assert.Equal(0x2810 | PciExpress.DevCtlAuxPower, s.ReadWord(0x70 + PciExpress.DevCtl));
        Assert.Equal(0x00400000u, s.ReadDword(0x100 + Aer.UncorMask)); // sticky
        Assert.Equal(0x00002000u, s.ReadDword(0x100 + Aer.CorMask));
        Assert.Equal(0x10d38086u, s.ReadDword(0));
        Assert.Equal((byte)0x70, s.ReadByte(0x51));
    }

    [Fact]
    public void Initiate_flr_does_nothing_on_a_function_without_flr()
    {
        var c = Endpoint();
        Put32(c, 0x70 + PciExpress.DevCap, 0);
        var s = new SimulatedConfigSpace(Ep, c, EndpointBars);
        s.WriteWord(0x70 + PciExpress.DevCtl, 0xa837);
        Assert.Equal(0, s.ResetCount);
        Assert.Equal(0x0006, s.ReadWord(Header.Command));
    }

    [Fact]
    public void A_stuck_register_drops_its_writes()
    {
        var s = NewEndpoint(new SimulatedFaults { StuckDwords = [Header.Command] });
        s.WriteWord(Header.Command, 0);
        Assert.Equal(0x0006, s.ReadWord(Header.Command));
        Assert.Single(s.Writes);
        s.WriteByte(Header.InterruptLine, 0x0b); // other registers are fine
        Assert.Equal(0x0b, s.ReadByte(Header.InterruptLine));
    }

    [Fact]
    public void A_slow_device_takes_the_write_after_n_retries()
    {
        var s = NewEndpoint(new SimulatedFaults { RetriesNeeded = 2 });
        for (int attempt = 1; attempt <= 2; attempt++)
        {
            s.WriteWord(Header.Command, 0x0400);
            Assert.Equal(0x0006, s.ReadWord(Header.Command));
        }
        s.WriteWord(Header.Command, 0x0400);
        Assert.Equal(0x0400, s.ReadWord(Header.Command));
    }

    [Fact]
    public void A_vanished_device_reads_all_ones_and_ignores_writes()
    {
        var s = NewEndpoint(new SimulatedFaults { Vanished = true });
        Assert.Equal(0xffffffffu, s.ReadDword(0));
        s.WriteWord(Header.Command, 0);
        Assert.Equal(0x0006, ConfigBytes.U16(s.Snapshot(), Header.Command));
    }

    [Fact]
    public void A_device_vanishes_after_n_writes()
    {
        var s = NewEndpoint(new SimulatedFaults { VanishAfterWrites = 2 });
        s.WriteByte(Header.InterruptLine, 1);
        s.WriteByte(Header.CacheLineSize, 0x10);
        Assert.Equal(0x10d38086u, s.ReadDword(0));
        s.WriteWord(Header.Command, 0);
        Assert.True(s.Faults.Vanished);
        Assert.Equal(0xffffffffu, s.ReadDword(0));
        Assert.Equal(0x0006, ConfigBytes.U16(s.Snapshot(), Header.Command));
    }

    [Fact]
    public void Eio_fails_reads_and_writes_naming_the_device()
    {
        var s = NewEndpoint(new SimulatedFaults { IoError = true });
        var e = Assert.Throws<ConfigSpaceAccessException>(() => s.ReadWord(Header.Command));
        Assert.Contains("0000:02:00.0", e.Message);
        Assert.Contains("EIO", e.Message);
        Assert.Throws<ConfigSpaceAccessException>(() => s.WriteWord(Header.Command, 0));
    }

    [Fact]
    public void Faults_bar_sizes_and_reset_behaviours_survive_the_machine_file()
    {
        var machine = new SimulatedMachine("t");
        var f = machine.Add(NewEndpoint(new SimulatedFaults { StuckDwords = [4], RetriesNeeded = 1, VanishAfterWrites = 7 }));
        f.ResetMethods.AddRange(["flr", "bus"]);
        f.ResetBehaviors["bus"] = ResetBehavior.ErrorButWorks;
        f.Driver = "e1000e";
        f.BootVga = true;
        string path = Path.Combine(Path.GetTempPath(), $"sim-{Guid.NewGuid():n}.json");
        try
        {
            machine.Save(path);
            var g = SimulatedMachine.Load(path)[Ep];
            Assert.Equal(EndpointBars.Select(b => (b.Index, b.Kind, b.Size, b.Prefetchable)), g.Space.Bars.Select(b => (b.Index, b.Kind, b.Size, b.Prefetchable)));
            Assert.Equal([4], g.Space.Faults.StuckDwords);
            Assert.Equal(1, g.Space.Faults.RetriesNeeded);
            Assert.Equal(7, g.Space.Faults.VanishAfterWrites);
            Assert.Equal(["flr", "bus"], g.ResetMethods);
            Assert.Equal(ResetBehavior.ErrorButWorks, g.BehaviorFor("bus"));
            Assert.Equal("e1000e", g.Driver);
            Assert.True(g.BootVga);
            Assert.True(SimulatedMachine.Load(path).Describe(Ep).BootVga);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Machine_reset_requests_act_as_offered()
    {
        var machine = new SimulatedMachine();
        var ep = machine.Add(NewEndpoint());
        var sibling = machine.Add(new SimulatedConfigSpace(Sibling, Endpoint(), EndpointBars));
        ep.ResetMethods.AddRange(["flr", "bus"]);
        var info = machine.Describe(Ep);
        Assert.Equal(13, info.Resources.Count);
        Assert.Equal(new BarResource(0, 0xfe000000, 0xfe003fff, 0x40200), info.Resources[0]);
        Assert.Equal(0x2_0000_0000ul, info.Resources[1].Size);
        Assert.False(machine.RequestReset(Ep, "pm").Reported);
        Assert.True(machine.RequestReset(Ep, "flr").Reported);
        Assert.Equal((1, 0), (ep.Space.ResetCount, sibling.Space.ResetCount));
        Assert.True(machine.RequestReset(Ep, "bus").Reported);
        Assert.Equal((2, 1), (ep.Space.ResetCount, sibling.Space.ResetCount));
    }
}
