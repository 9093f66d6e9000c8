using System.Globalization;
using Preconfig.ConfigSpace;
using Preconfig.Handoff.Model;

namespace Preconfig.Inspection;

/// <summary>One field of one function that differs: <c>Command.BusMaster 0 -> 1</c>, or <c>config[0x1a4]</c> for
/// changed bits no named field holds.</summary>
public sealed record FieldChange(PciAddress Address, string Field, string From, string To);

/// <summary>What differs between two snapshots: field changes (address order, then table order), added and removed functions.</summary>
public sealed record SnapshotDifference(IReadOnlyList<FieldChange> Changes, IReadOnlyList<PciAddress> Added, IReadOnlyList<PciAddress> Removed)
{
    public bool IsEmpty => Changes.Count == 0 && Added.Count == 0 && Removed.Count == 0;

    /// <summary>The changes of one function, for views that show it in place.</summary>
    public ILookup<PciAddress, FieldChange> ByAddress => Changes.ToLookup(c => c.Address);
}

/// <summary>
/// Field-level diff: functions are matched by address; a function whose bytes are equal costs one span compare.
/// Otherwise both sides are decoded through <see cref="FieldTable"/> and compared field by field; then every changed
/// bit that no field on both sides names is reported by byte (<c>config[0x1a4]</c>), so nothing is hidden.
/// </summary>
public static class SnapshotDiff
{
    /// <summary>The value shown for a field that exists on one side only (capability layout or header type changed).</summary>
    public const string Absent = "absent";

    /// <summary>Field name used when the captured lengths differ (64, 256, 4096).</summary>
    public const string ConfigLengthField = "ConfigLength";

    public static SnapshotDifference Compare(Snapshot a, Snapshot b)
    {
        var changes = new List<FieldChange>();
        var added = new List<PciAddress>();
        var removed = new List<PciAddress>();
        var da = a.Devices;
        var db = b.Devices;
        int i = 0, j = 0;
        while (i < da.Count || j < db.Count)
        {
            int c = i >= da.Count ? 1 : j >= db.Count ? -1 : da[i].Address.CompareTo(db[j].Address);
            if (c < 0) removed.Add(da[i++].Address);
            else if (c > 0) added.Add(db[j++].Address);
            else CompareFunction(da[i++].Address, da[i - 1].Config, db[j++].Config, changes);
        }
        return new SnapshotDifference(changes, added, removed);
    }

    public static void CompareFunction(PciAddress address, byte[] a, byte[] b, List<FieldChange> changes)
    {
        if (a.AsSpan().SequenceEqual(b)) return;
        var ca = new DecodeContext(a);
        var cb = new DecodeContext(b);
        if (a.Length == b.Length && TryCompareSameLayout(address, ca, cb, changes)) return;
        CompareByName(address, ca, cb, changes);
    }

    /// <summary>The general path: both sides decoded, fields matched by name (layouts may differ).</summary>
    internal static void CompareByName(PciAddress address, DecodeContext ca, DecodeContext cb, List<FieldChange> changes)
    {
        byte[] a = ca.Config, b = cb.Config;
        var fa = DeviceDecoder.Decode(ca);
        var fb = DeviceDecoder.Decode(cb);

        if (a.Length != b.Length)
            changes.Add(new FieldChange(address, ConfigLengthField, a.Length.ToString(CultureInfo.InvariantCulture), b.Length.ToString(CultureInfo.InvariantCulture)));

        // Fields in table order; a name can have two definitions (MSI.Data moves with 64-bit addressing): match by
        // name index. Values are compared raw and formatted only when they differ.
        int names = FieldTable.Names.Count;
        Span<int> inB = names <= 512 ? stackalloc int[names] : new int[names];
        inB.Fill(-1);
        for (int k = 0; k < fb.Count; k++) inB[fb[k].Field.NameIndex] = k;
        Span<bool> matched = fb.Count <= 512 ? stackalloc bool[fb.Count] : new bool[fb.Count];
        matched.Clear();
        foreach (var f in fa)
        {
            int k = inB[f.Field.NameIndex];
            if (k < 0)
            {
                changes.Add(new FieldChange(address, f.Name, f.Display, Absent));
                continue;
            }
            matched[k] = true;
            var g = fb[k];
            if (g.Field == f.Field && g.Value == f.Value) continue;
            string from = f.Display, to = g.Display;
            if (from != to) changes.Add(new FieldChange(address, f.Name, from, to));
        }
        for (int k = 0; k < fb.Count; k++)
            if (!matched[k]) changes.Add(new FieldChange(address, fb[k].Name, Absent, fb[k].Display));

        // Changed bits that no field explains: a bit counts as named only where the same field sits at the same
        // offset on both sides (a moved capability explains nothing about the bytes it left).
        int common = Math.Min(a.Length, b.Length);
        Span<byte> named = common <= 256 ? stackalloc byte[common] : new byte[common];
        named.Clear();
        foreach (var f in fa)
        {
            int k = inB[f.Field.NameIndex];
            if (k >= 0 && fb[k].Offset == f.Offset && fb[k].Field == f.Field) DeviceDecoder.MarkNamedBits(f, named);
        }
        AddUnnamedBytes(address, a, b, named, changes);
    }

    /// <summary>
    /// The common case, a device whose registers sit at the same offsets on both sides: only registers whose bytes
    /// differ are read, so a function with a few changed bits costs a pass over the table, not two decodes. Returns
    /// false (nothing added) as soon as a register sits differently; the general path then matches fields by name.
    /// </summary>
    internal static bool TryCompareSameLayout(PciAddress address, DecodeContext ca, DecodeContext cb, List<FieldChange> changes)
    {
        byte[] a = ca.Config, b = cb.Config;
        var registers = FieldTable.Registers;
        Span<int> at = registers.Count <= 512 ? stackalloc int[registers.Count] : new int[registers.Count];
        for (int r = 0; r < registers.Count; r++)
        {
            at[r] = ca.Locate(registers[r]);
            if (at[r] != cb.Locate(registers[r])) return false;
        }
        Span<byte> named = a.Length <= 256 ? stackalloc byte[a.Length] : new byte[a.Length];
        named.Clear();
        for (int r = 0; r < registers.Count; r++)
        {
            if (at[r] < 0) continue;
            var register = registers[r];
            uint ra = ca.Read(at[r], register.Width), rb = cb.Read(at[r], register.Width);
            foreach (var f in register.Fields)
            {
                var d = new DecodedField(f, at[r], f.Extract(ra));
                if (ra != rb) DeviceDecoder.MarkNamedBits(d, named);
                uint vb = f.Extract(rb);
                if (d.Value != vb) changes.Add(new FieldChange(address, f.Name, d.Display, f.Display(vb)));
            }
        }
        AddUnnamedBytes(address, a, b, named, changes);
        return true;
    }

    private static void AddUnnamedBytes(PciAddress address, byte[] a, byte[] b, ReadOnlySpan<byte> named, List<FieldChange> changes)
    {
        for (int k = 0; k < named.Length; k++)
        {
            int diff = a[k] ^ b[k];
            if ((diff & ~named[k]) != 0)
                changes.Add(new FieldChange(address, ByteFieldName(k), $"0x{a[k]:x2}", $"0x{b[k]:x2}"));
        }
    }

    /// <summary><c>config[0x1a4]</c>: a byte no named field covers.</summary>
    public static string ByteFieldName(int offset) => string.Create(CultureInfo.InvariantCulture, $"config[0x{offset:x}]");
}
