using System.Buffers.Binary;
using Preconfig.ConfigSpace.Registers;
using Preconfig.ConfigSpace.Specification;
using Preconfig.Tests.Preinit;

namespace Preconfig.Tests.Simulation;

/// <summary>The specification table: its shape, its citations, and the rules that tie bits to capability registers.</summary>
public sealed class SpecTableTests
{
    private static void Put16(byte[] c, int at, uint v) => BinaryPrimitives.WriteUInt16LittleEndian(c.AsSpan(at), (ushort)v);
    private static void Put32(byte[] c, int at, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(at), v);

    /// <summary>A PCI Express function (type 0 or 1) with the PCIe capability v2 at 0x40 and nothing else.</summary>
    private static byte[] Express(PciExpressPortType type, uint devCap = 0, uint lnkCap = 0, uint devCap2 = 0, uint sltCap = 0, bool slot = false,
        bool multiFunction = false)
    {
        var c = new byte[4096];
        Put32(c, 0, 0x12348086);
        Put16(c, Header.Status, (ushort)Status.CapList);
        bool bridge = type is PciExpressPortType.RootPort or PciExpressPortType.Upstream or PciExpressPortType.Downstream
            or PciExpressPortType.PciBridge or PciExpressPortType.PcieBridge;
        c[Header.HeaderType] = (byte)((bridge ? 1 : 0) | (multiFunction ? 0x80 : 0));
        c[Header.CapabilityList] = 0x40;
        c[0x40] = (byte)CapabilityId.Express;
        Put16(c, 0x42, 2u | (uint)type << 4 | (slot ? PciExpress.FlagsSlot : 0u));
        Put32(c, 0x40 + PciExpress.DevCap, devCap);
        Put32(c, 0x40 + PciExpress.LnkCap, lnkCap);
        Put32(c, 0x40 + PciExpress.SltCap, sltCap);
        Put32(c, 0x40 + PciExpress.DevCap2, devCap2);
        return c;
    }

    private static FunctionAttributes Resolve(byte[] c, string address = "0000:01:00.0") => SpecTable.Resolve(c, PciAddress.Parse(address));

    private static ResolvedRegister Reg(FunctionAttributes a, StructureKey key, string name) =>
        a.Find(key, name) ?? throw new Xunit.Sdk.XunitException($"{key} {name} not resolved");

    private static readonly StructureKey Exp = StructureKey.Capability((int)CapabilityId.Express);

    [Fact]
    public void Every_field_cites_the_specification_section_that_defines_it()
    {
        foreach (var s in SpecTable.Structures)
        {
            Assert.False(string.IsNullOrWhiteSpace(s.Citation), s.Name);
            foreach (var r in s.Registers)
            {
                Assert.Contains("§", r.Citation.Replace("PC Card Standard", "§"));
                foreach (var f in r.Fields) Assert.True(f.Citation.Contains('§') || f.Citation.Contains("PC Card"), $"{s.Key} {r.Name} {f.Name}: '{f.Citation}'");
            }
        }
    }

    [Fact]
    public void Fields_fit_their_register_and_never_overlap()
    {
        foreach (var s in SpecTable.Structures)
            foreach (var r in s.Registers)
            {
                uint seen = 0;
                foreach (var f in r.Fields)
                {
                    Assert.True(f.Low >= 0 && f.Low + f.Width <= 8 * r.Width, $"{s.Key} {r.Name} {f.Name}");
                    if (r.Width <= 4)
                    {
                        Assert.True((seen & f.Mask) == 0, $"{s.Key} {r.Name}: {f.Name} overlaps");
                        seen |= f.Mask;
                    }
                }
            }
    }

    [Fact]
    public void The_table_covers_the_headers_and_the_capabilities_the_replay_touches()
    {
        StructureKey[] covered =
        [
            StructureKey.Header(0), StructureKey.Header(1), StructureKey.Header(2),
            StructureKey.Capability((int)CapabilityId.PowerManagement), StructureKey.Capability((int)CapabilityId.Msi),
            StructureKey.Capability((int)CapabilityId.MsiX), Exp, StructureKey.Capability((int)CapabilityId.Vendor),
            StructureKey.Extended((int)ExtendedCapabilityId.Aer), StructureKey.Extended((int)ExtendedCapabilityId.Acs),
            StructureKey.Extended((int)ExtendedCapabilityId.Ltr), StructureKey.Extended((int)ExtendedCapabilityId.L1PmSubstates),
            StructureKey.Extended((int)ExtendedCapabilityId.Dpc), StructureKey.Extended((int)ExtendedCapabilityId.Ptm),
            StructureKey.Extended((int)ExtendedCapabilityId.Ari), StructureKey.Extended((int)ExtendedCapabilityId.SrIov),
        ];
        Assert.All(covered, k => Assert.NotNull(SpecTable.Find(k)));
    }

