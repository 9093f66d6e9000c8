using System.CommandLine;

namespace Preconfig.Cli;

/// <summary>Every verb of the command line, in the order --help lists them.</summary>
internal static class Verbs
{
    public static IEnumerable<Command> All() =>
    [
        Demo.DemoCommand.Create(),
        Sim.SimCommand.Create(),
        Capture.CaptureCommand.Create(),
        Export.ExportCommand.Create(),
        Verify.VerifyCommand.Create(),
        Preinit.PreinitCommand.Create(),
        Inspect.InspectCommand.Create(),
        Diff.DiffCommand.Create(),
        Report.ReportCommand.Create(),
        Daemon.DaemonCommand.Create(),
        Status.StatusCommand.Create(),
    ];
}
