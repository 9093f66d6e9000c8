using System.CommandLine;
using Preconfig.Cli;

namespace Preconfig.FullEdition;

/// <summary>Every verb of the full edition, in the order --help lists them.</summary>
internal static class FullVerbs
{
    public static Command Root(string[] args) => Verbs.Root(args, All());

    public static IEnumerable<Command> All() =>
    [
        Demo.DemoCommand.Create(),
        Sim.SimCommand.Create(),
        Cli.Capture.CaptureCommand.Create(),
        Export.ExportCommand.Create(),
        Cli.Verify.VerifyCommand.Create(),
        Cli.Preinit.PreinitCommand.Create(),
        Cli.Preinit.ResetChildCommand.Create(),
        // The offline views and the daemon pull in Spectre.Console, Hosting and Serilog: only this edition references
        // them (src/Inspection, src/Daemon), so the binary in the kdump initramfs stays small.
        Inspect.InspectCommand.Create(),
        Diff.DiffCommand.Create(),
        Report.ReportCommand.Create(),
        Daemon.DaemonCommand.Create(),
        Status.StatusCommand.Create(),
    ];
}
