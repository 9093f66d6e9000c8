using System.CommandLine;

namespace Preconfig.FullEdition.Sim;

/// <summary><c>preconfig sim new|dirty|sysfs|dump|masks</c>: simulated machines. One line per subcommand.</summary>
internal static class SimCommand
{
    public static Command Create()
    {
        var command = new Command("sim", "Simulated machines: make one from a dump, dirty it, write it as sysfs or lspci text, print the register table it follows");
        command.Subcommands.Add(SimNewCommand.Create());
        command.Subcommands.Add(SimDirtyCommand.Create());
        command.Subcommands.Add(SimSysfsCommand.Create());
        command.Subcommands.Add(SimDumpCommand.Create());
        command.Subcommands.Add(SimMasksCommand.Create());
        return command;
    }
}
