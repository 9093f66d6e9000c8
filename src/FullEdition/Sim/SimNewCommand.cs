using System.CommandLine;
using System.IO.Abstractions;
using Preconfig.Capture.Sources;
using Preconfig.Cli;
using Preconfig.ConfigSpace.Lspci;
using Preconfig.ConfigSpace.Simulation;
using Preconfig.ConfigSpace.Sysfs;

namespace Preconfig.FullEdition.Sim;

/// <summary><c>preconfig sim new --from lspci:FILE --out MACHINE</c>: a machine whose firmware state is the dump.</summary>
internal static class SimNewCommand
{
    public static Command Create()
    {
        var from = new Option<string>("--from")
        {
            Description = "lspci:FILE (an lspci -x/-xxx/-xxxx dump, - for stdin) or sysfs[:ROOT] (this machine, read-only)",
            Required = true,
        };
        var output = new Option<string>("--out") { Description = "the machine file (JSON) to write", Required = true };
        var command = new Command("new", "Make a simulated machine from a real dump (the dump is its firmware state)");
        command.Options.Add(from);
        command.Options.Add(output);
        command.SetAction(pr =>
        {
            string spec = pr.GetValue(from)!;
            string outPath = pr.GetValue(output)!;
            var machine = Build(spec);
            machine.Save(outPath);
            Console.Error.WriteLine($"preconfig: {outPath}: {machine.Count} functions from {spec}");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>A machine from lspci:FILE (or a plain path) or sysfs[:ROOT]; also used by <c>sim masks</c>.</summary>
    internal static SimulatedMachine Build(string spec)
    {
        var source = SourceSpec.Parse(spec);
        if (source.Kind == SourceKind.Sysfs)
        {
            using var pci = new SysfsPciAccess(new FileSystem(), source.Argument, writable: false);
            return SimulatedMachine.FromAccess(pci);
        }
        string file = source.Kind switch
        {
            SourceKind.Lspci => source.Argument,
            // A plain path is a dump; one with a colon is a form this verb does not take.
            SourceKind.Path when !spec.Contains(':') => spec,
            _ => throw new CliUsageException($"--from {spec}: expected lspci:FILE or sysfs[:ROOT]"),
        };
        var dump = file == "-" ? LspciDumpReader.Read(Console.OpenStandardInput(), "<stdin>") : LspciDumpReader.ReadFile(file);
        foreach (var problem in dump.Problems)
            Console.Error.WriteLine($"preconfig: warning: {problem}");
        if (dump.Functions.Count == 0)
            throw new InvalidDataException($"{dump.Source}: no device in the dump");
        return SimulatedMachine.FromDump(dump);
    }
}
