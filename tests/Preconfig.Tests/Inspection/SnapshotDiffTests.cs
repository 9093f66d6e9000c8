using Preconfig.Inspection;
using Preconfig.ConfigSpace.Registers;

namespace Preconfig.Tests.Inspection;

public class SnapshotDiffTests
{
    public static TheoryData<string> Dumps() => InspectionTestData.Dumps();

    [Theory]
    [MemberData(nameof(Dumps))]
    public void AMachineAgainstItselfIsEmpty(string dump)
    {
        var a = InspectionTestData.Load(dump);
        var b = InspectionTestData.Load(dump);   // a second read: equal bytes, different arrays
        var diff = SnapshotDiff.Compare(a, b);
        Assert.True(diff.IsEmpty, string.Join("\n", diff.Changes.Take(5)));
    }

    /// <summary>
    /// "The kernel ran" on a simulated machine made from a real dump, through the simulator's write rules: Bus
    /// Master on, MSI and MSI-X enabled, DevCtl Max Read Request 4096, Interrupt Line changed, Status error bits set.
    /// The expected changes are computed from the bytes with plain bit arithmetic, not through the field table.
    /// </summary>
    [Theory]
    [InlineData("pciutils-tests/tree-asus-p6t6")]
    [InlineData("pciutils-tests/cap-aer-root")]
    [InlineData("pciutils-tests/cap-dvsec-cxl")]
    public void AgainstADirtiedCopyItListsExactlyTheChangedFields(string dump)
    {
        var machine = SimulatedMachine.FromDump(LspciDumpReader.ReadFile(InspectionTestData.PathOf(dump)));
        var before = InspectionTestData.Take(machine, "sim:before");
        var expected = new HashSet<FieldChange>();

        InspectionTestData.DirtyLikeAKernel(machine);
        foreach (var fn in machine.Functions)
        {
            byte[] old = before.Find(fn.Address)!.Config;
            byte[] now = fn.Space.Snapshot();
            var walk = CapabilityWalker.Walk(old);
            int msi = walk.Find(CapabilityId.Msi)?.Offset ?? -1;
            int msix = walk.Find(CapabilityId.MsiX)?.Offset ?? -1;
            int exp = walk.Find(CapabilityId.Express)?.Offset ?? -1;

            var a = fn.Address;
            ExpectBit(a, "Command.BusMaster", old, now, Header.Command, (int)Command.BusMaster);
            if (old[Header.InterruptLine] != now[Header.InterruptLine])
                expected.Add(new FieldChange(a, "InterruptLine", old[Header.InterruptLine].ToString(), now[Header.InterruptLine].ToString()));
            ExpectBit(a, "Status.RecMasterAbort", old, now, Header.Status, 0x2000);
            if (msi >= 0) ExpectBit(a, "MSI.Enable", old, now, msi + Msi.Flags, Msi.FlagsEnable);
            if (msix >= 0) ExpectBit(a, "MSIX.Enable", old, now, msix + MsiX.Flags, MsiX.FlagsEnable);
            if (exp >= 0)
            {
                int rq(byte[] c) => 128 << ((ConfigBytes.U16(c, exp + PciExpress.DevCtl) & PciExpress.DevCtlReadRqMask) >> 12);
                if (rq(old) != rq(now)) expected.Add(new FieldChange(a, "PCIe.DevCtl.MaxReadReq", rq(old).ToString(), rq(now).ToString()));
            }
        }
        Assert.NotEmpty(expected);

        var diff = SnapshotDiff.Compare(before, InspectionTestData.Take(machine, "sim:after"));
        Assert.Empty(diff.Added);
        Assert.Empty(diff.Removed);
        Assert.Equal(expected.OrderBy(c => c.Address).ThenBy(c => c.Field, StringComparer.Ordinal),
            diff.Changes.OrderBy(c => c.Address).ThenBy(c => c.Field, StringComparer.Ordinal));

        void ExpectBit(PciAddress a, string field, byte[] old, byte[] now, int offset, int mask)
        {
            int was = ConfigBytes.U16(old, offset) & mask, @is = ConfigBytes.U16(now, offset) & mask;
            if (was != @is) expected.Add(new FieldChange(a, field, was != 0 ? "1" : "0", @is != 0 ? "1" : "0"));
        }
    }

