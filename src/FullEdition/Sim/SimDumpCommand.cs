using System.CommandLine;
using Preconfig.Cli;
using Preconfig.ConfigSpace.Lspci;
using Preconfig.ConfigSpace.Simulation;

namespace Preconfig.FullEdition.Sim;

/// <summary><c>preconfig sim dump MACHINE</c>: the config spaces as <c>lspci -xxxx</c> text on stdout.</summary>
internal static class SimDumpCommand
{
    public static Command Create()
    {
        var machine = new Argument<string>("MACHINE") { Description = "a simulated machine file" };
        var command = new Command("dump", "Print the machine's config spaces as lspci -xxxx text (lspci -F reads it back)");
        command.Arguments.Add(machine);
        command.SetAction(pr =>
        {
            var m = SimulatedMachine.Load(pr.GetValue(machine)!);
            using var stdout = new StreamWriter(Console.OpenStandardOutput()) { NewLine = "\n" };
            foreach (var f in m.Functions)
                LspciDumpWriter.Write(stdout, f.Address, f.Space.Snapshot());
            return ExitCodes.Success;
        });
        return command;
    }
}
