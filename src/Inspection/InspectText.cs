using System.Globalization;
using System.Text;
using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;

namespace Preconfig.Inspection;

/// <summary>Plain-text views: the device table (aligned columns), one device decoded lspci -vvv style, and diffs.</summary>
public static class InspectText
{
    public static readonly string[] TableHeadings = ["ADDRESS", "ID", "VENDOR / DEVICE", "CLASS", "DRIVER", "BARS", "CAPABILITIES", "SOURCE"];

    /// <summary>The cells of one table row (also used by the Spectre table).</summary>
    public static string[] Row(FunctionSummary f) =>
    [
        f.Address.ToString(),
        f.IdText,
        Clip($"{f.VendorText} {f.DeviceText}", 60),
        Clip(f.ClassText, 32),
        f.Driver ?? "-",
        Bars(f.Bars),
        Capabilities(f.Capabilities),
        f.Source,
    ];

    public static string Bars(IReadOnlyList<BarInfo> bars)
    {
        if (bars.Count == 0) return "-";
        var sb = new StringBuilder();
        foreach (var b in bars)
        {
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(b.Index == BarInfo.RomIndex ? "rom" : b.Index.ToString(CultureInfo.InvariantCulture)).Append(':');
            sb.Append(b.Kind == "io" ? "io " : "").Append(b.Address.ToString("x", CultureInfo.InvariantCulture));
            if (b.Size is { } s) sb.Append('/').Append(BarInfo.FormatSize(s));
        }
        return sb.ToString();
    }

    public static string Capabilities(CapabilityWalker.Result walk)
    {
        var sb = new StringBuilder();
        foreach (var c in walk.Capabilities)
        {
            if (sb.Length > 0) sb.Append(',');
            sb.Append(CapabilityNames.Short(c));
        }
        foreach (var p in ChainProblems(walk))
            sb.Append(sb.Length > 0 ? "," : "").Append('<').Append(p).Append('>');
        return sb.Length == 0 ? "-" : sb.ToString();
    }

    public static IEnumerable<string> ChainProblems(CapabilityWalker.Result walk)
    {
        if (walk.StandardProblem != CapabilityChainProblem.None)
            yield return $"{CapabilityNames.Problem(walk.StandardProblem)} at 0x{walk.StandardProblemOffset:x2}";
        if (walk.ExtendedProblem != CapabilityChainProblem.None)
            yield return $"{CapabilityNames.Problem(walk.ExtendedProblem)} at 0x{walk.ExtendedProblemOffset:x3}";
    }

    public static void WriteTable(TextWriter w, IReadOnlyList<FunctionSummary> functions)
    {
        var rows = new List<string[]>(functions.Count + 1) { TableHeadings };
        foreach (var f in functions) rows.Add(Row(f));
        var widths = new int[TableHeadings.Length];
        foreach (var r in rows)
            for (int i = 0; i < r.Length; i++) widths[i] = Math.Max(widths[i], r[i].Length);
        var sb = new StringBuilder(rows.Count * 160);
        foreach (var r in rows)
        {
            for (int i = 0; i < r.Length; i++)
            {
                sb.Append(r[i]);
                if (i < r.Length - 1) sb.Append(' ', widths[i] - r[i].Length + 2);
            }
            sb.Append('\n');
        }
        w.Write(sb);
    }

    /// <summary>One function decoded, lspci -vvv style (see <see cref="DeviceLines"/>).</summary>
    public static void WriteDevice(TextWriter w, FunctionSummary f)
    {
        var sb = new StringBuilder();
        foreach (var line in DeviceLines.Build(f))
        {
            sb.Append('\t', line.Depth).Append(line.Label);
            foreach (var t in line.Tokens) sb.Append(' ').Append(t.Text);
            sb.Append('\n');
        }
        w.Write(sb);
    }

    public static void WriteDiff(TextWriter w, SnapshotDifference diff)
    {
        var sb = new StringBuilder();
        foreach (var group in diff.Changes.GroupBy(c => c.Address))
        {
            sb.Append(group.Key.ToString()).Append('\n');
            int width = group.Max(c => c.Field.Length);
            foreach (var c in group)
                sb.Append("  ").Append(c.Field.PadRight(width)).Append("  ").Append(c.From).Append(" -> ").Append(c.To).Append('\n');
        }
        foreach (var a in diff.Added) sb.Append("added   ").Append(a.ToString()).Append('\n');
        foreach (var r in diff.Removed) sb.Append("removed ").Append(r.ToString()).Append('\n');
        int functions = diff.Changes.Select(c => c.Address).Distinct().Count();
        sb.Append(diff.IsEmpty
            ? "no differences\n"
            : $"{diff.Changes.Count} changed field(s) in {functions} function(s), {diff.Added.Count} added, {diff.Removed.Count} removed\n");
        w.Write(sb);
    }

    internal static string Clip(string s, int max) => s.Length <= max ? s : string.Concat(s.AsSpan(0, max - 3), "...");
}