    [Fact]
    public void BytesNoFieldNamesStillShow()
    {
        var a = InspectionTestData.Load("pciutils-tests/cap-aer-root");
        var address = PciAddress.Parse("0000:00:02.0");
        var changed = a.Find(address)!.Config.ToArray();
        changed[0x148 + 0x1c] ^= 0x5a;   // AER header log: no field names it
        changed[0x60 + 1] = 0x00;        // MSI next pointer: not a field either (ends the standard list early)
        var b = Replace(a, address, changed);

        var diff = SnapshotDiff.Compare(a, b);
        Assert.Contains(new FieldChange(address, "config[0x164]", "0x00", "0x5a"), diff.Changes);
        Assert.Contains(new FieldChange(address, "config[0x61]", "0x90", "0x00"), diff.Changes);
        // The capabilities after MSI are gone from the walk: their fields are now absent.
        Assert.Contains(new FieldChange(address, "PCIe.DevCtl.MaxPayload", "256", SnapshotDiff.Absent), diff.Changes);
    }

    [Fact]
    public void AddedAndRemovedFunctionsAreListed()
    {
        var a = InspectionTestData.Load("pciutils-tests/tree-asus-p6t6");
        var gone = a.Devices[3].Address;
        var extra = new DeviceRecord { Address = new PciAddress(0, 0x7f, 0, 0), Config = a.Devices[0].Config };
        var b = new Snapshot { Devices = Snapshot.Normalize(a.Devices.Where(d => d.Address != gone).Append(extra)) };
        var diff = SnapshotDiff.Compare(a, b);
        Assert.Equal([gone], diff.Removed);
        Assert.Equal([extra.Address], diff.Added);
        Assert.Empty(diff.Changes);
    }

    [Fact]
    public void DiffJsonHasTheContractShape()
    {
        var a = InspectionTestData.Load("pciutils-tests/cap-aer-root");
        var address = PciAddress.Parse("0000:00:02.0");
        var changed = a.Find(address)!.Config.ToArray();
        changed[Header.Command + 1] |= 0x04;   // IntxDisable is bit 10
        var json = InspectionJson.Serialize(InspectionJson.Diff(SnapshotDiff.Compare(a, Replace(a, address, changed))));
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var change = Assert.Single(doc.RootElement.GetProperty("changes").EnumerateArray());
        Assert.Equal("0000:00:02.0", change.GetProperty("address").GetString());
        Assert.Equal("Command.IntxDisable", change.GetProperty("field").GetString());
        Assert.Equal("0", change.GetProperty("from").GetString());
        Assert.Equal("1", change.GetProperty("to").GetString());
        Assert.Equal(0, doc.RootElement.GetProperty("added").GetArrayLength());
        Assert.Equal(0, doc.RootElement.GetProperty("removed").GetArrayLength());
    }

    internal static Snapshot Replace(Snapshot s, PciAddress address, byte[] config) => new()
    {
        Sources = s.Sources,
        Devices = [.. s.Devices.Select(d => d.Address == address ? new DeviceRecord { Address = address, Config = config } : d)],
    };
}

public class SnapshotDiffPathTests
{
    /// <summary>The same-layout shortcut must say exactly what the general by-name path says.</summary>
    [Theory]
    [InlineData("pciutils-tests/tree-asus-p6t6", 1)]
    [InlineData("pciutils-tests/cap-dvsec-cxl", 2)]
    [InlineData("pciutils-tests/cap-aer-root", 3)]
    public void SameLayoutShortcutAgreesWithTheGeneralPath(string dump, int seed)
    {
        var random = new Random(seed);
        int compared = 0;
        foreach (var d in InspectionTestData.Load(dump).Devices)
        {
            for (int round = 0; round < 20; round++)
            {
                var b = d.Config.ToArray();
                for (int k = 0; k < 4; k++) b[random.Next(b.Length)] ^= (byte)(1 << random.Next(8));
                var fast = new List<FieldChange>();
                if (!SnapshotDiff.TryCompareSameLayout(d.Address, new DecodeContext(d.Config), new DecodeContext(b), fast)) continue;
                var general = new List<FieldChange>();
                SnapshotDiff.CompareByName(d.Address, new DecodeContext(d.Config), new DecodeContext(b), general);
                Assert.Equal(general, fast);
                compared++;
            }
        }
        Assert.True(compared > 20, $"only {compared} same-layout mutations compared");
    }
}
