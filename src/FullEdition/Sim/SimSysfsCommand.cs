using System.CommandLine;
using System.IO.Abstractions;
using Preconfig.Cli;
using Preconfig.ConfigSpace.Simulation;
using Preconfig.ConfigSpace.Sysfs;

namespace Preconfig.FullEdition.Sim;

/// <summary><c>preconfig sim sysfs MACHINE DIR</c>: the machine as a sysfs-shaped tree lspci's linux-sysfs backend reads.</summary>
internal static class SimSysfsCommand
{
    public static Command Create()
    {
        var machine = new Argument<string>("MACHINE") { Description = "a simulated machine file" };
        var dir = new Argument<string>("DIR") { Description = "where to write DIR/devices/<addr>/{config,vendor,device,class,...}" };
        var command = new Command("sysfs", "Write the machine as a sysfs-shaped tree (lspci -A linux-sysfs -O sysfs.path=DIR reads it)");
        command.Arguments.Add(machine);
        command.Arguments.Add(dir);
        command.SetAction(pr =>
        {
            var m = SimulatedMachine.Load(pr.GetValue(machine)!);
            SysfsTreeWriter.Write(m, new FileSystem(), pr.GetValue(dir)!);
            return ExitCodes.Success;
        });
        return command;
    }
}
