using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;

namespace Preconfig.Inspection;

/// <summary>A piece of a decoded line: <c>BusMaster+</c>, <c>MaxReadReq=512</c>; <see cref="Field"/> when it shows one.</summary>
public readonly record struct DecodedToken(string Text, DecodedField? Field);

/// <summary>One line of a decoded device: depth 0 is the title, 1 the header and capability lines, 2 a capability's registers.</summary>
public sealed record DecodedLine(int Depth, string Label, IReadOnlyList<DecodedToken> Tokens);

/// <summary>
/// A function decoded into lspci -vvv-like lines, driven by <see cref="FieldTable"/>: header registers, BARs,
/// bridge windows, then each capability with its registers (the first instance of each; later instances only get
/// their title line). Text and HTML views both render these lines.
/// </summary>
public static class DeviceLines
{
    public static List<DecodedLine> Build(FunctionSummary f)
    {
        var ctx = new DecodeContext(f.Record.Config);
        var fields = DeviceDecoder.Decode(ctx);
        var lines = new List<DecodedLine>
        {
            new(0, $"{f.Address} {f.ClassText}: {f.VendorText} {f.DeviceText} [{f.IdText}] (rev {f.Record.Revision:x2})", []),
            new(1, $"Source: {(f.Source.Length > 0 ? f.Source : "-")}, {f.Record.CapturedLength} bytes captured" + (f.Driver is null ? "" : $", driver {f.Driver}"), []),
        };
        AddRegisterLines(lines, fields.Where(d => d.Field.Register.Scope is FieldScope.Header or FieldScope.Type0 or FieldScope.Type1 or FieldScope.Type2), 1);
        foreach (var b in f.Bars)
            lines.Add(new DecodedLine(1, (b.Index == BarInfo.RomIndex ? "Expansion ROM" : $"Region {b.Index}") + ": " + b.Describe(), []));
        if (ctx.HeaderKind == HeaderType.Bridge)
            foreach (var w in BridgeWindows.Describe(f.Record.Config)) lines.Add(new DecodedLine(1, w, []));
        foreach (var c in f.Capabilities.Capabilities)
        {
            string title = (c.Extended ? $"Capabilities: [{c.Offset:x3} v{c.Version}] " : $"Capabilities: [{c.Offset:x2}] ") + CapabilityNames.Short(c);
            if (!c.Extended && c.Id == (ushort)CapabilityId.Express)
                title += $" (v{ctx.ExpressVersion}) {PortTypeField.Display((uint)ctx.PortType)}";
            lines.Add(new DecodedLine(1, title, []));
            if (ctx.FirstOffset(c.Extended, c.Id) != c.Offset) continue;
            var cap = c;
            AddRegisterLines(lines, fields.Where(d => IsCapabilityRegister(d.Field.Register, cap)), 2);
        }
        foreach (var p in InspectText.ChainProblems(f.Capabilities)) lines.Add(new DecodedLine(1, $"Capabilities: <{p}>", []));
        return lines;
    }

    private static readonly FieldDef PortTypeField = FieldTable.Fields.First(x => x.Name == "PCIe.Flags.Type");

    private static bool IsCapabilityRegister(RegisterDef r, Capability c) =>
        r.CapabilityId == c.Id && (c.Extended ? r.Scope == FieldScope.ExtendedCapability : r.Scope == FieldScope.Capability);

    /// <summary>Registers sharing a <see cref="RegisterDef.Line"/> print on one line; a lone whole register prints its value.</summary>
    private static void AddRegisterLines(List<DecodedLine> lines, IEnumerable<DecodedField> fields, int depth)
    {
        foreach (var group in fields.GroupBy(d => d.Field.Register.Line))
        {
            var items = group.ToList();
            bool several = items.Select(d => d.Field.Register).Distinct().Count() > 1;
            var tokens = new List<DecodedToken>(items.Count);
            foreach (var d in items)
            {
                if (d.Field.ShortName is "Reserved" or "Other" && d.Value == 0) continue;
                string text = d.Field.IsWholeRegister ? (several ? LastSegment(d.Name) + "=" : "") + d.Display
                    : d.Field.Format == FieldFormat.Flag ? d.Field.ShortName + (d.Value != 0 ? "+" : "-")
                    : d.Field.ShortName + "=" + d.Display;
                tokens.Add(new DecodedToken(text, d));
            }
            string label = group.Key.Contains(' ') ? group.Key : LastSegment(group.Key);
            lines.Add(new DecodedLine(depth, label + ":", tokens));
        }
    }

    private static string LastSegment(string name)
    {
        int dot = name.LastIndexOf('.');
        return dot < 0 ? name : name[(dot + 1)..];
    }
}