    [Theory]
    [InlineData("header0", StructureKind.Header, 0)]
    [InlineData("cap 0x10", StructureKind.Capability, 0x10)]
    [InlineData("cap:10", StructureKind.Capability, 0x10)]
    [InlineData("ecap 0x1", StructureKind.ExtendedCapability, 1)]
    [InlineData("ECAP:001e", StructureKind.ExtendedCapability, 0x1e)]
    public void Structure_keys_parse_as_the_export_prints_them(string text, StructureKind kind, int id)
    {
        Assert.True(StructureKey.TryParse(text, out var key));
        Assert.Equal(new StructureKey(kind, id), key);
        Assert.True(StructureKey.TryParse(key.ToString(), out var again));
        Assert.Equal(key, again);
    }

    [Fact]
    public void A_register_is_found_by_structure_and_offset()
    {
        Assert.Equal("LnkCtl", Assert.Single(SpecTable.RegistersAt(Exp, 0x11)).Name);
        Assert.Equal("Bridge Control", Assert.Single(SpecTable.RegistersAt(StructureKey.Header(1), 0x3e)).Name);
        // MSI's layout depends on the function: both candidates for offset 0x0c are returned.
        Assert.Equal(["Message Data", "Mask Bits"], SpecTable.RegistersAt(StructureKey.Capability((int)CapabilityId.Msi), 0x0c).Select(r => r.Name).Distinct());
    }

    [Fact]
    public void Link_disable_and_retrain_exist_on_downstream_ports_only()
    {
        var port = Reg(Resolve(Express(PciExpressPortType.RootPort)), Exp, "LnkCtl");
        var ep = Reg(Resolve(Express(PciExpressPortType.Endpoint)), Exp, "LnkCtl");
        Assert.Equal(BitAttribute.RW, port.Bits[4]);
        Assert.Equal(BitAttribute.Action, port.Bits[5]);
        Assert.Equal(BitAttribute.RsvdP, ep.Bits[4]);
        Assert.Equal(BitAttribute.RsvdP, ep.Bits[5]);
        Assert.Equal(BitAttribute.HwInit, port.Bits[3]);   // Read Completion Boundary: a Root Port reports its own
        Assert.Equal(BitAttribute.RW, ep.Bits[3]);
    }

    [Fact]
    public void Clock_power_management_and_bandwidth_interrupts_follow_LnkCap()
    {
        var without = Reg(Resolve(Express(PciExpressPortType.RootPort)), Exp, "LnkCtl");
        var with = Reg(Resolve(Express(PciExpressPortType.RootPort, lnkCap: 0x00240000)), Exp, "LnkCtl");
        Assert.Equal(0u, without.Writable & 0x0d00);
        Assert.Equal(0x0d00u, with.Writable & 0x0d00);
        // No Link at all: every LnkCtl bit is reserved.
        Assert.Equal(0u, Reg(Resolve(Express(PciExpressPortType.RootIntegratedEndpoint, lnkCap: 0x00240000)), Exp, "LnkCtl").Writable);
    }

    [Fact]
    public void DevCtl_bit_15_is_initiate_flr_bridge_retry_enable_or_reserved()
    {
        var flr = Reg(Resolve(Express(PciExpressPortType.Endpoint, devCap: PciExpress.DevCapFlr)), Exp, "DevCtl");
        var noFlr = Reg(Resolve(Express(PciExpressPortType.Endpoint)), Exp, "DevCtl");
        var bridge = Reg(Resolve(Express(PciExpressPortType.PciBridge)), Exp, "DevCtl");
        Assert.Equal(BitAttribute.Action, flr.Bits[15]);
        Assert.Equal(BitAttribute.RsvdP, noFlr.Bits[15]);
        Assert.Equal(BitAttribute.RW, bridge.Bits[15]);
        Assert.Equal(BitAttribute.RWS, flr.Bits[10]);         // Aux Power PM Enable is sticky
        Assert.Equal(0x2810u, flr.ResetValue & 0xf8ff);       // MRRS 512, No Snoop and Relaxed Ordering on after reset
        Assert.Equal(0u, flr.Writable & 0x0300);              // Extended Tag and Phantom Functions need DevCap support
        Assert.Equal(0x0300u, Reg(Resolve(Express(PciExpressPortType.Endpoint, devCap: 0x38)), Exp, "DevCtl").Writable & 0x0300);
    }

