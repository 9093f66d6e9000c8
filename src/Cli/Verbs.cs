using System.CommandLine;

namespace Preconfig.Cli;

/// <summary>Every verb of the command line, in the order --help lists them.</summary>
internal static class Verbs
{
    public const string Description = "preconfig: save PCI configuration space at boot, put devices back into that state in the kdump capture kernel";

    /// <summary>
    /// The root command for <paramref name="args"/>. RootCommand adds --help and --version, and their descriptions
    /// load System.CommandLine's resources through a ResourceManager (reflection, a resource set): a sixth of what a
    /// small verb costs to start. A command line that asks for neither parses the same without them, so it gets a
    /// plain root; anything that could ask (a help or version token, a [directive]) gets the full one.
    /// </summary>
    public static Command Root(string[] args)
    {
        bool plain = args.Length > 0 && !MayAskForHelp(args);
        var root = plain ? new Command("preconfig", Description) : new RootCommand(Description);
        foreach (var verb in All()) root.Subcommands.Add(verb);
        return root;
    }

    private static bool MayAskForHelp(string[] args)
    {
        foreach (string a in args)
            if (a is "--help" or "-h" or "-?" or "/h" or "/?" or "--version" || a.StartsWith('[')) return true;
        return false;
    }

    /// <summary>The verbs of both editions (the initramfs edition has only these).</summary>
    public static readonly string[] Shared = ["capture", "verify", "preinit"];

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
