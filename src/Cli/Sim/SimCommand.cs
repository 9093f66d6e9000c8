using System.CommandLine;

namespace Preconfig.Cli.Sim;

/// <summary><c>preconfig sim new|dirty|sysfs|dump</c>: simulated machines. One line per subcommand.</summary>
internal static class SimCommand
{
    public static Command Create()
    {
        var command = new Command("sim", "Simulated machines: make one from a dump, dirty it, write it as sysfs or lspci text");
        command.Subcommands.Add(SimNewCommand.Create());
        command.Subcommands.Add(SimDirtyCommand.Create());
        command.Subcommands.Add(SimSysfsCommand.Create());
        command.Subcommands.Add(SimDumpCommand.Create());
        return command;
    }
}
