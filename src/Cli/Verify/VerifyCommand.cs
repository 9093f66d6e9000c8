using System.CommandLine;
using System.IO.Abstractions;
using Preconfig.Capture.Sources;
using Preconfig.Handoff;
using Preconfig.Handoff.Blob;
using Preconfig.Handoff.Stores;

namespace Preconfig.Cli.Verify;

/// <summary><c>preconfig verify INPUT [--key FILE]</c>: exit 0 valid, 1 invalid, 2 unreadable.</summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "A blob file or store: FILE, file:FILE, devmem:PATH@OFFSET+SIZE, initrd:FILE, early:FILE" };
        var key = new Option<string?>("--key") { Description = "HMAC-SHA256 key file: the blob must be signed with it" };
        var command = new Command("verify", "Check a blob's integrity and signature; print what it holds");
        command.Arguments.Add(input);
        command.Options.Add(key);
        command.SetAction(pr => Run(pr.GetValue(input)!, pr.GetValue(key), new FileSystem()));
        return command;
    }

    internal static int Run(string input, string? keyFile, IFileSystem fs)
    {
        var key = keyFile is null ? null : HandoffKey.Load(fs, keyFile);
        var spec = SourceSpec.Parse(input).Resolve(fs);
        if (spec.Kind is not (SourceKind.Store or SourceKind.Early))
        {
            Console.WriteLine($"input: {input}");
            Console.WriteLine($"integrity: FAILED: {input}: not a handoff blob or store (it reads as {spec.Kind.ToString().ToLowerInvariant()} input; no blob magic at offset 0)");
            return ExitCodes.Failed;
        }
        var report = HandoffVerifier.Verify(HandoffStore.Parse(spec.Argument, fs), key);
        foreach (var line in report.Lines) Console.WriteLine(line);
        Console.WriteLine(report.Valid ? "valid" : "INVALID");
        return report.Valid ? ExitCodes.Success : ExitCodes.Failed;
    }
}
