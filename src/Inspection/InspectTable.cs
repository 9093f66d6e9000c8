using Spectre.Console;

namespace Preconfig.Inspection;

/// <summary>The inspect table drawn for a terminal (Spectre.Console); redirected output gets <see cref="InspectText"/>'s
/// plain table, whose cells this one shares.</summary>
public static class InspectTable
{
    /// <summary>The terminal table: the source column goes to the title when every function shares it, and lists
    /// wrap at their commas.</summary>
    public static Table Terminal(IReadOnlyList<FunctionSummary> functions)
    {
        var sources = functions.Select(f => f.Source).Distinct().ToList();
        bool oneSource = sources.Count == 1;
        int columns = InspectText.TableHeadings.Length - (oneSource ? 1 : 0);
        var table = new Table().Border(TableBorder.Simple);
        if (oneSource) table.Title = new TableTitle(Markup.Escape($"{functions.Count} functions from {sources[0]}"));
        for (int i = 0; i < columns; i++)
            table.AddColumn(new TableColumn(InspectText.TableHeadings[i]) { NoWrap = i is 0 or 1 or 4 });
        foreach (var f in functions)
        {
            var row = InspectText.Row(f);
            row[6] = row[6].Replace(",", ", ");
            table.AddRow(row.Take(columns).Select(Markup.Escape).ToArray());
        }
        return table;
    }
}
