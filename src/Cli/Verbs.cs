using System.CommandLine;

namespace Preconfig.Cli;

/// <summary>The root command over an edition's verbs, and the verbs both editions have.</summary>
internal static class Verbs
{
    public const string Description = "preconfig: save PCI configuration space at boot, put devices back into that state in the kdump capture kernel";

    /// <summary>
    /// The root command for <paramref name="args"/> over <paramref name="verbs"/>. RootCommand adds --help and
    /// --version, and their descriptions load System.CommandLine's resources through a ResourceManager (reflection, a
    /// resource set): a sixth of what a small verb costs to start. A command line that asks for neither parses the same
    /// without them, so it gets a plain root; anything that could ask (a help or version token, a [directive]) gets
    /// the full one.
    /// </summary>
    public static Command Root(string[] args, IEnumerable<Command> verbs)
    {
        bool plain = args.Length > 0 && !MayAskForHelp(args);
        var root = plain ? new Command("preconfig", Description) : new RootCommand(Description);
        foreach (var verb in verbs) root.Subcommands.Add(verb);
        return root;
    }

    private static bool MayAskForHelp(string[] args)
    {
        foreach (string a in args)
            if (a is "--help" or "-h" or "-?" or "/h" or "/?" or "--version" || a.StartsWith('[')) return true;
        return false;
    }

    /// <summary>The names of the verbs both editions have (the initramfs edition has only these).</summary>
    public static readonly string[] Shared = ["capture", "verify", "preinit", Preconfig.ConfigSpace.Sysfs.ResetChild.Verb];

    /// <summary>The verbs both editions have, in the order --help lists them: the whole initramfs edition.</summary>
    public static IEnumerable<Command> SharedVerbs() =>
    [
        Capture.CaptureCommand.Create(),
        Verify.VerifyCommand.Create(),
        Preinit.PreinitCommand.Create(),
        Preinit.ResetChildCommand.Create(),
    ];
}
