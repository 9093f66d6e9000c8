using System.IO.Abstractions;
using Preconfig.ConfigSpace.Lspci;
using Preconfig.Handoff.Model;

namespace Preconfig.ConfigCapture.Sources;

/// <summary>
/// <c>lspci:FILE</c>: an <c>lspci -x/-xxx/-xxxx</c> dump (<c>-</c> reads stdin). Problems in the dump become warnings
/// naming file:line and the good functions are kept; a dump with no function at all is an error.
/// </summary>
public sealed class LspciSource(IFileSystem fs, string path, string? description = null) : ISnapshotSource
{
    public string Path { get; } = path;
    public string Description { get; } = description ?? "lspci:" + path;

    public SourceCapture Capture()
    {
        LspciDump dump;
        if (Path == "-")
        {
            dump = LspciDumpReader.Read(Console.OpenStandardInput(), "<stdin>");
        }
        else
        {
            if (!fs.File.Exists(Path)) throw new FileNotFoundException($"{Path}: no such file", Path);
            using var stream = fs.FileStream.New(Path, FileMode.Open, FileAccess.Read);
            dump = LspciDumpReader.Read(stream, Path);
        }
        var warnings = dump.Problems.Select(p => p.ToString()).ToList();
        if (dump.Functions.Count == 0)
        {
            string first = warnings.Count > 0 ? $" (first problem: {warnings[0]})" : "";
            throw new DumpFormatException($"{dump.Source}:1: no device in this lspci dump{first}");
        }
        var devices = dump.Functions.Select(f => new DeviceRecord
        {
            Address = f.Address,
            Config = f.Config,
            Origins = [new ConfigOrigin(0, f.Config.Length, Description, Pristineness.Unknown)],
        });
        return new SourceCapture(Snapshot.Normalize(devices), warnings);
    }
}
