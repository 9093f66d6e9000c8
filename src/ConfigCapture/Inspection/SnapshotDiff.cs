using System.Globalization;
using Preconfig.ConfigSpace;
using Preconfig.Handoff.Model;

namespace Preconfig.ConfigCapture.Inspection;

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
        var fa = DeviceDecoder.Decode(a);
        var fb = DeviceDecoder.Decode(b);

        if (a.Length != b.Length)
            changes.Add(new FieldChange(address, ConfigLengthField, a.Length.ToString(CultureInfo.InvariantCulture), b.Length.ToString(CultureInfo.InvariantCulture)));

        // Fields in table order; a name can have two definitions (MSI.Data moves with 64-bit addressing): match by name.
        var byNameB = new Dictionary<string, DecodedField>(fb.Count);
        foreach (var f in fb) byNameB[f.Name] = f;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in fa)
        {
            seen.Add(f.Name);
            if (byNameB.TryGetValue(f.Name, out var g))
            {
                string from = f.Display, to = g.Display;
                if (from != to) changes.Add(new FieldChange(address, f.Name, from, to));
            }
            else changes.Add(new FieldChange(address, f.Name, f.Display, Absent));
        }
        foreach (var g in fb)
            if (!seen.Contains(g.Name)) changes.Add(new FieldChange(address, g.Name, Absent, g.Display));

        // Changed bits that no field explains: a bit counts as named only where the same field sits at the same
        // offset on both sides (a moved capability explains nothing about the bytes it left).
        int common = Math.Min(a.Length, b.Length);
        Span<byte> named = common <= 256 ? stackalloc byte[common] : new byte[common];
        named.Clear();
        foreach (var f in fa)
            if (byNameB.TryGetValue(f.Name, out var g) && g.Offset == f.Offset && g.Field == f.Field)
                DeviceDecoder.MarkNamedBits(f, named);
        for (int k = 0; k < common; k++)
        {
            int diff = a[k] ^ b[k];
            if ((diff & ~named[k]) != 0)
                changes.Add(new FieldChange(address, ByteFieldName(k), $"0x{a[k]:x2}", $"0x{b[k]:x2}"));
        }
    }

    /// <summary><c>config[0x1a4]</c>: a byte no named field covers.</summary>
    public static string ByteFieldName(int offset) => string.Create(CultureInfo.InvariantCulture, $"config[0x{offset:x}]");
}
