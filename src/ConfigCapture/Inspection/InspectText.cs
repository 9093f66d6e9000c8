using System.Globalization;
using System.Text;
using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;

namespace Preconfig.ConfigCapture.Inspection;

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

    /// <summary>One function decoded: identity, header registers, BARs, bridge windows, then each capability with its registers.</summary>
    public static void WriteDevice(TextWriter w, FunctionSummary f)
    {
        var ctx = new DecodeContext(f.Record.Config);
        var fields = DeviceDecoder.Decode(ctx);
        var sb = new StringBuilder();
        sb.Append($"{f.Address} {f.ClassText}: {f.VendorText} {f.DeviceText} [{f.IdText}] (rev {f.Record.Revision:x2})\n");
        sb.Append($"\tSource: {(f.Source.Length > 0 ? f.Source : "-")}, {f.Record.CapturedLength} bytes captured");
        sb.Append(f.Driver is null ? "\n" : $", driver {f.Driver}\n");
        AppendLines(sb, fields, fieldFilter: d => d.Field.Register.Scope is FieldScope.Header or FieldScope.Type0 or FieldScope.Type1 or FieldScope.Type2, indent: "\t");
        foreach (var b in f.Bars)
            sb.Append('\t').Append(b.Index == BarInfo.RomIndex ? "Expansion ROM" : $"Region {b.Index}").Append(": ").Append(b.Describe()).Append('\n');
        if (ctx.HeaderKind == HeaderType.Bridge)
            foreach (var line in BridgeWindows.Describe(f.Record.Config)) sb.Append('\t').Append(line).Append('\n');
        foreach (var c in f.Capabilities.Capabilities)
        {
            sb.Append(c.Extended ? $"\tCapabilities: [{c.Offset:x3} v{c.Version}] " : $"\tCapabilities: [{c.Offset:x2}] ");
            sb.Append(CapabilityNames.Short(c));
            if (!c.Extended && c.Id == (ushort)CapabilityId.Express)
                sb.Append($" (v{ctx.ExpressVersion}) {FieldTable.Fields.First(x => x.Name == "PCIe.Flags.Type").Display((uint)ctx.PortType)}");
            sb.Append('\n');
            var cap = c;
            AppendLines(sb, fields, d => d.Offset >= cap.Offset && IsCapabilityRegister(d.Field.Register, cap) && FirstOf(ctx, cap), "\t\t");
        }
        foreach (var p in ChainProblems(f.Capabilities)) sb.Append("\tCapabilities: <").Append(p).Append(">\n");
        w.Write(sb);
    }

    private static bool IsCapabilityRegister(RegisterDef r, Capability c) =>
        r.CapabilityId == c.Id && (c.Extended ? r.Scope == FieldScope.ExtendedCapability : r.Scope == FieldScope.Capability);

    // The table decodes the first instance of a capability; later instances only get their header line.
    private static bool FirstOf(DecodeContext ctx, Capability c) => ctx.FirstOffset(c.Extended, c.Id) == c.Offset;

    private static void AppendLines(StringBuilder sb, List<DecodedField> fields, Func<DecodedField, bool> fieldFilter, string indent)
    {
        foreach (var group in fields.Where(fieldFilter).GroupBy(d => d.Field.Register.Line))
        {
            var items = group.ToList();
            bool several = items.Select(d => d.Field.Register).Distinct().Count() > 1;
            sb.Append(indent).Append(LineLabel(group.Key)).Append(':');
            foreach (var d in items)
            {
                if (d.Field.ShortName is "Reserved" or "Other" && d.Value == 0) continue;
                sb.Append(' ');
                if (d.Field.IsWholeRegister)
                {
                    if (several) sb.Append(LastSegment(d.Name)).Append('=');
                    sb.Append(d.Display);
                }
                else if (d.Field.Format == FieldFormat.Flag) sb.Append(d.Field.ShortName).Append(d.Value != 0 ? '+' : '-');
                else sb.Append(d.Field.ShortName).Append('=').Append(d.Display);
            }
            sb.Append('\n');
        }
    }

    private static string LineLabel(string line) => line.Contains(' ') ? line : LastSegment(line);

    private static string LastSegment(string name)
    {
        int dot = name.LastIndexOf('.');
        return dot < 0 ? name : name[(dot + 1)..];
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

    private static string Clip(string s, int max) => s.Length <= max ? s : string.Concat(s.AsSpan(0, max - 3), "...");
}
