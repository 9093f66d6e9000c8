using System.CommandLine;
using Preconfig.Cli;
using Preconfig.ConfigSpace;
using Preconfig.Inspection;
using Spectre.Console;

namespace Preconfig.FullEdition.Inspect;

/// <summary><c>preconfig inspect INPUT [--device ADDR] [--json]</c>: the devices of a snapshot, or one decoded.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "INPUT: sysfs, lspci:FILE, sim:FILE, a blob or store, or a dump path" };
        var device = new Option<string?>("--device") { Description = "Decode one function (dddd:bb:dd.f) in lspci -vvv style" };
        var json = new Option<bool>("--json") { Description = "JSON for scripts: an array of devices with their capabilities (and, with --device, every decoded field)" };
        var pciIds = PciIdsOption();
        var command = new Command("inspect", "Table of a snapshot's devices (names, class, driver, BARs, capabilities), or one device decoded");
        command.Arguments.Add(input);
        command.Options.Add(device);
        command.Options.Add(json);
        command.Options.Add(pciIds);
        command.SetAction(pr => Run(pr.GetValue(input)!, pr.GetValue(device), pr.GetValue(json), pr.GetValue(pciIds)));
        return command;
    }

    /// <summary><c>--pci-ids FILE</c>, shared with report.</summary>
    internal static Option<string?> PciIdsOption() =>
        new("--pci-ids") { Description = "pci.ids file for names (default: /usr/share/misc/pci.ids when present)" };

    internal static PciIds LoadPciIds(string? path) => path is null ? PciIds.System() : new PciIds(path);

    internal static int Run(string input, string? device, bool json, string? pciIdsPath)
    {
        var snapshot = InspectionInputs.Load(input);
        var ids = LoadPciIds(pciIdsPath);
        IReadOnlyList<FunctionSummary> functions;
        if (device is not null)
        {
            if (!PciAddress.TryParse(device, out var address))
                throw new CliUsageException($"--device: '{device}' is not a PCI address (expected [dddd:]bb:dd.f)");
            var record = snapshot.Find(address) ?? throw new CliUsageException($"{input}: no function {address}");
            functions = [FunctionSummary.Build(record, ids, string.Join(",", snapshot.Sources))];
        }
        else functions = FunctionSummary.Build(snapshot, ids);

        if (json)
        {
            using var stdout = Console.OpenStandardOutput();
            InspectionJson.Write(stdout, InspectionJson.Devices(functions, withFields: device is not null));
            stdout.WriteByte((byte)'\n');
            return ExitCodes.Success;
        }
        if (device is not null)
        {
            InspectText.WriteDevice(Console.Out, functions[0]);
            return ExitCodes.Success;
        }
        if (!Console.IsOutputRedirected)
        {
            AnsiConsole.Write(InspectTable.Terminal(functions));
            return ExitCodes.Success;
        }
        using var writer = new StreamWriter(Console.OpenStandardOutput(), bufferSize: 1 << 16);
        InspectText.WriteTable(writer, functions);
        return ExitCodes.Success;
    }
}