    [Fact]
    public void DevCtl2_bits_follow_DevCap2_and_ltr_enable_lives_in_function_0()
    {
        uint devCap2 = 0x0000081f; // completion timeout ranges A-D, timeout disable, LTR
        var f0 = Reg(Resolve(Express(PciExpressPortType.Endpoint, devCap2: devCap2, multiFunction: true), "0000:01:00.0"), Exp, "DevCtl2");
        var f1 = Reg(Resolve(Express(PciExpressPortType.Endpoint, devCap2: devCap2, multiFunction: true), "0000:01:00.1"), Exp, "DevCtl2");
        var port1 = Reg(Resolve(Express(PciExpressPortType.RootPort, devCap2: devCap2, multiFunction: true), "0000:00:1c.1"), Exp, "DevCtl2");
        Assert.Equal(0x1fu, f0.Writable & 0x1f);
        Assert.Equal(BitAttribute.RW, f0.Bits[10]);
        Assert.Equal(BitAttribute.RsvdP, f1.Bits[10]);
        Assert.Equal(BitAttribute.RW, port1.Bits[10]);       // each downstream port has its own link
        Assert.Equal(BitAttribute.RsvdP, f0.Bits[5]);         // ARI Forwarding needs DevCap2 bit 5
        var legal = f0.Spec.Fields.Single(f => f.Name == "Completion Timeout Value").Legal!;
        Assert.True(legal.Allows(f0.Context, 0));
        Assert.True(legal.Allows(f0.Context, 0xe));
        Assert.False(legal.Allows(f0.Context, 0x3));
    }

    [Fact]
    public void Slot_control_bits_follow_SltCap()
    {
        var bare = Reg(Resolve(Express(PciExpressPortType.Downstream, slot: true)), Exp, "SltCtl");
        var full = Reg(Resolve(Express(PciExpressPortType.Downstream, slot: true, sltCap: 0x0002005f, lnkCap: 0x00100000)), Exp, "SltCtl");
        Assert.Equal(0u, bare.Writable & 0x17ff);
        Assert.Equal(0x17ffu, full.Writable & 0x17ff);        // all but the interlock (an action)
        Assert.Equal(BitAttribute.Action, full.Bits[11]);
        Assert.Null(Resolve(Express(PciExpressPortType.Downstream)).Find(Exp, "SltCtl")); // no slot: no register
    }

    [Fact]
    public void Msi_layout_and_mask_bits_follow_message_control()
    {
        var c = Express(PciExpressPortType.Endpoint);
        c[0x41] = 0x80;
        c[0x80] = (byte)CapabilityId.Msi;
        Put16(c, 0x82, (uint)(Msi.Flags64Bit | Msi.FlagsMaskBit | (3 << 1))); // 64-bit, maskable, 8 vectors capable
        var a = Resolve(c);
        var msi = StructureKey.Capability((int)CapabilityId.Msi);
        Assert.Equal(0x80 + Msi.Data64, Reg(a, msi, "Message Data").Offset);
        Assert.Equal(0xffu, Reg(a, msi, "Mask Bits").Writable);
        Assert.Equal(0u, Reg(a, msi, "Pending Bits").Writable);
        Assert.Equal(0x71u, Reg(a, msi, "Message Control").Writable);
        Put16(c, 0x82, 0); // 32-bit, no masking, one vector
        a = Resolve(c);
        Assert.Equal(0x80 + Msi.Data32, Reg(a, msi, "Message Data").Offset);
        Assert.Null(a.Find(msi, "Mask Bits"));
        Assert.Null(a.Find(msi, "Message Upper Address"));
    }

    [Fact]
    public void Bridge_control_keeps_conventional_bits_only_on_conventional_bridges()
    {
        var root = Reg(Resolve(Express(PciExpressPortType.RootPort)), StructureKey.Header(1), "Bridge Control");
        var pcieToPci = Reg(Resolve(Express(PciExpressPortType.PciBridge)), StructureKey.Header(1), "Bridge Control");
        Assert.Equal(0x005fu, root.Writable);
        Assert.Equal(0u, root.WriteOneToClear);
        Assert.Equal(0x0bffu, pcieToPci.Writable);
        Assert.Equal(0x0400u, pcieToPci.WriteOneToClear);
        Assert.Equal(0x0040u, root.ResetTriggerBits);
    }

