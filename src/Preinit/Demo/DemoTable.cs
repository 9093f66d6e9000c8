using System.Text;

namespace Preconfig.Preinit.Demo;

/// <summary>
/// The before/after table: one line per function, each cell "firmware → crashed → after preinit", so a kernel engineer
/// sees at a glance that Bus Master and MSI went off, DevCtl and the IRQ line came back and the errors were cleared.
/// ANSI colour only when asked (a TTY); plain text otherwise.
/// </summary>
public static class DemoTable
{
    private static readonly string[] Headings = ["function", "kind", "BusMaster", "MSI", "MSI-X", "DevCtl", "IRQ line", "errors", "preinit"];

    public static string Render(DemoResult demo, bool color)
    {
        var lines = new List<string[]>();
        foreach (var r in demo.Rows)
        {
            lines.Add([
                r.Address.ToString(), r.Kind,
                Flow(r.Firmware.BusMaster, r.Crashed.BusMaster, r.After.BusMaster),
                Flow(r.Firmware.Msi, r.Crashed.Msi, r.After.Msi),
                Flow(r.Firmware.MsiX, r.Crashed.MsiX, r.After.MsiX),
                r.Firmware.DevCtl is null ? "" : $"{r.Firmware.DevCtl:x4}→{r.Crashed.DevCtl:x4}→{r.After.DevCtl:x4}",
                $"{r.Firmware.InterruptLine:x2}→{r.Crashed.InterruptLine:x2}→{r.After.InterruptLine:x2}",
                $"{r.Firmware.ErrorBits}→{r.Crashed.ErrorBits}→{r.After.ErrorBits}",
                $"{r.Outcome.Outcome} ({r.Outcome.Writes} writes)",
            ]);
        }
        var widths = Headings.Select((h, i) => Math.Max(h.Length, lines.Count == 0 ? 0 : lines.Max(l => l[i].Length))).ToArray();
        var sb = new StringBuilder();
        sb.Append("each cell: firmware → after the kernel ran (crash) → after preinit;  + on, - off, blank: no such capability\n");
        Append(sb, Headings, widths, color ? "\u001b[1m" : null);
        foreach (var (l, r) in lines.Zip(demo.Rows))
        {
            string? tint = !color ? null : r.Outcome.Outcome switch { "restored" => "\u001b[32m", "failed" => "\u001b[31m", _ => "\u001b[33m" };
            Append(sb, l, widths, tint);
        }
        return sb.ToString();
    }

    private static string Flow(bool? a, bool? b, bool? c) => a is null ? "" : $"{Sign(a)}→{Sign(b)}→{Sign(c)}";
    private static string Sign(bool? v) => v == true ? "+" : "-";

    private static void Append(StringBuilder sb, string[] cells, int[] widths, string? tint)
    {
        if (tint is not null) sb.Append(tint);
        for (int i = 0; i < cells.Length; i++)
        {
            sb.Append(i == cells.Length - 1 ? cells[i] : cells[i].PadRight(widths[i]));
            if (i < cells.Length - 1) sb.Append("  ");
        }
        if (tint is not null) sb.Append("\u001b[0m");
        sb.Append('\n');
    }
}
