using System.CommandLine;

namespace Preconfig.Cli;

/// <summary>Every verb of the command line, in the order --help lists them.</summary>
internal static class Verbs
{
    public static IEnumerable<Command> All() =>
    [
#if !INITRAMFS_EDITION
        Demo.DemoCommand.Create(),
        Sim.SimCommand.Create(),
#endif
        Capture.CaptureCommand.Create(),
#if !INITRAMFS_EDITION
        Export.ExportCommand.Create(),
#endif
        Verify.VerifyCommand.Create(),
        Preinit.PreinitCommand.Create(),
#if !INITRAMFS_EDITION
        // The offline views and the daemon pull in Spectre.Console, Hosting and Serilog: the initramfs edition
        // (build.sh, dist/initramfs/preconfig) leaves them out so the binary in the kdump initramfs stays small.
        Inspect.InspectCommand.Create(),
        Diff.DiffCommand.Create(),
        Report.ReportCommand.Create(),
        Daemon.DaemonCommand.Create(),
        Status.StatusCommand.Create(),
#endif
    ];
}
