using System.CommandLine;
using Preconfig.Cli;
using Preconfig.FullEdition.Inspect;
using Preconfig.Inspection;

namespace Preconfig.FullEdition.Diff;

/// <summary><c>preconfig diff A B [--json]</c>: field-level differences; exit 0 same, 1 different, 2 error.</summary>
internal static class DiffCommand
{
    public static Command Create()
    {
        var a = new Argument<string>("a") { Description = "The earlier INPUT (a boot snapshot, a blob, a dump ...)" };
        var b = new Argument<string>("b") { Description = "The later INPUT (sysfs for the live system)" };
        var json = new Option<bool>("--json") { Description = "JSON: {\"changes\":[{address,field,from,to}],\"added\":[],\"removed\":[]}" };
        var command = new Command("diff", "Field-level differences between two snapshots; exit 0 same, 1 different");
        command.Arguments.Add(a);
        command.Arguments.Add(b);
        command.Options.Add(json);
        command.SetAction(pr => Run(pr.GetValue(a)!, pr.GetValue(b)!, pr.GetValue(json)));
        return command;
    }

    internal static int Run(string a, string b, bool json)
    {
        var difference = SnapshotDiff.Compare(InspectionInputs.Load(a), InspectionInputs.Load(b));
        if (json)
        {
            using var stdout = Console.OpenStandardOutput();
            InspectionJson.Write(stdout, InspectionJson.Diff(difference));
            stdout.WriteByte((byte)'\n');
        }
        else
        {
            using var writer = new StreamWriter(Console.OpenStandardOutput(), bufferSize: 1 << 16);
            InspectText.WriteDiff(writer, difference);
        }
        return difference.IsEmpty ? ExitCodes.Success : ExitCodes.Differs;
    }
}
