using System.CommandLine;
using Preconfig.Cli;
using Preconfig.FullEdition.Inspect;
using Preconfig.Inspection;

namespace Preconfig.FullEdition.Report;

/// <summary><c>preconfig report INPUT [--against B] --html FILE</c>: a self-contained HTML view.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "INPUT to show (a boot snapshot, a blob, a dump ...)" };
        var against = new Option<string?>("--against") { Description = "Highlight the fields that differ in this INPUT (e.g. the state the crashed kernel left)" };
        var html = new Option<string>("--html") { Description = "The HTML file to write", Required = true };
        var pciIds = InspectCommand.PciIdsOption();
        var command = new Command("report", "A self-contained HTML view: bus tree, functions, changed fields highlighted");
        command.Arguments.Add(input);
        command.Options.Add(against);
        command.Options.Add(html);
        command.Options.Add(pciIds);
        command.SetAction(pr => Run(pr.GetValue(input)!, pr.GetValue(against), pr.GetValue(html)!, pr.GetValue(pciIds)));
        return command;
    }

    internal static int Run(string input, string? against, string html, string? pciIdsPath)
    {
        var snapshot = InspectionInputs.Load(input);
        var difference = against is null ? null : SnapshotDiff.Compare(snapshot, InspectionInputs.Load(against));
        var ids = InspectCommand.LoadPciIds(pciIdsPath);
        string temp = html + ".tmp";
        using (var writer = new StreamWriter(temp))
            HtmlReport.Write(writer, snapshot, difference, ids, new HtmlReport.Options($"preconfig report: {Path.GetFileName(input)}", input, against));
        File.Move(temp, html, overwrite: true);
        Console.Out.WriteLine(difference is null
            ? $"wrote {html}: {snapshot.Devices.Count} functions"
            : $"wrote {html}: {snapshot.Devices.Count} functions, {difference.Changes.Count} changed fields, {difference.Added.Count} added, {difference.Removed.Count} removed");
        return ExitCodes.Success;
    }
}
