using System.CommandLine;
using System.IO.Abstractions;
using Preconfig.Capture.Sources;
using Preconfig.Handoff.Blob;
using Preconfig.Handoff.Stores;

namespace Preconfig.Cli.Capture;

/// <summary><c>preconfig capture --source SOURCE … --out STORE … [--key FILE]</c>: take a snapshot, write it to every store.</summary>
internal static class CaptureCommand
{
    public static Command Create()
    {
        var sources = new Option<string[]>("--source") { Description = "Where to read config spaces: lspci:FILE, sim:FILE, early:FILE, a blob or dump path (repeatable)", Required = true, AllowMultipleArgumentsPerToken = false };
        var outs = new Option<string[]>("--out") { Description = "Store to write: FILE, file:FILE, devmem:PATH@OFFSET+SIZE, initrd:FILE (repeatable)", Required = true, AllowMultipleArgumentsPerToken = false };
        var key = new Option<string?>("--key") { Description = "Sign with HMAC-SHA256 using this key file" };
        var vfs = new Option<bool>("--include-vfs") { Description = "Capture SR-IOV virtual functions from sysfs too (left out by default)" };
        var command = new Command("capture", "Take a snapshot of every function's config space and write it to every store");
        command.Options.Add(sources);
        command.Options.Add(outs);
        command.Options.Add(key);
        command.Options.Add(vfs);
        command.SetAction(pr => Run(pr.GetValue(sources)!, pr.GetValue(outs)!, pr.GetValue(key), new FileSystem(), pr.GetValue(vfs)));
        return command;
    }

    internal static int Run(string[] sourceSpecs, string[] storeSpecs, string? keyFile, IFileSystem fs, bool includeVirtualFunctions = false)
    {
        // Everything that is bad usage fails before anything is read or written.
        var stores = new List<HandoffStore>(storeSpecs.Length);
        foreach (string s in storeSpecs) stores.Add(HandoffStore.Parse(s, fs));
        var key = keyFile is null ? null : HandoffKey.Load(fs, keyFile);
        var opened = new List<ISnapshotSource>(sourceSpecs.Length);
        foreach (string s in sourceSpecs) opened.Add(SnapshotSources.Open(s, fs, key, includeVirtualFunctions));
        var snapshot = SnapshotSources.Take(opened, out var warnings);
        foreach (var w in warnings) Console.Error.WriteLine($"preconfig capture: warning: {w}");

        int failed = 0;
        foreach (var store in stores)
        {
            try
            {
                var result = store.Save(snapshot, key);
                Console.WriteLine($"wrote {result.Location}: {snapshot.Devices.Count} functions, {result.BlobLength} bytes, sequence {result.Sequence}{(key is null ? "" : ", signed")}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or HandoffFormatException)
            {
                Console.Error.WriteLine($"preconfig capture: {store.Spec}: {e.Message}");
                failed++;
            }
        }
        return failed == 0 ? ExitCodes.Success : ExitCodes.Failed;
    }
}
