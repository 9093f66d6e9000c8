using System.CommandLine;
using Preconfig.Cli;
using Preconfig.ConfigSpace.Simulation;

namespace Preconfig.FullEdition.Sim;

/// <summary><c>preconfig sim dirty MACHINE [--seed N]</c>: "the kernel ran" (<see cref="KernelRun"/>) on a machine file, written back.</summary>
internal static class SimDirtyCommand
{
    public static Command Create()
    {
        var machine = new Argument<string>("machine") { Description = "Simulated machine file (JSON), rewritten in place" };
        var seed = new Option<int>("--seed") { Description = "Seed for the values the kernel leaves", DefaultValueFactory = _ => 1 };
        var command = new Command("dirty", "Play 'the kernel ran': every writable bit of every register random (legal values; BARs, windows and bus numbers never moved), status bits latched, Bus Master and MSI/MSI-X on");
        command.Arguments.Add(machine);
        command.Options.Add(seed);
        command.SetAction(pr =>
        {
            string path = pr.GetValue(machine)!;
            var m = SimulatedMachine.Load(path);
            int changed = KernelRun.Dirty(m, pr.GetValue(seed));
            m.Save(path);
            Console.WriteLine($"{path}: {changed} of {m.Count} functions dirtied");
            return ExitCodes.Success;
        });
        return command;
    }
}
