using System.CommandLine;
using System.IO.Abstractions;
using System.Text;
using Preconfig.Capture.Sources;
using Preconfig.Cli;
using Preconfig.ConfigSpace.Lspci;
using Preconfig.Handoff.Blob;
using Preconfig.Handoff.Json;
using Preconfig.Handoff.Model;

namespace Preconfig.FullEdition.Export;

/// <summary><c>preconfig export INPUT --format lspci|json|msgpack --out FILE</c>.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "A blob, store, lspci dump or simulated machine (see Inputs)" };
        var format = new Option<string>("--format") { Description = "lspci, json, or msgpack (the blob's body, config at full length)", Required = true };
        format.AcceptOnlyFromAmong("lspci", "json", "msgpack");
        var output = new Option<string>("--out") { Description = "File to write ('-' for stdout)", Required = true };
        var key = new Option<string?>("--key") { Description = "Require a blob signed with this HMAC-SHA256 key file" };
        var command = new Command("export", "Convert a snapshot to lspci text, JSON, or the MessagePack body");
        command.Arguments.Add(input);
        command.Options.Add(format);
        command.Options.Add(output);
        command.Options.Add(key);
        command.SetAction(pr => Run(pr.GetValue(input)!, pr.GetValue(format)!, pr.GetValue(output)!, pr.GetValue(key), new FileSystem()));
        return command;
    }

    internal static int Run(string input, string format, string output, string? keyFile, IFileSystem fs)
    {
        var key = keyFile is null ? null : HandoffKey.Load(fs, keyFile);
        var loaded = InputLoader.Load(input, fs, key);
        foreach (var w in loaded.Warnings) Console.Error.WriteLine($"preconfig export: warning: {w}");
        byte[] bytes = Render(loaded.Snapshot, format);
        if (output == "-")
        {
            using var stdout = Console.OpenStandardOutput();
            stdout.Write(bytes);
        }
        else fs.File.WriteAllBytes(output, bytes);
        return ExitCodes.Success;
    }

    internal static byte[] Render(Snapshot snapshot, string format)
    {
        switch (format)
        {
            case "msgpack":
                return SnapshotBody.EncodeDeviceMaps(snapshot); // the contract's shape: one map per device, config whole
            case "json":
                return Encoding.UTF8.GetBytes(SnapshotDocument.Serialize(snapshot) + "\n");
            case "lspci":
                var writer = new StringWriter { NewLine = "\n" };
                foreach (var d in snapshot.Devices) LspciDumpWriter.Write(writer, d.Address, d.Config);
                return Encoding.UTF8.GetBytes(writer.ToString());
            default:
                throw new CliUsageException($"--format {format}: expected lspci, json or msgpack");
        }
    }
}