    [Fact]
    public void Aer_status_is_sticky_write_one_to_clear_and_ecrc_enables_need_capability()
    {
        var c = Express(PciExpressPortType.Endpoint);
        Put32(c, 0x100, 0x00020001);
        var aer = StructureKey.Extended((int)ExtendedCapabilityId.Aer);
        var a = Resolve(c);
        var status = Reg(a, aer, "Uncorrectable Error Status");
        Assert.Equal(status.WriteOneToClear, status.Sticky);
        Assert.Equal(0xfffff030u, status.WriteOneToClear);
        Assert.Equal(0u, Reg(a, aer, "Advanced Error Capabilities and Control").Writable);
        Assert.Null(a.Find(aer, "Root Error Command"));          // an endpoint has no root registers
        Put32(c, 0x100 + Aer.Cap, 0x2a0);                         // ECRC generation, check, multiple header capable
        Assert.Equal(0x540u, Reg(Resolve(c), aer, "Advanced Error Capabilities and Control").Writable);
        Assert.Equal(0x00462030u, Reg(Resolve(c), aer, "Uncorrectable Error Severity").ResetValue);
    }

    [Fact]
    public void No_function_of_any_dump_can_write_identity_capability_structure_or_read_only_registers()
    {
        foreach (var dump in SimulatedCrash.AllDumps())
            foreach (var fn in DirtyEverythingPropertyTests.Dump(dump).Functions)
            {
                var a = SpecTable.Resolve(fn.Config, fn.Address);
                foreach (int off in new[] { 0, 1, 2, 3, 8, 9, 10, 11, Header.HeaderType, Header.InterruptPin })
                    Assert.Equal(0, a.Writable[off] | a.WriteOneToClear[off]);
                foreach (var s in a.Structures.Where(s => s.Key.Kind != StructureKind.Header))
                    for (int i = 0; i < (s.Key.Kind == StructureKind.Capability ? 2 : 4); i++)
                        Assert.Equal(0, a.Writable[s.Offset + i] | a.WriteOneToClear[s.Offset + i]);
                foreach (var s in a.Structures.Where(s => s.Spec is null))
                    Assert.Equal(0, a.Writable[s.Offset + 2] | a.WriteOneToClear[s.Offset + 2]); // not modelled: read-only
            }
    }

    [Fact]
    public void An_unsupported_d_state_is_discarded_and_d3hot_to_d0_soft_resets()
    {
        var c = Express(PciExpressPortType.Endpoint);
        c[0x41] = 0x80;
        c[0x80] = (byte)CapabilityId.PowerManagement;
        Put16(c, 0x82, 0x0003);                 // PM 1.2, no D1/D2, no PME
        Put16(c, Header.Command, 0x0006);
        var s = new SimulatedConfigSpace(PciAddress.Parse("0000:01:00.0"), c, []);
        s.WriteWord(0x84, 1);                    // D1: not supported, discarded
        Assert.Equal(0, s.ReadWord(0x84) & 3);
        s.WriteWord(0x84, 3);
        Assert.Equal(3, s.ReadWord(0x84) & 3);
        s.WriteWord(0x84, 0);                    // D3hot -> D0 with No_Soft_Reset clear: internal reset
        Assert.Equal(1, s.ResetCount);
        Assert.Equal(0, s.ReadWord(Header.Command));

        Put16(c, 0x84, PowerManagement.CtrlNoSoftReset);
        var keeps = new SimulatedConfigSpace(PciAddress.Parse("0000:01:00.0"), c, []);
        keeps.WriteWord(0x84, 3);
        keeps.WriteWord(0x84, 0);
        Assert.Equal(0, keeps.ResetCount);
        Assert.Equal(0x0006, keeps.ReadWord(Header.Command));
    }

    [Fact]
    public void Sticky_link_control_2_survives_flr_and_reserved_slot_control_2_ignores_writes()
    {
        var c = Express(PciExpressPortType.Endpoint, devCap: PciExpress.DevCapFlr, lnkCap: 0x3);
        Put32(c, 0x40 + PciExpress.LnkCap2, 0x0e);        // 2.5, 5, 8 GT/s
        var s = new SimulatedConfigSpace(PciAddress.Parse("0000:01:00.0"), c, []);
        s.WriteWord(0x40 + PciExpress.LnkCtl2, 0x0002);
        s.WriteWord(0x40 + PciExpress.SltCtl2, 0xffff);
        s.WriteWord(0x40 + PciExpress.DevCtl, PciExpress.DevCtlFlReset);
        Assert.Equal(1, s.ResetCount);
        Assert.Equal(0x0002, s.ReadWord(0x40 + PciExpress.LnkCtl2));
        Assert.Equal(0, s.ReadWord(0x40 + PciExpress.SltCtl2));
    }
}
