using Preconfig.ConfigCapture.Inspection;
using Preconfig.ConfigSpace.Lspci;
using Preconfig.ConfigSpace.Simulation;
using Preconfig.ConfigSpace.Sysfs;
using System.IO.Abstractions;
using Preconfig.Handoff.Model;

namespace Preconfig.Cli.Inspect;

/// <summary>
/// Reads an INPUT of the contract for inspect, diff and report. Interim: lspci dumps and simulated machines;
/// replaced by the handoff InputLoader (every form: blobs, stores, sysfs, earlydump) when it lands on main.
/// </summary>
internal static class InspectionInputs
{
    public static Snapshot Load(string input)
    {
        if (input.StartsWith("lspci:", StringComparison.Ordinal)) return FromDump(input["lspci:".Length..]);
        if (input.StartsWith("sim:", StringComparison.Ordinal)) return FromMachine(input["sim:".Length..]);
        if (input == "sysfs" || input.StartsWith("sysfs:", StringComparison.Ordinal))
        {
            string root = input == "sysfs" ? SysfsConfigSpace.DefaultRoot : input["sysfs:".Length..];
            // Read-only: inspection never writes to a live machine.
            return SnapshotSources.FromAccess(new SysfsPciAccess(new FileSystem(), root, writable: false), input);
        }
        RequireFile(input);
        using (var s = File.OpenRead(input))
        {
            int first;
            do first = s.ReadByte(); while (first is ' ' or '\n' or '\r' or '\t');
            if (first == '{') return FromMachine(input);
        }
        return FromDump(input);
    }

    private static Snapshot FromDump(string path)
    {
        RequireFile(path);
        var dump = path == "-" ? LspciDumpReader.Read(Console.OpenStandardInput(), "<stdin>") : LspciDumpReader.ReadFile(path);
        if (dump.Functions.Count == 0)
            throw new InvalidDataException(dump.Problems.Count > 0 ? dump.Problems[0].ToString() : $"{path}: no device in the dump");
        foreach (var p in dump.Problems) Console.Error.WriteLine($"preconfig: warning: {p}");
        return SnapshotSources.FromDump(dump);
    }

    private static Snapshot FromMachine(string path)
    {
        RequireFile(path);
        return SnapshotSources.FromAccess(SimulatedMachine.Load(path), $"sim:{path}");
    }

    // The AOT build strips framework messages (UseSystemResourceKeys): say it ourselves, naming the file.
    private static void RequireFile(string path)
    {
        if (path != "-" && !File.Exists(path)) throw new FileNotFoundException($"{path}: no such file");
    }
}
