using System.CommandLine;
using Preconfig.Capture.Sources;
using Preconfig.Cli;
using Preconfig.ConfigSpace.Simulation;
using Preconfig.ConfigSpace.Specification;
using Preconfig.ConfigSpace;

namespace Preconfig.FullEdition.Sim;

/// <summary>
/// <c>preconfig sim masks [SOURCE] [--device ADDR]</c>: the specification table the simulator uses, as JSON; with a
/// SOURCE, the attributes resolved for each of its functions (per register: writable, write-1-to-clear, sticky and
/// action masks, one attribute per bit).
/// </summary>
internal static class SimMasksCommand
{
    public static Command Create()
    {
        var source = new Argument<string?>("SOURCE")
        {
            Description = "lspci:FILE, sim:FILE or sysfs[:ROOT] (read-only); without it, the table itself",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var device = new Option<string?>("--device") { Description = "only this function (dddd:bb:dd.f)" };
        var command = new Command("masks", "Print the specification table (register attributes with citations) or, for a SOURCE, the attributes resolved per function, as JSON");
        command.Arguments.Add(source);
        command.Options.Add(device);
        command.SetAction(pr =>
        {
            using var stdout = Console.OpenStandardOutput();
            string? spec = pr.GetValue(source);
            if (spec is null)
            {
                if (pr.GetValue(device) is not null) throw new CliUsageException("--device needs a SOURCE");
                SpecTableJson.WriteTable(stdout);
                return ExitCodes.Success;
            }
            var machine = SourceSpec.Parse(spec) is { Kind: SourceKind.Sim } sim ? SimulatedMachine.Load(sim.Argument) : SimNewCommand.Build(spec);
            var functions = machine.Functions.Select(f => (f.Address, f.Space.Masks.Attributes)).ToList();
            if (pr.GetValue(device) is { } d)
            {
                if (!PciAddress.TryParse(d, out var a)) throw new CliUsageException($"--device {d}: not a PCI address (dddd:bb:dd.f)");
                functions = [.. functions.Where(f => f.Address == a)];
                if (functions.Count == 0) throw new CliUsageException($"--device {d}: no such function in {spec}");
            }
            SpecTableJson.WriteMasks(stdout, spec, functions);
            return ExitCodes.Success;
        });
        return command;
    }
}
